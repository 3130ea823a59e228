"""A plan (the family, the tool calls, or a reply without any) and the steps every plan builder shares:
who may call what, which product a write is for, which model was meant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.answer import Outcome
from agent.help import not_allowed
from agent.model_mentions import GENERIC_MODEL_WORDS, ModelRef, model_tokens
from tools import toolset
from tools.context import ToolContext

if TYPE_CHECKING:
    from agent.question import Question


@dataclass
class Step:
    tool: str
    args: dict[str, Any]


@dataclass
class Plan:
    family: str
    steps: list[Step] = field(default_factory=list)
    reply: str | None = None  # text without any tool call: help, or a question back
    note: str | None = None   # a line after the rendered results
    outcome: Outcome | None = None  # set for a reply without tool calls (else the tool calls decide)
    reading: str | None = None      # how the question was read: period, filters, grouping
    not_honoured: list[str] = field(default_factory=list)  # qualifiers asked for that the plan cannot honour
    period_text: str | None = None  # the period in words when the question alone does not say it (a follow-up)

    def reading_line(self) -> str:
        return f"Read as: {self.reading}."


def not_honoured_line(qualifiers: list[str]) -> str:
    """The partial answer's last line: what the question asked that this answer does not do."""
    return ("Not answered as asked: " + "; ".join(qualifiers)
            + ". The figures above are without it; Steward's tools cannot do that yet.")


def can_call(ctx: ToolContext, tool: str) -> bool:
    return any(t.name == tool for t in toolset.tools_for(ctx))


def refuse_unless_allowed(q: Question, family_name: str, tool: str) -> Plan | None:
    """A write the caller's personas may not make: say who can, before asking for any parameter."""
    if can_call(q.ctx, tool):
        return None
    return Plan(family_name, reply=not_allowed(q.ctx, tool), outcome="refused_persona")


def owned_products(ctx: ToolContext) -> list[str]:
    return sorted(ctx.caller.owned_products)


def product_or_ask(q: Question, what: str, example: str) -> tuple[str | None, str | None]:
    """The product a write is for: the one named, else the caller's only product; else a question back."""
    if q.name_targets:
        return q.name_targets[0], None
    own = owned_products(q.ctx)
    if len(own) == 1:
        return own[0], None
    if own:
        return None, (f"Which product {what}? You own {', '.join(own)}. For example: "
                      f"'{example.format(p=own[0])}'.")
    return None, f"Which product {what}? Name it, for example: '{example.format(p='<product>')}'."


def catalog_filter(model: ModelRef) -> str:
    """What to filter the catalog by for a model mention: its id, else its most telling word."""
    if model.model_id:
        return model.model_id
    words = [w for w in model_tokens(model.text) if w.isalpha() and w not in GENERIC_MODEL_WORDS]
    return words[0] if words else model.text


def model_filter(model: ModelRef) -> dict[str, str]:
    """A spend filter for a model mention: its family ('Claude': every Claude model), else the model."""
    return {"model_family": model.family} if model.family else {"model": model.model_id or model.text}


def which_model(q: Question, model: ModelRef) -> str:
    """The question back when a model mention fits several models (or none)."""
    labels = q.index.labels if q.index else {}
    names = ", ".join(f"{labels.get(m, m)} ({m})" for m in (model.options or model.related)[:8])
    return f"Which model do you mean by '{model.text}'? " + (f"I know: {names}." if names else
                                                             "Give its Bedrock model id.")
