"""Tool output schemas as sent to MCP clients, kept tight: every tool list is read into each IDE conversation.

Input schemas are the tools' own (tools.schemas.compact: descriptions, types, enums, bounds; no titles,
no null alternatives for optional arguments). An output schema names every top-level field of the
result as `required` (each is always present, so a client can validate `structuredContent` against
it) and gives the allowed values of the fields that have a fixed set (a status, a verdict). Types and
nested shapes travel in the result itself: the full pydantic schemas were 75% of a Product Owner's
tool list.
"""

from __future__ import annotations

from typing import Any


def output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The top level of a pydantic result schema: every field required, enums where a field has one."""
    fields, defs = schema.get("properties", {}), schema.get("$defs", {})
    out: dict[str, Any] = {"type": "object", "required": list(fields)}
    enums = {name: {"enum": values} for name, sub in fields.items() if (values := _enum(sub, defs)) is not None}
    if enums:
        out["properties"] = enums
    return out


def _enum(schema: dict[str, Any], defs: dict[str, Any]) -> list[Any] | None:
    """The allowed values of a field (with None if it is nullable), or None if it has no fixed set."""
    if "$ref" in schema:  # an Enum class: pydantic puts it in $defs
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    alternatives = schema.get("anyOf") or []
    values: list[Any] = []
    for alternative in alternatives:
        if alternative == {"type": "null"}:
            values.append(None)
        elif (found := _enum(alternative, defs)) is not None:
            values += found
        else:
            return None
    return values or None
