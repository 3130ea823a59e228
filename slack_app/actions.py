"""Buttons and modals: a FinOps Lead's model decisions, a Product Owner's access requests and
spend-card approvals.

A button is only a shortcut. Every click and every modal submission re-checks the clicking user's
persona on the server: the identity middleware resolved the user from the signed request, the click
handler checks the tool's personas before opening a modal (a refusal is audited), and the submission
goes through toolset.call, which checks again and audits a refusal. Nothing in a payload (button
value, private_metadata) can choose who is acting.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_app import blocks as kit
from slack_app.runtime import Runtime
from tools import toolset
from tools.caller import Caller
from tools.errors import NotAllowed, ToolError

log = logging.getLogger("steward.slack")

DECIDE_VIEW = "steward_decide"
REQUEST_VIEW = "steward_request_access"
ALL = "*"
SCOPES = {"inference_only": "Inference only (agents via AWS MCP servers denied)",
          "agentic_read_only": "Agentic, read only", "agentic_read_write": "Agentic, read and write"}
_TITLES = {"approved": "Approve model", "restricted": "Restrict model", "blocked": "Block model"}


# ============================================================================ helpers

def _value(action: dict) -> dict:
    try:
        parsed = json.loads(action.get("value") or "{}")
        return parsed if isinstance(parsed, dict) else {}
    except ValueError:
        return {}


def _strs(items: Any) -> list[str]:
    return [str(item) for item in items] if isinstance(items, list) else []


def _where(body: dict) -> tuple[str | None, str | None]:
    """(channel, thread ts) of the message a button sits on."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    return channel, message.get("thread_ts") or container.get("message_ts") or message.get("ts")


def allowed(caller: Caller, tool_name: str) -> bool:
    t = toolset.get(tool_name)
    return t is not None and bool(t.personas & caller.personas)


def refuse(rt: Runtime, caller: Caller, tool_name: str, args: dict) -> None:
    """Audit a refused click the way toolset.call audits a refused call."""
    rt.audit(actor=caller.email, persona=caller.primary_persona, action=f"tool.{tool_name}", subject="",
             details={"args": args, "channel": caller.channel, "stage": "slack button"}, outcome="refused",
             why="persona not allowed")


def tell(client: WebClient, channel: str | None, caller: Caller | None, text: str, *, user_id: str | None) -> None:
    if not channel:
        return
    try:
        if user_id:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
        else:
            client.chat_postMessage(channel=channel, text=text)
    except SlackApiError as exc:
        log.info("could not post to %s: %s", channel, exc.response.get("error"))


def _options(values: list[tuple[str, str]]) -> list[dict]:
    return [{"text": {"type": "plain_text", "text": label[:75]}, "value": value[:150]} for value, label in values][:100]


def _multi(block_id: str, label: str, options: list[tuple[str, str]], initial: list[str], *,
           optional: bool = False, hint: str | None = None) -> dict:
    opts = _options(options)
    element: dict[str, Any] = {"type": "multi_static_select", "action_id": "v", "options": opts,
                               "placeholder": {"type": "plain_text", "text": "Choose"}}
    chosen = [o for o in opts if o["value"] in initial]
    if chosen:
        element["initial_options"] = chosen
    block = {"type": "input", "block_id": block_id, "optional": optional, "element": element,
             "label": {"type": "plain_text", "text": label}}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _text_input(block_id: str, label: str, *, min_length: int = 1, placeholder: str = "") -> dict:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": "v", "multiline": True, "min_length": min_length,
                        "placeholder": {"type": "plain_text", "text": placeholder or label}}}


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


# ============================================================================ modals

def decide_modal(rt: Runtime, caller: Caller, state: str, value: dict, channel: str | None,
                 thread_ts: str | None) -> dict:
    ctx = rt.ctx(caller)
    scope = rt.call(ctx, "my_scope", {}).model_dump(mode="json")
    accounts = sorted(set(scope["accounts"]) | set(_strs(value.get("a"))))
    regions = sorted(set(ctx.bedrock_regions) | set(_strs(value.get("r"))))
    model_id = str(value.get("m", ""))
    blocks: list[dict] = [kit.section(
        f"*{model_id}* → *{state}*\nThe decision replaces any earlier one on this model, is written to the "
        "catalog and the audit log, and creates a Cloud Engineer task for every claimed role whose "
        "Steward-Bedrock policy changes.")]
    if state == "restricted":
        blocks.append(_multi("products", "Products allowed", [(p, p) for p in scope["products"]],
                             _strs(value.get("p"))))
    blocks += [
        _multi("accounts", "Accounts", [(ALL, "All accounts"), *[(a, a) for a in accounts]], _strs(value.get("a")),
               hint="Approvals do not carry across accounts."),
        _multi("regions", "Regions", [(ALL, "All regions"), *[(r, r) for r in regions]], _strs(value.get("r"))),
        {"type": "input", "block_id": "action_scope", "label": {"type": "plain_text", "text": "Action scope"},
         "element": {"type": "static_select", "action_id": "v", "options": _options(list(SCOPES.items())),
                     "initial_option": _options([("inference_only", SCOPES["inference_only"])])[0]}},
        _text_input("rationale", "Rationale (kept in the catalog and the audit log)", min_length=10),
    ]
    return {"type": "modal", "callback_id": DECIDE_VIEW, "title": {"type": "plain_text", "text": _TITLES[state]},
            "submit": {"type": "plain_text", "text": "Record decision"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps({"m": model_id, "s": state, "c": channel, "t": thread_ts}),
            "blocks": blocks}


def request_modal(rt: Runtime, caller: Caller, value: dict, channel: str | None, thread_ts: str | None) -> dict:
    ctx = rt.ctx(caller)
    scope = rt.call(ctx, "my_scope", {}).model_dump(mode="json")
    accounts = sorted(set(scope["accounts"]) | set(_strs(value.get("a"))))
    regions = sorted(set(ctx.bedrock_regions) | set(_strs(value.get("r"))))
    product, model_id = str(value.get("p", "")), str(value.get("m", ""))
    return {"type": "modal", "callback_id": REQUEST_VIEW,
            "title": {"type": "plain_text", "text": "Request model access"},
            "submit": {"type": "plain_text", "text": "Send request"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps({"p": product, "m": model_id, "c": channel, "t": thread_ts}),
            "blocks": [
                kit.section(f"Ask the FinOps Lead to approve *{model_id}* for *{product}*."),
                _multi("accounts", "Accounts", [(a, a) for a in accounts], _strs(value.get("a")), optional=True,
                       hint="Empty: the accounts of your product's claimed roles."),
                _multi("regions", "Regions", [(r, r) for r in regions], _strs(value.get("r")), optional=True,
                       hint="Empty: any region."),
                _text_input("reason", "Why does the product need this model?", min_length=10),
            ]}


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
        if not allowed(caller, "decide_model"):
            refuse(rt, caller, "decide_model", {"model_id": value.get("m"), "state": state})
            tell(client, channel, caller, "Only a FinOps Lead can decide on models.", user_id=context.user_id)
            return
        client.views_open(trigger_id=body["trigger_id"],
                          view=decide_modal(rt, caller, state, value, channel, thread_ts))

    on_click.__name__ = f"decide_{state}_click"
    return on_click


def _decide_submit(rt: Runtime) -> Callable[..., None]:
    def on_submit(ack: Callable[..., None], body: dict, view: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        meta = _metadata(view)
        values = (view.get("state") or {}).get("values") or {}
        present = set(values)
        try:
            args = {"model_id": meta.get("m", ""), "state": meta.get("s", ""),
                    "products": _read(values, "products"),
                    "accounts": _all_or(_read(values, "accounts"), "accounts"),
                    "regions": _all_or(_read(values, "regions"), "regions"),
                    "action_scope": (_read(values, "action_scope") or ["inference_only"])[0],
                    "rationale": _read_text(values, "rationale")}
            decision = rt.call(rt.ctx(caller), "decide_model", args)
        except NotAllowed as exc:  # toolset.call audited the refusal
            ack(response_action="errors", errors={"rationale": str(exc)})
            return
        except ToolError as exc:
            ack(response_action="errors", errors={_error_block(str(exc), present, "rationale"): str(exc)[:300]})
            return
        ack()
        decided = decision.model_dump(mode="json")
        text = (f":white_check_mark: {caller.display} recorded *{decided['model_id']}*: "
                f"{decided['previous_state']} → "
                f"*{decided['state']}*. {len(decided.get('tasks') or [])} Cloud Engineer task(s) created. "
                f"{decided.get('message', '')}")
        channel, thread_ts = meta.get("c"), meta.get("t")
        if channel:
            try:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text[:3000])
            except SlackApiError as exc:
                log.info("could not confirm the decision in %s: %s", channel, exc.response.get("error"))

    return on_submit


def _request_click(rt: Runtime) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        ack()
        caller: Caller = context["caller"]
        value = _value(action)
        channel, thread_ts = _where(body)
        if not allowed(caller, "request_model_access"):
            refuse(rt, caller, "request_model_access", {"product": value.get("p"), "model_id": value.get("m")})
            tell(client, channel, caller, "Only a Product Owner can request model access for their product.",
                 user_id=context.user_id)
            return
        client.views_open(trigger_id=body["trigger_id"], view=request_modal(rt, caller, value, channel, thread_ts))

    return on_click


def _request_submit(rt: Runtime) -> Callable[..., None]:
    def on_submit(ack: Callable[..., None], view: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        meta = _metadata(view)
        values = (view.get("state") or {}).get("values") or {}
        try:
            result = rt.call(rt.ctx(caller), "request_model_access", {
                "product": meta.get("p"), "model_id": meta.get("m", ""), "accounts": _read(values, "accounts"),
                "regions": _read(values, "regions"), "reason": _read_text(values, "reason")})
        except ToolError as exc:  # NotAllowed included; toolset.call audited it
            ack(response_action="errors", errors={_error_block(str(exc), set(values), "reason"): str(exc)[:300]})
            return
        ack()
        request = result.model_dump(mode="json")
        if meta.get("c"):
            tell(client, meta["c"], caller, f":incoming_envelope: {request['message']}", user_id=None)
        if rt.slack.finops_channel:
            tell(client, rt.slack.finops_channel, None,
                 f":inbox_tray: {caller.display} asks for *{request['model_id']}* for *{request['product']}* "
                 f"({request['request_id']}, currently {request['current_state']}).", user_id=None)

    return on_submit


def _approve_card(rt: Runtime) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        ack()
        caller: Caller = context["caller"]
        value = _value(action)
        channel, _ = _where(body)
        try:
            result = rt.call(rt.ctx(caller), "approve_spend_card", {"product": value.get("p"),
                                                                    "week_start": value.get("w")})
        except ToolError as exc:  # NotAllowed included; toolset.call audited it
            tell(client, channel, caller, str(exc), user_id=context.user_id)
            return
        approval = result.model_dump(mode="json")
        note = (f":white_check_mark: Approved by {caller.display}"
                + (" (already approved)" if approval["already_approved"] else "")
                + f": {approval['product']}, week of "
                f"{approval['week_start']}, ${approval['actual_usd']:,.2f}.")
        message = body.get("message") or {}
        message_ts = (body.get("container") or {}).get("message_ts") or message.get("ts")
        clicked = (body.get("actions") or [{}])[0].get("block_id")
        kept = [b for b in message.get("blocks") or [] if b.get("block_id") != clicked]
        try:
            if channel and message_ts:
                client.chat_update(channel=channel, ts=message_ts, text=note, blocks=[*kept, kit.context(note)])
        except SlackApiError as exc:
            log.info("could not update the card: %s", exc.response.get("error"))
            tell(client, channel, caller, note, user_id=context.user_id)

    return on_click
