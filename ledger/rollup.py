"""Daily rollups (day x account x region x principal x model x kind x profile x tag set), rebuilt per
billing period. The profile and tag set stay because claims may name them (ledger.attribution)."""

from __future__ import annotations

from ledger.store import Store

_GROUP = """billing_period, usage_date, account_id, region, principal, billing_model, model_id,
            model_family, kind, tier, routing, charge_class"""
# contains(), not LIKE '%...%': the same test, a third cheaper on every row of the period.
_PROFILE = "CASE WHEN contains(resource_id, ':application-inference-profile/') THEN resource_id END"


def rebuild(store: Store, periods: list[str]) -> None:
    """Replace the rollup rows of these periods from the raw rows, in the caller's transaction."""
    with store.transaction() as con:
        for period in periods:
            con.execute("DELETE FROM usage_daily WHERE billing_period = ?", [period])
            con.execute(
                f"""INSERT INTO usage_daily ({_GROUP}, tokens, usage_amount, unblended_cost,
                                             net_unblended_cost, line_items, profile_id, tag_set)
                    SELECT {_GROUP}, sum(tokens), sum(usage_amount), sum(unblended_cost),
                           sum(net_unblended_cost), count(*), {_PROFILE} AS profile, tag_set
                    FROM bedrock_usage WHERE billing_period = ?
                    GROUP BY {_GROUP}, profile, tag_set""",
                [period],
            )


def rebuild_all(store: Store) -> list[str]:
    periods = [r[0] for r in store.rows("SELECT DISTINCT billing_period FROM bedrock_usage ORDER BY 1")]
    rebuild(store, periods)
    return periods


# usage_daily shadowed by the raw CUR rows (one rollup row per line item): the same answers from raw rows,
# for tests and bench/tools.py to compare with the rollup's.
RAW_ROWS_AS_ROLLUP = """
CREATE OR REPLACE TEMP VIEW usage_daily AS
SELECT billing_period, usage_date, account_id, region, principal, billing_model, model_id, model_family,
       kind, tier, routing, charge_class, tokens, usage_amount, unblended_cost, net_unblended_cost,
       1::BIGINT AS line_items,
       CASE WHEN resource_id LIKE '%:application-inference-profile/%' THEN resource_id END AS profile_id,
       tag_set
FROM main.bedrock_usage
"""
