"""Monthly chargeback statements in Slack: sent on the month's first working day as a file to each Portfolio
Manager and FinOps Lead, once; a restated month again, marked; each file scoped like the CLI. Figures are
checked against plain SQL over the fixture's CUR files."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from slack_sdk import WebClient

from ledger import audit
from ledger.ingest import ingest
from slack_app.statements import closed_month_due, first_working_day, monthly_statements
from steward.jobs import build_jobs
from steward.settings import ScheduleSettings, Settings
from steward.statement_files import statement_file
from steward.wiring import context_for
from tests import curfile
from tests.curfile import line
from tests.fake_slack import FakeSlack
from tests.orgfixture import A1, A2, ROWS
from tests.test_slack_schedule import client, fake  # noqa: F401 - the loopback Slack and its client

FIRST_WORKING_DAY = date(2026, 11, 2)  # 2026-11-01 is a Sunday


def _contexts(store, today: date):  # noqa: ANN202 - ContextFactory
    return context_for(Settings(store={"db": store.path}, as_of=today))


def _send(store, client, today: date = FIRST_WORKING_DAY):  # noqa: ANN202 - Posts
    return monthly_statements(store, _contexts(store, today), client, today, render=statement_file, fmt="csv")


def _cur_sum(store, where: str) -> float:
    """A plain SQL sum over the fixture's CUR files for October 2026 (no Steward code)."""
    cur = Path(store.path).parent / "cur"
    return duckdb.sql(f"""SELECT coalesce(sum(line_item_unblended_cost), 0) FROM read_parquet('{cur}/**/*.parquet')
                          WHERE bill_billing_period_start_date = TIMESTAMP '2026-10-01' AND ({where})""").fetchall()[0][0]


def _files(fake: FakeSlack) -> dict[str, tuple[dict, list[list[str]]]]:
    """DM channel -> (the completeUploadExternal call's arguments, the CSV rows of the file uploaded)."""
    done = fake.of("files.completeUploadExternal")
    assert len(done) == len(fake.uploads)
    return {c.args["channel_id"]: (c.args, list(csv.reader(io.StringIO(body.decode()))))
            for c, body in zip(done, fake.uploads, strict=True)}


def test_the_first_working_day_skips_the_weekend() -> None:
    assert first_working_day(2026, 11) == date(2026, 11, 2)  # Sunday the 1st
    assert first_working_day(2026, 8) == date(2026, 8, 3)    # Saturday the 1st
    assert first_working_day(2026, 12) == date(2026, 12, 1)  # a Tuesday
    assert closed_month_due(date(2026, 11, 1)) is None
    assert closed_month_due(date(2026, 11, 2)) == "2026-10"
    assert closed_month_due(date(2026, 11, 21)) == "2026-10"
    assert closed_month_due(date(2027, 1, 1)) == "2026-12"  # a Friday


def test_the_job_is_due_from_the_first_working_day_once_a_day(fresh_org_store, fake) -> None:
    settings = Settings(store={"db": fresh_org_store.path}, as_of=date(2026, 11, 1),
                        schedule=ScheduleSettings(statements_at="08:00", statements_format="csv"))
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    sunday = next(j for j in build_jobs(settings, client=client) if j.name == "statements")
    assert not sunday.due(fresh_org_store, datetime(2026, 11, 1, 9, 0))
    settings = settings.model_copy(update={"as_of": FIRST_WORKING_DAY})
    job = next(j for j in build_jobs(settings, client=client) if j.name == "statements")
    assert not job.due(fresh_org_store, datetime(2026, 11, 2, 7, 59))  # before statements_at
    assert job.due(fresh_org_store, datetime(2026, 11, 2, 8, 0))
    job.run(fresh_org_store, datetime(2026, 11, 2, 8, 0))
    assert len(fake.of("files.completeUploadExternal")) == 2  # Priya (Portfolio Manager) and the FinOps Lead
    assert not job.due(fresh_org_store, datetime(2026, 11, 2, 12, 0))  # done today
    assert audit.entries(fresh_org_store, action="serve.statements")[0].details["sent"] == [
        "priya@example.com", "lead@example.com"]


def test_each_recipient_gets_their_scope_once(fresh_org_store, client, fake) -> None:
    posts = _send(fresh_org_store, client)
    assert sorted(p.to for p in posts) == ["lead@example.com", "priya@example.com"] and posts.failed == 0
    files = _files(fake)
    assert sorted(files) == ["D0LEAD001", "D0PRIYA01"]
    # The FinOps Lead's file: every charge of October; its total row is the CUR's total to the cent.
    lead_args, lead_rows = files["D0LEAD001"]
    assert lead_rows[0] == ["node", "usage_usd", "usage_net_usd", "credits_usd", "refunds_usd", "taxes_usd",
                            "other_usd", "total_usd"]
    assert lead_rows[-1][0] == "total" and round(float(lead_rows[-1][-1]) * 100) == round(_cur_sum(
        fresh_org_store, "true") * 100)
    assert json.loads(json.dumps(lead_args["files"]))[0]["title"] == "Bedrock chargeback 2026-10"
    assert "October 2026" in lead_args["initial_comment"]
    # Priya (Portfolio Manager, Digital): Checkout and Fraud, and the unattributed spend of account
    # 111111111111 (owned by Payments, in Digital); nothing of HR Portal or the other accounts.
    _, priya_rows = files["D0PRIYA01"]
    lines = {r[0]: float(r[-1]) for r in priya_rows[1:]}
    assert set(lines) == {"Checkout", "Fraud", "(unattributed)", "total"}
    assert lines["Checkout"] == pytest.approx(_cur_sum(fresh_org_store, "line_item_iam_principal LIKE "
                                                                        "'%/checkout-bedrock/%'"), abs=0.005)
    assert lines["Fraud"] == pytest.approx(_cur_sum(fresh_org_store, "line_item_iam_principal LIKE "
                                                                     "'%/fraud-bedrock/%'"), abs=0.005)
    assert round(lines["total"] * 100) == round(_cur_sum(fresh_org_store, f"line_item_usage_account_id = '{A1}'")
                                                * 100)
    # Once: a second run (a restart, the next day) sends nothing while the figures are unchanged.
    fake.clear()
    assert list(_send(fresh_org_store, client, date(2026, 11, 3))) == [] and fake.uploads == []
    assert len(audit.entries(fresh_org_store, action="slack.statement")) == 2


def test_a_restated_month_is_sent_again_marked_with_the_total_before_and_after(fresh_org_store, client,
                                                                               fake) -> None:
    _send(fresh_org_store, client)
    before = _cur_sum(fresh_org_store, "true")
    # October's CUR is delivered again with a tax in account 222222222222 (People: not Priya's).
    tmp = Path(fresh_org_store.path).parent
    october = [r for r in ROWS if r["bill_billing_period_start_date"].month == 10]
    october.append(line("2026-10-31", "Tax", 0, 12.34, None, account=A2, item_type="Tax"))
    curfile.write(curfile.export_path(tmp, "2026-10"), october)
    ingest(fresh_org_store, [str(tmp / "cur")], actor="test")
    after = _cur_sum(fresh_org_store, "true")
    assert round((after - before) * 100) == 1234
    fake.clear()
    posts = _send(fresh_org_store, client, date(2026, 11, 9))
    assert [p.to for p in posts] == ["lead@example.com"]  # Priya's figures did not change
    files = _files(fake)
    args, rows = files["D0LEAD001"]
    assert args["files"][0]["title"] == "Bedrock chargeback 2026-10 (restated)"
    assert f"${before:,.2f} -> ${after:,.2f}" in args["initial_comment"]
    assert args["initial_comment"].startswith("Restated:")
    assert round(float(rows[-1][-1]) * 100) == round(after * 100)
    sent = audit.entries(fresh_org_store, action="slack.statement")[0].details
    assert sent["restated"] and sent["total_before_usd"] == pytest.approx(before, abs=0.005)
    fake.clear()
    assert list(_send(fresh_org_store, client, date(2026, 11, 10))) == []  # the restatement, once too


def test_a_delivery_slack_did_not_take_is_audited_and_retried(fresh_org_store, fake) -> None:
    from slack_app.app import honour_rate_limits

    client = honour_rate_limits(WebClient(token="xoxb-test", base_url=fake.api_url))
    fake.fail["files.completeUploadExternal"] = "not_in_channel"
    failed = _send(fresh_org_store, client)
    assert list(failed) == [] and failed.failed == 2
    errors = audit.entries(fresh_org_store, action="slack.statement")
    assert {(e.outcome, e.details["error"]) for e in errors} == {("error", "not_in_channel")}
    del fake.fail["files.completeUploadExternal"]
    fake.rate_limited["files.completeUploadExternal"] = 1  # one HTTP 429: retried after its Retry-After
    fake.clear()
    again = _send(fresh_org_store, client)
    assert sorted(p.to for p in again) == ["lead@example.com", "priya@example.com"] and again.failed == 0
    assert [c.status for c in fake.calls if c.method == "files.completeUploadExternal"] == [429, 200, 200]
