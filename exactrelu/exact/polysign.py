"""Exact sign decisions for integer/rational polynomials on rays ``[N, oo)`` (python-flint).

Part of the trusted kernel (it imports this module; standard library and python-flint only).
The workhorse is :func:`roots_in_ray`, the number of
distinct real roots in ``(N, oo)`` by a Sturm sequence (a Descartes test on
``p(x + N)`` answers the common "no root" case first).  Proofs:
proofs/summability.md, section "Polynomial sign decision".

>>> nonnegative_on([1, -2, 1], 0), positive_on([1, -2, 1], 0), positive_on([1, -2, 1], 2)
(True, False, True)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence, Union

import flint

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
    if isinstance(p, flint.fmpz_poly):
        return p
    return to_fmpq_poly(p).numer()  # numer() of an fmpq_poly is q * denom() with denom() > 0


def _sign_variations(values: Sequence[Any]) -> int:
    signs = [1 if v > 0 else -1 for v in values if v != 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def taylor_shift(p: flint.fmpq_poly, a: Any) -> flint.fmpq_poly:
    """``p(x + a)`` by Horner's scheme, exactly."""
    shift = flint.fmpq_poly([_fmpq(a), 1])
    out = flint.fmpq_poly([])
    for c in reversed(p.coeffs()):
        out = out * shift + c
    return out


def roots_in_ray(p: PolyLike, N: Any) -> int:
    """Number of distinct real roots of ``p`` in the open ray ``(N, oo)``; ValueError for zero.

    >>> roots_in_ray([2, -3, 1], 0), roots_in_ray([2, -3, 1], 1), roots_in_ray([1, -2, 1], 0)
    (2, 1, 1)
    """
    q, a = to_fmpq_poly(p), _fmpq(N)
    if q.is_zero():
        raise ValueError("the zero polynomial has a root everywhere")
    g = q.gcd(q.derivative())
    q = q if g.degree() <= 0 else q // g  # square-free part: same roots, all simple
    if q.degree() <= 0 or _sign_variations(taylor_shift(q, a).coeffs()) == 0:
        return 0  # Descartes: no sign variation of q(x + a) means no root in (a, oo)
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
    return _sign_variations([s(a) for s in seq]) - _sign_variations([s.leading_coefficient() for s in seq])


def positive_on(p: PolyLike, N: Any) -> bool:
    """Whether ``p(x) > 0`` for every real ``x >= N`` (p(N) > 0 and no root beyond N).

    >>> positive_on([-3, 1], 3), positive_on([-3, 1], Fraction(31, 10))
    (False, True)
    """
    q = to_fmpq_poly(p)
    if q.is_zero() or q(_fmpq(N)) <= 0:
        return False
    return roots_in_ray(q, N) == 0


def nonnegative_on(p: PolyLike, N: Any) -> bool:
    """Whether ``p(x) >= 0`` for every real ``x >= N``.

    True iff p is zero, or its leading coefficient is positive and no root of odd
    multiplicity (where p changes sign) lies in ``(N, oo)``.

    >>> nonnegative_on([0, 0, 1, -1], 0), nonnegative_on([-1, 1], 1), nonnegative_on([], 5)
    (False, True, True)
    """
    q = to_fmpq_poly(p)
    if q.is_zero():
        return True
    if q.leading_coefficient() < 0:
        return False
    _, factors = to_fmpz_poly(q).factor_squarefree()
    odd = flint.fmpq_poly([1])
    for f, mult in factors:
        if mult % 2 == 1:
            odd = odd * flint.fmpq_poly(f)
    return roots_in_ray(odd, N) == 0


def max_real_root_upper_bound(p: PolyLike) -> int:
    """An integer strictly greater than every real root of ``p`` (Cauchy: |z| <= 1 + max |a_i / a_d|).

    >>> max_real_root_upper_bound([-6, 1, 1])
    8
    """
    q = to_fmpq_poly(p)
    if q.is_zero():
        raise ValueError("the zero polynomial has a root everywhere")
    if q.degree() == 0:
        return 0
    c = [Fraction(int(x.p), int(x.q)) for x in q.coeffs()]
    return int(1 + max(abs(x) for x in c[:-1]) / abs(c[-1])) + 1


def sign_eventually(p: PolyLike) -> int:
    """Sign of ``p(x)`` for all large real ``x`` (that of the leading coefficient; 0 for zero).

    >>> sign_eventually([100, -1]), sign_eventually([]), sign_eventually([-5, 0, 2])
    (-1, 0, 1)
    """
    q = to_fmpq_poly(p)
    return 0 if q.is_zero() else (1 if q.leading_coefficient() > 0 else -1)


def integer_roots_at_least(p: PolyLike, N: int) -> list[int]:
    """The integer roots ``k >= N`` of a nonzero ``p``, sorted (exact factorisation by flint).

    >>> integer_roots_at_least([6, -5, 1], 0), integer_roots_at_least([-1, 0, 2], -10)
    ([2, 3], [])
    """
    q = to_fmpz_poly(p)
    if q.is_zero():
        raise ValueError("the zero polynomial has every integer as a root")
    if q.degree() <= 0:
        return []
    return sorted({int(r) for r, _ in q.roots() if int(r) >= N})


def iroot_floor(x: int, k: int) -> int:
    """``floor(x ** (1/k))`` for integers ``x >= 0``, ``k >= 1``, exactly (integer Newton).

    >>> iroot_floor(26, 3), iroot_floor(27, 3), iroot_floor(10**40, 2) == 10**20
    (2, 3, True)
    """
    if x < 0 or k < 1:
        raise ValueError("iroot_floor needs x >= 0 and k >= 1")
    if x < 2:
        return x
    r = 1 << ((x.bit_length() + k - 1) // k)  # r^k >= x: start above and go down
    while True:
        s = ((k - 1) * r + x // r ** (k - 1)) // k
        if s >= r:
            break
        r = s
    while r**k > x:
        r -= 1
    while (r + 1) ** k <= x:
        r += 1
    return r


def iroot_ceil(x: int, k: int) -> int:
    """``ceil(x ** (1/k))`` for integers ``x >= 0``, ``k >= 1``, exactly.

    >>> iroot_ceil(26, 3), iroot_ceil(27, 3), iroot_ceil(28, 3)
    (3, 3, 4)
    """
    r = iroot_floor(x, k)
    return r if r**k == x else r + 1
