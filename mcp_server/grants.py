"""Default-deny action scopes for the MCP front door.

Every caller sees and can call read tools. A write tool is offered only when the caller's persona
allows it AND a FinOps Lead granted that caller the `write` MCP scope; an agentic tool (a decision
that creates Cloud Engineer tasks; nothing in Steward changes AWS) needs the `agentic` scope. The
scopes are separate: `agentic` does not imply `write`, nor the reverse.

Grants and revocations are decisions: each is appended to the audit log in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel

from ledger import access, audit
from ledger.errors import StewardError
from ledger.store import Store
from tools import toolset
from tools.caller import Caller, authorise, resolve_caller
from tools.errors import NotAllowed

SCOPES = access.SCOPES
READ_ONLY: frozenset[str] = frozenset({"read"})


class GrantError(StewardError):
    """A grant or revocation that cannot be made; the message says why and what to do."""


class GrantResult(BaseModel):
    email: str
    scope: str
    changed: bool
    grant: access.GrantRow | None
    message: str


def allowed_actions(granted: frozenset[str]) -> frozenset[str]:
    """Read, plus each action scope granted (`write` -> write tools, `agentic` -> agentic tools)."""
    return READ_ONLY | (granted & frozenset(SCOPES))


def _now(at: datetime | None) -> datetime:
    return at or datetime.now(timezone.utc).replace(tzinfo=None)


def _lead(store: Store, email: str) -> Caller:
    try:
        return authorise(store, email, action="grant or revoke MCP action scopes")
    except NotAllowed as exc:
        raise GrantError(str(exc)) from None


def _check_scope(scope: str) -> str:
    scope = scope.strip().lower()
    if scope not in SCOPES:
        raise GrantError(f"'{scope}' is not an MCP action scope; use one of: {', '.join(SCOPES)}")
    return scope


def grant(store: Store, *, email: str, scope: str, rationale: str, by: str,
          at: datetime | None = None) -> GrantResult:
    """A FinOps Lead (`by`) grants `email` an MCP action scope. Granting an active grant again
    changes nothing. Refused when the person's personas have no tool of that scope."""
    scope = _check_scope(scope)
    store.ensure_schema()  # the mcp_grants table, on a store opened before ledger.access was imported
    if not rationale or not rationale.strip():
        raise GrantError("say why: --rationale is required and kept in the audit log")
    lead = _lead(store, by)
    grantee = resolve_caller(store, email)
    offered = toolset.tools_for(grantee.personas, actions=frozenset({scope}))
    if not offered:
        personas = ", ".join(sorted(p.replace("_", " ") for p in grantee.personas))
        holders = sorted({p.replace("_", " ") for t in toolset.all_tools() if t.action == scope for p in t.personas})
        raise GrantError(f"{grantee.email} ({personas}) has no {scope} tools, so {'an' if scope == 'agentic' else 'a'} "
                         f"{scope} grant would change nothing; {scope} tools are for: {', '.join(holders)}")
    existing = access.active_grant(store, grantee.email, scope)
    if existing is not None:
        return GrantResult(email=grantee.email, scope=scope, changed=False, grant=existing,
                           message=f"{grantee.email} already has the {scope} scope (granted by "
                                   f"{existing.granted_by} on {existing.granted_at:%Y-%m-%d}); nothing changed.")
    when = _now(at)
    with store.transaction():
        row = access.insert_grant(store, email=grantee.email, scope=scope, granted_by=lead.email,
                                  granted_at=when, rationale=rationale.strip())
        audit.append(store, actor=lead.email, persona="finops_lead", action="mcp.grant",
                     subject=grantee.email, details={"scope": scope, "tools": sorted(t.name for t in offered)},
                     why=rationale.strip(), at=when)
    return GrantResult(email=grantee.email, scope=scope, changed=True, grant=row,
                       message=f"{grantee.email} may now see and call these {scope} tools over MCP: "
                               f"{', '.join(sorted(t.name for t in offered))}.")


def revoke(store: Store, *, email: str, scope: str, by: str, why: str | None = None,
           at: datetime | None = None) -> GrantResult:
    """A FinOps Lead withdraws an MCP action scope; the tools disappear from the next request."""
    scope = _check_scope(scope)
    store.ensure_schema()
    lead = _lead(store, by)
    email = email.strip().lower()
    existing = access.active_grant(store, email, scope)
    if existing is None:
        raise GrantError(f"{email} has no active {scope} grant; `steward mcp grants` lists them")
    when = _now(at)
    with store.transaction():
        access.mark_grant_revoked(store, email, scope, at=when, by=lead.email)
        audit.append(store, actor=lead.email, persona="finops_lead", action="mcp.revoke", subject=email,
                     details={"scope": scope, "granted_by": existing.granted_by,
                              "granted_at": existing.granted_at}, why=why, at=when)
    return GrantResult(email=email, scope=scope, changed=True, grant=None,
                       message=f"revoked {email}'s {scope} scope: its tools are hidden from the next request.")
