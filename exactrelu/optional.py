"""Optional dependencies: one list of them, and one way to import them.

Each optional feature names the extra that installs it, so a missing package
gives one clear message instead of a traceback from deep inside, and the test
suite can skip what needs a package that is absent (with this reason).

>>> EXTRAS["torch"]
'torch'
>>> import_optional("no_such_package_xyz", "reading XYZ files")
Traceback (most recent call last):
...
ImportError: reading XYZ files needs the optional 'no_such_package_xyz' package, which is not installed
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

__all__ = ["EXTRAS", "import_optional", "available"]

# importable name -> the pyproject extra that installs it (pip install "exactrelu[EXTRA]")
EXTRAS = {
    "scipy": "lp",
    "highspy": "lp",
    "tqdm": "progress",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "torch": "torch",
    "matplotlib": "plot",
    "sklearn": "paper",
    "networkx": "graph",
    "distributed": "distributed",
    "dask": "distributed",
    "hypothesis": "test",
    "jsonschema": "docs",
    "mkdocs": "docs",
    "numba": "fast",
}


def available(name: str) -> bool:
    """True when the optional package ``name`` can be imported (without importing it).

    >>> available("fractions"), available("no_such_package_xyz")
    (True, False)
    """
    return importlib.util.find_spec(name) is not None


def import_optional(name: str, purpose: str) -> Any:
    """Import the optional package ``name``, or raise ImportError saying what needs it and how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        extra = EXTRAS.get(name.split(".")[0])  # "matplotlib.pyplot" comes with matplotlib
        how = f': pip install "exactrelu[{extra}]"' if extra else ", which is not installed"
        raise ImportError(f"{purpose} needs the optional {name!r} package{how}") from None
