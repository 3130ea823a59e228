"""Claims by inference profile, resource tag and principal tag: precedence per row, the claim-date
rule for every kind, a shared role split exactly, validity against CUR, and the org file round trip.

Every fixture row says by hand which product it belongs to (`owner`) and by which rule; expected
figures are plain sums over those rows, never the code under test."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from ledger import org_apply, org_export, org_parse
from ledger.attribution import ensure_views
from ledger.errors import RegistryError
from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.curfile import line

ACCOUNT = "111122223333"
GATEWAY = f"arn:aws:iam::{ACCOUNT}:role/shared-gateway"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/shared-gateway/gw-1"
FRAUD_PROFILE = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/fraud01"
OTHER_PROFILE = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/other99"
SEARCH_TAG = {"user_bedrock_project": "search"}  # the CUR 2.0 name of resource tag bedrock:project
RISK_TAG = {"iamPrincipal/team": "risk"}

# (day, cost, resource id, resource tags, principal tags, owner, rule) - the owner is worked out by
# hand from the org below: profile > tag > principal tag > principal, each only from its claim date.
FIXTURE = [
    ("2026-11-02", 10.0, FRAUD_PROFILE, {}, {}, "Fraud", "inference_profile"),
    ("2026-11-12", 11.0, FRAUD_PROFILE, SEARCH_TAG, {}, "Fraud", "inference_profile"),  # profile beats tag
    ("2026-11-03", 20.0, None, SEARCH_TAG, {}, "Platform", "principal"),  # tag claim not in effect yet
    ("2026-11-09", 21.0, None, SEARCH_TAG, RISK_TAG, "Risk", "principal_tag"),  # ... so the next rule wins
    ("2026-11-10", 22.0, None, SEARCH_TAG, {}, "Search", "tag"),  # the claim day counts
    ("2026-11-15", 23.0, None, SEARCH_TAG, RISK_TAG, "Search", "tag"),  # tag beats principal tag
    ("2026-11-04", 30.0, None, {}, RISK_TAG, "Risk", "principal_tag"),
    ("2026-11-05", 40.0, None, {}, {}, "Platform", "principal"),
    ("2026-11-06", 41.0, OTHER_PROFILE, {}, {}, "Platform", "principal"),  # an unclaimed profile
    ("2026-11-06", 50.0, None, {"user_bedrock_project": "unknown"}, {}, "Platform", "principal"),
]

ORG_YAML = f"""
accounts:
  - {{id: "{ACCOUNT}", name: shared-prod, owner: Platform Team}}
business_units:
  - name: Bank
    portfolios:
      - name: Risk and Search
        departments:
          - name: Platform Team
            products: [{{name: Platform}}, {{name: Fraud}}, {{name: Search}}, {{name: Risk}}]
people:
  - {{email: lead@example.com, name: Lee Adams, roles: [{{persona: finops_lead}}]}}
  - {{email: po@example.com, name: Pat Owner, roles: [{{persona: product_owner, products: [Search]}}]}}
claims:
  - {{principal: "{GATEWAY}", product: Platform, claimed_by: lead@example.com, claimed_on: 2026-11-01}}
  - {{principal_tag: "team=risk", product: Risk, claimed_by: lead@example.com, claimed_on: 2026-11-01}}
  - {{tag: "bedrock:project=search", product: Search, claimed_by: po@example.com, claimed_on: 2026-11-10,
     note: mid-month}}
  - {{inference_profile: "{FRAUD_PROFILE}", product: Fraud, claimed_by: lead@example.com, claimed_on: 2026-11-01}}
"""


def _rows() -> list[dict]:
    out = []
    for day, cost, resource, resource_tags, principal_tags, _, _ in FIXTURE:
        row = line(day, "USE1-NovaLite-input-tokens", cost * 10, cost, SESSION, resource_tags=resource_tags,
                   tags=principal_tags)
        row["line_item_resource_id"] = resource
        out.append(row)
    return out


def build_store_file(tmp: Path, rows: list[dict]) -> Path:
    """A store file of these CUR rows (one November export) under the org file ORG_YAML."""
    curfile.write(curfile.export_path(tmp, "2026-11"), rows)
    with Store(tmp / "steward.duckdb") as s:
        ingest(s, [str(tmp / "cur")], actor="test")
        org_apply.apply_org(s, org_parse.load_org_text(ORG_YAML), actor="test")
    return tmp / "steward.duckdb"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    tmp = tmp_path_factory.mktemp("kinds")
    curfile.write(curfile.export_path(tmp, "2026-11"), _rows())
    s = Store(tmp / "steward.duckdb")
    ingest(s, [str(tmp / "cur")], actor="test")
    org_apply.apply_org(s, org_parse.load_org_text(ORG_YAML), actor="test")
    ensure_views(s)
    yield s
    s.close()


def test_a_shared_role_is_split_exactly_by_profile_tag_and_principal_tag(store: Store) -> None:
    expected: dict[str, float] = defaultdict(float)
    for _, cost, _, _, _, owner, _ in FIXTURE:
        expected[owner] += cost
    got = dict(store.rows("SELECT product, sum(unblended_cost) FROM attributed_daily GROUP BY product"))
    assert got == pytest.approx(dict(expected))
    assert set(got) == {"Fraud", "Search", "Risk", "Platform"}  # one role, four products
    assert sum(got.values()) == pytest.approx(sum(r[1] for r in FIXTURE))  # nothing lost or counted twice


def test_each_row_says_by_which_rule_it_is_attributed(store: Store) -> None:
    got = sorted(store.rows("SELECT usage_date::VARCHAR, unblended_cost, product, attributed_by "
                            "FROM attributed_daily ORDER BY 1, 2"))
    assert got == sorted((d, c, owner, rule) for d, c, _, _, _, owner, rule in FIXTURE)


def test_a_tag_claim_counts_from_its_claim_day(store: Store) -> None:
    search = store.rows("SELECT min(usage_date)::VARCHAR, sum(unblended_cost) FROM attributed_daily "
                        "WHERE product = 'Search'")[0]
    assert search == ("2026-11-10", pytest.approx(22.0 + 23.0))


def test_when_no_claim_of_any_kind_matches_the_spend_stays_unattributed(tmp_path: Path) -> None:
    rows = _rows()
    curfile.write(curfile.export_path(tmp_path, "2026-11"), rows)
    with Store(tmp_path / "s.duckdb") as s:
        ingest(s, [str(tmp_path / "cur")], actor="test")
        # Without the principal's own claim, what no profile or tag claim takes is unattributed.
        org_apply.apply_org(s, org_parse.load_org_text(ORG_YAML.replace(
            f'  - {{principal: "{GATEWAY}", product: Platform, claimed_by: lead@example.com, claimed_on: 2026-11-01}}\n',
            "")), actor="test")
        ensure_views(s)
        unattributed = s.scalar("SELECT sum(unblended_cost) FROM attributed_daily WHERE product IS NULL")
    assert unattributed == pytest.approx(sum(r[1] for r in FIXTURE if r[5] == "Platform"))


def test_org_apply_and_export_round_trip_every_kind_of_claim(store: Store) -> None:
    exported = org_export.export_org(store)
    kinds = [next(k for k in ("principal", "principal_tag", "tag", "inference_profile") if k in c)
             for c in exported["claims"]]
    assert kinds == ["principal", "principal_tag", "tag", "inference_profile"]  # file order kept
    assert exported["claims"][2] == {"tag": "bedrock:project=search", "product": "Search",
                                     "claimed_by": "po@example.com", "claimed_on": exported["claims"][2]["claimed_on"],
                                     "note": "mid-month"}
    text = org_export.export_org_yaml(store)
    summary = org_apply.apply_org(store, org_parse.load_org_text(text), actor="test")
    assert not summary.changed and org_export.export_org_yaml(store) == text


@pytest.mark.parametrize("claim,where,words", [
    ('{tag: "bedrock:project=nosuch", product: Search, claimed_by: lead@example.com, claimed_on: 2026-11-01}',
     "claims[4].tag", "no CUR row has tag bedrock:project=nosuch"),
    ('{principal_tag: "team=nobody", product: Risk, claimed_by: lead@example.com, claimed_on: 2026-11-01}',
     "claims[4].principal_tag", "no CUR row has principal tag team=nobody"),
    (f'{{inference_profile: "{FRAUD_PROFILE}x", product: Fraud, claimed_by: lead@example.com, claimed_on: 2026-11-01}}',
     "claims[4].inference_profile", "no CUR row has inference profile"),
    (f'{{inference_profile: "{FRAUD_PROFILE}", product: Search, claimed_by: lead@example.com, claimed_on: 2026-11-01}}',
     "claims[4].inference_profile", "is already claimed at claims[3]"),
    ('{tag: "bedrock:project=search", principal_tag: "team=risk", product: Search, claimed_by: lead@example.com, '
     'claimed_on: 2026-11-01}', "claims[4]", "names exactly one of"),
    ('{inference_profile: "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-lite-v1:0", '
     'product: Search, claimed_by: lead@example.com, claimed_on: 2026-11-01}', "claims[4].inference_profile",
     "cannot be claimed"),
    ('{tag: "bedrock:project", product: Search, claimed_by: lead@example.com, claimed_on: 2026-11-01}',
     "claims[4].tag", "key=value"),
    ('{tag: "bedrock:project=other", product: Risk, claimed_by: po@example.com, claimed_on: 2026-11-01}',
     "claims[4].claimed_by", "neither a product_owner of 'Risk' nor a finops_lead"),
])
def test_bad_claims_are_refused_with_where_and_why_and_nothing_changes(store: Store, claim: str, where: str,
                                                                      words: str) -> None:
    before = org_export.export_org_yaml(store)
    with pytest.raises(RegistryError) as info:
        org_apply.apply_org(store, org_parse.load_org_text(ORG_YAML + f"  - {claim}\n"), actor="test")
    assert where in str(info.value) and words in str(info.value)
    assert org_export.export_org_yaml(store) == before


# ------------------------------------------------------------------ tag coverage (FinOps Lead)


def test_tag_coverage_gives_tagged_and_attributed_shares_and_rules(store: Store) -> None:
    from tests.conftest import make_ctx
    from tools import toolset

    result = toolset.call(make_ctx(store, "lead@example.com"), "tag_coverage", {"month": "2026-11"})
    total = sum(r[1] for r in FIXTURE)
    tagged = sum(r[1] for r in FIXTURE if r[2] or r[3] or r[4])
    by_rule: dict[str, float] = defaultdict(float)
    for _, cost, _, _, _, _, rule in FIXTURE:
        by_rule[rule] += cost
    assert result.total.usd == pytest.approx(total) and result.total.tagged_usd == pytest.approx(tagged)
    assert result.total.attributed_usd == pytest.approx(total)  # the gateway's own claim takes the rest
    assert result.total.tagged_pct == pytest.approx(round(100 * tagged / total, 1))
    assert result.total.by_rule == pytest.approx(dict(by_rule))
    assert [a.account_id for a in result.accounts] == [ACCOUNT]
    keys = {(k.key, k.source): k.usd for k in result.tag_keys}
    assert keys == pytest.approx({
        ("user_bedrock_project", "resource_tag"): sum(r[1] for r in FIXTURE if r[3]),
        ("team", "principal_tag"): sum(r[1] for r in FIXTURE if r[4]),
    })


def test_tag_coverage_is_for_finops_leads_only(store: Store) -> None:
    from tests.conftest import make_ctx
    from tools import toolset
    from tools.errors import NotAllowed

    with pytest.raises(NotAllowed):
        toolset.call(make_ctx(store, "po@example.com"), "tag_coverage", {})


def test_unattributed_spend_marks_the_untagged_rest_of_a_shared_principal(tmp_path: Path) -> None:
    from tests.conftest import make_ctx
    from tools import toolset

    curfile.write(curfile.export_path(tmp_path, "2026-11"), _rows())
    with Store(tmp_path / "s.duckdb") as s:
        ingest(s, [str(tmp_path / "cur")], actor="test")
        org_apply.apply_org(s, org_parse.load_org_text(ORG_YAML.replace(
            f'  - {{principal: "{GATEWAY}", product: Platform, claimed_by: lead@example.com, claimed_on: 2026-11-01}}\n',
            "")), actor="test")
        result = toolset.call(make_ctx(s, "lead@example.com"), "unattributed_spend", {"month": "2026-11"})
    line = next(ln for g in result.groups for ln in g.lines if ln.principal == GATEWAY)
    assert line.shared and line.reason == "unclaimed"
    assert line.usd == pytest.approx(sum(r[1] for r in FIXTURE if r[5] == "Platform"))
    assert result.tag_keys == ["user_bedrock_project"]  # the only key on the unattributed rows


def test_spend_breakdown_by_attribution_names_the_rule_of_each_figure(store: Store) -> None:
    from tests.conftest import make_ctx
    from tools import toolset

    result = toolset.call(make_ctx(store, "lead@example.com"), "spend_breakdown",
                          {"month": "2026-11", "by": "attribution", "top": 20})
    selector = {"inference_profile": FRAUD_PROFILE, "tag": "bedrock:project=search", "principal_tag": "team=risk",
                "principal": GATEWAY}
    expected: dict[str, float] = defaultdict(float)
    for _, cost, _, _, _, owner, rule in FIXTURE:
        expected[f"{owner} by {rule.replace('_', ' ')} {selector[rule]}"] += cost
    assert {r.key: r.usd for r in result.rows} == pytest.approx(dict(expected))


def test_a_store_made_before_claims_by_profile_and_tag_gets_the_rollup_columns(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # usage_daily as it was: no profile_id, no tag_set
        con.execute("""CREATE TABLE usage_daily (billing_period VARCHAR NOT NULL, usage_date DATE NOT NULL,
            account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, principal VARCHAR NOT NULL, billing_model VARCHAR,
            model_id VARCHAR, model_family VARCHAR, kind VARCHAR NOT NULL, tier VARCHAR NOT NULL,
            routing VARCHAR NOT NULL, charge_class VARCHAR NOT NULL, tokens DOUBLE, usage_amount DOUBLE,
            unblended_cost DOUBLE NOT NULL, net_unblended_cost DOUBLE NOT NULL, line_items BIGINT NOT NULL)""")
    with Store(path) as store:
        columns = {r[0]: r[1] for r in store.rows("DESCRIBE usage_daily")}
        ensure_views(store)  # the attribution view reads them
        assert store.scalar("SELECT count(*) FROM attributed_daily") == 0
    assert columns["profile_id"] == "VARCHAR" and columns["tag_set"] == "UBIGINT"
