"""The usage-type grammar, family by family, with usage types as real exports and price lists spell them.

Sources (see ledger/usage_types.py): S1 = AWS doc "Understanding your Amazon Bedrock CUR data";
S4 = CUDOS dashboard definitions; PL = AWS Price List offer files as quoted by AWS's MIT-0 samples
and open-source price tools (reference/cur2-bedrock.md §2); ISSUE = issue 12's list of spellings.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ledger.ingest import ingest
from ledger.store import Store
from ledger.usage_types import OTHER_KINDS, TOKEN_KINDS, parse
from tests import curfile
from tests.curfile import line

ROLE = "arn:aws:sts::111122223333:assumed-role/app-role/s1"

CASES = [
    # (usage type, source, expected fields)
    ("USE1-Claude4.6Sonnet-input-tokens", "S1", dict(kind="input", model="Claude4.6Sonnet")),
    ("USE1-Claude4.6Sonnet-cache-read-input-token-count", "S1", dict(kind="cache_read", model="Claude4.6Sonnet")),
    ("USE1-Claude4.6Sonnet-output-tokens-cross-region-global", "S1", dict(kind="output", routing="global")),
    ("USE1-Nova2.0Lite-input-tokens-flex", "S1", dict(kind="input", model="Nova2.0Lite", tier="flex")),
    ("USE1-gpt-oss-120b-output-tokens-priority", "S1", dict(kind="output", model="gpt-oss-120b", tier="priority")),
    ("USE1-openai.gpt-oss-120b-mantle-input-tokens-standard", "S1",
     dict(kind="input", model="openai.gpt-oss-120b", tier="standard")),
    ("USW2-NovaPro-input-tokens-cross-region-geo", "PL", dict(kind="input", model="NovaPro", routing="geo")),
    ("USE1-NovaPro-input-tokens-latency-optimized", "PL", dict(tier="latency-optimized", model="NovaPro")),
    ("USE1-Claude4Sonnet-input-tokens-long-context-cross-region-global", "PL",
     dict(kind="input", routing="global", long_context=True, model="Claude4Sonnet")),
    ("USE1-Claude4Sonnet-input-tokens-cross-region-global-batch", "PL", dict(tier="batch", routing="global")),
    ("USE1-Llama3-1-405B-output-tokens-batch", "PL", dict(kind="output", model="Llama3-1-405B", tier="batch")),
    ("USE1-Qwen3-32B-input-tokens-flex", "PL", dict(kind="input", model="Qwen3-32B", tier="flex")),
    ("USE1-qwen.qwen3-32b-mantle-input-tokens-batch", "PL", dict(model="qwen.qwen3-32b", tier="batch")),
    # modality qualifiers before / after the token kind: the model stays the model
    ("USE1-NovaSonic-speech-input-tokens", "PL", dict(kind="input", modality="speech", model="NovaSonic")),
    ("USE1-NovaSonic-text-output-tokens", "PL", dict(kind="output", modality="text", model="NovaSonic")),
    ("USE1-Nova2.0Pro-text-input-tokens", "ISSUE", dict(kind="input", modality="text", model="Nova2.0Pro")),
    ("USE1-Nova2.0Pro-input-image-token-count-cross-region-global", "PL",
     dict(kind="input", modality="image", model="Nova2.0Pro", routing="global")),
    ("USE1-Nova2.0Pro-image-token-count", "ISSUE", dict(kind="input", modality="image", model="Nova2.0Pro")),
    ("USE1-Nova2.0Omni-input-audio-token-count", "PL", dict(kind="input", modality="audio", model="Nova2.0Omni")),
    ("USE1-TitanEmbeddingV2-Text-input-tokens", "PL",  # capitalised 'Text' is part of the name
     dict(kind="embedding", model="TitanEmbeddingV2-Text", modality=None)),
    # tiers in other spellings
    ("USE1-Llama3-1-70BLatencyOptimized-input-tokens", "ISSUE",
     dict(kind="input", model="Llama3-1-70B", tier="latency-optimized")),
    ("USE1-MP:USE1_InputTokenCount_LatencyOptimized-Units", "ISSUE", dict(kind="input", tier="latency-optimized")),
    ("USE1-MP:USE1_MillionBatchInputTokens-Units", "PL", dict(kind="input", tier="batch")),
    ("USE1-MP:USE1_InputTokenCount_Batch-Units", "PL", dict(kind="input", tier="batch")),
    ("APS3-MP:APS3_input_tokens_global_standard-Units", "PL", dict(kind="input", routing="global", tier="standard")),
    ("USE1-Claude4.5Haiku-output-tokens-global-standard", "ISSUE",
     dict(kind="output", routing="global", tier="standard")),
    ("USE1-MP:USE1_output_tokens_flex-Units", "ISSUE", dict(kind="output", tier="flex")),
    ("USE1-MP:USE1_input_tokens_priority-Units", "ISSUE", dict(kind="input", tier="priority")),
    ("USE1-Nova2.0Lite-output-tokens_priority", "ISSUE", dict(kind="output", tier="priority", model="Nova2.0Lite")),
    # cache-write time to live
    ("USE1-Claude4Sonnet-cache-write-input-token-count-1-hour", "PL", dict(kind="cache_write", cache_ttl="1h")),
    ("USE1-MP:USE1_CacheWrite1hInputTokenCount_Global-Units", "PL",
     dict(kind="cache_write", cache_ttl="1h", routing="global")),
    ("USE1-MP:USE1_cache_write_tokens_1h_global_standard-Units", "PL", dict(kind="cache_write", cache_ttl="1h")),
    ("USE1-openai.gpt-5.6-luna-mantle-cache-write-tokens-5m-long-ctx-flex", "PL",
     dict(kind="cache_write", cache_ttl="5m", tier="flex", long_context=True, model="openai.gpt-5.6-luna")),
    ("USE1-MP:USE1_cache_read_tokens_global_standard-Units", "PL", dict(kind="cache_read", cache_ttl=None)),
    # customization, custom models, Custom Model Import
    ("USE1-NovaPro-Customization-Training", "PL", dict(kind="customization_training", model="NovaPro", custom=True)),
    ("USW2-Llama3-3-70B-Customization-Training", "PL", dict(kind="customization_training", model="Llama3-3-70B")),
    ("USE1-NovaLite-Customization-Storage", "PL", dict(kind="customization_storage", model="NovaLite")),
    ("USE1-NovaLite-input-tokens-custom-model", "PL", dict(kind="custom_model", model="NovaLite", custom=True)),
    ("USE1-NovaPro-cache-write-input-token-count-custom-model", "PL", dict(kind="custom_model", model="NovaPro")),
    ("USE1-CustomModelImport-Storage", "S4", dict(kind="custom_model_import", model=None)),
    ("USE1-CustomModelImport-Inference-ModelUnits", "S4", dict(kind="custom_model_import")),
    # provisioned throughput and reserved capacity
    ("USE1-Nova2.0Lite-ProvisionedThroughput-NoCommit-ModelUnits", "PL",
     dict(kind="provisioned", model="Nova2.0Lite")),
    ("USE1-TitanText-Premier-ProvisionedThroughput-Custom-NoCommit-ModelUnits", "PL",
     dict(kind="provisioned", model="TitanText-Premier", custom=True)),
    ("USE1-anthropic.claude-opus-5-5-reserved-1-month-input-tokens-per-minute", "PL",
     dict(kind="reserved", tier="reserved", model="anthropic.claude-opus-5-5")),
    ("USE1-MP:USE1_Reserved_1Month_InputTPM_Geo-Units", "PL", dict(kind="reserved", routing="geo")),
    # Data Automation, generation units, knowledge bases, agents and flows, guardrails
    ("USE1-DataAutomation-Standard-ImagesProcessed", "PL", dict(kind="data_automation", modality="image")),
    ("USE1-DataAutomation-Custom-PagesProcessed", "PL", dict(kind="data_automation", modality="document")),
    ("USE1-NovaReel-VideoSecondsGenerated", "S4", dict(kind="video_generation", model="NovaReel")),
    ("USE1-MP:USE1_Created_image-Units", "PL", dict(kind="image_generation")),
    ("USE1-KnowledgeBase-StructuredDataRetrieval-Requests", "PL", dict(kind="knowledge_base")),
    ("USE1-AmazonRerank-Queries", "PL", dict(kind="rerank")),
    ("USE1-AgentCore-Runtime-vCPU-Hours", "PL", dict(kind="agent")),
    ("USE1-BedrockFlows-NodeTransitions", "PL", dict(kind="flow")),
    ("USE1-ModelEvaluation-HumanTasks", "PL", dict(kind="evaluation")),
    ("USE1-Guardrail-ContentPolicyUnitsConsumed", "PL", dict(kind="guardrail", model=None)),
    ("USE1-Guardrail-ContentPolicyImageUnitsConsumed", "PL", dict(kind="guardrail", modality="image")),
    ("USE1-GuardrailChecks-PromptAttackCheckUnitsConsumed", "PL", dict(kind="guardrail")),
    ("USE1-Guardrail-SensitiveInformationPolicyFreeUnitsConsumed", "PL", dict(kind="guardrail")),
]


@pytest.mark.parametrize("usage_type, source, expected", CASES, ids=[c[0] for c in CASES])
def test_every_family_parses(usage_type: str, source: str, expected: dict) -> None:
    got = parse(usage_type)
    for key, value in expected.items():
        assert getattr(got, key) == value, (key, got)
    assert not got.unknown or got.kind in ("custom_model_import",), got
    assert got.kind in TOKEN_KINDS + OTHER_KINDS


def test_unknown_forms_stay_unknown() -> None:
    for ut in ("USE1-FutureThing-Widgets", "USE1-NovaLite-input-tokens-hyperspace", "Nonsense"):
        assert parse(ut).unknown, ut


def test_parsing_is_linear_in_the_length() -> None:
    # Regex backtracking would make these quadratic or worse; the parser only splits and scans.
    for shape in ("a-", "input-", "cache-", "MP:USE1_", "Text-", "-"):
        ut = "USE1-" + shape * 20_000
        t = time.perf_counter()
        parse(ut)
        assert time.perf_counter() - t < 5, shape  # a generous bound: 100 KB parses in milliseconds


def test_non_token_families_are_not_model_tokens_nor_the_base_model(tmp_path: Path) -> None:
    rows = [
        line("2026-10-03", "USE1-NovaLite-input-tokens", 1000, 0.06, ROLE),
        line("2026-10-03", "USE1-NovaLite-input-tokens-custom-model", 500, 0.05, ROLE),
        line("2026-10-03", "USE1-NovaPro-Customization-Training", 2000, 16.0, ROLE, unit="1K tokens"),
        line("2026-10-03", "USE1-NovaPro-Customization-Storage", 1, 1.95, None, unit="Model/month"),
        line("2026-10-03", "USE1-Nova2.0Lite-ProvisionedThroughput-NoCommit-ModelUnits", 24, 1452.0, None,
             unit="hours"),
        line("2026-10-03", "USE1-DataAutomation-Standard-ImagesProcessed", 100, 0.3, ROLE, unit="Images"),
        line("2026-10-03", "USE1-NovaReel-VideoSecondsGenerated", 12, 0.96, ROLE, unit="Seconds"),
        line("2026-10-03", "USE1-Guardrail-ContentPolicyUnitsConsumed", 1000, 0.15, ROLE, unit="Text Units"),
        line("2026-10-03", "USE1-NovaSonic-speech-input-tokens", 10, 0.034, ROLE),
        line("2026-10-03", "USE1-Nova2.0Pro-input-image-token-count", 4, 0.005, ROLE),
    ]
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, [str(curfile.write(tmp_path / "x.parquet", rows))])
        got = {r[0]: r[1:] for r in store.rows(
            "SELECT usage_type, kind, tokens, model_id, billing_model, base_model_id, modality FROM bedrock_usage")}
        token_total = store.scalar("SELECT sum(tokens) FROM bedrock_usage WHERE kind IN ('input', 'output')")
    # Only real model-token rows count tokens (1K-token units): NovaLite 1000, Sonic 10, image 4.
    assert token_total == pytest.approx((1000 + 10 + 4) * 1000)
    assert got["USE1-NovaLite-input-tokens-custom-model"] == (
        "custom_model", None, None, "NovaLite (custom model)", "amazon.nova-lite-v1:0", None)
    assert got["USE1-NovaPro-Customization-Training"][:4] == (
        "customization_training", None, None, "NovaPro (customization)")
    assert got["USE1-NovaPro-Customization-Training"][4] == "amazon.nova-pro-v1:0"
    assert got["USE1-Nova2.0Lite-ProvisionedThroughput-NoCommit-ModelUnits"][:2] == ("provisioned", None)
    assert got["USE1-DataAutomation-Standard-ImagesProcessed"][:3] == ("data_automation", None, None)
    assert got["USE1-NovaReel-VideoSecondsGenerated"][:2] == ("video_generation", None)
    assert got["USE1-NovaSonic-speech-input-tokens"][0] == "input"
    assert got["USE1-NovaSonic-speech-input-tokens"][5] == "speech"
    assert got["USE1-Nova2.0Pro-input-image-token-count"][5] == "image"
