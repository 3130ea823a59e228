"""Spend answers beyond one breakdown: the filters an answer was narrowed by, in words, and two windows
compared (compare_spend)."""

from __future__ import annotations

from typing import Any

from agent import render

FILTER_WORDS = (("product", "for {}"), ("portfolio", "for {}"), ("department", "for {}"),
                ("business_unit", "for {}"), ("account", "in account {}"), ("region", "in {}"),
                ("model_family", "on {} models"), ("tier", "on the {} tier"), ("kind", "for {} tokens"))


def filters_text(args: dict[str, Any], view: render.View) -> str:
    """' for Checkout Service in account 444455556666 on Claude Opus 4.6', or '' without filters."""
    parts = [template.format(render.KIND_WORDS.get(args[key], args[key]) if key == "kind" else args[key])
             for key, template in FILTER_WORDS if args.get(key)]
    if args.get("model"):
        parts.append(f"on {view.model(args['model'])}")
    if args.get("cost") == "net_unblended":
        parts.append("net of discounts")
    return (" " + " ".join(parts)) if parts else ""


def _through(label: str, start: Any, end: Any, through: Any) -> str:
    if through is not None and start <= through < end - render.timedelta(days=1):
        return f"{label} (through {render.day(through)})"
    return label


def _movement(change_pct: float | None, change_usd: float) -> str:
    if change_pct is None:
        return "new" if change_usd > 0 else "no change"
    if abs(change_pct) < 0.005:
        return "flat"
    return f"{'up' if change_pct > 0 else 'down'} {render.pct(change_pct)}"


def comparison(c: Any, view: render.View, args: dict) -> str:
    first = _through(c.first_label, c.first_start, c.first_end, c.first_through)
    second = _through(c.second_label, c.second_start, c.second_end, c.second_through)
    where = filters_text(args, view)
    lines = [f"Bedrock spend{where}: {render.usd(c.second_total_usd)} in {second} against "
             f"{render.usd(c.first_total_usd)} in {first}, {_movement(c.change_pct, c.change_usd)} "
             f"({'+' if c.change_usd >= 0 else '-'}{render.usd(abs(c.change_usd))})."]
    if c.by and c.rows:
        lines.append(f"By {render.GROUP_NAMES[c.by][0]}:")
        for r in c.rows:
            lines.append(f"- {render.group_key(c.by, r.key, view)}: {render.usd(r.first_usd)} -> "
                         f"{render.usd(r.second_usd)} ({_movement(r.change_pct, r.change_usd)})")
        if c.other_groups:
            lines.append(f"- and {c.other_groups} smaller.")
    return "\n".join(lines)


def charges(c: Any, view: render.View, args: dict) -> str:
    if not c.rows:
        return (f"No credits, refunds, taxes or other non-usage Bedrock charges in your scope in {c.period}; "
                f"usage cost was {render.usd(c.usage_usd)}.")
    names = {"credit": "credits", "refund": "refunds", "tax": "taxes", "discount": "discounts", "fee": "fees",
             "other": "other charges"}
    parts = ", ".join(f"{names.get(r.key, r.key) if c.by == 'charge_class' else r.key} {render.usd(r.usd)}"
                      for r in c.rows)
    return (f"Non-usage Bedrock charges, {c.period}: {parts}; {render.usd(c.other_usd)} in all, beside "
            f"{render.usd(c.usage_usd)} of usage (spend answers count usage only; credits and refunds are negative).")
