# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The import graph of ``monai_angio``: no cycle between its subpackages (and top-level modules) nor between the
modules of ``monai_angio.inferers``, and nothing in the package imports the command line (``monai_angio.cli``).

Every ``import`` statement counts, at module level and inside functions (a lazy import is still a dependency), with
``from .x import y`` resolved against the importing module's package and ``from pkg import name`` resolved to the
submodule ``pkg.name`` when there is one. The files are parsed with :mod:`ast`, nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "monai_angio"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


def _module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (``pkg/__init__.py`` is ``pkg``)."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path, modules: Iterable[str]) -> set[str]:
    """The ``monai_angio`` modules ``name`` imports anywhere in its file (relative imports resolved)."""
    known = set(modules)
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known}
            found.update(submodules)
            if len(submodules) < len(node.names):  # a name defined in the module (or package) itself
                found.add(target)
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def _unit(module: str, inside: str | None = None) -> str | None:
    """The node of ``module``: ``monai_angio.<first part>`` or, with ``inside`` (a subpackage), the module itself when
    it lies in that subpackage (``None`` for modules outside it, and for the package root)."""
    parts = module.split(".")
    if inside is None:
        return ".".join(parts[:2]) if len(parts) > 1 else None
    return module if module == inside or module.startswith(inside + ".") else None


def _graph(inside: str | None = None) -> dict[str, set[str]]:
    modules = _module_names()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        src = _unit(name, inside)
        if src is None:
            continue
        graph.setdefault(src, set())
        for target in _imports(name, path, modules):
            dst = _unit(target, inside)
            if dst is not None and dst != src:
                graph[src].add(dst)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or ``None``."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_helpers_resolve_imports(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None
    pkg = tmp_path / PACKAGE / "inferers"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .deblur import x\n")
    (pkg / "deblur.py").write_text(
        "from ..io import read_cine\nfrom . import temporal\n\ndef f():\n    from monai_angio.cli import main\n"
    )
    modules = [f"{PACKAGE}.inferers", f"{PACKAGE}.inferers.deblur", f"{PACKAGE}.inferers.temporal", f"{PACKAGE}.io"]
    found = _imports(f"{PACKAGE}.inferers.deblur", pkg / "deblur.py", modules)
    assert found == {f"{PACKAGE}.io", f"{PACKAGE}.inferers.temporal", f"{PACKAGE}.cli"}
    assert _imports(f"{PACKAGE}.inferers", pkg / "__init__.py", modules) == {f"{PACKAGE}.inferers.deblur"}


def test_no_module_imports_the_cli():
    modules = _module_names()
    offenders = sorted(
        name
        for name, path in modules.items()
        if name != f"{PACKAGE}.cli" and f"{PACKAGE}.cli" in _imports(name, path, modules)
    )
    assert not offenders, (
        f"these modules import {PACKAGE}.cli (the command line uses the package, never back): {offenders}"
    )


def test_no_cycle_between_subpackages():
    graph = _graph()
    assert f"{PACKAGE}.io" in graph and f"{PACKAGE}.inferers" in graph
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle between subpackages: " + " -> ".join(cycle)


def test_no_cycle_inside_inferers():
    graph = _graph(inside=f"{PACKAGE}.inferers")
    assert f"{PACKAGE}.inferers.deblur" in graph
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle inside monai_angio.inferers: " + " -> ".join(cycle)
