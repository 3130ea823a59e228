"""The data files shipped in ledger/data (model names, lifecycle, prices, routing), parsed once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

# libyaml's safe loader when PyYAML has it: the same YAML and values, parsed ~10x faster than the
# pure-Python loader (model_names.yaml alone took 0.6 CPU s, a tenth of a 1M-row ingest).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def shipped(name: str) -> Any:
    """ledger/data/<name> as data (read-only: it is shared)."""
    text = resources.files("ledger").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
