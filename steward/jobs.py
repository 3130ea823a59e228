"""`steward serve`'s scheduler: CUR ingest, the nightly rollup and posts, weekly spend cards, monthly statements.

Each job records its run in the audit log (actor system:serve), so a restart does not repeat it; a
failed job is retried after `Scheduler.retry_seconds`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger import audit, rollup
from ledger.errors import StewardError
from ledger.store import Store
from steward.settings import DAYS, Settings, hhmm
from steward.wiring import context_for

log = logging.getLogger("steward.serve")
ACTOR = "system:serve"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ============================================================================ CUR source

def source_fingerprint(source: str, *, s3_client: Any = None) -> str:
    """A hash of the source's listing (names, sizes, mtimes / ETags): it changes when files arrive."""
    digest = hashlib.sha256()
    if source.startswith("s3://"):
        bucket, _, prefix = source[5:].partition("/")
        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                digest.update(f"{obj['Key']}\0{obj.get('ETag')}\0{obj.get('Size')}\n".encode())
        return digest.hexdigest()
    root = Path(source).expanduser()
    if not root.exists():
        raise StewardError(f"STEWARD_CUR_SOURCE {source} does not exist")
    for path in sorted(root.rglob("*") if root.is_dir() else [root]):
        if path.is_file():
            st = path.stat()
            name = path.relative_to(root) if root.is_dir() else path.name
            digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


# ============================================================================ scheduler

@dataclass
class Job:
    name: str
    due: Callable[[Store, datetime], bool]
    run: Callable[[Store, datetime], Any]


@dataclass
class Scheduler:
    """Runs due jobs on its own thread and cursor; stops only between jobs."""

    store_for_thread: Callable[[], Store]
    jobs: list[Job]
    tick_seconds: float = 30.0
    clock: Callable[[], datetime] = utcnow
    stop_event: threading.Event = field(default_factory=threading.Event)
    retry_seconds: float = 300.0                          # wait after a failed job before retrying it
    last: dict[str, str] = field(default_factory=dict)   # job -> last outcome, for /healthz
    _thread: threading.Thread | None = None
    busy: str | None = None
    _failed_at: dict[str, float] = field(default_factory=dict)

    def run_due(self, now: datetime | None = None) -> list[str]:
        ran = []
        for job in self.jobs:
            if self.stop_event.is_set():
                break
            now = now or self.clock()
            if time.monotonic() - self._failed_at.get(job.name, -1e18) < self.retry_seconds:
                continue
            try:
                store = self.store_for_thread()
                if not job.due(store, now):
                    continue
                self.busy = job.name
                job.run(store, now)
                self.last[job.name] = f"ok {now:%Y-%m-%d %H:%M}"
                self._failed_at.pop(job.name, None)
                ran.append(job.name)
            except Exception as exc:
                log.exception("scheduled job %s failed", job.name)
                self.last[job.name] = f"error {now:%Y-%m-%d %H:%M}: {type(exc).__name__}"
                self._failed_at[job.name] = time.monotonic()
            finally:
                self.busy = None
        return ran

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            self.run_due()
            self.stop_event.wait(self.tick_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="steward-scheduler", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Ask the loop to stop and wait for the job in flight (and its transaction) to finish."""
        self.stop_event.set()
        if self._thread is not None:
            if self.busy:
                log.info("waiting for the %s job to finish before shutting down", self.busy)
            self._thread.join()


# ============================================================================ the jobs

def _last_subject(store: Store, action: str) -> str | None:
    rows = store.rows("SELECT subject FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1", [action])
    return rows[0][0] if rows else None


def _last_details(store: Store, action: str) -> dict:
    rows = audit.entries(store, limit=1, action=action)
    return rows[0].details if rows else {}


def _record(store: Store, action: str, subject: str, details: dict, outcome: str = "ok") -> None:
    audit.append(store, actor=ACTOR, action=action, subject=subject, details=details, outcome=outcome)


def _daily_after(at: str, action: str) -> Callable[[Store, datetime], bool]:
    """Due once a day from UTC `at`, unless the audit log already holds today's run of `action`."""
    hour, minute = hhmm(at)

    def due(store: Store, now: datetime) -> bool:
        return (now.hour, now.minute) >= (hour, minute) and _last_subject(store, action) != f"{now:%Y-%m-%d}"

    return due


def _ingest_job(settings: Settings, *, client: Any, s3_client: Any) -> Job:
    """Ingest the CUR source when its listing changed (checked every ingest_every_minutes); quota
    alerts right after, since new spend can cross a threshold."""
    from slack_app import schedule

    source = settings.schedule.cur_source or ""
    checked = {"at": None}  # monotonic time of the last check; None = never

    def due(store: Store, now: datetime) -> bool:
        return checked["at"] is None or time.monotonic() - checked["at"] >= settings.schedule.ingest_every_minutes * 60

    def run(store: Store, now: datetime) -> None:
        from ledger.ingest import ingest

        checked["at"] = time.monotonic()
        fingerprint = source_fingerprint(source, s3_client=s3_client)
        if _last_details(store, "serve.ingest").get("fingerprint") == fingerprint:
            return
        try:  # reading and checking the files holds no lock; its one transaction holds the write lock
            result = ingest(store, [source], actor=ACTOR, s3_client=s3_client)
        except StewardError as exc:
            _record(store, "serve.ingest", source, {"fingerprint": fingerprint, "error": str(exc)}, "error")
            raise
        _record(store, "serve.ingest", source, {"fingerprint": fingerprint,
                                                "periods": [p.billing_period for p in result.periods]})
        log.info("ingested %s: %s", source, ", ".join(p.billing_period for p in result.periods))
        if client is not None:
            schedule.quota_alerts(store, context_for(settings, snapshot=True), client, settings.today(), slack=settings.slack)

    return Job("ingest", due, run)


def _rollup_job(settings: Settings) -> Job:
    def run(store: Store, now: datetime) -> None:
        periods = rollup.rebuild_all(store)  # one transaction
        _record(store, "serve.rollup", f"{now:%Y-%m-%d}", {"periods": periods})

    return Job("rollup", _daily_after(settings.schedule.nightly_at, "serve.rollup"), run)


def _nightly_posts_job(settings: Settings, *, client: Any) -> Job:
    """The drift digest and quota alerts; a post Slack did not take fails the job, so it is retried
    (posts already sent are not repeated)."""
    from slack_app import schedule

    def run(store: Store, now: datetime) -> None:
        today, contexts = settings.today(), context_for(settings, snapshot=True)
        pacer = schedule.Pacer()  # both post to the FinOps channel: one pace for the whole run
        failed = 0
        if client is not None:
            failed += schedule.drift_digest(store, contexts, client, today, slack=settings.slack, pacer=pacer).failed
            failed += schedule.quota_alerts(store, contexts, client, today, slack=settings.slack, pacer=pacer).failed
        if failed:
            raise StewardError(f"{failed} nightly Slack post(s) failed")
        _record(store, "serve.nightly", f"{now:%Y-%m-%d}", {})

    return Job("nightly", _daily_after(settings.schedule.nightly_at, "serve.nightly"), run)


def _spend_cards_job(settings: Settings, *, client: Any) -> Job:
    from slack_app import schedule

    day = settings.schedule.spend_cards_day
    after = _daily_after(settings.schedule.spend_cards_at, "serve.spend_cards")

    def due(store: Store, now: datetime) -> bool:
        return (day == "*" or DAYS[now.weekday()] == day) and after(store, now)

    def run(store: Store, now: datetime) -> None:
        posts = schedule.weekly_spend_cards(store, context_for(settings, snapshot=True), client, settings.today())
        if posts.failed:
            raise StewardError(f"{posts.failed} spend card(s) could not be posted; retrying")
        _record(store, "serve.spend_cards", f"{now:%Y-%m-%d}", {"posts": len(posts)})

    return Job("spend_cards", due, run)


def _statements_job(settings: Settings, *, client: Any) -> Job:
    """The closed month's chargeback statements, from the month's first working day: once a day, each
    recipient gets what they have not had (a first statement, or a restated one)."""
    from slack_app import statements
    from steward.statement_files import statement_file

    after = _daily_after(settings.schedule.statements_at, "serve.statements")

    def due(store: Store, now: datetime) -> bool:
        return statements.closed_month_due(settings.today()) is not None and after(store, now)

    def run(store: Store, now: datetime) -> None:
        posts = statements.monthly_statements(store, context_for(settings, snapshot=True), client, settings.today(),
                                              render=statement_file, fmt=settings.schedule.statements_format)
        if posts.failed:
            raise StewardError(f"{posts.failed} statement(s) could not be sent; retrying")
        _record(store, "serve.statements", f"{now:%Y-%m-%d}", {"sent": [p.to for p in posts]})

    return Job("statements", due, run)


def build_jobs(settings: Settings, *, client: Any, s3_client: Any = None) -> list[Job]:
    """ingest (when a source is configured), nightly rollup, nightly posts (drift digest, quota alerts),
    weekly spend cards and monthly chargeback statements (when Slack is on and they are not off)."""
    jobs: list[Job] = []
    if settings.schedule.cur_source:
        jobs.append(_ingest_job(settings, client=client, s3_client=s3_client))
    jobs.append(_rollup_job(settings))
    jobs.append(_nightly_posts_job(settings, client=client))
    if client is not None and settings.schedule.spend_cards_day != "off":
        jobs.append(_spend_cards_job(settings, client=client))
    if client is not None and settings.schedule.statements_format != "off":
        jobs.append(_statements_job(settings, client=client))
    return jobs
