"""Numerical validation of the theorems T4-T7 behind the certificates.

Each certified bound or growth statement is compared with the family itself:
exact truncations at moderate depth (Fractions) and mpmath at large depth.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.depth.certifier import certify, necessary_report
from exactrelu.depth.family import Family, n

F = Fraction


def _mp_state(fam: Family, x, depth: int, dps: int = 40):
    """The output after `depth` formula layers, in mpmath (dps digits), layers evaluated from the formulas."""
    with mpmath.workdps(dps):
        W = sympy.lambdify(n, sympy.Matrix(fam.W), modules="mpmath")
        b = sympy.lambdify(n, sympy.Matrix(fam.b), modules="mpmath")
        y = mpmath.matrix([mpmath.mpf(t.numerator) / t.denominator for t in x])
        for Wp, bp in fam.prefix:
            y = _relu(mpmath.matrix([[mpmath.mpf(t.numerator) / t.denominator for t in r] for r in Wp]) * y
                      + mpmath.matrix([mpmath.mpf(t.numerator) / t.denominator for t in bp]))
        for k in range(fam.start, fam.start + depth):
            y = _relu(mpmath.matrix(W(k)) * y + mpmath.matrix(b(k)))
        if fam.output is not None:
            Wo, bo = fam.output
            y = mpmath.matrix([[mpmath.mpf(t.numerator) / t.denominator for t in r] for r in Wo]) * y + mpmath.matrix(
                [mpmath.mpf(t.numerator) / t.denominator for t in bo])
        return [y[i] for i in range(y.rows)]


def _relu(v):
    return mpmath.matrix([max(v[i], 0) for i in range(v.rows)])


def _gap(a, b):
    return max(abs(mpmath.mpf(p.numerator) / p.denominator - q) if isinstance(p, Fraction) else abs(p - q)
               for p, q in zip(a, b))


# ---------------------------------------------------------------------- T4
def test_t4_bound_between_depth_100_and_10000():
    fam = Family([["1 + 1/n^2", "2/n^2"], ["0", "1 - 1/n^2"]], ["2^(-n)", "-2^(-n)"])
    cert = certify(fam)
    assert cert.theorem == "T4"
    R = 2
    bound = cert.tail_bound(100, R)
    for x in [(F(0), F(0)), (F(2), F(-2)), (F(-1), F(1, 2)), (F(2), F(2))]:
        exact100 = fam.truncate(100)(x)
        deep = _mp_state(fam, x, 10_000)
        # |N_inf - N_100| <= bound and |N_10000 - N_inf| <= tail_bound(10000): the triangle inequality
        # gives |N_10000 - N_100| <= bound + tail_bound(10000); the first alone must hold up to 1e-30
        assert _gap(exact100, deep) <= mpmath.mpf(bound.numerator) / bound.denominator
        tail_deep = cert.tail_bound(10_000, R)
        assert _gap(exact100, deep) <= float(bound + tail_deep)


@settings(max_examples=10)
@given(st.lists(st.integers(-3, 3), min_size=4, max_size=4), st.lists(st.integers(-2, 2), min_size=2, max_size=2),
       st.integers(2, 3))
def test_t4_random_families(C, c, p):
    W = [[f"{int(i == j)} + {C[2 * i + j]}/n^{p}" for j in range(2)] for i in range(2)]
    b = [f"{c[i]}/3^n" for i in range(2)]
    fam = Family(W, b)
    cert = certify(fam)
    assert cert.theorem == "T4"
    for x in [(F(1), F(-1)), (F(0), F(1))]:
        a20 = fam.truncate(20)(x)
        deep = _mp_state(fam, x, 1000)
        assert _gap(a20, deep) <= float(cert.tail_bound(20, 1))


def test_t4_prefix_and_output_bound():
    fam = Family([["1 + 1/n^2", "0"], ["1/n^3", "1"]], ["1/n^2", "0"], prefix=[([[3, -1], [1, 1]], [1, 0])],
                 output=([[2, -1]], [0]))
    cert = certify(fam)
    assert cert.theorem == "T4"
    for x in [(F(1), F(1)), (F(-1), F(1)), (F(1, 2), F(-1))]:
        assert _gap(fam.truncate(30)(x), _mp_state(fam, x, 3000)) <= float(cert.tail_bound(30, 1))


# ---------------------------------------------------------------------- T6
@settings(max_examples=15)
@given(st.lists(st.integers(-4, 4), min_size=4, max_size=4), st.lists(st.integers(-3, 3), min_size=2, max_size=2))
def test_t6_bound_every_depth(Wi, bi):
    W = [[F(Wi[0], 5), F(Wi[1], 5)], [F(Wi[2], 5), F(Wi[3], 5)]]  # row sums of |W| <= 8/5: some contract
    fam = Family([[str(t) for t in r] for r in W], [str(t) for t in bi])
    cert = certify(fam)
    if cert.theorem != "T6":
        return
    for x in [(F(3), F(-3)), (F(0), F(0)), (F(-1), F(2))]:
        net = fam.truncate(25)
        states = [x] + [net.hidden(x, d) for d in range(1, 26)]
        for d, y in enumerate(states):
            gap = max(abs(p - q) for p, q in zip(y, cert.limit))
            assert gap <= cert.tail_bound(d, 3)


def test_t6_limit_matches_deep_mpmath():
    fam = Family([["1/2", "1/4"], ["-1/4", "1/3"]], ["1", "-1/2"])
    cert = certify(fam)
    for x in [(F(100), F(-100)), (F(-5), F(7))]:
        assert _gap(cert.limit, _mp_state(fam, x, 500)) < 1e-30


# ---------------------------------------------------------------------- P1 / T7a
def test_t7a_orbit_is_periodic_in_exact_truncations():
    fam = Family([["0", "-1"], ["1", "0"]], ["1", "0"])  # a rotation by 90 degrees plus a bias
    cert = certify(fam, x=[2, 0])
    if cert.theorem != "T7a":
        pytest.skip(f"no orbit at this point ({cert.theorem})")
    k, p = cert.witnesses["k"], len(cert.witnesses["orbit"])
    outs = [fam.truncate(d)([2, 0]) for d in range(k + 1, k + 1 + 3 * p)]
    assert all(outs[i] == outs[i + p] for i in range(2 * p)) and len(set(outs)) > 1


def test_t7a_minus_identity():
    fam = Family([["-1", "0"], ["0", "-1"]], ["1", "1"])
    cert = certify(fam, x=[0, 0])
    outs = [fam.truncate(d)([0, 0]) for d in range(1, 11)]
    assert cert.theorem == "T7a" and outs[::2] == [outs[0]] * 5 and outs[1::2] == [outs[1]] * 5 and outs[0] != outs[1]


# ---------------------------------------------------------------------- T7b / T7c
def test_t7b_growth_bound():
    # A = [[1, 1], [0, 0]] >= 0 with A_00 = 1: u = e_0, a_n = 1/n, u^T y_d >= prod (1 + 1/n) u^T y_1 = (d + 1)/2 u^T y_1
    fam = Family([["1 + 1/n", "1/n"], ["0", "1"]], ["0", "0"])
    cert = certify(fam, x=[1, 1])
    assert (cert.verdict, cert.theorem) == ("diverges", "T7b")
    net = fam.truncate(60)
    u, K = cert.witnesses["u"], cert.witnesses["K"]
    base = sum(a * c for a, c in zip(u, net.hidden([1, 1], K)))
    for d in range(K, 61):
        growth = F(1)
        for m in range(fam.start + K, fam.start + d):
            growth *= 1 + F(1, m)
        assert sum(a * c for a, c in zip(u, net.hidden([1, 1], d))) >= growth * base


def test_t7b_bias_growth_is_at_least_the_partial_sums():
    fam = Family([["1", "0"], ["0", "1"]], ["1/n", "0"])
    cert = certify(fam)
    assert cert.scope == {"kind": "everywhere"}
    for x in [(F(-5), F(-5)), (F(0), F(3))]:
        deep = _mp_state(fam, x, 5000)
        assert deep[0] >= mpmath.harmonic(5000) - 1 - 1e-20  # y_1 >= 0, then + 1/2 + ... + 1/5000


def test_t7c_perron_growth_rate():
    fam = Family([["1/2", "1"], ["1", "1/2"]], ["0", "0"])  # Perron root 3/2, left vector (1, 1)
    cert = certify(fam, x=[1, 0])
    assert cert.theorem in ("T7c", "T7b")
    if cert.theorem == "T7c":
        u, lam, K = cert.witnesses["u"], cert.witnesses["lambda"], cert.witnesses["K"]
        net = fam.truncate(40)
        base = sum(a * c for a, c in zip(u, net.hidden([1, 0], K)))
        for d in range(K, 41):
            assert sum(a * c for a, c in zip(u, net.hidden([1, 0], d))) >= lam ** (d - K) * base


# ---------------------------------------------------------------------- T5
def test_t5_counterexamples_converge():
    # W = I/2, b = 0 and W = I, b = -1 violate W_n -> I resp. b_n -> 0 yet converge to 0
    for fam in (Family([["1/2", "0"], ["0", "1/2"]], ["0", "0"]), Family([["1", "0"], ["0", "1"]], ["-1", "-1"])):
        rep = necessary_report(fam)
        assert rep["holds"] is False
        for x in [(F(3), F(1, 2)), (F(-1), F(7))]:
            assert max(abs(t) for t in fam.truncate(60)(x)) < F(1, 10**15)
    # W = I, b = -1 is no contraction for T6 (|W| = I), but every orbit reaches the fixed point 0 (P1)
    cert = certify(Family([["1", "0"], ["0", "1"]], ["-1", "-1"]), x=[3, 1])
    assert (cert.theorem, cert.limit) == ("P1", (F(0), F(0)))


def test_t7d_growth_bound():
    # u^T y_d >= u^T y_K + gamma * sum a_n, gamma = w^T y_K (proofs/T7d_chained_growth.md)
    fam = Family([["1", "2/n"], ["0", "1"]], ["0", "1/n^3"])
    cert = certify(fam, x=[0, 1])
    assert (cert.verdict, cert.theorem) == ("diverges", "T7d")
    u, w, K = cert.witnesses["u"], cert.witnesses["w"], cert.witnesses["K"]
    net = fam.truncate(80)
    yK = net.hidden([0, 1], K)
    gamma, base = sum(a * c for a, c in zip(w, yK)), sum(a * c for a, c in zip(u, yK))
    for d in range(K, 81):
        rate = sum(F(2, k) for k in range(fam.start + K, fam.start + d))
        assert sum(a * c for a, c in zip(u, net.hidden([0, 1], d))) >= base + gamma * rate


def test_t6b_bound_against_truncations():
    # W_n = W + [[0, 1/n^2], [0, 0]], b_n = b + (0, 3^-n) around a contraction with |W| row sums 7/12, 1/2
    fam = Family([["1/3", "1/4 + 1/n^2"], ["1/4", "-1/4"]], ["1", "1/2 + 3^(-n)"])
    cert = certify(fam)
    assert cert.theorem == "T6b"
    # y* = sigma(W y* + b): both active: y1 = y1/3 + y2/4 + 1, y2 = y1/4 - y2/4 + 1/2
    # -> (2/3) y1 - y2/4 = 1 and -y1/4 + (5/4) y2 = 1/2; y2 = (8/3) y1 - 4 gives (37/12) y1 = 11/2,
    # so y1 = 66/37 and y2 = 176/37 - 4 = 28/37 (both > 0, consistent with the pattern)
    assert cert.limit == (F(66, 37), F(28, 37))
    for x in [(F(2), F(-2)), (F(-1), F(1))]:
        for d in (3, 30, 300):
            assert _gap(cert.limit, _mp_state(fam, x, d)) <= float(cert.tail_bound(d, 2))
