"""Registry queries: the hierarchy, people and personas, claims and the model catalog in the store.

The org file is the whole truth for these tables: it is read by ledger.org_file, checked by
ledger.org_checks, applied by ledger.org_apply and exported by ledger.org_export.
"""

from __future__ import annotations

from typing import Any

from ledger.org_schema import NODE_KINDS, ROLE_SCOPE_FIELDS, Claim, ModelEntry, Person, Role
from ledger.principals import normalise_principal
from ledger.schema import REGISTRY_TABLES
from ledger.store import Store

def people_where(store: Store, where_sql: str = "", params: list[Any] | None = None) -> list[Person]:
    """People (with their roles) matching a WHERE clause on `people`, in file order."""
    people = store.rows(
        f"SELECT email, name, slack_id FROM people {where_sql} ORDER BY position", params or []
    )
    if not people:
        return []
    emails = [p[0] for p in people]
    roles = store.rows(
        "SELECT email, role_index, persona, node_kind, node_name FROM person_roles "
        "WHERE list_contains(?::VARCHAR[], email) "
        "ORDER BY email, role_index, node_kind, scope_index",
        [emails],
    )
    by_person: dict[str, dict[int, dict[str, Any]]] = {}
    for email, idx, persona, node_kind, node_name in roles:
        r = by_person.setdefault(email, {}).setdefault(
            idx, {"persona": persona, **{f: [] for f in ROLE_SCOPE_FIELDS}}
        )
        if node_kind is not None:
            field = {k: f for f, k in ROLE_SCOPE_FIELDS.items()}[node_kind]
            r[field].append(node_name)
    out = []
    for email, name, slack_id in people:
        rs = by_person.get(email, {})
        out.append(Person(email=email, name=name, slack_id=slack_id,
                          roles=[Role(**rs[i]) for i in sorted(rs)]))
    return out


MODEL_SELECT = (
    "SELECT model_id, state, products, accounts, regions, action_scope, rationale, decided_by, "
    "decided_on FROM model_catalog"
)


def model_from_row(r: tuple) -> ModelEntry:
    """A catalog entry from a MODEL_SELECT row."""
    mid, state, products, accounts, regions, scope, rationale, by, on = r
    return ModelEntry(id=mid, state=state, products=products or [], accounts=accounts or [],
                      regions=regions or [], action_scope=scope, rationale=rationale,
                      decided_by=by, decided_on=on)


def _nodes(store: Store) -> dict[str, tuple[str, str | None]]:
    """name -> (kind, parent) for every node of the hierarchy."""
    return {name: (kind, parent) for kind, name, parent in
            store.rows("SELECT kind, name, parent FROM org_nodes")}


def node_path(store: Store, name: str) -> dict[str, Any] | None:
    """Where a node sits: {kind, name, ancestors: [{kind, name}, ...] root first, and one key
    per level (business_unit, portfolio, department, product) up to the node}. None if unknown."""
    nodes = _nodes(store)
    if name not in nodes:
        return None
    kind = nodes[name][0]
    chain: list[dict[str, str]] = []
    parent = nodes[name][1]
    while parent is not None and parent in nodes:
        chain.insert(0, {"kind": nodes[parent][0], "name": parent})
        parent = nodes[parent][1]
    out: dict[str, Any] = {"kind": kind, "name": name, "ancestors": chain}
    for level in chain + [{"kind": kind, "name": name}]:
        out[level["kind"]] = level["name"]
    return out


def products_under(store: Store, kind: str | None, name: str) -> list[str]:
    """Products at or below a node, in file order. `kind` must match the node's kind (None: any).
    Unknown node or kind mismatch: []."""
    if kind is not None and kind not in NODE_KINDS:
        raise ValueError(f"{kind!r} is not one of {', '.join(NODE_KINDS)}")
    rows = store.rows("SELECT kind, name, parent FROM org_nodes ORDER BY position, name")
    kinds = {n: k for k, n, _ in rows}
    if name not in kinds or (kind is not None and kinds[name] != kind):
        return []
    children: dict[str, list[str]] = {}
    for _, n, parent in rows:
        if parent is not None:
            children.setdefault(parent, []).append(n)
    out: list[str] = []

    def walk(n: str) -> None:
        if kinds[n] == "product":
            out.append(n)
        for c in children.get(n, []):
            walk(c)

    walk(name)
    return out


def person(store: Store, email: str) -> Person | None:
    """The person with this email (any case), or None."""
    found = people_where(store, "WHERE email = ?", [email.strip().lower()])
    return found[0] if found else None


def person_by_slack_id(store: Store, slack_id: str) -> Person | None:
    """The person with this Slack user id, or None."""
    found = people_where(store, "WHERE slack_id = ?", [slack_id.strip()])
    return found[0] if found else None


def people_with_persona(store: Store, persona: str) -> list[Person]:
    """Everyone with a role of this persona, in file order."""
    return people_where(
        store, "WHERE email IN (SELECT email FROM person_roles WHERE persona = ?)", [persona])


CLAIM_SELECT = "SELECT principal, product, claimed_by, claimed_on, note FROM claims"


def claim_from_row(r: tuple) -> Claim:
    """A claim from a CLAIM_SELECT row."""
    return Claim(principal=r[0], product=r[1], claimed_by=r[2], claimed_on=r[3], note=r[4])


def claims_for(store: Store, product: str) -> list[Claim]:
    """The claims of a product, in file order."""
    return [claim_from_row(r) for r in store.rows(CLAIM_SELECT + " WHERE product = ? ORDER BY position",
                                          [product])]


def claim_for_principal(store: Store, principal: str) -> Claim | None:
    """The claim on a principal (an assumed-role session ARN is normalised first), or None."""
    rows = store.rows(CLAIM_SELECT + " WHERE principal = ?", [normalise_principal(principal)])
    return claim_from_row(rows[0]) if rows else None


def model_entries(store: Store) -> list[ModelEntry]:
    """Every catalog entry, in file order."""
    return [model_from_row(r) for r in store.rows(MODEL_SELECT + " ORDER BY position")]


def model_entry(store: Store, model_id: str) -> ModelEntry | None:
    """The catalog entry of a model id, or None."""
    rows = store.rows(MODEL_SELECT + " WHERE model_id = ?", [model_id])
    return model_from_row(rows[0]) if rows else None


def registry_dump(store: Store) -> dict[str, list[tuple]]:
    """Every registry table's rows in a stable order (for comparing states, e.g. in tests)."""
    return {t: store.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in REGISTRY_TABLES}
