"""Chargeback statements reconcile to the cent with a plain SQL sum over the CUR files, and are scoped."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ledger import org_apply, org_parse
from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.conftest import make_ctx
from tests.curfile import line
from tests.orgfixture import A1, A2, ORG_YAML, ROWS
from tools import toolset

EXTRA = [  # charges that name no principal: a tax and a refund on top of the fixture's credit
    line("2026-11-01", "Tax", 0, 7.77, None, account=A1, item_type="Tax"),
    line("2026-11-01", "Tax", 0, 3.33, None, account=A2, item_type="Tax"),
    line("2026-11-06", "USE1-Claude4.6Sonnet-input-tokens", 0, -1.25, None, account=A2, item_type="Refund"),
]


def _build(tmp: Path) -> Store:
    nov = [r for r in ROWS if r["bill_billing_period_start_date"].month == 11] + EXTRA
    curfile.write(curfile.export_path(tmp, "2026-11"), nov)
    store = Store(tmp / "steward.duckdb")
    ingest(store, [str(tmp / "cur")], actor="test")
    org_apply.apply_org(store, org_parse.load_org_text(ORG_YAML), actor="test")
    return store


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("chargeback")
    store = _build(tmp)
    yield tmp, store
    store.close()


def _cur_total(tmp: Path) -> float:
    """Every Bedrock charge of November in the files: plain SQL, no Steward code."""
    return duckdb.sql(f"""
        SELECT sum(line_item_unblended_cost) FROM read_parquet('{tmp}/cur/**/*.parquet')
        WHERE line_item_product_code LIKE 'AmazonBedrock%'
           OR product['product_name'] LIKE '%(Amazon Bedrock Edition)'""").fetchall()[0][0]


@pytest.mark.parametrize("by", ["product", "portfolio", "business_unit", "account"])
def test_the_leads_statement_reconciles_to_the_cent(world, by: str) -> None:
    tmp, store = world
    s = toolset.call(make_ctx(store, "lead@example.com"), "chargeback_statement", {"month": "2026-11", "by": by})
    expected = _cur_total(tmp)
    assert abs(s.total.total_usd - expected) < 0.005
    assert abs(sum(ln.total_usd for ln in s.lines) - s.total.total_usd) < 0.005  # lines add up exactly
    assert s.complete
    assert s.total.taxes_usd == pytest.approx(7.77 + 3.33)
    assert s.total.refunds_usd == pytest.approx(-1.25) and s.total.credits_usd == pytest.approx(-10.0)
    if by != "account":
        assert s.lines[-1].node == "(unattributed)"
        assert s.lines[-1].taxes_usd == pytest.approx(7.77 + 3.33)  # no principal: not any product's


def test_a_product_owner_sees_only_their_products_and_their_accounts_unattributed(world) -> None:
    tmp, store = world
    lead = toolset.call(make_ctx(store, "lead@example.com"), "chargeback_statement", {"month": "2026-11"})
    maria = toolset.call(make_ctx(store, "maria@example.com"), "chargeback_statement", {"month": "2026-11"})
    products = {ln.node for ln in maria.lines} - {"(unattributed)"}
    assert products <= {"Checkout", "Fraud"} and products
    lead_lines = {ln.node: ln for ln in lead.lines}
    for ln in maria.lines:
        if ln.node != "(unattributed)":
            assert ln.total_usd == pytest.approx(lead_lines[ln.node].total_usd)
    assert not maria.complete


def test_steward_report_chargeback_csv(tmp_path: Path) -> None:
    from steward.cli import app

    _build(tmp_path).close()
    out = CliRunner().invoke(app, ["--db", str(tmp_path / "steward.duckdb"), "--as-of", "2026-11-21", "report",
                                   "chargeback", "--month", "2026-11", "--as", "lead@example.com", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = [r.split(",") for r in out.output.strip().splitlines()]
    assert rows[0][:2] == ["node", "usage_usd"]
    assert rows[-1][0] == "total" and abs(float(rows[-1][-1]) - _cur_total(tmp_path)) < 0.005


def test_steward_report_chargeback_html_is_one_file_with_the_table_and_a_chart(tmp_path: Path) -> None:
    import base64
    import html
    import re

    from steward.cli import app

    _build(tmp_path).close()
    out_file = tmp_path / "statement.html"
    out = CliRunner().invoke(app, ["--db", str(tmp_path / "steward.duckdb"), "--as-of", "2026-11-21", "report",
                                   "chargeback", "--month", "2026-11", "--as", "lead@example.com", "--format", "html",
                                   "--out", str(out_file)])
    assert out.exit_code == 0, out.output
    page = out_file.read_text()
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000  # the chart, inside the file
    assert "<link" not in page and "<script" not in page  # nothing to fetch: the file can be mailed
    total_row = re.search(r'<tr class="total"><td>total</td>(.*?)</tr>', page).group(1)
    last_cell = re.findall(r"\$([\d,.-]+)</td>", total_row)[-1]
    assert abs(float(last_cell.replace(",", "")) - _cur_total(tmp_path)) < 0.005
    assert html.escape("(unattributed)") in page
    bad = CliRunner().invoke(app, ["--db", str(tmp_path / "steward.duckdb"), "report", "chargeback", "--as",
                                   "lead@example.com", "--out", str(out_file)])
    assert bad.exit_code != 0 and "--format csv, parquet or html" in bad.output


def test_steward_report_chargeback_parquet_reads_back_and_reconciles_to_the_cent(tmp_path: Path) -> None:
    """The same columns as the CSV, in exact cents: duckdb reads the file back and its total row, and
    the sum of its lines, equal the CUR files' own sum to the cent."""
    from steward.cli import app

    _build(tmp_path).close()
    out_file = tmp_path / "statement.parquet"
    args = ["--db", str(tmp_path / "steward.duckdb"), "--as-of", "2026-11-21", "report", "chargeback",
            "--month", "2026-11", "--as", "lead@example.com", "--by", "account", "--format", "parquet"]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code != 0 and "add --out FILE.parquet" in refused.output
    out = CliRunner().invoke(app, [*args, "--out", str(out_file)])
    assert out.exit_code == 0, out.output
    csv_out = CliRunner().invoke(app, args[:-1] + ["csv"])
    con = duckdb.connect()
    got = con.execute(f"SELECT * FROM read_parquet('{out_file}')")
    columns = [d[0] for d in got.description]
    rows = got.fetchall()
    assert columns == csv_out.output.splitlines()[0].split(",")
    assert [r[0] for r in rows] == [ln.split(",")[0] for ln in csv_out.output.strip().splitlines()[1:]]
    cents = round(_cur_total(tmp_path) * 100)
    total = con.execute(f"SELECT total_usd FROM read_parquet('{out_file}') WHERE node = 'total'").fetchone()[0]
    lines = con.execute(f"SELECT sum(total_usd) FROM read_parquet('{out_file}') WHERE node <> 'total'").fetchone()[0]
    assert round(total * 100) == cents and round(lines * 100) == cents
    taxes = con.execute(f"SELECT sum(taxes_usd) FROM read_parquet('{out_file}') WHERE node <> 'total'").fetchone()[0]
    assert float(taxes) == pytest.approx(7.77 + 3.33)
