"""Judging another tool's list of linear regions against the exact partition.

A *claimed region* is a mapping with a ``"pattern"`` (a
:class:`~exactrelu.nets.pattern.Pattern`, a string like ``"01|10"`` or
nested bits), and optionally an ``"area"`` (the tool's area or volume, any
number) and a ``"point"`` (a witness point in the partition's coordinates:
the input space, or the slice's t).  :func:`judge_regions` compares a list of
them with an exact :class:`~exactrelu.regions.partition.Partition`:

* **missing**: exact regions whose pattern nobody claims (with their exact areas);
* **spurious**: claimed patterns that no region of the partition has;
* **duplicated**: patterns claimed more than once;
* **mislabelled**: claims whose witness point lies (exactly) inside a region
  with another pattern; points exactly on a boundary or outside the box are
  listed apart (not judged);
* **areas**: exact area minus claimed area for every matched claim; with
  ``area_rtol`` a relative difference beyond it is flagged.

Every decision is exact: patterns are compared as bits, points are evaluated
by the exact network, areas are exact rationals (the claimed float is read
exactly).  :func:`regions_from_regioncam` reads regioncam's faces.

>>> from exactrelu import Network
>>> part = Network([([[1, 0], [0, 1]], [0, 0])]).regions(([-1, -1], [1, 1]))
>>> claims = [{"pattern": "00", "area": 1}, {"pattern": "01", "point": ["-1/2", "1/2"]}, {"pattern": "11"},
...           {"pattern": "11", "point": ["1/2", "-1/2"]}]
>>> r = judge_regions(claims, part)
>>> [str(m.pattern) for m in r.missing], r.mislabelled[0][1:], r.duplicated, r.ok
(['10'], ('11', '10'), ['11'], False)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..exact.numbers import to_fraction, to_vector
from ..nets.pattern import Pattern

__all__ = ["RegionsReport", "Missing", "judge_regions", "regions_from_regioncam"]


@dataclass(frozen=True)
class Missing:
    """An exact region nobody claims: its index in the partition, pattern and exact area."""

    index: int
    pattern: Pattern
    area: Fraction


@dataclass
class RegionsReport:
    """The outcome of :func:`judge_regions` (see the module docstring for each list)."""

    n_exact: int
    n_claimed: int
    matched: list = field(default_factory=list)  # (claim index, region index)
    missing: list = field(default_factory=list)  # Missing
    spurious: list = field(default_factory=list)  # (claim index, pattern string, claimed area or None)
    duplicated: list = field(default_factory=list)  # pattern strings claimed more than once
    mislabelled: list = field(default_factory=list)  # (claim index, claimed pattern, pattern at its point)
    unjudged_points: list = field(default_factory=list)  # (claim index, why)
    areas: list = field(default_factory=list)  # (claim index, exact area, claimed area, exact - claimed)
    area_flags: list = field(default_factory=list)  # the entries of areas beyond area_rtol

    @property
    def ok(self) -> bool:
        """True when the claims are exactly the partition's regions, each labelled right (areas within area_rtol)."""
        return not (self.missing or self.spurious or self.duplicated or self.mislabelled or self.area_flags)

    @property
    def missing_area(self) -> Fraction:
        """The exact total area of the missing regions."""
        return sum((m.area for m in self.missing), Fraction(0))

    def __str__(self) -> str:
        lines = [f"regions: {self.n_exact} exact, {self.n_claimed} claimed; matched {len(self.matched)}, missing "
                 f"{len(self.missing)} (exact area {float(self.missing_area):.3g}), spurious {len(self.spurious)}, "
                 f"duplicated {len(self.duplicated)}, mislabelled {len(self.mislabelled)}"
                 f" -> {'OK' if self.ok else 'FAILED'}"]
        lines += [f"  missing region {m.index}: pattern {m.pattern}, exact area {m.area} (~{float(m.area):.3g})"
                  for m in self.missing[:5]]
        lines += [f"  spurious claim {i}: pattern {p}" for i, p, _ in self.spurious[:5]]
        lines += [f"  mislabelled claim {i}: says {p}, its point is in {q}" for i, p, q in self.mislabelled[:5]]
        lines += [f"  claim {i}: area off by {float(d):.3g} (exact {float(e):.6g})" for i, e, _, d in self.area_flags[:5]]
        return "\n".join(lines)


def _pattern(value: Any, where: str) -> Pattern:
    if isinstance(value, Pattern):
        return Pattern(value.layers)
    if isinstance(value, str):
        try:
            return Pattern.parse(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    try:
        return Pattern([[int(b) for b in layer] for layer in value])
    except (TypeError, ValueError):
        raise ValueError(f"{where}: 'pattern' must be a Pattern, a string like '01|10' or nested bits") from None


def _claims(other: Any) -> list:
    if isinstance(other, (str, bytes)) or not hasattr(other, "__iter__"):
        raise ValueError("compare_regions expects a list of claimed regions (mappings with a 'pattern')")
    out = []
    for i, c in enumerate(other):
        where = f"claimed region {i}"
        if not isinstance(c, dict) or "pattern" not in c:
            raise ValueError(f"{where}: must be a mapping with a 'pattern' (and optionally 'area', 'point')")
        unknown = set(c) - {"pattern", "area", "point"}
        if unknown:
            raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected 'pattern', 'area', 'point')")
        area = None if c.get("area") is None else to_fraction(c["area"], f"{where}, area")
        point = None if c.get("point") is None else to_vector(c["point"], f"{where}, point")
        out.append((_pattern(c["pattern"], where), area, point))
    return out


def _pattern_at(partition: Any, point: tuple) -> tuple:
    """(pattern, None) of the exact network at a point of the partition's coordinates, or (None, why)."""
    box = partition.box
    if len(point) != partition.dim:
        return None, f"the point has {len(point)} coordinates, the partition {partition.dim}"
    if box is not None and not all(lo <= v <= hi for v, lo, hi in zip(point, box.lower, box.upper)):
        return None, "the point is outside the partition's box"
    x = partition.slice.to_input(point) if partition.slice is not None else point
    p = partition.net.pattern(x)
    if p.ties:
        return None, f"the point is exactly on a boundary (ties {list(p.ties)})"
    return Pattern(p.layers), None


def judge_regions(other: Any, partition: Any, *, area_rtol: Any = None) -> RegionsReport:
    """Judge a list of claimed regions against the exact ``partition`` (see the module docstring)."""
    if getattr(partition, "partial", False):
        raise ValueError("the partition is partial (a limit stopped its enumeration): missing regions cannot be judged")
    if getattr(partition, "net", None) is None:
        raise ValueError("compare_regions needs a Partition that knows its network (from Network.regions)")
    claims = _claims(other)
    rtol = None if area_rtol is None else to_fraction(area_rtol, "area_rtol")
    exact = {r.pattern.layers: i for i, r in enumerate(partition)}
    counts = Counter(p.layers for p, _, _ in claims)
    rep = RegionsReport(len(partition), len(claims))
    rep.duplicated = [str(Pattern(k)) for k, n in counts.items() if n > 1]
    for ci, (p, area, point) in enumerate(claims):
        ri = exact.get(p.layers)
        if ri is None:
            rep.spurious.append((ci, str(p), area))
        else:
            rep.matched.append((ci, ri))
            if area is not None:
                e = partition[ri].volume()
                rep.areas.append((ci, e, area, e - area))
                if rtol is not None and abs(e - area) > rtol * e:
                    rep.area_flags.append(rep.areas[-1])
        if point is not None:
            at, why = _pattern_at(partition, point)
            if at is None:
                rep.unjudged_points.append((ci, why))
            elif at.layers != p.layers:
                rep.mislabelled.append((ci, str(p), str(at)))
    claimed = set(counts)
    rep.missing = [Missing(i, r.pattern, r.volume()) for i, r in enumerate(partition) if r.pattern.layers not in claimed]
    return rep


def regions_from_regioncam(rc: Any, depth: int, relu_layers: Any = None) -> list:
    """regioncam's faces as claimed regions: the pattern read from each ReLU layer's face maps (a neuron is
    active where its map is not the zero map), the mean of the face's vertices as its point (a float64
    point, read exactly; inside the face when it is convex), and regioncam's float area.

    ``relu_layers``: regioncam's layer index after each ReLU (default 2, 4, ..., 2 ``depth``: a linear
    layer then a ReLU, ``depth`` times).
    """
    relu_layers = list(relu_layers) if relu_layers is not None else [2 * (i + 1) for i in range(depth)]
    if len(relu_layers) != depth:
        raise ValueError(f"relu_layers: {len(relu_layers)} layers for a network of depth {depth}")
    V = np.asarray(rc.vertex_inputs, dtype=np.float64)
    out = []
    for face in rc.faces:
        bits = [[int(np.any(col != 0)) for col in np.asarray(face.activations(l)).T] for l in relu_layers]
        point = V[np.asarray(face.vertex_ids)].mean(axis=0)
        out.append({"pattern": bits, "point": [Fraction(float(v)) for v in point], "area": Fraction(float(face.area))})
    return out
