"""`steward serve`: the one process that owns the DuckDB file.

It hosts, on one port: the Slack HTTP endpoint (POST /slack/events, Bolt through the Starlette
adapter's request conversion; Socket Mode instead when asked), the MCP streamable HTTP endpoint
(/mcp, when mcp_server is installed), and GET /healthz; and it runs the scheduler thread: ingest of
new CUR files from STEWARD_CUR_SOURCE (a folder or s3://bucket/prefix), the nightly rollup, drift
digest and quota alerts, and the weekly spend cards.

Threads share one open database, each on its own cursor (slack_app.app.StorePool). Every
transaction (ingest, rollup, tools' writes, every audit entry, MCP's writes) holds the store's
write lock, shared by all its cursors (Store.transaction), because two DuckDB transactions
appending to the hash-chained audit log at once would pick the same seq and one would fail.

Shutdown (SIGTERM / SIGINT): uvicorn stops accepting requests, the scheduler stops between jobs
(a job in flight, and so its transaction, runs to the end), Slack listeners in flight finish, then
every cursor and the store are closed. The store is never left half-written: each write is one
transaction, and nothing is closed under a running one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger import audit, rollup
from ledger.errors import StewardError
from ledger.store import Store
from steward.settings import Settings

log = logging.getLogger("steward.serve")
ACTOR = "system:serve"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class ServeSettings(BaseSettings):
    """Scheduler and hosting settings (env)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    cur_source: str | None = Field(None, validation_alias=_env("STEWARD_CUR_SOURCE", "cur_source"),
                                   description="Folder or s3://bucket/prefix to ingest new CUR files from.")
    ingest_every_minutes: float = Field(60.0, validation_alias=_env("STEWARD_INGEST_EVERY_MINUTES",
                                                                    "ingest_every_minutes"))
    nightly_at: str = Field("02:00", validation_alias=_env("STEWARD_NIGHTLY_AT", "nightly_at"),
                            description="UTC HH:MM of the nightly rollup, drift digest and quota alerts.")
    spend_cards_day: str = Field("mon", validation_alias=_env("STEWARD_SPEND_CARDS_DAY", "spend_cards_day"),
                                 description="mon..sun, * for every day, or off.")
    spend_cards_at: str = Field("09:00", validation_alias=_env("STEWARD_SPEND_CARDS_AT", "spend_cards_at"))
    tick_seconds: float = Field(30.0, validation_alias=_env("STEWARD_SCHEDULER_TICK_SECONDS", "tick_seconds"))
    slack_workers: int = Field(4, validation_alias=_env("STEWARD_SLACK_WORKERS", "slack_workers"),
                               description="Threads that prepare Slack answers (acknowledgements never wait "
                                           "for them; fewer threads leave the acknowledgement path more CPU).")
    switch_interval_ms: float = Field(5.0, validation_alias=_env("STEWARD_SWITCH_INTERVAL_MS", "switch_interval_ms"),
                                      description="Python's thread switch interval for this process (its default "
                                                  "is 5 ms).")
    public_url: str | None = Field(None, validation_alias=_env("STEWARD_PUBLIC_URL", "public_url"),
                                   description="External URL of /mcp (for MCP auth metadata).")


    @field_validator("nightly_at", "spend_cards_at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        _hhmm(value)
        return value

    @field_validator("spend_cards_day")
    @classmethod
    def _day(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in (*_DAYS, "*", "off"):
            raise ValueError(f"'{value}' is not a day: use mon..sun, * (every day) or off")
        return day


def load_serve_settings() -> ServeSettings:
    """ServeSettings from the environment; a bad value is a StewardError naming the variable."""
    try:
        return ServeSettings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                             for e in exc.errors())
        raise StewardError(f"steward serve settings: {problems} (STEWARD_* environment variables)") from None


def _hhmm(text: str) -> tuple[int, int]:
    h, sep, m = text.strip().partition(":")
    if not (h.isdigit() and (not sep or m.isdigit())) or not (0 <= int(h) < 24 and 0 <= int(m or 0) < 60):
        raise ValueError(f"'{text}' is not a UTC time of day: use HH:MM, e.g. 02:00")
    return int(h), int(m or 0)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ============================================================================ CUR source

def source_fingerprint(source: str, *, s3_client: Any = None) -> str:
    """A hash of the source's listing (names, sizes, mtimes / ETags): it changes when files arrive."""
    h = hashlib.sha256()
    if source.startswith("s3://"):
        bucket, _, prefix = source[5:].partition("/")
        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                h.update(f"{o['Key']}\0{o.get('ETag')}\0{o.get('Size')}\n".encode())
        return h.hexdigest()
    root = Path(source).expanduser()
    if not root.exists():
        raise StewardError(f"STEWARD_CUR_SOURCE {source} does not exist")
    for p in sorted(root.rglob("*") if root.is_dir() else [root]):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(root) if root.is_dir() else p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


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


def _last_subject(store: Store, action: str) -> str | None:
    rows = store.rows("SELECT subject FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1", [action])
    return rows[0][0] if rows else None


def _last_details(store: Store, action: str) -> dict:
    rows = audit.entries(store, limit=1, action=action)
    return rows[0].details if rows else {}


def build_jobs(settings: Settings, serve: ServeSettings, *, client: Any, slack: Any,
               s3_client: Any = None) -> list[Job]:
    """ingest (when a source is configured), nightly rollup, nightly posts (drift digest, quota alerts),
    weekly spend cards. Each job records its run in the audit log, so a restart does not repeat it."""
    from slack_app import schedule

    jobs: list[Job] = []
    state = {"ingest_checked": 0.0}

    def record(store: Store, action: str, subject: str, details: dict, outcome: str = "ok") -> None:
        audit.append(store, actor=ACTOR, action=action, subject=subject, details=details, outcome=outcome)

    if serve.cur_source:
        source = serve.cur_source

        def ingest_due(store: Store, now: datetime) -> bool:
            return time.monotonic() - state["ingest_checked"] >= serve.ingest_every_minutes * 60 \
                or state["ingest_checked"] == 0.0

        def run_ingest(store: Store, now: datetime) -> None:
            from ledger.ingest import ingest

            state["ingest_checked"] = time.monotonic()
            fingerprint = source_fingerprint(source, s3_client=s3_client)
            if _last_details(store, "serve.ingest").get("fingerprint") == fingerprint:
                return
            try:  # reading and checking the files holds no lock; its one transaction holds the write lock
                result = ingest(store, [source], actor=ACTOR, s3_client=s3_client)
            except StewardError as exc:
                record(store, "serve.ingest", source, {"fingerprint": fingerprint, "error": str(exc)}, "error")
                raise
            record(store, "serve.ingest", source, {"fingerprint": fingerprint,
                                                  "periods": [p.billing_period for p in result.periods]})
            log.info("ingested %s: %s", source, ", ".join(p.billing_period for p in result.periods))
            if client is not None:
                schedule.quota_alerts(store, settings, client, settings.today(), slack=slack)

        jobs.append(Job("ingest", ingest_due, run_ingest))

    nightly_h, nightly_m = _hhmm(serve.nightly_at)

    def posts_due(store: Store, now: datetime) -> bool:
        return (now.hour, now.minute) >= (nightly_h, nightly_m) and \
            _last_subject(store, "serve.nightly") != f"{now:%Y-%m-%d}"

    def rollup_due(store: Store, now: datetime) -> bool:
        return (now.hour, now.minute) >= (nightly_h, nightly_m) and \
            _last_subject(store, "serve.rollup") != f"{now:%Y-%m-%d}"

    def run_rollup(store: Store, now: datetime) -> None:
        periods = rollup.rebuild_all(store)  # one transaction
        record(store, "serve.rollup", f"{now:%Y-%m-%d}", {"periods": periods})

    def run_nightly(store: Store, now: datetime) -> None:
        today = settings.today()
        failed = 0
        if client is not None:
            failed += schedule.drift_digest(store, settings, client, today, slack=slack).failed
            failed += schedule.quota_alerts(store, settings, client, today, slack=slack).failed
        if failed:  # Slack did not take every post: retried later (posts already sent are not repeated)
            raise StewardError(f"{failed} nightly Slack post(s) failed")
        record(store, "serve.nightly", f"{now:%Y-%m-%d}", {})

    jobs.append(Job("rollup", rollup_due, run_rollup))
    jobs.append(Job("nightly", posts_due, run_nightly))

    if client is not None and serve.spend_cards_day != "off":
        cards_h, cards_m = _hhmm(serve.spend_cards_at)
        day = serve.spend_cards_day

        def cards_due(store: Store, now: datetime) -> bool:
            return (day == "*" or _DAYS[now.weekday()] == day) and (now.hour, now.minute) >= (cards_h, cards_m) \
                and _last_subject(store, "serve.spend_cards") != f"{now:%Y-%m-%d}"

        def run_cards(store: Store, now: datetime) -> None:
            posts = schedule.weekly_spend_cards(store, settings, client, settings.today())
            if posts.failed:
                raise StewardError(f"{posts.failed} spend card(s) could not be posted; retrying")
            record(store, "serve.spend_cards", f"{now:%Y-%m-%d}", {"posts": len(posts)})

        jobs.append(Job("spend_cards", cards_due, run_cards))
    return jobs


# ============================================================================ the server

class _Uvicorn:
    """uvicorn.Server without its own signal handling: `steward serve` installs handlers that
    trigger the same graceful exit and then returns normally (exit code 0) after closing the store."""

    @staticmethod
    def make(app: Any, log_level: str) -> Any:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        return Server(uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False))


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that say TCP (see mcp_server.http)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


class StewardServer:
    """Build with settings; `run()` serves in the foreground, `start()` on a thread (tests, bench)."""

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = 8080,
                 socket_mode: bool = False, slack: Any = None, serve: ServeSettings | None = None,
                 client: Any = None, answerer: Any = None, mcp: bool = True, log_level: str = "warning",
                 s3_client: Any = None) -> None:
        from slack_app.app import StorePool
        from slack_app.config import SlackSettings

        self.settings = settings
        self.host, self.port = host, port
        self.serve_settings = serve or load_serve_settings()
        self.slack_settings = slack or SlackSettings()
        self.socket_mode = socket_mode
        self.log_level = log_level
        self.store = Store(settings.db)
        self.write_lock = self.store.write_lock  # every transaction on the store or a cursor holds it
        self.stores = StorePool(self.store)
        self._closed = False
        self._authorized = False   # Bolt's auth.test succeeded (it is cached from then on)
        self.socket_handler: Any = None
        self.started = threading.Event()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        try:
            self.slack_app = self._build_slack(client, answerer)
            self.mcp_app = self._build_mcp() if mcp else None
            slack_client = self.slack_app.client if self.slack_app is not None else client
            jobs = build_jobs(settings, self.serve_settings, client=slack_client,
                              slack=self.slack_settings, s3_client=s3_client)
            self.scheduler = Scheduler(self.stores.current, jobs, tick_seconds=self.serve_settings.tick_seconds)
            self.asgi = self._build_asgi()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ parts
    def _build_slack(self, client: Any, answerer: Any) -> Any:
        from concurrent.futures import ThreadPoolExecutor

        from slack_app.app import build_app

        s = self.slack_settings
        if self.socket_mode and not s.app_token:
            raise StewardError("--socket-mode needs SLACK_APP_TOKEN (an xapp- app-level token)")
        if not self.socket_mode and not s.signing_secret:
            log.warning("Slack is off: SLACK_SIGNING_SECRET is not set (set it, or use --socket-mode)")
            return None
        if not s.bot_token and client is None:
            log.warning("Slack is off: SLACK_BOT_TOKEN is not set")
            return None
        self.listener_executor = ThreadPoolExecutor(max_workers=max(1, self.serve_settings.slack_workers),
                                                    thread_name_prefix="steward-slack")
        app = build_app(self.settings, self.store, client=client, slack=s, answerer=answerer, stores=self.stores,
                        socket_mode=self.socket_mode,
                        listener_executor=self.listener_executor)
        if self.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            self.socket_handler = SocketModeHandler(app, s.secret("app_token"))
        return app

    def _build_mcp(self) -> Any:
        try:
            from mcp_server.http import build_http_app
        except ImportError as exc:
            log.info("MCP endpoint skipped: mcp_server.http is not available (%s)", exc)
            return None
        # the MCP server opens a cursor per request from this store: its writes and Slack's and the
        # scheduler's share the store's one write lock
        return build_http_app(self.store, self.settings, host=self.host, public_url=self.serve_settings.public_url)

    def _build_asgi(self) -> Any:
        import anyio.to_thread
        from slack_bolt.adapter.starlette.handler import (
            to_bolt_request,
            to_starlette_response,
        )
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        async def slack_events(request: Request) -> Response:
            if self.slack_app is None or self.socket_mode:
                return JSONResponse({"error": "Slack HTTP mode is not enabled on this server"}, status_code=503)
            body = await request.body()
            req = to_bolt_request(request, body)
            if self._authorized and body[:1] == b"{" and b'"event_callback"' in body[:4096]:
                # Events API, once Bolt has cached its auth.test: Bolt acknowledges before any listener
                # runs and hands the listener to its executor, so dispatch is ~1 ms of CPU (signature,
                # cached identity) with no network call: run it here, sparing a thread hand-off that
                # costs more than that when many requests arrive at once.
                return to_starlette_response(self.slack_app.dispatch(req))
            # the first requests (Bolt calls auth.test), commands, buttons and modals (Bolt waits for
            # the listener's ack()): off the event loop.
            resp = await anyio.to_thread.run_sync(self.slack_app.dispatch, req)
            if resp.status == 200:
                self._authorized = True
            return to_starlette_response(resp)

        async def healthz(request: Request) -> Response:
            return JSONResponse(await anyio.to_thread.run_sync(self.health))

        routes = [Route("/healthz", healthz, methods=["GET"]),
                  Route("/slack/events", slack_events, methods=["POST"])]
        if self.mcp_app is not None:
            routes.append(Route("/mcp", endpoint=self.mcp_app, methods=["GET", "POST", "DELETE"]))
        return Starlette(routes=routes, lifespan=self._lifespan)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Any) -> AsyncIterator[None]:
        import anyio.to_thread

        async with contextlib.AsyncExitStack() as stack:
            if self.mcp_app is not None:
                await stack.enter_async_context(self.mcp_app.lifespan())
            self.scheduler.start()
            if self.socket_handler is not None:
                await anyio.to_thread.run_sync(self.socket_handler.connect)
            self.started.set()
            try:
                yield
            finally:
                await anyio.to_thread.run_sync(self._stop_workers)

    def health(self) -> dict[str, Any]:
        store = self.stores.current()
        through = store.scalar("SELECT max(usage_date) FROM usage_daily WHERE charge_class = 'usage'")
        return {"ok": True, "store": str(self.store.path),
                "data_through": through.isoformat() if isinstance(through, date) else None,
                "slack": "off" if self.slack_app is None else ("socket" if self.socket_mode else "http"),
                "mcp": self.mcp_app is not None,
                "scheduler": {"running": self.scheduler.running, "busy": self.scheduler.busy,
                              "last": dict(self.scheduler.last)}}

    # ------------------------------------------------------------------ lifecycle
    def _stop_workers(self) -> None:
        """Stop everything that may use the store; what is in flight finishes first."""
        if self.socket_handler is not None:
            with contextlib.suppress(Exception):
                self.socket_handler.close()
        self.scheduler.stop()
        if self.slack_app is not None:
            self.slack_app.steward.shutdown()  # answers in flight finish; the chart process stops

    def close(self) -> None:
        """Close every cursor, then the store (DuckDB checkpoints the file on close)."""
        if self._closed:
            return
        self._closed = True
        with self.write_lock:
            self.stores.close()
            self.store.close()
        log.info("store %s closed", self.store.path)

    def _uvicorn(self) -> Any:
        self._server = _Uvicorn.make(self.asgi, self.log_level)
        return self._server

    def run(self) -> None:
        """Serve in the foreground until SIGTERM / SIGINT; then shut down cleanly and return."""
        sys.setswitchinterval(self.serve_settings.switch_interval_ms / 1000)  # this process is ours
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = self._uvicorn()

        def on_signal(signum: int, frame: Any) -> None:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True
            log.info("signal %s: shutting down", signal.Signals(signum).name)

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}

        def announce() -> None:  # once uvicorn listens
            while not server.started and not server.should_exit:
                time.sleep(0.01)
            if server.started:
                shown = f"[{self.host}]" if ":" in self.host else self.host
                print(f"Steward serving on http://{shown}:{self.port} (/healthz, /slack/events"
                      f"{', /mcp' if self.mcp_app is not None else ''}); Slack: {self.health_mode()}",
                      file=sys.stderr, flush=True)

        threading.Thread(target=announce, daemon=True, name="steward-announce").start()
        try:
            server.run(sockets=[sock])
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            self._stop_workers()
            self.close()

    def health_mode(self) -> str:
        return "off" if self.slack_app is None else ("socket mode" if self.socket_mode else "HTTP")

    def start(self, timeout: float = 15.0) -> StewardServer:
        """Serve on a background thread (tests, benchmarks); port 0 picks a free port."""
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = self._uvicorn()
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name="steward-serve")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not (server.started and self.started.is_set()):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise StewardError("steward serve did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=60)
        self._stop_workers()
        self.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"
