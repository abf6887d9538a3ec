"""Every module imports in a fresh interpreter, and the Word rendering modules form a chain, not a circle
(issue 10.5: the registry of templates, the compiler, the contract check and the renderer used to import each
other)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> list[str]:
    names = []
    for path in sorted((SRC / "reportkit").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts))
    return names


MODULES = _modules()


def test_each_module_imports_in_a_fresh_interpreter() -> None:
    # One interpreter per module (a circle shows only when its modules are imported in a particular order);
    # several at a time, so that this costs seconds.
    env_path = str(SRC)
    running = [
        (name, subprocess.Popen([sys.executable, "-c", f"import {name}"], env={"PYTHONPATH": env_path},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        for name in MODULES
    ]  # fmt: skip
    failed = {}
    for name, process in running:
        _, err = process.communicate(timeout=120)
        if process.returncode != 0:
            failed[name] = err.decode("utf-8", "replace").strip().splitlines()[-1:]
    assert not failed


def _imports(module: str) -> set[str]:
    """The reportkit modules ``module`` imports anywhere (at module level or inside functions), except under
    ``if TYPE_CHECKING:`` (annotations only)."""
    path = SRC / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for guard in ast.walk(tree)
        if isinstance(guard, ast.If) and "TYPE_CHECKING" in ast.unparse(guard.test)
        for stmt in guard.body
        for node in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reportkit"):
            found.add(node.module)
            found.update(
                f"{node.module}.{alias.name}" for alias in node.names if f"{node.module}.{alias.name}" in MODULES
            )
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("reportkit"))
    return {name for name in found if name in MODULES and name != module}


#: The modules of Word, Excel and HTML output and the template registry: their imports must form a DAG.
CHAIN = [
    name
    for name in MODULES
    if name.startswith(("reportkit.render.", "reportkit.ooxml.")) or name in ("reportkit.templates",)
]


def test_rendering_modules_import_each_other_without_a_circle() -> None:
    graph = {name: _imports(name) & set(CHAIN) for name in CHAIN}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                pytest.fail("import circle: " + " → ".join([*path[path.index(target) :], target]))
            if target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in CHAIN:
        if name not in state:
            visit(name)


def test_the_word_chain() -> None:
    assert "reportkit.render.docx" not in _imports("reportkit.render.contract")
    assert "reportkit.render.docx_template" in _imports("reportkit.render.contract")
    assert "reportkit.render.contract" in _imports("reportkit.render.docx")
    assert not _imports("reportkit.templates") & {n for n in MODULES if n.startswith("reportkit.render")}
