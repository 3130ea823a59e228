"""MCP tools: one generic handler per registry tool (schemas from its pydantic models), and `ask`."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool as McpTool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from ledger.errors import StewardError
from mcp_server import schemas
from mcp_server.deny import ASK, CallerView, ServerState, current_view, unknown_tool
from tools import toolset
from tools.errors import ToolError
from tools.schemas import compact

# Write and agentic tools: (destructive, idempotent). Unknown new writes get the spec's defaults
# (destructive, not idempotent) until someone describes them here.
WRITE_HINTS: dict[str, tuple[bool, bool]] = {
    "claim_principal": (False, True),       # adds a claim; the same claim again changes nothing
    "claim_profile_or_tag": (False, True),  # the same, for a profile or tag
    "set_estimate": (True, True),           # replaces the month's estimate; same figure, same state
    "request_model_access": (False, False),  # each accepted call opens a new request
    "approve_spend_card": (False, True),    # approving the same week again changes nothing
    "complete_task": (False, True),         # a done task cannot be completed twice
    "decide_model": (True, False),          # replaces the model's decision, supersedes open tasks
    "pause_product": (True, True),          # supersedes resume tasks; pausing twice is refused
    "resume_product": (True, True),         # withdraws pause tasks; resuming twice is refused
    "record_metric": (True, True),          # replaces the day's value for that unit; same value, same state
}


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
    if t.action == "read":
        return ToolAnnotations(read_only_hint=True, open_world_hint=False)
    destructive, idempotent = WRITE_HINTS.get(t.name, (True, False))
    # open_world False: every tool works on Steward's own store; agentic tools create Cloud
    # Engineer tasks and never call AWS.
    return ToolAnnotations(read_only_hint=False, destructive_hint=destructive,
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
    return FuncMetadata(arg_model=_RawArguments,
                        output_schema=schemas.output_schema(result_model.model_json_schema(mode="serialization")))


def _run(steward: ServerState, view: CallerView, name: str, arguments: dict[str, Any]) -> BaseModel:
    if view.tools[name].action == "read":
        with steward.access.reading() as cur:  # the attribution snapshot of this store version
            return toolset.call(view.on(cur).ctx, name, arguments)
    try:  # one transaction with its audit entry (Store.transaction takes the process's write lock)
        return toolset.call(view.ctx, name, arguments)
    finally:
        steward.access.changed()


def registry_tool(steward: ServerState, t: toolset.Tool) -> McpTool:
    async def handler(arguments: dict[str, Any], ctx: Context) -> Any:
        view = current_view()
        if t.name not in view.tools:
            raise unknown_tool(t.name)
        arguments = _pre_parse(t, arguments)
        key = steward.results.key(view.ctx.caller.email, t.name, arguments) if t.action == "read" else None
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
        fn=handler, name=t.name, description=t.description,  # no title: it would only respell the name
        parameters=t.input_schema(), fn_metadata=_metadata(t.result_model),
        is_async=True, context_kwarg="ctx", annotations=annotations(t))


# --------------------------------------------------------------------------- ask


class AskArgs(BaseModel):
    question: str = Field(min_length=1, description="In plain language.")
    thread_id: str | None = Field(None, description="The same id for a follow-up.")


def ask_tool(steward: ServerState) -> McpTool:
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
        description="Ask Steward a question about Bedrock spend, estimates or models; the answer comes with "
                    "the tool calls (facts) its figures come from.",
        parameters=compact(AskArgs.model_json_schema()),
        fn_metadata=_metadata(Answer),
        is_async=True, context_kwarg="ctx",
        # Read-only: the agent reads through the caller's tools. Closed world: its domain is the
        # Steward store (in bedrock mode it sends the question to the configured Bedrock model).
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False))
