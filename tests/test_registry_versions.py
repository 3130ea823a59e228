"""The store's change counters (ledger.versions) and the caches that trust them: Slack's CallerCache
reads the registry again only after a registry change, made here or through the store's owner from
another process, and never because an answer wrote its audit entry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ledger import audit, org_apply, org_export, org_parse, owner, remote_store, versions
from ledger.access import registry_version
from ledger.store import Store
from slack_app.runtime import CallerCache
from tests.conftest import make_ctx
from tests.orgfixture import LAB, TODAY
from tools import toolset

REPO = Path(__file__).resolve().parent.parent
LEAD, MARIA = "lead@example.com", "maria@example.com"
MARIA_SLACK = "U0MARIA01"


def maria_also_owns_hr_portal(store: Store) -> dict:
    """The store's org as a dict, with Maria Product Owner of HR Portal too."""
    org = org_export.export_org(store)
    maria = next(p for p in org["people"] if p["email"] == MARIA)
    maria["roles"] = [{"persona": "product_owner", "products": ["Checkout", "Fraud", "HR Portal"]}]
    return org


def answer_entries(store: Store, n: int) -> None:
    """What answering and posting write: audit entries that change nothing in the registry."""
    for i in range(n):
        audit.append(store, actor=MARIA, action="agent.ask", subject=f"question {i}", details={"answer": "..."})
    audit.append(store, actor="steward", action="slack.spend_card", subject="Checkout 2026-11-16")
    audit.append(store, actor=MARIA, action="tool.set_estimate", subject="Checkout")
    audit.append(store, actor=MARIA, action="tool.claim_principal", outcome="refused", why="not in scope")


# ------------------------------------------------------------------ the counters

def test_only_registry_changes_move_the_registry_counter(fresh_org_store: Store) -> None:
    store = fresh_org_store
    registry0, content0 = store.version(versions.REGISTRY), registry_version(store)
    answer_entries(store, 5)
    assert store.version(versions.REGISTRY) == registry0
    assert registry_version(store) == content0 + 3  # agent.* never counts; the other three entries do
    org_apply.apply_org(store, org_parse.parse_org(maria_also_owns_hr_portal(store)), actor=LEAD)
    assert store.version(versions.REGISTRY) == registry0 + 1
    assert registry_version(store) == content0 + 4


def test_a_counter_moves_when_the_transaction_commits_and_not_on_rollback(fresh_org_store: Store) -> None:
    store = fresh_org_store
    before = store.version(versions.REGISTRY)
    with store.transaction():
        audit.append(store, actor=LEAD, action="org.apply", subject="org.yaml")
        assert store.version(versions.REGISTRY) == before  # not yet committed: a reader would find old rows
    assert store.version(versions.REGISTRY) == before + 1
    with pytest.raises(RuntimeError), store.transaction():
        audit.append(store, actor=LEAD, action="org.apply", subject="org.yaml")
        raise RuntimeError("halfway")
    assert store.version(versions.REGISTRY) == before + 1


def test_every_claims_tool_that_writes_moves_the_registry_counter() -> None:
    """A new claims tool must be added to ledger.versions.REGISTRY_ACTIONS (callers' work accounts)."""
    writes = {f"tool.{t.name}" for t in toolset.all_tools() if t.family == "claims" and t.action != "read"}
    assert writes and all(versions.topics_of(action) == (versions.STORE, versions.REGISTRY) for action in writes)


def test_two_stores_on_one_file_share_the_counters(fresh_org_store: Store) -> None:
    """DuckDB shares one instance between them: a change through one is a change of the other's database."""
    other = Store(fresh_org_store.path)
    try:
        before = other.version(versions.REGISTRY)
        audit.append(fresh_org_store, actor=LEAD, action="org.apply", subject="org.yaml")
        assert other.version(versions.REGISTRY) == before + 1
    finally:
        other.close()


# ------------------------------------------------------------------ the caller cache

def test_the_caller_cache_never_refreshes_for_answers(fresh_org_store: Store) -> None:
    store = fresh_org_store
    cache = CallerCache(ttl=3600)
    assert cache.get(store, MARIA_SLACK).products == {"Checkout", "Fraud"}
    assert cache.refreshes == 1
    commits = store.commits[0]
    for _ in range(10):
        answer_entries(store, 3)
        assert cache.get(store, MARIA_SLACK).products == {"Checkout", "Fraud"}
    assert store.commits[0] == commits + 60  # every entry was its own committed transaction
    assert cache.refreshes == 1


def test_the_caller_cache_sees_a_claim_at_once(fresh_org_store: Store) -> None:
    """A FinOps Lead claims the lab role (account 333333333333) for Checkout: Maria now works in it."""
    store = fresh_org_store
    cache = CallerCache(ttl=3600)
    assert "333333333333" not in cache.get(store, MARIA_SLACK).work_accounts
    toolset.call(make_ctx(store, LEAD), "claim_principal", {"principal": LAB, "product": "Checkout"})
    assert "333333333333" in cache.get(store, MARIA_SLACK).work_accounts
    assert cache.refreshes == 2


def test_an_expired_entry_is_served_while_it_is_read_again_off_the_request(fresh_org_store: Store) -> None:
    """The ttl bounds what an unaudited change leaves stale; past it, the request is not the one that waits."""
    store = fresh_org_store
    cache, jobs = CallerCache(ttl=1e-9), []  # every entry is past its ttl
    assert cache.get(store, MARIA_SLACK).name == "Maria Lopez"
    store.con.execute("UPDATE people SET name = 'Maria L.' WHERE email = ?", [MARIA])  # not audited
    assert cache.get(store, MARIA_SLACK, later=jobs.append).name == "Maria Lopez"
    assert cache.get(store, MARIA_SLACK, later=jobs.append).name == "Maria Lopez"
    assert len(jobs) == 1 and cache.refreshes == 1  # one refresh under way, none on the request
    jobs.pop()(store.cursor())
    assert cache.refreshes == 2
    assert cache.get(store, MARIA_SLACK, later=jobs.append).name == "Maria L."


def test_after_a_registry_change_the_request_waits_for_the_new_caller(fresh_org_store: Store) -> None:
    store = fresh_org_store
    cache, jobs = CallerCache(ttl=1e-9), []
    assert cache.get(store, MARIA_SLACK).products == {"Checkout", "Fraud"}
    org_apply.apply_org(store, org_parse.parse_org(maria_also_owns_hr_portal(store)), actor=LEAD)
    assert cache.get(store, MARIA_SLACK, later=jobs.append).products == {"Checkout", "Fraud", "HR Portal"}
    assert jobs == []


def test_a_burst_of_lookups_of_one_user_reads_the_registry_once(fresh_org_store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Six mentions by Maria at once on a cold cache: one read, the other five wait for it."""
    from ledger import registry
    from slack_app import runtime

    cache, followers, waiting = CallerCache(ttl=3600), 5, threading.Condition()
    counted = {"waiting": 0}

    class CountedEvent(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            with waiting:
                counted["waiting"] += 1
                waiting.notify_all()
            return super().wait(timeout)

    class CountedFlight(runtime._Flight):
        def __init__(self) -> None:
            super().__init__()
            self.done = CountedEvent()

    release, real = threading.Event(), registry.person_by_slack_id

    def held(store: Store, slack_id: str):  # noqa: ANN202 - the first read waits until the others queued
        assert release.wait(30)
        return real(store, slack_id)

    monkeypatch.setattr(runtime, "_Flight", CountedFlight)
    monkeypatch.setattr(registry, "person_by_slack_id", held)
    with ThreadPoolExecutor(followers + 1) as pool:
        lookups = [pool.submit(lambda cur: cache.get(cur, MARIA_SLACK), fresh_org_store.cursor())
                   for _ in range(followers + 1)]
        with waiting:
            assert waiting.wait_for(lambda: counted["waiting"] == followers, timeout=30)
        release.set()
        products = [lookup.result(timeout=30).products for lookup in lookups]
    assert products == [{"Checkout", "Fraud"}] * (followers + 1)
    assert cache.refreshes == 1


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="st"))  # Unix socket paths are limited to about 100 bytes
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_change_through_the_owner_moves_the_owners_counters(fresh_org_store: Store, runtime_dir: Path) -> None:
    store = fresh_org_store
    server = owner.StoreOwner(store).start()
    remote = remote_store.connect(store.path)
    try:
        assert remote is not None
        before, content = store.version(versions.REGISTRY), registry_version(store)
        answer_entries(remote, 2)
        assert store.version(versions.REGISTRY) == before
        assert registry_version(remote) == registry_version(store) == content + 3  # read through the channel
        org_apply.apply_org(remote, org_parse.parse_org(maria_also_owns_hr_portal(store)), actor=LEAD)
        assert remote.version(versions.REGISTRY) == store.version(versions.REGISTRY) == before + 1
    finally:
        if remote is not None:
            remote.close()
        server.stop()


def test_the_caller_cache_sees_an_org_apply_from_another_process(fresh_org_store: Store, runtime_dir: Path,
                                                                 tmp_path: Path) -> None:
    """`steward org apply` in another process, while this one owns the store (as serve does): the
    command returns once the owner committed, and the next lookup reads the new registry."""
    store = fresh_org_store
    cache = CallerCache(ttl=3600)
    assert cache.get(store, MARIA_SLACK).products == {"Checkout", "Fraud"}
    org_file = tmp_path / "org.yaml"
    import yaml

    org_file.write_text(yaml.safe_dump(maria_also_owns_hr_portal(store), sort_keys=False))
    server = owner.StoreOwner(store).start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "steward.cli", "--db", str(store.path), "--as-of", TODAY.isoformat(),
             "org", "apply", str(org_file)], capture_output=True, text=True, timeout=180,
            cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO), "XDG_RUNTIME_DIR": str(runtime_dir)})
        assert done.returncode == 0, done.stderr
        assert cache.get(store, MARIA_SLACK).products == {"Checkout", "Fraud", "HR Portal"}
        assert cache.refreshes == 2
    finally:
        server.stop()
