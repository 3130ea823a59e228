"""What a question narrows spend by (accounts, regions, org units, tier, token kind, cost basis) and how
it was read, in one line; the qualifiers a plan cannot honour are named, never dropped in silence."""

from __future__ import annotations

from typing import Any

from agent.question import Question

TIER_NAMES = {"standard": "standard", "batch": "batch", "flex": "flex", "priority": "priority", "provisioned": "reserved",
              "reserved": "reserved"}
KIND_PHRASES = (("cache reads", "cache_read"), ("cache read", "cache_read"), ("cache writes", "cache_write"),
                ("cache write", "cache_write"), ("input tokens", "input"), ("input token", "input"),
                ("output tokens", "output"), ("output token", "output"), ("embeddings", "embedding"),
                ("embedding", "embedding"), ("guardrails", "guardrail"), ("guardrail", "guardrail"))
CHARGE_WORDS = {"credit", "credits", "refund", "refunds", "tax", "taxes"}
FILTER_LABELS = {"account": "account", "region": "region", "department": "department",
                 "business_unit": "business unit", "tier": "tier", "kind": "token kind"}


def spend_filters(q: Question, grouping: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """(spend_breakdown / compare_spend filter arguments, qualifiers those tools cannot honour)."""
    filters: dict[str, Any] = {}
    extra: list[str] = []
    for key, values in (("account", q.accounts), ("region", q.regions), ("department", q.departments),
                        ("business_unit", q.business_units)):
        if values:
            filters[key] = values[0]
            extra += [f"{FILTER_LABELS[key]} {v} as well (one {FILTER_LABELS[key]} at a time)" for v in values[1:]]
    tier = next((TIER_NAMES[w] for w in q.words if w in TIER_NAMES), None)
    if tier and grouping != "tier":
        filters["tier"] = tier
    kind = next((k for phrase, k in KIND_PHRASES if q.phrase(phrase)), None)
    if kind and grouping != "kind":
        filters["kind"] = kind
    if q.phrase("net", "net of discounts", "after discounts", "net cost", "net spend"):
        filters["cost"] = "net_unblended"
    if q.has(CHARGE_WORDS):
        extra.append("credits, refunds and taxes (spend answers count usage only)")
    if q.arns:
        extra.append(f"principal {q.arns[0]} (spend is filtered by product, not by principal)")
    return filters, extra


def unsupported(q: Question, *, month_only: bool) -> list[str]:
    """For a tool that takes a product and a month only: every other qualifier the question carries."""
    filters, extra = spend_filters(q)
    named = [f"{FILTER_LABELS.get(k, k)} {v}" for k, v in filters.items() if k != "cost"]
    if filters.get("cost"):
        named.append("net cost")
    period = q.period()
    if month_only and period.start is not None:
        named.append(f"the period {period.describe(q.ctx.today)} (this answer is per month)")
    return named + [x for x in extra if not x.startswith("principal")]


def reading(q: Question, period_text: str, filters: dict[str, Any], grouping: str | None = None,
            subject: str | None = None) -> str:
    """'November 2026 to date, account 444455556666, us-west-2, by model' (names the caller typed for an
    account they cannot see stay unnamed)."""
    parts = [subject] if subject else []
    parts.append(period_text)
    caller = q.ctx.caller
    for key in ("product", "owner", "portfolio", "department", "business_unit", "account", "region", "tier", "kind"):
        value = filters.get(key)
        if not value:
            continue
        if key == "owner":
            value = f"{value}'s products"
        if key == "account" and not (caller.all_access or caller.sees_account(value)):
            value = "the account you named"
        elif key == "account":
            value = f"account {value}"
        elif key in ("tier", "kind"):
            value = f"{value.replace('_', ' ')} {FILTER_LABELS[key]}"
        parts.append(str(value))
    if filters.get("model"):
        labels = q.index.labels if q.index else {}
        parts.append(labels.get(filters["model"], filters["model"]))
    if filters.get("model_family"):
        parts.append(f"{filters['model_family']} models")
    if filters.get("cost") == "net_unblended":
        parts.append("net cost")
    if grouping:
        parts.append(f"by {grouping.replace('_', ' ')}")
    return ", ".join(parts)
