"""Org file errors: every problem as (where, what), pydantic's messages in the file's words."""

from __future__ import annotations

import difflib
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ledger.errors import RegistryError
from ledger.org_schema import OrgFile

Errors = list[tuple[str, str]]


def raise_errors(errors: Errors) -> None:
    """One RegistryError listing every problem on its own line; `.where` is the first's."""
    if not errors:
        return
    where, problem = errors[0]
    rest = "".join(f"\n{w}: {p}" if w else f"\n{p}" for w, p in errors[1:])
    err = RegistryError(where, problem + rest)
    err.errors = list(errors)  # type: ignore[attr-defined]
    raise err


def _loc(parts: tuple[Any, ...] | list[Any]) -> str:
    """A pydantic location as the org file's path: claims[3].principal."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


def _unwrap(t: Any) -> Any:
    """X from Optional[X]; other types unchanged."""
    if get_origin(t) in (Union, types.UnionType):
        args = [a for a in get_args(t) if a is not type(None)]
        return args[0] if len(args) == 1 else t
    return t


def _model_at(loc: tuple[Any, ...]) -> Any:
    """The model class at a pydantic error location (for listing the allowed fields)."""
    t: Any = OrgFile
    for part in loc:
        t = _unwrap(t)
        if isinstance(part, int):
            args = get_args(t)
            if not args:
                return None
            t = args[0]
        elif isinstance(t, type) and issubclass(t, BaseModel) and part in t.model_fields:
            t = t.model_fields[part].annotation
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def show_value(value: Any) -> str:
    """A value as an error message names it (and why YAML may have read it so)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off/true/false as booleans; quote it)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def pydantic_errors(exc: ValidationError) -> Errors:
    """Pydantic's errors as (where, problem) pairs in the org file's words."""
    out: Errors = []
    for e in exc.errors():
        loc = tuple(e["loc"])
        t = e["type"]
        inp = e.get("input")
        ctx = e.get("ctx") or {}
        where = _loc(loc)
        if t == "extra_forbidden":
            parent = _model_at(loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else ""
            what = "unknown top-level key" if len(loc) == 1 else "unknown field"
            problem = f"{what} {loc[-1]!r}" + (f"; allowed: {allowed}" if allowed else "")
        elif t == "value_error":
            problem = str(ctx.get("error", e["msg"]))
        elif t == "missing":
            field = loc[-1] if loc else ""
            problem = "is required but missing"
            if field == "rationale":
                problem = "is required but missing: say why this decision was made"
        elif t == "string_type":
            problem = f"expected text, got {show_value(inp)}"
        elif t == "string_too_short":
            problem = "must not be blank"
        elif t in ("int_type", "int_parsing", "int_from_float"):
            problem = f"expected a whole number, got {show_value(inp)}"
        elif t in ("float_type", "float_parsing"):
            problem = f"expected a number, got {show_value(inp)}"
        elif t == "list_type":
            problem = f"expected a list, got {show_value(inp)}"
        elif t in ("model_type", "model_attributes_type", "dict_type"):
            problem = f"expected a mapping (key: value), got {show_value(inp)}"
        elif t in ("greater_than_equal", "greater_than"):
            problem = f"{inp!r} must be >= {ctx.get('ge', ctx.get('gt'))}"
        elif t.startswith("date"):
            problem = f"{show_value(inp)} is not a date YYYY-MM-DD"
        elif t == "literal_error":
            problem = f"{inp!r} is not one of {ctx.get('expected')}"
        else:
            problem = e["msg"]
        out.append((where, problem))
    return out


def suggest(value: str, options: list[str]) -> str:
    """' (did you mean ...?)' when an option is close to the value, else ''."""
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
