"""Composition: settings -> what the doors receive (ToolContext factories, the AgentConfig, thresholds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from agent.config import AgentConfig
from agent.model_check import ModelCheck
from ledger.store import Store
from steward.settings import Settings
from tools.caller import Caller, resolve_caller
from tools.context import Thresholds, ToolContext


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(cache_hit_healthy=settings.cache_hit_healthy, soft_quota=settings.soft_quota,
                      hard_quota=settings.hard_quota)


def context_for(settings: Settings, *, snapshot: bool = False) -> Callable[[Store, Caller], ToolContext]:
    """(a store or cursor, a resolved caller) -> their ToolContext: the one way every door builds it.
    snapshot=True for long-running doors: read tools run on the store version's attribution snapshot."""
    limits = thresholds(settings)
    regions = tuple(settings.bedrock_regions)

    def build(store: Store, caller: Caller) -> ToolContext:
        return ToolContext(store=store, caller=caller, today=settings.today(), thresholds=limits,
                           bedrock_regions=regions, snapshot=snapshot)

    return build


def tool_context(settings: Settings, store: Store, email: str, *, channel: str = "cli",
                 snapshot: bool = False) -> ToolContext:
    """The caller is resolved here, once, from an identity the front door authenticated."""
    return context_for(settings, snapshot=snapshot)(store, resolve_caller(store, email, channel=channel))


def email_contexts(settings: Settings, channel: str) -> Callable[[Store, str], ToolContext]:
    """(a cursor, an authenticated email) -> their ToolContext on `channel` (MCP's ContextFactory)."""
    build = context_for(settings)
    return lambda store, email: build(store, resolve_caller(store, email, channel=channel))


def agent_config(settings: Settings, *, offline: bool = False,
                 credentials: Callable[[], bool] | None = None) -> AgentConfig:
    """The AgentConfig for this process, with 'auto' resolved to 'offline' or 'bedrock'
    (`credentials` replaces the boto3 credential lookup, for tests)."""
    from agent.service import aws_credentials_available, choose_mode

    agent = settings.agent
    model_id = (agent.bedrock_model_id or "").strip()
    mode = "offline" if offline else choose_mode(agent.mode, bedrock_configured=bool(model_id),
                                                 credentials=credentials or aws_credentials_available)
    extra = {"model_id": model_id} if model_id else {}
    return AgentConfig(mode=mode, region=agent.bedrock_region or settings.aws_region,
                       endpoint_url=agent.bedrock_endpoint_url or None, max_question_chars=agent.max_question_chars,
                       max_tool_rounds=agent.max_tool_rounds, history_turns=agent.history_turns,
                       checkpoint_path=agent.checkpoint, **extra)


def agent_model_check(settings: Settings, config: AgentConfig,
                      client_factory: Callable[[str], Any] | None = None) -> ModelCheck | None:
    """With real Bedrock (mode bedrock, no test endpoint): is the configured model Active and enabled?
    None when there is nothing to check. Never raises: a check that cannot run says so."""
    if config.mode != "bedrock" or config.endpoint_url:
        return None
    from agent.model_check import check_agent_model

    def default_client(region: str) -> Any:
        import boto3

        return boto3.client("bedrock", region_name=region)

    client = (client_factory or default_client)(config.region)
    return check_agent_model(client, config.model_id, config.region, today=settings.today(),
                             setting="STEWARD_BEDROCK_MODEL_ID")


def checked_agent_config(settings: Settings, config: AgentConfig, report: Callable[[str], None],
                         client_factory: Callable[[str], Any] | None = None) -> AgentConfig:
    """Check Steward's own model before the first question: `report` what to do when it is Legacy,
    retired or not enabled, and answer with the offline planner when it cannot answer at all."""
    check = agent_model_check(settings, config, client_factory)
    if check is None or check.verdict == "ok":
        return config
    report(check.message)
    if check.usable:
        return config
    report("Answering with the offline planner instead.")
    return replace(config, mode="offline")


def started_agent_config(settings: Settings, report: Callable[[str], None],
                         client_factory: Callable[[str], Any] | None = None) -> Callable[[], AgentConfig]:
    """For a long-running door (serve, MCP): resolve the agent config and check its model once, at start,
    so the operator reads what to do in the start-up log instead of users meeting a failing first answer."""
    config = checked_agent_config(settings, agent_config(settings), report, client_factory)
    return lambda: config
