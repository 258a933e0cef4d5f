"""Decision boundaries and level sets of a network, exactly, region by region.

On a region the network is affine, N(x) = A x + c, so its pieces of

* a classifier's decision boundary (output dimension >= 2): the points where
  the largest output is attained by two classes i < j, i.e. the closed region
  cut by f_i = f_j and f_i >= f_k for every other k;
* a level set {N(x) = level} of a scalar output (output dimension 1)

are polyhedra.  In 2-D each piece is a segment with exact endpoints (the
region's exact polygon clipped by exact half-planes, then cut by a line); in
any dimension a closed :class:`~exactrelu.exact.polyhedron.Polyhedron` of
dimension d - 1 (lower-dimensional touches are left out).  Where two classes
tie on a whole region (f_i = f_j identically) there is no boundary piece.

>>> from exactrelu import Network
>>> net = Network([([[1, 0], [-1, 0]], [0, 0])], output=([[1, 0], [0, 1]], [0, 0]))  # class 0 for x > 0, 1 for x < 0
>>> [(p.classes, p.segment) for p in decision_boundary(net.regions(([-1, -1], [1, 1])))]
[((0, 1), ((Fraction(0, 1), Fraction(-1, 1)), (Fraction(0, 1), Fraction(1, 1))))]
>>> scalar = Network([([[1, 1]], [0])], output=([[1]], [0]))      # relu(x + y) = 1/2
>>> [p.segment for p in decision_boundary(scalar.regions(([-1, -1], [1, 1])), level="1/2")]
[((Fraction(-1, 2), Fraction(1, 1)), (Fraction(1, 1), Fraction(-1, 2)))]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..exact.numbers import to_fraction
from ..exact.polyhedron import Polyhedron
from .region import Region

__all__ = ["BoundaryPiece", "decision_boundary", "argmax_cells", "polygon"]

_F0 = Fraction(0)


def polygon(region: Region) -> list:
    """The exact vertices of a 2-D region's closure, counter-clockwise."""
    verts = getattr(region, "vertices", None)
    return list(verts) if isinstance(verts, list) else region.polyhedron.vertices()


@dataclass(frozen=True)
class BoundaryPiece:
    """One piece of a decision boundary or level set inside one region (coordinates of the partition).

    ``region``: its index in the partition; ``classes``: (i, j) for a decision
    boundary, None for a level set; ``polyhedron``: the closed piece, exact;
    ``segment``: in 2-D its two exact endpoints, else None.
    """

    region: int
    classes: tuple | None
    polyhedron: Polyhedron
    segment: tuple | None


def _dot(a: Sequence, x: Sequence) -> Fraction:
    return sum((u * v for u, v in zip(a, x) if u and v), _F0)


def _clip(poly: list, a: Sequence, b: Fraction) -> list:
    """The convex polygon ``poly`` cut to a.x <= b (Sutherland-Hodgman, exact)."""
    out: list = []
    for p, q in zip(poly, poly[1:] + poly[:1]):
        fp, fq = _dot(a, p) - b, _dot(a, q) - b
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append(tuple(u + t * (v - u) for u, v in zip(p, q)))
    return [p for k, p in enumerate(out) if p != out[k - 1]] if len(out) > 1 else out


def _cut(poly: list, a: Sequence, b: Fraction) -> tuple | None:
    """The segment where the line a.x = b crosses the convex polygon ``poly`` (exact endpoints), or None."""
    points = set()
    for p, q in zip(poly, poly[1:] + poly[:1]):
        fp, fq = _dot(a, p) - b, _dot(a, q) - b
        if fp == 0:
            points.add(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            points.add(tuple(u + t * (v - u) for u, v in zip(p, q)))
    if len(points) < 2:
        return None
    return min(points), max(points)  # a line meets a convex polygon in a segment: its extreme points


def _possible_winners(A: tuple, c: tuple, corners: list | None) -> list:
    """The classes that may be largest somewhere on the polygon with ``corners`` (all when unknown).

    Exact and sound: an affine f_k takes its least and greatest values on a polygon at corners, so a
    class whose greatest value is below another's least value is never the largest there.
    """
    m = len(A)
    if not corners:
        return list(range(m))
    values = [[_dot(A[k], v) + c[k] for v in corners] for k in range(m)]
    floor = max(min(vals) for vals in values)
    return [k for k in range(m) if max(values[k]) >= floor]


def _pieces_of(A: tuple, c: tuple, level: Fraction | None, corners: list | None = None) -> list:
    """(classes, (g, g0) with piece on g.x + g0 = 0, [(h, h0) with h.x + h0 <= 0]) for one affine map."""
    if level is not None:
        return [(None, (A[0], c[0] - level), [])]
    # Clipping by the possible winners is enough: any other class is below one of them everywhere.
    winners = _possible_winners(A, c, corners)
    out = []
    for i, j in itertools.combinations(winners, 2):
        g = tuple(u - v for u, v in zip(A[i], A[j]))
        if not any(g) and c[i] == c[j]:
            continue  # tied on the whole region: no boundary here
        rest = [(tuple(u - v for u, v in zip(A[k], A[i])), c[k] - c[i]) for k in winners if k not in (i, j)]
        out.append(((i, j), (g, c[i] - c[j]), rest))
    return out


def _scores(region: Region, smallest: bool) -> tuple:
    """The region's output map (A, c), negated when the smallest output wins (as in ACAS Xu)."""
    if not smallest:
        return region.A, region.c
    return tuple(tuple(-v for v in row) for row in region.A), tuple(-v for v in region.c)


def argmax_cells(region: Region, smallest: bool = False) -> list:
    """2-D: the region's polygon split exactly by the classifier's answer: ``[(class, corners), ...]``.

    Each cell is the closed convex polygon where ``class`` has the largest
    output, or the smallest with ``smallest`` (ties on cell borders; cells of area 0 are left out; a class tied
    with a lower-numbered one on the whole region leaves the cell to that one).
    The cells tile the polygon.

    >>> from exactrelu import Network
    >>> net = Network([([[1, 0]], [0])], output=([[1], [0]], [0, "1/2"]))   # class 0 where relu(x) > 1/2
    >>> [(k, [tuple(map(str, v)) for v in cell]) for k, cell in argmax_cells(net.regions(([-1, -1], [1, 1]))[1])]
    [(0, [('1/2', '-1'), ('1', '-1'), ('1', '1'), ('1/2', '1')]), (1, [('0', '-1'), ('1/2', '-1'), ('1/2', '1'), ('0', '1')])]
    """
    A, c = _scores(region, smallest)
    corners = polygon(region)
    winners = _possible_winners(A, c, corners)
    cells = []
    for i in winners:
        if any(A[k] == A[i] and c[k] == c[i] for k in winners if k < i):
            continue  # tied with a lower class on the whole region: its cell is that class's
        cell = corners
        for k in winners:
            if k != i and len(cell) >= 3:
                cell = _clip(cell, tuple(u - v for u, v in zip(A[k], A[i])), c[i] - c[k])
        if len(cell) >= 3 and _area2(cell) != 0:
            cells.append((i, cell))
    return cells


def _area2(pts: list) -> Fraction:
    return sum((pts[k - 1][0] * p[1] - p[0] * pts[k - 1][1] for k, p in enumerate(pts)), _F0)


def decision_boundary(partition: Any, level: Any = None, smallest: bool = False) -> list:
    """The exact pieces of the decision boundary (classifier) or of the level set {N = level} (scalar output).

    ``partition`` is a list of regions with a ``box`` (what ``regions()``
    returns).  For an output of dimension 1, ``level`` defaults to 0; for a
    classifier it must be None; ``smallest=True`` for a classifier whose
    smallest output wins (ACAS Xu's advisories).  Returns :class:`BoundaryPiece` objects, in 2-D
    with exact segments (duplicates along region edges removed).
    """
    if not len(partition):
        return []
    dim = len(partition[0].witness)
    outputs = len(partition[0].c)
    if outputs == 1:
        level = _F0 if level is None else to_fraction(level, where="level")
    elif level is not None:
        raise ValueError(f"a level set needs a scalar output; this network has {outputs} outputs (for its "
                         "decision boundary leave level unset)")
    found, seen = [], set()
    for k, region in enumerate(partition):
        corners = polygon(region) if dim == 2 else None
        for classes, (g, g0), rest in _pieces_of(*_scores(region, smallest), level, corners):
            piece = _piece_2d(region, g, g0, rest) if dim == 2 else _piece_general(region, g, g0, rest, dim)
            if piece is None:
                continue
            key = (classes, frozenset(piece[1])) if piece[1] else None
            if key is None or key not in seen:
                seen.add(key)
                found.append(BoundaryPiece(k, classes, *piece))
    return found


def _piece_2d(region: Region, g: tuple, g0: Fraction, rest: list) -> tuple | None:
    if not any(g):
        return None  # constant difference, not zero (ties were left out): no point of the piece
    poly = polygon(region)
    for h, h0 in rest:
        poly = _clip(poly, h, -h0)
        if len(poly) < 2:
            return None
    seg = _cut(poly, g, -g0)
    if seg is None:
        return None
    closed = region.polyhedron.closure().constraints
    P = Polyhedron(2, inequalities=closed.inequalities + tuple((h, -h0) for h, h0 in rest), equations=[(g, -g0)])
    return P, seg


def _piece_general(region: Region, g: tuple, g0: Fraction, rest: list, dim: int) -> tuple | None:
    closed = region.polyhedron.closure().constraints
    P = Polyhedron(dim, inequalities=closed.inequalities + tuple((h, -h0) for h, h0 in rest), equations=[(g, -g0)])
    return (P, None) if any(g) and P.dimension() == dim - 1 else None
