"""Tag coverage: what share of Bedrock spend carries a profile or tag and what share is attributed,
by account and by rule, and the tag keys present, so a FinOps Lead can see where tagging falls short."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from tools.context import ToolContext
from tools.periods import data_through, upto, window
from tools.scope import account_clause
from tools.declare import tool

COVERAGE_PERSONAS = frozenset({"finops_lead"})
RULES = ("inference_profile", "tag", "principal_tag", "principal")

# A row carries something a claim by profile or tag could name.
_TAGGED_SQL = ("(d.profile_id IS NOT NULL OR cardinality(coalesce(d.resource_tags, MAP {})) > 0 "
               "OR cardinality(coalesce(d.principal_tags, MAP {})) > 0)")


class CoverageArgs(BaseModel):
    month: str | None = Field(None, description="YYYY-MM; default this month.")
    start: date | None = None
    end: date | None = None  # exclusive


class CoverageLine(BaseModel):
    account_id: str | None = Field(description="None on the total line.")
    account_name: str | None
    usd: float = Field(description="Unblended usage cost.")
    tagged_usd: float = Field(description="Spend on rows with an application inference profile, a resource "
                                          "tag or an IAM principal tag.")
    attributed_usd: float
    tagged_pct: float | None
    attributed_pct: float | None
    by_rule: dict[str, float] = Field(description="Attributed spend by the rule that attributed it: "
                                                  "inference_profile, tag, principal_tag, principal.")


class TagKey(BaseModel):
    key: str = Field(description="As in CUR: resource tags user_<key>, principal tags without iamPrincipal/.")
    source: str = Field(description="resource_tag | principal_tag")
    usd: float = Field(description="Spend on rows carrying this key.")


class TagCoverage(BaseModel):
    period: str
    start: date
    end: date = Field(description="Exclusive.")
    data_through: date | None = None
    total: CoverageLine
    accounts: list[CoverageLine] = Field(description="Largest spend first.")
    tag_keys: list[TagKey] = Field(description="Tag keys present on the window's Bedrock rows, largest first.")


def _line(row: dict) -> CoverageLine:
    usd = row["usd"] or 0.0
    return CoverageLine(
        account_id=row.get("account_id"), account_name=row.get("account_name"), usd=round(usd, 2),
        tagged_usd=round(row["tagged"] or 0.0, 2), attributed_usd=round(row["attributed"] or 0.0, 2),
        tagged_pct=round(100 * (row["tagged"] or 0.0) / usd, 1) if usd else None,
        attributed_pct=round(100 * (row["attributed"] or 0.0) / usd, 1) if usd else None,
        by_rule={rule: round(row[rule] or 0.0, 2) for rule in RULES if row[rule]})


@tool(name="tag_coverage", personas=COVERAGE_PERSONAS, action="read", family="tag_coverage")
def tag_coverage(ctx: ToolContext, args: CoverageArgs) -> TagCoverage:
    """Tagged and attributed shares of spend, by account and rule.

    What share of Bedrock spend is tagged and what share is attributed to a product, per account
    and in total, with the attributed spend split by the rule that attributed it (application inference
    profile, resource tag, IAM principal tag, or the principal itself), and the tag keys present on the
    rows with the spend carrying each. Use it to see where tagging or claims fall short before
    chargeback.

    Defaults: the current month; unblended usage cost in USD (credits, refunds and taxes excluded);
    end date exclusive. 'Tagged' means the row carries an application inference profile, a
    cost-allocation resource tag or an IAM principal tag. You see the accounts you own (a FinOps Lead:
    all).
    """
    ensure_views(ctx.store)
    w = window(args.start, args.end, args.month, ctx.today)
    through = data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1)))
    acct_sql, acct_params = account_clause(ctx.caller, "d.account_id")
    where = f"d.charge_class = 'usage' AND {acct_sql} AND d.usage_date >= ? AND d.usage_date < ?"
    params = [*acct_params, w.start, upto(w, ctx.today)]
    sums = ", ".join(f"sum(d.unblended_cost) FILTER (WHERE d.attributed_by = '{r}') AS {r}" for r in RULES)
    rows = ctx.store.dicts(
        f"""SELECT d.account_id, any_value(d.account_name) AS account_name, sum(d.unblended_cost) AS usd,
                   sum(d.unblended_cost) FILTER (WHERE {_TAGGED_SQL}) AS tagged,
                   sum(d.unblended_cost) FILTER (WHERE d.product IS NOT NULL) AS attributed, {sums}
            FROM attributed_daily d WHERE {where}
            GROUP BY GROUPING SETS ((d.account_id), ()) ORDER BY d.account_id NULLS FIRST""", params)
    keys = ctx.store.rows(
        f"""SELECT key, source, sum(usd) AS usd FROM (
                SELECT unnest(map_keys(coalesce(d.resource_tags, MAP {{}}))) AS key, 'resource_tag' AS source,
                       d.unblended_cost AS usd FROM attributed_daily d WHERE {where}
                UNION ALL
                SELECT unnest(map_keys(coalesce(d.principal_tags, MAP {{}}))), 'principal_tag', d.unblended_cost
                FROM attributed_daily d WHERE {where})
            GROUP BY key, source ORDER BY usd DESC, key""", [*params, *params])
    total = next((r for r in rows if r["account_id"] is None), None)
    empty = {"usd": 0.0, "tagged": 0.0, "attributed": 0.0, **{r: 0.0 for r in RULES}}
    accounts = sorted((_line(r) for r in rows if r["account_id"] is not None), key=lambda a: (-a.usd, a.account_id))
    return TagCoverage(period=w.label, start=w.start, end=w.end, data_through=through,
                       total=_line(total or empty), accounts=accounts,
                       tag_keys=[TagKey(key=k, source=s, usd=round(u, 2)) for k, s, u in keys])
