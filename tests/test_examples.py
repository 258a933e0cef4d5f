"""Every script in examples/ runs to completion (each asserts what it prints).

A script that needs an optional package says so in a line ``Requires: NAME``
of its docstring; it is skipped, with that reason, when the package is absent.
A script that needs data which may be missing (the ACAS Xu networks in
../shared/data) prints why and exits with status 77, the usual "skipped" code:
the test is then skipped with the script's own words.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from exactrelu.optional import EXTRAS, available

SKIPPED = 77  # an example's exit status for "cannot run here" (data absent), as automake's test harness reads it
EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def requirements(script: Path) -> list:
    doc = ast.get_docstring(ast.parse(script.read_text())) or ""
    return [name.strip() for line in doc.splitlines() if line.startswith("Requires:")
            for name in line.split(":", 1)[1].split(",")]


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_and_checks_itself(script):
    missing = [m for m in requirements(script) if not available(m)]
    if missing:
        pytest.skip(f"{script.name} needs {', '.join(missing)} (pip install \"exactrelu[{EXTRAS[missing[0]]}]\")")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    if result.returncode == SKIPPED:
        pytest.skip(f"{script.name}: {result.stdout.strip()[-300:]}")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.strip(), "an example must print what it shows"


def test_requirements_are_known_extras():
    for script in EXAMPLES:
        for name in requirements(script):
            assert name in EXTRAS, f"{script.name}: Requires: {name} is not an optional package in exactrelu.optional"


def test_each_example_opens_with_its_question():
    for script in EXAMPLES:
        doc = ast.get_docstring(ast.parse(script.read_text())) or ""
        first = doc.split("\n\n", 1)[0]
        assert first.endswith("?") and first.count("?") == 1, f"{script.name}: the docstring must open with one question"


def test_the_readme_lists_every_example():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    listed = {line.split("|")[1].strip() for line in readme.splitlines() if line.startswith("| ") and ".py |" in line}
    assert listed == {p.name for p in EXAMPLES}
