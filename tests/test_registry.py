"""The governance registry: org file validation, declarative apply, export round trip, helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from ledger import audit, registry
from ledger.errors import RegistryError
from ledger.org_apply import apply_org
from ledger.org_export import export_org, export_org_yaml
from ledger.org_parse import load_org_file, load_org_text, parse_org
from ledger.registry import (
    claim_for_principal,
    claims_for,
    node_path,
    person,
    person_by_slack_id,
    products_under,
)
from ledger.store import Store

ROLE_ARN = "arn:aws:iam::111122223333:role/checkout-service-bedrock"
ROLE_SESSION = "arn:aws:sts::111122223333:assumed-role/checkout-service-bedrock/sess-42"
FRAUD_ARN = "arn:aws:iam::444455556666:role/fraud-scoring"
NOW = datetime(2026, 11, 10, 9, 30, 0)

ORG_YAML = """\
# A small but complete org.
accounts:
  - {id: "111122223333", name: payments-prod, owner: Payments}
  - {id: "444455556666", name: risk-prod, owner: Risk Analytics}
business_units:
  - name: Retail Banking
    portfolios:
      - name: Digital Channels
        departments:
          - name: Payments
            products: [{name: Checkout Service}, {name: Fraud Scoring}]
      - name: Risk
        departments:
          - name: Risk Analytics
            products: [{name: Credit Model}]
people:
  - {email: maria@example.com, name: Maria Lopez, slack_id: U0MARIA01,
     roles: [{persona: product_owner, products: [Checkout Service]}]}
  - {email: priya@example.com, roles: [{persona: portfolio_manager, portfolios: [Digital Channels]}]}
  - {email: lead@example.com, roles: [{persona: finops_lead}]}
  - {email: eng@example.com, roles: [{persona: cloud_engineer}]}
  - {email: boss@example.com, name: Big Boss,
     roles: [{persona: portfolio_manager, business_units: [Retail Banking]}]}
claims:
  - {principal: "arn:aws:sts::111122223333:assumed-role/checkout-service-bedrock/sess-1",
     product: Checkout Service, claimed_by: maria@example.com, claimed_on: 2026-09-01}
  - {principal: "arn:aws:iam::444455556666:role/fraud-scoring", product: Fraud Scoring,
     claimed_by: lead@example.com, claimed_on: 2026-09-02, note: shared with the rules engine}
estimates:
  - {product: Checkout Service, month: 2026-11, usd: 1200, input_tokens: 150000000, output_tokens: 20000000}
  - {product: Fraud Scoring, month: "2026-12", usd: 99.5}
models:
  - {id: anthropic.claude-3-haiku-20240307-v1:0, state: approved, accounts: ["111122223333"],
     regions: [us-east-1], action_scope: inference_only, rationale: "Cheap and fast.", decided_by: lead@example.com}
  - {id: anthropic.claude-sonnet-4-6, state: restricted, products: [Fraud Scoring], accounts: [],
     regions: [], action_scope: agentic_read_only, rationale: "Costly; fraud only.",
     decided_by: lead@example.com, decided_on: 2026-10-15}
  - {id: amazon.nova-premier-v1:0, state: blocked, rationale: "Not evaluated.", decided_by: lead@example.com}
model_names:
  - {billing_name: MyCustomModel, model_id: vendor.custom-model-v1:0, family: vendor-custom}
"""


def all_tables(store: Store) -> dict[str, list[tuple]]:
    """Every registry table plus the audit log and the other governance tables."""
    out = registry.registry_dump(store)
    for t in ("audit_log", "engineer_tasks", "access_requests", "spend_card_approvals"):
        out[t] = store.rows(f"SELECT * FROM {t} ORDER BY ALL")
    return out


@pytest.fixture
def seeded(store: Store, add_usage: Callable[..., None]) -> Store:
    """A store whose CUR has seen the two claimed principals (one via a session ARN)."""
    add_usage(ROLE_SESSION)
    add_usage(FRAUD_ARN, account_id="444455556666")
    return store


@pytest.fixture
def applied(seeded: Store) -> Store:
    apply_org(seeded, load_org_text(ORG_YAML, "org.yaml"), actor="lead@example.com", now=NOW)
    return seeded


def data() -> dict[str, Any]:
    return yaml.safe_load(ORG_YAML)


def as_text(d: dict[str, Any]) -> str:
    return yaml.safe_dump(d, sort_keys=False)


# ---------------------------------------------------------------------------- round trip


def test_apply_stores_every_section(applied: Store) -> None:
    assert applied.rows("SELECT kind, name, parent, position FROM org_nodes ORDER BY ALL") == sorted([
        ("business_unit", "Retail Banking", None, 0),
        ("portfolio", "Digital Channels", "Retail Banking", 0),
        ("portfolio", "Risk", "Retail Banking", 1),
        ("department", "Payments", "Digital Channels", 0),
        ("department", "Risk Analytics", "Risk", 0),
        ("product", "Checkout Service", "Payments", 0),
        ("product", "Fraud Scoring", "Payments", 1),
        ("product", "Credit Model", "Risk Analytics", 0),
    ])
    assert applied.rows("SELECT * FROM accounts ORDER BY position") == [
        ("111122223333", "payments-prod", "Payments", "department", 0),
        ("444455556666", "risk-prod", "Risk Analytics", "department", 1),
    ]
    assert applied.rows("SELECT * FROM org_products ORDER BY product") == [
        ("Checkout Service", "Payments", "Digital Channels", "Retail Banking"),
        ("Credit Model", "Risk Analytics", "Risk", "Retail Banking"),
        ("Fraud Scoring", "Payments", "Digital Channels", "Retail Banking"),
    ]
    assert applied.rows(
        "SELECT email, persona, role_index, node_kind, node_name FROM person_roles ORDER BY ALL"
    ) == [
        ("boss@example.com", "portfolio_manager", 0, "business_unit", "Retail Banking"),
        ("eng@example.com", "cloud_engineer", 0, None, None),
        ("lead@example.com", "finops_lead", 0, None, None),
        ("maria@example.com", "product_owner", 0, "product", "Checkout Service"),
        ("priya@example.com", "portfolio_manager", 0, "portfolio", "Digital Channels"),
    ]
    assert applied.rows("SELECT * FROM claims ORDER BY position") == [
        (ROLE_ARN, "Checkout Service", "maria@example.com", date(2026, 9, 1), None, 0),
        (FRAUD_ARN, "Fraud Scoring", "lead@example.com", date(2026, 9, 2),
         "shared with the rules engine", 1),
    ]
    assert applied.rows("SELECT * FROM estimates ORDER BY position") == [
        ("Checkout Service", "2026-11", 1200.0, 150000000, 20000000, "lead@example.com", NOW, 0, None, None),
        ("Fraud Scoring", "2026-12", 99.5, None, None, "lead@example.com", NOW, 1, None, None),
    ]
    assert applied.rows("SELECT * FROM model_catalog ORDER BY position") == [
        ("anthropic.claude-3-haiku-20240307-v1:0", "approved", [], ["111122223333"], ["us-east-1"],
         "inference_only", "Cheap and fast.", "lead@example.com", None, 0),
        ("anthropic.claude-sonnet-4-6", "restricted", ["Fraud Scoring"], [], [],
         "agentic_read_only", "Costly; fraud only.", "lead@example.com", date(2026, 10, 15), 1),
        ("amazon.nova-premier-v1:0", "blocked", [], [], [], "inference_only", "Not evaluated.",
         "lead@example.com", None, 2),
    ]
    assert applied.rows("SELECT * FROM model_name_overrides") == [
        ("MyCustomModel", "vendor.custom-model-v1:0", "vendor-custom", 0)
    ]


def test_export_round_trips_and_is_a_fixed_point(applied: Store, tmp_path: Path) -> None:
    original = load_org_text(ORG_YAML)
    assert parse_org(export_org(applied)) == original

    text = export_org_yaml(applied)
    assert "id: '111122223333'" in text  # account ids stay quoted strings
    assert "month: '2026-11'" in text
    assert "claimed_on: 2026-09-01" in text
    path = tmp_path / "exported.yaml"
    path.write_text(text)
    assert load_org_file(path) == original

    summary = apply_org(applied, load_org_file(path), actor="eng@example.com")
    assert summary.changed is False
    assert export_org_yaml(applied) == text


def test_applying_the_same_file_twice_changes_nothing_but_is_audited(seeded: Store) -> None:
    org = load_org_text(ORG_YAML, "org.yaml")
    first = apply_org(seeded, org, actor="lead@example.com", now=NOW, why="initial import")
    before = registry.registry_dump(seeded)
    second = apply_org(seeded, org, actor="eng@example.com", now=datetime(2026, 11, 11))

    assert first.changed is True
    assert first.changes["models"].added == 3
    assert first.changes["hierarchy"].added == 8
    assert (first.products, first.people, first.claims, first.models) == (3, 5, 2, 3)
    assert second.changed is False
    assert all(not ch.any for ch in second.changes.values())
    assert second.sha256 == first.sha256 == second.previous_sha256
    assert registry.registry_dump(seeded) == before  # set_at of estimates kept too

    log = audit.entries(seeded)
    assert [(e.seq, e.action, e.actor, e.subject) for e in log] == [
        (2, "org.apply", "eng@example.com", "org.yaml"),
        (1, "org.apply", "lead@example.com", "org.yaml"),
    ]
    assert log[1].why == "initial import"
    assert log[1].details["counts"]["products"] == 3
    assert log[1].details["changes"]["people"]["added"] == 5
    assert log[0].details["changed"] is False
    assert log[0].details["sha256"] == first.sha256
    assert audit.verify(seeded).ok


def test_apply_is_declarative(applied: Store) -> None:
    d = data()
    d["business_units"][0]["portfolios"][1]["departments"][0]["products"] = []
    d["accounts"][1]["owner"] = "Risk"
    d["estimates"][0]["usd"] = 1500
    del d["estimates"][1]
    d["models"] = d["models"][:1]
    d["model_names"] = []
    later = datetime(2026, 11, 20, 12, 0)
    summary = apply_org(applied, parse_org(d), actor="priya@example.com", now=later)

    assert summary.changed
    assert summary.changes["hierarchy"].removed_keys == ["Credit Model"]
    assert summary.changes["accounts"].changed_keys == ["444455556666"]
    assert summary.changes["estimates"].changed_keys == ["Checkout Service 2026-11"]
    assert summary.changes["estimates"].removed == 1
    assert summary.changes["models"].removed == 2
    assert summary.changes["model_names"].removed == 1
    assert applied.scalar("SELECT count(*) FROM org_nodes WHERE kind = 'product'") == 2
    assert applied.rows("SELECT owner_node, owner_kind FROM accounts WHERE account_id = '444455556666'") == [
        ("Risk", "portfolio")
    ]
    assert applied.rows("SELECT usd, set_by, set_at FROM estimates") == [(1500.0, "priya@example.com", later)]
    assert applied.scalar("SELECT count(*) FROM model_catalog") == 1
    assert applied.scalar("SELECT count(*) FROM model_name_overrides") == 0


def test_apply_leaves_other_tables_alone(applied: Store) -> None:
    applied.con.execute(
        "INSERT INTO engineer_tasks (task_id, created_at, kind, title, status) "
        "VALUES ('t1', TIMESTAMP '2026-11-01 00:00:00', 'tag_role', 'Tag the role', 'open')"
    )
    usage = applied.rows("SELECT * FROM bedrock_usage ORDER BY ALL")
    apply_org(applied, parse_org({"business_units": []}), actor="lead@example.com")
    assert applied.rows("SELECT task_id, status FROM engineer_tasks") == [("t1", "open")]
    assert applied.rows("SELECT * FROM bedrock_usage ORDER BY ALL") == usage
    assert applied.scalar("SELECT count(*) FROM audit_log") == 2
    assert all(v == [] for v in registry.registry_dump(applied).values())


def test_a_failure_inside_the_transaction_changes_nothing(
    applied: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = all_tables(applied)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "append", boom)
    d = data()
    d["model_names"] = []
    with pytest.raises(RuntimeError):
        apply_org(applied, parse_org(d), actor="lead@example.com")
    assert all_tables(applied) == before


# ---------------------------------------------------------------------------- errors


def _set(path: list[Any], value: Any) -> Callable[[dict], None]:
    def mutate(d: dict) -> None:
        node = d
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
    return mutate


def _delete(path: list[Any]) -> Callable[[dict], None]:
    def mutate(d: dict) -> None:
        node = d
        for p in path[:-1]:
            node = node[p]
        del node[path[-1]]
    return mutate


def _append(path: list[Any], value: Any) -> Callable[[dict], None]:
    def mutate(d: dict) -> None:
        node = d
        for p in path:
            node = node[p]
        node.append(value)
    return mutate


PRODUCTS = ["business_units", 0, "portfolios", 0, "departments", 0, "products"]

ERROR_CASES = [
    pytest.param(
        _set(["people", 2, "roles", 0, "persona"], "owner"),
        "people[2].roles[0].persona",
        "'owner' is not one of product_owner, portfolio_manager, finops_lead, cloud_engineer",
        id="bad-persona",
    ),
    pytest.param(
        _set(["claims", 0, "product"], "Checkout Servce"),
        "claims[0].product",
        "'Checkout Servce' is not a product in business_units (did you mean 'Checkout Service'?)",
        id="unknown-claim-product",
    ),
    pytest.param(
        _set(["accounts", 1, "owner"], "Treasury"),
        "accounts[1].owner",
        "'Treasury' is not a business unit, portfolio, department or product in business_units",
        id="unknown-owner",
    ),
    pytest.param(
        _append(PRODUCTS, {"name": "Payments"}),
        "business_units[0].portfolios[0].departments[0].products[2].name",
        "'Payments' is already the name of the department at "
        "business_units[0].portfolios[0].departments[0].name",
        id="duplicate-node-name",
    ),
    pytest.param(
        _append(["claims"], {"principal": ROLE_ARN, "product": "Checkout Service",
                             "claimed_by": "maria@example.com", "claimed_on": "2026-10-01"}),
        "claims[2].principal",
        f"'{ROLE_ARN}' is already claimed at claims[0] (for 'Checkout Service'); "
        "a principal belongs to one product at a time",
        id="duplicate-principal-claim",
    ),
    pytest.param(
        _delete(["models", 0, "rationale"]),
        "models[0].rationale",
        "is required but missing",
        id="missing-rationale",
    ),
    pytest.param(
        _set(["models", 2, "rationale"], "   "),
        "models[2].rationale",
        "is blank: say why this decision was made",
        id="blank-rationale",
    ),
    pytest.param(
        _delete(["models", 1, "products"]),
        "models[1].products",
        "state restricted needs products",
        id="restricted-without-products",
    ),
    pytest.param(
        _set(["estimates", 0, "month"], "2026-13"),
        "estimates[0].month",
        "'2026-13' is not a month; use YYYY-MM",
        id="bad-month",
    ),
    pytest.param(
        _set(["accounts", 0, "id"], "11112222333"),
        "accounts[0].id",
        "'11112222333' is not an AWS account id: a quoted string of 12 digits",
        id="eleven-digit-account",
    ),
    pytest.param(
        _set(["accounts", 0, "id"], 11122223333),
        "accounts[0].id",
        "must be a quoted string of 12 digits, e.g. \"011122223333\"",
        id="unquoted-account",
    ),
    pytest.param(
        _set(["teams"], []),
        "teams",
        "unknown top-level key 'teams'; allowed: accounts, business_units, people, claims, "
        "estimates, models, model_names",
        id="unknown-top-level-key",
    ),
    pytest.param(
        _set(["people", 1, "nmae"], "Priya"),
        "people[1].nmae",
        "unknown field 'nmae'; allowed: email, name, slack_id, roles",
        id="unknown-field",
    ),
    pytest.param(
        _set(["claims", 0, "claimed_by"], "priya@example.com"),
        "claims[0].claimed_by",
        "'priya@example.com' is neither a product_owner of 'Checkout Service' nor a finops_lead",
        id="claim-by-non-owner",
    ),
    pytest.param(
        _set(["models", 0, "decided_by"], "maria@example.com"),
        "models[0].decided_by",
        "'maria@example.com' is not a finops_lead",
        id="decided-by-non-finops",
    ),
    pytest.param(
        _set(["people", 0, "roles", 0, "products"], ["Payments"]),
        "people[0].roles[0].products[0]",
        "'Payments' is a department, not a product",
        id="role-scope-wrong-kind",
    ),
    pytest.param(
        _append(["estimates"], {"product": "Checkout Service", "month": "2026-11", "usd": 1}),
        "estimates[2].month",
        "'Checkout Service' already has an estimate for 2026-11 at estimates[0]",
        id="duplicate-estimate",
    ),
    pytest.param(
        _set(["estimates", 1, "usd"], -5),
        "estimates[1].usd",
        "-5 must be >= 0",
        id="negative-usd",
    ),
    pytest.param(
        _set(["models", 0, "state"], "allowed"),
        "models[0].state",
        "'allowed' is not one of approved, restricted, blocked",
        id="bad-state",
    ),
    pytest.param(  # issue 11: a name that would render as another one
        _set(PRODUCTS + [1, "name"], "Fraud\u202eScoring"),
        "business_units[0].portfolios[0].departments[0].products[1].name",
        "contains hidden characters",
        id="bidi-override-in-a-name",
    ),
    pytest.param(  # issue 11: names equal but for case or Unicode form are one name
        _set(PRODUCTS + [1, "name"], "CHECKOUT SERVICE"),
        "business_units[0].portfolios[0].departments[0].products[1].name",
        "differs only in case or Unicode form from the name at "
        "business_units[0].portfolios[0].departments[0].products[0].name",
        id="case-duplicate-name",
    ),
    pytest.param(
        _set(PRODUCTS + [1, "name"], "Checkout Servi\uff43e"),  # fullwidth c: NFKC folds it
        "business_units[0].portfolios[0].departments[0].products[1].name",
        "differs only in case or Unicode form",
        id="nfkc-duplicate-name",
    ),
    pytest.param(
        _set(["models", 0, "accounts"], ["999999999999"]),
        "models[0].accounts[0]",
        "'999999999999' is not an account in accounts",
        id="model-account-not-listed",
    ),
]


@pytest.mark.parametrize(("mutate", "where", "problem"), ERROR_CASES)
def test_invalid_org_files_are_refused_and_the_store_is_unchanged(
    applied: Store, mutate: Callable[[dict], None], where: str, problem: str
) -> None:
    before = all_tables(applied)
    d = data()
    mutate(d)
    with pytest.raises(RegistryError) as err:
        apply_org(applied, load_org_text(as_text(d), "org.yaml"), actor="lead@example.com")
    assert err.value.where == where
    assert problem in err.value.problem.splitlines()[0]
    assert str(err.value).startswith(f"{where}: ")
    assert all_tables(applied) == before


def test_yaml_syntax_error_names_line_and_column(applied: Store, tmp_path: Path) -> None:
    before = all_tables(applied)
    path = tmp_path / "org.yaml"
    path.write_text("accounts:\n  - {id: '111122223333', name: x\npeople: []\n")
    with pytest.raises(RegistryError) as err:
        load_org_file(path)
    assert err.value.where == f"{path}, line 3, column 7"
    assert err.value.problem.startswith("YAML syntax error:")
    assert all_tables(applied) == before


def test_duplicate_yaml_keys_are_refused() -> None:
    with pytest.raises(RegistryError) as err:
        load_org_text("people: []\naccounts: []\npeople: []\n", "org.yaml")
    assert err.value.where == "org.yaml, line 3, column 1"
    assert "duplicate key 'people'" in err.value.problem


def test_all_errors_are_listed_one_per_line() -> None:
    d = data()
    d["claims"][0]["product"] = "Nope"
    d["accounts"][0]["owner"] = "Nobody"
    d["models"][1]["products"] = []
    with pytest.raises(RegistryError) as err:
        parse_org(d)
    lines = str(err.value).splitlines()
    assert err.value.where == "accounts[0].owner"
    assert [line.split(":")[0] for line in lines] == [
        "accounts[0].owner", "claims[0].product", "models[1].products"
    ]
    assert len(err.value.errors) == 3  # type: ignore[attr-defined]


def test_empty_or_non_mapping_files_are_refused() -> None:
    with pytest.raises(RegistryError, match="is empty"):
        load_org_text("# nothing\n", "org.yaml")
    with pytest.raises(RegistryError, match="must be a mapping"):
        load_org_text("- a\n- b\n", "org.yaml")


# ---------------------------------------------------------------------------- claims vs CUR


def test_a_claim_on_a_principal_never_seen_in_cur_is_refused(applied: Store) -> None:
    before = all_tables(applied)
    d = data()
    d["claims"].append({"principal": "arn:aws:iam::111122223333:role/checkout-service-bedrok",
                        "product": "Checkout Service", "claimed_by": "maria@example.com",
                        "claimed_on": "2026-10-01"})
    with pytest.raises(RegistryError) as err:
        apply_org(applied, parse_org(d), actor="maria@example.com")
    assert err.value.where == "claims[2].principal"
    assert err.value.problem == (
        "no CUR row has principal 'arn:aws:iam::111122223333:role/checkout-service-bedrok' "
        f"(did you mean '{ROLE_ARN}'?); ingest CUR first, or make a test invocation with the "
        "role so it appears in the next CUR delivery"
    )
    assert all_tables(applied) == before


def test_claims_apply_once_the_principal_is_in_cur(store: Store, add_usage: Callable[..., None]) -> None:
    org = load_org_text(ORG_YAML)
    with pytest.raises(RegistryError) as err:
        apply_org(store, org, actor="lead@example.com")
    assert err.value.where == "claims[0].principal"
    assert len(err.value.errors) == 2  # type: ignore[attr-defined]
    assert store.scalar("SELECT count(*) FROM audit_log") == 0

    add_usage(ROLE_ARN)
    add_usage(FRAUD_ARN)
    apply_org(store, org, actor="lead@example.com")
    assert store.scalar("SELECT count(*) FROM claims") == 2


def test_session_arn_claims_are_stored_normalised(applied: Store) -> None:
    assert applied.scalar("SELECT principal FROM claims WHERE product = 'Checkout Service'") == ROLE_ARN
    claim = claim_for_principal(applied, ROLE_SESSION)
    assert claim is not None
    assert (claim.principal, claim.product, claim.claimed_on) == (
        ROLE_ARN, "Checkout Service", date(2026, 9, 1))


# ---------------------------------------------------------------------------- query helpers


def test_query_helpers(applied: Store) -> None:
    assert node_path(applied, "Fraud Scoring") == {
        "kind": "product",
        "name": "Fraud Scoring",
        "ancestors": [
            {"kind": "business_unit", "name": "Retail Banking"},
            {"kind": "portfolio", "name": "Digital Channels"},
            {"kind": "department", "name": "Payments"},
        ],
        "business_unit": "Retail Banking",
        "portfolio": "Digital Channels",
        "department": "Payments",
        "product": "Fraud Scoring",
    }
    assert node_path(applied, "Risk")["ancestors"] == [{"kind": "business_unit", "name": "Retail Banking"}]
    assert node_path(applied, "Nowhere") is None

    assert products_under(applied, "business_unit", "Retail Banking") == [
        "Checkout Service", "Fraud Scoring", "Credit Model"]
    assert products_under(applied, "portfolio", "Risk") == ["Credit Model"]
    assert products_under(applied, "department", "Payments") == ["Checkout Service", "Fraud Scoring"]
    assert products_under(applied, "product", "Fraud Scoring") == ["Fraud Scoring"]
    assert products_under(applied, "portfolio", "Payments") == []  # wrong kind
    assert products_under(applied, None, "Payments") == ["Checkout Service", "Fraud Scoring"]

    maria = person(applied, "Maria@Example.com")
    assert maria is not None
    assert (maria.name, maria.slack_id, maria.personas) == ("Maria Lopez", "U0MARIA01", ["product_owner"])
    assert maria.roles[0].products == ["Checkout Service"]
    assert person_by_slack_id(applied, "U0MARIA01") == maria
    assert person(applied, "nobody@example.com") is None
    boss = person(applied, "boss@example.com")
    assert boss is not None and boss.roles[0].business_units == ["Retail Banking"]

    assert [c.principal for c in claims_for(applied, "Fraud Scoring")] == [FRAUD_ARN]
    assert claims_for(applied, "Credit Model") == []
    assert claim_for_principal(applied, "arn:aws:iam::111122223333:role/other") is None

    entry = registry.model_entry(applied, "anthropic.claude-sonnet-4-6")
    assert entry is not None and (entry.state, entry.products) == ("restricted", ["Fraud Scoring"])
