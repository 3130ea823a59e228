"""Attribution: daily rollups joined to claims (from their claim date) and the org hierarchy,
and each row's standing against the model catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ledger.store import Store

T = TypeVar("T")

# A claim counts only from its claim date: earlier spend by the same principal stays unattributed.
# The account's owning node decides who can see unattributed spend.
ATTRIBUTED_VIEW = """
CREATE OR REPLACE TEMP VIEW attributed_daily AS
SELECT u.*,
       CASE WHEN c.principal IS NOT NULL AND u.usage_date >= c.claimed_on THEN c.product END AS product,
       CASE WHEN c.principal IS NULL THEN 'unclaimed'
            WHEN u.usage_date < c.claimed_on THEN 'before_claim'
            ELSE 'claimed' END AS attribution,
       c.product AS claimed_product,
       c.claimed_on,
       a.name AS account_name,
       a.owner_node AS account_owner
FROM usage_daily u
LEFT JOIN claims c ON c.principal = u.principal
LEFT JOIN accounts a ON a.account_id = u.account_id
"""

# Over rollup rows `d` left-joined to `model_catalog mc`: the usage is not of a model (guardrails,
# unlabelled lines), or of a model with no catalog entry. Shared by the view below and by queries
# that need only this much of it (the catalog's unreviewed models), so the rule is written once.
NOT_A_MODEL_SQL = "(d.kind = 'guardrail' OR (d.model_id IS NULL AND d.billing_model IS NULL))"
UNREVIEWED_SQL = "(d.model_id IS NULL OR mc.model_id IS NULL)"

# Standing of (model, account, region, product) against the catalog, over rows `d` (kind,
# billing_model, model_id, product, account_id, region) left-joined to `model_catalog mc`. Empty
# lists mean "all". Also used for a model not yet in use (recommendations' right-sizing targets).
COMPLIANCE_SQL = f"""CASE
         WHEN {NOT_A_MODEL_SQL} THEN 'not_a_model'
         WHEN {UNREVIEWED_SQL} THEN 'unreviewed'
         WHEN mc.state = 'blocked' THEN 'blocked'
         WHEN mc.state = 'restricted'
              AND (d.product IS NULL OR NOT list_contains(mc.products, d.product)) THEN 'restricted_to_others'
         WHEN NOT (len(mc.accounts) = 0 OR list_contains(mc.accounts, d.account_id))
              OR NOT (len(mc.regions) = 0 OR list_contains(mc.regions, d.region)) THEN 'approved_elsewhere'
         ELSE 'approved'
       END"""

COMPLIANCE_VIEW = f"""
CREATE OR REPLACE TEMP VIEW usage_compliance AS
SELECT d.*, op.department, op.portfolio, op.business_unit,
       mc.state AS catalog_state,
       {COMPLIANCE_SQL} AS compliance
FROM attributed_daily d
LEFT JOIN org_products op ON op.product = d.product
LEFT JOIN model_catalog mc ON mc.model_id = d.model_id
"""


def ensure_views(store: Store) -> None:
    """Create the temp views on this connection (once per Store)."""
    if getattr(store, "_views_ready", False):
        return
    store.con.execute(ATTRIBUTED_VIEW)
    store.con.execute(COMPLIANCE_VIEW)
    store._views_ready = True


# A materialised copy of both views, for a server answering many reads between changes: the joins
# that decide each row's product and catalog standing run once per store version instead of in
# every scoped query. In an in-memory database attached to the open store, so it is shared by all
# its cursors and never written to the file.
SNAPSHOT_DB = "steward_snapshot"


def build_snapshot(store: Store) -> None:
    """Materialise attributed_daily and usage_compliance as they are now, on `store` (live views)."""
    ensure_views(store)
    store.con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SNAPSHOT_DB}")
    store.con.execute(f"CREATE OR REPLACE TABLE {SNAPSHOT_DB}.attributed_daily AS SELECT * FROM attributed_daily")
    store.con.execute(f"CREATE OR REPLACE TABLE {SNAPSHOT_DB}.usage_compliance AS SELECT * FROM usage_compliance")


def read_snapshot(store: Store) -> None:
    """Point this connection's attributed_daily and usage_compliance at the snapshot (build it first).
    For read-only work: a write on this connection would not see its own changes in them."""
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW attributed_daily AS SELECT * FROM {SNAPSHOT_DB}.attributed_daily")
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW usage_compliance AS SELECT * FROM {SNAPSHOT_DB}.usage_compliance")
    store._views_ready = True


def per_snapshot(store: Store, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """compute(), once per snapshot on a snapshot cursor (its `snapshot_memo`, which a rebuild
    replaces), and every time on any other connection. Only for values that are functions of the
    store's content, never of the caller; callers must not change what they get."""
    memo: dict[tuple[Any, ...], Any] | None = getattr(store, "snapshot_memo", None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
