"""What every button and modal handler shares (slack_app.actions, slack_app.claim_actions): reading
Slack's payloads, a click acknowledged and its modal opened after the persona check, refusals on
record, short notes, and a submission checked before it is acknowledged and written after."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ledger.personas import persona_name
from slack_app import blocks as kit
from slack_app.runtime import Runtime
from tools import toolset
from tools.caller import Caller
from tools.errors import ToolError

log = logging.getLogger("steward.slack")


# ============================================================================ payloads

def json_object(text: str | None) -> dict:
    """A button value or a modal's private_metadata: a JSON object, or {} for anything else."""
    try:
        parsed = json.loads(text or "{}")
        return parsed if isinstance(parsed, dict) else {}
    except ValueError:
        return {}


def where(body: dict) -> tuple[str | None, str | None]:
    """(channel, thread ts) of the message a button sits on."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    return channel, message.get("thread_ts") or container.get("message_ts") or message.get("ts")


def selected(values: dict, block_id: str) -> list[str]:
    """Selected option values (multi or single select) or comma-separated text of an input block."""
    element = next(iter((values.get(block_id) or {}).values()), {}) or {}
    if element.get("selected_options") is not None:
        return [option["value"] for option in element["selected_options"]]
    if element.get("selected_option"):
        return [element["selected_option"]["value"]]
    text = element.get("value") or ""
    return [part.strip() for part in text.split(",") if part.strip()]


def text_value(values: dict, block_id: str) -> str:
    """The text typed into an input block, stripped."""
    element = next(iter((values.get(block_id) or {}).values()), {}) or {}
    return (element.get("value") or "").strip()


# ============================================================================ clicks

def allowed(caller: Caller, tool_name: str) -> bool:
    """Whether the caller's persona may use the tool a button leads to."""
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


@dataclass(frozen=True)
class Click:
    """A button click, already acknowledged: who clicked (the signed request's user), the button's
    value (a short key, never who acts), and the message it sits on."""

    caller: Caller
    value: dict
    channel: str | None
    thread_ts: str | None
    message_ts: str | None
    user_id: str | None
    trigger_id: str | None


def clicked(ack: Callable[..., None], body: dict, action: dict, context: Any) -> Click:
    """Acknowledge first (nothing runs before it), then read the click."""
    ack()
    channel, thread_ts = where(body)
    message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    return Click(caller=context["caller"], value=json_object(action.get("value")), channel=channel,
                 thread_ts=thread_ts, message_ts=message_ts, user_id=context.user_id,
                 trigger_id=body.get("trigger_id"))


def open_modal(rt: Runtime, client: WebClient, click: Click, tool_name: str, refused_args: dict,
               refusal: str, view: Callable[[], dict]) -> None:
    """On the prompt pool (never behind an answer, never before the ack): a persona that may not use
    `tool_name` is told `refusal` and the attempt audited; else the modal `view()` opens."""
    def run() -> None:
        if not allowed(click.caller, tool_name):
            refuse(rt, click.caller, tool_name, refused_args)
            tell(client, click.channel, click.caller, refusal, user_id=click.user_id)
            return
        client.views_open(trigger_id=click.trigger_id, view=view())

    rt.soon(run)


# ============================================================================ submissions

_FIELD_OF = (("account", "accounts"), ("region", "regions"), ("product", "products"),
             ("action_scope", "action_scope"))


def error_block(message: str, blocks_present: set[str], default: str) -> str:
    """The modal block a problem is shown under: the field it names, else `default`."""
    low = message.lower()
    for word, block in _FIELD_OF:
        if word in low and block in blocks_present:
            return block
    return default


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


def submission(rt: Runtime, ack: Callable[..., None], caller: Caller, tool_name: str, args: dict[str, Any],
               present: set[str], default_block: str, after: Callable[[BaseModel], None],
               on_error: Callable[[str], None]) -> None:
    """Check, acknowledge (the problem shown in the modal, or the modal closes), then write off the
    acknowledgement path; a write the store refuses after the modal closed is told (`on_error`) and,
    like every refusal, audited by toolset.call."""
    problem = problem_before_writing(caller, tool_name, args)
    if problem is not None:
        ack(response_action="errors", errors={error_block(problem, present, default_block): problem[:300]})
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
