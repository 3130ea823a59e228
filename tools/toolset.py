"""The one tool registry: the agent, Slack, MCP and the CLI list and call tools only through it.

A tool is a typed function `fn(ctx, args) -> result`; its docstring's first paragraph is the description a model
reads. The caller's identity and scope come from `ctx`, never from `args`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from ledger import audit, snapshot
from ledger.personas import persona_name
from tools import (
    access_requests,
    anomalies,
    cards,
    catalog,
    chargeback,
    charges,
    claim_requests,
    claims,
    claims_selector,
    compare,
    coverage,
    drift,
    estimates,
    facets,
    iam_policy,
    lifecycle,
    migrations,
    model_decisions,
    pause,
    recommendations,
    spend,
    tasks,
    unattributed,
    unit_costs,
    volumes,
)
from tools.context import ALL_ACTIONS, ToolContext
from tools.declare import ALL_PERSONAS, Action, Tool, declared_in
from tools.errors import NotAllowed, ToolError

__all__ = ["ALL_PERSONAS", "Action", "REGISTRY", "Tool", "all_tools", "call", "get", "tools_for"]

_MODULES = (spend, unattributed, drift, anomalies, cards, catalog, recommendations, tasks, iam_policy,
            claims, claims_selector, claim_requests, estimates, access_requests, model_decisions, pause, lifecycle, migrations, compare,
            facets, charges, coverage, chargeback, volumes, unit_costs)


def _register() -> dict[str, Tool]:
    registry: dict[str, Tool] = {}
    for module in _MODULES:
        for t in declared_in(module):
            if t.name in registry:
                raise TypeError(f"tool {t.name} declared twice")
            registry[t.name] = t
    return registry


REGISTRY: dict[str, Tool] = _register()


def all_tools() -> list[Tool]:
    return list(REGISTRY.values())


def tools_for(ctx_or_personas: ToolContext | frozenset[str], *,
              actions: frozenset[str] = ALL_ACTIONS) -> list[Tool]:
    """The tools a caller's personas may call, limited to the given action scopes (and, for a
    context, to the action scopes its channel allows)."""
    if isinstance(ctx_or_personas, ToolContext):
        personas, actions = ctx_or_personas.caller.personas, actions & ctx_or_personas.actions
    else:
        personas = ctx_or_personas
    return [t for t in all_tools() if t.personas & personas and t.action in actions]


def get(name: str) -> Tool | None:
    return REGISTRY.get(name)


def _why(args: BaseModel) -> str | None:
    for key in ("rationale", "reason", "why", "note"):
        value = getattr(args, key, None)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _jsonable(value: Any) -> Any:
    """Arguments as given, made safe for the audit log's JSON."""
    return json.loads(json.dumps(value, default=str))


def _argument_names(t: Tool) -> set[str]:
    fields = t.args_model.model_fields
    return set(fields) | {f.alias for f in fields.values() if f.alias}


def call(ctx: ToolContext, name: str, args: dict[str, Any] | BaseModel | None = None) -> BaseModel:
    """Validate, check the persona, run. Writes and agentic calls run in one transaction with
    their audit entry; a refused write is audited as refused."""
    t = get(name)
    if t is None:
        raise NotAllowed(f"there is no tool named '{name}'")
    caller = ctx.caller
    raw = args.model_dump(mode="json") if isinstance(args, BaseModel) else dict(args or {})
    if t.action not in ctx.actions:
        # Not offered on this channel (MCP without a grant): fails exactly as an unknown tool does,
        # and the attempt is on record.
        audit.append(ctx.store, actor=caller.email, persona=caller.primary_persona, action=f"tool.{name}",
                     subject="", details={"args": _jsonable(raw), "channel": caller.channel},
                     outcome="refused", why=f"{t.action} scope not granted on {caller.channel}", at=ctx.now())
        raise NotAllowed(f"there is no tool named '{name}'")
    # The persona decides before the arguments are even read: a forbidden call is refused as such.
    if not t.personas & caller.personas:
        if t.action != "read":
            audit.append(ctx.store, actor=caller.email, persona=caller.primary_persona, action=f"tool.{name}",
                         subject="", details={"args": _jsonable(raw), "channel": caller.channel},
                         outcome="refused", why="persona not allowed", at=ctx.now())
        raise NotAllowed(f"{name} is not available to a {persona_name(caller.primary_persona)}")
    unknown = sorted(set(raw) - _argument_names(t))
    if unknown and not isinstance(args, t.args_model):
        # A misspelt key must not be dropped quietly: the answer would be for other arguments.
        raise ToolError(f"bad arguments for {name}: unknown argument{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(repr(k) for k in unknown)}; valid: {', '.join(sorted(t.args_model.model_fields))}")
    try:
        parsed = args if isinstance(args, t.args_model) else t.args_model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                             for e in exc.errors())
        raise ToolError(f"bad arguments for {name}: {problems}") from None
    if t.action == "read":
        if not ctx.snapshot:
            return t.fn(ctx, parsed)
        with snapshot.reading(ctx.store):
            return t.fn(ctx, parsed)
    try:
        with ctx.store.transaction():
            result = t.fn(ctx, parsed)
            audit.append(ctx.store, actor=caller.email, persona=caller.primary_persona, action=f"tool.{name}",
                         subject=getattr(result, "subject", "") or "",
                         details={"args": parsed.model_dump(mode="json"),
                                  "result": result.model_dump(mode="json"), "channel": caller.channel},
                         why=_why(parsed), at=ctx.now())
    except ToolError as exc:
        audit.append(ctx.store, actor=caller.email, persona=caller.primary_persona, action=f"tool.{name}",
                     subject="", details={"args": parsed.model_dump(mode="json"), "error": str(exc),
                                          "channel": caller.channel},
                     outcome="refused", why=_why(parsed), at=ctx.now())
        raise
    return result
