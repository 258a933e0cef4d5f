"""Internal: exact vertices and volumes of bounded polyhedra given by inequalities.

A system is a list of rows ``(a, b)`` meaning ``a.x <= b`` (Fractions) over
``d`` coordinates, together with an outer ``box`` (one ``(lo, hi)`` pair per
coordinate) that contains the polyhedron.  The box is only the starting
polygon of the 2-D clipping; it never changes the answer.

* 2-D: the box rectangle is clipped by every half-plane exactly
  (Sutherland-Hodgman on a convex polygon), which yields the vertices in
  counter-clockwise order; the area is the shoelace formula.
* d >= 3 (reference version, kept for cross-checking in the tests): recursion over
  facets with clipping at the bottom.  The facet of row ``(a, b)`` is parametrised by
  eliminating one coordinate ``x_k`` (``a_k != 0``) from the hyperplane
  ``a.x = b``, which keeps the other coordinates, so the sub-box is the box
  without coordinate ``k``.  Vertices of the polytope are the union of the
  vertices of its facets.  The volume is the pyramid (divergence) formula
  ``V = (1/d) sum_i (b_i - a_i.p) vol(pi_k F_i) / |a_ik|`` for any point ``p``,
  exact because ``vol_{d-1}(F_i) / ||a_i|| = vol(pi_k F_i) / |a_ik|``.  Rows are
  first normalised so that each facet hyperplane appears once.
* d >= 3 (used by Polyhedron): :func:`double_description` finds all vertices
  with their tight rows in integer homogeneous coordinates; the volume then
  follows from the same pyramid formula driven by vertex-facet incidences
  (:func:`volume_from_vertices`), without any further clipping.
"""

from __future__ import annotations

from fractions import Fraction
import math
import operator
from typing import Sequence

import flint

Row = tuple  # (tuple of Fraction, Fraction)

_F0 = Fraction(0)


def _dot(u: Sequence, v: Sequence) -> Fraction:
    return sum((a * b for a, b in zip(u, v) if a and b), _F0)


def normalize(rows: Sequence[Row]) -> list[Row] | None:
    """Drop trivial rows, scale each to a first nonzero entry of +-1, keep the tightest per direction.

    Returns None when a row ``0 <= b`` with ``b < 0`` makes the system empty.
    """
    best: dict = {}
    for a, b in rows:
        lead = next((v for v in a if v), None)
        if lead is None:
            if b < 0:
                return None
            continue
        s = abs(lead)
        key = tuple(v / s for v in a)
        rhs = b / s
        if key not in best or rhs < best[key]:
            best[key] = rhs
    return list(best.items())


def eliminate(rows: Sequence[Row], a: Sequence, b: Fraction, k: int) -> list[Row]:
    """Substitute ``x_k = (b - sum_{j != k} a_j x_j) / a_k`` into ``rows``; coordinate k is dropped."""
    out = []
    ak = a[k]
    for r, s in rows:
        f = r[k] / ak
        if f:
            out.append((tuple(r[j] - f * a[j] for j in range(len(r)) if j != k), s - f * b))
        else:
            out.append((r[:k] + r[k + 1 :], s))
    return out


def lift(z: Sequence, a: Sequence, b: Fraction, k: int) -> tuple:
    """Insert the eliminated coordinate k back into the point z of the hyperplane a.x = b."""
    rest = _dot([a[j] for j in range(len(a)) if j != k], z)
    return tuple(z[:k]) + ((b - rest) / a[k],) + tuple(z[k:])


def _pivot(a: Sequence) -> int:
    return max(range(len(a)), key=lambda j: abs(a[j]))


# ----------------------------------------------------------------------------------------------
# dimension 1 and 2


def interval(rows: Sequence[Row], box: Sequence) -> tuple | None:
    """The interval {x : a x <= b for all rows} within box[0], or None if empty."""
    lo, hi = box[0]
    for (a,), b in rows:
        if a > 0:
            hi = min(hi, b / a)
        elif a < 0:
            lo = max(lo, b / a)
        elif b < 0:
            return None
    return (lo, hi) if lo <= hi else None


def _clip(poly: list, a: Sequence, b: Fraction) -> list:
    out = []
    n = len(poly)
    vals = [a[0] * p[0] + a[1] * p[1] - b for p in poly]
    for i in range(n):
        p, fp = poly[i], vals[i]
        q, fq = poly[(i + 1) % n], vals[(i + 1) % n]
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return _dedupe(out)


def _dedupe(poly: list) -> list:
    out = [p for i, p in enumerate(poly) if p != poly[i - 1]] if len(poly) > 1 else list(poly)
    return out if out else poly[:1]


def _cross(o, p, q) -> Fraction:
    return (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])


def _clean(poly: list) -> list:
    """Remove points that are not corners; a degenerate polygon becomes its extreme points."""
    if len(poly) <= 2:
        return poly
    if all(_cross(poly[0], poly[i], poly[i + 1]) == 0 for i in range(1, len(poly) - 1)):
        ends = sorted(poly)
        return [ends[0], ends[-1]]
    changed = True
    while changed and len(poly) > 3:
        changed = False
        for i in range(len(poly)):
            if _cross(poly[i - 1], poly[i], poly[(i + 1) % len(poly)]) == 0:
                del poly[i]
                changed = True
                break
    return poly


def polygon(rows: Sequence[Row], box: Sequence) -> list:
    """The vertices of the 2-D polygon {a.x <= b} inside box, counter-clockwise, exact."""
    (x0, x1), (y0, y1) = box
    poly = _dedupe([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    for a, b in rows:
        if not a[0] and not a[1]:
            if b < 0:
                return []
            continue
        poly = _clip(poly, a, b)
        if not poly:
            return []
    return _clean(poly)


def shoelace(poly: Sequence) -> Fraction:
    """The exact area of a polygon given in counter-clockwise order."""
    n = len(poly)
    if n < 3:
        return _F0
    twice = sum((poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1] for i in range(n)), _F0)
    return abs(twice) / 2


# ----------------------------------------------------------------------------------------------
# any dimension


def vertices(rows: Sequence[Row], box: Sequence) -> set:
    """All vertices of the bounded polyhedron {a.x <= b} (contained in box), as a set of tuples."""
    d = len(box)
    norm = normalize(rows)
    if norm is None:
        return set()
    if d == 0:
        return {()}
    if d == 1:
        iv = interval(norm, box)
        return set() if iv is None else {(iv[0],), (iv[1],)}
    if d == 2:
        return set(polygon(norm, box))
    out: set = set()
    for i, (a, b) in enumerate(norm):
        k = _pivot(a)
        sub = eliminate(norm[:i] + norm[i + 1 :], a, b, k)
        for z in vertices(sub, box[:k] + box[k + 1 :]):
            out.add(lift(z, a, b, k))
    return out


def volume(rows: Sequence[Row], box: Sequence) -> Fraction:
    """The exact d-dimensional volume of the bounded polyhedron {a.x <= b} (inside box)."""
    d = len(box)
    norm = normalize(rows)
    if norm is None:
        return _F0
    if d == 0:
        return Fraction(1)
    if d == 1:
        iv = interval(norm, box)
        return _F0 if iv is None else iv[1] - iv[0]
    if d == 2:
        return shoelace(polygon(norm, box))
    # Pyramid formula with apex p = 0: V = (1/d) sum_i b_i vol(pi_k F_i) / |a_ik|.
    total = _F0
    for i, (a, b) in enumerate(norm):
        if not b:
            continue  # the apex lies on this facet's hyperplane: zero-height pyramid
        k = _pivot(a)
        sub = eliminate(norm[:i] + norm[i + 1 :], a, b, k)
        v = volume(sub, box[:k] + box[k + 1 :])
        if v:
            total += b * v / abs(a[k])
    return total / d


# ----------------------------------------------------------------------------------------------
# d >= 3: double description in integer homogeneous coordinates
#
# Rows are integer (a, b) meaning a.x <= b; points are integer tuples (p_1..p_d, q) with q > 0
# meaning x = p / q, reduced by their gcd.  Signs and incidences are then decided with Python
# integers only (no Fraction normalisation in the inner loops).

IRow = tuple  # (tuple of int, int)


def _lcm_den(values) -> int:
    out = 1
    for v in values:
        out = out * v.denominator // math.gcd(out, v.denominator)
    return out


def integer_rows(rows: Sequence[Row]) -> list[IRow] | None:
    """Fraction rows as integer rows, deduplicated (tightest per direction); None if trivially empty."""
    out = []
    for a, b in rows:
        den = _lcm_den(list(a) + [b])
        out.append((tuple(int(v * den) for v in a), int(b * den)))
    return dedupe_integer_rows(out)


def dedupe_integer_rows(rows: Sequence[IRow]) -> list[IRow] | None:
    """Drop trivial rows, keep the tightest row per primitive direction; None if some 0 <= b < 0."""
    best: dict = {}
    for a, b in rows:
        g = math.gcd(*a)
        if g == 0:
            if b < 0:
                return None
            continue
        key = tuple(v // g for v in a)
        rhs = Fraction(b, g)
        if key not in best or rhs < best[key]:
            best[key] = rhs
    return [(tuple(v * r.denominator for v in a), r.numerator) for a, r in best.items()]


def _hpoint(coords: Sequence[int], q: int) -> tuple:
    g = math.gcd(q, *coords)
    return tuple(v // g for v in coords) + (q // g,)


def _phi(a: Sequence[int], b: int, h: tuple) -> int:
    """q * (a.x - b) for the homogeneous point h = (p, q): its sign is the side of the row."""
    return sum(map(operator.mul, a, h)) - b * h[-1]  # zip stops at len(a): h[-1] is q


def _box_hcorners(box: Sequence) -> dict:
    den = _lcm_den([v for pair in box for v in pair])
    ibox = [(int(lo * den), int(hi * den)) for lo, hi in box]
    corners: dict = {(): frozenset()}
    for k, (lo, hi) in enumerate(ibox):
        nxt: dict = {}
        for p, tight in corners.items():
            for v, row in ((hi, 2 * k), (lo, 2 * k + 1)):
                t = tight | {row} | ({2 * k, 2 * k + 1} if lo == hi else set())
                nxt[p + (v,)] = nxt.get(p + (v,), frozenset()) | t
        corners = nxt
    return {_hpoint(p, den): t for p, t in corners.items()}


def integer_box_rows(box: Sequence) -> list[IRow]:
    """The 2d rows x_k <= hi_k, -x_k <= -lo_k of a box, as integer rows."""
    d = len(box)
    rows = []
    for k, (lo, hi) in enumerate(box):
        unit = tuple(int(j == k) for j in range(d))
        rows.append((tuple(hi.denominator * u for u in unit), hi.numerator))
        rows.append((tuple(-lo.denominator * u for u in unit), -lo.numerator))
    return rows


class _RankOracle:
    """Exact ranks of subsets of a fixed list of integer rows (flint), with a cache."""

    def __init__(self, rows: Sequence[IRow], d: int):
        self.d = d
        self.rows = [a for a, _ in rows]
        self.cache: dict = {}

    def rank(self, idx: frozenset) -> int:
        if idx not in self.cache:
            m = flint.fmpz_mat(len(idx), self.d, [v for i in sorted(idx) for v in self.rows[i]])
            self.cache[idx] = m.rank()
        return self.cache[idx]


def double_description(rows: Sequence[Row], box: Sequence) -> tuple[dict, list]:
    """Vertices of {a.x <= b} inside box, exactly, by adding the rows one at a time to the box.

    Returns ({homogeneous vertex (p, q): frozenset of tight row indices}, integer rows),
    the rows being the box rows followed by the deduplicated input rows.  Two
    vertices are joined by an edge iff their common tight rows have rank d - 1
    (the algebraic adjacency test), so degenerate vertices are handled exactly.
    """
    d = len(box)
    irows = integer_rows(rows)
    allrows = integer_box_rows(box)
    if irows is None:
        return {}, allrows
    # Rows cutting deepest at the box centre first: they tend to be facets, which keeps the
    # intermediate vertex sets small.  (Any order gives the same exact answer.)
    centre = [(lo + hi) / 2 for lo, hi in box]
    irows.sort(key=lambda r: (r[1] - _dot(r[0], centre)) / sum(abs(v) for v in r[0]))
    allrows = allrows + irows
    oracle = _RankOracle(allrows, d)
    verts = _box_hcorners(box)
    for r in range(2 * d, len(allrows)):
        a, b = allrows[r]
        slack = {h: _phi(a, b, h) for h in verts}
        out = [h for h, s in slack.items() if s > 0]
        if not out:
            for h, s in slack.items():
                if s == 0:
                    verts[h] = verts[h] | {r}
            continue
        inside = [h for h, s in slack.items() if s < 0]
        new: dict = {}
        for u in inside:
            tu, su = verts[u], slack[u]
            for w in out:
                common = tu & verts[w]
                if len(common) < d - 1 or oracle.rank(common) != d - 1:
                    continue
                sw = slack[w]
                # sw * u - su * w is on the hyperplane (phi is linear) with positive q.
                x = _hpoint([sw * ui - su * wi for ui, wi in zip(u[:-1], w[:-1])], sw * u[-1] - su * w[-1])
                new[x] = new.get(x, frozenset()) | common | {r}
        verts = {h: (t | {r} if slack[h] == 0 else t) for h, t in verts.items() if slack[h] <= 0}
        verts.update(new)
        if not verts:
            return {}, allrows
    return verts, allrows


def to_fractions(h: tuple) -> tuple:
    """A homogeneous integer point (p, q) as a tuple of Fractions p / q."""
    q = h[-1]
    return tuple(Fraction(v, q) for v in h[:-1])


def _eliminate_int(rows: Sequence[IRow], a: Sequence[int], b: int, k: int) -> list[IRow]:
    """Integer rows of the facet a.x = b with x_k eliminated (each row scaled by |a_k| > 0)."""
    ak = a[k]
    sg = 1 if ak > 0 else -1
    out = []
    for r, s in rows:
        rk = r[k]
        if rk:
            out.append(
                (tuple(sg * (ak * r[j] - rk * a[j]) for j in range(len(r)) if j != k), sg * (ak * s - rk * b))
            )
        else:
            out.append((r[:k] + r[k + 1 :], s))
    return out


def volume_from_vertices(points: Sequence[tuple], rows: Sequence[IRow]) -> Fraction:
    """Exact volume of the polytope with homogeneous vertex set ``points`` that equals {a.x <= b : rows}.

    Pyramid formula over the facets, found from the vertex-row incidences; each
    facet is projected by eliminating one coordinate and handled recursively with
    its own vertex subset, down to segments (no clipping, no angular sorting).
    """
    pts = list(points)
    if not pts:
        return _F0
    d = len(pts[0]) - 1
    if len(pts) <= d:
        return _F0  # fewer than d + 1 points span no d-dimensional volume
    if d == 1:
        xs = [Fraction(p[0], p[1]) for p in pts]
        return max(xs) - min(xs)
    norm = dedupe_integer_rows(rows) or []
    # P is the intersection of its facet half-spaces, and the facets of a facet F are its
    # intersections with the other facets: rows with fewer than d vertices on them are dropped.
    facets = []
    for a, b in norm:
        on = [p for p in pts if _phi(a, b, p) == 0]
        if len(on) >= d:
            facets.append((a, b, on))
    frows = [(a, b) for a, b, _ in facets]
    apex = pts[0]
    total = _F0
    for i, (a, b, on) in enumerate(facets):
        height = -_phi(a, b, apex)  # q * (b - a.apex)
        if not height:
            continue  # zero-height pyramid
        k = _pivot(a)
        sub_pts = [p[:k] + p[k + 1 :] for p in on]  # projection: drop coordinate k, keep q
        v = volume_from_vertices(sub_pts, _eliminate_int(frows[:i] + frows[i + 1 :], a, b, k))
        if v:
            total += Fraction(height, apex[-1]) * v / abs(a[k])
    return total / d
