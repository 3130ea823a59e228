"""Prompt texts live in the top-level `prompts` package as `<name>.txt` files."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load_prompt(name: str) -> str:
    """The text of prompts/<name>.txt, stripped of surrounding whitespace.

    Read through importlib.resources, so it works from a source checkout and an installed wheel.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad prompt name {name!r}")
    resource = files("prompts").joinpath(f"{name}.txt")
    if not resource.is_file():
        raise FileNotFoundError(f"no prompt named {name!r} (expected prompts/{name}.txt)")
    return resource.read_text(encoding="utf-8").strip()
