"""Shared fixtures: a real DuckDB store in tmp_path, and a way to put a principal into the CUR."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ledger.principals import normalise_principal, principal_type
from ledger.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "steward.duckdb")
    yield s
    s.close()


def insert_usage_row(store: Store, principal_raw: str, *, cost: float = 1.0,
                     account_id: str = "111122223333", region: str = "us-east-1",
                     day: str = "2026-10-01") -> None:
    """One minimal bedrock_usage row (every NOT NULL column filled) for a principal."""
    norm = normalise_principal(principal_raw)
    store.con.execute(
        "INSERT INTO bedrock_usage (billing_period, usage_start, usage_date, account_id, region, "
        "principal, principal_raw, principal_type, line_item_type, charge_class, usage_type, "
        "billing_model, kind, tier, routing, unblended_cost, net_unblended_cost) VALUES "
        "(?, CAST(? AS TIMESTAMP), CAST(? AS DATE), ?, ?, ?, ?, ?, 'Usage', 'usage', "
        "'USE1-Claude3Haiku-input-tokens', 'Claude3Haiku', 'input', 'standard', 'in-region', ?, ?)",
        [day[:7], day, day, account_id, region, norm, principal_raw, principal_type(norm), cost, cost],
    )


@pytest.fixture
def add_usage(store: Store) -> Callable[..., None]:
    """add_usage(principal_raw, **kw): insert one bedrock_usage row into the `store` fixture."""
    return lambda principal_raw, **kw: insert_usage_row(store, principal_raw, **kw)


# --- the fixture org of tests/orgfixture.py, ingested and applied ---

@pytest.fixture(scope="module")
def org_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Read-only use: shared by the tests of a module."""
    from tests.orgfixture import build_store

    s = build_store(tmp_path_factory.mktemp("org"))
    yield s
    s.close()


@pytest.fixture
def fresh_org_store(tmp_path: Path) -> Iterator[Store]:
    """For tests that write: a store of their own."""
    from tests.orgfixture import build_store

    s = build_store(tmp_path)
    yield s
    s.close()


def make_ctx(store: Store, email: str):  # noqa: ANN201 - ToolContext
    from datetime import datetime

    from tests.orgfixture import TODAY
    from tools.caller import resolve_caller
    from tools.context import ToolContext

    return ToolContext(store=store, caller=resolve_caller(store, email), today=TODAY,
                       clock=datetime(2026, 11, 21, 9, 30))


def as_if_active(monkeypatch: pytest.MonkeyPatch, model_id: str) -> None:
    """The shipped lifecycle data with one model Active everywhere: a what-if for tests of other rules
    (a real model may since have gone Legacy or EOL)."""
    import copy

    from ledger import lifecycle

    data = copy.deepcopy(lifecycle.shipped())
    data["models"][model_id] = {**data["models"][model_id], "status": "active", "eol": None, "regions": {}}
    monkeypatch.setattr("ledger.lifecycle.shipped", lambda: data)
