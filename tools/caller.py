"""The Caller: who is asking and what they may see, resolved once by the front door."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ledger import registry
from ledger.personas import PRECEDENCE
from ledger.principals import account_of
from ledger.store import Store
from tools.errors import NotAllowed, UnknownCaller



class Caller(BaseModel):
    """Identity and scope. Built from the registry, never from tool arguments or model output."""

    model_config = ConfigDict(frozen=True)

    email: str
    name: str | None = None
    personas: frozenset[str]
    all_access: bool = False              # FinOps Lead: the whole org
    products: frozenset[str] = frozenset()  # products whose spend this caller sees
    owned_products: frozenset[str] = frozenset()  # products this caller is Product Owner of
    nodes: frozenset[str] = frozenset()   # hierarchy nodes at or below the caller's roles
    accounts: frozenset[str] = frozenset()  # accounts whose unattributed spend this caller sees
    work_accounts: frozenset[str] = frozenset()  # accounts their products' claimed roles run in
    channel: str = "cli"                  # the front door that authenticated the caller

    @property
    def display(self) -> str:
        return self.name or self.email

    def has(self, persona: str) -> bool:
        return persona in self.personas

    def sees_product(self, product: str) -> bool:
        return self.all_access or product in self.products

    def sees_account(self, account_id: str) -> bool:
        """Whether an account id may appear in an answer to this caller."""
        return self.all_access or account_id in self.accounts or account_id in self.work_accounts

    @property
    def primary_persona(self) -> str:
        for p in PRECEDENCE:
            if p in self.personas:
                return p
        return next(iter(self.personas), "none")


def subtree(store: Store, roots: list[str]) -> tuple[set[str], set[str]]:
    """Nodes and products at or below the given nodes."""
    rows = store.rows("SELECT name, parent, kind FROM org_nodes")
    children: dict[str, list[str]] = {}
    kinds = {n: k for n, _, k in rows}
    for n, parent, _ in rows:
        if parent is not None:
            children.setdefault(parent, []).append(n)
    nodes: set[str] = set()
    stack = [r for r in roots if r in kinds]
    while stack:
        n = stack.pop()
        if n not in nodes:
            nodes.add(n)
            stack += children.get(n, [])
    return nodes, {n for n in nodes if kinds[n] == "product"}


def resolve_caller(store: Store, email: str, *, channel: str = "cli") -> Caller:
    person = registry.person(store, email)
    if person is None or not person.roles:
        raise UnknownCaller(email)
    personas = frozenset(r.persona for r in person.roles)
    if "finops_lead" in personas:
        everything = [r[0] for r in store.rows("SELECT name FROM org_nodes")]
        nodes, products = subtree(store, everything)
        accounts = {r[0] for r in store.rows("SELECT account_id FROM accounts")}
        return Caller(email=person.email, name=person.name, personas=personas, all_access=True,
                      products=frozenset(products), owned_products=frozenset(), nodes=frozenset(nodes),
                      accounts=frozenset(accounts), channel=channel)
    roots = [name for r in person.roles if r.persona in ("product_owner", "portfolio_manager")
             for _, name in r.scope()]
    nodes, products = subtree(store, roots)
    owned = {p for r in person.roles if r.persona == "product_owner" for p in r.products}
    # Unattributed spend in an account is visible to its owning node's people and those above.
    accounts = {a for a, owner in store.rows("SELECT account_id, owner_node FROM accounts") if owner in nodes}
    work = {account_of(p) for (p,) in store.rows(
        "SELECT principal FROM claims WHERE list_contains(?::VARCHAR[], product)", [sorted(products)])}
    return Caller(email=person.email, name=person.name, personas=personas, products=frozenset(products),
                  owned_products=frozenset(owned), nodes=frozenset(nodes), accounts=frozenset(accounts),
                  work_accounts=frozenset(a for a in work if a), channel=channel)


def authorise(store: Store, actor: str, *, action: str, for_email: str | None = None) -> Caller:
    """The one check for a write made outside the tools (CLI, MCP administration): the actor must be a
    person in the registry, and a FinOps Lead unless the write is for themselves (`for_email`)."""
    own = for_email is not None and actor.strip().casefold() == for_email.strip().casefold()
    try:
        caller = resolve_caller(store, actor)
    except UnknownCaller:
        if own:
            raise
        caller = None
    if own or (caller is not None and caller.has("finops_lead")):
        return caller  # type: ignore[return-value]
    raise NotAllowed(f"{actor} is not a FinOps Lead: only a FinOps Lead may {action} "
                     "(say who you are with --as EMAIL)")

