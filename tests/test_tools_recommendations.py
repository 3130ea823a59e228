"""recommendations: the arithmetic of each kind against independent sums over the fixture CUR."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
import yaml

from ledger import lifecycle as lc
from tests.conftest import as_if_active, make_ctx
from tests.orgfixture import LLAMA405, OPUS, ROWS, SONNET, day, kind, product_of
from tools import toolset

WINDOW = (date(2026, 10, 22), date(2026, 11, 21))  # the last 30 days of data (through 20 Nov)
PRICES = yaml.safe_load((Path(__file__).parents[1] / "ledger" / "data" / "prices.yaml").read_text())
PRICE = {m["model_id"]: m for m in PRICES["models"]}
CHEAP_SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # claude-sonnet in model_names.yaml, Legacy since 2026-10-08
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU45 = "anthropic.claude-haiku-4-5-20251001-v1:0"


def without_step_downs() -> dict:
    prices = copy.deepcopy(PRICES)
    for m in prices["models"]:
        m.pop("rightsize_to", None)
    return prices


def mix_saving(rs: list[dict], source: str, target: str) -> float:
    """30% of the window's tokens, priced at the source's and the target's list prices."""
    return 0.3 * sum(tokens(rs, k) / 1000 * (PRICE[source][k] - PRICE[target][k])
                     for k in ("input", "output", "cache_read", "cache_write") if tokens(rs, k))


def rows(product: str, billing: str) -> list[dict]:
    return [r for r in ROWS if r["line_item_line_item_type"] == "Usage" and WINDOW[0] <= day(r) < WINDOW[1]
            and product_of(r) == product and f"-{billing}-" in r["line_item_usage_type"]]


def tokens(rs: list[dict], k: str) -> float:
    return sum(r["line_item_usage_amount"] * 1000 for r in rs if kind(r) == k)


def usd(rs: list[dict], *kinds: str) -> float:
    return sum(r["line_item_unblended_cost"] for r in rs if kind(r) in kinds)


def recs(store, email: str = "maria@example.com", **args):  # noqa: ANN201
    return toolset.call(make_ctx(store, email), "recommendations", args)


def one(result, product: str, k: str, model: str):  # noqa: ANN201
    [found] = [r for r in result.recommendations if (r.product, r.kind, r.model) == (product, k, model)]
    return found


def test_checkout_sonnet_cache_opportunity(org_store) -> None:
    rs = rows("Checkout", "Claude4.6Sonnet")
    side = tokens(rs, "input") + tokens(rs, "cache_read") + tokens(rs, "cache_write")
    rate = tokens(rs, "cache_read") / side
    p = PRICE[SONNET]
    expected = (0.30 - rate) * side / 1000 * (p["input"] - p["cache_read"])
    r = one(recs(org_store), "Checkout", "cache", SONNET)
    assert r.monthly_saving_usd == pytest.approx(expected, abs=0.01)
    assert f"{rate:.1%}" in r.assumption and "upper bound" in r.assumption


def test_checkout_sonnet_batch_candidate(org_store) -> None:
    on_demand = usd(rows("Checkout", "Claude4.6Sonnet"), "input", "output")
    r = one(recs(org_store), "Checkout", "batch", SONNET)
    assert r.basis_monthly_usd == pytest.approx(on_demand, abs=0.01)
    assert r.monthly_saving_usd == pytest.approx(0.5 * 0.2 * on_demand, abs=0.01)
    assert "assumption" in r.assumption


def test_batch_share_is_an_argument(org_store) -> None:
    on_demand = usd(rows("Checkout", "Claude4.6Sonnet"), "input", "output")
    r = one(recs(org_store, batch_share=0.5), "Checkout", "batch", SONNET)
    assert r.monthly_saving_usd == pytest.approx(0.5 * 0.5 * on_demand, abs=0.01)


def test_small_on_demand_spend_is_no_batch_candidate(org_store) -> None:
    assert usd(rows("Fraud", "Claude3Haiku"), "input", "output") < 100
    assert not [r for r in recs(org_store).recommendations if r.product == "Fraud" and r.kind == "batch"]


def test_right_sizing_moves_a_share_to_the_cheapest_model_of_the_family(org_store, monkeypatch) -> None:
    as_if_active(monkeypatch, CHEAP_SONNET)
    prices = without_step_downs()
    cheap = {"model_id": CHEAP_SONNET, "billing_name": "Claude4.5Sonnet", "name": "Cheap Sonnet",
             "family": "claude-sonnet", "input": 0.001, "output": 0.005, "cache_read": 0.0001,
             "cache_write": 0.00125}
    prices["models"].append(cheap)
    monkeypatch.setattr("tools.recommendations.load_prices", lambda: prices)
    rs = rows("Checkout", "Claude4.6Sonnet")
    diff = sum(tokens(rs, k) / 1000 * (PRICE[SONNET][k] - cheap[k])
               for k in ("input", "output", "cache_read", "cache_write"))
    r = one(recs(org_store), "Checkout", "right_size", SONNET)
    assert r.target_model == CHEAP_SONNET
    assert r.monthly_saving_usd == pytest.approx(0.3 * diff, abs=0.01)
    assert "cheapest priced model of the claude-sonnet family" in r.assumption


def test_right_sizing_never_points_at_a_legacy_model_even_when_it_is_the_cheapest(org_store, monkeypatch) -> None:
    # The same cheaper Sonnet as above, with its real status: Legacy (EOL 2027-04-08) in us-east-1.
    assert lc.load().standing(CHEAP_SONNET, "us-east-1", date(2026, 11, 23)).status == "legacy"
    prices = without_step_downs()
    prices["models"].append({"model_id": CHEAP_SONNET, "billing_name": "Claude4.5Sonnet", "name": "Cheap Sonnet",
                             "family": "claude-sonnet", "input": 0.001, "output": 0.005, "cache_read": 0.0001,
                             "cache_write": 0.00125})
    monkeypatch.setattr("tools.recommendations.load_prices", lambda: prices)
    assert not [r for r in recs(org_store).recommendations if r.target_model == CHEAP_SONNET]


def test_no_right_sizing_when_the_model_is_the_cheapest_of_its_family(org_store, monkeypatch) -> None:
    # Without the listed step downs: prices.yaml has one Sonnet, one Opus and one Haiku, and
    # Llama 3.1 405B is cheaper than Llama 3 70B, so nothing in the fixture has a cheaper sibling.
    monkeypatch.setattr("tools.recommendations.load_prices", without_step_downs)
    assert not [r for r in recs(org_store, email="lead@example.com").recommendations if r.kind == "right_size"]


def test_sonnet_steps_down_to_the_current_haiku_listed_in_prices(org_store) -> None:
    assert PRICE[SONNET]["rightsize_to"] == HAIKU45  # not Claude 3 Haiku: past its end of life
    rs = rows("Checkout", "Claude4.6Sonnet")
    r = one(recs(org_store), "Checkout", "right_size", SONNET)
    assert r.target_model == HAIKU45
    assert r.monthly_saving_usd == pytest.approx(mix_saving(rs, SONNET, HAIKU45), abs=0.01)
    assert "Claude Haiku 4.5, the step down listed for it in prices.yaml" in r.assumption
    assert r.target_approved is False and "Not approved" in r.assumption  # the fixture catalog has no entry


def test_opus_steps_down_to_sonnet(org_store) -> None:
    assert PRICE[OPUS]["rightsize_to"] == SONNET
    r = one(recs(org_store), "Checkout", "right_size", OPUS)
    assert r.target_model == SONNET
    assert r.monthly_saving_usd == pytest.approx(mix_saving(rows("Checkout", "Claude4.6Opus"), OPUS, SONNET),
                                                 abs=0.01)


def test_provisioned_throughput_is_not_assessed_without_a_price(org_store) -> None:
    r = recs(org_store)
    assert not [x for x in r.recommendations if x.kind == "provisioned_throughput"]
    assert any("no PT price data" in n for n in r.notes)


def test_provisioned_throughput_break_even_with_a_listed_price(org_store, monkeypatch) -> None:
    prices = copy.deepcopy(PRICES)
    next(m for m in prices["models"] if m["model_id"] == SONNET)["provisioned_hourly_usd"] = 0.5
    monkeypatch.setattr("tools.recommendations.load_prices", lambda: prices)
    spend = usd(rows("Checkout", "Claude4.6Sonnet"), "input", "output", "cache_read", "cache_write")
    r = one(recs(org_store), "Checkout", "provisioned_throughput", SONNET)
    assert r.monthly_saving_usd == pytest.approx(spend - 0.5 * 730, abs=0.01)


def test_recommendations_are_sorted_by_saving(org_store) -> None:
    savings = [r.monthly_saving_usd for r in recs(org_store, email="lead@example.com").recommendations]
    assert savings and savings == sorted(savings, reverse=True)


def test_recommendations_stay_within_the_callers_products(org_store) -> None:
    r = recs(org_store)
    assert {x.product for x in r.recommendations} <= {"Checkout", "Fraud"}
    assert not [x for x in r.recommendations if x.product == "HR Portal"]


def test_the_window_is_the_last_thirty_days_of_data(org_store) -> None:
    r = recs(org_store)
    assert (r.start, r.end, r.days_of_data) == (*WINDOW, 30)
    assert r.prices_as_of == str(PRICES["as_of"])


def test_a_step_down_the_catalog_does_not_approve_for_the_product_says_so(org_store, monkeypatch) -> None:
    """HR Portal runs Sonnet in 222222222222 us-east-1 and us-west-2; Llama 3.1 405B is restricted to
    Fraud, so moving HR traffic there needs an access request first (or it would be drift). (Llama 3.1
    405B is past EOL in us-west-2 in reality: made Active here to test the approval check alone.)"""
    as_if_active(monkeypatch, LLAMA405)
    prices = without_step_downs()
    next(m for m in prices["models"] if m["model_id"] == SONNET)["rightsize_to"] = LLAMA405
    monkeypatch.setattr("tools.recommendations.load_prices", lambda: prices)
    hr_sonnet = [r for r in ROWS if r["line_item_line_item_type"] == "Usage" and WINDOW[0] <= day(r) < WINDOW[1]
                 and product_of(r) == "HR Portal" and "-Claude4.6Sonnet-" in r["line_item_usage_type"]]
    region = {"USE1": "us-east-1", "USW2": "us-west-2"}  # the usage-type prefix names the region
    where = sorted({f"{r['line_item_usage_account_id']} {region[r['line_item_usage_type'].split('-')[0]]}"
                    for r in hr_sonnet})
    assert where == ["222222222222 us-east-1", "222222222222 us-west-2"]
    r = one(recs(org_store, email="hana@example.com"), "HR Portal", "right_size", SONNET)
    assert (r.target_model, r.target_approved) == (LLAMA405, False)
    assert f"Not approved for HR Portal in {', '.join(where)} yet: request access first" in r.assumption


def test_right_sizing_never_targets_a_model_past_end_of_life(org_store, monkeypatch) -> None:
    # Put the old step down back (Sonnet -> Claude 3 Haiku, EOL 2026-09-10): no move is proposed.
    old = copy.deepcopy(PRICES)
    next(m for m in old["models"] if m["model_id"] == SONNET)["rightsize_to"] = HAIKU
    monkeypatch.setattr("tools.recommendations.load_prices", lambda: old)
    found = recs(org_store, email="lead@example.com").recommendations
    assert not [r for r in found if r.kind == "right_size" and r.target_model == HAIKU]
    assert not [r for r in found if r.kind == "right_size" and r.model == SONNET]


def test_every_priced_model_has_lifecycle_data() -> None:
    life = yaml.safe_load((Path(__file__).parents[1] / "ledger" / "data" / "lifecycle.yaml").read_text())["models"]
    assert {m["model_id"] for m in PRICES["models"]} <= set(life)
