"""Bearer tokens for MCP over HTTP: a token maps to one person in the registry.

A token is `stw_<token_id>_<secret>`: `token_id` is a public handle (listed, used to revoke), the
secret is 32 random bytes. The store keeps only the sha256 of the whole token, so a leaked store
file does not leak usable tokens, and the token is printed once, when it is created.

`StoreTokenVerifier` is the SDK's TokenVerifier: it answers a valid token with an AccessToken whose
`subject` (and `client_id`) is the person's email. Tools read it with `get_access_token()`; the
caller is then resolved from the registry, never from tool arguments.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from mcp.server.auth.provider import AccessToken
from pydantic import BaseModel

from ledger import access, audit
from ledger.errors import StewardError
from ledger.store import Store
from tools.caller import authorise, resolve_caller

if TYPE_CHECKING:
    from mcp_server.server import StoreAccess

PREFIX = "stw_"


class TokenError(StewardError):
    """A token that cannot be created or revoked; the message says what to do."""


class IssuedToken(BaseModel):
    token: str  # shown once; only its sha256 is stored
    token_id: str
    email: str
    label: str | None
    created_at: datetime
    created_by: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now(at: datetime | None) -> datetime:
    return at or datetime.now(timezone.utc).replace(tzinfo=None)


def create_token(store: Store, *, email: str, created_by: str, label: str | None = None,
                 at: datetime | None = None) -> IssuedToken:
    """Issue a token for a person in the registry; audited (the token itself never is)."""
    store.ensure_schema()  # the mcp_tokens table, on a store opened before ledger.access was imported
    person = resolve_caller(store, email)  # UnknownCaller: the person must be in the registry
    token_id = secrets.token_hex(4)
    while access.find_tokens(store, token_id_prefix=token_id):
        token_id = secrets.token_hex(4)
    token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    when = _now(at)
    label = (label or "").strip() or None
    with store.transaction():
        access.insert_token(store, token_id=token_id, token_hash=token_hash(token), email=person.email,
                            created_at=when, created_by=created_by, label=label)
        audit.append(store, actor=created_by, action="mcp.token.create", subject=person.email,
                     details={"token_id": token_id, "label": label}, at=when)
    return IssuedToken(token=token, token_id=token_id, email=person.email, label=label, created_at=when,
                       created_by=created_by)


def _find(store: Store, ref: str) -> access.TokenRow:
    ref = ref.strip()
    if not ref:
        raise TokenError("name the token: its id (from `steward tokens list`), a prefix of it, or the token")
    found = access.find_tokens(store, token_hash=token_hash(ref))
    if found:
        return found[0]
    handle = ref.removeprefix(PREFIX).split("_", 1)[0]
    if len(handle) < 4:
        raise TokenError(f"'{ref}' is too short to name a token: give at least 4 characters of its id")
    found = access.find_tokens(store, token_id_prefix=handle)
    if not found:
        raise TokenError(f"no token matches '{ref}'; `steward tokens list` shows the ids")
    if len(found) > 1:
        raise TokenError(f"'{ref}' matches {len(found)} tokens ({', '.join(t.token_id for t in found)}); "
                         "give more of the id")
    return found[0]


def revoke_token(store: Store, ref: str, *, by: str, at: datetime | None = None) -> access.TokenRow:
    """Revoke by id, id prefix or the token itself; the next request with it gets 401. A person may revoke
    their own tokens; anyone else's needs a FinOps Lead (`by`), checked by the one write helper."""
    store.ensure_schema()
    try:
        row: access.TokenRow | None = _find(store, ref)
    except TokenError:
        row = None
    # Checked before saying whether the token exists: only a FinOps Lead learns which ids are real.
    authorise(store, by, action="revoke someone else's token", for_email=row.email if row else None)
    if row is None:
        row = _find(store, ref)
    if not row.active:
        raise TokenError(f"token {row.token_id} ({row.email}) was already revoked at {row.revoked_at:%Y-%m-%d %H:%M}")
    when = _now(at)
    with store.transaction():
        access.mark_token_revoked(store, row.token_id, when)
        audit.append(store, actor=by, action="mcp.token.revoke", subject=row.email,
                     details={"token_id": row.token_id, "label": row.label}, at=when)
    return row.model_copy(update={"revoked_at": when})


def email_for_token(store: Store, token: str) -> str | None:
    """The person an active token speaks for, if they are still in the registry."""
    if not token.startswith(PREFIX):
        return None
    email = access.email_for_token_hash(store, token_hash(token))
    if email is None or not store.rows("SELECT 1 FROM person_roles WHERE email = ? LIMIT 1", [email]):
        return None
    return email


class StoreTokenVerifier:
    """The SDK TokenVerifier over `mcp_tokens`.

    Verified tokens are remembered per registry version: a revocation is audited, which moves the
    version (see mcp_server.server.StoreAccess for how often the version is checked)."""

    MAX_REMEMBERED = 10_000

    def __init__(self, access: StoreAccess | Store) -> None:
        from mcp_server.server import StoreAccess

        self.access = access if isinstance(access, StoreAccess) else StoreAccess(access)
        self._known: dict[str, tuple[int, str]] = {}

    def email_for(self, token: str) -> str | None:
        if not token.startswith(PREFIX):
            return None
        digest = token_hash(token)
        version = self.access.version()
        hit = self._known.get(digest)
        if hit is not None and hit[0] == version:
            return hit[1]
        with self.access.cursor() as cur:
            email = email_for_token(cur, token)
        if email is not None:
            if len(self._known) >= self.MAX_REMEMBERED:
                self._known.clear()
            self._known[digest] = (version, email)
        return email

    async def verify_token(self, token: str) -> AccessToken | None:
        # On the event loop: a dictionary lookup, plus one small query on a cache miss.
        email = self.email_for(token)
        if email is None:
            return None
        return AccessToken(token=token, client_id=email, scopes=[], subject=email)
