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
from tools.schemas import compact

Action = Literal["read", "write", "agentic"]
ALL_PERSONAS = frozenset(PERSONAS)
_ATTRIBUTE = "__steward_tool__"
MAX_DESCRIPTION = 200  # characters: models read it in every conversation that can call the tool


@dataclass(frozen=True)
class Tool:
    """A tool. `description` (the docstring's first paragraph) is what models read on every call;
    `details` (the rest of the docstring: method, defaults, who sees what) is for people."""

    name: str
    description: str
    args_model: type[BaseModel]
    result_model: type[BaseModel]
    personas: frozenset[str]
    action: Action
    fn: Callable[[ToolContext, Any], BaseModel]
    family: str
    details: str = ""

    @property
    def read_only(self) -> bool:
        return self.action == "read"

    def input_schema(self) -> dict[str, Any]:
        return compact(self.args_model.model_json_schema())

    def output_schema(self) -> dict[str, Any]:
        return self.result_model.model_json_schema()


def tool(*, name: str, personas: frozenset[str] | set[str], action: Action, family: str) -> Callable:
    """Declare `fn(ctx, args: ArgsModel) -> ResultModel` a tool; tools.toolset registers it."""

    def declare(fn: Callable[[ToolContext, Any], BaseModel]) -> Callable[[ToolContext, Any], BaseModel]:
        hints = typing.get_type_hints(fn)
        params = list(inspect.signature(fn).parameters)
        description, _, details = inspect.cleandoc(fn.__doc__ or "").partition("\n\n")
        if not description:
            raise TypeError(f"tool {name} needs a docstring: its first paragraph is the description a model reads")
        if len(description) > MAX_DESCRIPTION:
            raise TypeError(f"tool {name}: the docstring's first paragraph is {len(description)} characters, "
                            f"over {MAX_DESCRIPTION}; models read it with every call, so move the detail "
                            "to the next paragraph")
        setattr(fn, _ATTRIBUTE, Tool(name=name, description=" ".join(description.split()),
                                     args_model=hints[params[1]], result_model=hints["return"],
                                     personas=frozenset(personas), action=action, fn=fn, family=family,
                                     details=details.strip()))
        return fn

    return declare


def declared_in(module: object) -> list[Tool]:
    """The tools a module declares, in the order they appear in it."""
    found = [getattr(v, _ATTRIBUTE) for v in vars(module).values() if callable(v) and hasattr(v, _ATTRIBUTE)]
    return [t for t in found if t.fn.__module__ == getattr(module, "__name__", None)]
