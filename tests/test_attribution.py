"""The claim-date rule and unknown usage types, at the ledger level."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger.attribution import ensure_views
from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.curfile import line
from tests.orgfixture import APP, ROWS, day, principal_of


def test_spend_before_the_claim_date_stays_unattributed(org_store: Store) -> None:
    ensure_views(org_store)
    got = dict(org_store.rows(
        """SELECT attribution, sum(unblended_cost) FROM attributed_daily
           WHERE principal = ? AND charge_class = 'usage' GROUP BY 1""", [APP]))
    app_rows = [r for r in ROWS if principal_of(r) == APP and r["line_item_line_item_type"] == "Usage"]
    before = sum(r["line_item_unblended_cost"] for r in app_rows if day(r) < date(2026, 11, 10))
    after = sum(r["line_item_unblended_cost"] for r in app_rows if day(r) >= date(2026, 11, 10))
    assert got["before_claim"] == pytest.approx(before)
    assert got["claimed"] == pytest.approx(after)


def test_claimed_rows_carry_the_product_only_from_the_claim_date(org_store: Store) -> None:
    ensure_views(org_store)
    first = org_store.scalar(
        "SELECT min(usage_date) FROM attributed_daily WHERE principal = ? AND product = 'App'", [APP])
    assert first == date(2026, 11, 10)


def test_unknown_usage_types_are_kept_and_reported(tmp_path: Path) -> None:
    rows = [line("2026-11-02", "USE1-FutureFeature-WidgetSeconds", 12, 0.96, None),
            line("2026-11-02", "USE1-NovaLite-input-tokens", 10, 0.0006, None)]
    with Store(tmp_path / "s.duckdb") as store:
        result = ingest(store, [str(curfile.write(tmp_path / "x.parquet", rows))])
        kept = store.rows("SELECT kind, unblended_cost FROM bedrock_usage WHERE usage_type LIKE '%FutureFeature%'")
    assert kept == [("other", 0.96)]
    assert result.periods[0].unknown_usage_types == ["USE1-FutureFeature-WidgetSeconds"]


def test_credits_and_taxes_do_not_report_their_usage_type_as_unknown(tmp_path: Path) -> None:
    # A credit names the usage type it offsets with no pricing unit, and a tax row's usage type is "Tax"
    # (both as in the AWS credit and tax line items of a CUR 2.0 export): neither is an unknown usage type.
    rows = [line("2026-11-02", "USE1-NovaLite-input-tokens", 10, 0.0006, None),
            line("2026-11-02", "USE1-NovaLite-input-tokens", 0, -0.0006, None, unit="", item_type="Credit"),
            line("2026-11-01", "Tax", 0, 0.12, None, unit="", item_type="Tax"),
            line("2026-11-02", "USE1-FutureFeature-WidgetSeconds", 12, 0.96, None)]
    with Store(tmp_path / "s.duckdb") as store:
        result = ingest(store, [str(curfile.write(tmp_path / "x.parquet", rows))])
    assert result.periods[0].unknown_usage_types == ["USE1-FutureFeature-WidgetSeconds"]
