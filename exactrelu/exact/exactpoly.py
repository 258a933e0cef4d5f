"""Exact sign decisions for polynomials in one variable on rays ``[N, oo)``.

The sign engine itself is :mod:`exactrelu.exact.polysign` (standard library and
python-flint only, imported by the trusted kernel); this module re-exports it and adds
conversion from sympy and the least-N searches used by the certifier.  Every answer is decided in exact integer/rational arithmetic
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

from . import polysign as _ps
from .polysign import iroot_ceil, iroot_floor  # noqa: F401  (re-exported)

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
    """Convert a polynomial (flint poly or ascending coefficients) to ``fmpq_poly``."""
    if isinstance(p, flint.fmpq_poly):
        return p
    if isinstance(p, flint.fmpz_poly):
        return flint.fmpq_poly(p)
    if isinstance(p, (str, bytes)) or not hasattr(p, "__iter__"):
        raise ValueError(f"{p!r} is not a polynomial (expected flint poly or coefficient list)")
    return flint.fmpq_poly([_fmpq(c) for c in p])


def to_fmpz_poly(p: PolyLike) -> flint.fmpz_poly:
    """``d * p`` with integer coefficients for the positive common denominator d (same signs and roots).

    >>> to_fmpz_poly([Fraction(1, 2), Fraction(-1, 3)])
    (-2)*x + 3
    """
    return p if isinstance(p, flint.fmpz_poly) else to_fmpq_poly(p).numer()


# The kernel's engine (exactrelu.exact.polysign) on flint polynomials; here any PolyLike and rational N.
def taylor_shift(p: PolyLike, a: Any) -> flint.fmpq_poly:
    """``p(x + a)``, exactly."""
    return _ps.taylor_shift(to_fmpq_poly(p), _fmpq(a))


def roots_in_ray(p: PolyLike, N: Any) -> int:
    """Number of distinct real roots of ``p`` in the open ray ``(N, oo)``; ValueError for zero.

    >>> roots_in_ray([2, -3, 1], 0), roots_in_ray([2, -3, 1], 1), roots_in_ray([1, -2, 1], 0)
    (2, 1, 1)
    """
    return _ps.roots_in_ray(to_fmpq_poly(p), _fmpq(N))


def positive_on(p: PolyLike, N: Any) -> bool:
    """Whether ``p(x) > 0`` for every real ``x >= N``.

    >>> positive_on([-3, 1], 3), positive_on([-3, 1], Fraction(31, 10))
    (False, True)
    """
    return _ps.positive_on(to_fmpq_poly(p), _fmpq(N))


def nonnegative_on(p: PolyLike, N: Any) -> bool:
    """Whether ``p(x) >= 0`` for every real ``x >= N``.

    >>> nonnegative_on([0, 0, 1, -1], 0), nonnegative_on([-1, 1], 1), nonnegative_on([], 5)
    (False, True, True)
    """
    return _ps.nonnegative_on(to_fmpq_poly(p), _fmpq(N))


def max_real_root_upper_bound(p: PolyLike) -> int:
    """An integer strictly greater than every real root of ``p``.

    >>> max_real_root_upper_bound([-6, 1, 1])
    8
    """
    return _ps.max_real_root_upper_bound(to_fmpq_poly(p))


def sign_eventually(p: PolyLike) -> int:
    """Sign of ``p(x)`` for all large real ``x`` (0 for zero).

    >>> sign_eventually([100, -1]), sign_eventually([]), sign_eventually([-5, 0, 2])
    (-1, 0, 1)
    """
    return _ps.sign_eventually(to_fmpq_poly(p))


def integer_roots_at_least(p: PolyLike, N: int) -> list[int]:
    """The integer roots ``k >= N`` of a nonzero ``p``, sorted.

    >>> integer_roots_at_least([6, -5, 1], 0), integer_roots_at_least([-1, 0, 2], -10)
    ([2, 3], [])
    """
    return _ps.integer_roots_at_least(to_fmpq_poly(p), N)


__all__ = [
    "to_fmpz_poly",
    "to_fmpq_poly",
    "from_sympy",
    "rational_function_from_sympy",
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


def _least_from(p: PolyLike, lower: int, predicate) -> int | None:
    q = to_fmpq_poly(p)
    lower = int(lower)
    if predicate(q, lower):
        return lower
    if q.is_zero() or q.leading_coefficient() < 0:
        return None
    cap = max(lower, max_real_root_upper_bound(q))  # no roots beyond: holds there
    lo, step = lower, 1  # invariant: fails at lo; monotone in N
    while True:  # gallop up from lower: the least N is usually far below the root bound (issue 14.4)
        hi = min(lower + step, cap)
        if predicate(q, hi):
            break
        if hi == cap:  # cannot happen (Cauchy bound); be safe, not sorry
            return None
        lo, step = hi, 2 * step
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
