"""Root test configuration: doctests of modules that need an optional package skip, with the reason, when it is absent.

The tests under tests/ use ``pytest.importorskip`` themselves; doctests cannot,
so the modules whose examples need an optional package are listed here.
"""

from __future__ import annotations

import pytest

from exactrelu.optional import EXTRAS, available

# module (dotted) -> the optional packages its doctests import
DOCTEST_NEEDS = {
    "exactrelu.interop.torch_io": ("torch",),
    "exactrelu.interop.onnx_io": ("onnx", "onnxruntime"),
    "exactrelu.plot": ("matplotlib",),
    "exactrelu.oracle.steps_from_torch": ("torch",),
}


# modules that import an optional package at the top (compiled code, no doctests): not collected without it
IMPORT_NEEDS = {("exactrelu", "regions", "_planar_jit.py"): "numba"}


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    for parts, package in IMPORT_NEEDS.items():
        if collection_path.parts[-len(parts):] == parts and not available(package):
            return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    for item in items:
        if not isinstance(item, pytest.DoctestItem):
            continue
        for prefix, needs in DOCTEST_NEEDS.items():
            missing = [m for m in needs if (item.name == prefix or item.name.startswith(prefix + ".")) and not available(m)]
            if missing:
                extra = EXTRAS[missing[0]]
                item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)} (pip install \"exactrelu[{extra}]\")"))
