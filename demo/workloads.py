"""The demo's callers: who uses which model where and how much, plus the non-Bedrock rows."""

from __future__ import annotations

from dataclasses import dataclass

from demo.world import CORP, DATA_SCIENCE, PAYMENTS

# ----------------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    """One caller using one model (or guardrail) in one account and region: a few usage types."""

    key: str
    account: str
    region: str
    who: str  # "role:<name>" | "user:<name>" | "" (no principal)
    model: str  # billing name, or "guardrail"
    usd: float  # unblended per 30 days at the start, on active days
    channel: str = "1p"  # 1p | mkt | guardrail | feature (a Bedrock feature billed per unit, not tokens)
    suffix: str = ""  # '', -cross-region-global, -cross-region-geo, -batch, -flex, _priority
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
    cache_ttl: str = ""  # '' (5 minutes) | '1h': cache writes billed as `...-cache-write-input-token-count-1-hour`
    feature: Feature | None = None  # channel "feature" only
    profile: str = ""  # called through this application inference profile (demo.world.PROFILES)


@dataclass(frozen=True)
class Feature:
    """A Bedrock feature billed per unit (knowledge base requests, images processed, vCPU-hours ...).
    The usage type's form is taken from the price list (see tests/test_usage_types.py); the rate is a
    demo value, not a list price."""

    usage_type: str  # after the Region prefix, e.g. KnowledgeBase-StructuredDataRetrieval-Requests
    unit: str  # pricing unit, e.g. Requests
    rate: float  # USD per unit (demo value)
    label: str  # what the line item description calls it
    resource: str  # resource type in the ARN, e.g. knowledge-base


_STREAM = "InvokeModelStreamingInference"
_PAY_TAGS = (("iamPrincipal/team", "payments"), ("iamPrincipal/cost-center", "CC-1001"))
_HR_TAGS = (("iamPrincipal/team", "hr-tech"), ("iamPrincipal/cost-center", "CC-4100"))
_ANALYTICS_RT = (("user_team", "analytics"), ("user_cost_center", "CC-3001"))

WORKLOADS: list[Workload] = [
    # payments-prod
    Workload("checkout", PAYMENTS, "us-east-1", "role:checkout-service-bedrock", "Claude4.6Sonnet", 4300,
             out=0.42, cache_read=0.17, cache_write=0.03, weekend=0.6, growth=0.05, op=_STREAM,
             sessions=("checkout-svc-",), principal_tags=_PAY_TAGS),
    Workload("checkout-opus", PAYMENTS, "us-west-2", "role:checkout-service-bedrock", "Claude4.6Opus", 3600,
             out=0.42, cache_read=0.17, cache_write=0.03, weekend=0.6, days="opus", op=_STREAM,
             sessions=("checkout-svc-",), principal_tags=_PAY_TAGS),
    Workload("fraud-micro", PAYMENTS, "us-east-1", "role:fraud-scoring-bedrock", "NovaMicro", 500, out=0.1,
             weekend=0.9, item_type="DiscountedUsage", sessions=("fraud-scorer-",)),
    Workload("fraud-lite", PAYMENTS, "us-east-1", "role:fraud-scoring-bedrock", "NovaLite", 600, out=0.15,
             weekend=0.9, sessions=("fraud-scorer-",)),
    Workload("mobile-sonnet", PAYMENTS, "us-east-1", "role:mobile-assistant-bedrock", "Claude4.6Sonnet", 1400,
             suffix="-cross-region-global", cache_read=0.55, cache_write=0.05, op=_STREAM,
             sessions=("mobile-api-",)),
    Workload("mobile-haiku", PAYMENTS, "us-east-1", "role:mobile-assistant-bedrock", "Claude3Haiku", 300,
             sessions=("mobile-api-",)),
    Workload("mobile-canary", PAYMENTS, "us-west-2", "role:mobile-assistant-canary", "Claude4.6Sonnet", 250,
             cache_read=0.5, cache_write=0.05, op=_STREAM, sessions=("canary-",)),
    Workload("loan-sonnet", PAYMENTS, "us-west-2", "role:loan-advisor-bedrock", "Claude4.6Sonnet", 1500,
             suffix="-cross-region-geo", cache_read=0.6, cache_write=0.05, sessions=("loan-advisor-",)),
    # Claude Opus 4.1 went Legacy on 2026-07-08 and reaches end of life on 2027-01-08 (lifecycle.yaml [T1]).
    Workload("loan-opus41", PAYMENTS, "us-east-1", "role:loan-advisor-bedrock", "Claude4.1Opus", 220, out=0.3,
             cache_read=0.3, cache_write=0.05, sessions=("loan-advisor-",)),
    Workload("docintake-pro", PAYMENTS, "us-east-1", "role:document-intake-bedrock", "NovaPro", 900, out=0.08,
             cache_read=0.3, cache_write=0.05, weekend=0.8, sessions=("doc-intake-",)),
    Workload("docintake-titan", PAYMENTS, "us-east-1", "role:document-intake-bedrock", "TitanEmbeddingV2-Text",
             40, weekend=0.8, sessions=("doc-intake-",)),
    Workload("loan-docs-lite", PAYMENTS, "us-east-1", "role:loan-docs-pipeline", "NovaLite", 250, weekend=0.7,
             sessions=("loan-docs-",)),
    Workload("loan-docs-haiku", PAYMENTS, "us-east-1", "role:loan-docs-pipeline", "Claude3Haiku", 350,
             weekend=0.7, sessions=("loan-docs-",)),
    Workload("gha-haiku", PAYMENTS, "us-east-1", "role:github-actions-ci", "Claude3Haiku", 160, weekend=0.15,
             sessions=("GitHubActions-",)),
    Workload("bob-haiku", PAYMENTS, "us-east-1", "user:bob", "Claude3Haiku", 60, weekend=0.2),
    Workload("pay-guardrail", PAYMENTS, "us-east-1", "", "guardrail", 150, channel="guardrail", op="ApplyGuardrail"),
    # data-science
    Workload("research-llama", DATA_SCIENCE, "us-east-1", "role:research-copilot-bedrock", "Llama3-1-405B", 900,
             suffix="-batch", out=0.25, days="tue_thu", weekend=1.0, sessions=("research-batch-",)),
    Workload("research-pro", DATA_SCIENCE, "us-east-1", "role:research-copilot-bedrock", "NovaPro", 800,
             suffix="-cross-region-global", cache_read=0.6, cache_write=0.05, sessions=("research-app-",)),
    Workload("portfolio-lite", DATA_SCIENCE, "us-west-2", "role:portfolio-insights-bedrock", "NovaLite", 500,
             suffix="-cross-region-geo", item_type="SavingsPlanCoveredUsage", sessions=("portfolio-",)),
    Workload("portfolio-pro", DATA_SCIENCE, "us-east-1", "role:portfolio-insights-bedrock", "NovaPro", 650,
             cache_read=0.5, cache_write=0.05, sessions=("portfolio-",)),
    Workload("ci-pro", DATA_SCIENCE, "us-east-1", "role:customer-insights-bedrock", "NovaPro", 7750, out=0.2,
             cache_read=0.45, cache_write=0.04, weekend=0.7, spike=True, sessions=("ci-worker-",),
             resource_tags=_ANALYTICS_RT),
    Workload("ci-titan", DATA_SCIENCE, "us-east-1", "role:customer-insights-etl", "TitanEmbeddingV2-Text", 150,
             weekend=0.7, spike=True, sessions=("ci-etl-",), resource_tags=_ANALYTICS_RT),
    Workload("ci-micro", DATA_SCIENCE, "us-west-2", "role:customer-insights-bedrock", "NovaMicro", 400,
             weekend=0.7, spike=True, sessions=("ci-worker-",)),
    Workload("ks-titan", DATA_SCIENCE, "us-east-1", "role:knowledge-search-bedrock", "TitanEmbeddingV2-Text", 90,
             sessions=("kb-sync-",), resource_tags=(("user_team", "knowledge"), ("user_cost_center", "CC-3002"))),
    Workload("ks-lite", DATA_SCIENCE, "us-east-1", "role:knowledge-search-bedrock", "NovaLite", 500,
             cache_read=0.5, cache_write=0.05, sessions=("kb-agent-",)),
    Workload("ks-haiku", DATA_SCIENCE, "us-east-1", "role:knowledge-search-bedrock", "Claude3Haiku", 350,
             sessions=("kb-agent-",)),
    Workload("nb-llama70b", DATA_SCIENCE, "us-east-1", "role:ds-notebook-experiments", "Llama3-70B", 0,
             out=0.5, days="llama70b", total_usd=45.0, sessions=("jupyter-",)),
    Workload("nb-micro", DATA_SCIENCE, "us-east-1", "role:ds-notebook-experiments", "NovaMicro", 30,
             weekend=0.3, sessions=("jupyter-",)),
    Workload("sso-pro", DATA_SCIENCE, "us-east-1", "role:AWSReservedSSO_DataScientist_4f2a9c1e7b3d8a65",
             "NovaPro", 380, weekend=0.2,
             sessions=("dana.whitfield@example.com", "li.wong@example.com", "ben.ortiz@example.com")),
    Workload("alice-mistral", DATA_SCIENCE, "us-east-1", "user:alice", "Mistral-Large-3", 60, days="sparse"),
    Workload("alice-lite", DATA_SCIENCE, "us-east-1", "user:alice", "NovaLite", 40, weekend=0.3),
    # corp-shared
    Workload("cc-mkt-haiku", CORP, "us-east-1", "role:client-chat-bedrock", "Claude3Haiku", 900, channel="mkt",
             out=0.25, cache_read=0.3, op=_STREAM, sessions=("client-chat-",)),
    Workload("cc-guardrail", CORP, "us-east-1", "role:client-chat-bedrock", "guardrail", 200, channel="guardrail",
             op="ApplyGuardrail", sessions=("client-chat-",)),
    Workload("cc-sonnet", CORP, "us-east-1", "role:client-chat-bedrock", "Claude4.6Sonnet", 700,
             cache_read=0.6, cache_write=0.05, op=_STREAM, sessions=("client-chat-",)),
    Workload("hr-sonnet", CORP, "us-east-1", "role:hr-portal-bedrock", "Claude4.6Sonnet", 8450, out=0.25,
             cache_read=0.62, cache_write=0.05, weekend=0.35, growth=0.0, op=_STREAM,
             sessions=("hr-portal-web-",), principal_tags=_HR_TAGS),
    Workload("hr-sonnet-w2", CORP, "us-west-2", "role:hr-portal-bedrock", "Claude4.6Sonnet", 1400,
             cache_read=0.6, cache_write=0.05, weekend=0.35, growth=0.0, sessions=("hr-portal-web-",),
             principal_tags=_HR_TAGS),
    Workload("gw-hr", CORP, "us-east-1", "role:shared-genai-gateway", "Claude4.6Sonnet", 2600, cache_read=0.55,
             cache_write=0.05, weekend=0.35, growth=0.0, sessions=("hr-portal-",),
             principal_tags=(("iamPrincipal/team", "platform"),)),
    Workload("gw-tm", CORP, "us-east-1", "role:shared-genai-gateway", "NovaLite", 900, weekend=0.35,
             sessions=("talent-match-",), principal_tags=(("iamPrincipal/team", "platform"),),
             profile="talentmatch01"),
    Workload("hr-titan", CORP, "us-east-1", "role:hr-portal-bedrock", "TitanEmbeddingV2-Text", 60, weekend=0.35,
             growth=0.0, sessions=("hr-portal-index-",), principal_tags=_HR_TAGS),
    Workload("tm-lite", CORP, "us-east-1", "role:talent-match-bedrock", "NovaLite", 800, weekend=0.4,
             sessions=("talent-match-svc-",)),
    Workload("tm-micro", CORP, "us-east-1", "role:talent-match-bedrock", "NovaMicro", 300, weekend=0.4,
             product_code="AmazonBedrockService", sessions=("talent-match-svc-",)),
    Workload("tm-nova2", CORP, "us-east-1", "role:talent-match-bedrock", "Nova2.0Lite", 350, suffix="-flex",
             weekend=0.4, sessions=("talent-match-svc-",)),
    Workload("helpdesk-haiku", CORP, "us-east-1", "role:corp-it-helpdesk-bot", "Claude3Haiku", 200,
             sessions=("helpdesk-",)),
    Workload("helpdesk-lite", CORP, "us-west-2", "role:corp-it-helpdesk-bot", "NovaLite", 100, sessions=("helpdesk-",)),
    Workload("apikey-haiku", CORP, "us-east-1", "user:BedrockAPIKey-7f3k", "Claude3Haiku", 180, weekend=0.3),
    Workload("mkt-anon", CORP, "us-west-2", "", "Claude3Haiku", 100, channel="mkt"),
    # Newer billing forms (issue 12): features billed per unit, priority tier, 1-hour cache writes
    Workload("ks-kb", DATA_SCIENCE, "us-east-1", "role:knowledge-search-bedrock", "", 120, channel="feature",
             weekend=0.5, sessions=("kb-agent-",), op="Retrieve", feature=Feature(
                 "KnowledgeBase-StructuredDataRetrieval-Requests", "Requests", 0.002,
                 "Knowledge Bases structured data retrieval request", "knowledge-base")),
    Workload("docintake-bda", PAYMENTS, "us-east-1", "role:document-intake-bedrock", "", 90, channel="feature",
             weekend=0.8, sessions=("doc-intake-",), op="InvokeDataAutomationAsync", feature=Feature(
                 "DataAutomation-Standard-ImagesProcessed", "Images", 0.003, "Data Automation standard image",
                 "data-automation-project")),
    Workload("cc-agentcore", CORP, "us-east-1", "role:client-chat-bedrock", "", 60, channel="feature",
             sessions=("client-chat-",), op="InvokeAgentRuntime", feature=Feature(
                 "AgentCore-Runtime-vCPU-Hours", "vCPU-Hours", 0.0895, "AgentCore Runtime vCPU-hour", "runtime")),
    Workload("cc-guardrail-img", CORP, "us-east-1", "role:client-chat-bedrock", "", 30, channel="feature",
             sessions=("client-chat-",), op="ApplyGuardrail", feature=Feature(
                 "Guardrail-ContentPolicyImageUnitsConsumed", "Image Units", 0.00075,
                 "Guardrails content policy image unit", "guardrail")),
    Workload("tm-nova2-priority", CORP, "us-east-1", "role:talent-match-bedrock", "Nova2.0Lite", 150,
             suffix="_priority", weekend=0.4, sessions=("talent-match-svc-",)),
    Workload("hr-sonnet-1h", CORP, "us-west-2", "role:hr-portal-bedrock", "Claude4.6Sonnet", 400, cache_read=0.6,
             cache_write=0.1, cache_ttl="1h", weekend=0.35, growth=0.0, sessions=("hr-portal-web-",),
             principal_tags=_HR_TAGS),
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

