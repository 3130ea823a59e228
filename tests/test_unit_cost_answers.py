"""Cost per unit in answers: the planner routes unit-cost questions to cost_per_unit, and the spend card,
estimate_status and Slack carry the line; figures recomputed from the fixture rows and the volumes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from agent import planner
from ledger.store import Store
from tests.conftest import make_ctx
from tests.orgfixture import build_store, product_of, usage_rows
from tools import toolset
from tools.volumes import import_volumes

MARIA, LEAD = "maria@example.com", "lead@example.com"
OCT, NOV, END = date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 21)  # END: after the last day of data


def volumes() -> dict[tuple[str, date, str], float]:
    out = {("Checkout", OCT + timedelta(days=i), "document"): 1000.0 + i for i in range(31)}
    out |= {("Checkout", NOV + timedelta(days=i), "document"): 1200.0 + 3 * i for i in range(20)}
    out |= {("Fraud", NOV + timedelta(days=i), "chat"): 300.0 + i for i in range(20)}
    return out


@pytest.fixture(scope="module")
def unit_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = build_store(tmp_path_factory.mktemp("units"))
    text = "product,date,metric,value\n" + "".join(f"{p},{d},{m},{v:g}\n" for (p, d, m), v in volumes().items())
    import_volumes(make_ctx(s, MARIA), text, "volumes.csv")
    toolset.call(make_ctx(s, MARIA), "set_estimate", {"product": "Checkout", "usd_per_unit": 0.02, "unit": "document"})
    yield s
    s.close()


def spend(product: str, start: date, end: date) -> float:
    return sum(r["line_item_unblended_cost"] for r in usage_rows()
               if product_of(r) == product and start <= r["line_item_usage_start_date"].date() < end)


def per_unit(product: str, metric: str, start: date, end: date) -> float:
    units = sum(v for (p, d, m), v in volumes().items() if p == product and m == metric and start <= d < end)
    return spend(product, start, end) / units


def unit_text(v: float) -> str:
    """The per-unit money rule written out: three decimals from a cent, two significant figures below."""
    return f"${v:.3f}" if v >= 0.01 else f"${v:.2g}"


@pytest.mark.parametrize(("question", "args"), [
    ("what does each document cost us?", {"metric": "document"}),
    ("cost per chat for Fraud last month", {"metric": "chat", "month": "2026-10", "product": "Fraud"}),
    ("unit cost trend", {}),
    ("What's our cost per unit in October?", {"month": "2026-10"}),
])
def test_unit_cost_questions_go_to_cost_per_unit(unit_store: Store, question: str, args: dict) -> None:
    answer = planner.answer(make_ctx(unit_store, LEAD), question)
    assert (answer.family, answer.outcome) == ("unit_cost", "answered"), answer.text
    assert [(f.tool, f.args) for f in answer.facts] == [("cost_per_unit", args)]
    assert answer.text.startswith("Read as: cost per")


def test_spend_questions_still_go_where_they_went(unit_store: Store) -> None:
    ctx = make_ctx(unit_store, LEAD)
    assert planner.answer(ctx, "spend per product this month").facts[0].tool == "spend_breakdown"
    assert planner.answer(ctx, "how much did Checkout cost last month?").facts[0].tool == "spend_breakdown"


def test_the_answer_gives_cost_per_unit_and_its_change(unit_store: Store) -> None:
    answer = planner.answer(make_ctx(unit_store, MARIA), "what does each document cost us?")
    now, before = per_unit("Checkout", "document", NOV, END), per_unit("Checkout", "document", OCT, NOV)
    change = now / before - 1
    way = "up" if change > 0 else "down"
    assert f"{unit_text(now)} per document in November, {way} {abs(change) * 100:.0f}% on October" in answer.text
    assert f"estimate $0.020 per document, {abs(now / 0.02 - 1) * 100:.0f}% " in answer.text
    assert "No document volume recorded for Fraud" in answer.text  # Fraud records chats, not documents


def test_estimate_status_and_the_spend_card_carry_the_cost_per_unit(unit_store: Store) -> None:
    from slack_app.blocks import spend_card_blocks

    ctx = make_ctx(unit_store, MARIA)
    status = toolset.call(ctx, "estimate_status", {"product": "Checkout"})
    [line] = status.unit_costs
    assert line.usd_per_unit == pytest.approx(per_unit("Checkout", "document", NOV, END), rel=1e-5)
    assert line.estimate_usd_per_unit == 0.02
    card = toolset.call(ctx, "spend_card", {"product": "Checkout", "week_start": "2026-11-09"})
    [line] = card.unit_costs  # the month up to the card's week end (Sunday 15 Nov)
    month_to_week = per_unit("Checkout", "document", NOV, date(2026, 11, 16))
    assert line.usd_per_unit == pytest.approx(month_to_week, rel=1e-5)
    assert f"Cost per unit: {unit_text(month_to_week)} per document in November" in card.summary
    fields = [f["text"] for b in spend_card_blocks(card.model_dump(mode="json"), ctx.caller)
              for f in b.get("fields", [])]
    assert f"*Cost per document*\n{unit_text(month_to_week)}" in fields
    fraud_card = toolset.call(ctx, "spend_card", {"product": "Fraud", "week_start": "2026-10-12"})
    assert fraud_card.unit_costs == [] and "Cost per unit" not in fraud_card.summary  # its chats start in November


def test_a_product_without_volumes_gets_no_unit_line(tmp_path: Path) -> None:
    s = build_store(tmp_path)
    status = toolset.call(make_ctx(s, MARIA), "estimate_status", {"product": "Checkout"})
    assert status.unit_costs == []
    assert "Cost per unit" not in planner.answer(make_ctx(s, MARIA), "Checkout spend card").text
    s.close()
