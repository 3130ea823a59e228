"""Row checks on the Bedrock rows of one file: what refuses the file, what is kept but flagged.

One pass over the file gathers, per distinct (period, usage-type key, principal), the counts of
every rule's offenders; only rows Steward keeps (Bedrock) are held to the rules, so a tax or
support row without a usage type never rejects an export. A refusal names the file, the rows
(numbered from 1 within the file) and the column, and the store is not touched.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from pydantic import BaseModel

from ledger.errors import IngestError
from ledger.sources import DataFile
from ledger.store import Store
from ledger.usage_types import CHARGE_CLASS_SQL, KEEP_SQL, MAX_USAGE_TYPE_CHARS

# Beyond these a figure is an export error, not spend: no single Bedrock line item (one usage
# type, one hour or day, one account) costs ten million dollars or meters 10^12 units.
MAX_ABS_COST_USD = 1e7
MAX_ABS_AMOUNT = 1e12
SPILL_DAYS = 1  # usage may start up to a day outside its billing period (time-zone spill at the edges)


class Flag(BaseModel):
    """Something odd about kept rows: reported, and a refusal under --strict."""

    reason: str           # negative_usage_cost | null_product_code | lookalike_principal | duplicate_line_item
    detail: str
    rows: int
    period: str
    file: str | None = None
    subject: str | None = None   # what the flag is about, e.g. the principal (escaped with ascii())


@dataclass
class FileScan:
    """What the checking pass learned about one file."""

    file: DataFile
    rows: int
    columns: set[str]
    projection: str                                     # SELECT list of the internal row shape
    periods: dict[str, int] = field(default_factory=dict)   # rows per period this file replaces
    kept: dict[str, int] = field(default_factory=dict)      # Bedrock rows per period
    flags: list[Flag] = field(default_factory=list)
    keys_table: str = ""
    source_columns: dict[str, str] = field(default_factory=dict)  # internal -> file column, for messages


def _rules(spill: str) -> dict[str, str]:
    """Refusal rules over the internal row shape: name -> condition (on kept rows). Used to name
    the offending rows once the keys table showed a rule is broken."""
    return {
        "missing": "(usage_start IS NULL OR nullif(account_id, '') IS NULL OR nullif(ut, '') IS NULL "
                   "OR billing_period IS NULL OR unblended_cost IS NULL)",
        "nonfinite": "(NOT isfinite(coalesce(usage_amount, 0)) OR NOT isfinite(coalesce(unblended_cost, 0)) "
                     "OR NOT isfinite(coalesce(net_unblended_cost, 0)))",
        "absurd": f"(abs(usage_amount) > {MAX_ABS_AMOUNT} OR abs(unblended_cost) > {MAX_ABS_COST_USD} "
                  f"OR abs(net_unblended_cost) > {MAX_ABS_COST_USD})",
        "outside": f"(usage_start < period_start - {spill} OR usage_start >= period_start + INTERVAL 1 MONTH + {spill})",
        "too_long": f"(length(ut) > {MAX_USAGE_TYPE_CHARS})",
    }


def _group_rules(spill: str) -> dict[str, str]:
    """The same rules over one group of the keys table (its counts, minima and maxima): a rule is
    broken in the file exactly when it is broken in some group. Cheaper than per-row conditions."""
    figures = ("cost", "net", "amount")
    nonfinite = " OR ".join(f"NOT isfinite(coalesce({x}_{m}, 0))" for x in ("min", "max") for m in figures)
    absurd = " OR ".join(f"abs({x}_{m}) > {MAX_ABS_AMOUNT if m == 'amount' else MAX_ABS_COST_USD}"
                         for x in ("min", "max") for m in figures)
    return {
        "missing": "(no_start + no_account + no_cost > 0 OR nullif(ut, '') IS NULL OR billing_period IS NULL)",
        "nonfinite": f"({nonfinite})",
        "absurd": f"({absurd})",
        "outside": f"(min_start < period_start - {spill} OR max_start >= period_start + INTERVAL 1 MONTH + {spill})",
        "too_long": f"(length(ut) > {MAX_USAGE_TYPE_CHARS})",
    }


def source_sql(f: DataFile, projection: str, *, row_numbers: bool = False) -> str:
    """SELECT of the internal row shape over one file (with its 0-based file_row_number)."""
    path = "'" + str(f.path).replace("'", "''") + "'"
    if row_numbers:
        return f"SELECT {projection}, file_row_number FROM read_parquet({path}, file_row_number = true)"
    return f"SELECT {projection} FROM read_parquet({path})"


def scan(store: Store, f: DataFile, rows: int, columns: set[str], projection: str, idx: int,
         source_columns: dict[str, str] | None = None) -> FileScan:
    """The checking pass: one scan of the file into a small keys table; refuses on the first rule
    broken, naming rows and column; records flags."""
    s = FileScan(f, rows, columns, projection, keys_table=f"scan_keys_{idx}", source_columns=source_columns or {})
    spill = f"INTERVAL {SPILL_DAYS} DAY"
    kept = ("ut", "product_name", "entity", "pricing_unit", "product_region", "principal_raw", "tag_set",
            "line_item_type")
    try:
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {s.keys_table} AS
            WITH src AS (SELECT *, {KEEP_SQL} AS keep FROM ({source_sql(f, projection)}))
            SELECT billing_period, keep, {', '.join(f'CASE WHEN keep THEN {c} END AS {c}' for c in kept)},
                   CASE WHEN keep THEN nullif(product_code, '') IS NULL END AS null_code,
                   any_value(rt_raw) FILTER (WHERE keep) AS rt_raw, any_value(tags_raw) FILTER (WHERE keep) AS tags_raw,
                   count(*) AS n, min(period_start) AS period_start,
                   count(*) - count(usage_start) AS no_start, count(*) - count(nullif(account_id, '')) AS no_account,
                   count(*) - count(unblended_cost) AS no_cost,
                   min(usage_start) AS min_start, max(usage_start) AS max_start,
                   min(unblended_cost) AS min_cost, max(unblended_cost) AS max_cost,
                   min(net_unblended_cost) AS min_net, max(net_unblended_cost) AS max_net,
                   min(usage_amount) AS min_amount, max(usage_amount) AS max_amount,
                   count(*) FILTER (WHERE unblended_cost < 0) AS n_negative
            FROM src GROUP BY ALL""")
    except Exception as exc:  # duckdb raises several types for corrupt pages
        raise IngestError(f.name, f"cannot read the data ({exc})") from exc
    group_rules = _group_rules(spill)
    broken = store.dicts(f"SELECT {', '.join(f'bool_or({c}) AS {r}' for r, c in group_rules.items())} "
                         f"FROM {s.keys_table} WHERE keep")[0]
    for name, cond in _rules(spill).items():
        if broken[name]:
            _refuse(store, s, name, cond)
    _periods(store, s)
    _flags(store, s)
    return s


def _refuse(store: Store, s: FileScan, rule: str, cond: str) -> None:
    """Name the first rows that break `rule` (row numbers from 1) and the column, then raise."""
    n = store.scalar(f"""SELECT count(*) FROM (SELECT *, {KEEP_SQL} AS keep FROM ({source_sql(s.file, s.projection)}))
                         WHERE keep AND {cond}""")
    sample = store.dicts(
        f"""SELECT file_row_number + 1 AS row, * FROM (
                SELECT *, {KEEP_SQL} AS keep FROM ({source_sql(s.file, s.projection, row_numbers=True)}))
            WHERE keep AND {cond} ORDER BY file_row_number LIMIT 5""")
    rows = ", ".join(str(r["row"]) for r in sample) + (" ..." if n > len(sample) else "")
    first = sample[0] if sample else {}
    if rule == "missing":
        col = next((c for c in ("usage_start", "account_id", "ut", "billing_period", "unblended_cost")
                    if first.get(c) in (None, "")), "ut")
        problem = (f"{n} Bedrock row(s) have no {_name(s, col)} (rows {rows}); a Bedrock line item always has "
                   "a usage start, usage account, usage type and billing period")
    elif rule in ("nonfinite", "absurd"):
        col = next((c for c in ("unblended_cost", "net_unblended_cost", "usage_amount")
                    if _bad_number(first.get(c), rule == "absurd", c)), "unblended_cost")
        what = "is not a finite number (NaN or infinite)" if rule == "nonfinite" else "is out of range"
        problem = (f"{_name(s, col)} {what} in {n} Bedrock row(s) (rows {rows}; row {first.get('row')} has "
                   f"{first.get(col)!r}). Costs must lie within ±{MAX_ABS_COST_USD:,.0f} USD and usage amounts "
                   f"within ±{MAX_ABS_AMOUNT:,.0f} per line item; re-export the file")
    elif rule == "outside":
        problem = (f"{n} Bedrock row(s) have a {_name(s, 'usage_start')} more than {SPILL_DAYS} day outside their "
                   f"billing period (rows {rows}; row {first.get('row')} starts {first.get('usage_start')} in "
                   f"period {first.get('billing_period')}); the export is damaged, re-deliver it")
    else:
        problem = (f"{_name(s, 'ut')} is longer than {MAX_USAGE_TYPE_CHARS} characters in {n} Bedrock row(s) "
                   f"(rows {rows}); no real usage type is, the file is damaged")
    raise IngestError(s.file.name, problem)




def _name(s: FileScan, internal: str) -> str:
    return s.source_columns.get(internal, internal)


def _bad_number(v: object, absurd: bool, col: str) -> bool:
    if not isinstance(v, float | int):
        return False
    if not absurd:
        return v != v or v in (float("inf"), float("-inf"))
    limit = MAX_ABS_AMOUNT if col == "usage_amount" else MAX_ABS_COST_USD
    return abs(v) > limit


def _periods(store: Store, s: FileScan) -> None:
    """The periods this file replaces: its BILLING_PERIOD folder, or the periods of its rows. A
    Bedrock row from another period than the folder's means the export is mixed up."""
    f = s.file
    for period, keep, n in store.rows(
            f"SELECT billing_period, keep, sum(n)::BIGINT FROM {s.keys_table} GROUP BY ALL ORDER BY 1"):
        if period is None:
            continue
        if keep:
            if f.folder_period and period != f.folder_period:
                raise IngestError(
                    f.name,
                    f"{n} Bedrock row(s) belong to billing period {period} but the file is in the "
                    f"BILLING_PERIOD={f.folder_period} folder; the export is mixed up, re-deliver it")
            s.kept[period] = s.kept.get(period, 0) + n
        if not f.folder_period:
            s.periods[period] = s.periods.get(period, 0) + n
    if f.folder_period:
        s.periods[f.folder_period] = s.rows


def lookalike(principal: str) -> str | None:
    """Why a principal ARN could be mistaken for another one, or None. IAM names are printable
    ASCII; control, bidirectional and zero-width characters or other scripts make look-alikes."""
    if principal.isascii() and principal.isprintable():  # no control character, nothing above U+007E
        return None
    for ch in principal:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            return f"control character U+{ord(ch):04X}"
        if cat == "Cf":
            return f"invisible formatting character U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed')})"
        if ord(ch) > 126:
            return f"non-ASCII character U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed')})"
    return None


def _flags(store: Store, s: FileScan) -> None:
    usage = CHARGE_CLASS_SQL.format(t="line_item_type") + " = 'usage'"
    for period, n in store.rows(f"""SELECT billing_period, sum(n_negative)::BIGINT FROM {s.keys_table}
                                     WHERE keep AND {usage} GROUP BY 1 HAVING sum(n_negative) > 0 ORDER BY 1"""):
        s.flags.append(Flag(reason="negative_usage_cost", rows=n, period=period, file=s.file.name,
                            detail=f"{n} Usage row(s) with a negative cost (kept; credits and refunds are "
                                   "separate line item types, so a negative Usage cost is unusual)"))
    for period, n, uts in store.rows(
            f"""SELECT billing_period, sum(n)::BIGINT, list(DISTINCT ut ORDER BY ut)[:5]
                FROM {s.keys_table} WHERE keep AND null_code GROUP BY 1 ORDER BY 1"""):
        s.flags.append(Flag(reason="null_product_code", rows=n, period=period, file=s.file.name,
                            detail=f"{n} row(s) with no product code kept as Bedrock because their usage type "
                                   f"or product name says so ({', '.join(uts)})"))
    for period, principal, n in store.rows(
            f"""SELECT billing_period, principal_raw, sum(n)::BIGINT FROM {s.keys_table}
                WHERE keep AND principal_raw IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"""):
        why = lookalike(principal)
        if why:
            s.flags.append(Flag(reason="lookalike_principal", rows=n, period=period, file=s.file.name,
                                subject=ascii(principal),
                                detail=f"principal {ascii(principal)} contains a {why}; it may pose as "
                                       "another principal"))
