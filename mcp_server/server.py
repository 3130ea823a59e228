"""The MCP server: the tools registry as MCP tools, scoped to one caller per request.

    server = build_server(store, settings, email="maria@example.com")   # stdio / in-memory
    server = build_server(store, settings, token_verifier=v, auth=a)    # HTTP: caller from the token

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

import contextvars
import functools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.caching import CacheHint
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.tools import Tool as McpTool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, CallToolResult, TextContent, ToolAnnotations
from mcp_types import Resource as McpResource
from pydantic import BaseModel, ConfigDict, Field

import ledger.access  # the mcp_tokens / mcp_grants tables, registered on import
from ledger.errors import StewardError
from ledger.store import Store
from mcp_server import grants
from tools import toolset
from tools.context import ToolContext
from tools.errors import ToolError

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

ContextFactory = Callable[[Store, str], ToolContext]
"""(a store cursor, the caller's email) -> the ToolContext tools receive (caller resolved)."""

SERVER_NAME = "bedrock-steward"
INSTRUCTIONS = (
    "Bedrock Steward answers who spends what on Amazon Bedrock, against which estimate, on which "
    "models, and whether those models are approved. Every tool is already scoped to the person you "
    "act for: never pass identities. Figures are USD unblended usage cost unless a tool says "
    "otherwise; date windows end exclusive. Use `ask` for a question in plain language, or call the "
    "tools directly. Write tools appear only after a FinOps Lead grants them; nothing here changes AWS: "
    "decisions create tasks for a Cloud Engineer."
)
ASK = "ask"
IAM_URI = "steward://iam-policy/"
ATTACHED = ("tools/list", "tools/call", "resources/list", "resources/read", "resources/templates/list",
            "prompts/list", "prompts/get")
# Tool lists differ per caller and change when a grant does: clients must not reuse them.
NO_CACHE = {m: CacheHint(ttl_ms=0, scope="private")
            for m in ("tools/list", "resources/list", "resources/templates/list", "resources/read", "prompts/list")}

# Write and agentic tools: (destructive, idempotent). Unknown new writes get the spec's defaults
# (destructive, not idempotent) until someone describes them here.
WRITE_HINTS: dict[str, tuple[bool, bool]] = {
    "claim_principal": (False, True),       # adds a claim; the same claim again changes nothing
    "set_estimate": (True, True),           # replaces the month's estimate; same figure, same state
    "request_model_access": (False, False),  # each accepted call opens a new request
    "approve_spend_card": (False, True),    # approving the same week again changes nothing
    "complete_task": (False, True),         # a done task cannot be completed twice
    "decide_model": (True, False),          # replaces the model's decision, supersedes open tasks
    "pause_product": (True, True),          # supersedes resume tasks; pausing twice is refused
    "resume_product": (True, True),         # withdraws pause tasks; resuming twice is refused
}


# --------------------------------------------------------------------------- the caller's session


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


class StoreAccess:
    """The one open store, shared by a server's requests.

    - Cursors: each request works on a cursor of its own (DuckDB connections are not shared across
      threads); cursors are pooled, since opening one costs about as much as a small query.
    - The registry version (ledger.access.registry_version), checked at most every `ttl` seconds
      and at once after a write through this server. Nothing outside this process can change the
      store while it holds the file; a change made in-process by another front door is seen
      within `ttl`. ttl=0 checks on every request (tests)."""

    def __init__(self, store: Store, *, ttl: float = 1.0) -> None:
        self.store = store
        self.ttl = ttl
        self._pool_lock = threading.Lock()
        self._free: list[Store] = []
        self._version_lock = threading.Lock()
        self._version_cur = store.cursor()
        self._version: tuple[int, float] = (0, float("-inf"))

    def acquire(self) -> Store:
        with self._pool_lock:
            return self._free.pop() if self._free else self.store.cursor()

    def release(self, cur: Store) -> None:
        if cur._in_tx:  # noqa: SLF001 - never hand on a cursor inside a transaction
            cur.close()
            return
        with self._pool_lock:
            self._free.append(cur)

    @contextmanager
    def cursor(self) -> Iterator[Store]:
        cur = self.acquire()
        try:
            yield cur
        finally:
            self.release(cur)

    def version(self) -> int:
        with self._version_lock:
            value, at = self._version
            now = time.monotonic()
            if now - at >= self.ttl:
                value = ledger.access.registry_version(self._version_cur)
                self._version = (value, now)
            return value

    def changed(self) -> None:
        """A write went through: check the version on the next request."""
        with self._version_lock:
            self._version = (self._version[0], float("-inf"))


class _Steward:
    """What the handlers share: the store access, how to build a caller's context, and resolved
    callers remembered per registry version (resolving takes several queries)."""

    def __init__(self, access: StoreAccess, factory: ContextFactory, email: str | None,
                 agent_config: Callable[[], Any], results: ResultCache) -> None:
        self.access = access
        self.results = results
        self.factory = factory
        self.email = email.strip().lower() if email else None
        self.agent_config = agent_config
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

    def __init__(self, steward: _Steward) -> None:
        self.steward = steward

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method not in ATTACHED:
            return await call_next(ctx)
        email = self.steward.identity()
        cur = self.steward.access.acquire()
        try:
            try:
                view = await self.steward.view_for(email, cur)
            except StewardError as exc:  # e.g. the person left the registry
                raise MCPError(code=INVALID_REQUEST, message=str(exc)) from None
            if ctx.method == "tools/call":
                name = (ctx.params or {}).get("name")
                if name not in view.names:
                    raise unknown_tool(name)
            token = _view.set(view)
            try:
                result = await call_next(ctx)
            finally:
                _view.reset(token)
            if ctx.method == "tools/list":
                result = _edit(result, "tools", lambda items: [t for t in items if _name(t) in view.names])
            elif ctx.method == "resources/list":
                extra = await anyio.to_thread.run_sync(_policy_resources, view)
                result = _edit(result, "resources", lambda items: [*items, *extra])
            elif ctx.method == "resources/templates/list" and "iam_policy" not in view.tools:
                result = _edit(result, "resourceTemplates", lambda items: [
                    i for i in items if not str(_field(i, "uriTemplate", "uri_template")).startswith(IAM_URI)],
                    attr="resource_templates")
            return result
        finally:
            self.steward.access.release(cur)


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


# --------------------------------------------------------------------------- registry tools


class _RawArguments(ArgModelBase):
    """Hands the raw arguments to the handler: toolset.call validates them against the tool's
    pydantic args and answers with a message the model can act on."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


def _pre_parse(t: toolset.Tool, arguments: dict[str, Any]) -> dict[str, Any]:
    """Some clients send lists and objects as JSON text; parse those back (not plain strings)."""
    out = dict(arguments)
    for key, value in arguments.items():
        field = t.args_model.model_fields.get(key)
        if field is None or field.annotation is str or not isinstance(value, str):
            continue
        try:
            parsed = json.loads(value)
        except ValueError:
            continue
        if isinstance(parsed, (list, dict)):
            out[key] = parsed
    return out


def annotations(t: toolset.Tool) -> ToolAnnotations:
    title = t.name.replace("_", " ").capitalize()
    if t.action == "read":
        return ToolAnnotations(title=title, read_only_hint=True, open_world_hint=False)
    destructive, idempotent = WRITE_HINTS.get(t.name, (True, False))
    # open_world False: every tool works on Steward's own store; agentic tools create Cloud
    # Engineer tasks and never call AWS.
    return ToolAnnotations(title=title, read_only_hint=False, destructive_hint=destructive,
                           idempotent_hint=idempotent, open_world_hint=False)


def _error_result(exc: ToolError) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)


def _result(model: BaseModel) -> CallToolResult:
    """Structured content, and the same JSON as text for clients that read text only. Built here
    (and cached as built) rather than by the SDK: the model already conforms to its schema."""
    return CallToolResult(content=[TextContent(type="text", text=model.model_dump_json())],
                          structured_content=model.model_dump(mode="json"))


def _metadata(result_model: type[BaseModel]) -> FuncMetadata:
    # output_schema without output_model: advertised, and the SDK does not re-validate each result.
    return FuncMetadata(arg_model=_RawArguments, output_schema=result_model.model_json_schema(mode="serialization"))


class ResultCache:
    """Read-tool results per (caller, tool, arguments), reused while the store version (see
    StoreAccess) and the day are unchanged, for at most `ttl` seconds. Read tools are functions of
    the store, the caller's scope, the arguments and the day; every change to the store that can
    move a result (registry changes, decisions, ingest) is audited, which moves the version. The
    ttl bounds what an unaudited change could leave stale. ttl=0: no caching."""

    MAX_ENTRIES = 4096

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str, str], tuple[tuple[int, date], float, CallToolResult]] = {}

    def key(self, view: CallerView, name: str, arguments: dict[str, Any]) -> tuple[str, str, str] | None:
        if self.ttl <= 0:
            return None
        try:
            return view.ctx.caller.email, name, json.dumps(arguments, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return None

    def get(self, key: tuple[str, str, str] | None, version: tuple[int, date]) -> CallToolResult | None:
        hit = self._entries.get(key) if key is not None else None
        if hit is None or hit[0] != version or time.monotonic() - hit[1] >= self.ttl:
            return None
        return hit[2]

    def put(self, key: tuple[str, str, str] | None, version: tuple[int, date], result: CallToolResult) -> None:
        if key is None:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (version, time.monotonic(), result)


def _run(steward: _Steward, view: CallerView, name: str, arguments: dict[str, Any]) -> BaseModel:
    if view.tools[name].action == "read":
        return toolset.call(view.ctx, name, arguments)
    try:  # one transaction with its audit entry (Store.transaction takes the process's write lock)
        return toolset.call(view.ctx, name, arguments)
    finally:
        steward.access.changed()


def _registry_tool(steward: _Steward, t: toolset.Tool) -> McpTool:
    async def handler(arguments: dict[str, Any], ctx: Context) -> Any:
        view = current_view()
        if t.name not in view.tools:
            raise unknown_tool(t.name)
        arguments = _pre_parse(t, arguments)
        key = steward.results.key(view, t.name, arguments) if t.action == "read" else None
        version = (steward.access.version(), view.ctx.today)
        cached = steward.results.get(key, version)
        if cached is not None:
            return cached
        try:
            result = _result(await anyio.to_thread.run_sync(partial(_run, steward, view, t.name, arguments)))
        except ToolError as exc:
            return _error_result(exc)
        except StewardError as exc:
            raise MCPError(code=INTERNAL_ERROR, message=str(exc)) from None
        steward.results.put(key, version, result)
        return result

    return McpTool(
        fn=handler, name=t.name, title=annotations(t).title, description=t.description,
        parameters=t.input_schema(), fn_metadata=_metadata(t.result_model),
        is_async=True, context_kwarg="ctx", annotations=annotations(t))


# --------------------------------------------------------------------------- ask


class AskArgs(BaseModel):
    question: str = Field(min_length=1, description="The question, in plain language, e.g. 'How much did "
                                                    "Checkout spend this month against its estimate?'")
    thread_id: str | None = Field(None, description="Keep a conversation: pass the same id to ask a follow-up.")


def _ask_tool(steward: _Steward) -> McpTool:
    from agent.answer import Answer

    async def handler(arguments: dict[str, Any], ctx: Context) -> Any:
        view = current_view()
        try:
            args = AskArgs.model_validate(arguments)
        except ValueError as exc:
            return _error_result(ToolError(f"bad arguments for ask: {exc}"))

        def run() -> Answer:
            from agent.service import ask

            thread = f"mcp:{args.thread_id}" if args.thread_id else None
            return ask(view.ctx, args.question, config=steward.agent_config(),
                       thread_id=thread)

        try:
            return _result(await anyio.to_thread.run_sync(run))
        except ToolError as exc:
            return _error_result(exc)
        except StewardError as exc:
            raise MCPError(code=INTERNAL_ERROR, message=str(exc)) from None

    return McpTool(
        fn=handler, name=ASK, title="Ask Steward",
        description="Ask Steward a question in plain language (spend, estimates, models, drift, tasks). "
                    "The agent answers from the same tools, in your scope, and returns the answer text "
                    "with the tool calls (facts) every figure comes from and how fresh the data is.",
        parameters=AskArgs.model_json_schema(),
        fn_metadata=_metadata(Answer),
        is_async=True, context_kwarg="ctx",
        # Read-only: the agent reads through the caller's tools. Closed world: its domain is the
        # Steward store (in bedrock mode it sends the question to the configured Bedrock model).
        annotations=ToolAnnotations(title="Ask Steward", read_only_hint=True, open_world_hint=False))


# --------------------------------------------------------------------------- resources and prompts


def _json_of(view: CallerView, tool: str, args: dict[str, Any]) -> str:
    try:
        return toolset.call(view.ctx, tool, args).model_dump_json(indent=2)
    except ToolError as exc:
        raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None


def _iam_available() -> bool:
    return toolset.get("iam_policy") is not None


def _policy_products(view: CallerView) -> list[str]:
    caller = view.ctx.caller
    if "iam_policy" not in view.tools:
        return []
    if caller.all_access or caller.has("cloud_engineer"):
        return [r[0] for r in view.ctx.store.rows("SELECT name FROM org_nodes WHERE kind = 'product' ORDER BY name")]
    return sorted(caller.owned_products)


def _policy_resources(view: CallerView) -> list[dict[str, Any]]:
    return [McpResource(uri=f"{IAM_URI}{p}", name=f"iam-policy-{p}", title=f"IAM policies for {p}",
                        description=f"The Steward-Bedrock role policies generated for {p}'s claimed roles.",
                        mime_type="application/json").model_dump(mode="json", by_alias=True, exclude_none=True)
            for p in _policy_products(view)]


async def _in_thread(fn: Callable[..., str], *args: Any) -> str:
    return await anyio.to_thread.run_sync(partial(fn, current_view(), *args))


def _add_resources(server: MCPServer) -> None:
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


def _check_product(product: str) -> str:
    caller = current_view().ctx.caller
    found = next((p for p in caller.products if p.casefold() == product.strip().casefold()), None)
    if found is None:
        raise ValueError(f"product '{product}' is not in your scope; the my-scope resource lists yours")
    return found


def _check_month(month: str) -> str:
    month = month.strip()
    if month and not _MONTH.match(month):
        raise ValueError(f"'{month}' is not a month; use YYYY-MM")
    return month


def _add_prompts(server: MCPServer) -> None:
    @server.prompt(name="monthly_review", title="Monthly review for a product",
                   description="Review a product's Bedrock month: spend against estimate, where it goes, "
                               "anomalies, models outside the catalog, and savings.")
    def monthly_review(product: Annotated[str, Field(description="A product in your scope")],
                       month: Annotated[str, Field(description="YYYY-MM; default the current month")] = "") -> str:
        name, month = _check_product(product), _check_month(month)
        when = f"month {month}" if month else "the current month"
        m = f', "month": "{month}"' if month else ""
        return (
            f"Prepare the monthly Bedrock review of {name} for {when}. Use the Steward tools, in this order:\n"
            f'1. estimate_status {{"product": "{name}"{m}}}: actual against estimate and the month-end forecast.\n'
            f'2. spend_breakdown {{"by": "model", "product": "{name}"{m}}}: where the money goes, and the change '
            "against the previous period.\n"
            f'3. anomalies {{"product": "{name}"{m}}}: days well above their baseline.\n'
            f'4. model_drift {{"product": "{name}"{m}}}: use of models that are not approved for it.\n'
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
        m = f'{{"month": "{month}"}}' if month else "{}"
        return (
            f"Review model drift for {'month ' + month if month else 'the current month'}. Call model_drift "
            f"{m}, then model_catalog {{}} for the decisions involved, and model_status for any model you "
            "need to check in a given account and region.\n"
            "For each drifting principal: the model, where it ran, the spend (USD) and why it is drift. Group "
            "them by what should happen next: request access (Product Owner), decide the model (FinOps "
            "Lead), or stop using it. Quote only figures the tools returned."
        )


# --------------------------------------------------------------------------- the factory


def _factory_of(settings_or_factory: Any) -> tuple[ContextFactory, Callable[[], Any]]:
    from steward.settings import Settings

    if isinstance(settings_or_factory, Settings):
        settings = settings_or_factory

        def factory(cur: Store, email: str) -> ToolContext:
            from steward.wiring import tool_context

            return tool_context(settings, cur, email, channel="mcp")

        @functools.cache
        def config() -> Any:  # once: resolving 'auto' looks for AWS credentials
            from steward.cli_agent import agent_config

            return agent_config(settings)

        return factory, config

    def offline() -> Any:
        from agent.config import AgentConfig

        return AgentConfig(mode="offline")

    return settings_or_factory, offline


def build_server(store: Store | StoreAccess, settings_or_ctx_factory: Any, *, email: str | None = None,
                 agent_config: Any = None, token_verifier: TokenVerifier | None = None,
                 auth: AuthSettings | None = None, registry_ttl: float = 1.0,
                 result_cache_ttl: float = 300.0, name: str = SERVER_NAME) -> MCPServer:
    """The Steward MCP server over one open store.

    settings_or_ctx_factory: a steward Settings (the caller's ToolContext is built like every front
    door's, channel 'mcp'), or a `ContextFactory` (tests: a fixed clock). email: the caller over
    stdio / in memory; over HTTP the bearer token names the caller (token_verifier + auth).
    agent_config: an AgentConfig for `ask` (default: from Settings, else offline). registry_ttl:
    see StoreAccess (pass a StoreAccess as `store` to share it, e.g. with the token verifier).
    result_cache_ttl: see ResultCache (0: every call runs the tool). Writes take the store's write
    lock (Store.transaction), shared by every cursor of the one open store in the process."""
    access = store if isinstance(store, StoreAccess) else StoreAccess(store, ttl=registry_ttl)
    access.store.ensure_schema()  # the MCP access tables, if the store was opened before they were registered
    factory, config = _factory_of(settings_or_ctx_factory)
    if agent_config is not None:
        config = lambda: agent_config  # noqa: E731
    steward = _Steward(access, factory, email, config, ResultCache(result_cache_ttl))
    tools = [_registry_tool(steward, t) for t in toolset.all_tools()] + [_ask_tool(steward)]
    server = MCPServer(name, title="Bedrock Steward", instructions=INSTRUCTIONS, tools=tools,
                       token_verifier=token_verifier, auth=auth, middleware=[DefaultDeny(steward)],
                       cache_hints=NO_CACHE, log_level="WARNING")
    _add_resources(server)
    _add_prompts(server)
    return server
