"""The list prices Steward ships (ledger/data/prices.yaml): USD per 1K tokens, on-demand standard
tier, with each model's display name. Read once per process."""

from __future__ import annotations

from functools import cache
from typing import Any

from ledger import data_files


@cache
def load_prices() -> dict[str, Any]:
    """prices.yaml as data (treat it as read-only: it is shared)."""
    return data_files.shipped("prices.yaml")


def display_names() -> dict[str, str]:
    """Model id -> the name people know it by ('Amazon Nova Micro'), where prices.yaml gives one."""
    return {m["model_id"]: m["name"] for m in load_prices().get("models", []) if m.get("model_id") and m.get("name")}


def model_prices(model_or_profile: str) -> dict[str, float] | None:
    """USD per 1K tokens (input, output, cache_read, cache_write) of a model id or an inference
    profile id: a geographic profile (us., eu., ...) at the model's geo multiplier, a global one or
    the bare id at list price. None when prices.yaml does not price the model."""
    family, _, rest = model_or_profile.partition(".")
    geo = family in ("us", "eu", "apac", "jp", "au", "ca", "us-gov")
    model_id = rest if geo or family == "global" else model_or_profile
    entry = next((m for m in load_prices().get("models", []) if m.get("model_id") == model_id), None)
    if entry is None:
        return None
    factor = entry.get("geo_multiplier", 1.0) if geo else 1.0
    return {k: (entry.get(k) or 0.0) * factor for k in ("input", "output", "cache_read", "cache_write")}
