"""MCP prompts: the monthly review of a product and the drift review, arguments checked against the caller's scope."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import Field

from ledger.months import MonthError, month_key, parse_month
from mcp_server.deny import current_view
from tools.scope import visible_product


def _check_product(product: str) -> str:
    found = visible_product(current_view().ctx.caller, product)
    if found is None:
        raise MCPError(code=INVALID_PARAMS,
                       message=f"product '{product}' is not in your scope; the my-scope resource lists yours")
    return found


def _check_month(month: str) -> str:
    month = month.strip()
    try:
        return month_key(parse_month(month)) if month else month
    except MonthError as exc:
        raise MCPError(code=INVALID_PARAMS, message=f"month: {exc}") from None


def add_prompts(server: MCPServer) -> None:
    @server.prompt(name="monthly_review", title="Monthly review for a product",
                   description="Review a product's Bedrock month: spend against estimate, where it goes, "
                               "anomalies, models outside the catalog, and savings.")
    def monthly_review(product: Annotated[str, Field(description="A product in your scope")],
                       month: Annotated[str, Field(description="YYYY-MM; default the current month")] = "") -> str:
        name, month = _check_product(product), _check_month(month)
        when = f"month {month}" if month else "the current month"
        month_arg = f', "month": "{month}"' if month else ""
        return (
            f"Prepare the monthly Bedrock review of {name} for {when}. Use the Steward tools, in this order:\n"
            f'1. estimate_status {{"product": "{name}"{month_arg}}}: actual against estimate and the month-end '
            "forecast.\n"
            f'2. spend_breakdown {{"by": "model", "product": "{name}"{month_arg}}}: where the money goes, and the '
            "change against the previous period.\n"
            f'3. anomalies {{"product": "{name}"{month_arg}}}: days well above their baseline.\n'
            f'4. model_drift {{"product": "{name}"{month_arg}}}: use of models that are not approved for it.\n'
            f'5. recommendations {{"product": "{name}"}}: savings, largest first.\n'
            "Write a short review: the headline figure (USD, with the period), what drives it, anything "
            "unusual, and the next step for the Product Owner. Quote only figures the tools returned, and "
            "say how fresh the data is (data_through)."
        )

    @server.prompt(name="drift_review", title="Drift review",
                   description="Review Bedrock use of models that are not approved where they run: blocked, "
                               "restricted to other products, unreviewed, or outside the approved accounts "
                               "and regions.")
    def drift_review(month: Annotated[str, Field(description="YYYY-MM; default the current month")] = "") -> str:
        month = _check_month(month)
        drift_args = f'{{"month": "{month}"}}' if month else "{}"
        return (
            f"Review model drift for {'month ' + month if month else 'the current month'}. Call model_drift "
            f"{drift_args}, then model_catalog {{}} for the decisions involved, and model_status for any model you "
            "need to check in a given account and region.\n"
            "For each drifting principal: the model, where it ran, the spend (USD) and why it is drift. Group "
            "them by what should happen next: request access (Product Owner), decide the model (FinOps "
            "Lead), or stop using it. Quote only figures the tools returned."
        )
