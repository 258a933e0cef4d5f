"""Rigorous bounds on the rounding error of a floating-point forward pass.

:func:`float_error_bounds` returns, for every input, exact rational upper
bounds on ``|computed - exact|`` for each pre-activation and each output,
valid for ANY implementation that

* stores every weight, bias and input rounded to nearest in the format
  (any tie rule; with ``input_rounded=False`` the inputs are fed exactly),
* computes each neuron's dot product plus bias in that format, in any
  summation order, with or without fused multiply-add,
* applies ReLU exactly (it is), and the output layer without ReLU.

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
The input error is |x - fl(x)|.  Everything is computed exactly, from the
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
from functools import cached_property
from fractions import Fraction
from typing import Any

import flint

from ..exact.numbers import fraction_brief, to_fraction

UP_BITS = 48  # significant bits kept when a bound is rounded up to a dyadic rational

__all__ = ["FloatFormat", "ErrorBounds", "float_error_bounds", "round_nearest", "get_format", "gamma"]


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: ``p`` significand bits, normal exponents ``emin..emax``
    (both None for an unbounded exponent range, as in mpmath)."""

    name: str
    p: int
    emin: int | None = None
    emax: int | None = None

    @property
    def u(self) -> Fraction:
        """Unit roundoff 2^-p of rounding to nearest."""
        return Fraction(1, 1 << self.p)

    @cached_property
    def max(self) -> Fraction | None:
        """The largest finite number, or None when the exponent range is unbounded."""
        if self.emax is None:
            return None
        return (2 - Fraction(1, 1 << (self.p - 1))) * Fraction(2) ** self.emax

    @property
    def eta(self) -> Fraction:
        """The subnormal spacing 2^(emin-p+1) (an upper bound of the absolute underflow error), 0 if unbounded."""
        if self.emin is None:
            return Fraction(0)
        return Fraction(2) ** (self.emin - self.p + 1)


FLOAT64 = FloatFormat("float64", 53, -1022, 1023)
FLOAT32 = FloatFormat("float32", 24, -126, 127)


def get_format(precision: Any) -> FloatFormat:
    """The :class:`FloatFormat` for "float64", "float32", an integer number of bits, or a FloatFormat.

    >>> get_format("float32").p, get_format(100).emax is None
    (24, True)
    >>> get_format("float16")
    Traceback (most recent call last):
    ...
    ValueError: precision must be 'float64', 'float32' or an integer number of bits >= 2, got 'float16'
    """
    if isinstance(precision, FloatFormat):
        return precision
    if precision == "float64":
        return FLOAT64
    if precision == "float32":
        return FLOAT32
    if isinstance(precision, int) and not isinstance(precision, bool) and precision >= 2:
        return FloatFormat(f"{precision}-bit", precision)
    raise ValueError(
        f"precision must be 'float64', 'float32' or an integer number of bits >= 2, got {precision!r}"
    )


def round_nearest(q: Any, precision: Any = "float64") -> Fraction:
    """The exact value of ``q`` rounded to nearest (ties to even) in a format; OverflowError if it overflows.

    Subnormals are handled (the spacing below 2^emin is 2^(emin-p+1)).

    >>> round_nearest(Fraction(1, 3), "float64") == Fraction(1 / 3)
    True
    >>> round_nearest(Fraction(1, 3), 2)  # 2-bit significands: 1/4, 3/8, 1/2 ...
    Fraction(3, 8)
    >>> round_nearest(Fraction(1, 2**1080))  # below half the smallest subnormal 2^-1074
    Fraction(0, 1)
    """
    fmt = get_format(precision)
    q = to_fraction(q, "round_nearest")  # NaN, booleans, '1e999999999' refused with a message
    if q == 0:
        return q
    n, d = abs(q.numerator), q.denominator
    e = n.bit_length() - d.bit_length()  # floor(log2 |q|) is e or e - 1
    if (n << -e if e < 0 else n) < (d << e if e > 0 else d):
        e -= 1
    if fmt.emin is not None:
        e = max(e, fmt.emin)
    k = e - (fmt.p - 1)  # the spacing of the format around |q| is 2^k
    num, den = (n << -k, d) if k < 0 else (n, d << k)
    m, r = divmod(num, den)  # |q| / 2^k = m + r / den
    if 2 * r > den or (2 * r == den and m & 1):  # round half to even
        m += 1
    out = Fraction(m << k) if k >= 0 else Fraction(m, 1 << -k)
    if fmt.emax is not None and out > fmt.max:
        raise OverflowError(f"{fraction_brief(q)} overflows {fmt.name}")
    return out if q > 0 else -out


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
    |zhat - z| (the same layout as ``Network.pre_activations``).  When
    ``available`` is False (overflow), both are None and ``reason`` says why.
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
    from .contexts import read_inputs  # the same input validation as evaluate()
    from ..nets.network import Network

    if not isinstance(net, Network):
        raise ValueError(f"float_error_bounds expects an exactrelu Network, got {type(net).__name__}")
    if not isinstance(input_rounded, bool):
        raise ValueError(f"input_rounded must be True or False, got {input_rounded!r}")
    fmt = get_format(precision)
    batch = read_inputs(X, net.input_dim)
    if batch.n == 0:
        return []
    _, pres, _, E, reasons = bound_matrices(net, batch, fmt, input_rounded)
    return _results(E, pres, fmt, reasons)


def bound_matrices(net: Any, batch: Any, fmt: FloatFormat, input_rounded: bool = True) -> tuple:
    """Internal, for crosscheck: ``(Z, Ez, out, Eout, reasons)`` as flint matrices with one column per input.

    ``Z[i]`` / ``Ez[i]``: exact pre-activations of hidden layer i and their
    error bounds; ``out`` / ``Eout``: exact outputs and their bounds;
    ``reasons[j]``: None, or why input j has no bound (its columns are then
    meaningless).  ``batch`` is a validated :class:`exactrelu.numeric.contexts.Batch`
    with at least one input.
    """
    rows = batch.fractions()
    N = batch.n
    reasons: list = [None] * N
    Y = _cols([[_q(v) for v in row] for row in rows], batch.dim, N)
    E = _cols([[_input_error(v, fmt, reasons, i, input_rounded) for v in row] for i, row in enumerate(rows)],
              batch.dim, N)
    zs, pres = [], []
    layers = [(W, b, f"layer {i}", True) for i, (W, b) in enumerate(net.layers)]
    if net.output is not None:
        layers.append((*net.output, "output layer", False))
    for W, b, name, hidden in layers:
        Z, Ez = _layer_bound(W, b, Y, E, fmt, name, reasons, hidden_input=bool(zs))
        if hidden:
            zs.append(Z)
            pres.append(Ez)
            Y, E = _relu_bound(Z, Ez)
        else:
            Y, E = Z, Ez
    return zs, pres, Y, E, reasons


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


def _layer_bound(W: tuple, b: tuple, Y, E, fmt: FloatFormat, name: str, reasons: list, hidden_input: bool):
    """Exact pre-activations Z and their error bounds Ez (d x N fmpq_mat) for one layer."""
    d, k, N = len(W), len(W[0]), Y.ncols()
    Wq = flint.fmpq_mat(d, k, [_q(v) for row in W for v in row])
    bq = flint.fmpq_mat(d, 1, [_q(v) for v in b])
    ones = flint.fmpq_mat(1, N, [1] * N)
    Z = Wq * Y + bq * ones
    try:
        absW, errW = _rounded_abs(W, fmt, name)
        absb, errb = _rounded_abs([[v] for v in b], fmt, name)
    except OverflowError as exc:
        for i in range(N):
            reasons[i] = reasons[i] or str(exc)
        return Z, flint.fmpq_mat(d, N)
    # A = |y| + e bounds |yhat|; after a ReLU y >= 0, so one matrix sum does it
    A = Y + E if hidden_input else flint.fmpq_mat(k, N, [abs(y) + e for y, e in zip(Y.entries(), E.entries())])
    absWm = flint.fmpq_mat(d, k, [v for row in absW for v in row])
    errWm = flint.fmpq_mat(d, k, [v for row in errW for v in row])
    errbm = flint.fmpq_mat(d, 1, [r[0] for r in errb])
    Fb = flint.fmpq_mat(d, 1, [a[0] + r[0] for a, r in zip(absb, errb)])
    S = (absWm + errWm) * A + Fb * ones  # bounds sum |t_k| over the d + 1 terms
    g = _up(_q(gamma(k + 1, fmt.u)))
    eta = _q((4 * k + 2) * fmt.eta)
    Ez = absWm * E + errWm * A + errbm * ones + S * g
    Ez = flint.fmpq_mat(d, N, [_up(v + eta) for v in Ez.entries()])
    if fmt.max is not None:
        _check_overflow(S, (_q(fmt.max) - eta) / (1 + g), name, fmt, reasons)
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
