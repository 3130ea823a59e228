"""The CUR 2.0 usage-type grammar for Bedrock: one usage type in, its parsed parts out.

The parser runs once per distinct (usage type, product name, entity, pricing unit, product
region) combination, never per row; the ingest joins the result back onto the rows. It is a
linear scan over the '-' / '_' separated parts (no regular expression over the whole string),
and a usage type longer than MAX_USAGE_TYPE_CHARS is refused before it gets here.

Where each form comes from (reference: ../shared/reference/cur2-bedrock.md):
  S1  AWS doc "Understanding your Amazon Bedrock CUR data": {region}-{model}-{token-type}[-{tier}],
      -mantle-, -cross-region-global, cache-read/-write-input-token-count.
  S4  CUDOS dashboard: Marketplace rows (MP:, "(Amazon Bedrock Edition)"), provisionedthroughput,
      modelunits, custommodelimport, customization-training/-storage, dataautomation, novareel,
      novacanvas, sonic, invokeflow, evaluations, optimizeprompt, search_units.
  PL  AWS Price List offer files (AmazonBedrock, AmazonBedrockFoundationModels, AmazonBedrockService)
      as quoted by AWS samples and open-source price tools: speech/text-input-tokens (Nova Sonic),
      input-image-token-count, cache-write-tokens-5m, -long-ctx, -global-standard, MillionBatch...,
      _LatencyOptimized, CacheWrite1hInputTokenCount, Reserved_1Month_InputTPM_Geo,
      DataAutomation-Standard-ImagesProcessed, Guardrail-ContentPolicyImageUnitsConsumed,
      -input-tokens-custom-model, {model}-Customization-Training / -Storage.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_USAGE_TYPE_CHARS = 256  # the longest real Bedrock usage type seen is ~90 characters

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
    "1000 tokens": 1e3,
    "1m tokens": 1e6,
    "units": 1e6,
    "tokens": 1.0,
    "token": 1.0,
}

# Kinds whose usage_amount is a count of foundation-model tokens (scaled into `tokens`).
TOKEN_KINDS = ("input", "output", "cache_read", "cache_write", "embedding")
# Everything else is its own kind: never counted as model tokens, never the base model's inference.
OTHER_KINDS = ("guardrail", "provisioned", "reserved", "customization_training", "customization_storage",
               "custom_model", "custom_model_import", "data_automation", "image_generation",
               "video_generation", "knowledge_base", "rerank", "agent", "flow", "evaluation",
               "prompt_optimization", "other")
MODALITIES = ("text", "speech", "audio", "image", "video", "document")
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

# Rows Steward keeps: Bedrock product codes (S4: AmazonBedrock, AmazonBedrockService,
# AmazonBedrockFoundationModels, AmazonBedrockAgentCore) or Marketplace "Bedrock Edition" models.
BEDROCK_FILTER_SQL = (
    "(product_code LIKE 'AmazonBedrock%' "
    "OR (entity = 'AWS Marketplace' AND product_name LIKE '%(Amazon Bedrock Edition)%'))"
)
# A row with no product code whose other columns say Bedrock (kept and reported, never dropped):
# the product name or service code names Bedrock, or the usage type has a Bedrock token meter.
NULL_CODE_BEDROCK_SQL = (
    "(nullif(product_code, '') IS NULL AND (product_name ILIKE '%bedrock%' OR servicecode ILIKE 'AmazonBedrock%'"
    " OR ut LIKE '%-MP:%' OR regexp_matches(ut, '-(input|output)-tokens|-token-count|Guardrail-')))"
)
KEEP_SQL = f"({BEDROCK_FILTER_SQL} OR {NULL_CODE_BEDROCK_SQL})"

# Leading parts that name a Bedrock feature, not a model (S4 substrings; PL feature prefixes).
_FEATURES: dict[str, str] = {
    "guardrail": "guardrail", "guardrails": "guardrail", "guardrailchecks": "guardrail",
    "dataautomation": "data_automation", "bda": "data_automation",
    "knowledgebase": "knowledge_base", "knowledgebases": "knowledge_base", "generatesql": "knowledge_base",
    "structureddataretrieval": "knowledge_base",
    "amazonrerank": "rerank", "rerank": "rerank",
    "agent": "agent", "agents": "agent", "agentcore": "agent", "bedrockagents": "agent",
    "bedrockflows": "flow", "flows": "flow", "invokeflow": "flow", "flow": "flow",
    "modelevaluation": "evaluation", "evaluation": "evaluation", "evaluations": "evaluation",
    "optimizeprompt": "prompt_optimization", "apo": "prompt_optimization",
    "custommodelimport": "custom_model_import",
}
_TIER_WORDS = {"standard": "standard", "batch": "batch", "flex": "flex", "priority": "priority"}
_NOISE = {"tokens", "token", "count", "tokencount", "units", "unit", "consumed"}


@dataclass(frozen=True)
class ParsedUsageType:
    """What one usage type says. `model` is the billed model name (None for features)."""

    kind: str
    model: str | None
    modality: str | None = None
    tier: str = "standard"
    routing: str = "in-region"
    cache_ttl: str | None = None
    long_context: bool = False
    region_prefix: str | None = None
    custom: bool = False          # a custom (fine-tuned / imported) model built on `model`
    unknown: bool = False         # some part was not understood: reported, treated as unreviewed


def _split_region(ut: str) -> tuple[str | None, str]:
    head, sep, rest = ut.partition("-")
    if sep and 2 <= len(head) <= 5 and head[:2].isalpha() and head.isupper() and head.isalnum():
        return head, rest
    return None, ut


def _camel_words(part: str) -> list[str]:
    """'CacheWrite1hInputTokenCount' -> ['cache', 'write', '1h', 'input', 'token', 'count']."""
    words: list[str] = []
    cur = ""
    for i, ch in enumerate(part):
        prev = part[i - 1] if i else ""
        boundary = cur and ((ch.isupper() and (prev.islower() or prev.isdigit()))
                            or (ch.isdigit() and prev.isalpha()))
        if boundary:
            words.append(cur.lower())
            cur = ""
        cur += ch
    if cur:
        words.append(cur.lower())
    return words


def _words(text: str) -> list[str]:
    out: list[str] = []
    for piece in text.replace("_", "-").split("-"):
        if piece:
            out += _camel_words(piece) if any(c.isupper() for c in piece) else [piece.lower()]
    return out


@dataclass
class _Quals:
    tier: str = "standard"
    routing: str = "in-region"
    ttl: str | None = None
    long_context: bool = False
    custom: bool = False
    unknown: bool = False


def _qualifiers(words: list[str]) -> _Quals:
    """Read the qualifier words after the meter: tier, routing, TTL, long context, custom model."""
    q = _Quals()
    i = 0
    while i < len(words):
        w, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
        if w in _NOISE or w in ("input", "text", "mantle", "per", "minute"):
            pass
        elif w in _TIER_WORDS:
            q.tier = _TIER_WORDS[w] if q.tier == "standard" else q.tier
        elif w == "million" and nxt == "batch":
            q.tier, i = "batch", i + 1
        elif w == "latency" and nxt in ("optimized", "optimised"):
            q.tier, i = "latency-optimized", i + 1
        elif w in ("latencyoptimized", "latencyoptimised"):
            q.tier = "latency-optimized"
        elif w == "cross" and nxt == "region":
            i += 1
        elif w in ("global", "geo"):
            q.routing = w
        elif w == "long" and nxt in ("context", "ctx"):
            q.long_context, i = True, i + 1
        elif w in ("5m", "1h", "30m"):
            q.ttl = w
        elif w in ("1", "5") and nxt in ("hour", "minute", "minutes"):
            q.ttl, i = ("1h" if nxt == "hour" else "5m"), i + 1
        elif w == "custom" and nxt == "model":
            q.custom, i = True, i + 1
        else:
            q.unknown = True
        i += 1
    return q


def _meter(words: list[str]) -> tuple[int, str, str | None, int] | None:
    """Find the token meter: (index where it starts, kind, modality, index after it) or None.

    Modality may sit before the meter (Nova Sonic 'speech-input-tokens', 'text-output-tokens') or
    after the direction ('input-image-token-count'), or stand alone ('image-token-count' = input).
    Modality words are lower case in real usage types; a capitalised 'Text' is part of a model
    name ('TitanEmbeddingV2-Text-input-tokens')."""
    for i, word in enumerate(words):
        w = word.lower()
        nxt_raw = words[i + 1] if i + 1 < len(words) else ""
        nxt = nxt_raw.lower()
        if w == "cache" and nxt in ("read", "write"):
            kind = "cache_read" if nxt == "read" else "cache_write"
            return i, kind, None, i + 2
        if w in ("input", "output"):
            modality = nxt_raw if nxt_raw in MODALITIES else None
            return i, w, modality, i + (2 if modality else 1)
        if word in MODALITIES and nxt in ("token", "tokens", "input", "output"):
            if nxt in ("input", "output"):
                return i, nxt, word, i + 2
            return i, "input", word, i + 1
        if w in ("inputtpm", "outputtpm"):
            return i, w[:-3], None, i + 1
    return None


# Non-token product markers, checked on the lower-cased usage type before any token meter
# (order matters: the most specific first). Each names its kind (S4 substrings, PL forms).
_MARKERS: tuple[tuple[str, str], ...] = (
    ("custommodelimport", "custom_model_import"),
    ("customization-training", "customization_training"),
    ("customization_training", "customization_training"),
    ("customization-storage", "customization_storage"),
    ("modelstorage", "customization_storage"),
    ("customization", "customization_training"),
    ("provisionedthroughput", "provisioned"),
    ("modelunits", "provisioned"),
    ("reserved", "reserved"),
    ("created_image", "image_generation"),
    ("imagesgenerated", "image_generation"),
    ("imagegenerated", "image_generation"),
    ("-images", "image_generation"),
    ("videosecond", "video_generation"),
    ("videogenerated", "video_generation"),
    ("videomedium", "video_generation"),
    ("search_units", "knowledge_base"),
)
_MARKER_SEGMENTS = {"customization", "provisionedthroughput", "reserved", "modelstorage", "custom"}


def _model_before(segments: list[str], stop: int) -> tuple[str | None, bool, str | None]:
    """The model name from the parts before `stop`; a trailing lower-case modality word is not
    part of the name ('Nova2.0Pro-text-input-tokens'), and 'LatencyOptimized' inside the name is a
    tier. Returns (model, latency_optimized, modality)."""
    parts = list(segments[:stop])
    modality = None
    if parts and parts[-1] in MODALITIES:  # real modality qualifiers are lower case; 'Text' is a name part
        modality = parts.pop()
    latency = False
    cleaned = []
    for p in parts:
        low = p.lower()
        if low in ("latencyoptimized", "latency-optimized"):
            latency = True
            continue
        if low.endswith("latencyoptimized") and len(p) > len("latencyoptimized"):
            latency, p = True, p[: -len("latencyoptimized")]
        cleaned.append(p)
    name = "-".join(cleaned).strip("-_")
    return (name or None), latency, modality


def _first_party(rest: str) -> ParsedUsageType:
    low = rest.lower()
    head = low.split("-", 1)[0]
    if head in _FEATURES:
        feature = _FEATURES[head]
        tail = low.replace(head, "", 1)
        modality = "document" if "page" in tail else next((m for m in MODALITIES if m in tail), None)
        # A rerank model is a model (amazon.rerank-v1:0) billed per query; other features have none.
        model = rest.split("-", 1)[0] if feature == "rerank" else None
        return ParsedUsageType(kind=feature, model=model, modality=modality)
    if "-mantle-" in rest:  # S1: the model id is embedded before '-mantle-'
        model, _, tail = rest.partition("-mantle-")
        segments = [model, *tail.split("-")]
        words_from = 1
    else:
        segments = rest.split("-")
        words_from = 0
    for marker, kind in _MARKERS:
        if marker in low:
            stop = next((i for i, s in enumerate(segments) if s.lower() in _MARKER_SEGMENTS
                         or marker.strip("-_") in s.lower()), len(segments))
            model, _, _ = _model_before(segments, max(stop, words_from))
            q = _qualifiers(_words("-".join(segments[stop + 1:]))) if stop < len(segments) else _Quals()
            tier = "reserved" if kind == "reserved" else q.tier
            custom = kind.startswith("customization") or "custom" in (x.lower() for x in segments[stop + 1:])
            return ParsedUsageType(kind=kind, model=model, tier=tier, routing=q.routing, custom=custom)
    found = _meter(segments[words_from:])
    if found is None:
        return ParsedUsageType(kind="other", model=None, unknown=True)
    start, kind, modality, after = (found[0] + words_from, found[1], found[2], found[3] + words_from)
    model, latency, pre_modality = _model_before(segments, start)
    if words_from:
        model = segments[0]
    q = _qualifiers(_words("-".join(segments[after:])))
    if kind in ("input", "output") and model and "embed" in model.lower():
        kind = "embedding"
    custom = q.custom
    return ParsedUsageType(
        kind="custom_model" if custom else kind, model=model, modality=modality or pre_modality,
        tier="latency-optimized" if latency and q.tier == "standard" else q.tier, routing=q.routing,
        cache_ttl=q.ttl if kind == "cache_write" else None, long_context=q.long_context, custom=custom,
        unknown=q.unknown or model is None,
    )


def _marketplace(rest: str) -> ParsedUsageType:
    """'MP:USE1_CacheWrite1hInputTokenCount_Global-Units', 'MP:APS3_input_tokens_global_standard-Units',
    'MP:USE1_MillionBatchInputTokens-Units', 'MP:USE1_Reserved_1Month_InputTPM_Geo-Units' (PL, S4)."""
    body = rest[3:]
    _, sep, body = body.partition("_")  # the region again, e.g. 'USE1_'
    if not sep:
        return ParsedUsageType(kind="other", model=None, unknown=True)
    if body.endswith("-Units") or body.endswith("-units"):
        body = body[: -len("-Units")]
    words = _words(body)
    low = "".join(words)
    for marker, kind in _MARKERS:
        if marker.replace("-", "").replace("_", "") in low:
            q = _qualifiers([w for w in words if w not in ("reserved", "1month", "3month", "6month", "1", "3",
                                                           "6", "month", "months", "input", "output",
                                                           "inputtpm", "outputtpm", "tpm", "created", "image")])
            return ParsedUsageType(kind=kind, model=None, tier="reserved" if kind == "reserved" else q.tier,
                                   routing=q.routing)
    found = _meter(words)
    if found is None:
        return ParsedUsageType(kind="other", model=None, unknown=True)
    start, kind, modality, after = found
    q = _qualifiers(words[:start] + words[after:])
    # 'CacheWrite1hInputTokenCount': the TTL sits between the meter and 'input'
    return ParsedUsageType(kind=kind, model=None, modality=modality, tier=q.tier, routing=q.routing,
                           cache_ttl=q.ttl if kind == "cache_write" else None,
                           long_context=q.long_context, unknown=q.unknown)


def parse(usage_type: str) -> ParsedUsageType:
    """Parse one Bedrock usage type. Marketplace rows carry no model: the caller takes it from the
    product name."""
    prefix, rest = _split_region(usage_type.strip())
    parsed = _marketplace(rest) if rest.startswith("MP:") else _first_party(rest)
    return ParsedUsageType(**{**parsed.__dict__, "region_prefix": prefix})
