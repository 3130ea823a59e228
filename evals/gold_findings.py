"""Gold findings over the gold world: model drift, anomalies, weekly spend cards and savings."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import yaml

from evals.gold import DATA_DIR, Gold, days_in_month

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
HEALTHY_CACHE = 0.30
BASELINE_DAYS, MIN_BASELINE_DAYS, Z_LIMIT, MIN_EXCESS_USD = 14, 7, 3.5, 5

# ------------------------------------------------------------------ drift


def compliance(g: Gold, model_id: str | None, billing: str | None, kind: str, product: str | None,
               account: str, region: str) -> str:
    """A use's standing against the catalog, as the catalog's rules are documented."""
    if kind == "guardrail" or (model_id is None and billing is None):
        return "not_a_model"
    if model_id is None:
        return "unreviewed"
    entry = g.catalog.get(model_id)
    if entry is None:
        return "unreviewed"
    if entry["state"] == "blocked":
        return "blocked"
    if entry["state"] == "restricted" and product not in (entry.get("products") or []):
        return "restricted_to_others"
    accts = [str(x) for x in entry.get("accounts") or []]
    regions = entry.get("regions") or []
    if (accts and account not in accts) or (regions and region not in regions):
        return "approved_elsewhere"
    return "approved"


def drift(g: Gold, start: date, end: date) -> list[dict[str, Any]]:
    """Every drifting (principal, model, account, region, product) use in the window."""
    rows = g.con.execute(
        """SELECT principal, model_id, billing_model, kind, product, claimed_product, account, region,
                  sum(usd), count(DISTINCT day)
           FROM attributed WHERE day >= ? AND day < ? GROUP BY ALL""", [start, end]).fetchall()
    out: dict[tuple, dict[str, Any]] = {}
    for principal, model_id, billing, kind, product, claimed, account, region, v, _ in rows:
        c = compliance(g, model_id, billing, kind, product, account, region)
        if c in ("approved", "not_a_model"):
            continue
        key = (principal, model_id or billing, account, region, product)
        d = out.setdefault(key, {"principal": principal, "model": model_id or billing, "billing": billing,
                                 "account": account, "region": region, "product": product,
                                 "claimed_product": claimed, "compliance": c, "usd": 0.0})
        d["usd"] += v
    return sorted(out.values(), key=lambda d: -d["usd"])


# ------------------------------------------------------------------ lifecycle


def _lifecycle_status(spec: dict[str, Any] | None, region: str, today: date) -> tuple[str, date | None] | None:
    """('eol' | 'legacy', EOL date) as lifecycle.yaml states it (a passed EOL date is EOL); None if Active."""
    if not spec:
        return None
    regional = (spec.get("regions") or {}).get(region) or {}
    status, eol = regional.get("status") or spec.get("status"), regional.get("eol") or spec.get("eol")
    if eol and today >= eol:
        return "eol", eol
    return (status, eol) if status in ("legacy", "eol") else None


def lifecycle(g: Gold, start: date, end: date) -> list[dict[str, Any]]:
    """Uses of Legacy or past-EOL models in the window per (product, account, region, model), from the
    shipped lifecycle.yaml read here (not through Steward's own loader), largest spend first."""
    specs = yaml.safe_load((DATA_DIR / "lifecycle.yaml").read_text(encoding="utf-8"))["models"]
    rows = g.con.execute(
        """SELECT product, account, region, model_id, sum(usd) FROM attributed
           WHERE day >= ? AND day < ? AND model_id IS NOT NULL AND kind <> 'guardrail' GROUP BY ALL""",
        [start, end]).fetchall()
    out = []
    for product, account, region, model, v in rows:
        st = _lifecycle_status(specs.get(model), region, g.today)
        if st:
            out.append({"product": product, "account": account, "region": region, "model": model,
                        "status": st[0], "eol": st[1], "usd": v})
    return sorted(out, key=lambda d: -d["usd"])


# ------------------------------------------------------------------ anomalies


def _daily_series(g: Gold, products: set[str] | None, load_start: date,
                  last: date) -> tuple[dict[str, date], dict[str, dict[date, float]]]:
    """Per product (or '(unattributed)'): the first day it had spend, and its spend per day."""
    where, params = "TRUE", []
    if products is not None:
        where, params = "list_contains(?::VARCHAR[], product)", [sorted(products)]
    key = "coalesce(product, '(unattributed)')"
    first_seen = dict(g.con.execute(
        f"SELECT {key}, min(day) FROM attributed WHERE {where} AND day <= ? GROUP BY 1", [*params, last]).fetchall())
    series: dict[str, dict[date, float]] = defaultdict(dict)
    for k, d, v in g.con.execute(
            f"SELECT {key}, day, sum(usd) FROM attributed WHERE {where} AND day >= ? AND day <= ? GROUP BY 1, 2",
            [*params, load_start, last]).fetchall():
        series[k][d] = v
    return first_seen, series


def anomalies(g: Gold, products: set[str] | None, start: date, end: date) -> list[dict[str, Any]]:
    """Product-level days whose spend leaves the series' trailing 14-data-day baseline:
    robust z = (spend - median) / (1.4826 MAD) > 3.5 and spend - median >= $5, >= 7 baseline days."""
    last = min(end - timedelta(days=1), g.today)
    load_start = start - timedelta(days=BASELINE_DAYS)
    data_days = [r[0] for r in g.con.execute(
        "SELECT DISTINCT day FROM usage WHERE day >= ? AND day <= ? ORDER BY 1", [load_start, last]).fetchall()]
    first_seen, series = _daily_series(g, products, load_start, last)
    found = []
    for k, by_day in series.items():
        history = [d for d in data_days if d >= first_seen.get(k, load_start)]
        for i, d in enumerate(history):
            if d < start or d not in by_day:
                continue
            base = history[max(0, i - BASELINE_DAYS):i]
            if len(base) < MIN_BASELINE_DAYS:
                continue
            values = [by_day.get(b, 0.0) for b in base]
            med = statistics.median(values)
            mad = statistics.median(abs(v - med) for v in values)
            scale = 1.4826 * mad or 1.2533 * sum(abs(v - med) for v in values) / len(values)
            excess = by_day[d] - med
            z = excess / scale if scale else None
            if excess < MIN_EXCESS_USD or (z is not None and z <= Z_LIMIT):
                continue
            found.append({"product": k, "day": d, "usd": by_day[d], "median": med,
                          "multiple": by_day[d] / med if med > 0 else None, "excess": excess})
    return sorted(found, key=lambda x: (-x["excess"], x["day"]))


# ------------------------------------------------------------------ spend card


def card(g: Gold, product: str, wanted: date | None = None) -> dict[str, Any]:
    """The weekly spend card: the last full week of data (or the week of `wanted`) against the
    estimate pro-rated by day."""
    return g.cached(("card", product, wanted), lambda: _card(g, product, wanted))


def _card(g: Gold, product: str, wanted: date | None) -> dict[str, Any]:
    if wanted is None:
        last_day = min(g.today - timedelta(days=1), g.through)
        sunday = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
        monday = sunday - timedelta(days=6)
    else:
        monday = wanted - timedelta(days=wanted.weekday())
    covered_end = min(monday + timedelta(days=7), g.through + timedelta(days=1))
    actual = g.spend(product, monday, covered_end)
    per_month: dict[date, int] = defaultdict(int)
    for i in range((covered_end - monday).days):
        per_month[(monday + timedelta(days=i)).replace(day=1)] += 1
    prorated = 0.0
    for m, days in per_month.items():
        est = g.estimate(product, m)
        if est is None:
            return {"monday": monday, "actual": actual, "prorated": None}
        prorated += float(est["usd"]) * days / days_in_month(m)
    return {"monday": monday, "actual": actual, "prorated": prorated, "variance": actual - prorated}


# ------------------------------------------------------------------ recommendations


def _price(entry: dict, kind: str) -> float | None:
    value = entry.get(kind)
    if value is None and kind in ("cache_read", "cache_write"):
        value = entry.get("input")
    return float(value) if value is not None else None


def _mix_cost(use: dict, entry: dict, modifiers: dict) -> float | None:
    """A use's token mix priced at a model's list prices (None when a price is missing)."""
    total = 0.0
    for (kind, tier), t in use["tok"].items():
        if kind not in TOKEN_KINDS or not t:
            continue
        p = _price(entry, kind)
        if p is None:
            return None
        total += t / 1000 * p * (float(modifiers.get(tier, 1.0)) if tier in ("batch", "flex") else 1.0)
    return total


def _uses(g: Gold, products: set[str]) -> dict[tuple, dict[str, Any]]:
    """(product, model id, billing name) -> tokens and usd by (kind, tier), over the last 30 days of
    data scaled to 30 days."""
    start = g.through - timedelta(days=29)
    end = g.through + timedelta(days=1)
    first = g.con.execute("SELECT min(day) FROM usage").fetchone()[0]
    scale = 30 / (end - max(start, first)).days
    rows = g.con.execute(
        """SELECT product, model_id, billing_model, kind, tier, coalesce(sum(tokens), 0), sum(usd)
           FROM attributed WHERE list_contains(?::VARCHAR[], product) AND day >= ? AND day < ?
             AND (model_id IS NOT NULL OR billing_model IS NOT NULL) GROUP BY ALL""",
        [sorted(products), start, end]).fetchall()
    uses: dict[tuple, dict[str, Any]] = {}
    for product, model_id, billing, kind, tier, tok, v in rows:
        u = uses.setdefault((product, model_id, billing), {"tok": defaultdict(float), "usd": defaultdict(float)})
        u["tok"][(kind, tier)] += tok * scale
        u["usd"][(kind, tier)] += v * scale
    return uses


def _right_size(g: Gold, use: dict, entry: dict, billing: str | None) -> tuple[float, dict] | None:
    """The cheapest model of the same family (or the entry's rightsize_to step) for this mix:
    (30% of the saving, target), or None."""
    models, modifiers = g.prices["models"], g.prices.get("modifiers", {})
    family = (g.model_names.get(billing) or (None, None))[1] or entry.get("family")
    current = _mix_cost(use, entry, modifiers)
    step = entry.get("rightsize_to")
    if not ((family or step) and current):
        return None
    options = [(c, m) for m in models if m.get("model_id") != entry.get("model_id")
               and ((family and m.get("family") == family) or m.get("model_id") == step)
               and (c := _mix_cost(use, m, modifiers)) is not None]
    if not options:
        return None
    cost, target = min(options, key=lambda o: o[0])
    return (0.3 * (current - cost), target) if 0.3 * (current - cost) > 0 else None


def recommendations(g: Gold, products: set[str]) -> list[dict[str, Any]]:
    """right_size / batch / cache savings over the last 30 days of data at list prices."""
    models, modifiers = g.prices["models"], g.prices.get("modifiers", {})
    by_id = {m["model_id"]: m for m in models if m.get("model_id")}
    by_name = {m["billing_name"]: m for m in models if m.get("billing_name")}
    out = []
    for (product, model_id, billing), u in _uses(g, products).items():
        entry = by_id.get(model_id) or by_name.get(billing)
        if entry is None:
            continue
        label = model_id or billing
        if (found := _right_size(g, u, entry, billing)) is not None:
            out.append({"product": product, "kind": "right_size", "model": label,
                        "target": found[1]["model_id"], "saving": found[0]})
        on_demand = sum(v for (k, t), v in u["usd"].items() if k in ("input", "output") and t == "standard")
        if "batch" in modifiers and entry.get("batch", True) is not False and on_demand >= 100:
            out.append({"product": product, "kind": "batch", "model": label,
                        "saving": (1 - float(modifiers["batch"])) * 0.2 * on_demand})
        side = sum(u["tok"][(k, t)] for (k, t) in list(u["tok"]) if k in ("input", "cache_read", "cache_write"))
        reads = sum(v for (k, _), v in u["tok"].items() if k == "cache_read")
        if side > 10_000_000 and entry.get("input") is not None and entry.get("cache_read") is not None:
            rate = reads / side
            if rate < HEALTHY_CACHE:
                out.append({"product": product, "kind": "cache", "model": label,
                            "saving": (HEALTHY_CACHE - rate) * side / 1000
                            * (float(entry["input"]) - float(entry["cache_read"]))})
    out = [r for r in out if r["saving"] >= 1.0]
    return sorted(out, key=lambda r: (-r["saving"], r["product"], r["kind"], r["model"]))
