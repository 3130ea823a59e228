"""The gold world: the raw demo CUR and org YAML in DuckDB, queried by SQL of our own (never tools/).

The principal is normalised with this module's own regex, spend is counted from each claim's date,
Bedrock rows are picked by product code / Marketplace product name and line item type here, and
forecasts, breakdowns and unattributed spend follow the definitions the tools document.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml

DATA_DIR = Path(__file__).parents[1] / "ledger" / "data"

USAGE_TYPES = ("Usage", "SavingsPlanCoveredUsage", "DiscountedUsage")
# Our own normalisation: an STS assumed-role session ARN becomes its IAM role ARN.
ASSUMED_ROLE_RE = r"^arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role/([^/]+)/.+$"
# (the 1-hour cache write and the `_priority` tier as the price list writes them: tests/test_usage_types.py)
FIRST_PARTY_RE = (r"^[A-Z0-9]+-(.+?)-(input-tokens|output-tokens|cache-read-input-token-count|"
                  r"cache-write-input-token-count)(-1-hour)?(-cross-region-global|-cross-region-geo|-batch|-flex|"
                  r"_priority)?$")
RUN_RATE_DAYS = 7  # estimate_status forecasts with the average of the last 7 days of data

# Every Bedrock usage row of the raw files, with our own derivations (table `usage`).
_USAGE_SQL = f"""
    CREATE TABLE usage AS
    WITH raw AS (SELECT *, line_item_usage_type AS t
                 FROM read_parquet('{{glob}}', union_by_name = true))
    SELECT CAST(line_item_usage_start_date AS DATE) AS day,
           line_item_usage_account_id AS account,
           coalesce(product_region_code, '') AS region,
           CASE WHEN coalesce(trim(line_item_iam_principal), '') = '' THEN 'unknown'
                ELSE regexp_replace(trim(line_item_iam_principal), '{ASSUMED_ROLE_RE}',
                                    'arn:\\1:iam::\\2:role/\\3') END AS principal,
           line_item_usage_type AS usage_type,
           {{resource}} AS resource,
           {{resource_tags}} AS resource_tags,
           {{tags}} AS tags,
           CASE WHEN bill_billing_entity = 'AWS Marketplace'
                THEN replace(product['product_name'], ' (Amazon Bedrock Edition)', '')
                ELSE nullif(regexp_extract(t, '{FIRST_PARTY_RE}', 1), '') END AS billing_model,
           CASE WHEN t LIKE '%Guardrail%' THEN 'guardrail'
                WHEN t LIKE '%-KnowledgeBase-%' THEN 'knowledge_base'
                WHEN t LIKE '%-DataAutomation-%' THEN 'data_automation'
                WHEN t LIKE '%-AgentCore-%' THEN 'agent'
                WHEN t LIKE '%-output-tokens%' OR t LIKE '%OutputTokenCount%' THEN 'output'
                WHEN t LIKE '%cache-read%' OR t LIKE '%CacheReadInputTokenCount%' THEN 'cache_read'
                WHEN t LIKE '%cache-write%' OR t LIKE '%CacheWriteInputTokenCount%' THEN 'cache_write'
                WHEN t LIKE '%TitanEmbed%' THEN 'embedding'
                WHEN t LIKE '%-input-tokens%' OR t LIKE '%InputTokenCount%' THEN 'input'
                ELSE 'other' END AS kind,
           CASE WHEN t LIKE '%-batch' THEN 'batch' WHEN t LIKE '%-flex' THEN 'flex'
                WHEN t LIKE '%priority' THEN 'priority' ELSE 'standard' END AS tier,
           line_item_usage_amount * CASE pricing_unit WHEN '1K tokens' THEN 1e3 WHEN '1M tokens' THEN 1e6
                                                      WHEN 'Units' THEN 1e6 ELSE NULL END AS tokens,
           line_item_unblended_cost AS usd
    FROM raw
    WHERE (line_item_product_code LIKE 'AmazonBedrock%'
           OR product['product_name'] LIKE '%(Amazon Bedrock Edition)')
      AND line_item_line_item_type IN {USAGE_TYPES}"""

# Usage rows with their model id and the product that claims them from the claim date (`attributed`):
# a claim on the row's application inference profile first, then one on a resource tag it carries
# (the first in the org file), else the claim on its principal. `rule` says which.
_ATTRIBUTED_SQL = """
    CREATE TABLE attributed AS
    WITH tagged AS (
        SELECT usage.*, (SELECT tc.product FROM tag_claims tc
                         WHERE usage.resource_tags[tc.cur_key] = tc.value AND usage.day >= tc.claimed_on
                         ORDER BY tc.position LIMIT 1) AS tag_product
        FROM usage)
    SELECT usage.* EXCLUDE (tag_product), names.model_id,
           CASE WHEN profile.product IS NOT NULL THEN profile.product
                WHEN usage.tag_product IS NOT NULL THEN usage.tag_product
                WHEN claim.principal IS NOT NULL AND usage.day >= claim.claimed_on THEN claim.product END AS product,
           CASE WHEN profile.product IS NOT NULL THEN 'inference_profile'
                WHEN usage.tag_product IS NOT NULL THEN 'tag'
                WHEN claim.principal IS NOT NULL AND usage.day >= claim.claimed_on THEN 'principal' END AS rule,
           claim.product AS claimed_product, claim.claimed_on
    FROM tagged usage
               LEFT JOIN profile_claims profile ON profile.profile = usage.resource AND usage.day >= profile.claimed_on
               LEFT JOIN claims claim ON claim.principal = usage.principal
               LEFT JOIN names ON names.billing_model = usage.billing_model"""

# Every Bedrock charge of the raw files, whatever its line item type (credits, refunds, taxes too),
# by billing period: what a month's chargeback statement must add up to (table `charges`).
_CHARGES_SQL = """
    CREATE TABLE charges AS
    SELECT strftime({period_date}, '%Y-%m') AS period, line_item_usage_account_id AS account,
           line_item_line_item_type AS item_type, line_item_unblended_cost AS usd
    FROM read_parquet('{glob}', union_by_name = true)
    WHERE line_item_product_code LIKE 'AmazonBedrock%' OR product['product_name'] LIKE '%(Amazon Bedrock Edition)'"""


def cur_tag_key(key: str) -> str:
    """A cost-allocation tag key as CUR 2.0 names it in resource_tags: user_ + the key, other
    characters than letters, digits and _ made _ ('bedrock:project' -> 'user_bedrock_project')."""
    return "user_" + "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in key)


def month_start(d: date, back: int = 0) -> date:
    """The first of the month `back` months before d's (negative: after)."""
    m = d.year * 12 + d.month - 1 - back
    return date(m // 12, m % 12 + 1, 1)


def next_month(d: date) -> date:
    return month_start(d, -1)


def days_in_month(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def role_of(arn: str) -> str:
    """The last part of an ARN (a role's or user's name)."""
    return arn.rsplit("/", 1)[-1]


def as_date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def load_model_names() -> dict[str, tuple[str, str | None]]:
    """billing name -> (model id, family) from the shipped model_names.yaml."""
    data = yaml.safe_load((DATA_DIR / "model_names.yaml").read_text(encoding="utf-8"))
    return {n["billing_name"]: (n["model_id"], n.get("family")) for n in data["names"]}


def load_prices() -> dict[str, Any]:
    return yaml.safe_load((DATA_DIR / "prices.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Scope:
    """What a demo person sees, worked out from the org file alone."""

    email: str
    persona: str
    all_access: bool
    products: frozenset[str]
    owned: frozenset[str]
    nodes: frozenset[str]
    accounts: frozenset[str]  # accounts whose unattributed spend they see
    work_accounts: frozenset[str]  # accounts their products' claimed principals run in

    @property
    def visible_accounts(self) -> frozenset[str]:
        return self.accounts | self.work_accounts


class Gold:
    """Gold answers over raw CUR 2.0 Parquet and an org dict, by our own SQL."""

    def __init__(self, parquet_glob: str, org: dict[str, Any], today: date,
                 model_names: dict[str, tuple[str, str | None]] | None = None,
                 prices: dict[str, Any] | None = None, volumes_csv: str | None = None) -> None:
        self.org, self.today = org, today
        self.volumes_csv = volumes_csv  # the demo's business volumes (product,date,metric,value)
        self.model_names = model_names if model_names is not None else load_model_names()
        self.prices = prices if prices is not None else load_prices()
        self.con = duckdb.connect()
        self._load_rows(parquet_glob)
        self._load_hierarchy()
        self.accounts = {str(a["id"]): a for a in org.get("accounts", [])}
        self.people = {p["email"]: p for p in org.get("people", [])}
        self.estimates = {(e["product"], str(e["month"])): e for e in org.get("estimates", [])}
        self.catalog = {m["id"]: m for m in org.get("models", [])}
        self.through = self.con.execute("SELECT max(day) FROM usage WHERE day <= ?", [today]).fetchone()[0]
        self._memo: dict[tuple, Any] = {}

    def _load_rows(self, parquet_glob: str) -> None:
        """Tables usage, claims, names, attributed and product_portfolio."""
        con = self.con
        columns = {r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{parquet_glob}', union_by_name = true)").fetchall()}
        resource = "line_item_resource_id" if "line_item_resource_id" in columns else "NULL"  # optional in CUR
        no_map = "CAST(NULL AS MAP(VARCHAR, VARCHAR))"
        con.execute(_USAGE_SQL.replace("{glob}", parquet_glob).replace("{resource}", resource)
                    .replace("{resource_tags}", "resource_tags" if "resource_tags" in columns else no_map)
                    .replace("{tags}", "tags" if "tags" in columns else no_map))
        period_date = ("bill_billing_period_start_date" if "bill_billing_period_start_date" in columns
                       else "line_item_usage_start_date")  # a hand-made file may leave the bill columns out
        con.execute(_CHARGES_SQL.replace("{glob}", parquet_glob).replace("{period_date}", period_date))
        con.execute("CREATE TABLE claims (principal VARCHAR, product VARCHAR, claimed_on DATE)")
        con.execute("CREATE TABLE profile_claims (profile VARCHAR, product VARCHAR, claimed_on DATE)")
        con.execute("CREATE TABLE tag_claims (cur_key VARCHAR, value VARCHAR, product VARCHAR, claimed_on DATE, "
                    "position INTEGER)")
        for position, c in enumerate(self.org.get("claims", [])):
            if "inference_profile" in c:
                con.execute("INSERT INTO profile_claims VALUES (?, ?, ?)",
                            [c["inference_profile"], c["product"], as_date(c["claimed_on"])])
            elif "tag" in c:
                key, _, value = str(c["tag"]).partition("=")
                con.execute("INSERT INTO tag_claims VALUES (?, ?, ?, ?, ?)",
                            [cur_tag_key(key), value, c["product"], as_date(c["claimed_on"]), position])
            elif "principal" in c:
                con.execute("INSERT INTO claims VALUES (?, ?, ?)",
                            [c["principal"], c["product"], as_date(c["claimed_on"])])
            else:  # principal_tag claims are not modelled here: the gold would be wrong, so say so
                raise ValueError(f"evals/gold.py does not model this claim: {c}")
        con.execute("CREATE TABLE names (billing_model VARCHAR, model_id VARCHAR)")
        for name, (model_id, _) in self.model_names.items():
            con.execute("INSERT INTO names VALUES (?, ?)", [name, model_id])
        con.execute(_ATTRIBUTED_SQL)

    def _load_hierarchy(self) -> None:
        self.parent: dict[str, str | None] = {}
        self.kind: dict[str, str] = {}
        self.portfolio_of: dict[str, str] = {}
        for bu in self.org.get("business_units", []):
            self.parent[bu["name"]], self.kind[bu["name"]] = None, "business_unit"
            for pf in bu.get("portfolios", []):
                self.parent[pf["name"]], self.kind[pf["name"]] = bu["name"], "portfolio"
                for dep in pf.get("departments", []):
                    self.parent[dep["name"]], self.kind[dep["name"]] = pf["name"], "department"
                    for p in dep.get("products", []):
                        self.parent[p["name"]], self.kind[p["name"]] = dep["name"], "product"
                        self.portfolio_of[p["name"]] = pf["name"]
        self.products = [n for n, k in self.kind.items() if k == "product"]
        self.con.execute("CREATE TABLE product_portfolio (portfolio_product VARCHAR, portfolio VARCHAR)")
        for p, f in self.portfolio_of.items():
            self.con.execute("INSERT INTO product_portfolio VALUES (?, ?)", [p, f])

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """compute(), once per key."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # ------------------------------------------------------------------ scope (from the org file)

    def subtree(self, roots: list[str]) -> set[str]:
        out = set()
        for n in self.kind:
            m: str | None = n
            while m is not None:
                if m in roots:
                    out.add(n)
                    break
                m = self.parent.get(m)
        return out

    def scope(self, email: str) -> Scope:
        roles = self.people[email]["roles"]
        personas = [r["persona"] for r in roles]
        primary = next(p for p in ("finops_lead", "portfolio_manager", "product_owner", "cloud_engineer")
                       if p in personas)
        if "finops_lead" in personas:
            return Scope(email, primary, True, frozenset(self.products), frozenset(), frozenset(self.kind),
                         frozenset(self.accounts), frozenset())
        roots = [n for r in roles for key in ("products", "portfolios", "departments", "business_units")
                 for n in r.get(key, [])]
        nodes = self.subtree(roots)
        products = {n for n in nodes if self.kind[n] == "product"}
        owned = {p for r in roles if r["persona"] == "product_owner" for p in r.get("products", [])}
        accounts = {a for a, acc in self.accounts.items() if acc.get("owner") in nodes}
        work = {c["principal"].split(":")[4] for c in self.org.get("claims", [])
                if c["product"] in products and "principal" in c}
        return Scope(email, primary, False, frozenset(products), frozenset(owned), frozenset(nodes),
                     frozenset(accounts), frozenset(work))

    # ------------------------------------------------------------------ spend

    def spend(self, product: str, start: date, end: date) -> float:
        """Attributed unblended usage cost of a product in [start, end)."""
        return self.con.execute(
            "SELECT coalesce(sum(usd), 0) FROM attributed WHERE product = ? AND day >= ? AND day < ?",
            [product, start, end]).fetchone()[0]

    def tokens(self, product: str, start: date, end: date) -> dict[str, float]:
        rows = self.con.execute("SELECT kind, coalesce(sum(tokens), 0) FROM attributed WHERE product = ? "
                                "AND day >= ? AND day < ? GROUP BY kind", [product, start, end]).fetchall()
        return defaultdict(float, {k: v for k, v in rows})

    def estimate(self, product: str, month: date) -> dict[str, Any] | None:
        return self.estimates.get((product, f"{month:%Y-%m}"))

    def status(self, product: str, month: date) -> dict[str, Any]:
        """estimate_status as documented: MTD + average of the last 7 days of data x days left."""
        return self.cached(("status", product, month), lambda: self._status(product, month))

    def _status(self, product: str, month: date) -> dict[str, Any]:
        end = next_month(month)
        through = self.con.execute("SELECT max(day) FROM usage WHERE day <= ?",
                                   [min(self.today, end - timedelta(days=1))]).fetchone()[0]
        days = (through - month).days + 1 if through and through >= month else 0
        remaining = days_in_month(month) - days
        rate_days = min(RUN_RATE_DAYS, days)
        mtd = self.spend(product, month, end)
        recent = self.spend(product, through - timedelta(days=rate_days - 1), end) if rate_days else 0.0
        forecast = mtd + (recent / rate_days if rate_days else 0.0) * remaining
        tok = self.tokens(product, month, end)
        r_tok = self.tokens(product, through - timedelta(days=rate_days - 1), end) if rate_days else tok
        f_out = tok["output"] + (r_tok["output"] / rate_days if rate_days else 0) * remaining
        side = tok["input"] + tok["cache_read"] + tok["cache_write"]
        est = self.estimate(product, month)
        e_usd = float(est["usd"]) if est else None
        return {
            "product": product, "month": month, "actual": mtd, "forecast": forecast, "estimate": e_usd,
            "pct_used": mtd / e_usd if e_usd else None, "forecast_ratio": forecast / e_usd if e_usd else None,
            "overrun": max(forecast - e_usd, 0) if e_usd else None,
            "headroom": max(e_usd - forecast, 0) if e_usd else None,
            "cache_hit": tok["cache_read"] / side if side else None,
            "output_vs_estimate": f_out / est["output_tokens"] if est and est.get("output_tokens") else None,
        }

    def breakdown(self, by_sql: str, start: date, end: date, products: set[str] | None,
                  product: str | None = None) -> list[tuple[str, float]]:
        """Spend grouped by an expression over `attributed` (joined to product_portfolio):
        products=None means everything (lead)."""
        where, params = ["day >= ?", "day < ?"], [start, end]
        if products is not None:
            where.append("list_contains(?::VARCHAR[], product)")
            params.append(sorted(products))
        if product:
            where.append("product = ?")
            params.append(product)
        return [(k, v) for k, v in self.con.execute(
            f"SELECT {by_sql} AS k, sum(usd) AS v FROM attributed "
            f"LEFT JOIN product_portfolio ON product_portfolio.portfolio_product = attributed.product "
            f"WHERE {' AND '.join(where)} GROUP BY k ORDER BY v DESC, k", params).fetchall()]

    # ------------------------------------------------------------------ unattributed

    def unattributed(self, accounts: set[str] | None, start: date, end: date) -> tuple[float, list[tuple]]:
        """(total, [(principal, account, usd, reason)]) of spend not attributed to a product."""
        where, params = ["product IS NULL", "day >= ?", "day < ?"], [start, end]
        if accounts is not None:
            where.append("list_contains(?::VARCHAR[], account)")
            params.append(sorted(accounts))
        rows = self.con.execute(
            f"""SELECT principal, account, sum(usd) AS v,
                       CASE WHEN principal = 'unknown' THEN 'no_principal'
                            WHEN any_value(claimed_product) IS NULL THEN 'unclaimed' ELSE 'before_claim' END
                FROM attributed WHERE {' AND '.join(where)} GROUP BY principal, account
                ORDER BY v DESC, principal""",
            params).fetchall()
        return sum(r[2] for r in rows), rows

    # ------------------------------------------------------------------ statements and tagging

    def node_of(self, product: str, by: str) -> str:
        """The product's department, portfolio or business unit (walking the org file's tree), or itself."""
        node: str | None = product
        while node is not None and self.kind.get(node) != by:
            node = self.parent.get(node)
        return node or product

    def statement(self, month: date, by: str, s: Scope) -> tuple[float, list[tuple[str, float]]]:
        """A month's chargeback as `s` sees it: (its total, every charge included; [(node, attributed usage)]
        largest first). Credits, refunds and taxes name no product: they count in the total only, with the
        unattributed spend of the accounts the caller owns (a FinOps Lead: all of them)."""
        end = next_month(month)
        products = None if s.all_access else sorted(s.products)
        rows = self.con.execute(
            "SELECT product, sum(usd) FROM attributed WHERE day >= ? AND day < ? AND product IS NOT NULL "
            "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], product)) GROUP BY product",
            [month, end, products, products]).fetchall()
        lines: dict[str, float] = defaultdict(float)
        for product, v in rows:
            lines[self.node_of(product, by)] += v
        accounts = None if s.all_access else sorted(s.accounts)
        charged = self.con.execute(
            "SELECT coalesce(sum(usd), 0) FROM charges WHERE period = ? AND (?::VARCHAR[] IS NULL "
            "OR list_contains(?::VARCHAR[], account))", [f"{month:%Y-%m}", accounts, accounts]).fetchone()[0]
        claimed_there = self.con.execute(
            "SELECT coalesce(sum(usd), 0) FROM attributed WHERE day >= ? AND day < ? AND product IS NOT NULL "
            "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], account))",
            [month, end, accounts, accounts]).fetchone()[0]
        total = sum(lines.values()) + charged - claimed_there
        return total, sorted(lines.items(), key=lambda kv: (-kv[1], kv[0]))

    def tagged(self, start: date, end: date) -> tuple[float, float, float]:
        """(usage, % of it tagged: an application inference profile, a resource tag or an IAM principal
        tag, % attributed to a product) over every account in [start, end)."""
        total, tagged, attributed = self.con.execute(
            """SELECT sum(usd),
                      sum(usd) FILTER (WHERE coalesce(resource, '') LIKE '%:application-inference-profile/%'
                                          OR cardinality(coalesce(resource_tags, MAP {})) > 0
                                          OR len(list_filter(map_keys(coalesce(tags, MAP {})),
                                                             lambda k: starts_with(k, 'iamPrincipal/'))) > 0),
                      sum(usd) FILTER (WHERE product IS NOT NULL)
               FROM attributed WHERE day >= ? AND day < ?""", [start, end]).fetchone()
        total = total or 0.0
        return total, 100 * (tagged or 0.0) / total if total else 0.0, 100 * (attributed or 0.0) / total if total else 0.0

    def by_rule(self, product: str, start: date, end: date) -> list[tuple[str, float]]:
        """A product's spend by the kind of claim that attributes it, largest first."""
        return [(r, v) for r, v in self.con.execute(
            "SELECT rule, sum(usd) AS v FROM attributed WHERE product = ? AND day >= ? AND day < ? GROUP BY rule "
            "ORDER BY v DESC", [product, start, end]).fetchall()]
