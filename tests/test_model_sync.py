"""Model discovery through bedrock:ListFoundationModels, stubbed with botocore's Stubber on real
boto3 clients (moto does not implement ListFoundationModels)."""

from __future__ import annotations

from datetime import datetime

import boto3
import pytest
from botocore.stub import Stubber

from ledger import audit
from ledger.model_sync import sync_models
from tests.orgfixture import HAIKU, OPUS, SONNET

T1 = datetime(2026, 11, 20, 6, 0)
T2 = datetime(2026, 11, 21, 6, 0)
NOVA = "amazon.nova-pro-v1:0"


def summary(model_id: str, provider: str, name: str, region: str) -> dict:
    return {"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}", "modelId": model_id,
            "modelName": name, "providerName": provider, "inputModalities": ["TEXT"],
            "outputModalities": ["TEXT"], "responseStreamingSupported": True,
            "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}}


LISTINGS = {
    "us-east-1": [(HAIKU, "Anthropic", "Claude 3 Haiku"), (SONNET, "Anthropic", "Claude Sonnet 4.6"),
                  (OPUS, "Anthropic", "Claude Opus 4.6")],
    "us-west-2": [(HAIKU, "Anthropic", "Claude 3 Haiku"), (NOVA, "Amazon", "Nova Pro")],
}


@pytest.fixture(autouse=True)
def _dummy_credentials(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(k, v)


class StubbedBedrock:
    """A real boto3 bedrock client per region, each answering from a queue of stubbed responses."""

    def __init__(self) -> None:
        self.clients: dict[str, object] = {}
        self.stubbers: dict[str, Stubber] = {}

    def client(self, region: str) -> Stubber:
        if region not in self.clients:
            c = boto3.client("bedrock", region_name=region)
            self.clients[region] = c
            self.stubbers[region] = Stubber(c)
            self.stubbers[region].activate()
        return self.stubbers[region]

    def listing(self, region: str, models: list[tuple[str, str, str]]) -> None:
        self.client(region).add_response(
            "list_foundation_models",
            {"modelSummaries": [summary(m, p, n, region) for m, p, n in models]}, {})

    def failure(self, region: str) -> None:
        self.client(region).add_client_error("list_foundation_models", "AccessDeniedException",
                                             "not authorized to perform bedrock:ListFoundationModels",
                                             http_status_code=403)

    def factory(self, region: str) -> object:
        self.client(region)
        return self.clients[region]

    def done(self) -> None:
        for s in self.stubbers.values():
            s.assert_no_pending_responses()


def run(store, bedrock: StubbedBedrock, at: datetime = T1, regions=("us-east-1", "us-west-2")):
    result = sync_models(store, client_factory=bedrock.factory, regions=list(regions),
                         actor="system:model-sync", now=at)
    bedrock.done()
    return result


def both_regions(bedrock: StubbedBedrock) -> None:
    for region, models in LISTINGS.items():
        bedrock.listing(region, models)


def discovered(store) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in store.rows(
        "SELECT model_id, provider, name, regions, first_seen, last_seen FROM discovered_models")}


def test_sync_records_every_listed_model_with_its_regions(fresh_org_store):
    bedrock = StubbedBedrock()
    both_regions(bedrock)
    run(fresh_org_store, bedrock)
    rows = discovered(fresh_org_store)
    assert set(rows) == {HAIKU, SONNET, OPUS, NOVA}
    assert rows[HAIKU] == ("Anthropic", "Claude 3 Haiku", ["us-east-1", "us-west-2"], T1, T1)
    assert rows[NOVA][2] == ["us-west-2"]


def test_first_sync_reports_every_model_as_new(fresh_org_store):
    bedrock = StubbedBedrock()
    both_regions(bedrock)
    result = run(fresh_org_store, bedrock)
    assert result.new == sorted([HAIKU, SONNET, OPUS, NOVA]) and result.discovered == 4


def test_models_without_catalog_entry_are_unreviewed_and_not_cataloged(fresh_org_store):
    before = fresh_org_store.rows("SELECT * FROM model_catalog ORDER BY ALL")
    bedrock = StubbedBedrock()
    both_regions(bedrock)
    result = run(fresh_org_store, bedrock)
    assert result.unreviewed == sorted([OPUS, NOVA])  # Haiku and Sonnet have entries
    assert fresh_org_store.rows("SELECT * FROM model_catalog ORDER BY ALL") == before


def test_second_sync_keeps_first_seen_and_reports_nothing_new(fresh_org_store):
    bedrock = StubbedBedrock()
    both_regions(bedrock)
    run(fresh_org_store, bedrock, T1)
    both_regions(bedrock)
    result = run(fresh_org_store, bedrock, T2)
    assert result.new == []
    first, last = discovered(fresh_org_store)[SONNET][3:]
    assert (first, last) == (T1, T2)


def test_model_no_longer_listed_loses_that_region(fresh_org_store):
    bedrock = StubbedBedrock()
    both_regions(bedrock)
    run(fresh_org_store, bedrock, T1)
    bedrock.listing("us-east-1", LISTINGS["us-east-1"])
    bedrock.listing("us-west-2", [(NOVA, "Amazon", "Nova Pro")])
    run(fresh_org_store, bedrock, T2)
    assert discovered(fresh_org_store)[HAIKU][2] == ["us-east-1"]


def test_failed_region_is_reported_and_keeps_its_models(fresh_org_store):
    bedrock = StubbedBedrock()
    both_regions(bedrock)
    run(fresh_org_store, bedrock, T1)
    bedrock.listing("us-east-1", LISTINGS["us-east-1"])
    bedrock.failure("us-west-2")
    result = run(fresh_org_store, bedrock, T2)
    assert list(result.regions_failed) == ["us-west-2"]
    assert "AccessDenied" in result.regions_failed["us-west-2"]
    rows = discovered(fresh_org_store)
    assert rows[NOVA][2] == ["us-west-2"] and rows[NOVA][4] == T1


def test_sync_is_audited(fresh_org_store):
    bedrock = StubbedBedrock()
    both_regions(bedrock)
    result = run(fresh_org_store, bedrock)
    entry = audit.entries(fresh_org_store, limit=1)[0]
    assert (entry.seq, entry.action, entry.actor, entry.outcome) == (
        result.audit_seq, "models.sync", "system:model-sync", "ok")
    assert entry.details["unreviewed"] == sorted([OPUS, NOVA])
    assert entry.details["new"] == result.new


def test_sync_where_every_region_fails_is_audited_as_error(store):
    bedrock = StubbedBedrock()
    bedrock.failure("us-east-1")
    result = run(store, bedrock, regions=["us-east-1"])
    assert result.discovered == 0
    assert audit.entries(store, limit=1)[0].outcome == "error"


# ------------------------------------------------------------------------------ inference profile routing


def profile(pid: str, regions: list[str]) -> dict:
    model = pid.split(".", 1)[1]
    return {"inferenceProfileName": pid, "inferenceProfileId": pid, "type": "SYSTEM_DEFINED", "status": "ACTIVE",
            "inferenceProfileArn": f"arn:aws:bedrock:us-east-1:111111111111:inference-profile/{pid}",
            "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model}"} for r in regions]}


def test_sync_records_the_destination_regions_of_each_system_profile_and_policies_use_them(fresh_org_store):
    from ledger import routing
    from tests.orgfixture import A1, CHECKOUT
    from tools import iam_policy as iam
    from tools.iam_eval import Request, evaluate

    bedrock = StubbedBedrock()
    bedrock.listing("us-east-1", LISTINGS["us-east-1"])
    stub = bedrock.client("us-east-1")
    # Two pages; us.Sonnet now also routes to us-west-1 (not in the shipped routing table).
    stub.add_response("list_inference_profiles", {
        "inferenceProfileSummaries": [profile(f"us.{SONNET}", ["us-east-1", "us-east-2", "us-west-1", "us-west-2"])],
        "nextToken": "p2"}, {"typeEquals": "SYSTEM_DEFINED"})
    stub.add_response("list_inference_profiles", {"inferenceProfileSummaries": [profile(f"global.{SONNET}", ["us-east-1", ""])]},
                      {"typeEquals": "SYSTEM_DEFINED", "nextToken": "p2"})
    result = run(fresh_org_store, bedrock, regions=["us-east-1"])
    assert result.profiles == 2 and result.profiles_failed == {}
    table = routing.load(fresh_org_store)
    assert table.destinations("us", SONNET, "us-east-1") == ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
    assert routing.load().destinations("us", SONNET, "us-east-1") == ["us-east-1", "us-east-2", "us-west-2"]
    policy = iam.policy_for_role(fresh_org_store, CHECKOUT)
    via = f"arn:aws:bedrock:us-east-1:{A1}:inference-profile/us.{SONNET}"
    routed = Request("bedrock:InvokeModel", f"arn:aws:bedrock:us-west-1::foundation-model/{SONNET}",
                     {"bedrock:InferenceProfileArn": via})
    assert evaluate(policy, routed) == "allow"


def test_a_region_whose_profiles_cannot_be_listed_keeps_its_routes(fresh_org_store):
    from ledger import routing

    bedrock = StubbedBedrock()
    bedrock.listing("us-east-1", LISTINGS["us-east-1"])
    bedrock.client("us-east-1").add_response("list_inference_profiles", {
        "inferenceProfileSummaries": [profile(f"us.{SONNET}", ["us-east-1", "us-west-1"])]},
        {"typeEquals": "SYSTEM_DEFINED"})
    run(fresh_org_store, bedrock, T1, regions=["us-east-1"])
    bedrock.listing("us-east-1", LISTINGS["us-east-1"])
    bedrock.client("us-east-1").add_client_error("list_inference_profiles", "AccessDeniedException", "no")
    result = run(fresh_org_store, bedrock, T2, regions=["us-east-1"])
    assert "AccessDenied" in result.profiles_failed["us-east-1"]
    assert routing.load(fresh_org_store).destinations("us", SONNET, "us-east-1") == ["us-east-1", "us-west-1"]


def test_sync_records_each_region_lifecycle_status_and_it_wins_over_the_shipped_data(fresh_org_store):
    from datetime import date

    from ledger import lifecycle

    bedrock = StubbedBedrock()
    legacy = summary(SONNET, "Anthropic", "Claude Sonnet 4.6", "us-west-2")
    legacy["modelLifecycle"] = {"status": "LEGACY", "legacyTime": datetime(2026, 8, 1),
                                "endOfLifeTime": datetime(2027, 2, 1)}
    bedrock.listing("us-east-1", LISTINGS["us-east-1"])
    bedrock.client("us-west-2").add_response("list_foundation_models", {"modelSummaries": [legacy]}, {})
    result = run(fresh_org_store, bedrock)
    assert result.lifecycle == 4
    table = lifecycle.load(fresh_org_store)
    today = date(2026, 11, 21)
    west, east = table.standing(SONNET, "us-west-2", today), table.standing(SONNET, "us-east-1", today)
    assert (west.status, west.eol, west.days_to_eol(today)) == ("legacy", date(2027, 2, 1), 72)
    assert (east.status, east.eol) == ("active", None)
    assert lifecycle.load().standing(SONNET, "us-west-2", today).status == "active"  # shipped: Active
