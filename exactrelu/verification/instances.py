"""VNN-COMP benchmark instances: read an instances.csv, run one instance or all, judge another tool's results.

An ``instances.csv`` has one row ``onnx,vnnlib,timeout`` per instance, paths relative
to the csv's folder (as in VNN-COMP's benchmark folders).  A network or property file
ending in ``.gz``, or named without ``.gz`` when only the ``.gz`` file exists, is read
through gzip.  The result file of an instance is named :func:`result_name`:
``<network stem>_<property stem>.txt`` (``.gz``, then ``.onnx``, ``.json``, ``.npz`` or ``.vnnlib`` dropped).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "instances.csv").write_text("onnx/a.onnx,vnnlib/p.vnnlib,60\\nonnx/b.onnx.gz,vnnlib/q.vnnlib.gz,116.5\\n")
>>> [(i.onnx.name, i.vnnlib.name, i.timeout, result_name(i)) for i in read_instances(d / "instances.csv")]
[('a.onnx', 'p.vnnlib', 60.0, 'a_p.txt'), ('b.onnx.gz', 'q.vnnlib.gz', 116.5, 'b_q.txt')]
>>> _ = (d / "bad.csv").write_text("a.onnx,p.vnnlib,60\\na.onnx,p.vnnlib\\n")
>>> read_instances(d / "bad.csv")
Traceback (most recent call last):
...
ValueError: ...bad.csv:2: expected 'onnx,vnnlib,timeout', got 2 field(s)
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Instance", "read_instances", "result_name", "run_instance", "load_instance", "judge_instance"]


@dataclass(frozen=True)
class Instance:
    """One row of an instances.csv: the network and property paths (resolved), the timeout in seconds."""

    onnx: Path
    vnnlib: Path
    timeout: float
    line: int = 0


def read_instances(path: str | Path) -> list[Instance]:
    """The instances of a VNN-COMP ``instances.csv``; errors name the file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"instances file {str(p)!r}: cannot read ({exc})") from None
    out = []
    for k, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 3:
            raise ValueError(f"{p}:{k}: expected 'onnx,vnnlib,timeout', got {len(row)} field(s)")
        try:
            timeout = float(row[2])
        except ValueError:
            raise ValueError(f"{p}:{k}: the timeout {row[2].strip()!r} is not a number of seconds") from None
        if not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f"{p}:{k}: the timeout must be a positive number of seconds, got {row[2].strip()!r}")
        out.append(Instance(p.parent / row[0].strip(), p.parent / row[1].strip(), timeout, k))
    if not out:
        raise ValueError(f"{p}: no instances (expected rows 'onnx,vnnlib,timeout')")
    return out


def _stem(path: Path) -> str:
    name = path.name
    for suffixes in ((".gz",), (".onnx", ".json", ".npz", ".vnnlib")):
        name = next((name[: -len(x)] for x in suffixes if name.lower().endswith(x)), name)
    return name


def result_name(inst: Instance) -> str:
    """The result file name of an instance: ``<network stem>_<property stem>.txt``."""
    return f"{_stem(inst.onnx)}_{_stem(inst.vnnlib)}.txt"


def _gz(path: Path) -> Path | None:
    """The gzip file to read for ``path`` (itself when it ends in .gz, else path.gz when only that exists)."""
    if path.name.lower().endswith(".gz"):
        return path
    return Path(str(path) + ".gz") if not path.exists() and Path(str(path) + ".gz").is_file() else None


def _load_network(path: Path) -> Any:
    from ..interop.io import load

    gz = _gz(path)
    try:
        if gz is None:
            return load(path)
        with tempfile.TemporaryDirectory() as tmp:  # the loaders read files: decompress to one
            plain = Path(tmp) / _stem(path)
            plain = plain.with_name(plain.name + (".onnx" if ".onnx" in path.name.lower() else ".json"))
            try:
                with gzip.open(gz, "rb") as src, open(plain, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (OSError, EOFError) as exc:
                raise ValueError(f"cannot load {str(gz)!r}: not a readable gzip file ({exc})") from None
            return load(plain)
    except ImportError as exc:  # the onnx extra is missing: say which
        raise ValueError(f"cannot load {str(path)!r}: {exc}") from None


def _read_property(path: Path) -> Any:
    from ..vnnlib import VnnlibError, parse, read

    gz = _gz(path)
    if gz is None:
        return read(path)
    try:
        with gzip.open(gz, "rt", encoding="utf-8") as f:
            text = f.read()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise VnnlibError(f"{gz}: not a readable gzip text file ({exc})") from None
    return parse(text, str(gz))


def load_instance(onnx: str | Path, vnnlib: str | Path) -> tuple:
    """(network, property) of an instance, gzip allowed (see the module docstring)."""
    return _load_network(Path(onnx)), _read_property(Path(vnnlib))


def run_instance(onnx: str | Path, vnnlib: str | Path, timeout: float | None, result: str | Path | None = None) -> tuple:
    """Decide one instance within ``timeout`` seconds (loading included); write the VNN-COMP result file
    to ``result`` when given.  Returns (the result text's first word, the VerificationResult, seconds)."""
    from .decide import verify
    from .results import result_text

    start = time.monotonic()
    net, prop = load_instance(onnx, vnnlib)
    left = None if timeout is None else max(0.0, timeout - (time.monotonic() - start))
    r = verify(net, prop, time_limit=left)
    text = result_text(r)
    if result is not None:
        folder = os.path.dirname(os.fspath(result))
        if folder:
            os.makedirs(folder, exist_ok=True)
        Path(result).write_text(text, encoding="utf-8")
    return text.split()[0], r, time.monotonic() - start


def judge_instance(inst: Instance, result: Path, *, tolerance: Any, time_limit: float | None) -> dict:
    """Judge another tool's result file for ``inst`` (:func:`exactrelu.verification.results.judge`);
    a missing result file is the verdict "missing"."""
    from .results import judge, read_result

    if not result.is_file():
        return {"verdict": "missing", "claim": "-", "detail": f"no result file {result.name}"}
    claim = read_result(result)
    net, prop = load_instance(inst.onnx, inst.vnnlib)
    return {"claim": claim.status, **judge(net, prop, claim, tolerance=tolerance, time_limit=time_limit)}
