"""The invocation paths of a role: how each approved model is reached, and which requests IAM checks.

A path is one way a role calls a model from a source Region: in-Region on-demand, a geographic
profile (us., eu., apac., jp., au., ca., us-gov.), a global profile, an application inference profile,
or batch inference. Approved paths come from the catalog and the routing data; observed paths from
the role's CUR rows (routing, tier and resource id). `requests` lists the authorisation checks AWS
makes for a path (Bedrock user guide, IAM policy requirements of each inference type).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ledger import routing as rt
from ledger.org_schema import ModelEntry
from ledger.store import Store
from tools.iam_eval import Request

Kind = Literal["in_region", "geo", "global", "application", "batch"]
INVOKE = "bedrock:InvokeModel"
INVOKE_STREAM = "bedrock:InvokeModelWithResponseStream"
CREATE_BATCH = "bedrock:CreateModelInvocationJob"
PASS_ROLE = "iam:PassRole"
PROFILE_KEY = "bedrock:InferenceProfileArn"
REGION_KEY = "aws:RequestedRegion"


def foundation_model_arn(region: str, model_id: str) -> str:
    """Region '' gives the Region-less ARN global profiles are authorised against."""
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def inference_profile_arn(region: str, account: str, profile_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}"


def batch_job_arn(region: str, account: str) -> str:
    return f"arn:aws:bedrock:{region}:{account}:model-invocation-job/*"


@dataclass(frozen=True, order=True)
class Path:
    kind: Kind
    model_id: str
    region: str                          # the source Region (CUR's region)
    profile: str | None = None           # profile id (us.X, global.X) or application profile ARN
    via: str | None = None               # application profile: the family it wraps ('' = a model)
    destinations: tuple[str, ...] = ()   # Regions the model is authorised in ('' = Region-less)

    def describe(self) -> str:
        where = {"in_region": "in-Region", "geo": f"{self.profile} profile", "global": f"{self.profile} profile",
                 "application": "application profile", "batch": "batch inference"}[self.kind]
        return f"{self.model_id} from {self.region} ({where})"


def profile_path(kind: Kind, family: str, model_id: str, region: str, routing: rt.Routing) -> Path:
    return Path(kind, model_id, region, f"{family}.{model_id}",
                destinations=tuple(routing.destinations(family, model_id, region)))


def catalog_paths(entry: ModelEntry, regions: list[str], routing: rt.Routing) -> list[Path]:
    """Every path an approval opens: in-Region in each approved Region, plus each system profile
    (geographic or global) that exists for the model from that Region."""
    out: list[Path] = []
    for region in regions:
        out.append(Path("in_region", entry.id, region, destinations=(region,)))
        for fam in routing.families_from(region):
            if routing.has_profile(fam, entry.id, region):
                out.append(profile_path("geo", fam, entry.id, region, routing))
        if routing.has_profile(rt.GLOBAL, entry.id, region):
            out.append(profile_path("global", rt.GLOBAL, entry.id, region, routing))
    return out


@dataclass(frozen=True)
class Observed:
    """One distinct way a principal's CUR rows show it called a model."""

    principal: str
    model_id: str
    region: str
    routing: str        # in-region | geo | global
    tier: str           # standard | batch | flex | ...
    family: str | None  # the profile family named by the resource id, when it names one
    app_profile: str | None


OBSERVED_SQL = r"""
SELECT DISTINCT principal, model_id, region, routing, tier,
       nullif(regexp_extract(coalesce(resource_id, ''), ':inference-profile/([a-z-]+)\.', 1), '') AS family,
       CASE WHEN resource_id LIKE '%:application-inference-profile/%' THEN resource_id END AS app_profile
FROM bedrock_usage
WHERE model_id IS NOT NULL AND charge_class = 'usage' AND kind <> 'guardrail'
  AND list_contains(?::VARCHAR[], principal)
ORDER BY ALL
"""


def observed(store: Store, principals: list[str]) -> dict[str, list[Observed]]:
    """Distinct observed (model, Region, routing, tier, profile) per principal, one query for all."""
    out: dict[str, list[Observed]] = {p: [] for p in principals}
    for row in store.rows(OBSERVED_SQL, [principals]):
        out[row[0]].append(Observed(*row))
    return out


def observed_paths(obs: Observed, routing: rt.Routing) -> list[Path]:
    """The paths one observation stands for. A geo row whose resource id names no profile stands
    for every geographic family callable from its Region (CUR does not say which)."""
    m, r = obs.model_id, obs.region
    if obs.tier == "batch":
        return [Path("batch", m, r, destinations=(r,))]
    if obs.routing == "global":
        base = [profile_path("global", rt.GLOBAL, m, r, routing)]
    elif obs.routing == "geo":
        fams = [obs.family] if obs.family and obs.family != rt.GLOBAL else routing.families_from(r)
        base = [profile_path("geo", f, m, r, routing) for f in fams]
    else:
        base = [Path("in_region", m, r, destinations=(r,))]
    if obs.app_profile:
        return [Path("application", m, r, obs.app_profile, via=(b.profile or "").split(".")[0],
                     destinations=b.destinations) for b in base] + base
    return base


def requests(path: Path, account: str, pass_role_arn: str) -> list[Request]:
    """The authorisation checks one call on this path makes (both invoke actions where they apply)."""
    m, r = path.model_id, path.region
    if path.kind == "batch":
        passed = {"iam:PassedToService": "bedrock.amazonaws.com"}
        return [Request(CREATE_BATCH, foundation_model_arn(r, m), {REGION_KEY: r}),
                Request(CREATE_BATCH, batch_job_arn(r, account).replace("*", "job1"), {REGION_KEY: r}),
                Request(PASS_ROLE, pass_role_arn, passed)]
    if path.kind == "in_region":
        return [Request(a, foundation_model_arn(r, m), {REGION_KEY: r}) for a in (INVOKE, INVOKE_STREAM)]
    profile_arn = path.profile if path.kind == "application" else inference_profile_arn(r, account, path.profile or "")
    out = []
    for action in (INVOKE, INVOKE_STREAM):
        out.append(Request(action, profile_arn or "", {REGION_KEY: r}))
        for dest in path.destinations:
            region = dest or "unspecified"  # global: routed with aws:RequestedRegion 'unspecified'
            out.append(Request(action, foundation_model_arn(dest, m), {REGION_KEY: region, PROFILE_KEY: profile_arn or ""}))
        if path.kind in ("global", "application") and r not in path.destinations:
            out.append(Request(action, foundation_model_arn(r, m), {REGION_KEY: r, PROFILE_KEY: profile_arn or ""}))
    return out


def unique(paths: Iterable[Path]) -> list[Path]:
    return sorted(set(paths))
