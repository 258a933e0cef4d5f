"""Tight rigorous bounds on the rounding error of a float forward pass: errors through the exact Jacobian.

:func:`jacobian_error_bounds` bounds ``|computed - exact|`` for every output
(and pre-activation) of ANY implementation that follows a precision model
(:mod:`exactrelu.numeric.precision`: storage, accumulation and output
formats; any summation order, FMA or not, inputs, weights and biases rounded
to nearest).  Statement and proof: proofs/float_error_bounds.md.

Instead of pushing bounds through |W| layer after layer (the old
:func:`~exactrelu.numeric.errorbounds.float_error_bounds`, whose bound grows
like the product of the |W_k|), the error is split into the local rounding
error r_k of each layer and carried to the output by the exact products
P_j = W_K D_{K-1} W_{K-1} ... W_{j+1} D_j, where D_j keeps the neurons whose
exact margin exceeds their error bound (so the pattern is certain there):
|error| <= sum_j |P_j| rho_j, with cancellations inside P_j kept.  Neurons
whose margin does not certify their sign fall back to a layer-by-layer term.
The pre-activation bounds that decide which margins certify come first from a
2-norm recursion (a rigorous spectral-norm bound per layer), then, for the
neurons it leaves uncertain, from the same Jacobian rows.  Each local error
counts only the terms that may be nonzero (inputs of certified-inactive
ReLUs are exact zeros) and bounds each rounded partial sum by u 2^floor(log2 B)
(Lemmas 1 and 1').  Identity neurons (skips, or a step where an implementation
rounds between two affine maps) are handled; other activations are refused.
With ``failure_probability`` the output bounds are the optional PROBABILISTIC
ones of Theorem 3 (a model of random rounding errors; not a guarantee).

Everything is computed in float64 with rigorous upward rounding: every
nonnegative quantity is computed in round-to-nearest and multiplied by
1 + 2^-30 plus 2^-1000 (:func:`up`), which covers the rounding of any
expression of depth at most 2^20 (proofs/float_error_bounds.md, Lemma 4);
the signed products P_j are midpoint-radius enclosures.  This assumes numpy's
matrix product is a conventional one (each entry a sum of products, in any
order, FMA or not), as BLAS libraries compute it.

>>> from exactrelu.nets.network import Network
>>> net = Network([([["1/10", "2/10"]], ["-3/10"])], output=([[1]], [0]))
>>> [eb] = jacobian_error_bounds(net, [[1, 1]], "float32")
>>> eb.available, 0 < eb.output[0] < Fraction(1, 2**20)
(True, True)
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..exact.floats import FloatFormat, round_nearest
from ..nets.activation import RELU
from ..nets.contexts import Context, ExactContext
from .errorbounds import ErrorBounds, network_batch
from .precision import Precision, get_precision, round_array, to_doubles

__all__ = ["jacobian_error_bounds", "JacobianBoundContext", "up", "spectral_norm_upper", "dot_error", "enclose"]

UP = 1.0 + 2.0**-30  # covers gamma_d(2^-53) for d <= 2^20 roundings, and the rounding of the product itself
ETA = 2.0**-1000  # covers absolute underflow errors (at most 2^-1075 per operation, fewer than 2^70 of them)
MAX_DIM = 2**20  # widths beyond this would need a larger UP
MAX_ROWS = 2048  # Jacobian rows computed per hidden layer to sharpen uncertain neurons (a cost limit; any number is rigorous)


def up(C: Any) -> Any:
    """An upper bound of the exact value of a nonnegative expression computed in float64 (depth <= 2^20).

    >>> up(1.0) > 1.0, up(0.0) > 0.0
    (True, True)
    """
    return C * UP + ETA


def _fup(q: Fraction) -> float:
    """The smallest float64 >= the rational q >= 0 (inf beyond range)."""
    try:
        f = float(q)
    except OverflowError:
        return math.inf
    return f if Fraction(f) >= q else math.nextafter(f, math.inf)


def _gamma(k: int, u: Fraction) -> float:
    """gamma_k(u) = k u / (1 - k u) rounded up to a float (inf when k u >= 1)."""
    return math.inf if k * u >= 1 else _fup(k * u / (1 - k * u))


def _fro(A: np.ndarray) -> float:
    """An upper bound of the Frobenius norm of A."""
    return float(up(math.sqrt(float(up(float(np.sum(A * A)))))))


def spectral_norm_upper(W: np.ndarray, levels: int = 3) -> float:
    """A rigorous upper bound of the spectral norm ||W||_2 of a float64 matrix.

    ||W||_2^2 = ||W^T W||_2 <= ||fl(W^T W)||_2 + gamma_n ||W||_F^2, repeated
    ``levels`` times, then ||A||_2 <= ||A||_F (proofs/float_error_bounds.md,
    Lemma 5): about lambda_max^(1/2) (sum_i (lambda_i / lambda_max)^(2^(levels-1)))^(1/2^(levels+1)).

    >>> 1 <= spectral_norm_upper(np.eye(100)) < 1.4  # 100^(1/16): equal singular values are its worst case
    True
    >>> spectral_norm_upper(np.array([[3.0, 0.0], [0.0, 1.0]])) >= 3.0
    True
    """
    fro = _fro(W)
    if fro == 0.0 or not math.isfinite(fro):
        return fro
    scale = 2.0 ** -math.frexp(fro)[1]  # an exact power of two: ||A||_F in [1/2, 1)
    A = W * scale
    g = _gamma(max(A.shape) + 1, Fraction(1, 2**53))
    rests = []
    for _ in range(levels):
        rests.append(float(up(g * _fro(A) ** 2)))
        A = A.T @ A
    bound = _fro(A)
    for r in reversed(rests):
        bound = float(up(math.sqrt(float(up(bound + r)))))
    return float(up(bound / scale))


@dataclass
class _Layer:
    """One layer prepared for :class:`JacobianBoundContext` (float64 arrays, every one an upper bound
    except the midpoint W64): see proofs/float_error_bounds.md for the names."""

    where: str
    W64: np.ndarray  # nearest float64 of W
    RW: np.ndarray | None  # |W - W64| (None: W is float64 exactly)
    absW: np.ndarray  # |W|
    dWs: np.ndarray  # |W - fl_s(W)|
    absWs: np.ndarray  # |fl_s(W)|
    dbs: np.ndarray  # |b - fl_s(b)|, a column
    absbs: np.ndarray  # |fl_s(b)|, a column
    Wsq: np.ndarray  # W**2 entrywise, for row norms
    g: float  # gamma_{n+1} of the accumulation format
    ua: float  # u of the accumulation format
    eta: float  # (4n + 2) eta of the accumulation format
    g64: float  # gamma_{d+1}(2^-53) for products P W (inner dimension d = rows of W)
    overflow: str | None = None
    signed: tuple | None = None  # (|fl_s(W)| where W >= 0, where W <= 0, the same for b): Lemma 1'
    nonzero: tuple | None = None  # (W != 0, b != 0) as 0/1 float arrays: the terms that can be nonzero (Lemma 1)
    colmax: np.ndarray | None = None  # the largest |W| of each column (radii in _jacobian_rows)
    _sigma: float | None = None

    @property
    def sigma(self) -> float:
        """A rigorous upper bound of ||W||_2, computed once (the layer is cached with the network)."""
        if self._sigma is None:
            rw = 0.0 if self.RW is None else _fro(self.RW)
            self._sigma = float(up(spectral_norm_upper(self.W64) + rw))
        return self._sigma


@dataclass
class _State:
    """The state after layer ``k`` (0: the inputs); arrays have a column per input.

    ``E``: bound on |zhat - z| (pre-activation); ``Ehat``: bound on the error of the
    layer's output (after ReLU); ``U``: neurons whose sign is not certified; ``live``:
    neurons not certified inactive; ``N2``: bound on the 2-norm of the output error,
    per input; ``Yup``: bound on |computed output|; ``dY``: the storage rounding of the
    next layer's input (layer 0 only); ``hist``: per layer (layer, rho', D)."""

    k: int
    E: np.ndarray
    Ehat: np.ndarray
    U: np.ndarray
    live: np.ndarray
    N2: np.ndarray
    Yup: np.ndarray
    rho: np.ndarray | None
    dY: np.ndarray | None
    hist: list = field(default_factory=list)
    reasons: list = field(default_factory=list)
    prob: list = field(default_factory=list)  # probabilistic mode: per layer (deterministic part, variance proxy)
    signed: bool = True  # the next layer's inputs may be negative (the input, or identity neurons)
    Eprob: np.ndarray | None = None  # probabilistic mode: the output bounds


class JacobianBoundContext(Context):
    """The bounds of proofs/float_error_bounds.md as a context of the forward kernel.

    Built for one batch: ``given`` (the float inputs handed to the
    implementation, N x dim) and ``exact`` (per hidden layer, the exact
    pre-activations as a triple of n x N float64 arrays: sign, lower and upper
    bound of |z|).  :meth:`layer` prepares a layer once per network and
    precision model (cached), :meth:`affine` and :meth:`relu` propagate.
    Not registered as an evaluation context: its result is a bound.
    """

    name = "jacobian error bounds"

    def __init__(self, precision: Any, given: np.ndarray | None = None, exact: list | None = None,
                 lam: float | None = None):
        self.model: Precision = get_precision(precision)
        super().__init__(min(self.model.accumulation.p, 53))
        self.given, self.exact = given, exact or []
        self.lam = lam  # not None: probabilistic bounds (hidden and output) with this many standard deviations

    def cache_key(self) -> Any:
        return (type(self), self.model)

    def precision(self) -> Any:
        """numpy's overflow warnings off: an infinite or NaN bound is caught and reported as unavailable."""
        return np.errstate(over="ignore", invalid="ignore")

    def layer(self, W: tuple, b: tuple, where: str) -> _Layer:  # long: one rounding analysis per array
        d, n = len(W), len(W[0])
        if max(d, n) > MAX_DIM:
            raise ValueError(f"{where}: width {max(d, n)} is beyond {MAX_DIM}, the limit of the float64 bound arithmetic")
        s, a = self.model.storage, self.model.accumulation
        W64, RW, absW, dWs = _rounded(W, s, where)
        b64, Rb, absb, dbs = _rounded([[v] for v in b], s, where)
        over = None
        if not (np.isfinite(absW).all() and np.isfinite(absb).all()):
            over = f"a weight or bias of {where} overflows float64"
        elif s.max is not None and (np.any(up(absW + dWs) > float(s.max)) or np.any(up(absb + dbs) > float(s.max))):
            over = f"a weight or bias of {where} overflows {s.name}"
        absWs, absbs = up(absW + dWs), up(absb + dbs)
        signed = (np.where(W64 >= 0, absWs, 0.0), np.where(W64 <= 0, absWs, 0.0),
                  np.where(b64 >= 0, absbs, 0.0), np.where(b64 <= 0, absbs, 0.0))
        return _Layer(
            where, W64, RW, absW, dWs, absWs, dbs, absbs, up(absW * absW), g=_gamma(n + 1, a.u), ua=float(a.u),
            eta=_fup((4 * n + 2) * a.eta), g64=_gamma(d + 1, Fraction(1, 2**53)), overflow=over, signed=signed,
            nonzero=(_maybe_nonzero(W64, RW), _maybe_nonzero(b64, Rb)), colmax=absW.max(axis=0),
        )

    def batch(self, inputs: Any) -> _State:
        N, dim = inputs.n, inputs.dim
        given = self.given if self.given is not None else _round_inputs(inputs, self.model)
        x = inputs.fractions()
        d0 = np.array([[_fup(abs(Fraction(float(given[i, j])) - x[i][j])) for i in range(N)] for j in range(dim)])
        G = np.abs(np.asarray(given, dtype=np.float64)).T  # dim x N
        R, over = round_array(G, self.model.storage)
        reasons = [None] * N
        for i in np.nonzero(over.any(axis=0))[0]:
            reasons[i] = f"an input overflows {self.model.storage.name}"
        ones = np.ones((dim, N), dtype=bool)
        N2 = np.array([_fro(d0[:, i]) for i in range(N)])
        st = _State(0, d0, d0, ones, ones, N2, G, None, np.abs(R - G), [(None, None, d0, None)], reasons)
        st.prob = [(d0, np.zeros_like(d0))]  # the input's rounding is no random error
        return st

    def affine(self, L: _Layer, st: _State) -> _State:
        k, m = st.k + 1, self.model
        if L.overflow is not None:
            st.reasons[:] = [r or L.overflow for r in st.reasons]
        A = st.Yup
        dY = st.dY if st.k == 0 else (up(float(m.storage.u) * A + float(m.storage.eta)) if m.rounds_inputs else 0 * A)
        S = up(L.absWs @ up(A + dY) + L.absbs)  # bounds sum |terms| of each dot product
        # a layer input that is exactly 0 (a ReLU certified inactive, a zero input) adds no rounding (Lemma 1)
        nz = (st.Yup > 0) if st.k == 0 else st.live
        Ay = None if st.signed else up(A + dY)  # Lemma 1' with the signs of the weights needs inputs >= 0
        acc = _accumulation(L, S, Ay, nz)
        rho = up(L.dWs @ A + L.dbs + L.absWs @ dY + acc)
        if m.rounds_outputs:
            rho = up(rho + float(m.output.u) * up(S * (1 + L.g) + L.eta) + float(m.output.eta))
        _check_range(S, L, m, st.reasons)
        E = up(np.sqrt(up(L.Wsq @ st.live.astype(np.float64))) * st.N2 + rho)  # the 2-norm bound (Lemma 3)
        hist = st.hist + [(L, rho, None, None)]
        prob = st.prob + [_random_part(L, m, S, Ay, nz, A, dY)] if self.lam is not None else []
        hidden = k <= len(self.exact)
        if hidden:  # the neurons the 2-norm bound leaves uncertain, most promising first, at most MAX_ROWS
            lo = self.exact[k - 1][1]
            r, c = np.nonzero(~(lo >= E))
            if len(r) > MAX_ROWS:
                keep = np.argsort(-(lo[r, c] / E[r, c]))[:MAX_ROWS]
                r, c = r[keep], c[keep]
        else:
            r, c = np.nonzero(np.ones(E.shape, dtype=bool))
        Eprob = None
        if len(r):
            E[r, c] = np.minimum(E[r, c], _jacobian_rows(hist, r, c))
            if self.lam is not None:  # this run's claims are all probabilistic (Theorem 3), certification too
                Ep = _jacobian_rows(hist, r, c, prob, self.lam)
                if hidden:
                    E[r, c] = np.minimum(E[r, c], Ep)
                else:
                    Eprob = E.copy()
                    Eprob[r, c] = np.minimum(E[r, c], Ep)
        out = _State(k, E, E, st.U, st.live, st.N2, A, rho, None, hist, st.reasons)
        out.prob, out.Eprob = prob, Eprob
        return out

    def relu(self, st: _State) -> _State:
        return self.activate(st, None)

    def activation(self, acts: Any) -> tuple:
        """A layer of ReLU and identity neurons (identity: a skip connection, or a step where the
        implementation rounds between two affine maps) as a mask of its identity neurons; other
        activations are refused, naming the layer."""
        names = [("relu" if f == RELU else f.name) for f in acts.funcs]
        bad = [j for j, n in enumerate(names) if n not in ("relu", "identity")]
        if bad:
            raise ValueError(f"{acts.where}, neuron {bad[0]}: the Jacobian bound handles ReLU and identity neurons "
                             f"only; this layer has {acts.describe()} activations")
        return (np.array([n == "identity" for n in names])[:, None],)  # a tuple: the kernel tests it for truth

    def activate(self, st: _State, acts: tuple | None) -> _State:
        sign, lo, hi = self.exact[st.k - 1]
        E = st.E
        ident = np.zeros((E.shape[0], 1), dtype=bool) if acts is None else acts[0]
        act = ident | ((sign > 0) & (lo >= E))  # slope 1 certified (identity neurons always)
        dead = ~ident & (sign < 0) & (lo >= E)
        unc = ~(act | dead)
        Ehat = np.where(act, E, 0.0)
        Ehat = np.where(unc, np.minimum(E, np.where(sign < 0, up(np.maximum(E - lo, 0.0)), E)), Ehat)
        L = st.hist[-1][0]
        live = ~dead
        N2 = np.minimum(_col_norms(Ehat), up(L.sigma * st.N2 + _col_norms(st.rho * live)))
        weight = np.where(act, st.rho, np.where(unc, Ehat, 0.0))  # what each neuron adds (Theorem 1)
        hist = st.hist[:-1] + [(L, st.rho, weight, act)]
        Yup = up(np.where((sign > 0) | ident, hi, 0.0) + Ehat)
        out = _State(st.k, E, Ehat, unc, live, N2, Yup, None, None, hist, st.reasons)
        out.signed = bool(ident.any())
        if st.prob:  # the same weights split: deterministic (uncertain neurons too) and random parts
            det, V = st.prob[-1]
            out.prob = st.prob[:-1] + [(np.where(act, det, np.where(unc, Ehat, 0.0)), np.where(act, V, 0.0))]
        return out

    def export(self, st: _State, n: int) -> _State:
        return st


def _accumulation(L: _Layer, S: np.ndarray, Ay: np.ndarray | None, nz: np.ndarray) -> np.ndarray:
    """The rounding error of the dot products: min of Lemma 1 and Lemma 1' (inputs ``Ay`` >= 0; None: unsigned),
    with m = the number of terms that may be nonzero (``nz``: the inputs that may be) instead of n + 1."""
    nzW, nzb = L.nonzero
    m = nzW @ nz.astype(np.float64) + nzb  # exact small integers
    if Ay is None:
        M = S
    else:
        Wpos, Wneg, bpos, bneg = L.signed
        M = np.minimum(S, np.maximum(up(Wpos @ Ay + bpos), up(Wneg @ Ay + bneg)))  # largest |partial sum|, exactly
    return dot_error(S, M, m, L.ua, L.eta)


def _random_part(L: _Layer, model: Precision, S: np.ndarray, Ay: np.ndarray | None, nz: np.ndarray, A: np.ndarray,
                 dY: np.ndarray) -> tuple:
    """Theorem 3 (probabilistic): a layer's local error split into a deterministic part (storage roundings,
    underflow) and the variance proxy sum c_t^2 of its accumulation and output roundings, per neuron."""
    nzW, nzb = L.nonzero
    m = nzW @ nz.astype(np.float64) + nzb
    if Ay is None:
        M = S
    else:
        Wpos, Wneg, bpos, bneg = L.signed
        M = np.minimum(S, np.maximum(up(Wpos @ Ay + bpos), up(Wneg @ Ay + bneg)))
    step = L.ua * _pow2_floor(up(M + _gamma_m(m, L.ua) * S + L.eta))  # one sum or FMA rounding, at most
    AdY = up(A + dY)
    V = up(np.maximum(m - 1, 0.0) * up(step * step) + (L.ua * L.ua) * up(up(L.absWs * L.absWs) @ up(AdY * AdY)))
    det = up(L.dWs @ A + L.dbs + L.absWs @ dY + 2 * L.eta)
    if model.rounds_outputs:
        so = float(model.output.u) * _pow2_floor(up(S * (1 + L.g) + L.eta))
        V, det = up(V + so * so), up(det + float(model.output.eta))
    return det, V


def _gamma_m(m: np.ndarray, u: float) -> np.ndarray:
    """gamma_m(u) = m u / (1 - m u) entrywise, rounded up (inf where m u >= 1); m u and 1 - m u are exact."""
    mu = m * u
    with np.errstate(divide="ignore"):
        return np.where(mu < 1, up(mu / np.where(mu < 1, 1 - mu, 1.0)), math.inf)


def dot_error(S: np.ndarray, M: np.ndarray, m: np.ndarray, u: float, eta: float) -> np.ndarray:
    """Lemmas 1 and 1' (proofs/float_error_bounds.md): a bound on the rounding error of a dot product (any
    order, FMA or not) with sum |terms| <= S, every partial sum <= M, at most m nonzero terms, unit
    roundoff u (a power of two) and underflow term eta (= (4n + 2) eta of the format).

    >>> float(dot_error(np.array(1.0), np.array(0.5), np.array(3.0), 2.0**-24, 0.0)) < 3 * 2.0**-24
    True
    """
    G = _gamma_m(m, u)  # exact m u: u is a power of two
    lemma1 = up(G * S + eta)
    nodes = np.maximum(m - 1, 0.0)  # rounded sums and FMAs: at most m - 1 (Lemma 1')
    return np.minimum(lemma1, up(u * S + nodes * (u * _pow2_floor(up(M + G * S + eta))) + 2 * eta))


def _pow2_floor(B: np.ndarray) -> np.ndarray:
    """2^floor(log2 B) entrywise (exact; B > 0; inf stays inf): rounding anything of size <= B errs by at most
    u times it (Lemma 1')."""
    _, e = np.frexp(np.where(np.isfinite(B), B, 1.0))
    return np.where(np.isfinite(B), np.ldexp(1.0, e - 1), math.inf)


def _maybe_nonzero(mid: np.ndarray, R: np.ndarray | None) -> np.ndarray:
    """1.0 where a rational matrix (float64 midpoint ``mid``, radius ``R``) may be nonzero, else 0.0."""
    return ((mid != 0) | (False if R is None else R > 0)).astype(np.float64)


def _lower(enclosure: tuple) -> np.ndarray:
    return enclosure[1]


def _col_norms(A: np.ndarray) -> np.ndarray:
    return up(np.sqrt(up(np.sum(A * A, axis=0))))


def _check_range(S: np.ndarray, L: _Layer, m: Precision, reasons: list) -> None:
    """Mark the inputs where a dot product, its rounded result or a stored input may overflow its format."""
    top = up(S * (1 + L.g) + L.eta)
    for fmt in (m.accumulation, m.output, m.storage):
        if fmt.max is not None or not np.isfinite(top).all():
            limit = math.inf if fmt.max is None else float(fmt.max)
            for i in np.nonzero(~(top <= limit).all(axis=0))[0]:
                reasons[i] = reasons[i] or f"overflow in {L.where} ({fmt.name} max may be exceeded)"


def _jacobian_rows(hist: list, rows: np.ndarray, inputs: np.ndarray, prob: list | None = None,
                   lam: float | None = None) -> np.ndarray:
    """Theorem 1's bound for the given (neuron, input) pairs of the last layer k in ``hist``:
    sum_i |P_k|_i rho_k,i + sum_{j<k} |Q_j| w_j, with Q_j = P_{j+1} W_{j+1}, P_j = Q_j D_j.

    ``hist[j]`` is (layer j, rho_j, w_j, D_j) (j = 0: the inputs, w_0 = |x_given - x|).
    P starts as the unit rows; products are midpoint-radius enclosures (Lemma 4), the radius of a row
    kept as s v + a (s, a per row; v = the column maxima of |W|), which costs no second matrix product.
    With ``prob`` (per layer: deterministic weights, variance proxies) and ``lam``, the probabilistic
    bound of Theorem 3 instead: sum |P| w_det + lam sqrt(sum P^2 V)."""
    rho = hist[-1][1]
    R = len(rows)
    P = np.zeros((R, rho.shape[0]))
    P[np.arange(R), rows] = 1.0
    s, v, a = np.zeros(R), np.zeros(rho.shape[0]), np.zeros(R)  # radius of P: s v + a entrywise
    total = rho[rows, inputs].copy()
    if prob is not None:
        det, var = prob[-1][0][rows, inputs].copy(), prob[-1][1][rows, inputs].copy()
    for j in range(len(hist) - 2, -1, -1):
        nxt = hist[j + 1][0]
        _, _, w, D = hist[j]
        absP1 = up(np.sum(np.abs(P), axis=1))
        rad1 = up(s * float(up(np.sum(v))) + a * len(v))  # sum_i Rad_i, per row
        # (g |P| + Rad) |W| + (|P| + Rad) |RW| <= (column maxima) times the row sums (Lemma 4(b))
        s = up(nxt.g64 * absP1 + rad1)
        v = nxt.colmax
        if nxt.RW is not None:
            s, v = np.maximum(s, up(absP1 + rad1)), up(v + nxt.RW.max(axis=0))
        P, a = P @ nxt.W64, np.full(R, ETA)  # a: the underflow of the product (Lemma 4(b))
        if prob is None:
            W = w[:, inputs].T
            total = total + up(np.sum(np.abs(P) * W, axis=1) + s * up(W @ v) + a * np.sum(W, axis=1))
        else:
            Pab = up(np.abs(P) + s[:, None] * v[None, :] + a[:, None])
            det = det + up(np.sum(Pab * prob[j][0][:, inputs].T, axis=1))
            var = var + up(np.sum(up(Pab * Pab) * prob[j][1][:, inputs].T, axis=1))
        if D is None:
            break
        P = np.where(D[:, inputs].T, P, 0.0)  # the radius is left as it is: an upper bound still
    if prob is not None:
        return up(up(det) + lam * up(np.sqrt(up(var))))
    return up(total)


def _rounded(M: list, fmt: FloatFormat, where: str) -> tuple:
    """float64 midpoint, |M - mid| (None if exact), |M| and |M - fl_fmt(M)| (upper bounds) of a rational matrix."""
    try:
        mid, exact = to_doubles(M)
    except OverflowError:
        inf = np.full((len(M), len(M[0])), math.inf)
        return inf, None, inf, inf
    a = np.abs(mid)
    R = None if exact.all() else np.where(exact, 0.0, up(a * 2.0**-52))
    absM = a if R is None else up(a + R)
    Rs, _ = round_array(mid, fmt)
    loose = up(float(fmt.u) * absM + float(fmt.eta))
    return mid, R, absM, np.where(exact, np.abs(mid - Rs), loose)


def _round_inputs(inputs: Any, m: Precision) -> np.ndarray:
    """The inputs rounded to nearest in ``m.input_dtype`` (what :func:`exactrelu.oracle.compare` hands over)."""
    fmt = {"float64": "float64", "float32": "float32", "float16": "float16"}[m.input_dtype]
    return np.array([[float(round_nearest(v, fmt)) for v in row] for row in inputs.fractions()]).reshape(inputs.n, inputs.dim)


def _float_or_inf(q: Fraction) -> float:
    try:
        return float(q)
    except OverflowError:
        return math.copysign(math.inf, q)


def enclose(columns: list) -> tuple:
    """Per-input tuples of exact Fractions (one layer) as (sign, lower |z|, upper |z|), n x N float64 arrays.

    >>> s, lo, hi = enclose([(Fraction(1, 3), Fraction(0))])
    >>> s.tolist(), bool(lo[0, 0] <= 1 / 3 <= hi[0, 0]), float(lo[1, 0])
    ([[1.0], [0.0]], True, 0.0)
    """
    nums = [[q.numerator for q in col] for col in columns]
    dens = [[q.denominator for q in col] for col in columns]
    try:
        F = np.array([list(map(operator.truediv, n, d)) for n, d in zip(nums, dens)], dtype=np.float64).T
    except OverflowError:  # some exact value beyond float64: +-inf there (no bound will be claimed)
        F = np.array([[_float_or_inf(q) for q in col] for col in columns], dtype=np.float64).T
    a = np.abs(F)
    lo = np.where(a >= 2.0**-1000, a * (1 - 2.0**-50), 0.0)
    return np.sign(F), lo, up(a * (1 + 2.0**-50))


def jacobian_error_bounds(net: Any, X: Any, precision: Any = "float32", *, given: Any = None, exact: Any = None,
                          preactivations: bool = True, failure_probability: float | None = None) -> list:
    """Rigorous bounds on the rounding error of any implementation following ``precision``, one
    :class:`~exactrelu.numeric.errorbounds.ErrorBounds` per input (bounds are exact dyadic Fractions).

    ``X``: the exact inputs; ``given``: the float inputs the implementation
    receives (default: ``X`` rounded to nearest in the model's input dtype);
    ``exact``: the exact pre-activations per hidden layer, per input (as in
    ``Trace.pre``; default: computed by the exact context).  With
    ``preactivations=False`` only the output bounds are returned (faster).

    ``failure_probability`` p (not the default): the output bounds are the
    PROBABILISTIC ones of proofs/float_error_bounds.md, Theorem 3 (rounding
    errors modelled as mean-zero and independent of the past, as in Higham
    and Mary's analysis): under that model all of them hold together with
    probability at least 1 - p.  They are not guaranteed: an adversarial
    summation order can exceed them.  Networks without an output layer keep
    the rigorous bound.

    >>> from exactrelu.nets.network import Network
    >>> net = Network([([[1, 1]], [0])], output=([[1]], [0]))
    >>> [eb] = jacobian_error_bounds(net, [["1/3", "1/3"]], "float64")
    >>> Fraction(2, 3) - Fraction(float(Fraction(1, 3)) * 2) <= eb.output[0] < Fraction(1, 2**48)
    True
    """
    model = get_precision(precision)
    batch = network_batch(net, X, "jacobian_error_bounds")
    if batch.n == 0:
        return []
    if exact is None:
        exact = ExactContext().forward(net, batch, record=True).pre
    if given is not None:
        given = np.asarray(given, dtype=np.float64).reshape(batch.n, batch.dim)
    enclosed = [enclose(layer) for layer in exact]
    ctx = JacobianBoundContext(model, given, enclosed)
    pres: list = []
    out = ctx.run(ctx.prepared(net), ctx.batch(batch), pres.append)
    final = out.E if net.output is not None else out.Ehat
    name = model.name
    if failure_probability is not None:
        p = float(failure_probability)
        if not 0 < p < 1:
            raise ValueError(f"failure_probability must be in (0, 1), got {failure_probability!r}")
        # Azuma: one bound fails with probability <= 2 exp(-lam^2 / 2); a union over every output and every
        # hidden neuron whose probabilistic bound may be used, at every input
        claims = batch.n * (net.output_dim + sum(net.widths))
        lam = math.sqrt(2 * math.log(2 * claims / p)) * (1 + 2.0**-40)
        pctx = JacobianBoundContext(model, given, enclosed, lam)
        pout = pctx.run(pctx.prepared(net), pctx.batch(batch))
        if pout.Eprob is not None:
            final = np.minimum(final, pout.Eprob)
        name = f"{model.name}, probabilistic (failure probability <= {p:g})"
    return [_result(final[:, i], [P.E[:, i] for P in pres] if preactivations else None, name, out.reasons[i])
            for i in range(batch.n)]


def _result(out: np.ndarray, pres: list | None, name: str, reason: str | None) -> ErrorBounds:
    if reason is None and not np.isfinite(out).all():
        reason = "the bound exceeds the float64 range"
    if reason is not None:
        return ErrorBounds(None, None, name, False, reason)
    frac = lambda v: tuple(Fraction(float(t)) for t in v)  # noqa: E731 - exact: the bounds are doubles
    return ErrorBounds(frac(out), None if pres is None else tuple(frac(p) for p in pres), name)
