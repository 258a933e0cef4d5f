"""Exact side of the planar enumerator: region maps, lines and vertices over Q (flint).

The float kernels decide most signs; everything here is what they fall back
to, and what the finished regions are built from.  Lines are homogeneous
triples (a1, a2, c) meaning z = a1 x + a2 y + c; a vertex is the intersection
of the two exact lines it was created from.
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


class ExactMaps:
    """Exact homogeneous pre-activation maps of each layer on an activation prefix, memoised.

    ``rows(prefix)`` for a prefix of k layers' activation bits gives the
    w_k lines z_kj = a1 x + a2 y + c valid where those k layers have that
    pattern (the explicit expression T1, one layer at a time).
    """

    def __init__(self, net):
        self._layers = net.fmpq_layers()
        W0, b0 = self._layers[0]
        self._first = flint.fmpq_mat(W0.nrows(), 3, [v for j in range(W0.nrows())
                                                     for v in (W0[j, 0], W0[j, 1], b0[j, 0])])
        self._cache: dict = {}

    def matrix(self, prefix: tuple) -> flint.fmpq_mat:
        """The (w_k x 3) exact map of layer k = len(prefix) on the given prefix."""
        if not prefix:
            return self._first
        M = self._cache.get(prefix)
        if M is None:
            prev = self.matrix(prefix[:-1])
            bits = prefix[-1]
            masked = flint.fmpq_mat(prev.nrows(), 3, [prev[i, t] if bits[i] else 0 for i in range(prev.nrows())
                                                      for t in range(3)])
            W, b = self._layers[len(prefix)]
            M = W * masked
            for j in range(M.nrows()):
                M[j, 2] += b[j, 0]
            self._cache[prefix] = M
        return M

    def line(self, prefix: tuple, j: int) -> tuple:
        """Neuron j's exact line on the prefix."""
        M = self.matrix(prefix)
        return (M[j, 0], M[j, 1], M[j, 2])


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
