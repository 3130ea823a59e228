"""A small org and CUR slice whose figures tests recompute independently from ROWS.

Today is 2026-11-21; CUR data runs 2026-10-01 .. 2026-11-20.

  Retail > Digital > Payments > Checkout, Fraud          (account 111111111111, owner Payments)
  Retail > Digital > Mobile > App
  Corporate > People > HR Tech > HR Portal               (account 222222222222, owner People)
                                                         (account 333333333333, owner Corporate)
People: maria (PO Checkout + Fraud), hana (PO HR Portal), priya (PM Digital),
        lead (FinOps Lead), eng (Cloud Engineer), omar (PO App).
Principals: checkout/fraud/hr roles claimed from 2026-10-01; app role claimed 2026-11-10
(its earlier spend is unattributed); 'stray' role in 111111111111 unclaimed; 'lab' role in
333333333333 unclaimed; alice (IAM user, 222222222222) unclaimed.
Catalog: Sonnet 4.6 approved in 111111111111 + 222222222222, us-east-1 only; Haiku approved
everywhere; Llama 3 70B blocked; Llama 3.1 405B restricted to Fraud; Opus 4.6 unreviewed.
Drift: checkout uses Opus (unreviewed); app uses Llama 405B (restricted to Fraud); hr uses Sonnet
in us-west-2 (approved elsewhere); lab (unclaimed) uses Llama 3 70B (blocked).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests import curfile
from tests.curfile import line

TODAY = date(2026, 11, 21)
A1, A2, A3 = "111111111111", "222222222222", "333333333333"


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def session(account: str, name: str, s: str = "s1") -> str:
    return f"arn:aws:sts::{account}:assumed-role/{name}/{s}"


CHECKOUT, FRAUD, APP, HR = role(A1, "checkout-bedrock"), role(A1, "fraud-bedrock"), role(A1, "app-bedrock"), role(A2, "hr-bedrock")
STRAY, LAB, ALICE = role(A1, "stray-bedrock"), role(A3, "lab-bedrock"), f"arn:aws:iam::{A2}:user/alice"

SONNET = "anthropic.claude-sonnet-4-6"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
OPUS = "anthropic.claude-opus-4-6-v1"
LLAMA70 = "meta.llama3-70b-instruct-v1:0"
LLAMA405 = "meta.llama3-1-405b-instruct-v1:0"

# (principal, account, region prefix, billing name, model id, kind, K tokens per day, $ per 1K)
STREAMS = [
    (CHECKOUT, A1, "USE1", "Claude4.6Sonnet", SONNET, "input", 2000, 0.003),
    (CHECKOUT, A1, "USE1", "Claude4.6Sonnet", SONNET, "output", 400, 0.015),
    (CHECKOUT, A1, "USE1", "Claude4.6Sonnet", SONNET, "cache-read-input-token-count", 500, 0.0003),
    (CHECKOUT, A1, "USE1", "Claude4.6Sonnet", SONNET, "cache-write-input-token-count", 100, 0.00375),
    (FRAUD, A1, "USE1", "Claude3Haiku", HAIKU, "input", 4000, 0.00025),
    (FRAUD, A1, "USE1", "Claude3Haiku", HAIKU, "output", 800, 0.00125),
    (FRAUD, A1, "USE1", "Llama3-1-405B", LLAMA405, "input", 100, 0.0024),
    (APP, A1, "USE1", "Claude3Haiku", HAIKU, "input", 1000, 0.00025),
    (HR, A2, "USE1", "Claude4.6Sonnet", SONNET, "input", 3000, 0.003),
    (HR, A2, "USE1", "Claude4.6Sonnet", SONNET, "output", 600, 0.015),
    (STRAY, A1, "USE1", "Claude3Haiku", HAIKU, "input", 800, 0.00025),
    (ALICE, A2, "USE1", "Claude3Haiku", HAIKU, "output", 50, 0.00125),
]
# Drift, current month only (2026-11-01 .. 2026-11-20)
DRIFT_STREAMS = [
    (CHECKOUT, A1, "USE1", "Claude4.6Opus", OPUS, "output", 200, 0.025),
    (APP, A1, "USE1", "Llama3-1-405B", LLAMA405, "input", 300, 0.0024),
    (HR, A2, "USW2", "Claude4.6Sonnet", SONNET, "input", 1000, 0.003),
    (LAB, A3, "USE1", "Llama3-70B", LLAMA70, "input", 50, 0.00265),
]
KIND = {"input": "input", "output": "output", "cache-read-input-token-count": "cache_read",
        "cache-write-input-token-count": "cache_write"}
CLAIMED_ON = {CHECKOUT: date(2026, 10, 1), FRAUD: date(2026, 10, 1), HR: date(2026, 10, 1), APP: date(2026, 11, 10)}
PRODUCT_OF = {CHECKOUT: "Checkout", FRAUD: "Fraud", HR: "HR Portal", APP: "App"}
SPIKE_DAY = date(2026, 11, 12)  # Fraud's Haiku input is 6x on this day


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def build_rows() -> list[dict]:
    """One row per stream-day. Amounts vary by day so that windows differ."""
    rows: list[dict] = []
    for day in _days(date(2026, 10, 1), TODAY):
        factor = 1.0 + (day.day % 5) * 0.1  # 1.0 .. 1.4
        streams = STREAMS + (DRIFT_STREAMS if day >= date(2026, 11, 1) else [])
        for principal, account, prefix, billing, _model, kind, ktok, price in streams:
            amount = ktok * factor
            if principal == FRAUD and billing == "Claude3Haiku" and kind == "input" and day == SPIKE_DAY:
                amount *= 6
            ut = f"{prefix}-{billing}-{kind}" + ("-tokens" if kind in ("input", "output") else "")
            sess = principal.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/sess" \
                if ":role/" in principal else principal
            rows.append(line(day.isoformat(), ut, amount, round(amount * price, 6), sess, account=account))
    # One credit in November, not usage.
    rows.append(line("2026-11-05", "USE1-Claude4.6Sonnet-input-tokens", 0, -10.0, None, account=A1, item_type="Credit"))
    return rows


ROWS = build_rows()


def usage_rows() -> list[dict]:
    return [r for r in ROWS if r["line_item_line_item_type"] == "Usage"]


def principal_of(r: dict) -> str:
    p = r["line_item_iam_principal"] or "unknown"
    if ":assumed-role/" in p:
        acct = p.split(":")[4]
        name = p.split("/")[1]
        return role(acct, name)
    return p


def product_of(r: dict) -> str | None:
    """Independent attribution: claimed principal and usage on/after the claim date."""
    p = principal_of(r)
    if p in CLAIMED_ON and r["line_item_usage_start_date"].date() >= CLAIMED_ON[p]:
        return PRODUCT_OF[p]
    return None


ORG_YAML = f"""
accounts:
  - {{id: "{A1}", name: retail-prod, owner: Payments}}
  - {{id: "{A2}", name: people-prod, owner: People}}
  - {{id: "{A3}", name: corp-lab, owner: Corporate}}
business_units:
  - name: Retail
    portfolios:
      - name: Digital
        departments:
          - name: Payments
            products: [{{name: Checkout}}, {{name: Fraud}}]
          - name: Mobile
            products: [{{name: App}}]
  - name: Corporate
    portfolios:
      - name: People
        departments:
          - name: HR Tech
            products: [{{name: HR Portal}}]
people:
  - {{email: maria@example.com, name: Maria Lopez, slack_id: U0MARIA01, roles: [{{persona: product_owner, products: [Checkout, Fraud]}}]}}
  - {{email: hana@example.com, name: Hana Kim, slack_id: U0HANA001, roles: [{{persona: product_owner, products: [HR Portal]}}]}}
  - {{email: omar@example.com, name: Omar Diaz, slack_id: U0OMAR001, roles: [{{persona: product_owner, products: [App]}}]}}
  - {{email: priya@example.com, name: Priya Shah, slack_id: U0PRIYA01, roles: [{{persona: portfolio_manager, portfolios: [Digital]}}]}}
  - {{email: lead@example.com, name: Lee Adams, slack_id: U0LEAD001, roles: [{{persona: finops_lead}}]}}
  - {{email: eng@example.com, name: Eng Ops, slack_id: U0ENG0001, roles: [{{persona: cloud_engineer}}]}}
claims:
  - {{principal: "{CHECKOUT}", product: Checkout, claimed_by: maria@example.com, claimed_on: 2026-10-01}}
  - {{principal: "{FRAUD}", product: Fraud, claimed_by: maria@example.com, claimed_on: 2026-10-01}}
  - {{principal: "{HR}", product: HR Portal, claimed_by: hana@example.com, claimed_on: 2026-10-01}}
  - {{principal: "{APP}", product: App, claimed_by: omar@example.com, claimed_on: 2026-11-10}}
estimates:
  - {{product: Checkout, month: "2026-11", usd: 300, input_tokens: 60000000, output_tokens: 6000000}}
  - {{product: Fraud, month: "2026-11", usd: 200}}
  - {{product: HR Portal, month: "2026-11", usd: 900}}
  - {{product: Checkout, month: "2026-10", usd: 400}}
models:
  - {{id: {SONNET}, state: approved, accounts: ["{A1}", "{A2}"], regions: [us-east-1], action_scope: inference_only, rationale: "General purpose, prod accounts", decided_by: lead@example.com, decided_on: 2026-09-15}}
  - {{id: "{HAIKU}", state: approved, accounts: [], regions: [], action_scope: agentic_read_only, rationale: "Cheap default", decided_by: lead@example.com, decided_on: 2026-09-15}}
  - {{id: "{LLAMA70}", state: blocked, accounts: [], regions: [], action_scope: inference_only, rationale: "Superseded", decided_by: lead@example.com}}
  - {{id: "{LLAMA405}", state: restricted, products: [Fraud], accounts: [], regions: [], action_scope: inference_only, rationale: "Fraud research only", decided_by: lead@example.com}}
"""


def build_store(tmp: Path):
    """Write the CUR slice, ingest it, apply the org; returns the open Store."""
    from ledger import org_apply, org_parse
    from ledger.ingest import ingest
    from ledger.store import Store

    oct_rows = [r for r in ROWS if r["bill_billing_period_start_date"].month == 10]
    nov_rows = [r for r in ROWS if r["bill_billing_period_start_date"].month == 11]
    curfile.write(curfile.export_path(tmp, "2026-10"), oct_rows)
    curfile.write(curfile.export_path(tmp, "2026-11"), nov_rows)
    store = Store(tmp / "steward.duckdb")
    ingest(store, [str(tmp / "cur")], actor="test")
    org_file = tmp / "org.yaml"
    org_file.write_text(ORG_YAML)
    org_apply.apply_org(store, org_parse.load_org_file(org_file), actor="test")
    return store


def with_products(store, tmp: Path, department_products: str, *, old: str = "products: [{name: Checkout}, "
                  "{name: Fraud}]") -> None:
    """Re-apply the org with the Payments department's products list (or the text `old`) replaced."""
    from ledger import org_apply, org_parse

    path = tmp / "org.yaml"
    new = f"products: [{department_products}]" if old.startswith("products:") else department_products
    path.write_text(ORG_YAML.replace(old, new))
    org_apply.apply_org(store, org_parse.load_org_file(path), actor="test")


# --- independent helpers over ROWS (plain Python; tests compare the tools with these) ---

def day(r: dict) -> date:
    return r["line_item_usage_start_date"].date()


def kind(r: dict) -> str:
    """Token kind from the usage type, read independently of the ingester's grammar."""
    ut = r["line_item_usage_type"]
    for marker, k in (("cache-read", "cache_read"), ("cache-write", "cache_write"), ("input", "input"),
                      ("output", "output")):
        if marker in ut:
            return k
    return "other"
