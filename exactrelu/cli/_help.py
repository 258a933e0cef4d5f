"""Help texts of the subcommands: wrapped descriptions, and epilogs with example command lines.

Not a subcommand (the leading underscore keeps it out of the command list).
Every example line starts with ``  exactrelu `` so that the test suite can find
and run it (tests/test_cli_help.py); a ``#`` starts a comment.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Sequence


class HelpFormatter(argparse.HelpFormatter):
    """Wrap each paragraph of a description or epilog, but keep a block with indented lines (examples) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = []
        for block in text.strip("\n").split("\n\n"):
            if any(line.startswith("  ") for line in block.splitlines()):  # examples or a table: verbatim
                blocks.append("\n".join(indent + line for line in block.splitlines()))
            else:
                blocks.append(textwrap.fill(" ".join(block.split()), width, initial_indent=indent,
                                            subsequent_indent=indent))
        return "\n\n".join(blocks)


NARROW = 50  # commands up to this long share their line with the comment


def epilog(examples: Sequence[tuple[str, str]], *notes: str) -> str:
    """An epilog: 'Examples:' with one ``exactrelu ...`` line each (and its comment), then the notes.

    >>> print(epilog([("exactrelu demo", "the built-in network"), ("exactrelu " + "x" * 50, "long")], "Exit 0 ok."))
    Examples:
      exactrelu demo    # the built-in network
      # long
      exactrelu xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
    <BLANKLINE>
    Exit 0 ok.
    """
    wide = max((len(cmd) for cmd, _ in examples if len(cmd) <= NARROW), default=0)
    lines = []
    for cmd, note in examples:
        if not note:
            lines.append(f"  {cmd}")
        elif len(cmd) <= NARROW:
            lines.append(f"  {cmd.ljust(wide)}    # {note}")
        else:  # a long command: its comment goes on the line above, so that nothing runs past ~90 columns
            lines += [f"  # {note}", f"  {cmd}"]
    return "\n\n".join(["\n".join(["Examples:", *lines]), *notes])


def example_lines(text: str | None) -> list[str]:
    """The example command lines of an epilog (without their comments), as the tests run them.

    >>> example_lines(epilog([("exactrelu demo", "x"), ("exactrelu eval net.json --x 1,2", "")]))
    ['exactrelu demo', 'exactrelu eval net.json --x 1,2']
    """
    out = []
    for line in (text or "").splitlines():
        if line.startswith("  exactrelu"):
            out.append(line.split("    #", 1)[0].strip())
    return out
