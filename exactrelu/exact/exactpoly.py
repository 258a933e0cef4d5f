"""Exact sign decisions for polynomials in one variable on rays ``[N, oo)``.

This module is part of the trusted core: the independent certificate checker
imports it.  Every answer is decided in exact integer/rational arithmetic
(python-flint ``fmpz_poly``/``fmpq_poly``); nothing here uses floating point.

The one workhorse is :func:`roots_in_ray`, the number of distinct real roots
of a polynomial in the open ray ``(N, oo)``, computed with a Sturm sequence
over the rationals (a Descartes sign-variation test on ``p(x + N)`` answers
the common "no roots" case faster and is also exact).  From it follow

* :func:`positive_on` -- ``p(x) > 0`` for every real ``x >= N``;
* :func:`nonnegative_on` -- ``p(x) >= 0`` for every real ``x >= N``;
* :func:`least_positive_from`, :func:`least_nonnegative_from` -- the least
  integer ``N`` from which that holds (the predicates are monotone in ``N``);
* :func:`max_real_root_upper_bound`, :func:`sign_eventually`,
  :func:`integer_roots_at_least`, and conversion from sympy.

Polynomials may be given as ``fmpz_poly``, ``fmpq_poly``, or a sequence of
coefficients in ascending order (ints, Fractions).  Proofs: proofs/summability.md,
section "Polynomial sign decision".

>>> nonnegative_on([1, -2, 1], 0)        # (x - 1)^2 >= 0 everywhere
True
>>> positive_on([1, -2, 1], 0), positive_on([1, -2, 1], 2)
(False, True)
>>> least_positive_from([-10, 0, 1], 0)  # x^2 - 10 > 0 from x = 4 on (3^2 < 10)
4
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence, Union

import flint

__all__ = [
    "to_fmpz_poly",
    "to_fmpq_poly",
    "from_sympy",
    "rational_function_from_sympy",
    "sign_at",
    "roots_in_ray",
    "positive_on",
    "nonnegative_on",
    "least_positive_from",
    "least_nonnegative_from",
    "max_real_root_upper_bound",
    "sign_eventually",
    "integer_roots_at_least",
    "iroot_floor",
    "iroot_ceil",
]

PolyLike = Union[flint.fmpz_poly, flint.fmpq_poly, Sequence[Any]]


def _fmpq(x: Any) -> flint.fmpq:
    if isinstance(x, flint.fmpq):
        return x
    if isinstance(x, bool):
        raise ValueError(f"{x!r} is not a rational number")
    if isinstance(x, (int, flint.fmpz)):
        return flint.fmpq(int(x))
    if isinstance(x, Fraction):
        return flint.fmpq(x.numerator, x.denominator)
    raise ValueError(f"{x!r} is not an exact rational (int, Fraction, fmpq)")


def to_fmpq_poly(p: PolyLike) -> flint.fmpq_poly:
    """Convert a polynomial (flint poly or ascending coefficients) to ``fmpq_poly``.

    >>> to_fmpq_poly([Fraction(1, 2), 0, 3])
    3*x^2 + 1/2
    """
    if isinstance(p, flint.fmpq_poly):
        return p
    if isinstance(p, flint.fmpz_poly):
        return flint.fmpq_poly(p)
    if isinstance(p, (str, bytes)) or not hasattr(p, "__iter__"):
        raise ValueError(f"{p!r} is not a polynomial (expected flint poly or coefficient list)")
    return flint.fmpq_poly([_fmpq(c) for c in p])


def to_fmpz_poly(p: PolyLike) -> flint.fmpz_poly:
    """Integer polynomial with the same sign everywhere (denominators cleared).

    The result is ``d * p`` for the positive integer ``d`` = common denominator,
    so signs and roots are unchanged.

    >>> to_fmpz_poly([Fraction(1, 2), Fraction(-1, 3)])
    (-2)*x + 3
    """
    if isinstance(p, flint.fmpz_poly):
        return p
    q = to_fmpq_poly(p)
    return q.numer()  # numer() of an fmpq_poly is q * denom() with denom() > 0


def from_sympy(expr: Any, var: Any) -> flint.fmpq_poly:
    """Convert a sympy polynomial in ``var`` with rational coefficients to ``fmpq_poly``.

    Raises ValueError if ``expr`` is not a polynomial in ``var`` with rational
    coefficients.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> from_sympy(x**2 / 2 - 3, x)
    1/2*x^2 + (-3)
    """
    import sympy

    expr = sympy.sympify(expr) if isinstance(expr, (int, Fraction)) else expr
    if not isinstance(expr, sympy.Basic):
        raise ValueError(f"{expr!r} is not a sympy expression")
    if expr.free_symbols - {var}:
        raise ValueError(f"{expr} has symbols other than {var}")
    try:
        poly = sympy.Poly(expr, var)
    except sympy.PolynomialError as exc:
        raise ValueError(f"{expr} is not a polynomial in {var}") from exc
    coeffs = []
    for c in reversed(poly.all_coeffs()):
        if not (isinstance(c, sympy.Basic) and c.is_Rational):
            raise ValueError(f"{expr} has a non-rational coefficient {c}")
        coeffs.append(Fraction(int(c.p), int(c.q)))
    return to_fmpq_poly(coeffs)


def rational_function_from_sympy(expr: Any, var: Any) -> tuple[flint.fmpz_poly, flint.fmpz_poly]:
    """Write a rational function of ``var`` as ``num / den`` with integer polynomials.

    The pair is in lowest terms, ``den`` has a positive leading coefficient;
    raises ValueError when ``expr`` is not a rational function with rational
    coefficients.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> rational_function_from_sympy(1 / (x**2 + x) + 1 / (x + 1), x)
    (1, x)
    """
    import sympy

    if expr.free_symbols - {var}:
        raise ValueError(f"{expr} has symbols other than {var}")
    if not expr.is_rational_function(var):
        raise ValueError(f"{expr} is not a rational function of {var}")
    num, den = sympy.fraction(sympy.cancel(sympy.together(expr)))
    pq, qq = from_sympy(sympy.expand(num), var), from_sympy(sympy.expand(den), var)
    # multiply both by the same positive integer: the quotient is unchanged
    d = flint.fmpq(int(pq.denom()) * int(qq.denom()))
    p, q = (pq * d).numer(), (qq * d).numer()
    if q.is_zero():
        raise ValueError(f"{expr} has a zero denominator")
    g = p.gcd(q)  # exact cancellation; flint's gcd has positive leading coefficient
    p, q = p // g, q // g
    if q.leading_coefficient() < 0:
        p, q = -p, -q
    return p, q


def sign_at(p: PolyLike, x: Any) -> int:
    """Exact sign (-1, 0, 1) of ``p(x)`` at a rational ``x``.

    >>> sign_at([-2, 0, 1], Fraction(3, 2)), sign_at([-2, 0, 1], 1)
    (1, -1)
    """
    v = to_fmpq_poly(p)(_fmpq(x))
    return (v > 0) - (v < 0)


def _sign_variations(values: Sequence[Any]) -> int:
    signs = [1 if v > 0 else -1 for v in values if v != 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def _taylor_shift(p: flint.fmpq_poly, a: flint.fmpq) -> flint.fmpq_poly:
    # p(x + a) by Horner's scheme on polynomials, exact.
    shift = flint.fmpq_poly([a, 1])
    out = flint.fmpq_poly([])
    for c in reversed(p.coeffs()):
        out = out * shift + c
    return out


def _squarefree(p: flint.fmpq_poly) -> flint.fmpq_poly:
    g = p.gcd(p.derivative())
    return p if g.degree() <= 0 else p // g


def roots_in_ray(p: PolyLike, N: Any) -> int:
    """Number of distinct real roots of ``p`` in the open ray ``(N, oo)``.

    Exact: Descartes' rule on ``p(x + N)`` proves "no root" quickly; otherwise
    a Sturm sequence of the square-free part counts the roots.  Raises
    ValueError for the zero polynomial (every point is a root).

    >>> roots_in_ray([2, -3, 1], 0), roots_in_ray([2, -3, 1], 1), roots_in_ray([2, -3, 1], 2)
    (2, 1, 0)
    >>> roots_in_ray([1, -2, 1], 0)    # the double root 1 counts once
    1
    """
    q = to_fmpq_poly(p)
    a = _fmpq(N)
    if q.is_zero():
        raise ValueError("the zero polynomial has a root everywhere")
    q = _squarefree(q)
    if q.degree() <= 0:
        return 0
    # Descartes: sign variations of the coefficients of q(x + a) bound the
    # number of positive roots of q(x + a), i.e. the roots of q in (a, oo).
    if _sign_variations(_taylor_shift(q, a).coeffs()) == 0:
        return 0
    if q(a) == 0:  # Sturm's theorem wants q(a) != 0; remove the simple root a
        q = q // flint.fmpq_poly([-a, 1])
        if q.degree() <= 0:
            return 0
    seq = [q, q.derivative()]
    while seq[-1].degree() > 0:
        r = -(seq[-2] % seq[-1])
        if r.is_zero():
            break
        seq.append(r)
    at_a = _sign_variations([s(a) for s in seq])
    at_inf = _sign_variations([s.leading_coefficient() for s in seq])
    return at_a - at_inf


def positive_on(p: PolyLike, N: Any) -> bool:
    """Whether ``p(x) > 0`` for every real ``x >= N``.

    True iff ``p(N) > 0`` and ``p`` has no real root in ``(N, oo)`` (then p keeps
    its sign on the connected ray, by the intermediate value theorem).

    >>> positive_on([-3, 1], 3), positive_on([-3, 1], Fraction(31, 10))
    (False, True)
    """
    q = to_fmpq_poly(p)
    if q.is_zero() or q(_fmpq(N)) <= 0:
        return False
    return roots_in_ray(q, N) == 0


def _odd_part(p: flint.fmpq_poly) -> flint.fmpq_poly:
    # Product of the square-free factors of odd multiplicity: exactly the
    # roots where p changes sign.
    _, factors = to_fmpz_poly(p).factor_squarefree()
    out = flint.fmpq_poly([1])
    for f, mult in factors:
        if mult % 2 == 1:
            out = out * flint.fmpq_poly(f)
    return out


def nonnegative_on(p: PolyLike, N: Any) -> bool:
    """Whether ``p(x) >= 0`` for every real ``x >= N``.

    True iff p is zero, or its leading coefficient is positive and no root of
    odd multiplicity lies in ``(N, oo)`` (p changes sign exactly at those).

    >>> nonnegative_on([0, 0, -1], 0), nonnegative_on([0, 0, 1, -1], 0), nonnegative_on([0, 0, 1, -1], 2)
    (False, False, False)
    >>> nonnegative_on([-1, 1], 1), nonnegative_on([], 5)
    (True, True)
    """
    q = to_fmpq_poly(p)
    if q.is_zero():
        return True
    if q.leading_coefficient() < 0:
        return False
    return roots_in_ray(_odd_part(q), N) == 0


def max_real_root_upper_bound(p: PolyLike) -> int:
    """An integer strictly greater than every real root of ``p`` (Cauchy's bound).

    Every complex root z of ``a_d x^d + ... + a_0`` has
    ``|z| <= 1 + max_i |a_i / a_d|``; the result is one more than the floor of
    that.  For constant nonzero ``p`` it is 0.  Raises ValueError for zero.

    >>> max_real_root_upper_bound([-6, 1, 1])   # roots -3 and 2; bound 1 + 6 = 7
    8
    """
    q = to_fmpq_poly(p)
    if q.is_zero():
        raise ValueError("the zero polynomial has a root everywhere")
    if q.degree() == 0:
        return 0
    c = q.coeffs()
    lead = abs(Fraction(int(c[-1].p), int(c[-1].q)))
    m = max(abs(Fraction(int(x.p), int(x.q))) for x in c[:-1]) / lead
    return int(1 + m) + 1


def sign_eventually(p: PolyLike) -> int:
    """Sign of ``p(x)`` for all large real ``x`` (the leading coefficient's sign).

    >>> sign_eventually([100, -1]), sign_eventually([]), sign_eventually([-5, 0, 2])
    (-1, 0, 1)
    """
    q = to_fmpq_poly(p)
    if q.is_zero():
        return 0
    lc = q.leading_coefficient()
    return 1 if lc > 0 else -1


def _least_from(p: PolyLike, lower: int, predicate) -> int | None:
    q = to_fmpq_poly(p)
    lower = int(lower)
    if predicate(q, lower):
        return lower
    if q.is_zero() or q.leading_coefficient() < 0:
        return None
    hi = max(lower, max_real_root_upper_bound(q))  # no roots beyond: holds there
    if not predicate(q, hi):  # cannot happen (Cauchy bound); be safe, not sorry
        return None
    lo = lower  # invariant: fails at lo, holds at hi; monotone in N
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if predicate(q, mid):
            hi = mid
        else:
            lo = mid
    return hi


def least_positive_from(p: PolyLike, lower: int = 0) -> int | None:
    """Least integer ``N >= lower`` with ``p > 0`` on ``[N, oo)``, or None if none.

    >>> least_positive_from([-6, 1, 1], 0), least_positive_from([6, -1], 0)
    (3, None)
    """
    return _least_from(p, lower, positive_on)


def least_nonnegative_from(p: PolyLike, lower: int = 0) -> int | None:
    """Least integer ``N >= lower`` with ``p >= 0`` on ``[N, oo)``, or None if none.

    >>> least_nonnegative_from([-6, 1, 1], 0), least_nonnegative_from([-6, 1, 1], 5)
    (2, 5)
    """
    return _least_from(p, lower, nonnegative_on)


def integer_roots_at_least(p: PolyLike, N: int) -> list[int]:
    """The integer roots ``k >= N`` of ``p``, sorted, found by exact factorisation.

    >>> integer_roots_at_least([6, -5, 1], 0)     # (x - 2)(x - 3)
    [2, 3]
    >>> integer_roots_at_least([-1, 0, 2], -10)   # roots +-1/sqrt(2): none
    []
    """
    q = to_fmpz_poly(p)
    if q.is_zero():
        raise ValueError("the zero polynomial has every integer as a root")
    roots = []
    if q.degree() > 0:
        _, factors = q.factor()
        for f, _ in factors:
            if f.degree() == 1:
                b, a = (int(c) for c in f.coeffs())
                if b % a == 0 and -b // a >= N:
                    roots.append(-b // a)
    return sorted(set(roots))


def iroot_floor(x: int, k: int) -> int:
    """``floor(x ** (1/k))`` for an integer ``x >= 0`` and ``k >= 1``, exactly.

    >>> iroot_floor(26, 3), iroot_floor(27, 3), iroot_floor(10**40, 2) == 10**20
    (2, 3, True)
    """
    if x < 0 or k < 1:
        raise ValueError("iroot_floor needs x >= 0 and k >= 1")
    if x < 2:
        return x
    r = 1 << ((x.bit_length() + k - 1) // k)  # r^k >= x: start above and go down
    while True:
        s = ((k - 1) * r + x // r ** (k - 1)) // k  # integer Newton step
        if s >= r:
            break
        r = s
    while r**k > x:
        r -= 1
    while (r + 1) ** k <= x:
        r += 1
    return r


def iroot_ceil(x: int, k: int) -> int:
    """``ceil(x ** (1/k))`` for an integer ``x >= 0`` and ``k >= 1``, exactly.

    >>> iroot_ceil(26, 3), iroot_ceil(27, 3), iroot_ceil(28, 3)
    (3, 3, 4)
    """
    r = iroot_floor(x, k)
    return r if r**k == x else r + 1
