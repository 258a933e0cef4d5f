"""Precision models: how a float implementation of a network rounds (storage, accumulation, output).

A :class:`Precision` names three formats (proofs/float_error_bounds.md, "model"):

* ``storage``: the weights, biases and every layer's input are rounded to it
  before the products (TF32 tensor cores, bfloat16/float16 autocast);
* ``accumulation``: the dot product plus bias is computed in it, in any
  order, with or without FMA;
* ``output``: each layer's result is rounded to it (and stored in it).

The presets are the precisions GPUs and CPU kernels use: "float64",
"float32" (everything in that format), "tf32" (storage TF32, float32
accumulation and output), "bfloat16" and "float16" (storage and output in
the half format, float32 accumulation).  An integer p is p-bit floats with
an unbounded exponent range everywhere; a triple (storage, accumulation,
output) of format names or :class:`FloatFormat` is the general form (float8
formats, reduced-precision reductions).

>>> get_precision("bfloat16")
Precision('bfloat16': storage bfloat16, accumulation float32, output bfloat16)
>>> get_precision(("float16", "float16", "float16")).name
'float16/float16/float16'
>>> round_array(np.array([1 + 2.0**-9, 1 + 3 * 2.0**-9]), get_format("bfloat16"))[0].tolist()
[1.0, 1.0078125]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import itertools
import math
import operator
from fractions import Fraction  # noqa: F401 - the doctests use it

from ..exact.floats import FLOAT32, FloatFormat, get_format, round_nearest
from ..nets.contexts import NumpyContext

__all__ = ["Precision", "PRECISIONS", "get_precision", "round_array", "precision_of_dtype", "EmulatedContext"]


@dataclass(frozen=True)
class Precision:
    """A precision model: ``storage``, ``accumulation`` and ``output`` formats, and the numpy dtype
    (``input_dtype``) in which the oracle hands inputs to the implementation."""

    name: str
    storage: FloatFormat
    accumulation: FloatFormat
    output: FloatFormat
    input_dtype: str = "float32"

    def __repr__(self) -> str:
        return (f"Precision({self.name!r}: storage {self.storage.name}, accumulation {self.accumulation.name}, "
                f"output {self.output.name})")

    @property
    def rounds_inputs(self) -> bool:
        """True when a layer's input (stored in ``output``) is rounded again to ``storage``."""
        return self.storage != self.output

    @property
    def rounds_outputs(self) -> bool:
        """True when a layer's accumulated result is rounded again to ``output``."""
        return self.output != self.accumulation


def _uniform(name: str, dtype: str) -> Precision:
    f = get_format(name)
    return Precision(name, f, f, f, dtype)


PRECISIONS = {
    "float64": _uniform("float64", "float64"),
    "float32": _uniform("float32", "float32"),
    "tf32": Precision("tf32", get_format("tf32"), FLOAT32, FLOAT32),
    "bfloat16": Precision("bfloat16", get_format("bfloat16"), FLOAT32, get_format("bfloat16")),
    "float16": Precision("float16", get_format("float16"), FLOAT32, get_format("float16")),
}


def get_precision(precision: Any) -> Precision:
    """The :class:`Precision` for a preset name, an integer number of bits, a FloatFormat, a triple
    (storage, accumulation, output) or a Precision.

    >>> get_precision(30).storage.p, get_precision("float32").rounds_inputs
    (30, False)
    >>> get_precision("int8")
    Traceback (most recent call last):
    ...
    ValueError: precision must be one of 'float64', 'float32', 'tf32', 'bfloat16', 'float16', an integer number of bits >= 2, or a triple (storage, accumulation, output) of formats; got 'int8'
    """
    if isinstance(precision, Precision):
        return precision
    if isinstance(precision, str) and precision in PRECISIONS:
        return PRECISIONS[precision]
    try:
        if isinstance(precision, tuple) and len(precision) == 3:
            s, a, o = (get_format(f) for f in precision)
            return Precision(f"{s.name}/{a.name}/{o.name}", s, a, o, "float64" if s.p > 24 else "float32")
        if isinstance(precision, (int, FloatFormat)) and not isinstance(precision, bool):
            f = get_format(precision)
            return Precision(f.name, f, f, f, "float64" if f.p > 24 else "float32")
    except ValueError:
        pass
    names = ", ".join(repr(k) for k in PRECISIONS)
    raise ValueError(f"precision must be one of {names}, an integer number of bits >= 2, or a triple "
                     f"(storage, accumulation, output) of formats; got {precision!r}")


def precision_of_dtype(dtype: Any) -> str | None:
    """The preset for a model's weight dtype ("float32", "torch.bfloat16", numpy float16, ...), or None.

    >>> precision_of_dtype(np.float32), precision_of_dtype("torch.bfloat16"), precision_of_dtype("int8")
    ('float32', 'bfloat16', None)
    """
    text = str(getattr(dtype, "name", dtype)).replace("torch.", "")
    aliases = {"float": "float32", "double": "float64", "half": "float16", "float32": "float32",
               "float64": "float64", "float16": "float16", "bfloat16": "bfloat16"}
    if isinstance(dtype, type) and issubclass(dtype, np.floating):
        text = np.dtype(dtype).name
    return aliases.get(text)


def round_array(A: np.ndarray, fmt: FloatFormat) -> tuple[np.ndarray, np.ndarray]:
    """Each float64 entry rounded to nearest (ties to even) in ``fmt`` exactly, and a mask of the entries
    that overflow ``fmt`` (their rounded value is meaningless).  Needs ``fmt.p <= 53``.

    The rounding is exact: ``a / s`` and ``r * s`` scale by the power of two
    ``s`` (the spacing of ``fmt`` at ``a``, subnormals included), and
    ``np.rint`` rounds half to even.

    >>> r, over = round_array(np.array([0.1, 70000.0]), get_format("float16"))
    >>> float(r[0]) == float(np.float16(0.1)), over.tolist()
    (True, [False, True])
    """
    A = np.asarray(A, dtype=np.float64)
    if fmt.p > 53:
        raise ValueError(f"round_array: {fmt.name} has more bits ({fmt.p}) than float64")
    _, E = np.frexp(A)  # |a| in [2^(E-1), 2^E)
    e = E.astype(np.int64) - 1
    if fmt.emin is not None:
        e = np.maximum(e, fmt.emin)
    spacing = np.ldexp(1.0, np.maximum(e - (fmt.p - 1), -1074).astype(np.int32))  # 2^-1074: float64's own spacing
    with np.errstate(over="ignore", under="ignore"):
        R = np.rint(A / spacing) * spacing
    over = np.zeros(A.shape, dtype=bool) if fmt.max is None else np.abs(R) > float(fmt.max)
    return R, over


def to_doubles(M: list) -> tuple[np.ndarray, np.ndarray]:
    """A matrix of rationals (a list of rows) as its nearest float64 array and a mask of the entries that
    are float64 numbers exactly; OverflowError beyond float64.

    >>> mid, exact = to_doubles([[Fraction(1, 2), Fraction(1, 3)]])
    >>> mid.tolist() == [[0.5, 1 / 3]], exact.tolist()
    (True, [[True, False]])
    """
    shape = (len(M), len(M[0]))
    flat = list(itertools.chain.from_iterable(M))
    nums, dens = _parts(flat)
    den = math.lcm(*set(dens))
    if den & (den - 1) == 0 and den.bit_length() <= 1001:  # dyadic, every denominator a power of two <= 2^1000
        nf = np.fromiter(nums, np.float64, len(nums))  # float(n) is monotone, and exact for |n| < 2^53
        if np.abs(nf).max() < 2.0**53:  # so this holds iff every |n| < 2^53: then n / 2^k is exact (normal range)
            return (nf / np.fromiter(dens, np.float64, len(dens))).reshape(shape), np.ones(shape, dtype=bool)
    mid = np.array(list(map(operator.truediv, nums, dens))).reshape(shape)  # int / int rounds correctly
    if den & (den - 1) == 0 and den.bit_length() <= 1075 and max(map(int.bit_length, nums)) <= 53:
        return mid, np.ones(shape, dtype=bool)  # reduced dyadic fractions: numerator bits are significant bits
    return mid, np.array([_is_double(n, d) for n, d in zip(nums, dens)]).reshape(shape)


def _parts(flat: list) -> tuple[list, list]:
    """Numerators and denominators of a list of Fractions.  CPython keeps them in the slots
    ``_numerator`` and ``_denominator``; reading those directly is four times faster than the
    properties (a network of 2 million weights converts in a fraction of a second), and the
    public properties are the fallback for anything else."""
    try:
        return list(map(_NUM, flat)), list(map(_DEN, flat))
    except AttributeError:
        return [q.numerator for q in flat], [q.denominator for q in flat]


_NUM, _DEN = operator.attrgetter("_numerator"), operator.attrgetter("_denominator")


def _is_double(n: int, d: int) -> bool:
    return d & (d - 1) == 0 and abs(n).bit_length() <= 53 and d.bit_length() <= 1075


def round_exact(M: list, fmt: FloatFormat, where: str) -> np.ndarray:
    """A list of rows of rationals rounded to nearest in ``fmt`` (a float64 array); ValueError on overflow."""
    try:
        mid, exact = to_doubles(M)
        if exact.all():
            R, over = round_array(mid, fmt)
            if over.any():
                raise OverflowError(f"an entry overflows {fmt.name}")
            return R
        return np.array([[float(round_nearest(q, fmt)) for q in row] for row in M])
    except OverflowError as exc:
        raise ValueError(f"{where}: {exc}") from None


class EmulatedContext(NumpyContext):
    """A numpy emulation of a precision model with float32 accumulation ("float32", "tf32", "bfloat16",
    "float16"): weights, biases and each layer's input rounded to the storage format, float32 products
    and sums (one BLAS product per layer), each result rounded to the output format.

    It follows the model of proofs/float_error_bounds.md, so its errors lie within
    :func:`exactrelu.numeric.jacobian.jacobian_error_bounds` for that model; it
    stands for TF32 tensor cores on a machine without them.

    >>> from exactrelu.nets.network import Network
    >>> net = Network([([["1/3"]], [0])])
    >>> float(EmulatedContext("tf32").forward(net, [[1]]).output[0, 0]) == 1365 / 4096  # 1/3 to 11 bits
    True
    """

    name = "emulated"

    def __init__(self, precision: Any = "tf32"):
        super().__init__(24)
        self.model = get_precision(precision)
        if self.model.accumulation != FLOAT32:
            raise ValueError(f"EmulatedContext accumulates in float32; {self.model!r} does not")

    def cache_key(self) -> Any:
        return (type(self), self.model)

    def layer(self, W, b, where):
        s = self.model.storage
        return self.native_layer(round_exact(W, s, f"{where}, W"), round_exact([[v] for v in b], s, f"{where}, b")[:, 0])

    def affine(self, layer, Y):
        WT, b = layer
        m = self.model
        Ys = round_array(Y.astype(np.float64), m.storage)[0].astype(np.float32) if m.rounds_inputs else Y
        Z = Ys @ WT + b
        return round_array(Z.astype(np.float64), m.output)[0].astype(np.float32) if m.rounds_outputs else Z
