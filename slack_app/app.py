"""The Slack front door: `build_app(store, slack=..., contexts=...)` returns a configured Bolt App.

Identity is resolved once per request in a global middleware, from the user id in the request
Slack signed: user id -> person (registry) -> Caller (scope). An unknown user gets a polite reply
that says how to be added, the attempt is audited, and nothing else happens. Listeners then build
the ToolContext for their own thread (DuckDB connections are per thread) and call the agent or the
tools; every tool call goes through tools.toolset, which checks the persona again.

Acknowledgement first: listeners acknowledge before any work and before any write, and return
at once: answers, writes and App Home go to the answer pool (Runtime.later), opening a modal to
the prompt pool (Runtime.soon), so nothing an answer does can occupy the acknowledgement path.
`steward serve` runs each listener on the thread that dispatched the request (ack_in_dispatch):
one thread hand-off per request instead of Bolt's three (listener pool, ack polling, back). With
process_before_response=True (tests) everything runs before dispatch returns.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from agent.answer import Answer
from agent.config import AgentConfig
from ledger.errors import StewardError
from ledger.store import Store
from slack_app import actions, claim_actions
from slack_app import blocks as kit
from slack_app.config import SlackSettings
from slack_app.mrkdwn import in_messages
from slack_app.runtime import AgentAnswerer, Answerer, CallerCache, ContextFactory, Runtime, StorePool
from tools.caller import Caller
from tools.context import ToolContext
from tools.errors import NotAllowed

log = logging.getLogger("steward.slack")
MAX_CHARTS = 3
ANSWERED_SUBTYPES = ("file_share",)  # a DM with a file attached: its text is answered


def honour_rate_limits(client: WebClient, retries: int = 3) -> WebClient:
    """Retry a call Slack answered 429, after its Retry-After (slack_sdk's handler); the default
    handlers retry connection errors only, so one 429 would lose an answer or a scheduled post."""
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=retries))
    return client


# ============================================================================ factory

def build_app(store: Store, *, slack: SlackSettings, contexts: ContextFactory,
              agent_config: Callable[[], AgentConfig] | None = None, client: WebClient | None = None,
              answerer: Answerer | None = None, stores: StorePool | None = None,
              process_before_response: bool = False, socket_mode: bool = False,
              listener_executor: Executor | None = None, answer_executor: Executor | None = None,
              ack_in_dispatch: bool = False) -> App:
    """A Bolt App for Steward. `contexts(cursor, caller)` builds a listener's ToolContext; `client`
    defaults to a WebClient on the bot token (and api_url if set); `answerer(ctx, question, thread_id)
    -> Answer` defaults to the agent with `agent_config()` (offline when not given).

    Two pools: `listener_executor` runs Bolt's listeners, which acknowledge and return, and opens
    modals (Runtime.soon); every slow step (answers, writes, App Home) goes to `answer_executor`, so no
    answer can occupy the acknowledgement path. `ack_in_dispatch` runs listeners on the dispatching
    thread (Bolt's process_before_response, follow-ups still on the pools): serve's acknowledgement pool."""
    if client is None:
        kwargs = {"base_url": slack.api_url} if slack.api_url else {}
        client = WebClient(token=slack.secret("bot_token"), **kwargs)
    honour_rate_limits(client)
    executor = listener_executor or ThreadPoolExecutor(max_workers=8, thread_name_prefix="steward-slack-ack")
    answers = answer_executor or ThreadPoolExecutor(max_workers=10, thread_name_prefix="steward-slack-answer")
    signing_secret = slack.secret("signing_secret")
    if not socket_mode and not signing_secret:
        raise StewardError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests from Slack "
                           "(or use Socket Mode with SLACK_APP_TOKEN)")
    app = App(client=client, signing_secret=signing_secret or "socket-mode-unused",
              request_verification_enabled=not socket_mode, token_verification_enabled=False,
              process_before_response=process_before_response or ack_in_dispatch, listener_executor=executor,
              name="bedrock-steward")
    if stores is None:
        stores = StorePool(store)
    answerer = answerer or AgentAnswerer(agent_config or (lambda: AgentConfig(mode="offline")))
    rt = Runtime(slack=slack, contexts=contexts, stores=stores, answerer=answerer,
                 callers=CallerCache(slack.caller_cache_seconds),
                 executor=answers, listeners=executor, inline=process_before_response)
    app.steward = rt  # type: ignore[attr-defined]  # for serve's shutdown and for tests

    app.use(_once_per_event(rt))
    app.use(_identity_middleware(rt))
    _register_questions(app, rt)
    _register_home(app, rt)
    actions.register(app, rt)
    claim_actions.register(app, rt)

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


def _once_per_event(rt: Runtime) -> Callable[..., BoltResponse | None]:
    def once(body: dict, next: Callable[[], None]) -> BoltResponse | None:
        event = body.get("event") or {}
        if body.get("type") == "event_callback" and body.get("event_id"):
            # The event itself with its id: what a retry or a replay repeats exactly.
            key = (body["event_id"], json.dumps(event, sort_keys=True))
            if not rt.seen_events.first_time(key):
                return BoltResponse(status=200, body="")  # a retry or a replay: answered already
        next()
        return None

    return once


def _identity_middleware(rt: Runtime) -> Callable[..., BoltResponse | None]:
    def identify(context: Any, body: dict, next: Callable[[], None], client: WebClient) -> BoltResponse | None:
        event = body.get("event") or {}
        if event and (event.get("bot_id") or event.get("subtype") not in (None, *ANSWERED_SUBTYPES)):
            return BoltResponse(status=200, body="")  # other bots, edits, joins: nothing to do
        user_id = context.user_id
        if not user_id:
            return BoltResponse(status=200, body="")
        rt.last_request = time.monotonic()
        caller = rt.callers.get(rt.stores.current(), user_id, later=rt.later_with_store)
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
        answer = Answer(question=question, text=str(exc), refused=type(exc).__name__, outcome="refused_scope")
    except Exception:
        log.exception("answering a Slack question failed")
        answer = Answer(question=question, text="Sorry, something went wrong while answering; it has been "
                        "logged. Please try again in a moment.", refused="internal error", outcome="error")
    metadata = {"event_type": "steward_answer",  # what kind of answer, for other apps
                "event_payload": {"outcome": answer.outcome, "family": answer.family or ""}}
    try:
        for blocks in in_messages(kit.answer_blocks(answer, caller)):  # a long answer continues
            if respond is not None:
                respond(text=kit.fallback_text(answer), blocks=blocks, response_type="ephemeral",
                        replace_original=False)
            else:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=kit.fallback_text(answer),
                                        blocks=blocks, metadata=metadata)
        if respond is None:
            rt.yield_to_acks()
            _maybe_chart(rt, client, ctx, answer, channel, thread_ts)
    finally:  # the hourglass goes whether or not Slack took the answer
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
        rt.later(lambda: answer_in_slack(
            rt, client, caller, _strip_mentions(event.get("text", "")), channel=event["channel"],
            thread_ts=thread_ts, react_ts=event["ts"], thread_key=f"slack:{event['channel']}:{thread_ts}:{context.user_id}"))

    @app.event("message")
    def on_message(event: dict, context: Any, client: WebClient) -> None:
        if event.get("channel_type") != "im":
            return
        question = _strip_mentions(event.get("text") or "")
        if not question:
            if event.get("files"):  # a file alone: say what Steward reads
                note = "I read the words of a message, not attached files: ask your question in text."
                rt.later(lambda: client.chat_postMessage(channel=event["channel"], text=note,
                                                         thread_ts=event.get("thread_ts")))
            return
        caller: Caller = context["caller"]
        thread_ts = event.get("thread_ts")
        rt.later(lambda: answer_in_slack(
            rt, client, caller, question, channel=event["channel"], thread_ts=thread_ts, react_ts=event["ts"],
            thread_key=f"slack:{event['channel']}:{thread_ts or 'dm'}:{context.user_id}"))

    @app.command("/steward")
    def on_command(ack: Callable[..., None], command: dict, context: Any, client: WebClient,
                   respond: Callable[..., Any]) -> None:
        question = (command.get("text") or "").strip()
        if not question or question.lower() in ("help", "?"):
            ack(text="Ask me about your Bedrock spend, e.g. `/steward how are we doing against estimate?` "
                     "or `/steward any model drift this month?`. Your App Home shows your standing.")
            return
        ack(text=f":hourglass_flowing_sand: Working on: _{kit.escape(question[:200])}_")
        caller: Caller = context["caller"]
        rt.later(lambda: answer_in_slack(
            rt, client, caller, question, channel=command.get("channel_id", ""), thread_ts=None, react_ts=None,
            respond=respond, thread_key=f"slack:{command.get('channel_id')}:command:{context.user_id}"))


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
            queue = rt.call(ctx, "task_queue", {}).model_dump(mode="json")
            tasks = len(queue.get("tasks") or [])
        except StewardError as exc:
            log.info("no task queue: %s", exc)
    return kit.home_view(caller, scope, standings, quota, tasks)


def _register_home(app: App, rt: Runtime) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict, context: Any, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        caller, user_id = context["caller"], context.user_id
        rt.later(lambda: client.views_publish(user_id=user_id, view=home_for(rt, caller)))
