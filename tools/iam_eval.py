"""A small IAM policy evaluator following AWS's documented logic, to check generated policies.

Deliberately independent of the generator. Implements the identity-policy part of "Policy
evaluation logic" (IAM user guide): an explicit Deny in any matching statement wins, otherwise an
Allow is needed, otherwise the request is implicitly denied. Action / NotAction, Resource /
NotResource with `*` and `?` wildcards (ARN wildcards stay inside a segment unless the `*` ends the
segment), and the condition operators String*, Arn*, Bool, Null with ...IfExists, where a missing
key makes an operator false, a negated operator true, and an ...IfExists operator true.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

Decision = Literal["allow", "explicit_deny", "implicit_deny"]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, str | list[str]] = field(default_factory=dict)


def _values(x: Any) -> list[str]:
    return [x] if isinstance(x, str) else [str(v) for v in x]


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


@lru_cache(maxsize=4096)
def _arn_glob(pattern: str) -> re.Pattern[str]:
    """ARN pattern: `*` and `?` match within a colon-separated segment; a `*` that ends a segment
    (before its colon or at the end) may run on across colons (IAM user guide, Resource element)."""
    out = []
    for i, c in enumerate(pattern):
        if c == "*":
            ends_segment = i + 1 == len(pattern) or pattern[i + 1] == ":"
            out.append(".*" if ends_segment else "[^:]*")
        elif c == "?":
            out.append("[^:]")
        else:
            out.append(re.escape(c))
    return re.compile("^" + "".join(out) + "$", re.DOTALL)


def action_matches(patterns: Any, action: str) -> bool:
    return any(_glob(p, True).match(action) for p in _values(patterns))


def arn_matches(patterns: Any, arn: str) -> bool:
    return any(p == "*" or _arn_glob(p).match(arn) for p in _values(patterns))


def _test(op: str, expected: list[str], actual: list[str]) -> bool:
    """Positive form of an operator: does any request value match any policy value?"""
    if op == "StringEquals":
        return any(a == e for a in actual for e in expected)
    if op == "StringEqualsIgnoreCase":
        return any(a.lower() == e.lower() for a in actual for e in expected)
    if op == "StringLike":
        return any(_glob(e, False).match(a) for a in actual for e in expected)
    if op in ("ArnLike", "ArnEquals"):  # the IAM user guide gives both the same wildcard semantics
        return any(_arn_glob(e).match(a) for a in actual for e in expected)
    if op == "Bool":
        return any(a.lower() == e.lower() for a in actual for e in expected)
    raise ValueError(f"the evaluator does not know the condition operator {op}")


_NEGATED = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
            "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


def _operator_holds(op: str, key: str, expected: list[str], context: dict[str, Any]) -> bool:
    if op == "Null":  # "true": the key must be absent; "false": present
        return (key not in context) == (expected[0].lower() == "true")
    if_exists = op.endswith("IfExists")
    base = op[: -len("IfExists")] if if_exists else op
    if key not in context:
        return if_exists or base in _NEGATED
    actual = _values(context[key])
    if base in _NEGATED:  # values OR'ed in the positive form: negation is NOR
        return not _test(_NEGATED[base], expected, actual)
    return _test(base, expected, actual)


def condition_holds(condition: dict[str, Any] | None, context: dict[str, Any]) -> bool:
    """Operators AND'ed, keys under one operator AND'ed, values of one key OR'ed."""
    for op, tests in (condition or {}).items():
        for key, expected in tests.items():
            if not _operator_holds(op, key, _values(expected), context):
                return False
    return True


def statement_applies(stmt: dict[str, Any], req: Request) -> bool:
    if "Action" in stmt:
        ok = action_matches(stmt["Action"], req.action)
    else:
        ok = not action_matches(stmt["NotAction"], req.action)
    if not ok:
        return False
    if "Resource" in stmt:
        ok = arn_matches(stmt["Resource"], req.resource)
    else:
        ok = not arn_matches(stmt["NotResource"], req.resource)
    return ok and condition_holds(stmt.get("Condition"), req.context)


def _statements(policies: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for policy in policies:
        stmts = policy["Statement"]
        yield from ([stmts] if isinstance(stmts, dict) else stmts)


def evaluate(policies: dict[str, Any] | Iterable[dict[str, Any]], req: Request) -> Decision:
    """The decision of one or several identity policies of the same principal for one request."""
    pols = [policies] if isinstance(policies, dict) else list(policies)
    allowed = False
    for stmt in _statements(pols):
        if statement_applies(stmt, req):
            if stmt["Effect"] == "Deny":
                return "explicit_deny"
            allowed = True
    return "allow" if allowed else "implicit_deny"
