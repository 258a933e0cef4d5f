"""Rigorous bounds on the rounding error of a floating-point forward pass.

:func:`float_error_bounds` returns, for every input, exact rational upper
bounds on ``|computed - exact|`` for each pre-activation and each output,
valid for ANY implementation that

* stores every weight, bias and input rounded to nearest in the format
  (any tie rule; with ``input_rounded=False`` the inputs are fed exactly),
* computes each neuron's dot product plus bias in that format, in any
  summation order, with or without fused multiply-add,
* applies ReLU exactly (it is), and the output layer without ReLU;
* applies another piecewise-linear activation (leaky ReLU, PReLU, hardtanh,
  identity) as fl(fl(s) * z) (+ c) on the piece of the computed z, where every
  piece is linear through 0 (c = 0) or constant (s = 0), and breakpoints and
  constants are exact in the format (other activations are refused by name).

Formats: ``"float64"`` (IEEE binary64, p = 53), ``"float32"`` (binary32,
p = 24), or an integer ``p`` meaning p-bit floats with an unbounded exponent
range, as in mpmath at ``prec=p`` (no underflow, no overflow).

Derivation.  Let u = 2^-p (unit roundoff for rounding to nearest) and
gamma_k = k u / (1 - k u).  For rounding to nearest,
fl(t) = t (1 + delta) + eta with |delta| <= u, and |eta| <= eta_0, where
eta_0 = 0 without underflow and at most half the subnormal spacing
2^(emin-p+1) in an IEEE format (we use the whole spacing).  Write one
neuron of a layer with fan-in d as a sum of d + 1 terms t_k = fl(w_k) yhat_k
and fl(b) (the bias times an exact 1).  In any summation tree, with or
without FMA, each term goes through at most d + 1 roundings, so (Higham,
*Accuracy and Stability of Numerical Algorithms*, sec. 3.1, applied to any
order)

    |fl(sum t_k) - sum t_k| <= gamma_{d+1} sum |t_k| + (2d + 1) * 2 * eta_0,

the last term covering at most 2d + 1 rounding operations, each eta later
multiplied by at most (1 + u)^(d+1) <= 1 + gamma_{d+1} <= 2.  With the exact
layer z = W y + b and the computed input yhat, |yhat - y| <= e, and
|fl(w)| <= |w| + |w - fl(w)| (true for every tie rule),

    |zhat - z| <= |W| e + |W - fl(W)| (|y| + e) + |b - fl(b)|
                  + gamma_{d+1} (F (|y| + e) + |b| + |b - fl(b)|) + (4d + 2) eta_0,

with F = |W| + |W - fl(W)| (all absolute values and inequalities entrywise).
ReLU is 1-Lipschitz, and sharper: if z + e_z <= 0 both the exact and the
computed neuron are 0, so the error after ReLU is min(e_z, max(0, z + e_z)).
The input error is |x - fl(x)|.  Another activation f, Lipschitz with
constant L = max |s_q|: |fl(fl(s_q) zhat) - f(z)| <= L e_z + R (|z| + e_z) + eta_0
with R = max_q (|s_q - fl(s_q)| + u |fl(s_q)|), the terms of a piece dropped
where s_q is 0 or +-1 (the product is then exact); a constant piece is exact.  Everything is computed exactly, from the
exact weights and the exact activations, in flint rationals, so the bound
itself has no rounding error; to keep the integers small, gamma and the
bounds e are rounded UP to dyadic rationals with 48 significant bits
(an upper bound of an upper bound is still one; it loosens the bound by a
relative 2^-47 at most per layer).

Overflow: every intermediate of a neuron (products, partial sums, the
result) has magnitude at most (1 + gamma_{d+1}) S + (4d + 2) eta_0 with
S = F (|y| + e) + |b| + |b - fl(b)|; if that, or any rounded weight, bias or
input, exceeds the largest finite number of the format, no bound is claimed
for that input: its :class:`ErrorBounds` has ``available == False``, a
``reason``, and ``output`` / ``preactivations`` set to None.  Not covered:
flush-to-zero / denormals-are-zero modes and extended-precision registers
that round twice.

>>> from exactrelu.nets.network import Network
>>> net = Network([([["1/10", "2/10"]], ["-3/10"])], output=([[1]], [0]))
>>> [eb] = float_error_bounds(net, [[1, 1]])
>>> eb.available, eb.output[0] < Fraction(1, 2**50)
(True, True)
>>> float_error_bounds(net, [[1, 1]], precision=200)[0].output[0] < Fraction(1, 2**195)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint

from ..exact.floats import FloatFormat, get_format, round_nearest  # also public here (see __all__)
from ..exact.numbers import to_fraction
from ..nets.contexts import Context, read_inputs
from ..nets.network import Network

UP_BITS = 48  # significant bits kept when a bound is rounded up to a dyadic rational

__all__ = ["FloatFormat", "ErrorBounds", "float_error_bounds", "round_nearest", "get_format", "gamma", "BoundContext"]


def _pow2(k: int) -> Fraction:
    return Fraction(1 << k) if k >= 0 else Fraction(1, 1 << -k)


def gamma(k: int, u: Fraction) -> Fraction:
    """gamma_k = k u / (1 - k u), the relative error bound of k roundings (needs k u < 1).

    >>> gamma(2, Fraction(1, 8))
    Fraction(1, 3)
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise ValueError(f"gamma: k must be a nonnegative integer (a number of roundings), got {k!r}")
    u = to_fraction(u, "gamma: u")
    if u < 0:
        raise ValueError(f"gamma: the unit roundoff u must be nonnegative, got {u}")
    if k * u >= 1:
        raise ValueError(f"precision too low: {k} roundings of unit roundoff {u} have no bound (k u >= 1)")
    return k * u / (1 - k * u)


@dataclass(frozen=True)
class ErrorBounds:
    """Rigorous error bounds for one input.

    ``output``: per output coordinate, a Fraction bounding |computed - exact|.
    ``preactivations``: per hidden layer, per neuron, a Fraction bounding
    |zhat - z| (the same layout as ``Network.pre_activations``; None when not
    asked for).  When ``available`` is False (overflow), both are None and
    ``reason`` says why.  The tighter bounds of
    :func:`exactrelu.numeric.jacobian.jacobian_error_bounds` come in the same form.
    """

    output: tuple | None
    preactivations: tuple | None
    precision: str
    available: bool = True
    reason: str | None = None


def float_error_bounds(net: Any, X: Any, precision: Any = "float64", input_rounded: bool = True) -> list:
    """Exact upper bounds on the rounding error of any float forward pass, one :class:`ErrorBounds` per input.

    ``X`` is a batch (a list of vectors or a 2-D array) of exact inputs;
    ``precision`` is "float64", "float32" or an integer number of bits
    (mpmath-style, unbounded exponent).  See the module docstring for the
    model and the derivation.

    >>> from exactrelu.nets.network import Network
    >>> net = Network([([[1, 1]], [0])])
    >>> eb = float_error_bounds(net, [["1/3", "1/3"]])[0]
    >>> Fraction(2, 3) - Fraction(float(Fraction(1, 3)) * 2) <= eb.output[0]  # 1/3 + 1/3 in doubles
    True
    >>> float_error_bounds(net, [[1e308, 1e308]])[0].reason
    'overflow in layer 0 (float64 max exceeded)'
    """
    if not isinstance(input_rounded, bool):
        raise ValueError(f"input_rounded must be True or False, got {input_rounded!r}")
    fmt = get_format(precision)
    batch = network_batch(net, X, "float_error_bounds")
    if batch.n == 0:
        return []
    _, pres, _, E, reasons = bound_matrices(net, batch, fmt, input_rounded)
    return _results(E, pres, fmt, reasons)


def network_batch(net: Any, X: Any, who: str) -> Any:
    """``X`` validated as a batch of inputs of the Network ``net`` (ValueError naming ``who`` otherwise)."""
    if not isinstance(net, Network):
        raise ValueError(f"{who} expects an exactrelu Network, got {type(net).__name__}")
    return read_inputs(X, net.input_dim)


def bound_matrices(net: Any, batch: Any, fmt: FloatFormat, input_rounded: bool = True) -> tuple:
    """Internal, for crosscheck: ``(Z, Ez, out, Eout, reasons)`` as flint matrices with one column per input.

    ``Z[i]`` / ``Ez[i]``: exact pre-activations of hidden layer i and their
    error bounds; ``out`` / ``Eout``: exact outputs and their bounds;
    ``reasons[j]``: None, or why input j has no bound (its columns are then
    meaningless).  ``batch`` is a validated :class:`exactrelu.nets.contexts.Batch`
    with at least one input.  One run of the forward kernel in :class:`BoundContext`.
    """
    ctx = BoundContext(fmt, input_rounded)
    zs, pres = [], []

    def keep(state: _Bounds) -> None:
        zs.append(state.Y)
        pres.append(state.E)

    out = ctx.run(ctx.prepared(net), ctx.batch(batch), keep)
    return zs, pres, out.Y, out.E, out.reasons


@dataclass(frozen=True)
class _Bounds:
    """A state of :class:`BoundContext`: exact values Y, error bounds E (k x N fmpq_mat, a column per
    input), whether Y is the output of a ReLU (then Y >= 0), and per input None or why it has no bound."""

    Y: Any
    E: Any
    after_relu: bool
    reasons: list


@dataclass(frozen=True)
class _BoundLayer:
    """A layer of :class:`BoundContext` named ``where``: exact W, b; |W|, |W - fl(W)|, |b - fl(b)|,
    |b| + |b - fl(b)|; the rounded-up gamma_{k+1} and (4k + 2) eta_0; or ``overflow``, why its weights
    do not fit the format."""

    where: str
    W: Any
    b: Any
    absW: Any = None
    errW: Any = None
    errb: Any = None
    Fb: Any = None
    g: Any = None
    eta: Any = None
    overflow: str | None = None


class BoundContext(Context):
    """The error analysis of the module docstring as a context of the forward kernel.

    A value is a pair (exact value, rigorous bound on the distance of any
    float evaluation in ``fmt`` from it); :meth:`layer` prepares a layer
    once (cached per network and format), :meth:`affine` and :meth:`relu`
    propagate the bounds.  Not registered as an evaluation context: its
    result is a bound, read by :func:`float_error_bounds` and crosscheck.
    """

    name = "float error bounds"
    exact = True

    def __init__(self, fmt: FloatFormat, input_rounded: bool = True):
        super().__init__(fmt.p)
        self.fmt, self.input_rounded = fmt, input_rounded

    def cache_key(self) -> Any:
        return (type(self), self.fmt)  # float64 and 53-bit mpmath differ in exponent range only

    def layer(self, W: tuple, b: tuple, where: str) -> _BoundLayer:
        d, k = len(W), len(W[0])
        Wq = flint.fmpq_mat(d, k, [_q(v) for row in W for v in row])
        bq = flint.fmpq_mat(d, 1, [_q(v) for v in b])
        try:
            absW, errW = _rounded_abs(W, self.fmt, where)
            absb, errb = _rounded_abs([[v] for v in b], self.fmt, where)
        except OverflowError as exc:
            return _BoundLayer(where, Wq, bq, overflow=str(exc))
        return _BoundLayer(
            where, Wq, bq,
            absW=flint.fmpq_mat(d, k, [v for row in absW for v in row]),
            errW=flint.fmpq_mat(d, k, [v for row in errW for v in row]),
            errb=flint.fmpq_mat(d, 1, [r[0] for r in errb]),
            Fb=flint.fmpq_mat(d, 1, [a[0] + r[0] for a, r in zip(absb, errb)]),
            g=_up(_q(gamma(k + 1, self.fmt.u))),
            eta=_q((4 * k + 2) * self.fmt.eta),
        )

    def batch(self, inputs: Any) -> _Bounds:
        rows, N = inputs.fractions(), inputs.n
        reasons: list = [None] * N
        Y = _cols([[_q(v) for v in row] for row in rows], inputs.dim, N)
        E = _cols([[_input_error(v, self.fmt, reasons, i, self.input_rounded) for v in row]
                   for i, row in enumerate(rows)], inputs.dim, N)
        return _Bounds(Y, E, False, reasons)

    def affine(self, layer: _BoundLayer, state: _Bounds) -> _Bounds:
        Z, Ez = _layer_bound(layer, state, self.fmt)
        return _Bounds(Z, Ez, False, state.reasons)

    def relu(self, state: _Bounds) -> _Bounds:
        Y, E = _relu_bound(state.Y, state.E)
        return _Bounds(Y, E, True, state.reasons)

    def activation(self, acts: Any) -> tuple:
        """(L, R, eta) of the module docstring for each neuron of a layer of other activations; refuses the rest."""
        out = []
        for j, f in enumerate(acts.funcs):
            where = f"{acts.where}, neuron {j} ({f.name})"
            if any(s and c for s, c in zip(f.slopes, f.offsets)):
                raise ValueError(f"{where}: the float error bounds cover pieces s z or constants only")
            if any(round_nearest(v, self.fmt) != v for v in (*f.breakpoints, *f.offsets)):
                raise ValueError(f"{where}: the float error bounds need breakpoints exact in {self.fmt.name}")
            R = [abs(s - round_nearest(s, self.fmt)) + self.fmt.u * abs(round_nearest(s, self.fmt))
                 for s in f.slopes if abs(s) != 1 and s != 0]
            out.append((_q(max(abs(s) for s in f.slopes)), _q(max(R, default=Fraction(0))),
                        _q(self.fmt.eta if R else Fraction(0)), f))
        return tuple(out)

    def activate(self, state: _Bounds, acts: tuple) -> _Bounds:
        Z, Ez = state.Y, state.E
        n, z, e = Z.ncols(), Z.entries(), Ez.entries()
        Y, E = [], []
        for k, (zv, ev) in enumerate(zip(z, e)):
            L, R, eta, f = acts[k // n]
            Y.append(_q(f(Fraction(int(zv.p), int(zv.q)))))
            E.append(_up(L * ev + R * (abs(zv) + ev) + eta))
        return _Bounds(flint.fmpq_mat(Z.nrows(), n, Y), flint.fmpq_mat(Z.nrows(), n, E), False, state.reasons)

    def export(self, state: _Bounds, n: int) -> _Bounds:
        return state


def _q(v: Fraction) -> flint.fmpq:
    return flint.fmpq(v.numerator, v.denominator)


def _cols(rows: list, dim: int, N: int) -> flint.fmpq_mat:
    """A batch given row by row (one input per row) as a dim x N fmpq_mat (one input per column)."""
    return flint.fmpq_mat(dim, N, [rows[i][j] for j in range(dim) for i in range(N)])


def _input_error(v: Fraction, fmt: FloatFormat, reasons: list, i: int, input_rounded: bool) -> flint.fmpq:
    try:
        err = abs(v - round_nearest(v, fmt))
    except OverflowError:
        reasons[i] = reasons[i] or f"an input overflows {fmt.name}"
        return flint.fmpq(0)
    return _q(err) if input_rounded else flint.fmpq(0)


def _rounded_abs(M: tuple, fmt: FloatFormat, name: str) -> tuple[list, list]:
    """Entrywise |M| and |M - fl(M)| as lists of rows of fmpq; OverflowError names the entry."""
    absm, err = [], []
    for i, row in enumerate(M):
        absm.append([_q(abs(v)) for v in row])
        try:
            err.append([_q(abs(v - round_nearest(v, fmt))) for v in row])
        except OverflowError:
            raise OverflowError(f"a weight or bias of {name} (row {i}) overflows {fmt.name}") from None
    return absm, err


def _layer_bound(L: _BoundLayer, state: _Bounds, fmt: FloatFormat) -> tuple:
    """Exact pre-activations Z and their error bounds Ez (d x N fmpq_mat) for one layer."""
    Y, E, reasons = state.Y, state.E, state.reasons
    d, k, N = L.W.nrows(), L.W.ncols(), Y.ncols()
    ones = flint.fmpq_mat(1, N, [1] * N)
    Z = L.W * Y + L.b * ones
    if L.overflow is not None:
        for i in range(N):
            reasons[i] = reasons[i] or L.overflow
        return Z, flint.fmpq_mat(d, N)
    # A = |y| + e bounds |yhat|; after a ReLU y >= 0, so one matrix sum does it
    A = Y + E if state.after_relu else flint.fmpq_mat(k, N, [abs(y) + e for y, e in zip(Y.entries(), E.entries())])
    S = (L.absW + L.errW) * A + L.Fb * ones  # bounds sum |t_k| over the d + 1 terms
    Ez = L.absW * E + L.errW * A + L.errb * ones + S * L.g
    Ez = flint.fmpq_mat(d, N, [_up(v + L.eta) for v in Ez.entries()])
    if fmt.max is not None:
        _check_overflow(S, (_q(fmt.max) - L.eta) / (1 + L.g), L.where, fmt, reasons)
    return Z, Ez


def _up(v: flint.fmpq) -> flint.fmpq:
    """A dyadic upper bound of v >= 0 with at most UP_BITS significant bits (rounding a bound up keeps it valid)."""
    p, q = int(v.p), int(v.q)
    if p == 0 or (q & (q - 1) == 0 and p.bit_length() <= UP_BITS):
        return v
    k = p.bit_length() - q.bit_length() - UP_BITS  # |v| / 2^k has about UP_BITS bits
    num, den = (p << -k, q) if k < 0 else (p, q << k)
    m = -(-num // den)  # ceiling
    return flint.fmpq(m << k) if k >= 0 else flint.fmpq(m, 1 << -k)


def _check_overflow(S, threshold, name: str, fmt: FloatFormat, reasons: list) -> None:
    """Mark the inputs with some (1 + gamma) S + eta > max, i.e. S > (max - eta) / (1 + gamma)."""
    d, N = S.nrows(), S.ncols()
    ents = S.entries()
    for j in range(N):
        if reasons[j] is None and any(ents[r * N + j] > threshold for r in range(d)):
            reasons[j] = f"overflow in {name} ({fmt.name} max exceeded)"


def _relu_bound(Z, Ez):
    """Exact ReLU of Z and the error after ReLU: min(e, max(0, z + e)) (0 when z + e <= 0)."""
    zero = flint.fmpq(0)
    z, e = Z.entries(), Ez.entries()
    Y = flint.fmpq_mat(Z.nrows(), Z.ncols(), [v if v > zero else zero for v in z])
    E = flint.fmpq_mat(Z.nrows(), Z.ncols(), [min(ev, max(zero, zv + ev)) for zv, ev in zip(z, e)])
    return Y, E


def _columns(M) -> list:
    """A d x N fmpq_mat as N tuples of Fractions (one per input)."""
    d, N = M.nrows(), M.ncols()
    ents = [Fraction(int(v.p), int(v.q)) for v in M.entries()]
    return [tuple(ents[r * N + j] for r in range(d)) for j in range(N)]


def _results(E, pres: list, fmt: FloatFormat, reasons: list) -> list:
    out_cols = _columns(E)
    pre_cols = [_columns(P) for P in pres]
    return [
        ErrorBounds(None, None, fmt.name, False, reasons[j]) if reasons[j] is not None
        else ErrorBounds(out_cols[j], tuple(c[j] for c in pre_cols), fmt.name)
        for j in range(len(out_cols))
    ]
