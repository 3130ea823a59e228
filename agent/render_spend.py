"""Spend answers: one breakdown (spend_breakdown), two windows compared (compare_spend), non-usage
charges, and the filters an answer was narrowed by, in words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.render_words import (GROUP_NAMES, KIND_WORDS, TIME_ADJECTIVES, View, day, group_key, month_label,
                                pct, usd)
from tools.catalog import plural

FILTER_WORDS = (("product", "for {}"), ("owner", "for {}'s products"), ("portfolio", "for {}"),
                ("department", "for {}"), ("business_unit", "for {}"), ("account", "in account {}"), ("region", "in {}"),
                ("model_family", "on {} models"), ("tier", "on the {} tier"), ("kind", "for {} tokens"))


def filters_text(args: dict[str, Any], view: View) -> str:
    """' for Checkout Service in account 444455556666 on Claude Opus 4.6', or '' without filters."""
    parts = [template.format(KIND_WORDS.get(args[key], args[key]) if key == "kind" else args[key])
             for key, template in FILTER_WORDS if args.get(key)]
    if args.get("model"):
        parts.append(f"on {view.model(args['model'])}")
    if args.get("cost") == "net_unblended":
        parts.append("net of discounts")
    return (" " + " ".join(parts)) if parts else ""


def _through(label: str, start: Any, end: Any, through: Any) -> str:
    if through is not None and start <= through < end - timedelta(days=1):
        return f"{label} (through {day(through)})"
    return label


def _movement(change_pct: float | None, change_usd: float) -> str:
    if change_pct is None:
        return "new" if change_usd > 0 else "no change"
    if abs(change_pct) < 0.005:
        return "flat"
    return f"{'up' if change_pct > 0 else 'down'} {pct(change_pct)}"


def comparison(c: Any, view: View, args: dict) -> str:
    first = _through(c.first_label, c.first_start, c.first_end, c.first_through)
    second = _through(c.second_label, c.second_start, c.second_end, c.second_through)
    where = filters_text(args, view)
    if c.first_through is None or c.second_through is None:  # a window before the store's first day of data
        missing, other, total = ((first, second, c.second_total_usd) if c.first_through is None
                                 else (second, first, c.first_total_usd))
        return (f"Steward's usage data does not reach back to {missing}, so there is no figure for it to compare "
                f"with. Bedrock spend{where} in {other}: {usd(total)}.")
    lines = [f"Bedrock spend{where}: {usd(c.second_total_usd)} in {second} against "
             f"{usd(c.first_total_usd)} in {first}, {_movement(c.change_pct, c.change_usd)} "
             f"({'+' if c.change_usd >= 0 else '-'}{usd(abs(c.change_usd))})."]
    if c.by and c.rows:
        lines.append(f"By {GROUP_NAMES[c.by][0]}:")
        for r in c.rows:
            lines.append(f"- {group_key(c.by, r.key, view)}: {usd(r.first_usd)} -> "
                         f"{usd(r.second_usd)} ({_movement(r.change_pct, r.change_usd)})")
        if c.other_groups:
            lines.append(f"- and {c.other_groups} smaller.")
    return "\n".join(lines)


def charges(c: Any, view: View, args: dict) -> str:
    if not c.rows:
        return (f"No credits, refunds, taxes or other non-usage Bedrock charges in your scope in {c.period}; "
                f"usage cost was {usd(c.usage_usd)}.")
    names = {"credit": "credits", "refund": "refunds", "tax": "taxes", "discount": "discounts", "fee": "fees",
             "other": "other charges"}
    parts = ", ".join(f"{names.get(r.key, r.key) if c.by == 'charge_class' else r.key} {usd(r.usd)}"
                      for r in c.rows)
    return (f"Non-usage Bedrock charges, {c.period}: {parts}; {usd(c.other_usd)} in all, beside "
            f"{usd(c.usage_usd)} of usage (spend answers count usage only; credits and refunds are negative).")


def _previous_label(b: Any) -> str:
    """What the window before is called: 'October 2026', 'the same days of October', 'the period before'."""
    if b.previous_start.day == 1 and b.previous_end.day == 1:
        return month_label(f"{b.previous_start:%Y-%m}")
    return f"the same days of {b.previous_start:%B}" if b.previous_start.day == 1 else "the period before"


def _headline(b: Any, view: View, where: str, period: str, prev: str) -> str:
    """The first sentence: the highest days/weeks/months, the single group, or the leader and the rest."""
    def key(k: str) -> str:
        return group_key(b.by, k, view)

    if b.by in ("week", "month") and len(b.rows) <= 6 and not b.other_groups:  # few: each in time order
        return (f"{TIME_ADJECTIVES[b.by]} Bedrock spend{where}, {period}: "
                + ", ".join(f"{r.key} {usd(r.usd)}" for r in b.rows) + ".")
    if b.by in TIME_ADJECTIVES:
        top = sorted(b.rows, key=lambda r: -r.usd)[:5]
        return (f"{TIME_ADJECTIVES[b.by]} Bedrock spend{where}, {period}: highest {GROUP_NAMES[b.by][1]} "
                + ", ".join(f"{r.key} {usd(r.usd)}" for r in top) + ".")
    if len(b.rows) == 1 and not b.other_groups:
        r = b.rows[0]
        return (f"By {GROUP_NAMES[b.by][0]}{where}, {period}: all of it is {key(r.key)}, {usd(r.usd)}"
                + (f", against {usd(b.previous_total_usd)} in {prev}." if b.previous_total_usd else "."))
    first, *rest = b.rows
    return (f"By {GROUP_NAMES[b.by][0]}{where}, {period}: {key(first.key)} leads at {usd(first.usd)} "
            f"({pct(first.share)}), followed by "
            + ", ".join(f"{key(r.key)} at {usd(r.usd)} ({pct(r.share)})" for r in rest) + ".")


def _changes(b: Any, view: View, prev: str) -> list[str]:
    """The biggest move on the window before (20% or more), and the groups new since then."""
    lines = []
    moves = [r for r in b.rows if r.change_pct is not None and abs(r.change_pct) >= 0.2]
    new = [r for r in b.rows if r.previous_usd == 0 and r.usd > 0]
    if moves:
        r = max(moves, key=lambda r: abs(r.change_pct))
        lines.append(f"Biggest change: {group_key(b.by, r.key, view)} {'up' if r.change_pct > 0 else 'down'} "
                     f"{pct(r.change_pct)} on {prev}.")
    if new and b.previous_total_usd:
        lines.append(f"New since {prev}: {', '.join(group_key(b.by, r.key, view) for r in new)}.")
    return lines


def breakdown(b: Any, view: View, args: dict) -> str:
    period = _through(b.period, b.start, b.end, b.data_through)
    where = filters_text(args, view)
    if not b.rows:
        return f"No Bedrock spend{where} in {period}."
    prev = _previous_label(b)
    lines = [_headline(b, view, where, period, prev)]
    if len(b.rows) > 1 or b.other_groups or b.by in TIME_ADJECTIVES:
        total = f"Total {usd(b.total_usd)}"
        if b.previous_total_usd:
            total += f", against {usd(b.previous_total_usd)} in {prev}"
        lines.append(total + ".")
    if b.other_groups:
        one, many = GROUP_NAMES[b.by]
        lines.append(f"{plural(b.other_groups, 'smaller ' + one, 'smaller ' + many)} not listed.")
    if b.by not in TIME_ADJECTIVES:
        lines += _changes(b, view, prev)
    if any(r.key == "(unattributed)" for r in b.rows):
        lines.append("Unattributed spend has no product yet: ask 'what spend is unattributed' to see who "
                     "should claim it.")
    return " ".join(lines)
