"""Every role of the demo org and of the eval org: its policy allows every path its CUR rows show
that the catalog approves, refuses the others, and fits IAM's quotas; the closing figures (paths
covered, largest policy) are printed with -s."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from evals import EVAL_AS_OF, EVAL_SEED
from ledger import org_apply, org_parse
from ledger.ingest import ingest
from ledger.store import Store
from tests.test_iam_policy import approved, blocked, cur_paths, evaluate, path_requests
from tools import iam_policy as iam
from tools import iam_statements as st

WORLDS = {"demo": (date(2026, 11, 29), 1), "eval": (EVAL_AS_OF, EVAL_SEED)}


@pytest.fixture(scope="module", params=sorted(WORLDS))
def world(request, tmp_path_factory: pytest.TempPathFactory):
    from demo.generate import generate

    as_of, seed = WORLDS[request.param]
    tmp: Path = tmp_path_factory.mktemp(request.param)
    result = generate(tmp / "demo", as_of=as_of, seed=seed)
    store = Store(tmp / "steward.duckdb")
    ingest(store, [str(result.export_root)], actor="test")
    org_apply.apply_org(store, org_parse.load_org_file(result.org_file), actor="test")
    org = yaml.safe_load(result.org_file.read_text(encoding="utf-8"))
    yield request.param, store, org
    store.close()


def test_every_role_policy_works_on_every_path_its_cur_rows_show(world):
    name, store, org = world
    product_of = {c["principal"]: c["product"] for c in org["claims"] if "principal" in c}
    roles = [p for p in product_of if ":role/" in p]
    assert roles
    kinds: set[str] = set()
    covered = refused = largest = 0
    for principal in roles:
        product, account = product_of[principal], principal.split(":")[4]
        policy = iam.policy_for_role(store, principal, regions=iam.DEFAULT_REGIONS)
        plan = iam.apply_plan(principal, policy)
        largest = max(largest, max(d.chars for d in plan.documents))
        assert all(d.chars <= d.limit for d in plan.documents)
        for acct, region, model, routing, tier, res in cur_paths(store, principal):
            reqs = path_requests(acct, region, model, routing, tier, res)
            got = {evaluate(policy, r.action, r.resource, context=dict(r.context)) for r in reqs}
            if approved(org["models"], model, account, product, region, iam.DEFAULT_REGIONS):
                assert got == {"allow"}, (principal, region, model, routing, tier, res)
                covered += 1
                kinds.add("batch" if tier == "batch" else routing)
            else:
                assert got != {"allow"}, (principal, region, model, routing, tier, res)
                refused += 1
                if blocked(org["models"], model, account, product):
                    assert "deny" in got
    # The demo world uses each kind of path: in-Region, geographic and global profiles, batch.
    assert kinds == {"in-region", "geo", "global", "batch"}
    assert largest <= st.INLINE_LIMIT
    print(f"\n{name}: {covered} approved CUR paths allowed, {refused} unapproved refused; "
          f"largest policy {largest} of {st.INLINE_LIMIT} characters")
