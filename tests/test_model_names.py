"""The shipped model-name map: every entry parses, every family has a right-sizing rule or says why not,
mantle spellings resolve to their model ids, and `steward models sync` reports names the map lacks."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ledger import model_names
from ledger.ingest import ingest
from ledger.prices import load_prices
from ledger.store import Store
from ledger.usage_types import parse
from tests import curfile
from tests.curfile import line

MAP = Path(model_names.__file__).parent / "data" / "model_names.yaml"
# A Bedrock model id: provider '.' name, optional version tail (reference §9).
MODEL_ID = re.compile(r"^[a-z0-9-]+\.[a-z0-9.\-]+(:[0-9]+)?(:[0-9]+k)?$")
PROVIDERS = {"anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "deepseek", "qwen", "openai",
             "google", "minimax", "moonshot", "nvidia", "writer", "stability", "twelvelabs", "luma"}


def entries() -> list[dict]:
    return yaml.safe_load(MAP.read_text())["names"]


def test_every_entry_is_well_formed_and_parses() -> None:
    seen: set[str] = set()
    for e in entries():
        name, mid, family = e["billing_name"], e["model_id"], e["family"]
        assert name not in seen, f"{name} listed twice"
        seen.add(name)
        assert MODEL_ID.match(mid), mid
        assert mid.split(".", 1)[0] in PROVIDERS, mid
        assert family and family == family.lower(), family
        if " " in name:  # a Marketplace product name: the usage type carries no model
            continue
        # A first-party billing name inside a real usage type parses back to itself.
        for ut in (f"USE1-{name}-input-tokens", f"USW2-{name}-output-tokens-cross-region-global"):
            assert parse(ut).model == name, ut


def test_the_map_covers_every_provider_and_generation() -> None:
    ids = {e["model_id"] for e in entries()}
    for expected in ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-opus-4-6-v1",
                     "anthropic.claude-haiku-4-5-20251001-v1:0", "amazon.nova-2-lite-v1:0", "amazon.nova-sonic-v1:0",
                     "amazon.nova-canvas-v1:0", "amazon.nova-reel-v1:1", "amazon.titan-embed-text-v2:0",
                     "meta.llama3-8b-instruct-v1:0", "meta.llama4-maverick-17b-instruct-v1:0",
                     "mistral.mixtral-8x7b-instruct-v0:1", "cohere.command-r-plus-v1:0", "ai21.jamba-1-5-large-v1:0",
                     "deepseek.r1-v1:0", "qwen.qwen3-32b-v1:0", "openai.gpt-oss-120b-1:0", "writer.palmyra-x5-v1:0",
                     "stability.sd3-5-large-v1:0"):
        assert expected in ids, expected
    assert len(entries()) >= 100


def test_every_family_has_a_right_sizing_rule_or_says_why_not() -> None:
    families = model_names.shipped_families()
    prices = load_prices().get("models", [])
    family_of = {e["model_id"]: e["family"] for e in entries()}
    for family in {e["family"] for e in entries()}:
        rule = families.get(family)
        assert rule, f"family {family} has no right-sizing entry"
        if rule.get("why_not"):
            continue
        assert rule.get("rightsize"), family
        # A rule needs prices to act on: two priced models of the family, or a curated step down.
        priced = [m for m in prices if family_of.get(m.get("model_id"), m.get("family")) == family]
        assert len(priced) >= 2 or any(m.get("rightsize_to") for m in priced), \
            f"family {family} claims a right-sizing rule but prices.yaml cannot support it"


def test_mantle_spellings_resolve_to_model_ids() -> None:
    index = model_names.NameIndex(list(model_names.shipped_names()))
    assert index.get("openai.gpt-oss-120b").model_id == "openai.gpt-oss-120b-1:0"  # S1 mantle form
    assert index.get("qwen.qwen3-32b").model_id == "qwen.qwen3-32b-v1:0"           # PL mantle form
    assert index.get("qwen.qwen3-next-80b-a3b").model_id == "qwen.qwen3-next-80b-a3b"
    assert index.get("qwen.qwen3") is None  # a prefix of an id is not a match
    assert index.get("NotAModel") is None


def test_models_sync_reports_billing_names_the_map_lacks(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    import steward.cli as cli

    rows = [line("2026-10-03", "USE1-NovaLite-input-tokens", 10, 0.6, None),
            line("2026-10-03", "USE1-Zeta-Ultra-7-input-tokens", 10, 2.5, None),
            line("2026-10-04", "USE1-Zeta-Ultra-7-output-tokens", 10, 1.5, None),
            line("2026-10-04", "USE1-NovaLite-input-tokens-custom-model", 10, 9.0, None)]
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        ingest(store, [str(curfile.write(tmp_path / "x.parquet", rows))])
        assert model_names.unmapped_in_store(store) == [("Zeta-Ultra-7", 2, 4.0)]

    class NoRegions:  # the Bedrock API is not reachable here: sync still reports the CUR's names
        def __call__(self, region: str):  # noqa: ANN204
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url=f"https://bedrock.{region}.amazonaws.com")

    import boto3

    monkeypatch.setattr(boto3, "client", lambda *a, **k: NoRegions()(k.get("region_name", "us-east-1")))
    result = CliRunner().invoke(cli.app, ["--db", str(db), "--as-of", "2026-10-05", "models", "sync",
                                          "--region", "us-east-1"])
    from tools.display import money

    assert "Zeta-Ultra-7" in result.output and f"2 line item(s), {money(2.5 + 1.5)}" in result.output, result.output
    assert "NovaLite" not in result.output.split("lacks")[-1]
