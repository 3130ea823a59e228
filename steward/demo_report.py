"""What `steward demo` shows: a few people of each persona ask Steward their usual question, and
the answers are printed as each of them would get them (scoped to them, from the offline planner)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from agent.config import AgentConfig
from agent.service import ask
from ledger import registry
from ledger.personas import persona_name
from ledger.store import Store
from steward.settings import Settings
from steward.wiring import tool_context



def _questions(persona: str, products: list[str]) -> list[str]:
    if persona == "product_owner":
        product = products[0] if products else ""
        return [f"Am I within my estimate this month for {product}?"]
    if persona == "portfolio_manager":
        return ["Which of my products spends most on Bedrock?", "What spend is unattributed?"]
    if persona == "finops_lead":
        return ["Are we using any Bedrock models we haven't approved?", "What does a unit of value cost us this month?"]
    return ["Which models are approved?", "What do I need to implement?"]


def print_report(console: Console, store: Store, settings: Settings, config: AgentConfig,
                 per_persona: dict[str, int] | None = None) -> None:
    limits = per_persona or {"product_owner": 3, "portfolio_manager": 2, "finops_lead": 1, "cloud_engineer": 1}
    console.rule("What Steward tells each persona")
    for persona, limit in limits.items():
        for person in registry.people_with_persona(store, persona)[:limit]:
            ctx = tool_context(settings, store, person.email, channel="cli")
            owned = sorted(ctx.caller.owned_products)
            blocks: list = []
            for question in _questions(persona, owned):
                answer = ask(ctx, question, config=config)
                blocks += [Text(f"> {question}", style="bold cyan"), Text(answer.text), Text("")]
            if blocks and answer.freshness:
                blocks[-1] = Text(f"({answer.freshness})", style="dim")
            title = f"{persona_name(persona)} {person.name or person.email} <{person.email}>"
            console.print(Panel(Group(*blocks), title=title, title_align="left"))
