"""What a tool is, and the decorator that declares one; tools.toolset collects them (one direction only)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from ledger.personas import PERSONAS
from tools.context import ToolContext

Action = Literal["read", "write", "agentic"]
ALL_PERSONAS = frozenset(PERSONAS)
_ATTRIBUTE = "__steward_tool__"


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args_model: type[BaseModel]
    result_model: type[BaseModel]
    personas: frozenset[str]
    action: Action
    fn: Callable[[ToolContext, Any], BaseModel]
    family: str

    @property
    def read_only(self) -> bool:
        return self.action == "read"

    def input_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        return self.result_model.model_json_schema()


def tool(*, name: str, personas: frozenset[str] | set[str], action: Action, family: str) -> Callable:
    """Declare `fn(ctx, args: ArgsModel) -> ResultModel` a tool; tools.toolset registers it."""

    def declare(fn: Callable[[ToolContext, Any], BaseModel]) -> Callable[[ToolContext, Any], BaseModel]:
        hints = typing.get_type_hints(fn)
        params = list(inspect.signature(fn).parameters)
        description = inspect.cleandoc(fn.__doc__ or "")
        if not description:
            raise TypeError(f"tool {name} needs a docstring: it is the description a model reads")
        setattr(fn, _ATTRIBUTE, Tool(name=name, description=description, args_model=hints[params[1]],
                                     result_model=hints["return"], personas=frozenset(personas),
                                     action=action, fn=fn, family=family))
        return fn

    return declare


def declared_in(module: object) -> list[Tool]:
    """The tools a module declares, in the order they appear in it."""
    found = [getattr(v, _ATTRIBUTE) for v in vars(module).values() if callable(v) and hasattr(v, _ATTRIBUTE)]
    return [t for t in found if t.fn.__module__ == getattr(module, "__name__", None)]
