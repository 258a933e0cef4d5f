"""Tests for exactrelu.numeric.errorbounds: the bounds hold for real float computations and for adversarial orders."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.nets.contexts import get_context, mpf_to_fraction
from exactrelu.numeric.errorbounds import ErrorBounds, float_error_bounds, gamma, get_format, round_nearest
from exactrelu.nets.network import Network

# ------------------------------------------------------------------ strategies
rationals = st.builds(Fraction, st.integers(-40, 40), st.integers(1, 30))


@st.composite
def networks(draw, max_width=4, max_depth=3, values=rationals):
    dims = draw(st.lists(st.integers(1, max_width), min_size=2, max_size=max_depth + 1))
    layers = []
    for i in range(len(dims) - 1):
        W = [[draw(values) for _ in range(dims[i])] for _ in range(dims[i + 1])]
        layers.append((W, [draw(values) for _ in range(dims[i + 1])]))
    output = None
    if draw(st.booleans()):
        k = draw(st.integers(1, 3))
        output = ([[draw(values) for _ in range(dims[-1])] for _ in range(k)], [draw(values) for _ in range(k)])
    return Network(layers, output=output)


@st.composite
def net_and_inputs(draw, values=rationals, max_n=4):
    net = draw(networks(values=values))
    X = draw(st.lists(st.lists(values, min_size=net.input_dim, max_size=net.input_dim), min_size=1, max_size=max_n))
    return net, X


def _within(computed: list, exact: list, bounds: list) -> None:
    for row_c, row_e, eb in zip(computed, exact, bounds):
        assert eb.available, eb.reason
        for c, e, bnd in zip(row_c, row_e, eb.output):
            assert abs(Fraction(c) - e) <= bnd, (c, e, bnd)


# ------------------------------------------------------------------ rounding
@given(st.fractions(), st.integers(-1100, 1030))
def test_round_nearest_float64_matches_correctly_rounded_division(q, shift):
    q = q * Fraction(2) ** shift
    try:
        want = float(q)  # CPython int/int true division is correctly rounded, subnormals included
    except OverflowError:
        with pytest.raises(OverflowError):
            round_nearest(q, "float64")
        return
    if abs(want) == float("inf"):  # pragma: no cover - float() raises instead
        return
    assert round_nearest(q, "float64") == Fraction(want)


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_round_nearest_float32_matches_numpy_cast(x):
    with np.errstate(over="ignore"):
        want = np.float32(x)  # one IEEE rounding from a double
    if not np.isfinite(want):
        with pytest.raises(OverflowError):
            round_nearest(Fraction(x), "float32")
    else:
        assert round_nearest(Fraction(x), "float32") == Fraction(float(want))


def test_round_nearest_ties_to_even_and_small_formats():
    # 3 bits: representable near 1 are 1, 5/4, 3/2, 7/4, 2; 9/8 is a tie between 1 (even) and 5/4
    assert round_nearest(Fraction(9, 8), 3) == 1
    assert round_nearest(Fraction(11, 8), 3) == Fraction(3, 2)  # tie between 5/4 and 3/2: 3/2 has even significand 6
    assert round_nearest(-Fraction(9, 8), 3) == -1
    assert get_format(100).max is None and get_format(100).eta == 0


def test_gamma_and_bad_precision():
    assert gamma(3, Fraction(1, 2**53)) == Fraction(3, 2**53 - 3)
    with pytest.raises(ValueError, match="precision too low"):
        gamma(4, Fraction(1, 4))
    for bad in ("float8", 1, True, 2.5):
        with pytest.raises(ValueError, match="precision"):
            get_format(bad)


# ------------------------------------------------------------------ the bounds hold
@settings(max_examples=30)
@given(net_and_inputs())
def test_numpy_float64_within_bound(case):
    net, X = case
    exact = get_context("exact").forward(net, X).output
    computed = get_context("numpy").forward(net, X).output.tolist()
    _within(computed, exact, float_error_bounds(net, X, "float64"))


@settings(max_examples=30)
@given(net_and_inputs())
def test_numpy_float32_within_bound(case):
    net, X = case
    exact = get_context("exact").forward(net, X).output
    computed = [[float(v) for v in row] for row in get_context("numpy", prec=24).forward(net, X).output]
    _within(computed, exact, float_error_bounds(net, X, "float32"))


@settings(max_examples=20)
@given(net_and_inputs(), st.sampled_from([8, 20, 53, 120]))
def test_mpmath_within_bound(case, prec):
    net, X = case
    trace = get_context("mpmath", prec=prec).forward(net, X, record=True)
    exact = get_context("exact").forward(net, X, record=True)
    bounds = float_error_bounds(net, X, prec)
    _within([[mpf_to_fraction(v) for v in row] for row in trace.output], exact.output, bounds)
    for layer, (zc, ze) in enumerate(zip(trace.pre, exact.pre)):
        for i, (rc, re) in enumerate(zip(zc, ze)):
            for c, e, bnd in zip(rc, re, bounds[i].preactivations[layer]):
                assert abs(c - e) <= bnd


def _adversarial_forward(net: Network, x: tuple, fmt, rng: random.Random, storage=None, output=None) -> tuple:
    """A float forward pass emulated exactly: random summation trees, random FMA use, rounding by round_nearest.

    ``fmt`` is the accumulation format; ``storage`` (default ``fmt``) is where weights, biases and each
    layer's input are rounded first, ``output`` (default ``fmt``) where each layer's result is rounded."""
    fl = lambda q: round_nearest(q, fmt)  # noqa: E731
    fs = lambda q: round_nearest(q, storage or fmt)  # noqa: E731
    fo = lambda q: round_nearest(q, output or fmt)  # noqa: E731
    y = list(x)
    layers = [(W, b, True) for W, b in net.layers] + ([(*net.output, False)] if net.output else [])
    for W, b, hidden in layers:
        y = [fs(v) for v in y]
        z = []
        for row, bj in zip(W, b):
            terms = [("p", fs(w), v) for w, v in zip(row, y)] + [("s", fs(bj))]
            while len(terms) > 1:
                i, j = rng.sample(range(len(terms)), 2)
                s, t = terms[i], terms[j]
                terms = [u for k, u in enumerate(terms) if k not in (i, j)]
                if s[0] == "p" and t[0] == "p":
                    s = ("s", fl(s[1] * s[2]))
                if s[0] == "p":  # fused multiply-add or a rounded product then a sum
                    val = fl(s[1] * s[2] + t[1]) if rng.random() < 0.5 else fl(fl(s[1] * s[2]) + t[1])
                elif t[0] == "p":
                    val = fl(t[1] * t[2] + s[1]) if rng.random() < 0.5 else fl(fl(t[1] * t[2]) + s[1])
                else:
                    val = fl(s[1] + t[1])
                terms.append(("s", val))
            z.append(fo(terms[0][1] if terms[0][0] == "s" else fl(terms[0][1] * terms[0][2])))
        y = [max(v, 0) for v in z] if hidden else z
    return tuple(y)


@settings(max_examples=25)
@given(net_and_inputs(max_n=2), st.integers(0, 2**32))
def test_any_summation_order_and_fma_within_bound_float32(case, seed):
    net, X = case
    rng = random.Random(seed)
    exact = get_context("exact").forward(net, X).output
    computed = [_adversarial_forward(net, tuple(round_nearest(v, "float32") for v in r), "float32", rng) for r in X]
    _within(computed, exact, float_error_bounds(net, X, "float32"))


tiny = st.builds(lambda k, m: Fraction(k, 1) * Fraction(1, 2**140) / m, st.integers(-50, 50), st.integers(1, 7))


@settings(max_examples=25)
@given(net_and_inputs(values=st.one_of(tiny, rationals), max_n=2), st.integers(0, 2**32))
def test_underflow_is_covered_float32(case, seed):
    # weights and inputs near 2^-140: products are far below float32's smallest subnormal 2^-149
    net, X = case
    rng = random.Random(seed)
    exact = get_context("exact").forward(net, X).output
    computed = [_adversarial_forward(net, tuple(round_nearest(v, "float32") for v in r), "float32", rng) for r in X]
    _within(computed, exact, float_error_bounds(net, X, "float32"))


# ------------------------------------------------------------------ shape of the answer
def test_layout_and_relu_refinement():
    net = Network([([[1, 0], [0, 1]], ["1/3", -5])], output=([[1, 1]], [0]))
    [eb] = float_error_bounds(net, [["1/10", "1/7"]])
    assert isinstance(eb, ErrorBounds) and eb.available and eb.precision == "float64"
    assert len(eb.preactivations) == 1 and len(eb.preactivations[0]) == 2 and len(eb.output) == 1
    # neuron 1 is -5 + 1/7, far below zero: after ReLU both are 0, so only neuron 0's error reaches the output
    u = Fraction(1, 2**53)
    assert eb.preactivations[0][0] < 4 * u and eb.output[0] < 8 * u
    assert float_error_bounds(net, [["1/10", "1/7"]], input_rounded=False)[0].output[0] < eb.output[0]


def test_overflow_makes_bound_unavailable_per_input():
    net = Network([([[2]], [0])])
    ok, big = float_error_bounds(net, [[1], [1.5e308]])
    assert ok.available and ok.output is not None
    assert not big.available and big.output is None and "overflow" in big.reason
    [w] = float_error_bounds(Network([([[Fraction(2) ** 1024]], [0])]), [[1]])
    assert not w.available and "layer 0" in w.reason
    [fine] = float_error_bounds(Network([([[Fraction(2) ** 1024]], [0])]), [[1]], precision=60)
    assert fine.available  # mpmath-style formats have no overflow


def test_bad_inputs_name_row_and_column():
    net = Network([([[1, 1]], [0])])
    with pytest.raises(ValueError, match="input row 1, column 0: NaN"):
        float_error_bounds(net, np.array([[0.0, 1.0], [np.nan, 0.0]]))
    with pytest.raises(ValueError, match="input dimension 2"):
        float_error_bounds(net, [[1, 2, 3]])
    assert float_error_bounds(net, []) == []


def _he_network(widths: list, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    layers = [(rng.normal(0, np.sqrt(2 / widths[i]), (widths[i + 1], widths[i])).astype(np.float32),
               rng.normal(0, 0.1, widths[i + 1]).astype(np.float32)) for i in range(len(widths) - 1)]
    return Network(layers[:-1], output=layers[-1])


def test_blas_sized_products_within_bound():
    # large enough that numpy hands the products to BLAS (blocked sums, FMA): the bound must still hold
    net = _he_network([16, 48, 48, 4], seed=7)
    X = np.random.default_rng(8).uniform(-1, 1, (100, 16))
    exact = get_context("exact").forward(net, X).output
    for prec, fmt in ((53, "float64"), (24, "float32")):
        computed = [[float(v) for v in row] for row in get_context("numpy", prec).forward(net, X).output]
        _within(computed, exact, float_error_bounds(net, X, fmt))


def test_torch_forward_within_bound():
    # an independent implementation: torch.nn.Linear + ReLU on the CPU, float32 and float64
    torch = pytest.importorskip("torch")
    net = _he_network([8, 32, 32, 3], seed=9)
    X = np.random.default_rng(10).uniform(-2, 2, (80, 8))
    exact = get_context("exact").forward(net, X).output
    for dtype, fmt in ((torch.float32, "float32"), (torch.float64, "float64")):
        mods = []
        for W, b in net.layers:
            lin = torch.nn.Linear(len(W[0]), len(W), dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor([[float(v) for v in r] for r in W], dtype=torch.float64))
                lin.bias.copy_(torch.tensor([float(v) for v in b], dtype=torch.float64))
            mods += [lin, torch.nn.ReLU()]
        Wo, bo = net.output
        lin = torch.nn.Linear(len(Wo[0]), len(Wo), dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor([[float(v) for v in r] for r in Wo], dtype=torch.float64))
            lin.bias.copy_(torch.tensor([float(v) for v in bo], dtype=torch.float64))
        model = torch.nn.Sequential(*mods, lin)
        with torch.no_grad():
            # float64 -> float32 casts round to nearest once; the weights are float32 values already
            out = model(torch.tensor(X, dtype=torch.float64).to(dtype)).double().numpy().tolist()
        _within(out, exact, float_error_bounds(net, X, fmt))


def test_relu_of_a_slightly_negative_preactivation_that_floats_see_positive():
    # exact z = 1/10 + 2/10 - 3/10 - 2^-60 = -2^-60, so y = 0 and the output 2^60 y = 0;
    # in doubles fl(b) = -fl(0.3) (2^-60 is below half an ulp of 0.3) and z = 2^-54 > 0, output 2^60 * 2^-54 = 64
    tiny = Fraction(1, 2**60)
    net = Network([([["1/10", "2/10"]], [Fraction(-3, 10) - tiny])], output=([[2**60]], [0]))
    X = [[1, 1]]
    assert get_context("exact").forward(net, X).output == [(0,)]
    computed = get_context("numpy").forward(net, X).output.tolist()
    assert computed == [[64.0]]
    [eb] = float_error_bounds(net, X)
    assert 64 <= eb.output[0] and tiny < eb.preactivations[0][0]
    _within(computed, [(Fraction(0),)], [eb])


# ---- audit regressions
def test_round_nearest_converts_its_argument_like_every_entry_point():
    from exactrelu.numeric.errorbounds import round_nearest

    for bad, message in [(float("nan"), "NaN"), (True, "booleans"), ("1e999999999", "exponent")]:
        with pytest.raises(ValueError, match=message):
            round_nearest(bad)
    with pytest.raises(OverflowError, match="about 10\\^400 overflows float32"):  # short message, not 400 digits
        round_nearest(10**400, "float32")


def test_public_helpers_refuse_meaningless_arguments():
    from exactrelu.numeric.errorbounds import float_error_bounds, gamma

    net = Network([([[1, 2]], [0])])
    for call, message in [
        (lambda: gamma(-1, Fraction(1, 8)), "nonnegative integer"),  # was -1/9: a negative "bound"
        (lambda: gamma(2, Fraction(-1, 8)), "nonnegative"),
        (lambda: float_error_bounds("net", [[1, 2]]), "expects an exactrelu Network"),
        (lambda: float_error_bounds(net, [[1, 2]], input_rounded="no"), "True or False"),  # "no" is truthy
    ]:
        with pytest.raises(ValueError, match=message):
            call()
