"""The Bedrock agent: a hand-built LangGraph StateGraph on ChatBedrockConverse.

    answer(ctx, question, config=AgentConfig(...), thread_id="slack:C1:1700000000.1") -> Answer

Graph: prepare -> agent <-> tools, with give_up when the tool-round bound is reached.
- prepare: compacts the thread's history (earlier turns keep only the question and the final
  answer; at most `history_turns` earlier turns) so the checkpoint stays small.
- agent: one Converse call. System prompt (prompts/system.txt) + cache point, then a short
  per-caller block (who, persona, scope, today) after the cache point; the persona's tool specs
  + cache point. The caller's ToolContext comes from the graph's runtime context, never from
  tool arguments.
- tools: runs each tool call through tools.toolset.call(ctx, name, args). Tool errors (scope,
  persona, bad arguments) become ToolMessages with status "error" and the error text.
- give_up: after `max_tool_rounds` tool rounds, answers any pending tool calls as not run and
  ends with an honest "I could not finish" answer.

History is per (caller, thread id), in a LangGraph checkpointer: SqliteSaver on
config.checkpoint_path, or one in-process InMemorySaver when it is None. With thread_id=None
nothing is kept. Tokens and cost of the agent's own model calls are returned in Answer.usage.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypedDict

from botocore.exceptions import BotoCoreError, ClientError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime
from pydantic import BaseModel

from agent.answer import AgentUsage, Answer, Fact, outcome_of, tool_error_fact
from agent.config import AgentConfig
from agent.honoured import not_applied_line, unhonoured
from agent.prompts import load_prompt
from agent.render import View, render_facts
from ledger.personas import persona_names
from ledger.errors import StewardError
from tools import toolset
from tools.context import ToolContext
from tools.errors import ToolError

CACHE_POINT: dict[str, Any] = {"cachePoint": {"type": "default"}}
NOT_RUN = "Not run: the step limit for this question was reached."


class BedrockUnavailable(StewardError):
    """The Bedrock call failed (credentials, network, throttling, a service error)."""


# ---------------------------------------------------------------- graph state and context

class AgentState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    rounds: int  # tool rounds run for the current question


@dataclass
class Run:
    """The graph's runtime context for one question: the caller and what the run collects."""

    ctx: ToolContext
    config: AgentConfig
    llm: BaseChatModel
    facts: list[Fact] = field(default_factory=list)
    usage: AgentUsage = field(default_factory=AgentUsage)
    gave_up: bool = False


# ---------------------------------------------------------------- tool specs

_specs_lock = threading.Lock()
_specs: dict[frozenset[str], list[dict[str, Any]]] = {}


def tool_specs(ctx: ToolContext) -> list[dict[str, Any]]:
    """The tools this caller's personas may call, as function specs, followed by a cache point.

    Registry order, so that the same persona always sends byte-identical specs (cacheable)."""
    key = frozenset(ctx.caller.personas)
    with _specs_lock:
        if key not in _specs:
            _specs[key] = [
                {"type": "function", "function": {"name": t.name, "description": t.description,
                                                  "parameters": t.input_schema()}}
                for t in toolset.tools_for(ctx)
            ] + [CACHE_POINT]
        return _specs[key]


# ---------------------------------------------------------------- prompts

def _names(items: frozenset[str], limit: int = 25) -> str:
    shown = sorted(items)[:limit]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def caller_block(ctx: ToolContext) -> str:
    """Who is asking, their scope and today's date: after the cache point (it varies per caller)."""
    c = ctx.caller
    personas = persona_names(c.personas, ", ")
    lines = [f"Today is {ctx.today.isoformat()} ({ctx.today:%B %Y} is the current month).",
             f"You are answering {c.display} <{c.email}>, {personas}."]
    if c.all_access:
        lines.append("Scope: the whole organisation.")
    elif c.products:
        lines.append(f"Products in scope: {_names(c.products)}.")
        if c.owned_products:
            lines.append(f"Product Owner of: {_names(c.owned_products)}.")
    else:
        lines.append("Scope: no products (catalog, tasks and policies only).")
    return "\n".join(lines)


def system_message(ctx: ToolContext) -> SystemMessage:
    return SystemMessage(content=[{"text": load_prompt("system")}, CACHE_POINT, {"text": caller_block(ctx)}])


# ---------------------------------------------------------------- history

def _turns(messages: list[BaseMessage]) -> list[list[BaseMessage]]:
    turns: list[list[BaseMessage]] = []
    for m in messages:
        if isinstance(m, HumanMessage) or not turns:
            turns.append([m])
        else:
            turns[-1].append(m)
    return turns


def _final(turn: list[BaseMessage]) -> AIMessage | None:
    last = turn[-1]
    return last if isinstance(last, AIMessage) and not last.tool_calls else None


def bounded_history(messages: list[BaseMessage], history_turns: int) -> list[BaseMessage]:
    """The current turn in full, after at most `history_turns` earlier complete turns, each
    reduced to its question and final answer. Incomplete earlier turns (a failed call) are
    dropped, so the conversation always alternates user/assistant."""
    turns = _turns(messages)
    if not turns:
        return []
    *earlier, current = turns
    kept: list[list[BaseMessage]] = []
    for turn in earlier:
        final = _final(turn)
        if isinstance(turn[0], HumanMessage) and final is not None:
            kept.append([turn[0], final])
    kept = kept[-history_turns:] if history_turns > 0 else []
    return [m for t in kept for m in t] + list(current)


# ---------------------------------------------------------------- nodes

def _prepare(state: AgentState, runtime: Runtime[Run]) -> dict[str, Any]:
    messages = state["messages"]
    keep = {id(m) for m in bounded_history(messages, runtime.context.config.history_turns)}
    removed = [RemoveMessage(id=m.id) for m in messages if id(m) not in keep and m.id]
    return {"messages": removed, "rounds": 0}


def _record_usage(run: Run, ai: AIMessage) -> None:
    u, cfg = run.usage, run.config
    meta = ai.usage_metadata or {}
    details = meta.get("input_token_details") or {}
    cache_read = int(details.get("cache_read") or 0)
    cache_write = int(details.get("cache_creation") or 0)
    # langchain-aws reports input_tokens = inputTokens + cacheRead + cacheWrite; keep them apart.
    fresh = max(int(meta.get("input_tokens") or 0) - cache_read - cache_write, 0)
    out = int(meta.get("output_tokens") or 0)
    u.model_calls += 1
    u.input_tokens += fresh
    u.output_tokens += out
    u.cache_read_tokens += cache_read
    u.cache_write_tokens += cache_write
    u.cost_usd += (fresh * cfg.price_input + out * cfg.price_output + cache_read * cfg.price_cache_read
                   + cache_write * cfg.price_cache_write) / 1000.0


def _agent(state: AgentState, runtime: Runtime[Run]) -> dict[str, Any]:
    run = runtime.context
    history = bounded_history(state["messages"], run.config.history_turns)
    model = run.llm.bind_tools(tool_specs(run.ctx))
    try:
        ai = model.invoke([system_message(run.ctx), *history])
    except (ClientError, BotoCoreError) as exc:  # service errors, no credentials, no network
        raise BedrockUnavailable(f"the Bedrock model call failed: {exc}") from exc
    _record_usage(run, ai)
    return {"messages": [ai]}


def _route(state: AgentState, runtime: Runtime[Run]) -> str:
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls:
        return "tools" if state.get("rounds", 0) < runtime.context.config.max_tool_rounds else "give_up"
    return END


def _result_text(result: BaseModel) -> tuple[str, dict[str, Any]]:
    data = result.model_dump(mode="json")
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False), data


def _tools(state: AgentState, runtime: Runtime[Run]) -> dict[str, Any]:
    run = runtime.context
    ai = state["messages"][-1]
    assert isinstance(ai, AIMessage)
    out: list[ToolMessage] = []
    for call in ai.tool_calls:
        name, args = call["name"], dict(call.get("args") or {})
        try:
            content, data = _result_text(toolset.call(run.ctx, name, args))
            run.facts.append(Fact(tool=name, args=args, result=data))
            out.append(ToolMessage(content=content, tool_call_id=call["id"], name=name))
        except ToolError as exc:  # ScopeError, NotAllowed, bad arguments: text the model can act on
            run.facts.append(tool_error_fact(name, args, exc))
            out.append(ToolMessage(content=f"Error: {exc}", tool_call_id=call["id"], name=name, status="error"))
        # Anything else is a bug: it propagates. The thread stays valid (prepare drops the
        # incomplete turn on the next question).
    return {"messages": out, "rounds": state.get("rounds", 0) + 1}


def could_not_finish(run: Run) -> str:
    """The honest answer when the step bound is reached; no figures of its own."""
    n = run.config.max_tool_rounds
    text = (f"I could not finish answering this within {n} tool step{'s' if n != 1 else ''}. "
            "Try a narrower question, for example one product, one month or one model.")
    seen: set[str] = set()
    done = []
    for f in run.facts:  # each distinct successful call once
        key = json.dumps([f.tool, f.args], sort_keys=True, default=str)
        if f.result is not None and key not in seen:
            seen.add(key)
            done.append(f)
    if done:
        c = run.ctx.caller
        partial = render_facts(done, view=View(persona=c.primary_persona, owned=tuple(sorted(c.owned_products))))
        if partial:
            text += "\n\nWhat I found so far:\n" + partial
    return text


def _give_up(state: AgentState, runtime: Runtime[Run]) -> dict[str, Any]:
    run = runtime.context
    run.gave_up = True
    ai = state["messages"][-1]
    assert isinstance(ai, AIMessage)
    pending = [ToolMessage(content=NOT_RUN, tool_call_id=c["id"], name=c["name"], status="error")
               for c in ai.tool_calls]
    return {"messages": [*pending, AIMessage(content=could_not_finish(run))]}


def build_graph(checkpointer: BaseCheckpointSaver | None = None):
    g = StateGraph(AgentState, context_schema=Run)
    g.add_node("prepare", _prepare)
    g.add_node("agent", _agent)
    g.add_node("tools", _tools)
    g.add_node("give_up", _give_up)
    g.add_edge(START, "prepare")
    g.add_edge("prepare", "agent")
    g.add_conditional_edges("agent", _route, {"tools": "tools", "give_up": "give_up", END: END})
    g.add_edge("tools", "agent")
    g.add_edge("give_up", END)
    return g.compile(checkpointer=checkpointer)


# ---------------------------------------------------------------- model, checkpointer, graph caches

_lock = threading.Lock()
_models: dict[tuple, BaseChatModel] = {}
_graphs: dict[str | None, Any] = {}
_memory = InMemorySaver()


def chat_model(config: AgentConfig, client: Any = None) -> BaseChatModel:
    """ChatBedrockConverse for the config (cached per settings); `client` may be a chat model
    (used as is) or a boto3 bedrock-runtime client."""
    if isinstance(client, BaseChatModel):
        return client
    key = (config.model_id, config.region, config.endpoint_url, config.temperature,
           config.max_output_tokens, id(client) if client is not None else None)
    with _lock:
        if key not in _models:
            from langchain_aws import ChatBedrockConverse

            kwargs: dict[str, Any] = {}
            if client is not None:
                kwargs["client"] = client
            if len(_models) >= 16:
                _models.clear()
            _models[key] = ChatBedrockConverse(
                model=config.model_id, region_name=config.region, endpoint_url=config.endpoint_url,
                temperature=config.temperature, max_tokens=config.max_output_tokens,
                disable_streaming=True, **kwargs)
        return _models[key]


def graph_for(checkpoint_path: Path | None, *, persistent: bool = True):
    """The compiled graph: no checkpointer, the in-process memory, or SqliteSaver on a file."""
    key = None if not persistent else str(Path(checkpoint_path).resolve()) if checkpoint_path else ":memory:"
    with _lock:
        if key not in _graphs:
            if key is None:
                saver = None
            elif key == ":memory:":
                saver = _memory
            else:
                from langgraph.checkpoint.sqlite import SqliteSaver

                Path(key).parent.mkdir(parents=True, exist_ok=True)
                saver = SqliteSaver(sqlite3.connect(key, check_same_thread=False))
            _graphs[key] = build_graph(saver)
        return _graphs[key]


# ---------------------------------------------------------------- the answer

def _freshness(facts: list[Fact]) -> tuple[date | None, str]:
    for f in facts:
        raw = (f.result or {}).get("data_through")
        if raw:
            try:
                d = date.fromisoformat(str(raw)[:10])
            except ValueError:
                continue
            return d, f"CUR data through {d.day} {d:%b %Y}"
    return None, ""


def thread_key(ctx: ToolContext, thread_id: str) -> str:
    """History is per caller: two people in one Slack thread never share each other's turns."""
    return f"{ctx.caller.email}|{thread_id}"


def answer(ctx: ToolContext, question: str, *, config: AgentConfig, thread_id: str | None = None,
           client: Any = None) -> Answer:
    """Answer one question on Bedrock. Raises BedrockUnavailable when the model cannot be reached."""
    started = time.perf_counter()
    run = Run(ctx=ctx, config=config, llm=chat_model(config, client),
              usage=AgentUsage(model_id=config.model_id))
    graph = graph_for(config.checkpoint_path, persistent=thread_id is not None)
    cfg: dict[str, Any] = {"recursion_limit": 2 * config.max_tool_rounds + 8}
    if thread_id is not None:
        cfg["configurable"] = {"thread_id": thread_key(ctx, thread_id)}
    state = graph.invoke({"messages": [HumanMessage(content=question)], "rounds": 0}, cfg, context=run)
    final = state["messages"][-1]
    text = final.text if isinstance(final, AIMessage) else ""
    text = text.strip() or "I have no answer to that; try asking about spend, estimates, models or tasks."
    first = toolset.get(run.facts[0].tool) if run.facts else None
    through, fresh = _freshness(run.facts)
    run.usage.cost_usd = round(run.usage.cost_usd, 8)
    # No tool call: the model answered from its prompt alone (help, or a question back); nothing placed.
    outcome = outcome_of(run.facts)
    # A qualifier of the question no tool call applied makes the answer partial, named (never 'answered').
    missing = unhonoured(ctx, question, run.facts) if outcome == "answered" and not run.gave_up else []
    if missing:
        outcome, text = "partial", f"{text}\n\n{not_applied_line(missing)}"
    return Answer(question=question, text=text, facts=run.facts, family=first.family if first else None,
                  outcome=outcome, not_honoured=missing, data_through=through, freshness=fresh, mode="bedrock",
                  usage=run.usage, latency_ms=(time.perf_counter() - started) * 1000.0)
