"""The exact context's batch path (exactrelu.nets.contexts.ExactContext): integer states with the denominators in
the last row, the float guide that decides ReLU signs with a rigorous bound, the lazy gcd reduction, and the
reading of doubles; every result is compared with a plain Fraction loop."""

from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction

import flint
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import exactrelu.nets.contexts as kernel
from exactrelu.nets.contexts import ExactContext, read_inputs
from exactrelu.nets.network import Network


def fraction_loop(layers: list, output: tuple | None, x: tuple) -> tuple:
    """The reference: one input, Fractions, one multiply-add per weight; and its hidden pre-activations."""
    y, pre = [Fraction(v) for v in x], []
    for W, b in layers:
        z = [sum((Fraction(w) * v for w, v in zip(row, y)), Fraction(bj)) for row, bj in zip(W, b)]
        pre.append(tuple(z))
        y = [max(v, Fraction(0)) for v in z]
    if output is not None:
        W, b = output
        y = [sum((Fraction(w) * v for w, v in zip(row, y)), Fraction(bj)) for row, bj in zip(W, b)]
    return tuple(y), pre


@contextmanager
def guided(minimum: int):
    """Batches of at least ``minimum`` inputs get the float guide (the kernel's default is larger)."""
    saved, kernel._GUIDED = kernel._GUIDED, minimum
    try:
        yield
    finally:
        kernel._GUIDED = saved


def dyadic(draw, scale: int = 8) -> Fraction:
    return Fraction(draw(st.integers(-(2**12), 2**12)), 2 ** draw(st.integers(0, scale)))


rationals = st.builds(Fraction, st.integers(-200, 200), st.integers(1, 50))


@st.composite
def nets(draw, kind: str) -> tuple:
    widths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=5))
    num = (lambda: dyadic(draw)) if kind == "dyadic" else (lambda: draw(rationals))
    layers = [([[num() for _ in range(widths[i])] for _ in range(widths[i + 1])], [num() for _ in range(widths[i + 1])])
              for i in range(len(widths) - 2)]
    out = ([[num() for _ in range(widths[-2])] for _ in range(widths[-1])], [num() for _ in range(widths[-1])])
    return layers, out, widths[0]


@settings(max_examples=60, deadline=None)
@given(nets("dyadic"), st.data(), st.sampled_from([1, 10**9]))
def test_float_batches_match_the_fraction_loop(case, data, minimum):
    layers, out, dim = case
    X = np.array(data.draw(st.lists(st.lists(st.floats(-4, 4, allow_subnormal=True), min_size=dim, max_size=dim),
                                    min_size=0, max_size=12)), dtype=np.float64).reshape(-1, dim)
    with guided(minimum):  # with the float guide and without
        trace = ExactContext().forward(Network(layers, output=out), X, record=True)
    for i, x in enumerate(X.tolist()):
        y, pre = fraction_loop(layers, out, tuple(Fraction(v) for v in x))
        assert trace.output[i] == y
        assert [p[i] for p in trace.pre] == pre  # the recorded pre-activations, read before ReLU zeroed them


@settings(max_examples=60, deadline=None)
@given(nets("rational"), st.data(), st.sampled_from([1, 10**9]))
def test_rational_batches_match_the_fraction_loop(case, data, minimum):
    layers, out, dim = case
    X = data.draw(st.lists(st.lists(rationals, min_size=dim, max_size=dim), min_size=1, max_size=8))
    with guided(minimum):
        got = ExactContext().forward(Network(layers, output=out), X).output
    assert got == [fraction_loop(layers, out, tuple(x))[0] for x in X]


def test_signs_the_floats_cannot_see_are_read_exactly():
    # z = x1 - x2 with x1 = 1 + 2^-80 and x2 = 1: both round to the double 1.0, so the guide computes 0 and
    # leaves the sign undecided; the exact value 2^-80 > 0 must survive the ReLU (and -2^-80 must not)
    tiny = Fraction(1, 2**80)
    net = Network([([[1, -1], [-1, 1]], [0, 0])], output=([[1, 1]], [0]))
    with guided(1):
        assert ExactContext().forward(net, [[1 + tiny, 1], [1, 1 + tiny]]).output == [(tiny,), (tiny,)]


def test_weights_beyond_the_double_range_have_no_guide():
    big = Fraction(2**1100)
    net = Network([([[big, -big]], [1])], output=([[1]], [0]))
    with guided(1):
        assert ExactContext().forward(net, [[1, 1], [2, 1], [1, 2]]).output == [(Fraction(1),), (big + 1,),
                                                                               (Fraction(0),)]
        huge = [[Fraction(10) ** 400, 0]]  # an input no double holds: the batch has no guide either
        assert ExactContext().forward(Network([([[1, 0]], [0])]), huge).output == [(Fraction(10) ** 400,)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(
    [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308])), min_size=2, max_size=2),
    min_size=1, max_size=6))
def test_doubles_are_read_exactly(rows):
    X = np.array(rows, dtype=np.float64)
    ctx = ExactContext()
    assert ctx.columns(ctx.batch(read_inputs(X, 2)), len(rows)) == [tuple(Fraction(v) for v in r) for r in rows]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 40), st.data())
def test_guide_bound_holds(k, n, data):
    # one affine step: |f - exact| <= e for every entry, with inputs carrying an error bound of their own
    W = [[dyadic(data.draw, 30) / 3 for _ in range(k)] for _ in range(3)]
    b = [Fraction(data.draw(st.integers(-9, 9)), 7) for _ in range(3)]
    x = [[Fraction(data.draw(st.integers(-(2**40), 2**40)), 3 * 2**30) for _ in range(k)] for _ in range(n)]
    guide = kernel._Guide.layer(W, b)
    f, e = kernel._Guide.rounded(read_inputs(x, k))
    z, err = guide.affine(f, e)
    for i in range(n):
        for j in range(3):
            exact = sum((w * v for w, v in zip(W[j], x[i])), b[j])
            assert abs(Fraction(z[i, j]) - exact) <= Fraction(err[i, j])


def test_reduction_is_complete_when_the_mixing_misleads(monkeypatch):
    # zero mixing matrices make every combination 0: the candidate gcd is the denominator itself, the exact
    # division fails and the entry-by-entry gcd takes over; the state is still fully reduced
    monkeypatch.setattr(kernel, "_mixing", lambda d, n, seed: (flint.fmpz_mat(2, d), flint.fmpz_mat(n, 2)))
    M = flint.fmpz_mat(2, 2, [6, -12, 36, 36])
    assert kernel._reduce_matrix(M) == flint.fmpz_mat(2, 2, [1, -2, 6, 6])


def test_small_states_are_fully_reduced_and_large_ones_lazily():
    M = flint.fmpz_mat(2, 2, [2, 4, 8, 8])  # gcd 2
    assert kernel._reduce_matrix(M) == flint.fmpz_mat(2, 2, [1, 2, 4, 4])
    n = kernel._SMALL  # large: a 1-bit gcd stays, a gcd of _LAZY_BITS bits or more is divided out
    row = [2] * n
    assert kernel._reduce_matrix(flint.fmpz_mat(2, n, row + row)) == flint.fmpz_mat(2, n, row + row)
    g = 2**kernel._LAZY_BITS * 3
    big = flint.fmpz_mat(2, n, [g] * n + [5 * g] * n)
    assert kernel._reduce_matrix(big) == flint.fmpz_mat(2, n, [1] * n + [5] * n)


def test_relu_of_mostly_negative_and_mostly_positive_batches():
    # both ways of applying ReLU under the guide: zeroing the negatives in place (at most 2/3 of the entries)
    # and copying the others into a zero matrix (mostly negative), each checked against the Fraction loop
    xs = [[Fraction(i, 7) - 1] for i in range(20)]
    out = ([[1, -1, 3]], [0])
    cases = [([([[1], [2], [-1]], [Fraction(1, 3), 0, Fraction(-1, 5)])], False),
             ([([[-1], [-2], [-1]], [-2, -3, Fraction(1, 5)])], True)]
    for layers, mostly_negative in cases:
        ref = [fraction_loop(layers, out, tuple(x)) for x in xs]
        negative = sum(z < 0 for _, pre in ref for z in pre[0])
        assert (3 * negative > 2 * 3 * len(xs)) == mostly_negative  # the case exercises the branch it names
        with guided(1):
            got = ExactContext().forward(Network(layers, output=out), xs).output
        assert got == [y for y, _ in ref]
