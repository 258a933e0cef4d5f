"""Region: one linear region of a network, with its exact evidence.

A region carries its activation pattern, its closed polyhedron (box
constraints included), the exact affine map (A, c) of the network on it, and
an exact witness point strictly inside it whose pattern is the region's.
Enumerators may fill these lazily: each field is computed on first access
from a zero-argument callable and then kept.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..exact.errors import VerificationError
from ..exact.jsonio import envelope, read_envelope
from ..exact.numbers import fraction_str, to_matrix, to_vector
from ..exact.polyhedron import Polyhedron
from ..nets.pattern import Pattern

__all__ = ["Region", "REGION_FORMAT"]

REGION_FORMAT = "exactrelu.region"
_KEYS = ("pattern", "polyhedron", "A", "c", "witness")


class Region:
    """A linear region: ``pattern``, ``polyhedron``, ``affine_map`` = (A, c), ``witness``.

    Each of ``polyhedron``, ``affine_map`` and ``witness`` may be given as a
    value or as a zero-argument callable that computes it on first use.
    """

    __slots__ = ("pattern", "_polyhedron", "_affine_map", "_witness", "_slice")

    def __init__(self, pattern: Pattern, polyhedron: Any, affine_map: Any, witness: Any):
        self.pattern = pattern
        self._polyhedron = polyhedron
        self._affine_map = affine_map
        self._witness = witness

    def _get(self, slot: str) -> Any:
        value = getattr(self, slot)
        if callable(value) and not hasattr(value, "contains"):
            value = value()
            setattr(self, slot, value)
        return value

    @property
    def polyhedron(self):
        """The closed region as an exact Polyhedron."""
        return self._get("_polyhedron")

    @property
    def affine_map(self) -> tuple:
        """(A, c) with net(x) = A x + c on the region (Fraction tuples)."""
        return self._get("_affine_map")

    @property
    def A(self) -> tuple:
        return self.affine_map[0]

    @property
    def c(self) -> tuple:
        return self.affine_map[1]

    @property
    def witness(self) -> tuple:
        """An exact point strictly inside the region."""
        return self._get("_witness")

    def volume(self) -> Fraction:
        """The exact volume of the region."""
        return self.polyhedron.volume()

    @property
    def slice(self) -> Any:
        """The :class:`~exactrelu.nets.slice.Slice` whose coordinates t the region lives in, or None (input space)."""
        return getattr(self, "_slice", None)

    def input_point(self, t: Any = None) -> tuple:
        """The input-space point of the region's coordinates ``t`` (default: the witness), exactly.

        For a region of a slice this is ``slice.to_input(t)``; otherwise t itself.

        >>> from exactrelu import Network
        >>> from exactrelu.nets.slice import Slice
        >>> net = Network([([[1, 1, 1]], [0])])
        >>> r = net.regions(Slice.line([-1, -1, -1], [1, 1, 1]))[1]
        >>> r.witness, r.input_point()
        ((Fraction(3, 4),), (Fraction(1, 2), Fraction(1, 2), Fraction(1, 2)))
        """
        t = self.witness if t is None else t
        return self.slice.to_input(t) if self.slice is not None else to_vector(t, where="point")

    def __repr__(self) -> str:
        return f"Region({self.pattern!s})"

    # ------------------------------------------------------------------ evidence
    def check(self, net: Any) -> bool:
        """Re-verify the region against ``net`` exactly: True, or VerificationError naming what fails.

        The witness lies strictly inside the polyhedron (interior of the closed
        region), the network's pattern there is the region's (a neuron may be
        exactly 0 there only if it is the zero function on the region), and the affine map
        is the network's T1 map for that pattern.  (That the polyhedron is the
        whole activation domain within a box is the enumerator's claim; tiling
        tests check it.)
        """
        x = self.witness
        if not self.polyhedron.interior_system().contains(x):
            raise VerificationError(f"region {self.pattern}: the witness is not strictly inside the polyhedron")
        at_x = net.pattern(x)
        if at_x.without_ties() != self.pattern.without_ties():
            raise VerificationError(f"region {self.pattern}: the network's pattern at the witness is {at_x}")
        # A tie inside the region (pre-activation on a breakpoint: 0 for ReLU) is only possible for a
        # neuron that is constant there (its constant value is then the breakpoint).
        maps = list(net.prefix_maps(self.pattern.without_ties()))
        for i, j in at_x.ties:
            M, m = maps[i]
            if any(M[j, k] != 0 for k in range(M.ncols())):
                raise VerificationError(f"region {self.pattern}: neuron {j} of layer {i} is exactly on a breakpoint "
                                        "(0 for ReLU) at the witness")
        if tuple(map(tuple, net.affine_map(self.pattern))) != tuple(map(tuple, self.affine_map)):
            raise VerificationError(f"region {self.pattern}: the affine map is not the network's map (T1) on the region")
        return True

    # ------------------------------------------------------------------ JSON
    def to_json(self, vertices: bool = False) -> dict:
        """The region as JSON: pattern, polyhedron, affine map (A, c) and witness, all exact (and its vertices, if asked)."""
        A, c = self.affine_map
        data = envelope(REGION_FORMAT, 1, pattern=self.pattern.to_json(), polyhedron=self.polyhedron.to_json(),
                        A=[[fraction_str(v) for v in row] for row in A], c=[fraction_str(v) for v in c],
                        witness=[fraction_str(v) for v in self.witness])
        if vertices:
            data["vertices"] = [[fraction_str(v) for v in vx] for vx in sorted(self.polyhedron.vertices())]
        return data

    @classmethod
    def from_json(cls, source: Any) -> "Region":
        """A region from a path, JSON string or dict (numbers exact); :meth:`check` it against its network.

        >>> from exactrelu import Network, Box
        >>> net = Network([([[1, -1]], [0])])
        >>> r = net.regions(Box([-1, -1], [1, 1]))[0]
        >>> back = Region.from_json(r.to_json())
        >>> back.pattern == r.pattern and back.affine_map == r.affine_map and back.check(net)
        True
        """
        data = read_envelope(source, "region", REGION_FORMAT, 1, {*_KEYS, "vertices"}, _KEYS)
        where = "region JSON"
        A = to_matrix(data["A"], where=f"{where}: A") if data["A"] else ()
        region = cls(Pattern.from_json(data["pattern"]), Polyhedron.from_json(data["polyhedron"]),
                     (tuple(map(tuple, A)), to_vector(data["c"], where=f"{where}: c")),
                     to_vector(data["witness"], where=f"{where}: witness"))
        if "vertices" in data:  # informational, but never trusted: they must be the polyhedron's
            given = sorted(to_vector(v, where=f"{where}: vertex {i}") for i, v in enumerate(data["vertices"]))
            if given != sorted(region.polyhedron.vertices()):
                raise ValueError(f"{where}: 'vertices' are not the vertices of the polyhedron")
        return region
