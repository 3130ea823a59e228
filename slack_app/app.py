"""The Slack front door: `build_app(settings, store, ...)` returns a configured Bolt App.

Identity is resolved once per request in a global middleware, from the user id in the request
Slack signed: user id -> person (registry) -> Caller (scope). An unknown user gets a polite reply
that says how to be added, the attempt is audited, and nothing else happens. Listeners then build
the ToolContext for their own thread (DuckDB connections are per thread) and call the agent or the
tools; every tool call goes through tools.toolset, which checks the persona again.

Acknowledgement: event listeners are acknowledged by Bolt before they run; with
process_before_response=False (serve) the 200 goes back at once and the answer follows in the
thread; with process_before_response=True (tests) everything runs before dispatch returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from agent.answer import Answer
from ledger import audit, registry
from ledger.errors import StewardError
from ledger.store import Store
from slack_app import blocks as kit
from slack_app.config import SlackSettings
from steward.settings import Settings
from steward.wiring import thresholds
from tools import toolset
from tools.caller import Caller, resolve_caller
from tools.context import ToolContext
from tools.errors import NotAllowed, UnknownCaller

log = logging.getLogger("steward.slack")
CHANNEL = "slack"
MAX_CHARTS = 3

Answerer = Callable[[ToolContext, str, "str | None"], Answer]


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
        s = getattr(self._local, "store", None)
        if s is not None:
            return s
        with self._lock:
            if self.closed:
                raise StewardError("the store is closed: Steward is shutting down")
            for ident, (thread, old) in list(self._open.items()):  # threads that ended
                if not thread.is_alive():
                    old.close()
                    del self._open[ident]
            s = self.base.cursor()
            self._open[threading.get_ident()] = (threading.current_thread(), s)
        self._local.store = s
        return s

    def close(self) -> None:
        """Close every per-thread connection (the owner closes the base store)."""
        with self._lock:
            self.closed = True
            for _, s in self._open.values():
                try:
                    s.close()
                except Exception as exc:  # noqa: BLE001 - closing is best effort at shutdown
                    log.debug("closing a cursor: %s", exc)
            self._open.clear()


# ============================================================================ callers

class CallerCache:
    """Slack user id -> Caller, reused while the registry is unchanged and for at most `ttl` seconds.

    "Unchanged" is checked against a fingerprint (the last org.* / claim entry in the audit log). The
    fingerprint is read again only after a write transaction committed in this process (every
    registry change in `steward serve` is one: the serve process owns the file) or after
    `recheck` seconds, so a known user's request costs no query. Unknown users are never cached."""

    _FINGERPRINT = ("SELECT coalesce(max(seq), 0) FROM audit_log "
                    "WHERE starts_with(action, 'org.') OR action = 'tool.claim_principal'")

    def __init__(self, ttl: float, *, recheck: float = 2.0) -> None:
        self.ttl = ttl
        self.recheck = recheck
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, int, Caller]] = {}
        self._fp: tuple[int, int, float] | None = None  # (fingerprint, writes seen, read at)

    def _fingerprint(self, store: Store) -> int:
        writes = store.commits[0]
        now = time.monotonic()
        fp = self._fp
        if fp is not None and fp[1] == writes and now - fp[2] < self.recheck:
            return fp[0]
        value = store.scalar(self._FINGERPRINT)
        self._fp = (value, writes, now)
        return value

    def get(self, store: Store, slack_id: str) -> Caller | None:
        if self.ttl > 0:
            fingerprint = self._fingerprint(store)
            with self._lock:
                hit = self._entries.get(slack_id)
            if hit is not None and hit[1] == fingerprint and time.monotonic() - hit[0] < self.ttl:
                return hit[2]
        caller = None
        person = registry.person_by_slack_id(store, slack_id)
        if person is not None:
            try:
                caller = resolve_caller(store, person.email, channel=CHANNEL)
            except UnknownCaller:  # in the registry but with no role: treat as unknown
                caller = None
        if self.ttl > 0 and caller is not None:
            with self._lock:
                self._entries[slack_id] = (time.monotonic(), fingerprint, caller)
        return caller


# ============================================================================ runtime

@dataclass
class Runtime:
    """What every listener needs; built by build_app, never a module global."""

    settings: Settings
    slack: SlackSettings
    stores: StorePool
    answerer: Answerer
    callers: CallerCache
    executor: Executor
    inline: bool                                  # process_before_response: run follow-ups inline
    extra: dict[str, Any] = field(default_factory=dict)
    last_request: float = 0.0                     # monotonic time the latest request came in
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
        return ToolContext(store=self.stores.current(), caller=caller, today=self.settings.today(),
                           thresholds=thresholds(self.settings))

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
        """Wait for answers in flight, then stop the chart process (serve's shutdown calls this)."""
        if isinstance(self.executor, ThreadPoolExecutor):
            self.executor.shutdown(wait=True)
        with self._chart_lock:
            if self._chart_pool is not None:
                self._chart_pool.shutdown(wait=True)
                self._chart_pool = None

    def later(self, fn: Callable[[], None]) -> None:
        """Run after the acknowledgement: inline in tests, on the listener pool in serve."""
        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("background Slack task failed")
        if self.inline:
            run()
        else:
            self.executor.submit(run)


class AgentAnswerer:
    """The default answerer: agent.service.ask with agent_config(settings), imported on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ask: Callable[..., Answer] | None = None
        self._config: Any = None
        self._lock = threading.Lock()

    def __call__(self, ctx: ToolContext, question: str, thread_id: str | None) -> Answer:
        if self._ask is None:
            with self._lock:
                if self._ask is None:
                    try:
                        from agent.service import ask
                        from steward.cli_agent import agent_config
                    except ImportError as exc:
                        log.warning("agent.service is not available (%s); answering without it", exc)
                        return Answer(question=question, text="Steward's agent is not available on this "
                                      "server yet; ask your FinOps Lead.", refused="agent unavailable")
                    self._config = agent_config(self.settings)
                    self._ask = ask
        return self._ask(ctx, question, config=self._config, thread_id=thread_id)


# ============================================================================ factory

def build_app(settings: Settings, store: Store, *, client: WebClient | None = None,
              slack: SlackSettings | None = None, answerer: Answerer | None = None,
              stores: StorePool | None = None,
              process_before_response: bool = False, socket_mode: bool = False,
              listener_executor: Executor | None = None) -> App:
    """A Bolt App for Steward. `client` defaults to a WebClient on SLACK_BOT_TOKEN (and
    STEWARD_SLACK_API_URL if set); `answerer(ctx, question, thread_id) -> Answer` defaults to the agent."""
    slack = slack or SlackSettings()
    if client is None:
        kwargs = {"base_url": slack.api_url} if slack.api_url else {}
        client = WebClient(token=slack.secret("bot_token"), **kwargs)
    executor = listener_executor or ThreadPoolExecutor(max_workers=10, thread_name_prefix="steward-slack")
    signing_secret = slack.secret("signing_secret")
    if not socket_mode and not signing_secret:
        raise StewardError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests from Slack "
                           "(or use Socket Mode with SLACK_APP_TOKEN)")
    app = App(client=client, signing_secret=signing_secret or "socket-mode-unused",
              request_verification_enabled=not socket_mode, token_verification_enabled=False,
              process_before_response=process_before_response, listener_executor=executor,
              name="bedrock-steward")
    if stores is None:
        stores = StorePool(store)
    rt = Runtime(settings=settings, slack=slack, stores=stores, answerer=answerer or AgentAnswerer(settings),
                 callers=CallerCache(slack.caller_cache_seconds),
                 executor=executor, inline=process_before_response)
    app.steward = rt  # type: ignore[attr-defined]  # for serve's shutdown and for tests

    app.use(_identity_middleware(rt))
    _register_questions(app, rt)
    _register_home(app, rt)
    from slack_app import actions

    actions.register(app, rt)

    @app.error
    def on_error(error: Exception, body: dict, logger: logging.Logger) -> None:
        logger.error("unhandled error in a Slack listener: %s", type(error).__name__, exc_info=error)

    return app


# ============================================================================ identity

def _kind(body: dict) -> str:
    if body.get("command"):
        return "command"
    if body.get("type") == "event_callback":
        return (body.get("event") or {}).get("type", "event")
    return body.get("type") or "unknown"


def _identity_middleware(rt: Runtime) -> Callable[..., BoltResponse | None]:
    def identify(context: Any, body: dict, next: Callable[[], None], client: WebClient) -> BoltResponse | None:
        event = body.get("event") or {}
        if event and (event.get("bot_id") or event.get("subtype")):
            return BoltResponse(status=200, body="")  # other bots, edits, joins: nothing to do
        user_id = context.user_id
        if not user_id:
            return BoltResponse(status=200, body="")
        rt.last_request = time.monotonic()
        caller = rt.callers.get(rt.stores.current(), user_id)
        if caller is not None:
            context["caller"] = caller
            next()
            return None
        return _unknown(rt, body, user_id, client)

    return identify


def _unknown(rt: Runtime, body: dict, user_id: str, client: WebClient) -> BoltResponse:
    kind = _kind(body)
    event = body.get("event") or {}
    channel = body.get("channel_id") or event.get("channel") or (body.get("channel") or {}).get("id")
    text = kit.unknown_user_text(user_id)

    def follow_up() -> None:
        rt.audit(actor=f"slack:{user_id}", action="slack.unknown_user", subject=user_id, outcome="refused",
                 details={"request": kind, "team": body.get("team_id") or (body.get("team") or {}).get("id"),
                          "channel": channel}, why="Slack user id is not in the registry")
        try:
            if kind == "app_home_opened":
                client.views_publish(user_id=user_id, view=kit.unknown_home(user_id))
            elif kind == "message" and channel:
                client.chat_postMessage(channel=channel, text=text)
            elif kind in ("app_mention", "block_actions") and channel:
                client.chat_postEphemeral(channel=channel, user=user_id, text=text)
        except SlackApiError as exc:
            log.warning("could not reply to an unknown user: %s", exc.response.get("error"))

    rt.later(follow_up)
    if kind == "command":
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    return BoltResponse(status=200, body="")


# ============================================================================ questions

def _strip_mentions(text: str) -> str:
    import re

    return re.sub(r"<@[A-Z0-9]+(\|[^>]*)?>", "", text or "").strip()


def answer_in_slack(rt: Runtime, client: WebClient, caller: Caller, question: str, *, channel: str,
                    thread_ts: str | None, react_ts: str | None, thread_key: str,
                    respond: Callable[..., Any] | None = None) -> Answer:
    """Show work under way, ask the agent, post blocks in the thread (and a burn-up chart for estimates)."""
    rt.yield_to_acks()
    if react_ts:
        _react(client, "reactions_add", channel, react_ts, rt.slack.thinking_reaction)
    ctx = rt.ctx(caller)
    try:
        answer = rt.answerer(ctx, question, thread_key)
    except StewardError as exc:
        answer = Answer(question=question, text=str(exc), refused=type(exc).__name__)
    except Exception:
        log.exception("answering a Slack question failed")
        answer = Answer(question=question, text="Sorry, something went wrong while answering; it has been "
                        "logged. Please try again in a moment.", refused="internal error")
    out = kit.answer_blocks(answer, caller)
    if respond is not None:
        respond(text=kit.fallback_text(answer), blocks=out, response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=kit.fallback_text(answer), blocks=out)
        rt.yield_to_acks()
        _maybe_chart(rt, client, ctx, answer, channel, thread_ts)
    if react_ts:
        _react(client, "reactions_remove", channel, react_ts, rt.slack.thinking_reaction)
    return answer


def _react(client: WebClient, method: str, channel: str, ts: str, name: str) -> None:
    try:
        getattr(client, method)(channel=channel, timestamp=ts, name=name)
    except SlackApiError as exc:  # missing scope, already reacted: never block the answer on it
        log.info("%s failed: %s", method, exc.response.get("error"))


def _maybe_chart(rt: Runtime, client: WebClient, ctx: ToolContext, answer: Answer, channel: str,
                 thread_ts: str | None) -> None:
    if answer.refused:
        return
    from slack_app import chart

    for fact in [f for f in answer.facts if f.tool == "estimate_status" and f.result][:MAX_CHARTS]:
        try:
            inputs = chart.chart_inputs(ctx, fact.result)
            png = rt.render_chart(inputs)
            client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=png, filename=chart.filename(inputs),
                                   title=f"{fact.result['product']} burn-up {fact.result['month']}")
        except Exception as exc:  # noqa: BLE001 - the chart is a garnish: the answer is already posted
            log.warning("no burn-up chart: %s", exc)


def _register_questions(app: App, rt: Runtime) -> None:
    @app.event("app_mention")
    def on_mention(event: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        thread_ts = event.get("thread_ts") or event["ts"]
        answer_in_slack(rt, client, caller, _strip_mentions(event.get("text", "")), channel=event["channel"],
                        thread_ts=thread_ts, react_ts=event["ts"],
                        thread_key=f"slack:{event['channel']}:{thread_ts}:{context.user_id}")

    @app.event("message")
    def on_message(event: dict, context: Any, client: WebClient) -> None:
        if event.get("channel_type") != "im" or not (event.get("text") or "").strip():
            return
        caller: Caller = context["caller"]
        thread_ts = event.get("thread_ts")
        answer_in_slack(rt, client, caller, _strip_mentions(event["text"]), channel=event["channel"],
                        thread_ts=thread_ts, react_ts=event["ts"],
                        thread_key=f"slack:{event['channel']}:{thread_ts or 'dm'}:{context.user_id}")

    @app.command("/steward")
    def on_command(ack: Callable[..., None], command: dict, context: Any, client: WebClient,
                   respond: Callable[..., Any]) -> None:
        question = (command.get("text") or "").strip()
        if not question or question.lower() in ("help", "?"):
            ack(text="Ask me about your Bedrock spend, e.g. `/steward how are we doing against estimate?` "
                     "or `/steward any model drift this month?`. Your App Home shows your standing.")
            return
        ack(text=f":hourglass_flowing_sand: Working on: _{question[:200]}_")
        caller: Caller = context["caller"]
        answer_in_slack(rt, client, caller, question, channel=command.get("channel_id", ""), thread_ts=None,
                        react_ts=None, respond=respond,
                        thread_key=f"slack:{command.get('channel_id')}:command:{context.user_id}")


# ============================================================================ App Home

def home_for(rt: Runtime, caller: Caller) -> dict:
    """The App Home view: scope, and standing (a Product Owner's month to date against estimate)."""
    ctx = rt.ctx(caller)
    scope = rt.call(ctx, "my_scope", {}).model_dump(mode="json")
    standings = []
    for product in sorted(caller.owned_products):
        try:
            standings.append(rt.call(ctx, "estimate_status", {"product": product}).model_dump(mode="json"))
        except (NotAllowed, StewardError) as exc:
            log.info("no standing for %s: %s", product, exc)
    quota = None
    if caller.has("finops_lead") or caller.has("portfolio_manager"):
        try:
            quota = rt.call(ctx, "quota_status", {}).model_dump(mode="json")
        except StewardError as exc:
            log.info("no quota standing: %s", exc)
    tasks = None
    if caller.has("cloud_engineer"):
        try:
            q = rt.call(ctx, "task_queue", {}).model_dump(mode="json")
            tasks = len(q.get("tasks") or [])
        except StewardError as exc:
            log.info("no task queue: %s", exc)
    return kit.home_view(caller, scope, standings, quota, tasks)


def _register_home(app: App, rt: Runtime) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict, context: Any, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=context.user_id, view=home_for(rt, context["caller"]))
