"""MCP resources: the model catalog, the caller's scope, and generated IAM policies per product."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from mcp_types import Resource as McpResource

from mcp_server.deny import IAM_URI, CallerView, current_view
from tools import toolset
from tools.errors import ToolError
from tools.scope import policy_products


def _json_of(view: CallerView, tool: str, args: dict[str, Any]) -> str:
    try:
        return toolset.call(view.ctx, tool, args).model_dump_json(indent=2)
    except ToolError as exc:
        raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None


def _iam_available() -> bool:
    return toolset.get("iam_policy") is not None


def _policy_products(view: CallerView) -> list[str]:
    return policy_products(view.ctx) if "iam_policy" in view.tools else []


def policy_resources(view: CallerView) -> list[dict[str, Any]]:
    return [McpResource(uri=f"{IAM_URI}{p}", name=f"iam-policy-{p}", title=f"IAM policies for {p}",
                        description=f"The Steward-Bedrock role policies generated for {p}'s claimed roles.",
                        mime_type="application/json").model_dump(mode="json", by_alias=True, exclude_none=True)
            for p in _policy_products(view)]


async def _in_thread(fn: Callable[..., str], *args: Any) -> str:
    return await anyio.to_thread.run_sync(partial(fn, current_view(), *args))


def add_resources(server: MCPServer) -> None:
    @server.resource("steward://catalog", name="catalog", title="Bedrock model catalog",
                     description="Every catalog decision (approved, restricted, blocked) and the models "
                                 "seen without one, as your persona may see them.",
                     mime_type="application/json")
    async def catalog() -> str:
        return await _in_thread(_json_of, "model_catalog", {})

    @server.resource("steward://my-scope", name="my-scope", title="My slice of the org",
                     description="Who you are to Steward: personas, products and accounts you see, data freshness.",
                     mime_type="application/json")
    async def my_scope() -> str:
        return await _in_thread(_json_of, "my_scope", {})

    if _iam_available():
        @server.resource(IAM_URI + "{product}", name="iam-policy", title="Generated IAM policies",
                         description="The Steward-Bedrock inline policy and put-role-policy command for each "
                                     "claimed role of a product (your own products).",
                         mime_type="application/json")
        async def iam_policy(product: str) -> str:
            if "iam_policy" not in current_view().tools:
                raise MCPError(code=INVALID_PARAMS, message="generated IAM policies are for Product Owners, "
                                                            "Cloud Engineers and FinOps Leads")
            return await _in_thread(_json_of, "iam_policy", {"product": product})
