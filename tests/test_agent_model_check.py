"""The start-up check of Steward's own model, against a real boto3 bedrock client under Stubber."""

from __future__ import annotations

from datetime import date, datetime

import boto3
import pytest
from botocore.stub import Stubber

from agent.model_check import check_agent_model

TODAY = date(2026, 11, 29)
HAIKU45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
PROFILE = f"global.{HAIKU45}"


@pytest.fixture
def bedrock(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(k, v)
    client = boto3.client("bedrock", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def details(model: str, lifecycle: dict) -> dict:
    return {"modelDetails": {"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}", "modelId": model,
                             "modelName": "m", "providerName": "Anthropic", "modelLifecycle": lifecycle}}


def availability(model: str, authorized: bool = True) -> dict:
    return {"modelId": model, "agreementAvailability": {"status": "AVAILABLE"},
            "authorizationStatus": "AUTHORIZED" if authorized else "NOT_AUTHORIZED",
            "entitlementAvailability": "AVAILABLE", "regionAvailability": "AVAILABLE"}


def test_an_active_enabled_model_behind_a_profile_passes(bedrock):
    client, stub = bedrock
    stub.add_response("get_foundation_model", details(HAIKU45, {"status": "ACTIVE"}), {"modelIdentifier": HAIKU45})
    stub.add_response("get_foundation_model_availability", availability(HAIKU45), {"modelId": HAIKU45})
    check = check_agent_model(client, PROFILE, "us-east-1", today=TODAY)
    assert (check.verdict, check.model_id, check.usable) == ("ok", HAIKU45, True)


def test_a_retired_model_is_unusable_with_what_to_do(bedrock):
    client, stub = bedrock
    old = "anthropic.claude-3-5-haiku-20241022-v1:0"
    stub.add_client_error("get_foundation_model", "ResourceNotFoundException",
                          "This model version has reached the end of its life", 404, expected_params={"modelIdentifier": old})
    check = check_agent_model(client, f"us.{old}", "us-east-1", today=TODAY)
    assert check.verdict == "unusable" and not check.usable
    assert "STEWARD_BEDROCK_MODEL_ID" in check.message and old in check.message


def test_an_eol_date_already_passed_is_unusable_even_if_still_listed(bedrock):
    client, stub = bedrock
    stub.add_response("get_foundation_model", details(HAIKU45, {"status": "LEGACY", "endOfLifeTime": datetime(2026, 11, 1)}),
                      {"modelIdentifier": HAIKU45})
    check = check_agent_model(client, PROFILE, "us-east-1", today=TODAY)
    assert (check.verdict, check.eol) == ("unusable", date(2026, 11, 1))
    assert "reached end of life on 2026-11-01" in check.message


def test_a_legacy_model_warns_with_days_to_eol(bedrock):
    client, stub = bedrock
    stub.add_response("get_foundation_model", details(HAIKU45, {"status": "LEGACY", "endOfLifeTime": datetime(2027, 1, 8)}),
                      {"modelIdentifier": HAIKU45})
    stub.add_response("get_foundation_model_availability", availability(HAIKU45), {"modelId": HAIKU45})
    check = check_agent_model(client, PROFILE, "us-east-1", today=TODAY)
    assert check.verdict == "legacy" and check.usable and "2027-01-08 (40 days)" in check.message


def test_a_model_not_enabled_in_the_account_says_to_enable_it(bedrock):
    client, stub = bedrock
    stub.add_response("get_foundation_model", details(HAIKU45, {"status": "ACTIVE"}), {"modelIdentifier": HAIKU45})
    stub.add_response("get_foundation_model_availability", availability(HAIKU45, authorized=False), {"modelId": HAIKU45})
    check = check_agent_model(client, PROFILE, "us-east-1", today=TODAY)
    assert check.verdict == "unusable" and "Model access" in check.message


def test_no_permission_to_check_is_not_a_failure(bedrock):
    client, stub = bedrock
    stub.add_client_error("get_foundation_model", "AccessDeniedException", "no", 403, expected_params={"modelIdentifier": HAIKU45})
    check = check_agent_model(client, PROFILE, "us-east-1", today=TODAY)
    assert check.verdict == "unchecked" and check.usable and "bedrock:GetFoundationModel" in check.message


def test_the_default_agent_model_is_a_current_haiku_through_its_global_profile_at_its_own_prices():
    from importlib import resources

    import yaml

    from agent.config import AgentConfig

    data = {f: yaml.safe_load(resources.files("ledger").joinpath(f"data/{f}.yaml").read_text())
            for f in ("lifecycle", "routing", "prices")}
    config = AgentConfig()
    assert config.model_id == PROFILE
    assert data["lifecycle"]["models"][HAIKU45]["status"] == "active"
    assert "prompt caching supported" in data["lifecycle"]["models"][HAIKU45]["source"]
    assert HAIKU45 in data["routing"]["families"]["global"]["models"]
    listed = next(m for m in data["prices"]["models"] if m["model_id"] == HAIKU45)
    assert (config.price_input, config.price_output, config.price_cache_read, config.price_cache_write) == (
        listed["input"], listed["output"], listed["cache_read"], listed["cache_write"])
    geo = AgentConfig(model_id=f"us.{HAIKU45}")
    assert geo.price_input == pytest.approx(listed["input"] * listed["geo_multiplier"])
    assert AgentConfig(model_id=PROFILE, price_input=0.5).price_input == 0.5


def test_wiring_checks_only_real_bedrock_and_reports_what_to_do(bedrock):
    from agent.config import AgentConfig
    from steward.settings import Settings
    from steward.wiring import agent_model_check

    client, stub = bedrock
    settings = Settings()
    assert agent_model_check(settings, AgentConfig(mode="offline")) is None
    assert agent_model_check(settings, AgentConfig(mode="bedrock", endpoint_url="http://127.0.0.1:1")) is None
    old = "anthropic.claude-3-5-haiku-20241022-v1:0"
    stub.add_client_error("get_foundation_model", "ResourceNotFoundException", "end of its life", 404,
                          expected_params={"modelIdentifier": old})
    check = agent_model_check(settings, AgentConfig(mode="bedrock", model_id=f"us.{old}"), lambda region: client)
    assert check is not None and check.verdict == "unusable" and "STEWARD_BEDROCK_MODEL_ID" in check.message


RETIRED = "anthropic.claude-3-5-haiku-20241022-v1:0"


def retired_model(stub) -> None:
    stub.add_client_error("get_foundation_model", "ResourceNotFoundException", "This model version has reached "
                          "the end of its life", 404, expected_params={"modelIdentifier": RETIRED})


def bedrock_settings(tmp_path, **extra):
    from steward.settings import Settings

    return Settings(agent={"mode": "bedrock", "bedrock_model_id": f"us.{RETIRED}", "bedrock_region": "us-east-1"},
                    **extra)


def test_a_long_running_door_checks_its_model_once_at_start_and_answers_offline_when_retired(bedrock, tmp_path):
    from steward.wiring import started_agent_config

    client, stub = bedrock
    retired_model(stub)   # one response queued: a second check would make Stubber raise
    told: list[str] = []
    config = started_agent_config(bedrock_settings(tmp_path), told.append, lambda region: client)
    assert told and RETIRED in told[0] and "STEWARD_BEDROCK_MODEL_ID" in told[0]
    assert told[-1] == "Answering with the offline planner instead."
    assert config().mode == "offline" and config().mode == "offline"


def test_serve_checks_the_agent_model_at_start_and_logs_what_to_do(bedrock, tmp_path, caplog):
    from slack_app.config import SlackSettings
    from steward.serve import StewardServer
    from tests.orgfixture import TODAY, build_store

    build_store(tmp_path).close()
    client, stub = bedrock
    retired_model(stub)
    settings = bedrock_settings(tmp_path, store={"db": tmp_path / "steward.duckdb"}, as_of=TODAY,
                                slack=SlackSettings())
    with caplog.at_level("WARNING", logger="steward.serve"):
        server = StewardServer(settings, port=0, model_client=lambda region: client)
    try:
        warned = [r.getMessage() for r in caplog.records if r.name == "steward.serve"]
        assert any(RETIRED in m and "STEWARD_BEDROCK_MODEL_ID" in m for m in warned)
        assert server.agent_config().mode == "offline"
    finally:
        server.close()
