"""The trusted kernel stays small and sympy-free: its static import closure, enforced.

Starting from exactrelu/kernel/checker.py, every ``import`` statement anywhere in a file
(inside functions too) is followed through exactrelu; package ``__init__`` files are
counted when reached (only the lazy re-exports of ``exactrelu/__init__.py`` are left
out, as issue 7 allows).  Every import outside exactrelu must be the standard library
or python-flint.

Lines are physical lines, as ``wc -l`` counts them: blank lines, comments and docstrings all
count.  Issue 7 asks for at most 2,000 (MAX_PHYSICAL); never raise it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "exactrelu"
ENTRY = "exactrelu.kernel.checker"
MAX_PHYSICAL = 2000  # issue 7, part 2


def _path(module: str) -> Path | None:
    rel = Path(*module.split(".")[1:])
    for p in (PKG / rel.with_suffix(".py"), PKG / rel / "__init__.py"):
        if p.is_file():
            return p
    return None


def _imports(module: str, path: Path) -> tuple[set, set]:
    """(exactrelu modules, outside top-level names) imported anywhere in the file."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]  # "from . import x" may name a module
        else:
            continue
        for name in names:
            if name.split(".")[0] == "exactrelu":
                if _path(name) is not None:
                    inside.add(name)
            elif name != "__future__" and not name.startswith("__future__."):
                outside.add(name.split(".")[0])
    return inside, outside


def closure() -> tuple[dict, set]:
    """({module: physical lines}, outside top-level imports) of the kernel's static import closure."""
    seen, todo, outside = {}, [ENTRY], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        path = _path(module)
        lines = path.read_text().splitlines()
        seen[module] = len(lines)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(2, len(parts))]  # importing a.b.c runs a.b's __init__
        inside, out = _imports(module, path)
        todo += sorted(inside)
        outside |= out
    seen.pop("exactrelu", None)  # the lazy re-exports of the top-level package are not run by the kernel
    return seen, outside


def test_kernel_closure_is_small():
    modules, _ = closure()
    physical = sum(modules.values())
    listing = ", ".join(f"{m} {n}" for m, n in sorted(modules.items()))
    assert physical <= MAX_PHYSICAL, f"the kernel's closure has {physical} lines (limit {MAX_PHYSICAL}): {listing}"
    assert physical == sum(len(_path(m).read_text().splitlines()) for m in modules)  # as wc -l counts them
    assert "exactrelu.kernel.rules.t4" in modules and "exactrelu.kernel.terms" in modules  # the walk works


def test_kernel_closure_is_stdlib_and_flint_only():
    modules, outside = closure()
    foreign = sorted(m for m in outside if m not in sys.stdlib_module_names and m != "flint")
    assert foreign == [], f"the kernel imports {foreign}"
    assert not any(m.startswith(("exactrelu.depth", "exactrelu.numeric", "exactrelu.nets")) for m in modules), modules


def test_kernel_does_not_load_sympy_at_run_time():
    import subprocess

    code = ("import sys, json; from exactrelu.kernel.checker import check; "
            "from exactrelu.kernel.terms import parse, same; assert same(parse('1/n - 1/(n+1)'), parse('1/(n^2+n)')); "
            "bad = [m for m in ('sympy', 'numpy', 'mpmath', 'scipy') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
