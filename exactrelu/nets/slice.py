"""Slices: affine subspaces x = origin + D t of a network's input space, with t in a box, all exact.

A :class:`Slice` of dimension k (usually 1 or 2, any k allowed) in R^n has an
origin in R^n, k linearly independent directions (the columns of D) and a box
``lower <= t <= upper`` in R^k.  ``Network.restrict(slice)`` is the exact
network on t (its first layer composed with the slice), and
``Network.regions(slice)`` enumerates the regions of that network in t
coordinates; :meth:`Slice.to_input` maps t back to the input space.

>>> s = Slice.through_points([0, 0, 0], [1, 0, 0], [0, 2, 0], margin=0)
>>> s.dim, s.input_dim, s.lower, s.upper
(2, 3, (Fraction(0, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(1, 1)))
>>> s.to_input(["1/2", 1])
(Fraction(1, 2), Fraction(2, 1), Fraction(0, 1))
>>> Slice.line([0, 1], [2, 3]).to_input([1])
(Fraction(2, 1), Fraction(3, 1))
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

import flint

from ..exact.jsonio import envelope, read_envelope
from ..exact.numbers import fraction_str, to_fraction, to_vector
from ..exact.polyhedron import Box

__all__ = ["Slice", "SLICE_FORMAT"]

SLICE_FORMAT = "exactrelu.slice"


def _rank(vectors: Sequence[Sequence[Fraction]]) -> int:
    flat = [flint.fmpq(v.numerator, v.denominator) for row in vectors for v in row]
    return flint.fmpq_mat(len(vectors), len(vectors[0]), flat).rank()


class Slice:
    """The affine slice x = origin + sum_i t_i directions[i], t in the box [lower, upper] (exact).

    ``directions`` are k linearly independent vectors of the origin's
    dimension; ``lower[i] < upper[i]``.  Every number is converted exactly;
    bad input is a ValueError naming what is wrong.

    >>> Slice([0, 0], [[1, 1], [2, 2]], [0, 0], [1, 1])
    Traceback (most recent call last):
    ...
    ValueError: Slice: the directions are linearly dependent (rank 1 < 2); direction 1 is a combination of the others
    """

    __slots__ = ("origin", "directions", "lower", "upper")

    def __init__(self, origin: Any, directions: Any, lower: Any, upper: Any):
        self.origin = to_vector(origin, where="Slice origin")
        n = len(self.origin)
        if isinstance(directions, (str, bytes)) or not hasattr(directions, "__len__") or len(directions) == 0:
            raise ValueError("Slice: directions must be a nonempty list of vectors")
        self.directions = tuple(to_vector(d, where=f"Slice direction {i}") for i, d in enumerate(directions))
        for i, d in enumerate(self.directions):
            if len(d) != n:
                raise ValueError(f"Slice: direction {i} has dimension {len(d)}, the origin has dimension {n}")
        k = len(self.directions)
        rank = _rank(self.directions)
        if rank < k:
            bad = next(i for i in range(1, k + 1) if _rank(self.directions[:i]) < i) - 1
            raise ValueError(f"Slice: the directions are linearly dependent (rank {rank} < {k}); direction {bad} is "
                             "a combination of the others")
        self.lower = to_vector(lower, where="Slice lower", length=k)
        self.upper = to_vector(upper, where="Slice upper", length=k)
        for i, (lo, hi) in enumerate(zip(self.lower, self.upper)):
            if not lo < hi:
                raise ValueError(f"Slice: coordinate t{i}: lower {fraction_str(lo)} must be less than upper "
                                 f"{fraction_str(hi)}")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def through_points(cls, p0: Any, p1: Any, p2: Any, margin: Any = "1/10") -> "Slice":
        """The plane through three inputs: origin p0, directions p1 - p0 and p2 - p0, t in [-margin, 1 + margin]^2.

        The points are t = (0, 0), (1, 0) and (0, 1); ``margin`` (>= 0) widens the box around their triangle.

        >>> Slice.through_points([1, 1], [1, 1], [2, 3])
        Traceback (most recent call last):
        ...
        ValueError: Slice.through_points: p0 and p1 coincide
        """
        p = [to_vector(q, where=f"Slice.through_points: p{i}") for i, q in enumerate((p0, p1, p2))]
        cls._same_dims(p, "Slice.through_points")
        for i, j in ((0, 1), (0, 2), (1, 2)):
            if p[i] == p[j]:
                raise ValueError(f"Slice.through_points: p{i} and p{j} coincide")
        d = [tuple(a - b for a, b in zip(q, p[0])) for q in p[1:]]
        if _rank(d) < 2:
            raise ValueError("Slice.through_points: the three points lie on one line (they span no plane)")
        m = cls._margin(margin, "Slice.through_points")
        return cls(p[0], d, [-m, -m], [1 + m, 1 + m])

    @classmethod
    def line(cls, p: Any, q: Any, margin: Any = 0) -> "Slice":
        """The segment from p (t = 0) to q (t = 1), widened by ``margin`` at both ends.

        >>> Slice.line([0, 0], [0, 0])
        Traceback (most recent call last):
        ...
        ValueError: Slice.line: p and q coincide
        """
        pts = [to_vector(p, where="Slice.line: p"), to_vector(q, where="Slice.line: q")]
        cls._same_dims(pts, "Slice.line", names=("p", "q"))
        if pts[0] == pts[1]:
            raise ValueError("Slice.line: p and q coincide")
        m = cls._margin(margin, "Slice.line")
        return cls(pts[0], [tuple(b - a for a, b in zip(*pts))], [-m], [1 + m])

    @staticmethod
    def _same_dims(points: list, where: str, names: Sequence[str] = ("p0", "p1", "p2")) -> None:
        for name, q in zip(names[1:], points[1:]):
            if len(q) != len(points[0]):
                raise ValueError(f"{where}: {name} has dimension {len(q)}, {names[0]} has dimension {len(points[0])}")

    @staticmethod
    def _margin(margin: Any, where: str) -> Fraction:
        m = to_fraction(margin, where=f"{where}: margin")
        if m < 0:
            raise ValueError(f"{where}: margin must be >= 0, got {fraction_str(m)}")
        return m

    # ------------------------------------------------------------------ geometry
    @property
    def dim(self) -> int:
        """k, the number of directions (the dimension of t)."""
        return len(self.directions)

    @property
    def input_dim(self) -> int:
        """n, the dimension of the input space the slice lies in."""
        return len(self.origin)

    @property
    def box(self) -> Box:
        """The box of t as an exact :class:`~exactrelu.exact.polyhedron.Box`."""
        return Box(self.lower, self.upper)

    def to_input(self, t: Any) -> tuple:
        """The input-space point origin + D t, exactly (t of dimension k)."""
        t = to_vector(t, where="slice coordinates t", length=self.dim)
        return tuple(o + sum((ti * d[j] for ti, d in zip(t, self.directions) if ti), Fraction(0))
                     for j, o in enumerate(self.origin))

    def compose(self, W: Sequence[Sequence[Fraction]], b: Sequence[Fraction]) -> tuple:
        """The layer x -> W x + b on the slice, as t -> (W D) t + (W origin + b), exactly.

        >>> Slice([1, 0], [[0, 1]], [0], [1]).compose([[2, 3]], [1])
        (((Fraction(3, 1),),), (Fraction(3, 1),))
        """
        if len(W[0]) != self.input_dim:
            raise ValueError(f"slice of dimension {self.input_dim} given to a layer with {len(W[0])} inputs "
                             "(the slice lies outside the network's input space)")
        WD = tuple(tuple(sum((w * d[j] for j, w in enumerate(row) if w and d[j]), Fraction(0)) for d in self.directions)
                   for row in W)
        c = tuple(sum((w * o for w, o in zip(row, self.origin) if w and o), Fraction(0)) + bi for row, bi in zip(W, b))
        return WD, c

    # ------------------------------------------------------------------ value, JSON
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Slice) and all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, s) for s in self.__slots__))

    def __repr__(self) -> str:
        return f"<Slice of dimension {self.dim} in R^{self.input_dim}>"

    def to_json(self) -> dict:
        """The slice as JSON (exact strings).

        >>> s = Slice.line([0, "1/3"], [1, 1])
        >>> Slice.from_json(s.to_json()) == s
        True
        """
        def vec(v: Sequence) -> list:
            return [fraction_str(x) for x in v]

        return envelope(SLICE_FORMAT, 1, origin=vec(self.origin), directions=[vec(d) for d in self.directions],
                        lower=vec(self.lower), upper=vec(self.upper))

    @classmethod
    def from_json(cls, source: Any) -> "Slice":
        """A slice from a path, JSON string or dict as written by :meth:`to_json`."""
        keys = ("origin", "directions", "lower", "upper")
        data = read_envelope(source, "slice", SLICE_FORMAT, 1, set(keys), keys)
        return cls(*(data[k] for k in keys))
