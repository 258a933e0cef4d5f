"""exactrelu.vnnlib: exact reading, the DNF of the unsafe set, errors with line and column."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exactrelu.vnnlib import Property, VnnlibError, parse, read

HEAD = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
BOX = "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= X_1 0))\n(assert (<= X_1 0.1))\n"


def test_box_and_output_disjunction():
    p = parse(HEAD + BOX + "(assert (or (<= Y_0 Y_1) (>= (+ Y_0 (* 2 Y_1)) 0.5)))")
    assert p.inputs == 2 and p.outputs == 2 and len(p.cases) == 2
    c0, c1 = p.cases
    assert c0.lower == (-1, 0) and c0.upper == (1, Fraction(1, 10))
    assert c0.constraints == (((1, -1), 0),)
    assert c1.constraints == (((-1, -2), Fraction(-1, 2)),)


def test_multi_box_form():
    text = HEAD + """(assert (or (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1) (<= Y_0 0))
                     (and (>= X_0 2) (<= X_0 3) (>= X_1 0) (<= X_1 1) (<= Y_1 0))))"""
    p = parse(text)
    assert [c.lower for c in p.cases] == [(0, 0), (2, 0)]
    assert [c.constraints for c in p.cases] == [(((1, 0), 0),), (((0, 1), 0),)]


@given(st.decimals(min_value=-1000, max_value=1000, places=9, allow_nan=False))
def test_decimals_are_read_exactly(d):
    text = f"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 {d}))\n(assert (<= X_0 {d}))\n(assert (<= Y_0 {d}))"
    p = parse(text)
    assert p.cases[0].lower == (Fraction(d),) and p.cases[0].constraints[0][1] == Fraction(d)


@pytest.mark.parametrize("tail, where, what", [
    ("(assert (<= Y_0 (* Y_0 Y_1)))", "5:17", "not linear"),
    ("(assert (< Y_0 1))", "5:9", "unsupported operator '<'"),
    ("(assert (<= Y_0 Z_3))", "5:17", "'Z_3' is not a declared variable"),
    ("(assert (<= (+ X_0 X_1) 1))", "5:9", "several inputs"),
    ("(assert (<= Y_0 X_0))", "5:9", "mixes inputs and outputs"),
    ("(assert (<= Y_0 1)", "5:1", "never closed"),
    ("(assert (<= Y_0 1)))", "5:20", "unbalanced"),
    ("(check-sat)", "5:1", "unsupported command 'check-sat'"),
    ("(assert (<= Y_0 (exp X_0)))", "5:17", "unsupported term operator 'exp'"),
])
def test_errors_name_line_and_column(tail, where, what):
    with pytest.raises(VnnlibError, match=f"^p.vnnlib:{where}: .*{what}"):
        parse(HEAD + tail, "p.vnnlib")


def test_unbounded_and_empty_regions_are_errors():
    with pytest.raises(VnnlibError, match="X_1 has no lower bound"):
        parse(HEAD + "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (<= X_1 1))\n(assert (<= Y_0 0))")
    with pytest.raises(VnnlibError, match="input region is empty"):
        parse(HEAD + BOX + "(assert (>= X_0 2))\n(assert (<= Y_0 0))")


def test_read_names_the_file(tmp_path):
    with pytest.raises(VnnlibError, match="no such file"):
        read(tmp_path / "missing.vnnlib")
    f = tmp_path / "bad.vnnlib"
    f.write_text(HEAD + "(assert (<= Y_0 1)")
    with pytest.raises(VnnlibError, match=f"^{f}:5:1: "):
        read(f)


def test_property_from_python():
    p = Property.box([0, "1/3"], [1, "0.5"], [[([1, -1], 0)], [([0, 1], "-0.25")]])
    assert p.cases[1].constraints == (((0, 1), Fraction(-1, 4)),) and p.cases[0].upper == (1, Fraction(1, 2))
    with pytest.raises(ValueError, match="lower > upper in input 1"):
        Property.box([0, 1], [1, 0], [[([1], 0)]])
    assert parse(HEAD + BOX + "(assert (<= Y_0 (- Y_1 0.25)))").to_json()["cases"][0]["constraints"] == [[["1", "-1"], "-1/4"]]
