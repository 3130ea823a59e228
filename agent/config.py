"""Agent settings, built by the composition root from steward.settings.Settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.prices import model_prices

# A current, Active, Haiku-class model with prompt caching (Bedrock model card, read 2026-11-29),
# through its global cross-Region profile (the deployment template's agent policy allows exactly that).
DEFAULT_AGENT_MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


@dataclass(frozen=True, kw_only=True)
class AgentConfig:
    mode: str = "auto"                    # auto | offline | bedrock
    model_id: str = DEFAULT_AGENT_MODEL
    region: str = "us-east-1"
    endpoint_url: str | None = None       # a loopback fake Converse server in tests
    temperature: float = 0.0
    max_output_tokens: int = 800
    max_tool_rounds: int = 4
    max_question_chars: int = 2000
    history_turns: int = 4
    checkpoint_path: Path | None = None   # sqlite file for per-thread history; None = in memory
    # USD per 1K tokens for the agent's own model: prices.yaml's prices of the configured model (and
    # profile) unless given; 0 for a model prices.yaml does not price (its cost is then not counted).
    price_input: float | None = None
    price_output: float | None = None
    price_cache_read: float | None = None
    price_cache_write: float | None = None

    def __post_init__(self) -> None:
        listed = model_prices(self.model_id) or {}
        for kind in ("input", "output", "cache_read", "cache_write"):
            if getattr(self, f"price_{kind}") is None:
                object.__setattr__(self, f"price_{kind}", listed.get(kind, 0.0))
