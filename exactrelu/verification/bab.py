"""Branch and bound over activation patterns: the untrusted search that finds counterexamples or proofs.

A node is the set of inputs of a case's box whose first layers have fixed
phases (see :mod:`exactrelu.verification.proof_check` for the exact rows).
Neurons whose sign is constant on the box are fixed; a node is closed when
exact symbolic interval arithmetic (affine lower and upper maps in x, chord
relaxation of unstable ReLUs) excludes one of the case's constraints, or when its
rows are proved infeasible by an exact Farkas certificate; otherwise an unstable
neuron of the current layer is split.  A node with every phase fixed is a
polyhedron in x on which the network is affine: an LP either finds a
counterexample there or proves it empty.

Floats only guide, and every answer they suggest is made exact before use: a
float replica of the symbolic intervals says which nodes are worth the exact
bound (a wrong guess costs a split, never a wrong step); one float LP (HiGHS)
per node proposes a point, kept only if it meets every row exactly, or the
support of a Farkas certificate, whose multipliers are then solved for exactly;
when neither works the exact LP (:func:`exactrelu.exact.lp.solve_lp`) decides.
Sample points are checked exactly.  The checker re-verifies every step.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import flint
import numpy as np

from ..exact.lp import solve_lp
from ..exact.numbers import fraction_str
from .proof_check import _affine_interval, _Node, _output_row, _row

__all__ = ["search_case", "Timeout"]


# When the search bisects the input box instead of splitting a neuron: at least this many unstable
# neurons in the current layer, the box wider than this fraction of the case's box (per dimension),
# and the current layer at most this one.  Off by default (layer -1): cutting makes ACAS Xu slower,
# with forward intervals only (1_6 / property 3: 13 s without cuts, not done in 90 s with (2, 1/64, 0))
# and still with the back-substituted bounds and float guides (1_6 / property 3: 2.5 s without cuts,
# 111 s with (2, 1/64, 5); property 4: 67 s without, 108 s with; most of it checking the cut leaves).
CUT_POLICY = (2, 1 / 64, -1)


# Float guides from this size on (LP: rows x inputs; bounds: hidden neurons x inputs); below, exact work
# alone is faster (2-4-4-1 networks, same load: median 27 ms per query without, 37 ms with the guides).
GUIDE_MIN_SIZE = 100


class Timeout(Exception):
    """The time limit stopped the search."""


def _frac(q: flint.fmpq) -> Fraction:
    return Fraction(int(q.p), int(q.q))


class _Search:
    def __init__(self, net: Any, layers: list, case: Any, deadline: float | None, progress: Any, confirm: bool = False):
        self.net, self.layers, self.case = net, layers, case
        self.C = [([flint.fmpq(v.numerator, v.denominator) for v in c], flint.fmpq(d.numerator, d.denominator))
                  for c, d in case.constraints]
        self.deadline, self.progress, self.confirm = deadline, progress, confirm
        self.steps: list = []
        self.stats = {"nodes": 0, "lps": 0, "splits": 0, "cuts": 0}
        self.widths = [float(b - a) for a, b in zip(case.lower, case.upper)]
        W0 = layers[0][0]
        self.influence = [sum(abs(float(W0[r, i])) for r in range(W0.nrows())) for i in range(W0.ncols())]
        self.min_unstable, self.min_width, self.max_cut_layer = CUT_POLICY
        self.fl = [(np.array([[float(W[i, j]) for j in range(W.ncols())] for i in range(W.nrows())]),
                    np.array([float(b[i, 0]) for i in range(b.nrows())])) for W, b, *_ in layers]
        self.fC = [(np.array([float(v) for v in c]), float(d)) for c, d in self.C]
        self._float_map: tuple = (None, None)
        self._float_rows: dict = {}
        self.small = sum(W.nrows() for W, *_ in layers) * len(case.lower) < GUIDE_MIN_SIZE

    def tick(self) -> None:
        self.stats["nodes"] += 1
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Timeout(self.stats)
        if self.progress is not None and self.stats["nodes"] % 200 == 0:
            self.progress(self.stats)

    def unsafe(self, x: tuple) -> bool:
        """Exact check: x is in the box and N(x) meets every constraint of the case."""
        if not all(a <= v <= b for a, v, b in zip(self.case.lower, x, self.case.upper)):
            return False
        y = self.net(x)
        return all(sum(a * v for a, v in zip(c, y)) <= d for c, d in self.case.constraints)

    def feasible(self, rows: list) -> tuple | list:
        """A point meeting the rows (tuple), or the Farkas multipliers proving there is none (list)."""
        self.stats["lps"] += 1
        n = len(self.case.lower)
        quick = _guided_feasible(rows, n, self._float_rows) if len(rows) * n >= GUIDE_MIN_SIZE else None
        if quick is not None:
            return quick
        A = [[_frac(v) for v in a] for a, _ in rows]
        b = [_frac(v) for _, v in rows]
        r = solve_lp([0] * len(A[0]), A_ub=A, b_ub=b)
        return r.x if r.status != "infeasible" else [fraction_str(v) for v in r.certificate.ineq]

    def rows(self, node: _Node) -> list:
        """The node's rows as the checker derives them: with the case's constraints once every phase is fixed."""
        return node.rows + ([_output_row(node, c, d) for c, d in self.C] if node.complete else [])

    def excluded(self, node: _Node) -> tuple | None:
        """A step ("bound" or "back", constraint r) that excludes a constraint on the node exactly, tried
        only where the float replica of that computation (a guide, never trusted) comes close.  Where
        the replica clears it by a wide margin the step is emitted unconfirmed (unless ``confirm``):
        the checker computes it exactly, and verify() searches again with ``confirm`` if it fails."""
        if self.small:  # exact forward bounds are cheap here: no float guide (and no back step, which rarely pays there)
            hopeful = [(0, r) for r in range(len(self.C))]
        else:
            guess, scale = self.float_floors(node)
            order = sorted(np.ndindex(*guess.shape), key=lambda i: -guess[i])
            hopeful = [i for i in order if guess[i] > -1e-6 * scale[i]]  # rounding slack: try the exact bound
            if not hopeful:
                return None
            if not self.confirm and guess[hopeful[0]] > 1e-3 * scale[hopeful[0]]:
                return ("bound", "back")[hopeful[0][0]], int(hopeful[0][1])
        forward = None
        for kind, r in hopeful:
            c, d = self.C[r]
            if kind == 1:
                if node.back_floor(c) > d:
                    return "back", int(r)
                continue
            forward = forward or node.output_equations()
            if node.floor(c, *forward) > d:
                return "bound", int(r)
        return None

    def float_floors(self, node: _Node) -> tuple:  # long: a float mirror of output_equations, floor and back_floor
        """Rows ("bound", "back") of floor - d per constraint, computed as node.floor and node.back_floor
        compute them but in floats, and the size of the terms each sums (to judge rounding)."""
        n = len(node.lo)
        lo = np.array([float(v) for v in node.lo])
        hi = np.array([float(v) for v in node.hi])
        mid, rad = (lo + hi) / 2, (hi - lo) / 2
        H = self.float_map(node)

        def ranges(M: np.ndarray) -> tuple:
            m, r = M[:, :n] @ mid + M[:, n], np.abs(M[:, :n]) @ rad
            return m - r, m + r

        Low = Up = H
        phases = node.phase
        relus = []
        for W, b in ([] if node.complete else self.fl[node.k + 1:]):
            lmin, lmax = ranges(Low)
            umin, umax = ranges(Up)
            p = np.array([-1 if v is None else v for v in phases])
            act = (p == 1) | ((p == -1) & (lmin >= 0))
            dead = ~act & ((p == 0) | (umax <= 0))
            free = ~act & ~dead
            relus.append((act, free, lmin, umax))
            keep_low = act | (free & (lmax > -lmin))
            keep_up = act | (free & (umin >= 0))
            chord = free & (umin < 0)
            lam = np.where(chord, umax / np.where(chord, umax - umin, 1.0), 0.0)
            L2 = np.where(keep_low[:, None], Low, 0.0)
            U2 = np.where(keep_up[:, None], Up, 0.0) + lam[:, None] * Up
            U2[:, n] -= lam * umin
            Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
            Low, Up = Wp @ L2 + Wn @ U2, Wp @ U2 + Wn @ L2
            Low[:, n] += b
            Up[:, n] += b
            phases = [None] * len(b)
        out, size = np.empty((2, len(self.fC))), np.empty((2, len(self.fC)))
        for r, (c, d) in enumerate(self.fC):
            for kind, (g, extra) in enumerate((self._forward_row(c, Low, Up), self._back_row(c, relus, node, H))):
                out[kind, r] = g[:n] @ mid + g[n] - np.abs(g[:n]) @ rad - d
                size[kind, r] = 1 + np.abs(g[:n]) @ (np.abs(mid) + rad) + abs(g[n]) + abs(d) + extra
        return np.nan_to_num(out, nan=-np.inf), size

    @staticmethod
    def _forward_row(c: np.ndarray, Low: np.ndarray, Up: np.ndarray) -> tuple:
        return np.maximum(c, 0) @ Low + np.minimum(c, 0) @ Up, 0.0

    def _back_row(self, c: np.ndarray, relus: list, node: _Node, H: np.ndarray) -> tuple:
        """The affine function of x that back_floor minimises (floats), and the size of its constant's terms."""
        lam, const, size = c, 0.0, 0.0
        for (W, b), (act, free, l, u) in zip(reversed(self.fl[node.k + 1:]), reversed(relus)):
            const += lam @ b
            size += np.abs(lam) @ np.abs(b)
            mu = lam @ W
            s = np.where(free, u / np.where(free, u - l, 1.0), 0.0)
            neg = free & (mu < 0)
            shift = np.where(neg, mu * s * l, 0.0)
            const -= shift.sum()
            size += np.abs(shift).sum()
            lam = np.where(act, mu, 0.0) + np.where(free & (mu > 0) & (u > -l), mu, 0.0) + np.where(neg, mu * s, 0.0)
        g = lam @ H
        g[-1] += const
        return g, size

    def float_map(self, node: _Node) -> np.ndarray:
        """node.H in floats (the last one converted is kept: a node's children share their parent's map)."""
        if self._float_map[0] is not node.H:
            H = node.H
            self._float_map = (H, np.array([float(v) for v in H.entries()]).reshape(H.nrows(), H.ncols()))
        return self._float_map[1]

    def float_ranges(self, node: _Node) -> tuple:
        """Float ranges of the current layer's pre-activations over the box, and their terms' size."""
        n = len(node.lo)
        lo = np.array([float(v) for v in node.lo])
        hi = np.array([float(v) for v in node.hi])
        mid, rad = (lo + hi) / 2, (hi - lo) / 2
        H = self.float_map(node)
        m, r = H[:, :n] @ mid + H[:, n], np.abs(H[:, :n]) @ rad
        return m - r, m + r, 1 + np.abs(H[:, :n]) @ (np.abs(mid) + rad) + np.abs(H[:, n])

    def fix_stable(self, node: _Node) -> None:
        """Fix every neuron of the current layer whose sign is constant on the box (repeat per layer)."""
        while not node.complete:
            k = node.k
            fL, fU, size = self.float_ranges(node)
            for j, p in enumerate(list(node.phase)):
                if p is not None or -1e-9 * size[j] < fL[j] and fU[j] < 1e-9 * size[j]:
                    continue  # the float range (a guide) straddles 0 clearly: not worth the exact range
                (L,), (U,) = _affine_interval(_row(node.H, j), node.lo, node.hi)
                if L >= 0 or U <= 0:
                    phase = 1 if L >= 0 else 0
                    self.steps.append(["fix", k, j, phase])
                    node.assign(j, phase)
                    if node.k != k:
                        break
            if node.k == k:
                return

    def run(self, node: _Node, w: tuple | None) -> tuple | None:  # long: one node of the search; the steps it emits are the proof format
        """Close ``node`` (emitting proof steps) or return a counterexample; ``w`` is a point of the node or None."""
        self.tick()
        if w is None:  # no known point: the exact LP finds one or proves the node empty
            found = self.feasible(self.rows(node))
            if isinstance(found, list):
                self.steps.append(["empty", found])
                return None
            if node.complete:
                return found
            w = found
        self.fix_stable(node)
        closing = self.excluded(node)
        if closing is not None:
            self.steps.append(list(closing))
            return None
        if node.complete:
            found = self.feasible(self.rows(node))
            if isinstance(found, tuple):
                return found
            self.steps.append(["empty", found])
            return None
        if self.unsafe(w):
            return w
        L, U, _ = self.float_ranges(node)  # only to choose what to split
        cut = self.cut_dimension(node, L, U)
        if cut is not None:
            return self.cut(node, cut, w)
        j = max((j for j, p in enumerate(node.phase) if p is None), key=lambda j: min(-L[j], U[j]))
        self.steps.append(["split", node.k, j])
        self.stats["splits"] += 1
        n = len(node.lo)
        zw = sum((node.H[j, i] * flint.fmpq(v.numerator, v.denominator) for i, v in enumerate(w)), node.H[j, n])
        on = node.copy()
        on.assign(j, 1)
        node.assign(j, 0)
        for child, holds in ((on, zw >= 0), (node, zw <= 0)):
            x = self.run(child, w if holds and not child.complete else None)
            if x is not None:
                return x
        return None

    def cut_dimension(self, node: _Node, L: list, U: list) -> int | None:
        """Bisect the input box (the input dimension of largest width times influence) while the
        box is still wide relative to the case's, and the current layer has several unstable neurons."""
        if node.k > self.max_cut_layer:
            return None
        unstable = sum(1 for j, p in enumerate(node.phase) if p is None and L[j] < 0 < U[j])
        if unstable < self.min_unstable:
            return None
        widths = [float(_frac(node.hi[i] - node.lo[i])) / w if w else 0.0 for i, w in enumerate(self.widths)]
        i = max(range(len(widths)), key=lambda i: widths[i] * self.influence[i])
        return i if widths[i] > self.min_width else None

    def cut(self, node: _Node, i: int, w: tuple) -> tuple | None:
        v = (node.lo[i] + node.hi[i]) / 2
        self.steps.append(["cut", i, fraction_str(_frac(v))])
        self.stats["cuts"] += 1
        below = node.copy()
        below.cut(i, v, True)
        node.cut(i, v, False)
        wi = flint.fmpq(w[i].numerator, w[i].denominator)
        for child, holds in ((below, wi <= v), (node, wi >= v)):
            x = self.run(child, w if holds else None)
            if x is not None:
                return x
        return None


def _float_row(row: tuple, cache: dict | None) -> tuple:
    """A row (a, b) in floats; ``cache`` keeps them by the row's identity (rows are shared, never changed)."""
    if cache is None:
        return [float(v) for v in row[0]], float(row[1])
    hit = cache.get(id(row))
    if hit is None or hit[0] is not row:
        hit = cache[id(row)] = (row, ([float(v) for v in row[0]], float(row[1])))
    return hit[1]


def _box(rows: list, n: int) -> tuple | None:
    """(lo, hi) when the first 2n rows are a box as the checker writes it (x_i <= hi_i, then -x_i <= -lo_i)."""
    if len(rows) < 2 * n:
        return None
    for i in range(n):
        if any(rows[i][0][j] != (i == j) or rows[n + i][0][j] != -(i == j) for j in range(n)):
            return None
    return [-rows[n + i][1] for i in range(n)], [rows[i][1] for i in range(n)]


def _guided_feasible(rows: list, n: int, cache: dict | None = None) -> tuple | list | None:  # long: one float LP, each answer made exact
    """One float LP (HiGHS: minimise t with A x - t <= b, rows scaled, a leading box as variable bounds) as a
    guide, its answer made exact: a point (clamped into the box) is returned only if it meets every row
    exactly; a float dual solution only proposes the support of a Farkas certificate, which is then solved
    for exactly.  None when neither works (the caller falls back to the exact LP, as it does without scipy)."""
    try:
        from scipy.optimize import linprog
    except ImportError:
        return None
    box = _box(rows, n)
    body = rows[2 * n:] if box else rows
    try:
        floats = [_float_row(row, cache) for row in body]
        A = np.array([a for a, _ in floats]).reshape(len(body), n)
        b = np.array([v for _, v in floats])
        bounds = [(float(lo), float(hi)) for lo, hi in zip(*box)] if box else [(None, None)] * n
    except OverflowError:
        return None
    if not (np.isfinite(A).all() and np.isfinite(b).all()) or any(lo > hi for lo, hi in bounds if box):
        return None
    scale = np.abs(A).max(axis=1) if len(body) else np.ones(0)
    scale[scale == 0] = 1.0
    cost = np.zeros(n + 1)
    cost[n] = 1.0
    try:
        res = linprog(cost, A_ub=np.hstack([A / scale[:, None], -np.ones((len(body), 1))]) if len(body) else None,
                      b_ub=b / scale if len(body) else None, bounds=bounds + [(-1.0, None)], method="highs")
    except (ValueError, RuntimeError):
        return None
    if res.status != 0:
        return None
    if res.x[n] < -1e-9:  # strictly inside the rows (in floats): check the rounded point exactly
        point = [Fraction(float(v)) for v in res.x[:n]]  # the float's exact binary value
        if box:
            point = [min(max(v, _frac(lo)), _frac(hi)) for v, lo, hi in zip(point, *box)]
        x = [flint.fmpq(v.numerator, v.denominator) for v in point]
        if all(sum((ai * xi for ai, xi in zip(a, x)), flint.fmpq(0)) <= bi for a, bi in rows):
            return tuple(point)
        return None
    if res.x[n] > 1e-9:
        y = -res.ineqlin.marginals / scale if len(body) else np.zeros(0)
        if box:
            y = np.concatenate([-res.upper.marginals[:n], res.lower.marginals[:n], y])
        return _exact_farkas(rows, np.maximum(y, 0.0), n)
    return None


def _exact_farkas(rows: list, y: np.ndarray, n: int) -> list | None:
    """Multipliers >= 0 on the support of the float guess ``y`` with sum y_r a_r = 0 and sum y_r b_r = -1,
    solved exactly (rref); None when that support does not carry a unique nonnegative solution."""
    top = y.max()
    if not top > 0:
        return None
    support = [r for r in np.argsort(-y) if y[r] > 1e-9 * top][: n + 1]
    k = len(support)
    aug = flint.fmpq_mat(n + 1, k + 1)
    for col, r in enumerate(support):
        a, bi = rows[r]
        for i in range(n):
            aug[i, col] = a[i]
        aug[n, col] = bi
    aug[n, k] = -1
    R, rank = aug.rref()
    if rank != k or any(R[i, i] != 1 for i in range(k)):  # the support's columns must be independent and the system consistent
        return None
    z = flint.fmpq(0)
    out = [z] * len(rows)
    for col, r in enumerate(support):
        if R[col, k] < 0:
            return None
        out[r] = R[col, k]
    return [str(v) for v in out]  # an exact solution of the system by construction; the checker re-verifies it


def _samples(search: _Search, count: int = 256, seed: int = 0) -> tuple | None:
    """Float-guided attack: exact grid points of the box ranked by a float forward pass, best checked exactly."""
    case, net = search.case, search.net
    rng = np.random.default_rng(seed)
    ks = rng.integers(0, 1025, size=(count, len(case.lower)))
    pts = [tuple(a + (b - a) * Fraction(int(k), 1024) for a, b, k in zip(case.lower, case.upper, row)) for row in ks]
    X = np.array([[float(v) for v in p] for p in pts])
    for (W, b) in net.layers:
        X = np.maximum(X @ np.array([[float(v) for v in r] for r in W]).T + np.array([float(v) for v in b]), 0)
    if net.output is not None:
        W, b = net.output
        X = X @ np.array([[float(v) for v in r] for r in W]).T + np.array([float(v) for v in b])
    C = np.array([[float(v) for v in c] for c, _ in case.constraints])
    d = np.array([float(v) for _, v in case.constraints])
    slack = (X @ C.T - d).max(axis=1)
    for i in np.argsort(slack)[:4]:
        if search.unsafe(pts[i]):
            return pts[i]
    return None


def search_case(net: Any, layers: list, case: Any, deadline: float | None, progress: Any = None,
                confirm: bool = False) -> tuple:
    """("sat", x, stats) or ("unsat", steps, stats) for one case; raises Timeout.  With ``confirm``
    every bound step is computed exactly before it is emitted (else only the close calls are)."""
    s = _Search(net, layers, case, deadline, progress, confirm)
    x = _samples(s)
    if x is None:
        lo = [flint.fmpq(v.numerator, v.denominator) for v in case.lower]
        hi = [flint.fmpq(v.numerator, v.denominator) for v in case.upper]
        mid = tuple((a + b) / 2 for a, b in zip(case.lower, case.upper))
        x = s.run(_Node(layers, lo, hi), mid)
    if x is not None:
        x = tuple(Fraction(v) for v in x)
        if not s.unsafe(x):  # pragma: no cover - the LP point is in the node, where the network is affine
            raise AssertionError("a counterexample failed the exact re-check")
        return "sat", x, s.stats
    return "unsat", s.steps, s.stats
