"""ACAS Xu property 4 (tests/data/acasxu_prop_4.vnnlib, written from Katz et al.'s phi_4): it parses to
the normalised box its comments derive, and on network 1_7 it is decided consistently."""

from __future__ import annotations

import gzip
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from exactrelu.testing import acas_dir
from exactrelu.vnnlib import read

PROP_4 = Path(__file__).resolve().parent / "data" / "acasxu_prop_4.vnnlib"
ACAS = acas_dir() or Path("/nonexistent")


def normalised(x, mean, rng) -> Fraction:
    return (Fraction(x) - Fraction(mean)) / Fraction(rng)


def test_property_4_is_phi_4_normalised():
    p = read(PROP_4)
    assert (p.inputs, p.outputs, len(p.cases)) == (5, 5, 1)
    case = p.cases[0]
    assert case.lower[2] == case.upper[2] == 0  # psi = 0
    exact = [(normalised(1500, "19791.091", 60261), normalised(1800, "19791.091", 60261)),  # rho in [1500, 1800]
             (normalised("-0.06", 0, "6.28318530718"), normalised("0.06", 0, "6.28318530718")),  # theta
             (normalised(1000, 650, 1100), normalised(1200, 650, 1100)),  # v_own in [1000, 1200]
             (normalised(700, 600, 1200), normalised(800, 600, 1200))]  # v_int in [700, 800]
    for i, (lo, hi) in zip((0, 1, 3, 4), exact):  # 9 decimals, as prop_3 writes them
        assert abs(lo - case.lower[i]) < Fraction(1, 10**9) and abs(case.upper[i] - hi) < Fraction(1, 10**9), i
        if i >= 3:  # the bounds this file derives are rounded outward: the box contains the exact one
            assert case.lower[i] <= lo and hi <= case.upper[i], i
    # unsafe: Y_0 <= Y_j for j = 1..4 (COC minimal)
    assert sorted(c for c, _ in case.constraints) == sorted(
        tuple(Fraction(int(k == 0) - int(k == j)) for k in range(5)) for j in range(1, 5))
    assert all(d == 0 for _, d in case.constraints)
    if (ACAS / "prop_3.vnnlib").is_file():  # rho and theta: the same bounds as the shipped property 3
        p3 = read(ACAS / "prop_3.vnnlib").cases[0]
        assert (p3.lower[:2], p3.upper[:2]) == (case.lower[:2], case.upper[:2])


@pytest.mark.skipif(not (ACAS / "ACASXU_run2a_1_7_batch_2000.onnx").is_file(), reason="ACAS Xu data not present")
def test_network_1_7_violates_property_4_and_the_answer_is_judged_correct(tmp_path, capsys):
    pytest.importorskip("onnx")
    from exactrelu.cli import main

    net = ACAS / "ACASXU_run2a_1_7_batch_2000.onnx"
    with open(net, "rb") as src, gzip.open(tmp_path / (net.name + ".gz"), "wb") as dst:  # as VNN-COMP ships it
        shutil.copyfileobj(src, dst)
    assert main(["run-instance", "acasxu", str(tmp_path / net.name), str(PROP_4), str(tmp_path / "r.txt"), "60"]) == 0
    assert (tmp_path / "r.txt").read_text().startswith("sat\n")  # Katz et al.: phi_4 fails on N_1,7
    assert main(["verify", str(net), str(PROP_4), "--judge", str(tmp_path / "r.txt")]) == 0
    assert "verdict: correct" in capsys.readouterr().out
    (tmp_path / "wrong.txt").write_text("unsat\n")
    assert main(["verify", str(net), str(PROP_4), "--judge", str(tmp_path / "wrong.txt"), "--timeout", "60"]) == 1
