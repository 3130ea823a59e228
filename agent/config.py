"""Agent settings, built by the composition root from steward.settings.Settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class AgentConfig:
    mode: str = "auto"                    # auto | offline | bedrock
    model_id: str = "us.anthropic.claude-3-5-haiku-20241022-v1:0"  # cheapest capable class: Haiku
    region: str = "us-east-1"
    endpoint_url: str | None = None       # a loopback fake Converse server in tests
    temperature: float = 0.0
    max_output_tokens: int = 800
    max_tool_rounds: int = 4
    max_question_chars: int = 2000
    history_turns: int = 4
    checkpoint_path: Path | None = None   # sqlite file for per-thread history; None = in memory
    # USD per 1K tokens for the agent's own model (Claude 3.5 Haiku list price, us-east-1).
    price_input: float = 0.0008
    price_output: float = 0.004
    price_cache_read: float = 0.00008
    price_cache_write: float = 0.001
