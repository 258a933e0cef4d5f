"""Exact side of the planar enumerator: lines and vertices over Q (flint).

The float kernels decide most signs; everything here is what they fall back
to, and what the finished regions are built from.  Lines are homogeneous
triples (a1, a2, c) meaning z = a1 x + a2 y + c (rows of the T1 maps of
:class:`exactrelu.nets.affine.AffineMaps`); a vertex is the intersection of
the two exact lines it was created from.
"""

from __future__ import annotations

from fractions import Fraction

import flint

from ..exact.numbers import fmpq_to_fraction

Q = flint.fmpq


def q(x: Fraction) -> flint.fmpq:
    """A Fraction as a flint rational."""
    return Q(x.numerator, x.denominator)


class Coordinate(flint.fmpq):
    """A vertex coordinate: a flint rational that keeps its Fraction once :func:`frac` made it.

    Every region around a vertex reads its coordinates, and turning a big
    fmpq into Python integers costs more than the vertex's own arithmetic.
    Arithmetic on a Coordinate gives plain flint rationals.
    """

    __slots__ = ("_fraction",)


def _coordinate(*args) -> Coordinate:
    c = Coordinate(*args)
    c._fraction = None  # (a slot left unset would make frac's first read raise: 1.3 us, more than the vertex)
    return c


def frac(x: flint.fmpq) -> Fraction:
    """A flint rational as a Fraction (flint's are in lowest terms already: no second gcd).

    >>> frac(Q(-6, 4)), frac(meet((Q(1), Q(0), Q(-1, 3)), (Q(0), Q(1), Q(0)))[0])
    (Fraction(-3, 2), Fraction(1, 3))
    """
    if type(x) is Coordinate:
        f = getattr(x, "_fraction", None)  # (set to None by meet; a Coordinate made elsewhere may lack it)
        if f is None:
            f = x._fraction = fmpq_to_fraction(x)
        return f
    return fmpq_to_fraction(x)


def meet(l1: tuple, l2: tuple) -> tuple:
    """The exact intersection point of two crossing lines (ValueError if parallel).

    Rows of the T1 maps carry ``scaled``, the line times a positive integer
    (:class:`exactrelu.nets.affine.ScaledRow`); scaling a line does not move
    it, so two such lines meet by Cramer's rule in integers, one division
    (with its gcd) per coordinate.

    >>> meet((Q(1), Q(1), Q(-1)), (Q(1), Q(-1), Q(0)))
    (1/2, 1/2)
    """
    s1, s2 = getattr(l1, "scaled", None), getattr(l2, "scaled", None)
    if s1 is not None and s2 is not None:
        (a1, b1, c1), (a2, b2, c2) = s1, s2
        d = a1 * b2 - b1 * a2
        if d == 0:
            raise ValueError("internal error: a vertex of two parallel lines")
        return (_coordinate(b1 * c2 - c1 * b2, d), _coordinate(c1 * a2 - a1 * c2, d))
    d = l1[0] * l2[1] - l1[1] * l2[0]
    if d == 0:
        raise ValueError("internal error: a vertex of two parallel lines")
    x = (l1[1] * l2[2] - l1[2] * l2[1]) / d
    y = (l1[2] * l2[0] - l1[0] * l2[2]) / d
    return (_coordinate(x), _coordinate(y))


def orientation(l1: tuple, l2: tuple) -> int:
    """Sign of a1 b2 - a2 b1, the last homogeneous coordinate of l1 x l2."""
    d = l1[0] * l2[1] - l1[1] * l2[0]
    return (d > 0) - (d < 0)


def side(line: tuple, point: tuple) -> int:
    """Exact sign of z = a1 x + a2 y + c at a point."""
    z = line[0] * point[0] + line[1] * point[1] + line[2]
    return (z > 0) - (z < 0)
