"""What a question wants spend grouped by ('by region', 'top 3 models', 'which of my products')."""

from __future__ import annotations

from agent.question import Question
from agent.vocabulary import number_word

GROUPING_WORDS = [
    ("model", {"model", "models", "llm", "llms"}), ("region", {"region", "regions"}),
    ("account", {"account", "accounts"}), ("portfolio", {"portfolio", "portfolios"}),
    ("department", {"department", "departments", "dept", "depts"}),
    ("principal", {"principal", "principals", "role", "roles", "user", "users", "identity", "identities"}),
    ("day", {"day", "daily", "trend"}), ("kind", {"kind", "kinds"}),
    ("attribution", {"attribution", "rule", "rules"}),
    ("product", {"product", "products", "workload", "workloads", "app", "apps", "application", "applications",
                 "team", "teams"}),
]
KIND_WORDS = {"input", "output", "cache"}
TIER_WORDS = ("standard", "batch", "flex", "priority", "provisioned", "reserved")
# A grouping word right after one of these is what the question groups by ('by region', 'top models').
GROUPING_CUES = ("by", "per", "each", "which", "what", "top", "across", "every")


def grouping_of(q: Question) -> str | None:
    """The grouping the words ask for; a grouping word after a cue ('by', 'top', a number) wins."""
    if q.phrase("business unit", "business units", "bu"):
        return "business_unit"
    if q.phrase("token type", "token types", "token kind", "input vs output", "input and output",
                "input versus output"):
        return "kind"
    if len(q.wordset & KIND_WORDS) >= 2 and q.has({"token", "tokens", "split", "between", "vs", "versus"}):
        return "kind"  # 'split into input, output and cache tokens': two token kinds or more named
    if q.phrase("per day", "each day", "by day", "over time", "day by day"):
        return "day"
    for unit in ("week", "month"):  # 'per month since September', 'weekly totals', 'month by month'
        if q.phrase(*(f"{cue} {unit}" for cue in ("per", "by", "each", "every")), f"{unit} by {unit}",
                    f"{unit}ly breakdown", f"{unit}ly totals", f"{unit}ly split", f"{unit}ly figures",
                    f"split {unit}ly", f"broken down {unit}ly", f"{unit}ly spend", f"{unit}ly cost",
                    f"{unit}ly costs", f"{unit}ly spending", f"{unit}ly bill"):
            return unit
    if q.has({"attributed"}) and q.phrase("how is", "how are", "hows", "how s"):
        return "attribution"  # 'how is Fraud attributed?': by the claim (and its rule) behind each figure
    if q.has({"tier", "tiers"}) and not (q.wordset & set(TIER_WORDS)) or len(q.wordset & set(TIER_WORDS)) >= 2:
        return "tier"  # 'by tier', or 'split across standard, batch and flex' (two tiers or more named)
    best: tuple[int, int, str] | None = None  # (weight, -position, grouping): strongest, then earliest
    filtered = _filtered(q)
    for position, word in enumerate(q.words):
        for grouping, words in GROUPING_WORDS:
            if word in words:
                before = q.words[position - 1] if position else ""
                weight = 2 if before in GROUPING_CUES or number_word(before) else 1
                if weight == 1 and (grouping in filtered or (before in ("my", "our") and not word.endswith("s"))):
                    continue  # 'account 4444...', 'in my portfolio': the noun of a filter or scope, not a grouping
                if best is None or weight > best[0]:
                    best = (weight, -position, grouping)
    return best[2] if best else None


def _filtered(q: Question) -> set[str]:
    """The groupings the question narrows to one named value (an account id or name, a region, an org node)."""
    named = {"account": q.accounts, "region": q.regions, "portfolio": q.portfolios, "department": q.departments,
             "product": q.products}
    return {grouping for grouping, values in named.items() if len(values) == 1}
