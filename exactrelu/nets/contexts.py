"""Evaluation contexts: one forward kernel, several arithmetics.

Following mpmath (``mp``, ``fp``, ``iv`` share one base), every context
implements the same few primitives -- convert a layer, convert a batch of
inputs, affine map, ReLU, export -- and the forward kernel
:meth:`Context.run` is written once against them.  Every forward pass of
the package goes through it: ``Network.__call__``/``pattern``,
:func:`exactrelu.numeric.evaluation.evaluate`, ``crosscheck`` and ``limit``,
the error bounds of :mod:`exactrelu.numeric.errorbounds` (a context of
their own), partial products in :mod:`exactrelu.depth.products`, orbits and
numerical evidence in the certifier.  Cross-checking is then "run the same
call in two contexts and compare" (:func:`exactrelu.numeric.evaluation.crosscheck`).
:meth:`Context.precision` is the public scope of a context's working
precision; a network's layers are converted once per network, context and
precision, and cached (:meth:`Context.prepared`).

It lives in ``nets/`` (not ``numeric/``) because Network itself and the
infinite-depth code (``depth/``) evaluate through it.

Contexts and what they return for a batch of ``N`` inputs:

========  ==========================================================
exact     list of N tuples of :class:`fractions.Fraction` (exact)
numpy     2-D ``float64`` array of shape (N, output_dim) (``prec=53``);
          ``prec=24`` computes and returns ``float32``
mpmath    list of N lists of ``mpmath.mpf``, computed at ``prec`` bits
          with rounding to nearest
arb       list of N lists of ``flint.arb`` balls that provably contain
          the exact value (working precision ``prec``)
========  ==========================================================

Weights, biases and inputs are rounded to nearest in the float contexts
(numpy, mpmath); the exact context converts them exactly; the arb context
encloses them exactly.  A hidden layer with other piecewise-linear
activations than ReLU (:mod:`exactrelu.nets.activation`) is handed to
:meth:`Context.activate` instead of :meth:`Context.relu`; the four contexts
here evaluate it (the float ones as s * z + c on the piece of the computed z,
slopes and offsets rounded to nearest, as torch does), and a context that
cannot refuses it by name.

>>> from exactrelu.nets.network import Network
>>> net = Network([([[1, -1]], ["1/3"])])
>>> get_context("exact").forward(net, [[1, 0], [0, 1]]).output
[(Fraction(4, 3),), (Fraction(0, 1),)]
>>> get_context("numpy").forward(net, [[1, 0]]).output
array([[1.33333333]])
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache, partial
from math import lcm
from typing import Any, Callable, Hashable, Iterable, Iterator, Sequence

import flint
import numpy as np
from flint.utils.flint_exceptions import DomainError

from ..exact.floats import round_nearest
from ..exact.numbers import fraction_brief, to_fraction

__all__ = ["Batch", "read_inputs", "Context", "ExactContext", "NumpyContext", "MpmathContext", "ArbContext",
           "get_context", "register_context", "Trace", "CONTEXTS", "arb_to_interval", "mpf_to_fraction"]


# ---------------------------------------------------------------- inputs
class Batch:
    """A validated batch of inputs: exact rows, and a float64 array when the inputs are doubles already."""

    def __init__(self, n: int, dim: int, array: np.ndarray | None = None, rows: list | None = None):
        self.n, self.dim = n, dim
        self._array, self._rows = array, rows

    def fractions(self) -> list:
        """The exact inputs, one tuple of Fractions per row."""
        if self._rows is None:
            self._rows = [tuple(Fraction(v) for v in row) for row in self._array.tolist()]
        return self._rows

    def float64(self) -> np.ndarray:
        """The inputs rounded to nearest double (exact when they were doubles already)."""
        if self._array is not None:
            return self._array
        out = np.empty((self.n, self.dim), dtype=np.float64)
        for i, row in enumerate(self._rows):
            for j, q in enumerate(row):
                try:
                    out[i, j] = float(q)  # Fraction -> float is correctly rounded
                except OverflowError:
                    raise ValueError(f"input row {i}, column {j}: {fraction_brief(q)} is too large for float64") from None
        return out


def _first_bad(mask: np.ndarray) -> tuple[int, int]:
    i, j = np.argwhere(mask)[0]
    return int(i), int(j)


def read_inputs(X: Any, dim: int) -> Batch:
    """Validate a batch ``X`` (a 2-D array, one input per row, or a list of vectors) for input dimension ``dim``.

    Errors are ValueErrors naming the row and column.

    >>> read_inputs([[1, "1/2"]], 2).fractions()
    [(Fraction(1, 1), Fraction(1, 2))]
    >>> read_inputs(np.array([[0.0, np.nan]]), 2)
    Traceback (most recent call last):
    ...
    ValueError: input row 0, column 1: NaN is not a rational number
    >>> read_inputs([[1, 2, 3]], 2)
    Traceback (most recent call last):
    ...
    ValueError: input row 0 has length 3, the network expects input dimension 2
    """
    if isinstance(X, Batch):  # already validated (crosscheck runs several contexts on one batch)
        if X.dim != dim:
            raise ValueError(f"the inputs have dimension {X.dim}, the network expects input dimension {dim}")
        return X
    if isinstance(X, np.ndarray):
        return _read_array(X, dim)
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise ValueError(f"X must be a 2-D array or a list of input vectors, got {type(X).__name__}")
    rows = []
    for i, row in enumerate(X):
        if isinstance(row, np.ndarray) and row.ndim == 1:
            row = row.tolist()
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise ValueError(
                f"input row {i} is not a vector (got {type(row).__name__}); pass a list of vectors, e.g. [x] for one input"
            )
        if len(row) != dim:
            raise ValueError(f"input row {i} has length {len(row)}, the network expects input dimension {dim}")
        rows.append(tuple(to_fraction(v, f"input row {i}, column {j}") for j, v in enumerate(row)))
    return Batch(len(rows), dim, rows=rows)


def _read_array(X: np.ndarray, dim: int) -> Batch:
    if X.ndim != 2:
        raise ValueError(
            f"X must be a 2-D array with one input per row, got shape {X.shape}"
            + ("; use X.reshape(1, -1) for a single input" if X.ndim == 1 else "")
        )
    if X.shape[1] != dim:
        raise ValueError(f"X has {X.shape[1]} columns, the network expects input dimension {dim}")
    kind = X.dtype.kind
    if kind == "f" and X.dtype.itemsize <= 8:
        bad = ~np.isfinite(X)
        if bad.any():
            i, j = _first_bad(bad)
            what = "NaN is not a rational number" if np.isnan(X[i, j]) else "infinity is not a rational number"
            raise ValueError(f"input row {i}, column {j}: {what}")
        return Batch(X.shape[0], dim, array=X.astype(np.float64))  # float16/32 widen exactly
    if kind in "iu" and (X.size == 0 or int(np.abs(X.astype(object)).max()) <= 2**53):
        return Batch(X.shape[0], dim, array=X.astype(np.float64))  # exact: every integer fits a double
    # everything else (object, strings, big integers, bools, long double) goes entry by entry
    return read_inputs([list(row) for row in X], dim)


# ---------------------------------------------------------------- contexts
@dataclass
class Trace:
    """The result of a forward pass: ``output`` in the context's public type and, when recorded,
    the pre-activations of each hidden layer (per layer, per input, a tuple per neuron: Fractions
    for exact and mpmath (the exact value of the computed mpf), Python floats for numpy, balls for arb)
    and ``columns``, the outputs in that same per-input form (None unless recorded)."""

    output: Any
    pre: list
    columns: list | None = None


class Context:
    """Base of the evaluation contexts: the one forward kernel, :meth:`run`, is written here, once.

    Subclasses implement the primitives ``layer`` (convert an exact (W, b)),
    ``batch`` (convert a :class:`Batch` into a state: one column or row per
    input), ``affine``, ``relu``, ``export`` (the public result),
    ``columns`` (per-input tuples) and ``value`` (read one of those exactly);
    optionally ``native_layer`` (a layer already in the context's numbers) and
    ``precision`` (the scope of the context's working precision).

    Class attributes say what a context's numbers are, so that callers
    (crosscheck) ask the context instead of testing its type: ``exact``
    (values are the exact ones), ``encloses`` (values are rigorous
    enclosures: ``value`` gives a radius), ``float_format`` (the format
    whose rounding errors :mod:`exactrelu.numeric.errorbounds` bounds).
    A new context is a subclass plus :func:`register_context`.
    """

    name = "base"
    exact = False
    encloses = False

    def __init__(self, prec: int = 53):
        if isinstance(prec, bool) or not isinstance(prec, int) or prec < 2:
            raise ValueError(f"prec must be an integer number of bits >= 2, got {prec!r}")
        self.prec = prec

    def __repr__(self) -> str:
        return f"<{type(self).__name__} prec={self.prec}>"

    @property
    def float_format(self) -> Any:
        """For a float context, its format for :func:`exactrelu.exact.floats.get_format`; else None."""
        return None

    # ------------------------------------------------------------ the kernel
    def precision(self) -> Any:
        """A context manager: inside it the context's working precision is set, and restored on exit.

        Every conversion and operation of the context runs inside it (the
        kernel enters it itself); open it around your own code that uses the
        same library, e.g. ``flint.arb`` arithmetic next to an arb context.
        The exact and numpy contexts have no global state: a scope that does nothing.

        >>> import flint
        >>> before = flint.ctx.prec
        >>> with get_context("arb", 200).precision():
        ...     flint.ctx.prec
        200
        >>> flint.ctx.prec == before
        True
        """
        return _Scope()

    def run(self, layers: Iterable, Y: Any, on_pre: Callable | None = None) -> Any:
        """The forward kernel: push the state ``Y`` through ``layers``, pairs (layer, hidden).

        Each layer is the context's own form (from :meth:`layer`,
        :meth:`native_layer` or :meth:`prepared`); ``hidden`` layers are
        followed by a ReLU (``hidden`` True) or by their own activations
        (``hidden`` what :meth:`activation` made of a
        :class:`~exactrelu.nets.activation.LayerActivation`), and ``on_pre`` (if given) sees their
        pre-activations in the context's state form, to read before it returns (the exact context's
        ReLU then zeroes that state in place).  ``layers`` may be any
        iterable (a generator of a million layers is fine).  Every forward
        pass of the package is this loop.

        >>> ctx = get_context("exact")
        >>> layer = ctx.layer(((Fraction(1),), (Fraction(-1),)), (Fraction(0), Fraction(0)), "layer 0")
        >>> Y = ctx.run([(layer, True)], ctx.batch(read_inputs([[-3]], 1)))
        >>> ctx.export(Y, 1)
        [(Fraction(0, 1), Fraction(3, 1))]
        """
        with self.precision():
            for layer, hidden in layers:
                Z = self.affine(layer, Y)
                if hidden:
                    if on_pre is not None:
                        on_pre(Z)
                    Z = self.relu(Z) if hidden is True else self.activate(Z, hidden)
                Y = Z
        return Y

    def trace(self, layers: Iterable, Y: Any, n: int, record: bool = False) -> Trace:
        """:meth:`run` from the state ``Y`` of ``n`` inputs, as a :class:`Trace` (``record``: keep pre-activations)."""
        pre: list = []
        with self.precision():
            Y = self.run(layers, Y, (lambda Z: pre.append(self.columns(Z, n))) if record else None)
            return Trace(self.export(Y, n), pre, self.columns(Y, n) if record else None)

    def forward(self, net: Any, X: Any, record: bool = False) -> Trace:
        """Evaluate ``net`` on the batch ``X``; with ``record`` keep the hidden pre-activations.

        The network's layers are converted once per network, context and
        precision (:meth:`prepared`), then the kernel runs.
        """
        inputs = read_inputs(X, net.input_dim)
        with self.precision():
            return self.trace(self.prepared(net), self.batch(inputs), inputs.n, record)

    def prepared(self, net: Any) -> list:
        """``net``'s layers in this context's form, pairs (layer, hidden): converted once, then cached.

        Networks are immutable, so the conversion is kept for as long as the
        network object lives (a weak reference: dropping the network drops it),
        one entry per :meth:`cache_key`.

        >>> from exactrelu.nets.network import Network
        >>> net = Network([([[1, "1/3"]], [0])])
        >>> ctx = get_context("numpy")
        >>> ctx.prepared(net) is get_context("numpy").prepared(net)   # the same conversion, reused
        True
        """
        return _PREPARED.get(net, self.cache_key(), partial(self._convert_all, net))

    def _convert_all(self, net: Any) -> list:
        with self.precision():
            return list(self.convert(_layers_of(net)))

    def cache_key(self) -> Hashable:
        """What a conversion of a network's layers depends on (the context's class and precision)."""
        return (type(self), self.prec)

    def convert(self, layers: Iterable) -> Iterator:
        """Exact layers ``(W, b, hidden, where)`` in this context's form, pairs (layer, hidden), one at a time.

        Lazy, so that a long run holds one converted layer at a time; consume
        it inside :meth:`precision` (as :meth:`run` does).
        """
        return ((self.layer(W, b, where), hidden if hidden is True or not hidden else self.activation(hidden))
                for W, b, hidden, where in layers)

    # ------------------------------------------------------------ primitives (subclasses)
    def layer(self, W: tuple, b: tuple, where: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def native_layer(self, W: Any, b: Any = None) -> Any:
        """A layer from weights already in this context's numbers (b None: no bias); not every context has one."""
        raise ValueError(f"the {self.name} context takes exact layers only (use .layer)")

    def batch(self, inputs: Batch) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def affine(self, layer: Any, Y: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def relu(self, Z: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def activation(self, acts: Any) -> Any:
        """A :class:`~exactrelu.nets.activation.LayerActivation` in this context's form (converted once, cached
        with the layers).  By default the context refuses it, naming the layer: override with :meth:`activate`."""
        raise ValueError(f"{acts.where}: the {self.name} context handles ReLU layers only; this layer has "
                         f"{acts.describe()} activations")

    def activate(self, Z: Any, acts: Any) -> Any:  # pragma: no cover - abstract
        """The layer's activations applied to the pre-activations ``Z`` (``acts`` from :meth:`activation`)."""
        raise NotImplementedError

    def export(self, Y: Any, n: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def columns(self, Z: Any, n: int) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def value(self, v: Any) -> tuple:  # pragma: no cover - abstract
        """One entry of :meth:`columns` read exactly: (value, radius) as flint fmpq.

        ``value`` is None when it is not finite; ``radius`` is the rigorous
        error radius the value itself carries (0 exact, the ball's radius for
        an enclosure) or None when it carries none (floats: see errorbounds).
        """
        raise NotImplementedError


def _layers_of(net: Any) -> list:
    """A network's exact layers as (W, b, hidden, where), the output layer last."""
    from .activation import RELU, LayerActivation

    acts = getattr(net, "activations", None) or [None] * len(net.layers)
    layers = [(W, b, True if a is None or all(f == RELU for f in a) else LayerActivation(a, f"layer {i}"),
               f"layer {i}") for i, ((W, b), a) in enumerate(zip(net.layers, acts))]
    if net.output is not None:
        layers.append((*net.output, False, "output layer"))
    return layers


class _Scope:
    """A precision scope with nothing to set."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _PerObject:
    """A cache keyed by object identity, whose entries die with their object (a weak reference).

    Identity, not equality: hashing a network hashes every weight, which would
    cost more than the conversions saved.
    """

    def __init__(self) -> None:
        self._entries: dict = {}

    def get(self, obj: Any, key: Hashable, make: Callable) -> Any:
        try:
            ref, table = self._entries[id(obj)]
            if ref() is not obj:  # pragma: no cover - the id was reused before the callback ran
                raise KeyError
        except KeyError:
            try:
                ref = weakref.ref(obj, partial(self._drop, id(obj)))
            except TypeError:  # not weakly referenceable: convert every time
                return make()
            table = {}
            self._entries[id(obj)] = (ref, table)
        value = table.get(key)
        if value is None:
            value = table[key] = make()
        return value

    def _drop(self, key: int, ref: Any) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] is ref:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


_PREPARED = _PerObject()


# ---------------------------------------------------------------- exact
class ExactContext(Context):
    """Exact rational arithmetic on whole batches, in flint integers, with a float guide for the ReLU signs.

    A state's exact part is an integer matrix with one column per input
    whose last row holds each input's denominator: column j is
    ``(y_j, D_j)`` for the exact values ``y_j / D_j``.  A layer is the
    integer matrix ``[[q W, q b], [0, q]]`` (``q`` the common denominator of
    ``W`` and ``b``), so one ``fmpz_mat`` product per layer applies the
    weights and the biases to the whole batch and carries the denominators
    along.  Float inputs (doubles are dyadic) share one power-of-two
    denominator; other rationals keep their own, so one input with a large
    denominator does not slow down the others.

    ReLU must zero the negative entries without reading every entry into
    Python: a float64 pass runs alongside with a rigorous bound on its error
    (:class:`_Guide`), and decides each sign whose float value is farther
    from zero than its bound; the other entries are read exactly.  Then the
    state is divided by the gcd of all its entries, found in C
    (:func:`_reduce`), so the integers stay small.  Fractions are built only
    when a result is read (:meth:`columns`).
    """

    name = "exact"
    exact = True

    def layer(self, W, b, where):
        q = lcm(*(v.denominator for row in W for v in row), *(v.denominator for v in b))
        d, k = len(W), len(W[0])
        ents = []
        for row, bj in zip(W, b):
            ents += [v.numerator * (q // v.denominator) for v in row]
            ents.append(bj.numerator * (q // bj.denominator))
        ents += [0] * k + [q]
        return _Layer(flint.fmpz_mat(d + 1, k + 1, ents), W, b)

    def batch(self, inputs):
        guided = inputs.n >= _GUIDED  # a few inputs: reading every entry costs less than the floats
        if inputs._array is not None:
            return _State(_dyadic_batch(inputs._array), *(_Guide.exact(inputs._array) if guided else ()))
        rows = inputs.fractions()
        dens = [lcm(1, *(v.denominator for v in row)) for row in rows]
        n, dim = inputs.n, inputs.dim
        entries = [rows[i][j].numerator * (dens[i] // rows[i][j].denominator) for j in range(dim) for i in range(n)]
        return _State(flint.fmpz_mat(dim + 1, n, entries + dens), *(_Guide.rounded(inputs) if guided else ()))

    def affine(self, layer, Y):
        f = e = None
        if Y.f is not None:
            guide = layer.guide()
            if guide is not None:
                f, e = guide.affine(Y.f, Y.e)
        return _State(layer.M * Y.M, f, e)

    def relu(self, Z):
        M, d, n = Z.M, Z.M.nrows() - 1, Z.M.ncols()
        if Z.f is None:  # no guide: read every entry
            zero = flint.fmpz(0)
            return _State(_reduce([v if v > zero else zero for v in M.entries()], d + 1, n))
        neg, und = _Guide.signs(Z.f, Z.e)
        neg = neg.T  # one row per neuron, as in M
        for j, i in zip(*(a.tolist() for a in np.nonzero(und.T))):
            neg[j, i] = M[j, i] < 0  # the float cannot tell: read the entry
        if 3 * int(neg.sum()) <= 2 * d * n:
            for j in range(d):  # M is the fresh product of affine(): zeroed in place (run's on_pre has read it)
                for i in np.flatnonzero(neg[j]).tolist():
                    M[j, i] = 0
        else:  # mostly negative: copying the others into zeros costs fewer entry accesses
            out = flint.fmpz_mat(d + 1, n)
            for j in range(d):
                for i in np.flatnonzero(~neg[j]).tolist():
                    out[j, i] = M[j, i]
            for i in range(n):
                out[d, i] = M[d, i]
            M = out
        return _State(_reduce_matrix(M), np.maximum(Z.f, 0.0), Z.e)  # ReLU is 1-Lipschitz: the bound stays

    def activation(self, acts):
        return acts

    def activate(self, Z, acts):
        n = Z.M.ncols()
        cols = [tuple(f(v) for f, v in zip(acts.funcs, col)) for col in self.columns(Z, n)]
        dens = [lcm(1, *(v.denominator for v in col)) for col in cols]
        d = len(acts.funcs)
        flat = [cols[i][r].numerator * (dens[i] // cols[i][r].denominator) for r in range(d) for i in range(n)]
        return _State(_reduce([flint.fmpz(v) for v in flat + dens], d + 1, n))  # no guide from here on

    def export(self, Y, n):
        return self.columns(Y, n)

    def columns(self, Z, n):
        ents = [int(v) for v in Z.M.entries()]
        d = Z.M.nrows() - 1
        dens = ents[d * n:]
        return [tuple(Fraction(ents[j * n + i], dens[i]) for j in range(d)) for i in range(n)]

    def signs(self, Z: Any, n: int) -> list:
        """Per input, the exact sign (-1, 0 or 1) of each entry of a state: the signs of the numerators.

        >>> ctx = ExactContext()
        >>> ctx.signs(ctx.batch(read_inputs([["-1/3", 0, 2]], 3)), 1)
        [(-1, 0, 1)]
        """
        d, ents = Z.M.nrows() - 1, Z.M.entries()  # every denominator is positive
        zero = flint.fmpz(0)
        return [tuple((ents[j * n + i] > zero) - (ents[j * n + i] < zero) for j in range(d)) for i in range(n)]

    def value(self, v):
        return flint.fmpq(v.numerator, v.denominator), flint.fmpq(0)

    def bits(self, Z: Any) -> int:
        """The size of a state: the bit length of its longest integer (values and denominators).

        >>> ctx = ExactContext()
        >>> ctx.bits(ctx.batch(read_inputs([["-1/3", 4]], 2)))
        4
        """
        return max((v.bit_length() for v in Z.M.entries()), default=0)


class _Layer:
    """An exact-context layer: the integer matrix ``[[q W, q b], [0, q]]``, and its float guide, made when
    first asked for (single inputs never need one)."""

    __slots__ = ("M", "_exact", "_guide")

    def __init__(self, M: Any, W: tuple, b: tuple):
        self.M, self._exact, self._guide = M, (W, b), False

    def guide(self) -> "_Guide | None":
        if self._guide is False:
            self._guide = _Guide.layer(*self._exact)
        return self._guide


_GUIDED = 16  # batches of at least this many inputs get a float guide for their ReLU signs


class _State:
    """An exact-context state: ``M``, the integer matrix (one column per input, denominators in the last row),
    and, when there is one, the float guide: ``f`` the values as float64 (one row per input) and ``e`` a
    rigorous bound on ``|f - exact|``, entry by entry (inf or NaN where the floats overflowed: then undecided)."""

    __slots__ = ("M", "f", "e")

    def __init__(self, M: Any, f: np.ndarray | None = None, e: np.ndarray | None = None):
        self.M, self.f, self.e = M, f, e


_U = 2.0**-53  # unit roundoff of float64
_ETA = 2.0**-1074  # the smallest subnormal: the absolute error of rounding into the subnormal range is at most half


class _Guide:
    """A layer in float64 (rounded to nearest) and the rigorous error bound of one affine step.

    For exact ``W, b`` rounded to ``W~, b~`` (``|W - W~| <= u |W~| + eta`` entry by entry), an input ``y~``
    with ``|y - y~| <= e`` and ``z~ = fl(W~ y~ + b~)`` computed by any summation order (BLAS):

        |z - z~| <= (u + g) (|W~| |y~| + |b~|) + (1 + u) |W~| e + eta (sum |y~| + sum e + 1) + (k + 2) eta

    with ``g = gamma_{k+1}`` (Higham, Accuracy and Stability, 3.1: the dot product bound, which holds for
    every order and with FMA).  The bound is itself computed in floats, rounding to nearest: a sum of
    ``k + 2`` nonnegative terms computed so is at least ``(1 - gamma_{k+2})`` times the exact one, so the
    result is inflated by ``1 + 4 (k + 3) u``; products that underflow lose at most ``eta`` each, covered by
    the additive terms.  Infinite or NaN values (overflow) compare false both ways: their signs are read exactly.
    """

    __slots__ = ("WT", "bf", "aWT", "ab", "k")

    def __init__(self, WT: np.ndarray, bf: np.ndarray):
        self.WT, self.bf = WT, bf
        self.aWT, self.ab, self.k = np.abs(WT), np.abs(bf), WT.shape[0]

    @staticmethod
    def layer(W: tuple, b: tuple) -> "_Guide | None":
        try:  # float(Fraction) is correctly rounded (integer true division)
            WT = np.array([[float(v) for v in row] for row in W], dtype=np.float64).T.copy()
            bf = np.array([float(v) for v in b], dtype=np.float64)
        except OverflowError:
            return None
        return _Guide(WT, bf)

    @staticmethod
    def exact(X: np.ndarray) -> tuple:
        """Doubles are their own exact values: error 0."""
        return X, np.zeros_like(X)

    @staticmethod
    def rounded(inputs: Batch) -> tuple:
        """Rationals rounded to nearest double: error at most u |x~| + eta."""
        try:
            f = inputs.float64()
        except ValueError:  # too large for a double: no guide
            return None, None
        return f, (_U * np.abs(f) + _ETA) * (1 + 4 * _U)

    def affine(self, f: np.ndarray, e: np.ndarray) -> tuple:
        k = self.k
        g = (k + 1) * _U / (1 - (k + 1) * _U)
        with np.errstate(all="ignore"):  # overflow gives inf/NaN: undecided, read exactly
            z = f @ self.WT + self.bf
            mag = np.abs(f) @ self.aWT + self.ab
            prop = e @ self.aWT
            eta = _ETA * (np.abs(f).sum(axis=1, keepdims=True) + e.sum(axis=1, keepdims=True) + 1 + (k + 2))
            err = ((_U + g) * mag + (1 + _U) * prop + eta) * (1 + 4 * (k + 3) * _U)
        return z, err

    @staticmethod
    def signs(f: np.ndarray, e: np.ndarray) -> tuple:
        """(surely negative, undecided) masks: negative where f < -e; undecided unless f > e or f < -e."""
        with np.errstate(invalid="ignore"):
            pos, neg = f > e, f < -e
        return neg, ~(pos | neg)


def _dyadic_batch(X: np.ndarray) -> Any:
    """Finite doubles (one input per row) as a state matrix over one common power-of-two denominator, read
    exactly: x = m 2^e with m an odd integer, without building a Fraction per entry.

    >>> _dyadic_batch(np.array([[0.75, -2.0], [0.0, 0.125]]))
    [  6, 0]
    [-16, 1]
    [  8, 8]
    """
    n, dim = X.shape
    mant, exp = np.frexp(X.T)  # X = mant 2^exp, 1/2 <= |mant| < 1: mant 2^53 is an exact int64
    m = (mant * 2.0**53).astype(np.int64)
    nz = m != 0
    low = m & -m  # the lowest set bit: a power of two, exact as a double
    tz = np.log2(np.where(nz, low, 1).astype(np.float64)).astype(np.int64)
    m, e = np.where(nz, m >> tz, 0), np.where(nz, exp.astype(np.int64) - 53 + tz, 0)
    e0 = min(0, int(e[nz].min())) if nz.any() else 0  # the common denominator is 2^-e0
    ents = [int(v) << s for v, s in zip(m.ravel().tolist(), (e - e0).ravel().tolist())]
    return flint.fmpz_mat(dim + 1, n, ents + [1 << -e0] * n)


def _reduce(ents: list, d: int, n: int) -> Any:
    """The state matrix with entries ``ents`` (fmpz, row-major, d x n, the denominators last), reduced as
    :func:`_reduce_matrix` does; a small state's gcd is read off its entries (cheaper than the mixing)."""
    if len(ents) > _SMALL or n == 0:
        return _reduce_matrix(flint.fmpz_mat(d, n, ents))
    one, g = flint.fmpz(1), ents[-1]  # a denominator: positive
    for v in ents:
        if g == one:
            return flint.fmpz_mat(d, n, ents)
        if v:
            g = g.gcd(v)
    M = flint.fmpz_mat(d, n, ents)
    return M if g == one else M / g


def _reduce_matrix(M: Any) -> Any:
    """``M`` (the denominators in its last row) divided by the gcd g of all its entries, when that pays.

    g is found in C: the gcd of a denominator and the entries of R M S, for small fixed mixing matrices R,
    S, is a multiple of g, and the exact division ``M / g`` (which flint refuses unless every entry is
    divisible) confirms it; when it does not, g is computed entry by entry.  Small states (up to
    ``_SMALL`` entries: a single input, the depth code's orbits and limits) are always fully reduced, so
    their integers are the canonical ones.  Larger ones are divided only once g has ``_LAZY_BITS`` bits: a
    division costs about a fifth of a layer's product and a few bits save less; a common factor left in
    stays in the next state's gcd, so the integers are never more than ``_LAZY_BITS`` bits longer than
    reduced ones.
    """
    d, n = M.nrows(), M.ncols()
    if n == 0:
        return M
    one, g = flint.fmpz(1), M[d - 1, 0]  # a denominator: positive
    for seed in (0, 1):  # the second mixing only when a division is due: it rules out most false factors
        R, S = _mixing(d, n, seed)
        for v in (R * M * S).entries():
            g = g.gcd(v)
        if g == one or (d * n > _SMALL and g.bit_length() < _LAZY_BITS):
            return M
    try:
        return M / g
    except DomainError:  # g is a proper multiple of the gcd (rare): read every entry
        pass
    for v in M.entries():
        if g == one:
            return M
        g = g.gcd(v)
    return M / g


_SMALL = 1024
_LAZY_BITS = 16


@lru_cache(maxsize=16)
def _mixing(d: int, n: int, seed: int) -> tuple:
    """Fixed pseudo-random integer matrices, 2 x d and n x 2 (four combinations of a state's entries: R M
    costs 2/d of a layer's product)."""
    rng = np.random.default_rng([d, n, seed])
    return (flint.fmpz_mat(2, d, rng.integers(-2**20, 2**20, 2 * d).tolist()),
            flint.fmpz_mat(n, 2, rng.integers(-2**20, 2**20, 2 * n).tolist()))


# ---------------------------------------------------------------- numpy
class NumpyContext(Context):
    """Vectorised IEEE floats: ``prec=53`` is float64, ``prec=24`` float32 (weights, biases and inputs
    rounded to nearest; one matrix product per layer)."""

    name = "numpy"

    def __init__(self, prec: int = 53):
        super().__init__(prec)
        if prec not in (53, 24):
            raise ValueError(f"the numpy context supports prec=53 (float64) or prec=24 (float32), got {prec}")
        self.dtype = np.float64 if prec == 53 else np.float32
        self.format = "float64" if prec == 53 else "float32"

    @property
    def float_format(self) -> str:
        return self.format

    def _round(self, q: Fraction, where: str) -> float:
        try:
            if self.dtype is np.float64:
                return float(q)  # CPython's int / int division is correctly rounded to nearest
            return float(round_nearest(q, self.format))  # exact in float32
        except OverflowError:
            raise ValueError(f"{where}: {fraction_brief(q)} is too large for {self.format}") from None

    def layer(self, W, b, where):
        Wf = np.array([[self._round(v, f"{where}, W, row {i}, column {j}") for j, v in enumerate(row)]
                       for i, row in enumerate(W)], dtype=self.dtype)
        bf = np.array([self._round(v, f"{where}, b, entry {i}") for i, v in enumerate(b)], dtype=self.dtype)
        return self.native_layer(Wf, bf)

    def native_layer(self, W, b=None):
        """A layer from float arrays W (d x k) and b (d,) (b None: zero), cast to the context's dtype."""
        WT = np.ascontiguousarray(np.asarray(W, dtype=self.dtype).T)
        bf = np.zeros(WT.shape[1], self.dtype) if b is None else np.array(b, dtype=self.dtype)
        WT.setflags(write=False)  # layers are cached and shared between calls: never modified
        bf.setflags(write=False)
        return WT, bf

    def batch(self, inputs):
        X = inputs.float64()  # doubles (exact if they were), else correctly rounded
        if self.dtype is np.float64:
            return X
        if inputs._array is None:  # exact rationals: round once, directly to float32
            return np.array([[self._round(q, f"input row {i}, column {j}") for j, q in enumerate(row)]
                             for i, row in enumerate(inputs.fractions())], dtype=np.float32).reshape(inputs.n, inputs.dim)
        with np.errstate(over="ignore"):
            Y = X.astype(np.float32)  # IEEE cast: one rounding to nearest
        if not np.isfinite(Y).all():
            i, j = _first_bad(~np.isfinite(Y))
            raise ValueError(f"input row {i}, column {j}: {X[i, j]} is too large for float32")
        return Y

    def affine(self, layer, Y):
        WT, b = layer
        return Y @ WT + b

    def relu(self, Z):
        return np.maximum(Z, 0)

    def activation(self, acts):
        """Per neuron, breakpoints (padded with +inf), slopes and offsets rounded to the dtype: (T, S, C) arrays."""
        m = max(f.pieces for f in acts.funcs)
        where = f"{acts.where}, activation"
        T = np.full((m - 1, len(acts.funcs)), np.inf, dtype=self.dtype)
        S = np.zeros((m, len(acts.funcs)), dtype=self.dtype)
        C = np.zeros((m, len(acts.funcs)), dtype=self.dtype)
        for j, f in enumerate(acts.funcs):
            for p in range(m):
                if p < len(f.breakpoints):
                    T[p, j] = self._round(f.breakpoints[p], where)
                q = min(p, f.pieces - 1)  # padded pieces are never reached: their breakpoint is +inf
                S[p, j], C[p, j] = self._round(f.slopes[q], where), self._round(f.offsets[q], where)
        return T, S, C

    def activate(self, Z, acts):
        T, S, C = acts
        piece = (Z[:, None, :] > T[None]).sum(axis=1)  # (N, w): how many breakpoints each z exceeds
        s = np.take_along_axis(S, piece, axis=0) if Z.shape[0] else S[:0]
        c = np.take_along_axis(C, piece, axis=0) if Z.shape[0] else C[:0]
        return (s * Z + c).astype(self.dtype)

    def export(self, Y, n):
        return Y

    def columns(self, Z, n):
        return [tuple(row) for row in Z.tolist()]  # Python floats (exact values of the computed numbers)

    def value(self, v):
        if not math.isfinite(v):
            return None, None
        n, d = v.as_integer_ratio()
        return flint.fmpq(n, d), None


# ---------------------------------------------------------------- mpmath
class MpmathContext(Context):
    """mpmath floats at ``prec`` bits, every operation rounded to nearest (no under- or overflow).

    Uses mpmath's raw ``libmp`` operations with explicit precision, so the
    kernel neither reads nor needs the global ``mp.prec``; :meth:`precision`
    sets it (and restores it) for code that mixes in mpmath's own functions.
    """

    name = "mpmath"

    @property
    def float_format(self) -> int:
        return self.prec  # p-bit floats with an unbounded exponent range

    def precision(self):
        import mpmath

        return mpmath.workprec(self.prec)

    def _conv(self, q: Fraction):
        from mpmath.libmp import from_rational, round_nearest

        return from_rational(q.numerator, q.denominator, self.prec, round_nearest)

    def layer(self, W, b, where):
        return [[self._conv(v) for v in row] for row in W], [self._conv(v) for v in b]

    def batch(self, inputs):
        return [[self._conv(q) for q in row] for row in inputs.fractions()]

    def affine(self, layer, Y):
        from mpmath.libmp import mpf_add, mpf_mul, round_nearest

        W, b = layer
        p, r = self.prec, round_nearest
        out = []
        for y in Y:
            z = []
            for row, bj in zip(W, b):
                s = bj
                for w, v in zip(row, y):
                    s = mpf_add(s, mpf_mul(w, v, p, r), p, r)
                z.append(s)
            out.append(z)
        return out

    def relu(self, Z):
        from mpmath.libmp import fzero

        return [[v if v[0] == 0 else fzero for v in z] for z in Z]  # sign bit 0: v >= 0

    def activation(self, acts):
        return [(f.breakpoints, [self._conv(v) for v in f.slopes], [self._conv(v) for v in f.offsets])
                for f in acts.funcs]

    def activate(self, Z, acts):
        from mpmath.libmp import mpf_add, mpf_mul, round_nearest

        p, r = self.prec, round_nearest
        out = []
        for z in Z:
            row = []
            for v, (t, S, C) in zip(z, acts):
                q = sum(1 for b in t if _raw_mpf_to_fraction(v) > b)  # the piece of the computed value, exactly
                row.append(mpf_add(mpf_mul(S[q], v, p, r), C[q], p, r))
            out.append(row)
        return out

    def export(self, Y, n):
        import mpmath

        return [[mpmath.mp.make_mpf(v) for v in y] for y in Y]

    def columns(self, Z, n):
        return [tuple(_raw_mpf_to_fraction(v) for v in z) for z in Z]

    def value(self, v):
        return flint.fmpq(v.numerator, v.denominator), None


def _raw_mpf_to_fraction(v: tuple) -> Fraction:
    """A finite raw mpmath value (sign, man, exp, bc) as an exact Fraction."""
    sign, man, exp, _ = v
    if man == 0 and exp != 0:
        raise ValueError("mpmath value is not finite")
    man, exp = int(man), int(exp)  # mpmath may hold gmpy2 integers; results are plain int Fractions
    q = Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)
    return -q if sign else q


def mpf_to_fraction(x: Any) -> Fraction:
    """The exact value of a finite ``mpmath.mpf`` as a Fraction.

    >>> import mpmath
    >>> mpf_to_fraction(mpmath.mpf(0.375))
    Fraction(3, 8)
    """
    return _raw_mpf_to_fraction(x._mpf_)


# ---------------------------------------------------------------- arb
class ArbContext(Context):
    """flint ``arb`` ball arithmetic at ``prec`` bits: every ball provably contains the exact value."""

    name = "arb"
    encloses = True

    def precision(self):
        return _FlintPrec(self.prec)

    def layer(self, W, b, where):
        d, k = len(W), len(W[0])
        Wm = flint.arb_mat(d, k, [flint.arb(flint.fmpq(v.numerator, v.denominator)) for row in W for v in row])
        bm = flint.arb_mat(d, 1, [flint.arb(flint.fmpq(v.numerator, v.denominator)) for v in b])
        return Wm, bm

    def native_layer(self, W, b=None):
        """A layer from an ``arb_mat`` W (d x k) and a column ``arb_mat`` b (None: no bias)."""
        return W, b

    def batch(self, inputs):
        rows = inputs.fractions()
        ents = [flint.arb(flint.fmpq(rows[i][j].numerator, rows[i][j].denominator))
                for j in range(inputs.dim) for i in range(inputs.n)]
        return flint.arb_mat(inputs.dim, inputs.n, ents)

    def affine(self, layer, Y):
        W, b = layer
        if b is None:
            return W * Y
        n = Y.ncols()
        return W * Y + b * flint.arb_mat(1, n, [1] * n)

    def relu(self, Z):
        # max(z, 0) of a ball is a ball containing max(t, 0) for every t in it
        return flint.arb_mat(Z.nrows(), Z.ncols(), [v.max(0) for v in Z.entries()])

    def activation(self, acts):
        return acts.funcs

    def activate(self, Z, acts):
        # a continuous piecewise-linear f takes its extremes on [lo, hi] at lo, hi or a breakpoint
        # between: the ball joining the exact extremes contains f(t) for every t in the ball
        n, ents = Z.ncols(), Z.entries()
        out = []
        for k, v in enumerate(ents):
            f = acts[k // n]
            if not v.is_finite():
                out.append(v * 0 + flint.arb("nan"))
                continue
            lo, hi = arb_to_interval(v)
            vals = [f(lo), f(hi)] + [f(t) for t in f.breakpoints if lo < t < hi]
            a, b = min(vals), max(vals)
            out.append(flint.arb(flint.fmpq(a.numerator, a.denominator)).union(flint.arb(flint.fmpq(b.numerator, b.denominator))))
        return flint.arb_mat(Z.nrows(), n, out)

    def export(self, Y, n):
        return [list(c) for c in self.columns(Y, n)]

    def columns(self, Z, n):
        d = Z.nrows()
        ents = Z.entries()
        return [tuple(ents[j * n + i] for j in range(d)) for i in range(n)]

    def value(self, v):
        if not v.is_finite():
            return None, None
        lo, hi = arb_to_interval(v)
        mid, rad = (lo + hi) / 2, (hi - lo) / 2
        return flint.fmpq(mid.numerator, mid.denominator), flint.fmpq(rad.numerator, rad.denominator)


class _FlintPrec:
    """Set flint's working precision for the duration of a block, then restore it (even on an exception)."""

    def __init__(self, prec: int):
        self.prec = prec

    def __enter__(self):
        self.saved = flint.ctx.prec
        flint.ctx.prec = self.prec
        return self

    def __exit__(self, *exc):
        flint.ctx.prec = self.saved
        return False


def arb_to_interval(x: flint.arb) -> tuple[Fraction, Fraction]:
    """The exact endpoints (lower, upper) of a finite arb ball, as Fractions.

    >>> lo, hi = arb_to_interval(flint.arb(flint.fmpq(1, 3)))
    >>> lo < Fraction(1, 3) < hi
    True
    """
    if not x.is_finite():
        raise ValueError(f"arb ball {x} is not finite")
    m, r = _arf(x.mid()), _arf(x.rad())
    return m - r, m + r


def _arf(x: flint.arb) -> Fraction:
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)


CONTEXTS: dict = {}


def register_context(cls: type) -> type:
    """Make a :class:`Context` subclass available by its ``name`` (usable as a class decorator).

    >>> class Demo(NumpyContext):
    ...     name = "demo"
    >>> register_context(Demo) is Demo, get_context("demo").name
    (True, 'demo')
    >>> del CONTEXTS["demo"]
    """
    if not (isinstance(cls, type) and issubclass(cls, Context)) or not isinstance(cls.name, str):
        raise ValueError(f"register_context expects a Context subclass with a name, got {cls!r}")
    CONTEXTS[cls.name] = cls
    return cls


for _cls in (ExactContext, NumpyContext, MpmathContext, ArbContext):
    register_context(_cls)


def get_context(context: Any, prec: int = 53) -> Context:
    """The context object for a name ("exact", "numpy", "mpmath", "arb"), or ``context`` itself.

    >>> get_context("mpmath", prec=100)
    <MpmathContext prec=100>
    >>> get_context("float")
    Traceback (most recent call last):
    ...
    ValueError: unknown context 'float'; choose one of 'exact', 'numpy', 'mpmath', 'arb'
    """
    if isinstance(context, Context):
        return context
    cls = CONTEXTS.get(context) if isinstance(context, str) else None
    if cls is None:
        names = ", ".join(repr(k) for k in CONTEXTS)
        raise ValueError(f"unknown context {context!r}; choose one of {names}")
    return cls(prec)
