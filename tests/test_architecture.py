"""The package's structure, enforced: layers, no import cycles, short functions.

Imports are read statically (every ``import`` statement in a file, including
those inside functions, which run just the same when called); the lazy
re-exports of ``exactrelu/__init__.py`` are the one exception.

Layers, lowest first; a module may import only from its own layer or lower:
exact < nets and regions (one layer: ``Network.regions`` is the front door to
the region algorithms) < kernel < depth < numeric < interop < verification (with
``vnnlib``, its reader) < the top level
(oracle, testing, demo, cli).  ``optional`` (which optional packages exist) is
standard library only and sits with ``exact``.  Within a layer, the no-cycle
test keeps the modules in order.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "exactrelu"
LAYERS = ["exact", "nets", "kernel", "depth", "numeric", "interop", "verification", "top"]
FOLDERS = {"exact": "exact", "nets": "nets", "regions": "nets", "kernel": "kernel", "depth": "depth",
           "numeric": "numeric", "interop": "interop", "verification": "verification"}
BASE_MODULES = {"optional": "exact", "vnnlib": "verification"}  # top-level modules that belong to a lower layer
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PKG.rglob("*.py")}


def imports_of(name: str) -> set:
    """The exactrelu modules that module ``name`` imports (anywhere in the file)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}  # "from . import x" may name a module
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES if name != "exactrelu"}


def layer(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 2 and parts[1] in BASE_MODULES:
        return BASE_MODULES[parts[1]]
    return FOLDERS[parts[1]] if len(parts) > 1 and parts[1] in FOLDERS else "top"


def cycles(graph: dict) -> list:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_is_read():
    # the reader must see imports inside functions and "from . import module"
    assert "exactrelu.interop.onnx_io" in GRAPH["exactrelu.interop.io"]  # imported inside load()
    assert "exactrelu.exact._polytope" in GRAPH["exactrelu.exact.polyhedron"]  # from . import _polytope


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_folder_has_a_layer():
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders - {"cli"} == set(FOLDERS)


def test_each_layer_imports_only_from_lower_layers():
    wrong = [f"{m} ({layer(m)}) imports {t} ({layer(t)})"
             for m, targets in GRAPH.items() for t in targets
             if LAYERS.index(layer(t)) > LAYERS.index(layer(m))]
    assert wrong == []


def test_functions_are_short_or_say_why():
    """Over MAX_FUNCTION_LINES lines, a function carries a comment '# long: <reason>' in its body."""
    long = []
    for name, path in MODULES.items():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = lines[node.lineno - 1: node.end_lineno]
                if len(body) > MAX_FUNCTION_LINES and not any("# long:" in line for line in body):
                    long.append(f"{name}.{node.name} ({len(body)} lines)")
    assert long == []
