"""Core subcommands: demo, eval, pattern, regions."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ._help import HelpFormatter, epilog
from ._inputs import (add_box, add_points, add_slice, allow_negative_values, check_new_file, load_network,
                      network_command, points, read_box, read_slice)
from ._numbers import NUMBERS_HELP, add_number_options, formatter, vector_text


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="evaluate a built-in network exactly and enumerate its regions",
        description="Evaluate a built-in 2-4-3-1 network exactly (patterns with ties), enumerate its linear "
        "regions over [-1, 1]^2 and check exactly that their areas tile the box. With -o, also write the "
        "network (JSON) to try the other commands on. Exit 0 when every check holds, 1 when one fails, "
        "2 bad input.",
        epilog=epilog([("exactrelu demo", "the report: exact values, ties, regions, areas"),
                       ("exactrelu demo -o net.json", "... and write the built-in network to net.json")]),
        formatter_class=HelpFormatter,
    )
    p.add_argument("-o", "--output", help="also write the built-in network here (network JSON); an existing "
                   "file is kept unless --force")
    p.add_argument("--force", action="store_true", help="with -o: replace an existing file")
    p.set_defaults(run=_demo)

    p = network_command(
        sub, "eval", "print the exact outputs of a network at points",
        "Print the outputs of a network at points, computed exactly in rational arithmetic. Points come "
        "from --x (repeatable) and/or --inputs; every point is checked before anything is printed. "
        "Exit 0 ok, 2 bad input.", _eval,
        epilog(
            [("exactrelu eval net.json --x 1/3,-1/7 --x 0.5,0.5", "two points; 0.5 means exactly 1/2"),
             ("exactrelu eval net.json --inputs points.txt --exact", "a file of points; exact fractions")],
            NUMBERS_HELP),
    )
    _point_options(p)
    p = network_command(
        sub, "pattern", "print the activation patterns (and ties) of a network at points",
        "Print the activation pattern of a network at points: one digit per hidden neuron, 1 active "
        "(pre-activation > 0), 0 inactive, layers separated by |; ties lists the (layer, neuron) pairs "
        "whose pre-activation is exactly 0. Exit 0 ok, 2 bad input.", _pattern,
        epilog([("exactrelu pattern net.json --x 0,0 --x 1/2,1/4", "the origin lies on four boundaries: ties")],
               NUMBERS_HELP),
    )
    _point_options(p)
    _register_regions(sub)


def _register_regions(sub: Any) -> None:
    p = network_command(
        sub, "regions", "enumerate the linear regions of a network over a box",
        "Enumerate exactly the linear regions (activation domains with nonempty interior) "
        "of a network inside a box, with each region's pattern and a witness point. "
        "Exit 0 ok, 1 when --max-regions stopped the enumeration, 2 bad input.", _regions,
        epilog(
            [("exactrelu regions net.json", "over the default box [-1, 1]^d"),
             ("exactrelu regions net.json --lower 0,0 --upper 1,1/2 --json regions.json",
              "another box; all regions to a file")],
            NUMBERS_HELP + " The --json file holds exact values (exactrelu.regions.Partition.load reads it)."),
    )
    add_box(p)
    add_slice(p)
    p.add_argument("--max-regions", type=int, default=None, help="stop (exit 1) after this many regions; bounds the work")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--method", default="auto",
                   help="region algorithm: auto (default: planar for 2-D inputs, else general), planar, general, "
                   "or any other registered one (exactrelu.regions.ALGORITHMS)")
    p.add_argument("--progress", action="store_true", help="show progress on stderr")
    p.add_argument("--json", dest="json_out", help="write the regions (pattern, affine map, witness, vertices) as a partition file "
                   "(exactrelu.regions.Partition.load reads it); with --max-regions, the regions found so far, "
                   "marked partial")
    add_number_options(p)
    allow_negative_values(p)


def _point_options(p: Any) -> None:
    add_points(p)
    add_number_options(p)
    allow_negative_values(p)


def _pattern_text(p: Any) -> str:
    return str(p) or "(no hidden layers)"  # an empty pattern would print as nothing


def _demo(args: Any) -> int:
    from ..demo import demo_report, format_report

    if args.output:
        check_new_file(args.output, args.force)
    report = demo_report()
    print(format_report(report))
    if args.output:
        from ..demo import demo_network

        demo_network().to_json(args.output)
        print(f"wrote the built-in network to {args.output}", file=sys.stderr)
    return 0 if report["tiles_box"] and report["witnesses_ok"] else 1


def _eval(args: Any) -> int:
    net, fmt = load_network(args.network), formatter(args)
    for x in points(args, net.input_dim):
        print(f"N{vector_text(x, fmt)} = {vector_text(net(x), fmt)}")
    return 0


def _pattern(args: Any) -> int:
    net, fmt = load_network(args.network), formatter(args)
    for x in points(args, net.input_dim):
        p = net.pattern(x)
        print(f"{vector_text(x, fmt)}: {_pattern_text(p)}" + (f"  ties {list(p.ties)}" if p.ties else ""))
    return 0


def _check_writable(path: str) -> None:
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"--json {path!r} is a directory")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"--json {path!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"--json {path!r}: directory {str(parent)!r} is not writable")


def _regions(args: Any) -> int:
    from ..regions import RegionLimitExceeded, regions

    net = load_network(args.network)
    box = read_slice(args.slice, args.margin, net.input_dim) if args.slice else read_box(args, net.input_dim)
    most = max(8, 4 * (os.cpu_count() or 1))
    if args.workers > most:  # each worker is a process: --workers 1000 would swamp the machine
        raise ValueError(f"--workers {args.workers} is more than {most} (4 per CPU here)")
    if args.json_out:
        _check_writable(args.json_out)  # fail now, not after a long enumeration
        if Path(args.json_out).resolve() == Path(args.network).resolve():
            raise ValueError(f"--json {args.json_out!r} is the network file; write the regions elsewhere")
    try:
        found = regions(net, box, max_regions=args.max_regions, progress=args.progress, workers=args.workers,
                        method=args.method)
    except RegionLimitExceeded as exc:
        print(f"stopped: more than {exc.limit} regions (raise --max-regions); {len(exc.regions)} found so far")
        if args.json_out:  # the complete regions found so far, marked partial
            exc.regions.save(args.json_out)
            print(f"wrote {args.json_out} (partial)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("exactrelu regions: interrupted (use --max-regions to bound the work)", file=sys.stderr)
        return 130
    where, fmt = f"the {box.dim}-D slice t in " if args.slice else "", formatter(args)
    lo, hi = vector_text(found.box.lower, fmt), vector_text(found.box.upper, fmt)
    print(f"{len(found)} linear regions of {net!r} over {where}{lo} .. {hi}")
    for r in found[:20]:
        print(f"  {_pattern_text(r.pattern)}  witness {vector_text(r.witness, fmt)}")
    if len(found) > 20:
        print(f"  ... and {len(found) - 20} more")
    if args.json_out:
        found.save(args.json_out)
        print(f"wrote {args.json_out}", file=sys.stderr)
    return 0
