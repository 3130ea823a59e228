"""Tool results -> concise answer text: figures with units and the period, what it means, what to
do next (seed 003's Agent Bill style). Used by the offline planner for every answer and by the
Bedrock path as its fallback (step bound reached, or an ungrounded answer replaced).

    render_facts(facts, view=View(labels=model_labels(store), persona="product_owner")) -> str
    render_result("estimate_status", result_or_dict, view=...) -> str

Every figure written here is a field of the tool result, rounded for display only, so the
grounding guard passes on this text. Nothing is summed or divided here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.answer import Fact
from ledger.personas import persona_names
from tools import display, toolset
from tools.catalog import names_text, plural, where_text


SCOPE_WORDS = {"inference_only": "inference only", "agentic_read_only": "agentic read-only",
               "agentic_read_write": "agentic read-write"}
KIND_WORDS = {"input": "input", "output": "output", "cache_read": "cache reads", "cache_write": "cache writes"}


@dataclass(frozen=True)
class View:
    """What the renderer may know besides the result: readable model names, and who is asking
    (only to choose the next-step hint)."""

    labels: Mapping[str, str] = field(default_factory=dict)
    persona: str | None = None
    owned: tuple[str, ...] = ()

    def model(self, model: str | None) -> str:
        if not model:
            return "an unknown model"
        return self.labels.get(model, model)


# ------------------------------------------------------------------------------ formatting

# One rule for every door (tools.display); an answer says "no figure" where a table shows "-", and
# gives a change's direction in words, so shares are unsigned here.

def usd(v: float | None) -> str:
    return display.money(v, none="no figure")


def pct(fraction: float | None) -> str:
    return display.share(None if fraction is None else abs(fraction), none="no figure")


def times(v: float) -> str:
    return display.ratio(v)


def tokens(v: float | None) -> str:
    return display.tokens(v, none="no figure")


def day(d: date, *, year: bool = False) -> str:
    return display.day(d, year=year)


month_label = display.month


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?:" else text + "."


def principal_name(principal: str) -> str:
    """'role checkout-bedrock', 'user alice', or the ARN."""
    if principal == "unknown":
        return "usage with no principal in the CUR"
    tail = principal.rsplit(":", 1)[-1]
    kind, _, name = tail.partition("/")
    return f"{kind} {name.rsplit('/', 1)[-1]}" if name else principal


# ------------------------------------------------------------------------------ per tool

def _estimate_status(s: Any, v: View, args: dict) -> str:
    month = month_label(s.month)
    complete = s.days_of_data >= s.days_in_month
    if s.data_through and not complete:
        span = f"month to date ({s.data_through:%b} 1–{s.data_through.day})"
    else:
        span = f"in {month}"
    if s.status == "no_usage":
        est = f" against a {usd(s.estimate_usd)} estimate" if s.estimate_usd is not None else ", and no estimate is set"
        return f"{s.product}: no Bedrock usage attributed in {month} yet{est}."
    if s.estimate_usd is None:
        text = f"{s.product}: {usd(s.actual_usd)} {span}, with no estimate set for {month}."
        if not complete:
            text += f" Forecast {usd(s.forecast_usd)} by month end."
        return text + (f" Set one so Steward can track it: 'set my estimate for {s.product} to <amount> "
                       f"for {month.split()[0]}'.")
    parts = [f"{s.product}: {usd(s.actual_usd)} {span} against a {usd(s.estimate_usd)} estimate"
             + (f" ({pct(s.pct_used)})." if s.pct_used is not None else ".")]
    over = s.projected_overrun_usd > 0
    if not complete:
        parts.append(f"Forecast {usd(s.forecast_usd)} by month end: "
                     + (f"on track to exceed it by {usd(s.projected_overrun_usd)}." if over
                        else f"within the estimate, {usd(s.projected_headroom_usd)} to spare."))
    else:
        parts.append(f"That is {usd(s.projected_overrun_usd)} over the estimate." if over
                     else f"That is {usd(s.projected_headroom_usd)} under the estimate.")
    detail = []
    if s.output_tokens_vs_estimate is not None and s.output_tokens_vs_estimate >= 1.2:
        detail.append(f"output tokens are {times(s.output_tokens_vs_estimate)} your token estimate")
    elif s.input_tokens_vs_estimate is not None and s.input_tokens_vs_estimate >= 1.2:
        detail.append(f"input tokens are {times(s.input_tokens_vs_estimate)} your token estimate")
    low_cache = s.cache_hit_rate is not None and s.cache_hit_rate < s.cache_hit_healthy
    if low_cache:
        detail.append(f"cache hit rate {pct(s.cache_hit_rate)}, below the healthy {pct(s.cache_hit_healthy)}")
    if detail:
        parts.append(sentence("; ".join(detail)))
    if over and low_cache:
        parts.append("Tightening your prompt cache could recover part of the overage.")
    elif over:
        parts.append("Ask 'how can I save' for ways to cut it, or raise the estimate if the growth is planned.")
    elif low_cache:
        parts.append("Within budget; caching repeated prompt prefixes would still lower the input cost "
                     "(ask 'how can I save' for an estimate).")
    else:
        parts.append("No action needed.")
    return " ".join(parts)


_STATE_WORDS = {"exceeded": "over its estimate", "warning": "near its estimate", "ok": "within its estimate"}


def _quota_status(q: Any, v: View, args: dict) -> str:
    head = f"Estimates for {month_label(q.month)}"
    if q.data_through:
        head += f" (data through {day(q.data_through)})"
    if not q.products:
        return head + ": no products in your scope."
    counts = [f"{q.counts[k]} {w}" for k, w in (("exceeded", "over"), ("warning", "near the limit"),
                                                  ("ok", "within"), ("no_estimate", "without an estimate"))
              if q.counts.get(k)]
    lines = [head + ": " + ", ".join(counts) + "."]
    for p in q.products[:12]:
        if p.state == "no_estimate":
            lines.append(f"- {p.product}: {usd(p.actual_usd)}, no estimate set.")
        else:
            lines.append(f"- {p.product}: {usd(p.actual_usd)} of {usd(p.estimate_usd)} ({pct(p.share_used)}), "
                         f"{_STATE_WORDS[p.state]}; forecast {usd(p.forecast_usd)}.")
    if len(q.products) > 12:
        lines.append(f"- and {len(q.products) - 12} more.")
    if q.counts.get("exceeded") or q.counts.get("warning"):
        lines.append("Ask '<product> estimate status' for the detail of one product.")
    return "\n".join(lines)


GROUP_NAMES = {"product": ("product", "products"), "portfolio": ("portfolio", "portfolios"),
               "department": ("department", "departments"), "business_unit": ("business unit", "business units"),
               "model": ("model", "models"), "model_family": ("model family", "model families"),
               "principal": ("principal", "principals"), "account": ("account", "accounts"),
               "region": ("region", "regions"), "kind": ("token kind", "token kinds"), "tier": ("tier", "tiers"),
               "day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months")}


TIME_ADJECTIVES = {"day": "Daily", "week": "Weekly", "month": "Monthly"}


def group_key(by: str, key: str, view: View) -> str:
    """A group's name for people: the model's label, 'role x', 'cache reads', 'unattributed spend'."""
    if by == "model":
        return view.model(key)
    if by == "principal":
        return principal_name(key)
    if by == "kind":
        return KIND_WORDS.get(key, key)
    if key == "(unattributed)":
        return "unattributed spend"
    return key


def _breakdown(b: Any, v: View, args: dict) -> str:
    through = b.data_through
    period = b.period
    if through and b.start <= through < b.end - timedelta(days=1):
        period += f" (through {day(through)})"
    where = render_spend.filters_text(args, v)
    if not b.rows:
        return f"No Bedrock spend{where} in {period}."

    def key(k: str) -> str:
        return group_key(b.by, k, v)

    prev = (month_label(f"{b.previous_start:%Y-%m}") if b.previous_start.day == 1 and b.previous_end.day == 1
            else f"the same days of {b.previous_start:%B}" if b.previous_start.day == 1 else "the period before")
    lines = []
    if b.by in TIME_ADJECTIVES:
        top = sorted(b.rows, key=lambda r: -r.usd)[:5]
        lines.append(f"{TIME_ADJECTIVES[b.by]} Bedrock spend{where}, "
                     f"{period}: highest {GROUP_NAMES[b.by][1]} "
                     + ", ".join(f"{r.key} {usd(r.usd)}" for r in top) + ".")
    elif len(b.rows) == 1 and not b.other_groups:
        r = b.rows[0]
        lines.append(f"By {GROUP_NAMES[b.by][0]}{where}, {period}: all of it is {key(r.key)}, {usd(r.usd)}"
                     + (f", against {usd(b.previous_total_usd)} in {prev}." if b.previous_total_usd else "."))
    else:
        first, *rest = b.rows
        lines.append(f"By {GROUP_NAMES[b.by][0]}{where}, {period}: {key(first.key)} leads at {usd(first.usd)} "
                     f"({pct(first.share)}), followed by "
                     + ", ".join(f"{key(r.key)} at {usd(r.usd)} ({pct(r.share)})" for r in rest) + ".")
    if len(b.rows) > 1 or b.other_groups or b.by in TIME_ADJECTIVES:
        total = f"Total {usd(b.total_usd)}"
        if b.previous_total_usd:
            total += f", against {usd(b.previous_total_usd)} in {prev}"
        lines.append(total + ".")
    if b.other_groups:
        one, many = GROUP_NAMES[b.by]
        lines.append(f"{plural(b.other_groups, 'smaller ' + one, 'smaller ' + many)} not listed.")
    if b.by not in TIME_ADJECTIVES:
        moves = [r for r in b.rows if r.change_pct is not None and abs(r.change_pct) >= 0.2]
        new = [r for r in b.rows if r.previous_usd == 0 and r.usd > 0]
        if moves:
            r = max(moves, key=lambda r: abs(r.change_pct))
            lines.append(f"Biggest change: {key(r.key)} {'up' if r.change_pct > 0 else 'down'} "
                         f"{pct(r.change_pct)} on {prev}.")
        if new and b.previous_total_usd:
            lines.append(f"New since {prev}: {', '.join(key(r.key) for r in new)}.")
    if any(r.key == "(unattributed)" for r in b.rows):
        lines.append("Unattributed spend has no product yet: ask 'what spend is unattributed' to see who "
                     "should claim it.")
    return " ".join(lines)


def _unattributed(u: Any, v: View, args: dict) -> str:
    lines = [u.summary]
    items = sorted((line for g in u.groups for line in g.lines), key=lambda x: -x.usd)
    for line in items[:5]:
        acct = f"{line.account_name} ({line.account_id})" if line.account_name else line.account_id
        why = {"unclaimed": "unclaimed", "no_principal": "no principal in the CUR",
               "before_claim": f"before its claim on {day(line.claimed_on, year=True)}" if line.claimed_on
               else "before its claim date"}[line.reason]
        top = f", mostly {v.model(line.top_models[0].name)}" if line.top_models else ""
        lines.append(f"- {principal_name(line.principal)} in {acct}: {usd(line.usd)}, {why}{top}.")
    if len(items) > 5:
        lines.append(f"- and {len(items) - 5} more.")
    first = next((x for x in items if x.reason == "unclaimed" and x.principal_type in ("role", "user")), None)
    if first is not None:
        lines.append(f"The Product Owner whose workload it is claims it: 'claim {first.principal} for <product>'.")
    return "\n".join(lines)


def _drift(d: Any, v: View, args: dict) -> str:
    text = d.summary
    if not d.models:
        return text
    if v.persona == "finops_lead":
        text += (" Decide on each model: 'approve <model id> in <account> <region> because ...' or "
                 "'block <model id> because ...'.")
    elif v.persona == "product_owner":
        text += (" Move that traffic to an approved model, or ask for access: "
                 "'request access to <model> for <product> because ...'.")
    else:
        text += " Product Owners can request access; the FinOps Lead decides."
    return text


def _catalog(c: Any, v: View, args: dict) -> str:
    lines = [c.summary]
    for e in c.entries[:15]:
        where = where_text(e.accounts, e.other_accounts, e.regions)
        if e.state == "blocked":
            what = "blocked"
        elif e.state == "restricted":
            what = f"restricted to {names_text(e.products, e.other_products, 'product')}, {where}"
        else:
            what = f"approved in {where}"
        lines.append(f"- {e.name}: {what}; {SCOPE_WORDS.get(e.action_scope, e.action_scope)}. {sentence(e.rationale)}")
    if len(c.entries) > 15:
        lines.append(f"- and {len(c.entries) - 15} more entries.")
    for m in c.unreviewed[:10]:
        if m.usd is not None:
            lines.append(f"- {m.name}: no catalog entry; {usd(m.usd)} in the last 90 days.")
    if c.entries:
        lines.append("Ask 'can I use <model> in <region>' for a yes or no in one account and region.")
    return "\n".join(lines)


def _model_status(s: Any, v: View, args: dict) -> str:
    return s.answer


def _spend_card(c: Any, v: View, args: dict) -> str:
    lines = [c.summary]
    if c.lines:
        lines.append("Largest lines: " + ", ".join(
            f"{v.model(x.model)} {KIND_WORDS.get(x.kind, x.kind)} {usd(x.usd)} ({pct(x.share)})"
            for x in c.lines[:3]) + ".")
    if c.approval != "approved" and c.complete:
        if v.persona == "product_owner" and c.product in v.owned:
            lines.append(f"Approve it with 'approve my {c.product} spend card for the week of {c.week_start}'.")
        else:
            lines.append("Its Product Owner approves it.")
    return " ".join(lines)


def _anomalies(a: Any, v: View, args: dict) -> str:
    if not a.anomalies:
        return (f"No spending spikes in {a.period}: no day stood out from its own recent baseline "
                f"({plural(a.series_checked, a.level + ' series', a.level + ' series')} checked).")
    lines = [f"{plural(len(a.anomalies) + a.more, 'spending spike')} in {a.period}:"]
    for x in a.anomalies[:5]:
        who = principal_name(x.principal) if x.principal else (x.product or "unattributed spend")
        mult = f" ({times(x.multiple_of_baseline)})" if x.multiple_of_baseline else ""
        lines.append(f"- {who} on {day(x.day)}: {usd(x.spend_usd)} against a typical {usd(x.baseline_median_usd)} "
                     f"a day{mult}, mostly {v.model(x.top_model)} ({usd(x.top_model_usd)}).")
    if len(a.anomalies) > 5 or a.more:
        lines.append(f"- and {len(a.anomalies) - min(len(a.anomalies), 5) + a.more} more.")
    lines.append("Check what changed on those days: a release, a batch job, a retry loop.")
    return "\n".join(lines)


def _recommendations(r: Any, v: View, args: dict) -> str:
    window = f"the last {r.days_of_data} days of usage" if r.days_of_data else "recent usage"
    if not r.recommendations:
        return f"No savings to recommend from {window}: models, caching and batch use already look right."
    lines = [f"Ways to save, from {window} at list prices as of {r.prices_as_of}:"]
    for x in r.recommendations[:5]:
        m = v.model(x.model)
        what = {
            "right_size": f"move part of the {m} traffic to {v.model(x.target_model)}"
                          + (" (not approved for it yet: request access first)" if x.target_approved is False else ""),
            "batch": f"run work that can wait on {m} as batch inference",
            "cache": f"raise the prompt-cache hit rate on {m} to the healthy level",
            "provisioned_throughput": f"buy provisioned throughput for {m}",
        }[x.kind]
        lines.append(f"- {x.product}: {what}, about {usd(x.monthly_saving_usd)} a month "
                     f"(on {usd(x.basis_monthly_usd)} a month of spend).")
    if len(r.recommendations) > 5 or r.more:
        lines.append(f"- and {len(r.recommendations) - min(len(r.recommendations), 5) + r.more} more.")
    lines.append("Each saving is an estimate under a stated assumption; start with the largest.")
    return "\n".join(lines)


def _task_queue(t: Any, v: View, args: dict) -> str:
    if not t.count:
        return f"No {t.status} tasks." + (" Nothing to implement right now." if t.status == "open" else "")
    lines = [f"{plural(t.count, t.status + ' task')}, oldest first:"]
    for x in t.tasks[:5]:
        why = f" Decided by {x.decided_by}" + (f": {x.why}" if x.why else "") + "." if x.decided_by else ""
        lines.append(f"- {x.task_id}: {x.title}.{why}")
        if x.status == "open":
            lines.append(f"  Run in account {x.account or 'the role account'}:\n  {x.command}")
    if t.count > 5:
        lines.append(f"- and {t.count - 5} more.")
    if t.status == "open":
        lines.append("Run each command as given, then mark it done: 'mark <task id> done'.")
    return "\n".join(lines)


def _complete_task(c: Any, v: View, args: dict) -> str:
    note = f" Note: {c.note}." if c.note else ""
    return f"{c.task_id} marked done by {c.completed_by} at {c.completed_at:%Y-%m-%d %H:%M}: {c.title}.{note}"


def _message(r: Any, v: View, args: dict) -> str:
    return r.message


def _set_estimate(e: Any, v: View, args: dict) -> str:
    text = f"Estimate for {e.product} in {month_label(e.month)} set to {usd(e.usd)}"
    text += f" (was {usd(e.previous_usd)})" if e.previous_usd is not None else " (new)"
    toks = [f"{tokens(n)} {k} tokens" for n, k in ((e.input_tokens, "input"), (e.output_tokens, "output")) if n]
    if toks:
        text += "; " + " and ".join(toks)
    return text + f". Steward now tracks {e.product} against it."


def _access_requests(lst: Any, v: View, args: dict) -> str:
    if not lst.count:
        return f"No {lst.status if lst.status != 'all' else ''} access requests.".replace("  ", " ")
    lines = [f"{plural(lst.count, (lst.status + ' ' if lst.status != 'all' else '') + 'access request')}:"]
    for r in lst.requests[:8]:
        where = ", ".join(r.accounts) or "its accounts"
        regions = ", ".join(r.regions) or "any region"
        status = "" if r.status == "open" else f" [{r.status}]"
        lines.append(f"- {r.request_id}{status}: {r.product} asks for {r.model_id} (now {r.current_state}) in "
                     f"{where}, {regions}; by {r.requested_by}: {r.reason}")
    if lst.count > 8:
        lines.append(f"- and {lst.count - 8} more.")
    if v.persona == "finops_lead" and any(r.status == "open" for r in lst.requests):
        lines.append("Decide one with 'approve <model id> in <account> <region> because ... for request <id>'.")
    return "\n".join(lines)


def _decide_model(d: Any, v: View, args: dict) -> str:
    text = d.message
    if d.tasks:
        text += " Tasks for the Cloud Engineer: " + ", ".join(t.task_id for t in d.tasks) + "."
    if d.warnings:
        text += " Note: " + "; ".join(d.warnings) + "."
    return text


def _pause(p: Any, v: View, args: dict) -> str:
    text = p.message
    if p.tasks:
        text += " Tasks: " + ", ".join(t.task_id for t in p.tasks) + "."
    return text


def _approve_card(a: Any, v: View, args: dict) -> str:
    if a.already_approved:
        return (f"The {a.product} spend card for the week of {a.week_start} was already approved by "
                f"{a.approved_by}; nothing changed.")
    return (f"Approved the {a.product} spend card for the week of {a.week_start} to {a.week_end} "
            f"({usd(a.actual_usd)} spent).")


def _iam_policy(p: Any, v: View, args: dict) -> str:
    if not p.roles:
        return f"{p.product} has no claimed IAM roles, so there is no role policy to apply yet."
    lines = [f"{p.product}: {plural(len(p.roles), 'claimed role')}."]
    for r in p.roles:
        size = (f"{r.largest_document_chars:,} of {r.limit:,} characters" if r.mode == "inline" else
                f"{r.chars:,} characters, split into {len(r.documents)} managed policies of at most {r.limit:,}")
        lines.append(f"- {r.role_name} in account {r.account}: allows "
                     f"{', '.join(v.model(m) for m in r.allowed_models) or 'no models'} on "
                     f"{plural(len(r.paths), 'path')}; {SCOPE_WORDS.get(r.action_scope, r.action_scope)}; {size}.")
        lines += [f"  * {line}" for line in r.summary]
        if r.unapproved_paths:
            lines.append(f"  Refused (in use, not approved): {'; '.join(r.unapproved_paths)}.")
        lines.append("  Apply with:\n  " + "\n  ".join(r.commands))
    if p.skipped:
        lines.append(f"Not roles (no role policy): {', '.join(p.skipped)}.")
    return "\n".join(lines)


def _my_scope(s: Any, v: View, args: dict) -> str:
    personas = persona_names(s.personas)
    text = f"You are {s.name or s.email} ({s.email}), {personas}."
    if s.all_access:
        text += f" You see the whole organisation: {plural(len(s.products), 'product')}."
    else:
        if s.owned_products:
            text += f" Product Owner of {names_text(s.owned_products, 0, 'product')}."
        if s.products:
            text += f" Products you can see: {', '.join(s.products)}."
        if s.accounts:
            text += f" Accounts whose unattributed spend you see: {', '.join(s.accounts)}."
    if s.data_through:
        text += f" CUR data runs through {day(s.data_through, year=True)}."
    return text


from agent import render_facets, render_spend  # noqa: E402 - they format with this module's helpers, above

RENDERERS: dict[str, Callable[[Any, View, dict], str]] = {
    "estimate_status": _estimate_status, "quota_status": _quota_status, "spend_breakdown": _breakdown,
    "unattributed_spend": _unattributed, "model_drift": _drift, "model_catalog": _catalog,
    "model_status": _model_status, "spend_card": _spend_card, "anomalies": _anomalies,
    "recommendations": _recommendations, "task_queue": _task_queue, "complete_task": _complete_task,
    "claim_principal": _message, "set_estimate": _set_estimate, "request_model_access": _message,
    "access_requests": _access_requests, "decide_model": _decide_model, "pause_product": _pause,
    "resume_product": _pause, "approve_spend_card": _approve_card, "iam_policy": _iam_policy,
    "model_lifecycle": lambda p, v, args: p.summary,
    "my_scope": _my_scope, "compare_spend": render_spend.comparison,
    "charges_breakdown": render_spend.charges,
    "cache_hit_rates": render_facets.cache_rates, "product_status": render_facets.product_status,
    "principal_claim": render_facets.principal_claim,
}


# ------------------------------------------------------------------------------ entry points

def _model_of(tool: str, result: BaseModel | dict[str, Any]) -> BaseModel | None:
    if isinstance(result, BaseModel):
        return result
    t = toolset.get(tool)
    if t is None:
        return None
    try:
        return t.result_model.model_validate(result)
    except ValidationError:
        return None


def _generic(result: BaseModel | dict[str, Any] | None) -> str:
    data = result.model_dump(mode="json") if isinstance(result, BaseModel) else (result or {})
    for key in ("answer", "summary", "message"):
        if isinstance(data.get(key), str) and data[key].strip():
            return data[key]
    return ""


def render_result(tool: str, result: BaseModel | dict[str, Any], *, view: View | None = None,
                  args: dict[str, Any] | None = None) -> str:
    """The answer text for one tool result (a result model or its JSON dump); names from outside never
    carry hidden characters raw (tools.display.safe)."""
    return display.safe(_render_result(tool, result, view=view, args=args))


def _render_result(tool: str, result: BaseModel | dict[str, Any], *, view: View | None = None,
                   args: dict[str, Any] | None = None) -> str:
    view = view or View()
    model = _model_of(tool, result)
    fn = RENDERERS.get(tool)
    if model is None or fn is None:
        return _generic(model or result)
    return fn(model, view, args or {})  # a renderer bug propagates: the answer is an `error`, not guesswork


def render_error(error: str) -> str:
    return sentence(error)


def render_fact(fact: Fact, *, view: View | None = None) -> str:
    if fact.error is not None:
        return render_error(fact.error)
    if fact.result is None:
        return ""
    return render_result(fact.tool, fact.result, view=view, args=fact.args)


def render_facts(facts: list[Fact], *, view: View | None = None) -> str:
    """All facts, one paragraph each (empty string when there is nothing to say). A paragraph said
    already is not repeated: e.g. the same refusal for each of a caller's products."""
    paragraphs = (render_fact(f, view=view) for f in facts)
    return "\n\n".join(dict.fromkeys(t for t in paragraphs if t))
