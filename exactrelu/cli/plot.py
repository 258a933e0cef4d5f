"""The plot subcommand: a picture of a network's linear regions over a 2-D box or a slice (matplotlib)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ._help import epilog
from ._inputs import add_box, add_slice, allow_negative_values, load_network, network_command, read_box, read_slice

FORMATS = ("png", "svg", "pdf")


def register(sub: Any) -> None:
    p = network_command(
        sub, "plot", "draw the linear regions of a network over a 2-D box or slice",
        "Draw the exact linear regions of a network (2-D input: over --box; any input: over a 2-D --slice) "
        "with their edges and the exact decision boundary (classifier) or level set (scalar output), to a "
        "PNG, SVG or PDF file. Needs matplotlib (pip install \"exactrelu[plot]\"). Exit 0 ok, 1 when "
        "--max-regions stopped the enumeration (nothing is written), 2 bad input.", _plot,
        epilog([("exactrelu plot net.json -o regions.png", "regions over [-1, 1]^2, the level set N = 0"),
                ("exactrelu plot net.json --box -2,2 --color-by output -o output.svg", "coloured by the output"),
                ("exactrelu plot net.json --slice points.txt -o slice.pdf",
                 "the plane through 3 points (any input dimension)")]),
    )
    p.add_argument("-o", "--output", required=True, help="the figure file: .png, .svg or .pdf")
    add_box(p)
    add_slice(p)
    p.add_argument("--color-by", default="pattern", choices=["pattern", "output", "gradient norm"],
                   help="colour each region by its activation pattern (default), its output or its gradient norm")
    p.add_argument("--no-edges", action="store_true", help="do not draw the region borders")
    p.add_argument("--no-boundary", action="store_true", help="do not draw the decision boundary / level set")
    p.add_argument("--smallest-wins", action="store_true",
                   help="a classifier whose smallest output wins (ACAS Xu's advisories); default: the largest")
    p.add_argument("--level", default=None, help="for a scalar output: draw {N = LEVEL} (default 0)")
    p.add_argument("--max-regions", type=int, default=100000, help="stop (exit 1) past this many regions (default 100000)")
    p.add_argument("--method", default="auto", help="region algorithm (see 'regions --method')")
    p.add_argument("--dpi", type=int, default=150, help="resolution of a PNG (default 150)")
    allow_negative_values(p)


def _target(path: str) -> str:
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"-o {path!r}: the file name must end in .png, .svg or .pdf")
    parent = Path(path).parent if str(Path(path).parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"-o {path!r}: directory {str(parent)!r} does not exist")
    return fmt


def _plot(args: Any) -> int:
    from ..exact.jsonio import atomic_write
    from ..optional import import_optional
    from ..regions import RegionLimitExceeded, regions

    fmt = _target(args.output)  # fail now, not after the enumeration
    matplotlib = import_optional("matplotlib", "exactrelu plot")
    matplotlib.use("Agg")
    from .. import plot

    net = load_network(args.network)
    if args.slice:
        where = read_slice(args.slice, args.margin, net.input_dim)
        if where.dim != 2:
            raise ValueError(f"--slice {args.slice!r} is a {where.dim}-D slice; plot draws 2-D slices (give 3 points)")
    elif net.input_dim != 2:
        raise ValueError(f"the network has {net.input_dim} inputs: give a 2-D --slice (3 points) to plot it")
    else:
        where = read_box(args, 2)
    try:
        part = regions(net, where, max_regions=args.max_regions, method=args.method)
    except RegionLimitExceeded as exc:
        print(f"stopped: more than {exc.limit} regions (raise --max-regions); nothing written")
        return 1
    from_points = bool(args.slice) and Path(args.slice).suffix.lower() != ".json"  # not a slice file
    marks = [((0, 0), "p0"), ((1, 0), "p1"), ((0, 1), "p2")] if from_points else None  # the three points
    ax = plot.regions(part, color_by=args.color_by, edges=not args.no_edges, boundary=not args.no_boundary,
                      level=args.level, points=marks, smallest=args.smallest_wins)
    ax.set_title(f"{len(part)} linear regions", fontsize=10)
    fig = ax.figure
    fig.tight_layout()
    atomic_write(args.output, lambda f: fig.savefig(f, format=fmt, dpi=args.dpi), verb="save")
    matplotlib.pyplot.close(fig)
    print(f"{len(part)} linear regions; wrote {args.output}", file=sys.stderr)
    return 0
