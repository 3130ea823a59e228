"""The demo org file (org.yaml): hierarchy, people, claims, estimates and model catalog."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from demo.days import Period
from demo.world import ACCOUNTS, BUSINESS_UNITS, CORP, PAYMENTS, PEOPLE, STORY


class Quoted(str):
    """A string written double-quoted (months, account ids)."""


class _Dumper(yaml.SafeDumper):
    """YAML for the org file: Quoted strings double-quoted, no anchors."""

    def ignore_aliases(self, data: Any) -> bool:  # no &id001 anchors: repeated dates stay literal
        return True


_Dumper.add_representer(Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))


def _catalog(first: date) -> list[dict[str, Any]]:
    """The model catalog: decided by the FinOps Lead 12 days before the first day of data."""
    decided = first - timedelta(days=12)
    all_accts = [Quoted(a) for a in ACCOUNTS]
    both = ["us-east-1", "us-west-2"]

    def entry(model_id: str, state: str, rationale: str, *, accounts: list | None = None,
              regions: list | None = None, products: list | None = None, scope: str = "inference_only") -> dict:
        e: dict[str, Any] = {"id": model_id, "state": state}
        if products:
            e["products"] = products
        e.update({"accounts": accounts or [], "regions": regions or [], "action_scope": scope,
                  "rationale": rationale, "decided_by": "lead@example.com", "decided_on": decided})
        return e

    return [
        entry("anthropic.claude-3-haiku-20240307-v1:0", "approved",
              "Cheap, fast default for chat and classification; first-party and Marketplace.",
              accounts=all_accts, regions=both),
        entry("anthropic.claude-sonnet-4-6", "approved",
              "Customer-facing quality tier; limited to the production and shared accounts.",
              accounts=[Quoted(PAYMENTS), Quoted(CORP)], regions=both),
        entry("amazon.nova-micro-v1:0", "approved", "Lowest-cost text model for scoring and routing.",
              accounts=all_accts, regions=both),
        entry("amazon.nova-lite-v1:0", "approved",
              "Low-cost multimodal model; Knowledge Search's read-only retrieval agent may use it.",
              accounts=all_accts, regions=both, scope="agentic_read_only"),
        entry("amazon.nova-pro-v1:0", "approved", "Analytics and document workloads at a moderate price.",
              accounts=all_accts, regions=both),
        entry("amazon.nova-2-lite-v1:0", "approved", "Flex tier for Talent Match's asynchronous matching.",
              accounts=[Quoted(CORP)], regions=["us-east-1"]),
        entry("amazon.titan-embed-text-v2:0", "approved", "Standard embedding model for every search index.",
              accounts=all_accts, regions=both),
        entry("anthropic.claude-opus-4-1-20250805-v1:0", "approved",
              "Loan Advisor's hardest cases; approved before it went Legacy: plan the move to Opus 4.6.",
              accounts=[Quoted(PAYMENTS)], regions=["us-east-1"]),
        entry("meta.llama3-1-405b-instruct-v1:0", "restricted",
              "Expensive; only Research Copilot's batch evaluation jobs justify it.",
              products=["Research Copilot"]),
        entry("meta.llama3-70b-instruct-v1:0", "blocked",
              "Superseded by Llama 3.1 and Nova at a lower price; no business case."),
    ]


def _claim_kind(key: str) -> str:
    if key.startswith("tag:"):
        return "tag"
    return "inference_profile" if ":application-inference-profile/" in key else "principal"


def org_document(periods: list[Period], claims: dict[str, tuple[str, date]],
                 estimates: list[dict[str, Any]]) -> dict[str, Any]:
    """The org file's content: claims are role or application inference profile ARN, or 'tag:key=value',
    -> (product, claimed_on)."""
    owners = {prod: email for email, _, _, roles in PEOPLE for r in roles
              if r["persona"] == "product_owner" for prod in r["products"]}
    claim_entries = [{_claim_kind(key): key.removeprefix("tag:"), "product": product, "claimed_by": owners[product],
                      "claimed_on": on} for key, (product, on) in claims.items()]
    return {
        "accounts": [{"id": Quoted(a), "name": n, "owner": o} for a, (n, o) in ACCOUNTS.items()],
        "business_units": [
            {"name": bu, "portfolios": [
                {"name": portfolio, "departments": [
                    {"name": dep, "products": [{"name": p} for p in prods]} for dep, prods in deps.items()]}
                for portfolio, deps in portfolios.items()]}
            for bu, portfolios in BUSINESS_UNITS.items()],
        "people": [{"email": e, "name": n, "slack_id": s, "roles": roles} for e, n, s, roles in PEOPLE],
        "claims": claim_entries,
        "estimates": estimates,
        "models": _catalog(periods[0].first),
    }


def write_org(path: Path, org: dict[str, Any], as_of: date) -> None:
    """Write org.yaml with a header saying what it is and which roles are unclaimed on purpose."""
    header = (f"# Demo org file written by demo.generate for as_of {as_of.isoformat()}; it matches the demo CUR.\n"
              "# Unclaimed on purpose: " + ", ".join(r.split("/")[-1] for r in STORY["unclaimed_roles"]) + ".\n")
    body = yaml.dump(org, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=200,
                     allow_unicode=True)
    path.write_text(header + body, encoding="utf-8")


