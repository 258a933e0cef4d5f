"""VNN-COMP entry points: run-instance, run-instances over an instances.csv, judge-instances (batch judge)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from exactrelu import Network
from exactrelu.cli import main
from exactrelu.verification.instances import Instance, result_name
from exactrelu.verification.results import read_result

HEAD = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 -1))\n(assert (<= X_0 1))\n"


@pytest.fixture
def bench(tmp_path):
    """A benchmark folder as VNN-COMP lays it out: |x| on [-1, 1]; 'holds' (|x| >= 3/2) and 'fails' (|x| >= 3/4)."""
    (tmp_path / "onnx").mkdir()
    (tmp_path / "vnnlib").mkdir()
    Network([([[1], [-1]], [0, 0])], output=([[1, 1]], [0])).to_json(tmp_path / "onnx" / "abs.json")
    (tmp_path / "vnnlib" / "holds.vnnlib").write_text(HEAD + "(assert (>= Y_0 1.5))\n")
    with gzip.open(tmp_path / "vnnlib" / "fails.vnnlib.gz", "wt") as f:  # VNN-COMP ships gzipped files
        f.write(HEAD + "(assert (>= Y_0 0.75))\n")
    with open(tmp_path / "onnx" / "abs.json", "rb") as src, gzip.open(tmp_path / "onnx" / "absz.json.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    (tmp_path / "instances.csv").write_text(
        "onnx/abs.json,vnnlib/holds.vnnlib,10\nonnx/absz.json.gz,vnnlib/fails.vnnlib,10\n\n")  # .gz found
    return tmp_path


def test_run_instance_writes_the_result_file(bench, capsys):
    assert main(["run-instance", "test", str(bench / "onnx/abs.json"), str(bench / "vnnlib/holds.vnnlib"),
                 str(bench / "out/r.txt"), "10"]) == 0
    assert (bench / "out/r.txt").read_text() == "unsat\n"
    assert main(["run-instance", "test", str(bench / "onnx/abs.json"), str(bench / "vnnlib/fails.vnnlib.gz"),
                 str(bench / "r2.txt"), "10"]) == 0
    r = read_result(bench / "r2.txt")
    assert r.status == "sat" and abs(r.inputs[0]) >= 0.75 and r.outputs == (abs(r.inputs[0]),)


def test_run_instances_table_summary_and_result_files(bench, capsys):
    assert main(["run-instances", str(bench / "instances.csv"), "--results", str(bench / "res")]) == 0
    out, err = capsys.readouterr()
    assert "[1/2] abs_holds (timeout 10 s)" in err and "[2/2] absz_fails" in err
    lines = out.splitlines()
    assert lines[0].split() == ["instance", "result", "seconds"]
    assert lines[1].split()[:2] == ["abs_holds", "unsat"] and lines[2].split()[:2] == ["absz_fails", "sat"]
    assert lines[-1].startswith("2 instances: 1 unsat, 1 sat;")
    assert (bench / "res/abs_holds.txt").read_text() == "unsat\n"
    assert read_result(bench / "res/absz_fails.txt").status == "sat"


def test_an_instance_with_bad_files_is_an_error_row_and_the_others_run(bench, capsys):
    (bench / "instances.csv").write_text("onnx/nothere.onnx,vnnlib/holds.vnnlib,10\nonnx/abs.json,vnnlib/holds.vnnlib,10\n")
    assert main(["run-instances", str(bench / "instances.csv"), "--results", str(bench / "res")]) == 2
    out, err = capsys.readouterr()
    assert "nothere_holds  error" in out and "abs_holds      unsat" in out and "no such file" in err


@pytest.mark.parametrize("text, message", [
    ("a.onnx,p.vnnlib\n", "instances.csv:1: expected 'onnx,vnnlib,timeout', got 2 field(s)"),
    ("a.onnx,p.vnnlib,60\na.onnx,p.vnnlib,soon\n", "instances.csv:2: the timeout 'soon' is not a number"),
    ("a.onnx,p.vnnlib,-1\n", "instances.csv:1: the timeout must be a positive number"),
    ("\n", "no instances"),
])
def test_a_malformed_instances_file_names_the_line(tmp_path, capsys, text, message):
    (tmp_path / "instances.csv").write_text(text)
    assert main(["run-instances", str(tmp_path / "instances.csv")]) == 2
    assert message in capsys.readouterr().err


def test_a_corrupt_gzip_file_is_a_clear_error(bench, capsys):
    (bench / "vnnlib" / "fails.vnnlib.gz").write_bytes(b"not gzip")
    assert main(["run-instance", "t", str(bench / "onnx/abs.json"), str(bench / "vnnlib/fails.vnnlib.gz"),
                 str(bench / "r.txt"), "10"]) == 2
    assert "fails.vnnlib.gz: not a readable gzip text file" in capsys.readouterr().err
    assert not (bench / "r.txt").exists()


def test_result_names():
    assert result_name(Instance(Path("onnx/ACASXU_run2a_1_1_batch_2000.onnx.gz"), Path("vnnlib/prop_3.vnnlib"), 60)) \
        == "ACASXU_run2a_1_1_batch_2000_prop_3.txt"


def test_judge_instances_counts_every_kind_of_verdict(bench, capsys):
    rows = ["onnx/abs.json,vnnlib/holds.vnnlib,10",  # the other tool: unsat, right
            "onnx/abs.json,vnnlib/fails.vnnlib,10",  # unsat, wrong: exactrelu finds a counterexample
            "onnx/abs.json,vnnlib/fails2.vnnlib,10",  # sat at x = 0.74999: |x| >= 3/4 fails by 1e-5
            "onnx/abs.json,vnnlib/fails3.vnnlib,10",  # sat at x = 0.5: fails by 1/4
            "onnx/abs.json,vnnlib/fails4.vnnlib,10",  # timeout
            "onnx/abs.json,vnnlib/fails5.vnnlib,10"]  # no result file
    for k in range(2, 6):
        shutil.copy(bench / "vnnlib" / "fails.vnnlib.gz", bench / "vnnlib" / f"fails{k}.vnnlib.gz")
    (bench / "instances.csv").write_text("\n".join(rows) + "\n")
    res = bench / "other"
    res.mkdir()
    for name, text in [("holds", "unsat"), ("fails", "unsat\n"), ("fails2", "sat\n((X_0 0.74999)\n(Y_0 0.75))"),
                       ("fails3", "sat\n((X_0 0.5)\n(Y_0 0.5))"), ("fails4", "timeout")]:
        (res / f"abs_{name}.txt").write_text(text)
    assert main(["judge-instances", str(bench / "instances.csv"), str(res)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["instance", "claim", "verdict", "seconds"]
    assert "correct" in out.splitlines()[1] and " wrong " in out.splitlines()[2]
    assert "invalid, within tolerance" in out.splitlines()[3] and "invalid counterexample" in out.splitlines()[4]
    assert "undecided" in out.splitlines()[5] and "missing" in out.splitlines()[6]
    assert "abs_fails: exact counterexample X = [" in out
    assert out.splitlines()[-1] == ("totals: correct 1, wrong 1, invalid counterexample 1, invalid, within tolerance 1, "
                                    "undecided 1, missing 1")


def test_judge_instances_all_right_exits_0(bench, capsys):
    (bench / "instances.csv").write_text("onnx/abs.json,vnnlib/holds.vnnlib,10\n")
    (bench / "res").mkdir()
    (bench / "res" / "abs_holds.txt").write_text("unsat\n")
    assert main(["judge-instances", str(bench / "instances.csv"), str(bench / "res")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("totals: correct 1, wrong 0")
