"""The import graph, read from the sources' import statements (nothing of the project is imported).

Layers (harness/__init__.py): core at the bottom; the store imports only core; scorers, the LM
layer and the report parser import neither the runner nor the store; no module imports itself
back through a chain of imports. Imports inside functions count as much as top-level ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("harness", "scorers", "cli")
CORE = "harness.core"
STORE = "harness.store"
# the runner and everything it drives; `harness.runner` was its home before the packages-by-job move
RUNNER = ("harness.benchmark", "harness.runner")
BELOW_RUNNER = ("scorers", "harness.lm", "harness.gold.parse", STORE)
ONLY_CORE = ("scorers", "harness.lm", "harness.gold.parse", STORE)
# the floors of harness/__init__.py: a package imports only packages on lower floors (and itself);
# a module under none of these (a new top-level module) is not checked until it is given a floor
FLOORS = {CORE: 1, STORE: 2, "harness.lm": 2, "harness.gold.parse": 2, "scorers": 2, "harness.gold": 3,
          "harness.retro": 4, "harness.benchmark": 4, "harness.results": 5, "harness.tune": 5, "harness.demo": 6,
          "cli": 7}


def _files() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for top in ("harness", "scorers"):
        for p in sorted((ROOT / top).rglob("*.py")):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = p
    out["cli"] = ROOT / "cli.py"
    return out


def _within(mod: str, pkg: str) -> bool:
    return mod == pkg or mod.startswith(pkg + ".")


def _is_project(mod: str) -> bool:
    return any(_within(mod, top) for top in PROJECT)


def _resolve(mod: str, modules: dict[str, Path]) -> str:
    """The longest known module `mod` names (an attribute import names its module)."""
    while mod not in modules and "." in mod:
        mod = mod.rsplit(".", 1)[0]
    return mod


def import_graph() -> dict[str, set[str]]:
    """module -> project modules it imports (at any depth in the file: lazy imports included)."""
    modules = _files()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for t in targets:
                if _is_project(t):
                    target = _resolve(t, modules)
                    if target != name:
                        edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        comp.append(m)
                        if m == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def _violations(graph: dict[str, set[str]], sources: tuple[str, ...], allowed) -> list[str]:
    return sorted(f"{m} -> {t}" for m, ts in graph.items() if any(_within(m, s) for s in sources)
                  for t in ts if not allowed(m, t))


def _own_package(m: str, t: str) -> bool:
    return any(_within(m, p) and _within(t, p) for p in ONLY_CORE)


def test_the_graph_is_read():
    graph = import_graph()
    assert "harness.core.models" in graph and "cli" in graph
    assert any(graph[m] for m in graph), "no project import found: the reader is broken"


def test_store_scorers_lm_and_parser_never_import_the_runner():
    bad = _violations(import_graph(), BELOW_RUNNER, lambda m, t: not any(_within(t, r) for r in RUNNER))
    assert not bad, "imports of the runner from below it:\n" + "\n".join(bad)


def test_scorers_lm_and_parser_never_import_the_store():
    bad = _violations(import_graph(), ("scorers", "harness.lm", "harness.gold.parse"),
                      lambda m, t: not _within(t, STORE))
    assert not bad, "imports of the store from scorers / lm / parse:\n" + "\n".join(bad)


def test_store_scorers_lm_and_parser_import_only_core():
    bad = _violations(import_graph(), ONLY_CORE, lambda m, t: _within(t, CORE) or _own_package(m, t))
    assert not bad, "imports above core:\n" + "\n".join(bad)


def test_core_imports_nothing_above_it():
    bad = _violations(import_graph(), (CORE,), lambda m, t: _within(t, CORE))
    assert not bad, "core imports from above:\n" + "\n".join(bad)


def _floor(mod: str) -> tuple[str, int] | None:
    homes = [(p, f) for p, f in FLOORS.items() if _within(mod, p)]
    return max(homes, key=lambda h: len(h[0])) if homes else None


def test_packages_import_only_lower_floors():
    bad = []
    for m, targets in import_graph().items():
        home = _floor(m)
        for t in sorted(targets):
            there = _floor(t)
            if home and there and home[0] != there[0] and there[1] >= home[1]:
                bad.append(f"{m} (floor {home[1]}) -> {t} (floor {there[1]})")
    assert not bad, "imports that point up or sideways (move the shared code down):\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
