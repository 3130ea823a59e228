"""The demo generator: layout, schema, determinism, scale invariance, row grammar and the story."""

from __future__ import annotations

import calendar
import json
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from demo.generate import DemoResult, generate
from demo.world import PROFILES, STORY
from ledger import org_parse
from ledger.principals import normalise_principal

AS_OF = date(2026, 11, 23)
SCALED_ROWS = 240_000
MODEL_NAMES = Path(__file__).parents[1] / "ledger" / "data" / "model_names.yaml"
USAGE_TYPES = "('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')"
BEDROCK = "(line_item_product_code LIKE 'AmazonBedrock%' OR bill_billing_entity = 'AWS Marketplace')"

EXPECTED_TYPES: dict[str, pa.DataType] = {
    **{c: pa.timestamp("ms") for c in (
        "bill_billing_period_start_date", "bill_billing_period_end_date",
        "line_item_usage_start_date", "line_item_usage_end_date")},
    **{c: pa.string() for c in (
        "bill_billing_entity", "bill_payer_account_id", "bill_payer_account_name",
        "line_item_usage_account_id", "line_item_usage_account_name", "line_item_product_code",
        "line_item_usage_type", "line_item_operation", "line_item_line_item_type",
        "line_item_line_item_description", "line_item_resource_id", "line_item_iam_principal",
        "pricing_unit", "pricing_term", "product_region_code", "product_servicecode",
        "identity_line_item_id", "identity_time_interval", "line_item_unblended_rate")},
    **{c: pa.float64() for c in (
        "line_item_usage_amount", "line_item_unblended_cost", "line_item_net_unblended_cost")},
    **{c: pa.map_(pa.string(), pa.string()) for c in ("product", "resource_tags", "tags")},
}


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return generate(tmp_path_factory.mktemp("default"), as_of=AS_OF)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return generate(tmp_path_factory.mktemp("scaled"), as_of=AS_OF, rows=SCALED_ROWS)


def _glob(result: DemoResult) -> str:
    return f"read_parquet('{result.export_root}/data/*/*.parquet', hive_partitioning = true)"


def _rows(result: DemoResult, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW cur AS SELECT * FROM {_glob(result)}")
    return con.execute(sql, params or []).fetchall()


# ------------------------------------------------------------------------------ layout, schema


def test_layout_manifests_and_result(default: DemoResult) -> None:
    out = default.export_root.parent
    assert default.export_root == out / "steward-demo"
    assert default.org_file == out / "org.yaml"
    assert (out / "aws-programmatic-access-test-object").read_bytes() == b""
    assert default.periods == ["2026-09", "2026-10", "2026-11"]
    assert (default.first_day, default.last_day) == (date(2026, 9, 1), date(2026, 11, 22))
    assert 3_000 <= default.rows <= 20_000
    assert default.rows == sum(pq.ParquetFile(f).metadata.num_rows for f in default.files)
    for period in default.periods:
        data_dir = default.export_root / "data" / f"BILLING_PERIOD={period}"
        on_disk = sorted(data_dir.iterdir())
        assert [p.name for p in on_disk] == ["steward-demo-00001.snappy.parquet"]
        manifest = json.loads((default.export_root / "metadata" / f"BILLING_PERIOD={period}" /
                               "steward-demo-Manifest.json").read_text())
        assert manifest["exportName"] == "steward-demo"
        year, month = map(int, period.split("-"))
        nxt = date(year + month // 12, month % 12 + 1, 1)
        assert manifest["billingPeriod"] == {"start": f"{period}-01T00:00:00.000Z",
                                             "end": f"{nxt.isoformat()}T00:00:00.000Z"}
        assert manifest["dataFiles"] == [f"steward-demo/data/BILLING_PERIOD={period}/{p.name}" for p in on_disk]
        assert [c["name"] for c in manifest["columns"]] == pq.read_schema(on_disk[0]).names
    assert sorted(default.files) == sorted(default.export_root.glob("data/*/*.parquet"))


def test_schema_is_the_contract(default: DemoResult, scaled: DemoResult) -> None:
    for f in default.files + scaled.files:
        schema = pq.read_schema(f)
        assert set(schema.names) == set(EXPECTED_TYPES)
        for name, expected in EXPECTED_TYPES.items():
            assert schema.field(name).type == expected, (f, name, schema.field(name).type)
        assert schema.field("line_item_usage_start_date").type.tz is None


def test_deterministic_bytes(default: DemoResult, scaled: DemoResult,
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    for first, rows in ((default, None), (scaled, SCALED_ROWS)):
        again = generate(tmp_path_factory.mktemp("again"), as_of=AS_OF, rows=rows)
        assert [f.relative_to(again.export_root) for f in again.files] == \
            [f.relative_to(first.export_root) for f in first.files]
        for a, b in zip(first.files, again.files):
            assert a.read_bytes() == b.read_bytes(), a
        assert first.org_file.read_bytes() == again.org_file.read_bytes()
    other_seed = generate(tmp_path_factory.mktemp("seed"), as_of=AS_OF, seed=8)
    assert other_seed.files[0].read_bytes() != default.files[0].read_bytes()


def test_regenerating_replaces_old_files_and_reports_progress(tmp_path: Path) -> None:
    seen: list[int] = []
    generate(tmp_path, as_of=AS_OF, rows=SCALED_ROWS)
    result = generate(tmp_path, as_of=AS_OF, progress=seen.append)
    assert sorted(result.export_root.glob("data/*/*.parquet")) == sorted(result.files)
    assert sum(seen) == result.rows


# ------------------------------------------------------------------------------- scale invariance


def test_scaled_run_keeps_every_total(default: DemoResult, scaled: DemoResult) -> None:
    assert abs(scaled.rows - SCALED_ROWS) <= 0.05 * SCALED_ROWS
    assert scaled.rows == sum(pq.ParquetFile(f).metadata.num_rows for f in scaled.files)
    sql = """SELECT BILLING_PERIOD, line_item_product_code, sum(line_item_unblended_cost),
                    sum(line_item_net_unblended_cost), sum(line_item_usage_amount), count(*)
             FROM cur GROUP BY ALL ORDER BY 1, 2"""
    small, big = _rows(default, sql), _rows(scaled, sql)
    assert [r[:2] for r in small] == [r[:2] for r in big]
    for a, b in zip(small, big):
        for x, y in zip(a[2:5], b[2:5]):
            assert y == pytest.approx(x, rel=1e-6, abs=1e-9), (a, b)
    assert sum(r[5] for r in big) > 10 * sum(r[5] for r in small)
    # The daily story is the same too: per principal and day.
    daily = """SELECT CAST(line_item_usage_start_date AS DATE) d, line_item_usage_type,
                      regexp_replace(line_item_iam_principal, '/[^/]+$', '') p, sum(line_item_unblended_cost)
               FROM cur WHERE line_item_line_item_type = 'Usage' GROUP BY ALL ORDER BY 1, 2, 3"""
    small_d, big_d = _rows(default, daily), _rows(scaled, daily)
    assert len(small_d) == len(big_d)
    for a, b in zip(small_d, big_d):
        assert a[:3] == b[:3] and b[3] == pytest.approx(a[3], rel=1e-6)


def test_scaled_rows_are_hourly_with_inference_profile_variants(scaled: DemoResult) -> None:
    (hours, profiles, ids, n), = _rows(scaled, """
        SELECT count(DISTINCT hour(line_item_usage_start_date)),
               count(DISTINCT line_item_resource_id) FILTER (WHERE line_item_resource_id LIKE '%application-inference-profile/%'),
               count(DISTINCT identity_line_item_id), count(*)
        FROM cur""")
    assert hours == 24 and ids == n
    assert profiles == len(PROFILES)  # the named ones only: 240k rows need fewer than 24 sub-rows per stream-day
    (bad,), = _rows(scaled, """SELECT count(*) FROM cur WHERE line_item_line_item_type = 'Usage'
        AND line_item_usage_end_date - line_item_usage_start_date <> INTERVAL 1 HOUR""")
    assert bad == 0


# ------------------------------------------------------------------------------------ row grammar


def test_every_usage_type_family_is_present(default: DemoResult) -> None:
    types = {r[0]: r[1:] for r in _rows(default, """
        SELECT line_item_usage_type, any_value(line_item_product_code), any_value(bill_billing_entity),
               any_value(pricing_unit), any_value(line_item_operation)
        FROM cur GROUP BY 1""")}
    for ut in ("USE1-Claude4.6Sonnet-input-tokens", "USE1-Claude4.6Sonnet-output-tokens",
               "USE1-Claude4.6Sonnet-cache-read-input-token-count",
               "USE1-Claude4.6Sonnet-cache-write-input-token-count",
               "USE1-NovaPro-cache-read-input-token-count", "USE1-NovaPro-cache-write-input-token-count",
               "USE1-NovaPro-output-tokens-cross-region-global", "USW2-NovaLite-input-tokens-cross-region-geo",
               "USE1-Claude4.6Sonnet-input-tokens-cross-region-global",
               "USW2-Claude4.6Sonnet-input-tokens-cross-region-geo",
               "USE1-Llama3-1-405B-output-tokens-batch", "USE1-TitanEmbeddingV2-Text-input-tokens",
               "USE1-Nova2.0Lite-input-tokens-flex", "USE1-Claude3Haiku-input-tokens",
               "USE1-NovaMicro-input-tokens", "USW2-Claude4.6Opus-output-tokens",
               "USE1-Llama3-70B-input-tokens", "USE1-Mistral-Large-3-input-tokens"):
        assert ut in types, ut
        assert types[ut][:2] == ("AmazonBedrock", "AWS"), ut
    assert types["USE1-Guardrail-ContentPolicyUnitsConsumed"][2:] == ("Text Units", "ApplyGuardrail")
    for ut in ("USE1-MP:USE1_InputTokenCount-Units", "USE1-MP:USE1_OutputTokenCount-Units",
               "USE1-MP:USE1_CacheReadInputTokenCount-Units", "USW2-MP:USW2_InputTokenCount-Units"):
        assert types[ut][1:3] == ("AWS Marketplace", "Units"), ut
        assert not types[ut][0].startswith("AmazonBedrock")
    codes = {r[0] for r in _rows(default, "SELECT DISTINCT line_item_product_code FROM cur")}
    assert {"AmazonBedrockService", "AmazonEC2", "AmazonS3"} <= codes
    assert {v[3] for v in types.values() if v[0].startswith("AmazonBedrock")} >= {
        "InvokeModelInference", "InvokeModelStreamingInference", "ApplyGuardrail"}


# The newer billing forms (issue 12), as the price list writes them (tests/test_usage_types.py cites each):
# Steward gives each its own kind, never model tokens of a base model.
NEWER_FORMS = {
    "USE1-KnowledgeBase-StructuredDataRetrieval-Requests": ("Requests", "knowledge_base"),
    "USE1-DataAutomation-Standard-ImagesProcessed": ("Images", "data_automation"),
    "USE1-AgentCore-Runtime-vCPU-Hours": ("vCPU-Hours", "agent"),
    "USE1-Guardrail-ContentPolicyImageUnitsConsumed": ("Image Units", "guardrail"),
    "USE1-Nova2.0Lite-output-tokens_priority": ("1K tokens", "output"),
    "USW2-Claude4.6Sonnet-cache-write-input-token-count-1-hour": ("1K tokens", "cache_write"),
}


def test_the_newer_billing_forms_are_in_the_demo_and_each_parses_to_its_own_kind(default: DemoResult,
                                                                                   tmp_path: Path) -> None:
    from ledger.ingest import ingest
    from ledger.store import Store

    raw = {r[0]: (r[1], r[2]) for r in _rows(default, """
        SELECT line_item_usage_type, any_value(pricing_unit), round(sum(line_item_unblended_cost), 6) FROM cur
        WHERE line_item_line_item_type = 'Usage' GROUP BY 1""")}
    with Store(tmp_path / "s.duckdb") as store:
        result = ingest(store, [str(f) for f in default.files])
        got = {r[0]: r[1:] for r in store.rows(
            """SELECT usage_type, any_value(kind), any_value(tier), any_value(cache_ttl), any_value(model_id),
                      round(sum(unblended_cost), 6), sum(tokens) FROM bedrock_usage
               WHERE list_contains(?, usage_type) GROUP BY 1""", [list(NEWER_FORMS)])}
    for ut, (unit, kind) in NEWER_FORMS.items():
        assert raw[ut][0] == unit, ut
        assert got[ut][0] == kind and got[ut][4] == pytest.approx(raw[ut][1]), ut
        assert (got[ut][5] is None) == (unit != "1K tokens"), ut  # units are never counted as tokens
    assert got["USE1-Nova2.0Lite-output-tokens_priority"][1] == "priority"
    assert got["USW2-Claude4.6Sonnet-cache-write-input-token-count-1-hour"][2] == "1h"
    assert got["USE1-KnowledgeBase-StructuredDataRetrieval-Requests"][3] is None
    assert all(p.unknown_usage_types == [] for p in result.periods)


def test_marketplace_rows(default: DemoResult) -> None:
    rows = _rows(default, """
        SELECT DISTINCT product['product_name'], product_servicecode, pricing_unit, line_item_iam_principal = ''
        FROM cur WHERE bill_billing_entity = 'AWS Marketplace'""")
    assert {r[:3] for r in rows} == {("Claude 3 Haiku (Amazon Bedrock Edition)", "", "Units")}
    assert {r[3] for r in rows} == {True, False}  # one caller is known, one is not
    (first_party,), = _rows(default, """SELECT DISTINCT product['product_name'] FROM cur
                                        WHERE line_item_product_code = 'AmazonBedrock'""")
    assert first_party == "Amazon Bedrock"


def test_costs_are_amount_times_list_price(default: DemoResult) -> None:
    prices = yaml.safe_load((Path(__file__).parents[1] / "ledger" / "data" / "prices.yaml").read_text())
    sonnet = next(m for m in prices["models"] if m["billing_name"] == "Claude4.6Sonnet")
    rows = _rows(default, """
        SELECT line_item_usage_type, pricing_unit, CAST(line_item_unblended_rate AS DOUBLE),
               max(abs(line_item_unblended_cost - line_item_usage_amount * CAST(line_item_unblended_rate AS DOUBLE))
                   / greatest(abs(line_item_unblended_cost), 1e-12))
        FROM cur WHERE line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')
        GROUP BY ALL""")
    assert all(r[3] < 1e-9 for r in rows)
    rate = {(r[0], r[1]): r[2] for r in rows}
    assert rate["USE1-Claude4.6Sonnet-input-tokens", "1K tokens"] == sonnet["input"]
    assert rate["USE1-Claude4.6Sonnet-cache-read-input-token-count", "1K tokens"] == sonnet["cache_read"]
    assert rate["USE1-Claude4.6Sonnet-cache-write-input-token-count", "1K tokens"] == sonnet["cache_write"]
    assert rate["USE1-Llama3-1-405B-output-tokens-batch", "1K tokens"] == pytest.approx(0.0012)
    assert rate["USE1-Guardrail-ContentPolicyUnitsConsumed", "Text Units"] == prices["guardrail_per_unit"]
    assert rate["USE1-MP:USE1_InputTokenCount-Units", "Units"] == pytest.approx(0.25)  # per 1M tokens
    # Net is after a 5% EDP discount, 10% on Savings Plan / discounted rows.
    net = dict(_rows(default, """SELECT line_item_line_item_type,
        round(sum(line_item_net_unblended_cost) / sum(line_item_unblended_cost), 6) FROM cur GROUP BY 1"""))
    assert net["Usage"] == 0.95
    assert net["SavingsPlanCoveredUsage"] == net["DiscountedUsage"] == 0.9


def test_nova_lite_pricing_unit_changes_in_the_latest_month(default: DemoResult) -> None:
    units = _rows(default, """SELECT BILLING_PERIOD, list(DISTINCT pricing_unit) FROM cur
                              WHERE line_item_usage_type LIKE '%-NovaLite-%' GROUP BY 1 ORDER BY 1""")
    assert units == [("2026-09", ["1K tokens"]), ("2026-10", ["1K tokens"]), ("2026-11", ["1M tokens"])]
    others = _rows(default, """SELECT DISTINCT pricing_unit FROM cur WHERE line_item_usage_type LIKE '%-tokens%'
                               AND line_item_usage_type NOT LIKE '%-NovaLite-%' AND line_item_line_item_type = 'Usage'""")
    assert others == [("1K tokens",)]


def test_credits_taxes_and_other_services(default: DemoResult) -> None:
    charges = _rows(default, """
        SELECT BILLING_PERIOD, line_item_line_item_type, line_item_usage_account_id, count(*),
               sum(line_item_unblended_cost), max(line_item_iam_principal)
        FROM cur WHERE line_item_line_item_type IN ('Tax', 'Credit') GROUP BY ALL""")
    taxes = [r for r in charges if r[1] == "Tax"]
    assert len(taxes) == 9 and all(r[3] == 1 and r[4] > 0 for r in taxes)
    credits = [r for r in charges if r[1] == "Credit"]
    assert credits and all(r[4] < 0 for r in credits)
    assert all(r[5] == "" for r in charges)
    (share,), = _rows(default, """SELECT avg(CAST(line_item_product_code IN ('AmazonEC2', 'AmazonS3') AS DOUBLE))
                                  FROM cur""")
    assert 0.01 <= share <= 0.10


def test_principals(default: DemoResult) -> None:
    principals = [r[0] for r in _rows(default, f"""SELECT DISTINCT line_item_iam_principal FROM cur
        WHERE {BEDROCK} AND line_item_line_item_type IN {USAGE_TYPES}""")]
    assert "" in principals
    assert "arn:aws:iam::444455556666:user/alice" in principals
    assert STORY["api_key_user"] in principals
    sessions = [p for p in principals if ":assumed-role/" in p]
    assert all(re.match(r"^arn:aws:sts::\d{12}:assumed-role/[^/]+/[^/]+$", p) for p in sessions)
    gateway = {p.rsplit("/", 1)[1].rsplit("-", 1)[0] for p in sessions if "/shared-genai-gateway/" in p}
    assert gateway == {"hr-portal", "talent-match"}
    per_role = {}
    for p in sessions:
        per_role.setdefault(normalise_principal(p), set()).add(p)
    assert len(per_role) == 20
    assert max(len(v) for v in per_role.values()) > 1  # session names vary
    tags = _rows(default, """SELECT DISTINCT tags['iamPrincipal/team'] FROM cur
                             WHERE line_item_iam_principal LIKE '%/checkout-service-bedrock/%'""")
    assert tags == [("payments",)]
    (tagged,), = _rows(default, "SELECT count(*) FROM cur WHERE resource_tags['user_team'] IS NOT NULL")
    assert 0 < tagged < default.rows


def test_billing_names_are_mapped_except_the_unmapped_one(default: DemoResult) -> None:
    known = {n["billing_name"] for n in yaml.safe_load(MODEL_NAMES.read_text())["names"]}
    names = {r[0] for r in _rows(default, r"""
        SELECT DISTINCT regexp_extract(line_item_usage_type,
            '^[A-Z]{2,4}[0-9]?-(.+?)-(?:input|output|cache-read|cache-write)', 1)
        FROM cur WHERE line_item_product_code LIKE 'AmazonBedrock%'
          AND line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')""")}
    names.discard("")  # guardrail
    assert names - known == {STORY["unmapped_billing_name"]}


def test_dates_stay_inside_the_window(default: DemoResult, scaled: DemoResult) -> None:
    for result in (default, scaled):
        (lo, hi, end, outside), = _rows(result, """
            SELECT min(line_item_usage_start_date), max(line_item_usage_start_date),
                   max(line_item_usage_end_date),
                   count(*) FILTER (WHERE strftime(line_item_usage_start_date, '%Y-%m') <> BILLING_PERIOD
                                       OR strftime(bill_billing_period_start_date, '%Y-%m') <> BILLING_PERIOD)
            FROM cur""")
        assert lo.date() == date(2026, 9, 1)
        assert hi.date() == AS_OF - timedelta(days=1)
        assert end.date() <= AS_OF
        assert outside == 0


def test_as_of_on_the_first_gives_three_full_months(tmp_path: Path) -> None:
    result = generate(tmp_path, as_of=date(2027, 1, 1))
    assert result.periods == ["2026-10", "2026-11", "2026-12"]
    assert result.last_day == date(2026, 12, 31)
    (hi,), = _rows(result, "SELECT max(line_item_usage_start_date) FROM cur")
    assert hi.date() == date(2026, 12, 31)


# ------------------------------------------------------------------------------ org file and story


def _org(result: DemoResult) -> dict:
    return yaml.safe_load(result.org_file.read_text())


def _attributed(result: DemoResult) -> dict[tuple[str, str], dict[date, float]]:
    """Unblended spend per (product, month) and day, attributed through the org file's claims."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW cur AS SELECT * FROM {_glob(result)}")
    con.execute("CREATE TABLE claims (principal VARCHAR, product VARCHAR, claimed_on DATE)")
    con.execute("CREATE TABLE profile_claims (profile VARCHAR, product VARCHAR, claimed_on DATE)")
    con.execute("CREATE TABLE tag_claims (cur_key VARCHAR, value VARCHAR, product VARCHAR, claimed_on DATE)")
    for c in _org(result)["claims"]:
        if "tag" in c:  # resource tag key=value; CUR 2.0 names the key user_<key>
            key, value = c["tag"].split("=", 1)
            con.execute("INSERT INTO tag_claims VALUES (?, ?, ?, ?)", [f"user_{key}", value, c["product"], c["claimed_on"]])
            continue
        table, key = ("profile_claims", "inference_profile") if "inference_profile" in c else ("claims", "principal")
        con.execute(f"INSERT INTO {table} VALUES (?, ?, ?)", [c[key], c["product"], c["claimed_on"]])
    # A claim on the row's profile (in effect that day), then on a resource tag, then on its principal.
    rows = con.execute(rf"""
        SELECT coalesce(p.product, t.product, c.product) AS product, u.BILLING_PERIOD,
               CAST(u.line_item_usage_start_date AS DATE) AS day, sum(u.line_item_unblended_cost)
        FROM (SELECT *, regexp_replace(line_item_iam_principal,
                  '^arn:aws:sts::(\d{{12}}):assumed-role/([^/]+)/.*$', 'arn:aws:iam::\1:role/\2') AS principal
              FROM cur WHERE {BEDROCK} AND line_item_line_item_type IN {USAGE_TYPES}) u
        LEFT JOIN profile_claims p ON p.profile = u.line_item_resource_id
                     AND CAST(u.line_item_usage_start_date AS DATE) >= p.claimed_on
        LEFT JOIN tag_claims t ON u.resource_tags[t.cur_key] = t.value
                     AND CAST(u.line_item_usage_start_date AS DATE) >= t.claimed_on
        LEFT JOIN claims c ON c.principal = u.principal
                     AND CAST(u.line_item_usage_start_date AS DATE) >= c.claimed_on
        WHERE coalesce(p.product, t.product, c.product) IS NOT NULL
        GROUP BY ALL""").fetchall()
    out: dict[tuple[str, str], dict[date, float]] = {}
    for product, month, day, usd in rows:
        out.setdefault((product, month), {})[day] = usd
    return out


def _month_figure(daily: dict[date, float], first: date, last: date, current: bool) -> float:
    """The full month's spend, or for the current month the 7-day run-rate month-end forecast."""
    values = [daily.get(first + timedelta(days=i), 0.0) for i in range((last - first).days + 1)]
    if not current:
        return sum(values)
    dim = calendar.monthrange(first.year, first.month)[1]
    recent = values[-7:]
    return sum(values) + sum(recent) / len(recent) * (dim - len(values))


def test_org_file_matches_the_data(default: DemoResult) -> None:
    org = _org(default)
    assert list(org) == ["accounts", "business_units", "people", "claims", "estimates", "models"]
    assert all(isinstance(a["id"], str) for a in org["accounts"])
    seen = {normalise_principal(r[0]) for r in _rows(default, f"""SELECT DISTINCT line_item_iam_principal
        FROM cur WHERE {BEDROCK} AND line_item_line_item_type IN {USAGE_TYPES}""")}
    claimed = {c["principal"] for c in org["claims"] if "principal" in c}
    assert claimed <= seen
    assert all(re.match(r"^arn:aws:iam::\d{12}:role/[^/]+$", p) for p in claimed)
    unclaimed = set(STORY["unclaimed_roles"])
    assert len(unclaimed) >= 3 and unclaimed <= seen and not unclaimed & claimed
    assert len({p.split(":")[4] for p in unclaimed}) == 3  # one in each account
    by_principal = {c["principal"]: c for c in org["claims"] if "principal" in c}
    assert by_principal[STORY["mid_month_role"]]["claimed_on"] == date(2026, 11, 15)
    assert by_principal[STORY["shared_role"]]["product"] == "HR Portal"
    split = STORY["shared_role_split"]  # the shared role's Talent Match calls go through a claimed profile
    assert {"inference_profile": split["profile"], "product": split["product"]}.items() <= \
        next(c for c in org["claims"] if "inference_profile" in c).items()
    (profile_usd,), = _rows(default, f"""SELECT sum(line_item_unblended_cost) FROM cur
        WHERE line_item_resource_id = '{split["profile"]}' AND line_item_iam_principal LIKE '%/shared-genai-gateway/%'""")
    assert profile_usd > 100
    tag = STORY["tag_claim"]  # and a claim by resource tag: every kind of attribution in the demo
    assert {"tag": tag["tag"], "product": tag["product"]}.items() <= next(c for c in org["claims"] if "tag" in c).items()
    key, value = tag["tag"].split("=")
    (tagged_usd,), = _rows(default, f"""SELECT sum(line_item_unblended_cost) FROM cur
        WHERE resource_tags['user_{key}'] = '{value}' AND line_item_line_item_type = 'Usage'""")
    assert tagged_usd > 10
    assert {c["claimed_on"] for c in org["claims"]} == {default.first_day, date(2026, 11, 15)}
    products = [p["name"] for bu in org["business_units"] for pf in bu["portfolios"]
                for d in pf["departments"] for p in d["products"]]
    assert len(products) == 12
    assert {(e["product"], e["month"]) for e in org["estimates"]} == \
        {(p, m) for p in products for m in default.periods}
    models = {m["id"]: m for m in org["models"]}
    assert models["meta.llama3-70b-instruct-v1:0"]["state"] == "blocked"
    assert models["meta.llama3-1-405b-instruct-v1:0"]["products"] == ["Research Copilot"]
    assert "anthropic.claude-opus-4-6-v1" not in models
    assert any(m["action_scope"] == "agentic_read_only" for m in models.values())
    assert all(m["rationale"] and m["decided_by"] == "lead@example.com" for m in models.values())


def test_org_file_passes_the_registry(default: DemoResult) -> None:
    org = org_parse.load_org_file(default.org_file)
    assert len(org.claims) == len(_org(default)["claims"])


def test_the_story_holds_in_the_data(default: DemoResult) -> None:
    org = _org(default)
    spend = _attributed(default)
    estimate = {(e["product"], e["month"]): e for e in org["estimates"]}
    current = default.periods[-1]
    ratio = {}
    for (product, month), e in estimate.items():
        first = date.fromisoformat(month + "-01")
        last = default.last_day if month == current else \
            date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        ratio[product, month] = _month_figure(spend[product, month], first, last, month == current) / e["usd"]
    assert 1.20 <= ratio["Checkout Service", current] <= 1.30
    assert all(0.5 <= r <= 0.9 for (p, m), r in ratio.items() if p != "Checkout Service"), ratio
    october = {p: sum(v.values()) for (p, m), v in spend.items() if m == "2026-10"}
    assert max(october, key=october.get) == "HR Portal"
    assert 12_000 <= october["HR Portal"] <= 16_000
    assert 7_000 <= october["Customer Insights"] <= 11_000
    assert 25_000 <= sum(october.values()) <= 60_000

    # Checkout: low cache hit rate, output tokens twice the estimate.
    (reads, prompt, output), = _rows(default, """
        SELECT sum(line_item_usage_amount) FILTER (WHERE line_item_usage_type LIKE '%cache-read%'),
               sum(line_item_usage_amount) FILTER (WHERE line_item_usage_type SIMILAR TO '.*(input-tokens|input-token-count).*'),
               sum(line_item_usage_amount) FILTER (WHERE BILLING_PERIOD = '2026-10' AND line_item_usage_type LIKE '%output-tokens%')
        FROM cur WHERE line_item_iam_principal LIKE '%/checkout-service-bedrock/%'""")
    assert 0.15 <= reads / prompt <= 0.20
    assert output * 1000 / estimate["Checkout Service", "2026-10"]["output_tokens"] == pytest.approx(2.0, rel=0.02)

    # Drift: Opus by the checkout role in payments-prod us-west-2, this month only.
    opus = _rows(default, """SELECT BILLING_PERIOD, line_item_usage_account_id, product_region_code,
        list(DISTINCT regexp_replace(line_item_iam_principal, '/[^/]+$', '')), sum(line_item_unblended_cost)
        FROM cur WHERE line_item_usage_type LIKE '%Claude4.6Opus%' GROUP BY ALL""")
    assert len(opus) == 1
    period, account, region, principals, cost = opus[0]
    assert (period, account, region) == (current, "111122223333", "us-west-2")
    assert principals == ["arn:aws:sts::111122223333:assumed-role/checkout-service-bedrock"]
    assert 1_000 <= cost <= 5_000
    (llama_rows, llama_cost, llama_who), = _rows(default, """SELECT count(*), sum(line_item_unblended_cost),
        list(DISTINCT regexp_replace(line_item_iam_principal, '/[^/]+$', ''))
        FROM cur WHERE line_item_usage_type LIKE '%-Llama3-70B-%'""")
    assert llama_rows == 8 and 35 <= llama_cost <= 55
    assert llama_who == ["arn:aws:sts::444455556666:assumed-role/ds-notebook-experiments"]

    # Spike: Customer Insights spends ~5x on the 10th.
    daily = dict(spend["Customer Insights", current])
    spike = daily.pop(date(2026, 11, 10))
    median = sorted(daily.values())[len(daily) // 2]
    assert 4.0 <= spike / median <= 6.0
    assert default.facts["spike_day"] == "2026-11-10"


def test_the_lifecycle_story_holds_in_the_data(default: DemoResult) -> None:
    """One product on a Legacy model nearing end of life, and a model past it, both as lifecycle.yaml
    (read here as data, not through ledger.lifecycle) says for the Region where the rows run."""
    life = yaml.safe_load((MODEL_NAMES.parent / "lifecycle.yaml").read_text())["models"]
    legacy, eol = STORY["legacy_model"], STORY["eol_model"]
    spec = life[legacy["model_id"]]
    assert (spec["status"], spec["eol"].isoformat()) == ("legacy", legacy["eol"])
    assert 0 < (spec["eol"] - AS_OF).days <= 60  # nearing: within two months of the demo's today
    assert all(r["status"] != "active" for r in (spec.get("regions") or {}).values())
    (usd, regions, roles), = _rows(default, f"""SELECT sum(line_item_unblended_cost), list(DISTINCT product_region_code),
            list(DISTINCT regexp_extract(line_item_iam_principal, 'role/([^/]+)', 1))
        FROM cur WHERE line_item_usage_type LIKE '%-{legacy["billing_name"]}-%'""")
    assert usd > 100 and regions == [legacy["region"]]
    claims = {c["principal"].split("/")[-1]: c["product"] for c in _org(default)["claims"] if "principal" in c}
    assert [claims[r] for r in roles] == [legacy["product"]]
    catalog = {m["id"]: m for m in _org(default)["models"]}
    assert catalog[legacy["model_id"]]["state"] == "approved"  # approved, yet reaching end of life
    assert life[eol["model_id"]]["eol"].isoformat() == eol["eol"] < AS_OF.isoformat()
    (after,), = _rows(default, f"""SELECT count(*) FROM cur WHERE line_item_usage_type LIKE '%-{eol["billing_name"]}-%'
        AND line_item_usage_start_date >= DATE '{eol["eol"]}'""")
    assert after > 0  # still called after its end of life
