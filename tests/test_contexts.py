"""Tests for exactrelu.nets.contexts: the four arithmetics, input validation, conversions."""

from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.nets.contexts import (
    ArbContext,
    ExactContext,
    MpmathContext,
    NumpyContext,
    arb_to_interval,
    get_context,
    mpf_to_fraction,
    read_inputs,
)
from exactrelu.numeric.errorbounds import float_error_bounds
from exactrelu.nets.network import Network

from test_errorbounds import net_and_inputs


@settings(max_examples=40)
@given(net_and_inputs(max_n=5))
def test_exact_batch_matches_network_call(case):
    # two independent exact computations: fmpz batch products vs Network's per-input fmpq path
    net, X = case
    trace = ExactContext().forward(net, X, record=True)
    assert trace.output == [net(x) for x in X]
    for layer, zs in enumerate(trace.pre):
        assert zs == [net.pre_activations(x)[layer] for x in X]


@settings(max_examples=30)
@given(net_and_inputs(max_n=3), st.sampled_from([20, 53, 150]))
def test_arb_balls_contain_exact_values(case, prec):
    net, X = case
    exact = ExactContext().forward(net, X, record=True)
    balls = ArbContext(prec).forward(net, X, record=True)
    for row_b, row_e in zip(balls.output, exact.output):
        assert all(isinstance(b, flint.arb) for b in row_b)
        for b, e in zip(row_b, row_e):
            lo, hi = arb_to_interval(b)
            assert lo <= e <= hi
    for zb, ze in zip(balls.pre, exact.pre):
        for rb, re in zip(zb, ze):
            assert all(arb_to_interval(b)[0] <= e <= arb_to_interval(b)[1] for b, e in zip(rb, re))


@settings(max_examples=20)
@given(net_and_inputs(max_n=3))
def test_mpmath_high_precision_agrees_within_its_bound(case):
    net, X = case
    out = MpmathContext(300).forward(net, X).output
    bounds = float_error_bounds(net, X, 300)
    for row, e, eb in zip(out, ExactContext().forward(net, X).output, bounds):
        for v, q, bnd in zip(row, e, eb.output):
            assert abs(mpf_to_fraction(v) - q) <= bnd < Fraction(1, 2**250) * (1 + abs(q)) * 10**6


def test_return_types_and_shapes():
    net = Network([([[1, 2], [3, 4]], [0, 1])], output=([[1, -1], [2, 0], [0, 1]], [0, 0, 1]))
    X = [[1, 0], [0, 1], ["1/2", "1/3"]]
    ex = ExactContext().forward(net, X).output
    assert isinstance(ex, list) and all(isinstance(r, tuple) and len(r) == 3 for r in ex)
    assert all(isinstance(v, Fraction) for r in ex for v in r)
    a64 = NumpyContext().forward(net, X).output
    assert a64.dtype == np.float64 and a64.shape == (3, 3)
    a32 = NumpyContext(24).forward(net, X).output
    assert a32.dtype == np.float32 and a32.shape == (3, 3)
    mp = MpmathContext(80).forward(net, X).output
    assert isinstance(mp, list) and all(isinstance(v, mpmath.mpf) for r in mp for v in r)
    empty = ExactContext().forward(net, []).output
    assert empty == [] and NumpyContext().forward(net, np.zeros((0, 2))).output.shape == (0, 3)


def test_exact_converts_inputs_exactly_and_float_contexts_round_to_nearest():
    net = Network([([[3]], [0])])
    assert ExactContext().forward(net, [["0.1"]]).output == [(Fraction(3, 10),)]
    assert ExactContext().forward(net, [[0.1]]).output == [(3 * Fraction(0.1),)]  # the double's exact value
    # numpy rounds 1/3 to the nearest double first: 3 * fl(1/3) rounded = 1.0
    assert NumpyContext().forward(net, [["1/3"]]).output[0, 0] == float(3 * (1 / 3))
    assert NumpyContext(24).forward(net, [["1/3"]]).output[0, 0] == np.float32(3) * np.float32(1 / 3)


def test_contexts_leave_global_precisions_alone():
    net = Network([([["1/3"]], [0])])
    mp_before, arb_before = mpmath.mp.prec, flint.ctx.prec
    MpmathContext(200).forward(net, [[1]])
    ArbContext(300).forward(net, [[1]])
    assert mpmath.mp.prec == mp_before and flint.ctx.prec == arb_before
    # the arb result really was computed at 300 bits: its radius is far below 2^-250
    lo, hi = arb_to_interval(ArbContext(300).forward(net, [[1]]).output[0][0])
    assert 0 < hi - lo < Fraction(1, 2**250)


@pytest.mark.parametrize(
    "X, message",
    [
        ([[1.0, float("nan")]], "input row 0, column 1: NaN"),
        ([[0, 1], [float("inf"), 0]], "input row 1, column 0: infinity"),
        (np.array([[0.0, 1.0], [2.0, -np.inf]]), "input row 1, column 1: infinity"),
        (np.array([[0.0, np.nan]], dtype=np.float32), "input row 0, column 1: NaN"),
        ([[1, 2, 3]], "input row 0 has length 3, the network expects input dimension 2"),
        (np.zeros((2, 3)), "X has 3 columns, the network expects input dimension 2"),
        (np.zeros(2), "use X.reshape"),
        (np.zeros((1, 2, 2)), "2-D array"),
        ([1, 2], "input row 0 is not a vector"),
        ("12", "X must be a 2-D array"),
        ([[True, 0]], "booleans"),
        ([[1, "x"]], "input row 0, column 1"),
        (np.array([[True, False]]), "booleans"),
    ],
)
def test_bad_inputs(X, message):
    net = Network([([[1, 1]], [0])])
    for ctx in (ExactContext(), NumpyContext(), MpmathContext(), ArbContext()):
        with pytest.raises(ValueError, match=message):
            ctx.forward(net, X)


def test_array_inputs_are_exact():
    net = Network([([[1, 1]], [0])])
    big = np.array([[2**60 + 1, 0]], dtype=np.int64)  # not a double: must not be rounded in the exact context
    assert ExactContext().forward(net, big).output == [(Fraction(2**60 + 1),)]
    f32 = np.array([[0.1, 0.2]], dtype=np.float32)
    assert read_inputs(f32, 2).fractions() == [(Fraction(float(np.float32(0.1))), Fraction(float(np.float32(0.2))))]
    with pytest.raises(ValueError, match="too large for float32"):
        NumpyContext(24).forward(net, np.array([[1e300, 0.0]]))


def test_get_context_and_prec_validation():
    assert isinstance(get_context("arb", 100), ArbContext) and get_context("arb", 100).prec == 100
    ctx = MpmathContext(70)
    assert get_context(ctx) is ctx
    with pytest.raises(ValueError, match="unknown context 'fp'"):
        get_context("fp")
    with pytest.raises(ValueError, match="prec=53"):
        NumpyContext(100)
    for bad in (1, 2.5, True, "53"):
        with pytest.raises(ValueError, match="prec must be"):
            get_context("mpmath", bad)


def test_conversions():
    assert mpf_to_fraction(mpmath.mpf("-0.75")) == Fraction(-3, 4)
    assert mpf_to_fraction(mpmath.mpf(0)) == 0
    third = mpf_to_fraction(mpmath.mpf(1) / 3)  # mpmath may use gmpy2 integers inside; ours are plain ints
    assert type(third.numerator) is int and type(third.denominator) is int and abs(third - Fraction(1, 3)) < 2**-52
    with pytest.raises(ValueError):
        mpf_to_fraction(mpmath.inf)
    lo, hi = arb_to_interval(flint.arb(flint.fmpq(2, 7)))
    assert lo < Fraction(2, 7) < hi and hi - lo < Fraction(1, 2**40)
    with pytest.raises(ValueError, match="not finite"):
        arb_to_interval(flint.arb("inf"))
