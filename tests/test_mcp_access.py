"""MCP access: FinOps Lead grants of action scopes, bearer tokens stored as hashes, and the
`steward mcp grant|revoke|grants` and `steward tokens create|list|revoke` commands."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from ledger import access, audit
from ledger.store import Store
from mcp_server import grants
from mcp_server.auth import StoreTokenVerifier, TokenError, create_token, email_for_token, revoke_token, token_hash
from mcp_server.grants import GrantError
from mcp_server.server import StoreAccess
from tools.errors import UnknownCaller

MARIA, HANA, LEAD, ENG = "maria@example.com", "hana@example.com", "lead@example.com", "eng@example.com"


def last_audit(store: Store) -> audit.AuditEntry:
    return audit.entries(store, limit=1)[0]


# ------------------------------------------------------------------------------ grants


def test_only_a_finops_lead_grants_and_every_grant_is_audited(fresh_org_store: Store) -> None:
    store = fresh_org_store
    with pytest.raises(GrantError, match="not a FinOps Lead"):
        grants.grant(store, email=MARIA, scope="write", rationale="self-service", by=MARIA)
    with pytest.raises(GrantError, match="rationale"):
        grants.grant(store, email=MARIA, scope="write", rationale="  ", by=LEAD)
    with pytest.raises(GrantError, match="not an MCP action scope"):
        grants.grant(store, email=MARIA, scope="admin", rationale="x", by=LEAD)
    with pytest.raises(GrantError, match="has no agentic tools"):
        grants.grant(store, email=MARIA, scope="agentic", rationale="x", by=LEAD)
    with pytest.raises(UnknownCaller):
        grants.grant(store, email="mallory@example.com", scope="write", rationale="x", by=LEAD)
    assert access.active_scopes(store, MARIA) == frozenset()

    result = grants.grant(store, email="Maria@Example.com", scope="write", rationale="IDE pilot", by=LEAD)
    assert result.changed and access.active_scopes(store, MARIA) == {"write"}
    entry = last_audit(store)
    assert (entry.actor, entry.action, entry.subject, entry.why) == (LEAD, "mcp.grant", MARIA, "IDE pilot")
    assert entry.details["scope"] == "write" and "claim_principal" in entry.details["tools"]

    again = grants.grant(store, email=MARIA, scope="write", rationale="again", by=LEAD)
    assert not again.changed and last_audit(store).seq == entry.seq

    with pytest.raises(GrantError, match="not a FinOps Lead"):
        grants.revoke(store, email=MARIA, scope="write", by=HANA)
    grants.revoke(store, email=MARIA, scope="write", by=LEAD, why="pilot over")
    assert access.active_scopes(store, MARIA) == frozenset()
    entry = last_audit(store)
    assert (entry.action, entry.subject, entry.why) == ("mcp.revoke", MARIA, "pilot over")
    with pytest.raises(GrantError, match="no active write grant"):
        grants.revoke(store, email=MARIA, scope="write", by=LEAD)
    assert [g.revoked_by for g in access.grants(store, include_revoked=True)] == [LEAD]
    assert audit.verify(store).ok


def test_scopes_cover_their_own_action_only(fresh_org_store: Store) -> None:
    from dataclasses import replace

    from tests.conftest import make_ctx
    from tools import toolset

    def offered(email: str, granted: set[str]) -> set[str]:
        ctx = replace(make_ctx(fresh_org_store, email), actions=grants.allowed_actions(frozenset(granted)))
        return {t.name for t in toolset.tools_for(ctx)}

    assert grants.allowed_actions(frozenset()) == {"read"}
    names = offered(LEAD, {"agentic"})
    assert "decide_model" in names and "claim_principal" not in names
    names = offered(LEAD, {"write"})
    assert "claim_principal" in names and "decide_model" not in names
    assert "complete_task" in offered(ENG, {"write"})


# ------------------------------------------------------------------------------ tokens


def test_a_token_is_shown_once_and_only_its_hash_is_stored(fresh_org_store: Store) -> None:
    store = fresh_org_store
    issued = create_token(store, email="MARIA@example.com", created_by=LEAD, label="laptop")
    assert issued.token.startswith(f"stw_{issued.token_id}_") and len(issued.token) > 40
    assert issued.email == MARIA
    stored = store.rows("SELECT * FROM mcp_tokens")
    assert len(stored) == 1 and token_hash(issued.token) in stored[0]
    everything = json.dumps(store.rows("SELECT * FROM mcp_tokens") + store.rows("SELECT * FROM audit_log"),
                            default=str)
    assert issued.token not in everything and issued.token.split("_", 2)[2] not in everything
    entry = last_audit(store)
    assert (entry.action, entry.subject, entry.details["token_id"]) == ("mcp.token.create", MARIA, issued.token_id)
    assert email_for_token(store, issued.token) == MARIA
    assert email_for_token(store, issued.token + "x") is None
    assert email_for_token(store, "Bearer " + issued.token) is None
    with pytest.raises(UnknownCaller):
        create_token(store, email="mallory@example.com", created_by=LEAD)


def test_revoke_by_id_prefix_or_token_and_the_verifier_follows(fresh_org_store: Store) -> None:
    store = fresh_org_store
    verifier = StoreTokenVerifier(StoreAccess(store, ttl=0))  # ttl 0: every request checks the registry
    a = create_token(store, email=MARIA, created_by=LEAD)
    b = create_token(store, email=HANA, created_by=LEAD)

    async def verify(token: str):  # noqa: ANN202
        return await verifier.verify_token(token)

    seen = anyio.run(verify, a.token)
    assert (seen.subject, seen.client_id, seen.scopes) == (MARIA, MARIA, [])
    assert anyio.run(verify, "stw_nope") is None

    with pytest.raises(TokenError, match="too short"):
        revoke_token(store, "ab", by=LEAD)
    with pytest.raises(TokenError, match="no token matches"):
        revoke_token(store, "zzzzzzzz", by=LEAD)
    revoked = revoke_token(store, a.token_id[:5], by=LEAD)
    assert revoked.token_id == a.token_id and revoked.revoked_at is not None
    assert anyio.run(verify, a.token) is None  # the next request is refused
    assert last_audit(store).action == "mcp.token.revoke"
    with pytest.raises(TokenError, match="already revoked"):
        revoke_token(store, a.token, by=LEAD)
    revoke_token(store, b.token, by=LEAD)  # the token itself names it too
    assert email_for_token(store, b.token) is None
    assert [t.active for t in access.tokens(store)] == [False, False]


# ------------------------------------------------------------------------------ the commands


def run(db: Path, *args: str):  # noqa: ANN201 - click Result
    from steward.cli import app

    return CliRunner().invoke(app, ["--db", str(db), "--as-of", "2026-11-21", *args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    from tests.orgfixture import build_store

    build_store(tmp_path).close()
    return tmp_path / "steward.duckdb"


def test_grant_and_token_commands(db: Path) -> None:
    r = run(db, "mcp", "grant", MARIA, "--scope", "write", "--rationale", "IDE pilot", "--as", MARIA)
    assert r.exit_code == 2 and "not a FinOps Lead" in r.output
    r = run(db, "mcp", "grant", MARIA, "--scope", "write", "--rationale", "IDE pilot", "--as", LEAD)
    assert r.exit_code == 0, r.output
    assert "claim_principal" in r.output
    r = run(db, "mcp", "grants")
    assert r.exit_code == 0 and "maria@example.com" in r.output and "IDE pilot" in r.output
    r = run(db, "mcp", "revoke", MARIA, "--scope", "write", "--as", LEAD, "--why", "done")
    assert r.exit_code == 0, r.output

    r = run(db, "tokens", "create", "--for", MARIA, "--label", "laptop", "--as", LEAD)
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[0]
    assert token.startswith("stw_")
    token_id = token.split("_")[1]
    r = run(db, "tokens", "list")
    assert r.exit_code == 0 and token_id in r.output and token not in r.output
    r = run(db, "tokens", "revoke", token_id, "--as", LEAD)
    assert r.exit_code == 0 and f"revoked token {token_id}" in r.output
    r = run(db, "tokens", "create", "--for", "mallory@example.com", "--as", LEAD)
    assert r.exit_code == 2 and "not in the Steward registry" in r.output

    with Store(db) as store:
        actions = [e.action for e in reversed(audit.entries(store, limit=5))]
    assert actions[-4:] == ["mcp.grant", "mcp.revoke", "mcp.token.create", "mcp.token.revoke"]


def test_stdio_server_needs_a_person(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEWARD_MCP_AS", raising=False)
    r = run(db, "mcp")
    assert r.exit_code == 2 and "--as EMAIL" in r.output
    r = run(db, "mcp", "--as", "mallory@example.com")
    assert r.exit_code == 2 and "not in the Steward registry" in r.output


def test_store_access_pools_cursors_and_checks_the_registry_at_most_every_ttl(fresh_org_store: Store) -> None:
    store = fresh_org_store
    access = StoreAccess(store, ttl=3600)
    before = access.version()
    grants.grant(store, email=MARIA, scope="write", rationale="pilot", by=LEAD)  # audited: the version moves
    assert access.version() == before  # not checked again within the ttl
    access.changed()  # what a write through the MCP server does
    assert access.version() > before
    with access.cursor() as first:
        pass
    with access.cursor() as second:
        assert second is first  # pooled, not reopened


def test_the_persona_table_in_docs_matches_the_registry() -> None:
    """docs/mcp.md says what each persona can do over MCP; it must not drift from the registry."""
    import re

    from tools import toolset

    doc = (Path(__file__).resolve().parent.parent / "docs" / "mcp.md").read_text()
    row = re.compile(r"^\| (Product Owner|Portfolio Manager|FinOps Lead|Cloud Engineer) \|(.+)\|$", re.M)
    rows = {m.group(1): [c.strip() for c in m.group(2).split("|")] for m in row.finditer(doc)}

    def names(cell: str) -> set[str]:
        return {n.strip() for n in cell.split(",") if re.fullmatch(r"[a-z_]+", n.strip())}

    def registry(persona: str, action: str) -> set[str]:
        return {t.name for t in toolset.tools_for(frozenset({persona}), actions=frozenset({action}))}

    persona = {"Product Owner": "product_owner", "Portfolio Manager": "portfolio_manager",
               "FinOps Lead": "finops_lead", "Cloud Engineer": "cloud_engineer"}
    assert set(rows) == set(persona)
    for label, key in persona.items():
        reads, writes, agentic = rows[label]
        if label == "FinOps Lead":  # "everything a Product Owner reads, org-wide, plus task_queue"
            assert registry(key, "read") == registry("product_owner", "read") | names(reads.split("plus")[1])
        else:
            assert names(reads) == registry(key, "read"), label
        assert names(writes) == registry(key, "write"), label
        assert names(agentic) == registry(key, "agentic"), label
