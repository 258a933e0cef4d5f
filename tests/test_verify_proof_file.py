"""Proof files: `exactrelu verify --proof` writes one, `exactrelu check` re-checks it alone.

Accepted proofs exit 0 and say what they prove; every mutation (a flipped phase, a dropped
step, a changed Farkas multiplier, another network weight, another property bound) exits 1
naming the case and step; a file that is not a proof exits 2.  The checker's static import
closure is the standard library and python-flint only (like the kernel's, tests/test_kernel_closure.py).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import test_kernel_closure as kc
from exactrelu import Network
from exactrelu.cli import main
from exactrelu.testing import networks
from exactrelu.verification import verify
from exactrelu.verification.proof_check import check_proof_file, network_digest
from exactrelu.verification.results import proof_document
from test_verify import at_least, exact_max

# two stable neurons (3 + x_0 > 0 and x_1 - 5 < 0 on the box: 'fix' steps), splits, Farkas leaves, bounds
NET = Network([([[1, -1], [1, 1], [-1, 2], [1, 0], [0, 1]], [0, "-1/2", "1/4", 3, -5]),
               ([[1, -2, 1, 0, 1], [-1, 1, 1, "1/2", 0]], [0, 1])], output=([[1, -1]], [0]))


def _vnnlib(t: Fraction) -> str:
    return ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 -1))\n"
            f"(assert (<= X_0 1))\n(assert (>= X_1 -1))\n(assert (<= X_1 1))\n(assert (>= Y_0 {t.numerator / t.denominator!r}))\n")


@pytest.fixture(scope="module")
def proof(tmp_path_factory):
    """NET's maximum on [-1, 1]^2 is 1: 'Y_0 >= 1.25' never happens; the proof verify wrote, as JSON."""
    d = tmp_path_factory.mktemp("proof")
    assert exact_max(NET) == 1
    NET.to_json(d / "net.json")
    (d / "prop.vnnlib").write_text(_vnnlib(Fraction(5, 4)))
    assert main(["verify", str(d / "net.json"), str(d / "prop.vnnlib"), "--proof", str(d / "p.json")]) == 0
    doc = json.loads((d / "p.json").read_text())
    assert {s[0] for s in doc["trees"][0]} == {"fix", "split", "empty", "bound"}  # every kind is mutated below
    return d, doc


def _check(tmp_path, doc, *extra) -> tuple:
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(doc))
    return main(["check", str(path), *extra])


def test_an_accepted_proof_says_what_it_proves(proof, capsys):
    d, doc = proof
    capsys.readouterr()
    assert main(["check", str(d / "p.json")]) == 0
    out = capsys.readouterr().out
    assert f"accepted: the property holds (unsat) for the network with SHA-256 {network_digest(NET.to_json())}" in out
    leaves = sum(1 for s in doc["trees"][0] if s[0] in ("empty", "bound"))
    assert f"({leaves} leaves, {len(doc['trees'][0])} steps checked)" in out
    assert "case 0: x in [-1, 1], [-1, 1]; unsafe when -Y_0 <= -5/4" in out
    assert main(["check", str(d / "p.json"), "--network", str(d / "net.json"), "--property", str(d / "prop.vnnlib")]) == 0
    assert "the proof's network is exactly" in capsys.readouterr().out


def _mutations(doc: dict):
    tree = doc["trees"][0]
    for i, step in enumerate(tree):
        forged = copy.deepcopy(doc)
        del forged["trees"][0][i]
        yield f"step {i} dropped", forged, "case 0"
        if step[0] == "fix":
            forged = copy.deepcopy(doc)
            forged["trees"][0][i][3] = 1 - step[3]
            yield f"phase flipped at step {i}", forged, f"case 0, step {i}: neuron"
        if step[0] == "empty":
            j = next(j for j, v in enumerate(step[1]) if v != "0")
            forged = copy.deepcopy(doc)
            forged["trees"][0][i][1][j] = str(Fraction(step[1][j]) * 2)
            yield f"Farkas multiplier {j} doubled at step {i}", forged, f"case 0, step {i}: the multipliers"
    forged = copy.deepcopy(doc)
    forged["network"]["output"]["W"][0][0] = "3"  # y = 3 a_0 - a_1 reaches 3 > 5/4: the property is false
    yield "output weight 1 -> 3", forged, "case 0, step"
    forged = copy.deepcopy(doc)
    forged["network"]["layers"][0]["W"][3][0] = "5"  # neuron 3: 5 x_0 + 3, fixed active, now unstable
    yield "first-layer weight swapped", forged, "case 0, step 0: neuron (0, 3) does not have phase 1"
    forged = copy.deepcopy(doc)
    forged["property"]["cases"][0]["constraints"][0][1] = "-1"  # Y_0 >= 1 is met at the maximum: false
    yield "property bound 5/4 -> 1", forged, "case 0, step"
    forged = copy.deepcopy(doc)
    forged["property"]["cases"][0]["upper"][1] = "6"  # a larger box: x_1 - 5 is no longer <= 0 everywhere
    yield "input box widened", forged, "case 0, step 1: neuron (0, 4) does not have phase 0"


def test_every_mutation_is_rejected_naming_case_and_step(proof, tmp_path, capsys):
    _, doc = proof
    count = 0
    for name, forged, where in _mutations(doc):
        capsys.readouterr()
        assert _check(tmp_path, forged) == 1, f"accepted a forged proof: {name}"
        out = capsys.readouterr().out
        assert out.startswith("rejected: ") and where in out, (name, out)
        count += 1
    tree = doc["trees"][0]
    assert count == len(tree) + sum(1 for s in tree if s[0] in ("fix", "empty")) + 4  # every one was tried


def test_a_proof_about_other_files_is_rejected(proof, tmp_path, capsys):
    d, _ = proof
    Network([([[1, -1]], [0])], output=([[1]], [0])).to_json(tmp_path / "other.json")
    (tmp_path / "other.vnnlib").write_text(_vnnlib(Fraction(3, 2)))
    assert main(["check", str(d / "p.json"), "--network", str(tmp_path / "other.json")]) == 1
    assert "another network than" in capsys.readouterr().out
    assert main(["check", str(d / "p.json"), "--property", str(tmp_path / "other.vnnlib")]) == 1
    assert "another property than" in capsys.readouterr().out  # also holds, but it is not what was proved


@pytest.mark.parametrize("text, message", [
    ("{not json", "malformed JSON at line 1"),
    ('["exactrelu.verification-proof"]', "not a certificate (the top level must be a JSON object)"),
    ('{"format": "exactrelu.verification-proof", "version": 2}', "unsupported proof version 2"),
    ('{"format": "exactrelu.verification-proof", "version": 1, "network": {}, "property": {}}', "missing trees"),
    ('{"format": "exactrelu.verification-proof", "version": 1, "network": {}, "property": {}, "trees": [1]}',
     "trees: expected a list of trees"),
])
def test_a_file_that_is_not_a_proof_exits_2(tmp_path, capsys, text, message):
    (tmp_path / "p.json").write_text(text)
    assert main(["check", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_options_of_the_other_format_are_refused(proof, capsys):
    d, _ = proof
    assert main(["check", str(d / "p.json"), "--family", str(d / "net.json")]) == 2
    assert "--family applies to certificates" in capsys.readouterr().err


small_nets = networks(input_dim=2, widths=st.lists(st.integers(1, 4), min_size=1, max_size=2), output=1)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_nets, st.sampled_from([Fraction(1, 1000), Fraction(1, 3)]))
def test_every_proof_file_is_accepted_and_a_false_claim_rejected(net, delta):
    top = exact_max(net)
    doc = proof_document(net, at_least(top + delta), verify(net, at_least(top + delta)))
    assert check_proof_file(doc)["cases"] == 1
    forged = copy.deepcopy(doc)
    forged["property"] = at_least(top - delta).to_json()  # violated at the maximum: no proof can exist
    with pytest.raises(ValueError, match="case 0"):
        check_proof_file(forged)


# ------------------------------------------------------------ the checker's independence
ENTRY = "exactrelu.verification.proof_check"


def _closure() -> tuple[dict, set]:
    """({module: physical lines}, outside imports) of what importing the checker runs: its own imports,
    followed (anywhere in a file, as for the kernel), plus the package __init__ files Python runs on the
    way; of an __init__ only the module-level imports count (the verification package re-exports verify
    lazily, in a function that checking a proof never calls; the subprocess test below confirms it)."""
    import ast

    seen, todo, outside = {}, [ENTRY], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        path = kc._path(module)
        seen[module] = len(path.read_text().splitlines())
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(2, len(parts))]
        if path.name == "__init__.py":
            top = ast.Module(body=[n for n in ast.parse(path.read_text()).body if isinstance(n, (ast.Import, ast.ImportFrom))],
                             type_ignores=[])
            inside, out = set(), {a.name.split(".")[0] for n in top.body if isinstance(n, ast.Import) for a in n.names}
            for n in top.body:
                if isinstance(n, ast.ImportFrom) and not n.level and n.module != "__future__":
                    out.add(n.module.split(".")[0])
                elif isinstance(n, ast.ImportFrom) and n.level:
                    inside.add(module + ("." + n.module if n.module else ""))
        else:
            inside, out = kc._imports(module, path)
        todo += sorted(inside)
        outside |= out
    return seen, outside


def test_the_checkers_import_closure_is_stdlib_and_flint_only():
    modules, outside = _closure()
    foreign = sorted(m for m in outside if m not in sys.stdlib_module_names and m != "flint")
    assert foreign == [], f"the proof checker imports {foreign}"
    assert set(modules) == {ENTRY, "exactrelu.verification"}, modules
    lines = sum(modules.values())
    assert lines < 500, f"the proof checker's closure has {lines} physical lines"


def test_checking_a_proof_loads_neither_the_search_nor_numpy(proof):
    d, _ = proof
    code = ("import json, sys; from exactrelu.verification.proof_check import check_proof_file; "
            f"check_proof_file(json.load(open({str(d / 'p.json')!r}))); "
            "bad = [m for m in sys.modules if m in ('numpy', 'sympy', 'mpmath', 'scipy') "
            "or m.startswith(('exactrelu.verification.bab', 'exactrelu.verification.decide', 'exactrelu.exact'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
