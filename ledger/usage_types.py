"""The CUR 2.0 usage-type grammar for Bedrock, as DuckDB SQL over distinct usage types.

See ../shared/reference/cur2-bedrock.md §2 and §6. The rules run once per distinct
(usage type, product name, ...) combination, never per row, and are joined back.
"""

from __future__ import annotations

REGION_PREFIXES: dict[str, str] = {
    "USE1": "us-east-1",
    "USE2": "us-east-2",
    "USW1": "us-west-1",
    "USW2": "us-west-2",
    "CAN1": "ca-central-1",
    "EU": "eu-west-1",
    "EUW1": "eu-west-1",
    "EUW2": "eu-west-2",
    "EUW3": "eu-west-3",
    "EUC1": "eu-central-1",
    "EUC2": "eu-central-2",
    "EUN1": "eu-north-1",
    "EUS1": "eu-south-1",
    "EUS2": "eu-south-2",
    "APN1": "ap-northeast-1",
    "APN2": "ap-northeast-2",
    "APN3": "ap-northeast-3",
    "APS1": "ap-southeast-1",
    "APS2": "ap-southeast-2",
    "APS3": "ap-south-1",
    "APS4": "ap-southeast-3",
    "APS5": "ap-south-2",
    "APS6": "ap-southeast-4",
    "SAE1": "sa-east-1",
    "MES1": "me-south-1",
    "MEC1": "me-central-1",
    "AFS1": "af-south-1",
    "ILC1": "il-central-1",
    "UGW1": "us-gov-west-1",
    "UGE1": "us-gov-east-1",
}

# pricing_unit -> tokens per unit of usage_amount. Keyed on the unit, never assumed (it changed
# over time, CUDOS 5.9.0). Marketplace 'Units' are millions of tokens per the CUDOS multiplier.
TOKEN_SCALE: dict[str, float] = {
    "1k tokens": 1e3,
    "1m tokens": 1e6,
    "units": 1e6,
    "tokens": 1.0,
    "token": 1.0,
}

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write", "embedding")
USAGE_LINE_ITEM_TYPES = ("Usage", "SavingsPlanCoveredUsage", "DiscountedUsage")

CHARGE_CLASS_SQL = """CASE
    WHEN {t} IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 'usage'
    WHEN {t} = 'Credit' THEN 'credit'
    WHEN {t} = 'Refund' THEN 'refund'
    WHEN {t} = 'Tax' THEN 'tax'
    WHEN {t} IN ('BundledDiscount', 'EdpDiscount', 'PrivateRateDiscount', 'SavingsPlanNegation',
                 'SppDiscount', 'DistributorDiscount', 'Discount') THEN 'discount'
    WHEN {t} IN ('Fee', 'RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee') THEN 'fee'
    ELSE 'other' END"""

BEDROCK_FILTER_SQL = (
    "(product_code LIKE 'AmazonBedrock%' "
    "OR (entity = 'AWS Marketplace' AND product_name LIKE '%(Amazon Bedrock Edition)%'))"
)

_MARKETPLACE = "(ut LIKE '%-MP:%' OR entity = 'AWS Marketplace')"

# Derived columns for one distinct usage-type combination (ut, product_name, entity, pricing_unit,
# product_region). `u` is lower(ut).
KIND_SQL = r"""CASE
    WHEN u LIKE '%guardrail%' THEN 'guardrail'
    WHEN u LIKE '%provisionedthroughput%' OR u LIKE '%modelunits%'
         OR (u LIKE '%reserved%' AND (u LIKE '%per-minute%' OR u LIKE '%tpm%')) THEN 'provisioned'
    WHEN u LIKE '%embed%' THEN 'embedding'
    WHEN u LIKE '%image%' OR u LIKE '%canvas%' THEN 'image'
    WHEN regexp_matches(u, 'cache[-_]?read') THEN 'cache_read'
    WHEN regexp_matches(u, 'cache[-_]?write') THEN 'cache_write'
    WHEN u LIKE '%input%' THEN 'input'
    WHEN u LIKE '%output%' THEN 'output'
    ELSE 'other' END"""

TIER_SQL = r"""CASE
    WHEN regexp_matches(u, '[-_]batch') THEN 'batch'
    WHEN regexp_matches(u, '[-_]flex') THEN 'flex'
    WHEN regexp_matches(u, '[-_]priority') THEN 'priority'
    WHEN regexp_matches(u, 'latency[-_]optimi[sz]ed') THEN 'latency-optimized'
    WHEN u LIKE '%reserved%' THEN 'reserved'
    ELSE 'standard' END"""

ROUTING_SQL = r"""CASE
    WHEN u LIKE '%cross-region-global%' OR regexp_matches(u, '_global([_-]|$)') THEN 'global'
    WHEN u LIKE '%cross-region-geo%' OR regexp_matches(u, '_geo([_-]|$)') THEN 'geo'
    ELSE 'in-region' END"""

FIRST_PARTY_MODEL_SQL = (
    r"nullif(regexp_extract(ut, '^[A-Z]{2,4}[0-9]?-(.+?)-(?:mantle-)?(?:reserved-[0-9]+-[a-z]+-)?"
    r"(?:input|output|cache-read|cache-write|ProvisionedThroughput)', 1), '')"
)

BILLING_MODEL_SQL = f"""CASE
    WHEN {_MARKETPLACE} THEN nullif(trim(replace(coalesce(product_name, ''), ' (Amazon Bedrock Edition)', '')), '')
    WHEN u LIKE '%guardrail%' THEN NULL
    ELSE {FIRST_PARTY_MODEL_SQL} END"""

REGION_PREFIX_SQL = r"regexp_extract(ut, '^([A-Z]{2,4}[0-9]?)-', 1)"


def dim_select_sql(source: str) -> str:
    """SELECT over `source` (distinct keys) that adds the parsed columns."""
    scale_cases = " ".join(f"WHEN '{k}' THEN {v}" for k, v in TOKEN_SCALE.items())
    token_kinds = ", ".join(f"'{k}'" for k in TOKEN_KINDS)
    return f"""
    WITH d AS (SELECT *, lower(ut) AS u FROM {source}),
    p AS (
        SELECT *, {KIND_SQL} AS kind, {TIER_SQL} AS tier, {ROUTING_SQL} AS routing,
               {BILLING_MODEL_SQL} AS billing_model, {REGION_PREFIX_SQL} AS region_prefix
        FROM d
    )
    SELECT p.ut, p.product_name, p.entity, p.pricing_unit, p.product_region,
           p.kind, p.tier, p.routing, p.billing_model,
           coalesce(rp.region, nullif(p.product_region, ''), 'unknown') AS region,
           CASE WHEN p.kind IN ({token_kinds})
                THEN CASE lower(trim(coalesce(p.pricing_unit, ''))) {scale_cases} ELSE NULL END
           END AS token_scale,
           mn.model_id, mn.family AS model_family
    FROM p
    LEFT JOIN region_prefixes rp ON rp.prefix = p.region_prefix
    LEFT JOIN model_names mn ON mn.billing_name = p.billing_model
    """
