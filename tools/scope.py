"""Scope as query parameters. Every scoped query gets its clause and parameters from here."""

from __future__ import annotations

from tools.caller import Caller
from tools.context import ToolContext
from tools.errors import ScopeError, ToolError


def product_clause(caller: Caller, col: str = "product") -> tuple[str, list]:
    """SQL that keeps rows of the caller's products (attributed spend only for non-leads)."""
    if caller.all_access:
        return "TRUE", []
    return f"list_contains(?::VARCHAR[], {col})", [sorted(caller.products)]


def account_clause(caller: Caller, col: str = "account_id") -> tuple[str, list]:
    """SQL that keeps rows in accounts whose unattributed spend the caller may see."""
    if caller.all_access:
        return "TRUE", []
    return f"list_contains(?::VARCHAR[], {col})", [sorted(caller.accounts)]


def _match(name: str, options: list[str]) -> str | None:
    wanted = name.strip().casefold()
    for option in options:
        if option.casefold() == wanted:
            return option
    return None


def require_product(ctx: ToolContext, name: str) -> str:
    """The product's canonical name if the caller sees it; else a scope error that reveals nothing."""
    caller = ctx.caller
    if caller.all_access:
        every = [r[0] for r in ctx.store.rows("SELECT name FROM org_nodes WHERE kind = 'product' ORDER BY name")]
        found = _match(name, every)
        if found is None:
            raise ToolError(f"there is no product named '{name}'. Products: {', '.join(every)}")
        return found
    found = _match(name, sorted(caller.products))
    if found is None:
        raise ScopeError("product", name)
    return found


def default_product(ctx: ToolContext, name: str | None) -> str:
    """The named product, or the caller's only product when none is named."""
    if name:
        return require_product(ctx, name)
    own = sorted(ctx.caller.owned_products or ctx.caller.products)
    if len(own) == 1:
        return own[0]
    if not own:
        raise ToolError("name a product: you have no products of your own")
    raise ToolError(f"which product? You have {len(own)}: {', '.join(own)}")


def require_node(ctx: ToolContext, kind: str, name: str) -> str:
    """A portfolio, department or business unit the caller sees (any of them for a FinOps Lead)."""
    rows = ctx.store.rows("SELECT name FROM org_nodes WHERE kind = ? ORDER BY name", [kind])
    every = [r[0] for r in rows]
    label = kind.replace("_", " ")
    if ctx.caller.all_access:
        found = _match(name, every)
        if found is None:
            raise ToolError(f"there is no {label} named '{name}'. {label.capitalize()}s: {', '.join(every)}")
        return found
    found = _match(name, [n for n in every if n in ctx.caller.nodes])
    if found is None:
        raise ScopeError(label, name)
    return found
