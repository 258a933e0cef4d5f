"""The ``oracle`` subcommands: make exact test vectors, check an implementation against them.

    exactrelu oracle make NET --inputs FILE -o VECTORS.json
    exactrelu oracle check VECTORS.json --callable module:function [--precision float32]
    exactrelu oracle check VECTORS.json --onnx MODEL.onnx --precision float32

``--inputs`` is a JSON list of points, a ``.npz`` holding one 2-D array (or
an array named ``X``), or a text/CSV file with one point per line (numbers
separated by commas or spaces; decimals are exact: "0.1" is 1/10).
``--callable`` names a function from a 2-D numpy batch of inputs to a batch of
outputs, as ``package.module:function`` or ``path/to/file.py:function``;
``--onnx`` runs a model with onnxruntime instead.
``check`` exits 0 when every disagreement is rounding, 1 when there is a real error.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..numbers import to_vector


def register(sub: Any) -> None:
    p = sub.add_parser("oracle", help="exact test vectors and conformance checks of float implementations")
    osub = p.add_subparsers(dest="oracle_command", metavar="ACTION")
    p.set_defaults(run=lambda args: _usage(p))

    m = osub.add_parser("make", help="write exact test vectors of a network at given inputs")
    m.add_argument("network", help="network file (.json, .npz or .onnx)")
    m.add_argument("--inputs", required=True, help="points: .json list, .npz array, or text/CSV (one point per line)")
    m.add_argument("-o", "--output", required=True, help="where to write the vectors (JSON)")
    m.set_defaults(run=_make)

    c = osub.add_parser("check", help="run an implementation on test vectors; classify its errors")
    c.add_argument("vectors", help="test vectors written by 'oracle make'")
    impl = c.add_mutually_exclusive_group(required=True)
    impl.add_argument("--callable", dest="callable_", help="module:function or file.py:function")
    impl.add_argument("--onnx", help="an ONNX model, run with onnxruntime")
    c.add_argument("--precision", choices=["float64", "float32"], default="float64")
    c.add_argument("--max-listed", type=int, default=5, help="how many worst cases to print (default 5)")
    c.set_defaults(run=_check)


def _usage(parser: Any) -> int:
    parser.print_help()
    return 2


def read_points(path: str) -> list:
    """Points from a .json list, a .npz array, or a text file; every number converted exactly."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"inputs file {path!r} does not exist")
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text(), parse_float=str)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: malformed JSON ({exc})") from None
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a JSON list of points")
        return [to_vector(v, f"{path}, point {i}") for i, v in enumerate(data)]
    if p.suffix.lower() == ".npz":
        from ..io import array_to_fractions

        key, arr, names = None, None, []
        try:
            with np.load(p, allow_pickle=False) as archive:
                names = archive.files
                key = "X" if "X" in names else (names[0] if len(names) == 1 else None)
                if key is not None:
                    arr = archive[key]
        except Exception as exc:  # damaged zip, pickled data, object arrays: all refused
            raise ValueError(f"{path}: not a readable .npz archive of plain arrays ({exc})") from None
        if key is None:
            raise ValueError(f"{path}: expected one array, or an array named 'X' (found {names})")
        return list(array_to_fractions(arr, f"{path}: array {key!r}", 2))
    points = []
    for k, line in enumerate(p.read_text().splitlines()):
        text = line.split("#", 1)[0].strip()
        if text:
            points.append(to_vector(text.replace(",", " ").split(), f"{path}, line {k + 1}"))
    return points


def load_callable(spec: str) -> Callable:
    """Import ``module:function`` or ``path/to/file.py:function``."""
    if ":" not in spec:
        raise ValueError(f"--callable must look like module:function, got {spec!r}")
    target, name = spec.rsplit(":", 1)
    if target.endswith(".py") or "/" in target:
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"--callable: file {target!r} does not exist")
        mod_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ValueError(f"--callable: cannot import {target!r} ({exc})") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"--callable: {target!r} has no function {name!r}")
    return fn


def _make(args: Any) -> int:
    from ..io import load
    from ..oracle import make_vectors, save

    net = load(args.network)
    vectors = make_vectors(net, read_points(args.inputs))
    save(vectors, args.output)
    ties = sum(1 for v in vectors if v.ties)
    print(f"wrote {len(vectors)} test vectors ({ties} with ties) for {net!r} to {args.output}")
    return 0


def _check(args: Any) -> int:
    from ..oracle import compare, load_vectors

    vectors = load_vectors(args.vectors)
    if args.onnx:
        from ..onnx_io import onnxruntime_function

        fn = onnxruntime_function(args.onnx)
    else:
        fn = load_callable(args.callable_)
    report = compare(fn, vectors, args.precision, max_listed=args.max_listed)
    print(report)
    sys.stdout.flush()
    return 0 if report.ok else 1
