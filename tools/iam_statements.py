"""IAM statements for a role's approved paths, their size against IAM's quotas, and safe splitting.

InvokeModel and InvokeModelWithResponseStream authorise InvokeModel, InvokeModelWithResponseStream,
Converse and ConverseStream (there is no bedrock:Converse action); the Sids say so.
"""

from __future__ import annotations

import json
from typing import Any

from tools.iam_paths import (
    CREATE_BATCH,
    INVOKE,
    INVOKE_STREAM,
    PASS_ROLE,
    PROFILE_KEY,
    Path,
    batch_job_arn,
    foundation_model_arn,
    inference_profile_arn,
)

INVOKE_ACTIONS = [INVOKE, INVOKE_STREAM]
BATCH_ACTIONS = [CREATE_BATCH, "bedrock:GetModelInvocationJob", "bedrock:StopModelInvocationJob"]
# IAM quotas (characters, whitespace not counted): all inline policies of a role together, and one
# managed policy; managed policies attached to one role (default quota).
INLINE_LIMIT = 10_240
MANAGED_LIMIT = 6_144
MANAGED_PER_ROLE = 10

SID_IN_REGION = "StewardInvokeAndConverseInRegion"
SID_PROFILES = "StewardInvokeAndConverseViaProfiles"
SID_BEHIND = "StewardModelsBehindApprovedProfiles"
SID_BATCH = "StewardBatchInferenceJobs"
SID_PASS = "StewardPassBatchServiceRole"
SID_DENY = "StewardDenyBlockedModelsOnEveryPath"


def policy_chars(policy: dict[str, Any]) -> int:
    """Size as IAM counts it: the JSON without whitespace outside strings (compact JSON)."""
    return len(json.dumps(policy, separators=(",", ":")))


def profile_arn_of(path: Path, account: str) -> str | None:
    if path.kind == "application":
        return path.profile
    if path.kind in ("geo", "global"):
        return inference_profile_arn(path.region, account, path.profile or "")
    return None


def allow_statements(paths: list[Path], account: str, pass_role_arn: str) -> list[dict[str, Any]]:
    """Allow statements covering exactly these paths (see iam_paths.requests)."""
    direct = {foundation_model_arn(p.region, p.model_id) for p in paths if p.kind == "in_region"}
    profiles = {a for p in paths if (a := profile_arn_of(p, account))}
    behind: set[str] = set()
    for p in paths:
        if p.kind in ("geo", "global", "application"):
            behind.update(foundation_model_arn(d, p.model_id) for d in p.destinations)
            behind.add(foundation_model_arn(p.region, p.model_id))  # the model in the source Region
    out: list[dict[str, Any]] = []
    if direct:
        out.append({"Sid": SID_IN_REGION, "Effect": "Allow", "Action": INVOKE_ACTIONS, "Resource": sorted(direct)})
    if profiles:
        out.append({"Sid": SID_PROFILES, "Effect": "Allow", "Action": INVOKE_ACTIONS, "Resource": sorted(profiles)})
        # Scoped to the approved profiles: these ARNs cannot be called directly.
        out.append({"Sid": SID_BEHIND, "Effect": "Allow", "Action": INVOKE_ACTIONS, "Resource": sorted(behind),
                    "Condition": {"ArnLike": {PROFILE_KEY: sorted(profiles)}}})
    batch = [p for p in paths if p.kind == "batch"]
    if batch:
        res = {foundation_model_arn(p.region, p.model_id) for p in batch} | \
              {batch_job_arn(p.region, account) for p in batch}
        out.append({"Sid": SID_BATCH, "Effect": "Allow", "Action": BATCH_ACTIONS, "Resource": sorted(res)})
        out.append({"Sid": SID_PASS, "Effect": "Allow", "Action": PASS_ROLE, "Resource": pass_role_arn,
                    "Condition": {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}})
    return out


def deny_blocked(models: list[str], account: str) -> dict[str, Any] | None:
    """Explicit Deny on every path to these models: any Region (the `*` also matches the Region-less
    global ARN), every profile prefix of the account, and batch jobs."""
    if not models:
        return None
    res = set()
    for m in models:
        res.add(f"arn:aws:bedrock:*::foundation-model/{m}")
        res.add(f"arn:aws:bedrock:*:{account}:inference-profile/*.{m}")
    return {"Sid": SID_DENY, "Effect": "Deny", "Action": INVOKE_ACTIONS + [CREATE_BATCH], "Resource": sorted(res)}


def compress(policy: dict[str, Any], account: str) -> dict[str, Any]:
    """The statement of models behind profiles, made small without widening what the policy allows:
    one any-Region ARN per model, allowed when the call comes through any inference profile of the
    account. Safe because IAM also authorises the profile itself on every profile call, and only
    the approved profiles are allowed (StewardInvokeAndConverseViaProfiles): a call through any
    other profile is refused there, and each profile reaches only its own model and destinations.
    Direct calls carry no bedrock:InferenceProfileArn and stay refused."""
    out = json.loads(json.dumps(policy))
    for s in out["Statement"]:
        if s.get("Sid") != SID_BEHIND:
            continue
        models = sorted({arn.split("/", 1)[1] for arn in s["Resource"]})
        s["Resource"] = [f"arn:aws:bedrock:*::foundation-model/{m}" for m in models]
        s["Condition"] = {"ArnLike": {PROFILE_KEY: [f"arn:aws:bedrock:*:{account}:inference-profile/*",
                                                    f"arn:aws:bedrock:*:{account}:application-inference-profile/*"]}}
    return out


def split(policy: dict[str, Any], limit: int = MANAGED_LIMIT) -> list[dict[str, Any]]:
    """Several policies, each within `limit`, holding the same statements (a long resource list is
    cut into parts with the same Sid plus a number). Allows and Denies keep their meaning: an
    identity's policies are evaluated together."""
    parts: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for stmt in _pieces(policy["Statement"], limit):
        trial = {"Version": policy["Version"], "Statement": current + [stmt]}
        if current and policy_chars(trial) > limit:
            parts.append({"Version": policy["Version"], "Statement": current})
            current = [stmt]
        else:
            current.append(stmt)
    if current:
        parts.append({"Version": policy["Version"], "Statement": current})
    return parts


def _pieces(statements: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    out = []
    budget = limit - 60  # room for {"Version":...,"Statement":[...]}
    for s in statements:
        if policy_chars(s) <= budget or not isinstance(s.get("Resource"), list):
            out.append(s)
            continue
        empty = policy_chars({**s, "Sid": s["Sid"] + "99", "Resource": []})
        chunk: list[str] = []
        for arn in s["Resource"]:
            if chunk and empty + sum(len(a) + 3 for a in chunk + [arn]) > budget:
                out.append({**s, "Resource": chunk})
                chunk = []
            chunk.append(arn)
        out.append({**s, "Resource": chunk})
        n = sum(1 for x in out if x["Sid"] == s["Sid"])
        if n > 1:
            for i, x in enumerate([x for x in out if x["Sid"] == s["Sid"]], 1):
                x["Sid"] = f"{s['Sid']}{i}"
    return out
