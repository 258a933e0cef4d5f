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

from ..nets.pattern import Pattern

__all__ = ["Region"]


class Region:
    """A linear region: ``pattern``, ``polyhedron``, ``affine_map`` = (A, c), ``witness``.

    Each of ``polyhedron``, ``affine_map`` and ``witness`` may be given as a
    value or as a zero-argument callable that computes it on first use.
    """

    __slots__ = ("pattern", "_polyhedron", "_affine_map", "_witness")

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

    def __repr__(self) -> str:
        return f"Region({self.pattern!s})"
