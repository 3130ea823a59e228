"""Claims by profile or tag made through the tools and the CLI: governed as claims by principal (a Product
Owner claims directly only what matches spend in their part of the org, from today; anything else is a
request a FinOps Lead decides), audited, and attributing by the same precedence. Expected figures are
sums over the fixture rows of test_attribution_kinds, by hand."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger import org_export
from ledger.attribution import ensure_views
from ledger.store import Store
from tests.conftest import make_ctx
from tests.curfile import line
from tests.test_attribution_kinds import FIXTURE, build_store_file, _rows
from tools import toolset
from tools.errors import ToolError

LEAD, PO = "lead@example.com", "po@example.com"
UNKNOWN_TAG = "bedrock:project=unknown"  # one fixture row carries it (11-06, $50), unclaimed: Platform's by its role
ELSEWHERE = "bedrock:project=elsewhere"  # only on a row in an account outside the Product Owner's part of the org
OTHER_ACCOUNT = "999988887777"


def _all_rows() -> list[dict]:
    return _rows() + [line("2026-11-07", "USE1-NovaLite-input-tokens", 70, 7.0,
                           f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/lab/s1", account=OTHER_ACCOUNT,
                           resource_tags={"user_bedrock_project": "elsewhere"})]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store_file(tmp_path_factory.mktemp("claims_selector"), _all_rows())


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Store:
    shutil.copy(built, tmp_path / "steward.duckdb")
    with Store(tmp_path / "steward.duckdb") as s:
        ensure_views(s)
        yield s


def _claim(store: Store, who: str, **args):  # noqa: ANN003, ANN202 - SelectorClaimResult
    return toolset.call(make_ctx(store, who), "claim_profile_or_tag", args)


def _by_product(store: Store) -> dict[str, float]:
    return dict(store.rows("SELECT product, sum(unblended_cost) FROM attributed_daily "
                           "WHERE account_id <> ? GROUP BY product", [OTHER_ACCOUNT]))


def _fixture_totals() -> dict[str, float]:
    out: dict[str, float] = {}
    for _, cost, _, _, _, owner, _ in FIXTURE:
        out[owner] = out.get(owner, 0.0) + cost
    return out


def test_a_leads_backdated_tag_claim_attributes_the_tagged_rows_and_is_audited(store: Store) -> None:
    result = _claim(store, LEAD, kind="tag", selector=UNKNOWN_TAG, product="Search", claimed_on="2026-11-01",
                    reason="the search team's untagged experiments")
    assert result.status == "claimed" and result.cur_first_seen == date(2026, 11, 6)
    expected = _fixture_totals()
    expected["Search"] += 50.0  # the tag beats the role's claim (Platform) on that row
    expected["Platform"] -= 50.0
    assert _by_product(store) == pytest.approx(expected)
    action, subject, outcome, details = store.rows(
        "SELECT action, subject, outcome, details FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert (action, subject, outcome) == ("tool.claim_profile_or_tag", f"tag {UNKNOWN_TAG}", "ok")
    assert json.loads(details)["args"]["reason"] == "the search team's untagged experiments"


def test_a_backdated_claim_needs_a_reason_and_nothing_changes(store: Store) -> None:
    with pytest.raises(ToolError, match="needs a reason"):
        _claim(store, LEAD, kind="tag", selector=UNKNOWN_TAG, product="Search", claimed_on="2026-11-01")
    assert store.scalar("SELECT count(*) FROM selector_claims WHERE selector = ?", [UNKNOWN_TAG]) == 0


def test_a_product_owner_claims_today_what_matches_only_their_accounts(store: Store) -> None:
    result = _claim(store, PO, kind="tag", selector=UNKNOWN_TAG, product="Search")
    assert result.status == "claimed" and result.claimed_on == date(2026, 11, 21)
    assert _by_product(store) == pytest.approx(_fixture_totals())  # from today: no earlier row moves


def test_a_product_owners_backdated_claim_is_a_request_the_lead_approves(store: Store) -> None:
    asked = _claim(store, PO, kind="tag", selector=UNKNOWN_TAG, product="Search", claimed_on="2026-11-01",
                   reason="ours since the start")
    assert asked.status == "requested" and asked.request_id
    assert store.scalar("SELECT count(*) FROM selector_claims WHERE selector = ?", [UNKNOWN_TAG]) == 0
    listed = toolset.call(make_ctx(store, LEAD), "claim_requests", {})
    (req,) = listed.requests
    assert (req.kind, req.principal, req.lead_note) == ("tag", UNKNOWN_TAG, "unclaimed; seen in the CUR")
    toolset.call(make_ctx(store, LEAD), "decide_claim_request",
                 {"request_id": asked.request_id, "decision": "approve", "rationale": "confirmed with finance"})
    assert store.rows("SELECT product, claimed_by, claimed_on FROM selector_claims WHERE selector = ?",
                      [UNKNOWN_TAG]) == [("Search", PO, date(2026, 11, 1))]
    assert _by_product(store)["Search"] == pytest.approx(_fixture_totals()["Search"] + 50.0)


def test_a_tag_on_spend_outside_the_owners_part_of_the_org_is_a_request_saying_nothing_of_it(store: Store) -> None:
    outside = _claim(store, PO, kind="tag", selector=ELSEWHERE, product="Search")
    nowhere = _claim(store, PO, kind="tag", selector="bedrock:project=nosuch", product="Search")
    assert outside.status == nowhere.status == "requested"
    assert outside.message.replace(ELSEWHERE, "X").replace(outside.request_id, "R") == \
        nowhere.message.replace("bedrock:project=nosuch", "X").replace(nowhere.request_id, "R")
    assert store.scalar("SELECT count(*) FROM selector_claims WHERE selector = ?", [ELSEWHERE]) == 0


def test_a_tag_no_row_carries_is_an_error_for_a_lead(store: Store) -> None:
    with pytest.raises(ToolError, match="no CUR row has tag bedrock:project=nosuch"):
        _claim(store, LEAD, kind="tag", selector="bedrock:project=nosuch", product="Search")


def test_a_profile_or_tag_belongs_to_one_product_at_a_time(store: Store) -> None:
    with pytest.raises(ToolError, match="already claimed by Search"):
        _claim(store, LEAD, kind="tag", selector="bedrock:project=search", product="Risk")
    same = _claim(store, LEAD, kind="tag", selector="bedrock:project=search", product="Search")
    assert same.status == "already_claimed" and same.claimed_by == "po@example.com"


def test_a_system_profile_is_refused_with_why(store: Store) -> None:
    with pytest.raises(ToolError, match="system-defined profiles"):
        _claim(store, LEAD, kind="inference_profile", selector="us.anthropic.claude-sonnet-4-6", product="Fraud")


def test_claims_add_on_the_cli_and_the_org_export_lists_the_claim_last(store: Store) -> None:
    from steward.cli import app

    path = store.path
    store.close()
    out = CliRunner().invoke(app, ["--db", str(path), "--as-of", "2026-11-21", "claims", "add", "--tag",
                                   UNKNOWN_TAG, "--product", "Search", "--as", LEAD])
    assert out.exit_code == 0, out.output
    bad = CliRunner().invoke(app, ["--db", str(path), "claims", "add", "--tag", UNKNOWN_TAG, "--principal-tag",
                                   "team=risk", "--product", "Search", "--as", LEAD])
    assert bad.exit_code != 0 and "exactly one" in bad.output
    with Store(path) as again:
        claims = org_export.read_org(again).claims
    assert (claims[-1].kind, claims[-1].selector, claims[-1].product) == ("tag", UNKNOWN_TAG, "Search")
