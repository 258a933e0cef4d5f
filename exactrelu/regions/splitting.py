"""The general region algorithm's machinery: exact splitting of cells, neuron by neuron (any input dimension).

The box is refined layer by layer.  A *cell* is a full-dimensional polytope
(the box cut by the hyperplanes that split it so far) together with the
activation bits decided so far and an exact witness strictly inside it.  For
the next neuron, whose pre-activation f(x) = row.x + off is affine on the cell
(T1: it depends only on the bits of the earlier layers), the cell is split in
two when f takes both signs on its interior, and kept whole otherwise.

Other piecewise-linear activations split the same way, once per breakpoint:
a neuron with breakpoints t_1 < ... < t_m is decided by the hyperplanes
f = t_1, then (on the side above) f = t_2, and so on; the side below t_p is
piece p - 1, the side above the last one piece m (ReLU: one breakpoint at 0).
A neuron without breakpoints (identity, a skip connection) never cuts.

Why this is exact: the cell is full-dimensional, so f > 0 somewhere in its
interior iff max f > 0 over the closed cell, and f has one strict sign on the
whole interior iff it has that sign at one interior point and the other sign
nowhere on the closure (f affine and not constant).  Every decision is made
with rationals, by one of two deciders:

* vertex mode (input dimension <= ``VERTEX_MAX_DIM``): every cell carries its
  exact vertices, each with the set of constraints tight at it.  f cuts the
  cell iff it takes both strict signs at the vertices (a float evaluation
  with a rigorous error bound decides most signs, exact rationals the rest);
  the new vertices are the crossings of the edges, and two vertices span an
  edge iff no third vertex is tight at every constraint tight at both.  No LP
  at all.
* LP mode (higher dimension): an interval bound over the box, the sign of f
  at known exact points of the cell (box corners, earlier LP optima), and
  otherwise one exactly verified LP (:func:`exactrelu.exact.lp.solve_lp`).

New witnesses are built from
exact points: if w is strictly inside the cell and v lies in its closure with
f(w) and f(v) of opposite signs, then w + t (v - w) is strictly inside the
cell for t < 1, and on v's side of the hyperplane for t above the crossing.

The drivers are :mod:`exactrelu.regions.general` (serial, registered as
"general") and :mod:`exactrelu.regions.parallel` (workers); both only call
:meth:`Splitter.root`, :meth:`Splitter.step` and :func:`refine`.

>>> from fractions import Fraction
>>> from exactrelu import Network
>>> net = Network([([[1, 0], [0, 1]], [0, 0])])       # ReLU(x), ReLU(y)
>>> splitter = Splitter(net, (Fraction(-1), Fraction(-1)), (Fraction(1), Fraction(1)))
>>> cells = refine(splitter, [splitter.root()])
>>> [(c.done, c.witness) for c in cells][-1]            # the quadrant x, y > 0 and a point inside it
(((1, 1),), (1/2, 1/2))
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import partial
from typing import Any, Callable, Iterable, Iterator, Sequence

import flint

from ..nets.affine import AffineMaps
from ..nets.pattern import Pattern
from .region import Region

__all__ = ["Cell", "Splitter", "refine", "LimitReached", "make_region"]

Q = flint.fmpq
_ZERO = Q(0)
_HALF = Q(1, 2)
# Up to this input dimension cells carry all their vertices and no LP is needed;
# above it (vertex counts grow fast) cuts are decided by LPs (a float LP whose point or
# multipliers are checked exactly, else an exact LP).  Measured on He-normal networks
# (seed 0): vertex mode 3.6x faster at d = 4 (4-12-12-1), 1.3x at d = 5 (5-10-10-1),
# 2.3x slower at d = 6 (6-6-6-1).
VERTEX_MAX_DIM = 5
# Box corners seed the known points of the LP mode only in low dimension (2^d of them).
_MAX_CORNER_DIM = 4
# At most this many known closure points are carried by a cell.
_KNOWN_CAP = 16
# Witness simplification tries dyadic grids 2^-k for these k.
_GRID_BITS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256)


class Cell:
    """One piece of the refinement: the bits decided so far, its cuts and witness.

    ``done`` holds the bit tuples of the finished layers, ``cur`` the bits of
    the current layer decided so far.  ``cuts`` are the constraints a.x <= b
    that split the box (the cell is the box intersected with them);
    ``H`` = [M | m] gives the current layer's pre-activations z = M x + m
    on the cell (T1, from :class:`~exactrelu.nets.affine.AffineMaps`).  In low dimension ``verts``
    lists every vertex of the cell with the ids of the constraints tight at
    it (ids 0..2d-1 are the box faces, 2d + i is ``cuts[i]``), and cuts are
    decided from them; otherwise (``verts`` None) ``known`` holds some exact
    points of the closed cell, used to detect cuts before an LP.
    """

    __slots__ = ("done", "cur", "H", "cuts", "witness", "known", "verts", "part")

    def __init__(self, done, cur, H, cuts, witness, known, verts=None, part=0):
        self.done, self.cur, self.H = done, cur, H
        self.cuts, self.witness, self.known = cuts, witness, known
        self.verts = verts
        self.part = part  # the current neuron lies above its first `part` breakpoints (0 for ReLU)


def _float(v: Any) -> float:
    """v rounded to the nearest float64 (python-flint divides the Python integers: correctly rounded), inf past
    the range (then every sign that uses it is decided exactly)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf


def _floats(point: Sequence) -> tuple:
    """A vertex's coordinates in float64 (a guide for signs: see Splitter._vertex_signs)."""
    return tuple(_float(v) for v in point)


def _crossing_edges(masks: list, signs: list, d: int) -> Iterator[tuple]:
    """The edges (i, k, common) of a polytope from a vertex i with sign > 0 to a vertex k with sign < 0, from the
    bitmasks of the constraints tight at each vertex (``common`` = masks[i] & masks[k]).

    The constraints tight at two vertices cut out the smallest face F containing both; F's vertices are exactly
    the vertices tight at all of them.  A face with exactly two vertices is an edge (a face of dimension >= 2
    has at least three), so i and k span an edge iff no third vertex is tight at every constraint of
    ``common`` (such a vertex shares at least d - 1 of i's, as i and k do).  Exact and valid with degenerate
    vertices and redundant constraints, as long as each mask lists every constraint tight at its vertex (the
    cutting keeps them complete: a crossing of an edge is tight exactly at the edge's constraints and the cut).
    """
    at = {}  # constraint id -> bitmask of the vertices tight at it
    for j, t in enumerate(masks):
        while t:
            low = t & -t
            at[low] = at.get(low, 0) | (1 << j)
            t ^= low
    downs = [(k, tk) for k, (tk, x) in enumerate(zip(masks, signs)) if x < 0]
    everyone = (1 << len(masks)) - 1
    for i, (tu, x) in enumerate(zip(masks, signs)):
        if x <= 0:
            continue
        for k, tk in downs:
            common = tu & tk
            if common.bit_count() >= d - 1 and _tight_at_all(common, at, everyone).bit_count() == 2:
                yield i, k, common


def _tight_at_all(common: int, at: dict, everyone: int) -> int:
    """The bitmask of the vertices tight at every constraint of ``common`` (all of them when it is empty)."""
    verts = everyone
    while common:
        low = common & -common
        verts &= at[low]
        common ^= low
    return verts


def _float_sign(af: Sequence[float], pf: Sequence[float], cf: float, rel: float) -> int | None:
    """The sign of a.p + c from the floats of a, p and c when the float value's rigorous error bound (``rel``
    times the sum of |terms|, plus underflow) decides it; None (decide exactly) otherwise or when not finite."""
    val, mag = cf, abs(cf)
    for x, y in zip(af, pf):
        val += x * y
        mag += abs(x * y)
    bound = rel * mag + 1e-300
    if not (math.isfinite(val) and math.isfinite(bound)) or abs(val) <= bound:
        return None
    return 1 if val > 0 else -1


def _dot(a: Sequence, x: Sequence):
    total = _ZERO
    for ai, xi in zip(a, x):
        if ai:
            total += ai * xi
    return total


class Splitter:
    """The pure, deterministic refinement step shared by the serial and parallel drivers.

    ``step(cell)`` depends on nothing but the cell, so every worker computes
    the same children (witnesses included) as the serial run.
    """

    def __init__(self, net: Any, lower: Sequence[Fraction], upper: Sequence[Fraction], vertex_dim: int | None = None):
        # ``net``: a Network, or just its AffineMaps (a worker process needs no more)
        self.maps = net if isinstance(net, AffineMaps) else net.affine_maps()
        self.vertex_dim = VERTEX_MAX_DIM if vertex_dim is None else vertex_dim
        self.widths = self.maps.widths
        self.depth = self.maps.depth
        self.breakpoints = self.maps.breakpoints  # per layer None (ReLU) or per neuron its breakpoints
        self.relu = all(b is None for b in self.breakpoints)  # the plain ReLU path, without per-step lookups
        self.d = self.maps.input_dim
        # a.x + c evaluated in float64 from correctly rounded a, x, c (d + 1 terms): each of the 2d + 1
        # conversions errs by at most 2^-53 relatively, the d products and d sums by gamma_(2d+2)(2^-53) of
        # sum |terms| together, under 8 (d + 2) 2^-53 sum |terms| in all (:func:`_float_sign`)
        self.float_rel = 8 * (self.d + 2) * 2.0**-53
        self.lower = tuple(Q(v.numerator, v.denominator) for v in lower)
        self.upper = tuple(Q(v.numerator, v.denominator) for v in upper)
        self.lower_fr, self.upper_fr = tuple(lower), tuple(upper)
        d = self.d
        unit = [tuple(Q(int(i == j)) for j in range(d)) for i in range(d)]
        # x_i <= u_i and -x_i <= -l_i, as (a, b) pairs: the LP's box rows.
        self.box_cuts = tuple((unit[i], self.upper[i]) for i in range(d)) + tuple(
            (tuple(-v for v in unit[i]), -self.lower[i]) for i in range(d)
        )

    # ------------------------------------------------------------ cells
    def root(self) -> Cell:
        """The box itself, with its centre as witness and its corners as vertices or known points."""
        centre = tuple((lo + hi) * _HALF for lo, hi in zip(self.lower, self.upper))
        H = self.layer_map((), 0)
        if self.d <= self.vertex_dim:
            return Cell((), (), H, (), centre, (), self._corners())
        known = tuple(v for v, _, _ in self._corners()) if self.d <= _MAX_CORNER_DIM else ()
        return Cell((), (), H, (), centre, known)

    def _corners(self) -> tuple:
        """The 2^d box corners, each with its tight faces (a bitmask: x_i = u_i is id i, x_i = l_i is id d + i) and
        its float coordinates."""
        d = self.d
        corners = []
        for mask in range(1 << d):
            point = tuple(self.upper[i] if (mask >> i) & 1 else self.lower[i] for i in range(d))
            corners.append((point, sum(1 << (i if (mask >> i) & 1 else d + i) for i in range(d)), _floats(point)))
        return tuple(corners)

    def layer_map(self, done: tuple, k: int):
        """[M | m] with z_k = M x + m given the bits ``done`` of layers < k (None past the last layer)."""
        return None if k >= self.depth else self.maps.layer(done[:k])

    def finished(self, cell: Cell) -> bool:
        return len(cell.done) == self.depth

    def step(self, cell: Cell) -> list:
        """Decide the next neuron of ``cell`` (or close its layer): one or two child cells."""
        k, j = len(cell.done), len(cell.cur)
        if j == self.widths[k]:
            done = cell.done + (cell.cur,)
            H = None if k + 1 >= self.depth else self.maps.step(cell.H, cell.cur, k + 1)
            return [Cell(done, (), H, cell.cuts, cell.witness, cell.known, cell.verts)]
        bps = None if self.relu else self.breakpoints[k]
        if bps is None:
            return self._split(cell, j, _ZERO)
        if not bps[j]:  # no breakpoint: one piece, no cut
            return [Cell(cell.done, cell.cur + (0,), cell.H, cell.cuts, cell.witness, cell.known, cell.verts)]
        return self._split(cell, j, bps[j][cell.part])

    # ------------------------------------------------------------ splitting
    def _split(self, cell: Cell, j: int, t) -> list:
        """Split ``cell`` by the hyperplane where neuron j's pre-activation equals the breakpoint ``t``."""
        d = self.d
        row = tuple(cell.H[j, i] for i in range(d))
        off = cell.H[j, d] - t if t else cell.H[j, d]
        if not any(row):  # constant on the cell: its sign is its bit, no constraint
            return [self._child(cell, 1 if off > 0 else 0, None, cell.witness, cell.known, cell.verts)]
        pos = (tuple(-v for v in row), off)  # f >= 0
        neg = (row, -off)  # f <= 0
        lo, hi = self._box_range(row, off)
        if lo >= 0 or hi <= 0:  # one sign on the whole box
            return [self._keep(cell, lo >= 0, cell.known)]
        s = _dot(row, cell.witness) + off
        if cell.verts is not None:
            found = self._cut_by_vertices(cell, row, off)
        else:
            found = self._cut_by_lp(cell, row, off, s)
        if not isinstance(found, tuple):
            return [found]  # no cut: the one child
        below, above, (known_neg, verts_neg), (known_pos, verts_pos) = found
        w_neg, w_pos = self._witnesses(cell, row, off, s, below, above, pos, neg)
        return [
            self._child(cell, 0, neg, w_neg, known_neg, verts_neg),
            self._child(cell, 1, pos, w_pos, known_pos, verts_pos),
        ]

    def _keep(self, cell: Cell, active: bool, known: tuple) -> Cell:
        """The child when the neuron does not cut: f has one strict sign on the interior."""
        return self._child(cell, int(active), None, cell.witness, known, cell.verts)

    def _cut_by_lp(self, cell: Cell, row: tuple, off, s) -> Any:
        """Decide a cut from known closure points, else by one exact LP.

        Returns the uncut child, or (a point below, a point above, (known, None) for each side).
        """

        def sides(known: tuple) -> tuple:
            return (_side(known, row, off, -1), None), (_side(known, row, off, 1), None)

        if s == 0:  # w is interior and f not constant: both sides have interior
            return None, None, *sides(cell.known)
        sign = 1 if s > 0 else -1
        # A closure point on the other side proves a cut; else the LP decides.
        other = next((v for v in cell.known if sign * (_dot(row, v) + off) < 0), None)
        known = cell.known
        if other is None:
            other = self._float_crossing(cell, row, off, sign)
            if other == "keep":
                return self._keep(cell, sign > 0, known)
        if other is None:
            v = self._lp_extreme(cell, row, minimize=sign > 0)
            known = _add_known(known, v)
            if sign * (_dot(row, v) + off) >= 0:  # f keeps the sign of s on the whole interior
                return self._keep(cell, sign > 0, known)
            other = v
        else:
            known = _add_known(known, other)
        below, above = (other, None) if sign > 0 else (None, other)
        return below, above, *sides(known)

    def _cut_by_vertices(self, cell: Cell, row: tuple, off) -> Any:
        """Decide a cut from the sign of f at every vertex of the cell, and cut the vertex lists.

        A full-dimensional polytope meets both open sides of the hyperplane iff
        f takes both strict signs at its vertices.  The new vertices are the
        crossings of the edges [u, v] with f(u) > 0 > f(v) (:func:`_crossing_edges`).
        Signs come from a float evaluation where its rigorous error bound
        decides them, else exactly; the crossings are computed exactly.
        """
        signs, exact = self._vertex_signs(cell.verts, row, off)
        if all(x >= 0 for x in signs) or all(x <= 0 for x in signs):
            return self._keep(cell, any(x > 0 for x in signs), cell.known)
        h = 1 << (2 * self.d + len(cell.cuts))  # the bit of the id the new constraint gets in the children
        above_list, below_list = [], []
        for vert, x in zip(cell.verts, signs):
            if x == 0:
                on = (vert[0], vert[1] | h, vert[2])
                above_list.append(on)
                below_list.append(on)
            else:
                (above_list if x > 0 else below_list).append(vert)
        fresh = []
        for i, k, common in _crossing_edges([t for _, t, _ in cell.verts], signs, self.d):
            (u, _, _), (v, _, _) = cell.verts[i], cell.verts[k]
            fu, fv = exact(i), exact(k)
            t = fu / (fu - fv)
            point = tuple(ui + t * (vi - ui) for ui, vi in zip(u, v))
            fresh.append((point, common | h, _floats(point)))
        above = next(v for (v, _, _), x in zip(cell.verts, signs) if x > 0)
        below = next(v for (v, _, _), x in zip(cell.verts, signs) if x < 0)
        return below, above, ((), tuple(below_list + fresh)), ((), tuple(above_list + fresh))

    def _vertex_signs(self, verts: tuple, row: tuple, off) -> tuple:
        """The sign of f = row.x + off at each vertex, and a function giving f's exact value at vertex i.

        f is evaluated in float64 first (:func:`_float_sign`, with the bound ``float_rel``), else exactly."""
        rf, of = _floats(row), _float(off)
        values: dict = {}

        def exact(i: int) -> Any:
            if i not in values:
                values[i] = _dot(row, verts[i][0]) + off
            return values[i]

        signs = []
        for i, (_, _, vf) in enumerate(verts):
            sg = _float_sign(rf, vf, of, self.float_rel)
            if sg is None:
                e = exact(i)
                sg = (e > 0) - (e < 0)
            signs.append(sg)
        return signs, exact

    def _witnesses(self, cell: Cell, row: tuple, off, s, below: Any, above: Any, pos: tuple, neg: tuple) -> tuple:
        """Exact points strictly inside the two pieces (below: f < 0, above: f > 0).

        The piece that contains the old witness keeps it; the other gets a
        point of the segment from it to a closure point on the other side.
        """
        w = cell.witness
        if s == 0:
            return self._step_off(cell, row, pos, neg)
        if s > 0:
            return self._simplify(_past_crossing(w, below, s, _dot(row, below) + off), cell.cuts + (neg,)), w
        return w, self._simplify(_past_crossing(w, above, s, _dot(row, above) + off), cell.cuts + (pos,))

    def _step_off(self, cell: Cell, row: tuple, pos: tuple, neg: tuple) -> tuple:
        """f(w) = 0 with f not constant: step from w along -+grad f, staying strictly inside."""
        w = cell.witness
        up = down = None
        for a, b in self.box_cuts + cell.cuts:
            ag = _dot(a, row)
            if ag:
                room = (b - _dot(a, w)) / abs(ag)  # > 0: w is strictly inside
                if ag > 0:
                    up = room if up is None or room < up else up
                else:
                    down = room if down is None or room < down else down
        # The box is bounded, so both directions meet some constraint.
        p_up = tuple(wi + up * _HALF * gi for wi, gi in zip(w, row))
        p_down = tuple(wi - down * _HALF * gi for wi, gi in zip(w, row))
        return self._simplify(p_down, cell.cuts + (neg,)), self._simplify(p_up, cell.cuts + (pos,))

    def _child(self, cell: Cell, bit: int, cut: Any, witness: tuple, known: tuple, verts: Any) -> Cell:
        """The cell on side ``bit`` (1: above) of the current breakpoint, cut by ``cut`` (None: not cut).

        Below breakpoint p the neuron's piece is p; above the last one it is the
        top piece; above another one the next breakpoint decides (same neuron).
        """
        cuts = cell.cuts if cut is None else cell.cuts + (cut,)
        bps = None if self.relu else self.breakpoints[len(cell.done)]
        if bps is None:
            return Cell(cell.done, cell.cur + (bit,), cell.H, cuts, witness, known, verts)
        p, m = cell.part, len(bps[len(cell.cur)])
        if bit and p + 1 < m:
            return Cell(cell.done, cell.cur, cell.H, cuts, witness, known, verts, p + 1)
        return Cell(cell.done, cell.cur + (p + bit,), cell.H, cuts, witness, known, verts)

    def _box_range(self, row: tuple, off):
        lo = hi = off
        for r, a, b in zip(row, self.lower, self.upper):
            if r > 0:
                lo, hi = lo + r * a, hi + r * b
            elif r < 0:
                lo, hi = lo + r * b, hi + r * a
        return lo, hi

    def _inside(self, p: tuple, cuts: Iterable) -> bool:
        """Strictly inside the box and strictly inside every cut."""
        if not all(lo < x < hi for lo, x, hi in zip(self.lower, p, self.upper)):
            return False
        return all(_dot(a, p) < b for a, b in cuts)

    def _simplify(self, p: tuple, cuts: tuple) -> tuple:
        """A point with small denominators near ``p``, still strictly inside (else ``p`` itself).

        Keeps witness sizes from growing with every split.
        """
        for bits in _GRID_BITS:
            scale = 1 << bits
            q = tuple(Q((x * scale + _HALF).floor(), scale) for x in p)
            if self._inside(q, cuts):
                return q
        return p

    def _float_crossing(self, cell: Cell, row: tuple, off, sign: int) -> Any:
        """A point of the closed cell where sign * f < 0, or "keep" when sign * f >= 0 on the whole closed cell,
        both proposed by a float LP and checked exactly; None when the float LP is unavailable or its proposal
        does not check (then the exact LP decides).

        The float optimum x, read exactly, may miss the cell by rounding: the points w + t (x - w) for t just
        below 1 (w the witness, strictly inside) are tried, each checked in rationals against every constraint.
        "keep" rests on exact dual multipliers (:meth:`_dual_keeps`)."""
        from ..exact.float_lp import minimize

        w, cons = cell.witness, self.box_cuts + cell.cuts
        A, b = [_floats(a) for a, _ in cons], [_float(b) for _, b in cons]
        res = minimize([sign * _float(v) for v in row], A, b)
        if res is None or res.status != "optimal":
            return None
        xq = tuple(Q(*float(v).as_integer_ratio()) for v in res.x)
        for t in (Q(1), Q(2**30 - 1, 2**30), Q(4095, 4096)):
            p = xq if t == 1 else tuple(wi + t * (xi - wi) for wi, xi in zip(w, xq))
            if sign * (_dot(row, p) + off) >= 0:
                continue
            pf = _floats(p)
            if all(_float_sign(af, pf, -bf, self.float_rel) == -1 or _dot(a, p) <= bv
                   for af, bf, (a, bv) in zip(A, b, cons)):
                return p
        return "keep" if self._dual_keeps(cons, row, off, sign, res.marginals) else None

    def _dual_keeps(self, cons: tuple, row: tuple, off, sign: int, marginals: Any) -> bool:
        """Whether exact multipliers y >= 0 on d constraints a_i.x <= b_i, those with the largest float
        multipliers, satisfy sum y_i a_i = -sign row and sum y_i b_i <= sign off: then for every x of the
        closed cell sign (row.x) = -sum y_i a_i.x >= -sum y_i b_i >= -sign off, so sign * f >= 0 there
        (weak LP duality, every number exact).  False when the system is singular or a check fails."""
        d = self.d
        if marginals is None or len(marginals) < d:
            return False
        basis = sorted(range(len(cons)), key=lambda i: -marginals[i])[:d]
        M = flint.fmpq_mat(d, d, [cons[i][0][r] for r in range(d) for i in basis])  # columns: the rows a_i
        try:
            y = M.solve(flint.fmpq_mat(d, 1, [-sign * v for v in row]))
        except ZeroDivisionError:
            return False
        ys = [y[k, 0] for k in range(d)]
        return all(v >= 0 for v in ys) and sum((v * cons[i][1] for v, i in zip(ys, basis)), Q(0)) <= sign * off

    def _lp_extreme(self, cell: Cell, row: tuple, minimize: bool) -> tuple:
        """An exact point of the closed cell minimizing (or maximizing) row.x, by an exact LP."""
        from ..exact.lp import solve_lp

        cons = self.box_cuts + cell.cuts
        res = solve_lp(
            [_frac(v) for v in row],
            [[_frac(v) for v in a] for a, _ in cons],
            [_frac(b) for _, b in cons],
            maximize=not minimize,
        )
        if res.status != "optimal":  # the cell is a nonempty polytope: anything else is a bug
            raise RuntimeError(f"internal error: LP over a nonempty bounded cell returned {res.status!r}")
        x = tuple(Q(v.numerator, v.denominator) for v in res.x)
        if not all(_dot(a, x) <= b for a, b in cons):
            raise RuntimeError("internal error: the LP optimum lies outside the cell")
        return x


def _past_crossing(w: tuple, v: tuple, fw, fv) -> tuple:
    """A point of the open segment (w, v) beyond the zero of f, given f(w) = fw and f(v) = fv.

    The zero is at t0 = fw / (fw - fv); t = (t0 + 1) / 2 lies in (t0, 1), so the
    point is strictly inside the cell when w is, and on v's side.
    """
    t = (fw / (fw - fv) + 1) * _HALF
    return tuple(wi + t * (vi - wi) for wi, vi in zip(w, v))


def _frac(v) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def _side(known: tuple, row: tuple, off, sign: int) -> tuple:
    """The known points on the closed side sign * f >= 0."""
    return tuple(v for v in known if sign * (_dot(row, v) + off) >= 0)


def _add_known(known: tuple, v: tuple) -> tuple:
    if v in known:
        return known
    return (known + (v,))[-_KNOWN_CAP:]


# ------------------------------------------------------------------ regions
def closed_region(maps: AffineMaps, lower: tuple, upper: tuple, pattern: Pattern):
    """The closed region of ``pattern`` in the box: the box and every defining constraint, non-strict.

    Neuron j of layer i contributes z_ij >= 0 (active) or z_ij <= 0 (inactive),
    with z_i = M_i x + m_i affine on the region (T1); in general, on piece p,
    t_p <= z_ij <= t_{p+1} for the breakpoints around the piece.  Neurons
    constant on it contribute nothing (their piece is part of the pattern's consistency).
    """
    from ..exact.polyhedron import Polyhedron

    d = maps.input_dim
    unit = [tuple(Fraction(int(i == j)) for j in range(d)) for i in range(d)]
    rows = [(unit[i], upper[i]) for i in range(d)] + [(tuple(-v for v in unit[i]), -lower[i]) for i in range(d)]
    for H, bits, bps in zip(maps.prefix_maps(pattern.layers), pattern.layers, maps.breakpoints):
        for j, bit in enumerate(bits):
            a = tuple(_frac(H[j, k]) for k in range(d))
            if not any(a):
                continue
            b = _frac(H[j, d])
            if bps is None:
                rows.append((tuple(-v for v in a), b) if bit else (a, -b))
                continue
            t = [_frac(v) for v in bps[j]]
            if bit > 0:  # z >= t_p  <=>  -a.x <= b - t_p
                rows.append((tuple(-v for v in a), b - t[bit - 1]))
            if bit < len(t):  # z <= t_{p+1}  <=>  a.x <= t_{p+1} - b
                rows.append((a, t[bit] - b))
    return Polyhedron(d, inequalities=rows)


def make_region(maps: AffineMaps, lower: tuple, upper: tuple, pattern: Pattern, witness: tuple) -> Region:
    """A Region whose polyhedron and affine map are computed on first use (from the shared T1 maps)."""
    return Region(
        pattern,
        partial(closed_region, maps, tuple(lower), tuple(upper), pattern),
        partial(maps.affine_map, pattern.layers),
        tuple(_frac(v) for v in witness),
    )


def cell_region(splitter: Splitter, cell: Cell) -> Region:
    return make_region(splitter.maps, splitter.lower_fr, splitter.upper_fr, Pattern(cell.done), cell.witness)


# ------------------------------------------------------------------ refinement
class LimitReached(Exception):
    """Internal: more than ``limit`` regions exist; ``cells`` are the finished ones."""

    def __init__(self, cells: list):
        super().__init__("region limit reached")
        self.cells = cells


def refine(splitter: Splitter, cells: Iterable[Cell], limit: int | None = None, on_region: Callable | None = None) -> list:
    """Refine ``cells`` depth first to finished cells.

    Raises :class:`LimitReached` as soon as the finished cells plus the
    pending ones (each holds at least one region) exceed ``limit``.
    """
    stack = list(cells)[::-1]
    out = []
    while stack:
        cell = stack.pop()
        if splitter.finished(cell):
            out.append(cell)
            if on_region is not None:
                on_region(1)
        else:
            stack.extend(reversed(splitter.step(cell)))
        if limit is not None and len(out) + len(stack) > limit:
            raise LimitReached(out)
    return out
