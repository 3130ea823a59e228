"""The layout's rules, checked on the source: the doors (slack_app, mcp_server) never import the
composition root (steward), not even inside a function; steward is the only package that imports a door."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOORS = ("slack_app", "mcp_server")
LOWER = ("ledger", "tools", "agent")  # the layers below the doors


def imported_packages(path: Path) -> set[str]:
    """Top-level package of every import in the file, at any depth (module, function, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def offenders(packages: tuple[str, ...], forbidden: set[str]) -> list[str]:
    return sorted(f"{path.relative_to(ROOT)} imports {', '.join(sorted(imported_packages(path) & forbidden))}"
                  for package in packages for path in sorted((ROOT / package).rglob("*.py"))
                  if imported_packages(path) & forbidden)


def test_the_doors_never_import_steward() -> None:
    assert offenders(DOORS, {"steward"}) == []


def test_the_layers_below_never_import_a_door_or_steward() -> None:
    assert offenders(LOWER, {"steward", *DOORS}) == []


@pytest.mark.parametrize("source", [
    "import steward.settings\n",
    "from steward.wiring import thresholds\n",
    "def later():\n    from steward import cli_agent\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from steward.settings import Settings\n",
    "import importlib\nimportlib.import_module('steward.wiring')\n",
])
def test_the_check_sees_every_form_of_import(tmp_path: Path, source: str) -> None:
    path = tmp_path / "door.py"
    path.write_text(source)
    assert "steward" in imported_packages(path)


def project_imports(path: Path) -> set[str]:
    """Modules of the project this file imports, at any depth (a package import counts as its __init__)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module, *[f"{node.module}.{a.name}" for a in node.names]] \
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
        out |= {n for n in names if (ROOT / (n.replace(".", "/") + ".py")).exists()}
    return out


def test_no_import_cycles_among_the_doors_and_the_root() -> None:
    graph = {".".join(p.relative_to(ROOT).with_suffix("").parts): project_imports(p)
             for package in (*DOORS, "steward") for p in (ROOT / package).rglob("*.py")}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph.get(module, ())):
            if target in path:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target in graph and target not in done:
                visit(target, [*path, target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        visit(module, [module])
    assert cycles == []
