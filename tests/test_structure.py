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


# Sizes one can hold in one's head (issue 10). The packages listed are checked; a data table (a module that is
# mostly literal data) may be named in DATA_TABLES with the reason it is long.
SIZED = ("agent", "evals", "ledger", "tools", "steward", "slack_app", "mcp_server")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
DATA_TABLES: dict[str, str] = {}


def sized_modules() -> list[Path]:
    return [p for package in SIZED for p in sorted((ROOT / package).rglob("*.py"))
            if str(p.relative_to(ROOT)) not in DATA_TABLES]


def long_functions(path: Path, limit: int) -> list[str]:
    """'name.py:function (N lines)' for each function (methods and nested ones too) longer than limit."""
    return [f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > limit]


def test_no_module_is_longer_than_the_limit() -> None:
    assert [f"{p.relative_to(ROOT)} ({n} lines)" for p in sized_modules()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES] == []


def test_no_function_is_longer_than_the_limit() -> None:
    assert [f for p in sized_modules() for f in long_functions(p, MAX_FUNCTION_LINES)] == []


def test_every_module_says_what_it_owns() -> None:
    """A one-line docstring at the top of each module."""
    assert [str(p.relative_to(ROOT)) for p in sized_modules()
            if p.stat().st_size and not ast.get_docstring(ast.parse(p.read_text()))] == []


def test_the_size_check_sees_a_long_function(tmp_path: Path) -> None:
    path = tmp_path / "long.py"
    path.write_text("def long():\n" + "    x = 1\n" * 70 + "\n\ndef short():\n    return 1\n")
    assert long_functions(path, MAX_FUNCTION_LINES) == ["long.py:long (71 lines)"]
