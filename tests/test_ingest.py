"""CUR 2.0 ingest: totals, the usage-type grammar, restatement, and bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pytest

from ledger.errors import IngestError
from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.curfile import line

ROLE = "arn:aws:sts::111122223333:assumed-role/checkout-service-bedrock/sess-1"
ROLE_ARN = "arn:aws:iam::111122223333:role/checkout-service-bedrock"
ALICE = "arn:aws:iam::111122223333:user/alice"
KEY = "arn:aws:iam::111122223333:user/BedrockAPIKey-234s"

OCT = [
    line("2026-10-03", "USE1-Claude4.6Sonnet-input-tokens", 23.0, 0.069, ROLE),
    line("2026-10-03", "USE1-Claude4.6Sonnet-output-tokens", 14.2667, 0.214, ROLE),
    line("2026-10-04", "USE1-Claude4.6Sonnet-cache-read-input-token-count", 500, 0.15, ROLE),
    line("2026-10-04", "USE1-Claude4.6Sonnet-cache-write-input-token-count", 40, 0.15, ROLE),
    line("2026-10-05", "USW2-NovaPro-input-tokens-cross-region-geo", 100, 0.08, ALICE),
    line("2026-10-05", "USE1-NovaLite-input-tokens", 1350, 0.081, KEY),
    line("2026-10-06", "USE1-Guardrail-ContentPolicyUnitsConsumed", 1000, 0.15, None, unit="Text Units"),
    line("2026-10-06", "USE1-AmazonEC2-BoxUsage", 24, 2.0, None, product_code="AmazonEC2"),
    line("2026-10-07", "USE1-Claude4.6Sonnet-input-tokens", 0, -5.0, None, item_type="Credit"),
    line("2026-10-07", "USE1-Claude4.6Sonnet-input-tokens", 0, 1.25, None, item_type="Tax"),
]
NOV = [
    line("2026-11-02", "USE1-Llama3-1-405B-output-tokens-batch", 10, 0.08, ROLE),
    line("2026-11-02", "USE1-MP:USE1_InputTokenCount-Units", 0.4, 0.10, None, unit="Units",
         product_code="prod-mkt-haiku", entity="AWS Marketplace",
         product_name="Claude 3 Haiku (Amazon Bedrock Edition)"),
    line("2026-11-03", "USE1-TitanEmbeddingV2-Text-input-tokens", 5000, 0.10, ROLE),
    line("2026-11-03", "USE1-Mistral-Huge-9-input-tokens", 10, 0.02, ROLE),
    line("2026-11-04", "USE1-Claude4Sonnet-input-tokens-cross-region-global", 3, 0.009, ROLE, unit="1M tokens"),
]


def bedrock_usage_cost(rows: list[dict]) -> float:
    """Independent sum: Bedrock product codes or Marketplace Bedrock Edition, usage line items only."""
    return sum(
        r["line_item_unblended_cost"]
        for r in rows
        if (r["line_item_product_code"].startswith("AmazonBedrock")
            or (r["bill_billing_entity"] == "AWS Marketplace"
                and "(Amazon Bedrock Edition)" in dict(r["product"]).get("product_name", "")))
        and r["line_item_line_item_type"] in ("Usage", "SavingsPlanCoveredUsage", "DiscountedUsage")
    )


@pytest.fixture
def export(tmp_path: Path) -> Path:
    curfile.write(curfile.export_path(tmp_path, "2026-10"), OCT)
    curfile.write(curfile.export_path(tmp_path, "2026-11"), NOV)
    return tmp_path / "cur"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "steward.duckdb")
    yield s
    s.close()


def snapshot(store: Store) -> str:
    """A digest of every table the ingest may touch."""
    h = hashlib.sha256()
    for table in ("bedrock_usage", "usage_tag_sets", "usage_daily", "ingested_periods", "audit_log"):
        rows = store.rows(f"SELECT * FROM {table} ORDER BY ALL")
        h.update(repr(rows).encode())
    return h.hexdigest()


def period_cost(store: Store, period: str, table: str = "bedrock_usage") -> float:
    return store.scalar(
        f"SELECT sum(unblended_cost) FROM {table} WHERE billing_period = ? AND charge_class = 'usage'",
        [period],
    )


def test_usage_totals_match_an_independent_sum(store: Store, export: Path) -> None:
    ingest(store, [str(export)])
    assert period_cost(store, "2026-10") == pytest.approx(bedrock_usage_cost(OCT))
    assert period_cost(store, "2026-11") == pytest.approx(bedrock_usage_cost(NOV))


def test_rollup_totals_equal_raw_totals(store: Store, export: Path) -> None:
    ingest(store, [str(export)])
    for period in ("2026-10", "2026-11"):
        assert period_cost(store, period, "usage_daily") == pytest.approx(period_cost(store, period))
    raw_tokens = store.scalar("SELECT sum(tokens) FROM bedrock_usage")
    assert store.scalar("SELECT sum(tokens) FROM usage_daily") == pytest.approx(raw_tokens)


def test_non_bedrock_rows_are_not_kept(store: Store, export: Path) -> None:
    ingest(store, [str(export)])
    assert store.scalar("SELECT count(*) FROM bedrock_usage WHERE product_code = 'AmazonEC2'") == 0
    assert store.scalar("SELECT count(*) FROM bedrock_usage") == len(OCT) + len(NOV) - 1


def test_credits_and_taxes_are_kept_separately(store: Store, export: Path) -> None:
    ingest(store, [str(export)])
    by_class = dict(store.rows(
        "SELECT charge_class, sum(unblended_cost) FROM bedrock_usage WHERE billing_period = '2026-10' GROUP BY 1"))
    assert by_class["credit"] == pytest.approx(-5.0)
    assert by_class["tax"] == pytest.approx(1.25)


@pytest.mark.parametrize(
    "usage_type, expected",
    [
        ("USE1-Claude4.6Sonnet-input-tokens",
         dict(kind="input", tier="standard", routing="in-region", region="us-east-1",
              billing_model="Claude4.6Sonnet", model_id="anthropic.claude-sonnet-4-6", tokens=23_000)),
        ("USE1-Claude4.6Sonnet-cache-read-input-token-count",
         dict(kind="cache_read", billing_model="Claude4.6Sonnet", tokens=500_000)),
        ("USE1-Claude4.6Sonnet-cache-write-input-token-count", dict(kind="cache_write", tokens=40_000)),
        ("USW2-NovaPro-input-tokens-cross-region-geo",
         dict(kind="input", routing="geo", region="us-west-2", model_id="amazon.nova-pro-v1:0")),
        ("USE1-Guardrail-ContentPolicyUnitsConsumed",
         dict(kind="guardrail", billing_model=None, model_id=None, tokens=None, region="us-east-1")),
        ("USE1-Llama3-1-405B-output-tokens-batch",
         dict(kind="output", tier="batch", billing_model="Llama3-1-405B",
              model_id="meta.llama3-1-405b-instruct-v1:0", tokens=10_000)),
        ("USE1-MP:USE1_InputTokenCount-Units",
         dict(kind="input", billing_model="Claude 3 Haiku", model_id="anthropic.claude-3-haiku-20240307-v1:0",
              tokens=400_000, routing="in-region")),
        ("USE1-TitanEmbeddingV2-Text-input-tokens",
         dict(kind="embedding", model_id="amazon.titan-embed-text-v2:0", tokens=5_000_000)),
        ("USE1-Mistral-Huge-9-input-tokens", dict(kind="input", billing_model="Mistral-Huge-9", model_id=None)),
        ("USE1-Claude4Sonnet-input-tokens-cross-region-global",
         dict(routing="global", model_id="anthropic.claude-sonnet-4-20250514-v1:0", tokens=3_000_000)),
    ],
)
def test_usage_type_families_are_parsed(store: Store, export: Path, usage_type: str, expected: dict) -> None:
    ingest(store, [str(export)])
    row = store.dicts("SELECT * FROM bedrock_usage WHERE usage_type = ? AND charge_class = 'usage'", [usage_type])
    assert len(row) == 1
    for key, value in expected.items():
        if isinstance(value, float | int) and value is not None and not isinstance(value, bool):
            assert row[0][key] == pytest.approx(value), key
        else:
            assert row[0][key] == value, key


@pytest.mark.parametrize(
    "usage_type, kind, tier",
    [
        ("USE1-Nova2.0Lite-input-tokens-flex", "input", "flex"),
        ("USE1-gpt-oss-120b-output-tokens-priority", "output", "priority"),
        ("USE1-NovaPro-input-tokens-latency-optimized", "input", "latency-optimized"),
        ("USE1-Nova2.0Lite-ProvisionedThroughput-NoCommit-ModelUnits", "provisioned", "standard"),
        ("USE1-anthropic.claude-opus-5-5-reserved-1-month-input-tokens-per-minute", "reserved", "reserved"),
        ("USE1-MP:USE1_InputTokenCount_Batch-Units", "input", "batch"),
        ("USE1-MP:USE1_CacheWrite1hInputTokenCount_Global-Units", "cache_write", "standard"),
        ("USE1-openai.gpt-oss-120b-mantle-input-tokens-standard", "input", "standard"),
    ],
)
def test_tiers_and_other_units(tmp_path: Path, store: Store, usage_type: str, kind: str, tier: str) -> None:
    mp = "-MP:" in usage_type
    row = line("2026-10-03", usage_type, 1.0, 1.0, ROLE, unit="Units" if mp else "1K tokens",
               entity="AWS Marketplace" if mp else "AWS", product_code="prod-x" if mp else "AmazonBedrock",
               product_name="Claude Sonnet 4.6 (Amazon Bedrock Edition)" if mp else "Amazon Bedrock")
    ingest(store, [str(curfile.write(tmp_path / "one.parquet", [row]))])
    got = store.rows("SELECT kind, tier FROM bedrock_usage")
    assert got == [(kind, tier)]


def test_mantle_and_marketplace_model_names_resolve(tmp_path: Path, store: Store) -> None:
    rows = [
        line("2026-10-03", "USE1-openai.gpt-oss-120b-mantle-input-tokens-standard", 1.0, 1.0, ROLE),
        line("2026-10-03", "USE1-MP:USE1_OutputTokenCount-Units", 1.0, 1.0, ROLE, unit="Units",
             entity="AWS Marketplace", product_code="prod-x",
             product_name="Claude Sonnet 4.6 (Amazon Bedrock Edition)"),
    ]
    ingest(store, [str(curfile.write(tmp_path / "one.parquet", rows))])
    got = dict(store.rows("SELECT billing_model, model_id FROM bedrock_usage"))
    assert got == {"openai.gpt-oss-120b": "openai.gpt-oss-120b-1:0",
                   "Claude Sonnet 4.6": "anthropic.claude-sonnet-4-6"}


def test_principals_are_normalised(store: Store, export: Path) -> None:
    ingest(store, [str(export)])
    got = dict(store.rows("SELECT DISTINCT principal, principal_type FROM bedrock_usage"))
    assert got == {ROLE_ARN: "role", ALICE: "user", KEY: "api_key", "unknown": "unknown"}
    raw = store.scalar("SELECT DISTINCT principal_raw FROM bedrock_usage WHERE principal = ?", [ROLE_ARN])
    assert raw == ROLE


def test_principal_and_resource_tags_are_kept(tmp_path: Path, store: Store) -> None:
    row = line("2026-10-03", "USE1-NovaLite-input-tokens", 1.0, 1.0, ROLE,
               tags={"iamPrincipal/team": "payments", "user_app": "x"}, resource_tags={"user_cost_center": "42"})
    ingest(store, [str(curfile.write(tmp_path / "one.parquet", [row]))])
    team, cc = store.rows("""SELECT t.principal_tags['team'], t.resource_tags['user_cost_center']
                             FROM bedrock_usage u JOIN usage_tag_sets t USING (billing_period, tag_set)""")[0]
    assert (team, cc) == ("payments", "42")


def test_rows_without_tags_have_no_tag_set_and_sets_are_shared(tmp_path: Path, store: Store) -> None:
    tagged = dict(tags={"iamPrincipal/team": "payments"}, resource_tags={"user_cost_center": "42"})
    rows = [line("2026-10-03", "USE1-NovaLite-input-tokens", 1.0, 1.0, ROLE, **tagged),
            line("2026-10-04", "USE1-NovaLite-input-tokens", 1.0, 1.0, ROLE, **tagged),
            line("2026-10-04", "USE1-NovaLite-output-tokens", 1.0, 1.0, ROLE)]
    ingest(store, [str(curfile.write(tmp_path / "one.parquet", rows))])
    assert store.scalar("SELECT count(*) FROM usage_tag_sets") == 1
    assert store.rows("SELECT count(tag_set), count(DISTINCT tag_set) FROM bedrock_usage") == [(2, 1)]


def test_ingesting_the_same_files_twice_changes_nothing(store: Store, export: Path) -> None:
    ingest(store, [str(export)])
    # Rounded: a float sum's last bits depend on the order DuckDB's threads add the rows in.
    totals = "SELECT billing_period, count(*), round(sum(unblended_cost), 9) FROM bedrock_usage GROUP BY 1 ORDER BY 1"
    first = store.rows(totals)
    ingest(store, [str(export)])
    again = store.rows(totals)
    assert again == first


def test_a_restated_period_replaces_the_stored_one(store: Store, export: Path) -> None:
    ingest(store, [str(export)])
    restated = [dict(r, line_item_unblended_cost=r["line_item_unblended_cost"] * 2) for r in NOV[:2]]
    curfile.write(curfile.export_path(export.parent, "2026-11"), restated)
    ingest(store, [str(export)])
    assert period_cost(store, "2026-11") == pytest.approx(bedrock_usage_cost(restated))
    assert period_cost(store, "2026-10") == pytest.approx(bedrock_usage_cost(OCT))
    assert period_cost(store, "2026-11", "usage_daily") == pytest.approx(bedrock_usage_cost(restated))


def test_ingest_reports_unmapped_names_and_periods(store: Store, export: Path) -> None:
    result = ingest(store, [str(export)])
    nov = next(p for p in result.periods if p.billing_period == "2026-11")
    assert nov.unmapped_billing_names == ["Mistral-Huge-9"]
    assert nov.bedrock_rows == len(NOV)
    assert nov.usage_cost == pytest.approx(bedrock_usage_cost(NOV))
    assert nov.data_through == "2026-11-04"
    assert [p.billing_period for p in result.periods] == ["2026-10", "2026-11"]


def test_manifest_decides_which_files_are_data(store: Store, export: Path) -> None:
    stale = curfile.export_path(export.parent, "2026-11", "old-00001.snappy.parquet")
    curfile.write(stale, NOV)  # a file from an earlier execution, not in the manifest
    meta = export / "steward" / "metadata" / "BILLING_PERIOD=2026-11" / "steward-Manifest.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"dataFiles": ["steward/data/BILLING_PERIOD=2026-11/part-00001.snappy.parquet"]}))
    (export / "aws-programmatic-access-test-object").write_text("")
    ingest(store, [str(export)])
    assert period_cost(store, "2026-11") == pytest.approx(bedrock_usage_cost(NOV))


# --- bad input: each case names the file and leaves the store exactly as it was ---

def _break_missing_column(p: Path) -> None:
    schema = pa.schema([f for f in curfile.SCHEMA if f.name != "line_item_usage_type"])
    rows = [{k: v for k, v in r.items() if k != "line_item_usage_type"} for r in NOV]
    curfile.write(p, rows, schema)


def _break_wrong_type(p: Path) -> None:
    schema = pa.schema([pa.field(f.name, pa.string()) if f.name == "line_item_unblended_cost" else f
                        for f in curfile.SCHEMA])
    curfile.write(p, [dict(r, line_item_unblended_cost=str(r["line_item_unblended_cost"])) for r in NOV], schema)


def _break_truncated(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _break_not_parquet(p: Path) -> None:
    p.write_text("identity_line_item_id,line_item_usage_type\nabc,USE1-NovaLite-input-tokens\n")


def _break_empty_file(p: Path) -> None:
    p.write_bytes(b"")


def _break_no_rows(p: Path) -> None:
    curfile.write(p, [])


def _break_wrong_period(p: Path) -> None:
    curfile.write(p, OCT)  # October rows in the BILLING_PERIOD=2026-11 folder


@pytest.mark.parametrize(
    "breaker, message",
    [
        (_break_missing_column, "missing required CUR 2.0 column(s): line_item_usage_type"),
        (_break_wrong_type, "column line_item_unblended_cost has type string, expected double"),
        (_break_truncated, "truncated Parquet file"),
        (_break_not_parquet, "not a Parquet file"),
        (_break_empty_file, "the file is empty (0 bytes)"),
        (_break_no_rows, "the file has no rows"),
        (_break_wrong_period, "belong to billing period 2026-10 but the file is in the BILLING_PERIOD=2026-11 folder"),
    ],
)
def test_bad_input_is_refused_and_the_store_is_unchanged(store: Store, export: Path, breaker, message: str) -> None:
    ingest(store, [str(export)])
    before = snapshot(store)
    bad = curfile.export_path(export.parent, "2026-11")
    breaker(bad)
    with pytest.raises(IngestError) as info:
        ingest(store, [str(export)])
    assert message in str(info.value)
    assert info.value.file == str(bad)
    assert snapshot(store) == before


def test_cli_bad_input_exits_non_zero_with_the_file_named(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from steward.cli import app

    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.duckdb"), "ingest", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: not a Parquet file" in result.output.replace("\n", "")
