"""The Jacobian bound against structured adversarial summation orders, emulated exactly in rationals:
sorted by magnitude (ascending, descending), positives then negatives, pairwise, blocked, random
permutations and a greedy order that makes every rounding err upward, each with and without FMA.

The bound (proofs/float_error_bounds.md, Lemmas 1 and 1') claims every order; these orders are the
ones that make partial sums, hence roundings, large, and the ReLU zeros of wide layers are where the
nonzero-term count m of Lemma 1 is smaller than the width."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.exact.floats import get_format, round_nearest
from exactrelu.nets.contexts import get_context
from exactrelu.numeric.jacobian import jacobian_error_bounds

ORDERS = ("ascending", "descending", "signs", "pairwise", "blocked", "random", "greedy")


def _chain(items: list, fl, fma: bool) -> Fraction:
    """Sum ``items`` ((w, y) products or ("s", v) values) left to right, each product fused or rounded."""
    acc = None
    for it in items:
        if it[0] == "s":
            acc = it[1] if acc is None else fl(acc + it[1])
        elif acc is None:
            acc = fl(it[0] * it[1])
        else:
            acc = fl(it[0] * it[1] + acc) if fma else fl(fl(it[0] * it[1]) + acc)
    return Fraction(0) if acc is None else acc


def _value(it) -> Fraction:
    return it[1] if it[0] == "s" else it[0] * it[1]


def _pairwise(items: list, fl, fma: bool) -> Fraction:
    if len(items) <= 2:
        return _chain(items, fl, fma)
    h = len(items) // 2
    return fl(_pairwise(items[:h], fl, fma) + _pairwise(items[h:], fl, fma))


def _greedy(items: list, fl) -> Fraction:
    """Positive terms first, then the negative ones; at each step the term whose addition rounds up the most."""
    rest = [fl(_value(it)) if it[0] != "s" else it[1] for it in items]
    acc = Fraction(0)
    while rest:
        pool = [v for v in rest if v > 0] or rest
        best = max(pool, key=lambda v: fl(acc + v) - (acc + v))
        rest.remove(best)
        acc = fl(acc + best)
    return acc


def _dot(items: list, order: str, fl, fma: bool, rng: random.Random) -> Fraction:
    if order == "greedy":
        return _greedy(items, fl)
    if order in ("ascending", "descending"):
        items = sorted(items, key=lambda it: abs(_value(it)), reverse=order == "descending")
    elif order == "signs":  # partial sums as large as they get: positives largest first, negatives smallest first
        items = sorted(items, key=lambda it: (_value(it) <= 0, -abs(_value(it)) if _value(it) > 0 else abs(_value(it))))
    elif order == "random":
        items = rng.sample(items, len(items))
    if order == "pairwise":
        return _pairwise(items, fl, fma)
    if order == "blocked":  # four accumulators, as SIMD kernels keep, then their sum
        parts = [("s", _chain(items[i::4], fl, fma)) for i in range(4) if items[i::4]]
        return _chain(parts, fl, fma)
    return _chain(items, fl, fma)


def _forward(net: Network, x: list, fmt, order: str, fma: bool, seed: int) -> tuple:
    """The network in format ``fmt`` (storage = accumulation = output), every neuron summed in ``order``."""
    rng = random.Random(seed)
    fl = lambda q: round_nearest(q, fmt)  # noqa: E731
    y = [fl(v) for v in x]
    layers = [(W, b, True) for W, b in net.layers] + ([(*net.output, False)] if net.output else [])
    for W, b, hidden in layers:
        z = [_dot([(fl(w), v) for w, v in zip(row, y)] + [("s", fl(bj))], order, fl, fma, rng) for row, bj in zip(W, b)]
        y = [max(v, Fraction(0)) for v in z] if hidden else z
    return tuple(y)


def _wide_net(seed: int, widths=(6, 20, 20, 3)) -> Network:
    """A seeded net of float32 weights, torch-like scale (uniform in +-1/sqrt(fan-in)): ReLU zeros in each layer."""
    rng = np.random.default_rng(seed)
    layers = [(rng.uniform(-1, 1, (widths[i + 1], widths[i])) / np.sqrt(widths[i]),
               rng.uniform(-1, 1, widths[i + 1]) / np.sqrt(widths[i])) for i in range(len(widths) - 1)]
    layers = [(W.astype(np.float32), b.astype(np.float32)) for W, b in layers]
    return Network(layers[:-1], output=layers[-1])


def _errors_over_bounds(net: Network, X: np.ndarray, precision, fmt, order: str, fma: bool, seed: int) -> float:
    exact = get_context("exact").forward(net, X).output
    given = [[float(round_nearest(Fraction(float(v)), fmt)) for v in row] for row in X]
    bounds = jacobian_error_bounds(net, X, precision, given=given)
    worst = 0.0
    for i, (row, eb) in enumerate(zip(X, bounds)):
        assert eb.available, eb.reason
        got = _forward(net, [Fraction(float(v)) for v in row], fmt, order, fma, seed + i)
        for c, e, bnd in zip(got, exact[i], eb.output):
            assert abs(c - e) <= bnd, (order, fma, float(abs(c - e) / bnd))
            worst = max(worst, float(abs(c - e) / bnd))
    return worst


@pytest.mark.parametrize("order", ORDERS)
def test_structured_orders_within_bound_low_precision(order):
    # 10-bit floats (no exponent limits) make every rounding visible at this size; with and without FMA
    net = _wide_net(seed=1)
    X = np.random.default_rng(2).uniform(-1, 1, (3, 6))
    for fma in (False, True):
        _errors_over_bounds(net, X, 10, get_format(10), order, fma, seed=3)


@pytest.mark.parametrize("order", ("signs", "pairwise", "random", "greedy"))
def test_structured_orders_within_bound_float32(order):
    net = _wide_net(seed=4, widths=(5, 16, 16, 16, 2))
    X = np.random.default_rng(5).uniform(-1, 1, (2, 5)).astype(np.float32)
    _errors_over_bounds(net, X, "float32", get_format("float32"), order, True, seed=6)


def test_greedy_order_reaches_a_fair_share_of_the_bound():
    # the bound is not vacuous: an order that rounds up at every step gets within a small factor of it
    # (10-bit floats: 0.14 of the bound here, the sorted and random orders 0.03-0.08)
    net = _wide_net(seed=7)
    X = np.random.default_rng(8).uniform(-1, 1, (2, 6))
    assert _errors_over_bounds(net, X, 10, get_format(10), "greedy", False, seed=9) > 1 / 20


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**16), st.sampled_from(ORDERS), st.booleans())
def test_any_structured_order_on_random_nets(seed, order, fma):
    net = _wide_net(seed, widths=(4, 12, 12, 2))
    X = np.random.default_rng(seed + 1).uniform(-1, 1, (1, 4))
    _errors_over_bounds(net, X, 10, get_format(10), order, fma, seed)
