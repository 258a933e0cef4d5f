"""Exact input gradients of a ReLU network and rigorous bounds on the rounding error of a float backward pass.

On the activation region of a pattern the network is affine (T1), so its
input gradient (Jacobian) there is exact: :func:`candidate_jacobians` gives,
at a test input, every Jacobian a correct implementation may return:

* the exact one when no neuron is tied;
* at ties (pre-activation exactly 0), the exact set of one-sided Jacobians:
  those of the patterns whose region's closure contains the point.  A tie
  assignment sigma qualifies iff the directions d with sign(g_j . d) = sigma_j
  for every tied neuron j (g_j its gradient under sigma's earlier layers)
  form an open set, i.e. iff the exact LP {g_j . d >= 1 (sigma_j = 1),
  -g_j . d >= 1 (sigma_j = 0)} is feasible (proofs/float_error_bounds.md,
  "Gradients"); a tied neuron with g_j = 0 is 0 on a whole neighbourhood and
  both its bits give the same Jacobian;
* where the exact margin of a neuron does not exceed the forward rounding
  bound, a float implementation may see the other sign: those flips are
  candidates too, marked as reached by rounding only.

:func:`backward_error_bounds` bounds |computed - exact| for every entry of
the Jacobian computed by backpropagation (row vector times W_k, masked by
the pattern, layer after layer) under a precision model, any summation
order, FMA or not: the local error r_k of each vector-matrix product
(Lemmas 1 and 1' over its nonzero terms) carried to the input through the
exact prefix Jacobians, |error| <= sum_k |r_k D_(k-1)| |D_(k-1) W_(k-1) ... W_1|
(cancellations kept; proofs/float_error_bounds.md, Theorem 2).

>>> from exactrelu.nets.network import Network
>>> from exactrelu.nets.pattern import Pattern
>>> net = Network([([[1, -1], [1, 1]], [0, 0])], output=([[1, 2]], [0]))
>>> [(str(c.pattern), c.jacobian, c.one_sided) for c in candidate_jacobians(net, [1, 1], Pattern([[0, 1]], [(0, 0)]))]
[('01', ((Fraction(2, 1), Fraction(2, 1)),), True), ('11', ((Fraction(3, 1), Fraction(1, 1)),), True)]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..exact.lp import solve_lp
from ..nets.network import Network
from ..nets.pattern import Pattern
from .jacobian import ETA, JacobianBoundContext, _col_norms, _fup, _gamma, dot_error, up
from .precision import get_precision

__all__ = ["Candidate", "candidate_jacobians", "backward_error_bounds", "MAX_FREE"]

MAX_FREE = 10  # tied or uncertain neurons at one input: 2^10 candidate patterns at most


@dataclass(frozen=True)
class Candidate:
    """A Jacobian a correct implementation may return at a point: its ``pattern`` (bits, no ties), the exact
    ``jacobian`` (rows: outputs) and whether the pattern's region's closure contains the point
    (``one_sided``; False: reachable only through a rounding that flips an uncertain neuron)."""

    pattern: Pattern
    jacobian: tuple
    one_sided: bool


def _bits(pattern: Pattern, flips: dict) -> list:
    return [[flips.get((i, j), b) for j, b in enumerate(layer)] for i, layer in enumerate(pattern.layers)]


def _ties_open(net: Network, x: tuple, bits: list, ties: tuple) -> bool:
    """Whether the tie assignment in ``bits`` has a region with nonempty interior at ``x`` (an exact LP)."""
    rows = []
    for i, (M, _) in enumerate(net.prefix_maps(Pattern(bits))):
        n = M.ncols()
        ents = M.entries()
        for (li, j) in ties:
            if li != i:
                continue
            g = [Fraction(int(v.p), int(v.q)) for v in ents[j * n:(j + 1) * n]]
            if any(g):
                rows.append([-v for v in g] if bits[i][j] else g)  # sigma_j g.d >= 1 as -sigma_j g.d <= -1
    if not rows:
        return True
    return solve_lp([0] * len(x), A_ub=rows, b_ub=[-1] * len(rows)).status != "infeasible"


def candidate_jacobians(net: Network, x: Any, pattern: Pattern, uncertain: tuple = ()) -> list:
    """The exact Jacobians a correct implementation may return at ``x`` (whose exact pattern, ties included,
    is ``pattern``), as :class:`Candidate` s; ``uncertain``: (layer, neuron) pairs whose sign a float pass
    may get wrong.  ValueError beyond :data:`MAX_FREE` free neurons."""
    net.require_relu("compare_gradients")
    ties = tuple(pattern.ties)
    free = ties + tuple(t for t in uncertain if t not in ties)
    if len(free) > MAX_FREE:
        raise ValueError(f"{len(free)} tied or uncertain neurons at this input ({len(ties)} ties): more than "
                         f"{MAX_FREE}, too many candidate patterns to check")
    out = []
    for assign in itertools.product((0, 1), repeat=len(free)):
        flips = dict(zip(free, assign))
        bits = _bits(pattern, flips)
        exact_bits = _bits(pattern, {t: flips[t] for t in ties})
        if not _ties_open(net, tuple(x), exact_bits, ties):
            continue
        A, _ = net.affine_map(Pattern(bits))
        flipped = any(flips[t] != pattern.layers[t[0]][t[1]] for t in free if t not in ties)
        out.append(Candidate(Pattern(bits), A, not flipped))
    return out


@dataclass
class _Enclosure:
    """A float64 matrix ``mid`` with an entrywise radius ``rad`` (None: exact)."""

    mid: np.ndarray
    rad: np.ndarray | None = None

    def abs_upper(self) -> np.ndarray:
        return np.abs(self.mid) if self.rad is None else up(np.abs(self.mid) + self.rad)


def _product(L: Any, B: _Enclosure) -> _Enclosure:
    """W B for a prepared layer L (W64 with radius RW) and an enclosure B (Lemma 4(b))."""
    absB = np.abs(B.mid)
    g = _gamma(L.W64.shape[1] + 1, Fraction(1, 2**53))
    rad = g * (L.absW @ absB)
    if B.rad is not None:
        rad = rad + L.absW @ B.rad
    if L.RW is not None:
        rad = rad + L.RW @ B.abs_upper()
    return _Enclosure(L.W64 @ B.mid, up(rad))


def backward_error_bounds(net: Network, bits: list, precision: Any = "float32") -> np.ndarray:
    """Upper bounds (outputs x inputs, float64) on |computed - exact| of the Jacobian computed by backpropagation
    on the pattern ``bits`` (per hidden layer, 0/1 per neuron) by any implementation following ``precision``.

    >>> net = Network([([[1, -1], [1, 1]], [0, 0])], output=([["1/3", 2]], [0]))
    >>> B = backward_error_bounds(net, [[1, 1]], "float32")
    >>> B.shape, bool(0 < B.max() < 2**-20)
    ((1, 2), True)
    """
    # long: one backward pass, its forward prefix Jacobians and the local errors of Theorem 2, in order
    model = get_precision(precision)
    ctx = JacobianBoundContext(model)
    layers = [L for L, _ in ctx.prepared(net)]
    masks = [np.array(b, dtype=np.float64) for b in bits]
    # forward: the Jacobian of each layer's input with respect to x (an enclosure), D_(k-1) W_(k-1) ... W_1
    ins = [_Enclosure(np.eye(net.input_dim))]
    for k, L in enumerate(layers[:-1]):
        P = _product(L, ins[-1])
        ins.append(_Enclosure(P.mid * masks[k][:, None], P.rad * masks[k][:, None]))
    last = layers[-1]
    out_mask = np.ones(last.W64.shape[0]) if net.output is not None else masks[-1]
    G = _Enclosure(np.diag(out_mask))  # rows: outputs; exact unit rows (masked)
    N = np.zeros(G.mid.shape[0])  # 2-norm bound of the error of the computed rows
    total = np.zeros((G.mid.shape[0], net.input_dim))
    s, a = model.storage, model.accumulation
    for k in range(len(layers) - 1, -1, -1):
        L = layers[k]
        mask = out_mask if k == len(layers) - 1 else masks[k]
        Gabs = up(G.abs_upper() + N[:, None]) * mask  # bound of |computed row|, 0 where masked (exact zeros)
        dG = up(float(s.u) * Gabs + float(s.eta)) * (Gabs > 0) if model.rounds_inputs else 0 * Gabs
        d = L.W64.shape[0]  # the backward dot products run over the rows of W
        g, eta = _gamma(d + 1, a.u), _fup((4 * d + 2) * a.eta)
        S = up((Gabs + dG) @ L.absWs)
        m = (Gabs > 0).astype(np.float64) @ L.nonzero[0]
        r = up(Gabs @ L.dWs + dG @ L.absWs + dot_error(S, S, m, float(a.u), eta))
        if model.rounds_outputs:
            r = up(r + float(model.output.u) * up(S * (1 + g) + eta) + float(model.output.eta))
        if k > 0:
            r = r * masks[k - 1]
        total = up(total + r @ ins[k].abs_upper())
        N = up(L.sigma * N + _col_norms(r.T))
        if k > 0:
            P = _product_rows(G, L)
            G = _Enclosure(P.mid * masks[k - 1], P.rad * masks[k - 1])
    return up(total + ETA)


def _product_rows(G: _Enclosure, L: Any) -> _Enclosure:
    """G W for rows G (an enclosure) and a prepared layer L (Lemma 4(b))."""
    absG = np.abs(G.mid)
    rad = L.g64 * (absG @ L.absW)
    if G.rad is not None:
        rad = rad + G.rad @ L.absW
    if L.RW is not None:
        rad = rad + G.abs_upper() @ L.RW
    return _Enclosure(G.mid @ L.W64, up(rad))
