"""Argument schemas as models read them: pydantic's JSON schema without what says nothing new.

Every tool's schema goes into every conversation (MCP tool lists, the Bedrock agent's tool specs), so
it is kept to what a model needs to call the tool right: types, enums, bounds, formats, non-null
defaults and the field descriptions. Left out: pydantic's generated titles, and for an optional
argument (`X | None = None`) the null alternative and the null default; an argument not in
`required` may simply be left out, which is what a model should do.
"""

from __future__ import annotations

from typing import Any

_CONTAINERS = ("properties", "$defs", "definitions")


def compact(schema: Any) -> Any:
    """`schema` without titles, and with each optional `X | None = None` written as plain X."""
    if isinstance(schema, list):
        return [compact(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _CONTAINERS and isinstance(value, dict):
            # Property names are data, not keywords: a property called "title" stays.
            out[key] = {name: _optional(compact(sub)) for name, sub in value.items()}
        elif key != "title":
            out[key] = compact(value)
    return out


def _optional(schema: Any) -> Any:
    """`{anyOf: [X, null], default: null}` (or `type: [T, null]`) as X; anything else as it is."""
    if not isinstance(schema, dict) or "default" not in schema or schema["default"] is not None:
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("default", "anyOf")}
    alternatives = schema.get("anyOf")
    if isinstance(alternatives, list) and {"type": "null"} in alternatives:
        others = [a for a in alternatives if a != {"type": "null"}]
        if len(others) == 1 and isinstance(others[0], dict):
            return {**rest, **others[0]}
        return {**rest, "anyOf": others}
    types = schema.get("type")
    if isinstance(types, list) and "null" in types:
        left = [t for t in types if t != "null"]
        return {**rest, "type": left[0] if len(left) == 1 else left}
    return rest
