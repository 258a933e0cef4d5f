"""A test oracle: exact test vectors, and conformance checks of float implementations.

:func:`make_vectors` evaluates a network exactly on given inputs and records,
for each, the exact output (rational strings in JSON), its nearest float64,
the activation pattern with its ties, and every neuron's exact margin (its
pre-activation).  :func:`save` writes them as JSON with the network embedded;
:func:`load_vectors` reads and re-verifies them.

:func:`compare` runs a foreign implementation (any callable from a 2-D numpy
batch of inputs to a batch of outputs: a torch model, an onnxruntime session
wrapped in a function, ...) in float32 or float64 and sorts every
disagreement with the exact output into *rounding* (inside a rigorous error
bound for that precision, network and input, the rounding of the input
included) or a *real error* (outside it).  The comparison itself is exact:
the foreign floats are converted to rationals.

:func:`compare_gradients` does the same for input gradients (against the
exact Jacobian of the region, at ties the exact set of one-sided Jacobians),
and :func:`compare_regions` judges another tool's list of linear regions
against the exact partition.

>>> from exactrelu import Network
>>> net = Network([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], [0]))
>>> vecs = make_vectors(net, [[1, "1/4"], ["1/3", 0]])
>>> vecs[0].output, vecs[0].pattern
((Fraction(9, 4),), Pattern('11'))
>>> import numpy as np
>>> good = lambda X: np.maximum(X @ np.array([[1., 1.], [-1., 1.]]) + [0, -.5], 0) @ np.array([[1.], [2.]])
>>> compare(good, vecs).ok
True
>>> bad = lambda X: np.maximum(X @ np.array([[1., 1.], [-1., 1.]]) + [0, .5], 0) @ np.array([[1.], [2.]])
>>> report = compare(bad, vecs)
>>> report.ok, len(report.real_errors), report.real_errors[0].input_index
(False, 2, 0)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterator

import numpy as np

from .interop.arrays import nearest_float
from .exact.jsonio import envelope, no_unknown_keys as _no_unknown_keys, read_envelope, write_json
from .nets.network import Network
from .exact.numbers import fraction_str, to_vector
from .nets.pattern import Pattern

__all__ = ["Vector", "Vectors", "Disagreement", "ComparisonReport", "make_vectors", "save", "load_vectors", "compare",
           "GradientDisagreement", "GradientReport", "compare_gradients", "compare_regions", "steps_from_torch"]

FORMAT = "exactrelu.oracle"
VERSION = 1
PRECISIONS = {"float32": np.float32, "float64": np.float64, "float16": np.float16}  # dtypes of the inputs handed over


# ------------------------------------------------------------ test vectors
@dataclass(frozen=True)
class Vector:
    """One test vector: an exact input and everything the network does on it, exactly."""

    input: tuple
    output: tuple
    output_float64: tuple
    pattern: Pattern
    margins: tuple  # per hidden layer, the exact pre-activations z_i(x)

    @property
    def ties(self) -> tuple:
        """The (layer, neuron) pairs whose pre-activation is exactly 0."""
        return self.pattern.ties

    def to_json(self) -> dict:
        return {
            "input": [fraction_str(v) for v in self.input],
            "output": [fraction_str(v) for v in self.output],
            "output_float64": list(self.output_float64),
            "pattern": str(self.pattern),
            "ties": [list(t) for t in self.ties],
            "margins": [[fraction_str(v) for v in z] for z in self.margins],
        }


@dataclass(frozen=True)
class Vectors:
    """Test vectors of one network (a sequence of :class:`Vector`, with ``.network``)."""

    network: Network
    vectors: tuple = field(default=())

    def __len__(self) -> int:
        return len(self.vectors)

    def __iter__(self) -> Iterator[Vector]:
        return iter(self.vectors)

    def __getitem__(self, i: int) -> Vector:
        return self.vectors[i]

    def inputs(self, precision: str = "float64") -> np.ndarray:
        """The inputs as a 2-D array of ``precision``, each entry the nearest float (exact when it can be)."""
        t = _dtype(precision)
        out = np.empty((len(self.vectors), self.network.input_dim), dtype=t)
        for i, v in enumerate(self.vectors):
            for j, q in enumerate(v.input):
                try:
                    out[i, j] = nearest_float(q, precision)
                except ValueError as exc:  # beyond the float range: no float input can stand for it
                    raise ValueError(f"input {i}, entry {j}: {exc}") from None
        return out

    def to_json(self) -> dict:
        """The vectors as a JSON-ready dict, the network embedded (format "exactrelu.oracle")."""
        return envelope(FORMAT, VERSION, network=self.network.to_json(), vectors=[v.to_json() for v in self.vectors])

    @classmethod
    def from_json(cls, source: Any, *, verify: bool = True) -> "Vectors":
        """Read vectors from a path, JSON string or dict (see :func:`load_vectors`)."""
        return load_vectors(source, verify=verify)


def _vector(net: Network, x: tuple, where: str = "input") -> Vector:
    margins = net.pre_activations(x)
    pattern = Pattern(
        [[1 if z > 0 else 0 for z in layer] for layer in margins],
        [(i, j) for i, layer in enumerate(margins) for j, z in enumerate(layer) if z == 0],
    )
    out = net(x)
    floats = []
    for j, v in enumerate(out):
        try:
            floats.append(nearest_float(v))
        except ValueError as exc:  # an exact output beyond float64: no float oracle for it
            raise ValueError(f"{where}, output {j}: the exact output {exc}") from None
    return Vector(tuple(x), out, tuple(floats), pattern, margins)


def _convert_inputs(net: Network, inputs: Any) -> list:
    if isinstance(inputs, np.ndarray) and inputs.ndim != 2:
        hint = "; use X.reshape(1, -1) for one input" if inputs.ndim == 1 else ""
        raise ValueError(f"inputs must be a 2-D array (one input per row), got shape {inputs.shape}{hint}")
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__"):
        raise ValueError("inputs must be a sequence of input vectors")
    if len(inputs) and all(isinstance(v, (int, float, str, Fraction)) for v in inputs):
        raise ValueError("inputs must be a list of input vectors, got a flat list of numbers; pass [x] for one input")
    out = []
    for i, x in enumerate(inputs):
        v = to_vector(x, f"input {i}")
        if len(v) != net.input_dim:
            raise ValueError(f"input {i} has dimension {len(v)}, the network expects {net.input_dim}")
        out.append(v)
    return out


def make_vectors(net: Network, inputs: Any) -> Vectors:
    """Exact test vectors of ``net`` at each of ``inputs`` (rows; numbers converted exactly).

    >>> from exactrelu import Network
    >>> v = make_vectors(Network([([[1, 1]], [-1])]), [["1/2", "1/2"]])[0]
    >>> v.output, v.ties, v.margins
    ((Fraction(0, 1),), ((0, 0),), ((Fraction(0, 1),),))
    """
    if not isinstance(net, Network):
        raise ValueError(f"make_vectors expects a Network, got {type(net).__name__}")
    net.require_relu("make_vectors (test vectors record ReLU margins)")
    return Vectors(net, tuple(_vector(net, x, f"input {i}") for i, x in enumerate(_convert_inputs(net, inputs))))


def save(vectors: Vectors, path: str | os.PathLike) -> None:
    """Write test vectors as JSON (network embedded), atomically.

    >>> import os, tempfile
    >>> from exactrelu import Network
    >>> p = os.path.join(tempfile.mkdtemp(), "v.json")
    >>> vecs = make_vectors(Network([([[2]], [1])]), [["1/3"]])
    >>> save(vecs, p); load_vectors(p) == vecs
    True
    """
    if not isinstance(vectors, Vectors):
        raise ValueError(f"oracle.save expects Vectors (from make_vectors), got {type(vectors).__name__}")
    write_json(vectors.to_json(), path)


def load_vectors(source: Any, *, verify: bool = True) -> Vectors:
    """Read test vectors from a path, JSON string or dict; with ``verify`` recompute every one exactly.

    Verification re-evaluates the embedded network on each input and requires
    the stored output, float64 output, pattern, ties and margins to match
    exactly, so a damaged or edited file is an error, not a wrong oracle.
    """
    data = read_envelope(source, "test vectors", FORMAT, VERSION, {"network", "vectors"})
    # The network must be embedded: a string here would be read as a path to some other file.
    if not isinstance(data.get("network"), dict) or not isinstance(data.get("vectors"), list):
        raise ValueError("test vectors: keys 'network' (object) and 'vectors' (list) are required")
    try:
        net = Network.from_json(data["network"])
    except ValueError as exc:
        raise ValueError(f"test vectors: embedded network: {exc}") from None
    net.require_relu("test vectors (they record ReLU margins)")
    out = []
    for i, item in enumerate(data["vectors"]):
        out.append(_parse_vector(net, item, f"test vectors: vector {i}", verify))
    return Vectors(net, tuple(out))


def _parse_vector(net: Network, item: Any, where: str, verify: bool) -> Vector:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: must be an object")
    missing = [k for k in ("input", "output", "output_float64", "pattern", "margins") if k not in item]
    if missing:
        raise ValueError(f"{where}: missing key {missing[0]!r}")
    _no_unknown_keys(item, {"input", "output", "output_float64", "pattern", "ties", "margins"}, where)
    x = to_vector(item["input"], f"{where}, input", length=net.input_dim)
    output = to_vector(item["output"], f"{where}, output", length=net.output_dim)
    floats = item["output_float64"]
    if not isinstance(floats, list) or len(floats) != net.output_dim:
        raise ValueError(f"{where}: 'output_float64' must be a list of {net.output_dim} numbers")
    try:
        if any(isinstance(v, bool) for v in floats):
            raise TypeError
        f64 = tuple(float(v) for v in floats)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: 'output_float64' must hold numbers") from None
    margins = item["margins"]
    if not isinstance(margins, list) or len(margins) != net.depth:
        raise ValueError(f"{where}: 'margins' must be a list of {net.depth} layers")
    margins = tuple(to_vector(z, f"{where}, margins, layer {k}", length=w) for k, (z, w) in enumerate(zip(margins, net.widths)))
    pattern = _parse_pattern(item["pattern"], item.get("ties", []), where)
    stored = Vector(x, output, f64, pattern, margins)
    if verify:
        fresh = _vector(net, x)
        for name in ("output", "output_float64", "pattern", "margins"):
            if getattr(fresh, name) != getattr(stored, name):
                raise ValueError(f"{where}: stored {name!r} does not match the embedded network's exact evaluation")
    return stored


def _parse_pattern(text: Any, ties: Any, where: str) -> Pattern:
    if not isinstance(text, str):
        raise ValueError(f"{where}: 'pattern' must be a string like '10|011'")
    ok = isinstance(ties, list) and all(
        isinstance(t, list) and len(t) == 2 and all(type(v) is int for v in t) for t in ties
    )
    if not ok:
        raise ValueError(f"{where}: 'ties' must be a list of [layer, neuron] integer pairs")
    try:
        return Pattern.parse(text, [tuple(t) for t in ties])
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


# -------------------------------------------------------------- comparison
@dataclass(frozen=True)
class Disagreement:
    """One output value where the implementation differs from the exact value.

    ``error`` is ``|got - exact|`` as a Fraction (``math.inf`` when ``got`` is
    NaN or infinite); ``bound`` is the rigorous rounding-error bound (None when
    none could be given, because the float evaluation may overflow).
    """

    input_index: int
    output_index: int
    exact: Fraction
    got: float
    error: Any
    bound: Fraction | None

    @property
    def ratio(self) -> float:
        """error / bound (inf when the bound is 0 or the value is not finite)."""
        if not isinstance(self.error, Fraction) or not self.bound:
            return math.inf
        try:
            return float(self.error / self.bound)
        except OverflowError:
            return math.inf

    def __str__(self) -> str:
        err = _g(self.error) if isinstance(self.error, Fraction) else "inf"
        if self.bound is None:
            tail = f"error {err}, no rigorous bound (the float evaluation may overflow)"
        else:
            rel = "<=" if isinstance(self.error, Fraction) and self.error <= self.bound else ">"
            tail = f"error {err} {rel} bound {_g(self.bound)}"
        return f"input {self.input_index}, output {self.output_index}: exact {_exact_text(self.exact)}, got {self.got!r}, {tail}"


def _g(q: Fraction) -> str:
    """``q`` in 3 significant digits, or its magnitude beyond float range."""
    try:
        return f"{float(q):.3g}"
    except OverflowError:
        return f"~1e{round((abs(q.numerator).bit_length() - q.denominator.bit_length()) * 0.30103)}"


def _exact_text(q: Fraction) -> str:
    """'2/5' when short, else the nearest float marked approximate (never a misleading 0.40000000000000002)."""
    text = fraction_str(q)
    if len(text) <= 24:
        return text
    try:
        return f"~{float(q)!r}"
    except OverflowError:
        return f"{'-' if q < 0 else ''}~1e{round((abs(q.numerator).bit_length() - q.denominator.bit_length()) * 0.30103)}"


@dataclass
class ComparisonReport:
    """The outcome of :func:`compare`: ``rounding`` and ``real_errors`` (worst first) and ``ok``."""

    precision: str
    n_inputs: int
    n_outputs: int
    n_exact: int
    rounding: list
    real_errors: list
    max_listed: int = 5

    @property
    def ok(self) -> bool:
        """True when every disagreement is within the rounding bound."""
        return not self.real_errors

    def __str__(self) -> str:
        return self.text()

    def text(self, line: Callable[[Any], str] = str) -> str:
        """The report, each listed disagreement written by ``line`` (the CLI passes its number format)."""
        total = self.n_inputs * self.n_outputs
        lines = [
            f"oracle comparison in {self.precision}: {self.n_inputs} inputs x {self.n_outputs} outputs = {total} values",
            f"  exact: {self.n_exact}, rounding: {len(self.rounding)}, real errors: {len(self.real_errors)}"
            f" -> {'OK' if self.ok else 'FAILED'}",
        ]
        if self.real_errors:
            lines.append("  worst real errors:")
            lines += [f"    {line(d)}" for d in self.real_errors[: self.max_listed]]
        if self.rounding:
            lines.append(f"  worst rounding ({self.rounding[0].ratio:.2%} of its bound):")
            lines += [f"    {line(d)}" for d in self.rounding[: min(self.max_listed, 3)]]
        return "\n".join(lines)


def _dtype(precision: str) -> Any:
    if precision not in PRECISIONS:
        raise ValueError(f"input dtype must be 'float64', 'float32' or 'float16', got {precision!r}")
    return PRECISIONS[precision]


def _as_array(out: Any, n: int, k: int) -> np.ndarray:
    if hasattr(out, "detach"):  # a torch tensor, without importing torch
        t = out.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":  # numpy has no bfloat16; widening to float32 is exact
            t = t.float()
        try:
            out = t.numpy()
        except Exception as exc:
            raise ValueError(f"the implementation returned a tensor numpy cannot read ({exc})") from None
    try:
        arr = np.asarray(out)
    except Exception as exc:
        raise ValueError(f"the implementation returned {type(out).__name__}, not an array ({exc})") from None
    if arr.ndim == 1 and k == 1 and arr.shape[0] == n:
        arr = arr.reshape(n, 1)
    if arr.shape != (n, k):
        hint = " (onnxruntime's run returns a list of outputs: return its [0])" if isinstance(out, list) else ""
        raise ValueError(f"the implementation returned shape {arr.shape}, expected ({n}, {k}){hint}")
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"the implementation returned values of dtype {arr.dtype}, expected floats")
    return arr


def _bounds(net: Network, vectors: Vectors, model: Any, given: np.ndarray, failure_probability: Any = None,
            steps: Network | None = None) -> list:
    """Per input, the rigorous bound on each output's error (proofs/float_error_bounds.md).

    It covers any implementation following the precision model ``model``
    (weights, biases and inputs rounded to nearest, each neuron's dot product
    plus bias in any order, FMA or not) that receives the inputs ``given``;
    the exact pre-activations come from the vectors, or, with ``steps`` (the
    implementation's own rounded steps), from an exact pass of ``steps``.
    """
    from .numeric.jacobian import jacobian_error_bounds

    exact = [[v.margins[k] for v in vectors] for k in range(net.depth)]
    if steps is not None:
        exact, net = _steps_margins(steps, vectors), steps
    out = []
    for eb in jacobian_error_bounds(net, [v.input for v in vectors], model, given=given, exact=exact,
                                    preactivations=False, failure_probability=failure_probability):
        # No bound (possible overflow): None, so every disagreement counts as a real error.
        out.append(eb.output if eb.available else (None,) * net.output_dim)
    return out


def _steps_margins(steps: Any, vectors: Vectors) -> list:
    """The exact pre-activations of ``steps`` at the vectors' inputs, after checking that it computes the
    vectors' network there (same dimensions, the same exact outputs)."""
    from .nets.contexts import ExactContext

    if not isinstance(steps, Network):
        raise ValueError(f"steps must be a Network (the implementation's rounded steps), got {type(steps).__name__}")
    net = vectors.network
    if (steps.input_dim, steps.output_dim) != (net.input_dim, net.output_dim):
        raise ValueError(f"steps maps {steps.input_dim} inputs to {steps.output_dim} outputs, the vectors' network "
                         f"{net.input_dim} to {net.output_dim}")
    trace = ExactContext().forward(steps, [v.input for v in vectors], record=True)
    for i, (got, vec) in enumerate(zip(trace.output, vectors)):
        for j, (a, b) in enumerate(zip(got, vec.output)):
            if a != b:
                raise ValueError(f"steps computes another function: at input {i}, output {j} it gives {_exact_text(a)}, "
                                 f"the vectors' network {_exact_text(b)}")
    return [[trace.pre[k][i] for i in range(len(vectors))] for k in range(steps.depth)]


def _classify(vectors: Vectors, got: np.ndarray, bounds: list) -> tuple:
    """(exact count, rounding, real errors) of the outputs ``got`` against the exact ones and their bounds."""
    n_exact, rounding, real = 0, [], []
    for i, (vec, row, bnd) in enumerate(zip(vectors, got, bounds)):
        for j, (exact, g, b) in enumerate(zip(vec.output, row, bnd)):
            if got.dtype.kind == "f" and not np.isfinite(g):
                real.append(Disagreement(i, j, exact, float(g), math.inf, b))
                continue
            # exact: the float's binary value, at its own width (long double and float16 included)
            value = Fraction(*g.as_integer_ratio()) if got.dtype.kind == "f" else Fraction(int(g))
            err = abs(value - exact)
            if err == 0:
                n_exact += 1
            elif b is not None and err <= b:
                rounding.append(Disagreement(i, j, exact, float(g), err, b))
            else:
                real.append(Disagreement(i, j, exact, float(g), err, b))
    rounding.sort(key=lambda d: -d.ratio)
    real.sort(key=lambda d: (isinstance(d.error, Fraction), -(d.error if isinstance(d.error, Fraction) else 0)))
    return n_exact, rounding, real


def compare(
    fn: Callable[[np.ndarray], Any], vectors: Any, precision: str = "float64", *, max_listed: int = 5,
    failure_probability: float | None = None, steps: Network | None = None,
) -> ComparisonReport:
    """Run ``fn`` on the rounded inputs and classify each disagreement as rounding or a real error.

    ``precision`` is a precision model (:func:`exactrelu.numeric.precision.get_precision`):
    "float64", "float32", "tf32", "bfloat16", "float16", an integer number of
    bits, or a triple (storage, accumulation, output) of formats.  ``fn`` maps
    a 2-D array (one input per row) to an array of shape (inputs, outputs) (a
    torch tensor is fine); the array holds the inputs rounded to nearest in the
    model's input dtype (float32 for the 16-bit and TF32 models, which round
    them further themselves).  ``vectors`` is a :class:`Vectors` or a path to
    saved ones.  Each output is compared exactly with the exact value:
    ``|got - exact| <= bound`` in rationals, where the bound
    (proofs/float_error_bounds.md) covers every implementation of the network
    that follows the model, the rounding of the input included.  NaN and
    infinities are real errors.

    The bound assumes the implementation computes each layer of the network as
    one dot product plus bias (any summation order, FMA or not).  An
    implementation that splits a layer into several rounded steps (two Linear
    layers in a row that :func:`exactrelu.from_torch` composed, an ONNX input
    normalisation folded into the first layer, a batch norm applied after its
    Linear) rounds more often and may exceed it: pass ``steps``, a Network of
    the implementation's own steps (identity neurons where it rounds between
    two affine maps, or carries a skip connection), computing the same
    function; the bound is then that of ``steps`` (checked exactly to agree
    with the vectors' network at every test input; :func:`steps_from_torch`
    reads it from an nn.Sequential).  Activations other than ReLU and
    identity are refused, naming the layer.

    ``failure_probability`` p switches to the PROBABILISTIC bound (never the
    default; proofs/float_error_bounds.md, Theorem 3): rounding errors are
    modelled as mean-zero and independent of what came before (Higham and
    Mary), and under that model the bounds of all outputs hold together with
    probability >= 1 - p.  Far tighter on wide networks, but not a
    guarantee: an adversarial summation order can exceed it.  The report's
    precision names it.

    >>> from exactrelu import Network
    >>> vecs = make_vectors(Network([([[1, 1]], [0])]), [["1/10", "2/10"]])
    >>> r = compare(lambda X: X.sum(axis=1), vecs, "float32")
    >>> r.ok, r.n_exact + len(r.rounding)
    (True, 1)
    """
    # long: the docstring states the model, the probabilistic option and steps; the body is short
    from .numeric.precision import get_precision

    if not isinstance(vectors, Vectors):
        vectors = load_vectors(vectors)
    model = get_precision(precision)
    if not isinstance(max_listed, int) or isinstance(max_listed, bool) or max_listed < 0:
        raise ValueError(f"max_listed must be a nonnegative integer, got {max_listed!r}")
    net = vectors.network
    n, k = len(vectors), net.output_dim
    if n == 0:  # an "ok" that checked nothing would pass any implementation
        raise ValueError("no test vectors: nothing to compare (make_vectors needs at least one input)")
    given = vectors.inputs(model.input_dtype)
    got = _as_array(fn(given.copy()), n, k)
    bounds = _bounds(net, vectors, model, given, failure_probability, steps)
    n_exact, rounding, real = _classify(vectors, got, bounds)
    name = model.name
    if failure_probability is not None:
        name += f", probabilistic (failure probability <= {float(failure_probability):g})"
    return ComparisonReport(name, n, k, n_exact, rounding, real, max_listed)


# -------------------------------------------------------------- gradients
@dataclass(frozen=True)
class GradientDisagreement:
    """One Jacobian row (input, output) where an implementation's gradient differs from every exact candidate
    by more than its rounding bound (a real error), or from the one it matches within it (rounding).

    ``coordinate`` is the worst entry (largest error / bound); ``pattern`` the candidate's activation
    pattern; ``one_sided`` False when that pattern is reachable only through a rounding that flips an
    uncertain neuron."""

    input_index: int
    output_index: int
    coordinate: int
    exact: Fraction
    got: float
    error: Any
    bound: Fraction
    pattern: str
    one_sided: bool

    @property
    def ratio(self) -> float:
        """error / bound of the worst entry (inf when the bound is 0 or the value is not finite)."""
        if not isinstance(self.error, Fraction) or not self.bound:
            return math.inf
        return float(self.error / self.bound)

    def __str__(self) -> str:
        err = _g(self.error) if isinstance(self.error, Fraction) else "inf"
        how = "" if self.one_sided else ", a pattern flipped by rounding"
        return (f"input {self.input_index}, output {self.output_index}, d/dx{self.coordinate}: exact "
                f"{_exact_text(self.exact)} (pattern {self.pattern}{how}), got {self.got!r}, error {err}, bound {_g(self.bound)}")


@dataclass
class GradientReport:
    """The outcome of :func:`compare_gradients`: per (input, output) Jacobian row, ``rounding`` or
    ``real_errors`` (worst first), and ``inconclusive`` inputs (with the reason) that were not judged."""

    precision: str
    n_inputs: int
    n_outputs: int
    n_exact: int
    rounding: list
    real_errors: list
    inconclusive: list
    max_listed: int = 5

    @property
    def ok(self) -> bool:
        """True when every row was judged and is within its rounding bound."""
        return not self.real_errors and not self.inconclusive

    def __str__(self) -> str:
        verdict = "OK" if self.ok else ("FAILED" if self.real_errors else "INCONCLUSIVE")
        lines = [f"gradient comparison in {self.precision}: {self.n_inputs} inputs x {self.n_outputs} outputs",
                 f"  exact rows: {self.n_exact}, rounding: {len(self.rounding)}, real errors: {len(self.real_errors)}, "
                 f"inconclusive inputs: {len(self.inconclusive)} -> {verdict}"]
        lines += [f"    {d}" for d in self.real_errors[: self.max_listed]]
        lines += [f"    input {i}: inconclusive: {why}" for i, why in self.inconclusive[: self.max_listed]]
        if self.rounding:
            lines.append(f"  worst rounding ({self.rounding[0].ratio:.2%} of its bound):")
            lines += [f"    {d}" for d in self.rounding[: min(self.max_listed, 3)]]
        return "\n".join(lines)


def _gradient_array(out: Any, n: int, k: int, dim: int) -> np.ndarray:
    if hasattr(out, "detach"):
        out = out.detach().cpu().float().numpy() if str(out.dtype) == "torch.bfloat16" else out.detach().cpu().numpy()
    arr = np.asarray(out)
    if arr.ndim == 2 and k == 1:
        arr = arr[:, None, :]
    if arr.shape != (n, k, dim):
        raise ValueError(f"the gradient function returned shape {arr.shape}, expected ({n}, {k}, {dim}) "
                         "(inputs, outputs, input coordinates)")
    if arr.dtype.kind != "f":
        raise ValueError(f"the gradient function returned values of dtype {arr.dtype}, expected floats")
    return arr


def _uncertain(vec: Vector, eb: Any) -> tuple:
    """The non-tied neurons whose exact margin does not exceed the forward rounding bound."""
    return tuple((i, j) for i, (z, e) in enumerate(zip(vec.margins, eb.preactivations))
                 for j, (zj, ej) in enumerate(zip(z, e)) if zj != 0 and abs(zj) <= ej)


def _judge_row(i: int, o: int, row: np.ndarray, cands: list, bounds: list) -> tuple:
    """(kind, GradientDisagreement) for one Jacobian row: kind 'exact', 'rounding' or 'real'."""
    best = None
    for c, B in sorted(zip(cands, bounds), key=lambda cb: not cb[0].one_sided):
        worst, fits = None, True
        for j, (g, e, b) in enumerate(zip(row, c.jacobian[o], B[o])):
            if not np.isfinite(g):
                err, bnd, fits = math.inf, Fraction(float(b)), False
                worst = worst or (j, e, g, err, bnd)
                continue
            err, bnd = abs(Fraction(*g.as_integer_ratio()) - e), Fraction(float(b))
            fits = fits and err <= bnd
            if worst is None or (isinstance(worst[3], Fraction) and err * worst[4] > worst[3] * bnd):
                worst = (j, e, g, err, bnd)
        d = GradientDisagreement(i, o, worst[0], worst[1], float(worst[2]), worst[3], worst[4], str(c.pattern), c.one_sided)
        if fits:
            return ("exact" if worst[3] == 0 else "rounding"), d
        if best is None and c.one_sided:
            best = d
    return "real", best or d


def compare_gradients(fn_grad: Callable[[np.ndarray], Any], vectors: Any, precision: str = "float64", *,
                      max_listed: int = 5) -> GradientReport:
    """Check an implementation's input gradients against the exact Jacobians of the regions (T1).

    ``fn_grad`` maps a 2-D batch of inputs (rounded as in :func:`compare`)
    to the Jacobians, shape (inputs, outputs, input dimension) (or (inputs,
    dimension) for one output), e.g. torch autograd.  Each row (input,
    output) passes when it is within the rigorous backward rounding bound
    (:func:`exactrelu.numeric.gradients.backward_error_bounds`) of an exact
    candidate: the region's Jacobian, at ties one of the exact set of
    one-sided Jacobians (regions whose closure contains the point, decided
    by exact LPs), or where the forward rounding bound does not certify a
    neuron's sign, the Jacobian of the flipped pattern.  Inputs with more
    than :data:`~exactrelu.numeric.gradients.MAX_FREE` such neurons are
    reported inconclusive.  ReLU networks only.

    >>> from exactrelu import Network
    >>> net = Network([([[1, -1], [1, 1]], [0, 0])], output=([[1, 2]], [0]))
    >>> vecs = make_vectors(net, [[1, 1], [2, 1]])        # input 0 is a tie: z_0 = 0
    >>> W = np.array([[1., -1.], [1., 1.]])
    >>> good = lambda X: np.array([[[1., 2.]] @ ((X[i] @ W.T > 0)[:, None] * W) for i in range(len(X))])[:, 0]
    >>> r = compare_gradients(good, vecs)
    >>> r.ok, r.n_exact
    (True, 2)
    >>> compare_gradients(lambda X: good(X) + [0., 1e-3], vecs).ok
    False
    """
    # long: the docstring's example, then inputs, candidates, their bounds and the verdicts in one pass
    from .numeric.gradients import backward_error_bounds, candidate_jacobians
    from .numeric.jacobian import jacobian_error_bounds
    from .numeric.precision import get_precision

    if not isinstance(vectors, Vectors):
        vectors = load_vectors(vectors)
    model = get_precision(precision)
    net = vectors.network
    net.require_relu("compare_gradients")
    n, k, dim = len(vectors), net.output_dim, net.input_dim
    if n == 0:
        raise ValueError("no test vectors: nothing to compare (make_vectors needs at least one input)")
    given = vectors.inputs(model.input_dtype)
    got = _gradient_array(fn_grad(given.copy()), n, k, dim)
    exact = [[v.margins[j] for v in vectors] for j in range(net.depth)]
    forward = jacobian_error_bounds(net, [v.input for v in vectors], model, given=given, exact=exact)
    n_exact, rounding, real, inconclusive = 0, [], [], []
    for i, (vec, eb) in enumerate(zip(vectors, forward)):
        if not eb.available:
            inconclusive.append((i, f"no forward rounding bound ({eb.reason})"))
            continue
        try:
            cands = candidate_jacobians(net, vec.input, vec.pattern, _uncertain(vec, eb))
        except ValueError as exc:
            inconclusive.append((i, str(exc)))
            continue
        bounds = [backward_error_bounds(net, [list(layer) for layer in c.pattern.layers], model) for c in cands]
        for o in range(k):
            kind, d = _judge_row(i, o, got[i, o], cands, bounds)
            if kind == "exact":
                n_exact += 1
            else:
                (rounding if kind == "rounding" else real).append(d)
    rounding.sort(key=lambda d: -d.ratio)
    real.sort(key=lambda d: -d.ratio)
    return GradientReport(model.name, n, k, n_exact, rounding, real, inconclusive, max_listed)


def steps_from_torch(module: Any, input_shape: Any = None) -> Network:
    """The rounded steps of a torch model, for ``compare(..., steps=...)``: the network
    :func:`exactrelu.from_torch` reads, except that where it composes two rounded affine modules
    (Linear, Conv, AvgPool) a layer of identity neurons stores the first one's result, and a skip's
    sum x + F(x) is a step of its own (torch rounds F(x), then the sum).  Batch norm and max pooling
    are refused, naming the module (:func:`exactrelu.nets.build.build`, ``rounded_steps``).

    >>> import torch
    >>> m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> steps_from_torch(m)
    <Network 2-3-3-1 (affine output), depth 2, activations identity, relu>
    """
    from .interop.torch_io import steps_from_torch as steps

    return steps(module, input_shape)


# -------------------------------------------------------------- region lists
def compare_regions(other: Any, partition: Any, *, area_rtol: Any = None) -> Any:
    """Judge another tool's linear regions against the exact ``partition`` (from ``Network.regions``).

    ``other``: a list of claimed regions (mappings with a "pattern", and
    optionally an "area" and a witness "point" in the partition's
    coordinates), or a regioncam ``Regioncam`` (its faces are read by
    :func:`exactrelu.numeric.judge_regions.regions_from_regioncam`).  Returns a
    :class:`~exactrelu.numeric.judge_regions.RegionsReport`: missing regions
    (with exact areas), spurious and duplicated patterns, mislabelled witness
    points, and exact area differences (flagged beyond ``area_rtol`` when given).

    >>> from exactrelu import Network
    >>> part = Network([([[1, -1]], [0])]).regions(([0, 0], [1, 1]))
    >>> r = compare_regions([{"pattern": "1", "area": "1/2"}], part)
    >>> r.ok, [(str(m.pattern), m.area) for m in r.missing]
    (False, [('0', Fraction(1, 2))])
    """
    from .numeric.judge_regions import judge_regions, regions_from_regioncam

    if hasattr(other, "faces") and hasattr(other, "vertex_inputs"):  # a regioncam object, without importing it
        if getattr(partition, "net", None) is None:
            raise ValueError("compare_regions needs a Partition that knows its network (from Network.regions)")
        other = regions_from_regioncam(other, partition.net.depth)
    return judge_regions(other, partition, area_rtol=area_rtol)
