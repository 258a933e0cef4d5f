"""Tests for exactrelu.numeric.evaluation: evaluate, crosscheck and limit."""

from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import exactrelu
from exactrelu.nets.contexts import mpf_to_fraction
from exactrelu.nets.network import Network
from exactrelu.numeric.evaluation import CrossCheck, crosscheck, evaluate

from test_errorbounds import net_and_inputs

# 0.1 * 1 + 0.2 * 1 - 0.3 is exactly 0, but fl(0.1) + fl(0.2) - fl(0.3) = 2^-54 > 0 in doubles
FLIP = Network([([["1/10", "2/10"], [1, 0]], ["-3/10", 0])], output=([[1, 1]], [0]))


def test_evaluate_public_api_and_types():
    assert exactrelu.evaluate is evaluate
    net = Network([([[1, -1]], ["1/3"])])
    X = [[1, 0], [0, 1]]
    assert evaluate(net, X) == [(Fraction(4, 3),), (Fraction(0),)]
    arr = evaluate(net, np.array(X, dtype=float), "numpy")
    assert arr.dtype == np.float64 and arr.tolist() == [[4 / 3], [0.0]]
    mp = evaluate(net, X, "mpmath", prec=100)
    assert abs(mpf_to_fraction(mp[0][0]) - Fraction(4, 3)) < Fraction(1, 2**99)
    balls = evaluate(net, X, "arb")
    assert isinstance(balls[0][0], flint.arb)
    # each ball contains the exact output, and is tight: it excludes values 2^-40 away
    for ball, exact in ((balls[0][0], Fraction(4, 3)), (balls[1][0], Fraction(0))):
        assert ball.contains(flint.fmpq(exact.numerator, exact.denominator))
        assert not ball.contains(flint.fmpq(exact.numerator, exact.denominator) + flint.fmpq(1, 2**40))
    with pytest.raises(ValueError, match="expected an exactrelu Network"):
        evaluate([[1]], X)
    with pytest.raises(ValueError, match="unknown context"):
        evaluate(net, X, "float64")


def test_crosscheck_finds_the_float64_sign_flip():
    # independent check that the crafted pre-activation really flips in doubles
    assert 0.1 * 1 + 0.2 * 1 - 0.3 > 0
    r = crosscheck(FLIP, [[1, 1], [1, 0]])
    assert isinstance(r, CrossCheck) and not r.ok
    [m] = r.pattern_mismatches
    assert (m.input, m.layer, m.neuron, m.exact) == (0, 0, 0, 0) and m.numeric > 0
    assert any((u.input, u.layer, u.neuron) == (0, 0, 0) for u in r.unstable)
    assert r.unstable_inputs == (0,) and not r.violations
    text = str(r)
    assert "NOT OK" in text and "pattern mismatches" in text and "unstable" in text


def test_crosscheck_arb_contains_and_mpmath_reports_unstable():
    r = crosscheck(FLIP, [[1, 1]], context="arb", prec=80)
    assert r.ok and not r.violations and r.unstable_inputs == (0,)  # a ball around 0 cannot decide either
    r = crosscheck(FLIP, [[1, 1]], context="mpmath", prec=200)
    assert not r.violations and r.unstable_inputs == (0,)
    assert r.max_abs_error < Fraction(1, 2**190)


@settings(max_examples=25)
@given(net_and_inputs(max_n=4), st.sampled_from([("numpy", 53), ("numpy", 24), ("mpmath", 30), ("arb", 40)]))
def test_crosscheck_invariants(case, ctx):
    # the bounds are rigorous, so every activation that differs must have been flagged unstable
    net, X = case
    r = crosscheck(net, X, context=ctx[0], prec=ctx[1])
    assert not r.violations
    flagged = {(u.input, u.layer, u.neuron) for u in r.unstable}
    assert all((m.input, m.layer, m.neuron) in flagged for m in r.pattern_mismatches)
    assert r.ok == (ctx[0] == "arb" or not r.pattern_mismatches) and not r.unavailable
    if ctx == ("numpy", 53):  # the reported maximum error, recomputed from evaluate()
        worst = max(abs(Fraction(float(v)) - e) for row, er in zip(evaluate(net, X, "numpy"), evaluate(net, X))
                    for v, e in zip(row, er))
        assert r.max_abs_error == worst


def test_crosscheck_errors_and_overflow():
    with pytest.raises(ValueError, match="choose 'numpy'"):
        crosscheck(FLIP, [[1, 1]], context="exact")
    with pytest.raises(ValueError, match="input row 0, column 1: NaN"):
        crosscheck(FLIP, [[1, float("nan")]])
    net = Network([([[2]], [0])])
    r = crosscheck(net, [[1e308]])
    assert r.unavailable == (0,) and "overflow" in str(r) and not r.ok


# ------------------------------------------------------------------ limit


def test_limit_t6_contains_the_fixed_point():
    from exactrelu.depth.family import Family

    fam = Family([["1/2", "1/4"], ["-1/4", "1/3"]], ["1", "-1/2"])
    # by hand: with pattern (1, 0), y1 = y1/2 + 1 gives y1 = 2; then z2 = -2/4 + 0/3 - 1/2 = -1 <= 0, so y2 = 0.
    # |W| (1,1) = (3/4, 7/12) <= 3/4 (1,1): a contraction, so (2, 0) is the unique fixed point (T6).
    tol = Fraction(1, 10**6)
    enc = exactrelu.limit(fam, [3, -5], tol)
    assert enc.contains((2, 0)) and enc.width <= tol and enc.agrees
    assert enc.certificate.verdict == "converges" and enc.exact == (2, 0)
    # the exact truncation at the chosen depth lies inside as well (it is within the tail bound of the limit)
    assert enc.contains(fam.truncate(enc.depth)([3, -5]))
    assert all(isinstance(v, mpmath.mpf) for v in enc.mpmath_value)


def test_limit_t4_width_and_crosscheck():
    from exactrelu.depth.family import Family

    fam = Family([["1 + 1/n^2", "2/n^2"], ["0", "1 - 1/n^2"]], ["1/2^n", "-1/2^n"])
    tol = Fraction(1, 5)
    enc = exactrelu.limit(fam, [1, 1], tol)
    assert enc.certificate.theorem == "T4" and enc.width <= tol and enc.agrees
    assert all(l <= mpf_to_fraction(v) + tol and mpf_to_fraction(v) - tol <= u
               for l, v, u in zip(enc.lower, enc.mpmath_value, enc.upper))
    # the second coordinate: z2 = (1 - 1/n^2) y2 - 1/2^n from y2 = 1 only decreases, so 0 <= N_inf_2 <= 1
    assert enc.upper[1] >= 0 and enc.lower[1] <= 1
    assert "T4" in str(enc)


def test_limit_refuses_divergent_and_bad_arguments():
    from exactrelu.depth.family import Family

    with pytest.raises(ValueError, match="DIVERGE"):
        exactrelu.limit(Family([["1"]], ["1"]), [0], "1/10")  # y_n = y_0 + n diverges
    # y -> relu(-y + 1) from x = 1 alternates 0, 1, 0, ...: a periodic orbit (T7a), no limit
    with pytest.raises(ValueError, match="DIVERGE"):
        exactrelu.limit(Family([["-1"]], ["1"]), [1], "1/10")
    fam = Family([["1/2"]], ["1"])
    with pytest.raises(ValueError, match="tol must be positive"):
        exactrelu.limit(fam, [0], 0)
    with pytest.raises(ValueError, match="dimension"):
        exactrelu.limit(fam, [0, 1], "1/10")
    with pytest.raises(ValueError, match="max_depth"):  # 3 / 2^d <= 1/4000 needs d = 14 (see Certificate.depth_for)
        exactrelu.limit(fam, [0], "1/1000", max_depth=5)
    with pytest.raises(ValueError, match="expects an exactrelu Family"):
        exactrelu.limit("family.json", [0], "1/10")
    with pytest.raises(ValueError, match="about 10\\^-100000"):  # a short message, not 100000 digits
        exactrelu.limit(fam, [0], Fraction(1, 10**100000), max_depth=5)


def test_crosscheck_report_prints_beyond_float_range():
    # exact outputs near 1e500: the report used float(q) and raised OverflowError in str()
    net = Network([([[10**200]], [0])], output=([[10**200]], [0]))
    for context in ("mpmath", "numpy", "arb"):
        text = str(crosscheck(net, [[10**100]], context))
        assert text.startswith(f"crosscheck {context}")
    assert "max abs error ~1e4" in str(crosscheck(net, [[10**100]], "mpmath"))
