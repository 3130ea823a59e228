"""FOCUS 1.x: recognised by its columns, mapped to the same bedrock_usage rows as the CUR 2.0 export of
the same line items, with the same checks and report."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pytest

from ledger.errors import IngestError
from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile, focusfile
from tests.test_ingest import NOV, OCT, bedrock_usage_cost

COMPARE = """SELECT billing_period, usage_date, account_id, region, principal, principal_type, charge_class,
                    usage_type, billing_model, model_id, kind, tier, routing, round(tokens, 6),
                    round(unblended_cost, 9), round(net_unblended_cost, 9), t.principal_tags['team']
             FROM bedrock_usage LEFT JOIN usage_tag_sets t USING (billing_period, tag_set) ORDER BY ALL"""


def ingest_rows(tmp_path: Path, name: str, writer, rows: list[dict]) -> tuple[list[tuple], object]:  # noqa: ANN001
    with Store(tmp_path / f"{name}.duckdb") as store:
        result = ingest(store, [str(writer(tmp_path / f"{name}.parquet", rows))])
        return store.rows(COMPARE), result


def test_focus_export_gives_the_same_rows_as_cur(tmp_path: Path) -> None:
    rows = [r for r in OCT + NOV if r["bill_billing_period_start_date"].month == 10] + \
           [dict(r, tags=[("iamPrincipal/team", "payments")]) for r in OCT[:2]]
    cur, cur_result = ingest_rows(tmp_path, "cur", curfile.write, rows)
    foc, foc_result = ingest_rows(tmp_path, "focus", focusfile.write, rows)
    assert foc == cur
    assert len(foc) == len(rows) - 1  # the EC2 row is not Bedrock
    assert foc_result.periods[0].usage_cost == pytest.approx(bedrock_usage_cost(rows))
    assert foc_result.periods[0].model_dump(exclude={"files"}) == cur_result.periods[0].model_dump(exclude={"files"})


def test_focus_marketplace_rows_take_the_model_from_service_name(tmp_path: Path) -> None:
    foc, _ = ingest_rows(tmp_path, "focus", focusfile.write, NOV)
    by_type = {r[7]: r for r in foc}
    mp = by_type["USE1-MP:USE1_InputTokenCount-Units"]
    assert (mp[8], mp[9], mp[10]) == ("Claude 3 Haiku", "anthropic.claude-3-haiku-20240307-v1:0", "input")
    assert mp[13] == pytest.approx(400_000)


def test_focus_bad_figures_are_refused_naming_the_focus_column(tmp_path: Path) -> None:
    rows = [dict(r) for r in OCT]
    rows[1]["line_item_unblended_cost"] = math.inf
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(IngestError) as info:
            ingest(store, [str(focusfile.write(tmp_path / "f.parquet", rows, _float_schema()))])
        assert "BilledCost is not a finite number" in info.value.problem
        assert "rows 2;" in info.value.problem
        assert store.scalar("SELECT count(*) FROM bedrock_usage") == 0


def _float_schema() -> pa.Schema:
    # Decimal columns cannot hold infinity; an export writing doubles can.
    return pa.schema([pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f
                      for f in focusfile.SCHEMA])


def test_focus_without_usage_type_is_refused(tmp_path: Path) -> None:
    schema = pa.schema([f for f in focusfile.SCHEMA if f.name != "x_UsageType"])
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(IngestError,
                                                              match="missing required FOCUS 1.x column"):
        ingest(store, [str(focusfile.write(tmp_path / "f.parquet", OCT, schema))])
