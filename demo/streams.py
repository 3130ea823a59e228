"""Usage streams: one usage type of one caller per billing period, with daily amounts and costs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from demo.days import DayCalendar, Period, build_calendar, daily_levels, token_kinds
from demo.workloads import OTHER_SERVICES, WORKLOADS, Workload
from demo.world import ACCOUNTS, CORP, DATA_SCIENCE, REGIONS, STORY, TAX_RATE, profile_arn
from ledger.prices import load_prices as shipped_prices


@dataclass
class Stream:
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


# Demo values (prices.yaml has no researched figure): the priority tier's premium over standard, and a
# 1-hour cache write's price against a 5-minute one (Anthropic's 2x vs 1.25x of input).
PRIORITY_DEMO = 1.75
CACHE_1H_DEMO = 1.6


def _unit_price(w: Workload, kind: str) -> float:
    """USD per token (per text unit for guardrails), after the tier and routing modifiers."""
    prices = load_prices()
    if w.channel == "guardrail":
        return float(prices["guardrail_per_unit"])
    if w.feature is not None:
        return w.feature.rate
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
    elif w.suffix == "_priority":
        base *= PRIORITY_DEMO
    if kind == "cache_write" and w.cache_ttl == "1h":
        base *= CACHE_1H_DEMO
    return base


def rate_text(x: float) -> str:
    """A rate as CUR writes it: up to 10 decimals, no trailing zeros."""
    return f"{x:.10f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------- principals


def short_hash(*parts: object, n: int = 8) -> str:
    """A short deterministic hex digest of the parts (session names, resource ids)."""
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()[:n]


def _principals(w: Workload) -> list[str]:
    if not w.who:
        return [""]
    kind, name = w.who.split(":", 1)
    if kind == "user":
        return [f"arn:aws:iam::{w.account}:user/{name}"]
    if len(w.sessions) == 1 and w.sessions[0].endswith("-"):
        prefix = w.sessions[0]
        if prefix == "GitHubActions-":
            sessions = [f"{prefix}{int(short_hash(w.key, i), 16) % 10**10:010d}" for i in range(4)]
        else:
            sessions = [f"{prefix}{short_hash(w.account, name, prefix, i)}" for i in range(4)]
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
                " (cross-region geo)", "-batch": " (batch)", "-flex": " (flex tier)",
                "_priority": " (priority tier)"}
_UNMAPPED_IDS = {"Mistral-Large-3": "mistral.mistral-large-3-675b-instruct"}


def _bedrock_resource(w: Workload) -> str:
    region, acct = w.region, w.account
    if w.channel == "guardrail":
        return f"arn:aws:bedrock:{region}:{acct}:guardrail/{short_hash('guardrail', w.key, n=12)}"
    if w.feature is not None:
        return f"arn:aws:bedrock:{region}:{acct}:{w.feature.resource}/{short_hash(w.feature.resource, w.key, n=12)}"
    if w.profile:
        return profile_arn(w.profile)
    entry = load_prices()["by_name"][w.model]
    model_id = entry.get("model_id") or _UNMAPPED_IDS[w.model]
    if w.suffix == "-cross-region-global":
        return f"arn:aws:bedrock:{region}:{acct}:inference-profile/global.{model_id}"
    if w.suffix == "-cross-region-geo":
        return f"arn:aws:bedrock:{region}:{acct}:inference-profile/us.{model_id}"
    if w.suffix == "-batch":
        return f"arn:aws:bedrock:{region}:{acct}:model-invocation-job/{short_hash('batch', w.key, n=12)}"
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def _workload_streams(w: Workload, is_current: bool, tokens: dict[str, np.ndarray]) -> list[Stream]:
    prefix, region_name = REGIONS[w.region]
    prices = load_prices()
    entry = prices["by_name"].get(w.model, {})
    display = "Guardrails" if w.channel == "guardrail" else w.feature.label if w.feature else entry["name"]
    out = []
    for kind, qty in tokens.items():
        price = _unit_price(w, kind)
        if w.channel == "mkt":
            unit, scale = "Units", 1e6
            usage_type = f"{prefix}-MP:{prefix}_{_MKT_TYPE[kind]}-Units"
            mkt_name = f"{entry['marketplace_name']} (Amazon Bedrock Edition)"
            rate = price * scale
            desc = f"{mkt_name}|{_MKT_TYPE[kind]}|Million Units|${rate_text(rate)} per Million Units"
            entity, product_code, servicecode, product_name = (
                "AWS Marketplace", f"prod-bedrock-mkt-{w.model.lower()}", "", mkt_name)
        elif w.feature is not None:
            unit, scale = w.feature.unit, 1.0
            usage_type = f"{prefix}-{w.feature.usage_type}"
            rate = price
            desc = f"${rate_text(rate)} per {display} in {region_name}"
            entity, product_code, servicecode, product_name = ("AWS", w.product_code, w.product_code,
                                                               "Amazon Bedrock")
        elif w.channel == "guardrail":
            unit, scale = "Text Units", 1.0
            usage_type = f"{prefix}-Guardrail-ContentPolicyUnitsConsumed"
            rate = price * scale
            desc = f"${rate_text(rate)} per text unit for Guardrails content policy in {region_name}"
            entity, product_code, servicecode, product_name = ("AWS", w.product_code, w.product_code,
                                                               "Amazon Bedrock")
        else:
            million = is_current and w.model == STORY["unit_change"]["billing_name"]
            unit, scale = ("1M tokens", 1e6) if million else ("1K tokens", 1e3)
            ttl = "-1-hour" if kind == "cache_write" and w.cache_ttl == "1h" else ""
            usage_type = f"{prefix}-{w.model}-{_TOKEN_TYPE[kind]}{ttl}{w.suffix}"
            rate = price * scale
            desc = (f"${rate_text(rate)} per {unit[:2]} {_KIND_TEXT[kind]}{' (1 hour)' if ttl else ''} for {display}"
                    f"{_SUFFIX_TEXT[w.suffix]} in {region_name}")
            entity, product_code, servicecode, product_name = ("AWS", w.product_code, w.product_code,
                                                               "Amazon Bedrock")
        amount = qty / scale
        out.append(Stream(
            workload=w.key, kind=kind, account=w.account, region=w.region, principals=_principals(w),
            entity=entity, product_code=product_code, servicecode=servicecode, usage_type=usage_type,
            operation=w.op, item_type=w.item_type, description=desc, unit=unit, rate=rate_text(rate),
            term="OnDemand", product_name=product_name, resource=_bedrock_resource(w),
            resource_kind="bedrock", resource_tags=dict(w.resource_tags), tags=dict(w.principal_tags),
            amount=amount, cost=amount * rate, tokens=qty if kind != "units" else None,
        ))
    return out


def _other_streams(cal: DayCalendar, days: slice, rng: np.random.Generator) -> list[Stream]:
    out = []
    for acct, region, code, ut, op, unit, rate, qty, res, pname, desc, weekend in OTHER_SERVICES:
        dow = cal.dow[days]
        amount = qty * np.where(dow >= 5, weekend, 1.0) * rng.lognormal(0.0, 0.05, len(dow))
        if unit == "Hrs":
            amount = np.minimum(np.round(amount), 24.0 * np.ceil(qty / 24))
        out.append(Stream(
            workload=None, kind="other", account=acct, region=region, principals=[""], entity="AWS",
            product_code=code, servicecode=code, usage_type=ut, operation=op, item_type="Usage",
            description=desc, unit=unit, rate=rate_text(rate), term="OnDemand", product_name=pname,
            resource=res, resource_kind="ec2" if code == "AmazonEC2" else "s3",
            resource_tags={"user_team": ACCOUNTS[acct][0]} if code == "AmazonEC2" else {}, tags={},
            amount=amount, cost=amount * rate,
        ))
    return out


def _monthly_stream(kind: str, acct: str, ut: str, cost: float, desc: str, n_days: int) -> Stream:
    amount, costs = np.zeros(n_days), np.zeros(n_days)
    costs[0] = cost
    return Stream(
        workload=None, kind=kind, account=acct, region="us-east-1" if kind == "credit" else "",
        principals=[""], entity="AWS", product_code="AmazonBedrock", servicecode="AmazonBedrock",
        usage_type=ut, operation="", item_type=kind.capitalize(), description=desc, unit="", rate="",
        term="", product_name="Amazon Bedrock", resource="", resource_kind="none", resource_tags={},
        tags={}, amount=amount, cost=costs, monthly=True,
    )


def build_streams(periods: list[Period], seed: int) -> list[list[Stream]]:
    """Every stream of every period, with daily amounts and costs; independent of `rows`."""
    cal = build_calendar(periods)
    rng = np.random.default_rng(seed)
    daily = _daily_tokens(cal, rng)
    out: list[list[Stream]] = []
    offset = 0
    for pi, period in enumerate(periods):
        days = slice(offset, offset + period.days)
        offset += period.days
        out.append(_period_streams(period, days, pi == len(periods) - 1, daily, cal, rng))
    return out


def _daily_tokens(cal: DayCalendar, rng: np.random.Generator) -> list[tuple[Workload, dict[str, np.ndarray]]]:
    """Tokens per day for each workload and kind over the whole window."""
    daily: list[tuple[Workload, dict[str, np.ndarray]]] = []
    for w in WORKLOADS:
        level = daily_levels(w, cal, rng)
        kinds = token_kinds(w)
        per_prompt = sum(share * _unit_price(w, k) for k, share in kinds)
        prompt = level / per_prompt
        qty = {}
        for k, share in kinds:
            jitter = rng.lognormal(0.0, 0.03, len(cal.days))
            qty[k] = np.round(prompt * share * jitter)
        daily.append((w, qty))
    return daily


def _period_streams(period: Period, days: slice, is_current: bool,
                    daily: list[tuple[Workload, dict[str, np.ndarray]]], cal: DayCalendar,
                    rng: np.random.Generator) -> list[Stream]:
    """One period's streams: the workloads active in it, other services, tax and credits."""
    streams: list[Stream] = []
    for w, qty in daily:
        part = {k: v[days] for k, v in qty.items()}
        if any(v.any() for v in part.values()):
            streams += _workload_streams(w, is_current, part)
    streams += _other_streams(cal, days, rng)
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
    return streams
