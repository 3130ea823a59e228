"""The demo organisation: accounts, hierarchy, people, IAM roles and their claims, and the story."""

from __future__ import annotations

from typing import Any

PAYMENTS, DATA_SCIENCE, CORP = "111122223333", "444455556666", "777788889999"
PAYER_ID, PAYER_NAME = "999988887777", "example-bank-management"
ACCOUNTS = {  # id -> (name, owner node)
    PAYMENTS: ("payments-prod", "Payments"),
    DATA_SCIENCE: ("data-science", "Analytics"),
    CORP: ("corp-shared", "Corporate Services"),
}
REGIONS = {"us-east-1": ("USE1", "US East (N. Virginia)"), "us-west-2": ("USW2", "US West (Oregon)")}

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


# Application inference profiles: id -> (account, region, claiming product). The shared gateway role
# calls Talent Match's model through its own profile, so Talent Match claims the profile and the
# gateway's other spend stays with the role's claim (HR Portal): one role, split by profile.
PROFILES: dict[str, tuple[str, str, str]] = {
    "talentmatch01": (CORP, "us-east-1", "Talent Match"),
}


# Claims by cost-allocation resource tag (`key=value`, as written in AWS; CUR 2.0 names it user_<key>):
# Knowledge Search's index sync jobs are tagged team=knowledge, so the tag attributes them (it comes
# before the role's claim, which names the same product): the demo shows every kind of claim.
TAG_CLAIMS: dict[str, str] = {"team=knowledge": "Knowledge Search"}


def profile_arn(profile: str) -> str:
    """The ARN of a demo application inference profile."""
    account, region, _ = PROFILES[profile]
    return f"arn:aws:bedrock:{region}:{account}:application-inference-profile/{profile}"


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
    "shared_role_split": {"profile": profile_arn("talentmatch01"), "product": "Talent Match", "workload": "gw-tm"},
    "tag_claim": {"tag": "team=knowledge", "product": "Knowledge Search", "workload": "ks-titan"},
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
    # Lifecycle (lifecycle.yaml): one product on a Legacy model nearing end of life, and Claude 3 Haiku
    # past its EOL (2026-09-10) in the Regions the AWS table lists, where several products still call it.
    "legacy_model": {"billing_name": "Claude4.1Opus", "model_id": "anthropic.claude-opus-4-1-20250805-v1:0",
                     "product": "Loan Advisor", "account": PAYMENTS, "region": "us-east-1",
                     "eol": "2027-01-08"},
    "eol_model": {"billing_name": "Claude3Haiku", "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
                  "eol": "2026-09-10"},
}


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

