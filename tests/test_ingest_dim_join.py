"""Ingest joins each row to its parsed usage-type key by one hash of the key's five columns, and by
the columns themselves when two keys of the run share a hash: the same rows and figures either way."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from ledger import ingest as ingest_module
from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.test_ingest import NOV, OCT

BEDROCK = [r for r in OCT + NOV if r["line_item_product_code"] != "AmazonEC2"]


def by_usage_type() -> dict[str, tuple[int, float]]:
    """Rows and cost per usage type of the fixture's Bedrock rows, summed here in plain Python."""
    out: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for r in BEDROCK:
        out[r["line_item_usage_type"]][0] += 1
        out[r["line_item_usage_type"]][1] += r["line_item_unblended_cost"]
    return {k: (n, round(c, 6)) for k, (n, c) in out.items()}


def ingest_fixture(tmp_path: Path) -> dict[str, tuple[int, float]]:
    curfile.write(curfile.export_path(tmp_path, "2026-10"), OCT)
    curfile.write(curfile.export_path(tmp_path, "2026-11"), NOV)
    with Store(tmp_path / "s.duckdb") as store:
        ingest(store, [str(tmp_path / "cur")], actor="test")
        assert store.scalar("SELECT count(*) FROM bedrock_usage WHERE kind IS NULL OR region IS NULL") == 0
        return {ut: (n, round(c, 6)) for ut, n, c in store.rows(
            "SELECT usage_type, count(*), sum(unblended_cost) FROM bedrock_usage GROUP BY 1")}


def test_rows_find_their_usage_type_by_the_key_hash(tmp_path: Path) -> None:
    assert ingest_fixture(tmp_path) == by_usage_type()


def test_keys_sharing_a_hash_are_joined_by_their_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every key of the dimension gets the same hash: joined by the hash, rows would find no key (or
    # the wrong one); the guard must fall back to the five columns.
    monkeypatch.setattr(ingest_module, "_KEY_HASH", "hash('one value for every key', {t}.ut IS NULL)")
    assert ingest_fixture(tmp_path) == by_usage_type()
