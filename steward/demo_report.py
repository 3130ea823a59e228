"""What `steward demo` shows: for a few people of each persona, what Steward would tell them."""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from ledger.attribution import ensure_views
from ledger.store import Store


def _money(v: float | None) -> str:
    return "-" if v is None else f"${v:,.2f}"


def _people(store: Store, persona: str, limit: int) -> list[tuple[str, str]]:
    return store.rows(
        """SELECT DISTINCT p.email, coalesce(p.name, p.email), p.position FROM people p
           JOIN person_roles r ON r.email = p.email WHERE r.persona = ? ORDER BY p.position LIMIT ?""",
        [persona, limit],
    )


def _nodes(store: Store, email: str, persona: str) -> list[str]:
    return [r[0] for r in store.rows(
        "SELECT node_name FROM person_roles WHERE email = ? AND persona = ? AND node_name IS NOT NULL",
        [email, persona])]


def _products_under(store: Store, nodes: list[str]) -> list[str]:
    return [r[0] for r in store.rows(
        """SELECT product FROM org_products WHERE product IN (SELECT unnest(?::VARCHAR[]))
           OR department IN (SELECT unnest(?::VARCHAR[])) OR portfolio IN (SELECT unnest(?::VARCHAR[]))
           OR business_unit IN (SELECT unnest(?::VARCHAR[])) ORDER BY product""",
        [nodes, nodes, nodes, nodes])]


def product_owner_panel(store: Store, email: str, name: str, today: date, month: str, through: date) -> Panel:
    products = _products_under(store, _nodes(store, email, "product_owner"))
    first = date.fromisoformat(month + "-01")
    days_in_month = ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - first).days
    remaining = max(days_in_month - through.day, 0) if through.strftime("%Y-%m") == month else 0
    table = Table(box=None)
    for col in ("product", "month to date", "estimate", "used", "forecast (7-day run-rate)", "vs estimate"):
        table.add_column(col, justify="left" if col == "product" else "right")
    for product in products:
        mtd, last7 = store.rows(
            """SELECT coalesce(sum(unblended_cost), 0),
                      coalesce(sum(unblended_cost) FILTER (WHERE usage_date > ?::DATE - 7), 0) / 7
               FROM attributed_daily WHERE product = ? AND billing_period = ? AND charge_class = 'usage'""",
            [through, product, month],
        )[0]
        est = store.scalar("SELECT usd FROM estimates WHERE product = ? AND month = ?", [product, month])
        forecast = mtd + last7 * remaining
        used = f"{mtd / est:.0%}" if est else "no estimate"
        delta = "-" if not est else (
            f"[red]over by {_money(forecast - est)}[/]" if forecast > est else f"[green]{_money(est - forecast)} headroom[/]")
        table.add_row(product, _money(mtd), _money(est), used, _money(forecast), delta)
    return Panel(table, title=f"Product Owner {name} <{email}>: am I within my estimate this month?")


def portfolio_manager_panel(store: Store, email: str, name: str, month: str) -> Panel:
    nodes = _nodes(store, email, "portfolio_manager")
    products = _products_under(store, nodes)
    top = store.rows(
        """SELECT product, sum(unblended_cost) AS cost FROM attributed_daily
           WHERE product IN (SELECT unnest(?::VARCHAR[])) AND billing_period = ? AND charge_class = 'usage'
           GROUP BY product ORDER BY cost DESC LIMIT 5""",
        [products, month],
    )
    table = Table(box=None)
    table.add_column("product")
    table.add_column("this month", justify="right")
    for product, cost in top:
        table.add_row(product, _money(cost))
    # Unattributed spend in accounts owned by one of this manager's nodes or anything below them.
    unattributed = store.rows(
        """SELECT principal, attribution, sum(unblended_cost) AS cost FROM attributed_daily
           WHERE attribution <> 'claimed' AND billing_period = ? AND charge_class = 'usage'
             AND account_owner IN (SELECT unnest(?::VARCHAR[])
                                   UNION SELECT department FROM org_products WHERE portfolio IN (SELECT unnest(?::VARCHAR[]))
                                   UNION SELECT product FROM org_products WHERE portfolio IN (SELECT unnest(?::VARCHAR[])))
           GROUP BY ALL ORDER BY cost DESC""",
        [month, nodes, nodes, nodes],
    )
    total = sum(r[2] for r in unattributed)
    note = (f"\nUnattributed in your accounts: {_money(total)} across {len(unattributed)} principal(s)"
            + "".join(f"\n  {p} ({a.replace('_', ' ')}): {_money(c)}" for p, a, c in unattributed[:5]))
    return Panel(_group(table, note),
                 title=f"Portfolio Manager {name} <{email}>: which of my products spends most?")


def _group(*items: object):  # noqa: ANN202 - rich renderable
    from rich.console import Group

    return Group(*items)


def finops_lead_panel(store: Store, email: str, name: str, month: str) -> Panel:
    drift = store.rows(
        """SELECT coalesce(model_id, billing_model) AS model, compliance, principal,
                  coalesce(product, 'unclaimed') AS product, account_id, region,
                  sum(tokens) AS tokens, sum(unblended_cost) AS cost
           FROM usage_compliance
           WHERE billing_period = ? AND charge_class = 'usage'
             AND compliance NOT IN ('approved', 'not_a_model')
           GROUP BY ALL ORDER BY cost DESC""",
        [month],
    )
    table = Table(box=None)
    for col in ("model", "why", "principal", "product", "account", "region", "tokens", "cost"):
        table.add_column(col, justify="right" if col in ("tokens", "cost") else "left")
    for model, why, principal, product, account, region, tokens, cost in drift:
        table.add_row(model, why.replace("_", " "), principal.split(":")[-1], product, account, region,
                      f"{tokens or 0:,.0f}", _money(cost))
    total_unattr = store.scalar(
        """SELECT coalesce(sum(unblended_cost), 0) FROM attributed_daily
           WHERE attribution <> 'claimed' AND billing_period = ? AND charge_class = 'usage'""", [month])
    total = store.scalar(
        "SELECT coalesce(sum(unblended_cost), 0) FROM usage_daily WHERE billing_period = ? AND charge_class = 'usage'",
        [month])
    note = f"\nOrg Bedrock usage this month: {_money(total)}; unattributed: {_money(total_unattr)}."
    return Panel(_group(table, note), title=f"FinOps Lead {name} <{email}>: are we using unapproved models?")


def cloud_engineer_panel(store: Store, email: str, name: str) -> Panel:
    open_tasks = store.scalar("SELECT count(*) FROM engineer_tasks WHERE status = 'open'")
    catalog = store.rows("SELECT state, count(*) FROM model_catalog GROUP BY state ORDER BY state")
    text = f"{open_tasks} open task(s). Catalog: " + ", ".join(f"{n} {s}" for s, n in catalog)
    return Panel(text, title=f"Cloud Engineer {name} <{email}>: what do I need to implement?")


def print_report(console: Console, store: Store, today: date) -> None:
    ensure_views(store)
    through = store.scalar("SELECT max(usage_date) FROM usage_daily WHERE charge_class = 'usage'")
    if through is None:
        console.print("No Bedrock usage in the store yet.")
        return
    month = through.strftime("%Y-%m")
    console.rule(f"What Steward tells each persona ({month}, CUR data through {through:%d %b %Y})")
    for email, name, _ in _people(store, "product_owner", 3):
        console.print(product_owner_panel(store, email, name, today, month, through))
    for email, name, _ in _people(store, "portfolio_manager", 2):
        console.print(portfolio_manager_panel(store, email, name, month))
    for email, name, _ in _people(store, "finops_lead", 1):
        console.print(finops_lead_panel(store, email, name, month))
    for email, name, _ in _people(store, "cloud_engineer", 1):
        console.print(cloud_engineer_panel(store, email, name))
