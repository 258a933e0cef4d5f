"""The ``oracle`` subcommands: make exact test vectors, check an implementation against them.

    exactrelu oracle make NET --inputs FILE -o VECTORS.json
    exactrelu oracle check VECTORS.json --callable module:function [--precision float32]
    exactrelu oracle check VECTORS.json --onnx MODEL.onnx [--precision tf32]

``--inputs`` is a JSON list of points, a ``.npz`` holding one 2-D array (or
an array named ``X``), or a text/CSV file with one point per line (numbers
separated by commas or spaces; decimals are exact: "0.1" is 1/10).
``--callable`` names a function from a 2-D numpy batch of inputs to a batch of
outputs, as ``package.module:function`` or ``path/to/file.py:function``;
``--onnx`` runs a model with onnxruntime instead.  ``--precision`` is a
precision model (float64, float32, tf32, bfloat16, float16, an integer number
of bits, or storage,accumulation,output); without it, it is the ONNX model's
input type, or the dtype of a torch module given as the callable, else float64.
``check`` exits 0 when every disagreement is rounding, 1 when there is a real error.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Callable


from ._help import HelpFormatter, epilog
from ._inputs import load_network, network_command, read_points
from ._numbers import NUMBERS_HELP, add_number_options, formatter

_EXAMPLES = [
    ("exactrelu oracle make net.json --inputs points.txt -o vectors.json", "exact test vectors"),
    ("exactrelu oracle check vectors.json --callable impl.py:forward", "check impl.py's forward(X)"),
    ("exactrelu oracle check vectors.json --callable impl.py:forward --precision float32 --exact",
     "a float32 model; exact values"),
]
# a float64 forward pass of a network file (what the help's examples run on 'exactrelu demo -o net.json')
_IMPL = """\
  import json
  from fractions import Fraction
  import numpy as np
  def layer(L):                        # exact strings such as "1/3" -> float64 arrays
      return (np.array([[float(Fraction(v)) for v in row] for row in L["W"]]),
              np.array([float(Fraction(v)) for v in L["b"]]))
  NET = json.load(open("net.json"))
  HIDDEN, OUT = [layer(L) for L in NET["layers"]], layer(NET["output"])
  def forward(X):                      # a 2-D batch of inputs -> a 2-D batch of outputs
      for W, b in HIDDEN:
          X = np.maximum(X @ W.T + b, 0)
      return X @ OUT[0].T + OUT[1]"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "oracle",
        help="exact test vectors and conformance checks of float implementations",
        description="Exact test vectors of a network ('make') and a check that a float implementation "
        "agrees with them up to a rigorous rounding bound ('check': exit 0 only rounding, 1 a real error, "
        "2 bad input).",
        epilog=epilog(_EXAMPLES, "See 'exactrelu oracle make --help' and 'exactrelu oracle check --help'."),
        formatter_class=HelpFormatter,
    )
    osub = p.add_subparsers(dest="oracle_command", metavar="ACTION")
    p.set_defaults(run=lambda args: _usage(p))

    m = network_command(
        osub, "make", "write exact test vectors of a network at given inputs",
        "Evaluate a network exactly at each input and write, per input, the exact output, its "
        "nearest float64, the activation pattern with ties and every exact pre-activation (JSON, the network "
        "embedded). Inputs: a .json list of points, an .npz holding one 2-D array (or one named X), or text "
        "with one point per line (numbers separated by commas or spaces; '0.1' means exactly 1/10).", _make,
        epilog(_EXAMPLES[:1]),
    )
    m.add_argument("--inputs", required=True, help="points: .json list, .npz array, or text/CSV (one point per line)")
    m.add_argument("-o", "--output", required=True, help="where to write the vectors (JSON)")

    c = osub.add_parser(
        "check",
        help="run an implementation on test vectors; classify its errors",
        description="Re-verify the test vectors, run an implementation on their inputs (rounded to "
        "--precision) and sort every disagreement into rounding (within a rigorous error bound) or a real "
        "error. --callable names a function from a 2-D numpy batch to a batch of outputs. "
        "Exit 0 only rounding, 1 a real error, 2 bad input or a failing implementation.",
        epilog=epilog(_EXAMPLES[1:], "impl.py holds your implementation, for instance:\n\n" + _IMPL,
                      NUMBERS_HELP + " Whether an error is within its bound is decided exactly, whatever is printed."),
        formatter_class=HelpFormatter,
    )
    c.add_argument("vectors", help="test vectors written by 'oracle make'")
    impl = c.add_mutually_exclusive_group(required=True)
    impl.add_argument("--callable", dest="callable_", help="module:function or file.py:function")
    impl.add_argument("--onnx", help="an ONNX model, run with onnxruntime")
    c.add_argument("--precision", default=None, type=_precision,
                   help="precision model: float64, float32, tf32, bfloat16, float16, bits, or storage,accumulation,output "
                   "(default: the ONNX model's input type or the torch module's dtype, else float64)")
    c.add_argument("--max-listed", type=_nonnegative, default=5, help="how many worst cases to print (default 5)")
    c.add_argument("--probabilistic", type=_probability, default=None, metavar="P",
                   help="use the probabilistic bound (not a guarantee: rounding errors modelled as random, "
                   "Higham-Mary); all bounds hold together with probability >= 1 - P under that model")
    add_number_options(c)
    c.set_defaults(run=_check)


def _probability(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a probability in (0, 1), got {value}")
    return value


def _nonnegative(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a nonnegative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a nonnegative integer, got {value}")
    return value


def _precision(text: str) -> Any:
    import argparse

    from ..numeric.precision import get_precision

    word = lambda t: int(t) if t.strip().isdigit() else t.strip()  # noqa: E731 - a format name or a bit count
    value: Any = tuple(word(t) for t in text.split(",")) if "," in text else word(text)
    try:
        return get_precision(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _onnx_session(path: str) -> tuple:
    """An onnxruntime session of the model and the precision its input type names (None if unknown)."""
    from ..optional import import_optional

    ort = import_optional("onnxruntime", "running ONNX models")
    try:
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ValueError(f"onnxruntime cannot open the model ({type(exc).__name__}: {exc})") from None
    kinds = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
             "tensor(bfloat16)": "bfloat16"}
    inputs = sess.get_inputs()
    return sess, (kinds.get(inputs[0].type) if len(inputs) == 1 else None)


def _torch_dtype(fn: Any) -> str | None:
    """The precision named by the dtype of a torch module's first parameter (None if fn is no module)."""
    from ..numeric.precision import precision_of_dtype

    params = getattr(fn, "parameters", None)
    if not callable(params):
        return None
    first = next(iter(params()), None)
    return None if first is None else precision_of_dtype(first.dtype)


def _usage(parser: Any) -> int:
    parser.print_help()
    return 2


def load_callable(spec: str) -> Callable:
    """Import ``module:function`` or ``path/to/file.py:function``."""
    if ":" not in spec:
        raise ValueError(f"--callable must look like module:function, got {spec!r}")
    target, name = spec.rsplit(":", 1)
    try:
        module = _import(target)
    except ValueError:
        raise
    except (Exception, SystemExit) as exc:  # a broken user module: say so, no traceback from here
        raise ValueError(f"--callable: importing {target!r} failed: {_describe(exc)}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"--callable: {target!r} has no function {name!r}")
    return fn


def _import(target: str) -> Any:
    if target.endswith(".py") or "/" in target:
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"--callable: file {target!r} does not exist")
        mod_spec = importlib.util.spec_from_file_location(path.stem, path)
        if mod_spec is None or mod_spec.loader is None:
            raise ValueError(f"--callable: cannot import {target!r} as a Python file")
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        return module
    # The console script's sys.path lacks the current directory, so "mymodule:f"
    # next to the user's files would not import; look there first, as python -m does.
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(target)
    except ImportError as exc:
        raise ValueError(f"--callable: cannot import {target!r} ({exc})") from None
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)


def _guarded(fn: Callable) -> Callable:
    """``fn`` whose failures (even SystemExit) become one clear ValueError, not a traceback or exit 0."""

    def run(X: Any) -> Any:
        try:
            return fn(X)
        except (Exception, SystemExit) as exc:
            raise ValueError(f"the implementation raised {_describe(exc)}") from None

    return run


def _describe(exc: BaseException) -> str:
    """``Type: message (file:line)`` of the innermost frame, for errors raised by user code."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = ""
    if tb is not None and tb.tb_frame.f_code.co_filename != __file__:  # not our own wrapper
        where = f" ({tb.tb_frame.f_code.co_filename}:{tb.tb_lineno})"
    if isinstance(exc, SyntaxError):
        where = f" ({exc.filename}:{exc.lineno})"
    return f"{type(exc).__name__}: {exc}{where}"


def _make(args: Any) -> int:
    from ..oracle import make_vectors, save

    out = Path(args.output).resolve()
    for name, given in (("network", args.network), ("inputs", args.inputs)):
        if Path(given).resolve() == out:  # would replace the user's own file by the vectors
            raise ValueError(f"-o {args.output!r} is the {name} file; write the vectors elsewhere")
    net = load_network(args.network)
    vectors = make_vectors(net, read_points(args.inputs, net.input_dim))
    save(vectors, args.output)
    ties = sum(1 for v in vectors if v.ties)
    print(f"wrote {len(vectors)} test vectors ({ties} with ties) for {net!r} to {args.output}")
    return 0


def _check(args: Any) -> int:
    from ..oracle import compare, load_vectors

    vectors = load_vectors(args.vectors)
    if len(vectors) == 0:
        raise ValueError(f"{args.vectors}: holds no test vectors, so nothing would be checked")
    if args.onnx:
        from ..interop.onnx_io import onnxruntime_function

        try:
            sess, found = _onnx_session(args.onnx)
            fn = onnxruntime_function(sess)
        except ImportError as exc:
            raise ValueError(str(exc)) from None
        source = "the ONNX model's input type"
    else:
        fn = load_callable(args.callable_)
        found, source = _torch_dtype(fn), "the torch module's dtype"
        if found is not None:
            fn = _torch_module(fn)
    precision = args.precision or found or "float64"
    if args.precision is None:
        print(f"precision: {precision} (from {source if found else 'the default'}; set it with --precision)")
    report = compare(_guarded(fn), vectors, precision, max_listed=args.max_listed,
                     failure_probability=args.probabilistic)
    print(report_text(report, formatter(args)))
    sys.stdout.flush()
    return 0 if report.ok else 1


def _torch_module(module: Any) -> Callable:
    """A torch module as a function of numpy batches (cast to its parameters' dtype, no gradients)."""
    import torch

    first = next(iter(module.parameters()))

    def fn(X: Any) -> Any:
        with torch.no_grad():
            return module(torch.from_numpy(X).to(device=first.device, dtype=first.dtype))

    return fn


def report_text(report: Any, fmt: Callable) -> str:
    """The comparison report (``str(report)``'s layout) with every value in the chosen number format."""
    return report.text(lambda d: _disagreement_text(d, fmt))


def _disagreement_text(d: Any, fmt: Callable) -> str:
    import math
    from fractions import Fraction

    got = fmt(Fraction(d.got)) if math.isfinite(d.got) else repr(d.got)  # a float's exact binary value
    err = fmt(d.error) if isinstance(d.error, Fraction) else "inf"
    if d.bound is None:
        tail = f"error {err}, no rigorous bound (the float evaluation may overflow)"
    else:
        rel = "<=" if isinstance(d.error, Fraction) and d.error <= d.bound else ">"  # decided exactly
        tail = f"error {err} {rel} bound {fmt(d.bound)}"
    return f"input {d.input_index}, output {d.output_index}: exact {fmt(d.exact)}, got {got}, {tail}"
