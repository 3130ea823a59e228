"""Claims from Slack: a Claim button opens a modal (product, start day, reason); what needs a FinOps Lead
becomes a claim request posted to the FinOps channel with Approve / Reject, each opening a modal for the
rationale.

As for every button (slack_app.actions): the click is acknowledged first and the modal opened at once; a
submission is checked (persona, argument model), acknowledged, and written on the answer pool through
toolset.call, which checks the persona and scope again and audits a refusal. A button carries only the
principal or the request id; who acts is the signed request's user.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_app import blocks as kit
from slack_app.interactions import clicked, json_object, open_modal, selected, submission, tell, text_value
from slack_app.modals import single_select, text_input
from slack_app.runtime import Runtime
from tools.caller import Caller

log = logging.getLogger("steward.slack")
CLAIM_VIEW = "steward_claim"
DECIDE_CLAIM_VIEW = "steward_decide_claim"


def register(app: App, rt: Runtime) -> None:
    app.action(kit.CLAIM)(_claim_click(rt))
    app.view(CLAIM_VIEW)(_claim_submit(rt))
    for decision, action_id in kit.DECIDE_CLAIM.items():
        app.action(action_id)(_decide_click(rt, decision))
    app.view(DECIDE_CLAIM_VIEW)(_decide_submit(rt))


def _modal(callback: str, title: str, submit: str, meta: dict, blocks: list[dict]) -> dict:
    return {"type": "modal", "callback_id": callback, "title": {"type": "plain_text", "text": title},
            "submit": {"type": "plain_text", "text": submit}, "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps(meta), "blocks": blocks}


def claim_modal(caller: Caller, principal: str, channel: str | None) -> dict:
    """Which principal (unless the button named it), which product, from which day, and why. A FinOps Lead
    may choose any product, a Product Owner theirs."""
    products = sorted(caller.products if caller.has("finops_lead") else caller.owned_products)
    date_block = text_input("claimed_on", "Counts from (YYYY-MM-DD; empty: today)", min_length=10, multiline=False)
    date_block["optional"] = True
    what = f"`{kit.escape(principal)}`" if principal else "an IAM role or user"
    asked = [] if principal else [text_input("principal", "Role or user ARN, as the CUR shows it", multiline=False)]
    return _modal(CLAIM_VIEW, "Claim a principal", "Claim", {"pr": principal, "c": channel}, [
        kit.section(f"Claim {what}: its Bedrock spend counts for the product from the day you give. Outside "
                    "your part of the org, or before today, it becomes a request a FinOps Lead decides; nothing "
                    "about its spend is shown until then."),
        *asked,
        single_select("product", "Product", products),
        date_block,
        text_input("reason", "Why is it the product's?", min_length=10)])


def _claim_click(rt: Runtime) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        click = clicked(ack, body, action, context)
        principal = str(click.value.get("pr", ""))
        open_modal(rt, client, click, "claim_principal", {"principal": principal},
                   "Only a Product Owner or a FinOps Lead can claim principals.",
                   lambda: claim_modal(click.caller, principal, click.channel))

    return on_click


def request_blocks(request: dict, asker: Caller) -> list[dict]:
    """The FinOps channel's message about a new claim request, with Approve / Reject."""
    key = {"r": request["request_id"]}
    return [kit.section(f":inbox_tray: {kit.escape(asker.display)} asks to claim `{kit.escape(request['principal'])}` "
                        f"for *{kit.escape(request['product'])}* from {request['claimed_on']} "
                        f"({request['request_id']})."),
            {"type": "actions", "block_id": "claim_decision", "elements": [
                kit.button("Approve", kit.DECIDE_CLAIM["approve"], key, style="primary"),
                kit.button("Reject", kit.DECIDE_CLAIM["reject"], key, style="danger")]}]


def _claim_submit(rt: Runtime) -> Callable[..., None]:
    def on_submit(ack: Callable[..., None], view: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        meta = json_object(view.get("private_metadata"))
        values = (view.get("state") or {}).get("values") or {}
        args: dict[str, Any] = {"principal": meta.get("pr") or text_value(values, "principal"),
                                "product": (selected(values, "product") or [""])[0],
                                "reason": text_value(values, "reason")}
        if text_value(values, "claimed_on"):
            args["claimed_on"] = text_value(values, "claimed_on")

        def confirm(result: BaseModel) -> None:
            claim = result.model_dump(mode="json")
            tell(client, meta.get("c") or context.user_id, caller, claim["message"],
                 user_id=context.user_id if meta.get("c") else None)
            if claim["status"] == "requested" and rt.slack.finops_channel:
                try:
                    client.chat_postMessage(channel=rt.slack.finops_channel, text=f"Claim request {claim['request_id']}",
                                            blocks=request_blocks(claim, caller))
                except SlackApiError as exc:
                    log.info("could not post the claim request: %s", exc.response.get("error"))

        def refused(message: str) -> None:
            tell(client, meta.get("c") or context.user_id, caller, f"Nothing was claimed: {message}",
                 user_id=context.user_id if meta.get("c") else None)

        submission(rt, ack, caller, "claim_principal", args, set(values), "reason", confirm, refused)

    return on_submit


def _decide_click(rt: Runtime, decision: str) -> Callable[..., None]:
    def on_click(ack: Callable[..., None], body: dict, action: dict, context: Any, client: WebClient) -> None:
        click = clicked(ack, body, action, context)
        request_id = str(click.value.get("r", ""))
        meta = {"r": request_id, "d": decision, "c": click.channel, "ts": click.message_ts}
        outcome = (": the principal is claimed for the product from the asked-for day." if decision == "approve"
                   else ": nothing is claimed.")
        open_modal(rt, client, click, "decide_claim_request", {"request_id": request_id, "decision": decision},
                   "Only a FinOps Lead can decide claim requests.",
                   lambda: _modal(DECIDE_CLAIM_VIEW, f"{decision.capitalize()} claim request", decision.capitalize(),
                                  meta, [kit.section(f"{decision.capitalize()} {kit.escape(request_id)}{outcome}"),
                                         text_input("rationale", "Rationale (kept with the request and in the "
                                                    "audit log)", min_length=10)]))

    on_click.__name__ = f"claim_{decision}_click"
    return on_click


def _decide_submit(rt: Runtime) -> Callable[..., None]:
    def on_submit(ack: Callable[..., None], view: dict, context: Any, client: WebClient) -> None:
        caller: Caller = context["caller"]
        meta = json_object(view.get("private_metadata"))
        values = (view.get("state") or {}).get("values") or {}
        args = {"request_id": meta.get("r", ""), "decision": meta.get("d", ""), "rationale": text_value(values, "rationale")}
        channel = meta.get("c")

        def confirm(result: BaseModel) -> None:
            decided = result.model_dump(mode="json")
            note = f":white_check_mark: {caller.display}: {decided['message']}"
            try:
                if channel and meta.get("ts"):
                    client.chat_update(channel=channel, ts=meta["ts"], text=kit.escape(note), blocks=[kit.context(note)])
                    return
            except SlackApiError as exc:
                log.info("could not update the claim request message: %s", exc.response.get("error"))
            tell(client, channel or context.user_id, None, note, user_id=None)

        def refused(message: str) -> None:
            tell(client, channel or context.user_id, caller, f"The claim request was not decided: {message}",
                 user_id=context.user_id if channel else None)

        submission(rt, ack, caller, "decide_claim_request", args, set(values), "rationale", confirm, refused)

    return on_submit
