"""What are the activation domains of a small 2-D network over a box, and what are their exact areas?

    python examples/region_areas.py                 # the figure goes to a temporary folder
    python examples/region_areas.py --out figures   # ... or here (regions_areas.png)

The network 2-6-4-1 below has exact rational weights.  exactrelu enumerates its
linear regions (activation domains with nonempty interior) over [-1, 1]^2 and
gives each one's exact area.  Checked here, independently:

1. the areas add up to the area of the box, 4, exactly (the regions tile it);
2. each region's area equals the shoelace formula on its vertices (computed here);
3. each grid point lies in a region whose pattern is its own (or on a border).

Requires: matplotlib
"""

from __future__ import annotations

import argparse
import math
import tempfile
from fractions import Fraction as F
from pathlib import Path

from exactrelu import Box, Network


def shoelace(vertices: list) -> F:
    """The area of a convex polygon from its vertices in any order (sorted by angle around their mean here)."""
    cx = sum(v[0] for v in vertices) / len(vertices)
    cy = sum(v[1] for v in vertices) / len(vertices)
    ring = sorted(vertices, key=lambda v: math.atan2(float(v[1] - cy), float(v[0] - cx)))  # order only
    twice = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1]))
    return abs(twice) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for the figure (default: a temporary folder)")
    out = Path(parser.parse_args().out or tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)

    net = Network(
        [([[1, 0], [0, 1], [1, 1], [1, -1], [2, -1], ["1/2", 2]], [0, 0, "-1/2", "1/4", 0, "-1/3"]),
         ([[1, -1, 0, 1, 0, 0], [0, 1, 1, 0, -1, 0], [-1, 0, 0, 1, 1, 1], [0, 0, 1, -1, 0, 1]], ["1/5", 0, "-1/4", 0])],
        output=([[1, -1, 2, "-1/2"]], [0]),
    )
    box = Box([-1, -1], [1, 1])
    part = net.regions(box)
    areas = [r.volume() for r in part]
    print(f"{len(part)} linear regions of {net!r} over [-1, 1]^2")
    for r, a in sorted(zip(part, areas), key=lambda ra: -ra[1])[:5]:
        print(f"  pattern {r.pattern}: area {a}, {len(r.polyhedron.vertices())} vertices")
    print("  ...")
    total = sum(areas, F(0))
    print(f"sum of the exact areas: {total} (the box: {box.volume()})")
    assert total == box.volume() == 4

    for r, a in zip(part, areas):
        assert shoelace(r.polyhedron.vertices()) == a, r.pattern
    print("every area equals the shoelace formula on the region's exact vertices")

    grid = [(F(i, 10), F(j, 10)) for i in range(-9, 10, 2) for j in range(-9, 10, 2)]
    for x in grid:
        homes = [r for r in part if r.polyhedron.contains(x)]
        assert homes, f"{x} lies in no region"
        on_border = len(homes) > 1
        assert on_border or homes[0].pattern.layers == net.pattern(x).without_ties().layers, x
    print(f"each of {len(grid)} grid points lies in a region with its own activation pattern")

    import matplotlib

    matplotlib.use("Agg")
    from exactrelu import plot

    ax = plot.regions(part)
    ax.set_title(f"{len(part)} activation domains of a 2-6-4-1 network; level set N = 0 in black", fontsize=9)
    ax.figure.tight_layout()
    path = out / "regions_areas.png"
    ax.figure.savefig(path, dpi=100)
    print(f"figure: {path}")
    assert path.stat().st_size > 10_000


if __name__ == "__main__":
    main()
