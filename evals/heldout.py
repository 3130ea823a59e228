"""The held-out cases: heldout.yaml (questions written as people ask them) with gold from evals/gold_heldout.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from evals.casebook import CaseBook, pct, usd
from evals.gold import Gold
from evals.gold_heldout import HeldoutGold

QUESTIONS = Path(__file__).parent / "heldout.yaml"
LABELS = Path(__file__).parent / "questions.yaml"  # readable model names only (shared with the dev set)


def _dates(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: (date.fromisoformat(str(v)) if k in ("from", "to") else v) for k, v in spec.items()}


class HeldoutBuilder:
    """Turns each held-out question into a case with its gold figures, names and leak lists."""

    def __init__(self, g: Gold, now: date) -> None:
        self.g, self.h, self.book = g, HeldoutGold(g), CaseBook(g, now)
        self.labels: dict[str, list[str]] = yaml.safe_load(LABELS.read_text(encoding="utf-8"))["model_labels"]

    def names(self, by: str, key: str) -> Any:
        """What an answer may call a group: a model by any readable name, an account by id or name."""
        if by == "model":
            return self.labels.get(key, [key])
        if by == "account":
            return [key, self.g.accounts[key]["name"]]
        if by in ("day", "month"):  # a date as ISO or in words: 2026-11-17, Nov 17, 17 November; 2026-10, October
            d = date.fromisoformat(key if by == "day" else f"{key}-01")
            if by == "month":
                return [key, f"{d:%B}", f"{d:%b}"]
            return [key, f"{d:%b} {d.day}", f"{d.day} {d:%b}", f"{d:%B} {d.day}", f"{d.day} {d:%B}"]
        return key

    def expectations(self, caller: str, gold: dict[str, Any]) -> tuple[list[dict], list[Any]]:
        """(figures, must_include) of one gold spec."""
        kind, spec = next(iter(gold.items()))
        if kind == "total":
            spec = _dates(spec)
            return [usd(self.h.total(caller, spec), f"spend {spec['from']}..{spec['to']}")], []
        if kind == "top":
            spec = _dates(spec)
            rows = self.h.top(caller, spec)
            return ([usd(v, f"{k} spend") for k, v in rows], [self.names(spec["by"], k) for k, _ in rows])
        if kind == "compare":
            figs = []
            for start, end in spec["periods"]:
                window = _dates({**{k: v for k, v in spec.items() if k != "periods"}, "from": start, "to": end})
                figs.append(usd(self.h.total(caller, window), f"spend {start}..{end}"))
            return figs, []
        if kind == "estimate":
            spent, est = self.h.estimate(spec["product"], date.fromisoformat(str(spec["month"])))
            figs = [usd(spent, f"{spec['product']} spend in {spec['month']}")]
            if est is not None:
                figs.append(usd(est, f"{spec['product']} estimate"))
            return figs, [spec["product"]]
        if kind == "cache_hit" and "model" in spec:  # per model (and product, if named), as the caller sees it
            spec = _dates(spec)
            names = [self.names("model", spec["model"])] + ([spec["product"]] if "product" in spec else [])
            return [pct(self.h.cache_hit_in(caller, spec), "cache hit rate")], names
        if kind == "cache_hit":
            spec = _dates(spec)
            return [pct(self.h.cache_hit(spec["product"], spec["from"], spec["to"]), "cache hit rate")], \
                [spec["product"]]
        if kind == "unattributed":
            spec = _dates(spec)
            return [usd(self.h.unattributed(caller, spec), f"unattributed {spec['from']}..{spec['to']}")], []
        if kind == "statement":
            month = date.fromisoformat(f"{spec['month']}-01")
            return [usd(self.h.statement_total(caller, month), f"chargeback total {spec['month']}")], []
        if kind == "tagged":
            spec = _dates(spec)
            return [pct(self.h.tagged_pct(spec["from"], spec["to"]), "share of spend tagged")], []
        if kind == "unreviewed_models":
            spec = _dates(spec)
            return [], [self.names("model", m) for m in self.h.unreviewed_models(spec["from"], spec["to"])]
        if kind in ("totals", "unit_cost"):
            return self.unseen_expectations(caller, kind, spec)
        raise ValueError(f"heldout.yaml: unknown gold kind {kind!r}")

    def unseen_expectations(self, caller: str, kind: str, spec: Any) -> tuple[list[dict], list[Any]]:
        """The gold kinds the unseen batch added: `totals` (several total specs side by side: two
        products, accounts or regions) and `unit_cost` (a product's spend per recorded business unit)."""
        if kind == "totals":
            specs = [_dates(s) for s in spec]
            return [usd(self.h.total(caller, s), " ".join(["spend", f"{s['from']}..{s['to']}",
                                                          *(str(v) for k, v in s.items() if k not in ("from", "to"))]))
                    for s in specs], []
        spec = _dates(spec)
        per_unit = round(self.h.unit_cost(spec), 5)  # a few cents: kept finer than usd()'s cents
        return [{"label": f"{spec['product']} spend per unit", "value": per_unit, "unit": "usd",
                 "tolerance": "3%"}], [spec["product"]]

    def add(self, group: dict[str, Any], case: dict[str, Any]) -> None:
        def get(key: str) -> Any:
            return case.get(key, group.get(key))

        figures, include = self.expectations(case["caller"], case["gold"]) if "gold" in case else ([], [])
        include += get("include") or []
        refused = get("refused")
        if refused is None and "gold" in case:
            refused = False  # a figure case needs an answer resting on tool data
        self.book.add(group["family"], case["caller"], case["q"], figures=figures or None, include=include or None,
                      refused=refused, leak_figures=bool(get("leak_figures")), outcome=get("outcome"),
                      thread=case.get("thread"))


def build_heldout_cases(g: Gold, now: date, path: Path = QUESTIONS) -> list[dict[str, Any]]:
    """The held-out cases, group by group in the order of heldout.yaml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    builder = HeldoutBuilder(g, now)
    for group in data["groups"]:
        for case in group["cases"]:
            builder.add(group, case)
    return builder.book.cases
