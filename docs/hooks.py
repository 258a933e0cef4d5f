"""MkDocs hooks: the parts of the site generated from the code, so that they cannot drift from it.

* ``proofs/*.md`` (outside docs/) become pages under proofs/;
* ``<!-- generated: NAME -->`` markers in a page are replaced by generated Markdown:
  ``cli`` (every command's --help, from the argparse parser itself), ``rules``
  (the theorem table, from the kernel's rule registry), ``schema FORMAT`` (a
  file format's JSON Schema, from the package data) and ``formats`` (the list
  of formats).  An unknown marker fails the build.

tests/test_docs.py imports this module to check the generators without a build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "exactrelu" / "schemas"
MARKER = re.compile(r"<!-- generated: ([a-z]+)(?: ([a-z.-]+))? -->")


# ------------------------------------------------------------------ MkDocs events
def on_files(files, config):  # noqa: ANN001 - MkDocs hook signature
    """Add proofs/*.md as pages (their links between each other keep working)."""
    from mkdocs.structure.files import File

    for path in sorted((ROOT / "proofs").glob("*.md")):
        files.append(File.generated(config, f"proofs/{path.name}", content=path.read_text(encoding="utf-8")))
    return files


def on_page_markdown(markdown, page, config, files):  # noqa: ANN001
    """Replace each generated marker by its Markdown."""
    return MARKER.sub(lambda m: generate(m.group(1), m.group(2), page.file.src_uri), markdown)


def generate(name: str, arg: str | None, where: str = "?") -> str:
    """The Markdown of one marker; ValueError (a failed build) for an unknown one."""
    if name == "cli":
        return cli_reference()
    if name == "rules":
        return rule_table()
    if name == "formats":
        return format_table()
    if name == "schema" and arg:
        return schema_block(arg)
    raise ValueError(f"{where}: unknown generated marker {name!r} {arg or ''}")


# ------------------------------------------------------------------ the CLI reference
def _subcommands(parser: argparse.ArgumentParser, path: tuple = ()) -> list:
    """(command path, parser) for the parser and every subcommand, depth first, in the parser's order."""
    out = [(path, parser)]
    for action in parser._actions:  # argparse offers no public way to list subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _subcommands(sub, path + (name,))
    return out


def cli_reference() -> str:
    """One section per command with its --help text, exactly as the parser prints it at 100 columns."""
    from exactrelu.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal width: fix it for a stable page
    try:
        parser = build_parser()
        parts = []
        for path, p in _subcommands(parser):
            title = " ".join(("exactrelu",) + path)
            parts.append(f"## `{title}`\n\n```text\n{p.format_help().rstrip()}\n```\n")
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(parts)


# ------------------------------------------------------------------ the theorem table
def rule_table() -> str:
    """The kernel's rules: name, verdict, scope, statement, proof page, check module and witnesses."""
    from exactrelu.kernel.rules import RULES

    rows = ["| rule | proves | scope | statement | proof | checked by | witnesses |", "|---|---|---|---|---|---|---|"]
    for name, rule in RULES.items():
        statement = " ".join(rule.statement.split()).replace("|", "\\|")
        proof = rule.proof.split("/", 1)[1]
        module = f"exactrelu/kernel/rules/{name.lower()}.py"
        if not (ROOT / module).exists():
            raise ValueError(f"rule {name}: no module {module}")
        kind = "products" if rule.product else "families"
        witnesses = ", ".join(f"`{k}`{'?' if k in rule.optional else ''}: {v}" for k, v in rule.witnesses.items())
        rows.append(f"| **{name}** | {rule.verdict} ({kind}) | {rule.scope or 'point or set'} | {statement} | "
                    f"[{proof}](proofs/{proof}) | `{module}` | {witnesses} |")
    return "\n".join(rows) + "\n"


# ------------------------------------------------------------------ the file formats
def _schemas() -> dict:
    """format name -> (schema file name, schema) for every format."""
    out = {}
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if path.name != "common.schema.json":
            out[doc["properties"]["format"]["const"]] = (path.name, doc)
    return out


def format_table() -> str:
    """Every format with its version, schema file and one-line description."""
    rows = ["| format | version | schema | what it holds |", "|---|---|---|---|"]
    for fmt, (name, doc) in _schemas().items():
        version = doc["properties"]["version"]
        number = version.get("const", 1)
        first = doc["description"].split(". ")[0].rstrip(".")
        rows.append(f"| `{fmt}` | {number} | `exactrelu/schemas/{name}` | {first}. |")
    return "\n".join(rows) + "\n"


def schema_block(fmt: str) -> str:
    """A format's schema as a collapsible JSON block, with its description."""
    if fmt == "common":
        name, doc = "common.schema.json", json.loads((SCHEMAS / "common.schema.json").read_text(encoding="utf-8"))
    else:
        found = _schemas().get(fmt)
        if found is None:
            raise ValueError(f"no schema for format {fmt!r}")
        name, doc = found
    body = json.dumps(doc, indent=1)
    return (f"{doc['description']}\n\nSchema: `exactrelu/schemas/{name}`\n\n"
            f"<details markdown=\"1\"><summary>{name}</summary>\n\n```json\n{body}\n```\n\n</details>\n")
