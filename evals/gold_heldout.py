"""Gold figures for the held-out set: this module's own SQL over the raw demo CUR rows and the org YAML.

It reads only the `usage` table of evals/gold.py (the raw Bedrock rows, loaded from the Parquet files)
and the org dict; attribution (a claim counts from its date), the hierarchy, scope filters and every
aggregate are written here again, so a wrong helper in gold.py and a wrong tool cannot agree by accident.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from evals.gold import Gold

# Filter and grouping keys of heldout.yaml -> a column of the `held` view.
COLUMNS = {"product": "product", "model": "model", "region": "region", "account": "account", "tier": "tier",
           "bu": "bu", "department": "department", "portfolio": "portfolio", "kind": "kind",
           "family": "family", "day": "day", "month": "strftime(day, '%Y-%m')"}


class HeldoutGold:
    """Totals, top-n groupings, estimates and cache hit rates for the held-out cases."""

    def __init__(self, g: Gold) -> None:
        self.g, self.con = g, g.con
        self.org = g.org
        self._build_view()

    def _build_view(self) -> None:
        """`held`: every raw Bedrock usage row with its product (from the claim date on), model id and
        place in the hierarchy, from the org dict walked here."""
        con = self.con
        con.execute("CREATE OR REPLACE TABLE held_claim (principal VARCHAR, product VARCHAR, since DATE)")
        con.execute("CREATE OR REPLACE TABLE held_profile (profile VARCHAR, product VARCHAR, since DATE)")
        con.execute("CREATE OR REPLACE TABLE held_tag (tag_key VARCHAR, tag_value VARCHAR, product VARCHAR, since DATE, "
                    "n INTEGER)")
        for n, c in enumerate(self.org.get("claims", [])):
            if "tag" in c:  # CUR 2.0 writes resource tag `a:b` as user_a_b
                key, value = str(c["tag"]).split("=", 1)
                cur_key = "user_" + re.sub(r"[^A-Za-z0-9_]", "_", key)
                con.execute("INSERT INTO held_tag VALUES (?, ?, ?, ?, ?)", [cur_key, value, c["product"],
                                                                           str(c["claimed_on"]), n])
                continue
            table, key = ("held_profile", "inference_profile") if "inference_profile" in c else ("held_claim", "principal")
            con.execute(f"INSERT INTO {table} VALUES (?, ?, ?)", [c[key], c["product"], str(c["claimed_on"])])
        con.execute("CREATE OR REPLACE TABLE held_tree (product VARCHAR, department VARCHAR, portfolio VARCHAR, "
                    "bu VARCHAR)")
        for bu in self.org.get("business_units", []):
            for pf in bu.get("portfolios", []):
                for dep in pf.get("departments", []):
                    for p in dep.get("products", []):
                        con.execute("INSERT INTO held_tree VALUES (?, ?, ?, ?)",
                                    [p["name"], dep["name"], pf["name"], bu["name"]])
        con.execute("CREATE OR REPLACE TABLE held_model (billing VARCHAR, model_id VARCHAR, family VARCHAR)")
        for billing, (model_id, family) in self.g.model_names.items():
            con.execute("INSERT INTO held_model VALUES (?, ?, ?)", [billing, model_id, family])
        con.execute("""
            CREATE OR REPLACE TABLE held AS
            SELECT u.day, u.account, u.region, u.tier, u.kind, u.tokens, u.usd,
                   coalesce(m.model_id, u.billing_model) AS model, m.family,
                   owner.product, t.department, t.portfolio, t.bu
            FROM usage u
            -- the claim on the row's application inference profile (from its date) comes first
            LEFT JOIN held_profile p ON p.profile = u.resource AND u.day >= p.since
            LEFT JOIN held_claim c ON c.principal = u.principal
            -- then a claim on a resource tag the row carries (the org file's first), then its principal's
            CROSS JOIN LATERAL (SELECT coalesce(p.product,
                                                (SELECT tg.product FROM held_tag tg WHERE u.day >= tg.since
                                                   AND element_at(u.resource_tags, tg.tag_key)[1] = tg.tag_value
                                                 ORDER BY tg.n LIMIT 1),
                                                CASE WHEN c.since IS NOT NULL AND u.day >= c.since
                                                     THEN c.product END) AS product) owner
            LEFT JOIN held_model m ON m.billing = u.billing_model
            LEFT JOIN held_tree t ON t.product = owner.product""")

    def _where(self, caller: str, spec: dict[str, Any]) -> tuple[str, list[Any]]:
        """The caller's rows (a FinOps Lead: every row, attributed or not) in [from, to) with the filters."""
        where, params = ["day >= ?", "day < ?"], [spec["from"], spec["to"]]
        s = self.g.scope(caller)
        if not s.all_access:
            where.append("list_contains(?::VARCHAR[], product)")
            params.append(sorted(s.products))
        for key, col in COLUMNS.items():
            if key in spec:
                where.append(f"{col} = ?")
                params.append(str(spec[key]))
        return " AND ".join(where), params

    def total(self, caller: str, spec: dict[str, Any]) -> float:
        where, params = self._where(caller, spec)
        return float(self.con.execute(f"SELECT coalesce(sum(usd), 0) FROM held WHERE {where}", params).fetchone()[0])

    def top(self, caller: str, spec: dict[str, Any]) -> list[tuple[str, float]]:
        """The n largest groups (unattributed rows have no product/department/portfolio/BU: left out)."""
        col = COLUMNS[spec["by"]]
        where, params = self._where(caller, spec)
        rows = self.con.execute(
            f"SELECT {col} AS k, sum(usd) AS v FROM held WHERE {where} AND {col} IS NOT NULL "
            f"GROUP BY k ORDER BY v DESC, k LIMIT ?", [*params, int(spec.get("n", 2))]).fetchall()
        return [(str(k), float(v)) for k, v in rows]

    def estimate(self, product: str, month: date) -> tuple[float, float | None]:
        """(spend of the product in the month up to today, its estimate for the month)."""
        end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        spent = self.con.execute("SELECT coalesce(sum(usd), 0) FROM held WHERE product = ? AND day >= ? "
                                 "AND day < ? AND day < ?", [product, month, end, self.g.today]).fetchone()[0]
        est = next((e["usd"] for e in self.org.get("estimates", [])
                    if e["product"] == product and str(e["month"]) == f"{month:%Y-%m}"), None)
        return float(spent), float(est) if est is not None else None

    def cache_hit(self, product: str, start: date, end: date) -> float:
        """Cache reads over all input-side tokens (plain input, cache reads, cache writes), in percent."""
        read, side = self.con.execute(
            "SELECT sum(tokens) FILTER (WHERE kind = 'cache_read'), "
            "sum(tokens) FILTER (WHERE kind IN ('input', 'cache_read', 'cache_write')) "
            "FROM held WHERE product = ? AND day >= ? AND day < ?", [product, start, end]).fetchone()
        return 100.0 * float(read or 0) / float(side) if side else 0.0

    def cache_hit_in(self, caller: str, spec: dict[str, Any]) -> float:
        """The cache hit rate (percent) of the caller's rows in [from, to) with the filters (a model, a
        product or both): the same ratio as cache_hit, over the rows the caller may see."""
        where, params = self._where(caller, spec)
        read, side = self.con.execute(
            "SELECT sum(tokens) FILTER (WHERE kind = 'cache_read'), "
            "sum(tokens) FILTER (WHERE kind IN ('input', 'cache_read', 'cache_write')) "
            f"FROM held WHERE {where}", params).fetchone()
        return 100.0 * float(read or 0) / float(side) if side else 0.0

    def unattributed(self, caller: str, spec: dict[str, Any]) -> float:
        """Spend no product owns (no claim, or before the claim date) in the accounts whose unattributed
        spend the caller sees (a FinOps Lead: every account), in [from, to) with the filters."""
        where, params = ["product IS NULL", "day >= ?", "day < ?"], [spec["from"], spec["to"]]
        s = self.g.scope(caller)
        if not s.all_access:
            where.append("list_contains(?::VARCHAR[], account)")
            params.append(sorted(s.accounts))
        for key in ("account", "region", "model", "tier", "kind"):
            if key in spec:
                where.append(f"{COLUMNS[key]} = ?")
                params.append(str(spec[key]))
        return float(self.con.execute(f"SELECT coalesce(sum(usd), 0) FROM held WHERE {' AND '.join(where)}",
                                      params).fetchone()[0])

    def unreviewed_models(self, start: date, end: date) -> list[str]:
        """Models used in the window that have no entry in the org's model catalog."""
        known = {str(m["id"]) for m in self.org.get("models", [])}
        used = [r[0] for r in self.con.execute(
            "SELECT model FROM held WHERE day >= ? AND day < ? AND model IS NOT NULL GROUP BY model "
            "ORDER BY sum(usd) DESC", [start, end]).fetchall()]
        return [m for m in used if m not in known]

    def statement_total(self, caller: str, month: date) -> float:
        """A month's chargeback total as the caller sees it: every Bedrock charge of the billing period
        (a FinOps Lead), else their products' usage plus what no product of anyone's holds in the
        accounts their part of the org owns (credits, refunds and taxes among it)."""
        period, s = f"{month:%Y-%m}", self.g.scope(caller)
        end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        if s.all_access:
            return float(self.con.execute("SELECT coalesce(sum(usd), 0) FROM charges WHERE period = ?",
                                          [period]).fetchone()[0])
        mine = self.con.execute("SELECT coalesce(sum(usd), 0) FROM held WHERE day >= ? AND day < ? AND "
                                "list_contains(?::VARCHAR[], product)", [month, end, sorted(s.products)]).fetchone()[0]
        owned = sorted(s.accounts)
        charged = self.con.execute("SELECT coalesce(sum(usd), 0) FROM charges WHERE period = ? AND "
                                   "list_contains(?::VARCHAR[], account)", [period, owned]).fetchone()[0]
        held_there = self.con.execute("SELECT coalesce(sum(usd), 0) FROM held WHERE day >= ? AND day < ? AND "
                                      "product IS NOT NULL AND list_contains(?::VARCHAR[], account)",
                                      [month, end, owned]).fetchone()[0]
        return float(mine + charged - held_there)

    def tagged_pct(self, start: date, end: date) -> float:
        """The share (percent) of usage in [start, end) whose row carries an application inference
        profile, a cost-allocation resource tag or an IAM principal tag."""
        total, tagged = self.con.execute(
            """SELECT sum(usd), sum(usd) FILTER (WHERE u.resource LIKE '%application-inference-profile%'
                                                 OR cardinality(coalesce(u.resource_tags, MAP {})) > 0
                                                 OR list_has_any(list_transform(map_keys(coalesce(u.tags, MAP {})),
                                                                                lambda k: split_part(k, '/', 1)),
                                                                 ['iamPrincipal']))
               FROM usage u WHERE u.day >= ? AND u.day < ?""", [start, end]).fetchone()
        return 100.0 * float(tagged or 0) / float(total) if total else 0.0

    def unit_cost(self, spec: dict[str, Any]) -> float:
        """A product's spend per business unit recorded for it (the demo's volumes CSV) in [from, to):
        the window's spend over the window's units, both summed here from the raw files."""
        if not self.g.volumes_csv:
            raise ValueError("heldout.yaml: unit_cost needs the demo's volumes file")
        units = self.con.execute("SELECT sum(value) FROM read_csv(?, header = true, columns = {'product': 'VARCHAR', "
                                 "'date': 'DATE', 'metric': 'VARCHAR', 'value': 'DOUBLE'}) WHERE product = ? "
                                 "AND date >= ? AND date < ?",
                                 [self.g.volumes_csv, spec["product"], spec["from"], spec["to"]]).fetchone()[0]
        spent = self.con.execute("SELECT coalesce(sum(usd), 0) FROM held WHERE product = ? AND day >= ? AND day < ?",
                                 [spec["product"], spec["from"], spec["to"]]).fetchone()[0]
        return float(spent) / float(units) if units else 0.0
