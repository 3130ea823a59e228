"""At start, with credentials: is the agent's configured model Active and enabled in this account?

Asks Bedrock (GetFoundationModel's modelLifecycle, GetFoundationModelAvailability) about the model
behind the configured id (a profile id such as global.anthropic.claude-haiku-4-5-... names its model)
and says exactly what to do when it cannot answer questions, instead of failing on the first one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from ledger.routing import model_of

Verdict = Literal["ok", "legacy", "unusable", "unchecked"]


class ModelCheck(BaseModel):
    verdict: Verdict
    configured: str
    model_id: str
    region: str
    eol: date | None = None
    message: str

    @property
    def usable(self) -> bool:
        return self.verdict != "unusable"


def _day(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value if isinstance(value, date) else None


def check_agent_model(client: Any, configured: str, region: str, *, today: date,
                      setting: str = "STEWARD_BEDROCK_MODEL_ID") -> ModelCheck:
    """`client` is a boto3 `bedrock` (control plane) client in the agent's Region."""
    model = model_of(configured)
    other = (f"pick another model with {setting} (a current Haiku-class model through a profile, e.g. "
             f"global.anthropic.claude-haiku-4-5-20251001-v1:0)")

    def result(verdict: Verdict, message: str, eol: date | None = None) -> ModelCheck:
        return ModelCheck(verdict=verdict, configured=configured, model_id=model, region=region, eol=eol,
                          message=message)

    try:
        details = client.get_foundation_model(modelIdentifier=model).get("modelDetails", {})
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ResourceNotFoundException", "ValidationException"):
            return result("unusable", f"Steward's agent model {model} does not exist in {region} (or has reached "
                                      f"end of life): {other}.")
        return result("unchecked", f"Could not check the agent model {model} in {region} ({code}: allow "
                                   "bedrock:GetFoundationModel to check it at start); continuing.")
    except BotoCoreError as exc:
        return result("unchecked", f"Could not check the agent model {model} in {region}: {exc}; continuing.")
    life = details.get("modelLifecycle") or {}
    eol = _day(life.get("endOfLifeTime"))
    if eol and today >= eol:
        return result("unusable", f"Steward's agent model {model} reached end of life on {eol:%Y-%m-%d}: {other}.", eol)
    try:
        avail = client.get_foundation_model_availability(modelId=model)
    except (ClientError, BotoCoreError):
        avail = {}
    if avail.get("authorizationStatus") == "NOT_AUTHORIZED" or avail.get("entitlementAvailability") == "NOT_AVAILABLE":
        return result("unusable", f"Steward's agent model {model} is not enabled in this account in {region}: "
                                  f"enable it in the Bedrock console (Model access), or {other}.", eol)
    if str(life.get("status", "")).upper() == "LEGACY":
        when = f" on {eol:%Y-%m-%d} ({(eol - today).days} days)" if eol else ""
        return result("legacy", f"Steward's agent model {model} is Legacy and reaches end of life{when}: {other} "
                                "before then.", eol)
    return result("ok", f"Agent model {model} is Active and enabled in {region}.", eol)
