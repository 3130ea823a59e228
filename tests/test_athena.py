"""Athena as the engine for CUR at any size: one query (Trino), its DuckDB translation, and the client
(Athena and Glue under botocore's Stubber, S3 on moto)."""

from __future__ import annotations

from pathlib import Path

import boto3
import duckdb
import pytest
import sqlglot
from botocore.stub import ANY, Stubber
from moto import mock_aws

from ledger import athena
from ledger.errors import IngestError
from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.orgfixture import ROWS

REGION = "us-east-1"
OUT = "s3://acme-athena/results/"
CUR_LOCATION = "s3://acme-cur/cur/steward/data/"

# Rows that must never leave Athena: other services, a tax line without a usage type.
OTHER_SERVICES = [
    curfile.line("2026-10-03", "USE1-BoxUsage:m5.large", 24, 2.3, product_code="AmazonEC2",
                 product_name="Amazon Elastic Compute Cloud"),
    curfile.line("2026-11-02", "", 0, 11.0, product_code="AmazonS3", item_type="Tax", product_name="Amazon S3"),
    curfile.line("2026-11-04", "USE1-TimedStorage-ByteHrs", 100, 0.9, product_code="AmazonS3", product_name="Amazon S3"),
]
COLUMNS = [f.name for f in curfile.SCHEMA] + ["billing_period"]


def write_export(root: Path) -> Path:
    """The organisation's CUR: the Bedrock fixture rows plus other services, per period."""
    for period in ("2026-10", "2026-11"):
        rows = [r for r in ROWS + OTHER_SERVICES if r["bill_billing_period_start_date"].strftime("%Y-%m") == period]
        curfile.write(curfile.export_path(root, period), rows)
    return root / "cur"


def athena_result(export: Path, period: str, out: Path) -> Path:
    """What Athena's UNLOAD writes, made by running the DuckDB translation of the one query."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW cur2 AS SELECT *, strftime(bill_billing_period_start_date, '%Y-%m') AS billing_period "
                f"FROM read_parquet('{export}/**/*.parquet')")
    sql = athena.duckdb_sql(athena.select_sql("cur2", COLUMNS, [period]))
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({sql}) TO '{out}' (FORMAT PARQUET)")
    con.close()
    return out


def usage(store: Store) -> list[tuple]:
    return store.rows("SELECT billing_period, count(*), round(sum(unblended_cost), 2), round(sum(tokens), 0) "
                      "FROM bedrock_usage GROUP BY 1 ORDER BY 1")


def test_the_athena_query_is_trino_and_reads_only_the_periods_partitions():
    sql = athena.select_sql('"cid_data_export"."cur2"', COLUMNS, ["2026-10"])
    tree = sqlglot.parse_one(sql, read="trino")
    assert tree.find(sqlglot.exp.Table).name == "cur2"
    where = tree.args["where"].sql(dialect="trino")
    assert "billing_period IN ('2026-10')" in where
    # Trino's map subscript fails on a missing key: the Athena form must use element_at.
    assert "ELEMENT_AT(product, 'product_name')" in where
    assert "line_item_iam_principal" in sql and "resource_tags" in sql


def test_a_table_without_cur_columns_is_refused_naming_them():
    with pytest.raises(athena.AthenaError, match="line_item_usage_type"):
        athena.select_sql("t", [c for c in COLUMNS if c != "line_item_usage_type"], ["2026-10"])


def test_the_duckdb_translation_over_the_export_ingests_to_the_cent_like_the_files(tmp_path):
    export = write_export(tmp_path / "org")
    unloaded = tmp_path / "unloaded"
    for period in ("2026-10", "2026-11"):
        athena_result(export, period, unloaded / "data" / f"BILLING_PERIOD={period}" / "part-00001.parquet")
    with duckdb.connect() as con:  # nothing but Bedrock left Athena
        codes = con.execute(f"SELECT DISTINCT line_item_product_code FROM read_parquet('{unloaded}/**/*.parquet')"
                            ).fetchall()
    assert codes == [("AmazonBedrock",)]
    with Store(tmp_path / "direct.duckdb") as direct, Store(tmp_path / "athena.duckdb") as via:
        ingest(direct, [str(export)], actor="test")
        ingest(via, [str(unloaded)], actor="test")
        assert usage(via) == usage(direct)
        expected = {p: round(sum(r["line_item_unblended_cost"] for r in ROWS
                                 if r["bill_billing_period_start_date"].strftime("%Y-%m") == p), 2)
                    for p in ("2026-10", "2026-11")}
        assert {p: cost for p, _, cost, _ in usage(via)} == expected


def test_periods_are_months():
    assert athena.parse_periods("2026-10, 2026-09,2026-10") == ["2026-09", "2026-10"]
    with pytest.raises(IngestError, match="YYYY-MM"):
        athena.parse_periods("2026-13")
    with pytest.raises(IngestError, match="athena://WORKGROUP/DATABASE.TABLE"):
        athena.parse_source("athena://primary/cur2")


def glue_table() -> dict:
    return {"Table": {"Name": "cur2", "DatabaseName": "cid_data_export",
                      "StorageDescriptor": {"Columns": [{"Name": c, "Type": "string"} for c in COLUMNS[:-1]],
                                            "Location": CUR_LOCATION},
                      "PartitionKeys": [{"Name": "billing_period", "Type": "string"}]}}


def execution(qid: str, state: str, scanned: int = 0, reason: str = "") -> dict:
    status = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    return {"QueryExecution": {"QueryExecutionId": qid, "Status": status,
                               "Statistics": {"DataScannedInBytes": scanned}}}


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("acme-athena", "acme-cur"):
            s3.create_bucket(Bucket=bucket)
        yield (boto3.client("athena", region_name=REGION), boto3.client("glue", region_name=REGION), s3)


def test_ingest_from_athena_unloads_each_period_reports_scan_and_cost_and_ingests(tmp_path, aws):
    athena_client, glue, s3 = aws
    export = write_export(tmp_path / "org")
    # The CUR table's partition files (the estimate before the query) and what UNLOAD writes.
    s3.put_object(Bucket="acme-cur", Key="cur/steward/data/billing_period=2026-11/part-0.parquet", Body=b"x" * 5000)
    result = athena_result(export, "2026-11", tmp_path / "u.parquet")
    s3.upload_file(str(result), "acme-athena", "results/steward-unload/t1/BILLING_PERIOD=2026-11/20261129_q1")
    sleeps: list[float] = []
    with Stubber(glue) as glue_stub, Stubber(athena_client) as athena_stub:
        glue_stub.add_response("get_table", glue_table(), {"DatabaseName": "cid_data_export", "Name": "cur2"})
        athena_stub.add_response("get_work_group", {"WorkGroup": {"Name": "primary", "Configuration": {
            "ResultConfiguration": {"OutputLocation": OUT}}}}, {"WorkGroup": "primary"})
        athena_stub.add_response("start_query_execution", {"QueryExecutionId": "q1"},
                                 {"QueryString": ANY, "WorkGroup": "primary",
                                  "QueryExecutionContext": {"Database": "cid_data_export"}})
        athena_stub.add_response("get_query_execution", execution("q1", "RUNNING"), {"QueryExecutionId": "q1"})
        athena_stub.add_response("get_query_execution", execution("q1", "SUCCEEDED", 123_456_789),
                                 {"QueryExecutionId": "q1"})
        client = athena.AthenaClient(athena_client, glue, s3, sleep=sleeps.append)
        with Store(tmp_path / "s.duckdb") as store:
            ingested, run = athena.ingest_from_athena(store, "athena://primary/cid_data_export.cur2", ["2026-11"],
                                                      client=client, run_id="t1", actor="test")
            assert usage(store) == [("2026-11", *usage_of_period(tmp_path, export, "2026-11"))]
        athena_stub.assert_no_pending_responses()
    assert sleeps == [1.0]
    assert run.query_ids == ["q1"] and run.files == 1
    assert run.estimated_bytes == [5000] and run.scanned_bytes == [123_456_789]
    assert run.estimated_usd == pytest.approx(10 * 1024 * 1024 / 1e12 * 5)   # Athena's 10 MB minimum
    assert run.cost_usd == pytest.approx(123_456_789 / 1e12 * 5)
    assert [p.billing_period for p in ingested.periods] == ["2026-11"]


def usage_of_period(tmp_path: Path, export: Path, period: str) -> tuple:
    with Store(tmp_path / f"direct-{period}.duckdb") as direct:
        ingest(direct, [str(export)], actor="test")
        return next(tuple(r[1:]) for r in usage(direct) if r[0] == period)


def test_a_missing_table_says_which(aws):
    athena_client, glue, s3 = aws
    with Stubber(glue) as stub:
        stub.add_client_error("get_table", "EntityNotFoundException", "Table cur9 not found")
        client = athena.AthenaClient(athena_client, glue, s3)
        with pytest.raises(athena.AthenaError, match="no table cid_data_export.cur9 in the Glue catalog"):
            athena.fetch(client, athena.parse_source("athena://primary/cid_data_export.cur9"), ["2026-11"])


def test_a_refused_or_failed_query_says_why(aws):
    athena_client, glue, s3 = aws
    src = athena.parse_source("athena://primary/cid_data_export.cur2")
    client = athena.AthenaClient(athena_client, glue, s3, sleep=lambda s: None)
    with Stubber(athena_client) as stub:
        stub.add_client_error("start_query_execution", "AccessDeniedException",
                              "User is not authorized to perform: athena:StartQueryExecution")
        with pytest.raises(athena.AthenaError, match="AccessDeniedException: User is not authorized"):
            client.run("SELECT 1", src)
        stub.add_response("start_query_execution", {"QueryExecutionId": "q2"})
        stub.add_response("get_query_execution", execution("q2", "FAILED", reason="TABLE_NOT_FOUND: line 1:15"))
        with pytest.raises(athena.AthenaError, match="q2 failed: TABLE_NOT_FOUND"):
            client.run("SELECT 1", src)
