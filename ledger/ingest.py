"""CUR 2.0 (and FOCUS) ingest: check every file first, then replace each billing period whole.

Order of work, and why it keeps the store safe:
1. every file is checked (format, columns, then one pass of row checks); any refusal raises
   before the store changes;
2. each billing period is then replaced in its own transaction (delete, insert, de-duplicate,
   rollup, bookkeeping and audit entry together): a period is always either the old one or the
   new one, whatever happens to the process, and memory stays bounded by one period's work.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ledger import audit, ingest_report, rollup, row_checks
from ledger.errors import IngestError
from ledger.ingest_report import IngestResult, PeriodSummary
from ledger.parquet_files import check_parquet
from ledger.cur_columns import PRINCIPAL_TAGS_SQL
from ledger.principals import SQL_NORMALISE, SQL_TYPE
from ledger.row_checks import FileScan, Flag, source_sql
from ledger.sources import resolve
from ledger.store import Store
from ledger.usage_dims import KEY_COLUMNS, UsageDims
from ledger.usage_types import CHARGE_CLASS_SQL, KEEP_SQL

__all__ = ["IngestResult", "PeriodSummary", "ingest"]

_COLUMNS = """billing_period, usage_start, usage_date, payer_account, account_id, region, principal, principal_raw,
    principal_type, line_item_type, charge_class, billing_entity, product_code, usage_type, operation,
    billing_model, model_id, model_family, kind, tier, routing, pricing_unit, usage_amount, tokens,
    unblended_cost, net_unblended_cost, resource_id, source_file,
    line_item_key, tag_set, modality, cache_ttl, base_model, base_model_id"""

_INSERT = f"""
INSERT INTO bedrock_usage ({_COLUMNS})
SELECT s.billing_period, s.usage_start, CAST(s.usage_start AS DATE), s.payer_account, s.account_id,
       d.region, pr.principal, s.principal_raw, pr.principal_type, s.line_item_type,
       {{charge_class}}, s.entity, s.product_code, s.ut, s.operation,
       d.billing_model, d.model_id, d.model_family, d.kind, d.tier, d.routing,
       s.pricing_unit, s.usage_amount, s.usage_amount * d.token_scale,
       s.unblended_cost, coalesce(s.net_unblended_cost, s.unblended_cost),
       s.resource_id, ?,
       CASE WHEN s.line_item_id IS NOT NULL THEN hash(s.line_item_id) END, s.tag_set, d.modality, d.cache_ttl, d.base_model, d.base_model_id
FROM {{source}} s
{{dim_join}}
JOIN principal_dim pr ON pr.principal_raw IS NOT DISTINCT FROM s.principal_raw
"""


# Each row finds its usage-type key's parsed columns. Joining on one hash of the five key columns
# costs a fifth less CPU for the whole insert than comparing the five (mostly string) columns; it
# is used only when no two keys of the run's dimension share a hash, so it is the same join.
_KEY_HASH = "hash({})".format(", ".join(f"{{t}}.{c}" for c in KEY_COLUMNS))
_DIM_JOIN_BY_HASH = f"JOIN ut_dim_keyed d ON d.key_hash = {_KEY_HASH.format(t='s')}"
_DIM_JOIN_BY_COLUMNS = "JOIN ut_dim d ON " + " AND ".join(
    f"d.{c} IS NOT DISTINCT FROM s.{c}" for c in KEY_COLUMNS)


def _dim_join(store: Store) -> str:
    """The JOIN of the rows `s` to their usage-type dimension rows `d` (see _KEY_HASH)."""
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE ut_dim_keyed AS SELECT {_KEY_HASH.format(t='ut_dim')} "
                      "AS key_hash, * FROM ut_dim")
    distinct = store.scalar("SELECT count(DISTINCT key_hash) = count(*) FROM ut_dim_keyed")
    return _DIM_JOIN_BY_HASH if distinct else _DIM_JOIN_BY_COLUMNS


def _tag_sets(store: Store, scans: list[FileScan], period: str) -> None:
    """The period's distinct tag sets, from the checking pass's keys tables (maps shaped once each)."""
    union = " UNION ALL ".join(f"SELECT tag_set, rt_raw, tags_raw FROM {s.keys_table} "
                               f"WHERE keep AND billing_period = ? AND tag_set IS NOT NULL" for s in scans)
    principal_tags = PRINCIPAL_TAGS_SQL.format(m="tags_raw")
    store.con.execute(
        f"""INSERT INTO usage_tag_sets
            SELECT ?, tag_set, rt_raw, {principal_tags}
            FROM (SELECT tag_set, any_value(rt_raw) AS rt_raw, any_value(tags_raw) AS tags_raw
                  FROM ({union}) GROUP BY tag_set)""", [period] + [period] * len(scans))


def _kept_source(scan: FileScan, period: str) -> str:
    return (f"(SELECT * FROM ({source_sql(scan.file, scan.projection)}) "
            f"WHERE billing_period = '{period}' AND {KEEP_SQL})")


def _build_dims(store: Store, scans: list[FileScan]) -> UsageDims:
    """The two small dimensions of the run: usage-type keys and principals, each parsed once."""
    dims = UsageDims(store)
    keys = ", ".join(KEY_COLUMNS)
    for s in scans:
        dims.add_from(f"SELECT DISTINCT {keys} FROM {s.keys_table} WHERE keep")
    union = " UNION ".join(f"SELECT DISTINCT principal_raw FROM {s.keys_table} WHERE keep" for s in scans)
    norm = SQL_NORMALISE.format(col="principal_raw")
    store.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE principal_dim AS
            SELECT principal_raw, principal, {SQL_TYPE.format(norm='principal')} AS principal_type
            FROM (SELECT principal_raw, {norm} AS principal FROM ({union}))""")
    return dims


def _dedupe(store: Store, period: str) -> int:
    """The same identity_line_item_id with the same usage start twice is one line item: keep the
    first, return how many extra copies were removed."""
    con = store.con
    con.execute(
        """CREATE OR REPLACE TEMP TABLE dup_keys AS
           SELECT line_item_key, usage_start, count(*) AS n FROM bedrock_usage
           WHERE billing_period = ? AND line_item_key IS NOT NULL GROUP BY ALL HAVING count(*) > 1""", [period])
    extra = store.scalar("SELECT coalesce(sum(n - 1), 0)::BIGINT FROM dup_keys")
    if extra:
        con.execute(
            """DELETE FROM bedrock_usage WHERE rowid IN (
                 SELECT rid FROM (
                   SELECT b.rowid AS rid, row_number() OVER (PARTITION BY b.line_item_key, b.usage_start
                                                             ORDER BY b.source_file, b.rowid) AS k
                   FROM bedrock_usage b JOIN dup_keys d USING (line_item_key, usage_start)
                   WHERE b.billing_period = ?) WHERE k > 1)""", [period])
    return extra


def _strict_duplicates(store: Store, scans: list[FileScan], period: str) -> None:
    """--strict: refuse duplicated line items before the store changes (one extra pass)."""
    union = " UNION ALL ".join(f"SELECT line_item_id, usage_start, '{s.file.name.replace(chr(39), chr(39) * 2)}' AS f "
                               f"FROM {_kept_source(s, period)}" for s in scans)
    dup = store.rows(f"""SELECT line_item_id, usage_start, count(*), min(f) FROM ({union})
                         WHERE line_item_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 1""")
    if dup:
        lid, start, n, f = dup[0]
        raise IngestError(f, f"--strict: line item {lid} starting {start} appears {n} times in billing period "
                             f"{period}; a line item is counted once, so the export is duplicated")


def _load_period(store: Store, period: str, scans: list[FileScan], *, sources: list[str], actor: str,
                 now: datetime | None, progress: Callable[[int], None],
                 dim_join: str) -> tuple[dict[str, Any], list[Flag]]:
    """Replace one period whole, in one transaction. Returns (its totals, duplicate flags)."""
    flags: list[Flag] = []
    with store.transaction() as con:
        con.execute("DELETE FROM bedrock_usage WHERE billing_period = ?", [period])
        con.execute("DELETE FROM usage_tag_sets WHERE billing_period = ?", [period])
        for s in scans:
            try:
                con.execute(_INSERT.format(source=_kept_source(s, period), dim_join=dim_join,
                                           charge_class=CHARGE_CLASS_SQL.format(t="s.line_item_type")),
                            [s.file.name])
            except Exception as exc:
                raise IngestError(s.file.name, f"cannot load the data ({exc})") from exc
            progress(s.periods.get(period, 0))
        _tag_sets(store, scans, period)
        duplicates = _dedupe(store, period)
        if duplicates:
            flags.append(Flag(reason="duplicate_line_item", rows=duplicates, period=period,
                              detail=f"{duplicates} duplicate line item(s) (same identity_line_item_id and "
                                     "usage start) counted once"))
        rollup.rebuild(store, [period])
        summary = ingest_report.period_totals(store, period)
        con.execute(
            "INSERT OR REPLACE INTO ingested_periods VALUES (?, ?, ?, ?, ?, ?, ?)",
            [period, (now or datetime.now(timezone.utc)).replace(tzinfo=None), ", ".join(sorted(sources)),
             len(scans), sum(s.periods.get(period, 0) for s in scans), summary["bedrock_rows"],
             summary["through"]])
        audit.append(store, actor=actor, action="cur.ingest", subject=period, at=now,
                     details={"sources": sources, "files": [s.file.name for s in scans],
                              "bedrock_rows": summary["bedrock_rows"],
                              "usage_cost": round(summary["usage_cost"], 6), "duplicates": duplicates})
    return summary, flags


# DuckDB's default memory limit is 80% of the machine: an ingest would keep a large share of its
# input cached. Bounded, it spills to the store's temp directory instead, so peak memory does not
# grow with the input. Row order in the store carries no meaning, so DuckDB need not keep it.
INGEST_MEMORY_LIMIT = "1GB"


@contextmanager
def _bounded_memory(store: Store, limit: str | None) -> Iterator[None]:
    settings = ("memory_limit", "preserve_insertion_order")
    before = {k: store.scalar(f"SELECT current_setting('{k}')") for k in settings}
    if limit:
        store.con.execute(f"SET memory_limit = '{limit}'")
    store.con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        for k, v in before.items():
            store.con.execute(f"SET {k} = '{v}'" if isinstance(v, str) else f"SET {k} = {v}")


def ingest(
    store: Store,
    sources: list[str],
    *,
    actor: str = "operator",
    s3_client: Any = None,
    workdir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    strict: bool = False,
    memory_limit: str | None = INGEST_MEMORY_LIMIT,
) -> IngestResult:
    """Ingest CUR 2.0 (or FOCUS 1.x) Parquet. Any bad file aborts the run before the store changes;
    with `strict`, so does anything the report would flag."""
    if workdir is None and any(s.startswith("s3://") for s in sources):
        with tempfile.TemporaryDirectory(prefix="steward-s3-") as tmp:
            return ingest(store, sources, actor=actor, s3_client=s3_client, workdir=Path(tmp),
                          progress=progress, now=now, strict=strict, memory_limit=memory_limit)
    started = time.perf_counter()
    ignored: list[str] = []
    files = resolve(sources, s3_client=s3_client, workdir=workdir, ignored=ignored)
    checked = [check_parquet(f) for f in files]
    with _bounded_memory(store, memory_limit):
        scans: list[FileScan] = []
        try:
            for i, c in enumerate(checked):
                scans.append(row_checks.scan(store, c.file, c.rows, c.columns, c.projection, i, c.source_columns))
            summaries = _load(store, scans, sources=sources, actor=actor, now=now, strict=strict,
                              progress=progress)
        finally:
            for s in scans:
                store.con.execute(f"DROP TABLE IF EXISTS {s.keys_table}")
    total_rows = sum(s.rows for s in scans)
    return IngestResult(
        periods=summaries, files=len(scans), rows_read=total_rows,
        bedrock_rows=sum(s.bedrock_rows for s in summaries), seconds=time.perf_counter() - started,
        warnings=ingest_report.warnings(checked, ignored), strict=strict,
    )


def _load(store: Store, scans: list[FileScan], *, sources: list[str], actor: str, now: datetime | None,
          strict: bool, progress: Callable[[int, int], None] | None) -> list[PeriodSummary]:
    """After every file passed its checks: refuse flags under --strict, then replace each period."""
    by_period: dict[str, list[FileScan]] = {}
    for s in scans:
        for period in s.periods:
            by_period.setdefault(period, []).append(s)
    flags = [f for s in scans for f in s.flags]
    if strict:
        if flags:
            raise IngestError(flags[0].file or sources[0], f"--strict: {flags[0].detail}")
        for period, period_scans in sorted(by_period.items()):
            _strict_duplicates(store, period_scans, period)
    total_rows = sum(s.rows for s in scans)
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress(done[0], total_rows)

    dims = _build_dims(store, scans)
    dim_join = _dim_join(store)
    summaries: list[PeriodSummary] = []
    for period in sorted(by_period):
        period_scans = by_period[period]
        totals, dup_flags = _load_period(store, period, period_scans, sources=sources, actor=actor,
                                         now=now, progress=step, dim_join=dim_join)
        summaries.append(ingest_report.summarise(store, period, period_scans, dims,
                                                 [f for f in flags if f.period == period] + dup_flags, totals))
    return summaries
