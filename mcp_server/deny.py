"""Default deny: who is calling (token or --as), their grants, and the tools, resources and templates they may see."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, INVALID_REQUEST
from mcp_types import Resource as McpResource
from pydantic import BaseModel, ValidationError

import ledger.access
from agent.config import AgentConfig
from ledger.errors import StewardError
from ledger.store import Store
from mcp_server import grants
from mcp_server.access import ResultCache, StoreAccess
from mcp_server.changes import GrantWatch
from tools import toolset
from tools.context import ToolContext

ContextFactory = Callable[[Store, str], ToolContext]
"""(a store cursor, the caller's email) -> the ToolContext tools receive (caller resolved)."""

ASK = "ask"
IAM_URI = "steward://iam-policy/"
LISTS = ("tools/list", "resources/list", "resources/templates/list", "prompts/list")
ATTACHED = ("tools/list", "tools/call", "resources/list", "resources/read", "resources/templates/list",
            "prompts/list", "prompts/get")


@dataclass(frozen=True)
class CallerView:
    """One request's caller: their ToolContext (on the request's own cursor) and MCP grants."""

    ctx: ToolContext
    granted: frozenset[str]
    tools: dict[str, toolset.Tool]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.tools) | {ASK}

    def on(self, cur: Store) -> CallerView:
        return replace(self, ctx=replace(self.ctx, store=cur))


_view: contextvars.ContextVar[CallerView | None] = contextvars.ContextVar("steward_mcp_caller", default=None)


def current_view() -> CallerView:
    view = _view.get()
    if view is None:  # only reachable if the gate was bypassed
        raise MCPError(code=INVALID_REQUEST, message="no caller for this request")
    return view


def unknown_tool(name: object) -> MCPError:
    """The one error for a tool this caller cannot see, whether it is hidden or does not exist."""
    return MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {name}")


class ServerState:
    """What the handlers share: the store access, how to build a caller's context, and resolved
    callers remembered per registry version (resolving takes several queries)."""

    def __init__(self, access: StoreAccess, factory: ContextFactory, email: str | None,
                 agent_config: Callable[[], AgentConfig], results: ResultCache) -> None:
        self.access = access
        self.results = results
        self.factory = factory
        self.email = email.strip().lower() if email else None
        self.agent_config = agent_config
        self.watch: GrantWatch | None = None  # set by build_server: who to tell when grants change
        self._views: dict[str, tuple[tuple[int, date], CallerView]] = {}

    def identity(self) -> str:
        token = get_access_token()
        if token is not None and token.subject:
            return token.subject
        if self.email:
            return self.email
        raise MCPError(code=INVALID_REQUEST, message="no caller: use a bearer token (HTTP) or --as EMAIL (stdio)")

    def resolve(self, cur: Store, email: str) -> CallerView:
        """Runs in a worker thread on the request's cursor."""
        ctx = self.factory(cur, email)
        if ctx.caller.channel != "mcp":
            ctx = ctx.with_caller(ctx.caller.model_copy(update={"channel": "mcp"}))
        granted = ledger.access.active_scopes(cur, ctx.caller.email)
        # Default deny travels with the context: the `ask` agent is offered, and toolset.call
        # accepts, only the action scopes granted here.
        ctx = replace(ctx, actions=grants.allowed_actions(granted))
        return CallerView(ctx=ctx, granted=granted, tools={t.name: t for t in toolset.tools_for(ctx)})

    async def view_for(self, email: str, cur: Store) -> CallerView:
        key = (self.access.version(), date.today())
        hit = self._views.get(email)
        if hit is not None and hit[0] == key:
            return hit[1].on(cur)
        view = await anyio.to_thread.run_sync(self.resolve, cur, email)
        self._views[email] = (key, view)
        return view


class DefaultDeny:
    """ServerMiddleware: resolves the caller for each request and hides what they may not call."""

    def __init__(self, steward: ServerState, extra_resources: Callable[[CallerView], list[dict[str, Any]]]) -> None:
        self.steward = steward
        self.extra_resources = extra_resources

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method not in ATTACHED:
            return await call_next(ctx)
        if ctx.method in LISTS and (ctx.params or {}).get("cursor") is not None:
            raise MCPError(code=INVALID_PARAMS, message="invalid cursor: Steward returns every item in one page "
                                                        "and never gives a nextCursor; list again without a cursor")
        email = self.steward.identity()
        cur = self.steward.access.acquire()
        try:
            try:
                view = await self.steward.view_for(email, cur)
            except StewardError as exc:  # e.g. the person left the registry
                raise MCPError(code=INVALID_REQUEST, message=str(exc)) from None
            if self.steward.watch is not None:
                self.steward.watch.seen(email, getattr(ctx, "session", None), view.granted)
            if ctx.method == "tools/call":
                name = (ctx.params or {}).get("name")
                if name not in view.names:
                    raise unknown_tool(name)
            token = _view.set(view)
            try:
                result = await call_next(ctx)
            except MCPError:
                raise
            except ValueError as exc:  # the SDK's "Unknown prompt" / "Error rendering prompt": say what is wrong
                if ctx.method != "prompts/get":
                    raise
                raise MCPError(code=INVALID_PARAMS, message=_prompt_problem(exc)) from None
            finally:
                _view.reset(token)
            if ctx.method == "tools/list":
                result = _edit(result, "tools", lambda items: [t for t in items if _name(t) in view.names])
            elif ctx.method == "resources/list":
                extra = await anyio.to_thread.run_sync(self.extra_resources, view)
                result = _edit(result, "resources", lambda items: [*items, *extra])
            elif ctx.method == "resources/templates/list" and "iam_policy" not in view.tools:
                result = _edit(result, "resourceTemplates", lambda items: [
                    i for i in items if not str(_field(i, "uriTemplate", "uri_template")).startswith(IAM_URI)],
                    attr="resource_templates")
            return result
        finally:
            self.steward.access.release(cur)


def _prompt_problem(exc: ValueError) -> str:
    """The reason a prompt could not be rendered (a missing or badly typed argument), for the client."""
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        return "; ".join(f"argument '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in cause.errors())
    return str(cause or exc)


def _field(item: Any, wire: str, attr: str) -> Any:
    return item.get(wire) if isinstance(item, dict) else getattr(item, attr, None)


def _name(item: Any) -> Any:
    return _field(item, "name", "name")


def _edit(result: Any, key: str, change: Callable[[list[Any]], list[Any]], *, attr: str | None = None) -> Any:
    """Results reach middleware serialised (a dict, wire names) or as the result model."""
    if isinstance(result, dict):
        return {**result, key: change(list(result.get(key) or []))}
    if isinstance(result, BaseModel):
        attr = attr or key
        items = change(list(getattr(result, attr)))
        return result.model_copy(update={attr: [
            McpResource.model_validate(i) if attr == "resources" and isinstance(i, dict) else i for i in items]})
    return result
