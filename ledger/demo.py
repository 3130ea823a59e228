"""Deterministic demo data: CUR 2.0 Parquet in the AWS Data Exports layout, plus the matching org file.

`generate(out_dir, as_of=...)` writes three billing periods of a mid-size bank's Amazon Bedrock spend
(about $43k a month, plus a few percent of EC2/S3 rows Steward must ignore) ending the day before
`as_of`, and `org.yaml` (hierarchy, people, claims, estimates, model catalog) that matches it.
Costs are usage amount x list price from `ledger/data/prices.yaml`; net_unblended_cost is 0.95x
(EDP), or 0.90x on SavingsPlanCoveredUsage / DiscountedUsage rows.

The story (names in `STORY`; dates and figures for a given as_of in `DemoResult.facts`). "Current
month" is the latest billing period; spend means unblended usage cost counted from each claim's
date; a month-end forecast is, as in tools/spend.py estimate_status, month to date + the average
of the last 7 days of data x the days left in the month.

- Unclaimed roles: github-actions-ci (payments-prod, Claude 3 Haiku), ds-notebook-experiments
  (data-science: Llama 3 70B in 4 days of the current month, 8 line items, ~$45, a blocked model;
  plus a little Nova Micro), AWSReservedSSO_DataScientist_4f2a9c1e7b3d8a65 (data-science, Nova Pro,
  sessions are people's emails), corp-it-helpdesk-bot (corp-shared). IAM users alice (data-science)
  and bob (payments-prod) and the API key user BedrockAPIKey-7f3k (corp-shared) are unclaimed too.
  Marketplace Claude 3 Haiku in us-west-2 and the payments-prod guardrail have an empty principal.
- Claimed mid-month: loan-docs-pipeline (payments-prod) is claimed for Document Intake on the 15th
  of the current month, so its earlier spend that month and before stays unattributed.
- Shared role: shared-genai-gateway (corp-shared) carries sessions hr-portal-* (Claude Sonnet 4.6)
  and talent-match-* (Nova Lite); it is claimed by HR Portal only.
- Over estimate: Checkout Service's month-end forecast is ~127% of its current-month estimate
  (unblended; ~121% on net); its cache hit rate is ~17% and its output tokens are 2x its output
  token estimate (full months exactly; current month on the forecast).
- HR Portal (~$14k a month) is the biggest spender of the People portfolio and the org; Customer
  Insights ~$9k. Other products stay within 50-90% of their estimates.
- Drift: Claude Opus 4.6 (Claude4.6Opus, not in the catalog = unreviewed) used by
  checkout-service-bedrock in payments-prod us-west-2 from the 4th of the current month (a few
  thousand dollars); Llama 3 70B (blocked) by the unclaimed ds-notebook-experiments role; billing
  name Mistral-Large-3 (user alice) is not in model_names.yaml, so it is unmapped.
- Spike: Customer Insights spends 5x its usual on the 10th of the current month (or the last day
  with data, if earlier).
- Pricing unit change: Nova Lite rows are billed in '1M tokens' in the current month, '1K tokens'
  before. Catalog: Claude Sonnet 4.6 is approved in payments-prod and corp-shared only; Llama 3.1
  405B is restricted to Research Copilot (batch rows); Nova Lite has action_scope agentic_read_only.
- Other charges: a Tax row (6% of first-party Bedrock usage) per account and month; a -$500 Credit
  per month in data-science and a -$250 one in corp-shared in the current month; no principal.

For as_of 2026-11-23, seed 7: Checkout Service $5,767.52 month to date, forecast $8,039.70 against
an estimate of $6,330 (127%), cache hit rate 17%, output tokens 2.0x; Opus $2,337.06; Llama 3 70B
$43.65 in 8 line items; spike on 2026-11-10 at 5.2x the median day; $1,491.62 unattributed in
November. Estimates are derived from the data (ESTIMATE_RATIOS), so the ratios hold for any as_of.

`rows=N` splits each stream-day into hourly rows (then application-inference-profile resource ids)
whose amounts sum to the same daily totals, so every total is the same at any scale.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ledger.prices import load_prices as shipped_prices
from ledger.principals import normalise_principal

MAX_ROWS_PER_FILE = 2_000_000
ROW_GROUP_ROWS = 262_144
WRITER_THREADS = min(4, os.cpu_count() or 1)
TEST_OBJECT = "aws-programmatic-access-test-object"

PAYMENTS, DATA_SCIENCE, CORP = "111122223333", "444455556666", "777788889999"
PAYER_ID, PAYER_NAME = "999988887777", "example-bank-management"
ACCOUNTS = {  # id -> (name, owner node)
    PAYMENTS: ("payments-prod", "Payments"),
    DATA_SCIENCE: ("data-science", "Analytics"),
    CORP: ("corp-shared", "Corporate Services"),
}
REGIONS = {"us-east-1": ("USE1", "US East (N. Virginia)"), "us-west-2": ("USW2", "US West (Oregon)")}

# ---------------------------------------------------------------------------------------- schema

MAP = pa.map_(pa.string(), pa.string())
TS = pa.timestamp("ms")
_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("bill_billing_period_start_date", TS, "timestamp"),
    ("bill_billing_period_end_date", TS, "timestamp"),
    ("bill_billing_entity", pa.string(), "string"),
    ("bill_payer_account_id", pa.string(), "string"),
    ("bill_payer_account_name", pa.string(), "string"),
    ("identity_line_item_id", pa.string(), "string"),
    ("identity_time_interval", pa.string(), "string"),
    ("line_item_usage_account_id", pa.string(), "string"),
    ("line_item_usage_account_name", pa.string(), "string"),
    ("line_item_usage_start_date", TS, "timestamp"),
    ("line_item_usage_end_date", TS, "timestamp"),
    ("line_item_product_code", pa.string(), "string"),
    ("line_item_usage_type", pa.string(), "string"),
    ("line_item_operation", pa.string(), "string"),
    ("line_item_line_item_type", pa.string(), "string"),
    ("line_item_line_item_description", pa.string(), "string"),
    ("line_item_resource_id", pa.string(), "string"),
    ("line_item_iam_principal", pa.string(), "string"),
    ("line_item_usage_amount", pa.float64(), "double"),
    ("line_item_unblended_rate", pa.string(), "string"),
    ("line_item_unblended_cost", pa.float64(), "double"),
    ("line_item_net_unblended_cost", pa.float64(), "double"),
    ("pricing_unit", pa.string(), "string"),
    ("pricing_term", pa.string(), "string"),
    ("product_region_code", pa.string(), "string"),
    ("product_servicecode", pa.string(), "string"),
    ("product", MAP, "map<string,string>"),
    ("resource_tags", MAP, "map<string,string>"),
    ("tags", MAP, "map<string,string>"),
]
SCHEMA = pa.schema([(name, t) for name, t, _ in _COLUMNS])
_NO_DICTIONARY = {"identity_line_item_id"}
_DICTIONARY_COLUMNS = [f.name for f in SCHEMA if f.name not in _NO_DICTIONARY and not pa.types.is_floating(f.type)]
# What the writer is handed: low-cardinality strings as dictionaries (read back as plain strings).
_WRITE_SCHEMA = pa.schema([
    (f.name, pa.dictionary(pa.int32(), pa.string())
     if f.type == pa.string() and f.name not in _NO_DICTIONARY else f.type) for f in SCHEMA])

# ------------------------------------------------------------------------------- the organisation

BUSINESS_UNITS: dict[str, dict[str, dict[str, list[str]]]] = {
    "Retail Banking": {
        "Digital Channels": {"Payments": ["Checkout Service", "Fraud Scoring"],
                             "Mobile": ["Mobile Assistant"]},
        "Lending": {"Underwriting": ["Loan Advisor", "Document Intake"]},
    },
    "Wealth Management": {
        "Advisory": {"Research": ["Research Copilot", "Portfolio Insights"]},
        "Client Services": {"Support": ["Client Chat"]},
    },
    "Corporate Services": {
        "People": {"HR Technology": ["HR Portal", "Talent Match"]},
        "Insights": {"Analytics": ["Customer Insights", "Knowledge Search"]},
    },
}

# (email, name, slack_id, roles)
PEOPLE: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    ("maria@example.com", "Maria Lopez", "U0MARIA01",
     [{"persona": "product_owner", "products": ["Checkout Service", "Fraud Scoring"]}]),
    ("tom@example.com", "Tom Becker", "U0TOMBE01",
     [{"persona": "product_owner", "products": ["Mobile Assistant"]}]),
    ("lena@example.com", "Lena Fischer", "U0LENAF01",
     [{"persona": "product_owner", "products": ["Loan Advisor", "Document Intake"]}]),
    ("omar@example.com", "Omar Haddad", "U0OMARH01",
     [{"persona": "product_owner", "products": ["Research Copilot", "Portfolio Insights"]}]),
    ("grace@example.com", "Grace Kim", "U0GRACE01",
     [{"persona": "product_owner", "products": ["Client Chat"]}]),
    ("hana@example.com", "Hana Sato", "U0HANAS01",
     [{"persona": "product_owner", "products": ["HR Portal"]}]),
    ("kofi@example.com", "Kofi Mensah", "U0KOFIM01",
     [{"persona": "product_owner", "products": ["Talent Match"]}]),
    ("raj@example.com", "Raj Patel", "U0RAJPA01",
     [{"persona": "product_owner", "products": ["Customer Insights", "Knowledge Search"]}]),
    ("priya@example.com", "Priya Raman", "U0PRIYA01",
     [{"persona": "portfolio_manager", "portfolios": ["Digital Channels"]}]),
    ("sam@example.com", "Sam Okafor", "U0SAMOK01",
     [{"persona": "portfolio_manager", "portfolios": ["People", "Insights"]}]),
    ("lead@example.com", "Jordan Lee", "U0JORDN01", [{"persona": "finops_lead"}]),
    ("eng@example.com", "Alex Chen", "U0ALEXC01", [{"persona": "cloud_engineer"}]),
]

# role name -> (account, claimed product or None, claim: "start" | "mid" | None)
ROLES: dict[str, tuple[str, str | None, str | None]] = {
    "checkout-service-bedrock": (PAYMENTS, "Checkout Service", "start"),
    "fraud-scoring-bedrock": (PAYMENTS, "Fraud Scoring", "start"),
    "mobile-assistant-bedrock": (PAYMENTS, "Mobile Assistant", "start"),
    "mobile-assistant-canary": (PAYMENTS, "Mobile Assistant", "start"),
    "loan-advisor-bedrock": (PAYMENTS, "Loan Advisor", "start"),
    "document-intake-bedrock": (PAYMENTS, "Document Intake", "start"),
    "loan-docs-pipeline": (PAYMENTS, "Document Intake", "mid"),
    "github-actions-ci": (PAYMENTS, None, None),
    "research-copilot-bedrock": (DATA_SCIENCE, "Research Copilot", "start"),
    "portfolio-insights-bedrock": (DATA_SCIENCE, "Portfolio Insights", "start"),
    "customer-insights-bedrock": (DATA_SCIENCE, "Customer Insights", "start"),
    "customer-insights-etl": (DATA_SCIENCE, "Customer Insights", "start"),
    "knowledge-search-bedrock": (DATA_SCIENCE, "Knowledge Search", "start"),
    "ds-notebook-experiments": (DATA_SCIENCE, None, None),
    "AWSReservedSSO_DataScientist_4f2a9c1e7b3d8a65": (DATA_SCIENCE, None, None),
    "client-chat-bedrock": (CORP, "Client Chat", "start"),
    "hr-portal-bedrock": (CORP, "HR Portal", "start"),
    "shared-genai-gateway": (CORP, "HR Portal", "start"),
    "talent-match-bedrock": (CORP, "Talent Match", "start"),
    "corp-it-helpdesk-bot": (CORP, None, None),
}


def role_arn(role: str) -> str:
    """The normalised (IAM) ARN of a demo role."""
    return f"arn:aws:iam::{ROLES[role][0]}:role/{role}"


SPIKE_FACTOR = 5.0
STORY: dict[str, Any] = {
    "accounts": {acct: name for acct, (name, _) in ACCOUNTS.items()},
    "unclaimed_roles": [role_arn(r) for r, (_, product, _) in ROLES.items() if product is None],
    "unclaimed_users": [f"arn:aws:iam::{DATA_SCIENCE}:user/alice", f"arn:aws:iam::{PAYMENTS}:user/bob"],
    "api_key_user": f"arn:aws:iam::{CORP}:user/BedrockAPIKey-7f3k",
    "mid_month_role": role_arn("loan-docs-pipeline"),
    "mid_month_product": "Document Intake",
    "mid_month_claim_day": 15,
    "shared_role": role_arn("shared-genai-gateway"),
    "shared_role_product": "HR Portal",
    "shared_role_session_prefixes": ["hr-portal-", "talent-match-"],
    "over_estimate_product": "Checkout Service",
    "over_estimate_forecast_ratio": 1.27,
    "low_cache_product": "Checkout Service",
    "low_cache_hit_rate": 0.17,
    "output_over_token_estimate": 2.0,
    "biggest_spender": "HR Portal",
    "biggest_in_portfolio": {"People": "HR Portal"},
    "spike_product": "Customer Insights",
    "spike_day_of_month": 10,
    "spike_factor": SPIKE_FACTOR,
    "drift_unreviewed": {"billing_name": "Claude4.6Opus", "model_id": "anthropic.claude-opus-4-6-v1",
                         "principal": role_arn("checkout-service-bedrock"), "product": "Checkout Service",
                         "account": PAYMENTS, "region": "us-west-2", "from_day_of_month": 4},
    "drift_blocked": {"billing_name": "Llama3-70B", "model_id": "meta.llama3-70b-instruct-v1:0",
                      "principal": role_arn("ds-notebook-experiments"), "account": DATA_SCIENCE,
                      "region": "us-east-1", "usd": 45.0, "line_items": 8},
    "unmapped_billing_name": "Mistral-Large-3",
    "unit_change": {"billing_name": "NovaLite", "pricing_unit": "1M tokens", "period": "current"},
    "restricted_model": {"model_id": "meta.llama3-1-405b-instruct-v1:0", "products": ["Research Copilot"]},
    "marketplace_model": "Claude 3 Haiku (Amazon Bedrock Edition)",
}

# ----------------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class _W:
    """One caller using one model (or guardrail) in one account and region: a few usage types."""

    key: str
    account: str
    region: str
    who: str  # "role:<name>" | "user:<name>" | "" (no principal)
    model: str  # billing name, or "guardrail"
    usd: float  # unblended per 30 days at the start, on active days
    channel: str = "1p"  # 1p | mkt | guardrail
    suffix: str = ""  # '', -cross-region-global, -cross-region-geo, -batch, -flex
    out: float = 0.3  # output tokens per prompt token
    cache_read: float = 0.0  # share of prompt tokens read from the cache
    cache_write: float = 0.0  # share of prompt tokens written to the cache
    weekend: float = 0.55
    growth: float = 0.03  # per month
    days: str = "all"  # all | tue_thu | sparse | opus | llama70b
    total_usd: float | None = None  # fixed total over the active days instead of `usd`
    op: str = "InvokeModelInference"
    item_type: str = "Usage"
    product_code: str = "AmazonBedrock"
    sessions: tuple[str, ...] = ()  # session names (or one prefix ending in '-')
    spike: bool = False
    resource_tags: tuple[tuple[str, str], ...] = ()
    principal_tags: tuple[tuple[str, str], ...] = ()


_STREAM = "InvokeModelStreamingInference"
_PAY_TAGS = (("iamPrincipal/team", "payments"), ("iamPrincipal/cost-center", "CC-1001"))
_HR_TAGS = (("iamPrincipal/team", "hr-tech"), ("iamPrincipal/cost-center", "CC-4100"))
_ANALYTICS_RT = (("user_team", "analytics"), ("user_cost_center", "CC-3001"))

WORKLOADS: list[_W] = [
    # payments-prod
    _W("checkout", PAYMENTS, "us-east-1", "role:checkout-service-bedrock", "Claude4.6Sonnet", 4300,
       out=0.42, cache_read=0.17, cache_write=0.03, weekend=0.6, growth=0.05, op=_STREAM,
       sessions=("checkout-svc-",), principal_tags=_PAY_TAGS),
    _W("checkout-opus", PAYMENTS, "us-west-2", "role:checkout-service-bedrock", "Claude4.6Opus", 3600,
       out=0.42, cache_read=0.17, cache_write=0.03, weekend=0.6, days="opus", op=_STREAM,
       sessions=("checkout-svc-",), principal_tags=_PAY_TAGS),
    _W("fraud-micro", PAYMENTS, "us-east-1", "role:fraud-scoring-bedrock", "NovaMicro", 500, out=0.1,
       weekend=0.9, item_type="DiscountedUsage", sessions=("fraud-scorer-",)),
    _W("fraud-lite", PAYMENTS, "us-east-1", "role:fraud-scoring-bedrock", "NovaLite", 600, out=0.15,
       weekend=0.9, sessions=("fraud-scorer-",)),
    _W("mobile-sonnet", PAYMENTS, "us-east-1", "role:mobile-assistant-bedrock", "Claude4.6Sonnet", 1400,
       suffix="-cross-region-global", cache_read=0.55, cache_write=0.05, op=_STREAM,
       sessions=("mobile-api-",)),
    _W("mobile-haiku", PAYMENTS, "us-east-1", "role:mobile-assistant-bedrock", "Claude3Haiku", 300,
       sessions=("mobile-api-",)),
    _W("mobile-canary", PAYMENTS, "us-west-2", "role:mobile-assistant-canary", "Claude4.6Sonnet", 250,
       cache_read=0.5, cache_write=0.05, op=_STREAM, sessions=("canary-",)),
    _W("loan-sonnet", PAYMENTS, "us-west-2", "role:loan-advisor-bedrock", "Claude4.6Sonnet", 1500,
       suffix="-cross-region-geo", cache_read=0.6, cache_write=0.05, sessions=("loan-advisor-",)),
    _W("docintake-pro", PAYMENTS, "us-east-1", "role:document-intake-bedrock", "NovaPro", 900, out=0.08,
       cache_read=0.3, cache_write=0.05, weekend=0.8, sessions=("doc-intake-",)),
    _W("docintake-titan", PAYMENTS, "us-east-1", "role:document-intake-bedrock", "TitanEmbeddingV2-Text",
       40, weekend=0.8, sessions=("doc-intake-",)),
    _W("loan-docs-lite", PAYMENTS, "us-east-1", "role:loan-docs-pipeline", "NovaLite", 250, weekend=0.7,
       sessions=("loan-docs-",)),
    _W("loan-docs-haiku", PAYMENTS, "us-east-1", "role:loan-docs-pipeline", "Claude3Haiku", 350,
       weekend=0.7, sessions=("loan-docs-",)),
    _W("gha-haiku", PAYMENTS, "us-east-1", "role:github-actions-ci", "Claude3Haiku", 160, weekend=0.15,
       sessions=("GitHubActions-",)),
    _W("bob-haiku", PAYMENTS, "us-east-1", "user:bob", "Claude3Haiku", 60, weekend=0.2),
    _W("pay-guardrail", PAYMENTS, "us-east-1", "", "guardrail", 150, channel="guardrail", op="ApplyGuardrail"),
    # data-science
    _W("research-llama", DATA_SCIENCE, "us-east-1", "role:research-copilot-bedrock", "Llama3-1-405B", 900,
       suffix="-batch", out=0.25, days="tue_thu", weekend=1.0, sessions=("research-batch-",)),
    _W("research-pro", DATA_SCIENCE, "us-east-1", "role:research-copilot-bedrock", "NovaPro", 800,
       suffix="-cross-region-global", cache_read=0.6, cache_write=0.05, sessions=("research-app-",)),
    _W("portfolio-lite", DATA_SCIENCE, "us-west-2", "role:portfolio-insights-bedrock", "NovaLite", 500,
       suffix="-cross-region-geo", item_type="SavingsPlanCoveredUsage", sessions=("portfolio-",)),
    _W("portfolio-pro", DATA_SCIENCE, "us-east-1", "role:portfolio-insights-bedrock", "NovaPro", 650,
       cache_read=0.5, cache_write=0.05, sessions=("portfolio-",)),
    _W("ci-pro", DATA_SCIENCE, "us-east-1", "role:customer-insights-bedrock", "NovaPro", 7750, out=0.2,
       cache_read=0.45, cache_write=0.04, weekend=0.7, spike=True, sessions=("ci-worker-",),
       resource_tags=_ANALYTICS_RT),
    _W("ci-titan", DATA_SCIENCE, "us-east-1", "role:customer-insights-etl", "TitanEmbeddingV2-Text", 150,
       weekend=0.7, spike=True, sessions=("ci-etl-",), resource_tags=_ANALYTICS_RT),
    _W("ci-micro", DATA_SCIENCE, "us-west-2", "role:customer-insights-bedrock", "NovaMicro", 400,
       weekend=0.7, spike=True, sessions=("ci-worker-",)),
    _W("ks-titan", DATA_SCIENCE, "us-east-1", "role:knowledge-search-bedrock", "TitanEmbeddingV2-Text", 90,
       sessions=("kb-sync-",), resource_tags=(("user_team", "knowledge"), ("user_cost_center", "CC-3002"))),
    _W("ks-lite", DATA_SCIENCE, "us-east-1", "role:knowledge-search-bedrock", "NovaLite", 500,
       cache_read=0.5, cache_write=0.05, sessions=("kb-agent-",)),
    _W("ks-haiku", DATA_SCIENCE, "us-east-1", "role:knowledge-search-bedrock", "Claude3Haiku", 350,
       sessions=("kb-agent-",)),
    _W("nb-llama70b", DATA_SCIENCE, "us-east-1", "role:ds-notebook-experiments", "Llama3-70B", 0,
       out=0.5, days="llama70b", total_usd=45.0, sessions=("jupyter-",)),
    _W("nb-micro", DATA_SCIENCE, "us-east-1", "role:ds-notebook-experiments", "NovaMicro", 30,
       weekend=0.3, sessions=("jupyter-",)),
    _W("sso-pro", DATA_SCIENCE, "us-east-1", "role:AWSReservedSSO_DataScientist_4f2a9c1e7b3d8a65",
       "NovaPro", 380, weekend=0.2,
       sessions=("dana.whitfield@example.com", "li.wong@example.com", "ben.ortiz@example.com")),
    _W("alice-mistral", DATA_SCIENCE, "us-east-1", "user:alice", "Mistral-Large-3", 60, days="sparse"),
    _W("alice-lite", DATA_SCIENCE, "us-east-1", "user:alice", "NovaLite", 40, weekend=0.3),
    # corp-shared
    _W("cc-mkt-haiku", CORP, "us-east-1", "role:client-chat-bedrock", "Claude3Haiku", 900, channel="mkt",
       out=0.25, cache_read=0.3, op=_STREAM, sessions=("client-chat-",)),
    _W("cc-guardrail", CORP, "us-east-1", "role:client-chat-bedrock", "guardrail", 200, channel="guardrail",
       op="ApplyGuardrail", sessions=("client-chat-",)),
    _W("cc-sonnet", CORP, "us-east-1", "role:client-chat-bedrock", "Claude4.6Sonnet", 700,
       cache_read=0.6, cache_write=0.05, op=_STREAM, sessions=("client-chat-",)),
    _W("hr-sonnet", CORP, "us-east-1", "role:hr-portal-bedrock", "Claude4.6Sonnet", 8450, out=0.25,
       cache_read=0.62, cache_write=0.05, weekend=0.35, growth=0.0, op=_STREAM,
       sessions=("hr-portal-web-",), principal_tags=_HR_TAGS),
    _W("hr-sonnet-w2", CORP, "us-west-2", "role:hr-portal-bedrock", "Claude4.6Sonnet", 1400,
       cache_read=0.6, cache_write=0.05, weekend=0.35, growth=0.0, sessions=("hr-portal-web-",),
       principal_tags=_HR_TAGS),
    _W("gw-hr", CORP, "us-east-1", "role:shared-genai-gateway", "Claude4.6Sonnet", 2600, cache_read=0.55,
       cache_write=0.05, weekend=0.35, growth=0.0, sessions=("hr-portal-",),
       principal_tags=(("iamPrincipal/team", "platform"),)),
    _W("gw-tm", CORP, "us-east-1", "role:shared-genai-gateway", "NovaLite", 900, weekend=0.35,
       sessions=("talent-match-",), principal_tags=(("iamPrincipal/team", "platform"),)),
    _W("hr-titan", CORP, "us-east-1", "role:hr-portal-bedrock", "TitanEmbeddingV2-Text", 60, weekend=0.35,
       growth=0.0, sessions=("hr-portal-index-",), principal_tags=_HR_TAGS),
    _W("tm-lite", CORP, "us-east-1", "role:talent-match-bedrock", "NovaLite", 800, weekend=0.4,
       sessions=("talent-match-svc-",)),
    _W("tm-micro", CORP, "us-east-1", "role:talent-match-bedrock", "NovaMicro", 300, weekend=0.4,
       product_code="AmazonBedrockService", sessions=("talent-match-svc-",)),
    _W("tm-nova2", CORP, "us-east-1", "role:talent-match-bedrock", "Nova2.0Lite", 350, suffix="-flex",
       weekend=0.4, sessions=("talent-match-svc-",)),
    _W("helpdesk-haiku", CORP, "us-east-1", "role:corp-it-helpdesk-bot", "Claude3Haiku", 200,
       sessions=("helpdesk-",)),
    _W("helpdesk-lite", CORP, "us-west-2", "role:corp-it-helpdesk-bot", "NovaLite", 100, sessions=("helpdesk-",)),
    _W("apikey-haiku", CORP, "us-east-1", "user:BedrockAPIKey-7f3k", "Claude3Haiku", 180, weekend=0.3),
    _W("mkt-anon", CORP, "us-west-2", "", "Claude3Haiku", 100, channel="mkt"),
]

# Non-Bedrock rows Steward must ignore: (account, region, product code, usage type, operation, unit,
# rate, quantity per day, resource id, product name, description, weekend factor)
OTHER_SERVICES: list[tuple[str, str, str, str, str, str, float, float, str, str, str, float]] = [
    (PAYMENTS, "us-east-1", "AmazonEC2", "BoxUsage:m5.xlarge", "RunInstances", "Hrs", 0.192, 48.0,
     "i-0a1b2c3d4e5f60718", "Amazon Elastic Compute Cloud",
     "$0.192 per On Demand Linux m5.xlarge Instance Hour", 1.0),
    (PAYMENTS, "us-east-1", "AmazonS3", "TimedStorage-ByteHrs", "StandardStorage", "GB-Mo", 0.023, 52.0,
     "payments-prod-artifacts", "Amazon Simple Storage Service",
     "$0.023 per GB - first 50 TB / month of storage used", 1.0),
    (DATA_SCIENCE, "us-west-2", "AmazonEC2", "USW2-BoxUsage:g5.xlarge", "RunInstances", "Hrs", 1.006, 14.0,
     "i-0f9e8d7c6b5a49382", "Amazon Elastic Compute Cloud",
     "$1.006 per On Demand Linux g5.xlarge Instance Hour", 0.3),
    (DATA_SCIENCE, "us-east-1", "AmazonS3", "Requests-Tier1", "PutObject", "Requests", 0.000005, 420000.0,
     "ds-feature-store", "Amazon Simple Storage Service",
     "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", 0.5),
    (CORP, "us-east-1", "AmazonEC2", "BoxUsage:t3.large", "RunInstances", "Hrs", 0.0832, 72.0,
     "i-07c6b5a4938271605", "Amazon Elastic Compute Cloud",
     "$0.0832 per On Demand Linux t3.large Instance Hour", 1.0),
    (CORP, "us-west-2", "AmazonS3", "USW2-TimedStorage-ByteHrs", "StandardStorage", "GB-Mo", 0.023, 30.0,
     "corp-shared-backups", "Amazon Simple Storage Service",
     "$0.023 per GB - first 50 TB / month of storage used", 1.0),
]

RUN_RATE_DAYS = 7  # tools/spend.py estimate_status forecasts with the last 7 days of data
TAX_RATE = 0.06  # on each account's first-party Bedrock usage
NET_FACTOR = {"Usage": 0.95, "SavingsPlanCoveredUsage": 0.90, "DiscountedUsage": 0.90}
# Spend (the month-end forecast, for the current month) / estimate, per product, for the three months.
ESTIMATE_RATIOS: dict[str, tuple[float, float, float]] = {
    "Checkout Service": (0.93, 0.97, 1.27),
    "Fraud Scoring": (0.72, 0.75, 0.70),
    "Mobile Assistant": (0.80, 0.84, 0.82),
    "Loan Advisor": (0.65, 0.68, 0.66),
    "Document Intake": (0.60, 0.62, 0.74),
    "Research Copilot": (0.55, 0.60, 0.62),
    "Portfolio Insights": (0.70, 0.72, 0.69),
    "Client Chat": (0.83, 0.85, 0.84),
    "HR Portal": (0.86, 0.88, 0.85),
    "Talent Match": (0.62, 0.66, 0.70),
    "Customer Insights": (0.78, 0.80, 0.82),
    "Knowledge Search": (0.58, 0.63, 0.67),
}
TOKEN_ESTIMATES = ("Checkout Service", "HR Portal", "Customer Insights")

# --------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
class DemoResult:
    export_root: Path
    org_file: Path
    files: list[Path]
    rows: int
    periods: list[str]
    first_day: date
    last_day: date
    facts: dict[str, Any] = field(default_factory=dict)  # the story's dates and figures


@dataclass(frozen=True)
class _Period:
    label: str  # YYYY-MM
    start: date  # first of the month
    end: date  # first of the next month
    first: date  # first day with data
    last: date  # last day with data (inclusive)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass
class _Stream:
    """One usage type of one caller in one billing period: a row per active day (before splitting)."""

    workload: str | None
    kind: str  # input | output | cache_read | cache_write | embedding | units | other | tax | credit
    account: str
    region: str
    principals: list[str]
    entity: str
    product_code: str
    servicecode: str
    usage_type: str
    operation: str
    item_type: str
    description: str
    unit: str
    rate: str
    term: str
    product_name: str
    resource: str
    resource_kind: str  # bedrock | ec2 | s3 | none
    resource_tags: dict[str, str]
    tags: dict[str, str]
    amount: np.ndarray  # per day of the period
    cost: np.ndarray
    tokens: np.ndarray | None = None  # per day, for token kinds
    monthly: bool = False  # one row for the whole period (tax, credit), never split


# ---------------------------------------------------------------------------------------- prices


@cache
def load_prices() -> dict[str, Any]:
    """prices.yaml with `by_name`: billing name -> model entry (unmapped names included)."""
    data = shipped_prices()
    by_name = {m["billing_name"]: m for m in data["models"]}
    by_name.update({m["billing_name"]: m for m in data.get("unmapped", [])})
    return {**data, "by_name": by_name}


def _unit_price(w: _W, kind: str) -> float:
    """USD per token (per text unit for guardrails), after the tier and routing modifiers."""
    prices = load_prices()
    if w.channel == "guardrail":
        return float(prices["guardrail_per_unit"])
    entry = prices["by_name"][w.model]
    base = float(entry["input" if kind == "embedding" else kind]) / 1000
    mods = prices["modifiers"]
    if w.suffix == "-batch":
        base *= mods["batch"]
    elif w.suffix == "-flex":
        base *= mods["flex"]
    elif w.suffix == "-cross-region-geo":
        base *= mods["cross_region_geo"] * entry.get("geo_multiplier", 1.0)
    elif w.suffix == "-cross-region-global":
        base *= mods["cross_region_global"]
    return base


def _rate_str(x: float) -> str:
    return f"{x:.10f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------- window


def _month_start(d: date, back: int = 0) -> date:
    m = d.year * 12 + d.month - 1 - back
    return date(m // 12, m % 12 + 1, 1)


def _window(as_of: date) -> list[_Period]:
    last = as_of - timedelta(days=1)
    out = []
    for back in (2, 1, 0):
        start = _month_start(last, back)
        end = _month_start(start, -1)
        out.append(_Period(start.strftime("%Y-%m"), start, end, start, min(end - timedelta(days=1), last)))
    return out


# --------------------------------------------------------------------------------- daily levels


@dataclass
class _Calendar:
    days: list[date]
    dow: np.ndarray
    current: np.ndarray  # bool: in the latest period
    dom: np.ndarray  # day of month
    spike: int  # index of the spike day
    last_dom: int  # day of month of the last day


def _calendar(periods: list[_Period]) -> _Calendar:
    first, last = periods[0].first, periods[-1].last
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    cur = periods[-1]
    spike_day = date(cur.start.year, cur.start.month, min(10, cur.last.day))
    return _Calendar(
        days=days,
        dow=np.array([d.weekday() for d in days]),
        current=np.array([d >= cur.start for d in days]),
        dom=np.array([d.day for d in days]),
        spike=(spike_day - first).days,
        last_dom=cur.last.day,
    )


def _kinds(w: _W) -> list[tuple[str, float]]:
    """(kind, tokens per prompt token) for the workload's usage types."""
    if w.channel == "guardrail":
        return [("units", 1.0)]
    if w.model.startswith("TitanEmbedding"):
        return [("embedding", 1.0)]
    out = [("input", 1.0 - w.cache_read - w.cache_write), ("output", w.out)]
    if w.cache_read:
        out.append(("cache_read", w.cache_read))
    if w.cache_write and w.channel != "mkt":
        out.append(("cache_write", w.cache_write))
    return out


def _levels(w: _W, cal: _Calendar, rng: np.random.Generator) -> np.ndarray:
    """Target unblended USD per day over the whole window (0 on inactive days)."""
    n = len(cal.days)
    weekly = np.where(cal.dow >= 5, w.weekend, 1.0)
    weekly = weekly / ((5 + 2 * w.weekend) / 7)
    noise = rng.lognormal(0.0, 0.10, n)
    trend = (1 + w.growth) ** (np.arange(n) / 30.44)
    if w.days == "tue_thu":
        mask, norm = np.isin(cal.dow, (1, 3)), 2 / 7
        weekly = np.ones(n)
    elif w.days == "sparse":
        mask, norm = rng.random(n) < 0.45, 0.45
    elif w.days == "opus":
        mask, norm = cal.current & (cal.dom >= min(4, cal.last_dom)), 1.0
    elif w.days == "llama70b":
        picks = {min(d, cal.last_dom) for d in (3, 8, 12, 17)}
        mask, norm = cal.current & np.isin(cal.dom, sorted(picks)), 1.0
    else:
        mask, norm = np.ones(n, dtype=bool), 1.0
    if w.total_usd is not None:
        shape = noise * mask
        return w.total_usd * shape / shape.sum()
    level = w.usd / 30.0 / norm * weekly * trend * noise * mask
    if w.spike:
        weekday = 7 / (5 + 2 * w.weekend)  # the spike is 5x a usual weekday, even on a weekend
        level[cal.spike] = w.usd / 30.0 * weekday * trend[cal.spike] * SPIKE_FACTOR
    return level


# ---------------------------------------------------------------------------------- principals


def _short_hash(*parts: object, n: int = 8) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()[:n]


def _principals(w: _W) -> list[str]:
    if not w.who:
        return [""]
    kind, name = w.who.split(":", 1)
    if kind == "user":
        return [f"arn:aws:iam::{w.account}:user/{name}"]
    if len(w.sessions) == 1 and w.sessions[0].endswith("-"):
        prefix = w.sessions[0]
        if prefix == "GitHubActions-":
            sessions = [f"{prefix}{int(_short_hash(w.key, i), 16) % 10**10:010d}" for i in range(4)]
        else:
            sessions = [f"{prefix}{_short_hash(w.account, name, prefix, i)}" for i in range(4)]
    else:
        sessions = list(w.sessions) or [f"{name}-session"]
    return [f"arn:aws:sts::{w.account}:assumed-role/{name}/{s}" for s in sessions]


# ------------------------------------------------------------------------------------- streams

_TOKEN_TYPE = {"input": "input-tokens", "embedding": "input-tokens", "output": "output-tokens",
               "cache_read": "cache-read-input-token-count", "cache_write": "cache-write-input-token-count"}
_MKT_TYPE = {"input": "InputTokenCount", "output": "OutputTokenCount", "cache_read": "CacheReadInputTokenCount"}
_KIND_TEXT = {"input": "input tokens", "embedding": "input tokens", "output": "output tokens",
              "cache_read": "cache read input tokens", "cache_write": "cache write input tokens"}
_SUFFIX_TEXT = {"": "", "-cross-region-global": " (cross-region global)", "-cross-region-geo":
                " (cross-region geo)", "-batch": " (batch)", "-flex": " (flex tier)"}
_UNMAPPED_IDS = {"Mistral-Large-3": "mistral.mistral-large-3-675b-instruct"}


def _bedrock_resource(w: _W) -> str:
    region, acct = w.region, w.account
    if w.channel == "guardrail":
        return f"arn:aws:bedrock:{region}:{acct}:guardrail/{_short_hash('guardrail', w.key, n=12)}"
    entry = load_prices()["by_name"][w.model]
    model_id = entry.get("model_id") or _UNMAPPED_IDS[w.model]
    if w.suffix == "-cross-region-global":
        return f"arn:aws:bedrock:{region}:{acct}:inference-profile/global.{model_id}"
    if w.suffix == "-cross-region-geo":
        return f"arn:aws:bedrock:{region}:{acct}:inference-profile/us.{model_id}"
    if w.suffix == "-batch":
        return f"arn:aws:bedrock:{region}:{acct}:model-invocation-job/{_short_hash('batch', w.key, n=12)}"
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def _workload_streams(w: _W, is_current: bool, tokens: dict[str, np.ndarray]) -> list[_Stream]:
    prefix, region_name = REGIONS[w.region]
    prices = load_prices()
    entry = prices["by_name"].get(w.model, {})
    display = "Guardrails" if w.channel == "guardrail" else entry["name"]
    out = []
    for kind, qty in tokens.items():
        price = _unit_price(w, kind)
        if w.channel == "mkt":
            unit, scale = "Units", 1e6
            usage_type = f"{prefix}-MP:{prefix}_{_MKT_TYPE[kind]}-Units"
            mkt_name = f"{entry['marketplace_name']} (Amazon Bedrock Edition)"
            rate = price * scale
            desc = f"{mkt_name}|{_MKT_TYPE[kind]}|Million Units|${_rate_str(rate)} per Million Units"
            entity, product_code, servicecode, product_name = (
                "AWS Marketplace", f"prod-bedrock-mkt-{w.model.lower()}", "", mkt_name)
        elif w.channel == "guardrail":
            unit, scale = "Text Units", 1.0
            usage_type = f"{prefix}-Guardrail-ContentPolicyUnitsConsumed"
            rate = price * scale
            desc = f"${_rate_str(rate)} per text unit for Guardrails content policy in {region_name}"
            entity, product_code, servicecode, product_name = ("AWS", w.product_code, w.product_code,
                                                               "Amazon Bedrock")
        else:
            million = is_current and w.model == STORY["unit_change"]["billing_name"]
            unit, scale = ("1M tokens", 1e6) if million else ("1K tokens", 1e3)
            usage_type = f"{prefix}-{w.model}-{_TOKEN_TYPE[kind]}{w.suffix}"
            rate = price * scale
            desc = (f"${_rate_str(rate)} per {unit[:2]} {_KIND_TEXT[kind]} for {display}"
                    f"{_SUFFIX_TEXT[w.suffix]} in {region_name}")
            entity, product_code, servicecode, product_name = ("AWS", w.product_code, w.product_code,
                                                               "Amazon Bedrock")
        amount = qty / scale
        out.append(_Stream(
            workload=w.key, kind=kind, account=w.account, region=w.region, principals=_principals(w),
            entity=entity, product_code=product_code, servicecode=servicecode, usage_type=usage_type,
            operation=w.op, item_type=w.item_type, description=desc, unit=unit, rate=_rate_str(rate),
            term="OnDemand", product_name=product_name, resource=_bedrock_resource(w),
            resource_kind="bedrock", resource_tags=dict(w.resource_tags), tags=dict(w.principal_tags),
            amount=amount, cost=amount * rate, tokens=qty if kind != "units" else None,
        ))
    return out


def _other_streams(cal: _Calendar, sl: slice, rng: np.random.Generator) -> list[_Stream]:
    out = []
    for acct, region, code, ut, op, unit, rate, qty, res, pname, desc, weekend in OTHER_SERVICES:
        dow = cal.dow[sl]
        amount = qty * np.where(dow >= 5, weekend, 1.0) * rng.lognormal(0.0, 0.05, len(dow))
        if unit == "Hrs":
            amount = np.minimum(np.round(amount), 24.0 * np.ceil(qty / 24))
        out.append(_Stream(
            workload=None, kind="other", account=acct, region=region, principals=[""], entity="AWS",
            product_code=code, servicecode=code, usage_type=ut, operation=op, item_type="Usage",
            description=desc, unit=unit, rate=_rate_str(rate), term="OnDemand", product_name=pname,
            resource=res, resource_kind="ec2" if code == "AmazonEC2" else "s3",
            resource_tags={"user_team": ACCOUNTS[acct][0]} if code == "AmazonEC2" else {}, tags={},
            amount=amount, cost=amount * rate,
        ))
    return out


def _monthly_stream(kind: str, acct: str, ut: str, cost: float, desc: str, n_days: int) -> _Stream:
    amount, costs = np.zeros(n_days), np.zeros(n_days)
    costs[0] = cost
    return _Stream(
        workload=None, kind=kind, account=acct, region="us-east-1" if kind == "credit" else "",
        principals=[""], entity="AWS", product_code="AmazonBedrock", servicecode="AmazonBedrock",
        usage_type=ut, operation="", item_type=kind.capitalize(), description=desc, unit="", rate="",
        term="", product_name="Amazon Bedrock", resource="", resource_kind="none", resource_tags={},
        tags={}, amount=amount, cost=costs, monthly=True,
    )


def _build(periods: list[_Period], seed: int) -> list[list[_Stream]]:
    """Every stream of every period, with daily amounts and costs; independent of `rows`."""
    cal = _calendar(periods)
    rng = np.random.default_rng(seed)
    # Tokens per day for each workload and kind over the whole window.
    daily: list[tuple[_W, dict[str, np.ndarray]]] = []
    for w in WORKLOADS:
        level = _levels(w, cal, rng)
        kinds = _kinds(w)
        per_prompt = sum(share * _unit_price(w, k) for k, share in kinds)
        prompt = level / per_prompt
        qty = {}
        for k, share in kinds:
            jitter = rng.lognormal(0.0, 0.03, len(cal.days))
            qty[k] = np.round(prompt * share * jitter)
        daily.append((w, qty))
    out: list[list[_Stream]] = []
    offset = 0
    for pi, period in enumerate(periods):
        sl = slice(offset, offset + period.days)
        offset += period.days
        is_current = pi == len(periods) - 1
        streams: list[_Stream] = []
        for w, qty in daily:
            part = {k: v[sl] for k, v in qty.items()}
            if any(v.any() for v in part.values()):
                streams += _workload_streams(w, is_current, part)
        streams += _other_streams(cal, sl, rng)
        for acct in ACCOUNTS:
            base = sum(float(s.cost.sum()) for s in streams
                       if s.account == acct and s.entity == "AWS" and s.product_code.startswith("AmazonBedrock"))
            streams.append(_monthly_stream("tax", acct, "Tax", round(base * TAX_RATE, 2),
                                           "Tax for product code AmazonBedrock", period.days))
        streams.append(_monthly_stream("credit", DATA_SCIENCE, "USE1-NovaPro-input-tokens", -500.0,
                                       "Amazon Bedrock promotional credit (PC-GENAI-2026)", period.days))
        if is_current:
            streams.append(_monthly_stream("credit", CORP, "USE1-Claude4.6Sonnet-input-tokens", -250.0,
                                           "AWS credit for a service issue (case 17734)", period.days))
        out.append(streams)
    return out


# ------------------------------------------------------------------------------- row expansion

_B32 = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)
_U = np.uint64


def _splitmix(x: np.ndarray) -> np.ndarray:
    z = x + _U(0x9E3779B97F4A7C15)
    z = (z ^ (z >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U(27))) * _U(0x94D049BB133111EB)
    return z ^ (z >> _U(31))


def _fixed_width(codes: np.ndarray) -> pa.Array:
    """A string array from an (n, width) uint8 matrix of ASCII codes, without Python objects."""
    n, width = codes.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(np.ascontiguousarray(codes))])


def _line_item_ids(keys: np.ndarray, seed: int) -> pa.Array:
    """52-character base32 ids, unique per key (keys are unique per row), deterministic."""
    salt = _splitmix(np.array([seed], dtype=np.uint64))[0]
    base = _splitmix(keys ^ salt)
    words = np.empty((len(keys), 7), dtype=np.uint64)
    for w in range(7):
        words[:, w] = _splitmix(base + _U((w * 0xD1B54A32D192ED03) % 2**64))
    return _fixed_width(_B32[words.view(np.uint8).reshape(len(keys), 56)[:, :52] & 31])


def _ms(d: date) -> int:
    return int((datetime(d.year, d.month, d.day) - datetime(1970, 1, 1)).total_seconds()) * 1000


def _iso(d: date, hour: int = 0) -> str:
    return f"{d.isoformat()}T{hour:02d}:00:00Z"


def _variant(s: _Stream, v: int) -> str:
    if v == 0 or s.resource_kind == "none":
        return s.resource
    h = _short_hash(s.account, s.region, s.usage_type, s.resource, v, n=16)
    if s.resource_kind == "bedrock":
        return f"arn:aws:bedrock:{s.region}:{s.account}:application-inference-profile/{h[:12]}"
    if s.resource_kind == "ec2":
        return f"i-0{h[:16]}"
    return f"{s.resource}-{v:02d}"


def _dictionary(values: list[str]) -> tuple[pa.Array, np.ndarray]:
    """Distinct values (in first-seen order) and, per input value, its index among them."""
    index: dict[str, int] = {}
    codes = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int32)
    return pa.array(list(index), pa.string()), codes


class _PeriodWriter:
    """Turns a period's stream-days into Arrow tables, vectorised over rows.

    String columns are built as dictionary arrays over per-stream values (no per-row Python objects,
    no hashing in the Parquet writer); the file stores no Arrow schema, so readers see plain strings.
    """

    def __init__(self, period: _Period, pi: int, streams: list[_Stream], hourly: bool, max_k: int,
                 as_of: date, seed: int) -> None:
        self.period, self.pi, self.streams, self.hourly, self.seed = period, pi, streams, hourly, seed
        n_days = period.days
        self.day_ms = np.array([_ms(period.first + timedelta(days=d)) for d in range(n_days)], dtype=np.int64)
        self.ps_ms, self.pe_ms = _ms(period.start), _ms(period.end)
        self.clip_ms = _ms(min(period.end, as_of))
        self.monthly = np.array([s.monthly for s in streams])
        self.net = np.array([1.0 if s.monthly else NET_FACTOR[s.item_type] for s in streams])
        self.per_stream = {name: _dictionary([get(s) for s in streams]) for name, get in {
            "bill_billing_entity": lambda s: s.entity,
            "line_item_usage_account_id": lambda s: s.account,
            "line_item_usage_account_name": lambda s: ACCOUNTS[s.account][0],
            "line_item_product_code": lambda s: s.product_code,
            "line_item_usage_type": lambda s: s.usage_type,
            "line_item_operation": lambda s: s.operation,
            "line_item_line_item_type": lambda s: s.item_type,
            "line_item_line_item_description": lambda s: s.description,
            "line_item_unblended_rate": lambda s: s.rate,
            "pricing_unit": lambda s: s.unit,
            "pricing_term": lambda s: s.term,
            "product_region_code": lambda s: s.region,
            "product_servicecode": lambda s: s.servicecode,
        }.items()}
        self.maps = {
            "product": pa.array([[("product_name", s.product_name)] for s in streams], MAP),
            "resource_tags": pa.array([sorted(s.resource_tags.items()) for s in streams], MAP),
            "tags": pa.array([sorted(s.tags.items()) for s in streams], MAP),
        }
        self.payer = {"bill_payer_account_id": _dictionary([PAYER_ID]),
                      "bill_payer_account_name": _dictionary([PAYER_NAME])}
        counts = np.array([len(s.principals) for s in streams])
        self.p_off, self.p_cnt = np.cumsum(counts) - counts, counts
        self.principals = _dictionary([p for s in streams for p in s.principals])
        self.n_variants = max(1, -(-max_k // 24)) if hourly else 1
        self.resources = _dictionary([_variant(s, v) for s in streams for v in range(self.n_variants)])
        slots = 24 if hourly else 1
        intervals = []
        for d in range(n_days):
            day = period.first + timedelta(days=d)
            for h in range(slots):
                end = (day + timedelta(days=1), 0) if not hourly or h == 23 else (day, h + 1)
                intervals.append(f"{_iso(day, h)}/{_iso(*end)}")
        intervals.append(f"{_iso(period.start)}/{_iso(min(period.end, as_of))}")
        self.intervals = _dictionary(intervals)
        self.slots = slots

    def table(self, s: np.ndarray, d: np.ndarray, k: np.ndarray, amount: np.ndarray, cost: np.ndarray,
              rng: np.random.Generator | None) -> pa.Table:
        """Rows for stream-days (s, d) split into k sub-rows each."""
        n = int(k.sum())
        rep = np.repeat(np.arange(len(k)), k)
        starts = np.cumsum(k) - k
        j = np.arange(n) - starts[rep]
        kr = k[rep]
        if self.hourly:
            hour = np.where(kr <= 24, ((2 * j + 1) * 24) // (2 * kr), j % 24)  # spread over the day
            variant = np.where(kr <= 24, 0, j // 24)
        else:
            hour = variant = np.zeros(n, dtype=np.int64)
        if rng is not None and n > len(k):
            w = rng.uniform(0.5, 1.5, n)
            frac = w / np.add.reduceat(w, starts)[rep]
        else:
            frac = np.ones(n)
        sr, dr = s[rep], d[rep]
        monthly = self.monthly[sr]
        slot_ms = 3_600_000 if self.hourly else 86_400_000
        start_ms = np.where(monthly, self.ps_ms, self.day_ms[dr] + hour * 3_600_000)
        end_ms = np.where(monthly, self.clip_ms, start_ms + slot_ms)
        interval = np.where(monthly, len(self.intervals[1]) - 1, dr * self.slots + hour)
        u_cost = cost[rep] * frac
        keys = ((((_U(self.pi) << _U(16)) + sr.astype(np.uint64)) << _U(6)) + dr.astype(np.uint64)) << _U(24)

        def dictionary(d: tuple[pa.Array, np.ndarray], idx: np.ndarray) -> pa.Array:
            return pa.DictionaryArray.from_arrays(pa.array(d[1][idx]), d[0])

        zeros = np.zeros(n, dtype=np.int64)
        cols: dict[str, pa.Array] = {
            "bill_billing_period_start_date": pa.array(np.full(n, self.ps_ms), TS),
            "bill_billing_period_end_date": pa.array(np.full(n, self.pe_ms), TS),
            "identity_line_item_id": _line_item_ids(keys + j.astype(np.uint64), self.seed),
            "identity_time_interval": dictionary(self.intervals, interval),
            "line_item_usage_start_date": pa.array(start_ms, TS),
            "line_item_usage_end_date": pa.array(end_ms, TS),
            "line_item_resource_id": dictionary(self.resources, sr * self.n_variants + variant),
            "line_item_iam_principal": dictionary(self.principals, self.p_off[sr] + (dr + j) % self.p_cnt[sr]),
            "line_item_usage_amount": pa.array(amount[rep] * frac),
            "line_item_unblended_cost": pa.array(u_cost),
            "line_item_net_unblended_cost": pa.array(u_cost * self.net[sr]),
        }
        for name, dic in self.per_stream.items():
            cols[name] = dictionary(dic, sr)
        for name, dic in self.payer.items():
            cols[name] = dictionary(dic, zeros)
        take = pa.array(sr)
        for name, arr in self.maps.items():
            cols[name] = arr.take(take)
        return pa.Table.from_arrays([cols[f.name] for f in _WRITE_SCHEMA], schema=_WRITE_SCHEMA)


def _cuts(rows: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Split consecutive stream-days (`rows` rows each) into runs of at most `limit` rows, of about
    equal size; a stream-day is never split across runs."""
    total = int(rows.sum())
    parts = max(1, -(-total // limit))
    cap = min(limit, -(-total // parts) + int(rows.max(initial=0)))
    cum = np.concatenate([[0], np.cumsum(rows)])
    out, a = [], 0
    while a < len(rows):
        b = max(a + 1, int(np.searchsorted(cum, cum[a] + cap, side="right")) - 1)
        out.append((a, b))
        a = b
    return out


# --------------------------------------------------------------------------------------- facts


def _claims(periods: list[_Period]) -> dict[str, tuple[str, date]]:
    """Normalised role ARN -> (product, claimed_on)."""
    first, cur = periods[0].first, periods[-1]
    mid = date(cur.start.year, cur.start.month, min(STORY["mid_month_claim_day"], cur.last.day))
    return {role_arn(r): (product, first if when == "start" else mid)
            for r, (_, product, when) in ROLES.items() if product}


def _forecast(daily: np.ndarray, days_in_month: int) -> float:
    """Month-end forecast as Steward's estimate_status makes it: month to date + the average of the
    last 7 days of data x the days left."""
    recent = daily[-RUN_RATE_DAYS:]
    return float(daily.sum() + recent.mean() * (days_in_month - len(daily)))


def _facts(periods: list[_Period], all_streams: list[list[_Stream]]) -> dict[str, Any]:
    claims = _claims(periods)
    products = [p for bu in BUSINESS_UNITS.values() for pf in bu.values() for ps in pf.values() for p in ps]
    kinds = ("input", "output", "cache_read", "cache_write", "embedding")
    n_cur = periods[-1].days
    # Per product: [cost, tokens by kind] per day of each period, counted from the claim's date.
    spend = {p: [np.zeros(per.days) for per in periods] for p in products}
    tok = {p: {k: [np.zeros(per.days) for per in periods] for k in kinds} for p in products}
    unattributed = [0.0] * len(periods)
    opus = llama = 0.0
    llama_rows = 0
    for pi, (period, streams) in enumerate(zip(periods, all_streams)):
        days = np.array([period.first + timedelta(days=d) for d in range(period.days)])
        for s in streams:
            if s.workload is None:
                continue
            product, since = claims.get(normalise_principal(s.principals[0]), (None, None))
            counted = np.where(days >= since, s.cost, 0.0) if product else np.zeros(period.days)
            unattributed[pi] += float(s.cost.sum() - counted.sum())
            if product:
                spend[product][pi] += counted
                if s.tokens is not None:
                    tok[product][s.kind][pi] += np.where(days >= since, s.tokens, 0.0)
            if s.workload == "checkout-opus":
                opus += float(s.cost.sum())
            if s.workload == "nb-llama70b":
                llama += float(s.cost.sum())
                llama_rows += int((s.cost > 0).sum())
    cur = periods[-1]
    dim = calendar.monthrange(cur.start.year, cur.start.month)[1]

    def month_figure(daily: list[np.ndarray], pi: int) -> float:
        return _forecast(daily[pi], dim) if pi == len(periods) - 1 else float(daily[pi].sum())

    ci = spend["Customer Insights"][-1]
    spike_idx = min(STORY["spike_day_of_month"], cur.last.day) - 1
    others = np.delete(ci, spike_idx)
    ck = tok["Checkout Service"]
    reads = sum(float(v.sum()) for v in ck["cache_read"])
    prompt = sum(float(v.sum()) for k in ("input", "cache_read", "cache_write") for v in ck[k])
    return {
        # Unblended usage cost per product and month; the current month is month to date.
        "spend_usd": {p: [round(float(v.sum()), 2) for v in d] for p, d in spend.items()},
        # Full months: the spend; current month: the month-end forecast (see _forecast).
        "month_usd": {p: [round(month_figure(d, i), 2) for i in range(len(periods))] for p, d in spend.items()},
        "month_tokens": {p: {k: [month_figure(d[k], i) for i in range(len(periods))] for k in kinds}
                         for p, d in tok.items()},
        "days_of_data": n_cur,
        "unattributed_usd": [round(x, 2) for x in unattributed],
        "opus_usd": round(opus, 2),
        "llama70b_usd": round(llama, 2),
        "llama70b_line_items": llama_rows,
        "spike_day": date(cur.start.year, cur.start.month, spike_idx + 1).isoformat(),
        "spike_ratio": round(float(ci[spike_idx] / np.median(others)), 2) if len(others) else None,
        "checkout_cache_hit_rate": round(reads / prompt, 4) if prompt else None,
        "mid_month_claim_on": claims[STORY["mid_month_role"]][1].isoformat(),
    }


def _estimates(periods: list[_Period], facts: dict[str, Any]) -> list[dict[str, Any]]:
    """Estimates set so that spend (the forecast, this month) / estimate = ESTIMATE_RATIOS."""
    out = []
    for product, ratios in ESTIMATE_RATIOS.items():
        for pi, period in enumerate(periods):
            step = 10 if product == STORY["over_estimate_product"] else 50
            usd = facts["month_usd"][product][pi] / ratios[pi]
            e: dict[str, Any] = {"product": product, "month": _Quoted(period.label),
                                 "usd": max(step, int(round(usd / step)) * step)}
            if product in TOKEN_ESTIMATES:
                t = facts["month_tokens"][product]
                out_ratio = STORY["output_over_token_estimate"] if product == "Checkout Service" else ratios[pi]
                e["input_tokens"] = int(round(t["input"][pi] / ratios[pi] / 1e6)) * 1_000_000
                e["output_tokens"] = int(round(t["output"][pi] / out_ratio / 1e6)) * 1_000_000
            out.append(e)
    return out


# ------------------------------------------------------------------------------------ org file


class _Quoted(str):
    """A string written double-quoted (months, account ids)."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &id001 anchors: repeated dates stay literal
        return True


_Dumper.add_representer(_Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))


def _catalog(first: date) -> list[dict[str, Any]]:
    decided = first - timedelta(days=12)
    all_accts = [_Quoted(a) for a in ACCOUNTS]
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
              accounts=[_Quoted(PAYMENTS), _Quoted(CORP)], regions=both),
        entry("amazon.nova-micro-v1:0", "approved", "Lowest-cost text model for scoring and routing.",
              accounts=all_accts, regions=both),
        entry("amazon.nova-lite-v1:0", "approved",
              "Low-cost multimodal model; Knowledge Search's read-only retrieval agent may use it.",
              accounts=all_accts, regions=both, scope="agentic_read_only"),
        entry("amazon.nova-pro-v1:0", "approved", "Analytics and document workloads at a moderate price.",
              accounts=all_accts, regions=both),
        entry("amazon.nova-2-lite-v1:0", "approved", "Flex tier for Talent Match's asynchronous matching.",
              accounts=[_Quoted(CORP)], regions=["us-east-1"]),
        entry("amazon.titan-embed-text-v2:0", "approved", "Standard embedding model for every search index.",
              accounts=all_accts, regions=both),
        entry("meta.llama3-1-405b-instruct-v1:0", "restricted",
              "Expensive; only Research Copilot's batch evaluation jobs justify it.",
              products=["Research Copilot"]),
        entry("meta.llama3-70b-instruct-v1:0", "blocked",
              "Superseded by Llama 3.1 and Nova at a lower price; no business case."),
    ]


def _org(periods: list[_Period], estimates: list[dict[str, Any]]) -> dict[str, Any]:
    owners = {prod: email for email, _, _, roles in PEOPLE for r in roles
              if r["persona"] == "product_owner" for prod in r["products"]}
    claims = []
    for arn, (product, on) in _claims(periods).items():
        claims.append({"principal": arn, "product": product, "claimed_by": owners[product], "claimed_on": on})
    return {
        "accounts": [{"id": _Quoted(a), "name": n, "owner": o} for a, (n, o) in ACCOUNTS.items()],
        "business_units": [
            {"name": bu, "portfolios": [
                {"name": pf, "departments": [
                    {"name": dep, "products": [{"name": p} for p in prods]} for dep, prods in deps.items()]}
                for pf, deps in pfs.items()]}
            for bu, pfs in BUSINESS_UNITS.items()],
        "people": [{"email": e, "name": n, "slack_id": s, "roles": roles} for e, n, s, roles in PEOPLE],
        "claims": claims,
        "estimates": estimates,
        "models": _catalog(periods[0].first),
    }


def _write_org(path: Path, org: dict[str, Any], as_of: date) -> None:
    header = (f"# Demo org file written by ledger.demo for as_of {as_of.isoformat()}; it matches the demo CUR.\n"
              "# Unclaimed on purpose: " + ", ".join(r.split("/")[-1] for r in STORY["unclaimed_roles"]) + ".\n")
    body = yaml.dump(org, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=200,
                     allow_unicode=True)
    path.write_text(header + body, encoding="utf-8")


# -------------------------------------------------------------------------------------- generate


def _split_counts(n_base: int, target: int) -> np.ndarray:
    """k per splittable stream-day: k >= 1, summing to max(target, n_base), spread evenly."""
    target = max(target, n_base)
    k_base, rem = divmod(target, n_base)
    i = np.arange(n_base, dtype=np.int64)
    return k_base + ((i + 1) * rem // n_base - i * rem // n_base)


def generate(out_dir: Path, *, as_of: date, rows: int | None = None, seed: int = 7,
             export_name: str = "steward-demo", progress: Callable[[int], None] | None = None) -> DemoResult:
    """Write the demo export under out_dir/export_name and the org file out_dir/org.yaml.

    rows=None writes daily rows (about 9k). rows=N writes about N hourly rows (exactly N when N is
    larger than the daily count) with the same daily totals. `progress` is called with the number
    of rows just written after each row group. An existing out_dir/export_name/{data,metadata} is
    replaced.
    """
    out_dir = Path(out_dir)
    periods = _window(as_of)
    all_streams = _build(periods, seed)

    # Stream-days per period, ordered by day then stream.
    plans = []
    for streams in all_streams:
        amount = np.stack([s.amount for s in streams])
        cost = np.stack([s.cost for s in streams])
        active = (amount != 0) | (cost != 0)
        d_idx, s_idx = np.nonzero(active.T)
        plans.append((s_idx, d_idx, amount[s_idx, d_idx], cost[s_idx, d_idx],
                      np.array([s.monthly for s in streams])[s_idx]))
    n_fixed = sum(int(p[4].sum()) for p in plans)
    n_split = sum(len(p[0]) for p in plans) - n_fixed
    hourly = rows is not None and rows - n_fixed > n_split
    ks_all = _split_counts(n_split, (rows or 0) - n_fixed) if hourly else np.ones(n_split, dtype=np.int64)

    export_root = out_dir / export_name
    for sub in ("data", "metadata"):
        shutil.rmtree(export_root / sub, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / TEST_OBJECT).write_bytes(b"")

    jobs: list[tuple[_PeriodWriter, int, Path, tuple[np.ndarray, ...]]] = []
    files: list[Path] = []
    manifests: list[tuple[_Period, list[str]]] = []
    used = 0
    for pi, (period, streams, (s_idx, d_idx, amount, cost, fixed)) in enumerate(zip(periods, all_streams, plans)):
        k = np.ones(len(s_idx), dtype=np.int64)
        n_here = int((~fixed).sum())
        k[~fixed] = ks_all[used:used + n_here]
        used += n_here
        writer = _PeriodWriter(period, pi, streams, hourly, int(k.max()), as_of, seed)
        data_dir = export_root / "data" / f"BILLING_PERIOD={period.label}"
        data_dir.mkdir(parents=True, exist_ok=True)
        names = []
        for fi, (a, b) in enumerate(_cuts(k, MAX_ROWS_PER_FILE)):
            path = data_dir / f"{export_name}-{fi + 1:05d}.snappy.parquet"
            jobs.append((writer, fi, path, (s_idx[a:b], d_idx[a:b], k[a:b], amount[a:b], cost[a:b])))
            files.append(path)
            names.append(f"{export_name}/data/BILLING_PERIOD={period.label}/{path.name}")
        manifests.append((period, names))

    lock = threading.Lock()

    def report(n: int) -> None:
        if progress:
            with lock:
                progress(n)

    def run(job: tuple[_PeriodWriter, int, Path, tuple[np.ndarray, ...]]) -> int:
        writer, fi, path, arrays = job
        return _write_file(writer, fi, path, arrays, seed if hourly else None, report)

    # Files are independent (each row group has its own seeded generator), so threads keep the
    # output byte-identical; pyarrow and numpy release the GIL for the heavy work.
    with ThreadPoolExecutor(max_workers=min(WRITER_THREADS, len(jobs))) as pool:
        total = sum(pool.map(run, jobs))
    for period, names in manifests:  # as AWS does: the manifest only after its data files
        _write_manifest(export_root, export_name, period, names)

    facts = _facts(periods, all_streams)
    estimates = _estimates(periods, facts)
    facts["estimates"] = {f"{e['product']}|{e['month']}": e["usd"] for e in estimates}
    facts["granularity"] = "HOURLY" if hourly else "DAILY"
    org_file = out_dir / "org.yaml"
    _write_org(org_file, _org(periods, estimates), as_of)
    return DemoResult(export_root=export_root, org_file=org_file, files=files, rows=total,
                      periods=[p.label for p in periods], first_day=periods[0].first,
                      last_day=periods[-1].last, facts=facts)


def _write_file(writer: _PeriodWriter, fi: int, path: Path, arrays: tuple[np.ndarray, ...],
                seed: int | None, report: Callable[[int], None]) -> int:
    """One data file, written one row group at a time; the number of rows written."""
    s_idx, d_idx, k, amount, cost = arrays
    written = 0
    with pq.ParquetWriter(path, _WRITE_SCHEMA, compression="snappy", store_schema=False,
                          use_dictionary=_DICTIONARY_COLUMNS) as pw:
        for ci, (c0, c1) in enumerate(_cuts(k, ROW_GROUP_ROWS)):
            rng = None if seed is None else np.random.default_rng([seed, writer.pi, fi, ci])
            table = writer.table(s_idx[c0:c1], d_idx[c0:c1], k[c0:c1], amount[c0:c1], cost[c0:c1], rng)
            pw.write_table(table, row_group_size=table.num_rows)
            written += table.num_rows
            report(table.num_rows)
    return written


def _write_manifest(export_root: Path, export_name: str, period: _Period, names: list[str]) -> None:
    meta_dir = export_root / "metadata" / f"BILLING_PERIOD={period.label}"
    meta_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "exportName": export_name,
        "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{PAYER_ID}:export/{export_name}",
        "billingPeriod": {"start": f"{period.start.isoformat()}T00:00:00.000Z",
                          "end": f"{period.end.isoformat()}T00:00:00.000Z"},
        "dataFiles": names,
        "additionalOutputFiles": [],
        "columns": [{"name": n, "type": t} for n, _, t in _COLUMNS],
    }
    (meta_dir / f"{export_name}-Manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                                           encoding="utf-8")
