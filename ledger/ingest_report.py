"""The ingest report: per period, what was read, kept, counted once, flagged or not understood."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, computed_field

from ledger.row_checks import FileScan, Flag
from ledger.store import Store
from ledger.usage_dims import KEY_COLUMNS, UsageDims


class PeriodSummary(BaseModel):
    billing_period: str
    files: int
    rows: int                       # rows read from the files of this period (all services)
    bedrock_rows: int               # rows kept (Bedrock), after duplicates were counted once
    duplicates: int = 0             # extra copies of a line item that were dropped
    usage_cost: float
    other_charges: float
    principals: int
    models: int
    unmapped_billing_names: list[str]
    unknown_usage_types: list[str]
    lookalike_principals: list[str] = []   # escaped with ascii() so the odd characters show
    flags: list[Flag] = []
    data_through: str | None


class IngestResult(BaseModel):
    periods: list[PeriodSummary]
    files: int
    rows_read: int
    bedrock_rows: int
    seconds: float
    warnings: list[str] = []
    strict: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duplicates(self) -> int:
        return sum(p.duplicates for p in self.periods)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def flagged(self) -> int:
        return sum(len(p.flags) for p in self.periods)


def period_totals(store: Store, period: str) -> dict[str, Any]:
    """The period's row count and totals, from its rollup rows (rebuilt first): every column read
    here is one the rollup keeps, and it has a fraction of the rows."""
    return store.dicts(
        """SELECT coalesce(sum(line_items), 0)::BIGINT AS bedrock_rows,
                  coalesce(sum(unblended_cost) FILTER (WHERE charge_class = 'usage'), 0) AS usage_cost,
                  coalesce(sum(unblended_cost) FILTER (WHERE charge_class <> 'usage'), 0) AS other,
                  count(DISTINCT principal) FILTER (WHERE principal <> 'unknown') AS principals,
                  count(DISTINCT coalesce(model_id, billing_model)) AS models,
                  max(usage_date) AS through
           FROM usage_daily WHERE billing_period = ?""",
        [period],
    )[0]


def summarise(store: Store, period: str, scans: list[FileScan], dims: UsageDims, flags: list[Flag],
              r: dict[str, Any]) -> PeriodSummary:
    """The report of one period; `r` is period_totals() as computed inside the period's transaction."""
    # Custom models and customization carry their base model instead of a map entry: not unmapped.
    unmapped = [x[0] for x in store.rows(
        """SELECT DISTINCT billing_model FROM usage_daily WHERE billing_period = ?
           AND billing_model IS NOT NULL AND model_id IS NULL ORDER BY 1""", [period])
        if not x[0].endswith(("(custom model)", "(customization)"))]
    # Only usage rows name a usage type of their own: a credit or refund names the one it offsets (with
    # no pricing unit) and a tax row says "Tax", so theirs are never reported as unknown.
    keys = ", ".join(KEY_COLUMNS)
    uts = {tuple(k) for s in scans for k in store.rows(
        f"""SELECT DISTINCT {keys} FROM {s.keys_table} WHERE keep AND billing_period = ? AND ut IS NOT NULL
            AND line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')""", [period])}
    return PeriodSummary(
        billing_period=period,
        files=len(scans),
        rows=sum(s.periods.get(period, 0) for s in scans),
        bedrock_rows=r["bedrock_rows"],
        duplicates=sum(f.rows for f in flags if f.reason == "duplicate_line_item"),
        usage_cost=round(r["usage_cost"], 6),
        other_charges=round(r["other"], 6),
        principals=r["principals"],
        models=r["models"],
        unmapped_billing_names=unmapped,
        unknown_usage_types=dims.unknown_usage_types(uts),
        lookalike_principals=[f.subject or "" for f in flags if f.reason == "lookalike_principal"],
        flags=flags,
        data_through=r["through"].isoformat() if r["through"] else None,
    )


def warnings(checked: list[Any], ignored: list[str]) -> list[str]:
    """What the operator should know about the export itself (not about rows)."""
    out = [
        f"{c.file.name}: no IAM principal column; enable INCLUDE_IAM_PRINCIPAL_DATA in the "
        "export to attribute spend by caller"
        for c in checked
        if "line_item_iam_principal" not in c.columns and "x_IamPrincipal" not in c.columns
    ]
    if ignored:
        out.append(f"ignored {len(ignored)} non-Parquet file(s): {', '.join(ignored[:5])}"
                   + (" ..." if len(ignored) > 5 else ""))
    return out
