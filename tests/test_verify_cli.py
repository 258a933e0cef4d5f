"""`exactrelu verify`: result files, exit codes, proofs on disk, judging other tools' answers."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from exactrelu import Network
from exactrelu.cli import main
from exactrelu.verification.proof_check import check_proof
from exactrelu.verification.results import read_result

from test_verify import ACAS

HEAD = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 -1))\n(assert (<= X_0 1))\n"


@pytest.fixture
def files(tmp_path):
    Network([([[1], [-1]], [0, 0])], output=([[1, 1]], [0])).to_json(tmp_path / "abs.json")  # |x|
    (tmp_path / "holds.vnnlib").write_text(HEAD + "(assert (>= Y_0 1.5))\n")
    (tmp_path / "fails.vnnlib").write_text(HEAD + "(assert (>= Y_0 0.75))\n")
    return tmp_path


def test_unsat_writes_result_and_a_proof_the_checker_accepts(files, capsys):
    assert main(["verify", str(files / "abs.json"), str(files / "holds.vnnlib"), "-o", str(files / "r.txt"),
                 "--proof", str(files / "p.json")]) == 0
    assert (files / "r.txt").read_text() == "unsat\n"
    doc = json.loads((files / "p.json").read_text())
    assert check_proof(doc["network"], doc["property"], doc)


def test_sat_writes_an_exact_counterexample(files, capsys):
    assert main(["verify", str(files / "abs.json"), str(files / "fails.vnnlib"), "-o", str(files / "r.txt")]) == 1
    r = read_result(files / "r.txt")
    assert r.status == "sat" and abs(r.inputs[0]) >= Fraction(3, 4) and r.outputs == (abs(r.inputs[0]),)
    # our own result, judged: correct
    assert main(["verify", str(files / "abs.json"), str(files / "fails.vnnlib"), "--judge", str(files / "r.txt")]) == 0
    assert "verdict: correct" in capsys.readouterr().out


@pytest.mark.parametrize("claim, code, verdict", [
    ("sat\n((X_0 0.5)\n(Y_0 0.5))", 1, "invalid counterexample (exactly, the unsafe condition fails by 0.25)"),
    ("sat\n((X_0 0.74999)\n(Y_0 0.75))", 1, "within the replay tolerance"),
    ("sat\n((X_0 2)\n(Y_0 2))", 1, "outside every input box"),
    ("unsat", 1, "verdict: wrong"),
    ("timeout", 3, "verdict: undecided"),
])
def test_judging_claims_about_a_violated_property(files, capsys, claim, code, verdict):
    (files / "claim.txt").write_text(claim)
    assert main(["verify", str(files / "abs.json"), str(files / "fails.vnnlib"), "--judge", str(files / "claim.txt")]) == code
    out = capsys.readouterr().out
    assert verdict in out
    if claim == "unsat":
        assert "exact counterexample: X = [" in out


def test_a_wrong_sat_claim_on_a_holding_property(files, capsys):
    (files / "claim.txt").write_text("sat\n((X_0 1.0)\n(Y_0 1.5))")  # its output value is made up
    assert main(["verify", str(files / "abs.json"), str(files / "holds.vnnlib"), "--judge", str(files / "claim.txt")]) == 1
    assert "invalid counterexample" in capsys.readouterr().out


@pytest.mark.parametrize("setup, message", [
    (lambda d: (d / "bad.vnnlib").write_text(HEAD + "(assert (>= (* Y_0 Y_0) 1))"), "bad.vnnlib:5:13: a product of two variables"),
    (lambda d: (d / "bad.vnnlib").write_text(HEAD.replace("Y_0", "Y_0 Real)\n(declare-const Y_1", 1) + "(assert (>= Y_1 1))"),
     "names output Y_1, the network has 1 outputs"),
])
def test_bad_input_exits_2_with_a_message(files, capsys, setup, message):
    setup(files)
    assert main(["verify", str(files / "abs.json"), str(files / "bad.vnnlib")]) == 2
    assert message in capsys.readouterr().err


def test_a_result_file_in_the_wrong_format(files, capsys):
    (files / "claim.txt").write_text("sat\n((X_0 zero))")
    assert main(["verify", str(files / "abs.json"), str(files / "fails.vnnlib"), "--judge", str(files / "claim.txt")]) == 2
    assert "claim.txt:2:7: 'zero' is not a decimal number" in capsys.readouterr().err


@pytest.mark.skipif(not (ACAS / "ACASXU_run2a_1_7_batch_2000.onnx").is_file(), reason="ACAS Xu data not present")
def test_acas_1_7_property_3_through_the_cli(tmp_path, capsys):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    net, prop = ACAS / "ACASXU_run2a_1_7_batch_2000.onnx", ACAS / "prop_3.vnnlib"
    assert main(["verify", str(net), str(prop), "-o", str(tmp_path / "r.txt"), "--timeout", "120"]) == 1
    assert main(["verify", str(net), str(prop), "--judge", str(tmp_path / "r.txt")]) == 0
    out = capsys.readouterr().out
    assert "verdict: correct" in out and "onnxruntime at the same input" in out
    (tmp_path / "wrong.txt").write_text("unsat\n")
    assert main(["verify", str(net), str(prop), "--judge", str(tmp_path / "wrong.txt"), "--timeout", "120"]) == 1


@pytest.mark.parametrize("bad", ["nan", "inf", "-1", "0", "soon"])
def test_verify_refuses_a_timeout_that_is_not_a_positive_number_of_seconds(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "net.json", "prop.vnnlib", "--timeout", bad])
    assert exc.value.code == 2 and "seconds" in capsys.readouterr().err
