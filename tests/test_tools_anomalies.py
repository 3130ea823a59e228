"""anomalies against an independent robust-z computation over the fixture CUR."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from statistics import median

import pytest

from tests.conftest import make_ctx
from tests.orgfixture import (
    CHECKOUT,
    FRAUD,
    HAIKU,
    ROWS,
    SPIKE_DAY,
    day,
    principal_of,
    product_of,
)
from tools import toolset
from tools.errors import ScopeError


def daily(product: str) -> dict[date, float]:
    out: dict[date, float] = defaultdict(float)
    for r in ROWS:
        if r["line_item_line_item_type"] == "Usage" and product_of(r) == product:
            out[day(r)] += r["line_item_unblended_cost"]
    return out


def fraud_spike() -> dict[str, float]:
    """Fraud's spike day against the 14 days before it (every day has data; Fraud spends daily)."""
    series = daily("Fraud")
    base = [series.get(SPIKE_DAY - timedelta(days=i), 0.0) for i in range(1, 15)]
    med = median(base)
    mad = median(abs(v - med) for v in base)
    spend = series[SPIKE_DAY]
    return {"spend": spend, "median": med, "mad": mad, "z": (spend - med) / (1.4826 * mad),
            "excess": spend - med, "multiple": spend / med}


def call(email: str, **args):  # noqa: ANN201
    return toolset.call(make_ctx(email=email, store=args.pop("store")), "anomalies", args)


def test_fraud_spike_day_is_found_with_its_figures(org_store) -> None:
    a = call("maria@example.com", store=org_store, product="Fraud")
    x = fraud_spike()
    assert len(a.anomalies) == 1
    found = a.anomalies[0]
    assert (found.product, found.day, found.principal) == ("Fraud", SPIKE_DAY, None)
    assert found.spend_usd == pytest.approx(x["spend"], abs=0.01)
    assert found.baseline_median_usd == pytest.approx(x["median"], abs=0.01)
    assert found.baseline_mad_usd == pytest.approx(x["mad"], abs=0.01)
    assert found.robust_z == pytest.approx(x["z"], abs=0.01)
    assert found.excess_usd == pytest.approx(x["excess"], abs=0.01)
    assert found.multiple_of_baseline == pytest.approx(x["multiple"], abs=0.01)
    assert found.baseline_days == 14


def test_the_top_model_of_the_spike_day_is_haiku(org_store) -> None:
    spike_rows = [r for r in ROWS if r["line_item_line_item_type"] == "Usage" and product_of(r) == "Fraud"
                  and day(r) == SPIKE_DAY and "Claude3Haiku" in r["line_item_usage_type"]]
    found = call("maria@example.com", store=org_store, product="Fraud").anomalies[0]
    assert found.top_model == HAIKU
    assert found.top_model_usd == pytest.approx(sum(r["line_item_unblended_cost"] for r in spike_rows), abs=0.01)


def test_no_other_product_is_flagged_in_the_fixture(org_store) -> None:
    a = call("lead@example.com", store=org_store)
    assert [(x.product, x.day) for x in a.anomalies] == [("Fraud", SPIKE_DAY)]
    assert a.threshold == 3.5 and a.baseline_window_days == 14


def test_a_quiet_month_has_no_anomalies(org_store) -> None:
    assert call("lead@example.com", store=org_store, month="2026-10").anomalies == []


def test_the_dollar_floor_suppresses_small_excesses(org_store) -> None:
    a = call("maria@example.com", store=org_store, product="Fraud", min_excess_usd=fraud_spike()["excess"] + 0.05)
    assert a.anomalies == []


def test_principal_level_finds_the_fraud_role(org_store) -> None:
    a = call("maria@example.com", store=org_store, level="principal")
    assert [(x.principal, x.product, x.day) for x in a.anomalies] == [(FRAUD, "Fraud", SPIKE_DAY)]


def test_out_of_scope_principals_never_appear(org_store) -> None:
    # A hair trigger flags plenty; none of it may come from outside maria's products.
    a = call("maria@example.com", store=org_store, level="principal", threshold=0.1, min_excess_usd=0, top=500)
    assert a.anomalies
    assert {x.principal for x in a.anomalies} <= {CHECKOUT, FRAUD}
    assert {x.product for x in a.anomalies} <= {"Checkout", "Fraud"}
    assert a.series_checked == 2


def test_a_new_series_needs_seven_baseline_days(org_store) -> None:
    # App's role is claimed from 10 Nov: for Omar the series starts then, so 17 Nov is its first testable day.
    a = call("omar@example.com", store=org_store, threshold=0.01, min_excess_usd=0, top=500)
    app_days = sorted({day(r) for r in ROWS if product_of(r) == "App"})
    assert app_days[0] == date(2026, 11, 10)
    assert a.anomalies and min(x.day for x in a.anomalies) >= date(2026, 11, 17)
    assert all(x.baseline_days == (x.day - date(2026, 11, 10)).days for x in a.anomalies)


def test_an_out_of_scope_product_is_a_scope_error(org_store) -> None:
    with pytest.raises(ScopeError):
        call("maria@example.com", store=org_store, product="HR Portal")


def test_principals_are_examined_from_scoped_rows_only(org_store) -> None:
    lead = call("lead@example.com", store=org_store, level="principal", threshold=0.1, min_excess_usd=0, top=500)
    everyone = {principal_of(r) for r in ROWS if r["line_item_line_item_type"] == "Usage"
                and day(r) >= date(2026, 10, 18)}
    assert lead.series_checked == len(everyone)
