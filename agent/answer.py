"""The structured answer every front door renders (CLI text, Slack blocks, MCP structured output)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools import toolset
from tools.errors import NotAllowed, ScopeError, ToolError

# What kind of answer this is, for the caller and for scoring: answered (in full), partial (part of it,
# the text says which part not), clarify (one question back), refused_scope (outside the caller's
# scope), refused_persona (another persona's tool, or an action scope not granted), unplaced (not a
# question Steward can place: the caller's own examples follow), error (an internal failure, logged).
Outcome = Literal["answered", "partial", "clarify", "refused_scope", "refused_persona", "unplaced", "error"]
REFUSALS = ("refused_scope", "refused_persona")
# scope: outside the caller's scope; persona: not this persona's tool; rule: a write the governance rules
# refuse (already claimed, a past month); input: a read with arguments to fix.
ErrorKind = Literal["scope", "persona", "rule", "input"]


class Fact(BaseModel):
    """One tool call the answer rests on."""

    tool: str
    args: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None  # a tool error (e.g. out of scope): no figures
    error_kind: ErrorKind | None = None


def tool_error_fact(tool: str, args: dict[str, Any], exc: ToolError) -> Fact:
    """The fact for a tool call the tool refused: out of scope, not this persona's, a refused write, bad input."""
    kind: ErrorKind = "scope" if isinstance(exc, ScopeError) else "persona" if isinstance(exc, NotAllowed) else \
        "input" if getattr(toolset.get(tool), "action", "read") == "read" else "rule"
    return Fact(tool=tool, args=args, error=str(exc), error_kind=kind)


def outcome_of(facts: list[Fact]) -> Outcome:
    """The outcome the tool calls alone support: every call answered, some, or why none did."""
    if not facts:
        return "unplaced"
    answered = sum(f.error is None for f in facts)
    if answered:
        return "answered" if answered == len(facts) else "partial"
    kinds = {f.error_kind for f in facts}
    if "persona" in kinds:
        return "refused_persona"
    if kinds & {"scope", "rule"}:
        return "refused_scope"
    return "clarify"  # bad input: the error says what to change


class AgentUsage(BaseModel):
    """The agent's own model calls for this question (zero for the offline planner)."""

    model_id: str | None = None
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0


class Answer(BaseModel):
    question: str
    text: str = Field(description="Concise answer: figures with units and period, meaning, next step.")
    facts: list[Fact] = []
    family: str | None = Field(None, description="Question family the answer belongs to, if known.")
    data_through: date | None = None
    freshness: str = Field("", description="e.g. 'CUR data through 21 Nov 2026'")
    mode: Literal["offline", "bedrock"] = "offline"
    grounded: bool = True
    replaced_ungrounded: bool = False
    usage: AgentUsage = AgentUsage()
    latency_ms: float = 0.0
    outcome: Outcome = Field("answered", description="answered, partial, clarify, refused_scope, refused_persona, "
                                                      "unplaced or error.")
    reading: str | None = Field(None, description="How the question was read: period, filters, grouping.")
    not_honoured: list[str] = Field([], description="Qualifiers in the question the answer does not honour "
                                                    "(outcome partial).")
    refused: str | None = Field(None, description="Why the question was refused before any model call.")
    error: str | None = Field(None, description="The internal failure (outcome error), as logged.")
    fallback: str | None = Field(None, description="Bedrock was configured but not reachable: why the "
                                                   "offline planner answered instead.")
