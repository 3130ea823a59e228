"""Business volumes (documents drafted, chats served) per product and day: the record_metric tool and
`steward metrics import`, one write path with the caller's scope applied in SQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from ledger import audit
from ledger.metrics import metric_name, unit_label
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ScopeError, ToolError
from tools.scope import product_clause

VOLUME_PERSONAS = frozenset({"product_owner", "portfolio_manager", "finops_lead"})
CSV_COLUMNS = ("product", "date", "metric", "value")
MAX_IMPORT_BYTES = 50 * 1024 * 1024  # a year of daily volumes for hundreds of products fits many times over


class VolumeRow(BaseModel):
    """One volume to record; `line` is where it came from (the CSV line, 0 for a tool call)."""

    line: int
    product: str
    date: dt.date
    metric: str
    value: float


def recordable(ctx: ToolContext, names: list[str]) -> dict[str, str]:
    """Each name (case and blanks aside) -> the canonical product the caller may record volumes for:
    a Product Owner their products, a Portfolio Manager their portfolios' products, a FinOps Lead any.
    The scope is the query's: names outside it are simply not returned."""
    scope_sql, scope_params = product_clause(ctx.caller, "p.product")
    rows = ctx.store.rows(
        f"""SELECT DISTINCT n.name, p.product FROM unnest(?::VARCHAR[]) AS n(name)
            JOIN org_products p ON lower(p.product) = lower(trim(n.name))
            WHERE {scope_sql}""", [sorted(set(names)), *scope_params])
    return dict(rows)


def _refusal(ctx: ToolContext, name: str, where: str) -> ToolError:
    """Why a product cannot take volumes from this caller: unknown (said only to a FinOps Lead, who sees
    every product) or not in scope (said the same whether or not it exists)."""
    if ctx.caller.all_access:
        return ToolError(f"{where}there is no product named '{name}'; use a product name from the org file")
    if where:
        return ToolError(f"{where}product '{name}' is not in your scope: you may record volumes for "
                         f"{', '.join(sorted(ctx.caller.products)) or 'no product'}")
    return ScopeError("product", name)


def write_volumes(ctx: ToolContext, rows: list[VolumeRow]) -> tuple[list[VolumeRow], int]:
    """Check every row, then write them all (a value for the same product, day and metric replaces the
    stored one). Returns the rows with canonical product names and how many values were replaced. A bad
    row raises a ToolError naming its line before anything is written. Run inside a transaction."""
    where = (lambda r: f"line {r.line}: ") if any(r.line for r in rows) else (lambda r: "")
    allowed = recordable(ctx, [r.product for r in rows])
    canonical = {name.strip().casefold(): product for name, product in allowed.items()}
    checked: list[VolumeRow] = []
    seen: dict[tuple[str, date, str], int] = {}
    for r in rows:
        product = canonical.get(r.product.strip().casefold())
        if product is None:
            raise _refusal(ctx, r.product, where(r))
        if r.date > ctx.today:
            raise ToolError(f"{where(r)}{r.date} is in the future (today is {ctx.today}); record volumes "
                            "for days that have happened")
        key = (product, r.date, r.metric)
        if key in seen:
            raise ToolError(f"line {r.line}: {product}, {r.date}, {r.metric} is also on line {seen[key]}; "
                            "keep one value per product, day and metric")
        seen[key] = r.line
        checked.append(r.model_copy(update={"product": product}))
    if not checked:
        return [], 0
    cols = [[r.product for r in checked], [r.date for r in checked], [r.metric for r in checked],
            [r.value for r in checked]]
    staged = ("SELECT unnest(?::VARCHAR[]) AS product, unnest(?::DATE[]) AS date, "
              "unnest(?::VARCHAR[]) AS metric, unnest(?::DOUBLE[]) AS value")
    replaced = ctx.store.scalar(
        f"SELECT count(*) FROM business_volumes b JOIN ({staged}) s USING (product, date, metric)", cols)
    ctx.store.con.execute(
        f"INSERT OR REPLACE INTO business_volumes SELECT product, date, metric, value, ?, ? FROM ({staged})",
        [ctx.caller.email, ctx.now(), *cols])
    return checked, int(replaced)


# ------------------------------------------------------------------------------ record_metric


class RecordMetricArgs(BaseModel):
    product: str | None = Field(None, description="Default: your only product.")
    date: dt.date = Field(description="Today or earlier.")
    metric: str = Field(description="The unit: document, chat, pr_review.")
    value: float = Field(ge=0, allow_inf_nan=False, description="Units that day.")


class MetricRecorded(BaseModel):
    subject: str
    product: str
    date: dt.date
    metric: str
    value: float
    previous_value: float | None  # the value it replaced
    message: str


@tool(name="record_metric", personas=VOLUME_PERSONAS, action="write", family="unit_cost")
def record_metric(ctx: ToolContext, args: RecordMetricArgs) -> MetricRecorded:
    """Record a product's business volume for a day (e.g. 1,200 documents drafted), so Steward can give its cost
    per unit.

    A Product Owner records for their products, a Portfolio Manager for their portfolios' products, a
    FinOps Lead for any. A value for a day and metric that already has one replaces it (never added
    twice). Many days at once: `steward metrics import FILE.csv`."""
    try:
        metric = metric_name(args.metric)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    product = args.product
    if not product:
        own = sorted(ctx.caller.owned_products or ctx.caller.products)
        if len(own) != 1:
            raise ToolError("name the product" + (f": you have {', '.join(own)}" if own else ""))
        product = own[0]
    row = VolumeRow(line=0, product=product, date=args.date, metric=metric, value=args.value)
    allowed = recordable(ctx, [product])
    before = ctx.store.scalar("SELECT value FROM business_volumes WHERE product = ? AND date = ? AND metric = ?",
                              [allowed[product], args.date, metric]) if allowed else None
    [done], _ = write_volumes(ctx, [row])
    message = (f"{done.product}: {args.value:,g} {unit_label(metric)} on {args.date:%d %b %Y} recorded"
               + (f" (replaces {before:,g})." if before is not None else "."))
    return MetricRecorded(subject=f"{done.product} {args.date} {metric}", product=done.product, date=args.date,
                          metric=metric, value=args.value, previous_value=before, message=message)


# ------------------------------------------------------------------------------ metrics import


class ImportSummary(BaseModel):
    file: str
    rows: int
    replaced: int = Field(description="Values that replaced one already recorded (same product, day, metric).")
    products: list[str]
    metrics: list[str]
    first_day: date | None
    last_day: date | None
    audit_seq: int


def _number(text: str, where: str) -> float:
    try:
        value = float(text.replace(",", "")) if text.strip() else math.nan
    except ValueError:
        value = math.nan
    if math.isnan(value) or math.isinf(value):
        raise ToolError(f"{where}value {text!r} is not a number; write the day's count, e.g. 1200")
    if value < 0:
        raise ToolError(f"{where}value {text!r} is negative; volumes are counts of units (0 or more)")
    return value


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ToolError(f"{where}date {text!r} is not a day; write YYYY-MM-DD, e.g. 2026-10-31") from None


def parse_volumes_csv(text: str) -> list[VolumeRow]:
    """The rows of a volumes CSV (header product,date,metric,value; any column order, extra columns
    refused). A ToolError names the first bad line and what to write there."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    extra = [c for c in header if c not in CSV_COLUMNS]
    if missing or extra or len(header) != len(CSV_COLUMNS):
        raise ToolError(f"line 1: the header must name the columns {','.join(CSV_COLUMNS)} (found "
                        f"{','.join(header) or 'nothing'}); put them on the first line")
    at = {c: header.index(c) for c in CSV_COLUMNS}
    rows = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        where = f"line {line}: "
        if len(cells) != len(CSV_COLUMNS) or any(not cells[at[c]].strip() for c in CSV_COLUMNS):
            raise ToolError(f"{where}expected 4 values ({','.join(CSV_COLUMNS)}), found "
                            f"{sum(bool(c.strip()) for c in cells)}; fill in every column")
        try:
            metric = metric_name(cells[at["metric"]])
        except ValueError as exc:
            raise ToolError(f"{where}{exc}") from None
        rows.append(VolumeRow(line=line, product=cells[at["product"]].strip(), date=_day(cells[at["date"]], where),
                              metric=metric, value=_number(cells[at["value"]], where)))
    if not rows:
        raise ToolError("the file has a header but no rows; add one line per product, day and metric")
    return rows


def import_volumes_file(ctx: ToolContext, path: Path) -> ImportSummary:
    """import_volumes of a CSV file on this machine (`steward demo`, the eval store)."""
    return import_volumes(ctx, path.read_text(encoding="utf-8-sig"), path.name)


def import_volumes(ctx: ToolContext, text: str, file: str) -> ImportSummary:
    """Import a volumes CSV as the caller: every row checked, then all written with their audit entry in
    one transaction; a bad row writes nothing (the refusal is audited)."""
    caller = ctx.caller
    if not VOLUME_PERSONAS & caller.personas:
        raise ToolError("only Product Owners, Portfolio Managers and FinOps Leads record business volumes")
    try:
        with ctx.store.transaction():
            rows, replaced = write_volumes(ctx, parse_volumes_csv(text))
            days = [r.date for r in rows]
            details = {"file": file, "rows": len(rows), "replaced": replaced,
                       "products": sorted({r.product for r in rows}), "metrics": sorted({r.metric for r in rows}),
                       "first_day": str(min(days)), "last_day": str(max(days))}
            entry = audit.append(ctx.store, actor=caller.email, persona=caller.primary_persona,
                                 action="metrics.import", subject=file, details=details, at=ctx.now())
    except ToolError as exc:
        audit.append(ctx.store, actor=caller.email, persona=caller.primary_persona, action="metrics.import",
                     subject=file, details={"file": file, "error": str(exc)}, outcome="refused", at=ctx.now())
        raise
    return ImportSummary(file=file, rows=len(rows), replaced=replaced, products=details["products"],
                         metrics=details["metrics"], first_day=min(days), last_day=max(days), audit_seq=entry.seq)

