"""MCP read tools run on an attribution snapshot (mcp_server.access.StoreAccess.reading): a change of
who owns what (a claim, an org apply) made anywhere in the process is in the very next call."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from ledger import org_apply, org_parse, snapshot
from mcp_server.access import StoreAccess
from mcp_server.server import build_server
from tests.conftest import make_ctx
from tests.orgfixture import APP, CHECKOUT, FRAUD, ORG_YAML, STRAY, TODAY, principal_of, product_of, usage_rows
from tools import toolset
from tools.errors import ToolError

MARIA, LEAD = "maria@example.com", "lead@example.com"
NOVEMBER = {"by": "principal", "month": "2026-11"}


def november_usd(principal: str, attributed_to: str | None = None) -> float:
    """A principal's November usage cost up to today (only what counts for `attributed_to`, from
    its claim date, when given), from the fixture's CUR rows."""
    return round(sum(r["line_item_unblended_cost"] for r in usage_rows() if principal_of(r) == principal
                     and date(2026, 11, 1) <= r["line_item_usage_start_date"].date() < TODAY
                     and (attributed_to is None or product_of(r) == attributed_to)), 2)


def by_principal(client: Client) -> Any:
    async def go() -> dict[str, float]:
        result = await client.call_tool("spend_breakdown", NOVEMBER)
        assert not result.is_error, result.content
        return {row["key"]: row["usd"] for row in result.structured_content["rows"]}
    return go()


@pytest.mark.parametrize("result_cache_ttl", [0.0, 300.0])  # cold (every call runs), and with the result cache
def test_a_claim_and_an_org_apply_are_seen_by_the_next_call(fresh_org_store, tmp_path: Path,
                                                            result_cache_ttl: float) -> None:
    store = fresh_org_store
    # registry_ttl=0: the store version is read on every request, so nothing but the snapshot could be stale.
    server = build_server(store, make_ctx, email=MARIA, registry_ttl=0, result_cache_ttl=result_cache_ttl)
    assert server.steward.access.snapshot

    async def main() -> tuple[dict, dict, dict]:
        async with Client(server, cache=None) as client:
            before = await by_principal(client)
            # Another door of the same process (Slack, the CLI through the owner) claims a role for
            # Checkout from the first of the month: audited, so the store version moves.
            toolset.call(make_ctx(store, LEAD), "claim_principal",
                         {"principal": STRAY, "product": "Checkout", "claimed_on": "2026-11-01",
                          "reason": "the stray role is Checkout's batch job"})
            claimed = await by_principal(client)
            # The org file makes Maria an owner of App too, and (like every apply) replaces the
            # registry's claims with the file's, which does not hold the stray role's.
            org_file = tmp_path / "org-after.yaml"
            org_file.write_text(ORG_YAML.replace("products: [Checkout, Fraud]}]", "products: [Checkout, Fraud, App]}]", 1))
            org_apply.apply_org(store, org_parse.load_org_file(org_file), actor=LEAD)
            applied = await by_principal(client)
            return before, claimed, applied

    before, claimed, applied = anyio.run(main)
    assert set(before) == {CHECKOUT, FRAUD}
    assert before[CHECKOUT] == pytest.approx(november_usd(CHECKOUT), abs=0.01)
    assert set(claimed) == {CHECKOUT, FRAUD, STRAY}
    assert claimed[STRAY] == pytest.approx(november_usd(STRAY), abs=0.01) and november_usd(STRAY) > 0
    assert set(applied) == {CHECKOUT, FRAUD, APP}
    assert applied[APP] == pytest.approx(november_usd(APP, attributed_to="App"), abs=0.01) and applied[APP] > 0


def test_reads_share_one_snapshot_per_store_version(fresh_org_store) -> None:
    access = StoreAccess(fresh_org_store, ttl=0, wait_for_snapshot=True)
    with access.reading() as cur:
        first = cur.scalar("SELECT count(*) FROM usage_compliance")
        assert cur.snapshot_memo is not None  # on the snapshot
    built = snapshot.state(fresh_org_store).builds
    with access.reading() as cur:
        assert cur.scalar("SELECT count(*) FROM usage_compliance") == first
    assert snapshot.state(fresh_org_store).builds == built == 1  # unchanged store: not rebuilt
    # The snapshot holds what the live views hold.
    live = fresh_org_store.cursor()
    from ledger.attribution import ensure_views

    ensure_views(live)
    assert first == live.scalar("SELECT count(*) FROM usage_compliance")
    assert live.scalar("SELECT count(*) FROM usage_compliance") == fresh_org_store.scalar(
        "SELECT count(*) FROM usage_daily")


def test_values_kept_per_snapshot_go_with_it(fresh_org_store) -> None:
    """data_through, the product list, model labels and unreviewed models are kept for one snapshot;
    an audited change starts a new snapshot with none kept."""
    from tools.periods import data_through

    access = StoreAccess(fresh_org_store, ttl=0, wait_for_snapshot=True)
    with access.reading() as cur:
        through = data_through(cur)
        kept = cur.snapshot_memo
    assert kept == {("data_through",): through} and through == max(
        r["line_item_usage_start_date"].date() for r in usage_rows())
    toolset.call(make_ctx(fresh_org_store, LEAD), "claim_principal",
                 {"principal": STRAY, "product": "Checkout", "reason": "its batch job"})
    with access.reading() as cur:
        assert cur.snapshot_memo == {} and cur.snapshot_memo is not kept


REQUIRED = {"model_status": {"model": "anthropic.claude-sonnet-4-6", "account": "111111111111", "region": "us-east-1"},
            "iam_policy": {"product": "Checkout"}, "product_status": {"product": "Checkout"},
            "principal_claim": {"principal": CHECKOUT},
            "compare_spend": {"first_start": "2026-10-01", "first_end": "2026-10-21", "second_start": "2026-11-01",
                              "second_end": "2026-11-21", "by": "product"},
            "estimate_status": {"product": "Checkout"}, "spend_card": {"product": "Checkout"}}


@pytest.mark.parametrize("email", [MARIA, LEAD, "priya@example.com", "eng@example.com"])
def test_every_read_tool_answers_the_same_on_the_snapshot(org_store, email: str) -> None:
    from dataclasses import replace

    ctx = make_ctx(org_store, email)
    reads = [t for t in toolset.tools_for(ctx) if t.action == "read"]
    assert len(reads) >= 6
    def outcome(c: Any, name: str, args: dict) -> Any:
        try:
            return toolset.call(c, name, args)
        except ToolError as exc:  # a refusal must be the same refusal
            return str(exc)

    with StoreAccess(org_store, ttl=0, wait_for_snapshot=True).reading() as cur:
        assert cur.snapshot_memo is not None
        for t in reads:
            args = REQUIRED.get(t.name, {})
            snapshot, live = outcome(replace(ctx, store=cur), t.name, args), outcome(ctx, t.name, args)
            same(getattr(snapshot, "model_dump", lambda: snapshot)(), getattr(live, "model_dump", lambda: live)(), t.name)


def same(a: Any, b: Any, where: str) -> None:
    """Equal, except for what DuckDB's parallel sums leave to chance: a float's last places (so a
    rounded cent, also inside a sentence, may differ by one)."""
    import re

    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-6, abs=0.011), where
    elif isinstance(a, str) and isinstance(b, str) and a != b:
        assert re.sub(r"\d", "#", a) == re.sub(r"\d", "#", b), where
    else:
        assert a == b, where
