"""model_drift against the fixture's drift streams (tests/orgfixture.py DRIFT_STREAMS), recomputed from ROWS."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import make_ctx
from tests.orgfixture import (
    A1,
    A2,
    A3,
    APP,
    CHECKOUT,
    FRAUD,
    HAIKU,
    HR,
    LAB,
    LLAMA70,
    LLAMA405,
    OPUS,
    ROWS,
    SONNET,
    day,
    principal_of,
    product_of,
)
from tools import toolset
from tools.errors import NotAllowed, ScopeError

NOV = (date(2026, 11, 1), date(2026, 12, 1))



def stream(principal: str, prefix: str, billing: str, *, attributed: bool | None = None) -> list[dict]:
    """November usage rows of one principal, region prefix and billing model; optionally only the rows a
    claim covers (True) or does not cover (False)."""
    out = []
    for r in ROWS:
        if r["line_item_line_item_type"] != "Usage" or not NOV[0] <= day(r) < NOV[1]:
            continue
        if principal_of(r) != principal or not r["line_item_usage_type"].startswith(f"{prefix}-{billing}-"):
            continue
        if attributed is not None and (product_of(r) is not None) != attributed:
            continue
        out.append(r)
    return out


def cost(rows: list[dict]) -> float:
    return sum(r["line_item_unblended_cost"] for r in rows)


def tokens(rows: list[dict]) -> float:
    return sum(r["line_item_usage_amount"] * 1000 for r in rows)


def run(store, email: str, **args):
    return toolset.call(make_ctx(store, email), "model_drift", args)


def keyed(lines) -> dict[tuple[str, str], object]:
    return {(x.principal, x.model): x for x in lines}


def test_finops_lead_sees_the_three_claimed_drift_uses_with_their_reasons_and_costs(org_store) -> None:
    claimed = keyed(run(org_store, "lead@example.com").claimed)
    assert set(claimed) == {(CHECKOUT, OPUS), (HR, SONNET), (APP, LLAMA405)}
    opus, sonnet, llama = claimed[(CHECKOUT, OPUS)], claimed[(HR, SONNET)], claimed[(APP, LLAMA405)]
    assert (opus.compliance, opus.catalog_state, opus.product, opus.product_owners) == (
        "unreviewed", None, "Checkout", ["Maria Lopez"])
    assert opus.usd == pytest.approx(cost(stream(CHECKOUT, "USE1", "Claude4.6Opus")), abs=0.01)
    assert opus.tokens == pytest.approx(tokens(stream(CHECKOUT, "USE1", "Claude4.6Opus")))
    assert (sonnet.compliance, sonnet.region, sonnet.account_id, sonnet.product) == (
        "approved_elsewhere", "us-west-2", A2, "HR Portal")
    assert sonnet.usd == pytest.approx(cost(stream(HR, "USW2", "Claude4.6Sonnet")), abs=0.01)
    # The app role's claim counts from 2026-11-10: only that spend is App's.
    assert (llama.compliance, llama.product, llama.product_owners) == ("restricted_to_others", "App", ["Omar Diaz"])
    assert llama.usd == pytest.approx(cost(stream(APP, "USE1", "Llama3-1-405B", attributed=True)), abs=0.01)
    assert (llama.first_day, llama.last_day, llama.days_seen) == (date(2026, 11, 10), date(2026, 11, 20), 11)


def test_reasons_say_in_words_why_each_use_is_outside_the_catalog(org_store) -> None:
    r = run(org_store, "lead@example.com")
    reasons = {x.model: x.reason for x in r.claimed}
    assert reasons[OPUS] == "not in the model catalog (unreviewed)"
    assert reasons[LLAMA405] == "restricted to Fraud; not App"
    assert reasons[SONNET] == ("approved only in accounts 111111111111 and 222222222222, region us-east-1; "
                               "used in 222222222222 us-west-2")
    assert keyed(r.unattributed)[(LAB, LLAMA70)].reason == "blocked in the catalog: Superseded"


def test_unclaimed_and_before_claim_drift_is_listed_separately(org_store) -> None:
    loose = keyed(run(org_store, "lead@example.com").unattributed)
    assert set(loose) == {(LAB, LLAMA70), (APP, LLAMA405)}
    lab, early = loose[(LAB, LLAMA70)], loose[(APP, LLAMA405)]
    assert (lab.attribution, lab.compliance, lab.account_id) == ("unclaimed", "blocked", A3)
    assert lab.usd == pytest.approx(cost(stream(LAB, "USE1", "Llama3-70B")), abs=0.01)
    assert (early.attribution, early.claimed_on, early.claimed_for) == ("before_claim", date(2026, 11, 10), "App")
    assert early.usd == pytest.approx(cost(stream(APP, "USE1", "Llama3-1-405B", attributed=False)), abs=0.01)


def test_totals_and_summary_name_each_model_with_who_used_it(org_store) -> None:
    r = run(org_store, "lead@example.com")
    drift = [stream(CHECKOUT, "USE1", "Claude4.6Opus"), stream(HR, "USW2", "Claude4.6Sonnet"),
             stream(APP, "USE1", "Llama3-1-405B"), stream(LAB, "USE1", "Llama3-70B")]
    assert r.models == 4
    assert r.total_usd == pytest.approx(sum(cost(s) for s in drift), abs=0.01)
    assert r.summary.startswith("Yes: four models are in use outside their approvals in November 2026.")
    opus = cost(drift[0])
    assert (f"Claude Opus 4.6 (unreviewed): the checkout-bedrock role (Checkout, Maria Lopez), "
            f"account retail-prod (111111111111) us-east-1, ${opus:,.0f}.") in r.summary
    assert "Llama 3 70B Instruct (blocked): an unclaimed lab-bedrock role, account corp-lab (333333333333)" in r.summary


def test_use_the_catalog_allows_is_not_drift(org_store) -> None:
    # Fraud may use Llama 3.1 405B; Sonnet in us-east-1 of the prod accounts is approved.
    r = run(org_store, "lead@example.com")
    assert FRAUD not in {x.principal for x in r.claimed}
    assert all(x.region == "us-west-2" for x in r.claimed if x.model == SONNET)


def test_product_owner_sees_only_her_products_drift(org_store) -> None:
    r = run(org_store, "maria@example.com")
    assert set(keyed(r.claimed)) == {(CHECKOUT, OPUS)}
    assert r.unattributed == []  # she owns no account
    assert r.summary.startswith("Yes: one model is in use outside its approval in your scope")


def test_portfolio_manager_sees_her_portfolios_drift_and_her_accounts_unattributed_drift(org_store) -> None:
    r = run(org_store, "priya@example.com")
    assert set(keyed(r.claimed)) == {(CHECKOUT, OPUS), (APP, LLAMA405)}
    assert set(keyed(r.unattributed)) == {(APP, LLAMA405)}
    assert all(x.account_id == A1 for x in [*r.claimed, *r.unattributed])


def test_product_and_account_names_outside_scope_are_counted_not_named(org_store) -> None:
    omar = run(org_store, "omar@example.com")
    assert keyed(omar.claimed)[(APP, LLAMA405)].reason == "restricted to 1 other product; not App"
    assert "Fraud" not in omar.model_dump_json()
    hana = run(org_store, "hana@example.com")
    assert keyed(hana.claimed)[(HR, SONNET)].reason.startswith(
        "approved only in accounts 222222222222 and 1 other account, region us-east-1")
    assert A1 not in hana.model_dump_json()


def test_product_argument_keeps_that_product_and_its_spend_before_the_claim(org_store) -> None:
    r = run(org_store, "lead@example.com", product="app")
    assert set(keyed(r.claimed)) == {(APP, LLAMA405)}
    assert set(keyed(r.unattributed)) == {(APP, LLAMA405)}


def test_model_argument_accepts_a_readable_name(org_store) -> None:
    r = run(org_store, "lead@example.com", model="Claude Opus 4.6")
    assert [x.model for x in [*r.claimed, *r.unattributed]] == [OPUS]


def test_out_of_scope_product_is_refused_the_same_way_whether_or_not_it_exists(org_store) -> None:
    with pytest.raises(ScopeError) as real:
        run(org_store, "maria@example.com", product="HR Portal")
    with pytest.raises(ScopeError) as made_up:
        run(org_store, "maria@example.com", product="No Such Product")
    assert str(real.value).replace("HR Portal", "X") == str(made_up.value).replace("No Such Product", "X")


def test_a_month_without_drift_says_no(org_store) -> None:
    r = run(org_store, "lead@example.com", month="2026-10")
    assert r.claimed == [] and r.unattributed == [] and r.models == 0
    assert r.summary.startswith("No: no model use outside the catalog's approvals in October 2026.")
    # Claude 3 Haiku ran after its end of life (2026-09-10): drift even where the catalog approves it.
    assert {(x.product, x.model_id, x.status) for x in r.past_eol} == {
        ("Fraud", HAIKU, "eol"), (None, HAIKU, "eol")}
    assert "But in use, past end of life" in r.summary and "EOL was 2026-09-10" in r.summary


def test_cloud_engineers_cannot_ask_about_drift(org_store) -> None:
    with pytest.raises(NotAllowed):
        run(org_store, "eng@example.com")
