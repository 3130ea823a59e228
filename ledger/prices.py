"""The list prices Steward ships (ledger/data/prices.yaml): USD per 1K tokens, on-demand standard
tier, with each model's display name. Read once per process."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load_prices() -> dict[str, Any]:
    """prices.yaml as data (treat it as read-only: it is shared)."""
    return yaml.safe_load(resources.files("ledger").joinpath("data/prices.yaml").read_text(encoding="utf-8"))


def display_names() -> dict[str, str]:
    """Model id -> the name people know it by ('Amazon Nova Micro'), where prices.yaml gives one."""
    return {m["model_id"]: m["name"] for m in load_prices().get("models", []) if m.get("model_id") and m.get("name")}
