"""Block Kit rendering of Steward answers, spend cards, digests and the App Home.

Everything rendered comes from tool results, which the tools have already scoped to the caller;
this module only lays them out. Buttons depend on the caller's personas, and every click is
re-checked on the server (slack_app.actions), so a button is a convenience, never a permission.
"""

from __future__ import annotations

import json
from typing import Any

from agent.answer import Answer, Fact
from agent.render import render_result
from ledger.personas import persona_names
from slack_app.mrkdwn import FENCE, MESSAGE_BLOCKS, SECTION_LIMIT, escape, split_text, unique_block_ids
from tools.caller import Caller
from tools.display import day as _day
from tools.display import fmt, money, safe, signed_share, unit_money
from tools.display import share as pct

MAX_ROWS = 10
MAX_BUTTON_GROUPS = 5

# action ids (slack_app.actions listens for these)
DECIDE = {"approved": "steward_decide_approved", "restricted": "steward_decide_restricted",
          "blocked": "steward_decide_blocked"}
REQUEST_ACCESS = "steward_request_access"
APPROVE_CARD = "steward_approve_card"
CLAIM = "steward_claim"
DECIDE_CLAIM = {"approve": "steward_claim_approve", "reject": "steward_claim_reject"}


# ----------------------------------------------------------------------------- small helpers

def _words(s: str | None) -> str:
    return (s or "-").replace("_", " ")


def _clip(text: str, n: int) -> str:
    text = safe(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(text or "Steward", 150), "emoji": True}}


def sections(text: str) -> list[dict]:
    """`text` (plain words: escaped here) as one section per SECTION_LIMIT characters; none when it is empty."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
            for chunk in split_text(escape(text or ""))]


def section(text: str, **extra: Any) -> dict:
    """One section of short text (escaped here); a '-' stands in for empty text, which Slack rejects."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(escape(text), SECTION_LIMIT) or "-"}, **extra}


def fields(pairs: list[tuple[str, str]]) -> dict:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": _clip(escape(f"*{k}*\n{v}"), 2000)}
                                          for k, v in pairs[:10]]}


def context(*parts: str) -> dict:
    shown = [{"type": "mrkdwn", "text": _clip(escape(p), 3000)} for p in parts if p][:10]
    return {"type": "context", "elements": shown or [{"type": "mrkdwn", "text": "-"}]}


def button(text: str, action_id: str, value: dict, *, style: str | None = None) -> dict:
    """`value` is a short key (what the click is about); the click handler looks the rest up."""
    encoded = json.dumps(value, separators=(",", ":"))
    if len(encoded) > 2000:  # Slack's limit: a cut value would be broken JSON
        raise ValueError(f"button value over 2000 characters: {encoded[:80]}...")
    b = {"type": "button", "text": {"type": "plain_text", "text": _clip(text, 75)}, "action_id": action_id,
         "value": encoded}
    if style:
        b["style"] = style
    return b


def table(headers: list[str], rows: list[list[str]], *, right: set[int] | None = None, more: int = 0) -> dict:
    """A small monospaced table in a section (Block Kit has no table element for every client)."""
    right = right or set()
    cells = [headers, *rows]
    widths = [min(max(len(r[i]) for r in cells), 28) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(_clip(c, widths[i]).rjust(widths[i]) if i in right else _clip(c, widths[i]).ljust(widths[i])
                         for i, c in enumerate(r)).rstrip()

    text = FENCE + "\n" + "\n".join(line(r) for r in cells[:40]) + "\n" + FENCE
    if more:
        text += f"\n…and {more} more"
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(escape(text), SECTION_LIMIT)}}


def freshness_line(answer_freshness: str = "", data_through: Any = None) -> str:
    if answer_freshness:
        return answer_freshness
    return f"CUR data through {_day(data_through)}" if data_through else "No CUR data yet"


# ----------------------------------------------------------------------------- per-tool bodies

def _estimate(r: dict) -> tuple[str, list[dict]]:
    est = r.get("estimate_usd")
    head = f"{r['product']}: {money(r['actual_usd'])} month to date"
    head += f" of {money(est)} estimate ({pct(r.get('pct_used'))})" if est is not None else " (no estimate)"
    over = r.get("projected_overrun_usd") or 0
    pairs = [("Forecast (month end)", money(r.get("forecast_usd"))),
             ("Status", _words(r.get("status"))),
             ("Projected overrun" if over else "Headroom",
              money(over if over else r.get("projected_headroom_usd"))),
             ("Month", f"{r.get('month')} ({r.get('days_of_data')} of {r.get('days_in_month')} days)"),
             ("Cache hit rate", pct(r.get("cache_hit_rate"))),
             ("Credits and other", money(r.get("credits_and_other_usd")))]
    return head, [fields(pairs)]


def _breakdown(r: dict) -> tuple[str, list[dict]]:
    head = f"{money(r['total_usd'])} by {_words(r['by'])}, {r.get('period', '')}".rstrip(", ")
    rows = r.get("rows") or []
    body = [table([_words(r["by"]), "USD", "share", "vs prev"],
                  [[x["key"], money(x["usd"]), pct(x["share"]),
                    signed_share(x.get("change_pct"))] for x in rows[:MAX_ROWS]],
                  right={1, 2, 3}, more=max(len(rows) - MAX_ROWS, 0) + (r.get("other_groups") or 0))]
    return head, body


def _quota(r: dict) -> tuple[str, list[dict]]:
    counts = r.get("counts") or {}
    head = (f"Quota {r['month']}: {counts.get('exceeded', 0)} exceeded, {counts.get('warning', 0)} warning, "
            f"{counts.get('ok', 0)} ok")
    rows = r.get("products") or []
    body = [table(["product", "actual", "estimate", "used", "state"],
                  [[p["product"], money(p["actual_usd"]), money(p.get("estimate_usd")), pct(p.get("share_used")),
                    _words(p["state"])] for p in rows[:MAX_ROWS]],
                  right={1, 2, 3}, more=max(len(rows) - MAX_ROWS, 0))]
    return head, body


def _drift(r: dict) -> tuple[str, list[dict]]:
    lines = [*(r.get("claimed") or []), *(r.get("unattributed") or [])]
    head = (f"Model drift {r.get('period', '')}: {r.get('models', 0)} model(s) outside the catalog, "
            f"{money(r.get('total_usd'))}")
    body = []
    for x in sorted(lines, key=lambda x: -x["usd"])[:MAX_ROWS]:
        who = x.get("product") or _words(x.get("attribution"))
        body.append(section(f"*{x['model_name']}* · {who} · {x['account_id']} {x['region']} · {money(x['usd'])}\n"
                            f"_{x['reason']}_"))
    if len(lines) > MAX_ROWS:
        body.append(context(f"…and {len(lines) - MAX_ROWS} more"))
    return head, body


def _card(r: dict) -> tuple[str, list[dict]]:
    head = f"{r['product']} · week of {_day(r['week_start'])}: {money(r['actual_usd'])}"
    if r.get("estimate_usd") is not None:
        head += f" vs {money(r['estimate_usd'])} estimate"
    variance = r.get("variance_usd")
    pairs = [("Actual", money(r["actual_usd"])), ("Pro-rated estimate", money(r.get("estimate_usd"))),
             ("Variance", "-" if variance is None else f"{money(abs(variance))} {'over' if variance >= 0 else 'under'}"),
             ("Approval", r.get("approval", "-") + (f" by {r['approved_by']}" if r.get("approved_by") else ""))]
    for u in (r.get("unit_costs") or [])[:2]:  # a line per unit of value, when volumes are recorded
        pairs.append((f"Cost per {u['metric'].replace('_', ' ')}", unit_money(u.get("usd_per_unit"))
                      if u.get("usd_per_unit") is not None else "no volume recorded"))
    lines = r.get("lines") or []
    body = [fields(pairs),
            table(["model", "kind", "USD", "share"],
                  [[x["model"], x["kind"], money(x["usd"]), pct(x["share"])] for x in lines[:MAX_ROWS]],
                  right={2, 3}, more=max(len(lines) - MAX_ROWS, 0))]
    return head, body


def _generic(r: dict) -> tuple[str, list[dict]]:
    pairs, body = [], []
    for k, v in r.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            if not body:
                cols = [c for c in v[0] if not isinstance(v[0][c], (list, dict))][:5]
                body.append(table([_words(c) for c in cols], [[fmt(c, x.get(c)) for c in cols] for x in v[:MAX_ROWS]],
                                  more=max(len(v) - MAX_ROWS, 0)))
        elif not isinstance(v, (dict, list)) and k not in ("summary", "message"):
            pairs.append((_words(k).capitalize(), fmt(k, v)))
    return "", ([fields(pairs)] if pairs else []) + body


_BODIES = {"estimate_status": _estimate, "spend_breakdown": _breakdown, "quota_status": _quota,
           "model_drift": _drift, "spend_card": _card}


def primary_fact(answer: Answer) -> Fact | None:
    return next((f for f in answer.facts if f.result is not None), None)


# ----------------------------------------------------------------------------- buttons by persona

def drift_buttons(result: dict, caller: Caller) -> list[dict]:
    """FinOps Lead: Approve / Restrict / Block per model. Product Owner: Request access per own product."""
    lines = [*(result.get("claimed") or []), *(result.get("unattributed") or [])]
    blocks: list[dict] = []
    if caller.has("finops_lead"):
        by_model: dict[str, dict] = {}
        for line in lines:
            if line.get("model_id"):  # an unmapped billing name has no model id to decide on
                by_model.setdefault(line["model_id"], line["model_name"])
        for i, (model_id, name) in enumerate(list(by_model.items())[:MAX_BUTTON_GROUPS]):
            key = {"m": model_id}  # where it runs is looked up on click (slack_app.actions)
            blocks.append({"type": "actions", "block_id": f"decide_{i}", "elements": [
                button(f"Approve {name}", DECIDE["approved"], key, style="primary"),
                button("Restrict", DECIDE["restricted"], key),
                button("Block", DECIDE["blocked"], key, style="danger")]})
    if caller.has("product_owner"):
        wanted: dict[tuple[str, str], str] = {}
        for line in result.get("claimed") or []:
            if line.get("product") in caller.owned_products and line.get("model_id"):
                wanted.setdefault((line["product"], line["model_id"]), line["model_name"])
        for i, ((product, model_id), name) in enumerate(list(wanted.items())[:MAX_BUTTON_GROUPS]):
            blocks.append({"type": "actions", "block_id": f"request_{i}", "elements": [
                button(f"Request access: {name} for {product}", REQUEST_ACCESS, {"p": product, "m": model_id})]})
    return blocks


def claim_buttons(result: dict, caller: Caller) -> list[dict]:
    """Claim, per unclaimed role or user in an unattributed-spend answer, for those who may claim (a Product
    Owner's claim outside their part of the org becomes a request: slack_app.claim_actions)."""
    if not (caller.owned_products or caller.has("finops_lead")):
        return []
    lines = [line for group in result.get("groups") or [] for line in group.get("lines") or []]
    wanted = [line["principal"] for line in lines if line.get("reason") == "unclaimed"
              and line.get("principal_type") in ("role", "user") and not line.get("look_alike")]
    return [{"type": "actions", "block_id": f"claim_{i}", "elements": [
        button(f"Claim {principal.rsplit('/', 1)[-1]}", CLAIM, {"pr": principal})]}
        for i, principal in enumerate(list(dict.fromkeys(wanted))[:MAX_BUTTON_GROUPS])]


def card_button(result: dict, caller: Caller, index: int = 0) -> list[dict]:
    """Approve, for the card's Product Owner while the card awaits approval of a complete week."""
    if (caller.has("product_owner") and result.get("product") in caller.owned_products
            and result.get("approval") == "awaiting approval" and result.get("complete")):
        return [{"type": "actions", "block_id": f"card_actions_{index}", "elements": [
            button(f"Approve {result['product']}", APPROVE_CARD, {"p": result["product"], "w": str(result["week_start"])[:10]},
                   style="primary")]}]
    return []


# ----------------------------------------------------------------------------- answers

_TITLES = {"estimate_status": "Month to date against estimate", "spend_card": "Weekly spend cards"}


def answer_blocks(answer: Answer, caller: Caller) -> list[dict]:
    """Headline figure, the answer text, key fields, a small table, buttons, and a freshness line.
    An answer resting on several results of the same tool (one per product) shows each in turn."""
    facts = [f for f in answer.facts if f.result is not None] if not answer.refused else []
    head, body, buttons = "", [], []
    if facts:
        same = [f for f in facts if f.tool == facts[0].tool]
        render = _BODIES.get(facts[0].tool, _generic)
        if len(same) == 1:
            head, body = render(same[0].result or {})
        else:
            head = _TITLES.get(facts[0].tool, "")
            for f in same:
                h, b = render(f.result or {})
                body += [{"type": "divider"}, *([section(f"*{h}*")] if h else []), *b]
        for i, f in enumerate(same):
            if f.tool == "model_drift":
                buttons += drift_buttons(f.result or {}, caller)
            elif f.tool == "spend_card":
                buttons += card_button(f.result or {}, caller, i)
            elif f.tool == "unattributed_spend":
                buttons += claim_buttons(f.result or {}, caller)
    blocks: list[dict] = []
    if head:
        blocks.append(header(head))
    blocks += sections(answer.text or "I have no answer to that.")
    blocks += body
    blocks += buttons
    tools = ", ".join(dict.fromkeys(f.tool for f in answer.facts))
    through = answer.data_through or ((facts[0].result or {}).get("data_through") if facts else None)
    footer = context(freshness_line(answer.freshness, through), f"from {tools}" if tools else "",
                     "USD, unblended usage cost")
    return unique_block_ids([*blocks, footer])


def fallback_text(answer: Answer) -> str:
    """The notification text of an answer message (its blocks carry the whole answer)."""
    return _clip(escape(answer.text or "Steward answer"), 3000)


# ----------------------------------------------------------------------------- scheduled posts

def spend_card_blocks(card: dict, caller: Caller) -> list[dict]:
    head, body = _card(card)
    return [header(head), *sections(card.get("summary", "")), *body, *card_button(card, caller),
            context(freshness_line(data_through=card.get("data_through")), "Weekly spend card",
                    "USD, unblended usage cost; credits, refunds and taxes excluded")]


def drift_digest_blocks(drift: dict, caller: Caller) -> list[dict]:
    head, body = _drift(drift)
    return unique_block_ids([header(f"Nightly drift digest · {head}"), *sections(drift.get("summary", "")), *body,
                             *drift_buttons(drift, caller),
                             context(freshness_line(data_through=drift.get("data_through")))])[:MESSAGE_BLOCKS]


def quota_alert_blocks(q: dict, month: str, data_through: Any) -> list[dict]:
    level = "hard" if q["state"] == "exceeded" else "soft"
    icon = ":red_circle:" if q["state"] == "exceeded" else ":large_orange_circle:"
    text = (f"{icon} *{q['product']}* has {'exceeded' if q['state'] == 'exceeded' else 'passed the warning level of'} "
            f"its {month} estimate ({level} threshold): {money(q['actual_usd'])} of {money(q.get('estimate_usd'))} "
            f"({pct(q.get('share_used'))}); month-end forecast {money(q['forecast_usd'])}.")
    return [section(text), context(freshness_line(data_through=data_through))]


# ----------------------------------------------------------------------------- App Home

def home_view(caller: Caller, scope: dict, standings: list[dict], quota: dict | None, tasks: int | None) -> dict:
    personas = persona_names(caller.personas, ", ")
    blocks: list[dict] = [
        header(f"Bedrock Steward · {caller.display}"),
        section(f"*You are:* {personas}\n*You see:* "
                + ("every product (FinOps Lead)" if caller.all_access
                   else (", ".join(scope.get("products") or []) or "no products yet"))),
    ]
    for s in standings:
        head, body = _estimate(s)
        blocks += [{"type": "divider"}, *sections(f"*{head}*\n{render_result('estimate_status', s)}"), *body]
    if quota is not None and quota.get("products"):
        qhead, qbody = _quota(quota)
        blocks += [{"type": "divider"}, section(f"*{qhead}*"), *qbody]
    if tasks is not None:
        blocks += [{"type": "divider"}, section(f"*Engineer task queue:* {tasks} open task(s)")]
    if caller.owned_products or caller.has("finops_lead"):
        blocks.append({"type": "actions", "block_id": "home_claim", "elements": [
            button("Claim a principal", CLAIM, {})]})  # the modal asks which (slack_app.claim_actions)
    blocks += [{"type": "divider"},
               section("Ask me in a DM, mention me in a channel, or use `/steward <question>`, e.g. "
                       "_how are we doing against estimate?_"),
               context(freshness_line(data_through=scope.get("data_through")))]
    return {"type": "home", "blocks": unique_block_ids(blocks)[:100]}


def unknown_user_text(user_id: str) -> str:
    """Says how to be added and nothing else: no product, person or figure."""
    return (f"Hello! I don't know you yet, so I can't answer questions for you. To be added, ask a FinOps Lead "
            f"to add your Slack member id ({user_id}) to the Steward org file (people: slack_id) and apply it.")


def unknown_home(user_id: str) -> dict:
    return {"type": "home", "blocks": [header("Bedrock Steward"), *sections(unknown_user_text(user_id))]}
