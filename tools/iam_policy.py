"""IAM policy generation: the role policy each claimed role should carry, per invocation path.

Pure functions over the registry (claims + model catalog), the routing data and the role's CUR rows;
the Cloud Engineer receives the exact `aws iam` commands. One inline policy per role
(`Steward-Bedrock`) when it fits IAM's quota, else managed policies (tools/iam_apply.py), so
re-running a task replaces the role's Steward policy wholesale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from ledger import registry
from ledger import routing as rt
from ledger.org_schema import ModelEntry
from ledger.principals import account_of, principal_type, role_name
from ledger.store import Store
from tools import iam_apply as apply
from tools import iam_paths as paths
from tools import iam_statements as st
from tools.context import ToolContext
from tools.errors import ToolError
from tools.iam_paths import Path, foundation_model_arn, inference_profile_arn  # noqa: F401 (re-exported)
from tools.iam_statements import INLINE_LIMIT, INVOKE_ACTIONS  # noqa: F401 (re-exported)
from tools.declare import tool
from tools.scope import require_policy_product

POLICY_NAME = "Steward-Bedrock"
PAUSE_POLICY_NAME = "Steward-Pause"
DEFAULT_REGIONS = ["us-east-1", "us-west-2"]
# IAM limit on the aggregate size of a role's inline policies (characters, whitespace excluded).
IAM_INLINE_LIMIT = INLINE_LIMIT
# The service role a batch inference job runs as (reads input from and writes output to S3); the
# role that creates the job must be allowed to pass it. Named here so the engineer knows which.
BATCH_SERVICE_ROLE = "BedrockBatchInferenceRole"

# Converse / ConverseStream and StartAsyncInvoke are authorised by InvokeModel /
# InvokeModelWithResponseStream (there is no bedrock:Converse IAM action). A pause stops new batch
# inference jobs too. Resource "*" covers every path: Regional and Region-less model ARNs, system and
# application inference profiles.
PAUSE_ACTIONS = ["bedrock:CreateModelInvocationJob", "bedrock:InvokeModel*"]
# What an agent may still do through an AWS-managed MCP server under agentic_read_only: describe,
# get and list calls that change nothing (no inference: that spends money and is not a read).
READ_ONLY_ACTIONS = [
    "bedrock:Get*",
    "bedrock:List*",
    "cloudwatch:Describe*",
    "cloudwatch:Get*",
    "cloudwatch:List*",
    "logs:Describe*",
    "logs:FilterLogEvents",
    "logs:Get*",
    "sts:GetCallerIdentity",
    "tag:GetResources",
]
# Least permissive first.
SCOPE_ORDER = ["inference_only", "agentic_read_only", "agentic_read_write"]
MCP_CONDITION = {"Bool": {"aws:ViaAWSMCPService": "true"}}


def _applies(entry: ModelEntry, account: str) -> bool:
    return not entry.accounts or account in entry.accounts


def allowed_for(entry: ModelEntry, account: str, product: str) -> bool:
    """Whether a catalog entry grants a role of `product` in `account` use of its model."""
    if not _applies(entry, account):
        return False
    return entry.state == "approved" or (entry.state == "restricted" and product in entry.products)


def denied_for(entry: ModelEntry, account: str, product: str) -> bool:
    """Blocked in this account, or restricted to other products: an explicit Deny."""
    if not _applies(entry, account):
        return False
    return entry.state == "blocked" or (entry.state == "restricted" and product not in entry.products)


def catalog(store: Store) -> list[ModelEntry]:
    """Every model_catalog entry, in file order."""
    return registry.model_entries(store)


def pass_role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{BATCH_SERVICE_ROLE}"


def role_paths(*, account: str, product: str, entries: list[ModelEntry], regions: list[str],
               routing: rt.Routing, observed: Iterable[paths.Observed] = ()) -> tuple[list[Path], list[Path]]:
    """(approved, unapproved) paths of a role: every path the catalog opens (approved model x
    approved source Region x each system profile from there), plus the paths its CUR rows show;
    an observed path of a model not approved in that source Region is unapproved."""
    approved_in: dict[str, set[str]] = {}
    allowed: list[Path] = []
    for e in entries:
        if allowed_for(e, account, product):
            regs = list(e.regions) or regions
            approved_in.setdefault(e.id, set()).update(regs)
            allowed += paths.catalog_paths(e, regs, routing)
    unapproved: list[Path] = []
    for obs in observed:
        for p in paths.observed_paths(obs, routing):
            (allowed if p.region in approved_in.get(p.model_id, ()) else unapproved).append(p)
    return paths.unique(allowed), paths.unique(unapproved)


def build_policy(*, account: str, product: str, entries: list[ModelEntry], regions: list[str] | None = None,
                 routing: rt.Routing | None = None, observed: Iterable[paths.Observed] = ()) -> dict[str, Any]:
    """The role policy for a role of `product` in `account` under the given catalog entries.

    - Allow each approved path (tools/iam_paths.py): the model ARN in each approved Region; each
      system profile from there (geographic: the profile plus the model in the source and every
      destination Region; global: the profile, the model in the source Region and the Region-less
      model ARN), the model statements scoped by a bedrock:InferenceProfileArn condition so they
      cannot be called directly; application profiles and batch jobs the role's CUR rows show
      (batch with iam:PassRole on the batch service role). InvokeModel and
      InvokeModelWithResponseStream cover Converse and ConverseStream.
    - Deny models blocked in the account or restricted to other products on every path.
    - Deny every action when `aws:ViaAWSMCPService` is true. AWS-managed MCP servers set this
      condition key on the requests they make for a caller, so the Deny stops agents acting through
      them. The least permissive action scope across the role's approved models decides:
      inference_only -> Deny "*"; agentic_read_only -> Deny everything except read-only actions
      (NotAction); agentic_read_write -> no MCP Deny. A role with no approved model gets the full Deny.
    Statements are sorted by Sid, actions and resources sorted: the JSON is deterministic.
    """
    regions = list(regions or DEFAULT_REGIONS)
    routing = routing or rt.load()
    allowed, _ = role_paths(account=account, product=product, entries=entries, regions=regions,
                            routing=routing, observed=observed)
    scopes = [e.action_scope for e in entries if allowed_for(e, account, product)]
    blocked = sorted({e.id for e in entries if denied_for(e, account, product)})
    scope = min(scopes, key=SCOPE_ORDER.index) if scopes else "inference_only"
    statements = st.allow_statements(allowed, account, pass_role_arn(account))
    deny = st.deny_blocked(blocked, account)
    if deny:
        statements.append(deny)
    if scope == "inference_only":
        statements.append({"Sid": "StewardDenyAgenticAccess", "Effect": "Deny", "Action": "*",
                           "Resource": "*", "Condition": MCP_CONDITION})
    elif scope == "agentic_read_only":
        statements.append({"Sid": "StewardDenyAgenticWrites", "Effect": "Deny",
                           "NotAction": list(READ_ONLY_ACTIONS), "Resource": "*",
                           "Condition": MCP_CONDITION})
    statements.sort(key=lambda s: s["Sid"])
    return {"Version": "2012-10-17", "Statement": statements}


def effective_scope(policy: dict[str, Any]) -> str:
    sids = {s["Sid"] for s in policy["Statement"]}
    if "StewardDenyAgenticAccess" in sids:
        return "inference_only"
    return "agentic_read_only" if "StewardDenyAgenticWrites" in sids else "agentic_read_write"


class PolicyInputs:
    """What policies depend on besides the catalog: routing data and each role's observed paths,
    read once for many roles (one query over the CUR rows)."""

    def __init__(self, store: Store, principals: list[str]) -> None:
        self.routing = rt.load(store)
        self.observed = paths.observed(store, principals)

    def policy(self, principal: str, product: str, entries: list[ModelEntry], regions: list[str]) -> dict[str, Any]:
        return build_policy(account=account_of(principal) or "", product=product, entries=entries,
                            regions=regions, routing=self.routing, observed=self.observed.get(principal, []))


def policy_for_role(store: Store, principal: str, *, regions: list[str] | None = None,
                    entries: list[ModelEntry] | None = None) -> dict[str, Any]:
    """The Steward-Bedrock policy of a claimed role (see build_policy). `entries` overrides the
    catalog (e.g. to compute the policy before a decision). ToolError if the role is not claimed."""
    claim = registry.claim_for_principal(store, principal)
    if claim is None:
        raise ToolError(f"{principal} is not claimed by any product")
    account = account_of(claim.principal)
    if principal_type(claim.principal) != "role" or account is None:
        raise ToolError(f"{claim.principal} is not an IAM role: role policies apply to roles only")
    return PolicyInputs(store, [claim.principal]).policy(
        claim.principal, claim.product, catalog(store) if entries is None else entries,
        list(regions or DEFAULT_REGIONS))


def apply_plan(principal: str, policy: dict[str, Any]) -> apply.ApplyPlan:
    """How to apply a role's Steward-Bedrock policy (inline, compressed or managed parts). Room is
    kept for the Steward-Pause inline policy, which shares the role's inline quota."""
    return apply.plan(role_name(principal) or principal, account_of(principal) or "", POLICY_NAME, policy,
                      reserved=st.policy_chars(pause_policy()))


def apply_command(principal: str, policy: dict[str, Any]) -> str:
    """The exact command(s), one per line, that give a role this policy."""
    return "\n".join(apply_plan(principal, policy).commands)


def pause_policy() -> dict[str, Any]:
    """Explicit Deny on model invocation (InvokeModel*, which also authorises Converse,
    ConverseStream and async invokes) and on new batch inference jobs: it overrides every Allow."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "StewardPauseBedrock", "Effect": "Deny", "Action": list(PAUSE_ACTIONS), "Resource": "*"}]}


def policy_json(policy: dict[str, Any]) -> str:
    """Compact, deterministic JSON (key order as built; statements, actions, resources sorted)."""
    return apply.compact(policy)


def put_role_policy_command(role: str, policy_name: str, policy: dict[str, Any]) -> str:
    """`aws iam put-role-policy ...` with every argument shell-quoted (shlex-safe)."""
    return apply.put_role_policy(role, policy_name, policy)


def delete_role_policy_command(role: str, policy_name: str) -> str:
    return apply.delete_role_policy(role, policy_name)


def configured_regions(ctx: ToolContext) -> list[str]:
    """The Bedrock regions an entry with no regions stands for (ctx.bedrock_regions if wired)."""
    return list(ctx.bedrock_regions or DEFAULT_REGIONS)


def claimed_roles(store: Store, product: str | None = None) -> list[tuple[str, str]]:
    """(principal, product) of claimed IAM roles, in claim order."""
    sql = "SELECT principal, product FROM claims"
    rows = store.rows(sql + (" WHERE product = ?" if product else "") + " ORDER BY position",
                      [product] if product else [])
    return [(p, prod) for p, prod in rows if principal_type(p) == "role"]


# ------------------------------------------------------------------------------ the read tool


class IamPolicyArgs(BaseModel):
    product: str = Field(description="The product whose claimed roles' policies to show.")


class RolePolicy(BaseModel):
    principal: str
    account: str
    role_name: str
    policy_name: str
    action_scope: str = Field(description="The agentic scope the policy enforces for this role.")
    allowed_models: list[str]
    paths: list[str] = Field(description="Every path the policy allows (model from Region, how).")
    unapproved_paths: list[str] = Field(description="Paths the role's CUR rows show that the catalog does not approve: denied.")
    policy: dict[str, Any] = Field(description="The whole policy (before any split).")
    policy_json: str
    pretty: str = Field(description="The policy, indented for reading.")
    summary: list[str] = Field(description="One line per statement.")
    chars: int = Field(description="Size of the whole policy as IAM counts it (no whitespace).")
    largest_document_chars: int
    limit: int = Field(description="IAM's limit for the kind of document applied (inline share or 6,144 managed).")
    mode: str = Field(description="inline (one put-role-policy) or managed (create-policy + attach-role-policy).")
    over_limit: bool = Field(description="Whether the whole policy exceeds the inline quota (then it is split).")
    documents: list[apply.PolicyDoc]
    commands: list[str]
    update_commands: list[str]
    command: str = Field(description="The exact command(s) a Cloud Engineer runs in the role's account.")


class SharedRoleControl(BaseModel):
    """A shared role reaching the product through its profiles or tags: the product's own Deny there
    (Steward-Pause-<product>, exactly what pause_product puts), never a policy for the whole role."""

    principal: str
    account: str
    role_name: str
    reached_through: list[str]  # the product's profile ARNs and principal tags (key=value) on the role
    policy_name: str
    policy: dict[str, Any]
    command: str
    undo_command: str
    stops: str
    keeps_running: str


class IamPolicyView(BaseModel):
    product: str
    regions_when_unscoped: list[str] = Field(description="Regions a catalog entry with no regions stands for.")
    roles: list[RolePolicy]
    skipped: list[str] = Field(description="Claimed principals that are not roles (no role policy).")
    shared_roles: list[SharedRoleControl] = []  # roles it reaches only through profiles or tags
    limits: list[str] = []  # what no policy Steward generates for it can stop


def role_policy_view(store: Store, principal: str, product: str, regions: list[str],
                     inputs: PolicyInputs | None = None) -> RolePolicy:
    entries = catalog(store)
    inputs = inputs or PolicyInputs(store, [principal])
    account = account_of(principal) or ""
    allowed, unapproved = role_paths(account=account, product=product, entries=entries, regions=regions,
                                     routing=inputs.routing, observed=inputs.observed.get(principal, []))
    policy = inputs.policy(principal, product, entries, regions)
    plan = apply_plan(principal, policy)
    name = role_name(principal) or principal
    return RolePolicy(
        principal=principal, account=account, role_name=name, policy_name=POLICY_NAME,
        action_scope=effective_scope(policy),
        allowed_models=sorted(e.id for e in entries if allowed_for(e, account, product)),
        paths=[p.describe() for p in allowed], unapproved_paths=[p.describe() for p in unapproved],
        policy=policy, policy_json=policy_json(policy), pretty=apply.pretty(policy),
        summary=apply.summary(policy), chars=st.policy_chars(policy),
        largest_document_chars=max(d.chars for d in plan.documents), limit=plan.documents[0].limit,
        mode=plan.mode, over_limit=st.policy_chars(policy) > plan.documents[0].limit if plan.mode == "inline"
        else True, documents=plan.documents, commands=plan.commands, update_commands=plan.update_commands,
        command="\n".join(plan.commands))


@tool(name="iam_policy", personas={"cloud_engineer", "finops_lead", "product_owner"}, action="read",
      family="iam")
def iam_policy(ctx: ToolContext, args: IamPolicyArgs) -> IamPolicyView:
    """Each claimed role's generated IAM policy (approved models allowed, others denied), and the `aws iam`
    commands that apply it.

    The IAM policy Steward generates for each claimed role of a product, with a one-line summary
    per statement and the exact `aws iam` commands that apply it (put-role-policy Steward-Bedrock, or
    create-policy + attach-role-policy when it must be split into managed policies; run in the role's
    account). It allows bedrock:InvokeModel / InvokeModelWithResponseStream (which also cover Converse
    and ConverseStream) on every path to the models approved for that account and product: in-Region,
    geographic and global cross-Region profiles (with the model in every destination Region, scoped
    to the profile), application profiles and batch jobs the role's usage shows; explicitly denies
    models blocked there or restricted to other products on every path; and denies agentic access
    through AWS-managed MCP servers (aws:ViaAWSMCPService) unless the FinOps Lead approved an agentic
    action scope for every model the role may use. A product reached through its inference profiles or
    principal tags on a role it does not claim (a shared gateway) gets no policy for that role: `shared_roles`
    gives the narrower Deny Steward can put there for it (the one pause_product uses) and what it cannot
    stop. Product Owners see their own products only."""
    product = require_policy_product(ctx, args.product)
    regions = configured_regions(ctx)
    principals = [p for p, _ in claimed_roles(ctx.store, product)]
    inputs = PolicyInputs(ctx.store, principals)
    roles = [role_policy_view(ctx.store, p, product, regions, inputs) for p in principals]
    skipped = [c.principal for c in registry.claims_for(ctx.store, product) if principal_type(c.principal) != "role"]
    from tools.pause_shared import shared_role_controls  # it builds on this module's policies

    shared, limits = shared_role_controls(ctx.store, product, set(principals))
    return IamPolicyView(product=product, regions_when_unscoped=regions, roles=roles, skipped=skipped,
                         shared_roles=shared, limits=limits)
