"""model_lifecycle: Legacy and past-EOL model use by product, account and Region, scoped in SQL.

Expected spend is summed from the fixture's CUR rows (tests/orgfixture.py) in plain Python; the
lifecycle facts are read from lifecycle.yaml directly."""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources

import pytest
import yaml

from ledger import lifecycle
from tests.figures import usd
from tests.conftest import make_ctx
from tests.orgfixture import A1, A2, HAIKU, SONNET, TODAY, day, principal_of, product_of, usage_rows
from tools import toolset

LIFE = yaml.safe_load(resources.files("ledger").joinpath("data/lifecycle.yaml").read_text())["models"]
NOV = date(2026, 11, 1)


def spend(model: str, product: str | None, region: str = "us-east-1", account: str = A1) -> float:
    prefix = {"us-east-1": "USE1", "us-west-2": "USW2"}[region]
    names = {HAIKU: "Claude3Haiku", SONNET: "Claude4.6Sonnet"}
    return round(sum(r["line_item_unblended_cost"] for r in usage_rows()
                     if NOV <= day(r) < TODAY and product_of(r) == product
                     and r["line_item_usage_account_id"] == account
                     and r["line_item_usage_type"].startswith(f"{prefix}-{names[model]}-")), 2)


def test_the_shipped_data_cites_a_source_and_date_for_every_model_and_both_policies():
    data = yaml.safe_load(resources.files("ledger").joinpath("data/lifecycle.yaml").read_text())
    assert data["policy_cutoff"] == date(2026, 9, 7)
    for model, spec in data["models"].items():
        assert spec["source"] and isinstance(spec["read"], date), model
        if "launched" in spec:
            assert spec["policy"] == ("LCL" if spec["launched"] < data["policy_cutoff"] else "LC"), model
        else:  # only a model listed in the Legacy page's tables may leave its launch date out
            assert spec["policy"] == "LCL" and spec["source"].startswith(("[T0]", "[T1]")), model
        regional = [r.get("eol") for r in (spec.get("regions") or {}).values()]
        assert spec["status"] == "active" or spec.get("eol") or (regional and all(regional)), model


def test_a_model_past_its_eol_date_is_eol_and_a_legacy_one_counts_down():
    table = lifecycle.load()
    eol = LIFE[HAIKU]["eol"]
    st = table.standing(HAIKU, "us-east-1", TODAY)
    assert (st.status, st.eol, st.days_to_eol(TODAY)) == ("eol", eol, (eol - TODAY).days)
    assert table.standing(HAIKU, "us-east-1", date(2026, 9, 9)).status == "eol"  # shipped status is eol
    synced = lifecycle.Lifecycle({(SONNET, "us-east-1"): ("legacy", date(2027, 1, 31))})
    assert synced.standing(SONNET, "us-east-1", TODAY).days_to_eol(TODAY) == 71
    assert synced.standing(SONNET, "us-east-1", date(2027, 1, 31)).status == "eol"
    assert synced.standing(SONNET, "us-west-2", TODAY).status == "active"


def test_finops_lead_sees_every_past_eol_use_with_spend_and_dates(org_store):
    view = toolset.call(make_ctx(org_store, "lead@example.com"), "model_lifecycle", {})
    got = {(x.product, x.account_id, x.model_id, x.region): (x.status, x.usd, x.eol) for x in view.lines}
    for product, account in (("Fraud", A1), ("App", A1), (None, A1), (None, A2)):
        want = ("eol", spend(HAIKU, product, account=account), LIFE[HAIKU]["eol"])
        assert got[(product, account, HAIKU, "us-east-1")] == want
    assert all(x.model_id == HAIKU for x in view.lines)  # Sonnet, Opus, Llama are Active
    fraud = next(x for x in view.lines if x.product == "Fraud")
    assert fraud.successor == LIFE[HAIKU]["successor"] and fraud.days_to_eol == (LIFE[HAIKU]["eol"] - TODAY).days
    assert f"Fraud runs Claude 3 Haiku in us-east-1 ({A1}), {usd(spend(HAIKU, 'Fraud'))}; EOL was 2026-09-10" in view.summary


def test_product_owner_sees_only_own_products_and_owned_accounts(org_store):
    view = toolset.call(make_ctx(org_store, "omar@example.com"), "model_lifecycle", {})
    assert {x.product for x in view.lines} == {"App"}
    view = toolset.call(make_ctx(org_store, "maria@example.com"), "model_lifecycle", {})
    assert {x.product for x in view.lines} == {"Fraud"} | ({None} if any(x.product is None for x in view.lines) else set())
    assert "App" not in view.summary and "HR Portal" not in view.summary


def test_a_legacy_model_from_sync_is_listed_with_days_to_eol(fresh_org_store):
    with fresh_org_store.transaction():
        lifecycle.record_statuses(fresh_org_store, "us-east-1", [
            {"modelId": SONNET, "modelLifecycle": {"status": "LEGACY", "endOfLifeTime": datetime(2027, 1, 31)}}],
            datetime(2026, 11, 20))
    view = toolset.call(make_ctx(fresh_org_store, "lead@example.com"), "model_lifecycle", {"product": "Checkout"})
    sonnet = [x for x in view.lines if x.model_id == SONNET]
    assert [(x.status, x.days_to_eol, x.usd) for x in sonnet] == [("legacy", 71, spend(SONNET, "Checkout"))]
    assert "EOL 2027-01-31 (in 71 days)" in view.summary


def test_portfolio_manager_cannot_ask_for_a_product_outside_the_portfolio(org_store):
    from tools.errors import ScopeError

    with pytest.raises(ScopeError):
        toolset.call(make_ctx(org_store, "priya@example.com"), "model_lifecycle", {"product": "HR Portal"})


def test_steward_ask_answers_the_finops_lead_with_products_regions_spend_and_dates(tmp_path):
    from typer.testing import CliRunner

    from steward.cli import app
    from tests.orgfixture import build_store

    build_store(tmp_path).close()
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "steward.duckdb"), "--as-of", "2026-11-21", "ask", "--as",
                                 "lead@example.com", "which of our models are legacy or past end of life?"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert f"Fraud runs Claude 3 Haiku in us-east-1 ({A1}), {usd(spend(HAIKU, 'Fraud'))}; EOL was 2026-09-10" in text
    assert "App runs Claude 3 Haiku" in text


def test_no_step_down_in_prices_yaml_points_at_a_legacy_or_eol_model():
    prices = yaml.safe_load(resources.files("ledger").joinpath("data/prices.yaml").read_text())
    table = lifecycle.load()
    targets = {m["rightsize_to"] for m in prices["models"] if m.get("rightsize_to")}
    assert targets
    for target in targets:
        assert LIFE[target]["status"] == "active", target
        assert table.is_current(target, ["us-east-1", "us-west-2"], date(2026, 11, 29)), target


def test_decide_model_refuses_approving_a_model_past_eol_and_warns_on_legacy(fresh_org_store):
    from tools.errors import ToolError

    ctx = make_ctx(fresh_org_store, "lead@example.com")
    before = fresh_org_store.rows("SELECT * FROM model_catalog ORDER BY ALL")
    with pytest.raises(ToolError, match="reached end of life on 2026-09-10 in us-east-1.*claude-haiku-4-5"):
        toolset.call(ctx, "decide_model", {"model_id": HAIKU, "state": "approved", "regions": ["us-east-1"],
                                           "rationale": "cheap"})
    assert fresh_org_store.rows("SELECT * FROM model_catalog ORDER BY ALL") == before
    # Blocking a retired model is fine.
    toolset.call(ctx, "decide_model", {"model_id": HAIKU, "state": "blocked", "rationale": "retired"})
    with fresh_org_store.transaction():
        lifecycle.record_statuses(fresh_org_store, "us-west-2", [
            {"modelId": SONNET, "modelLifecycle": {"status": "LEGACY", "endOfLifeTime": datetime(2027, 1, 31)}}],
            datetime(2026, 11, 20))
    result = toolset.call(ctx, "decide_model", {"model_id": SONNET, "state": "approved",
                                                "regions": ["us-east-1", "us-west-2"], "rationale": "quality"})
    assert any("Legacy in us-west-2" in w and "2027-01-31 (71 days)" in w for w in result.warnings)
