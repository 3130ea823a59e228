"""model_catalog and model_status: the fixture catalog, redaction by scope, models seen without review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import make_ctx
from tests.orgfixture import A1, A2, HAIKU, LLAMA70, LLAMA405, OPUS, ROWS, SONNET, TODAY
from tools import toolset
from tools.errors import ScopeError, ToolError


def catalog(store, email: str, **args):
    return toolset.call(make_ctx(store, email), "model_catalog", args)


def status(store, email: str, **args):
    return toolset.call(make_ctx(store, email), "model_status", args)


def entries(result) -> dict[str, object]:
    return {e.model_id: e for e in result.entries}


def billed(name: str, start: date, end: date) -> list[dict]:
    return [r for r in ROWS if r["line_item_line_item_type"] == "Usage"
            and start <= r["line_item_usage_start_date"].date() < end and f"-{name}-" in r["line_item_usage_type"]]


def add_unmapped_usage(store, billing: str = "MysteryModel", usd: float = 4.25) -> None:
    store.con.execute(
        "INSERT INTO usage_daily VALUES ('2026-11', DATE '2026-11-15', ?, 'us-east-1', ?, ?, NULL, NULL, "
        "'input', 'standard', 'in-region', 'usage', 2000, 2, ?, ?, 1, NULL, NULL)",
        [A1, "arn:aws:iam::111111111111:role/checkout-bedrock", billing, usd, usd])


# ------------------------------------------------------------------ model_catalog

def test_finops_lead_sees_every_entry_in_file_order_with_its_decision(org_store) -> None:
    r = catalog(org_store, "lead@example.com")
    assert [e.model_id for e in r.entries] == [SONNET, HAIKU, LLAMA70, LLAMA405]
    sonnet = entries(r)[SONNET]
    assert (sonnet.state, sonnet.accounts, sonnet.regions, sonnet.action_scope) == (
        "approved", [A1, A2], ["us-east-1"], "inference_only")
    assert (sonnet.rationale, sonnet.decided_by, sonnet.decided_on) == (
        "General purpose, prod accounts", "lead@example.com", date(2026, 9, 15))
    assert entries(r)[LLAMA405].products == ["Fraud"] and entries(r)[LLAMA70].state == "blocked"
    assert r.summary.startswith("4 catalog entries (2 approved, 1 restricted, 1 blocked)")


def test_unreviewed_model_in_use_is_listed_with_figures_for_finops(org_store) -> None:
    r = catalog(org_store, "lead@example.com")
    assert [m.model_id for m in r.unreviewed] == [OPUS]
    opus = r.unreviewed[0]
    rows = billed("Claude4.6Opus", TODAY - timedelta(days=89), TODAY + timedelta(days=1))
    assert opus.name == "Claude Opus 4.6" and opus.billing_names == ["Claude4.6Opus"]
    assert opus.usd == pytest.approx(sum(x["line_item_unblended_cost"] for x in rows), abs=0.01)
    assert opus.tokens == pytest.approx(sum(x["line_item_usage_amount"] * 1000 for x in rows))
    assert (opus.accounts, opus.first_seen, opus.last_seen) == ([A1], date(2026, 11, 1), date(2026, 11, 20))
    assert r.unmapped == [] and "Claude Opus 4.6" in r.summary


@pytest.mark.parametrize("email", ["maria@example.com", "hana@example.com", "priya@example.com",
                                   "eng@example.com"])
def test_others_see_unreviewed_models_by_name_without_figures(org_store, email: str) -> None:
    opus = catalog(org_store, email).unreviewed[0]
    assert opus.model_id == OPUS
    assert (opus.usd, opus.tokens, opus.accounts, opus.first_seen, opus.last_seen) == (None,) * 5


def test_product_owner_sees_a_restriction_to_her_own_product(org_store) -> None:
    llama = entries(catalog(org_store, "maria@example.com"))[LLAMA405]
    assert (llama.products, llama.other_products) == (["Fraud"], 0)


def test_product_owner_sees_a_restriction_to_another_product_only_as_a_count(org_store) -> None:
    r = catalog(org_store, "hana@example.com")
    llama = entries(r)[LLAMA405]
    assert (llama.products, llama.other_products) == ([], 1)
    assert "Fraud" not in r.model_dump_json()
    # The rationale ("Fraud research only") is about a product she cannot see: withheld, not just scrubbed.
    assert llama.rationale == "[withheld: written about a product outside your scope]"


def test_product_owner_sees_accounts_outside_her_scope_only_as_a_count(org_store) -> None:
    sonnet = entries(catalog(org_store, "hana@example.com"))[SONNET]
    assert (sonnet.accounts, sonnet.other_accounts) == ([A2], 1)


def test_cloud_engineer_sees_full_entries(org_store) -> None:
    r = catalog(org_store, "eng@example.com")
    assert entries(r)[LLAMA405].products == ["Fraud"] and entries(r)[SONNET].accounts == [A1, A2]
    assert entries(r)[LLAMA405].rationale == "Fraud research only"


def test_billing_names_without_a_model_id_are_listed_as_unmapped(fresh_org_store) -> None:
    add_unmapped_usage(fresh_org_store)
    lead = catalog(fresh_org_store, "lead@example.com")
    assert [(m.model_id, m.name, m.usd) for m in lead.unmapped] == [(None, "MysteryModel", 4.25)]
    assert "1 billing name maps to no model id (unmapped): MysteryModel" in lead.summary
    maria = catalog(fresh_org_store, "maria@example.com")
    assert [(m.name, m.usd) for m in maria.unmapped] == [("MysteryModel", None)]


def test_state_filter_keeps_one_state(fresh_org_store) -> None:
    add_unmapped_usage(fresh_org_store)
    blocked = catalog(fresh_org_store, "lead@example.com", state="blocked")
    assert [e.model_id for e in blocked.entries] == [LLAMA70] and blocked.unreviewed == blocked.unmapped == []
    unreviewed = catalog(fresh_org_store, "lead@example.com", state="unreviewed")
    assert unreviewed.entries == [] and [m.model_id for m in unreviewed.unreviewed] == [OPUS]
    assert unreviewed.unmapped == []
    unmapped = catalog(fresh_org_store, "lead@example.com", state="unmapped")
    assert unmapped.entries == unmapped.unreviewed == [] and len(unmapped.unmapped) == 1


def test_model_filter_matches_ids_and_names(org_store) -> None:
    assert [e.model_id for e in catalog(org_store, "lead@example.com", model="llama").entries] == [LLAMA70, LLAMA405]
    r = catalog(org_store, "lead@example.com", model="Opus 4.6")
    assert r.entries == [] and [m.model_id for m in r.unreviewed] == [OPUS]


def test_models_last_seen_more_than_90_days_ago_are_not_listed(fresh_org_store) -> None:
    fresh_org_store.con.execute("UPDATE usage_daily SET usage_date = DATE '2026-08-01' WHERE model_id = ?", [OPUS])
    assert catalog(fresh_org_store, "lead@example.com").unreviewed == []


# ------------------------------------------------------------------ model_status

@pytest.mark.parametrize(("args", "verdict"), [
    ({"model": "Claude Sonnet 4.6", "account": A1, "region": "us-east-1"}, "approved"),
    ({"model": SONNET, "account": A1, "region": "us-west-2"}, "approved_elsewhere"),
    ({"model": "Claude3Haiku", "account": A1, "region": "eu-west-1"}, "approved"),
    ({"model": "Llama3-70B", "account": A1, "region": "us-east-1"}, "blocked"),
    ({"model": LLAMA405, "account": A1, "region": "us-east-1", "product": "Fraud"}, "approved"),
    ({"model": LLAMA405, "account": A1, "region": "us-east-1", "product": "Checkout"}, "restricted_to_others"),
    ({"model": LLAMA405, "account": A1, "region": "us-east-1"}, "restricted_to_others"),
    ({"model": "Claude Opus 4.6", "account": A1, "region": "us-east-1"}, "unreviewed"),
    ({"model": "MysteryModel", "account": A1, "region": "us-east-1"}, "unreviewed"),
])
def test_model_status_verdicts_follow_the_catalog(org_store, args: dict, verdict: str) -> None:
    s = status(org_store, "maria@example.com", **args)
    assert s.verdict == verdict and s.allowed == (verdict == "approved")


def test_model_status_gives_the_rationale_and_action_scope(org_store) -> None:
    s = status(org_store, "maria@example.com", model="Claude3Haiku", account=A1, region="us-east-1")
    assert (s.model_id, s.state, s.action_scope, s.rationale) == (HAIKU, "approved", "agentic_read_only",
                                                                  "Cheap default")
    assert s.answer.startswith("Yes: Claude 3 Haiku is approved in 111111111111 us-east-1")


def test_model_status_accepts_an_account_name(org_store) -> None:
    assert status(org_store, "maria@example.com", model=SONNET, account="retail-prod",
                  region="us-east-1").account_id == A1
    with pytest.raises(ToolError, match="not a 12-digit account id or the name of an account"):
        status(org_store, "lead@example.com", model=SONNET, account="no-such-account", region="us-east-1")


def test_finops_lead_may_ask_about_any_account_id(org_store) -> None:
    s = status(org_store, "lead@example.com", model="Claude3Haiku", account="999999999999", region="eu-west-1")
    assert s.verdict == "approved"


def test_model_status_refuses_an_account_outside_scope_the_same_way_whether_or_not_it_exists(org_store) -> None:
    # Hana's product runs in 222222222222 only.
    errors = []
    for account in (A1, "retail-prod", "999999999999", "no-such-account"):
        with pytest.raises(ScopeError) as err:
            status(org_store, "hana@example.com", model=SONNET, account=account, region="us-east-1")
        errors.append(str(err.value).replace(account, "X"))
    assert len(set(errors)) == 1


def test_model_status_names_no_product_outside_scope(org_store) -> None:
    s = status(org_store, "hana@example.com", model=LLAMA405, account=A2, region="us-east-1", product="HR Portal")
    assert s.verdict == "restricted_to_others" and (s.allowed_products, s.other_products) == ([], 1)
    assert "Fraud" not in s.model_dump_json()
    assert s.answer.startswith("No: Llama 3.1 405B Instruct is restricted to 1 other product, not HR Portal.")


def test_model_status_refuses_a_product_outside_scope_the_same_way_whether_or_not_it_exists(org_store) -> None:
    base = {"model": LLAMA405, "account": A2, "region": "us-east-1"}
    with pytest.raises(ScopeError) as real:
        status(org_store, "hana@example.com", **base, product="Fraud")
    with pytest.raises(ScopeError) as made_up:
        status(org_store, "hana@example.com", **base, product="Ghost")
    assert str(real.value).replace("Fraud", "X") == str(made_up.value).replace("Ghost", "X")


def test_catalog_tools_are_open_to_every_persona() -> None:
    for name in ("model_catalog", "model_status"):
        t = toolset.get(name)
        assert t.family == "catalog" and t.read_only
        assert t.personas == {"product_owner", "portfolio_manager", "finops_lead", "cloud_engineer"}
