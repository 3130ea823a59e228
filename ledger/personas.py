"""The four personas: their ids as the org file spells them, their names for people, their precedence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Persona = Literal["product_owner", "portfolio_manager", "finops_lead", "cloud_engineer"]
PERSONAS: tuple[str, ...] = ("product_owner", "portfolio_manager", "finops_lead", "cloud_engineer")
# The persona a person with several acts as first (audit entries, next-step hints): the widest scope first.
PRECEDENCE: tuple[str, ...] = ("finops_lead", "portfolio_manager", "product_owner", "cloud_engineer")
NAMES: dict[str, str] = {"product_owner": "Product Owner", "portfolio_manager": "Portfolio Manager",
                         "finops_lead": "FinOps Lead", "cloud_engineer": "Cloud Engineer"}


def persona_name(persona: str) -> str:
    """'finops_lead' -> 'FinOps Lead' (an unknown id is shown with spaces)."""
    return NAMES.get(persona, persona.replace("_", " "))


def persona_names(personas: Iterable[str], joiner: str = " and ") -> str:
    """Several personas for people, in a stable order: 'Product Owner and Portfolio Manager'."""
    return joiner.join(persona_name(p) for p in sorted(personas))
