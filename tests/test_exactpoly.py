"""Tests for exactrelu.exact.exactpoly: exact polynomial sign decisions on [N, oo).

The reference is sympy's own exact root counting (Poly.count_roots, an
independent Sturm/continued-fraction implementation) and exact evaluation at
sample points; every comparison is between exact integers/rationals.
"""

from fractions import Fraction

import flint
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from exactrelu.exact import exactpoly as ep

x = sympy.Symbol("x")

coeff_lists = st.lists(st.integers(-6, 6), min_size=1, max_size=6).filter(lambda c: any(c))
points = st.fractions(min_value=-8, max_value=8, max_denominator=6)


def sym(coeffs):
    return sympy.Poly(list(reversed(coeffs)), x)


def sympy_roots_after(coeffs, N):
    """Distinct real roots in (N, oo), counted by sympy."""
    p = sym(coeffs)
    if p.degree() <= 0:
        return 0
    sqf = sympy.Poly(sympy.quo(p, sympy.gcd(p, p.diff(x))), x)
    Nq = sympy.Rational(N.numerator, N.denominator)
    total = sqf.count_roots(Nq, None)  # closed interval [N, oo)
    return total - (1 if sqf.eval(Nq) == 0 else 0)


@given(coeff_lists, points)
def test_roots_in_ray_matches_sympy(coeffs, N):
    assert ep.roots_in_ray(coeffs, N) == sympy_roots_after(coeffs, N)


@given(coeff_lists, points, st.lists(st.fractions(min_value=0, max_value=30, max_denominator=7), max_size=8))
def test_positive_and_nonnegative_are_sound(coeffs, N, offsets):
    # Soundness at sample points, and the exact characterisation through roots.
    p = flint.fmpq_poly([int(c) for c in coeffs])
    pos, nonneg = ep.positive_on(coeffs, N), ep.nonnegative_on(coeffs, N)
    for off in offsets:
        v = p(flint.fmpq((N + off).numerator, (N + off).denominator))
        if pos:
            assert v > 0
        if nonneg:
            assert v >= 0
    expected_pos = p(flint.fmpq(N.numerator, N.denominator)) > 0 and sympy_roots_after(coeffs, N) == 0
    assert pos == expected_pos
    if pos:
        assert nonneg


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=3), points)
def test_nonnegative_on_squares(coeffs, N):
    # q^2 >= 0 everywhere, -(q^2) + 0 is >= 0 only if q == 0; q^2 * (x - N) >= 0 on [N, oo).
    q = flint.fmpz_poly(coeffs)
    assert ep.nonnegative_on(q * q, N)
    assert ep.nonnegative_on(-(q * q), N) == q.is_zero()
    shift = flint.fmpq_poly([-flint.fmpq(N.numerator, N.denominator), 1])
    assert ep.nonnegative_on(flint.fmpq_poly(q * q) * shift, N)


@given(coeff_lists, st.integers(-10, 10))
def test_least_from_is_least(coeffs, lower):
    for least, pred in ((ep.least_positive_from, ep.positive_on), (ep.least_nonnegative_from, ep.nonnegative_on)):
        N = least(coeffs, lower)
        if N is None:
            # then the polynomial is eventually negative (or zero for positive_on)
            assert ep.sign_eventually(coeffs) <= 0
            continue
        assert N >= lower and pred(coeffs, N)
        if N > lower:
            assert not pred(coeffs, N - 1)


@given(coeff_lists)
def test_root_bound_exceeds_every_real_root(coeffs):
    p = sym(coeffs)
    if p.degree() <= 0:
        return
    B = ep.max_real_root_upper_bound(coeffs)
    assert all(r < B for r in sympy.real_roots(p))


@given(st.lists(st.integers(-9, 9), max_size=4), st.integers(-10, 10), st.sampled_from([[1, 0, 1], [-2, 0, 1], [1]]))
def test_integer_roots_at_least(roots, N, extra):
    # (x - r1)...(x - rk) * (x^2 + 1 or x^2 - 2 or 1): integer roots are exactly the r_i.
    p = flint.fmpz_poly(extra)
    for r in roots:
        p *= flint.fmpz_poly([-r, 1])
    p *= 3  # content must not matter
    assert ep.integer_roots_at_least(p, N) == sorted({r for r in roots if r >= N})


def test_integer_roots_rational_non_integer():
    assert ep.integer_roots_at_least([1, 2], -5) == []  # 2x + 1: root -1/2
    with pytest.raises(ValueError):
        ep.integer_roots_at_least([], 0)


@given(st.integers(0, 10**30), st.integers(1, 7))
def test_iroot(v, k):
    f, c = ep.iroot_floor(v, k), ep.iroot_ceil(v, k)
    assert f**k <= v < (f + 1) ** k
    assert (c - 1) ** k < v <= c**k or (v == 0 and c == 0)


def test_sign_eventually_and_zero_poly():
    assert ep.sign_eventually([0, 0, -1]) == -1
    assert ep.nonnegative_on([], 3) and not ep.positive_on([], 3)
    with pytest.raises(ValueError):
        ep.roots_in_ray([], 0)
    with pytest.raises(ValueError):
        ep.max_real_root_upper_bound([0])


def test_double_root_at_N():
    # (x - 2)^2 (x - 5): nonnegative on [5, oo), not on [4, oo); positive on (5, oo) only.
    p = flint.fmpz_poly([-2, 1]) ** 2 * flint.fmpz_poly([-5, 1])
    assert ep.nonnegative_on(p, 5) and not ep.nonnegative_on(p, 4)
    assert not ep.positive_on(p, 5) and ep.positive_on(p, Fraction(51, 10))
    assert ep.roots_in_ray(p, 2) == 1 and ep.roots_in_ray(p, 1) == 2


@given(st.lists(st.fractions(max_denominator=5, min_value=-5, max_value=5), min_size=1, max_size=5))
def test_to_fmpz_poly_keeps_sign(coeffs):
    q = ep.to_fmpq_poly(coeffs)
    z = ep.to_fmpz_poly(coeffs)
    for t in range(-4, 5):
        a, b = q(t), z(t)
        assert (a > 0) == (b > 0) and (a == 0) == (b == 0)


def test_sympy_conversion():
    n = sympy.Symbol("n")
    p, q = ep.rational_function_from_sympy((n**2 - 1) / (2 * n + 2) + sympy.Rational(1, 3), n)
    # (n - 1)/2 + 1/3 = (3n - 1)/6
    assert sympy.simplify(sympy.Poly(list(reversed([int(c) for c in p.coeffs()])), n).as_expr()
                          / sympy.Poly(list(reversed([int(c) for c in q.coeffs()])), n).as_expr()
                          - (3 * n - 1) / 6) == 0
    with pytest.raises(ValueError):
        ep.from_sympy(sympy.sqrt(n), n)
    with pytest.raises(ValueError):
        ep.from_sympy(sympy.pi * n, n)
    with pytest.raises(ValueError):
        ep.rational_function_from_sympy(sympy.log(n), n)
    with pytest.raises(ValueError):
        ep.to_fmpq_poly([0.5])
