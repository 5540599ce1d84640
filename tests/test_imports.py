"""The house has no import circles: every module imports in a fresh interpreter, module-level
imports between the app's modules form no cycle, and no function imports an app module except
the application factory and the command registration (which load the blueprints and commands
on demand, as Flask's factory pattern does).

The one accepted shape that looks like a circle: a blueprint package whose ``__init__`` creates
``bp`` and then imports its view modules, which import ``bp`` back (Flask's own tutorial does
this); edges from a package to its own submodules are therefore not counted.
"""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "seminar_app"
#: modules whose functions may import app modules: the factory and the command registration
LAZY_ALLOWED = {"seminar_app", "seminar_app.cli"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _target(module: str, path: Path, node: ast.ImportFrom, modules) -> list[str]:
    """The app modules an ``from ... import`` names (a submodule when it is one)."""
    if node.level:
        parts = module.split(".")
        if path.name != "__init__.py":
            parts = parts[:-1]
        parts = parts[:len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    found = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        found.append(candidate if candidate in modules else base)
    return [name for name in found if name in modules]


def _imports(modules) -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """(module-level import graph, imports made inside functions)."""
    graph, inner = {name: set() for name in modules}, []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nested = {id(sub) for node in ast.walk(tree)
                  if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                  for sub in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                targets = _target(name, path, node, modules)
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names if alias.name in modules]
            else:
                continue
            for target in targets:
                if id(node) in nested:
                    inner.append((name, node.lineno, target))
                elif not target.startswith(name + "."):  # a package loading its own views
                    graph[name].add(target)
    return graph, inner


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative enough)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_every_module_imports_in_a_fresh_interpreter():
    code = ("import importlib, pkgutil, seminar_app\n"
            "for info in pkgutil.walk_packages(seminar_app.__path__, 'seminar_app.'):\n"
            "    importlib.import_module(info.name)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def test_no_import_circles_between_modules():
    graph, _inner = _imports(_modules())
    assert _cycles(graph) == []


def test_no_imports_inside_functions_outside_the_factory():
    _graph, inner = _imports(_modules())
    assert [entry for entry in inner if entry[0] not in LAZY_ALLOWED] == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
