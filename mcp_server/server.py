"""The MCP server: the tools registry as MCP tools, scoped to one caller per request.

    server = build_server(store, contexts, email="maria@example.com")   # stdio / in-memory
    server = build_server(store, contexts, token_verifier=v, auth=a)    # HTTP: caller from the token

`contexts(cursor, email) -> ToolContext` is built by the composition root (steward.wiring).
Modules: access (cursors, result cache), deny (caller and default deny), tool_handlers, resources,
prompts; this one assembles them.

- Tools are generated from tools.toolset (one generic handler per tool): input schema from the
  pydantic args, output schema and structured content from the pydantic result, annotations from
  the action scope. `ask` runs the agent and returns its Answer.
- Default deny (`DefaultDeny` middleware): each request resolves the caller from the registry
  (from the bearer token over HTTP, from local config over stdio) and their MCP grants. The tool
  list holds read tools, plus write / agentic tools only when the persona allows them and a FinOps
  Lead granted that scope. Calling any tool not in the caller's list, hidden or unknown, is the
  same protocol error: INVALID_PARAMS "Unknown tool: <name>".
- Errors the model can fix (tools.errors.ToolError) come back as tool results with is_error=True
  and the message; other Steward errors are protocol errors.
- DuckDB: each request works on its own cursor of the one open store, in a worker thread; write and
  agentic calls are serialised by a lock (each is one transaction with its audit entry).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.caching import CacheHint
from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus

from agent.config import AgentConfig
from ledger.store import Store
from mcp_server.access import ResultCache, StoreAccess
from mcp_server.changes import GrantWatch, advertise_list_changed
from mcp_server.deny import ASK, ContextFactory, DefaultDeny, ServerState
from mcp_server.prompts import add_prompts
from mcp_server.resources import add_resources, policy_resources
from mcp_server.tool_handlers import WRITE_HINTS, ask_tool, registry_tool
from tools import toolset

__all__ = ["ASK", "WRITE_HINTS", "ContextFactory", "StoreAccess", "build_server"]

SERVER_NAME = "bedrock-steward"
INSTRUCTIONS = (
    "Bedrock Steward answers who spends what on Amazon Bedrock, against which estimate, on which "
    "models, and whether those models are approved. Every tool is already scoped to the person you "
    "act for: never pass identities. Figures are USD unblended usage cost (credits, refunds and taxes "
    "apart) unless a tool says otherwise; spend counts for a product from its claim's date. Periods: "
    "`month` (YYYY-MM; default this month) or a `start`/`end` window whose end is exclusive. Optional "
    "arguments may be left out. Use `ask` for a question in plain language, or call the tools directly. "
    "Write tools appear only after a FinOps Lead grants them; nothing here changes AWS: decisions create "
    "tasks for a Cloud Engineer."
)
# Tool lists differ per caller and change when a grant does: clients must not reuse them.
NO_CACHE = {m: CacheHint(ttl_ms=0, scope="private")
            for m in ("tools/list", "resources/list", "resources/templates/list", "resources/read", "prompts/list")}


def package_version() -> str:
    """serverInfo.version: the installed bedrock-steward version."""
    try:
        return metadata.version("bedrock-steward")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def _offline() -> AgentConfig:
    return AgentConfig(mode="offline")


def build_server(store: Store | StoreAccess, contexts: ContextFactory, *, email: str | None = None,
                 agent_config: Callable[[], AgentConfig] | AgentConfig | None = None,
                 token_verifier: TokenVerifier | None = None, auth: AuthSettings | None = None,
                 registry_ttl: float = 1.0, result_cache_ttl: float = 300.0, name: str = SERVER_NAME) -> MCPServer:
    """The Steward MCP server over one open store.

    contexts: (cursor, email) -> the caller's ToolContext (steward.wiring.email_contexts; tests: a
    fixed clock). email: the caller over stdio / in memory; over HTTP the bearer token names the
    caller (token_verifier + auth). agent_config: the AgentConfig for `ask`, or a function returning
    it (resolved on first use); default offline. registry_ttl: see StoreAccess (pass a StoreAccess
    as `store` to share it, e.g. with the token verifier). result_cache_ttl: see ResultCache (0:
    every call runs the tool). Writes take the store's write lock (Store.transaction), shared by
    every cursor of the one open store in the process."""
    access = store if isinstance(store, StoreAccess) else StoreAccess(store, ttl=registry_ttl)
    access.store.ensure_schema()  # the MCP access tables, if the store was opened before they were registered
    if isinstance(agent_config, AgentConfig):
        fixed = agent_config
        agent_config = lambda: fixed  # noqa: E731
    steward = ServerState(access, contexts, email, agent_config or _offline, ResultCache(result_cache_ttl))
    bus = InMemorySubscriptionBus()
    steward.watch = GrantWatch(access, bus)
    tools = [registry_tool(steward, t) for t in toolset.all_tools()] + [ask_tool(steward)]
    server = MCPServer(name, version=package_version(), title="Bedrock Steward", instructions=INSTRUCTIONS,
                       tools=tools, token_verifier=token_verifier, auth=auth, subscriptions=bus,
                       middleware=[DefaultDeny(steward, extra_resources=policy_resources)],
                       cache_hints=NO_CACHE, log_level="WARNING")
    advertise_list_changed(server)
    server.steward = steward  # type: ignore[attr-defined]  # the HTTP app's lifespan runs steward.watch
    add_resources(server)
    add_prompts(server)
    return server
