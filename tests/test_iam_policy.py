"""IAM policy generation: every path a role uses works, everything else is denied; lint, size, moto.

Semantics are checked with tools/iam_eval.py (tested itself against AWS's worked examples in
tests/test_iam_eval.py). The requests each path makes are built here from the CUR rows and the
routing data file read directly, not with the generator's own path code.
"""

from __future__ import annotations

import json
import re
import shlex
from datetime import date
from importlib import resources
from typing import Any

import pytest
import yaml

from ledger.org_schema import ModelEntry
from ledger.store import Store
from tests.conftest import make_ctx
from tests.orgfixture import A1, A2, APP, CHECKOUT, FRAUD, HAIKU, HR, LAB, LLAMA70, LLAMA405, OPUS, SONNET
from tools import iam_policy as iam
from tools import iam_statements as st
from tools import toolset
from tools.errors import NotAllowed, ScopeError, ToolError
from tools.iam_eval import Request
from tools.iam_eval import evaluate as iam_evaluate

ROUTING = yaml.safe_load(resources.files("ledger").joinpath("data/routing.yaml").read_text())["families"]
INVOKES = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")


def evaluate(policy: dict[str, Any], action: str, resource: str, *, via_mcp: bool = False,
             context: dict[str, str] | None = None) -> str:
    """'deny' (explicit), 'allow', or 'implicit' (nothing allows it)."""
    ctx = dict(context or {})
    if via_mcp:
        ctx["aws:ViaAWSMCPService"] = "true"
    return {"explicit_deny": "deny", "allow": "allow", "implicit_deny": "implicit"}[
        iam_evaluate(policy, Request(action, resource, ctx))]


def fm(model: str, region: str = "us-east-1") -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model}"


def prof(region: str, account: str, profile_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}"


def allowed_models(policy: dict[str, Any]) -> set[str]:
    """Model ids a direct (in-Region) call may reach in at least one Region."""
    out = set()
    for s in policy["Statement"]:
        if s["Effect"] == "Allow":
            for r in s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]:
                m = re.match(r"^arn:aws:bedrock:[a-z0-9-]+::foundation-model/(.+)$", r)
                if m and evaluate(policy, "bedrock:InvokeModel", r) == "allow":
                    out.add(m.group(1))
    return out


# ------------------------------------------------------------------------------ requests per path


def destinations(family: str, model: str, source: str) -> list[str]:
    """From routing.yaml: the model's own route, else the family default; the source is included."""
    spec = ROUTING[family]
    own = ((spec.get("models") or {}).get(model) or {}).get("routes") or {}
    return sorted(set(own.get(source) or spec["default"][source]) | {source})


def geo_families(source: str) -> list[str]:
    return sorted(f for f, s in ROUTING.items() if s["kind"] == "geo" and source in s["default"])


def path_requests(account: str, region: str, model: str, routing: str, tier: str,
                  resource: str | None) -> list[Request]:
    """The checks AWS makes for one CUR row's path (Bedrock user guide, IAM policy requirements)."""
    if tier == "batch":
        return [Request("bedrock:CreateModelInvocationJob", fm(model, region))]
    app = resource if resource and ":application-inference-profile/" in resource else None
    if routing == "in-region" and not app:
        return [Request(a, fm(model, region)) for a in INVOKES]
    out = []
    if routing == "global":
        profiles = [(prof(region, account, f"global.{model}"), ["", region])]
    elif routing == "geo":
        named = re.search(r":inference-profile/([a-z-]+)\.", resource or "")
        fams = [named.group(1)] if named else geo_families(region)
        profiles = [(prof(region, account, f"{f}.{model}"), destinations(f, model, region)) for f in fams]
    else:
        profiles = []
    if app:
        inner = [d for _, ds in profiles for d in ds] or [region]
        profiles.append((app, inner))
    for arn, dests in profiles:
        for a in INVOKES:
            out.append(Request(a, arn))
            out += [Request(a, fm(model, d), {"bedrock:InferenceProfileArn": arn}) for d in dests]
    return out


def approved(entries: list[dict[str, Any]], model: str, account: str, product: str, region: str,
                default_regions: list[str]) -> bool:
    """The catalog rule, re-stated: approved (or restricted to this product) in this account and Region."""
    for e in entries:
        if e["id"] != model or (e.get("accounts") and account not in e["accounts"]):
            continue
        ok = e["state"] == "approved" or (e["state"] == "restricted" and product in e.get("products", []))
        return ok and region in (e.get("regions") or default_regions)
    return False


def blocked(entries: list[dict[str, Any]], model: str, account: str, product: str) -> bool:
    for e in entries:
        if e["id"] == model and not (e.get("accounts") and account not in e["accounts"]):
            return e["state"] == "blocked" or (e["state"] == "restricted" and product not in e.get("products", []))
    return False


# ------------------------------------------------------------------------------ fixtures


def add_row(store: Store, principal: str, account: str, region: str, model: str, billing: str, *,
            routing: str = "in-region", tier: str = "standard", resource: str | None = None) -> None:
    store.con.execute(
        "INSERT INTO bedrock_usage (billing_period, usage_start, usage_date, account_id, region, principal, "
        "principal_raw, principal_type, line_item_type, charge_class, usage_type, billing_model, model_id, "
        "kind, tier, routing, resource_id, unblended_cost, net_unblended_cost) VALUES ('2026-11', "
        "TIMESTAMP '2026-11-05', DATE '2026-11-05', ?, ?, ?, ?, 'role', 'Usage', 'usage', 'x', ?, ?, "
        "'input', ?, ?, ?, 1.0, 1.0)", [account, region, principal, principal, billing, model, tier, routing, resource])


# Checkout: Sonnet through global and us. profiles, Haiku through an application profile and the
# us. profile from us-west-2; Fraud: Llama 405B batch jobs; HR: Sonnet through us. from us-west-2
# (Sonnet is approved in us-east-1 only: not an approved path).
APP_PROFILE = f"arn:aws:bedrock:us-east-1:{A1}:application-inference-profile/abc123def456"
EXTRA = [
    (CHECKOUT, A1, "us-east-1", SONNET, "Claude4.6Sonnet", "global", "standard", prof("us-east-1", A1, f"global.{SONNET}")),
    (CHECKOUT, A1, "us-east-1", SONNET, "Claude4.6Sonnet", "geo", "standard", None),
    (CHECKOUT, A1, "us-east-1", HAIKU, "Claude3Haiku", "in-region", "standard", APP_PROFILE),
    (CHECKOUT, A1, "us-west-2", HAIKU, "Claude3Haiku", "geo", "standard", prof("us-west-2", A1, f"us.{HAIKU}")),
    (FRAUD, A1, "us-east-1", LLAMA405, "Llama3-1-405B", "in-region", "batch", None),
    (HR, A2, "us-west-2", SONNET, "Claude4.6Sonnet", "geo", "standard", None),
]


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory):
    from tests.orgfixture import build_store

    s = build_store(tmp_path_factory.mktemp("routed"))
    for p, a, r, m, b, routing, tier, res in EXTRA:
        add_row(s, p, a, r, m, b, routing=routing, tier=tier, resource=res)
    yield s
    s.close()


def catalog_dicts(store: Store) -> list[dict[str, Any]]:
    return [e.model_dump() for e in iam.catalog(store)]


def cur_paths(store: Store, principal: str) -> list[tuple]:
    return store.rows("SELECT DISTINCT account_id, region, model_id, routing, tier, resource_id FROM bedrock_usage "
                      "WHERE principal = ? AND model_id IS NOT NULL AND charge_class = 'usage'", [principal])


def check_role(store: Store, principal: str, product: str, regions: list[str]) -> tuple[int, int]:
    """Every CUR path of the role: allowed if the catalog approves it, else never allowed; blocked
    models explicitly denied. Returns (allowed paths, refused paths)."""
    policy = iam.policy_for_role(store, principal, regions=regions)
    entries = catalog_dicts(store)
    product_ok = refused = 0
    for account, region, model, routing, tier, res in cur_paths(store, principal):
        reqs = path_requests(account, region, model, routing, tier, res)
        got = {evaluate(policy, r.action, r.resource, context=dict(r.context)) for r in reqs}
        if approved(entries, model, account, product, region, regions):
            assert got == {"allow"}, (principal, region, model, routing, tier, res)
            product_ok += 1
        else:
            assert "allow" not in got or len(got) > 1, (principal, region, model, routing, tier, res)
            refused += 1
            if blocked(entries, model, account, product):
                assert evaluate(policy, INVOKES[0], reqs[0].resource) == "deny"
    return product_ok, refused


# ------------------------------------------------------------------------------ paths


def test_every_cur_path_of_every_fixture_role_is_allowed_or_refused_as_the_catalog_says(routed):
    counts = {p: check_role(routed, p, prod, iam.DEFAULT_REGIONS)
              for p, prod in [(CHECKOUT, "Checkout"), (FRAUD, "Fraud"), (APP, "App"), (HR, "HR Portal")]}
    assert counts[CHECKOUT] == (5, 1)  # the Opus drift row is refused
    assert counts[FRAUD] == (3, 0)
    assert counts[HR][1] == 2          # Sonnet from us-west-2, in-Region and through us.


def test_a_geographic_profile_reaches_the_model_in_every_destination_region(routed):
    policy = iam.policy_for_role(routed, CHECKOUT)
    profile = prof("us-east-1", A1, f"us.{SONNET}")
    assert evaluate(policy, "bedrock:InvokeModel", profile) == "allow"
    for region in ("us-east-1", "us-east-2", "us-west-2"):  # routing.yaml: the us. family from us-east-1
        via = {"bedrock:InferenceProfileArn": profile}
        assert evaluate(policy, "bedrock:InvokeModel", fm(SONNET, region), context=via) == "allow"
    # The destination model cannot be called directly where the catalog did not approve it.
    assert evaluate(policy, "bedrock:InvokeModel", fm(SONNET, "us-east-2")) == "implicit"


def test_a_global_profile_reaches_the_region_less_model_arn_through_the_profile_only(routed):
    policy = iam.policy_for_role(routed, CHECKOUT)
    profile = prof("us-east-1", A1, f"global.{SONNET}")
    region_less = f"arn:aws:bedrock:::foundation-model/{SONNET}"
    via = {"bedrock:InferenceProfileArn": profile, "aws:RequestedRegion": "unspecified"}
    assert evaluate(policy, "bedrock:InvokeModel", profile) == "allow"
    assert evaluate(policy, "bedrock:InvokeModel", region_less, context=via) == "allow"
    assert evaluate(policy, "bedrock:InvokeModel", region_less) == "implicit"
    other = {"bedrock:InferenceProfileArn": prof("us-west-2", A1, f"global.{SONNET}")}
    assert evaluate(policy, "bedrock:InvokeModel", region_less, context=other) == "implicit"


def test_application_profile_in_use_is_allowed_with_what_it_routes_to(routed):
    policy = iam.policy_for_role(routed, CHECKOUT)
    assert evaluate(policy, "bedrock:InvokeModel", APP_PROFILE) == "allow"
    assert evaluate(policy, "bedrock:InvokeModel", fm(HAIKU),
                    context={"bedrock:InferenceProfileArn": APP_PROFILE}) == "allow"
    # Fraud does not use it.
    assert evaluate(iam.policy_for_role(routed, FRAUD), "bedrock:InvokeModel", APP_PROFILE) == "implicit"


def test_batch_rows_add_job_creation_and_pass_role_on_the_named_service_role(routed):
    policy = iam.policy_for_role(routed, FRAUD)
    service_role = f"arn:aws:iam::{A1}:role/{iam.BATCH_SERVICE_ROLE}"
    job = f"arn:aws:bedrock:us-east-1:{A1}:model-invocation-job/j1"
    assert evaluate(policy, "bedrock:CreateModelInvocationJob", fm(LLAMA405)) == "allow"
    assert evaluate(policy, "bedrock:CreateModelInvocationJob", job) == "allow"
    assert evaluate(policy, "iam:PassRole", service_role,
                    context={"iam:PassedToService": "bedrock.amazonaws.com"}) == "allow"
    assert evaluate(policy, "iam:PassRole", service_role,
                    context={"iam:PassedToService": "ec2.amazonaws.com"}) == "implicit"
    # Checkout has no batch rows: no batch statement at all.
    assert evaluate(iam.policy_for_role(routed, CHECKOUT), "bedrock:CreateModelInvocationJob", fm(HAIKU)) == "implicit"


@pytest.mark.parametrize("family", ["us", "eu", "apac", "jp", "au", "ca", "us-gov", "global"])
def test_blocked_models_are_denied_on_every_path(routed, family):
    policy = iam.policy_for_role(routed, CHECKOUT)
    for model in (LLAMA70, LLAMA405):  # blocked; restricted to Fraud
        assert evaluate(policy, "bedrock:InvokeModel", prof("eu-west-1", A1, f"{family}.{model}")) == "deny"
        assert evaluate(policy, "bedrock:InvokeModelWithResponseStream", fm(model, "ap-south-1")) == "deny"
        assert evaluate(policy, "bedrock:InvokeModel", f"arn:aws:bedrock:::foundation-model/{model}") == "deny"
        assert evaluate(policy, "bedrock:CreateModelInvocationJob", fm(model)) == "deny"


def test_pause_denies_every_request_of_every_path(routed):
    pause = iam.pause_policy()
    for principal in (CHECKOUT, FRAUD, HR):
        policy = iam.policy_for_role(routed, principal)
        for account, region, model, routing, tier, res in cur_paths(routed, principal):
            for r in path_requests(account, region, model, routing, tier, res):
                assert iam_evaluate([policy, pause], r) == "explicit_deny", r
    region_less = Request("bedrock:InvokeModel", f"arn:aws:bedrock:::foundation-model/{SONNET}")
    assert iam_evaluate(pause, region_less) == "explicit_deny"


def test_the_tool_lists_approved_and_unapproved_paths(routed):
    view = toolset.call(make_ctx(routed, "eng@example.com"), "iam_policy", {"product": "HR Portal"})
    role = view.roles[0]
    assert any("us.anthropic.claude-sonnet-4-6 profile" in p and "us-west-2" in p for p in role.unapproved_paths)
    assert all("us-west-2" not in p for p in role.paths if SONNET in p)


# ------------------------------------------------------------------------------ the old guarantees


def test_same_request_via_mcp_is_denied_under_inference_only(org_store):
    policy = iam.policy_for_role(org_store, CHECKOUT)
    assert evaluate(policy, "bedrock:InvokeModel", fm(SONNET)) == "allow"
    assert evaluate(policy, "bedrock:InvokeModel", fm(SONNET), via_mcp=True) == "deny"


def test_unreviewed_model_and_unapproved_region_are_not_allowed(org_store):
    assert evaluate(iam.policy_for_role(org_store, CHECKOUT), "bedrock:InvokeModel", fm(OPUS)) == "implicit"
    assert evaluate(iam.policy_for_role(org_store, HR), "bedrock:InvokeModel", fm(SONNET, "us-west-2")) == "implicit"


def test_unscoped_entry_allows_every_configured_region(org_store):
    policy = iam.policy_for_role(org_store, CHECKOUT, regions=["us-east-1", "eu-west-1"])
    assert evaluate(policy, "bedrock:InvokeModel", fm(HAIKU, "eu-west-1")) == "allow"
    assert evaluate(policy, "bedrock:InvokeModel", prof("eu-west-1", A1, f"eu.{HAIKU}")) == "allow"
    assert evaluate(policy, "bedrock:InvokeModel", fm(HAIKU, "us-west-2")) == "implicit"


def entry(model: str, state: str = "approved", *, products=(), accounts=(), regions=(),
          scope: str = "inference_only") -> ModelEntry:
    return ModelEntry(id=model, state=state, products=list(products), accounts=list(accounts),
                      regions=list(regions), action_scope=scope, rationale="test",
                      decided_by="lead@example.com", decided_on=date(2026, 11, 1))


SCOPED = {
    scope: iam.build_policy(account=A1, product="Checkout", entries=[
        entry(HAIKU, scope=scope), entry(LLAMA70, "blocked"), entry(LLAMA405, "restricted", products=["Fraud"])])
    for scope in iam.SCOPE_ORDER
}


def test_approval_does_not_carry_to_another_account():
    policy = iam.build_policy(account=A2, product="HR Portal", entries=[entry(OPUS, accounts=[A1])])
    assert evaluate(policy, "bedrock:InvokeModel", fm(OPUS)) == "implicit"
    assert evaluate(policy, "bedrock:InvokeModel", prof("us-east-1", A2, f"global.{OPUS}")) == "implicit"


def test_policy_allows_exactly_the_models_approved_for_the_role(org_store):
    assert allowed_models(iam.policy_for_role(org_store, CHECKOUT)) == {SONNET, HAIKU}
    assert allowed_models(iam.policy_for_role(org_store, FRAUD)) == {SONNET, HAIKU, LLAMA405}


def test_agentic_scopes():
    ro, rw = SCOPED["agentic_read_only"], SCOPED["agentic_read_write"]
    assert evaluate(ro, "bedrock:ListFoundationModels", "*", via_mcp=True) != "deny"
    assert evaluate(ro, "bedrock:CreateInferenceProfile", "*", via_mcp=True) == "deny"
    assert evaluate(ro, "bedrock:InvokeModel", fm(HAIKU), via_mcp=True) == "deny"
    assert evaluate(rw, "bedrock:InvokeModel", fm(HAIKU), via_mcp=True) == "allow"
    assert iam.effective_scope(iam.build_policy(account=A1, product="Checkout", entries=[
        entry(HAIKU, scope="agentic_read_write"), entry(SONNET, scope="agentic_read_only")])) == "agentic_read_only"


def test_role_without_approved_models_gets_only_the_mcp_deny():
    policy = iam.build_policy(account=A1, product="Checkout", entries=[])
    assert [s["Sid"] for s in policy["Statement"]] == ["StewardDenyAgenticAccess"]


def test_policy_json_is_deterministic_whatever_the_catalog_order():
    entries = [entry(HAIKU), entry(SONNET, regions=["us-west-2"]), entry(LLAMA70, "blocked")]
    a = iam.build_policy(account=A1, product="Checkout", entries=entries)
    b = iam.build_policy(account=A1, product="Checkout", entries=list(reversed(entries)))
    assert iam.policy_json(a) == iam.policy_json(b)


def test_policy_for_an_unclaimed_role_is_an_error(org_store):
    with pytest.raises(ToolError, match="not claimed"):
        iam.policy_for_role(org_store, LAB)


# ------------------------------------------------------------------------------ size


# Every model with a us. profile, approved in six US and EU Regions: too large for one inline policy.
WIDE_REGIONS = ["eu-central-1", "eu-west-1", "eu-west-3", "us-east-1", "us-east-2", "us-west-2"]
WIDE = [entry(m) for m in ROUTING["us"]["models"]]


def test_a_policy_too_large_for_inline_is_split_into_managed_policies_that_still_work():
    policy = iam.build_policy(account=A1, product="Checkout", entries=WIDE, regions=WIDE_REGIONS)
    assert st.policy_chars(policy) > st.INLINE_LIMIT
    plan = iam.apply_plan(f"arn:aws:iam::{A1}:role/wide", policy)
    assert plan.mode == "managed" and 1 < len(plan.documents) <= st.MANAGED_PER_ROLE
    assert all(len(iam.policy_json(d.policy)) <= 6144 for d in plan.documents)
    parts = [d.policy for d in plan.documents]
    # Every approved path still works across the parts; an unapproved Region still does not.
    for model in ("anthropic.claude-haiku-4-5-20251001-v1:0", "amazon.nova-pro-v1:0"):
        for src in ("us-east-1", "eu-west-3"):
            fam = geo_families(src)[0]
            arn = prof(src, A1, f"{fam}.{model}")
            assert iam_evaluate(parts, Request("bedrock:InvokeModel", arn)) == "allow"
            for d in destinations(fam, model, src):
                req = Request("bedrock:InvokeModel", fm(model, d), {"bedrock:InferenceProfileArn": arn})
                assert iam_evaluate(parts, req) == "allow"
        assert iam_evaluate(parts, Request("bedrock:InvokeModel", fm(model, "sa-east-1"))) == "implicit_deny"
    argv = [shlex.split(c) for c in plan.commands]
    assert [a[2] for a in argv] == ["create-policy", "attach-role-policy"] * len(parts) + ["delete-role-policy"]
    assert [json.loads(a[6]) for a in argv if a[2] == "create-policy"] == parts


def test_a_fitting_policy_is_one_inline_put_role_policy(org_store):
    policy = iam.policy_for_role(org_store, FRAUD)
    plan = iam.apply_plan(FRAUD, policy)
    assert plan.mode == "inline" and len(plan.commands) == 1
    argv = shlex.split(plan.commands[0])
    assert argv[:7] == ["aws", "iam", "put-role-policy", "--role-name", "fraud-bedrock", "--policy-name", "Steward-Bedrock"]
    assert json.loads(argv[8]) == policy
    # Room is kept for the pause policy, which shares the role's inline quota.
    assert plan.documents[0].limit == st.INLINE_LIMIT - len(iam.policy_json(iam.pause_policy()))


# ------------------------------------------------------------------------------ parliament + moto


# Known parliament 1.6.x limitations, checked independently instead:
# - UNKNOWN_CONDITION_FOR_ACTION on aws:ViaAWSMCPService: its IAM data predates this global key;
#   on bedrock:InferenceProfileArn and iam:PassedToService for actions it lists them under other resources.
# - RESOURCE_MISMATCH on Bedrock actions: parliament wants a resource of *every* type the action
#   supports (duo-labs/parliament#48) and rejects a colon inside a resource id, which model ids have.
_OWN_ARN = re.compile(r"^arn:aws:bedrock:[a-z0-9*-]*:(\d{12})?:(foundation-model|inference-profile|"
                      r"application-inference-profile|model-invocation-job)/[A-Za-z0-9.:*-]+$")


def lint(policy: dict[str, Any]) -> list[tuple[str, Any]]:
    from parliament import analyze_policy_string

    out = []
    for f in analyze_policy_string(iam.policy_json(policy)).findings:
        if f.issue == "UNKNOWN_CONDITION_FOR_ACTION" and any(
                k in str(f.detail) for k in ("aws:ViaAWSMCPService", "bedrock:InferenceProfileArn")):
            continue
        if f.issue == "RESOURCE_MISMATCH" and all(d["action"].startswith("bedrock:") for d in f.detail):
            bedrock = [r for s in policy["Statement"] if s["Effect"] == "Allow" and "bedrock:InvokeModel" in s["Action"]
                       for r in s["Resource"]]
            assert all(_OWN_ARN.match(r) for r in bedrock), bedrock
            continue
        out.append((f.issue, f.detail))
    return out


@pytest.mark.parametrize("principal", [CHECKOUT, FRAUD, APP, HR])
def test_every_fixture_role_policy_lints_clean(routed, principal):
    assert lint(iam.policy_for_role(routed, principal)) == []


def test_scoped_pause_and_split_policies_lint_clean():
    for policy in [*SCOPED.values(), iam.pause_policy()]:
        assert lint(policy) == []
    wide = iam.build_policy(account=A1, product="Checkout", entries=WIDE, regions=WIDE_REGIONS)
    for doc in iam.apply_plan(f"arn:aws:iam::{A1}:role/wide", wide).documents:
        assert lint(doc.policy) == []


def test_policies_apply_to_iam_and_read_back_equal(routed, monkeypatch):
    import boto3
    from moto import mock_aws

    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    inline = {"checkout-bedrock": iam.policy_for_role(routed, CHECKOUT), "fraud-bedrock": iam.policy_for_role(routed, FRAUD),
              "read-only-role": SCOPED["agentic_read_only"], "pause-role": iam.pause_policy()}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "lambda.amazonaws.com"}}]}
    wide = iam.build_policy(account=A1, product="Checkout", entries=WIDE, regions=WIDE_REGIONS)
    with mock_aws():
        client = boto3.client("iam")
        for role, policy in inline.items():
            client.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
            client.put_role_policy(RoleName=role, PolicyName=iam.POLICY_NAME, PolicyDocument=iam.policy_json(policy))
            assert client.get_role_policy(RoleName=role, PolicyName=iam.POLICY_NAME)["PolicyDocument"] == policy
        client.create_role(RoleName="wide", AssumeRolePolicyDocument=json.dumps(trust))
        for doc in iam.apply_plan(f"arn:aws:iam::{A1}:role/wide", wide).documents:
            arn = client.create_policy(PolicyName=doc.name, PolicyDocument=iam.policy_json(doc.policy))["Policy"]["Arn"]
            client.attach_role_policy(RoleName="wide", PolicyArn=arn)
            version = client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            got = client.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            assert got == doc.policy


# ------------------------------------------------------------------------------ the read tool


def test_engineer_gets_policy_summary_and_exact_command_per_claimed_role(org_store):
    view = toolset.call(make_ctx(org_store, "eng@example.com"), "iam_policy", {"product": "Fraud"})
    assert [r.principal for r in view.roles] == [FRAUD]
    role = view.roles[0]
    argv = shlex.split(role.command)
    assert argv[4] == "fraud-bedrock" and json.loads(argv[8]) == role.policy
    assert role.policy == iam.policy_for_role(org_store, FRAUD)
    assert role.allowed_models == sorted([SONNET, HAIKU, LLAMA405])
    assert len(role.summary) == len(role.policy["Statement"])
    assert all(line.startswith(s["Sid"] + ": " + s["Effect"]) for line, s in zip(role.summary, role.policy["Statement"]))
    assert any("Converse" in line for line in role.summary)
    assert json.loads(role.pretty) == role.policy and "\n  " in role.pretty
    assert role.mode == "inline" and not role.over_limit


def test_product_owner_sees_own_product_policy_only(org_store):
    view = toolset.call(make_ctx(org_store, "maria@example.com"), "iam_policy", {"product": "checkout"})
    assert view.product == "Checkout" and len(view.roles) == 1
    with pytest.raises(ScopeError):
        toolset.call(make_ctx(org_store, "hana@example.com"), "iam_policy", {"product": "Checkout"})
    with pytest.raises(NotAllowed):
        toolset.call(make_ctx(org_store, "priya@example.com"), "iam_policy", {"product": "Checkout"})
