"""Attribution: daily rollups joined to claims (by inference profile, tag, principal tag or principal,
from their claim date) and the org hierarchy, and each row's standing against the model catalog."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from ledger.org_schema import CLAIM_KINDS, Claim
from ledger.store import Store

T = TypeVar("T")
KIND_RANK = 1_000_000  # precedence = rank of the kind x KIND_RANK + position in the org file


def match_keys(claim: Claim) -> list[str]:
    """The map keys a tag claim's key may have in CUR: resource tags are activated cost-allocation
    tags, written `user_<key>` (non-alphanumerics as '_') in CUR 2.0's resource_tags; principal
    tags are `iamPrincipal/<key>` in `tags`, which ingest keeps without the prefix."""
    if claim.kind not in ("tag", "principal_tag"):
        return []
    key = claim.selector.split("=", 1)[0]
    if claim.kind == "principal_tag":
        return [key]
    safe = re.sub(r"[^A-Za-z0-9]", "_", key)
    return list(dict.fromkeys([f"user_{key}", f"user_{safe}", f"user_{safe.lower()}", key]))


def match_value(claim: Claim) -> str:
    """The profile ARN, or the tag's value."""
    return claim.selector.split("=", 1)[1] if claim.kind in ("tag", "principal_tag") else claim.selector


def selector_claim_row(claim: Claim, position: int) -> list:
    """The selector_claims row of a claim by profile or tag at this position of the org file."""
    precedence = CLAIM_KINDS.index(claim.kind) * KIND_RANK + position
    return [claim.kind, claim.selector, match_keys(claim), match_value(claim), claim.product, claim.claimed_by,
            claim.claimed_on, claim.note, position, precedence]

def selector_condition(claim: Claim, profile: str = "usage.profile_id") -> tuple[str, list]:
    """SQL condition and parameters for the rows a claim by profile or tag matches: `profile` names the
    row's profile column, `tags` is the alias of the row's usage_tag_sets row."""
    if claim.kind == "inference_profile":
        return f"{profile} = ?", [match_value(claim)]
    column = "resource_tags" if claim.kind == "tag" else "principal_tags"
    return (f"list_contains(list_transform(?::VARCHAR[], lambda k: tags.{column}[k]), ?)",
            [match_keys(claim), match_value(claim)])


def selector_seen(store: Store, claim: Claim) -> dict[str, tuple[date, date]]:
    """Account -> (first, last day) of the usage a claim by profile or tag matches (rollup rows)."""
    condition, params = selector_condition(claim)
    return {account: (first, last) for account, first, last in store.rows(
        f"""SELECT usage.account_id, min(usage.usage_date), max(usage.usage_date) FROM usage_daily usage
            LEFT JOIN usage_tag_sets tags ON tags.billing_period = usage.billing_period AND tags.tag_set = usage.tag_set
            WHERE {condition} GROUP BY 1""", params)}


# Which claim a rollup row falls under. Claims by inference profile, resource tag and principal tag
# (selector_claims) come first, in that order, then the claim on the row's principal; among claims
# in effect on the row's date (claimed_on <= usage_date) the lowest `precedence` wins (kind, then
# file order). A claim counts only from its claim date: earlier spend falls to the next claim that
# matches, else stays unattributed. The account's owning node decides who can see unattributed spend.
SELECTOR_MATCH_SQL = """(sel.claimed_on <= usage.usage_date AND CASE sel.kind
             WHEN 'inference_profile' THEN usage.profile_id = sel.match_value
             WHEN 'tag' THEN list_contains(list_transform(sel.match_keys, lambda k: usage.resource_tags[k]), sel.match_value)
             ELSE list_contains(list_transform(sel.match_keys, lambda k: usage.principal_tags[k]), sel.match_value)
           END)"""

ATTRIBUTED_VIEW = f"""
CREATE OR REPLACE TEMP VIEW attributed_daily AS
WITH tagged AS MATERIALIZED (
    -- A rollup row's tags are its set's (usage_tag_sets, one row per set and period). The row number
    -- (not rowid: usage_daily may be a view, as in bench/tools.py) is computed once, as the CTE is
    -- materialised, so both uses below see the same numbering.
    SELECT row_number() OVER () AS rid, usage.*, tags.resource_tags, tags.principal_tags
    FROM usage_daily usage
    LEFT JOIN usage_tag_sets tags ON tags.billing_period = usage.billing_period AND tags.tag_set = usage.tag_set
), matched AS (
    -- A join then a group, not a subquery per row: 5x faster on 40k rollup rows (one claim).
    SELECT usage.rid, min(sel.precedence) AS won
    FROM tagged usage JOIN selector_claims sel ON {SELECTOR_MATCH_SQL}
    GROUP BY usage.rid
), ranked AS (
    SELECT usage.* EXCLUDE (rid), matched.won FROM tagged usage LEFT JOIN matched ON matched.rid = usage.rid
)
SELECT usage.* EXCLUDE (won),
       CASE WHEN sel.product IS NOT NULL THEN sel.product
            WHEN own.principal IS NOT NULL AND usage.usage_date >= own.claimed_on THEN own.product END AS product,
       CASE WHEN sel.product IS NOT NULL THEN 'claimed'
            WHEN own.principal IS NULL THEN 'unclaimed'
            WHEN usage.usage_date < own.claimed_on THEN 'before_claim'
            ELSE 'claimed' END AS attribution,
       CASE WHEN sel.product IS NOT NULL THEN sel.kind
            WHEN own.principal IS NOT NULL AND usage.usage_date >= own.claimed_on THEN 'principal' END AS attributed_by,
       CASE WHEN sel.product IS NOT NULL THEN sel.selector
            WHEN own.principal IS NOT NULL AND usage.usage_date >= own.claimed_on THEN own.principal END
           AS attributed_selector,
       own.product AS claimed_product,
       own.claimed_on,
       account.name AS account_name,
       account.owner_node AS account_owner
FROM ranked usage
LEFT JOIN selector_claims sel ON sel.precedence = usage.won
LEFT JOIN claims own ON own.principal = usage.principal
LEFT JOIN accounts account ON account.account_id = usage.account_id
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

# Over {attributed} (rows of attributed_daily) and {org_products}: each row's place in the hierarchy
# and standing against the catalog. Written once for the live view and the snapshot's table.
COMPLIANCE_SELECT = f"""
SELECT d.*, op.department, op.portfolio, op.business_unit,
       mc.state AS catalog_state,
       {COMPLIANCE_SQL} AS compliance
FROM {{attributed}} d
LEFT JOIN {{org_products}} op ON op.product = d.product
LEFT JOIN model_catalog mc ON mc.model_id = d.model_id
"""

COMPLIANCE_VIEW = "CREATE OR REPLACE TEMP VIEW usage_compliance AS " + COMPLIANCE_SELECT.format(
    attributed="attributed_daily", org_products="org_products")


def ensure_views(store: Store) -> None:
    """Make this connection's attributed_daily, usage_compliance and org_products the live views,
    unless it is reading a snapshot (ledger.snapshot: `snapshot_memo` set), whose views it keeps."""
    mode = getattr(store, "_views", None)
    if mode == "live" or (mode == "snapshot" and getattr(store, "snapshot_memo", None) is not None):
        return
    if mode == "snapshot":  # drop the temp view that shadowed the hierarchy view in `main`
        store.con.execute("DROP VIEW IF EXISTS temp.org_products")
    store.con.execute(ATTRIBUTED_VIEW)
    store.con.execute(COMPLIANCE_VIEW)
    store._views = "live"


# A materialised copy of the views, for a door answering many reads between changes: the joins
# that decide each row's product and catalog standing run once per store version instead of in
# every scoped query. In an in-memory database attached to the open store, so it is shared by all
# its cursors and never written to the file. ledger.snapshot decides when to build and use it.
SNAPSHOT_DB = "steward_snapshot"


def build_snapshot(store: Store, name: str = SNAPSHOT_DB,
                   version: Callable[[Store], int] | None = None) -> int | None:
    """Materialise attributed_daily, usage_compliance and org_products as they are now into the
    attached database `name`, in one transaction on `store` (a connection of its own: a reader
    sees all three tables old or all three new). Returns version(store) read just before that
    transaction began: the tables are of that store version or a later one, never an earlier one
    (a version counter moves only after its change committed, see ledger.versions)."""
    ensure_views(store)
    store.con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {name}")
    built = version(store) if version is not None else None
    store.con.execute("BEGIN TRANSACTION")
    try:
        store.con.execute(f"CREATE OR REPLACE TABLE {name}.org_products AS SELECT * FROM org_products")
        store.con.execute(f"CREATE OR REPLACE TABLE {name}.attributed_daily AS SELECT * FROM attributed_daily")
        # From the tables just made, not the views: the attribution joins run once, not twice.
        store.con.execute(f"CREATE OR REPLACE TABLE {name}.usage_compliance AS " + COMPLIANCE_SELECT.format(
            attributed=f"{name}.attributed_daily", org_products=f"{name}.org_products"))
    except BaseException:
        store.con.execute("ROLLBACK")
        raise
    store.con.execute("COMMIT")
    return built


def read_snapshot(store: Store, name: str = SNAPSHOT_DB) -> None:
    """Point this connection's attributed_daily, usage_compliance and org_products at the snapshot (build it first).
    For read-only work: a write on this connection would not see its own changes in them."""
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW attributed_daily AS SELECT * FROM {name}.attributed_daily")
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW usage_compliance AS SELECT * FROM {name}.usage_compliance")
    # The hierarchy view (a recursive walk of org_nodes); a temp view comes first in DuckDB's search path.
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW org_products AS SELECT * FROM {name}.org_products")
    store._views = "snapshot"


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
