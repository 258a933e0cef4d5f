"""Core subcommands: demo, eval, pattern, regions."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ..exact.numbers import fraction_str
from ._inputs import (add_box, add_points, add_slice, allow_negative_values, load_network, network_command, points,
                      read_box, read_slice)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="evaluate a built-in network exactly and enumerate its regions",
        description="Evaluate a built-in 2-D network exactly (patterns with ties), enumerate its linear "
        "regions over [-1, 1]^2 and check exactly that their areas tile the box. Exit 0 when every check holds.",
    )
    p.set_defaults(run=_demo)

    for name, run, text in (("eval", _eval, "exact outputs"), ("pattern", _pattern, "activation patterns and ties")):
        p = network_command(
            sub, name, f"print the {text} of a network at points",
            f"Print the {text} of a network at points, exactly. Points come from --x "
            "(repeatable) and/or --inputs; every point is checked before anything is printed. "
            "Exit 0 ok, 2 bad input.", run,
        )
        add_points(p)
        allow_negative_values(p)

    p = network_command(
        sub, "regions", "enumerate the linear regions of a network over a box",
        "Enumerate exactly the linear regions (activation domains with nonempty interior) "
        "of a network inside a box, with each region's pattern and a witness point. "
        "Exit 0 ok, 1 when --max-regions stopped the enumeration, 2 bad input.", _regions,
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
    allow_negative_values(p)


def _fmt(v: Any) -> str:
    return "(" + ", ".join(fraction_str(t) for t in v) + ")"


def _pattern_text(p: Any) -> str:
    return str(p) or "(no hidden layers)"  # an empty pattern would print as nothing


def _demo(args: Any) -> int:
    from ..demo import demo_report, format_report

    report = demo_report()
    print(format_report(report))
    return 0 if report["tiles_box"] and report["witnesses_ok"] else 1


def _eval(args: Any) -> int:
    net = load_network(args.network)
    for x in points(args, net.input_dim):
        print(f"N{_fmt(x)} = {_fmt(net(x))}")
    return 0


def _pattern(args: Any) -> int:
    net = load_network(args.network)
    for x in points(args, net.input_dim):
        p = net.pattern(x)
        print(f"{_fmt(x)}: {_pattern_text(p)}" + (f"  ties {list(p.ties)}" if p.ties else ""))
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
    where = f"the {box.dim}-D slice t in " if args.slice else ""
    print(f"{len(found)} linear regions of {net!r} over {where}{_fmt(found.box.lower)} .. {_fmt(found.box.upper)}")
    for r in found[:20]:
        print(f"  {_pattern_text(r.pattern)}  witness {_fmt(r.witness)}")
    if len(found) > 20:
        print(f"  ... and {len(found) - 20} more")
    if args.json_out:
        found.save(args.json_out)
        print(f"wrote {args.json_out}", file=sys.stderr)
    return 0
