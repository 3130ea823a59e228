"""Reading a question for the offline planner: its words (typos mended), the names, models,
periods, accounts, regions, ids, amounts and reason in it. Identity and scope come from `ctx`: the
names the question may match are the ones the caller can see.

- Words are matched exactly, then, for typos, to the planner's keyword vocabulary with rapidfuzz
  ('withn my estimte' -> 'within my estimate').
- Product, portfolio, department and account names are matched (fuzzily, 'Chekout') against the
  names the caller can see only. A capitalised name that matches none of them ('HR Portal' asked
  by another product's owner) is passed to the tool as written, so the tool answers with its scope
  error, which is the same for a name that exists and one that does not.
- Models: ids (anthropic.claude-opus-4-6-v1), billing names (Claude4.6Opus) and readable names
  ('Claude Opus 4.6', 'opus 4.6', 'Sonnet', 'llama 3 70b'); a version that matches no known model
  ('Opus 4.7') is passed on as written, never rounded to a neighbour.
- Periods: 'this month', 'last month', month names ('November', 'Nov 2026': for questions, the
  latest such month up to now; for estimates being set, the next), '2026-10', days ('2 November',
  'Nov 12th', 2026-11-12; 'since 1 Nov', 'between 1 Nov and Nov 10th', 'the week of 2 November'),
  'this week', 'last week', 'last 7 days', 'yesterday', 'this year'. Top N ('top 3', 'five
  biggest'). Accounts (12 digits or names), regions (us-east-1, 'virginia', 'oregon'), role ARNs,
  task and request ids, amounts ($1,500, 2k USD), token estimates ('5M output tokens') and the
  reason after 'because' / 'note:'.
"""


from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from agent.model_mentions import ModelIndex, ModelRef, find_models, model_index
from agent.names import find_names, find_person_refs, find_product_words, find_unknown_names
from agent.period_windows import numeric_dates
from agent.spoken_periods import Period, read_period
from agent.vocabulary import (
    ACCOUNT_ID_PATTERN,
    AMOUNT_SCALE,
    ARN_PATTERN,
    BARE_AMOUNT_PATTERN,
    ISO_DAY_PATTERN,
    ISO_MONTH_PATTERN,
    MODEL_ID_PATTERN,
    MONEY_PATTERN,
    PREFIXES,
    PRINCIPAL_NAME_PATTERN,
    REASON_PATTERN,
    REGION_ALIASES,
    REGION_CODE_PATTERN,
    REQUEST_ID_PATTERN,
    TASK_ID_PATTERN,
    TOKEN_ESTIMATE_PATTERN,
    blank_out,
    canonical,
    number_word,
)
from tools.context import ToolContext


@dataclass
class Question:
    raw: str
    ctx: ToolContext
    reason: str | None = None
    arns: list[str] = field(default_factory=list)
    model_ids: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    portfolios: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    business_units: list[str] = field(default_factory=list)
    principal_names: list[str] = field(default_factory=list)  # 'github-actions-ci': the end of a principal ARN
    people: list[str] = field(default_factory=list)  # 'Lena' of "Lena's products": whose products
    ambiguous_names: dict[str, list[str]] = field(default_factory=dict)  # a word -> the products it may mean
    unknown_names: list[str] = field(default_factory=list)
    models: list[ModelRef] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    amount_text: str = ""
    index: ModelIndex | None = None

    # -- helpers over the canonical words

    @property
    def text(self) -> str:
        return " " + " ".join(self.words) + " "

    @property
    def wordset(self) -> set[str]:
        return set(self.words)

    def has(self, *groups: Iterable[str]) -> bool:
        ws = self.wordset
        return any(ws & set([g] if isinstance(g, str) else g) for g in groups)

    def phrase(self, *phrases: str) -> bool:
        t = self.text
        return any(f" {p} " in t for p in phrases)

    @property
    def verb(self) -> str | None:
        """The imperative verb the question starts with, after 'please', 'can you' and the like."""
        ws = list(self.words)
        changed = True
        while changed and ws:
            changed = False
            for p in PREFIXES:
                if ws[: len(p)] == p:
                    ws = ws[len(p):]
                    changed = True
        return ws[0] if ws else None

    @property
    def first(self) -> str | None:
        return self.words[0] if self.words else None

    @property
    def model(self) -> ModelRef | None:
        if self.model_ids:
            return ModelRef(text=self.model_ids[0], model_id=self.model_ids[0])
        return self.models[0] if self.models else None

    @property
    def name_targets(self) -> list[str]:
        """Products named (visible ones, else names passed through for the tool's scope check)."""
        return self.products or self.unknown_names

    # -- parameters

    def period(self, *, future: bool = False) -> Period:
        return read_period(self, self.ctx.today, future=future)

    def top(self) -> int | None:
        m = re.search(r"\btop (\w+)\b", self.text) or re.search(
            r"\b(\w+) (?:biggest|largest|most|highest|priciest|costliest|top|leading|main)\b", self.text)
        if m:
            n = number_word(m.group(1))
            if n and 1 <= n <= 100:
                return n
        return None

    def amount(self) -> float | None:
        text = self.amount_text
        m = MONEY_PATTERN.search(text)
        if m:
            num, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        else:
            m = BARE_AMOUNT_PATTERN.search(text)
            if not m:
                return None
            num, unit = m.group(1), m.group(2)
        return float(num.replace(",", "")) * AMOUNT_SCALE.get((unit or "").lower(), 1.0)

    def token_estimates(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in TOKEN_ESTIMATE_PATTERN.finditer(self.amount_text):
            out[f"{m.group(3).lower()}_tokens"] = int(float(m.group(1).replace(",", ""))
                                                      * AMOUNT_SCALE.get((m.group(2) or "").lower(), 1.0))
        return out


def read(ctx: ToolContext, question: str) -> Question:
    """Parse the question: ids, names, models, periods and the canonical words for classifying."""
    q = Question(raw=question, ctx=ctx)
    rest = question
    m = REASON_PATTERN.search(rest)
    if m and m.group(1).strip():
        q.reason = m.group(1).strip().strip("\"'").strip()
        rest = rest[: m.start()]
    for pattern, target in ((ARN_PATTERN, q.arns), (MODEL_ID_PATTERN, q.model_ids), (TASK_ID_PATTERN, q.task_ids),
                            (REQUEST_ID_PATTERN, q.request_ids), (REGION_CODE_PATTERN, q.regions)):
        for hit in pattern.finditer(rest):
            value = hit.group(0)
            target.append(value.upper() if pattern in (TASK_ID_PATTERN, REQUEST_ID_PATTERN) else
                          value.lower() if pattern is REGION_CODE_PATTERN else value.rstrip(".,;"))
            rest = blank_out(rest, hit.start(), hit.end())
    q.amount_text = rest
    for hit in ISO_DAY_PATTERN.finditer(rest):
        try:
            q.days.append(date(int(hit.group(1)), int(hit.group(2)), int(hit.group(3))))
        except ValueError:
            continue
        rest = blank_out(rest, hit.start(), hit.end())
    for hit, dates in numeric_dates(rest):  # '03/10/2026': read only when its order is known (UK/US, day > 12)
        if len(dates) == 1:
            q.days.append(dates[0])
            rest = blank_out(rest, hit.start(), hit.end())
    for hit in ISO_MONTH_PATTERN.finditer(rest):
        rest = blank_out(rest, hit.start(), hit.end())
    for hit in ACCOUNT_ID_PATTERN.finditer(rest):
        q.accounts.append(hit.group(0))
        rest = blank_out(rest, hit.start(), hit.end())
    lowered = rest.lower()
    for alias, region in sorted(REGION_ALIASES.items(), key=lambda kv: -len(kv[0])):
        for hit in re.finditer(rf"\b{re.escape(alias)}\b(?![\s-]*\d)", lowered):
            if region not in q.regions:
                q.regions.append(region)
            rest = blank_out(rest, hit.start(), hit.end())
            lowered = rest.lower()
    rest = find_names(q, rest)
    rest = find_product_words(q, rest)
    rest = find_person_refs(q, rest)
    q.index = model_index(ctx.store)
    rest = find_models(q, rest)
    rest = find_unknown_names(q, rest)
    q.principal_names = PRINCIPAL_NAME_PATTERN.findall(rest)  # kept in the words too ('year-to-date')
    words = []
    for w in re.findall(r"[a-z0-9]+(?:'[a-z]+)?", rest.lower().replace("’", "'")):
        if w.endswith("'s"):
            w = w[:-2]
        elif w.endswith(("n't", "'d", "'m", "'re", "'ll", "'ve")):
            w = w.replace("'", "")
        words.append(canonical(w))
    q.words = words
    return q
