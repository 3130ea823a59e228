"""The explicit context every tool receives: the store, the caller and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timezone

from ledger.store import Store
from tools.caller import Caller

ALL_ACTIONS: frozenset[str] = frozenset({"read", "write", "agentic"})


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    cache_hit_healthy: float = 0.30  # cache reads / all input-side tokens
    soft_quota: float = 0.80         # share of the estimate that warns
    hard_quota: float = 1.00         # share of the estimate that is exceeded
    anomaly_window_days: int = 14
    anomaly_mad_threshold: float = 3.5


@dataclass(frozen=True, kw_only=True)
class ToolContext:
    store: Store
    caller: Caller
    today: date                       # 'now' for every date-relative answer (--as-of)
    thresholds: Thresholds = field(default_factory=Thresholds)
    bedrock_regions: tuple[str, ...] = ("us-east-1", "us-west-2")  # what "all regions" means in policies
    clock: datetime | None = None     # fixed timestamp for audit entries (tests); None = real time
    # The action scopes this channel lets the caller use (MCP: read, plus what a FinOps Lead granted).
    # A tool outside them is neither offered nor callable, whatever the persona allows.
    actions: frozenset[str] = ALL_ACTIONS
    # Read tools run on the attribution snapshot of the store version (ledger.snapshot): for doors
    # that answer many reads between changes (Slack, chat, jobs); a one-shot command reads live.
    snapshot: bool = False

    def now(self) -> datetime:
        if self.clock is not None:
            return self.clock
        real = datetime.now(timezone.utc).replace(tzinfo=None)
        # Keep audit timestamps on the --as-of day when one is set, so replays read sensibly.
        return real if real.date() == self.today else datetime.combine(self.today, real.time())

    def with_caller(self, caller: Caller) -> ToolContext:
        return replace(self, caller=caller)


__all__ = ["ALL_ACTIONS", "Thresholds", "ToolContext", "time"]
