"""IAM policy generation: the exact inline role policy each claimed role should carry.

Pure functions over the registry (claims + model catalog); the Cloud Engineer receives the result as
an `aws iam put-role-policy` command. One inline policy per role (`Steward-Bedrock`) holds everything,
so re-running a command replaces the role's Steward policy wholesale and commands are idempotent.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from pydantic import BaseModel, Field

from ledger import registry
from ledger.org_schema import ModelEntry
from ledger.principals import account_of, principal_type, role_name
from ledger.store import Store
from tools.context import ToolContext
from tools.errors import ScopeError, ToolError
from tools.scope import require_product
from tools.toolset import tool

POLICY_NAME = "Steward-Bedrock"
PAUSE_POLICY_NAME = "Steward-Pause"
DEFAULT_REGIONS = ["us-east-1", "us-west-2"]
# IAM limit on the aggregate size of a role's inline policies (characters, whitespace excluded).
IAM_INLINE_LIMIT = 10_240

INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
# Converse / ConverseStream and StartAsyncInvoke are authorised by InvokeModel /
# InvokeModelWithResponseStream (there is no bedrock:Converse IAM action). A pause stops new batch
# inference jobs too.
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
# Cross-region (geographic) inference profile prefix of a source region.
_GEO_PREFIXES = (("us-gov-", None), ("us-", "us"), ("eu-", "eu"), ("ap-", "apac"))


def geo_prefix(region: str) -> str | None:
    for start, prefix in _GEO_PREFIXES:
        if region.startswith(start):
            return prefix
    return None


def foundation_model_arn(region: str, model_id: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def inference_profile_arn(region: str, account: str, profile_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}"


def model_arns(model_id: str, account: str, regions: list[str]) -> list[str]:
    """Foundation-model ARNs in each region, plus the geographic (us./eu./apac.) and global.
    cross-region inference profile ARNs callable from that region in the role's account."""
    out: set[str] = set()
    for region in regions:
        out.add(foundation_model_arn(region, model_id))
        geo = geo_prefix(region)
        if geo:
            out.add(inference_profile_arn(region, account, f"{geo}.{model_id}"))
        out.add(inference_profile_arn(region, account, f"global.{model_id}"))
    return sorted(out)


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


def build_policy(*, account: str, product: str, entries: list[ModelEntry],
                 regions: list[str] | None = None) -> dict[str, Any]:
    """The role policy for a role of `product` in `account` under the given catalog entries.

    - Allow bedrock:InvokeModel and InvokeModelWithResponseStream only on the models approved for
      the account (approved, or restricted to this product), in their approved regions (an entry
      with no regions means every configured region), on the foundation-model ARNs and the
      cross-region inference-profile ARNs (us./eu./apac. and global.) of the role's account.
    - Deny the same actions on models blocked in the account or restricted to other products, in
      every region (a Deny wins over any other grant the role may carry).
    - Deny every action when `aws:ViaAWSMCPService` is true. AWS-managed MCP servers set this
      condition key on the requests they make for a caller, so the Deny stops agents acting through
      them. The condition is per role, not per model, so the least permissive action scope across
      the role's approved models decides: inference_only -> Deny "*"; agentic_read_only -> Deny
      everything except read-only actions (NotAction); agentic_read_write -> no MCP Deny (only when
      every approved model of the role has it). A role with no approved model gets the full Deny.
    Statements are sorted by Sid, actions and resources sorted: the JSON is deterministic.
    """
    regions = list(regions or DEFAULT_REGIONS)
    allow: set[str] = set()
    deny: set[str] = set()
    scopes: list[str] = []
    for e in entries:
        if allowed_for(e, account, product):
            allow.update(model_arns(e.id, account, list(e.regions) or regions))
            scopes.append(e.action_scope)
        elif denied_for(e, account, product):
            deny.add(f"arn:aws:bedrock:*::foundation-model/{e.id}")
            deny.add(f"arn:aws:bedrock:*:{account}:inference-profile/*.{e.id}")
    scope = min(scopes, key=SCOPE_ORDER.index) if scopes else "inference_only"
    statements: list[dict[str, Any]] = []
    if allow:
        statements.append({"Sid": "StewardAllowApprovedModels", "Effect": "Allow",
                           "Action": list(INVOKE_ACTIONS), "Resource": sorted(allow)})
    if deny:
        statements.append({"Sid": "StewardDenyBlockedModels", "Effect": "Deny",
                           "Action": list(INVOKE_ACTIONS), "Resource": sorted(deny)})
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
    return build_policy(account=account, product=claim.product,
                        entries=catalog(store) if entries is None else entries, regions=regions)


def pause_policy() -> dict[str, Any]:
    """Explicit Deny on model invocation (InvokeModel*, which also authorises Converse,
    ConverseStream and async invokes) and on new batch inference jobs: it overrides every Allow."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "StewardPauseBedrock", "Effect": "Deny", "Action": list(PAUSE_ACTIONS), "Resource": "*"}]}


def policy_json(policy: dict[str, Any]) -> str:
    """Compact, deterministic JSON (key order as built; statements, actions, resources sorted)."""
    return json.dumps(policy, separators=(",", ":"))


def put_role_policy_command(role: str, policy_name: str, policy: dict[str, Any]) -> str:
    """`aws iam put-role-policy ...` with every argument shell-quoted (shlex-safe)."""
    return " ".join(["aws iam put-role-policy", "--role-name", shlex.quote(role),
                     "--policy-name", shlex.quote(policy_name),
                     "--policy-document", shlex.quote(policy_json(policy))])


def delete_role_policy_command(role: str, policy_name: str) -> str:
    return " ".join(["aws iam delete-role-policy", "--role-name", shlex.quote(role),
                     "--policy-name", shlex.quote(policy_name)])


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
    policy: dict[str, Any]
    policy_json: str
    chars: int = Field(description="Policy size; IAM allows 10,240 characters of inline policy per role.")
    over_limit: bool
    command: str = Field(description="The exact command a Cloud Engineer runs in the role's account.")


class IamPolicyView(BaseModel):
    product: str
    regions_when_unscoped: list[str] = Field(description="Regions a catalog entry with no regions stands for.")
    roles: list[RolePolicy]
    skipped: list[str] = Field(description="Claimed principals that are not roles (no role policy).")


def role_policy_view(store: Store, principal: str, product: str, regions: list[str]) -> RolePolicy:
    entries = catalog(store)
    account = account_of(principal) or ""
    policy = build_policy(account=account, product=product, entries=entries, regions=regions)
    text = policy_json(policy)
    name = role_name(principal) or principal
    return RolePolicy(
        principal=principal, account=account, role_name=name, policy_name=POLICY_NAME,
        action_scope=effective_scope(policy),
        allowed_models=sorted(e.id for e in entries if allowed_for(e, account, product)),
        policy=policy, policy_json=text, chars=len(text), over_limit=len(text) > IAM_INLINE_LIMIT,
        command=put_role_policy_command(name, POLICY_NAME, policy))


@tool(name="iam_policy", personas={"cloud_engineer", "finops_lead", "product_owner"}, action="read",
      family="iam")
def iam_policy(ctx: ToolContext, args: IamPolicyArgs) -> IamPolicyView:
    """The IAM policy Steward generates for each claimed role of a product, and the exact
    `aws iam put-role-policy` command that applies it (policy name Steward-Bedrock, run in the role's
    account). The policy allows bedrock:InvokeModel / InvokeModelWithResponseStream only on models
    approved for that account and product, in their approved regions (foundation-model and
    cross-region inference-profile ARNs); explicitly denies models blocked there or restricted to
    other products; and denies agentic access through AWS-managed MCP servers
    (aws:ViaAWSMCPService) unless the FinOps Lead approved an agentic action scope for every model
    the role may use. Product Owners see their own products only."""
    caller = ctx.caller
    if caller.all_access or caller.has("cloud_engineer"):
        every = [r[0] for r in ctx.store.rows("SELECT name FROM org_nodes WHERE kind = 'product' ORDER BY name")]
        found = next((p for p in every if p.casefold() == args.product.strip().casefold()), None)
        if found is None:
            raise ToolError(f"there is no product named '{args.product}'. Products: {', '.join(every)}")
        product = found
    else:
        product = require_product(ctx, args.product)
        if product not in caller.owned_products:
            raise ScopeError("product", args.product)
    regions = configured_regions(ctx)
    roles = [role_policy_view(ctx.store, p, product, regions) for p, _ in claimed_roles(ctx.store, product)]
    skipped = [c.principal for c in registry.claims_for(ctx.store, product) if principal_type(c.principal) != "role"]
    return IamPolicyView(product=product, regions_when_unscoped=regions, roles=roles, skipped=skipped)
