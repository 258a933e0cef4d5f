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
from ..nets.contexts import ExactContext, read_inputs
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


def _bits(value: Any, where: str) -> tuple:
    """A claimed pattern as a tuple of tuples of piece indices (the form of ``Pattern.layers``)."""
    if isinstance(value, Pattern):
        return value.layers
    if isinstance(value, str):
        try:
            return Pattern.parse(value).layers
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    try:
        out = tuple(tuple(int(b) for b in layer) for layer in value)
    except (TypeError, ValueError):
        out = None
    if out is None or any(b < 0 for layer in out for b in layer):
        raise ValueError(f"{where}: 'pattern' must be a Pattern, a string like '01|10' or nested bits")
    return out


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
        out.append((_bits(c["pattern"], where), area, point))
    return out


def _patterns_at(partition: Any, points: list) -> list:
    """Per point of the partition's coordinates: (bits, None) of the exact network there, or (None, why).
    One exact batch forward pass for all the points inside the box."""
    box, out, inside = partition.box, [], []
    for t in points:
        if len(t) != partition.dim:
            out.append((None, f"the point has {len(t)} coordinates, the partition {partition.dim}"))
        elif box is not None and not all(lo <= v <= hi for v, lo, hi in zip(t, box.lower, box.upper)):
            out.append((None, "the point is outside the partition's box"))
        else:
            out.append(None)
            inside.append(partition.slice.to_input(t) if partition.slice is not None else t)
    if inside:
        ctx, signs = ExactContext(), []
        with ctx.precision():  # exact signs of every pre-activation, no Fractions built
            ctx.run(ctx.prepared(partition.net), ctx.batch(read_inputs(inside, partition.net.input_dim)),
                    lambda Z: signs.append(ctx.signs(Z, len(inside))))
        found = iter(range(len(inside)))
        for k, slot in enumerate(out):
            if slot is None:
                i = next(found)
                z = [layer[i] for layer in signs]
                ties = [(li, j) for li, zl in enumerate(z) for j, v in enumerate(zl) if v == 0]
                out[k] = ((None, f"the point is exactly on a boundary (ties {ties})") if ties
                          else (tuple(tuple(1 if v > 0 else 0 for v in zl) for zl in z), None))
    return out


def judge_regions(other: Any, partition: Any, *, area_rtol: Any = None) -> RegionsReport:
    """Judge a list of claimed regions against the exact ``partition`` (see the module docstring)."""
    if getattr(partition, "partial", False):
        raise ValueError("the partition is partial (a limit stopped its enumeration): missing regions cannot be judged")
    if getattr(partition, "net", None) is None:
        raise ValueError("compare_regions needs a Partition that knows its network (from Network.regions)")
    partition.net.require_relu("compare_regions")
    claims = _claims(other)
    rtol = None if area_rtol is None else to_fraction(area_rtol, "area_rtol")
    exact = {r.pattern.layers: i for i, r in enumerate(partition)}
    counts = Counter(p for p, _, _ in claims)
    rep = RegionsReport(len(partition), len(claims))
    rep.duplicated = [str(Pattern(k)) for k, n in counts.items() if n > 1]
    with_points = [(ci, point) for ci, (_, _, point) in enumerate(claims) if point is not None]
    at = dict(zip((ci for ci, _ in with_points), _patterns_at(partition, [pt for _, pt in with_points])))
    for ci, (p, area, point) in enumerate(claims):
        ri = exact.get(p)
        if ri is None:
            rep.spurious.append((ci, str(Pattern(p)), area))
        else:
            rep.matched.append((ci, ri))
            if area is not None:
                e = partition[ri].volume()
                rep.areas.append((ci, e, area, e - area))
                if rtol is not None and abs(e - area) > rtol * e:
                    rep.area_flags.append(rep.areas[-1])
        if ci in at:
            bits, why = at[ci]
            if bits is None:
                rep.unjudged_points.append((ci, why))
            elif bits != p:
                rep.mislabelled.append((ci, str(Pattern(p)), str(Pattern(bits))))
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
        bits = [np.any(np.asarray(face.activations(l)) != 0, axis=0).astype(int).tolist() for l in relu_layers]
        point = V[np.asarray(face.vertex_ids)].mean(axis=0)
        out.append({"pattern": bits, "point": [Fraction(float(v)) for v in point], "area": Fraction(float(face.area))})
    return out
