"""Buttons and modals: a FinOps Lead's model decisions, a Product Owner's access requests and
spend-card approvals.

A button is only a shortcut. Every click and every modal submission re-checks the clicking user's
persona on the server: the identity middleware resolved the user from the signed request, the click
handler checks the tool's personas before opening a modal (a refusal is audited), and the submission
goes through toolset.call, which checks again and audits a refusal. Nothing in a payload (button
value, private_metadata) can choose who is acting; a button value is a short key (the model, the
product) and the rest is looked up when the modal opens.

Acknowledge first: a click is acknowledged before anything else and its modal opened at once (Slack's
trigger_id lasts 3 s); a submission is checked (persona, the tool's argument model), acknowledged
with the problem in the modal or closed, and only then written, off the acknowledgement path; what
the write itself refuses (an unknown account, a product not yours) is told in a message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ledger.personas import persona_name
from slack_app import blocks as kit
from slack_app.modals import ALL, DECIDE_VIEW, REQUEST_VIEW, decide_modal, request_modal
from slack_app.runtime import Runtime
from tools import toolset
from tools.caller import Caller
from tools.context import ToolContext
from tools.errors import ToolError

log = logging.getLogger("steward.slack")


# ============================================================================ helpers

def _value(action: dict) -> dict:
    try:
        parsed = json.loads(action.get("value") or "{}")
        return parsed if isinstance(parsed, dict) else {}
    except ValueError:
        return {}


def _where(body: dict) -> tuple[str | None, str | None]:
    """(channel, thread ts) of the message a button sits on."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    return channel, message.get("thread_ts") or container.get("message_ts") or message.get("ts")


def allowed(caller: Caller, tool_name: str) -> bool:
    t = toolset.get(tool_name)
    return t is not None and bool(t.personas & caller.personas)


def refuse(rt: Runtime, caller: Caller, tool_name: str, args: dict, stage: str = "slack button") -> None:
    """Audit a refused click or submission the way toolset.call audits a refused call."""
    rt.audit(actor=caller.email, persona=caller.primary_persona, action=f"tool.{tool_name}", subject="",
             details={"args": args, "channel": caller.channel, "stage": stage}, outcome="refused",
             why="persona not allowed")


def tell(client: WebClient, channel: str | None, caller: Caller | None, text: str, *, user_id: str | None,
         thread_ts: str | None = None) -> None:
    """A short note: ephemeral to `user_id` when given, else a message (escaped: plain words)."""
    if not channel:
        return
    text = kit.escape(text)[:3000]
    try:
        if user_id:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
        else:
            client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts)
    except SlackApiError as exc:
        log.info("could not post to %s: %s", channel, exc.response.get("error"))


def _read(values: dict, block_id: str) -> list[str]:
    """Selected option values (multi or single select) or comma-separated text of an input block."""
    element = next(iter((values.get(block_id) or {}).values()), {}) or {}
    if element.get("selected_options") is not None:
        return [option["value"] for option in element["selected_options"]]
    if element.get("selected_option"):
        return [element["selected_option"]["value"]]
    text = element.get("value") or ""
    return [part.strip() for part in text.split(",") if part.strip()]


def _read_text(values: dict, block_id: str) -> str:
    element = next(iter((values.get(block_id) or {}).values()), {}) or {}
    return (element.get("value") or "").strip()


def _all_or(items: list[str], what: str) -> list[str]:
    if ALL in items:
        if len(items) > 1:
            raise ToolError(f"choose either 'All {what}' or specific {what}, not both")
        return []
    return items


def _metadata(view: dict) -> dict:
    try:
        parsed = json.loads(view.get("private_metadata") or "{}")
        return parsed if isinstance(parsed, dict) else {}
    except ValueError:
        return {}


_FIELD_OF = (("account", "accounts"), ("region", "regions"), ("product", "products"),
             ("action_scope", "action_scope"))


def _error_block(message: str, blocks_present: set[str], default: str) -> str:
    low = message.lower()
    for word, block in _FIELD_OF:
        if word in low and block in blocks_present:
            return block
    return default


# ============================================================================ handlers

def register(app: App, rt: Runtime) -> None:
    for state, action_id in kit.DECIDE.items():
        app.action(action_id)(_decide_click(rt, state))
    app.action(kit.REQUEST_ACCESS)(_request_click(rt))
    app.action(kit.APPROVE_CARD)(_approve_card(rt))
    app.view(DECIDE_VIEW)(_decide_submit(rt))
    app.view(REQUEST_VIEW)(_request_submit(rt))


def _decide_click(rt: Runtime, state: str) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        ack()
        caller: Caller = context["caller"]
        value = _value(action)
        channel, thread_ts = _where(body)
        user_id = context.user_id

        def open_modal() -> None:  # on the prompt pool: never behind an answer, never before the ack
            if not allowed(caller, "decide_model"):
                refuse(rt, caller, "decide_model", {"model_id": value.get("m"), "state": state})
                tell(client, channel, caller, "Only a FinOps Lead can decide on models.", user_id=user_id)
                return
            client.views_open(trigger_id=body["trigger_id"],
                              view=decide_modal(rt, caller, state, value, channel, thread_ts))

        rt.soon(open_modal)

    on_click.__name__ = f"decide_{state}_click"
    return on_click


def refused_persona(caller: Caller, tool_name: str) -> str | None:
    """What toolset.call says when the caller's persona may not use the tool (None when it may)."""
    if allowed(caller, tool_name):
        return None
    return f"{tool_name} is not available to a {persona_name(caller.primary_persona)}"


def problem_before_writing(caller: Caller, tool_name: str, args: dict[str, Any]) -> str | None:
    """The checks that need neither the store nor a write, fast enough to run before acknowledging:
    the persona and the tool's own argument model (missing or too short fields). Rules that need the
    store are the write's."""
    refusal = refused_persona(caller, tool_name)
    if refusal is not None:
        return refusal
    tool = toolset.get(tool_name)
    try:
        tool.args_model.model_validate(args)  # type: ignore[union-attr]  # allowed() found the tool
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(str(part) for part in e['loc']) or 'arguments'}: {e['msg']}"
                         for e in exc.errors())
    return None


def _submission(rt: Runtime, ack: Callable[..., None], caller: Caller, tool_name: str, args: dict[str, Any],
                present: set[str], default_block: str, after: Callable[[BaseModel], None],
                on_error: Callable[[str], None]) -> None:
    """Check, acknowledge (the problem shown in the modal, or the modal closes), then write off the
    acknowledgement path; a write the store refuses after the modal closed is told (`on_error`) and,
    like every refusal, audited by toolset.call."""
    problem = problem_before_writing(caller, tool_name, args)
    if problem is not None:
        ack(response_action="errors", errors={_error_block(problem, present, default_block): problem[:300]})
        if refused_persona(caller, tool_name) is not None:
            rt.later(lambda: refuse(rt, caller, tool_name, args, "slack modal"))  # on record, after the ack
        return
    ack()

    def write() -> None:
        try:
            result = rt.call(rt.ctx(caller), tool_name, args)
        except ToolError as exc:
            on_error(str(exc))
            return
        after(result)

    rt.later(write)


def _decide_submit(rt: Runtime) -> Callable[..., None]:
    def on_submit(ack: Callable[..., None], body: dict, view: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        meta = _metadata(view)
        values = (view.get("state") or {}).get("values") or {}
        channel, thread_ts = meta.get("c"), meta.get("t")
        try:
            args = {"model_id": meta.get("m", ""), "state": meta.get("s", ""),
                    "products": _read(values, "products"),
                    "accounts": _all_or(_read(values, "accounts"), "accounts"),
                    "regions": _all_or(_read(values, "regions"), "regions"),
                    "action_scope": (_read(values, "action_scope") or ["inference_only"])[0],
                    "rationale": _read_text(values, "rationale")}
        except ToolError as exc:
            ack(response_action="errors", errors={_error_block(str(exc), set(values), "rationale"): str(exc)[:300]})
            return

        def confirm(decision: BaseModel) -> None:
            decided = decision.model_dump(mode="json")
            tell(client, channel, None,
                 f":white_check_mark: {caller.display} recorded *{decided['model_id']}*: "
                 f"{decided['previous_state']} → *{decided['state']}*. {len(decided.get('tasks') or [])} Cloud "
                 f"Engineer task(s) created. {decided.get('message', '')}", user_id=None, thread_ts=thread_ts)

        def refused(message: str) -> None:
            tell(client, channel or context.user_id, caller, f"The decision was not recorded: {message}",
                 user_id=context.user_id if channel else None)

        _submission(rt, ack, caller, "decide_model", args, set(values), "rationale", confirm, refused)

    return on_submit


def _request_click(rt: Runtime) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        ack()
        caller: Caller = context["caller"]
        value = _value(action)
        channel, thread_ts = _where(body)
        user_id = context.user_id

        def open_modal() -> None:  # on the prompt pool: never behind an answer, never before the ack
            if not allowed(caller, "request_model_access"):
                refuse(rt, caller, "request_model_access", {"product": value.get("p"), "model_id": value.get("m")})
                tell(client, channel, caller, "Only a Product Owner can request model access for their product.",
                     user_id=user_id)
                return
            client.views_open(trigger_id=body["trigger_id"],
                              view=request_modal(rt, caller, value, channel, thread_ts))

        rt.soon(open_modal)

    return on_click


def _request_submit(rt: Runtime) -> Callable[..., None]:
    def on_submit(ack: Callable[..., None], view: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        meta = _metadata(view)
        values = (view.get("state") or {}).get("values") or {}
        args = {"product": meta.get("p"), "model_id": meta.get("m", ""), "accounts": _read(values, "accounts"),
                "regions": _read(values, "regions"), "reason": _read_text(values, "reason")}

        def confirm(result: BaseModel) -> None:
            request = result.model_dump(mode="json")
            if meta.get("c"):
                tell(client, meta["c"], caller, f":incoming_envelope: {request['message']}", user_id=None)
            if rt.slack.finops_channel:
                tell(client, rt.slack.finops_channel, None,
                     f":inbox_tray: {caller.display} asks for *{request['model_id']}* for *{request['product']}* "
                     f"({request['request_id']}, currently {request['current_state']}).", user_id=None)

        def refused(message: str) -> None:
            tell(client, meta.get("c") or context.user_id, caller, f"The request was not sent: {message}",
                 user_id=context.user_id if meta.get("c") else None)

        _submission(rt, ack, caller, "request_model_access", args, set(values), "reason", confirm, refused)

    return on_submit


def _approve_card(rt: Runtime) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        ack()
        caller: Caller = context["caller"]
        value = _value(action)
        channel, _ = _where(body)
        message = body.get("message") or {}
        message_ts = (body.get("container") or {}).get("message_ts") or message.get("ts")
        clicked = (body.get("actions") or [{}])[0].get("block_id")
        rt.later(lambda: _approve(rt, client, caller, value, channel, message, message_ts, clicked, context.user_id))

    return on_click


def _approve(rt: Runtime, client: WebClient, caller: Caller, value: dict, channel: str | None, message: dict,
             message_ts: str | None, clicked: str | None, user_id: str | None) -> None:
    """Approve the card (after the click was acknowledged), then show who approved it on the card."""
    try:
        result = rt.call(rt.ctx(caller), "approve_spend_card", {"product": value.get("p"),
                                                                "week_start": value.get("w")})
    except ToolError as exc:  # NotAllowed included; toolset.call audited it
        tell(client, channel, caller, str(exc), user_id=user_id)
        return
    approval = result.model_dump(mode="json")
    note = (f":white_check_mark: Approved by {caller.display}"
            + (" (already approved)" if approval["already_approved"] else "")
            + f": {approval['product']}, week of {approval['week_start']}, ${approval['actual_usd']:,.2f}.")
    kept = [b for b in message.get("blocks") or [] if b.get("block_id") != clicked]
    try:
        if channel and message_ts:
            client.chat_update(channel=channel, ts=message_ts, text=kit.escape(note),
                               blocks=[*kept, kit.context(note)])
    except SlackApiError as exc:
        log.info("could not update the card: %s", exc.response.get("error"))
        tell(client, channel, caller, note, user_id=user_id)
