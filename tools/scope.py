"""Who sees what: scope as query parameters, and which product, node or account a caller means.

Every scoped query gets its clause and parameters from here, and every door or agent module that
needs to know what a caller may name asks here (no module elsewhere runs scope SQL of its own).
The rules: a FinOps Lead sees the whole org; a Cloud Engineer implements for every product (may name
any product, node or account, but sees no spend); Product Owners and Portfolio Managers see the nodes
at and under their roles, and the accounts those nodes own or their products' roles run in.
"""

from __future__ import annotations

from ledger.attribution import per_snapshot
from ledger.store import Store
from ledger.principals import account_of
from tools.caller import Caller, resolve_caller, subtree
from tools.context import ToolContext
from tools.errors import ScopeError, ToolError, UnknownCaller


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


def require_account(ctx: ToolContext, account: str) -> str:
    """An account id whose unattributed spend the caller sees (any account for a FinOps Lead)."""
    account = account.strip()
    if not (len(account) == 12 and account.isdigit()):
        raise ToolError(f"account '{account}' is not a 12-digit AWS account id, e.g. 111122223333")
    if not (ctx.caller.all_access or account in ctx.caller.accounts):
        raise ScopeError("account", account)
    return account


def product_of_role(ctx: ToolContext, principal: str) -> str | None:
    """The product that claimed a principal (an ARN, or a role or user name: its end), when the caller may
    name that product; None when no such claim or several products claim roles of that name."""
    name = principal.strip()
    rows = ctx.store.rows(
        "SELECT DISTINCT product FROM claims WHERE principal = ? OR suffix(principal, '/' || ?)", [name, name])
    products = [r[0] for r in rows if implements_everything(ctx.caller) or r[0] in ctx.caller.products]
    return products[0] if len(products) == 1 else None


def all_products(store: Store) -> list[str]:
    """Every product in the org, by name."""
    return list(per_snapshot(store, ("all_products",), lambda: tuple(
        r[0] for r in store.rows("SELECT name FROM org_nodes WHERE kind = 'product' ORDER BY name"))))


def implements_everything(caller: Caller) -> bool:
    """FinOps Leads and Cloud Engineers work on every product's implementation (policies, tasks)."""
    return caller.all_access or caller.has("cloud_engineer")


# What a caller reads in place of free text about products they cannot see.
WITHHELD = "[withheld: written about a product outside your scope]"


def text_about(caller: Caller, products: list[str] | set[str] | frozenset[str], text: str | None) -> str | None:
    """Free text (a rationale, reason or note) written about these products, for this caller: as written
    when it concerns no product in particular or one the caller sees (everything, for those who implement
    for every product); otherwise withheld, as the product's name is."""
    if text is None or not products or implements_everything(caller):
        return text
    return text if any(caller.sees_product(p) for p in products) else WITHHELD


def match_name(name: str, options: list[str] | set[str] | frozenset[str]) -> str | None:
    """The option that is `name` regardless of case and surrounding blanks, else None."""
    wanted = name.strip().casefold()
    return next((o for o in sorted(options) if o.casefold() == wanted), None)


def visible_product(caller: Caller, name: str) -> str | None:
    """The canonical name of a product whose spend the caller sees, else None (says nothing more)."""
    return match_name(name, caller.products)


def require_product(ctx: ToolContext, name: str) -> str:
    """The product's canonical name if the caller sees it; else a scope error that reveals nothing."""
    caller = ctx.caller
    if caller.all_access:
        return _any_product(ctx.store, name)
    found = visible_product(caller, name)
    if found is None:
        raise ScopeError("product", name)
    return found


def _any_product(store: Store, name: str) -> str:
    every = all_products(store)
    found = match_name(name, every)
    if found is None:
        raise ToolError(f"there is no product named '{name}'. Products: {', '.join(every)}")
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


def owned_product(ctx: ToolContext, name: str | None, *, lead_ok: bool = False) -> str:
    """A product the caller is Product Owner of (any product for a FinOps Lead when lead_ok)."""
    caller = ctx.caller
    if lead_ok and caller.all_access:
        if not name:
            raise ToolError("name the product")
        return require_product(ctx, name)
    owned = sorted(caller.owned_products)
    if not name:
        if len(owned) == 1:
            return owned[0]
        if not owned:
            raise ToolError("you are not the Product Owner of any product")
        raise ToolError(f"which product? You own {len(owned)}: {', '.join(owned)}")
    found = match_name(name, owned)
    if found is not None:
        return found
    seen = visible_product(caller, name)
    if seen is not None:
        raise ToolError(f"you can see {seen} but are not its Product Owner; ask its Product Owner")
    raise ScopeError("product", name)


def policy_products(ctx: ToolContext) -> list[str]:
    """Products whose generated IAM policies the caller may read: every one for a FinOps Lead or a
    Cloud Engineer, their own for a Product Owner."""
    if implements_everything(ctx.caller):
        return all_products(ctx.store)
    return sorted(ctx.caller.owned_products)


def require_policy_product(ctx: ToolContext, name: str) -> str:
    """A product whose IAM policies the caller may read; a scope error that reveals nothing otherwise."""
    if implements_everything(ctx.caller):
        return _any_product(ctx.store, name)
    product = require_product(ctx, name)
    if product not in ctx.caller.owned_products:
        raise ScopeError("product", name)
    return product


def require_node(ctx: ToolContext, kind: str, name: str) -> str:
    """A portfolio, department or business unit the caller sees (any of them for a FinOps Lead)."""
    rows = ctx.store.rows("SELECT name FROM org_nodes WHERE kind = ? ORDER BY name", [kind])
    every = [r[0] for r in rows]
    label = kind.replace("_", " ")
    if ctx.caller.all_access:
        found = match_name(name, every)
        if found is None:
            raise ToolError(f"there is no {label} named '{name}'. {label.capitalize()}s: {', '.join(every)}")
        return found
    found = match_name(name, [n for n in every if n in ctx.caller.nodes])
    if found is None:
        raise ScopeError(label, name)
    return found


def nameable_nodes(ctx: ToolContext) -> list[tuple[str, str]]:
    """(name, kind) of the org nodes a caller may name in a question: their own nodes and products,
    every node for those who implement for every product."""
    c = ctx.caller
    rows = ctx.store.rows("SELECT name, kind FROM org_nodes ORDER BY name")
    return [(n, k) for n, k in rows if implements_everything(c) or n in c.nodes or n in c.products]


def nameable_accounts(ctx: ToolContext) -> list[tuple[str, str]]:
    """(account id, name) of the named accounts a caller may name in a question."""
    c = ctx.caller
    rows = ctx.store.rows("SELECT account_id, name FROM accounts WHERE name IS NOT NULL ORDER BY account_id")
    return [(a, n) for a, n in rows if c.sees_account(a) or c.has("cloud_engineer")]


def claim_accounts(ctx: ToolContext) -> frozenset[str]:
    """Accounts in which a Product Owner may claim principals directly: those owned by a node at or under
    one of their products' department, portfolio or business unit, and those their products' claimed
    principals already run in. (A FinOps Lead claims anywhere; this is the Product Owner's rule.)"""
    owned = sorted(ctx.caller.owned_products)
    if not owned:
        return frozenset()
    rows = ctx.store.rows("SELECT name, parent, kind FROM org_nodes")
    parent = {n: p for n, p, _ in rows}
    kind = {n: k for n, _, k in rows}
    ancestors: set[str] = set()
    for product in owned:
        node = parent.get(product)
        while node is not None and node not in ancestors:
            if kind.get(node) in ("department", "portfolio", "business_unit"):
                ancestors.add(node)
            node = parent.get(node)
    nodes, _ = subtree(ctx.store, sorted(ancestors | set(owned)))
    accounts = {a for a, owner in ctx.store.rows("SELECT account_id, owner_node FROM accounts") if owner in nodes}
    running = {account_of(p) for (p,) in ctx.store.rows(
        "SELECT principal FROM claims WHERE list_contains(?::VARCHAR[], product)", [owned])}
    return frozenset(accounts | {a for a in running if a})



def _people_named(store: Store, name: str) -> list[tuple[str, str | None]]:
    """(email, name) of the people a name means: their email, full name, first name or email's local part."""
    wanted = name.strip().casefold()
    rows = store.rows("SELECT email, name FROM people ORDER BY position")
    return [(e, n) for e, n in rows if wanted in {e.casefold(), e.split("@")[0].casefold(),
                                                   (n or "").casefold(), (n or "").split(" ")[0].casefold()}]


def person_products(ctx: ToolContext, name: str) -> list[str]:
    """The products of a person named ('Lena', 'lena@example.com'): those they are Product Owner of, else
    those under their roles; only the ones the caller sees. A person the caller shares no product with is
    a scope error, the same as a name that is nobody's."""
    visible: dict[str, list[str]] = {}
    for email, _ in _people_named(ctx.store, name):
        try:
            person = resolve_caller(ctx.store, email)
        except UnknownCaller:  # in the registry without a role: no products
            continue
        theirs = person.owned_products or (frozenset() if person.all_access else person.products)
        seen = sorted(p for p in theirs if ctx.caller.sees_product(p))
        if seen:
            visible[email] = seen
    if not visible:
        if ctx.caller.all_access:
            raise ToolError(f"nobody named '{name}' owns a product; name a person by their name or email")
        raise ScopeError("person", name, own="products")
    if len(visible) > 1:
        raise ToolError(f"'{name}' names {len(visible)} people: {', '.join(sorted(visible))}; give the email")
    return next(iter(visible.values()))
