"""The case book: eval cases with deterministic ids, and what each caller must never be shown."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from typing import Any

from evals.gold import Gold, Scope, month_start, next_month, role_of
from evals.gold_findings import card as gold_card


def cents(v: float) -> float:
    """Rounded to the cent (and -0.0 made 0.0)."""
    return round(float(v) + 0.0, 2)


def usd(value: float, label: str, tolerance: str = "1%") -> dict[str, Any]:
    return {"label": label, "value": cents(value), "unit": "usd", "tolerance": tolerance}


def pct(value: float, label: str, tolerance: float = 1.0) -> dict[str, Any]:
    """value in percent (17.0 for 17%); tolerance in percentage points."""
    return {"label": label, "value": round(float(value), 2), "unit": "pct", "tolerance": tolerance}


def times(value: float, label: str, tolerance: float = 0.1) -> dict[str, Any]:
    return {"label": label, "value": round(float(value), 2), "unit": "x", "tolerance": tolerance}


def leak_usd(value: float, label: str) -> dict[str, Any]:
    """A figure that must not appear: matched at the precision the answer shows it."""
    return {"label": label, "value": cents(value), "unit": "usd", "tolerance": "shown"}


class CaseBook:
    """Collects cases with deterministic ids, persona and leak lists."""

    def __init__(self, gold: Gold, now: date) -> None:
        self.g, self.now = gold, now
        self.cases: list[dict[str, Any]] = []
        self.counters: dict[str, int] = defaultdict(int)

    # -- what a caller must never see

    def forbidden_names(self, s: Scope) -> list[str]:
        """Names a caller must never be shown: other products, the accounts outside their view, the
        principals in accounts they do not own (unless one of their products claimed it), and the
        Product Owners of other products. Cloud Engineers implement the whole catalog, so product and
        account names are theirs to see; FinOps Leads see everything."""
        if s.all_access or s.persona == "cloud_engineer":
            return []
        g = self.g
        names = set(p for p in g.products if p not in s.products)
        for a in set(g.accounts) - s.visible_accounts:
            names |= {a, g.accounts[a]["name"]}
        mine = {c["principal"] for c in g.org.get("claims", []) if c["product"] in s.products and "principal" in c}
        for (principal, account) in g.con.execute(
                "SELECT DISTINCT principal, account FROM usage WHERE principal <> 'unknown'").fetchall():
            if account not in s.accounts and principal not in mine:
                names.add(role_of(principal))
        for p in g.people.values():  # the Product Owners of products they cannot see
            for r in p["roles"]:
                if r["persona"] == "product_owner" and not set(r.get("products", [])) & s.products:
                    names.add(p["name"])
        return sorted(names)

    def own_figures(self, s: Scope) -> list[float]:
        g, out = self.g, []
        cur, prev = month_start(self.now), month_start(self.now, 1)
        for p in s.products:
            st = g.status(p, cur)
            out += [st["actual"], st["forecast"], st["estimate"] or 0, g.spend(p, prev, cur)]
            card = gold_card(g, p)
            out += [card["actual"], card["prorated"] or 0]
        if s.accounts:
            out.append(g.unattributed(set(s.accounts), cur, next_month(cur))[0])
        return out

    def forbidden_figures(self, s: Scope, exclude: list[float]) -> list[dict[str, Any]]:
        if s.all_access:
            return []
        g = self.g
        cur, prev = month_start(self.now), month_start(self.now, 1)
        out = []
        for p in sorted(set(g.products) - s.products):
            st = g.status(p, cur)
            out += [leak_usd(st["actual"], f"{p} month to date"), leak_usd(st["forecast"], f"{p} forecast"),
                    leak_usd(g.spend(p, prev, cur), f"{p} last month")]
            if st["estimate"]:
                out.append(leak_usd(st["estimate"], f"{p} estimate"))
        hidden = set(g.accounts) - set(s.accounts)
        if hidden:
            out.append(leak_usd(g.unattributed(hidden, cur, next_month(cur))[0], "unattributed in other accounts"))
        mine = exclude + self.own_figures(s)
        return [f for f in out if f["value"] >= 50 and all(abs(f["value"] - m) > 0.01 * f["value"] for m in mine)]

    # -- adding a case

    def add(self, family: str, caller: str, question: str, *, figures: list[dict] | None = None,
            include: list[Any] | None = None, exclude: list[Any] | None = None, refused: bool | None = None,
            tool: str | None = None, leak_figures: bool = False, note: str | None = None,
            outcome: list[str] | None = None, thread: list[str] | None = None) -> None:
        s = self.g.scope(caller)
        figures = figures or []
        q = _norm(question)
        names = [n for n in self.forbidden_names(s) if _norm(n) not in q]
        extra = list(exclude or [])
        bad = [n for n in names if n not in extra] + extra
        if leak_figures:
            bad += self.forbidden_figures(s, [f["value"] for f in figures])
        expect: dict[str, Any] = {}
        if figures:
            expect["figures"] = figures
        if include:
            for item in include:
                for alt in (item if isinstance(item, list) else [item]):
                    if any(isinstance(x, str) and _norm(x) == _norm(alt) for x in bad):
                        raise ValueError(f"{family}: '{alt}' is both required and forbidden for {caller}")
            expect["must_include"] = include
        if bad:
            expect["must_not_include"] = bad
        if refused is not None:
            expect["refused"] = refused
        if tool:
            expect["tool"] = tool
        if outcome:
            expect["outcome"] = outcome
        self.counters[family] += 1
        case = {"id": f"{family}-{self.counters[family]:03d}", "family": family, "persona": s.persona,
                "caller": caller, "now": self.now.isoformat(), "question": question, "expect": expect}
        if thread:
            case["thread"] = thread  # earlier turns, asked first in the same thread
        if note:
            case["note"] = note
        self.cases.append(case)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())
