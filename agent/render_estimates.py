"""Answers about estimates and weekly spend cards: one product's status, every product's state, a card,
an estimate set, a card approved."""

from __future__ import annotations

from typing import Any

from agent.render_words import KIND_WORDS, View, day, month_label, pct, sentence, times, tokens, usd


def estimate_status(s: Any, v: View, args: dict) -> str:
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


def quota_status(q: Any, v: View, args: dict) -> str:
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



def spend_card(c: Any, v: View, args: dict) -> str:
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



def set_estimate(e: Any, v: View, args: dict) -> str:
    text = f"Estimate for {e.product} in {month_label(e.month)} set to {usd(e.usd)}"
    text += f" (was {usd(e.previous_usd)})" if e.previous_usd is not None else " (new)"
    toks = [f"{tokens(n)} {k} tokens" for n, k in ((e.input_tokens, "input"), (e.output_tokens, "output")) if n]
    if toks:
        text += "; " + " and ".join(toks)
    return text + f". Steward now tracks {e.product} against it."



def approve_card(a: Any, v: View, args: dict) -> str:
    if a.already_approved:
        return (f"The {a.product} spend card for the week of {a.week_start} was already approved by "
                f"{a.approved_by}; nothing changed.")
    return (f"Approved the {a.product} spend card for the week of {a.week_start} to {a.week_end} "
            f"({usd(a.actual_usd)} spent).")
