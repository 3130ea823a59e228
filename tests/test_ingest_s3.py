"""Ingest from s3://bucket/prefix in the Data Exports layout, through boto3 against moto's S3."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.test_ingest import NOV, OCT, bedrock_usage_cost


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="cur-bucket")
        yield client


def test_s3_export_layout_is_ingested_with_the_manifest(tmp_path: Path, s3) -> None:
    prefix = "exports/steward/data"
    for period, rows in (("2026-10", OCT), ("2026-11", NOV)):
        local = curfile.write(tmp_path / f"{period}.parquet", rows)
        s3.upload_file(str(local), "cur-bucket", f"{prefix}/BILLING_PERIOD={period}/steward-00001.snappy.parquet")
        manifest = {"dataFiles": [f"s3://cur-bucket/{prefix}/BILLING_PERIOD={period}/steward-00001.snappy.parquet"]}
        s3.put_object(Bucket="cur-bucket", Key=f"exports/steward/metadata/BILLING_PERIOD={period}/steward-Manifest.json",
                      Body=json.dumps(manifest).encode())
    # Not data: the validation object, a status file, and a stale file the manifest no longer lists.
    s3.put_object(Bucket="cur-bucket", Key="aws-programmatic-access-test-object", Body=b"")
    s3.put_object(Bucket="cur-bucket", Key="exports/steward/cost_and_usage_data_status/status.json", Body=b"{}")
    stale = curfile.write(tmp_path / "stale.parquet", NOV)
    s3.upload_file(str(stale), "cur-bucket", f"{prefix}/BILLING_PERIOD=2026-11/steward-old.snappy.parquet")

    with Store(tmp_path / "s.duckdb") as store:
        result = ingest(store, ["s3://cur-bucket/exports"], s3_client=s3, workdir=tmp_path / "dl")
        costs = dict(store.rows("""SELECT billing_period, sum(unblended_cost) FROM bedrock_usage
                                   WHERE charge_class = 'usage' GROUP BY 1"""))
        sources = {r[0] for r in store.rows("SELECT DISTINCT source_file FROM bedrock_usage")}
    assert result.files == 2
    assert costs["2026-10"] == pytest.approx(bedrock_usage_cost(OCT))
    assert costs["2026-11"] == pytest.approx(bedrock_usage_cost(NOV))
    assert sources == {f"s3://cur-bucket/{prefix}/BILLING_PERIOD={p}/steward-00001.snappy.parquet"
                       for p in ("2026-10", "2026-11")}


def test_s3_bad_file_names_the_object(tmp_path: Path, s3) -> None:
    from ledger.errors import IngestError

    s3.put_object(Bucket="cur-bucket", Key="x/data/BILLING_PERIOD=2026-11/bad.parquet", Body=b"garbage")
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(IngestError) as info:
        ingest(store, ["s3://cur-bucket/x"], s3_client=s3, workdir=tmp_path / "dl")
    assert info.value.file == "s3://cur-bucket/x/data/BILLING_PERIOD=2026-11/bad.parquet"
