"""Athena as the engine for CUR at any size: Athena filters the organisation's CUR 2.0 table to the
Bedrock rows of the periods asked for and UNLOADs them as Parquet; Steward ingests those files with
the same checks and the same per-period replace as any CUR file.

The query is written once, in Athena's dialect (Trino); the DuckDB form that tests and local runs use
is generated from it with sqlglot. Athena only filters: the usage-type grammar and every row check
stay in ledger.ingest, so there is one definition of what a row means.
"""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot

from ledger.cur_columns import OPTIONAL, REQUIRED
from ledger.errors import IngestError
from ledger.months import MonthError, month_key, parse_month

ATHENA_USD_PER_TB = 5.0
ATHENA_MIN_BYTES = 10 * 1024 * 1024        # Athena bills at least 10 MB per query
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,128}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")

# Rows that may be Bedrock. A superset of what ingest keeps (rows with no product code are decided by
# ingest's own checks); everything else (the rest of the organisation's CUR) never leaves Athena.
BEDROCK_PREFILTER = ("(line_item_product_code LIKE 'AmazonBedrock%' "
                     "OR element_at(product, 'product_name') LIKE '%Bedrock%' "
                     "OR coalesce(line_item_product_code, '') = '')")


class AthenaError(IngestError):
    """Athena or Glue refused or failed the query; the message says what to fix."""


@dataclass(frozen=True)
class AthenaSource:
    workgroup: str
    database: str
    table: str

    @property
    def uri(self) -> str:
        return f"athena://{self.workgroup}/{self.database}.{self.table}"


def parse_source(uri: str) -> AthenaSource:
    """athena://WORKGROUP/DATABASE.TABLE"""
    match = re.fullmatch(r"athena://([^/]+)/([^./]+)\.([^./]+)", uri.strip())
    if not match or not _NAME.match(match.group(1)) or not all(_IDENT.match(g) for g in match.groups()[1:]):
        raise IngestError(uri, "not an Athena source: use athena://WORKGROUP/DATABASE.TABLE, "
                          "e.g. athena://primary/cid_data_export.cur2")
    return AthenaSource(*match.groups())


def parse_periods(text: str) -> list[str]:
    try:
        periods = sorted({month_key(parse_month(p.strip())) for p in text.split(",") if p.strip()})
    except MonthError as exc:
        raise IngestError("--periods", str(exc)) from None
    if not periods:
        raise IngestError("--periods", "name at least one billing period, e.g. --periods 2026-09,2026-10")
    return periods


def select_sql(table: str, columns: list[str], periods: list[str]) -> str:
    """The Athena (Trino) query: the columns Steward reads, Bedrock rows only, the periods' partitions."""
    wanted = [c for c in (*REQUIRED, *OPTIONAL) if c in set(columns)]
    missing = [c for c in REQUIRED if c not in set(columns)]
    if missing:
        raise AthenaError(table, f"no column {', '.join(missing)}: is it a CUR 2.0 table "
                          "(Data Exports, or the CID cur2 table)?")
    in_periods = ", ".join(f"'{p}'" for p in periods)
    return (f"SELECT {', '.join(wanted)} FROM {table} "
            f"WHERE billing_period IN ({in_periods}) AND {BEDROCK_PREFILTER}")


def duckdb_sql(athena_sql: str) -> str:
    """The same query for DuckDB (generated, never written by hand)."""
    return sqlglot.transpile(athena_sql, read="trino", write="duckdb")[0]


def unload_sql(athena_sql: str, location: str) -> str:
    return f"UNLOAD ({athena_sql}) TO '{location}' WITH (format = 'PARQUET', compression = 'SNAPPY')"


def cost_usd(scanned_bytes: int) -> float:
    return max(scanned_bytes, ATHENA_MIN_BYTES) / 1e12 * ATHENA_USD_PER_TB


@dataclass
class AthenaRun:
    """What one ingest from Athena did, for the report: data scanned and its cost, before and after."""

    source: str
    periods: list[str]
    estimated_bytes: list[int] = field(default_factory=list)  # per period: its partition files in S3
    scanned_bytes: list[int] = field(default_factory=list)    # per period: what Athena reported
    query_ids: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def estimated_usd(self) -> float:
        """An upper bound: Parquet lets Athena read only the columns asked for."""
        return sum(cost_usd(b) for b in self.estimated_bytes)

    @property
    def cost_usd(self) -> float:
        return sum(cost_usd(b) for b in self.scanned_bytes)


class AthenaClient:
    """Start, wait for and read Athena queries (boto3 `athena`, `glue` and `s3` clients)."""

    def __init__(self, athena: Any, glue: Any, s3: Any, *, poll_seconds: float = 1.0,
                 timeout_seconds: float = 3600.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.athena, self.glue, self.s3 = athena, glue, s3
        self.poll_seconds, self.timeout_seconds, self.sleep = poll_seconds, timeout_seconds, sleep

    def table(self, src: AthenaSource) -> tuple[list[str], str | None]:
        """The table's column names (partition keys included) and its S3 location."""
        try:
            table = self.glue.get_table(DatabaseName=src.database, Name=src.table)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            raise AthenaError(src.uri, f"no table {src.database}.{src.table} in the Glue catalog: check the database and "
                              "table names (Data Exports or CID create them)") from None
        except Exception as exc:  # botocore ClientError: permissions, region
            raise AthenaError(src.uri, f"cannot read the table {src.database}.{src.table} from Glue: {_reason(exc)}") from None
        sd = table.get("StorageDescriptor", {})
        names = [c["Name"] for c in sd.get("Columns", [])] + [c["Name"] for c in table.get("PartitionKeys", [])]
        return names, sd.get("Location")

    def output_location(self, src: AthenaSource, override: str | None) -> str:
        if override:
            return override.rstrip("/") + "/"
        try:
            wg = self.athena.get_work_group(WorkGroup=src.workgroup)["WorkGroup"]
        except Exception as exc:
            raise AthenaError(src.uri, f"cannot read the Athena workgroup {src.workgroup}: {_reason(exc)}") from None
        location = wg.get("Configuration", {}).get("ResultConfiguration", {}).get("OutputLocation")
        if not location:
            raise AthenaError(src.uri, f"the workgroup {src.workgroup} has no query result location: pass "
                              "--athena-output s3://BUCKET/PREFIX/")
        return location.rstrip("/") + "/"

    def partition_bytes(self, location: str | None, periods: list[str]) -> int:
        """Bytes of the periods' partition files: what a query could scan at most."""
        if not location or not location.startswith("s3://"):
            return 0
        bucket, _, prefix = location[5:].partition("/")
        total = 0
        for period in periods:
            for key in (f"{prefix.rstrip('/')}/billing_period={period}/",
                        f"{prefix.rstrip('/')}/BILLING_PERIOD={period}/"):
                for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key.lstrip("/")):
                    total += sum(o["Size"] for o in page.get("Contents", []))
        return total

    def run(self, sql: str, src: AthenaSource) -> tuple[str, int]:
        """Run one statement to the end; (query id, bytes scanned)."""
        try:
            qid = self.athena.start_query_execution(
                QueryString=sql, WorkGroup=src.workgroup,
                QueryExecutionContext={"Database": src.database})["QueryExecutionId"]
        except Exception as exc:
            raise AthenaError(src.uri, f"Athena refused the query in workgroup {src.workgroup}: {_reason(exc)}") from None
        waited = 0.0
        while True:
            execution = self.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            status = execution["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return qid, int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage", "")
                raise AthenaError(src.uri, f"Athena query {qid} {state.lower()}: {reason}")
            if waited >= self.timeout_seconds:
                self.athena.stop_query_execution(QueryExecutionId=qid)
                raise AthenaError(src.uri, f"Athena query {qid} still {state.lower()} after {waited:.0f}s: stopped it")
            self.sleep(self.poll_seconds)
            waited += self.poll_seconds

    def download(self, location: str, period: str, into: Path) -> int:
        """The UNLOADed files of one period, laid out as a Data Exports period folder."""
        bucket, _, prefix = location[5:].partition("/")
        folder = into / "data" / f"BILLING_PERIOD={period}"
        folder.mkdir(parents=True, exist_ok=True)
        n = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Size"] == 0 or obj["Key"].endswith("/"):
                    continue
                n += 1
                self.s3.download_file(bucket, obj["Key"], str(folder / f"part-{n:05d}.parquet"))
        return n


def _reason(exc: Exception) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    return f"{error.get('Code', type(exc).__name__)}: {error.get('Message', exc)}"


def fetch(client: AthenaClient, src: AthenaSource, periods: list[str], *, output: str | None = None,
          workdir: Path | None = None, run_id: str | None = None) -> tuple[Path, AthenaRun]:
    """UNLOAD the Bedrock rows of each period and download them; returns the local folder to ingest."""
    columns, location = client.table(src)
    run = AthenaRun(source=src.uri, periods=periods,
                    estimated_bytes=[client.partition_bytes(location, [p]) for p in periods])
    base = client.output_location(src, output) + f"steward-unload/{run_id or uuid.uuid4().hex}/"
    folder = Path(workdir or tempfile.mkdtemp(prefix="steward-athena-"))
    for period in periods:
        target = f"{base}BILLING_PERIOD={period}/"
        qid, scanned = client.run(unload_sql(select_sql(f'"{src.database}"."{src.table}"', columns, [period]), target),
                                  src)
        run.query_ids.append(qid)
        run.scanned_bytes.append(scanned)
        run.files += client.download(target, period, folder)
    return folder, run


def ingest_from_athena(store: Any, uri: str, periods: list[str], *, client: AthenaClient,
                       output: str | None = None, run_id: str | None = None, **ingest_options: Any) -> tuple[Any, AthenaRun]:
    """Fetch the Bedrock rows from Athena, then ingest them like any CUR export (same checks, each
    period replaced whole). The downloaded files are removed afterwards."""
    import shutil

    from ledger.ingest import ingest

    src = parse_source(uri)
    folder, run = fetch(client, src, periods, output=output, run_id=run_id)
    try:
        if run.files == 0:
            raise AthenaError(src.uri, f"Athena returned no Bedrock rows for {', '.join(periods)} from {src.uri}: "
                              "check the periods and that the table is the organisation's CUR 2.0")
        return ingest(store, [str(folder)], **ingest_options), run
    finally:
        shutil.rmtree(folder, ignore_errors=True)
