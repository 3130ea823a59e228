"""Composition: settings + store + an authenticated identity -> the ToolContext tools receive."""

from __future__ import annotations

from ledger.store import Store
from steward.settings import Settings
from tools.caller import resolve_caller
from tools.context import Thresholds, ToolContext


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(cache_hit_healthy=settings.cache_hit_healthy, soft_quota=settings.soft_quota,
                      hard_quota=settings.hard_quota)


def tool_context(settings: Settings, store: Store, email: str, *, channel: str = "cli") -> ToolContext:
    """The caller is resolved here, once, from an identity the front door authenticated."""
    caller = resolve_caller(store, email, channel=channel)
    return ToolContext(store=store, caller=caller, today=settings.today(), thresholds=thresholds(settings),
                       bedrock_regions=tuple(settings.bedrock_regions))
