"""Row checks: only Bedrock rows are held to the rules; refusals name file, row and column; flags
are reported and refused under --strict. Expected figures are computed here from the fixture rows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pytest

from ledger.errors import IngestError
from ledger.ingest import ingest
from ledger.row_checks import MAX_ABS_AMOUNT, MAX_ABS_COST_USD, lookalike
from ledger.store import Store
from tests import curfile
from tests.curfile import line
from tests.test_ingest import snapshot, store  # noqa: F401 - the store fixture

ROLE = "arn:aws:sts::111122223333:assumed-role/app-role/s1"
SCHEMA = curfile.SCHEMA.append(pa.field("identity_line_item_id", pa.string()))


def with_id(row: dict, lid: str) -> dict:
    return dict(row, identity_line_item_id=lid)


def good_rows() -> list[dict]:
    return [
        with_id(line("2026-10-03", "USE1-Claude4.6Sonnet-input-tokens", 23.0, 0.069, ROLE), "a1"),
        with_id(line("2026-10-03", "USE1-Claude4.6Sonnet-output-tokens", 14.2667, 0.214, ROLE), "a2"),
        with_id(line("2026-10-04", "USE1-NovaLite-input-tokens", 1350, 0.081, ROLE), "a3"),
    ]


def write(tmp_path: Path, rows: list[dict], name: str = "cur.parquet") -> str:
    return str(curfile.write(tmp_path / name, rows, SCHEMA))


def bedrock_usage_cost(rows: list[dict]) -> float:
    return sum(r["line_item_unblended_cost"] for r in rows
               if r["line_item_product_code"] and r["line_item_product_code"].startswith("AmazonBedrock")
               and r["line_item_line_item_type"] == "Usage")


def test_non_bedrock_rows_without_usage_type_never_reject_a_file(tmp_path: Path, store: Store) -> None:
    tax = line("2026-10-31", "", 0, 12.5, None, product_code="AWSSupportBusiness", item_type="Tax")
    tax.update(line_item_usage_type=None, line_item_usage_start_date=None)
    credit = line("2026-10-31", "", 0, -3.0, None, product_code="", item_type="Credit",
                  product_name="AWS Promotional Credit")
    credit.update(line_item_usage_type=None, line_item_product_code=None)
    rows = good_rows() + [with_id(tax, "t1"), with_id(credit, "c1")]
    result = ingest(store, [write(tmp_path, rows)])
    assert store.scalar("SELECT count(*) FROM bedrock_usage") == 3
    assert result.periods[0].rows == 5 and result.periods[0].bedrock_rows == 3
    assert store.scalar("SELECT sum(unblended_cost) FROM bedrock_usage") == pytest.approx(bedrock_usage_cost(rows))


@pytest.mark.parametrize("column, value, words", [
    ("line_item_unblended_cost", math.nan, "line_item_unblended_cost is not a finite number"),
    ("line_item_unblended_cost", math.inf, "line_item_unblended_cost is not a finite number"),
    ("line_item_net_unblended_cost", -math.inf, "line_item_net_unblended_cost is not a finite number"),
    ("line_item_usage_amount", math.nan, "line_item_usage_amount is not a finite number"),
    ("line_item_unblended_cost", MAX_ABS_COST_USD * 10, "line_item_unblended_cost is out of range"),
    ("line_item_usage_amount", MAX_ABS_AMOUNT * 10, "line_item_usage_amount is out of range"),
])
def test_bad_figures_refuse_the_file_naming_row_and_column(tmp_path: Path, store: Store, column: str,
                                                          value: float, words: str) -> None:
    ingest(store, [write(tmp_path, good_rows(), "first.parquet")])
    before = snapshot(store)
    rows = good_rows()
    rows[1] = dict(rows[1], **{column: value})
    path = write(tmp_path, rows)
    with pytest.raises(IngestError) as info:
        ingest(store, [path])
    assert info.value.file == path
    assert words in info.value.problem
    assert "rows 2;" in info.value.problem  # the second data row, numbered from 1
    assert f"{MAX_ABS_COST_USD:,.0f} USD" in info.value.problem  # the bound is stated
    assert snapshot(store) == before


def test_bad_figures_on_a_non_bedrock_row_are_not_bedrock_business(tmp_path: Path, store: Store) -> None:
    ec2 = line("2026-10-03", "USE1-BoxUsage:m5.large", math.inf, math.nan, None, product_code="AmazonEC2")
    ingest(store, [write(tmp_path, good_rows() + [with_id(ec2, "e1")])])
    assert store.scalar("SELECT count(*) FROM bedrock_usage") == 3


def test_negative_usage_cost_is_kept_and_flagged(tmp_path: Path, store: Store) -> None:
    rows = good_rows()
    rows[2] = dict(rows[2], line_item_unblended_cost=-0.5, line_item_net_unblended_cost=-0.5)
    credit = with_id(line("2026-10-05", "USE1-NovaLite-input-tokens", 0, -2.0, None, item_type="Credit"), "c9")
    result = ingest(store, [write(tmp_path, rows + [credit])])
    flags = result.periods[0].flags
    assert [(f.reason, f.rows) for f in flags] == [("negative_usage_cost", 1)]  # the credit is not flagged
    assert result.periods[0].usage_cost == pytest.approx(0.069 + 0.214 - 0.5)
    with pytest.raises(IngestError, match="--strict: 1 Usage row"):
        ingest(store, [write(tmp_path, rows, "again.parquet")], strict=True)


def test_duplicate_line_items_are_counted_once_and_reported(tmp_path: Path, store: Store) -> None:
    rows = good_rows()
    dup_in_file = dict(rows[0])
    other_file = [dict(rows[1]), dict(rows[2])]
    same_id_other_hour = with_id(line("2026-10-03", "USE1-Claude4.6Sonnet-input-tokens", 1.0, 0.003, ROLE,
                                      hour=5), "a1")
    folder = tmp_path / "cur"
    curfile.write(curfile.export_path(folder, "2026-10", "part-1.parquet"), rows + [dup_in_file, same_id_other_hour],
                  SCHEMA)
    curfile.write(curfile.export_path(folder, "2026-10", "part-2.parquet"), other_file, SCHEMA)
    result = ingest(store, [str(folder)])
    period = result.periods[0]
    assert period.duplicates == 3
    assert period.bedrock_rows == 4  # three line items plus a1 at another hour
    expected = sum(r["line_item_unblended_cost"] for r in rows) + 0.003
    assert period.usage_cost == pytest.approx(expected)
    assert store.scalar("SELECT sum(unblended_cost) FROM usage_daily") == pytest.approx(expected)
    assert [f.reason for f in period.flags] == ["duplicate_line_item"]
    before = snapshot(store)
    with pytest.raises(IngestError, match="--strict: line item a1 starting 2026-10-03 00:00:00 appears 2 times"):
        ingest(store, [str(folder)], strict=True)
    assert snapshot(store) == before


def test_usage_far_outside_its_billing_period_refuses_naming_rows(tmp_path: Path, store: Store) -> None:
    rows = good_rows()
    spill = with_id(line("2026-09-30", "USE1-NovaLite-input-tokens", 1, 0.01, ROLE, period="2026-10", hour=20), "s1")
    ingest(store, [write(tmp_path, rows + [spill], "ok.parquet")])  # a few hours of spill is normal
    assert store.scalar("SELECT count(*) FROM bedrock_usage") == 4
    before = snapshot(store)
    far = with_id(line("2023-01-02", "USE1-NovaLite-input-tokens", 1, 0.01, ROLE, period="2026-10"), "f1")
    path = write(tmp_path, rows + [spill, far])
    with pytest.raises(IngestError) as info:
        ingest(store, [path])
    assert "1 Bedrock row(s) have a line_item_usage_start_date more than 1 day outside their billing period" \
        in info.value.problem
    assert "rows 5;" in info.value.problem
    assert snapshot(store) == before


def test_null_product_code_rows_that_are_bedrock_are_kept_and_reported(tmp_path: Path, store: Store) -> None:
    orphan = with_id(line("2026-10-04", "USE1-Claude4.6Sonnet-output-tokens", 2.0, 0.03, ROLE), "n1")
    orphan["line_item_product_code"] = None
    s3 = with_id(line("2026-10-04", "USE1-TimedStorage-ByteHrs", 2.0, 0.5, None, product_name="Amazon S3"), "n2")
    s3["line_item_product_code"] = None
    rows = good_rows() + [orphan, s3]
    result = ingest(store, [write(tmp_path, rows)])
    assert store.scalar("SELECT count(*) FROM bedrock_usage WHERE product_code IS NULL") == 1
    flag = result.periods[0].flags[0]
    assert (flag.reason, flag.rows) == ("null_product_code", 1)
    assert "USE1-Claude4.6Sonnet-output-tokens" in flag.detail
    assert result.periods[0].usage_cost == pytest.approx(0.069 + 0.214 + 0.081 + 0.03)


@pytest.mark.parametrize("principal, why", [
    ("arn:aws:sts::111122223333:assumed-role/app-role\u200b/s1", "U+200B"),   # zero-width space
    ("arn:aws:sts::111122223333:assumed-role/\u202eelor-ppa/s1", "U+202E"),   # right-to-left override
    ("arn:aws:sts::111122223333:assumed-role/\u0430pp-role/s1", "U+0430"),    # Cyrillic a
    ("arn:aws:iam::111122223333:user/alice\x07", "U+0007"),                   # bell
])
def test_lookalike_principals_are_flagged(tmp_path: Path, store: Store, principal: str, why: str) -> None:
    assert why in (lookalike(principal) or "")
    rows = good_rows() + [with_id(line("2026-10-05", "USE1-NovaLite-input-tokens", 1, 0.01, principal), "l1")]
    result = ingest(store, [write(tmp_path, rows)])
    assert result.periods[0].lookalike_principals == [ascii(principal)]
    assert result.periods[0].flags[0].reason == "lookalike_principal"
    with pytest.raises(IngestError, match="--strict: principal"):
        ingest(store, [write(tmp_path, rows, "b.parquet")], strict=True)


def test_plain_principals_are_not_lookalikes() -> None:
    assert lookalike("arn:aws:sts::123456789012:assumed-role/Role-1/user-1@acme.org") is None


def test_a_huge_usage_type_is_refused_quickly(tmp_path: Path, store: Store) -> None:
    rows = good_rows() + [with_id(line("2026-10-05", "USE1-" + "a" * 65536, 1, 0.01, ROLE), "h1")]
    with pytest.raises(IngestError, match="line_item_usage_type is longer than 256 characters in 1 Bedrock row"):
        ingest(store, [write(tmp_path, rows)])


def test_report_counts_and_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from steward.cli import app

    rows = good_rows() + [dict(good_rows()[0]),
                          with_id(line("2026-10-05", "USE1-Mistral-Large-9-input-tokens", 1, 0.01, ROLE), "m1"),
                          with_id(line("2026-10-05", "USE1-FutureThing-Widgets", 1, 0.01, ROLE), "u1"),
                          with_id(line("2026-10-05", "USE1-EC2-BoxUsage", 1, 9.0, None, product_code="AmazonEC2"),
                                  "x1")]
    path = write(tmp_path, rows)
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.duckdb"), "ingest", "--json", path])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    p = report["periods"][0]
    assert (report["rows_read"], p["rows"], p["bedrock_rows"], p["duplicates"]) == (7, 7, 5, 1)
    assert p["unmapped_billing_names"] == ["Mistral-Large-9"]
    assert p["unknown_usage_types"] == ["USE1-FutureThing-Widgets"]
    assert [f["reason"] for f in p["flags"]] == ["duplicate_line_item"]
    assert report["duplicates"] == 1 and report["flagged"] == 1
    table = CliRunner().invoke(app, ["--db", str(tmp_path / "t.duckdb"), "ingest", path])
    assert "flagged (duplicate_line_item)" in table.output
