"""What every Slack listener shares: a store cursor per thread, resolved callers, the answerer, the worker pool."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from agent.answer import Answer
from agent.config import AgentConfig
from ledger import audit, registry, versions
from ledger.errors import StewardError
from ledger.store import Store
from slack_app.config import SlackSettings
from tools import toolset
from tools.caller import Caller, resolve_caller
from tools.context import ToolContext
from tools.errors import UnknownCaller

log = logging.getLogger("steward.slack")
CHANNEL = "slack"

Answerer = Callable[[ToolContext, str, "str | None"], Answer]
ContextFactory = Callable[[Store, Caller], ToolContext]


# ============================================================================ store per thread

class StorePool:
    """One DuckDB connection (Store.cursor()) per thread, all on the one open database."""

    def __init__(self, store: Store) -> None:
        self.base = store
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: dict[int, tuple[threading.Thread, Store]] = {}
        self.closed = False

    def current(self) -> Store:
        cursor = getattr(self._local, "store", None)
        if cursor is not None:
            return cursor
        with self._lock:
            if self.closed:
                raise StewardError("the store is closed: Steward is shutting down")
            for ident, (thread, old) in list(self._open.items()):  # threads that ended
                if not thread.is_alive():
                    old.close()
                    del self._open[ident]
            cursor = self.base.cursor()
            self._open[threading.get_ident()] = (threading.current_thread(), cursor)
        self._local.store = cursor
        return cursor

    def close(self) -> None:
        """Close every per-thread connection (the owner closes the base store)."""
        with self._lock:
            self.closed = True
            for _, cursor in self._open.values():
                try:
                    cursor.close()
                except Exception as exc:  # noqa: BLE001 - closing is best effort at shutdown
                    log.debug("closing a cursor: %s", exc)
            self._open.clear()


def started_pool(workers: int, name: str) -> ThreadPoolExecutor:
    """A thread pool with every worker already running. ThreadPoolExecutor starts a thread on
    submit and waits until it runs, a wait for the GIL behind answer work: on the ack path that
    wait would be the acknowledgement's."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    barrier = threading.Barrier(workers)
    for _ in range(workers):  # each task holds its thread until all have started: one thread each
        pool.submit(barrier.wait, 30)
    return pool


# ============================================================================ callers

Later = Callable[[Callable[[Store], None]], None]  # run a job off the request, with its thread's cursor


class _Flight:
    """One read of a caller under way, for the lookups that wait for it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.caller: Caller | None = None


class CallerCache:
    """Slack user id -> Caller, reused while the registry is unchanged; read again `ttl` seconds on.

    "Unchanged" is the store's registry counter (ledger.versions): it moves when a transaction that
    changed people, roles, the hierarchy, accounts, claims or grants commits, in this process or in
    one joined to it through the store's owner, and not for the audit entries every answer writes;
    after it moved, the next lookup reads the registry before it answers. Reading it costs no query.
    The ttl only bounds what a change that was not audited could leave stale: an entry older than
    that, of the current counter, is served once more while it is read again off the request
    (`later`, the answer pool in serve), so a known user's request, the acknowledgement path, runs
    no SQL. `refreshes` counts reads of the registry. Unknown users are never cached."""

    FLIGHT_WAIT = 5.0  # seconds a lookup waits for the same read under way before reading itself

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.refreshes = 0
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, int, Caller]] = {}
        self._refreshing: set[str] = set()
        self._flights: dict[tuple[str, int], _Flight] = {}

    def get(self, store: Store, slack_id: str, *, later: Later | None = None) -> Caller | None:
        # Read before the registry is: a change committed meanwhile moves it past what is stored.
        version = store.version(versions.REGISTRY)
        with self._lock:
            hit = self._entries.get(slack_id) if self.ttl > 0 else None
        if hit is None or hit[1] != version:
            return self._read(store, slack_id, version)
        if time.monotonic() - hit[0] < self.ttl:
            return hit[2]
        if later is None:
            return self._read(store, slack_id, version)
        with self._lock:
            first = slack_id not in self._refreshing
            self._refreshing.add(slack_id)
        return self._served_while_refreshed(slack_id, later) if first else hit[2]

    def _served_while_refreshed(self, slack_id: str, later: Later) -> Caller | None:
        """The entry as it is once the refresh is under way (done already, when `later` runs inline)."""
        try:
            later(lambda cur: self._refresh(cur, slack_id))
        except RuntimeError:  # the pool is shut down (serve is stopping): serve the entry as it is
            with self._lock:
                self._refreshing.discard(slack_id)
        with self._lock:
            hit = self._entries.get(slack_id)
        return hit[2] if hit is not None else None

    def _refresh(self, store: Store, slack_id: str) -> None:
        try:
            self._read(store, slack_id, store.version(versions.REGISTRY))
        finally:
            with self._lock:
                self._refreshing.discard(slack_id)

    def _read(self, store: Store, slack_id: str, version: int) -> Caller | None:
        """Read the registry for `slack_id`. Lookups of the same user at the same counter that come
        meanwhile wait for this one read instead of each running it (a burst after a start or after
        a registry change would otherwise run one per request, each holding up the others)."""
        key = (slack_id, version)
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            if flight.done.wait(self.FLIGHT_WAIT) and flight.ok:
                return flight.caller
            return self._resolve(store, slack_id, version)  # that read failed or is stuck: read again
        try:
            flight.caller = self._resolve(store, slack_id, version)
            flight.ok = True
            return flight.caller
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def _resolve(self, store: Store, slack_id: str, version: int) -> Caller | None:
        with self._lock:
            self.refreshes += 1
        caller = None
        person = registry.person_by_slack_id(store, slack_id)
        if person is not None:
            try:
                caller = resolve_caller(store, person.email, channel=CHANNEL)
            except UnknownCaller:  # in the registry but with no role: treat as unknown
                caller = None
        if self.ttl > 0:
            with self._lock:
                if caller is None:
                    self._entries.pop(slack_id, None)
                else:
                    self._entries[slack_id] = (time.monotonic(), version, caller)
        return caller


# ============================================================================ runtime

class SeenEvents:
    """Event ids already taken in (Slack retries an event it thinks was missed, with the same event_id
    and X-Slack-Retry-Num; a replayed request repeats it too): each is answered once. Bounded."""

    def __init__(self, most: int = 10_000) -> None:
        self._seen: OrderedDict[tuple, None] = OrderedDict()
        self._lock = threading.Lock()
        self._most = most

    def first_time(self, key: tuple) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > self._most:
                self._seen.popitem(last=False)
            return True


@dataclass
class Runtime:
    """What every listener needs; built by build_app, never a module global."""

    slack: SlackSettings
    contexts: ContextFactory                      # (cursor, caller) -> ToolContext, built by steward
    stores: StorePool
    answerer: Answerer
    callers: CallerCache
    executor: Executor                            # the answer pool: answers, writes, App Home
    inline: bool                                  # process_before_response: run follow-ups inline
    listeners: Executor | None = None             # the prompt pool: modals to open within Slack's 3 s
    extra: dict[str, Any] = field(default_factory=dict)
    last_request: float = 0.0                     # monotonic time the latest request came in
    seen_events: SeenEvents = field(default_factory=SeenEvents)
    _chart_pool: Any = None
    _chart_lock: threading.Lock = field(default_factory=threading.Lock)

    def yield_to_acks(self, quiet: float = 0.015, most: float = 0.5) -> None:
        """Let a burst of incoming requests be acknowledged before heavy answer work starts.

        Answers are computed on worker threads that share the GIL with the thread acknowledging
        requests; Slack retries a request not acknowledged within 3 s, an answer can wait a moment.
        Waits until no request arrived for `quiet` seconds, at most `most` seconds."""
        if self.inline:
            return
        deadline = time.monotonic() + most
        while (now := time.monotonic()) < deadline and now - self.last_request < quiet:
            time.sleep(quiet)

    def ctx(self, caller: Caller) -> ToolContext:
        return self.contexts(self.stores.current(), caller)

    def call(self, ctx: ToolContext, name: str, args: dict[str, Any] | None = None) -> BaseModel:
        """toolset.call (persona check, audit of writes and refusals); writes take the store's
        write lock (Store.transaction)."""
        return toolset.call(ctx, name, args)

    def audit(self, **entry: Any) -> None:
        audit.append(self.stores.current(), **entry)

    def render_chart(self, inputs: dict) -> bytes:
        """The burn-up PNG. In serve it is drawn in a helper process: matplotlib holds the GIL for
        long stretches, which would delay the acknowledgement of requests arriving meanwhile."""
        from slack_app.chart import burnup_png

        if self.inline:
            return burnup_png(**inputs)
        with self._chart_lock:
            if self._chart_pool is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                self._chart_pool = ProcessPoolExecutor(max_workers=1,
                                                       mp_context=multiprocessing.get_context("spawn"))
        return self._chart_pool.submit(burnup_png, **inputs).result(timeout=60)

    def shutdown(self) -> None:
        """Wait for listeners, then answers in flight, then stop the chart process (serve's shutdown)."""
        for pool in (self.listeners, self.executor):
            if isinstance(pool, ThreadPoolExecutor):
                pool.shutdown(wait=True)
        with self._chart_lock:
            if self._chart_pool is not None:
                self._chart_pool.shutdown(wait=True)
                self._chart_pool = None

    def later_with_store(self, job: Callable[[Store], None]) -> None:
        """Runtime.later for a job that needs the store: it gets its own thread's cursor."""
        self.later(lambda: job(self.stores.current()))

    def later(self, fn: Callable[[], None]) -> None:
        """Run after the acknowledgement: inline in tests, on the answer pool in serve."""
        self._after_ack(fn, self.executor)

    def soon(self, fn: Callable[[], None]) -> None:
        """Run after the acknowledgement but never behind an answer (a modal: its trigger_id lasts 3 s):
        inline in tests, on the prompt pool in serve."""
        self._after_ack(fn, self.listeners or self.executor)

    def _after_ack(self, fn: Callable[[], None], pool: Executor) -> None:
        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("background Slack task failed")
        if self.inline:
            run()
        else:
            pool.submit(run)


class AgentAnswerer:
    """The default answerer: agent.service.ask with the AgentConfig steward resolved, imported on first use."""

    def __init__(self, agent_config: Callable[[], AgentConfig]) -> None:
        self.agent_config = agent_config

    def __call__(self, ctx: ToolContext, question: str, thread_id: str | None) -> Answer:
        from agent.service import ask

        return ask(ctx, question, config=self.agent_config(), thread_id=thread_id)
