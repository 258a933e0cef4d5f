"""Pictures of linear regions on matplotlib: the exact polygons, their edges and the decision boundary.

Everything drawn is computed exactly first (the region polygons, the shared
edges, the boundary segments) and converted to floats only for the picture.
matplotlib is optional (``pip install "exactrelu[plot]"``).

>>> import matplotlib; matplotlib.use("Agg")
>>> from exactrelu import Network
>>> net = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, -1])], output=([[1, -1, 1], [0, 1, 0]], [0, 0]))
>>> ax = regions(net.regions(([-1, -1], [1, 1])), color_by="output")
>>> len(ax.collections)     # faces (split by the predicted class), region edges, decision boundary
3
"""

from __future__ import annotations

import colorsys
import hashlib
import math
from typing import Any, Sequence

from .optional import import_optional
from .regions.boundary import argmax_cells, decision_boundary, polygon

__all__ = ["regions", "graph", "pattern_color", "COLOR_BY"]

COLOR_BY = ("pattern", "output", "gradient norm")


def pattern_color(pattern: Any) -> tuple:
    """A light RGB colour for an activation pattern, the same in every run and every figure.

    >>> pattern_color("10|011") == pattern_color("10|011") != pattern_color("10|010")
    True
    """
    digest = hashlib.blake2b(str(pattern).encode(), digest_size=8).digest()
    hue = int.from_bytes(digest[:4], "big") / 2**32
    light = 0.62 + 0.18 * digest[4] / 255
    sat = 0.45 + 0.35 * digest[5] / 255
    return colorsys.hls_to_rgb(hue, light, sat)


def _faces(partition: Sequence, color_by: str, smallest: bool = False) -> tuple:
    """(polygons, colours or None, scalar values or None, label) for ``color_by``, exact until drawn."""
    regions_ = [polygon(r) for r in partition]
    if color_by == "pattern":
        return regions_, [pattern_color(r.pattern) for r in partition], None, None
    if color_by == "gradient norm":
        return regions_, None, [math.sqrt(sum(float(v) ** 2 for row in r.A for v in row)) for r in partition], \
            "gradient norm"
    if len(partition[0].c) == 1:  # the scalar output at the witness (exact, then rounded for the colour)
        return regions_, None, [float(sum(a * x for a, x in zip(r.A[0], r.witness)) + r.c[0]) for r in partition], \
            "output"
    # a classifier: each region split exactly into the cells where one class wins, one hue per class,
    # a slightly different shade per region (so that the regions stay visible)
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if len(partition[0].c) <= 10 else "tab20"]
    polys, colors = [], []
    for r in partition:
        shade = 0.8 + 0.2 * pattern_color(r.pattern)[0]
        for k, cell in argmax_cells(r, smallest):
            polys.append(cell)
            colors.append(tuple(min(1.0, v * shade + (1 - shade) * 0.9) for v in cmap(k % cmap.N)[:3]))
    return polys, colors, None, None


def regions(partition: Sequence, ax: Any = None, color_by: str = "pattern", edges: bool = True,
            boundary: bool = True, level: Any = None, points: Any = None, smallest: bool = False) -> Any:
    """Draw the regions of a 2-D partition (what ``regions()`` returns) and return the matplotlib Axes.

    ``color_by``: "pattern" (a stable colour per activation pattern), "output"
    (a classifier's predicted class, each region split exactly where it changes;
    a scalar output's value at the region's witness)
    or "gradient norm" (the Frobenius norm of the region's exact map A).
    ``edges`` draws the region borders; ``boundary`` the exact decision boundary
    (classifier) or level set {N = level} (scalar output, level 0 by default).
    ``smallest``: for a classifier whose smallest output wins (ACAS Xu).
    ``points``: optional (t, label) pairs to mark (e.g. the three images a slice passes through).
    """
    plt = import_optional("matplotlib.pyplot", "exactrelu.plot")
    from matplotlib.collections import LineCollection, PolyCollection

    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {', '.join(map(repr, COLOR_BY))}, got {color_by!r}")
    box = getattr(partition, "box", None)
    dim = len(box.lower) if box is not None else (len(partition[0].witness) if len(partition) else 2)
    if dim != 2:
        raise ValueError(f"exactrelu.plot.regions draws 2-D partitions; this one has dimension {dim}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    faces, colors, values, label = _faces(partition, color_by, smallest) if len(partition) else ([], [], None, None)
    coll = PolyCollection(_floats(faces), edgecolors="face", linewidths=0.3)  # edges in the face colour hide seams
    if values is not None:
        coll.set_array(values)
        coll.set_cmap("viridis")
        ax.figure.colorbar(coll, ax=ax, shrink=0.8, label=label)
    else:
        coll.set_facecolor(colors)
    ax.add_collection(coll)
    if edges:  # the region borders, drawn once over the faces
        ax.add_collection(PolyCollection(_floats(polygon(r) for r in partition), facecolors="none",
                                         edgecolors=(0.25, 0.25, 0.25, 0.6), linewidths=0.4))
    if boundary and len(partition):
        pieces = decision_boundary(partition, level, smallest)
        segs = [[tuple(map(float, p)) for p in piece.segment] for piece in pieces]
        ax.add_collection(LineCollection(segs, colors="black", linewidths=1.6, zorder=3))
    _finish(ax, partition, box, points)
    return ax


def _floats(polys: Any) -> list:
    return [[(float(x), float(y)) for x, y in pts] for pts in polys]


def _finish(ax: Any, partition: Any, box: Any, points: Any) -> None:
    if box is not None:
        ax.set_xlim(float(box.lower[0]), float(box.upper[0]))
        ax.set_ylim(float(box.lower[1]), float(box.upper[1]))
    else:
        ax.autoscale_view()
    names = ("t0", "t1") if getattr(partition, "slice", None) is not None else ("x0", "x1")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_aspect("equal", adjustable="box")
    for t, text in points or ():
        x, y = float(t[0]), float(t[1])
        ax.plot([x], [y], marker="o", color="black", markersize=4, zorder=4)
        ax.annotate(str(text), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8, zorder=4)


def graph(partition: Sequence, ax: Any = None) -> Any:
    """Draw the adjacency graph of a 2-D partition over its regions: a dot at each witness, a line per shared edge.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from exactrelu import Network
    >>> ax = graph(Network([([[1, 0], [0, 1]], [0, 0])]).regions(([-1, -1], [1, 1])))
    >>> len(ax.collections[0].get_segments())   # four regions in a cycle
    4
    """
    plt = import_optional("matplotlib.pyplot", "exactrelu.plot")
    from matplotlib.collections import LineCollection

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    where = [tuple(map(float, r.witness)) for r in partition]
    ax.add_collection(LineCollection([[where[i], where[j]] for i, j, _ in partition.adjacencies()],
                                     colors="0.3", linewidths=0.6))
    ax.scatter([p[0] for p in where], [p[1] for p in where], s=6, c=[pattern_color(r.pattern) for r in partition],
               edgecolors="0.2", linewidths=0.3, zorder=3)
    _finish(ax, partition, getattr(partition, "box", None), None)
    return ax
