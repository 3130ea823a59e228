"""The words every answer shares: money, shares, days and months for people, group and principal names,
and the View (readable model names, who is asking). One rule for every door (tools.display)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from tools import display

SCOPE_WORDS = {"inference_only": "inference only", "agentic_read_only": "agentic read-only",
               "agentic_read_write": "agentic read-write"}
KIND_WORDS = {"input": "input", "output": "output", "cache_read": "cache reads", "cache_write": "cache writes"}


@dataclass(frozen=True)
class View:
    """What the renderer may know besides the result: readable model names, and who is asking
    (only to choose the next-step hint)."""

    labels: Mapping[str, str] = field(default_factory=dict)
    persona: str | None = None
    owned: tuple[str, ...] = ()

    def model(self, model: str | None) -> str:
        if not model:
            return "an unknown model"
        return self.labels.get(model, model)


# One rule for every door (tools.display); an answer says "no figure" where a table shows "-", and
# gives a change's direction in words, so shares are unsigned here.

def usd(v: float | None) -> str:
    return display.money(v, none="no figure")


def pct(fraction: float | None) -> str:
    return display.share(None if fraction is None else abs(fraction), none="no figure")


def times(v: float) -> str:
    return display.ratio(v)


def tokens(v: float | None) -> str:
    return display.tokens(v, none="no figure")


def day(d: date, *, year: bool = False) -> str:
    return display.day(d, year=year)


month_label = display.month


_IDENTIFIER = re.compile(r"[a-z][\w-]{2,}[.:/@][\w-]")


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    if not _IDENTIFIER.match(text):  # a model id, ARN or address is quoted as it is spelled
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?:" else text + "."


def and_more(count: int) -> list[str]:
    """The closing '- and N more.' line of a list cut short, or nothing when the list was whole."""
    return [f"- and {count} more."] if count > 0 else []


def principal_name(principal: str) -> str:
    """'role checkout-bedrock', 'user alice', or the ARN."""
    if principal == "unknown":
        return "usage with no principal in the CUR"
    tail = principal.rsplit(":", 1)[-1]
    kind, _, name = tail.partition("/")
    return f"{kind} {name.rsplit('/', 1)[-1]}" if name else principal


GROUP_NAMES = {"product": ("product", "products"), "portfolio": ("portfolio", "portfolios"),
               "department": ("department", "departments"), "business_unit": ("business unit", "business units"),
               "model": ("model", "models"), "model_family": ("model family", "model families"),
               "principal": ("principal", "principals"), "account": ("account", "accounts"),
               "region": ("region", "regions"), "kind": ("token kind", "token kinds"), "tier": ("tier", "tiers"),
               "day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months"),
               "attribution": ("attribution rule", "attribution rules")}


TIME_ADJECTIVES = {"day": "Daily", "week": "Weekly", "month": "Monthly"}


def group_key(by: str, key: str, view: View) -> str:
    """A group's name for people: the model's label, 'role x', 'cache reads', 'unattributed spend'."""
    if by == "model":
        return view.model(key)
    if by == "principal":
        return principal_name(key)
    if by == "kind":
        return KIND_WORDS.get(key, key)
    if key == "(unattributed)":
        return "unattributed spend"
    return key
