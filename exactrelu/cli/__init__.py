"""The ``exactrelu`` command line.

Each submodule of this package contributes subcommands through a
``register(subparsers)`` function; ``main`` collects them all, so a new
command is a new module, not an edit here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The ``exactrelu`` argument parser with every subcommand (the CLI reference is generated from it).

    >>> sorted(build_parser()._subparsers._group_actions[0].choices)[:3]
    ['certify', 'check', 'demo']
    """
    from .. import __version__
    from ._help import HelpFormatter, epilog

    parser = argparse.ArgumentParser(
        prog="exactrelu", formatter_class=HelpFormatter,
        description="Exact reasoning about deep ReLU networks: exact outputs, activation patterns and linear "
        "regions of a network (rational arithmetic, no rounding), convergence or divergence certificates of "
        "infinite-depth families, and exact test vectors to check float implementations against. "
        "Each command's --help says what it does, with examples.",
        epilog=epilog(
            [("exactrelu demo", "a built-in network, evaluated and tiled exactly"),
             ("exactrelu demo -o net.json", "write that network, to try the commands on"),
             ("exactrelu eval net.json --x 1/3,-1/7", "its exact output at a point"),
             ("exactrelu regions net.json", "its linear regions over [-1, 1]^2"),
             ("exactrelu init-family -o fam.json", "a family file to start from"),
             ("exactrelu certify fam.json -o cert.json", "does it converge as depth -> infinity? a proof"),
             ("exactrelu check cert.json", "re-verify the certificate exactly")],
            "Printed numbers are decimals of 6 significant digits by default ('~' marks a rounded value); "
            "--exact prints exact fractions. Exit status: 0 ok, 1 a negative result, 2 bad input."),
    )

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):  # _inputs and the like are helpers, not commands
            importlib.import_module(f"{__name__}.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    0 ok, 1 a negative result, 2 bad input (a one-line message), 130 interrupted
    (Ctrl-C), 141 the reader of our output went away (``exactrelu demo | head -1``:
    quietly, like a tool killed by SIGPIPE).  Anything else is a bug and keeps
    its traceback.

    >>> main(["--version"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler
        return status
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        print(f"exactrelu {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as exc:
        print(f"exactrelu {args.command}: error: {exc}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not complain about the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests): nothing to silence
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
