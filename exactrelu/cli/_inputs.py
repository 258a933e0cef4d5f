"""What the subcommands share: network files, points from --x and --inputs, negative option values.

Not a subcommand (the leading underscore keeps it out of the command list).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..exact.numbers import to_vector


# argparse takes "-1,2" for an option (it only knows plain "-1" as a number), so
# "--x -1,2" failed with "expected one argument". Values that start with a minus
# sign and a digit are numbers here: no option of ours looks like that.
_NEGATIVE = re.compile(r"^-\.?\d")


def allow_negative_values(p: Any) -> Any:
    """Let option values such as ``-1,2`` or ``-1/2`` follow their option with a space."""
    p._negative_number_matcher = _NEGATIVE
    return p


def network_command(sub: Any, name: str, help: str, description: str, run: Any, epilog: str | None = None) -> Any:
    """A subcommand whose first argument is a network file; returns its parser for the options."""
    from ._help import HelpFormatter

    p = sub.add_parser(name, help=help, description=description, epilog=epilog, formatter_class=HelpFormatter)
    p.add_argument("network", help="network file (.json, .npz or .onnx)")
    p.set_defaults(run=run)
    return p


def add_points(p: Any) -> None:
    p.add_argument("--x", action="append", default=[], help="a point, comma-separated exact numbers ('1/2,-3,0.1'); repeatable")
    p.add_argument("--inputs", help="file of points: a .json list, an .npz array, or text with one point per line")


def load_network(path: str):
    from ..interop.io import load

    try:
        return load(path)
    except ImportError as exc:  # an optional extra (onnx) is missing: say which, no traceback
        raise ValueError(f"cannot load {path!r}: {exc}") from None


def points(args: Any, dim: int) -> list:
    """All points (--x and --inputs), each checked against ``dim`` before any work."""
    pts = check_points([to_vector(s.split(","), f"--x {s!r}") for s in args.x], dim, [f"--x {s!r}" for s in args.x])
    if args.inputs:
        pts += read_points(args.inputs, dim)
    if not pts:
        raise ValueError("give at least one point with --x or --inputs")
    return pts


def read_points(path: str, dim: int | None = None) -> list:
    """Points from a .json list, a .npz array, or a text file; every number converted exactly.

    With ``dim``, a point of another dimension is an error naming the file and the point.
    """
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"inputs file {path!r} is a directory")
    if not p.is_file():
        raise ValueError(f"inputs file {path!r} does not exist")
    if p.suffix.lower() == ".npz":
        points = _npz_points(p, path)
    else:
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{path}: not a UTF-8 text file (expected .json, .npz, or text with one point per line)") from None
        except OSError as exc:
            raise ValueError(f"{path}: cannot read ({exc.strerror})") from None
        points = _json_points(path) if p.suffix.lower() == ".json" else _text_points(text, path)
    if not points:
        raise ValueError(f"{path}: holds no points")
    return points if dim is None else check_points(points, dim, f"{path}, point ")


def _json_points(path: str) -> list:
    from ..exact.jsonio import read_json

    data = read_json(Path(path), what="points")  # numbers stay exact text; duplicate keys refused
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of points")
    return [to_vector(v, f"{path}, point {i}") for i, v in enumerate(data)]


def _npz_points(p: Path, path: str) -> list:
    from ..interop.arrays import array_to_fractions
    from ..interop.io import open_npz, read_npz_array

    with open_npz(p) as archive:
        names = archive.files
        key = "X" if "X" in names else (names[0] if len(names) == 1 else None)
        if key is None:
            raise ValueError(f"{path}: expected one array, or an array named 'X' (found {names})")
        arr = read_npz_array(archive, key, path)
    return list(array_to_fractions(arr, f"{path}: array {key!r}", 2))


def _text_points(text: str, path: str) -> list:
    points = []
    for k, line in enumerate(text.splitlines()):
        body = line.split("#", 1)[0].strip()
        if body:
            # commas separate fields exactly ("1,,2" has an empty field, an error); else whitespace does
            fields = [f.strip() for f in body.split(",")] if "," in body else body.split()
            points.append(to_vector(fields, f"{path}, line {k + 1}"))
    return points


def check_points(points: list, dim: int, label: Any = "point ") -> list:
    """Refuse, before any work, points whose dimension is not the network's input dimension.

    ``label`` is a prefix for the point's index, or a list naming each point.
    """
    for i, x in enumerate(points):
        if len(x) != dim:
            name = label[i] if isinstance(label, list) else f"{label}{i}"
            raise ValueError(f"{name} has dimension {len(x)}, the network expects {dim}")
    return points


def add_box(p: Any) -> None:
    """The --box, --lower and --upper options (the box of the input space to work in)."""
    p.add_argument("--box", default="-1,1", help="'lo,hi' for every coordinate (default -1,1)")
    p.add_argument("--lower", help="comma-separated lower corner (overrides --box)")
    p.add_argument("--upper", help="comma-separated upper corner (overrides --box)")


def read_box(args: Any, dim: int) -> Any:
    """The exact Box of --box, or of --lower and --upper, in ``dim`` dimensions."""
    from ..exact.polyhedron import Box

    if args.lower or args.upper:
        if not (args.lower and args.upper):
            raise ValueError("give both --lower and --upper")
        return Box(to_vector(args.lower.split(","), "--lower"), to_vector(args.upper.split(","), "--upper"))
    lo, hi = to_vector(args.box.split(","), "--box", length=2)
    return Box([lo] * dim, [hi] * dim)


def add_slice(p: Any) -> None:
    """The --slice and --margin options (a slice of the network's input space instead of a box)."""
    p.add_argument("--slice", help="a slice of the input space instead of a box: a slice .json file "
                   "(exactrelu.slice), or a points file (as for --inputs) with 2 points (the line through them) "
                   "or 3 (the plane through them)")
    p.add_argument("--margin", default="1/10", help="with --slice from points: widen the box around the points "
                   "(t from -margin to 1 + margin; default 1/10)")


def read_slice(path: str, margin: str, dim: int) -> Any:
    """The slice named by --slice: a slice JSON file, or 2 or 3 points (of dimension ``dim``) from a points file."""
    from ..exact.jsonio import read_json
    from ..nets.slice import Slice

    if Path(path).suffix.lower() == ".json" and Path(path).is_file():
        data = read_json(Path(path), what="slice")
        if isinstance(data, dict):
            s = Slice.from_json(data)
            if s.input_dim != dim:
                raise ValueError(f"--slice {path!r} lies in R^{s.input_dim}, the network's input dimension is {dim}")
            return s
    pts = read_points(path, dim)
    if len(pts) == 2:
        return Slice.line(*pts, margin=margin)
    if len(pts) == 3:
        return Slice.through_points(*pts, margin=margin)
    raise ValueError(f"--slice {path!r}: expected 2 points (a line) or 3 (a plane), found {len(pts)}")


def seconds(text: str) -> float:
    """An argparse type for time limits: a finite positive number of seconds.

    >>> seconds("2.5")
    2.5
    >>> seconds("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a positive number of seconds, got 'nan'
    """
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def check_new_file(path: str, force: bool, option: str = "-o") -> None:
    """Refuse, before any work, to replace an existing file (unless ``force``) or to write where nothing can be."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{option} {path!r} is a directory")
    if p.exists() and not force:
        raise ValueError(f"{option} {path!r} exists; give --force to replace it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{option} {path!r}: directory {str(parent)!r} does not exist")
