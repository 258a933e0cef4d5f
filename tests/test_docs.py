"""The documentation site: its examples run, its generated parts cover the code, and it builds strictly.

Every ```pycon block of docs/*.md is a doctest, run here page by page (the
blocks of a page share their names, as a reader's session would); pages whose
examples need an optional package skip with the extra to install.  The
generators of docs/hooks.py (CLI reference, theorem table, schemas) are
checked against the parser, the rule registry and the schema files; with
mkdocs installed (the ``docs`` extra) the whole site is built with
``--strict``, so a broken link, a page left out of the navigation or a
docstring that does not render fails the suite as it fails CI.
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from exactrelu.optional import EXTRAS, available

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
BLOCK = re.compile(r"```pycon\n(.*?)```", re.S)
# page -> the optional packages its examples import
NEEDS = {"regions.md": ("matplotlib", "networkx"), "interop.md": ("torch", "onnx", "onnxruntime"),
         "formats.md": ("jsonschema",)}


def hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skip_without(names) -> None:
    missing = [m for m in names if not available(m)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (pip install \"exactrelu[{EXTRAS[missing[0]]}]\")")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_examples_on_each_page_run(page):
    skip_without(NEEDS.get(page.name, ()))
    blocks = BLOCK.findall(page.read_text())
    if page.name in ("README.md", "api.md", "cli.md", "limits.md", "theory.md"):
        assert blocks == []  # pages of prose or generated text
        return
    assert blocks, f"{page.name} has no runnable example"
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {"__name__": "docs"}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
    assert runner.tries >= 3


JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.S)


@pytest.mark.parametrize("page", [p for p in PAGES if JSON_BLOCK.search(p.read_text())], ids=lambda p: p.name)
def test_the_example_files_on_each_page_are_read_by_exactrelu(page):
    from exactrelu import Family, Network

    readers = {"exactrelu.network": Network.from_json, "exactrelu.family": Family.from_json}
    for text in JSON_BLOCK.findall(page.read_text()):
        data = json.loads(text)
        if isinstance(data, dict) and data.get("format") in readers:
            readers[data["format"]](text)  # raises on anything the reader refuses


def test_every_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in PAGES:
        if page.name != "README.md":
            assert f": {page.name}" in nav, f"{page.name} is not in mkdocs.yml's nav"
    for proof in (ROOT / "proofs").glob("*.md"):
        assert f"proofs/{proof.name}" in nav, f"proofs/{proof.name} is not in mkdocs.yml's nav"


def test_the_cli_reference_has_every_command_and_its_help():
    from exactrelu.cli import build_parser

    text = hooks().cli_reference()
    parser = build_parser()
    commands = [path for path, _ in hooks()._subcommands(parser)]
    assert len(commands) > 5 and ("oracle", "make") in commands
    for path in commands:
        assert f"## `{' '.join(('exactrelu',) + path)}`" in text
    assert text.count("usage: exactrelu") == len(commands)


def test_the_rule_table_links_every_rule_to_its_proof():
    from exactrelu.kernel.rules import RULES

    table = hooks().rule_table()
    for name, rule in RULES.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| **{name}** |"))
        assert f"(proofs/{Path(rule.proof).name})" in row and (ROOT / rule.proof).is_file()
        assert f"exactrelu/kernel/rules/{name.lower()}.py" in row


def test_the_formats_page_shows_every_schema():
    text = (DOCS / "formats.md").read_text()
    shown = set(re.findall(r"<!-- generated: schema ([a-z.-]+) -->", text))
    formats = set(hooks()._schemas())
    assert shown == formats | {"common"}
    for fmt in formats:
        assert fmt in hooks().format_table()


def test_an_unknown_marker_fails_the_build():
    with pytest.raises(ValueError, match="unknown generated marker"):
        hooks().generate("nonsense", None, "page.md")


def test_the_site_builds_without_a_warning(tmp_path):
    skip_without(("mkdocs",))
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "proofs" / "T4_sufficient_condition" / "index.html").is_file()
    cli = (tmp_path / "site" / "cli" / "index.html").read_text()
    assert "usage: exactrelu" in cli and "generated:" not in cli
