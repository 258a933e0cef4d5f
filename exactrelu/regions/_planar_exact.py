"""Exact side of the planar enumerator: lines and vertices over Q (flint).

The float kernels decide most signs; everything here is what they fall back
to, and what the finished regions are built from.  Lines are homogeneous
triples (a1, a2, c) meaning z = a1 x + a2 y + c (rows of the T1 maps of
:class:`exactrelu.nets.affine.AffineMaps`); a vertex is the intersection of
the two exact lines it was created from.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import flint
import numpy as np

from ..exact.numbers import coprime_fraction, fmpq_to_fraction, reduced_fraction

Q = flint.fmpq


def q(x: Fraction) -> flint.fmpq:
    """A Fraction as a flint rational."""
    return Q(x.numerator, x.denominator)


class Vertex(tuple):
    """An exact vertex: the pair (x, y) of Fractions, which also carries ``scaled`` = (X, Y, d), Python
    integers with x = X / d, y = Y / d and d > 0 (homogeneous coordinates: sums and signs without a gcd at
    each step).  Every region around a vertex shares it; it is made once, where two lines meet.
    """


def _vertex(X: int, Y: int, d: int) -> Vertex:
    X, Y, d = (int(X), int(Y), int(d)) if d > 0 else (-int(X), -int(Y), -int(d))
    v = Vertex((reduced_fraction(X, d), reduced_fraction(Y, d)))
    v.scaled = (X, Y, d)
    return v


def frac(x: flint.fmpq) -> Fraction:
    """A flint rational as a Fraction (flint's are in lowest terms already: no second gcd).

    >>> frac(Q(-6, 4)), meet((Q(1), Q(0), Q(-1, 3)), (Q(0), Q(1), Q(0)))[0]
    (Fraction(-3, 2), Fraction(1, 3))
    """
    return fmpq_to_fraction(x)


def _scaled_point(p: tuple) -> tuple:
    """(X, Y, d) with p = (X / d, Y / d), integers, d > 0: a Vertex's own, for any other pair of rationals (flint
    or Fraction) by cross-multiplying.

    >>> _scaled_point(meet((Q(1), Q(1), Q(-1)), (Q(1), Q(-1), Q(0)))), _scaled_point((Q(1, 2), Q(-2, 3)))
    ((2, 2, 4), (3, -4, 6))
    """
    s = getattr(p, "scaled", None)
    if s is not None:
        return s
    x, y = (Q(v) if isinstance(v, flint.fmpq) else Q(v.numerator, v.denominator) for v in p)
    return (x.p * y.q, y.p * x.q, x.q * y.q)


def meet(l1: tuple, l2: tuple) -> tuple:
    """The exact intersection point of two crossing lines (ValueError if parallel).

    Rows of the T1 maps carry ``scaled``, the line times a positive integer
    (:class:`exactrelu.nets.affine.ScaledRow`); scaling a line does not move
    it, so two such lines meet by Cramer's rule in integers, one division
    (with its gcd) per coordinate.

    >>> meet((Q(1), Q(1), Q(-1)), (Q(1), Q(-1), Q(0)))
    (Fraction(1, 2), Fraction(1, 2))
    """
    s1, s2 = getattr(l1, "scaled", None), getattr(l2, "scaled", None)
    if s1 is not None and s2 is not None:
        (a1, b1, c1), (a2, b2, c2) = s1, s2
        d = a1 * b2 - b1 * a2
        if d == 0:
            raise ValueError("internal error: a vertex of two parallel lines")
        return _vertex(b1 * c2 - c1 * b2, c1 * a2 - a1 * c2, d)
    d = l1[0] * l2[1] - l1[1] * l2[0]
    if d == 0:
        raise ValueError("internal error: a vertex of two parallel lines")
    x = (l1[1] * l2[2] - l1[2] * l2[1]) / d
    y = (l1[2] * l2[0] - l1[0] * l2[2]) / d
    return _vertex(x.p * y.q, y.p * x.q, x.q * y.q)


def meet_all(A: np.ndarray, B: np.ndarray) -> list:
    """:func:`meet` for many pairs of lines at once, each line as the integers of a positive multiple of it:
    A, B object arrays (n, 3).  The same Vertex values, from whole-array products (no call per vertex).

    >>> meet_all(np.array([[1, 1, -1]], dtype=object), np.array([[2, -2, 0]], dtype=object))
    [(Fraction(1, 2), Fraction(1, 2))]
    """
    d = A[:, 0] * B[:, 1] - A[:, 1] * B[:, 0]
    if (d == 0).any():
        raise ValueError("internal error: a vertex of two parallel lines")
    sign = np.where(d < 0, -1, 1).astype(object)
    X, Y, d = (A[:, 1] * B[:, 2] - A[:, 2] * B[:, 1]) * sign, (A[:, 2] * B[:, 0] - A[:, 0] * B[:, 2]) * sign, d * sign
    gx, gy = np.gcd(X, d), np.gcd(Y, d)
    g = np.gcd(gx, gy)  # the homogeneous integers kept in lowest terms: later sums and products stay small
    out = []
    for x, dx, y, dy, scaled in zip((X // gx).tolist(), (d // gx).tolist(), (Y // gy).tolist(), (d // gy).tolist(),
                                    zip((X // g).tolist(), (Y // g).tolist(), (d // g).tolist())):
        v = Vertex((coprime_fraction(x, dx), coprime_fraction(y, dy)))
        v.scaled = scaled
        out.append(v)
    return out


def orientation(l1: tuple, l2: tuple) -> int:
    """Sign of a1 b2 - a2 b1, the last homogeneous coordinate of l1 x l2."""
    d = l1[0] * l2[1] - l1[1] * l2[0]
    return (d > 0) - (d < 0)


def side(line: tuple, point: tuple) -> int:
    """Exact sign of z = a1 x + a2 y + c at a point.

    With a scaled row k (a1, a2, c) (k > 0) and the point as (X / d, Y / d), d > 0:
    z = (k a1 X + k a2 Y + k c d) / (k d), signs of integers only.

    >>> side((Q(1), Q(1), Q(-1)), (Q(1, 3), Q(1, 2))), side((Q(1), Q(1), Q(-1)), (Q(1, 2), Q(1, 2)))
    (-1, 0)
    """
    (a1, a2, c), (X, Y, d) = getattr(line, "scaled", line), _scaled_point(point)
    z = a1 * X + a2 * Y + c * d  # (d > 0)
    return (z > 0) - (z < 0)


def polygon_area(points: Sequence[tuple]) -> Fraction:
    """The signed exact area of a polygon (the shoelace formula: positive when its vertices run counterclockwise).

    The terms x_{i-1} y_i - x_i y_{i-1} = (X_{i-1} Y_i - X_i Y_{i-1}) / (d_{i-1} d_i) are added as one
    unreduced integer fraction: a single gcd at the end, where flint rationals reduce after every step.

    >>> polygon_area([(Q(0), Q(0)), (Q(1), Q(0)), (Q(1, 2), Q(1, 3))])
    Fraction(1, 6)
    """
    pts = [_scaled_point(p) for p in points]
    num, den = 0, 1
    X0, Y0, d0 = pts[-1]
    for X1, Y1, d1 in pts:
        b = d0 * d1
        num, den = num * b + (X0 * Y1 - X1 * Y0) * den, den * b
        X0, Y0, d0 = X1, Y1, d1
    return reduced_fraction(int(num), int(2 * den))  # (every d > 0)

