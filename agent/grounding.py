"""The grounding guard: every figure in a model-written answer must come from a tool result.

    check(text, facts, question=...) -> Grounding(grounded, figures, ungrounded)

The rule
- A *figure* is a number written with a money sign ($12, US$12, 12 USD), a unit (18%, 3.6x, 1.2M,
  4K, 2 million), a decimal point (4.25), or any integer of 100 or more (1,500 requests).
- Not figures: dates and months (2026-11-21, 2026-11, 21 Nov 2026, Nov 1-20, November 2026, the
  1st), bare years 1990-2100, times (09:30), integers below 100 without a unit (day counts,
  'top 5', '3 products'), durations ('365 days'), and digits inside names and identifiers
  (us-east-1, T-000012, v1:0, Llama3-70B, 'Claude Opus 4.6': a model family word followed by a
  version, or any name passed in `names` or written in a tool result).
- 12-digit account ids are identifiers, not figures: they must appear in a tool result or the
  question, as written.
- A figure is *grounded* when a number in the tool results or arguments (including numbers written
  inside result strings such as a tool's summary) or in the question equals it within the figure's
  displayed precision: half a unit of the last digit shown ($1,234.56 ~ 1234.5612; 2.0x ~ 1.98);
  an integer's trailing zeros count as rounding, to at most two significant figures ($420 ~ 420.6,
  $14,200 ~ 14,236); K / M / B scale that unit (1.2M tokens ~ 1,234,567); a percentage matches a
  fraction or a percentage (18% ~ 0.1834 or 18.3); signs are ignored ('down 12%' ~ -0.12).
  Sums or ratios the model worked out itself are not grounded: the tools report the figures an
  answer needs.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.answer import Fact

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_RANGE = rf"{_DAY}(?:\s*(?:[-\u2013\u2014]|to|and)\s*{_DAY})?"
_DATES = re.compile(
    rf"""\b\d{{4}}-\d{{2}}(?:-\d{{2}})?(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?)?\b   # ISO
       | \b{_RANGE}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?\b        # 1-20 Nov 2026
       | \b{_MONTH}\s+{_RANGE}(?:,?\s+\d{{4}})?\b                  # Nov 1-20, 2026
       | \b{_MONTH}\s+\d{{4}}\b                                    # November 2026
       | \b\d{{1,2}}:\d{{2}}(?::\d{{2}})?\b                        # 09:30
       | \b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b                         # 11/21/2026
    """, re.IGNORECASE | re.VERBOSE)
# A model family word followed by a version or size: 'Opus 4.6', 'Claude 3', 'Llama 3.1 405B'.
_MODEL_WORDS = ("claude|opus|sonnet|haiku|llama|nova|titan|mistral|mixtral|pixtral|ministral|gpt|gpt-oss"
                "|deepseek|qwen|jamba|gemma|palmyra|kimi|cohere|embed")
_VERSIONS = re.compile(rf"\b(?:{_MODEL_WORDS})\b(?:[\s\-]*(?:v?\d+(?:\.\d+)*[bkm]?\b|instruct\b|vision\b|"
                       r"mini\b|large\b|small\b|medium\b|pro\b|lite\b|micro\b|premier\b))+", re.IGNORECASE)
_ACCOUNT = re.compile(r"(?<![\w\-])\d{12}(?![\w\-])")
_NUMBER = re.compile(
    r"""(?<![\w.\-/:#@$])
        (?P<cur>\$|US\$|USD\s?)?
        (?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?
        (?:\s?(?P<unit>%|percent\b|pct\b|x(?!\w)|\u00d7|[kmb](?!\w)|bn\b|thousand\b|million\b|billion\b))?
        (?P<usd>\s?(?:usd|dollars)\b)?
        (?![\w\-/:]|\.\d)
    """, re.IGNORECASE | re.VERBOSE)
_DURATION = re.compile(r"\s*(?:days?|weeks?|months?|years?|hours?|minutes?|seconds?)\b", re.IGNORECASE)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}


@dataclass(frozen=True)
class Figure:
    text: str
    value: float      # in the figure's own terms: 18% -> 18.0 with percent=True
    precision: float  # the unit of the last digit shown, scaled
    percent: bool = False


@dataclass
class Grounding:
    grounded: bool
    figures: list[str] = field(default_factory=list)
    ungrounded: list[str] = field(default_factory=list)


def _precision(int_part: str, frac: str | None, scale: float) -> float:
    if frac:
        return 10.0 ** -(len(frac) - 1) * scale
    digits = int_part.replace(",", "")
    zeros = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
    return 10.0 ** min(zeros, max(len(digits) - 2, 0)) * scale


def _mask(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def figures(text: str, *, names: Iterable[str] = (), exempt: bool = True) -> list[Figure]:
    """The figures in `text` (see the module rule). exempt=False keeps every number (for reading
    numbers out of tool-result strings)."""
    masked = text
    for name in sorted({n for n in names if n and len(n) >= 3}, key=len, reverse=True):
        masked = re.sub(re.escape(name), lambda m: " " * len(m.group(0)), masked, flags=re.IGNORECASE)
    masked = _mask(masked, _DATES)
    masked = _mask(masked, _VERSIONS)
    masked = _mask(masked, _ACCOUNT)
    out: list[Figure] = []
    for m in _NUMBER.finditer(masked):
        cur, int_part, frac, unit = m.group("cur"), m.group("int"), m.group("frac"), (m.group("unit") or "")
        unit = unit.strip().lower()
        base = float(int_part.replace(",", "") + (frac or ""))
        money = bool(cur or m.group("usd"))
        if exempt and not money and not unit and not frac:
            if base < 100 or ("," not in int_part and 1990 <= base <= 2100):
                continue
            if _DURATION.match(masked, m.end()):
                continue
        scale = _SCALE.get(unit, 1.0)
        percent = unit in ("%", "percent", "pct")
        out.append(Figure(text=m.group(0).strip(), value=base * scale,
                          precision=_precision(int_part, frac, scale), percent=percent))
    return out


class _Values:
    """Every number the facts and the question offer, sorted for range lookups."""

    def __init__(self) -> None:
        self._items: list[float] = []
        self.strings: list[str] = []

    def add(self, v: float) -> None:
        if math.isfinite(v):
            self._items.append(abs(v))

    def walk(self, value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            self.add(float(value))
        elif isinstance(value, str):
            self.strings.append(value)
            for f in figures(value, exempt=False):
                self.add(f.value / 100 if f.percent else f.value)
                if f.percent:
                    self.add(f.value)
        elif isinstance(value, dict):
            for v in value.values():
                self.walk(v)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for v in value:
                self.walk(v)

    def freeze(self) -> None:
        self._items.sort()

    def near(self, value: float, tolerance: float) -> bool:
        i = bisect.bisect_left(self._items, abs(value) - tolerance)
        return i < len(self._items) and self._items[i] <= abs(value) + tolerance


def _grounded(f: Figure, values: _Values) -> bool:
    slack = 1e-9 * max(1.0, abs(f.value))
    half = f.precision / 2 + slack
    if f.percent:
        return values.near(f.value / 100, half / 100 + slack) or values.near(f.value, half)
    return values.near(f.value, half)


def fact_strings(facts: Iterable[Fact]) -> list[str]:
    """Strings in the facts that may contain digits as part of a name (masked before checking)."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if len(value) >= 3 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    for fact in facts:
        walk(fact.args)
        walk(fact.result)
    return out


def check(text: str, facts: Iterable[Fact], *, question: str = "", names: Iterable[str] = ()) -> Grounding:
    """Whether every figure in `text` comes from the facts (or the question); see the module rule."""
    facts = list(facts)
    values = _Values()
    for fact in facts:
        values.walk(fact.args)
        values.walk(fact.result)
    values.walk(question)
    values.freeze()
    masked_names = [*names, *fact_strings(facts)]
    found = figures(text, names=masked_names)
    ungrounded = [f.text for f in found if not _grounded(f, values)]
    known_text = " ".join([question, *values.strings])
    for m in _ACCOUNT.finditer(text):
        if m.group(0) not in known_text:
            ungrounded.append(m.group(0))
    return Grounding(grounded=not ungrounded, figures=[f.text for f in found], ungrounded=ungrounded)
