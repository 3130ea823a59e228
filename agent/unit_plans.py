"""Plans for the cost per unit of value ('what does each document cost us?', 'cost per chat for Checkout
last month', 'unit cost trend'): which unit and products a question means, and the cost_per_unit call."""

from __future__ import annotations

import re
from dataclasses import replace

from agent.plan import Plan, Step
from agent.qualifiers import reading, unsupported
from agent.question import Question
from agent.spoken_periods import Period
from ledger.metrics import unit_label
from tools.unit_costs import recorded_units

# A question in these words asks for a cost per unit whatever the unit is.
UNIT_PHRASES = ("per unit", "unit cost", "unit costs", "cost per unit", "costs per unit", "unit economics",
                "unit price", "unit prices", "unit of value", "units of value")
UNIT_CUES = ("each", "per", "every", "a", "an", "one")  # 'each document': a unit counted, not a name
COST_WORDS = frozenset({"cost", "costs", "costing", "spend", "spends", "spent", "price", "priced", "pay",
                        "expensive", "cheap", "cheaper"})


# Other words for a recorded unit: 'each conversation' counts chats where chats are what is recorded (never
# a unit of its own: a question about conversations where none of these is recorded gets no cost per unit).
UNIT_SYNONYMS = {"chat": ("conversation", "session"), "document": ("doc", "file"), "payment": ("transaction",),
                 "request": ("call",), "ticket": ("case",)}


def _plural(words: str) -> str:
    return words[:-1] + "ies" if words.endswith("y") else words + ("es" if words.endswith(("s", "x", "ch")) else "s")


def _forms(metric: str) -> list[str]:
    """How a unit may be written in a question: 'pr_review' -> 'pr review', 'pr reviews'; 'chat' also as
    'conversation(s)' and 'session(s)'."""
    words = unit_label(metric)
    return [form for w in (words, *UNIT_SYNONYMS.get(metric, ())) for form in (w, _plural(w))]


def _raw_words(q: Question) -> str:
    """The question as typed, in lower-case words: a unit may also be a word of a name the reading took out
    ('document' of Document Intake, 'payment' of Payments)."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", q.raw.lower())) + " "


def mentioned_unit(q: Question) -> str | None:
    """The unit a question names, of those recorded for products the caller sees: a word the reading left
    over, or one taken as a name but counted ('each document', 'per payment'). A unit nobody records is not
    a cost per unit Steward can give ('per conversation' stays a grouping the tools cannot make)."""
    typed = _raw_words(q)
    for metric in recorded_units(q.ctx):
        forms = _forms(metric)
        if q.phrase(*forms) or any(f" {cue} {form} " in typed for cue in UNIT_CUES for form in forms):
            return metric
    return None


def _by_name(name: str, typed: set[str], forms: set[str]) -> bool:
    """Whether the question names `name` by a word other than the unit's own."""
    return bool(typed & (set(re.findall(r"[a-z0-9]+", name.lower())) - forms))


def without_unit_names(q: Question, unit: str | None) -> Question:
    """The reading less the products and org units it found only through the unit's word ('each document'
    names no product, though Document Intake has the word; 'per payment' is not the Payments department)."""
    if unit is None:
        return q
    forms = {w for form in _forms(unit) for w in form.split()}
    typed = set(_raw_words(q).split())
    keep = lambda names: [n for n in names if _by_name(n, typed, forms)]  # noqa: E731
    return replace(q, products=keep(q.products), unknown_names=keep(q.unknown_names),
                   departments=keep(q.departments), portfolios=keep(q.portfolios),
                   business_units=keep(q.business_units))


def asks_unit_cost(q: Question) -> bool:
    """A cost per unit: said in so many words, or a unit named with a word of cost."""
    return q.phrase(*UNIT_PHRASES) or (q.has(COST_WORDS) and mentioned_unit(q) is not None)


def unit_words(args: dict) -> frozenset[str]:
    """The question's words a cost_per_unit call accounts for: its unit in every spelling."""
    metric = args.get("metric")
    return frozenset(w for form in _forms(metric) for w in form.split()) if isinstance(metric, str) else frozenset()


def plan_unit_cost(q: Question) -> Plan:
    period = q.period()
    args: dict = {"month": period.month} if period.month else {}
    unit = mentioned_unit(q)
    if unit:
        args["metric"] = unit
    q = without_unit_names(q, unit)
    products = q.name_targets[:5]
    steps = [Step("cost_per_unit", {**args, "product": p}) for p in products] or [Step("cost_per_unit", args)]
    subject = f"cost per {unit_label(unit)}" if unit else "cost per unit"
    return Plan("unit_cost", steps,
                reading=reading(q, Period(month=period.month).describe(q.ctx.today),
                                {"product": ", ".join(products)}, subject=subject),
                not_honoured=unsupported(q, month_only=True) + _other_word(q, unit))


def _other_word(q: Question, unit: str | None) -> list[str]:
    """'cost per conversation': conversations are counted as the chats recorded, which is a reading, not
    the question's own unit: said, so the answer is partial (products recording no chats have no figure)."""
    if unit is None or any(f" {form} " in _raw_words(q) for form in _forms(unit)[:2]):
        return []
    return [f"the unit as you named it (read as {unit_label(unit)}, the unit recorded; products recording no "
            f"{unit_label(unit)}s have no figure)"]
