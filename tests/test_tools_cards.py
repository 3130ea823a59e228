"""spend_card and quota_status against independent sums over the fixture CUR."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from tests.conftest import make_ctx
from tests.orgfixture import DRIFT_STREAMS, ROWS, STREAMS, day, kind, product_of
from tools import toolset
from tools.context import Thresholds
from tools.errors import NotAllowed, ScopeError, ToolError

THROUGH = date(2026, 11, 20)
NOV = (date(2026, 11, 1), date(2026, 12, 1))
MODEL_OF_BILLING = {s[3]: s[4] for s in STREAMS + DRIFT_STREAMS}




def model(r: dict) -> str:
    return next(m for b, m in MODEL_OF_BILLING.items() if f"-{b}-" in r["line_item_usage_type"])


def usage(start: date, end: date, product: str) -> list[dict]:
    return [r for r in ROWS if r["line_item_line_item_type"] == "Usage" and start <= day(r) < end
            and product_of(r) == product]


def cost(rows: list[dict]) -> float:
    return sum(r["line_item_unblended_cost"] for r in rows)


def card(store, email: str = "maria@example.com", **args):  # noqa: ANN201
    return toolset.call(make_ctx(store, email), "spend_card", {"product": "Checkout", **args})


# ------------------------------------------------------------------ spend_card

def test_spend_card_defaults_to_the_last_complete_week_with_data(org_store) -> None:
    c = card(org_store)
    # Today is Saturday 21 Nov; data runs through Friday 20 Nov: the last complete week is 9-15 Nov.
    assert (c.week_start, c.week_end) == (date(2026, 11, 9), date(2026, 11, 16))
    assert c.complete and c.days_covered == 7 and c.data_through == THROUGH


def test_spend_card_lines_by_model_and_kind_match_the_fixture(org_store) -> None:
    c = card(org_store)
    rows = usage(date(2026, 11, 9), date(2026, 11, 16), "Checkout")
    usd: dict[tuple[str, str], float] = defaultdict(float)
    tok: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        usd[(model(r), kind(r))] += r["line_item_unblended_cost"]
        tok[(model(r), kind(r))] += r["line_item_usage_amount"] * 1000
    assert {(ln.model, ln.kind): ln.usd for ln in c.lines} == pytest.approx(dict(usd), abs=0.01)
    assert {(ln.model, ln.kind): ln.tokens for ln in c.lines} == pytest.approx(dict(tok), abs=1)
    assert c.actual_usd == pytest.approx(cost(rows), abs=0.01)
    assert [ln.usd for ln in c.lines] == sorted((ln.usd for ln in c.lines), reverse=True)


def test_spend_card_prorates_the_month_estimate_and_reports_variance(org_store) -> None:
    c = card(org_store)
    actual = cost(usage(date(2026, 11, 9), date(2026, 11, 16), "Checkout"))
    assert c.estimate_usd == pytest.approx(300 * 7 / 30, abs=0.01)
    assert c.variance_usd == pytest.approx(actual - 70, abs=0.01)
    assert c.variance_pct == pytest.approx((actual - 70) / 70, abs=1e-3)


def test_a_week_spanning_two_months_prorates_each_part(org_store) -> None:
    c = card(org_store, week_start="2026-10-28")  # a Wednesday: its week is Mon 26 Oct .. Sun 1 Nov
    assert c.week_start == date(2026, 10, 26)
    assert [(p.month, p.days, p.days_in_month) for p in c.estimate_parts] == [("2026-10", 6, 31), ("2026-11", 1, 30)]
    assert c.estimate_usd == pytest.approx(400 * 6 / 31 + 300 * 1 / 30, abs=0.01)
    assert c.actual_usd == pytest.approx(cost(usage(date(2026, 10, 26), date(2026, 11, 2), "Checkout")), abs=0.01)


def test_a_month_without_an_estimate_leaves_the_card_without_one(org_store) -> None:
    c = card(org_store, product="Fraud", week_start="2026-10-26")  # Fraud has no October estimate
    assert c.estimate_usd is None and c.variance_usd is None
    assert [p.month_estimate_usd for p in c.estimate_parts] == [None, 200]


def test_a_partial_week_covers_only_the_days_with_data(org_store) -> None:
    c = card(org_store, week_start="2026-11-16")
    assert not c.complete and c.days_covered == 5
    assert c.estimate_usd == pytest.approx(300 * 5 / 30, abs=0.01)
    assert c.actual_usd == pytest.approx(cost(usage(date(2026, 11, 16), date(2026, 11, 21), "Checkout")), abs=0.01)


def test_an_unapproved_card_is_awaiting_approval(org_store) -> None:
    c = card(org_store)
    assert c.approval == "awaiting approval" and c.approved_by is None


def test_an_approved_card_says_who_approved_it(fresh_org_store) -> None:
    fresh_org_store.con.execute(
        "INSERT INTO spend_card_approvals VALUES ('Checkout', DATE '2026-11-09', 'priya@example.com', "
        "TIMESTAMP '2026-11-16 10:00:00', 'fine')")
    c = card(fresh_org_store)
    assert c.approval == "approved"
    assert (c.approved_by, c.approved_at, c.approval_note) == ("priya@example.com", datetime(2026, 11, 16, 10), "fine")


def test_a_future_week_is_a_clear_error(org_store) -> None:
    with pytest.raises(ToolError, match="has not started yet"):
        card(org_store, week_start="2026-11-23")


def test_spend_card_of_another_product_is_out_of_scope(org_store) -> None:
    with pytest.raises(ScopeError):
        card(org_store, product="HR Portal")


def test_a_cloud_engineer_cannot_read_spend_cards(org_store) -> None:
    with pytest.raises(NotAllowed):
        card(org_store, email="eng@example.com")


# ------------------------------------------------------------------ quota_status

def forecast(product: str) -> float:
    mtd = cost(usage(*NOV, product))
    last7 = cost(usage(THROUGH - timedelta(days=6), THROUGH + timedelta(days=1), product))
    return mtd + last7 / 7 * 10


def test_quota_status_lists_exactly_the_callers_products(org_store) -> None:
    q = toolset.call(make_ctx(org_store, "priya@example.com"), "quota_status", {})
    assert {p.product for p in q.products} == {"Checkout", "Fraud", "App"}
    assert q.month == "2026-11" and q.data_through == THROUGH


def test_quota_status_figures_match_the_fixture(org_store) -> None:
    q = toolset.call(make_ctx(org_store, "lead@example.com"), "quota_status", {})
    hr = next(p for p in q.products if p.product == "HR Portal")
    actual = cost(usage(*NOV, "HR Portal"))
    assert hr.actual_usd == pytest.approx(actual, abs=0.01)
    assert hr.estimate_usd == 900
    assert hr.share_used == pytest.approx(actual / 900, abs=1e-3)
    assert hr.forecast_usd == pytest.approx(forecast("HR Portal"), abs=0.01)
    assert hr.forecast_share == pytest.approx(forecast("HR Portal") / 900, abs=1e-3)


def test_quota_status_states_from_actual_spend(org_store) -> None:
    q = toolset.call(make_ctx(org_store, "priya@example.com"), "quota_status", {})
    states = {p.product: p.state for p in q.products}
    assert cost(usage(*NOV, "Checkout")) >= 300 and cost(usage(*NOV, "Fraud")) < 0.8 * 200
    assert states == {"Checkout": "exceeded", "Fraud": "ok", "App": "no_estimate"}
    assert [p.product for p in q.products] == ["Checkout", "Fraud", "App"]
    assert q.counts == {"exceeded": 1, "warning": 0, "ok": 1, "no_estimate": 1}


def test_quota_status_warns_at_the_soft_quota_from_the_context(org_store) -> None:
    share = cost(usage(*NOV, "Fraud")) / 200
    ctx = dataclasses.replace(make_ctx(org_store, "maria@example.com"),
                              thresholds=Thresholds(soft_quota=share - 0.01))
    q = toolset.call(ctx, "quota_status", {"product": "Fraud"})
    assert [(p.product, p.state) for p in q.products] == [("Fraud", "warning")]
    assert q.soft_quota == pytest.approx(share - 0.01)


def test_quota_status_projected_state_uses_the_forecast(org_store) -> None:
    actual_share, forecast_share = cost(usage(*NOV, "Fraud")) / 200, forecast("Fraud") / 200
    soft = (actual_share + forecast_share) / 2  # between the two
    ctx = dataclasses.replace(make_ctx(org_store, "maria@example.com"), thresholds=Thresholds(soft_quota=soft))
    fraud = toolset.call(ctx, "quota_status", {"product": "Fraud"}).products[0]
    assert (fraud.state, fraud.projected_state) == ("ok", "warning")


def test_quota_status_of_another_product_is_out_of_scope(org_store) -> None:
    with pytest.raises(ScopeError):
        toolset.call(make_ctx(org_store, "maria@example.com"), "quota_status", {"product": "HR Portal"})


def test_the_card_tells_the_product_owner_its_model_is_past_end_of_life(org_store) -> None:
    from tests.conftest import make_ctx as ctx_for
    from tools import toolset as ts

    card = ts.call(ctx_for(org_store, "maria@example.com"), "spend_card", {"product": "Fraud"})
    assert [(x.model_id, x.status, str(x.eol)) for x in card.lifecycle] == [
        ("anthropic.claude-3-haiku-20240307-v1:0", "eol", "2026-09-10")]
    assert "Model lifecycle: Fraud runs Claude 3 Haiku in us-east-1" in card.summary
    assert "move to Claude Haiku 4.5" in card.summary
    checkout = ts.call(ctx_for(org_store, "maria@example.com"), "spend_card", {"product": "Checkout"})
    assert checkout.lifecycle == [] and "Model lifecycle" not in checkout.summary
