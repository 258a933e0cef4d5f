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

Q = flint.fmpq


def q(x: Fraction) -> flint.fmpq:
    """A Fraction as a flint rational."""
    return Q(x.numerator, x.denominator)


def frac(x: flint.fmpq) -> Fraction:
    """A flint rational as a Fraction."""
    return Fraction(int(x.p), int(x.q))


def meet(l1: tuple, l2: tuple) -> tuple:
    """The exact intersection point of two crossing lines (ValueError if parallel)."""
    d = l1[0] * l2[1] - l1[1] * l2[0]
    if d == 0:
        raise ValueError("internal error: a vertex of two parallel lines")
    x = (l1[1] * l2[2] - l1[2] * l2[1]) / d
    y = (l1[2] * l2[0] - l1[0] * l2[2]) / d
    return (x, y)


def orientation(l1: tuple, l2: tuple) -> int:
    """Sign of a1 b2 - a2 b1, the last homogeneous coordinate of l1 x l2."""
    d = l1[0] * l2[1] - l1[1] * l2[0]
    return (d > 0) - (d < 0)


def side(line: tuple, point: tuple) -> int:
    """Exact sign of z = a1 x + a2 y + c at a point."""
    z = line[0] * point[0] + line[1] * point[1] + line[2]
    return (z > 0) - (z < 0)
