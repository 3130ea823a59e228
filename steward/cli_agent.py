"""`steward ask`, `steward chat` (the agent at a terminal); `steward eval` joins them in register().

`agent_config(settings)` is the one mapping from settings and environment to an AgentConfig: the
Slack and MCP front doors import it from here too. Environment (all optional):

    STEWARD_AGENT_MODE            auto (default) | offline | bedrock
    STEWARD_BEDROCK_MODEL_ID      the model for the Bedrock path; setting it is what lets 'auto'
                                  choose Bedrock (when boto3 also finds AWS credentials)
    STEWARD_BEDROCK_REGION        default: STEWARD_AWS_REGION
    STEWARD_BEDROCK_ENDPOINT_URL  e.g. a loopback fake Converse server in tests
    STEWARD_MAX_QUESTION_CHARS    longer questions are refused before any model call (default 2000)
    STEWARD_AGENT_MAX_TOOL_ROUNDS, STEWARD_AGENT_HISTORY_TURNS, STEWARD_AGENT_CHECKPOINT (sqlite file
                                  for per-thread history; default in memory)
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.answer import Answer
from agent.config import AgentConfig
from ledger.errors import StewardError
from ledger.store import Store
from steward.cli_common import console, err, fail, settings_of
from steward.settings import Settings

EXIT_WORDS = {"exit", "quit", "bye", ":q", "/exit", "/quit"}


class AgentSettings(BaseSettings):
    """The agent's own settings from the environment (steward.settings.Settings holds the rest)."""

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore")

    agent_mode: Literal["auto", "offline", "bedrock"] = Field("auto", description="auto | offline | bedrock")
    bedrock_model_id: str | None = Field(None, description="Bedrock model id; enables 'auto' to use Bedrock.")
    bedrock_region: str | None = Field(None, description="Region of the Bedrock runtime; default aws_region.")
    bedrock_endpoint_url: str | None = Field(None, description="Bedrock runtime endpoint override.")
    max_question_chars: int = Field(AgentConfig.max_question_chars, gt=0)
    agent_max_tool_rounds: int = Field(AgentConfig.max_tool_rounds, ge=1)
    agent_history_turns: int = Field(AgentConfig.history_turns, ge=0)
    agent_checkpoint: Path | None = Field(None, description="SQLite file for per-thread history.")


def agent_config(settings: Settings, *, offline: bool = False, agent_settings: AgentSettings | None = None,
                 credentials: Callable[[], bool] | None = None) -> AgentConfig:
    """The AgentConfig for this process, with 'auto' resolved to 'offline' or 'bedrock'
    (`credentials` replaces the boto3 credential lookup, for tests)."""
    from agent.service import aws_credentials_available, choose_mode

    a = agent_settings or AgentSettings()
    model_id = (a.bedrock_model_id or "").strip()
    mode = "offline" if offline else choose_mode(a.agent_mode, bedrock_configured=bool(model_id),
                                                 credentials=credentials or aws_credentials_available)
    extra = {"model_id": model_id} if model_id else {}
    return AgentConfig(mode=mode, region=a.bedrock_region or settings.aws_region,
                       endpoint_url=a.bedrock_endpoint_url or None, max_question_chars=a.max_question_chars,
                       max_tool_rounds=a.agent_max_tool_rounds, history_turns=a.agent_history_turns,
                       checkpoint_path=a.agent_checkpoint, **extra)


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
    from steward.wiring import tool_context

    s = settings_of(ctx)
    if not who:
        raise typer.BadParameter("say who is asking: --as EMAIL")
    config = agent_config(s, offline=offline)
    try:
        with Store(s.db) as store:
            answer = service.ask(tool_context(s, store, who), " ".join(question), config=config)
    except StewardError as exc:
        raise fail(exc) from None
    if answer.refused:
        err.print(answer.text, markup=False, highlight=False, soft_wrap=True)
        if as_json:
            typer.echo(answer.model_dump_json(indent=2))
        raise typer.Exit(code=2)
    print_answer(answer, as_json=as_json)


def chat_command(ctx: typer.Context, who: WhoOption = "", offline: OfflineOption = False) -> None:
    """Talk to Steward: one question per line until 'exit' or end of input (history is kept)."""
    from agent import service
    from steward.wiring import tool_context

    s = settings_of(ctx)
    if not who:
        raise typer.BadParameter("say who is asking: --as EMAIL")
    config = agent_config(s, offline=offline)
    stdin = sys.stdin
    interactive = stdin.isatty()
    thread_id = f"cli:{uuid.uuid4().hex}"
    try:
        with Store(s.db) as store:
            tctx = tool_context(s, store, who)
            if interactive:
                console.print(f"Steward for {tctx.caller.display} ({config.mode}). Ask about spend, estimates, "
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
                print_answer(service.ask(tctx, question, config=config, thread_id=thread_id))
                typer.echo("")
    except StewardError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        typer.echo("")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `steward` app."""
    app.command("ask")(ask_command)
    app.command("chat")(chat_command)
