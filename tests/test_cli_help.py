"""Every command's --help says what it does and shows examples, and every example runs (exit 0).

The examples run in a fresh temporary folder holding the files they read
(net.json: the built-in network, fam.json, cert.json, vectors.json,
points.txt, prop.vnnlib, proof.json (its proof), instances.csv (one instance: them), and impl.py: the implementation shown in 'oracle check --help');
a file an example writes itself is left out, so a command's examples run in
order as a user would type them.
"""

import argparse
import json
import shlex

import pytest

from exactrelu.cli import build_parser, main
from exactrelu.cli._help import example_lines
from exactrelu.optional import available


def parsers(parser, path=()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


PARSERS = dict(parsers(build_parser()))
NEEDS = {("plot",): "matplotlib"}  # commands that need an optional package


def test_every_command_is_covered():
    expected = {(), ("demo",), ("eval",), ("pattern",), ("regions",), ("certify",), ("check",), ("init-family",),
                ("oracle",), ("oracle", "make"), ("oracle", "check"), ("plot",), ("verify",)}
    assert expected <= set(PARSERS)  # a new command is covered by the tests below automatically


@pytest.mark.parametrize("path", list(PARSERS), ids=[" ".join(p) or "exactrelu" for p in PARSERS])
def test_help_says_what_and_shows_examples(path):
    parser = PARSERS[path]
    text = parser.format_help()
    assert parser.description and len(parser.description) > 60, path
    assert "Examples:" in text and example_lines(parser.epilog), path
    for line in example_lines(parser.epilog):  # an example of this command, not of another
        assert line.startswith(" ".join(("exactrelu", *path))) or not path, line
    for action in parser._actions:  # every option explains itself
        assert action.help or isinstance(action, argparse._SubParsersAction), (path, action.dest)


def _impl_source() -> str:
    """The implementation the 'oracle check' help shows, as a file (its lines without their indent)."""
    epilog = PARSERS[("oracle", "check")].epilog
    block = epilog.split("for instance:\n\n", 1)[1].split("\n\n", 1)[0]
    return "\n".join(line[2:] for line in block.splitlines()) + "\n"


def _written(lines):
    """The files the example lines write themselves (after -o, --output or --json)."""
    out = set()
    for line in lines:
        words = shlex.split(line)
        out |= {b for a, b in zip(words, words[1:]) if a in ("-o", "--output", "--json", "--proof")}
    return out


def _proof(net) -> dict:
    """The proof file 'exactrelu verify net.json prop.vnnlib --proof proof.json' writes (same property)."""
    from exactrelu.verification import verify
    from exactrelu.verification.results import proof_document
    from exactrelu.vnnlib import Property

    prop = Property.box([-1, -1], [1, 1], [[([-1], "-31/10")]])
    return proof_document(net, prop, verify(net, prop))


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    from exactrelu import oracle
    from exactrelu.cli.families import template
    from exactrelu.demo import demo_network
    from exactrelu.depth.certifier import certify
    from exactrelu.depth.family import Family

    net = demo_network()
    files = {
        "net.json": lambda p: net.to_json(p),
        "fam.json": lambda p: Family.from_json(template(2)).to_json(p),
        "cert.json": lambda p: certify(Family.from_json(template(2))).to_json(p),
        "vectors.json": lambda p: oracle.save(oracle.make_vectors(net, [[0, 0], ["1/3", "-1/7"]]), p),
        "points.txt": lambda p: p.write_text("1/3 -1/7\n0.5 0.5\n0 1\n"),
        "impl.py": lambda p: p.write_text(_impl_source()),
        # the built-in network's output reaches 61/20 on [-1, 1]^2, so "Y_0 >= 3.1" never happens: unsat
        "prop.vnnlib": lambda p: p.write_text(
            "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
            "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= X_1 -1))\n(assert (<= X_1 1))\n"
            "(assert (>= Y_0 3.1))\n"),
        "proof.json": lambda p: p.write_text(json.dumps(_proof(net))),
        "instances.csv": lambda p: p.write_text("net.json,prop.vnnlib,60\n"),  # VNN-COMP's rows: onnx,vnnlib,timeout
    }
    monkeypatch.chdir(tmp_path)

    def prepare(lines):
        for name, make in files.items():
            if name not in _written(lines):
                make(tmp_path / name)
        return tmp_path

    return prepare


@pytest.mark.parametrize("path", list(PARSERS), ids=[" ".join(p) or "exactrelu" for p in PARSERS])
def test_every_example_runs(path, workspace, capsys):
    if path in NEEDS and not available(NEEDS[path]):
        pytest.skip(f"{' '.join(path)} needs {NEEDS[path]}")
    lines = example_lines(PARSERS[path].epilog)
    folder = workspace(lines)
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "exactrelu"
        assert main(words[1:]) == 0, (line, capsys.readouterr())
        for name in _written([line]):
            assert (folder / name).is_file(), line
        capsys.readouterr()


def test_init_family_writes_a_file_that_loads_and_certifies(tmp_path, capsys):
    from exactrelu.depth.certifier import certify
    from exactrelu.depth.family import Family

    for dim in (1, 3):
        path = tmp_path / f"fam{dim}.json"
        assert main(["init-family", "--dim", str(dim), "-o", str(path)]) == 0
        out = capsys.readouterr().out
        assert "W        the m x m weight matrix" in out  # the field guide comes with the file
        fam = Family.from_json(path)
        assert fam.width == dim and fam.start == 1
        assert main(["certify", str(path), "--quiet"]) == 0
        verdict = capsys.readouterr().out.split()[0]
        assert verdict == certify(fam).verdict == "converges"  # W = I + A/n^2, b = +-1/n^2: T4
    # an existing file is kept; --force replaces it
    before = (tmp_path / "fam1.json").read_text()
    assert main(["init-family", "-o", str(tmp_path / "fam1.json")]) == 2
    assert "exists; give --force" in capsys.readouterr().err and (tmp_path / "fam1.json").read_text() == before
    assert main(["init-family", "-o", str(tmp_path / "fam1.json"), "--force"]) == 0
    assert Family.from_json(tmp_path / "fam1.json").width == 2


def test_init_family_without_output_prints_the_json_and_the_guide_apart(capsys):
    from exactrelu.depth.family import Family

    assert main(["init-family"]) == 0
    out, err = capsys.readouterr()
    assert Family.from_json(out).width == 2 and "Fields of a family file" in err  # stdout is the file alone
    with pytest.raises(SystemExit):
        main(["init-family", "--dim", "0"])
    assert "--dim: expected 1 to 100, got 0" in capsys.readouterr().err


def test_certify_prints_the_limit_rounded_and_marked_or_exact(tmp_path, capsys):
    fam = tmp_path / "f.json"
    fam.write_text('{"format": "exactrelu.family", "version": 1, "W": [["1/7"]], "b": ["1"]}')  # y* = y*/7 + 1
    assert main(["certify", str(fam), "--quiet"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("limit (~1.16667)")
    assert main(["certify", str(fam), "--quiet", "--exact"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("limit (7/6)")
    assert main(["certify", str(fam)]) == 0
    assert "**Limit** (~ marks a rounded value; --exact prints it exactly): (~1.16667)" in capsys.readouterr().out
    fam.write_text('{"format": "exactrelu.family", "version": 1, "W": [["1/3"]], "b": ["1"]}')  # y* = 3/2
    assert main(["certify", str(fam)]) == 0
    assert "**Limit (exact):** (1.5)" in capsys.readouterr().out  # a short decimal is exact: no mark


def test_demo_writes_the_built_in_network_once(tmp_path, capsys):
    from exactrelu import Network
    from exactrelu.demo import demo_network

    path = tmp_path / "net.json"
    assert main(["demo", "-o", str(path)]) == 0
    assert Network.from_json(path) == demo_network()
    assert main(["demo", "-o", str(path)]) == 2 and "exists; give --force" in capsys.readouterr().err


def test_certify_prints_tail_bounds_rounded_up_or_exact(tmp_path, capsys):
    import re
    from fractions import Fraction

    from exactrelu.cli._numbers import upper_text
    from exactrelu.cli.families import template
    from exactrelu.depth.certifier import certify
    from exactrelu.depth.family import Family

    fam = tmp_path / "f.json"
    Family.from_json(template(2)).to_json(fam)
    cert = certify(Family.from_json(fam), radius=2)
    for extra in ([], ["--digits", "3"], ["--exact"]):
        assert main(["certify", str(fam), "--radius", "2", *extra]) == 0
        shown = re.findall(r"^- depth (\d+): \|\|N_inf\(x\) - N_\d+\(x\)\|\| <= (\S+)$", capsys.readouterr().out, re.M)
        assert len(shown) >= 3
        for d, text in shown:
            bound = cert.tail_bound(int(d), 2)
            if extra == ["--exact"]:
                assert Fraction(text) == bound
            else:  # a true bound: the exact one rounded up (tests/test_cli_numbers.py checks the rounding)
                assert bound <= Fraction(text) and text == upper_text(bound, 3 if extra else 6)
