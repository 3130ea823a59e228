"""CUR 2.0 ingest: validate every file first, then replace each billing period atomically."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from ledger import audit, model_names, rollup
from ledger.errors import IngestError
from ledger.principals import SQL_NORMALISE, SQL_TYPE
from ledger.sources import DataFile, resolve
from ledger.store import Store
from ledger.usage_types import BEDROCK_FILTER_SQL, CHARGE_CLASS_SQL, REGION_PREFIXES, dim_select_sql


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or (
        pa.types.is_dictionary(t) and _is_string(t.value_type)
    ) or pa.types.is_string_view(t)


def _is_number(t: pa.DataType) -> bool:
    return pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_integer(t)


def _is_time(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t) or pa.types.is_date(t)


def _is_map(t: pa.DataType) -> bool:
    return pa.types.is_map(t)


# column -> (type check, what the check expects); required columns must be present.
REQUIRED: dict[str, tuple[Callable[[pa.DataType], bool], str]] = {
    "bill_billing_period_start_date": (_is_time, "timestamp"),
    "bill_payer_account_id": (_is_string, "string"),
    "bill_billing_entity": (_is_string, "string"),
    "line_item_usage_account_id": (_is_string, "string"),
    "line_item_usage_start_date": (_is_time, "timestamp"),
    "line_item_product_code": (_is_string, "string"),
    "line_item_usage_type": (_is_string, "string"),
    "line_item_line_item_type": (_is_string, "string"),
    "line_item_usage_amount": (_is_number, "double"),
    "line_item_unblended_cost": (_is_number, "double"),
    "pricing_unit": (_is_string, "string"),
}
OPTIONAL: dict[str, tuple[Callable[[pa.DataType], bool], str]] = {
    "line_item_iam_principal": (_is_string, "string"),
    "line_item_net_unblended_cost": (_is_number, "double"),
    "line_item_operation": (_is_string, "string"),
    "line_item_resource_id": (_is_string, "string"),
    "product_region_code": (_is_string, "string"),
    "product": (_is_map, "map<string,string>"),
    "resource_tags": (_is_map, "map<string,string>"),
    "tags": (_is_map, "map<string,string>"),
}


class PeriodSummary(BaseModel):
    billing_period: str
    files: int
    rows: int
    bedrock_rows: int
    usage_cost: float
    other_charges: float
    principals: int
    models: int
    unmapped_billing_names: list[str]
    unknown_usage_types: list[str]
    data_through: str | None


class IngestResult(BaseModel):
    periods: list[PeriodSummary]
    files: int
    rows_read: int
    bedrock_rows: int
    seconds: float
    warnings: list[str] = []

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0


@dataclass
class _FilePlan:
    file: DataFile
    rows: int
    columns: set[str]
    periods: dict[str, int] = field(default_factory=dict)


def _check_parquet(f: DataFile) -> _FilePlan:
    path = f.path
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f.name, f"cannot read the file ({exc})") from exc
    if size == 0:
        raise IngestError(f.name, "the file is empty (0 bytes); re-export or remove it")
    with path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(max(size - 4, 0))
        tail = fh.read(4)
    if head != b"PAR1":
        raise IngestError(f.name, "not a Parquet file (no PAR1 header); CUR 2.0 must be exported as Parquet")
    if tail != b"PAR1":
        raise IngestError(f.name, "truncated Parquet file (no footer); download it again")
    try:
        meta = pq.ParquetFile(path)
        schema = meta.schema_arrow
        rows = meta.metadata.num_rows
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for corrupt footers
        raise IngestError(f.name, f"unreadable Parquet file ({exc}); download it again") from exc
    if rows == 0:
        raise IngestError(f.name, "the file has no rows; a CUR data file always has some")
    names = set(schema.names)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise IngestError(
            f.name,
            f"missing required CUR 2.0 column(s): {', '.join(missing)}. "
            "Export with the standard CUR 2.0 schema (COST_AND_USAGE_REPORT).",
        )
    for col, (check, expected) in {**REQUIRED, **OPTIONAL}.items():
        if col in names:
            actual = schema.field(col).type
            if not check(actual):
                raise IngestError(f.name, f"column {col} has type {actual}, expected {expected}")
    return _FilePlan(f, rows, names)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _projection(cols: set[str]) -> str:
    def opt(col: str, expr: str | None = None, default: str = "NULL") -> str:
        return (expr or col) if col in cols else default

    product_name = "product['product_name']" if "product" in cols else "NULL"
    principal_tags = (
        "map_from_entries(list_transform(list_filter(map_entries(tags), "
        "lambda e: starts_with(e.key, 'iamPrincipal/')), lambda e: {'key': substr(e.key, 14), 'value': e.value}))"
        if "tags" in cols
        else "NULL"
    )
    return f"""
        strftime(bill_billing_period_start_date, '%Y-%m') AS billing_period,
        CAST(line_item_usage_start_date AS TIMESTAMP) AS usage_start,
        bill_payer_account_id AS payer_account,
        line_item_usage_account_id AS account_id,
        {opt('line_item_iam_principal')} AS principal_raw,
        line_item_line_item_type AS line_item_type,
        bill_billing_entity AS entity,
        line_item_product_code AS product_code,
        line_item_usage_type AS ut,
        {opt('line_item_operation')} AS operation,
        {product_name} AS product_name,
        pricing_unit,
        {opt('product_region_code')} AS product_region,
        CAST(line_item_usage_amount AS DOUBLE) AS usage_amount,
        CAST(line_item_unblended_cost AS DOUBLE) AS unblended_cost,
        CAST({opt('line_item_net_unblended_cost', default='line_item_unblended_cost')} AS DOUBLE)
            AS net_unblended_cost,
        {opt('line_item_resource_id')} AS resource_id,
        CAST({opt('resource_tags')} AS MAP(VARCHAR, VARCHAR)) AS resource_tags,
        CAST({principal_tags} AS MAP(VARCHAR, VARCHAR)) AS principal_tags
    """


def _scan_periods(store: Store, plan: _FilePlan) -> None:
    """Which billing periods the file holds; rows must agree with a BILLING_PERIOD folder."""
    f = plan.file
    try:
        rows = store.rows(
            f"""SELECT strftime(bill_billing_period_start_date, '%Y-%m') AS p, count(*),
                       count(*) FILTER (WHERE line_item_usage_start_date IS NULL
                                          OR line_item_usage_account_id IS NULL
                                          OR line_item_usage_type IS NULL)
                FROM read_parquet({_sql_str(str(f.path))}) GROUP BY ALL ORDER BY 1"""
        )
    except Exception as exc:  # duckdb raises several types for corrupt pages
        raise IngestError(f.name, f"cannot read the data ({exc})") from exc
    for period, n, nulls in rows:
        if period is None:
            raise IngestError(f.name, f"{n} row(s) have no bill_billing_period_start_date")
        if nulls:
            raise IngestError(
                f.name,
                f"{nulls} row(s) lack a usage start date, usage account or usage type",
            )
        if f.folder_period and period != f.folder_period:
            raise IngestError(
                f.name,
                f"{n} row(s) belong to billing period {period} but the file is in the "
                f"BILLING_PERIOD={f.folder_period} folder; the export is mixed up, re-deliver it",
            )
        plan.periods[period] = n


def _prepare_lookups(store: Store) -> None:
    model_names.load_into(store)
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE region_prefixes (prefix VARCHAR PRIMARY KEY, region VARCHAR)"
    )
    store.con.executemany("INSERT INTO region_prefixes VALUES (?, ?)", list(REGION_PREFIXES.items()))
    store.con.execute(
        """CREATE OR REPLACE TEMP TABLE ut_keys (ut VARCHAR, product_name VARCHAR, entity VARCHAR,
                                                 pricing_unit VARCHAR, product_region VARCHAR)"""
    )


_INSERT = """
INSERT INTO bedrock_usage
SELECT s.billing_period, s.usage_start, CAST(s.usage_start AS DATE), s.payer_account, s.account_id,
       d.region, pr.principal, s.principal_raw, pr.principal_type, s.line_item_type,
       {charge_class}, s.entity, s.product_code, s.ut, s.operation,
       d.billing_model, d.model_id, d.model_family, d.kind, d.tier, d.routing,
       s.pricing_unit, s.usage_amount, s.usage_amount * d.token_scale,
       s.unblended_cost, coalesce(s.net_unblended_cost, s.unblended_cost),
       s.resource_id, s.resource_tags, s.principal_tags, ?
FROM {source} s
JOIN ut_dim d ON d.ut IS NOT DISTINCT FROM s.ut AND d.product_name IS NOT DISTINCT FROM s.product_name
    AND d.entity IS NOT DISTINCT FROM s.entity AND d.pricing_unit IS NOT DISTINCT FROM s.pricing_unit
    AND d.product_region IS NOT DISTINCT FROM s.product_region
JOIN principal_dim pr ON pr.principal_raw IS NOT DISTINCT FROM s.principal_raw
"""


def _load_file(store: Store, plan: _FilePlan, period: str) -> int:
    """One pass over the file for the small dimensions (distinct usage types and principals, parsed
    once each), then one pass that inserts every Bedrock row joined to them."""
    f = plan.file
    con = store.con
    source = (f"(SELECT * FROM (SELECT {_projection(plan.columns)} FROM read_parquet({_sql_str(str(f.path))}))"
              f" WHERE billing_period = {_sql_str(period)} AND {BEDROCK_FILTER_SQL})")
    # One scan finds both small dimensions: the distinct usage-type keys and the distinct principals.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE file_keys AS
            SELECT DISTINCT ut, product_name, entity, pricing_unit, product_region, principal_raw FROM {source}"""
    )
    con.execute(
        """INSERT INTO ut_keys SELECT DISTINCT ut, product_name, entity, pricing_unit, product_region
           FROM file_keys EXCEPT SELECT * FROM ut_keys"""
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE ut_dim AS {dim_select_sql('ut_keys')}")
    norm = SQL_NORMALISE.format(col="principal_raw")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE principal_dim AS
            SELECT principal_raw, principal, {SQL_TYPE.format(norm='principal')} AS principal_type
            FROM (SELECT principal_raw, {norm} AS principal
                  FROM (SELECT DISTINCT principal_raw FROM file_keys))"""
    )
    n = con.execute(
        _INSERT.format(source=source, charge_class=CHARGE_CLASS_SQL.format(t="s.line_item_type")), [f.name]
    ).fetchall()
    return n[0][0] if n else 0


def _summarise(store: Store, period: str, files: int, rows: int) -> PeriodSummary:
    r = store.dicts(
        """SELECT count(*) AS bedrock_rows,
                  coalesce(sum(unblended_cost) FILTER (WHERE charge_class = 'usage'), 0) AS usage_cost,
                  coalesce(sum(unblended_cost) FILTER (WHERE charge_class <> 'usage'), 0) AS other,
                  count(DISTINCT principal) FILTER (WHERE principal <> 'unknown') AS principals,
                  count(DISTINCT coalesce(model_id, billing_model)) AS models,
                  max(usage_date) AS through
           FROM bedrock_usage WHERE billing_period = ?""",
        [period],
    )[0]
    unmapped = [
        x[0]
        for x in store.rows(
            """SELECT DISTINCT billing_model FROM bedrock_usage WHERE billing_period = ?
               AND billing_model IS NOT NULL AND model_id IS NULL ORDER BY 1""",
            [period],
        )
    ]
    unknown = [
        x[0]
        for x in store.rows(
            """SELECT DISTINCT usage_type FROM bedrock_usage WHERE billing_period = ?
               AND charge_class = 'usage'
               AND (kind = 'other' OR region = 'unknown'
                    OR (billing_model IS NULL AND kind <> 'guardrail')
                    OR (kind IN ('input','output','cache_read','cache_write','embedding')
                        AND tokens IS NULL))
               ORDER BY 1""",
            [period],
        )
    ]
    return PeriodSummary(
        billing_period=period,
        files=files,
        rows=rows,
        bedrock_rows=r["bedrock_rows"],
        usage_cost=round(r["usage_cost"], 6),
        other_charges=round(r["other"], 6),
        principals=r["principals"],
        models=r["models"],
        unmapped_billing_names=unmapped,
        unknown_usage_types=unknown,
        data_through=r["through"].isoformat() if r["through"] else None,
    )


def ingest(
    store: Store,
    sources: list[str],
    *,
    actor: str = "operator",
    s3_client: Any = None,
    workdir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Ingest CUR 2.0 Parquet. Any bad file aborts the run before the store changes."""
    if workdir is None and any(s.startswith("s3://") for s in sources):
        with tempfile.TemporaryDirectory(prefix="steward-s3-") as tmp:
            return ingest(store, sources, actor=actor, s3_client=s3_client, workdir=Path(tmp),
                          progress=progress, now=now)
    started = time.perf_counter()
    ignored: list[str] = []
    files = resolve(sources, s3_client=s3_client, workdir=workdir, ignored=ignored)
    plans = [_check_parquet(f) for f in files]
    for plan in plans:
        _scan_periods(store, plan)
    total_rows = sum(p.rows for p in plans)
    by_period: dict[str, list[_FilePlan]] = {}
    for plan in plans:
        for period in plan.periods:
            by_period.setdefault(period, []).append(plan)

    warnings = [
        f"{p.file.name}: no line_item_iam_principal column; enable INCLUDE_IAM_PRINCIPAL_DATA in the "
        "export to attribute spend by caller"
        for p in plans
        if "line_item_iam_principal" not in p.columns
    ]
    if ignored:
        warnings.append(f"ignored {len(ignored)} non-Parquet file(s): {', '.join(ignored[:5])}"
                        + (" ..." if len(ignored) > 5 else ""))
    _prepare_lookups(store)
    done = 0
    summaries: list[PeriodSummary] = []
    # One transaction for the run: each period is replaced whole, and a failure anywhere
    # leaves every period as it was.
    with store.transaction() as con:
        for period in sorted(by_period):
            con.execute("DELETE FROM bedrock_usage WHERE billing_period = ?", [period])
            bedrock_rows = 0
            for plan in by_period[period]:
                try:
                    bedrock_rows += _load_file(store, plan, period)
                except IngestError:
                    raise
                except Exception as exc:
                    raise IngestError(plan.file.name, f"cannot load the data ({exc})") from exc
                done += plan.periods[period]
                if progress:
                    progress(done, total_rows)
            rollup.rebuild(store, [period])
            period_rows = sum(p.periods[period] for p in by_period[period])
            summary = _summarise(store, period, len(by_period[period]), period_rows)
            con.execute(
                "INSERT OR REPLACE INTO ingested_periods VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    period,
                    (now or datetime.now(timezone.utc)).replace(tzinfo=None),
                    ", ".join(sorted(sources)),
                    summary.files,
                    period_rows,
                    summary.bedrock_rows,
                    summary.data_through,
                ],
            )
            summaries.append(summary)
        audit.append(
            store,
            actor=actor,
            action="cur.ingest",
            subject=", ".join(sorted(by_period)),
            details={
                "sources": sources,
                "files": [p.file.name for p in plans],
                "periods": {s.billing_period: {"bedrock_rows": s.bedrock_rows,
                                               "usage_cost": s.usage_cost} for s in summaries},
            },
            at=now,
        )
    elapsed = time.perf_counter() - started
    return IngestResult(
        periods=summaries,
        files=len(plans),
        rows_read=total_rows,
        bedrock_rows=sum(s.bedrock_rows for s in summaries),
        seconds=elapsed,
        warnings=warnings,
    )
