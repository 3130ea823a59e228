"""The registry back as an org file: read from the store, canonical form and hash, YAML export.

`export -> apply -> export` is a fixed point: the export keeps the file's order and leaves optional
keys out when absent.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

import yaml

from ledger.org_schema import (
    ROLE_SCOPE_FIELDS,
    Account,
    BusinessUnit,
    Claim,
    Department,
    Estimate,
    ModelNameOverride,
    OrgFile,
    Portfolio,
    Product,
)
from ledger.registry import CLAIM_SELECT, MODEL_SELECT, claim_from_row, model_from_row, people_where
from ledger.store import Store

def _num(x: float) -> int | float:
    """Whole numbers as int (usd: 6330, not 6330.0)."""
    return int(x) if float(x).is_integer() else float(x)


def _drop(d: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Drop None values and empty lists, except the keys in `keep`."""
    return {k: v for k, v in d.items() if k in keep or not (v is None or v == [])}


def org_to_dict(org: OrgFile) -> dict[str, Any]:
    """The org file as plain data, in file order, optional keys left out when absent."""
    return {
        "accounts": [_drop({"id": a.id, "name": a.name, "owner": a.owner}) for a in org.accounts],
        "business_units": [
            _drop({"name": bu.name, "portfolios": [
                _drop({"name": pf.name, "departments": [
                    _drop({"name": dep.name, "products": [{"name": p.name} for p in dep.products]})
                    for dep in pf.departments
                ]})
                for pf in bu.portfolios
            ]})
            for bu in org.business_units
        ],
        "people": [
            _drop({
                "email": p.email, "name": p.name, "slack_id": p.slack_id,
                "roles": [
                    _drop({"persona": r.persona, **{f: list(getattr(r, f)) for f in ROLE_SCOPE_FIELDS}})
                    for r in p.roles
                ],
            })
            for p in org.people
        ],
        "claims": [
            _drop({c.kind: c.selector, "product": c.product, "claimed_by": c.claimed_by,
                   "claimed_on": c.claimed_on, "note": c.note})
            for c in org.claims
        ],
        "estimates": [
            _drop({"product": e.product, "month": e.month, "usd": _num(e.usd),
                   "input_tokens": e.input_tokens, "output_tokens": e.output_tokens, "unit": e.unit,
                   "usd_per_unit": _num(e.usd_per_unit) if e.usd_per_unit is not None else None})
            for e in org.estimates
        ],
        "models": [
            _drop({"id": m.id, "state": m.state, "products": list(m.products),
                   "accounts": list(m.accounts), "regions": list(m.regions),
                   "action_scope": m.action_scope, "rationale": m.rationale,
                   "decided_by": m.decided_by, "decided_on": m.decided_on},
                  keep=("accounts", "regions"))
            for m in org.models
        ],
        "model_names": [
            _drop({"billing_name": n.billing_name, "model_id": n.model_id, "family": n.family})
            for n in org.model_names
        ],
    }


def _canonical_json(doc: Any) -> str:
    """Sorted keys, no whitespace, dates ISO: the text the hash is taken of."""
    def default(o: Any) -> Any:
        if isinstance(o, date):
            return o.isoformat()
        raise TypeError(f"not JSON: {type(o).__name__}")

    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default)


def org_sha256(org: OrgFile) -> str:
    """sha256 of the canonical content (independent of YAML formatting and comments)."""
    return hashlib.sha256(_canonical_json(org_to_dict(org)).encode("utf-8")).hexdigest()


def read_org(store: Store) -> OrgFile:
    """The registry's content as an OrgFile (no cross-checks: it was checked when applied)."""
    nodes = store.rows("SELECT kind, name, parent FROM org_nodes ORDER BY position, name")
    children: dict[str | None, list[tuple[str, str]]] = {}
    for kind, name, parent in nodes:
        children.setdefault(parent, []).append((kind, name))

    def kids(parent: str | None, kind: str) -> list[str]:
        return [n for k, n in children.get(parent, []) if k == kind]

    bus = [
        BusinessUnit(name=bu, portfolios=[
            Portfolio(name=pf, departments=[
                Department(name=dep, products=[Product(name=p) for p in kids(dep, "product")])
                for dep in kids(pf, "department")
            ])
            for pf in kids(bu, "portfolio")
        ])
        for bu in kids(None, "business_unit")
    ]
    accounts = [
        Account(id=i, name=n, owner=o)
        for i, n, o in store.rows("SELECT account_id, name, owner_node FROM accounts ORDER BY position")
    ]
    claims = [claim for _, claim in sorted(
        [(r[5], claim_from_row(r)) for r in store.rows(CLAIM_SELECT.replace(" FROM", ", position FROM"))]
        + [(position, Claim(**{kind: selector}, product=product, claimed_by=by, claimed_on=on, note=note))
           for kind, selector, product, by, on, note, position in store.rows(
               "SELECT kind, selector, product, claimed_by, claimed_on, note, position FROM selector_claims")],
        key=lambda pair: pair[0])]
    estimates = [
        Estimate(product=p, month=m, usd=u, input_tokens=i, output_tokens=o, unit=unit, usd_per_unit=per_unit)
        for p, m, u, i, o, unit, per_unit in store.rows(
            "SELECT product, month, usd, input_tokens, output_tokens, unit, usd_per_unit FROM estimates "
            "ORDER BY position")
    ]
    models = [model_from_row(r) for r in store.rows(MODEL_SELECT + " ORDER BY position")]
    names = [
        ModelNameOverride(billing_name=b, model_id=m, family=f)
        for b, m, f in store.rows(
            "SELECT billing_name, model_id, family FROM model_name_overrides ORDER BY position")
    ]
    org = OrgFile(accounts=accounts, business_units=bus, people=people_where(store),
                  claims=claims, estimates=estimates, models=models, model_names=names)
    org._source = f"registry in {store.path}"
    return org


def export_org(store: Store) -> dict[str, Any]:
    """The registry back in the org file's shape and order (plain data; dates as `date`)."""
    return org_to_dict(read_org(store))


class _Dumper(yaml.SafeDumper):
    """Months single-quoted (YAML would read 2026-11 as text anyway; people expect quotes), text blocks as |."""


_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _MONTH_RE.match(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)

_YAML_HEADER = (
    "# Bedrock Steward org file, exported from the registry.\n"
    "# The file is the whole truth when applied: whatever is not here is removed.\n"
)


def export_org_yaml(store: Store) -> str:
    """The registry as org-file YAML; applying it and exporting again gives the same text."""
    body = yaml.dump(export_org(store), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=4096, indent=2)
    return _YAML_HEADER + body
