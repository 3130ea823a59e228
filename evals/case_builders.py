"""Case builders: one per kind of question group in questions.yaml, each computing its gold expectations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from evals import gold_findings
from evals.casebook import CaseBook, pct, times, usd
from evals.gold import Gold, month_start, next_month, role_of

SOFT_QUOTA = 0.80
NO_DRIFT_WORDS = ["no model", "No:", "none", "no drift", "No unapproved", "all approved", "No models"]
NO_LIFECYCLE_WORDS = ["No model in use", "no model", "none", "No models"]
NO_ANOMALY_WORDS = ["no anomalies", "no anomaly", "no spikes", "no spike", "no spending spikes", "no unusual",
                    "nothing unusual", "no day", "none"]
_SPEND_BY_SQL = {"account": "account", "region": "region", "model": "coalesce(model_id, billing_model)",
                 "portfolio": "coalesce(product_portfolio.portfolio, '(unattributed)')"}


@dataclass
class Context:
    """What every builder needs: the gold world, the case book, the months and the model labels."""

    g: Gold
    book: CaseBook
    now: date
    labels: dict[str, list[str]]

    def month(self, name: str | None) -> date:
        """cur | prev | prev2 | next as the first of that month."""
        back = {"cur": 0, "prev": 1, "prev2": 2, "next": -1}[name or "cur"]
        return month_start(self.now, back)

    def words(self) -> dict[str, str]:
        """The placeholders question text may use."""
        prev, prev2 = self.month("prev"), self.month("prev2")
        return {"prev_month": f"{prev:%B}", "prev2_month": f"{prev2:%B}", "prev_ym": f"{prev:%Y-%m}",
                "next_month": f"{self.month('next'):%B}"}

    def label(self, model: str) -> list[str]:
        return self.labels.get(model, [model])

    def owners(self) -> dict[str, str]:
        """product -> its Product Owner's email."""
        return {p: e for e, person in self.g.people.items() for r in person["roles"]
                if r["persona"] == "product_owner" for p in r.get("products", [])}

    def single_product(self) -> dict[str, str]:
        """email -> product, for Product Owners of exactly one product."""
        return {e: list(r["products"])[0] for e, person in self.g.people.items() for r in person["roles"]
                if r["persona"] == "product_owner" and len(r["products"]) == 1}


Case = dict[str, Any]
Builder = Callable[[Context, dict[str, Any], Case], None]


def _estimate_figures(ctx: Context, product: str, month: date) -> list[dict]:
    st = ctx.g.status(product, month)
    cur = ctx.month("cur")
    figs = [usd(st["actual"], "spend month to date" if month == cur else f"spend in {month:%B}")]
    if st["estimate"]:
        figs.append(usd(st["estimate"], "estimate"))
    if month == cur:
        figs.append(usd(st["forecast"], "month-end forecast"))
    return figs


_EXTRA_FIGURES: dict[str, Callable[[dict[str, Any]], dict]] = {
    "cache_hit": lambda st: pct(st["cache_hit"] * 100, "cache hit rate"),
    "output_vs_estimate": lambda st: times(st["output_vs_estimate"], "output tokens vs estimate"),
    "overrun": lambda st: usd(st["overrun"], "projected overrun"),
}


def estimate(ctx: Context, group: dict[str, Any], case: Case) -> None:
    month = ctx.month(case.get("month"))
    figs = _estimate_figures(ctx, case["product"], month)
    st = ctx.g.status(case["product"], month)
    figs += [_EXTRA_FIGURES[name](st) for name in case.get("extra_figures", [])]
    ctx.book.add(group["family"], case["caller"], case["question"], figures=figs, include=[case["product"]],
                 tool="estimate_status", refused=case.get("refused"))


def estimate_cases_for_every_product(ctx: Context, group: dict[str, Any]) -> list[Case]:
    """One case per product, asked by its owner ("Am I ..." when they own just that product)."""
    owners, single = ctx.owners(), ctx.single_product()
    return [{"caller": owners[product], "product": product, "refused": group.get("refused"),
             "question": group["single_owner_question"] if owners[product] in single
             else group["question"].replace("{product}", product),
             "extra_figures": group.get("extra_figures", {}).get(product, [])}
            for product in ctx.g.products]


def top_products(ctx: Context, group: dict[str, Any], case: Case) -> None:
    s = ctx.g.scope(case["caller"])
    start = ctx.month(case["month"])
    rows = ctx.g.breakdown("coalesce(product, '(unattributed)')", start, next_month(start),
                           None if s.all_access else set(s.products))
    rows = [r for r in rows if r[0] != "(unattributed)"][:case["top"]]
    ctx.book.add(group["family"], case["caller"], case["question"], figures=[usd(v, f"{k} spend") for k, v in rows],
                 include=[k for k, _ in rows], tool="spend_breakdown")


def product_by_model(ctx: Context, group: dict[str, Any], case: Case) -> None:
    start = ctx.month(case["month"])
    rows = ctx.g.breakdown("coalesce(model_id, billing_model)", start, next_month(start), None, case["product"])[:2]
    ctx.book.add(group["family"], case["caller"], case["question"], figures=[usd(v, f"{k} spend") for k, v in rows],
                 include=[ctx.label(k) for k, _ in rows], tool="spend_breakdown")


def spend_by(ctx: Context, group: dict[str, Any], case: Case) -> None:
    start = ctx.month(case["month"])
    rows = [r for r in ctx.g.breakdown(_SPEND_BY_SQL[case["by"]], start, next_month(start), None)
            if r[0] != "(unattributed)"][:case["top"]]
    names = [[k, ctx.g.accounts[k]["name"]] if case["by"] == "account" else ctx.label(k) for k, _ in rows]
    ctx.book.add(group["family"], case["caller"], case["question"], figures=[usd(v, f"{k} spend") for k, v in rows],
                 include=names, tool="spend_breakdown")


def own_last_month(ctx: Context, group: dict[str, Any], case: Case) -> None:
    product = ctx.single_product()[case["caller"]]
    prev = ctx.month("prev")
    v = ctx.g.spend(product, prev, ctx.month("cur"))
    ctx.book.add(group["family"], case["caller"], case["question"],
                 figures=[usd(v, f"{product} spend in {prev:%B}")])


def unattributed(ctx: Context, group: dict[str, Any], case: Case) -> None:
    s = ctx.g.scope(case["caller"])
    start = ctx.month(case["month"])
    total, rows = ctx.g.unattributed(None if s.all_access else set(s.accounts), start, next_month(start))
    named = [r for r in rows if r[0] != "unknown"][:case.get("top", 2)]
    no_principal = sum(r[2] for r in rows if r[0] == "unknown")
    # Claimable spend and spend with no principal (which nobody can claim) may be given apart.
    figs = [usd(total - no_principal, "unattributed spend of principals")]
    if no_principal:
        figs.append(usd(no_principal, "unattributed spend with no principal"))
    ctx.book.add(group["family"], case["caller"], case["question"], figures=figs,
                 include=[role_of(r[0]) for r in named], tool="unattributed_spend")


def drift(ctx: Context, group: dict[str, Any], case: Case) -> None:
    s = ctx.g.scope(case["caller"])
    start = ctx.month(case["month"])
    only = case.get("only")
    lines = [d for d in gold_findings.drift(ctx.g, start, next_month(start))
             if (s.all_access or (d["product"] in s.products)
                 or (d["product"] is None and d["account"] in s.accounts))
             and (only is None or d["compliance"] == only)]
    by_model: dict[str, float] = defaultdict(float)
    for d in lines:
        by_model[d["model"]] += d["usd"]
    models = sorted(by_model.items(), key=lambda kv: -kv[1])[:case.get("top", 3)]
    include: list[Any] = [ctx.label(m) for m, _ in models]
    for m, _ in models:
        line = max((d for d in lines if d["model"] == m), key=lambda d: d["usd"])
        if line["principal"] != "unknown":
            include.append(role_of(line["principal"]))
    if case.get("expect_none"):
        include = [list(NO_DRIFT_WORDS)]
    ctx.book.add(group["family"], case["caller"], case["question"],
                 figures=[usd(v, f"{m} drift spend") for m, v in models], include=include, tool="model_drift")


def lifecycle(ctx: Context, group: dict[str, Any], case: Case) -> None:
    """The caller's largest uses of Legacy or retired models: their spend, product and model."""
    s = ctx.g.scope(case["caller"])
    start = ctx.month(case["month"])
    lines = [x for x in gold_findings.lifecycle(ctx.g, start, next_month(start))
             if (s.all_access or x["product"] in s.products or (x["product"] is None and x["account"] in s.accounts))
             and (case.get("product") is None or x["product"] == case["product"])]
    top = lines[:case.get("top", 2)]
    include: list[Any] = [[x["product"]] if x["product"] else
                          [x["account"], ctx.g.accounts.get(x["account"], {}).get("name", x["account"])] for x in top]
    if top:
        include.append(ctx.label(top[0]["model"]))
    else:
        include = [list(NO_LIFECYCLE_WORDS)]
    ctx.book.add(group["family"], case["caller"], case["question"], include=include, tool="model_lifecycle",
                 figures=[usd(x["usd"], f"{x['product'] or 'unclaimed'} {x['model']} in {x['region']}") for x in top])


def spend_card(ctx: Context, group: dict[str, Any], case: Case) -> None:
    week_of = case.get("week_of")
    wanted = week_of if week_of and week_of.month == ctx.now.month else None
    c = gold_findings.card(ctx.g, case["product"], wanted)
    figs = [usd(c["actual"], "week's actual spend")]
    if c["prorated"] is not None:
        figs.append(usd(c["prorated"], "pro-rated estimate"))
    ctx.book.add(group["family"], case["caller"], case["question"], figures=figs, include=[case["product"]],
                 tool="spend_card")


def anomalies(ctx: Context, group: dict[str, Any], case: Case) -> None:
    s = ctx.g.scope(case["caller"])
    start = ctx.month(case.get("month"))
    found = gold_findings.anomalies(ctx.g, None if s.all_access else set(s.products), start, next_month(start))
    figs: list[dict] = []
    include: list[Any] = []
    for a in found[:case.get("top", 1)]:
        day = a["day"]
        figs.append(usd(a["usd"], f"{a['product']} spend on {day}"))
        include += [a["product"], [day.isoformat(), f"{day.day} {day:%b}", f"{day:%b} {day.day}",
                                   f"{day.day} {day:%B}", f"{day:%B} {day.day}", f"{day.day:02d} {day:%b}"]]
    if not found:
        include = [list(NO_ANOMALY_WORDS)]
    ctx.book.add(group["family"], case["caller"], case["question"], figures=figs, include=include, tool="anomalies")


def recommendations(ctx: Context, group: dict[str, Any], case: Case) -> None:
    s = ctx.g.scope(case["caller"])
    product = case.get("product")
    top = gold_findings.recommendations(ctx.g, {product} if product else set(s.products))[:1]
    ctx.book.add(group["family"], case["caller"], case["question"],
                 figures=[usd(r["saving"], f"{r['product']} {r['kind']} saving", "2%") for r in top],
                 include=[r["product"] for r in top], tool="recommendations")


def quota(ctx: Context, group: dict[str, Any], case: Case) -> None:
    s = ctx.g.scope(case["caller"])
    cur = ctx.month("cur")
    warn = [(p, st) for p in sorted(s.products) if (st := ctx.g.status(p, cur))["estimate"]
            and st["actual"] >= SOFT_QUOTA * st["estimate"]]
    figs = [pct(st["pct_used"] * 100, f"{p} share of estimate used") for p, st in warn]
    include: list[Any] = [p for p, _ in warn]
    if not warn:  # nothing near its quota: the answer still names the product closest to it
        p = max(sorted(s.products), key=lambda p: ctx.g.status(p, cur)["pct_used"] or 0)
        figs.append(pct(ctx.g.status(p, cur)["pct_used"] * 100, f"{p} share of estimate used"))
        include.append(p)
    ctx.book.add(group["family"], case["caller"], case["question"], figures=figs, include=include,
                 tool="quota_status")


def scope(ctx: Context, group: dict[str, Any], case: Case) -> None:
    s = ctx.g.scope(case["caller"])
    include: list[Any] = sorted(s.products)[:4] if not s.all_access and s.products else []
    if s.all_access:
        include = [["FinOps Lead", "finops_lead", "everything", "all products", "whole org"]]
    elif s.persona == "cloud_engineer":
        include = [["Cloud Engineer", "cloud_engineer", "task"]]
    ctx.book.add(group["family"], case["caller"], case["question"], include=include, tool="my_scope")


def _volume(g: Gold, product: str, metric: str, start: date, end: date) -> float:
    """Units of `metric` recorded for a product in [start, end), read straight from the volumes CSV."""
    return g.con.execute(
        "SELECT coalesce(sum(value), 0) FROM read_csv(?, header = true, columns = {'product': 'VARCHAR', "
        "'date': 'DATE', 'metric': 'VARCHAR', 'value': 'DOUBLE'}) WHERE product = ? AND metric = ? "
        "AND date >= ? AND date < ?", [g.volumes_csv, product, metric, start, end]).fetchone()[0]


def unit_cost(ctx: Context, group: dict[str, Any], case: Case) -> None:
    """Cost per unit of each product and unit named: attributed spend over recorded volume for the month
    (the current one up to the last day of data), and its change on the month before."""
    start = ctx.month(case["month"])
    end = min(next_month(start), ctx.g.through + timedelta(days=1))
    before = month_start(start, 1)
    figures, names = [], []
    for product, metric in case["units"]:
        now = ctx.g.spend(product, start, end) / _volume(ctx.g, product, metric, start, end)
        then = ctx.g.spend(product, before, start) / _volume(ctx.g, product, metric, before, start)
        figures += [{"label": f"{product} cost per {metric}", "value": round(now, 6), "unit": "usd",
                     "tolerance": "5%"}, pct(abs(now / then - 1) * 100, f"{product} change on {before:%B}")]
        names.append(product if case.get("name_products", True) else metric)
    ctx.book.add(group["family"], case["caller"], case["question"], figures=figures, include=names,
                 tool="cost_per_unit")


def static(ctx: Context, group: dict[str, Any], case: Case) -> None:
    """Expectations written in the YAML (include, tool, refused, note, figures), with group defaults."""
    def get(key: str) -> Any:
        return case.get(key, group.get(key))

    include = get("include") or None
    if include and any(isinstance(i, dict) for i in include):
        include = [ctx.label(i["model"]) if isinstance(i, dict) else i for i in include]
    figures = [usd(f["usd"], f["label"]) for f in get("figures") or []]
    if (product := case.get("previous_estimate_of")) and (est := ctx.g.estimate(product, ctx.month("cur"))):
        figures.append(usd(est["usd"], "previous estimate"))
    ctx.book.add(group["family"], case["caller"], case["question"], figures=figures or None, include=include,
                 refused=get("refused"), tool=get("tool"), leak_figures=bool(get("leak_figures")), note=get("note"))


RULE_NAMES = {"inference_profile": ["inference profile", "profile"], "tag": ["tag"], "principal": ["principal", "role"]}


def chargeback(ctx: Context, group: dict[str, Any], case: Case) -> None:
    """The month's statement as the caller sees it: a FinOps Lead's total (every charge) and the top lines."""
    s = ctx.g.scope(case["caller"])
    month = ctx.month(case["month"])
    total, lines = ctx.g.statement(month, case["by"], s)
    top = lines[:case.get("top", 2)]
    figures = [usd(v, f"{k} chargeback") for k, v in top]
    if s.all_access:
        figures.append(usd(total, f"chargeback total {month:%Y-%m}"))
    ctx.book.add(group["family"], case["caller"], case["question"], figures=figures, include=[k for k, _ in top],
                 tool="chargeback_statement")


def tag_coverage(ctx: Context, group: dict[str, Any], case: Case) -> None:
    """The tagged and attributed shares of the month's usage (to date), over every account."""
    start = ctx.month(case["month"])
    _, tagged, attributed = ctx.g.tagged(start, min(next_month(start), ctx.now))
    ctx.book.add(group["family"], case["caller"], case["question"],
                 figures=[pct(tagged, "share of spend tagged"), pct(attributed, "share of spend attributed")],
                 tool="tag_coverage")


def attribution(ctx: Context, group: dict[str, Any], case: Case) -> None:
    """A product's spend by the rule (kind of claim) that attributes it."""
    start = ctx.month(case["month"])
    rows = ctx.g.by_rule(case["product"], start, min(next_month(start), ctx.now))
    ctx.book.add(group["family"], case["caller"], case["question"],
                 figures=[usd(v, f"{case['product']} attributed by {rule}") for rule, v in rows],
                 include=[case["product"], *(list(RULE_NAMES[rule]) for rule, _ in rows)], tool="spend_breakdown")


BUILDERS: dict[str, Builder] = {
    "estimate": estimate, "estimate_every_product": estimate, "top_products": top_products,
    "product_by_model": product_by_model, "spend_by": spend_by, "own_last_month": own_last_month,
    "unattributed": unattributed, "drift": drift, "lifecycle": lifecycle, "spend_card": spend_card, "anomalies": anomalies,
    "recommendations": recommendations, "quota": quota, "scope": scope, "static": static, "unit_cost": unit_cost,
    "chargeback": chargeback, "tag_coverage": tag_coverage, "attribution": attribution,
}
