"""The one forward kernel (exactrelu.nets.contexts): every context agrees with the exact values, conversions are
cached per network, precision scopes restore global state, and new contexts plug in without touching callers."""

from __future__ import annotations

import gc
from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings

from exactrelu.depth.products import infinite_product
import exactrelu.nets.contexts as kernel
from exactrelu.nets.network import Network
from exactrelu.numeric.errorbounds import BoundContext, bound_matrices, float_error_bounds, get_format
from exactrelu.numeric.evaluation import crosscheck, evaluate

from test_errorbounds import net_and_inputs


# ----------------------------------------------------------------- agreement across contexts
@settings(max_examples=25, deadline=None)
@given(net_and_inputs(max_n=4))
def test_every_context_agrees_with_the_exact_values(case):
    net, X = case
    exact = evaluate(net, X)
    assert exact == [net(x) for x in X]  # Network's own pass is the kernel's exact context too
    for row, e in zip(evaluate(net, X, "arb", prec=80), exact):
        assert all(kernel.arb_to_interval(b)[0] <= v <= kernel.arb_to_interval(b)[1] for b, v in zip(row, e))
    for prec, context in ((200, "mpmath"), (53, "numpy")):
        out = evaluate(net, X, context, prec=prec)
        bounds = float_error_bounds(net, X, precision=prec if context == "mpmath" else "float64")
        rows = out.tolist() if context == "numpy" else out
        for row, e, eb in zip(rows, exact, bounds):
            if not eb.available:
                continue
            for v, t, err in zip(row, e, eb.output):
                assert abs((kernel.mpf_to_fraction(v) if context == "mpmath" else Fraction(v)) - t) <= err
        if context == "mpmath":
            assert all(err < Fraction(1, 2**150) * (1 + max(map(abs, e), default=0))
                       for e, eb in zip(exact, bounds) if eb.available for err in eb.output)


def test_recorded_pre_activations_are_the_networks():
    net = Network([([[1, -2], ["1/3", 1]], [0, "-1/5"]), ([[1, 1]], ["1/7"])], output=([[2]], [1]))
    X = [[1, 2], ["-1/3", "5/7"], [0, 0]]
    for name in ("exact", "mpmath", "arb", "numpy"):
        ctx = kernel.get_context(name, 120 if name in ("mpmath", "arb") else 53)
        trace = ctx.forward(net, X, record=True)
        assert len(trace.pre) == net.depth and len(trace.columns) == len(X)
        for layer, per_input in enumerate(trace.pre):
            for x, z in zip(X, per_input):
                exact = net.pre_activations(x)[layer]
                for v, e in zip(z, exact):
                    value, radius = ctx.value(v)
                    tolerance = radius if radius is not None else flint.fmpq(1, 2**40)
                    assert abs(value - flint.fmpq(e.numerator, e.denominator)) <= tolerance


# ----------------------------------------------------------------- the per-network cache
def test_numpy_conversion_is_cached_per_network_and_reused():
    rng = np.random.default_rng(0)
    net = Network([(rng.normal(size=(16, 5)), rng.normal(size=16)), (rng.normal(size=(3, 16)), rng.normal(size=3))])
    X = rng.normal(size=(7, 5))
    first = evaluate(net, X, "numpy")
    layers = kernel.NumpyContext().prepared(net)
    assert kernel.NumpyContext().prepared(net) is layers  # a fresh context object finds the same conversion
    assert kernel.NumpyContext(24).prepared(net) is not layers  # another precision: its own conversion
    assert np.array_equal(evaluate(net, X, "numpy"), first)  # the cached pass gives identical results
    WT, b = layers[0][0]
    assert not WT.flags.writeable and not b.flags.writeable  # shared arrays cannot be changed by a caller
    bare = np.maximum(X @ np.array(net.layers[0][0], dtype=float).T + np.array(net.layers[0][1], dtype=float), 0)
    bare = bare @ np.array(net.layers[1][0], dtype=float).T + np.array(net.layers[1][1], dtype=float)
    assert np.allclose(first, np.maximum(bare, 0), rtol=1e-12, atol=1e-12)


def test_cache_entries_are_per_network_object_and_die_with_it():
    a = Network([([[1, 2]], [0])])
    b = Network([([[1, 3]], [0])])
    twin = Network([([[1, 2]], [0])])  # equal to a, but its own object
    assert evaluate(a, [[1, 1]], "numpy")[0, 0] == 3 and evaluate(b, [[1, 1]], "numpy")[0, 0] == 4
    assert evaluate(twin, [[1, 1]], "numpy")[0, 0] == 3
    assert kernel.NumpyContext().prepared(a) is not kernel.NumpyContext().prepared(twin)
    before = len(kernel._PREPARED)
    del a, twin
    gc.collect()
    assert len(kernel._PREPARED) == before - 2  # the weak entries went with their networks
    assert evaluate(b, [[2, 0]], "numpy")[0, 0] == 2


def test_error_bound_layers_are_cached_per_format():
    net = Network([([["1/10", "2/10"]], ["-3/10"])], output=([[1]], [0]))
    assert BoundContext(get_format("float64")).prepared(net) is BoundContext(get_format("float64")).prepared(net)
    # same significand, other exponent range: a different conversion (and a different bound)
    assert BoundContext(get_format(53)).prepared(net) is not BoundContext(get_format("float64")).prepared(net)
    batch = kernel.read_inputs([[1, 1]], 2)
    zs, ezs, out, eout, reasons = bound_matrices(net, batch, get_format("float64"))
    assert reasons == [None] and out.entries()[0] == 0 and 0 < eout.entries()[0] < flint.fmpq(1, 2**50)


# ----------------------------------------------------------------- precision scopes
@pytest.mark.parametrize("name", ["arb", "mpmath"])
def test_precision_scope_sets_and_restores_even_on_errors(name):
    ctx = kernel.get_context(name, 321)

    def current() -> int:
        return flint.ctx.prec if name == "arb" else mpmath.mp.prec

    before = current()
    with ctx.precision():
        assert current() == 321
        with kernel.get_context(name, 99).precision():  # nested scopes restore in order
            assert current() == 99
        assert current() == 321
    assert current() == before
    with pytest.raises(ZeroDivisionError):
        with ctx.precision():
            1 / 0
    assert current() == before
    net = Network([([[1]], [0])])
    with pytest.raises(ValueError, match="input row 0"):
        ctx.forward(net, [["nope"]])
    assert current() == before


def _at_global_precision(prec: int, f):
    old = flint.ctx.prec
    try:
        flint.ctx.prec = prec  # a global precision must not leak into work that asked for its own
        return f(), flint.ctx.prec
    finally:
        flint.ctx.prec = old


def test_arb_runs_at_the_precision_asked_for_whatever_the_global_precision():
    net = Network([([["1/3"]], [0])])
    [[ball]], prec = _at_global_precision(10, lambda: evaluate(net, [[1]], "arb", prec=200))
    lo, hi = kernel.arb_to_interval(ball)
    assert prec == 10 and lo <= Fraction(1, 3) <= hi and hi - lo < Fraction(1, 2**190)
    # irrational factors (n^(-3/2)) are bounded in ball arithmetic at 128 bits, not at the global 10 bits
    bound = lambda: infinite_product([["1 + n^(-3/2)"]]).norm_bound()  # noqa: E731
    low, high = _at_global_precision(10, bound), _at_global_precision(300, bound)
    assert low[0] == high[0] and (low[1], high[1]) == (10, 300)
    box, prec = _at_global_precision(10, lambda: infinite_product([["1 - 1/(4*n^2)"]]).enclosure(prec=100))
    assert prec == 10 and box[0, 0].contains(2 / flint.arb.pi())


def test_partial_products_are_exact_products():
    cert = infinite_product([["1 + 1/n^2", "1/n"], [0, "1 - 1/(n+1)^2"]])
    P = cert.partial(4)
    expect = flint.fmpq_mat(2, 2, [1, 0, 0, 1])
    for k in range(1, 5):
        A = flint.fmpq_mat(2, 2, [1 + flint.fmpq(1, k * k), flint.fmpq(1, k), 0, 1 - flint.fmpq(1, (k + 1) ** 2)])
        expect = A * expect
    assert P == tuple(tuple(Fraction(int(expect[i, j].p), int(expect[i, j].q)) for j in range(2)) for i in range(2))
    assert cert.partial(0) == ((1, 0), (0, 1))


# ----------------------------------------------------------------- new contexts plug in
def test_a_registered_context_works_in_evaluate_and_crosscheck_without_changes():
    class Mp30(kernel.MpmathContext):
        name = "mp30-test"

        def __init__(self, prec: int = 53):
            super().__init__(30)

    kernel.register_context(Mp30)
    try:
        net = Network([([["1/10", "2/10"]], ["-3/10"])], output=([[1]], [0]))
        [[v]] = evaluate(net, [[1, 2]], "mp30-test")  # 1/10 + 4/10 - 3/10 at 30 bits
        assert v != mpmath.mpf("0.2") and abs(kernel.mpf_to_fraction(v) - Fraction(1, 5)) < Fraction(1, 2**27)
        report = crosscheck(net, [[1, 1], [2, 3]], context="mp30-test")
        assert report.context == "mp30-test" and report.prec == 30 and not report.violations
        assert report.unstable_inputs == (0,)  # 0.1 + 0.2 - 0.3: exactly 0, so no float decides its sign
    finally:
        del kernel.CONTEXTS["mp30-test"]
    with pytest.raises(ValueError, match="unknown context 'mp30-test'"):
        kernel.get_context("mp30-test")


def test_crosscheck_reads_capabilities_not_types():
    net = Network([([["1/10", "2/10"]], ["-3/10"])], output=([[1]], [0]))
    with pytest.raises(ValueError, match="exact context"):
        crosscheck(net, [[1, 1]], context="exact")
    arb = crosscheck(net, [[1, 1]], context="arb")
    assert arb.encloses and arb.ok and not crosscheck(net, [[1, 1]]).encloses
    assert kernel.ArbContext.encloses and not kernel.NumpyContext.encloses and kernel.ExactContext.exact and not kernel.MpmathContext.exact
    with pytest.raises(ValueError, match="register_context expects a Context subclass"):
        kernel.register_context(int)


@settings(max_examples=30, deadline=None)
@given(net_and_inputs(max_n=3))
def test_pattern_signs_are_the_signs_of_the_exact_pre_activations(case):
    net, X = case
    for x in X:
        pre = net.pre_activations(x)
        p = net.pattern(x)
        assert p.layers == tuple(tuple(int(v > 0) for v in z) for z in pre)
        assert set(p.ties) == {(i, j) for i, z in enumerate(pre) for j, v in enumerate(z) if v == 0}
