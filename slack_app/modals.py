"""The modals behind the buttons: a FinOps Lead's model decision and a Product Owner's access request,
with their first choices looked up from the drift the clicking user may see."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_app import blocks as kit
from slack_app.runtime import Runtime
from tools.caller import Caller
from tools.context import ToolContext
from tools.errors import ToolError

log = logging.getLogger("steward.slack")

DECIDE_VIEW = "steward_decide"
REQUEST_VIEW = "steward_request_access"
ALL = "*"
SCOPES = {"inference_only": "Inference only (agents via AWS MCP servers denied)",
          "agentic_read_only": "Agentic, read only", "agentic_read_write": "Agentic, read and write"}
_TITLES = {"approved": "Approve model", "restricted": "Restrict model", "blocked": "Block model"}


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


def text_input(block_id: str, label: str, *, min_length: int = 1, placeholder: str = "",
               multiline: bool = True) -> dict:
    """A required text input (action id `v`, as every input here)."""
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": "v", "multiline": multiline, "min_length": min_length,
                        "placeholder": {"type": "plain_text", "text": placeholder or label}}}


def single_select(block_id: str, label: str, values: list[str]) -> dict:
    """A required choice of one value; preselected when there is only one."""
    element: dict[str, Any] = {"type": "static_select", "action_id": "v", "options": _options([(v, v) for v in values]),
                               "placeholder": {"type": "plain_text", "text": "Choose"}}
    if len(values) == 1:
        element["initial_option"] = element["options"][0]
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label}, "element": element}


def where_used(rt: Runtime, ctx: ToolContext, model_id: str, product: str | None = None) -> dict[str, list[str]]:
    """The accounts, regions and products where `model_id` ran outside its approval this month, as the
    clicking user may see them (model_drift): the modal's first choices. A button carries only the model."""
    try:
        drift = rt.call(ctx, "model_drift", {}).model_dump(mode="json")
    except ToolError as exc:
        log.info("no drift lines for the modal: %s", exc)
        return {"accounts": [], "regions": [], "products": []}
    lines = [line for line in [*(drift.get("claimed") or []), *(drift.get("unattributed") or [])]
             if line.get("model_id") == model_id and (product is None or line.get("product") == product)]
    return {key: sorted({str(line[field]) for line in lines if line.get(field)})
            for key, field in (("accounts", "account_id"), ("regions", "region"), ("products", "product"))}


def decide_modal(rt: Runtime, caller: Caller, state: str, value: dict, channel: str | None,
                 thread_ts: str | None) -> dict:
    ctx = rt.ctx(caller)
    scope = rt.call(ctx, "my_scope", {}).model_dump(mode="json")
    model_id = str(value.get("m", ""))
    used = where_used(rt, ctx, model_id)
    accounts = sorted(set(scope["accounts"]) | set(used["accounts"]))
    regions = sorted(set(ctx.bedrock_regions) | set(used["regions"]))
    blocks: list[dict] = [kit.section(
        f"*{model_id}* → *{state}*\nThe decision replaces any earlier one on this model, is written to the "
        "catalog and the audit log, and creates a Cloud Engineer task for every claimed role whose "
        "Steward-Bedrock policy changes.")]
    if state == "restricted":
        blocks.append(_multi("products", "Products allowed", [(p, p) for p in scope["products"]], used["products"]))
    blocks += [
        _multi("accounts", "Accounts", [(ALL, "All accounts"), *[(a, a) for a in accounts]], used["accounts"],
               hint="Approvals do not carry across accounts."),
        _multi("regions", "Regions", [(ALL, "All regions"), *[(r, r) for r in regions]], used["regions"]),
        {"type": "input", "block_id": "action_scope", "label": {"type": "plain_text", "text": "Action scope"},
         "element": {"type": "static_select", "action_id": "v", "options": _options(list(SCOPES.items())),
                     "initial_option": _options([("inference_only", SCOPES["inference_only"])])[0]}},
        text_input("rationale", "Rationale (kept in the catalog and the audit log)", min_length=10),
    ]
    return {"type": "modal", "callback_id": DECIDE_VIEW, "title": {"type": "plain_text", "text": _TITLES[state]},
            "submit": {"type": "plain_text", "text": "Record decision"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps({"m": model_id, "s": state, "c": channel, "t": thread_ts}),
            "blocks": blocks}


def request_modal(rt: Runtime, caller: Caller, value: dict, channel: str | None, thread_ts: str | None) -> dict:
    ctx = rt.ctx(caller)
    scope = rt.call(ctx, "my_scope", {}).model_dump(mode="json")
    product, model_id = str(value.get("p", "")), str(value.get("m", ""))
    used = where_used(rt, ctx, model_id, product)
    accounts = sorted(set(scope["accounts"]) | set(used["accounts"]))
    regions = sorted(set(ctx.bedrock_regions) | set(used["regions"]))
    return {"type": "modal", "callback_id": REQUEST_VIEW,
            "title": {"type": "plain_text", "text": "Request model access"},
            "submit": {"type": "plain_text", "text": "Send request"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps({"p": product, "m": model_id, "c": channel, "t": thread_ts}),
            "blocks": [
                kit.section(f"Ask the FinOps Lead to approve *{model_id}* for *{product}*."),
                _multi("accounts", "Accounts", [(a, a) for a in accounts], used["accounts"], optional=True,
                       hint="Empty: the accounts of your product's claimed roles."),
                _multi("regions", "Regions", [(r, r) for r in regions], used["regions"], optional=True,
                       hint="Empty: any region."),
                text_input("reason", "Why does the product need this model?", min_length=10),
            ]}
