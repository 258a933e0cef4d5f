"""`exactrelu limit`: a certified enclosure of N_inf(x), printed rounded outward (or exactly)."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

from exactrelu.cli import main


def _write(path, W, b):
    path.write_text(json.dumps({"format": "exactrelu.family", "version": 1, "W": W, "b": b}))
    return str(path)


def _boxes(text: str) -> list:
    line = text.splitlines()[0]
    return [(Fraction(lo), Fraction(hi)) for lo, hi in re.findall(r"\[([^,\]]+), ([^\]]+)\]", line)]


def test_limit_encloses_the_exact_fixed_point(tmp_path, capsys):
    # y -> ReLU(y/3 + 1): the limit is 3/2 (T6); 1/3-type endpoints force rounding
    fam = _write(tmp_path / "f.json", [["1/3"]], ["1"])
    assert main(["limit", fam, "--x", "5", "--tol", "1/1000", "--digits", "3"]) == 0
    out = capsys.readouterr().out
    (lo, hi), = _boxes(out)
    assert lo <= Fraction(3, 2) <= hi and "rule T6" in out
    assert main(["limit", fam, "--x", "5", "--tol", "1/1000", "--exact"]) == 0
    (elo, ehi), = _boxes(capsys.readouterr().out)
    assert lo <= elo <= Fraction(3, 2) <= ehi <= hi and ehi - elo <= Fraction(1, 1000)  # rounding only widens


def test_limit_of_a_t4_family_and_refusals(tmp_path, capsys):
    fam = _write(tmp_path / "f.json", [["1 + 1/n^2"]], ["0"])  # N_inf(1) = sinh(pi)/pi = 3.67607...
    assert main(["limit", fam, "--x", "1", "--tol", "1/100"]) == 0
    (lo, hi), = _boxes(capsys.readouterr().out)
    assert lo <= Fraction(367607, 100000) <= hi and hi - lo <= Fraction(11, 1000)
    div = _write(tmp_path / "d.json", [["1"]], ["1/n"])
    assert main(["limit", div, "--x", "0", "--tol", "1/10"]) == 1
    assert "DIVERGE" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["limit", fam, "--x", "1"])  # --tol is required
    assert exc.value.code == 2
