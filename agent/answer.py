"""The structured answer every front door renders (CLI text, Slack blocks, MCP structured output)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field


class Fact(BaseModel):
    """One tool call the answer rests on."""

    tool: str
    args: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None  # a tool error (e.g. out of scope): no figures


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
    refused: str | None = Field(None, description="Why the question was refused before any model call.")
    fallback: str | None = Field(None, description="Bedrock was configured but not reachable: why the "
                                                   "offline planner answered instead.")
