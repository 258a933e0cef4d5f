"""The paper's experiments (examples/paper/) run in --fast mode and their results say what they should.

Each script is run once per session (module-scoped fixtures) into a temporary
--out directory; the tests then read the JSON it wrote.  Skipped, with the
reason, when torch, scikit-learn or matplotlib is missing.
"""

import json
import struct
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from exactrelu.optional import EXTRAS, available

PAPER = Path(__file__).resolve().parents[1] / "examples" / "paper"


def _run(script: str, out: Path) -> dict:
    result = subprocess.run([sys.executable, str(PAPER / script), "--fast", "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads((out / script.replace(".py", ".json")).read_text())


def _need(name: str) -> None:
    """Skip, saying what to install, when an optional package of the experiments is missing."""
    if not available(name):
        pytest.skip(f"the paper's experiments need {name!r} (pip install \"exactrelu[{EXTRAS[name]}]\")")


def _png_size(path: Path) -> tuple:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def verification(tmp_path_factory):
    _need("matplotlib")
    out = tmp_path_factory.mktemp("verification")
    return _run("verification.py", out), out


@pytest.fixture(scope="module")
def initialization(tmp_path_factory):
    for name in ("matplotlib", "torch", "sklearn"):
        _need(name)
    out = tmp_path_factory.mktemp("initialization")
    return _run("initialization.py", out), out


# ------------------------------------------------------------------ verification
def test_verification_files(verification):
    data, out = verification
    assert data["mode"] == "fast"
    for name in ("verification.png", "verification_bias.png"):
        w, h = _png_size(out / name)
        assert w > 300 and h > 200
    md = (out / "verification.md").read_text()
    assert md.count("\n| ") == len(data["families"]) + 1  # header + one row per family
    for fam in data["families"]:  # every certificate was written and is accepted by the checker
        from exactrelu import Certificate, check

        cert = Certificate.from_json(out / "certificates" / f"{fam['key']}.json")
        assert cert.verdict == fam["verdict"]
        if cert.verdict != "inconclusive":
            assert check(cert) is True


def test_verification_expected_verdicts(verification):
    data, _ = verification
    by = {(f["p"], f["A"], f["stand_in"], f["q"], f["c"][0] > 0): f for f in data["families"]}
    for A in ("A+", "A±"):
        assert by[("2", A, False, 2, True)]["verdict"] == "converges"  # p = 2: sufficient condition
        assert by[("2", A, False, 2, True)]["theorem"] == "T4"
        assert by[("3/2", A, True, 2, True)]["verdict"] == "converges"  # rational stand-in of n^-3/2
        for stand_in in (False, True):  # p = 1/2 is never certified converging
            assert by[("1/2", A, stand_in, 2, True)]["verdict"] != "converges"
        assert by[("1", A, False, 2, True)]["verdict"] != "converges"
    # A >= 0 entrywise: divergence certificates (T7b) for p = 1/2 (stand-in) and p = 1
    assert by[("1/2", "A+", True, 2, True)]["verdict"] == "diverges"
    assert by[("1", "A+", False, 2, True)]["verdict"] == "diverges"
    assert by[("2", "A+", False, 1, True)]["verdict"] == "diverges"  # b_n = c/n, c >= 0
    # irrational entries: exact families refuse them, the verdict says so
    assert by[("1/2", "A+", False, 2, True)]["verdict"] == "inconclusive"
    assert any("irrational" in r for r in by[("1/2", "A+", False, 2, True)]["reasons"])


def test_verification_bounds_hold(verification):
    data, _ = verification
    checked = 0
    for fam in data["families"]:
        for d, m in fam["depths"].items():
            if fam["verdict"] == "converges":
                bound = Fraction(m["diff_bound"])  # exact: T(d-1) + T(d)
                assert isinstance(m["measured_diff"], float) and 0 <= m["measured_diff"] <= bound
                assert Fraction(m["tail_bound"]) <= bound
                assert float(m["diff_bound_up"]) >= bound  # the displayed value is rounded up
                checked += 1
    assert checked >= 4 * len(data["depths"])
    # measured differences of the certified-convergent families decrease with depth
    for fam in data["families"]:
        if fam["verdict"] == "converges":
            diffs = [fam["depths"][str(d)]["measured_diff"] for d in data["depths"]]
            assert diffs == sorted(diffs, reverse=True)


def test_verification_float_pass_matches_exact(verification):
    data, _ = verification
    rational = [f for f in data["families"] if f["float_layer_check"] is not None]
    assert len(rational) >= 8
    assert all(f["float_layer_check"] < 1e-12 and f["float_forward_check"] < 1e-9 for f in rational)


# ------------------------------------------------------------------ initialization
def test_initialization_files(initialization):
    data, out = initialization
    for name in ("initialization_training.png", "initialization_sweep.png"):
        w, h = _png_size(out / name)
        assert w > 300 and h > 200
    assert "| 60 | sufficient c/n^2 |" in (out / "initialization.md").read_text()
    assert data["certificate"]["verdict"] == "converges" and data["certificate"]["theorem"] == "T4"
    from exactrelu import Certificate, check

    assert check(Certificate.from_json(out / "certificates" / "init_envelope.json")) is True


def test_initialization_accuracies(initialization):
    data, _ = initialization
    assert {r["scheme"] for r in data["runs"]} == {"he", "identity+noise", "sufficient c/n^2"}
    assert {r["depth"] for r in data["runs"]} == {30, 60}
    for r in data["runs"]:
        assert len(r["train_loss"]) == data["epochs"] + 1
        assert all(0.0 <= a <= 1.0 for a in r["test_accuracy"])
    for s in data["summary"]:
        assert s["min_test_accuracy"] <= s["mean_test_accuracy"] <= s["max_test_accuracy"]


def test_initialization_sufficient_init_is_certified(initialization):
    data, _ = initialization
    suff = [sw for sw in data["sweeps"] if sw["scheme"] == "sufficient c/n^2"]
    assert suff
    for sw in suff:
        assert sw["exact_layer_check"]["holds"] and Fraction(sw["exact_layer_check"]["max_norm_over_bound"]) <= 1
        assert Fraction(sw["input_radius"]) > 0
        for r in sw["rows"]:
            assert 0 <= r["max_dist_to_last"] <= Fraction(r["certified_dist_bound"])
        # the certified bounds decrease with depth, and so do the measured distances to the deepest output
        bounds = [Fraction(r["certified_dist_bound"]) for r in sw["rows"]]
        assert bounds == sorted(bounds, reverse=True)
        dists = [r["max_dist_to_last"] for r in sw["rows"]]
        assert dists == sorted(dists, reverse=True)
