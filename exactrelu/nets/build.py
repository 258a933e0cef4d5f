"""The layers real models use, folded exactly into a :class:`~exactrelu.nets.network.Network`.

:func:`build` takes an input shape and a list of layer specs, as a model
lists its modules, and returns the exact network: every affine layer
(:class:`Linear`, :class:`Conv1d`, :class:`Conv2d`, :class:`AvgPool1d`,
:class:`AvgPool2d`, :class:`Flatten`, eval-mode :class:`BatchNorm`) is composed
exactly into the next hidden layer (or the output layer); :class:`Act` closes a
hidden layer with any piecewise-linear activation (one for all, or one per
channel as PReLU); :class:`Residual` is a skip block y -> y + F(y), its input
carried through F's hidden layers by identity neurons (no breakpoint, so they
never split a region); :class:`MaxPool1d`/:class:`MaxPool2d` are lowered to a
tournament max(a, b) = b + relu(a - b), one hidden layer per round, so their
regions are split exactly by the comparisons a = b between pooled inputs.

Tensors are read C-order without the batch dimension, as torch lays them out
(``Flatten`` keeps that order).  Every number is converted exactly (a float
is its exact binary value); shapes, strides and paddings are checked, and a
bad one is an error naming the layer.

>>> from exactrelu.nets.activation import leaky
>>> net = build((1, 4), [Conv1d([[[1, -1]]], [0], stride=2), Act(leaky("1/2")), Flatten(), Linear([[1, 1]], [0])])
>>> net, net([3, 1, 0, 2])                 # conv: (3 - 1, 0 - 2) = (2, -2); leaky: (2, -1); sum: 1
(<Network 4-2-1 (affine output), depth 1, activations leaky_relu(1/2)>, (Fraction(1, 1),))
>>> res = build((2,), [Residual([Linear([[1, 0], [0, 1]]), Act(), Linear([[-1, 0], [0, 0]])])])
>>> res([3, -5]), res.activations[0][2].name    # y + A relu(y): (3 - 3, -5)
((Fraction(0, 1), Fraction(-5, 1)), 'identity')
>>> build((1, 2, 2), [MaxPool2d(2), Flatten()])([1, 7, -3, 2])      # the input is the flattened tensor
(Fraction(7, 1),)
>>> build((1, 3), [Conv1d([[[1, 1]]], stride=2), Flatten(), Linear([[1, 1]], name="fc")])
Traceback (most recent call last):
...
ValueError: layer 'fc' (Linear): expects 2 inputs but the previous layer gives 1
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

import flint
import numpy as np

from ..exact.numbers import fmpq_to_fraction, to_fraction
from .activation import RELU, Activation, as_activation, identity
from .network import Network

__all__ = ["build", "fold", "batchnorm", "add_skip", "Linear", "Conv1d", "Conv2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d", "Flatten",
           "BatchNorm", "Act", "Residual", "MAX_ENTRIES"]

# A folded layer is a dense exact matrix: beyond this many entries exact arithmetic is hopeless anyway.
MAX_ENTRIES = 4_000_000
_Q0, _Q1 = flint.fmpq(0), flint.fmpq(1)


def _tensor(value: Any, where: str, ndim: int) -> np.ndarray:
    """An exact tensor (numpy object array of Fractions) of ``ndim`` dimensions; NaN/inf named by position."""
    if hasattr(value, "detach"):  # a torch tensor: its exact values through float64 (a widening, exact)
        value = value.detach().cpu().double().numpy()
    arr = np.asarray(value, dtype=object)
    if arr.ndim != ndim:
        raise ValueError(f"{where}: expected {ndim} dimensions, got shape {arr.shape}")
    out = np.empty(arr.shape, dtype=object)
    for pos in itertools.product(*(range(n) for n in arr.shape)):
        out[pos] = to_fraction(arr[pos], f"{where}, entry {list(pos)}")
    return out


def _ints(v: Any, n: int, what: str, where: str, low: int) -> tuple:
    t = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(t) != n or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < low for x in t):
        raise ValueError(f"{where}: {what} must be {n} integer(s) >= {low}, got {v!r}")
    return tuple(int(x) for x in t)


class Spec:
    """A layer spec: ``name`` (for error messages) and what it does to a shape."""

    name: str | None = None
    label: str | None = None  # how errors name the layer when it came from elsewhere (e.g. "module '0' (Linear)")

    def where(self, index: int) -> str:
        if getattr(self, "label", None):
            return self.label
        label = self.name if self.name is not None else str(index)
        return f"layer {label!r} ({type(self).__name__})"


@dataclass
class Linear(Spec):
    """y = W x + b on a vector (b None: zero)."""

    W: Any
    b: Any = None
    name: str | None = None


@dataclass
class _Conv(Spec):
    weight: Any
    bias: Any = None
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1
    groups: int = 1
    name: str | None = None
    dims = 0


class Conv1d(_Conv):
    """1-D convolution (cross-correlation, as torch): weight (out, in / groups, k), zero padding."""

    dims = 1


class Conv2d(_Conv):
    """2-D convolution (cross-correlation, as torch): weight (out, in / groups, kh, kw), zero padding."""

    dims = 2


@dataclass
class _Pool(Spec):
    kernel_size: Any
    stride: Any = None
    padding: Any = 0
    count_include_pad: bool = True
    name: str | None = None
    dims = 0
    kind = "avg"


class AvgPool1d(_Pool):
    """Average over windows (padding counted as zeros unless ``count_include_pad`` is False), as torch."""

    dims = 1


class AvgPool2d(_Pool):
    dims = 2


class MaxPool1d(_Pool):
    """Max over windows (padding never wins), lowered to a tournament of exact comparisons."""

    dims, kind = 1, "max"


class MaxPool2d(_Pool):
    dims, kind = 2, "max"


@dataclass
class Flatten(Spec):
    """All dimensions into one, C-order (torch's Flatten of everything but the batch)."""

    name: str | None = None


@dataclass
class BatchNorm(Spec):
    """Eval-mode batch norm as its exact per-channel affine map y = scale * x + shift (channel = first dimension)."""

    scale: Any
    shift: Any
    name: str | None = None


@dataclass
class Act(Spec):
    """A hidden layer's activation: one :class:`Activation` (default ReLU), or a list of one per channel."""

    activation: Any = None
    name: str | None = None


@dataclass
class Residual(Spec):
    """y -> y + F(y), F the given specs (its output must have y's shape)."""

    specs: Sequence = field(default_factory=list)
    name: str | None = None


# ------------------------------------------------------------------ the builder
class _State:
    """Hidden layers so far, and the pending affine map (P, p) from the last hidden state to the current tensor.

    With ``steps`` (:func:`build`'s ``rounded_steps``), ``rounded`` says whether the pending map already holds a
    rounded operation (an implementation stores its result before the next one)."""

    def __init__(self, shape: tuple, prev: int, P: Any = None, p: Any = None, steps: bool = False):
        self.shape, self.hidden, self.steps, self.rounded = shape, [], steps, False
        n = math.prod(shape)
        self.P = P if P is not None else _eye(prev)
        self.p = p if p is not None else flint.fmpq_mat(n, 1)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def apply(self, A: Any, a: Any, shape: tuple, where: str) -> None:
        if A.nrows() * self.P.ncols() > MAX_ENTRIES:
            raise ValueError(f"{where}: the folded layer would have {A.nrows() * self.P.ncols()} entries, more than "
                             f"{MAX_ENTRIES}: too large for exact arithmetic")
        self.P, self.p, self.shape = A * self.P, A * self.p + a, shape

    def close(self, acts: Sequence[Activation]) -> None:
        self.hidden.append((self.P, self.p, tuple(acts)))
        self.P, self.p = _eye(self.size), flint.fmpq_mat(self.size, 1)
        self.rounded = False

    def store(self) -> None:
        """In steps mode, end the pending rounded operation with a layer of identity neurons (its stored result)."""
        if self.steps and self.rounded:
            self.close((identity(),) * self.size)


def _eye(n: int) -> Any:
    M = flint.fmpq_mat(n, n)
    for i in range(n):
        M[i, i] = 1
    return M


def build(input_shape: Any, specs: Sequence[Spec], *, rounded_steps: bool = False) -> Network:
    """The exact network of ``specs`` applied to inputs of ``input_shape`` (e.g. ``(784,)``, ``(1, 28, 28)``).

    The network's input is the flattened tensor (C-order); its output layer is
    the affine map after the last activation (none when the specs end with one).

    ``rounded_steps``: the same function as the steps a float implementation
    rounds (for :func:`exactrelu.oracle.compare`'s ``steps``): instead of
    composing two rounded affine operations (Linear, Conv, AvgPool; not
    Flatten), a layer of identity neurons stores the first one's result, and
    a skip's sum is its own step after F's output is stored.  Batch norm and
    max pooling are refused there: an implementation computes them in ways
    (a rounded square root, an exact max) that a step of dot products does
    not model.

    >>> spec = [Linear([[1, 2]]), Linear([[3]]), Act()]
    >>> build((2,), spec), build((2,), spec, rounded_steps=True)
    (<Network 2-1, depth 1>, <Network 2-1-1, depth 2, activations identity, relu>)
    """
    shape = _ints(input_shape, len(input_shape) if isinstance(input_shape, (tuple, list)) else 1, "input_shape",
                  "build", 1)
    st = _State(shape, math.prod(shape), steps=rounded_steps)
    _run(st, specs)
    if not st.hidden and st.P.nrows() == 0:
        raise ValueError("build: the specs leave nothing to compute")
    layers = [(_rows(W), _col(b), acts) for W, b, acts in st.hidden]
    pending_is_identity = st.P == _eye(st.P.nrows()) and st.p == flint.fmpq_mat(st.p.nrows(), 1)
    output = None if st.hidden and pending_is_identity else (_rows(st.P), _col(st.p))
    return Network(layers, output=output)


def _rows(M: Any) -> list:
    c = M.ncols()
    e = [fmpq_to_fraction(v) for v in M.entries()]
    return [e[i * c:(i + 1) * c] for i in range(M.nrows())]


def _col(M: Any) -> list:
    return [fmpq_to_fraction(v) for v in M.entries()]


def _run(st: _State, specs: Sequence[Spec]) -> None:
    if isinstance(specs, (str, bytes)) or not isinstance(specs, Sequence):
        raise ValueError(f"build: specs must be a list of layer specs, got {type(specs).__name__}")
    for i, spec in enumerate(specs):
        if not isinstance(spec, Spec):
            raise ValueError(f"build: layer {i} is a {type(spec).__name__}, not a layer spec (Linear, Conv2d, Act, ...)")
        where = spec.where(i)
        if isinstance(spec, Act):
            st.close(_activations(spec.activation, st.shape, where))
        elif isinstance(spec, Residual):
            _residual(st, spec, where)
        elif st.steps and (isinstance(spec, BatchNorm) or (isinstance(spec, _Pool) and spec.kind == "max")):
            raise ValueError(f"{where}: rounded steps of {type(spec).__name__} are not modelled (an implementation "
                             "computes it with a rounded square root or an exact max, not a dot product)")
        elif isinstance(spec, _Pool) and spec.kind == "max":
            _maxpool(st, spec, where)
        elif isinstance(spec, Flatten):  # a reshape: nothing rounds
            st.apply(*_affine(spec, st.shape, where), where)
        else:
            A, a, shape = _affine(spec, st.shape, where)
            if st.steps and isinstance(spec, _Pool) and any(v and (v.p != 1 or v.q & (v.q - 1)) for v in A.entries()):
                raise ValueError(f"{where}: rounded steps of an average over windows whose size is not a power of two "
                                 "are not modelled (an implementation sums, then divides: one more rounding)")
            st.store()
            st.apply(A, a, shape, where)
            st.rounded = True


def _activations(value: Any, shape: tuple, where: str) -> list:
    n = math.prod(shape)
    if not isinstance(value, (list, tuple)):
        return [as_activation(value, f"{where}, activation")] * n
    channels = shape[0]
    if len(value) != channels:
        raise ValueError(f"{where}: {len(value)} activations for {channels} channels (input shape {shape})")
    acts = [as_activation(a, f"{where}, channel {c}") for c, a in enumerate(value)]
    per = n // channels
    return [acts[j // per] for j in range(n)]


def _affine(spec: Spec, shape: tuple, where: str) -> tuple:
    """(A, a, new shape) of an affine spec on a tensor of ``shape``."""
    if isinstance(spec, Flatten):
        n = math.prod(shape)
        return _eye(n), flint.fmpq_mat(n, 1), (n,)
    if isinstance(spec, Linear):
        return _linear(spec, shape, where)
    if isinstance(spec, _Conv):
        return _conv(spec, shape, where)
    if isinstance(spec, _Pool):
        return _avgpool(spec, shape, where)
    if isinstance(spec, BatchNorm):
        return _batchnorm(spec, shape, where)
    raise ValueError(f"{where}: not a layer spec build knows")  # pragma: no cover - every Spec is handled


def _linear(spec: Linear, shape: tuple, where: str) -> tuple:
    if len(shape) != 1:
        raise ValueError(f"{where}: expects a vector, the input has shape {shape}; add Flatten() before it")
    W = _tensor(spec.W, f"{where}, W", 2)
    if W.shape[1] != shape[0]:
        raise ValueError(f"{where}: expects {W.shape[1]} inputs but the previous layer gives {shape[0]}")
    b = np.full(W.shape[0], Fraction(0), dtype=object) if spec.b is None else _tensor(spec.b, f"{where}, b", 1)
    if b.shape[0] != W.shape[0]:
        raise ValueError(f"{where}: b has {b.shape[0]} entries, W has {W.shape[0]} rows")
    A = flint.fmpq_mat(W.shape[0], W.shape[1], [_q(v) for v in W.flat])
    return A, flint.fmpq_mat(b.shape[0], 1, [_q(v) for v in b]), (W.shape[0],)


def _q(v: Fraction) -> Any:
    return flint.fmpq(v.numerator, v.denominator)


def _geometry(spec: Any, shape: tuple, kernel: tuple, where: str, dilation: tuple = None) -> tuple:
    """(stride, padding, dilation, output spatial size) of a window over the spatial dims of ``shape``."""
    dims = spec.dims
    if len(shape) != dims + 1:
        raise ValueError(f"{where}: expects an input of shape (channels, {'length' if dims == 1 else 'height, width'}),"
                         f" got shape {shape}")
    stride = _ints(spec.stride if spec.stride is not None else kernel, dims, "stride", where, 1)
    padding = _ints(spec.padding, dims, "padding", where, 0)
    dilation = dilation or (1,) * dims
    out = []
    for s, k, st, pd, dl in zip(shape[1:], kernel, stride, padding, dilation):
        span = dl * (k - 1) + 1
        if s + 2 * pd < span:
            raise ValueError(f"{where}: the window ({span}) is larger than the padded input ({s + 2 * pd})")
        out.append((s + 2 * pd - span) // st + 1)
    return stride, padding, dilation, tuple(out)


def _windows(shape: tuple, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple, out: tuple):
    """For each output position: its index, and the (kernel offset, input position or None for padding) pairs."""
    for pos in itertools.product(*(range(n) for n in out)):
        cells = []
        for off in itertools.product(*(range(k) for k in kernel)):
            src = tuple(p * st - pd + o * dl for p, st, pd, o, dl in zip(pos, stride, padding, off, dilation))
            inside = all(0 <= s < n for s, n in zip(src, shape[1:]))
            cells.append((off, src if inside else None))
        yield pos, cells


def _conv(spec: _Conv, shape: tuple, where: str) -> tuple:
    w = _tensor(spec.weight, f"{where}, weight", spec.dims + 2)
    out_c, in_per, kernel = w.shape[0], w.shape[1], w.shape[2:]
    groups = _ints(spec.groups, 1, "groups", where, 1)[0]
    if len(shape) != spec.dims + 1 or in_per * groups != shape[0] or out_c % groups:
        raise ValueError(f"{where}: weight of shape {w.shape} with groups={groups} does not fit an input of shape {shape}")
    bias = np.full(out_c, Fraction(0), dtype=object) if spec.bias is None else _tensor(spec.bias, f"{where}, bias", 1)
    if bias.shape[0] != out_c:
        raise ValueError(f"{where}: bias has {bias.shape[0]} entries for {out_c} output channels")
    dil = _ints(spec.dilation, spec.dims, "dilation", where, 1)
    stride, padding, dil, out = _geometry(spec, shape, kernel, where, dil)
    spatial_in, spatial_out = math.prod(shape[1:]), math.prod(out)
    n_in, n_out = math.prod(shape), out_c * spatial_out
    if n_in * n_out > MAX_ENTRIES:
        raise ValueError(f"{where}: a {n_out} x {n_in} folded matrix is too large for exact arithmetic")
    ents = [_Q0] * (n_out * n_in)
    out_per = out_c // groups
    for pos_index, (pos, cells) in enumerate(_windows(shape, kernel, stride, padding, dil, out)):
        for o in range(out_c):
            row = (o * spatial_out + pos_index) * n_in
            g = o // out_per
            for off, src in cells:
                if src is None:
                    continue
                s_index = _flat(src, shape[1:])
                for c in range(in_per):
                    v = w[(o, c, *off)]
                    if v:
                        ents[row + (g * in_per + c) * spatial_in + s_index] += _q(v)
    b = flint.fmpq_mat(n_out, 1, [_q(bias[o]) for o in range(out_c) for _ in range(spatial_out)])
    return flint.fmpq_mat(n_out, n_in, ents), b, (out_c, *out)


def _flat(pos: tuple, dims: tuple) -> int:
    index = 0
    for p, n in zip(pos, dims):
        index = index * n + p
    return index


def _pool_geometry(spec: _Pool, shape: tuple, where: str) -> tuple:
    kernel = _ints(spec.kernel_size, spec.dims, "kernel_size", where, 1)
    stride, padding, dil, out = _geometry(spec, shape, kernel, where)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{where}: padding {padding} must be at most half the kernel size {kernel}")
    return kernel, stride, padding, dil, out


def _avgpool(spec: _Pool, shape: tuple, where: str) -> tuple:
    kernel, stride, padding, dil, out = _pool_geometry(spec, shape, where)
    C, spatial_in, spatial_out = shape[0], math.prod(shape[1:]), math.prod(out)
    n_in, n_out = math.prod(shape), C * spatial_out
    ents = [_Q0] * (n_in * n_out)
    for pos_index, (pos, cells) in enumerate(_windows(shape, kernel, stride, padding, dil, out)):
        inside = [src for _, src in cells if src is not None]
        # torch divides by the window clipped to the padded input (count_include_pad) or by the real cells
        padded = [all(-pd <= s < n + pd for s, n, pd in zip(_src, shape[1:], padding))
                  for _src in (tuple(p * st - pd + o for p, st, pd, o in zip(pos, stride, padding, off))
                               for off, _ in cells)]
        weight = flint.fmpq(1, sum(padded) if spec.count_include_pad else len(inside))
        for c in range(C):
            row = (c * spatial_out + pos_index) * n_in
            for src in inside:
                ents[row + c * spatial_in + _flat(src, shape[1:])] += weight
    return flint.fmpq_mat(n_out, n_in, ents), flint.fmpq_mat(n_out, 1), (C, *out)


def _batchnorm(spec: BatchNorm, shape: tuple, where: str) -> tuple:
    scale, shift = _tensor(spec.scale, f"{where}, scale", 1), _tensor(spec.shift, f"{where}, shift", 1)
    C = shape[0]
    if scale.shape[0] != C or shift.shape[0] != C:
        raise ValueError(f"{where}: {scale.shape[0]} scales and {shift.shape[0]} shifts for {C} channels "
                         f"(input shape {shape})")
    per = math.prod(shape[1:])
    n = C * per
    A = flint.fmpq_mat(n, n)
    for j in range(n):
        A[j, j] = _q(scale[j // per])
    return A, flint.fmpq_mat(n, 1, [_q(shift[j // per]) for j in range(n)]), shape


def batchnorm(gamma: Sequence, beta: Sequence, mean: Sequence, var: Sequence, eps: Fraction, sqrt_bits: int | None,
              where: str) -> BatchNorm:
    """Eval-mode batch norm gamma (x - mean) / sqrt(var + eps) + beta as a :class:`BatchNorm` (exact numbers in).

    sqrt(var + eps) is irrational unless var + eps is the square of a rational:
    then it is refused unless ``sqrt_bits`` says to truncate the root to that
    many significant bits (the exact network is then that one, and says so).

    >>> batchnorm([2], [1], [3], ["5/4"], "-1/4", None, "bn").scale    # sqrt(1) = 1: 2 (x - 3) + 1
    [Fraction(2, 1)]
    >>> batchnorm([1], [0], [0], [2], 0, None, "bn")
    Traceback (most recent call last):
    ...
    ValueError: bn, channel 0: sqrt(running_var + eps) is irrational, so batch norm is not an exact rational map; pass sqrt_bits=64 (for example) to use the root truncated to that many bits
    """
    eps = to_fraction(eps, f"{where}, eps")
    root = [_sqrt(to_fraction(v, f"{where}, var") + eps, sqrt_bits, f"{where}, channel {c}") for c, v in enumerate(var)]
    scale = [to_fraction(g, f"{where}, scale") / r for g, r in zip(gamma, root)]
    shift = [to_fraction(b, f"{where}, bias") - to_fraction(mu, f"{where}, mean") * s for b, mu, s in zip(beta, mean, scale)]
    return BatchNorm(scale, shift)


def _sqrt(q: Fraction, bits: int | None, where: str) -> Fraction:
    """sqrt(q) exactly when it is rational; else, with ``bits``, sqrt(q) truncated to ``bits`` significant bits."""
    if q <= 0:
        raise ValueError(f"{where}: running_var + eps = {q} is not positive")
    n, d = q.numerator, q.denominator
    rn, rd = math.isqrt(n), math.isqrt(d)
    if rn * rn == n and rd * rd == d:
        return Fraction(rn, rd)
    if bits is None:
        raise ValueError(f"{where}: sqrt(running_var + eps) is irrational, so batch norm is not an exact rational map; "
                         "pass sqrt_bits=64 (for example) to use the root truncated to that many bits")
    k = max(0, bits - (n.bit_length() - d.bit_length()) // 2 + 1)  # 2^k sqrt(q) has about `bits` bits
    return Fraction(math.isqrt((n << (2 * k)) // d), 1 << k)


def fold(spec: Spec, shape: tuple, P: Any, p: Any, where: str) -> tuple:
    """One spec applied to a tensor of ``shape`` that is the affine map (P, p) of the last hidden state.

    Returns (new hidden layers as (W, b, activations) with flint W, b; the new pending (P, p); the new shape):
    what other loaders (ONNX) use to fold a layer exactly as :func:`build` does.

    >>> hidden, P, p, shape = fold(AvgPool1d(2), (1, 4), _eye(4), flint.fmpq_mat(4, 1), "pool")
    >>> hidden, P.tolist(), shape                     # no hidden layer: the pool is affine
    ([], [[1/2, 1/2, 0, 0], [0, 0, 1/2, 1/2]], (1, 2))
    """
    st = _State(tuple(shape), P.ncols(), P, p)
    _run(st, [spec])
    return st.hidden, st.P, st.p, st.shape


def _residual(st: _State, spec: Residual, where: str) -> None:
    """y -> y + F(y): F's hidden layers carry y along in identity neurons; its output adds it back."""
    st.store()  # steps: the block's input x is stored before F and the sum read it
    inner = _State(st.shape, st.P.ncols(), st.P, st.p, st.steps)
    _run(inner, spec.specs)
    if inner.shape != st.shape:
        raise ValueError(f"{where}: the block maps shape {st.shape} to {inner.shape}; a skip needs them equal")
    inner.store()  # steps: F(x) is stored, then x + F(x) is a rounded step of its own
    start = len(st.hidden)
    st.hidden += inner.hidden
    st.P, st.p = add_skip(st.hidden, start, st.P, st.p, inner.P, inner.p)
    st.rounded = True


def add_skip(hidden: list, start: int, Px: Any, px: Any, Py: Any, py: Any) -> tuple:
    """x + y where x = Px h + px is affine in the input of hidden layer ``start`` and y = Py g + py in the output
    of the last one: layers start.. of ``hidden`` (flint (W, b, activations), changed in place) carry x along in
    identity neurons (no breakpoint: they never split a region); returns the map (P, p) of x + y on the new output.

    >>> layer = (flint.fmpq_mat(1, 1, [2]), flint.fmpq_mat(1, 1, [0]), (RELU,))    # g = relu(2 x)
    >>> hidden = [layer]
    >>> P, p = add_skip(hidden, 0, _eye(1), flint.fmpq_mat(1, 1), _eye(1), flint.fmpq_mat(1, 1))
    >>> hidden[0][0], [a.name for a in hidden[0][2]], P                        # x + relu(2 x)
    ([2]
    [1], ['relu', 'identity'], [1, 1])
    """
    n = Px.nrows()
    if start == len(hidden):  # no hidden layer between: both affine in the same state
        return Px + Py, px + py
    ident = (identity(),) * n
    for k in range(start, len(hidden)):
        W, b, acts = hidden[k]
        if k == start:  # x rides along from the layer's input
            W2, b2 = _stack(W, Px), _stack(b, px)
        else:  # [W 0; 0 I] on [h; x]
            W2 = _stack(_side(W, flint.fmpq_mat(W.nrows(), n)), _side(flint.fmpq_mat(n, W.ncols()), _eye(n)))
            b2 = _stack(b, flint.fmpq_mat(n, 1))
        hidden[k] = (W2, b2, tuple(acts) + ident)
    return _side(Py, _eye(n)), py


def _stack(A: Any, B: Any) -> Any:
    return flint.fmpq_mat(A.nrows() + B.nrows(), A.ncols(), A.entries() + B.entries())


def _side(A: Any, B: Any) -> Any:
    a, b = A.ncols(), B.ncols()
    ea, eb = A.entries(), B.entries()
    return flint.fmpq_mat(A.nrows(), a + b, [v for i in range(A.nrows()) for v in (*ea[i * a:(i + 1) * a],
                                                                                  *eb[i * b:(i + 1) * b])])


def _maxpool(st: _State, spec: _Pool, where: str) -> None:
    """Each window's max by rounds of max(a, b) = b + relu(a - b) (a hidden layer per round, odd ones carried)."""
    kernel, stride, padding, dil, out = _pool_geometry(spec, st.shape, where)
    C, spatial_in, spatial_out = st.shape[0], math.prod(st.shape[1:]), math.prod(out)
    # candidates: per output, rows over the current tensor (a one-hot per pooled input)
    cands = []
    for c in range(C):
        for pos_index, (pos, cells) in enumerate(_windows(st.shape, kernel, stride, padding, dil, out)):
            cands.append([c * spatial_in + _flat(src, st.shape[1:]) for _, src in cells if src is not None])
    n_cur = st.size
    rows = [[_unit(i, n_cur) for i in group] for group in cands]
    while any(len(g) > 1 for g in rows):
        W, acts, nxt = [], [], []
        for group in rows:
            new = []
            for a, b in zip(group[0::2], group[1::2]):
                W += [[x - y for x, y in zip(a, b)], b]
                acts += [RELU, identity()]
                new.append((len(W) - 2, len(W) - 1))  # max = relu(a - b) + b
            if len(group) % 2:
                W.append(group[-1])
                acts.append(identity())
                new.append((len(W) - 1,))
            nxt.append(new)
        A = flint.fmpq_mat(len(W), n_cur, [v for r in W for v in r])
        st.apply(A, flint.fmpq_mat(len(W), 1), (len(W),), where)
        st.close(acts)
        n_cur = len(W)
        rows = [[[_Q1 if j in idx else _Q0 for j in range(n_cur)] for idx in new] for new in nxt]
    A = flint.fmpq_mat(len(rows), n_cur, [v for g in rows for v in g[0]])
    st.apply(A, flint.fmpq_mat(len(rows), 1), (C, *out), where)


def _unit(i: int, n: int) -> list:
    return [_Q1 if j == i else _Q0 for j in range(n)]
