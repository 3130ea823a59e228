"""estimate_status, spend_breakdown and my_scope against independent sums over the fixture CUR."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from agent.render import render_result
from tests.conftest import make_ctx
from tests.orgfixture import ROWS, day, kind, principal_of, product_of
from tools import toolset
from tools.errors import NotAllowed, ScopeError, ToolError

NOV = (date(2026, 11, 1), date(2026, 12, 1))
THROUGH = date(2026, 11, 20)




def usage(start: date, end: date, **match) -> list[dict]:
    out = []
    for r in ROWS:
        if r["line_item_line_item_type"] != "Usage" or not start <= day(r) < end:
            continue
        if "product" in match and product_of(r) != match["product"]:
            continue
        out.append(r)
    return out


def cost(rows: list[dict]) -> float:
    return sum(r["line_item_unblended_cost"] for r in rows)


def tokens(rows: list[dict], k: str) -> float:
    return sum(r["line_item_usage_amount"] * 1000 for r in rows if kind(r) == k)


# ------------------------------------------------------------------ estimate_status

def test_estimate_status_month_to_date_matches_the_fixture(org_store) -> None:
    s = toolset.call(make_ctx(org_store, "maria@example.com"), "estimate_status", {"product": "Checkout"})
    rows = usage(*NOV, product="Checkout")
    assert s.actual_usd == pytest.approx(cost(rows), abs=0.01)
    assert s.tokens.input == pytest.approx(tokens(rows, "input"))
    assert s.tokens.output == pytest.approx(tokens(rows, "output"))
    assert s.tokens.cache_read == pytest.approx(tokens(rows, "cache_read"))
    assert s.estimate_usd == 300
    assert s.pct_used == pytest.approx(cost(rows) / 300, abs=1e-4)
    assert s.data_through == THROUGH and s.days_of_data == 20 and s.days_in_month == 30


def test_estimate_status_forecasts_from_the_last_seven_days(org_store) -> None:
    s = toolset.call(make_ctx(org_store, "maria@example.com"), "estimate_status", {"product": "Checkout"})
    rows = usage(*NOV, product="Checkout")
    last7 = usage(THROUGH - timedelta(days=6), THROUGH + timedelta(days=1), product="Checkout")
    forecast = cost(rows) + cost(last7) / 7 * 10
    assert s.forecast_usd == pytest.approx(forecast, abs=0.01)
    assert s.projected_overrun_usd == pytest.approx(forecast - 300, abs=0.01)
    out_forecast = tokens(rows, "output") + tokens(last7, "output") / 7 * 10
    assert s.output_tokens_vs_estimate == pytest.approx(out_forecast / 6_000_000, abs=0.01)


def test_estimate_status_cache_hit_rate_and_advice(org_store) -> None:
    s = toolset.call(make_ctx(org_store, "maria@example.com"), "estimate_status", {"product": "Checkout"})
    rows = usage(*NOV, product="Checkout")
    hit = tokens(rows, "cache_read") / (tokens(rows, "input") + tokens(rows, "cache_read") + tokens(rows, "cache_write"))
    assert s.cache_hit_rate == pytest.approx(hit, abs=1e-4)
    assert s.status == "exceeded"
    # The advice is the renderers' prose now (one rule for figures), not a field of the result.
    assert "advice" not in type(s).model_fields
    text = render_result("estimate_status", s)
    assert f"Output tokens are {s.output_tokens_vs_estimate:.1f}x your token estimate" in text
    assert f"cache hit rate {hit * 100:.0f}%, below the healthy 30%" in text


def test_estimate_status_counts_spend_only_from_the_claim_date(org_store) -> None:
    s = toolset.call(make_ctx(org_store, "omar@example.com"), "estimate_status", {})
    assert s.product == "App"
    app_rows = [r for r in usage(*NOV) if principal_of(r).endswith("role/app-bedrock") and day(r) >= date(2026, 11, 10)]
    assert s.actual_usd == pytest.approx(cost(app_rows), abs=0.01)
    assert s.status == "no_estimate"


def test_estimate_status_for_a_past_month_forecasts_the_actual(org_store) -> None:
    s = toolset.call(make_ctx(org_store, "maria@example.com"), "estimate_status",
                     {"product": "Checkout", "month": "2026-10"})
    rows = usage(date(2026, 10, 1), date(2026, 11, 1), product="Checkout")
    assert s.actual_usd == pytest.approx(cost(rows), abs=0.01)
    assert s.forecast_usd == pytest.approx(s.actual_usd, abs=0.01)
    assert s.estimate_usd == 400


def test_estimate_status_excludes_credits_and_reports_them(org_store) -> None:
    s = toolset.call(make_ctx(org_store, "lead@example.com"), "estimate_status", {"product": "Checkout"})
    assert s.credits_and_other_usd == 0  # the credit has no principal, so it is unattributed
    assert s.actual_usd == pytest.approx(cost(usage(*NOV, product="Checkout")), abs=0.01)


@pytest.mark.parametrize("name", ["HR Portal", "Nonexistent Product"])
def test_a_product_owner_gets_the_same_scope_error_for_others_and_unknowns(org_store, name: str) -> None:
    with pytest.raises(ScopeError) as info:
        toolset.call(make_ctx(org_store, "maria@example.com"), "estimate_status", {"product": name})
    assert str(info.value) == (f"product '{name}' is not in your scope. Ask about your own products, "
                               "or ask a FinOps Lead if you need wider access.")


def test_a_product_owner_with_two_products_must_name_one(org_store) -> None:
    with pytest.raises(ToolError, match="which product\\? You have 2: Checkout, Fraud"):
        toolset.call(make_ctx(org_store, "maria@example.com"), "estimate_status", {})


def test_a_cloud_engineer_cannot_read_spend(org_store) -> None:
    with pytest.raises(NotAllowed):
        toolset.call(make_ctx(org_store, "eng@example.com"), "estimate_status", {"product": "Checkout"})


def test_bad_month_is_a_clear_error(org_store) -> None:
    with pytest.raises(ToolError, match="'2026-13' is not a month; use YYYY-MM"):
        toolset.call(make_ctx(org_store, "maria@example.com"), "estimate_status",
                     {"product": "Checkout", "month": "2026-13"})


# ------------------------------------------------------------------ spend_breakdown

def by_product(start: date, end: date) -> dict[str | None, float]:
    out: dict[str | None, float] = defaultdict(float)
    for r in usage(start, end):
        out[product_of(r)] += r["line_item_unblended_cost"]
    return out


def test_portfolio_manager_sees_only_their_portfolio_products(org_store) -> None:
    b = toolset.call(make_ctx(org_store, "priya@example.com"), "spend_breakdown", {"by": "product"})
    expected = {p: c for p, c in by_product(*NOV).items() if p in ("Checkout", "Fraud", "App")}
    assert {r.key: r.usd for r in b.rows} == pytest.approx(expected, abs=0.01)
    assert b.total_usd == pytest.approx(sum(expected.values()), abs=0.01)
    assert not b.includes_unattributed


def test_finops_lead_sees_everything_with_unattributed(org_store) -> None:
    b = toolset.call(make_ctx(org_store, "lead@example.com"), "spend_breakdown", {"by": "product"})
    expected = by_product(*NOV)
    expected["(unattributed)"] = expected.pop(None)
    assert {r.key: r.usd for r in b.rows} == pytest.approx(expected, abs=0.01)
    assert [r.key for r in b.rows][0] == max(expected, key=expected.get)


def test_breakdown_compares_with_the_same_days_of_the_previous_month(org_store) -> None:
    b = toolset.call(make_ctx(org_store, "maria@example.com"), "spend_breakdown", {"by": "product"})
    assert (b.previous_start, b.previous_end) == (date(2026, 10, 1), date(2026, 10, 21))
    prev = by_product(date(2026, 10, 1), date(2026, 10, 21))
    checkout = next(r for r in b.rows if r.key == "Checkout")
    assert checkout.previous_usd == pytest.approx(prev["Checkout"], abs=0.01)
    assert checkout.change_pct == pytest.approx((checkout.usd - prev["Checkout"]) / prev["Checkout"], abs=1e-3)


def test_breakdown_by_principal_for_a_product_owner_lists_only_their_roles(org_store) -> None:
    b = toolset.call(make_ctx(org_store, "maria@example.com"), "spend_breakdown", {"by": "principal"})
    assert {r.key for r in b.rows} == {"arn:aws:iam::111111111111:role/checkout-bedrock",
                                       "arn:aws:iam::111111111111:role/fraud-bedrock"}


def test_breakdown_by_day_with_an_explicit_window_is_end_exclusive(org_store) -> None:
    b = toolset.call(make_ctx(org_store, "hana@example.com"), "spend_breakdown",
                     {"by": "day", "start": "2026-11-01", "end": "2026-11-04"})
    assert [r.key for r in b.rows] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    for r in b.rows:
        d = date.fromisoformat(r.key)
        assert r.usd == pytest.approx(cost(usage(d, d + timedelta(days=1), product="HR Portal")), abs=0.01)


def test_breakdown_top_n_counts_the_rest(org_store) -> None:
    b = toolset.call(make_ctx(org_store, "lead@example.com"), "spend_breakdown", {"by": "product", "top": 2})
    assert len(b.rows) == 2 and b.other_groups == len(by_product(*NOV)) - 2


def test_breakdown_of_another_portfolio_is_out_of_scope(org_store) -> None:
    with pytest.raises(ScopeError):
        toolset.call(make_ctx(org_store, "priya@example.com"), "spend_breakdown", {"portfolio": "People"})


def test_my_scope_describes_the_caller(org_store) -> None:
    v = toolset.call(make_ctx(org_store, "priya@example.com"), "my_scope", {})
    assert v.products == ["App", "Checkout", "Fraud"]
    assert v.accounts == ["111111111111"]
    assert v.data_through == THROUGH


def test_as_of_caps_month_to_date_even_when_later_data_is_stored(org_store) -> None:
    from datetime import datetime

    from tools.caller import resolve_caller
    from tools.context import ToolContext

    ctx = ToolContext(store=org_store, caller=resolve_caller(org_store, "maria@example.com"),
                      today=date(2026, 10, 15), clock=datetime(2026, 10, 15, 9))
    s = toolset.call(ctx, "estimate_status", {"product": "Checkout"})
    assert s.data_through == date(2026, 10, 15)
    assert s.actual_usd == pytest.approx(cost(usage(date(2026, 10, 1), date(2026, 10, 16), product="Checkout")), abs=0.01)
    b = toolset.call(ctx, "spend_breakdown", {"by": "product"})
    assert {r.key: r.usd for r in b.rows}["Checkout"] == pytest.approx(s.actual_usd, abs=0.01)


def test_a_forbidden_tool_is_refused_before_its_arguments_are_read(org_store) -> None:
    with pytest.raises(NotAllowed):
        toolset.call(make_ctx(org_store, "eng@example.com"), "estimate_status", {"month": "not-a-month", "x": 1})
