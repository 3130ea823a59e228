"""Issue 11 §1: claims are governed. A Product Owner claims directly only an unclaimed principal in an
account of their part of the org (or one their products already run in), from today; anything else is a
claim request a FinOps Lead approves or rejects. Errors about principals outside the caller's scope read
the same whatever the reason. Real DuckDB per test; today is 2026-11-21."""

from __future__ import annotations

from datetime import date

import pytest

from ledger import audit, registry
from tests.conftest import make_ctx
from tests.orgfixture import A3, ALICE, CHECKOUT, LAB, STRAY, TODAY
from tools import toolset
from tools.errors import ToolError

MARIA, HANA, OMAR, LEAD = (f"{n}@example.com" for n in ("maria", "hana", "omar", "lead"))
UNIFORM = "not in your scope, or not a principal Steward has seen"
GHOST_A3 = f"arn:aws:iam::{A3}:role/ghost"
GHOST_A1 = "arn:aws:iam::111111111111:role/ghost"


def call(store, who: str, name: str, **args):
    return toolset.call(make_ctx(store, who), name, args)


def claims(store) -> dict[str, str]:
    return dict(store.rows("SELECT principal, product FROM claims"))


def test_a_claim_in_an_account_outside_the_product_owners_part_of_the_org_becomes_a_request(fresh_org_store):
    # lab-bedrock runs in 333333333333, owned by Corporate; Maria's products are under Retail.
    before = claims(fresh_org_store)
    r = call(fresh_org_store, MARIA, "claim_principal", principal=LAB, product="Checkout", reason="our batch lab")
    assert claims(fresh_org_store) == before, "nothing is claimed before a FinOps Lead approves"
    assert r.status == "requested" and r.request_id
    # Nothing about the principal's spend is shown to the requester before approval.
    assert r.cur_first_seen is None and r.cur_last_seen is None
    [row] = fresh_org_store.rows("SELECT principal, product, requested_by, reason, claimed_on, status "
                                 "FROM claim_requests")
    assert row == (LAB, "Checkout", MARIA, "our batch lab", TODAY, "open")


def test_a_claim_in_the_product_owners_own_part_of_the_org_is_direct(fresh_org_store):
    # stray-bedrock runs in 111111111111, owned by Payments (Maria's products' department); Omar's App
    # is in the same business unit (Retail), so he may claim it too.
    r = call(fresh_org_store, OMAR, "claim_principal", principal=STRAY, product="App")
    assert r.status == "claimed" and claims(fresh_org_store)[STRAY] == "App"


def test_a_claim_in_an_account_the_products_already_run_in_is_direct(fresh_org_store):
    # Hana's HR Portal is under Corporate > People; alice runs in 222222222222 (owner People): direct.
    r = call(fresh_org_store, HANA, "claim_principal", principal=ALICE, product="HR Portal")
    assert r.status == "claimed"


def test_a_backdated_claim_by_a_product_owner_is_a_request(fresh_org_store):
    r = call(fresh_org_store, MARIA, "claim_principal", principal=STRAY, product="Checkout",
             claimed_on="2026-10-01", reason="it has been ours since October")
    assert r.status == "requested" and STRAY not in claims(fresh_org_store)
    assert fresh_org_store.scalar("SELECT claimed_on FROM claim_requests") == date(2026, 10, 1)


def test_a_finops_lead_may_backdate_with_a_rationale(fresh_org_store):
    with pytest.raises(ToolError, match="backdated claim needs a reason"):
        call(fresh_org_store, LEAD, "claim_principal", principal=STRAY, product="Checkout", claimed_on="2026-10-01")
    r = call(fresh_org_store, LEAD, "claim_principal", principal=STRAY, product="Checkout", claimed_on="2026-10-01",
             reason="batch role of Checkout since launch")
    assert r.status == "claimed" and r.claimed_on == date(2026, 10, 1)


@pytest.mark.parametrize("principal", [CHECKOUT, GHOST_A1], ids=["claimed-by-another-product", "never-seen"])
def test_claim_errors_about_principals_outside_the_scope_read_the_same(fresh_org_store, principal):
    # Omar (App) does not see Checkout: "already claimed by another product" and "does not exist" read alike.
    with pytest.raises(ToolError) as err:
        call(fresh_org_store, OMAR, "claim_principal", principal=principal, product="App")
    assert UNIFORM in str(err.value)
    assert "Checkout" not in str(err.value) and "already claimed" not in str(err.value)


def test_the_finops_lead_gets_the_precise_reason(fresh_org_store):
    with pytest.raises(ToolError, match="already claimed by Checkout"):
        call(fresh_org_store, LEAD, "claim_principal", principal=CHECKOUT, product="Fraud")
    with pytest.raises(ToolError, match="no CUR row has principal"):
        call(fresh_org_store, LEAD, "claim_principal", principal=GHOST_A1, product="Fraud")


def test_an_out_of_scope_account_gives_a_request_whether_or_not_the_principal_exists(fresh_org_store):
    # No oracle: a ghost in someone else's account is answered exactly like a real principal there.
    real = call(fresh_org_store, MARIA, "claim_principal", principal=LAB, product="Checkout", reason="r")
    ghost = call(fresh_org_store, MARIA, "claim_principal", principal=GHOST_A3, product="Checkout", reason="r")
    assert (real.status, ghost.status) == ("requested", "requested")
    assert real.message.replace(real.request_id, "X").replace(LAB, "P") == \
        ghost.message.replace(ghost.request_id, "X").replace(GHOST_A3, "P")


def test_a_finops_lead_approves_a_request_and_the_claim_follows_audited(fresh_org_store):
    req = call(fresh_org_store, MARIA, "claim_principal", principal=LAB, product="Checkout", reason="our lab")
    listed = call(fresh_org_store, LEAD, "claim_requests")
    [view] = listed.requests
    assert (view.request_id, view.principal, view.status) == (req.request_id, LAB, "open")
    assert view.lead_note == "unclaimed; seen in the CUR"
    with pytest.raises(ToolError, match="say why"):
        call(fresh_org_store, LEAD, "decide_claim_request", request_id=req.request_id, decision="approve",
             rationale=" ")
    done = call(fresh_org_store, LEAD, "decide_claim_request", request_id=req.request_id, decision="approve",
                rationale="lab runs Checkout's batch evals")
    assert done.status == "approved" and claims(fresh_org_store)[LAB] == "Checkout"
    claim = registry.claim_for_principal(fresh_org_store, LAB)
    assert (claim.claimed_by, claim.claimed_on) == (LEAD, TODAY)
    entries = audit.entries(fresh_org_store, action="tool.decide_claim_request", limit=None)
    assert [(e.actor, e.why, e.outcome) for e in entries] == [(LEAD, "lab runs Checkout's batch evals", "ok")]
    [asked] = audit.entries(fresh_org_store, action="tool.claim_principal", limit=None)
    assert (asked.actor, asked.why) == (MARIA, "our lab")
    with pytest.raises(ToolError, match="already approved"):
        call(fresh_org_store, LEAD, "decide_claim_request", request_id=req.request_id, decision="reject",
             rationale="changed my mind")


def test_a_rejected_request_claims_nothing_and_its_requester_sees_the_outcome(fresh_org_store):
    req = call(fresh_org_store, MARIA, "claim_principal", principal=GHOST_A3, product="Checkout", reason="r")
    view = call(fresh_org_store, LEAD, "claim_requests").requests[0]
    assert view.lead_note == "no CUR row has this principal"
    call(fresh_org_store, LEAD, "decide_claim_request", request_id=req.request_id, decision="reject",
         rationale="not a real role")
    mine = call(fresh_org_store, MARIA, "claim_requests", status="all").requests
    assert [(v.request_id, v.status, v.decision_note) for v in mine] == [(req.request_id, "rejected",
                                                                         "not a real role")]
    assert mine[0].lead_note is None  # the precise reason is the FinOps Lead's
    assert GHOST_A3 not in claims(fresh_org_store)


def test_a_product_owner_cannot_decide_and_sees_only_their_products_requests(fresh_org_store):
    call(fresh_org_store, MARIA, "claim_principal", principal=LAB, product="Checkout", reason="r")
    assert call(fresh_org_store, HANA, "claim_requests").requests == []
    with pytest.raises(ToolError, match="not available to a Product Owner"):
        call(fresh_org_store, MARIA, "decide_claim_request", request_id="CR-0001", decision="approve",
             rationale="mine")


def test_org_export_shows_pending_claim_requests(fresh_org_store):
    from ledger.claim_requests import pending_text
    req = call(fresh_org_store, MARIA, "claim_principal", principal=LAB, product="Checkout", reason="our lab")
    text = pending_text(fresh_org_store)
    assert req.request_id in text and LAB in text and "Checkout" in text and MARIA in text and "our lab" in text


def test_the_cli_lists_approves_and_export_shows_what_is_pending(tmp_path):
    from typer.testing import CliRunner

    from ledger.store import Store
    from steward.cli import app
    from tests.orgfixture import build_store

    build_store(tmp_path).close()
    db = tmp_path / "steward.duckdb"

    def run(*args: str):
        return CliRunner().invoke(app, ["--db", str(db), "--as-of", "2026-11-21", *args])

    r = run("tools", "call", "claim_principal", f"principal={LAB}", "product=Checkout", "reason=our lab",
            "--as", MARIA, "--json")
    assert r.exit_code == 0, r.output
    exported = run("org", "export").output
    assert "# Pending claim requests" in exported and f"CR-0001: {LAB} for Checkout" in exported
    assert run("claims", "approve", "CR-0001", "--rationale", "ok", "--as", MARIA).exit_code != 0
    r = run("claims", "approve", "CR-0001", "--rationale", "lab runs Checkout evals", "--as", LEAD)
    assert r.exit_code == 0, r.output
    with Store(db) as store:
        assert claims(store)[LAB] == "Checkout"
    assert "# Pending claim requests" not in run("org", "export").output
