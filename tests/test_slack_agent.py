"""Slack with the real agent (agent.service.ask, offline planner): answers, audit, and many questions
at once on the production path (process_before_response=False, listeners on worker threads)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from slack_sdk import WebClient

from ledger import audit
from slack_app.app import build_app
from slack_app.config import SlackSettings
from tests.fake_slack import SECRET, FakeSlack, bolt_request, dm, event_body, mention
from steward.settings import Settings
from steward.wiring import context_for
from tests.figures import usd
from tests.orgfixture import ROWS, TODAY, day, product_of

PEOPLE = {"U0MARIA01": "maria@example.com", "U0HANA001": "hana@example.com", "U0PRIYA01": "priya@example.com",
          "U0LEAD001": "lead@example.com", "U0OMAR001": "omar@example.com"}


def nov(product: str) -> float:
    return round(sum(r["line_item_unblended_cost"] for r in ROWS if r["line_item_line_item_type"] == "Usage"
                     and date(2026, 11, 1) <= day(r) < date(2026, 12, 1) and product_of(r) == product), 2)


@pytest.fixture
def fake():
    with FakeSlack() as f:
        yield f


def make(store, fake, *, inline: bool):
    return build_app(store, contexts=context_for(Settings(as_of=TODAY)),
                     client=WebClient(token="xoxb-test", base_url=fake.api_url),
                     slack=SlackSettings(signing_secret=SECRET, bot_token="xoxb-test"),
                     process_before_response=inline)


def test_the_offline_agent_answers_a_product_owner_with_each_of_her_products(fresh_org_store, fake) -> None:
    app = make(fresh_org_store, fake, inline=True)
    try:
        app.dispatch(bolt_request(event_body(dm("U0MARIA01", "how are we doing against estimate?"))))
    finally:
        app.steward.stores.close()
    blocks = fake.of("chat.postMessage")[0].args["blocks"]
    text = json.dumps(blocks)
    assert blocks[0]["text"]["text"] == "Month to date against estimate"
    for product, estimate in (("Checkout", 300), ("Fraud", 200)):
        assert f"{product}: {usd(nov(product))} month to date of {usd(estimate)} estimate" in text
    assert "CUR data through 20 Nov 2026" in text
    assert "HR Portal" not in text and "222222222222" not in text
    assert len(fake.of("files.completeUploadExternal")) == 2  # a burn-up chart per product
    [asked] = audit.entries(fresh_org_store, action="agent.ask")
    assert asked.actor == "maria@example.com" and asked.details["channel"] == "slack"
    assert asked.details["thread_id"] == "slack:D0TEST001:dm:U0MARIA01"


def test_many_questions_at_once_are_all_answered_and_the_audit_chain_holds(fresh_org_store, fake) -> None:
    """Every question writes an agent.ask audit entry; concurrent appends would collide on the chain's
    seq without the write lock that Store transactions hold."""
    app = make(fresh_org_store, fake, inline=False)
    questions = ["how are we doing against estimate?", "any model drift this month?",
                 "top products by spend this month"]
    events = [event_body(mention(user, questions[i % 3], ts=f"1700000100.{i:06d}"), event_id=f"Ev{i:08d}")
              for i, user in enumerate(list(PEOPLE) * 5)]
    try:
        with ThreadPoolExecutor(max_workers=25) as pool:
            statuses = list(pool.map(lambda b: app.dispatch(bolt_request(b)).status, events))
        assert statuses == [200] * len(events)
        posts = fake.wait_for("chat.postMessage", len(events), timeout=60)
    finally:
        app.steward.shutdown()
        app.steward.stores.close()
    assert not any("something went wrong" in json.dumps(p.args) for p in posts)
    assert {p.args["thread_ts"] for p in posts} == {f"1700000100.{i:06d}" for i in range(len(events))}
    assert len(audit.entries(fresh_org_store, action="agent.ask", limit=None)) == len(events)
    assert audit.verify(fresh_org_store).ok


def test_store_cursors_on_many_threads_serialise_audit_appends(fresh_org_store) -> None:
    errors: list[Exception] = []

    def write(i: int) -> None:
        cur = fresh_org_store.cursor()
        try:
            for j in range(10):
                audit.append(cur, actor=f"t{i}", action="test.concurrent", subject=str(j))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            cur.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(audit.entries(fresh_org_store, action="test.concurrent", limit=None)) == 60
    assert audit.verify(fresh_org_store).ok
