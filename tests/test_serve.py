"""`steward serve`: one process hosting /healthz, /slack/events (signed), /mcp and the scheduler;
it shuts down cleanly on SIGTERM and leaves a store that opens and verifies."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from ledger import audit
from ledger.errors import StewardError
from ledger.store import Store
from slack_app.config import SlackSettings
from tests.fake_slack import (
    SECRET,
    Call,
    FakeSlack,
    ScriptedAnswerer,
    event_body,
    mention,
    signed_headers,
)
from steward.jobs import Job, Scheduler, build_jobs, source_fingerprint
from steward.serve import StewardServer
from steward.settings import ScheduleSettings, Settings, load_settings
from tests.orgfixture import TODAY, build_store

ROOT = Path(__file__).resolve().parent.parent


def http(url: str, body: str | None = None, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body.encode() if body is not None else None, headers=headers or {},
                                 method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def posts_until(fake: FakeSlack, done: Callable[[list[Call]], bool], timeout: float = 60.0,
                method: str = "chat.postMessage") -> list[Call]:
    """Block on the fake's own arrivals (no polling) until the calls of `method` satisfy `done`."""
    deadline = time.monotonic() + timeout
    count = 1
    while True:
        calls = fake.wait_for(method, count, timeout=max(0.0, deadline - time.monotonic()))
        if done(calls):
            return calls
        count = len(calls) + 1


def totals(store: Store) -> tuple:
    return tuple(store.rows("SELECT count(*), round(sum(unblended_cost), 6) FROM usage_daily")[0])


# ------------------------------------------------------------------ in process (a thread)

@pytest.fixture
def org_db(tmp_path: Path) -> Path:
    build_store(tmp_path).close()
    return tmp_path / "steward.duckdb"


def test_serve_in_a_thread_hosts_health_slack_and_mcp_then_closes_the_store(org_db, tmp_path) -> None:
    with FakeSlack() as fake:
        server = StewardServer(
            Settings(store={"db": org_db}, as_of=TODAY,
                     slack=SlackSettings(signing_secret=SECRET, bot_token="xoxb-test", api_url=fake.api_url),
                     schedule=ScheduleSettings(tick_seconds=3600, nightly_at="23:59", spend_cards_day="off")),
            port=0, answerer=ScriptedAnswerer()).start()
        try:
            status, body = http(server.url + "/healthz")
            assert status == 200
            health = json.loads(body)
            assert health["ok"] and health["slack"] == "http" and health["data_through"] == "2026-11-20"
            assert health["scheduler"]["running"]

            event = event_body(mention("U0MARIA01", "estimate for Checkout"))
            status, _ = http(server.url + "/slack/events", event, signed_headers(event))
            assert status == 200
            post = fake.wait_for("chat.postMessage")[0].args
            assert post["blocks"][0]["text"]["text"].startswith("Checkout: $")
            second = event_body(mention("U0HANA001", "estimate?", ts="1700000002.000100"), event_id="Ev2")
            assert http(server.url + "/slack/events", second, signed_headers(second))[0] == 200
            assert any(c.args.get("thread_ts") == "1700000002.000100"
                       for c in fake.wait_for("chat.postMessage", 2))
            assert http(server.url + "/slack/events", event, {"content-type": "application/json"})[0] == 401
            stale = signed_headers(event, timestamp=int(time.time()) - 3600)
            assert http(server.url + "/slack/events", event, stale)[0] == 401

            if health["mcp"]:  # the MCP endpoint wants a bearer token
                assert http(server.url + "/mcp", "{}", {"content-type": "application/json"})[0] == 401
        finally:
            server.stop()
    with Store(org_db) as again:
        assert audit.verify(again).ok and totals(again)[0] > 0


# ------------------------------------------------------------------ the scheduler

def test_the_scheduler_stops_between_jobs_and_waits_for_the_one_in_flight(tmp_path) -> None:
    started, release, ran = threading.Event(), threading.Event(), []

    def slow(store, now):
        started.set()
        release.wait(5)
        ran.append("slow")

    jobs = [Job("slow", lambda s, n: True, slow), Job("next", lambda s, n: True, lambda s, n: ran.append("next"))]
    sched = Scheduler(lambda: None, jobs, tick_seconds=0.01)  # type: ignore[arg-type, return-value]
    sched.start()
    assert started.wait(5)
    ran_when_stop_returned: list[list[str]] = []

    def stop() -> None:
        sched.stop()
        ran_when_stop_returned.append(list(ran))

    stopper = threading.Thread(target=stop)
    stopper.start()
    assert sched.stop_event.wait(5)    # stop was asked while the job is in flight
    release.set()
    stopper.join(30)
    assert ran_when_stop_returned == [["slow"]]  # stop() returned only after the job in flight finished ...
    assert ran == ["slow"]                       # ... and the next job never started
    assert not sched.running


def test_a_failing_job_does_not_stop_the_others() -> None:
    def boom(store, now):
        raise RuntimeError("boom")

    ran = []
    sched = Scheduler(lambda: None, [Job("bad", lambda s, n: True, boom),  # type: ignore[arg-type, return-value]
                                     Job("good", lambda s, n: True, lambda s, n: ran.append(1))])
    assert sched.run_due(datetime(2026, 11, 21, 3)) == ["good"] and ran == [1]
    assert sched.last["bad"].startswith("error")


def test_the_source_fingerprint_changes_when_a_file_arrives(tmp_path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"x")
    before = source_fingerprint(str(tmp_path))
    assert source_fingerprint(str(tmp_path)) == before
    (tmp_path / "b.parquet").write_bytes(b"y")
    assert source_fingerprint(str(tmp_path)) != before


def test_serve_settings_reject_a_bad_day_or_time_naming_the_value(monkeypatch) -> None:
    monkeypatch.setenv("STEWARD_SPEND_CARDS_DAY", "funday")
    monkeypatch.setenv("STEWARD_NIGHTLY_AT", "25:00")
    with pytest.raises(StewardError) as err:
        load_settings()
    assert "'funday' is not a day: use mon..sun, * (every day) or off" in str(err.value)
    assert "'25:00' is not a UTC time of day" in str(err.value)


def test_spend_cards_and_statements_off_leave_only_the_rollup_and_nightly_jobs() -> None:
    off = ScheduleSettings(spend_cards_day="off", statements_format="off")
    assert [j.name for j in build_jobs(Settings(schedule=off), client=object())] == ["rollup", "nightly"]
    weekly = build_jobs(Settings(schedule=ScheduleSettings(spend_cards_day="Sunday")), client=object())
    assert [j.name for j in weekly] == ["rollup", "nightly", "spend_cards", "statements"]
    assert [j.name for j in build_jobs(Settings(), client=None)] == ["rollup", "nightly"]  # no Slack


# ------------------------------------------------------------------ the real command, SIGTERM

def test_steward_serve_subprocess_serves_schedules_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    before = totals(store)
    store.close()
    db = tmp_path / "steward.duckdb"
    with FakeSlack() as fake:
        env = {**os.environ, "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-test-serve",
               "STEWARD_SLACK_API_URL": fake.api_url, "STEWARD_SLACK_FINOPS_CHANNEL": "C0FINOPS01",
               "STEWARD_CUR_SOURCE": str(tmp_path / "cur"), "STEWARD_NIGHTLY_AT": "00:00",
               "STEWARD_SPEND_CARDS_DAY": "*", "STEWARD_SPEND_CARDS_AT": "00:00", "STEWARD_STATEMENTS_AT": "00:00",
               "STEWARD_SCHEDULER_TICK_SECONDS": "0.2", "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "steward.cli", "--db", str(db), "--as-of", "2026-11-21",
                                 "serve", "--port", "0"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        ready = threading.Event()

        def drain() -> None:
            for line in proc.stderr:  # type: ignore[union-attr]
                lines.append(line)
                if "Steward serving on" in line:
                    ready.set()

        threading.Thread(target=drain, daemon=True).start()
        try:
            assert ready.wait(60), "".join(lines)
            url = re.search(r"http://127\.0\.0\.1:\d+", next(x for x in lines if "serving on" in x)).group(0)
            status, body = http(url + "/healthz")
            assert status == 200 and json.loads(body)["ok"]

            event = event_body(mention("U0MARIA01", "how are we doing against estimate?"))
            status, _ = http(url + "/slack/events", event, signed_headers(event))
            assert status == 200
            posts = posts_until(fake, lambda calls: any(c.args.get("channel") == "C0TEST001" for c in calls))
            answers = [c for c in posts if c.args.get("channel") == "C0TEST001"]
            assert answers[0].args["thread_ts"] == "1700000001.000100"

            # the scheduler: ingest from STEWARD_CUR_SOURCE, nightly digest, spend cards
            wanted = {"C0FINOPS01", "U0MARIA01", "U0HANA001"}
            posts_until(fake, lambda calls: wanted <= {c.args.get("channel") for c in calls})
            # October's statements (closed month; as of 21 Nov, past November's first working day), in
            # DMs; the answer's burn-up chart is an upload too, to the answer's channel, in any order
            dms = {"D0PRIYA01", "D0LEAD001"}
            uploads = posts_until(fake, lambda calls: dms <= {c.args["channel_id"] for c in calls},
                                  method="files.completeUploadExternal")
            statements = [c for c in uploads if c.args["channel_id"] != "C0TEST001"]
            assert sorted(c.args["channel_id"] for c in statements) == sorted(dms)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
        assert code == 0, "".join(lines)
    assert "xoxb-test-serve" not in "".join(lines) and SECRET not in "".join(lines)
    with Store(db) as again:  # opens: the process released the file
        assert audit.verify(again).ok
        assert totals(again) == before       # re-ingesting the same files changed nothing
        actions = {e.action for e in audit.entries(again, limit=None)}
        assert {"serve.ingest", "serve.rollup", "serve.nightly", "serve.spend_cards", "slack.spend_card",
                "slack.drift_digest", "serve.statements", "slack.statement"} <= actions
