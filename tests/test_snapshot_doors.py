"""The attribution snapshot every long-running door reads (ledger.snapshot): the same figures as the
live views and as the raw CUR rows, for claims by profile, tag, principal tag and principal; and
while it is rebuilt after a change, reads get the store as it is now, never the older snapshot."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import tests.test_attribution_kinds as kinds
import tests.test_mcp_snapshot as mcp_snapshot
from ledger import org_apply, org_parse, snapshot
from ledger.store import Store
from mcp_server.access import StoreAccess
from tests.conftest import make_ctx
from tools import toolset
from tools.errors import ToolError

LEAD, PO = "lead@example.com", "po@example.com"
from ledger.rollup import RAW_ROWS_AS_ROLLUP as RAW_ROWS  # noqa: E402 - one rollup row per line item
ARGS = {"estimate_status": {"product": "Search"}, "spend_card": {"product": "Search"},
        "iam_policy": {"product": "Search"}, "product_status": {"product": "Search"},
        "principal_claim": {"principal": kinds.GATEWAY},
        "model_status": {"model": "amazon.nova-lite-v1:0", "account": kinds.ACCOUNT, "region": "us-east-1"},
        "compare_spend": {"first_start": "2026-11-01", "first_end": "2026-11-08", "second_start": "2026-11-08",
                          "second_end": "2026-11-16", "by": "product"}}


def outcome(ctx: Any, name: str) -> Any:
    try:
        result = toolset.call(ctx, name, ARGS.get(name, {}))
    except ToolError as exc:  # a refusal must be the same refusal
        return str(exc)
    return result.model_dump(mode="json")


def by_product(ctx: Any) -> dict[str, float]:
    result = toolset.call(ctx, "spend_breakdown", {"month": "2026-11", "by": "product", "top": 20})
    return {r.key: r.usd for r in result.rows}


def fixture_by_owner(unclaimed: str | None = None) -> dict[str, float]:
    """Spend per product from the fixture's hand-worked owners (independent of the code); the
    `unclaimed` product's rows (its principal claim gone) are unattributed."""
    out: dict[str, float] = defaultdict(float)
    for _, cost, _, _, _, owner, _ in kinds.FIXTURE:
        out["(unattributed)" if owner == unclaimed else owner] += cost
    return dict(out)


@pytest.fixture()
def kinds_db(tmp_path: Path) -> Path:
    return kinds.build_store_file(tmp_path, kinds._rows())  # noqa: SLF001


@pytest.mark.parametrize("email", [LEAD, PO])
def test_every_read_tool_gives_the_same_figures_on_the_snapshot_the_live_views_and_the_raw_rows(
        kinds_db: Path, email: str) -> None:
    with Store(kinds_db) as store, Store(kinds_db) as raw_store:
        raw_store.con.execute(RAW_ROWS)
        live = make_ctx(store, email)
        on_snapshot = replace(live, snapshot=True)
        with snapshot.reading(store, wait=True) as used:
            assert used
        raw = make_ctx(raw_store, email)
        reads = [t.name for t in toolset.tools_for(live) if t.action == "read"]
        assert len(reads) >= 8
        for name in reads:
            got = outcome(on_snapshot, name)
            mcp_snapshot.same(got, outcome(live, name), f"{email} {name} snapshot/live")
            mcp_snapshot.same(got, outcome(raw, name), f"{email} {name} snapshot/raw")
        assert snapshot.state(store).builds == 1  # every call read the one snapshot
        if email == LEAD:  # and the figures are the fixture's, split four ways on one shared role
            assert by_product(on_snapshot) == pytest.approx(fixture_by_owner())


def test_while_the_snapshot_is_rebuilt_reads_get_the_store_as_it_is_now(kinds_db: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real_build = snapshot.attribution.build_snapshot

    def held_build(*args: Any, **kwargs: Any) -> Any:
        release.wait(60)  # the test decides when the rebuild may run
        return real_build(*args, **kwargs)

    with Store(kinds_db) as store:
        ctx = replace(make_ctx(store, LEAD), snapshot=True)
        with snapshot.reading(store, wait=True):
            pass
        state = snapshot.state(store)
        assert by_product(ctx) == pytest.approx(fixture_by_owner()) and state.builds == 1
        monkeypatch.setattr(snapshot.attribution, "build_snapshot", held_build)
        # An audited change: the org file no longer claims the gateway role for Platform.
        without = kinds.ORG_YAML.replace(
            f'  - {{principal: "{kinds.GATEWAY}", product: Platform, claimed_by: lead@example.com, '
            'claimed_on: 2026-11-01}\n', "")
        assert without != kinds.ORG_YAML
        org_apply.apply_org(store, org_parse.load_org_text(without), actor="test")
        try:
            during = by_product(ctx)  # starts the rebuild, which waits: this read is live
            assert state.builds == 1
        finally:
            release.set()
            state.join()
        assert during == pytest.approx(fixture_by_owner(unclaimed="Platform"))
        assert state.builds == 2 and state.error is None
        assert by_product(ctx) == pytest.approx(fixture_by_owner(unclaimed="Platform"))


def test_a_write_through_the_mcp_server_starts_the_rebuild_before_the_next_read(kinds_db: Path) -> None:
    with Store(kinds_db) as store:
        access = StoreAccess(store, ttl=0, wait_for_snapshot=True)
        with access.reading() as cur:
            assert cur.snapshot_memo is not None
        state = snapshot.state(store)
        org_apply.apply_org(store, org_parse.load_org_text(kinds.ORG_YAML.replace("note: mid-month", "note: later")),
                            actor="test")
        access.changed()  # as the MCP handler does after a write
        state.join()
        assert state.builds == 2  # built without any read asking for it
