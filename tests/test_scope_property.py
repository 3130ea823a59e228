"""Property: over generated orgs and callers, no tool result names a product, principal or account
outside the caller's scope (Product Owners and Portfolio Managers; a FinOps Lead sees everything)."""

from __future__ import annotations

import itertools
import tempfile
from datetime import date, datetime
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import org_apply, org_parse
from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.curfile import line
from tools import toolset
from tools.caller import resolve_caller
from tools.context import ToolContext
from tools.errors import ToolError

TODAY = date(2026, 11, 21)
MODELS = [("Claude4.6Sonnet", "anthropic.claude-sonnet-4-6", 0.003), ("Claude3Haiku",
          "anthropic.claude-3-haiku-20240307-v1:0", 0.00025), ("Claude4.6Opus", "anthropic.claude-opus-4-6-v1", 0.005),
          ("Llama3-70B", "meta.llama3-70b-instruct-v1:0", 0.00265)]


@st.composite
def orgs(draw: st.DrawFn) -> dict:
    counter = itertools.count(1)
    n_products = draw(st.integers(2, 6))
    products = [f"Prod-{next(counter):03d}" for _ in range(n_products)]
    # Spread products over departments / portfolios / BUs (each name unique and fixed-width).
    layout = draw(st.lists(st.integers(0, 3), min_size=n_products, max_size=n_products))
    bus: dict[str, dict[str, dict[str, list[str]]]] = {}
    for product, slot in zip(products, layout, strict=True):
        bu, pf, dep = f"Unit-{slot // 2:03d}", f"Port-{slot:03d}", f"Dept-{slot:03d}"
        bus.setdefault(bu, {}).setdefault(pf, {}).setdefault(dep, []).append(product)
    accounts = [f"{900000000000 + i:012d}" for i in range(draw(st.integers(1, 3)))]
    nodes = list(bus) + [p for b in bus.values() for p in b] + [d for b in bus.values() for p in b.values() for d in p] + products
    owners = {a: draw(st.sampled_from(nodes)) for a in accounts}
    roles = []  # (role name, account, product or None, claimed_on)
    for i in range(draw(st.integers(2, 8))):
        product = draw(st.one_of(st.none(), st.sampled_from(products)))
        claimed = date(2026, 11, draw(st.integers(1, 20)))
        roles.append((f"role-{i:03d}", draw(st.sampled_from(accounts)), product, claimed))
    usage = []
    for name, account, _, _ in roles:
        for _ in range(draw(st.integers(1, 4))):
            billing, _, price = draw(st.sampled_from(MODELS))
            usage.append((name, account, billing, date(2026, 11, draw(st.integers(1, 20))),
                          draw(st.integers(1, 5000)), price))
    catalog = {m[1]: draw(st.sampled_from(["approved", "blocked", "restricted", None])) for m in MODELS}
    return {"bus": bus, "accounts": owners, "roles": roles, "usage": usage, "catalog": catalog,
            "products": products}


def build(org: dict, tmp: Path) -> Store:
    rows = []
    for name, account, billing, d, ktok, price in org["usage"]:
        rows.append(line(d.isoformat(), f"USE1-{billing}-input-tokens", ktok, ktok * price,
                         f"arn:aws:sts::{account}:assumed-role/{name}/s", account=account))
    curfile.write(curfile.export_path(tmp, "2026-11"), rows)
    store = Store(tmp / "s.duckdb")
    ingest(store, [str(tmp / "cur")], actor="test")
    used = {(name, account) for name, account, *_ in org["usage"]}
    people = [{"email": "lead@example.com", "roles": [{"persona": "finops_lead"}]}]
    for i, product in enumerate(org["products"]):
        people.append({"email": f"po{i}@example.com", "roles": [{"persona": "product_owner", "products": [product]}]})
    for i, pf in enumerate(sorted({p for b in org["bus"].values() for p in b})):
        people.append({"email": f"pm{i}@example.com", "roles": [{"persona": "portfolio_manager", "portfolios": [pf]}]})
    claims, owner_of = [], {p: f"po{i}@example.com" for i, p in enumerate(org["products"])}
    for name, account, product, claimed in org["roles"]:
        if product and (name, account) in used:
            claims.append({"principal": f"arn:aws:iam::{account}:role/{name}", "product": product,
                           "claimed_by": owner_of[product], "claimed_on": claimed.isoformat()})
    models = []
    for model_id, state in org["catalog"].items():
        if state:
            entry = {"id": model_id, "state": state, "accounts": [], "regions": [], "rationale": "generated",
                     "decided_by": "lead@example.com"}
            if state == "restricted":
                entry["products"] = [org["products"][0]]
            models.append(entry)
    doc = {
        "accounts": [{"id": a, "owner": o} for a, o in org["accounts"].items()],
        "business_units": [{"name": bu, "portfolios": [{"name": pf, "departments": [
            {"name": d, "products": [{"name": p} for p in prods]} for d, prods in deps.items()]}
            for pf, deps in pfs.items()]} for bu, pfs in org["bus"].items()],
        "people": people, "claims": claims,
        "estimates": [{"product": p, "month": "2026-11", "usd": 100} for p in org["products"]],
        "models": models,
    }
    org_apply.apply_org(store, org_parse.parse_org(yaml.safe_load(yaml.safe_dump(doc))), actor="test")
    return store


def forbidden(store: Store, ctx: ToolContext) -> set[str]:
    """Names this caller must never see: other products, their roles, unseen accounts' roles and ids."""
    c = ctx.caller
    out = {p for (p,) in store.rows("SELECT name FROM org_nodes WHERE kind = 'product'") if p not in c.products}
    claimed = dict(store.rows("SELECT principal, product FROM claims"))
    for (principal,) in store.rows("SELECT DISTINCT principal FROM usage_daily"):
        account = principal.split(":")[4] if principal.startswith("arn:") else None
        mine = claimed.get(principal) in c.products
        visible_unclaimed = account in c.accounts
        if not mine and not visible_unclaimed:
            out.add(principal.rsplit("/", 1)[-1])  # the role name is unique per generated org
    for (account,) in store.rows("SELECT DISTINCT account_id FROM usage_daily UNION SELECT account_id FROM accounts"):
        if not c.sees_account(account):
            out.add(account)
    return out


def calls_for(ctx: ToolContext) -> list[tuple[str, dict]]:
    calls: list[tuple[str, dict]] = []
    for t in toolset.tools_for(ctx, actions=frozenset({"read"})):
        calls.append((t.name, {}))
        if "product" in t.args_model.model_fields:
            for p in sorted(ctx.caller.products):
                calls.append((t.name, {"product": p}))
        if "by" in t.args_model.model_fields:
            for by in ("product", "principal", "account", "model", "portfolio", "business_unit"):
                calls.append((t.name, {"by": by, "top": 100}))
    return calls


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(org=orgs())
def test_no_tool_result_names_anything_outside_the_callers_scope(org: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = build(org, Path(tmp))
        try:
            people = [r[0] for r in store.rows(
                "SELECT DISTINCT email FROM person_roles WHERE persona IN ('product_owner', 'portfolio_manager')")]
            for email in people:
                ctx = ToolContext(store=store, caller=resolve_caller(store, email), today=TODAY,
                                  clock=datetime(2026, 11, 21, 12))
                banned = forbidden(store, ctx)
                for name, args in calls_for(ctx):
                    try:
                        text = toolset.call(ctx, name, args).model_dump_json()
                    except ToolError as exc:
                        text = str(exc)
                    leaked = sorted(b for b in banned if b in text)
                    assert not leaked, f"{email} via {name}({args}) saw {leaked}"
        finally:
            store.close()


def test_the_generator_produces_out_of_scope_names_to_check() -> None:
    """Guard against a vacuous property: a generated org has something a Product Owner must not see."""
    org = {"bus": {"Unit-000": {"Port-000": {"Dept-000": ["Prod-001"]}, "Port-001": {"Dept-001": ["Prod-002"]}}},
           "accounts": {"900000000000": "Port-001"}, "products": ["Prod-001", "Prod-002"],
           "roles": [("role-000", "900000000000", "Prod-002", date(2026, 11, 1))],
           "usage": [("role-000", "900000000000", "Claude3Haiku", date(2026, 11, 3), 10, 0.00025)],
           "catalog": {m[1]: None for m in MODELS}}
    with tempfile.TemporaryDirectory() as tmp:
        store = build(org, Path(tmp))
        ctx = ToolContext(store=store, caller=resolve_caller(store, "po0@example.com"), today=TODAY)
        assert forbidden(store, ctx) == {"Prod-002", "role-000", "900000000000"}
        store.close()

