"""The governance registry ("governance as code"): the org file, applied into the DuckDB store.

The org file (YAML) is the whole truth for the hierarchy, accounts, people, claims, estimates, the
model catalog and extra model names. `apply_org` replaces the registry tables' content with the
file's in one transaction and appends one `org.apply` entry to the audit log; `export_org` gives the
registry back in the same shape and order, so `export -> apply -> export` is a fixed point.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import types
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ledger import audit
from ledger.errors import RegistryError
from ledger.org_schema import (
    NODE_KINDS,
    PERSONAS,
    ROLE_SCOPE_FIELDS,
    SECTIONS,
    Account,
    BusinessUnit,
    Claim,
    Department,
    Estimate,
    ModelEntry,
    ModelNameOverride,
    OrgFile,
    Person,
    Portfolio,
    Product,
    Role,
)
from ledger.principals import normalise_principal
from ledger.store import Store, register_ddl

DDL = """
CREATE TABLE IF NOT EXISTS org_nodes (
    kind        VARCHAR NOT NULL,   -- business_unit | portfolio | department | product
    name        VARCHAR NOT NULL,   -- unique across the whole hierarchy
    parent      VARCHAR,            -- NULL for business units
    position    INTEGER NOT NULL    -- index within the parent's list in the org file
);
CREATE VIEW IF NOT EXISTS org_products AS
SELECT p.name AS product, d.name AS department, f.name AS portfolio, b.name AS business_unit
FROM org_nodes p
JOIN org_nodes d ON d.kind = 'department' AND d.name = p.parent
JOIN org_nodes f ON f.kind = 'portfolio' AND f.name = d.parent
JOIN org_nodes b ON b.kind = 'business_unit' AND b.name = f.parent
WHERE p.kind = 'product';
CREATE TABLE IF NOT EXISTS accounts (
    account_id  VARCHAR NOT NULL,
    name        VARCHAR,
    owner_node  VARCHAR,
    owner_kind  VARCHAR,
    position    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS people (
    email       VARCHAR NOT NULL,   -- lower case
    name        VARCHAR,
    slack_id    VARCHAR,
    position    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS person_roles (
    email       VARCHAR NOT NULL,
    persona     VARCHAR NOT NULL,
    role_index  INTEGER NOT NULL,   -- index in the person's roles list
    node_kind   VARCHAR,            -- NULL when the role has no scope (one row for the role)
    node_name   VARCHAR,
    scope_index INTEGER             -- index within the role's list for that kind
);
CREATE TABLE IF NOT EXISTS claims (
    principal   VARCHAR NOT NULL,   -- normalised (assumed-role sessions -> role ARN)
    product     VARCHAR NOT NULL,
    claimed_by  VARCHAR NOT NULL,
    claimed_on  DATE NOT NULL,
    note        VARCHAR,
    position    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS estimates (
    product       VARCHAR NOT NULL,
    month         VARCHAR NOT NULL, -- YYYY-MM
    usd           DOUBLE NOT NULL,
    input_tokens  BIGINT,
    output_tokens BIGINT,
    set_by        VARCHAR,          -- actor of the apply that set this value
    set_at        TIMESTAMP,
    position      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS model_catalog (
    model_id     VARCHAR NOT NULL,
    state        VARCHAR NOT NULL,  -- approved | restricted | blocked
    products     VARCHAR[],         -- restricted: the products allowed
    accounts     VARCHAR[],         -- empty = all
    regions      VARCHAR[],         -- empty = all
    action_scope VARCHAR NOT NULL,  -- inference_only | agentic_read_only | agentic_read_write
    rationale    VARCHAR NOT NULL,
    decided_by   VARCHAR NOT NULL,
    decided_on   DATE,
    position     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS model_name_overrides (
    billing_name VARCHAR NOT NULL,
    model_id     VARCHAR NOT NULL,
    family       VARCHAR,
    position     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS engineer_tasks (
    task_id      VARCHAR PRIMARY KEY,
    created_at   TIMESTAMP,
    kind         VARCHAR,
    title        VARCHAR,
    product      VARCHAR,
    principal    VARCHAR,
    command      VARCHAR,
    undo_command VARCHAR,
    policy_json  VARCHAR,
    status       VARCHAR,
    created_by   VARCHAR,
    source_ref   VARCHAR,
    completed_by VARCHAR,
    completed_at TIMESTAMP,
    note         VARCHAR
);
CREATE TABLE IF NOT EXISTS access_requests (
    request_id   VARCHAR PRIMARY KEY,
    created_at   TIMESTAMP,
    requested_by VARCHAR,
    product      VARCHAR,
    model_id     VARCHAR,
    accounts     VARCHAR[],
    regions      VARCHAR[],
    reason       VARCHAR,
    status       VARCHAR,
    decided_by   VARCHAR,
    decided_at   TIMESTAMP
);
CREATE TABLE IF NOT EXISTS spend_card_approvals (
    product      VARCHAR,
    week_start   DATE,
    approved_by  VARCHAR,
    approved_at  TIMESTAMP,
    note         VARCHAR
);
"""

register_ddl(DDL)

# The tables apply_org replaces; nothing else is touched.
REGISTRY_TABLES = (
    "org_nodes",
    "accounts",
    "people",
    "person_roles",
    "claims",
    "estimates",
    "model_catalog",
    "model_name_overrides",
)

Errors = list[tuple[str, str]]


# ============================================================================ errors


def _raise(errors: Errors) -> None:
    """One RegistryError listing every problem on its own line; `.where` is the first's."""
    if not errors:
        return
    where, problem = errors[0]
    rest = "".join(f"\n{w}: {p}" if w else f"\n{p}" for w, p in errors[1:])
    err = RegistryError(where, problem + rest)
    err.errors = list(errors)  # type: ignore[attr-defined]
    raise err


def _loc(parts: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


def _unwrap(t: Any) -> Any:
    if get_origin(t) in (Union, types.UnionType):
        args = [a for a in get_args(t) if a is not type(None)]
        return args[0] if len(args) == 1 else t
    return t


def _model_at(loc: tuple[Any, ...]) -> Any:
    """The model class at a pydantic error location (for listing the allowed fields)."""
    t: Any = OrgFile
    for part in loc:
        t = _unwrap(t)
        if isinstance(part, int):
            args = get_args(t)
            if not args:
                return None
            t = args[0]
        elif isinstance(t, type) and issubclass(t, BaseModel) and part in t.model_fields:
            t = t.model_fields[part].annotation
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off/true/false as booleans; quote it)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _pydantic_errors(exc: ValidationError) -> Errors:
    out: Errors = []
    for e in exc.errors():
        loc = tuple(e["loc"])
        t = e["type"]
        inp = e.get("input")
        ctx = e.get("ctx") or {}
        where = _loc(loc)
        if t == "extra_forbidden":
            parent = _model_at(loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else ""
            what = "unknown top-level key" if len(loc) == 1 else "unknown field"
            problem = f"{what} {loc[-1]!r}" + (f"; allowed: {allowed}" if allowed else "")
        elif t == "value_error":
            problem = str(ctx.get("error", e["msg"]))
        elif t == "missing":
            field = loc[-1] if loc else ""
            problem = "is required but missing"
            if field == "rationale":
                problem = "is required but missing: say why this decision was made"
        elif t == "string_type":
            problem = f"expected text, got {_show(inp)}"
        elif t == "string_too_short":
            problem = "must not be blank"
        elif t in ("int_type", "int_parsing", "int_from_float"):
            problem = f"expected a whole number, got {_show(inp)}"
        elif t in ("float_type", "float_parsing"):
            problem = f"expected a number, got {_show(inp)}"
        elif t == "list_type":
            problem = f"expected a list, got {_show(inp)}"
        elif t in ("model_type", "model_attributes_type", "dict_type"):
            problem = f"expected a mapping (key: value), got {_show(inp)}"
        elif t in ("greater_than_equal", "greater_than"):
            problem = f"{inp!r} must be >= {ctx.get('ge', ctx.get('gt'))}"
        elif t.startswith("date"):
            problem = f"{_show(inp)} is not a date YYYY-MM-DD"
        elif t == "literal_error":
            problem = f"{inp!r} is not one of {ctx.get('expected')}"
        else:
            problem = e["msg"]
        out.append((where, problem))
    return out


def _suggest(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ============================================================================ parsing


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of keeping the last silently."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark,
                )
            seen.add(key)
        except TypeError:
            pass
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_org_text(text: str, source: str = "org file") -> OrgFile:
    """Parse org-file YAML text; RegistryError with line and column on a YAML syntax error."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{source}, line {mark.line + 1}, column {mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        raise RegistryError(
            where, f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        ) from exc
    return parse_org(data, source)


def load_org_file(path: str | Path) -> OrgFile:
    """Read and validate an org file (schema and cross-references; no store needed)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RegistryError(str(p), "no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(str(p), f"cannot read the org file: {exc}") from exc
    return load_org_text(text, str(p))


def parse_org(data: dict, source: str = "org file") -> OrgFile:
    """Validate an org file already read into Python data: schema, then cross-references."""
    if data is None:
        raise RegistryError(
            source, f"is empty; an org file is a mapping with sections {', '.join(SECTIONS)}"
        )
    if not isinstance(data, dict):
        raise RegistryError(
            source,
            f"must be a mapping with sections {', '.join(SECTIONS)}, got {_show(data)}",
        )
    schema_errors: Errors = []
    try:
        org = OrgFile.model_validate(data)
    except ValidationError as exc:
        schema_errors = _pydantic_errors(exc)
    # Raised outside the except block: the pydantic error is not chained (ours says it all).
    _raise(schema_errors)
    _raise(_cross_check(org))
    org._source = source
    return org


def _cross_check(org: OrgFile) -> Errors:
    errors: Errors = []

    # -- hierarchy: names unique across every level
    node_kind: dict[str, str] = {}
    node_where: dict[str, str] = {}

    def add_node(kind: str, name: str, where: str) -> None:
        if name in node_kind:
            errors.append((
                where,
                f"{name!r} is already the name of the {node_kind[name].replace('_', ' ')} at "
                f"{node_where[name]}; names must be unique across business units, portfolios, "
                "departments and products",
            ))
            return
        node_kind[name] = kind
        node_where[name] = where

    for i, bu in enumerate(org.business_units):
        w_bu = f"business_units[{i}]"
        add_node("business_unit", bu.name, f"{w_bu}.name")
        for j, pf in enumerate(bu.portfolios):
            w_pf = f"{w_bu}.portfolios[{j}]"
            add_node("portfolio", pf.name, f"{w_pf}.name")
            for k, dep in enumerate(pf.departments):
                w_dep = f"{w_pf}.departments[{k}]"
                add_node("department", dep.name, f"{w_dep}.name")
                for m, prod in enumerate(dep.products):
                    add_node("product", prod.name, f"{w_dep}.products[{m}].name")
    all_nodes = list(node_kind)

    def check_node(where: str, name: str, kind: str | None) -> bool:
        if name in node_kind and (kind is None or node_kind[name] == kind):
            return True
        if name in node_kind:
            errors.append((
                where,
                f"{name!r} is a {node_kind[name].replace('_', ' ')}, not a "
                f"{kind.replace('_', ' ')}",  # type: ignore[union-attr]
            ))
        elif kind is None:
            errors.append((
                where,
                f"{name!r} is not a business unit, portfolio, department or product in "
                f"business_units{_suggest(name, all_nodes)}",
            ))
        else:
            pool = [n for n, k in node_kind.items() if k == kind]
            errors.append((
                where,
                f"{name!r} is not a {kind.replace('_', ' ')} in business_units{_suggest(name, pool)}",
            ))
        return False

    # -- accounts
    account_at: dict[str, int] = {}
    for i, acct in enumerate(org.accounts):
        if acct.id in account_at:
            errors.append((f"accounts[{i}].id",
                           f"{acct.id!r} is listed twice (first at accounts[{account_at[acct.id]}])"))
        else:
            account_at[acct.id] = i
        if acct.owner is not None:
            check_node(f"accounts[{i}].owner", acct.owner, None)

    # -- people
    person_at: dict[str, int] = {}
    slack_at: dict[str, int] = {}
    for i, p in enumerate(org.people):
        w = f"people[{i}]"
        if p.email in person_at:
            errors.append((f"{w}.email",
                           f"{p.email!r} is listed twice (first at people[{person_at[p.email]}])"))
        else:
            person_at[p.email] = i
        if p.slack_id:
            if p.slack_id in slack_at:
                errors.append((f"{w}.slack_id", f"{p.slack_id!r} is already the slack_id of "
                               f"people[{slack_at[p.slack_id]}]"))
            else:
                slack_at[p.slack_id] = i
        for j, role in enumerate(p.roles):
            wr = f"{w}.roles[{j}]"
            for field, kind in ROLE_SCOPE_FIELDS.items():
                for k, name in enumerate(getattr(role, field)):
                    check_node(f"{wr}.{field}[{k}]", name, kind)
            if role.persona == "product_owner" and not role.products:
                errors.append((f"{wr}.products",
                               "product_owner needs products: the products this person owns"))
            if role.persona == "portfolio_manager" and not (
                role.portfolios or role.departments or role.business_units
            ):
                errors.append((f"{wr}.portfolios",
                               "portfolio_manager needs portfolios (or departments / "
                               "business_units for managers above portfolio level)"))
    people = {p.email: p for p in org.people}

    # -- claims
    claim_at: dict[str, int] = {}
    for i, c in enumerate(org.claims):
        w = f"claims[{i}]"
        if c.principal in claim_at:
            first = org.claims[claim_at[c.principal]]
            errors.append((
                f"{w}.principal",
                f"{c.principal!r} is already claimed at claims[{claim_at[c.principal]}] "
                f"(for {first.product!r}); a principal belongs to one product at a time",
            ))
        else:
            claim_at[c.principal] = i
        product_ok = check_node(f"{w}.product", c.product, "product")
        who = people.get(c.claimed_by)
        if who is None:
            errors.append((f"{w}.claimed_by", f"{c.claimed_by!r} is not a person in people"
                           f"{_suggest(c.claimed_by, list(people))}"))
        elif product_ok and not (who.owns_product(c.product) or who.has_persona("finops_lead")):
            errors.append((
                f"{w}.claimed_by",
                f"{c.claimed_by!r} is neither a product_owner of {c.product!r} nor a finops_lead",
            ))

    # -- estimates
    estimate_at: dict[tuple[str, str], int] = {}
    for i, e in enumerate(org.estimates):
        w = f"estimates[{i}]"
        check_node(f"{w}.product", e.product, "product")
        key = (e.product, e.month)
        if key in estimate_at:
            errors.append((f"{w}.month", f"{e.product!r} already has an estimate for {e.month} "
                           f"at estimates[{estimate_at[key]}]"))
        else:
            estimate_at[key] = i

    # -- models
    model_at: dict[str, int] = {}
    for i, m in enumerate(org.models):
        w = f"models[{i}]"
        if m.id in model_at:
            errors.append((f"{w}.id", f"{m.id!r} is listed twice (first at models[{model_at[m.id]}])"))
        else:
            model_at[m.id] = i
        if m.state == "restricted" and not m.products:
            errors.append((f"{w}.products",
                           "state restricted needs products: the products allowed to use this model"))
        if m.state != "restricted" and m.products:
            errors.append((f"{w}.products", f"products applies only to state restricted; this "
                           f"entry is {m.state} (remove products or make it restricted)"))
        for k, name in enumerate(m.products):
            check_node(f"{w}.products[{k}]", name, "product")
        for k, acct_id in enumerate(m.accounts):
            if acct_id not in account_at:
                errors.append((f"{w}.accounts[{k}]", f"{acct_id!r} is not an account in accounts"))
        who = people.get(m.decided_by)
        if who is None:
            errors.append((f"{w}.decided_by", f"{m.decided_by!r} is not a person in people"
                           f"{_suggest(m.decided_by, list(people))}"))
        elif not who.has_persona("finops_lead"):
            errors.append((f"{w}.decided_by", f"{m.decided_by!r} is not a finops_lead; only a "
                           "finops_lead decides on models"))

    # -- model names
    name_at: dict[str, int] = {}
    for i, n in enumerate(org.model_names):
        if n.billing_name in name_at:
            errors.append((f"model_names[{i}].billing_name", f"{n.billing_name!r} is listed twice "
                           f"(first at model_names[{name_at[n.billing_name]}])"))
        else:
            name_at[n.billing_name] = i
    return errors


# ============================================================================ canonical form


def _num(x: float) -> int | float:
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
            _drop({"principal": c.principal, "product": c.product, "claimed_by": c.claimed_by,
                   "claimed_on": c.claimed_on, "note": c.note})
            for c in org.claims
        ],
        "estimates": [
            _drop({"product": e.product, "month": e.month, "usd": _num(e.usd),
                   "input_tokens": e.input_tokens, "output_tokens": e.output_tokens})
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
    def default(o: Any) -> Any:
        if isinstance(o, date):
            return o.isoformat()
        raise TypeError(f"not JSON: {type(o).__name__}")

    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default)


def org_sha256(org: OrgFile) -> str:
    """sha256 of the canonical content (independent of YAML formatting and comments)."""
    return hashlib.sha256(_canonical_json(org_to_dict(org)).encode("utf-8")).hexdigest()


# ============================================================================ reading back


def _people_where(store: Store, where_sql: str = "", params: list[Any] | None = None) -> list[Person]:
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
    claims = [
        Claim(principal=p, product=pr, claimed_by=b, claimed_on=on, note=note)
        for p, pr, b, on, note in store.rows(
            "SELECT principal, product, claimed_by, claimed_on, note FROM claims ORDER BY position")
    ]
    estimates = [
        Estimate(product=p, month=m, usd=u, input_tokens=i, output_tokens=o)
        for p, m, u, i, o in store.rows(
            "SELECT product, month, usd, input_tokens, output_tokens FROM estimates ORDER BY position")
    ]
    models = [_model_from_row(r) for r in store.rows(_MODEL_SELECT + " ORDER BY position")]
    names = [
        ModelNameOverride(billing_name=b, model_id=m, family=f)
        for b, m, f in store.rows(
            "SELECT billing_name, model_id, family FROM model_name_overrides ORDER BY position")
    ]
    org = OrgFile(accounts=accounts, business_units=bus, people=_people_where(store),
                  claims=claims, estimates=estimates, models=models, model_names=names)
    org._source = f"registry in {store.path}"
    return org


_MODEL_SELECT = (
    "SELECT model_id, state, products, accounts, regions, action_scope, rationale, decided_by, "
    "decided_on FROM model_catalog"
)


def _model_from_row(r: tuple) -> ModelEntry:
    mid, state, products, accounts, regions, scope, rationale, by, on = r
    return ModelEntry(id=mid, state=state, products=products or [], accounts=accounts or [],
                      regions=regions or [], action_scope=scope, rationale=rationale,
                      decided_by=by, decided_on=on)


def export_org(store: Store) -> dict[str, Any]:
    """The registry back in the org file's shape and order (plain data; dates as `date`)."""
    return org_to_dict(read_org(store))


class _Dumper(yaml.SafeDumper):
    pass


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


# ============================================================================ apply


class SectionChange(BaseModel):
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
        "claims": [(c.principal, c.model_dump()) for c in org.claims],
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
    if now is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if now.tzinfo is not None:
        return now.astimezone(timezone.utc).replace(tzinfo=None)
    return now


def check_claims_against_usage(store: Store, org: OrgFile) -> None:
    """Every claimed principal must appear in at least one bedrock_usage row."""
    principals = [c.principal for c in org.claims]
    if not principals:
        return
    seen = {r[0] for r in store.rows(
        "SELECT DISTINCT u.principal FROM bedrock_usage u "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS p) c ON u.principal = c.p",
        [principals],
    )}
    missing = [(i, c) for i, c in enumerate(org.claims) if c.principal not in seen]
    if not missing:
        return
    known = [r[0] for r in store.rows(
        "SELECT DISTINCT principal FROM bedrock_usage WHERE principal <> 'unknown' LIMIT 10000")]
    _raise([
        (f"claims[{i}].principal",
         f"no CUR row has principal {c.principal!r}{_suggest(c.principal, known)}; ingest CUR "
         "first, or make a test invocation with the role so it appears in the next CUR delivery")
        for i, c in missing
    ])


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
    _raise(_cross_check(org))  # in case the OrgFile was built in code rather than parsed
    check_claims_against_usage(store, org)
    new_sha = org_sha256(org)
    counts = _counts(org)

    with store.transaction() as con:
        old = read_org(store)
        old_sha = org_sha256(old)
        changes = diff_orgs(old, org)
        prev_estimates = {
            (p, m): ((u, i, o), (by, set_at))
            for p, m, u, i, o, by, set_at in store.rows(
                "SELECT product, month, usd, input_tokens, output_tokens, set_by, set_at "
                "FROM estimates")
        }
        for table in REGISTRY_TABLES:
            con.execute(f"DELETE FROM {table}")

        node_kind = {name: kind for kind, name, _, _ in org.nodes()}
        _insert(con, "org_nodes", [list(n) for n in org.nodes()])
        _insert(con, "accounts", [
            [a.id, a.name, a.owner, node_kind.get(a.owner) if a.owner else None, i]
            for i, a in enumerate(org.accounts)
        ])
        _insert(con, "people", [[p.email, p.name, p.slack_id, i] for i, p in enumerate(org.people)])
        role_rows = []
        for p in org.people:
            for ri, role in enumerate(p.roles):
                scope_rows = [
                    [p.email, role.persona, ri, kind, name, si]
                    for field, kind in ROLE_SCOPE_FIELDS.items()
                    for si, name in enumerate(getattr(role, field))
                ]
                role_rows += scope_rows or [[p.email, role.persona, ri, None, None, None]]
        _insert(con, "person_roles", role_rows)
        _insert(con, "claims", [
            [c.principal, c.product, c.claimed_by, c.claimed_on, c.note, i]
            for i, c in enumerate(org.claims)
        ])
        est_rows = []
        for i, e in enumerate(org.estimates):
            values = (float(e.usd), e.input_tokens, e.output_tokens)
            prev = prev_estimates.get((e.product, e.month))
            set_by, set_at = prev[1] if prev and prev[0] == values else (actor, at)
            est_rows.append([e.product, e.month, *values, set_by, set_at, i])
        _insert(con, "estimates", est_rows)
        _insert(con, "model_catalog", [
            [m.id, m.state, list(m.products), list(m.accounts), list(m.regions), m.action_scope,
             m.rationale, m.decided_by, m.decided_on, i]
            for i, m in enumerate(org.models)
        ])
        _insert(con, "model_name_overrides", [
            [n.billing_name, n.model_id, n.family, i] for i, n in enumerate(org.model_names)
        ])

        changed = new_sha != old_sha
        entry = audit.append(
            store,
            actor=actor,
            persona=persona,
            action="org.apply",
            subject=org.source,
            why=why,
            at=at,
            details={
                "sha256": new_sha,
                "previous_sha256": old_sha,
                "changed": changed,
                "counts": counts,
                "changes": {s: ch.model_dump() for s, ch in changes.items()},
            },
        )

    return ApplySummary(source=org.source, **counts, changed=changed, sha256=new_sha,
                        previous_sha256=old_sha, changes=changes, audit_seq=entry.seq)


def _insert(con: Any, table: str, rows: list[list[Any]]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


# ============================================================================ query helpers


def _nodes(store: Store) -> dict[str, tuple[str, str | None]]:
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
    found = _people_where(store, "WHERE email = ?", [email.strip().lower()])
    return found[0] if found else None


def person_by_slack_id(store: Store, slack_id: str) -> Person | None:
    found = _people_where(store, "WHERE slack_id = ?", [slack_id.strip()])
    return found[0] if found else None


def people_with_persona(store: Store, persona: str) -> list[Person]:
    return _people_where(
        store, "WHERE email IN (SELECT email FROM person_roles WHERE persona = ?)", [persona])


_CLAIM_SELECT = "SELECT principal, product, claimed_by, claimed_on, note FROM claims"


def _claim(r: tuple) -> Claim:
    return Claim(principal=r[0], product=r[1], claimed_by=r[2], claimed_on=r[3], note=r[4])


def claims_for(store: Store, product: str) -> list[Claim]:
    return [_claim(r) for r in store.rows(_CLAIM_SELECT + " WHERE product = ? ORDER BY position",
                                          [product])]


def claim_for_principal(store: Store, principal: str) -> Claim | None:
    """The claim on a principal (an assumed-role session ARN is normalised first), or None."""
    rows = store.rows(_CLAIM_SELECT + " WHERE principal = ?", [normalise_principal(principal)])
    return _claim(rows[0]) if rows else None


def model_entries(store: Store) -> list[ModelEntry]:
    """Every catalog entry, in file order."""
    return [_model_from_row(r) for r in store.rows(_MODEL_SELECT + " ORDER BY position")]


def model_entry(store: Store, model_id: str) -> ModelEntry | None:
    rows = store.rows(_MODEL_SELECT + " WHERE model_id = ?", [model_id])
    return _model_from_row(rows[0]) if rows else None


def registry_dump(store: Store) -> dict[str, list[tuple]]:
    """Every registry table's rows in a stable order (for comparing states, e.g. in tests)."""
    return {t: store.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in REGISTRY_TABLES}
