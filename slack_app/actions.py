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

import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_app import blocks as kit
from slack_app.interactions import (clicked, error_block, json_object, open_modal, selected, submission, tell,
                                    text_value)
from slack_app.modals import ALL, DECIDE_VIEW, REQUEST_VIEW, decide_modal, request_modal
from slack_app.runtime import Runtime
from tools.caller import Caller
from tools.errors import ToolError

log = logging.getLogger("steward.slack")


# ============================================================================ helpers

def _all_or(items: list[str], what: str) -> list[str]:
    if ALL in items:
        if len(items) > 1:
            raise ToolError(f"choose either 'All {what}' or specific {what}, not both")
        return []
    return items


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
        click = clicked(ack, body, action, context)
        open_modal(rt, client, click, "decide_model", {"model_id": click.value.get("m"), "state": state},
                   "Only a FinOps Lead can decide on models.",
                   lambda: decide_modal(rt, click.caller, state, click.value, click.channel, click.thread_ts))

    on_click.__name__ = f"decide_{state}_click"
    return on_click


def _decide_submit(rt: Runtime) -> Callable[..., None]:
    def on_submit(ack: Callable[..., None], body: dict, view: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        meta = json_object(view.get("private_metadata"))
        values = (view.get("state") or {}).get("values") or {}
        channel, thread_ts = meta.get("c"), meta.get("t")
        try:
            args = {"model_id": meta.get("m", ""), "state": meta.get("s", ""),
                    "products": selected(values, "products"),
                    "accounts": _all_or(selected(values, "accounts"), "accounts"),
                    "regions": _all_or(selected(values, "regions"), "regions"),
                    "action_scope": (selected(values, "action_scope") or ["inference_only"])[0],
                    "rationale": text_value(values, "rationale")}
        except ToolError as exc:
            ack(response_action="errors", errors={error_block(str(exc), set(values), "rationale"): str(exc)[:300]})
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

        submission(rt, ack, caller, "decide_model", args, set(values), "rationale", confirm, refused)

    return on_submit


def _request_click(rt: Runtime) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        click = clicked(ack, body, action, context)
        open_modal(rt, client, click, "request_model_access",
                   {"product": click.value.get("p"), "model_id": click.value.get("m")},
                   "Only a Product Owner can request model access for their product.",
                   lambda: request_modal(rt, click.caller, click.value, click.channel, click.thread_ts))

    return on_click


def _request_submit(rt: Runtime) -> Callable[..., None]:
    def on_submit(ack: Callable[..., None], view: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        meta = json_object(view.get("private_metadata"))
        values = (view.get("state") or {}).get("values") or {}
        args = {"product": meta.get("p"), "model_id": meta.get("m", ""), "accounts": selected(values, "accounts"),
                "regions": selected(values, "regions"), "reason": text_value(values, "reason")}

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

        submission(rt, ack, caller, "request_model_access", args, set(values), "reason", confirm, refused)

    return on_submit


def _approve_card(rt: Runtime) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        click = clicked(ack, body, action, context)
        clicked_block = (body.get("actions") or [{}])[0].get("block_id")
        rt.later(lambda: _approve(rt, client, click.caller, click.value, click.channel, body.get("message") or {},
                                  click.message_ts, clicked_block, click.user_id))

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
