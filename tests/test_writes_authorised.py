"""Issue 11 §2: writes are authorised by one helper; decide_model refuses model ids nobody has seen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger import audit
from ledger.store import Store
from steward.cli import app
from tests.conftest import make_ctx
from tests.orgfixture import A1, build_store
from tools import toolset
from tools.errors import ToolError

MARIA, HANA, LEAD = "maria@example.com", "hana@example.com", "lead@example.com"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    build_store(tmp_path).close()
    yield tmp_path / "steward.duckdb"


def run(db: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db), "--as-of", "2026-11-21", *args])


def tokens_for(db: Path) -> list[str]:
    with Store(db) as store:
        return [r[0] for r in store.rows("SELECT email FROM mcp_tokens ORDER BY created_at")]


def test_anyone_may_create_their_own_token(db):
    r = run(db, "tokens", "create", "--for", MARIA, "--as", MARIA)
    assert r.exit_code == 0, r.output
    assert tokens_for(db) == [MARIA]


def test_a_token_for_someone_else_needs_a_finops_lead(db):
    r = run(db, "tokens", "create", "--for", HANA, "--as", MARIA)
    assert r.exit_code != 0 and "only a FinOps Lead" in r.output
    assert tokens_for(db) == []
    r = run(db, "tokens", "create", "--for", HANA)  # no --as: the operator is nobody in the registry
    assert r.exit_code != 0 and "only a FinOps Lead" in r.output
    r = run(db, "tokens", "create", "--for", HANA, "--as", LEAD)
    assert r.exit_code == 0, r.output
    assert tokens_for(db) == [HANA]
    with Store(db) as store:
        [entry] = audit.entries(store, action="mcp.token.create", limit=None)
    assert (entry.actor, entry.subject) == (LEAD, HANA)


def test_decide_model_refuses_a_model_id_nobody_has_seen(fresh_org_store):
    ctx = make_ctx(fresh_org_store, LEAD)
    before = fresh_org_store.scalar("SELECT count(*) FROM engineer_tasks")
    with pytest.raises(ToolError, match="never seen") as err:
        toolset.call(ctx, "decide_model", {"model_id": "anthropic.claude-opus-9-9-v1", "state": "approved",
                                           "accounts": [A1], "rationale": "typo"})
    assert "unknown_model" in str(err.value)
    assert fresh_org_store.scalar("SELECT count(*) FROM engineer_tasks") == before
    assert not fresh_org_store.scalar("SELECT count(*) FROM model_catalog WHERE model_id = 'anthropic.claude-opus-9-9-v1'")
    r = toolset.call(ctx, "decide_model", {"model_id": "anthropic.claude-opus-9-9-v1", "state": "approved",
                                           "accounts": [A1], "rationale": "announced today, not synced yet",
                                           "unknown_model": True})
    assert r.state == "approved"


def test_a_shipped_model_never_used_may_be_decided(fresh_org_store):
    # In the shipped name map (prices.yaml / model names) but not in this store's CUR: a real model.
    from ledger.model_names import effective_names
    used = {r[0] for r in fresh_org_store.rows("SELECT DISTINCT model_id FROM usage_daily WHERE model_id IS NOT NULL")}
    shipped = sorted({n.model_id for n in effective_names(fresh_org_store)} - used)
    r = toolset.call(make_ctx(fresh_org_store, LEAD), "decide_model",
                     {"model_id": shipped[0], "state": "blocked", "rationale": "not for us"})
    assert r.state == "blocked"


def active_tokens(db: Path) -> list[tuple[str, str]]:
    with Store(db) as store:
        return [tuple(r) for r in store.rows("SELECT token_id, email FROM mcp_tokens WHERE revoked_at IS NULL "
                                             "ORDER BY token_id")]


def test_revoking_someone_elses_token_needs_a_finops_lead(db):
    assert run(db, "tokens", "create", "--for", HANA, "--as", HANA).exit_code == 0
    [(token_id, _)] = active_tokens(db)
    with Store(db) as store:
        entries_before = store.scalar("SELECT count(*) FROM audit_log")
    for who in (["--as", MARIA], []):  # another Product Owner; the operator, nobody in the registry
        r = run(db, "tokens", "revoke", token_id, *who)
        assert r.exit_code != 0 and "only a FinOps Lead" in r.output, r.output
    # An id that matches nothing is refused the same way: a non-lead learns nothing about which ids exist.
    r = run(db, "tokens", "revoke", "ffffffff", "--as", MARIA)
    assert r.exit_code != 0 and "only a FinOps Lead" in r.output and "no token" not in r.output
    assert active_tokens(db) == [(token_id, HANA)]
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM audit_log") == entries_before
    r = run(db, "tokens", "revoke", token_id, "--as", LEAD)
    assert r.exit_code == 0, r.output
    assert active_tokens(db) == []
    with Store(db) as store:
        [entry] = audit.entries(store, action="mcp.token.revoke", limit=None)
    assert (entry.actor, entry.subject) == (LEAD, HANA)


def test_anyone_may_revoke_their_own_token(db):
    assert run(db, "tokens", "create", "--for", MARIA, "--as", MARIA).exit_code == 0
    [(token_id, _)] = active_tokens(db)
    r = run(db, "tokens", "revoke", token_id[:6], "--as", MARIA)
    assert r.exit_code == 0, r.output
    assert active_tokens(db) == []
    r = run(db, "tokens", "revoke", "ffffffff", "--as", LEAD)  # a FinOps Lead gets the precise reason
    assert r.exit_code != 0 and "no token matches" in r.output
