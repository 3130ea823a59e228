"""`org apply`: make the registry exactly the org file's content in one audited transaction."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from ledger import audit
from ledger.attribution import selector_claim_row
from ledger.errors import RegistryError
from ledger.org_checks import check_claims_against_usage, cross_check
from ledger.org_errors import raise_errors
from ledger.org_export import org_sha256, read_org
from ledger.org_schema import PERSONAS, ROLE_SCOPE_FIELDS, OrgFile
from ledger.schema import REGISTRY_TABLES
from ledger.store import Store

class SectionChange(BaseModel):
    """What changed in one section of the org file."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    reordered: bool = False
    added_keys: list[str] = []
    removed_keys: list[str] = []
    changed_keys: list[str] = []

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.reordered)


class ApplySummary(BaseModel):
    """The outcome of `org apply`: counts per section, the content hashes and what changed."""

    source: str
    business_units: int
    portfolios: int
    departments: int
    products: int
    accounts: int
    people: int
    roles: int
    claims: int
    estimates: int
    models: int
    model_names: int
    changed: bool
    sha256: str
    previous_sha256: str
    changes: dict[str, SectionChange]
    audit_seq: int

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in _COUNT_KEYS}

    def describe(self) -> str:
        """One line per section that changed, or that nothing changed."""
        if not self.changed:
            return "No change: the registry already matches the file."
        lines = []
        for section, ch in self.changes.items():
            if ch.any:
                bits = [f"{n} {label}" for n, label in
                        ((ch.added, "added"), (ch.removed, "removed"), (ch.changed, "changed")) if n]
                if ch.reordered:
                    bits.append("reordered")
                lines.append(f"{section}: {', '.join(bits)}")
        return "\n".join(lines)


_COUNT_KEYS = ("business_units", "portfolios", "departments", "products", "accounts", "people",
               "roles", "claims", "estimates", "models", "model_names")
_KEYS_CAP = 50


def _counts(org: OrgFile) -> dict[str, int]:
    kinds = [k for k, _, _, _ in org.nodes()]
    return {
        "business_units": kinds.count("business_unit"),
        "portfolios": kinds.count("portfolio"),
        "departments": kinds.count("department"),
        "products": kinds.count("product"),
        "accounts": len(org.accounts),
        "people": len(org.people),
        "roles": sum(len(p.roles) for p in org.people),
        "claims": len(org.claims),
        "estimates": len(org.estimates),
        "models": len(org.models),
        "model_names": len(org.model_names),
    }


def _keyed(org: OrgFile) -> dict[str, list[tuple[str, Any]]]:
    return {
        "hierarchy": [(name, (kind, parent)) for kind, name, parent, _ in org.nodes()],
        "accounts": [(a.id, a.model_dump()) for a in org.accounts],
        "people": [(p.email, p.model_dump()) for p in org.people],
        "claims": [(c.rule, c.model_dump()) for c in org.claims],
        "estimates": [(f"{e.product} {e.month}", e.model_dump()) for e in org.estimates],
        "models": [(m.id, m.model_dump()) for m in org.models],
        "model_names": [(n.billing_name, n.model_dump()) for n in org.model_names],
    }


def diff_orgs(old: OrgFile, new: OrgFile) -> dict[str, SectionChange]:
    """What changes per section when `new` replaces `old` (keys: names, ids, emails...)."""
    out: dict[str, SectionChange] = {}
    old_k, new_k = _keyed(old), _keyed(new)
    for section in old_k:
        o, n = dict(old_k[section]), dict(new_k[section])
        added = [k for k, _ in new_k[section] if k not in o]
        removed = [k for k, _ in old_k[section] if k not in n]
        changed = [k for k, v in new_k[section] if k in o and o[k] != v]
        common_old = [k for k, _ in old_k[section] if k in n]
        common_new = [k for k, _ in new_k[section] if k in o]
        out[section] = SectionChange(
            added=len(added), removed=len(removed), changed=len(changed),
            reordered=common_old != common_new,
            added_keys=added[:_KEYS_CAP], removed_keys=removed[:_KEYS_CAP],
            changed_keys=changed[:_KEYS_CAP],
        )
    return out


def _utc_naive(now: datetime | None) -> datetime:
    """now (or the current time) as naive UTC, as the store keeps timestamps."""
    if now is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if now.tzinfo is not None:
        return now.astimezone(timezone.utc).replace(tzinfo=None)
    return now


def apply_org(
    store: Store,
    org: OrgFile,
    *,
    actor: str,
    now: datetime | None = None,
    why: str | None = None,
    persona: str | None = None,
) -> ApplySummary:
    """Make the registry exactly the file's content, in one transaction, and audit it.

    Claims are checked against `bedrock_usage` first; on any error nothing changes. Estimates
    keep their `set_by`/`set_at` when their values did not change, so re-applying the same file
    leaves every table identical.
    """
    if not actor or not actor.strip():
        raise RegistryError("actor", "apply needs an actor (who applies the file)")
    if persona is not None and persona not in PERSONAS:
        raise RegistryError("persona", f"{persona!r} is not one of {', '.join(PERSONAS)}")
    at = _utc_naive(now)
    raise_errors(cross_check(org))  # in case the OrgFile was built in code rather than parsed
    check_claims_against_usage(store, org)
    new_sha = org_sha256(org)
    counts = _counts(org)

    with store.transaction() as con:
        old = read_org(store)
        old_sha = org_sha256(old)
        changes = diff_orgs(old, org)
        rows = _table_rows(org, _estimate_stamps(store), actor, at)
        for table in REGISTRY_TABLES:
            con.execute(f"DELETE FROM {table}")
            _insert(con, table, rows[table])
        changed = new_sha != old_sha
        entry = audit.append(
            store, actor=actor, persona=persona, action="org.apply", subject=org.source, why=why, at=at,
            details={"sha256": new_sha, "previous_sha256": old_sha, "changed": changed, "counts": counts,
                     "changes": {s: ch.model_dump() for s, ch in changes.items()}},
        )
    return ApplySummary(source=org.source, **counts, changed=changed, sha256=new_sha,
                        previous_sha256=old_sha, changes=changes, audit_seq=entry.seq)


_EstimateStamps = dict[tuple[str, str], tuple[tuple[Any, ...], tuple[Any, Any]]]


def _estimate_stamps(store: Store) -> _EstimateStamps:
    """(product, month) -> ((usd, input_tokens, output_tokens, unit, usd_per_unit), (set_by, set_at)) in the
    registry now."""
    return {
        (p, m): ((u, i, o, unit, per_unit), (by, set_at))
        for p, m, u, i, o, by, set_at, unit, per_unit in store.rows(
            "SELECT product, month, usd, input_tokens, output_tokens, set_by, set_at, unit, usd_per_unit "
            "FROM estimates")
    }


def _role_rows(org: OrgFile) -> list[list[Any]]:
    """One person_roles row per scope entry of each role (one row with no scope for a role without)."""
    rows = []
    for p in org.people:
        for ri, role in enumerate(p.roles):
            scope_rows = [
                [p.email, role.persona, ri, kind, name, si]
                for field, kind in ROLE_SCOPE_FIELDS.items()
                for si, name in enumerate(getattr(role, field))
            ]
            rows += scope_rows or [[p.email, role.persona, ri, None, None, None]]
    return rows


def _table_rows(org: OrgFile, stamps: _EstimateStamps, actor: str, at: datetime) -> dict[str, list[list[Any]]]:
    """The rows of every registry table for the file; an unchanged estimate keeps who set it and when."""
    node_kind = {name: kind for kind, name, _, _ in org.nodes()}
    estimates = []
    for i, e in enumerate(org.estimates):
        values = (float(e.usd), e.input_tokens, e.output_tokens, e.unit,
                  float(e.usd_per_unit) if e.usd_per_unit is not None else None)
        prev = stamps.get((e.product, e.month))
        set_by, set_at = prev[1] if prev and prev[0] == values else (actor, at)
        estimates.append([e.product, e.month, *values[:3], set_by, set_at, i, *values[3:]])
    return {
        "org_nodes": [list(n) for n in org.nodes()],
        "accounts": [[a.id, a.name, a.owner, node_kind.get(a.owner) if a.owner else None, i]
                     for i, a in enumerate(org.accounts)],
        "people": [[p.email, p.name, p.slack_id, i] for i, p in enumerate(org.people)],
        "person_roles": _role_rows(org),
        "claims": [[c.principal, c.product, c.claimed_by, c.claimed_on, c.note, i]
                   for i, c in enumerate(org.claims) if c.kind == "principal"],
        "selector_claims": [selector_claim_row(c, i) for i, c in enumerate(org.claims) if c.kind != "principal"],
        "estimates": estimates,
        "model_catalog": [[m.id, m.state, list(m.products), list(m.accounts), list(m.regions), m.action_scope,
                           m.rationale, m.decided_by, m.decided_on, i] for i, m in enumerate(org.models)],
        "model_name_overrides": [[n.billing_name, n.model_id, n.family, i] for i, n in enumerate(org.model_names)],
    }


def _insert(con: Any, table: str, rows: list[list[Any]]) -> None:
    """Insert rows (in order) into a table whose columns they fill."""
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
