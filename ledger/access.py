"""Who may use Steward's MCP front door, and with which action scopes: two registry tables.

`mcp_tokens` maps a bearer token to a person. Only the sha256 of a token is stored; the token
itself is shown once when it is created. `token_id` is a short public handle (the token starts
with `stw_<token_id>_`), so a token can be listed and revoked without knowing the secret.

`mcp_grants` records a FinOps Lead's approval of an MCP action scope for one person: `write`
(write tools) or `agentic` (agentic tools). A grant is active while `revoked_at` is NULL.

This module is data only; who may grant, and what a scope covers, live in mcp_server.grants.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ledger import versions
from ledger.store import Store


SCOPES = ("write", "agentic")


class TokenRow(BaseModel):
    token_id: str
    email: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    label: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class GrantRow(BaseModel):
    email: str
    scope: str
    granted_by: str
    granted_at: datetime
    rationale: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


_TOKEN_COLS = "token_id, email, created_at, created_by, revoked_at, label"
_GRANT_COLS = "email, scope, granted_by, granted_at, rationale, revoked_at, revoked_by"


def _token(r: tuple) -> TokenRow:
    return TokenRow(**dict(zip(_TOKEN_COLS.split(", "), r, strict=True)))


def _grant(r: tuple) -> GrantRow:
    return GrantRow(**dict(zip(_GRANT_COLS.split(", "), r, strict=True)))


# ------------------------------------------------------------------------------------------ tokens


def insert_token(store: Store, *, token_id: str, token_hash: str, email: str, created_at: datetime,
                 created_by: str, label: str | None) -> TokenRow:
    store.con.execute(
        "INSERT INTO mcp_tokens (token_id, token_hash, email, created_at, created_by, label) "
        "VALUES (?, ?, ?, ?, ?, ?)", [token_id, token_hash, email.lower(), created_at, created_by, label])
    return TokenRow(token_id=token_id, email=email.lower(), created_at=created_at, created_by=created_by,
                    label=label)


def email_for_token_hash(store: Store, token_hash: str) -> str | None:
    """The person an active token speaks for; None for an unknown or revoked token."""
    rows = store.rows("SELECT email FROM mcp_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                      [token_hash])
    return rows[0][0] if rows else None


def tokens(store: Store, *, include_revoked: bool = True) -> list[TokenRow]:
    where = "" if include_revoked else " WHERE revoked_at IS NULL"
    return [_token(r) for r in store.rows(f"SELECT {_TOKEN_COLS} FROM mcp_tokens{where} "
                                          "ORDER BY created_at, token_id")]


def find_tokens(store: Store, *, token_hash: str | None = None, token_id_prefix: str | None = None) -> list[TokenRow]:
    if token_hash is not None:
        rows = store.rows(f"SELECT {_TOKEN_COLS} FROM mcp_tokens WHERE token_hash = ?", [token_hash])
    else:
        rows = store.rows(f"SELECT {_TOKEN_COLS} FROM mcp_tokens WHERE starts_with(token_id, ?) "
                          "ORDER BY token_id", [token_id_prefix or ""])
    return [_token(r) for r in rows]


def mark_token_revoked(store: Store, token_id: str, at: datetime) -> None:
    store.con.execute("UPDATE mcp_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                      [at, token_id])


# ------------------------------------------------------------------------------------------ grants


def active_scopes(store: Store, email: str) -> frozenset[str]:
    """The MCP action scopes a FinOps Lead granted this person and nobody revoked."""
    return frozenset(r[0] for r in store.rows(
        "SELECT DISTINCT scope FROM mcp_grants WHERE email = ? AND revoked_at IS NULL", [email.lower()]))


def active_grant(store: Store, email: str, scope: str) -> GrantRow | None:
    rows = store.rows(f"SELECT {_GRANT_COLS} FROM mcp_grants WHERE email = ? AND scope = ? "
                      "AND revoked_at IS NULL ORDER BY granted_at LIMIT 1", [email.lower(), scope])
    return _grant(rows[0]) if rows else None


def insert_grant(store: Store, *, email: str, scope: str, granted_by: str, granted_at: datetime,
                 rationale: str) -> GrantRow:
    store.con.execute(
        "INSERT INTO mcp_grants (email, scope, granted_by, granted_at, rationale) VALUES (?, ?, ?, ?, ?)",
        [email.lower(), scope, granted_by, granted_at, rationale])
    return GrantRow(email=email.lower(), scope=scope, granted_by=granted_by, granted_at=granted_at,
                    rationale=rationale)


def mark_grant_revoked(store: Store, email: str, scope: str, *, at: datetime, by: str) -> None:
    store.con.execute("UPDATE mcp_grants SET revoked_at = ?, revoked_by = ? WHERE email = ? AND scope = ? "
                      "AND revoked_at IS NULL", [at, by, email.lower(), scope])


def grants(store: Store, *, include_revoked: bool = False) -> list[GrantRow]:
    where = "" if include_revoked else " WHERE revoked_at IS NULL"
    return [_grant(r) for r in store.rows(f"SELECT {_GRANT_COLS} FROM mcp_grants{where} "
                                          "ORDER BY granted_at, email, scope")]


def registry_version(store: Store) -> int:
    """A number that moves whenever the store's content may have: every change (org apply, claims,
    estimates, catalog decisions, tasks, grants, tokens, ingest) is audited, and the audit entry
    moves the store's content counter when its transaction commits (ledger.versions), here or
    through the store's owner. `agent.*` entries only record questions and answers (the agent
    changes things through tools, audited as `tool.*`), so they do not count. Lets a server cache
    a caller's scope and read results safely; reading it costs no query."""
    return store.version(versions.STORE)
