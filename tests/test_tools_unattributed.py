"""unattributed_spend against independent sums over the fixture CUR (tests/orgfixture.py)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger import org_apply, org_parse
from tests.conftest import make_ctx
from tests.orgfixture import (
    A1,
    A2,
    A3,
    ALICE,
    APP,
    LAB,
    ORG_YAML,
    ROWS,
    STRAY,
    day,
    principal_of,
    product_of,
)
from tools import toolset

NOV = (date(2026, 11, 1), date(2026, 12, 1))
OCT = (date(2026, 10, 1), date(2026, 11, 1))



def unattributed(principal: str, start: date, end: date) -> list[dict]:
    """Usage rows of a principal in [start, end) that no claim covers."""
    return [r for r in ROWS if r["line_item_line_item_type"] == "Usage" and start <= day(r) < end
            and principal_of(r) == principal and product_of(r) is None]


def cost(rows: list[dict]) -> float:
    return sum(r["line_item_unblended_cost"] for r in rows)


def tokens(rows: list[dict]) -> float:
    return sum(r["line_item_usage_amount"] * 1000 for r in rows)


def run(store, email: str, **args):
    return toolset.call(make_ctx(store, email), "unattributed_spend", args)


def lines(result) -> dict[str, object]:
    return {line.principal: line for g in result.groups for line in g.lines}


def test_portfolio_manager_sees_the_stray_role_and_spend_before_the_app_claim_in_her_account(org_store) -> None:
    r = run(org_store, "priya@example.com")
    found = lines(r)
    assert set(found) == {STRAY, APP}
    assert [g.owner for g in r.groups] == ["Payments"]
    stray, app = found[STRAY], found[APP]
    assert stray.reason == "unclaimed" and stray.account_id == A1 and stray.account_name == "retail-prod"
    assert stray.usd == pytest.approx(cost(unattributed(STRAY, *NOV)), abs=0.01)
    assert stray.tokens == pytest.approx(tokens(unattributed(STRAY, *NOV)))
    assert (stray.first_day, stray.last_day, stray.days_seen) == (date(2026, 11, 1), date(2026, 11, 20), 20)
    assert app.reason == "before_claim" and app.claimed_on == date(2026, 11, 10) and app.claimed_for == "App"
    assert app.usd == pytest.approx(cost(unattributed(APP, *NOV)), abs=0.01)
    assert (app.first_day, app.last_day, app.days_seen) == (date(2026, 11, 1), date(2026, 11, 9), 9)


def test_totals_count_principals_and_the_summary_states_the_total(org_store) -> None:
    r = run(org_store, "priya@example.com")
    total = cost(unattributed(STRAY, *NOV)) + cost(unattributed(APP, *NOV))
    assert r.total_usd == pytest.approx(total, abs=0.01)
    assert r.groups[0].usd == pytest.approx(total, abs=0.01)
    assert (r.principals, r.unclaimed, r.before_claim, r.no_principal_usd) == (2, 1, 1, 0)
    assert r.summary.startswith("1 unclaimed principal and 1 principal with spend before its claim date")
    assert f"${total:,.2f} in accounts you own in November 2026" in r.summary


def test_top_models_list_each_principals_largest_models_first(org_store) -> None:
    app = lines(run(org_store, "priya@example.com"))[APP]
    rows = unattributed(APP, *NOV)
    by_billing = {b: cost([x for x in rows if f"-{b}-" in x["line_item_usage_type"]])
                  for b in ("Llama3-1-405B", "Claude3Haiku")}
    assert [m.name for m in app.top_models] == ["Llama 3.1 405B Instruct", "Claude 3 Haiku"]
    assert [m.usd for m in app.top_models] == [pytest.approx(by_billing["Llama3-1-405B"], abs=0.01),
                                               pytest.approx(by_billing["Claude3Haiku"], abs=0.01)]
    assert len(lines(run(org_store, "priya@example.com", top_models=1))[APP].top_models) == 1


def test_finops_lead_sees_every_account_grouped_by_its_owning_node(org_store) -> None:
    r = run(org_store, "lead@example.com")
    owners = {g.owner: {line.principal for line in g.lines} for g in r.groups}
    assert owners == {"Payments": {STRAY, APP}, "People": {ALICE}, "Corporate": {LAB}}
    assert {g.owner: g.owner_kind for g in r.groups} == {
        "Payments": "department", "People": "portfolio", "Corporate": "business_unit"}
    found = lines(r)
    assert found[ALICE].account_id == A2 and found[ALICE].principal_type == "user"
    assert found[LAB].account_id == A3 and found[LAB].reason == "unclaimed"
    for p in (STRAY, APP, ALICE, LAB):
        assert found[p].usd == pytest.approx(cost(unattributed(p, *NOV)), abs=0.01)
    everything = [r for r in ROWS if r["line_item_line_item_type"] == "Usage" and NOV[0] <= day(r) < NOV[1]
                  and product_of(r) is None]
    assert r.total_usd == pytest.approx(cost(everything), abs=0.01)
    assert (r.principals, r.unclaimed, r.before_claim) == (4, 3, 1)
    assert "across all accounts" in r.summary


@pytest.mark.parametrize("email", ["maria@example.com", "hana@example.com", "omar@example.com"])
def test_product_owners_whose_product_owns_no_account_see_no_unattributed_spend(org_store, email: str) -> None:
    # Accounts belong to Payments, People and Corporate: nodes above these owners' products.
    r = run(org_store, email)
    assert r.groups == [] and r.total_usd == 0 and r.principals == 0
    assert "own no AWS accounts" in r.summary


def test_a_month_argument_selects_that_month(org_store) -> None:
    r = run(org_store, "priya@example.com", month="2026-10")
    found = lines(r)
    assert found[APP].usd == pytest.approx(cost(unattributed(APP, *OCT)), abs=0.01)
    assert found[STRAY].usd == pytest.approx(cost(unattributed(STRAY, *OCT)), abs=0.01)
    assert found[APP].last_day == date(2026, 10, 31)


def test_an_explicit_window_excludes_its_end_date(org_store) -> None:
    start, end = date(2026, 11, 5), date(2026, 11, 8)
    stray = lines(run(org_store, "priya@example.com", start=start, end=end))[STRAY]
    assert stray.days_seen == 3 and stray.last_day == date(2026, 11, 7)
    assert stray.usd == pytest.approx(cost(unattributed(STRAY, start, end)), abs=0.01)


def test_the_later_claims_product_is_named_only_when_in_the_callers_scope(fresh_org_store) -> None:
    # Checkout owns the account: Maria sees its unattributed spend, but App is not hers.
    org = org_parse.load_org_text(ORG_YAML.replace("name: retail-prod, owner: Payments",
                                                  "name: retail-prod, owner: Checkout"))
    org_apply.apply_org(fresh_org_store, org, actor="test")
    r = run(fresh_org_store, "maria@example.com")
    app = lines(r)[APP]
    assert app.reason == "before_claim" and app.claimed_on == date(2026, 11, 10)
    assert app.claimed_for is None
    assert "App" not in r.model_dump_json()
    assert [g.owner for g in r.groups] == ["Checkout"]


def test_usage_with_no_principal_is_its_own_line_for_the_accounts_owners(fresh_org_store) -> None:
    fresh_org_store.con.execute(
        "INSERT INTO usage_daily VALUES ('2026-11', DATE '2026-11-03', ?, 'us-east-1', 'unknown', 'Claude3Haiku', "
        "'anthropic.claude-3-haiku-20240307-v1:0', 'claude-haiku', 'input', 'standard', 'in-region', 'usage', "
        "1000, 1, 7.5, 7.5, 1, NULL, NULL)", [A1])
    r = run(fresh_org_store, "priya@example.com")
    unknown = lines(r)["unknown"]
    assert unknown.reason == "no_principal" and unknown.usd == 7.5 and unknown.account_id == A1
    assert r.principals == 2 and r.no_principal_usd == 7.5
    assert "$7.50 of usage with no principal" in r.summary
    assert "unknown" not in lines(run(fresh_org_store, "hana@example.com"))


def test_unattributed_spend_is_registered_for_spend_personas_only() -> None:
    t = toolset.get("unattributed_spend")
    assert t.family == "unattributed" and t.read_only
    assert t.personas == {"product_owner", "portfolio_manager", "finops_lead"}
