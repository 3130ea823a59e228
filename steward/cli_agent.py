"""`steward ask`, `steward chat` (the agent at a terminal); `steward eval` joins them in register().

The agent's environment (STEWARD_AGENT_MODE, STEWARD_BEDROCK_MODEL_ID, ...) is the `agent` section of
steward.settings; steward.wiring.agent_config turns it into the AgentConfig every door receives.
"""

from __future__ import annotations

import sys
import uuid
from typing import Annotated

import typer

from agent.answer import Answer
from agent.config import AgentConfig
from ledger.errors import StewardError
from steward.cli_common import console, err, fail, settings_of, warn
from steward.settings import Settings
from steward.store_access import store_for
from steward.wiring import agent_config, checked_agent_config, tool_context

EXIT_WORDS = {"exit", "quit", "bye", ":q", "/exit", "/quit"}


def print_answer(answer: Answer, *, as_json: bool = False) -> None:
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    typer.echo(answer.text)
    if answer.fallback:
        err.print(answer.fallback, style="yellow", markup=False, highlight=False)
    if answer.freshness and not answer.refused:
        console.print(f"({answer.freshness})", style="dim", markup=False, highlight=False)


WhoOption = Annotated[str, typer.Option("--as", help="Who is asking (email in the registry)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the structured answer as JSON")]
OfflineOption = Annotated[bool, typer.Option("--offline", help="Use the embedded offline planner, not Bedrock")]


def ask_command(
    ctx: typer.Context,
    question: Annotated[list[str], typer.Argument(help="The question (quote it, or just type the words)")],
    who: WhoOption = "",
    as_json: JsonOption = False,
    offline: OfflineOption = False,
) -> None:
    """Ask Steward one question as a person; the answer is scoped to them and audited."""
    from agent import service

    s = settings_of(ctx)
    if not who:
        raise typer.BadParameter("say who is asking: --as EMAIL")
    config = checked(s, agent_config(s, offline=offline))
    try:
        with store_for(s.db, create=False) as store:
            answer = service.ask(tool_context(s, store, who), " ".join(question), config=config)
    except StewardError as exc:
        raise fail(exc) from None
    if answer.refused:
        err.print(answer.text, markup=False, highlight=False, soft_wrap=True)
        if as_json:
            typer.echo(answer.model_dump_json(indent=2))
        raise typer.Exit(code=2)
    print_answer(answer, as_json=as_json)
    if answer.outcome == "error":  # an internal failure is an error exit, whatever text was printed
        raise typer.Exit(code=1)


def chat_command(ctx: typer.Context, who: WhoOption = "", offline: OfflineOption = False) -> None:
    """Talk to Steward: one question per line until 'exit' or end of input (history is kept)."""
    from agent import service

    s = settings_of(ctx)
    if not who:
        raise typer.BadParameter("say who is asking: --as EMAIL")
    config = checked(s, agent_config(s, offline=offline))
    stdin = sys.stdin
    interactive = stdin.isatty()
    thread_id = f"cli:{uuid.uuid4().hex}"
    try:
        with store_for(s.db, create=False) as store:
            context = tool_context(s, store, who, snapshot=True)  # a session of many reads
            if interactive:
                console.print(f"Steward for {context.caller.display} ({config.mode}). Ask about spend, estimates, "
                              "models or tasks; 'exit' to leave.", markup=False, highlight=False)
            while True:
                if interactive:
                    sys.stdout.write("> ")
                    sys.stdout.flush()
                line = stdin.readline()
                if not line:
                    break
                question = line.strip()
                if not question:
                    continue
                if question.lower() in EXIT_WORDS:
                    break
                print_answer(service.ask(context, question, config=config, thread_id=thread_id))
                typer.echo("")
    except StewardError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        typer.echo("")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `steward` app."""
    app.command("ask")(ask_command)
    app.command("chat")(chat_command)


def checked(s: Settings, config: AgentConfig) -> AgentConfig:
    return checked_agent_config(s, config, warn)
