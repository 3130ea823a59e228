"""Cost per unit of value: business volumes recorded (record_metric, `steward metrics import`) and the
cost_per_unit tool, with figures recomputed from the fixture's CUR rows and the CSV in plain Python."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.store import Store
from tests.conftest import make_ctx
from tests.orgfixture import TODAY, product_of, usage_rows
from tools import toolset
from tools.errors import NotAllowed, ScopeError, ToolError
from tools.volumes import import_volumes

MARIA, HANA, PRIYA, LEAD, ENG = ("maria@example.com", "hana@example.com", "priya@example.com",
                                 "lead@example.com", "eng@example.com")
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
THROUGH = date(2026, 11, 20)  # the fixture's CUR data runs to here; TODAY is the 21st


def call(store: Store, who: str, tool: str, **args):  # noqa: ANN201 - the tool's result model
    return toolset.call(make_ctx(store, who), tool, args)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def volume_csv() -> tuple[str, dict[tuple[str, date, str], float]]:
    """Checkout: documents every day Oct 1 .. Nov 21 (the 21st is after the data); Fraud: reviews in
    October only; HR Portal none. Returns the CSV and the values it holds."""
    values: dict[tuple[str, date, str], float] = {}
    for d in days(OCT, TODAY + timedelta(days=1)):
        values[("Checkout", d, "document")] = 1000 + 10 * d.day + (d.month == 11) * 500
    for d in days(OCT, NOV):
        values[("Fraud", d, "review")] = 40 + d.day
    lines = ["product,date,metric,value"] + [f"{p},{d},{m}s,{v:g}" for (p, d, m), v in values.items()]
    return "\n".join(lines) + "\n", values


def spend(product: str, start: date, end: date) -> float:
    """The product's attributed usage cost in [start, end), from the raw fixture rows."""
    return sum(r["line_item_unblended_cost"] for r in usage_rows()
               if product_of(r) == product and start <= r["line_item_usage_start_date"].date() < end)


def volume(values: dict, product: str, metric: str, start: date, end: date) -> float:
    return sum(v for (p, d, m), v in values.items() if p == product and m == metric and start <= d < end)


def table(store: Store) -> list[tuple]:
    return store.rows("SELECT product, date, metric, value, recorded_by FROM business_volumes ORDER BY ALL")


# ------------------------------------------------------------------------------ the store


def test_an_older_store_opens_and_gains_the_volumes_table_and_per_unit_estimates(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = Store(path)
    old.con.execute("DROP TABLE business_volumes")
    old.con.execute("ALTER TABLE estimates DROP COLUMN usd_per_unit")
    old.con.execute("ALTER TABLE estimates DROP COLUMN unit")
    old.con.execute("INSERT INTO estimates VALUES ('Checkout', '2026-11', 300, NULL, NULL, 'x', NULL, 0)")
    old.close()
    reopened = Store(path)
    cols = [r[0] for r in reopened.rows("SELECT column_name FROM duckdb_columns() WHERE table_name = 'business_volumes' "
                                        "ORDER BY column_index")]
    assert cols == ["product", "date", "metric", "value", "recorded_by", "recorded_at"]
    assert reopened.rows("SELECT product, usd, unit, usd_per_unit FROM estimates") == [("Checkout", 300.0, None, None)]
    reopened.close()


# ------------------------------------------------------------------------------ import and cost per unit


def test_import_then_cost_per_unit_matches_spend_over_volume_from_the_raw_rows(fresh_org_store: Store) -> None:
    text, values = volume_csv()
    done = import_volumes(make_ctx(fresh_org_store, MARIA), text, "volumes.csv")
    assert (done.rows, done.replaced, done.products, done.metrics) == (len(values), 0, ["Checkout", "Fraud"],
                                                                       ["document", "review"])
    assert fresh_org_store.scalar("SELECT count(*) FROM business_volumes") == len(values)
    entry = fresh_org_store.rows("SELECT actor, action, subject, outcome, details FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert entry[:4] == (MARIA, "metrics.import", "volumes.csv", "ok") and f'"rows":{len(values)}' in entry[4]

    result = call(fresh_org_store, MARIA, "cost_per_unit", product="Checkout")
    [line] = result.lines
    end = THROUGH + timedelta(days=1)  # both spend and volume stop at the last day with CUR data
    now_spend, now_volume = spend("Checkout", NOV, end), volume(values, "Checkout", "document", NOV, end)
    before_spend, before_volume = spend("Checkout", OCT, NOV), volume(values, "Checkout", "document", OCT, NOV)
    assert (result.month, result.start, result.end, result.previous_month) == ("2026-11", NOV, end, "2026-10")
    assert line.spend_usd == pytest.approx(now_spend, abs=0.01)
    assert line.volume == now_volume
    assert line.usd_per_unit == pytest.approx(now_spend / now_volume, rel=1e-5)
    assert line.previous_usd_per_unit == pytest.approx(before_spend / before_volume, rel=1e-5)
    change = (now_spend / now_volume) / (before_spend / before_volume) - 1
    assert line.change_pct == pytest.approx(change, abs=1e-4)
    way = "up" if change > 0 else "down"
    assert f"per document in November, {way} {abs(change) * 100:.0f}% on October" in line.summary


def test_spend_with_no_volume_says_so_instead_of_dividing(fresh_org_store: Store) -> None:
    text, _ = volume_csv()
    import_volumes(make_ctx(fresh_org_store, MARIA), text, "volumes.csv")
    result = call(fresh_org_store, MARIA, "cost_per_unit")  # both of Maria's products, November
    fraud = next(x for x in result.lines if x.product == "Fraud")
    assert fraud.volume == 0 and fraud.usd_per_unit is None
    assert fraud.spend_usd == pytest.approx(spend("Fraud", NOV, THROUGH + timedelta(days=1)), abs=0.01)
    assert "no volume recorded" in fraud.summary
    lead = call(fresh_org_store, LEAD, "cost_per_unit")  # HR Portal and App spend, never any volume
    assert {p.product for p in lead.without_volume} == {"HR Portal", "App"}
    hr = next(p for p in lead.without_volume if p.product == "HR Portal")
    assert hr.spend_usd == pytest.approx(spend("HR Portal", NOV, THROUGH + timedelta(days=1)), abs=0.01)


def test_reimporting_replaces_values_and_never_double_counts(fresh_org_store: Store) -> None:
    ctx = make_ctx(fresh_org_store, MARIA)
    text, values = volume_csv()
    import_volumes(ctx, text, "volumes.csv")
    again = import_volumes(ctx, "product,date,metric,value\nCheckout,2026-10-05,document,7\n"
                                "checkout ,2026-10-06,Documents,8\n", "fix.csv")
    assert (again.rows, again.replaced) == (2, 2)
    assert fresh_org_store.scalar("SELECT count(*) FROM business_volumes") == len(values)
    assert fresh_org_store.rows("SELECT date, value FROM business_volumes WHERE product = 'Checkout' "
                                "AND date IN ('2026-10-05', '2026-10-06') ORDER BY date") == [
        (date(2026, 10, 5), 7.0), (date(2026, 10, 6), 8.0)]
    values[("Checkout", date(2026, 10, 5), "document")] = 7
    values[("Checkout", date(2026, 10, 6), "document")] = 8
    line = call(fresh_org_store, MARIA, "cost_per_unit", product="Checkout", month="2026-10").lines[0]
    assert line.volume == volume(values, "Checkout", "document", OCT, NOV)


BAD_FILES = {
    "unknown product": ("Checkout,2026-10-02,document,5\nNo Such Product,2026-10-03,document,5\n", 3,
                        "not in your scope"),
    "someone else's product": ("Checkout,2026-10-02,document,5\nHR Portal,2026-10-03,document,5\n", 3,
                               "'HR Portal' is not in your scope"),
    "bad date": ("Checkout,2026-10-02,document,5\nCheckout,2026-13-01,document,5\n", 3, "is not a day"),
    "future date": ("Checkout,2026-11-22,document,5\n", 2, "is in the future"),
    "not a number": ("Checkout,2026-10-02,document,five\n", 2, "is not a number"),
    "negative": ("Checkout,2026-10-02,document,5\nCheckout,2026-10-03,document,-1\n", 3, "is negative"),
    "missing value": ("Checkout,2026-10-02,document\n", 2, "expected 4 values"),
    "same day twice": ("Checkout,2026-10-02,document,5\nCheckout,2026-10-02,documents,6\n", 3, "also on line 3"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_row_imports_nothing_and_names_its_line(fresh_org_store: Store, case: str) -> None:
    ctx = make_ctx(fresh_org_store, MARIA)
    import_volumes(ctx, "product,date,metric,value\nCheckout,2026-10-01,document,100\n", "first.csv")
    before, count = table(fresh_org_store), fresh_org_store.scalar("SELECT count(*) FROM business_volumes")
    body, line_no, says = BAD_FILES[case]
    with pytest.raises(ToolError) as err:
        import_volumes(ctx, "product,date,metric,value\nCheckout,2026-10-01,document,999\n" + body, "bad.csv")
    assert f"line {line_no + 1}:" in str(err.value) and says in str(err.value)
    assert fresh_org_store.scalar("SELECT count(*) FROM business_volumes") == count == 1
    assert table(fresh_org_store) == before  # the good first line was not written either
    refused = fresh_org_store.rows("SELECT action, outcome FROM audit_log ORDER BY seq DESC LIMIT 1")
    assert refused == [("metrics.import", "refused")]


def test_a_header_is_required() -> None:
    from tools.volumes import parse_volumes_csv

    with pytest.raises(ToolError, match="line 1: the header must name the columns product,date,metric,value"):
        parse_volumes_csv("Checkout,2026-10-02,document,5\n")


# ------------------------------------------------------------------------------ record_metric and scope


def test_record_metric_respects_each_personas_scope(fresh_org_store: Store) -> None:
    s = fresh_org_store
    done = call(s, MARIA, "record_metric", product="checkout", date="2026-11-02", metric="Chats", value=40)
    assert (done.product, done.metric, done.previous_value) == ("Checkout", "chat", None)
    again = call(s, MARIA, "record_metric", product="Checkout", date="2026-11-02", metric="chat", value=45)
    assert again.previous_value == 40
    assert call(s, PRIYA, "record_metric", product="App", date="2026-11-02", metric="chat", value=3).product == "App"
    assert call(s, LEAD, "record_metric", product="HR Portal", date="2026-11-02", metric="chat", value=9).product == "HR Portal"
    with pytest.raises(ScopeError, match="not in your scope"):
        call(s, PRIYA, "record_metric", product="HR Portal", date="2026-11-02", metric="chat", value=1)
    with pytest.raises(NotAllowed):
        call(s, ENG, "record_metric", product="Checkout", date="2026-11-02", metric="chat", value=1)
    assert table(s) == [("App", date(2026, 11, 2), "chat", 3.0, PRIYA),
                        ("Checkout", date(2026, 11, 2), "chat", 45.0, MARIA),
                        ("HR Portal", date(2026, 11, 2), "chat", 9.0, LEAD)]
    writes = s.rows("SELECT actor, outcome FROM audit_log WHERE action = 'tool.record_metric' ORDER BY seq")
    assert writes == [(MARIA, "ok"), (MARIA, "ok"), (PRIYA, "ok"), (LEAD, "ok"), (PRIYA, "refused"), (ENG, "refused")]


def test_a_product_owner_cannot_record_for_someone_elses_product(fresh_org_store: Store) -> None:
    """The guard: the scope clause of tools.volumes.recordable (seen failing without it)."""
    with pytest.raises(ScopeError, match="product 'HR Portal' is not in your scope"):
        call(fresh_org_store, MARIA, "record_metric", product="HR Portal", date="2026-11-02", metric="chat", value=5)
    assert fresh_org_store.scalar("SELECT count(*) FROM business_volumes") == 0
    assert call(fresh_org_store, HANA, "cost_per_unit").lines == []  # nothing reached Hana's product


def test_cost_per_unit_is_scoped_in_the_query(fresh_org_store: Store) -> None:
    text, _ = volume_csv()
    import_volumes(make_ctx(fresh_org_store, MARIA), text, "volumes.csv")
    call(fresh_org_store, HANA, "record_metric", product="HR Portal", date="2026-11-02", metric="ticket", value=30)
    assert {x.product for x in call(fresh_org_store, HANA, "cost_per_unit").lines} == {"HR Portal"}
    assert {x.product for x in call(fresh_org_store, PRIYA, "cost_per_unit").lines} == {"Checkout", "Fraud"}
    with pytest.raises(ScopeError):
        call(fresh_org_store, HANA, "cost_per_unit", product="Checkout")


def test_record_metric_is_offered_over_mcp_only_with_a_write_grant(fresh_org_store: Store) -> None:
    from mcp_server import grants

    def offered(granted: set[str]) -> set[str]:
        ctx = replace(make_ctx(fresh_org_store, MARIA), actions=grants.allowed_actions(frozenset(granted)))
        return {t.name for t in toolset.tools_for(ctx)}

    assert "cost_per_unit" in offered(set()) and "record_metric" not in offered(set())
    assert "record_metric" in offered({"write"})
    ctx = replace(make_ctx(fresh_org_store, MARIA), actions=grants.allowed_actions(frozenset()))
    with pytest.raises(NotAllowed, match="there is no tool named 'record_metric'"):
        toolset.call(ctx, "record_metric", {"product": "Checkout", "date": "2026-11-02", "metric": "chat", "value": 1})
    assert fresh_org_store.scalar("SELECT count(*) FROM business_volumes") == 0


# ------------------------------------------------------------------------------ the CLI


def test_metrics_import_command(fresh_org_store: Store, tmp_path: Path) -> None:
    from steward.cli import app

    db = fresh_org_store.path
    fresh_org_store.close()
    good, bad = tmp_path / "v.csv", tmp_path / "bad.csv"
    good.write_text("product,date,metric,value\nCheckout,2026-11-02,document,120\nFraud,2026-11-02,review,9\n")
    bad.write_text("product,date,metric,value\nCheckout,2026-11-03,document,1\nHR Portal,2026-11-03,document,2\n")
    runner = CliRunner()
    base = ["--db", str(db), "--as-of", TODAY.isoformat(), "metrics", "import"]
    ok = runner.invoke(app, [*base, str(good), "--as", MARIA])
    assert ok.exit_code == 0, ok.output
    assert "Imported 2 volumes from v.csv" in ok.output
    refused = runner.invoke(app, [*base, str(bad), "--as", MARIA])
    assert refused.exit_code == 2
    assert "line 3: product 'HR Portal' is not in your scope" in refused.output
    assert "Nothing was imported from bad.csv" in refused.output
    with Store(db) as s:
        assert s.rows("SELECT product, value FROM business_volumes ORDER BY product") == [("Checkout", 120.0),
                                                                                          ("Fraud", 9.0)]


# ------------------------------------------------------------------------------ estimates per unit


def test_an_estimate_per_unit_is_set_compared_and_round_trips_through_the_org_file(fresh_org_store: Store) -> None:
    from ledger import org_apply, org_parse
    from ledger.org_export import export_org_yaml

    s = fresh_org_store
    text, values = volume_csv()
    import_volumes(make_ctx(s, MARIA), text, "volumes.csv")
    with pytest.raises(ToolError, match="needs both usd_per_unit"):
        call(s, MARIA, "set_estimate", product="Checkout", usd_per_unit=0.01)
    done = call(s, MARIA, "set_estimate", product="Checkout", usd_per_unit=0.01, unit="Documents")
    assert (done.usd, done.unit, done.usd_per_unit, done.previous_usd) == (300.0, "document", 0.01, 300.0)
    line = call(s, MARIA, "cost_per_unit", product="Checkout").lines[0]
    end = THROUGH + timedelta(days=1)
    actual = spend("Checkout", NOV, end) / volume(values, "Checkout", "document", NOV, end)
    assert line.estimate_usd_per_unit == 0.01
    assert line.vs_estimate_pct == pytest.approx(actual / 0.01 - 1, abs=1e-4)
    exported = export_org_yaml(s)
    assert "unit: document" in exported and "usd_per_unit: 0.01" in exported
    path = Path(s.path).parent / "exported.yaml"
    path.write_text(exported)
    again = org_apply.apply_org(s, org_parse.load_org_file(path), actor=LEAD)
    assert not again.changed  # the per-unit estimate round-trips
    assert s.rows("SELECT unit, usd_per_unit, set_by FROM estimates WHERE product = 'Checkout' AND month = '2026-11'") == [
        ("document", 0.01, MARIA)]
    with pytest.raises(ToolError, match="no estimate for 2026-12 yet"):
        call(s, MARIA, "set_estimate", product="Fraud", month="2026-12", usd_per_unit=0.2, unit="review")


def test_a_finops_lead_is_told_a_product_does_not_exist(fresh_org_store: Store) -> None:
    with pytest.raises(ToolError, match="line 3: there is no product named 'Chekout'"):
        import_volumes(make_ctx(fresh_org_store, LEAD), "product,date,metric,value\nHR Portal,2026-11-01,ticket,3\n"
                       "Chekout,2026-11-01,document,5\n", "lead.csv")
    assert fresh_org_store.scalar("SELECT count(*) FROM business_volumes") == 0


def test_record_metric_and_cost_per_unit_from_steward_tools_call(fresh_org_store: Store) -> None:
    from steward.cli import app

    db = fresh_org_store.path
    fresh_org_store.close()
    runner = CliRunner()
    base = ["--db", str(db), "--as-of", TODAY.isoformat(), "tools", "call"]
    done = runner.invoke(app, [*base, "record_metric", "product=Checkout", "date=2026-11-02", "metric=documents",
                               "value=1500", "--as", MARIA, "--json"])
    assert done.exit_code == 0, done.output
    assert '"metric": "document"' in done.output and '"value": 1500.0' in done.output
    refused = runner.invoke(app, [*base, "record_metric", "product=HR Portal", "date=2026-11-02", "metric=chat",
                                  "value=1", "--as", MARIA])
    assert refused.exit_code != 0 and "not in your scope" in refused.output
    read = runner.invoke(app, [*base, "cost_per_unit", "product=Checkout", "--as", MARIA, "--json"])
    assert read.exit_code == 0 and '"volume": 1500.0' in read.output
