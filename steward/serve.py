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

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from typing import Any

from agent.service import warm as warm_agent
from ledger.errors import StewardError
from steward.jobs import Scheduler, build_jobs
from steward.settings import Settings
from steward.store_access import own_store
from steward.wiring import context_for, email_contexts, started_agent_config

log = logging.getLogger("steward.serve")
ACK_THREADS = 8     # dispatch Slack requests: signature, identity, the listener up to its ack; never answers
PROMPT_THREADS = 4  # open modals (a trigger_id lasts 3 s); never answers


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
                 socket_mode: bool = False, client: Any = None, answerer: Any = None, mcp: bool = True,
                 log_level: str = "warning", s3_client: Any = None,
                 model_client: Callable[[str], Any] | None = None) -> None:
        from slack_app.runtime import StorePool

        self.settings = settings
        self.host, self.port = host, port
        self.socket_mode = socket_mode
        self.log_level = log_level
        self.store, self.owner = own_store(settings.db)  # other steward commands go through us
        self.write_lock = self.store.write_lock  # every transaction on the store or a cursor holds it
        self.stores = StorePool(self.store)
        self._closed = False
        self.socket_handler: Any = None
        self.started = threading.Event()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        try:
            # Steward's own model is checked once, here: a retired or disabled model is said in the
            # start-up log (what to do) and Slack and MCP answer with the offline planner meanwhile
            self.agent_config = started_agent_config(settings, log.warning, model_client)
            try:
                warm_agent(self.agent_config())
            except Exception as exc:  # noqa: BLE001 - the first answer meets (and reports) the same problem
                log.warning("could not prepare the Bedrock agent before serving: %s", exc)
            self.slack_app = self._build_slack(client, answerer)
            self.mcp_app = self._build_mcp() if mcp else None
            slack_client = self.slack_app.client if self.slack_app is not None else client
            jobs = build_jobs(settings, client=slack_client, s3_client=s3_client)
            self.scheduler = Scheduler(self.stores.current, jobs, tick_seconds=settings.schedule.tick_seconds)
            self.asgi = self._build_asgi()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ parts
    def _build_slack(self, client: Any, answerer: Any) -> Any:
        from slack_app.app import build_app
        from slack_app.runtime import started_pool

        s = self.settings.slack
        if self.socket_mode and not s.app_token:
            raise StewardError("--socket-mode needs SLACK_APP_TOKEN (an xapp- app-level token)")
        if not self.socket_mode and not s.signing_secret:
            log.warning("Slack is off: SLACK_SIGNING_SECRET is not set (set it, or use --socket-mode)")
            return None
        if not s.bot_token and client is None:
            log.warning("Slack is off: SLACK_BOT_TOKEN is not set")
            return None
        # Acknowledgements, modals and answers on separate pools: no answer in flight can delay an ack.
        # Each request is dispatched on the ack pool and its listener runs there up to its ack
        # (ack_in_dispatch): one thread hand-off, where Bolt's own runner adds two more and a 10 ms
        # poll, each a wait for the GIL while answers compute.
        self.ack_executor = started_pool(ACK_THREADS, "steward-slack-ack")
        self.listener_executor = started_pool(PROMPT_THREADS, "steward-slack-prompt")
        self.answer_executor = started_pool(s.workers, "steward-slack-answer")
        app = build_app(self.store, slack=s, contexts=context_for(self.settings, snapshot=True),
                        agent_config=self.agent_config, client=client, answerer=answerer,
                        stores=self.stores, socket_mode=self.socket_mode, listener_executor=self.listener_executor,
                        answer_executor=self.answer_executor, ack_in_dispatch=not self.socket_mode)
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
        return build_http_app(self.store, email_contexts(self.settings, "mcp"),
                              agent_config=self.agent_config, host=self.host,
                              public_url=self.settings.mcp.public_url)

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
            # Every request off the event loop, on the ack pool (not anyio's threads, which MCP and
            # health checks share): identity may read the store, and a read waiting for the GIL
            # behind answer work must not hold up the requests arriving meanwhile.
            resp = await asyncio.get_running_loop().run_in_executor(self.ack_executor, self.slack_app.dispatch, req)
            return to_starlette_response(resp)

        async def healthz(request: Request) -> Response:
            return JSONResponse(await anyio.to_thread.run_sync(self.health))

        routes = [Route("/healthz", healthz, methods=["GET"]),
                  Route("/slack/events", slack_events, methods=["POST"])]
        if self.mcp_app is not None:
            routes.append(Route("/mcp", endpoint=self.mcp_app, methods=["GET", "POST", "DELETE"]))
            # OAuth discovery by IDE clients after a 401: the MCP app answers that tokens are static
            routes += [Route(path, endpoint=self.mcp_app, methods=["GET", "POST"])
                       for path in ("/.well-known/{rest:path}", "/register", "/authorize", "/token")]
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
            self.ack_executor.shutdown(wait=True)  # requests being dispatched are answered first
            self.slack_app.steward.shutdown()  # answers in flight finish; the chart process stops

    def close(self) -> None:
        """Close every cursor, then the store (DuckDB checkpoints the file on close)."""
        if self._closed:
            return
        self._closed = True
        self.owner.stop()  # other processes' open transactions roll back and release the lock
        with self.write_lock:
            self.stores.close()
            self.store.close()
        log.info("store %s closed", self.store.path)

    def _uvicorn(self) -> Any:
        self._server = _Uvicorn.make(self.asgi, self.log_level)
        return self._server

    def run(self) -> None:
        """Serve in the foreground until SIGTERM / SIGINT; then shut down cleanly and return."""
        sys.setswitchinterval(self.settings.switch_interval_ms / 1000)  # this process is ours
        # What is loaded by now (the agent's libraries, both apps) lives as long as the process: out
        # of the collector's full passes, which otherwise walk all of it holding the GIL, 100-180 ms
        # under load (measured with gc.callbacks during bench/slack.py), an acknowledgement's budget.
        gc.collect()
        gc.freeze()
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
