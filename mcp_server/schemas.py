"""Tool schemas as sent to MCP clients, kept tight: every tool list is read into each IDE conversation.

Input schemas keep their descriptions (what a model needs to call a tool right) and lose pydantic's
generated titles. Output schemas keep their structure (types, required fields, formats), enough to
validate structured results, and lose titles, descriptions and defaults; `anyOf [T, null]` becomes
`type: [T, "null"]`.
"""

from __future__ import annotations

from typing import Any

INPUT_NOISE = frozenset({"title"})
OUTPUT_NOISE = frozenset({"title", "description", "default", "examples"})


def tighten(schema: Any, noise: frozenset[str]) -> Any:
    """`schema` without the `noise` keywords (never a property that happens to share their name)."""
    if isinstance(schema, list):
        return [tighten(item, noise) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {name: tighten(sub, noise) for name, sub in value.items()}
        elif key not in noise:
            out[key] = tighten(value, noise)
    return _nullable(out)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    alternatives = schema.get("anyOf")
    if not (isinstance(alternatives, list) and len(alternatives) == 2 and {"type": "null"} in alternatives):
        return schema
    other = next(a for a in alternatives if a != {"type": "null"})
    if not (isinstance(other, dict) and isinstance(other.get("type"), str) and set(other) <= {"type", "format"}):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**rest, **other, "type": [other["type"], "null"]}


def input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return tighten(schema, INPUT_NOISE)


def output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return tighten(schema, OUTPUT_NOISE)
