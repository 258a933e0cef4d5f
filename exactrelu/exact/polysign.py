"""Exact sign decisions for flint polynomials on rays ``[N, oo)``, part of the trusted kernel (Sturm sequences
and a Descartes test; proofs/summability.md, "Polynomial sign decision")."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import flint

def _variations(values: Any) -> int:
    signs = [v > 0 for v in values if v != 0]
    return sum(a != b for a, b in zip(signs, signs[1:]))

def taylor_shift(p: Any, a: Any) -> flint.fmpq_poly:
    """``p(x + a)``, exactly.

    >>> taylor_shift(flint.fmpz_poly([0, 0, 1]), 1)
    x^2 + 2*x + 1
    """
    return flint.fmpq_poly(p)(flint.fmpq_poly([a, 1]))

def roots_in_ray(p: Any, N: Any) -> int:
    """Number of distinct real roots of a nonzero ``p`` in the open ray ``(N, oo)``; ValueError for zero.

    >>> p = flint.fmpz_poly([2, -3, 1])  # (x - 1)(x - 2)
    >>> roots_in_ray(p, 0), roots_in_ray(p, 1), roots_in_ray(p ** 2, 0)
    (2, 1, 2)
    """
    q, a = flint.fmpq_poly(p), flint.fmpq(N)
    if q.is_zero():
        raise ValueError("the zero polynomial has a root everywhere")
    q, seq = _sturm(tuple(q.coeffs()))
    if q.degree() <= 0 or _variations(taylor_shift(q, a).coeffs()) == 0:
        return 0  # Descartes: no sign variation of q(x + a) means no root in (a, oo)
    if q(a) != 0:
        return _variations([s(a) for s in seq]) - _variations([s.leading_coefficient() for s in seq])
    return roots_in_ray(q // flint.fmpq_poly([-a, 1]), N)  # Sturm wants q(a) != 0: remove the simple root a

@lru_cache(maxsize=8)  # a few: Sturm sequences of high degree are large
def _sturm(coeffs: tuple) -> tuple:
    """(square-free part q, Sturm sequence of q) of a nonzero polynomial (cached: issue 14.4)."""
    q = flint.fmpq_poly(list(coeffs))
    g = q.gcd(q.derivative())
    q = q if g.degree() <= 0 else q // g  # square-free part: same roots, all simple
    seq = [q, q.derivative()]
    while seq[-1].degree() > 0:
        r = -(seq[-2] % seq[-1])
        if r.is_zero():
            break
        seq.append(r)
    return q, tuple(seq)

def positive_on(p: Any, N: Any) -> bool:
    """Whether ``p(x) > 0`` for every real ``x >= N`` (p(N) > 0 and no root beyond N).

    >>> positive_on(flint.fmpz_poly([-3, 1]), 3), positive_on(flint.fmpz_poly([-3, 1]), flint.fmpq(31, 10))
    (False, True)
    """
    q = flint.fmpq_poly(p)
    return not q.is_zero() and q(flint.fmpq(N)) > 0 and roots_in_ray(q, N) == 0

def nonnegative_on(p: Any, N: Any) -> bool:
    """Whether ``p(x) >= 0`` for every real ``x >= N`` (no root of odd multiplicity beyond N).

    >>> nonnegative_on(flint.fmpz_poly([0, 0, 1, -1]), 0), nonnegative_on(flint.fmpz_poly([-1, 1]), 1)
    (False, True)
    """
    q = flint.fmpq_poly(p)
    if q.is_zero():
        return True
    if q.leading_coefficient() < 0:
        return False
    odd = flint.fmpz_poly([1])
    for f, mult in q.numer().factor_squarefree()[1]:
        odd = odd * f if mult % 2 else odd
    return roots_in_ray(odd, N) == 0

def max_real_root_upper_bound(p: Any) -> int:
    """An integer strictly greater than every real root of a nonzero ``p`` (Cauchy: |z| <= 1 + max |a_i / a_d|).

    >>> max_real_root_upper_bound(flint.fmpz_poly([-6, 1, 1]))
    8
    """
    c = flint.fmpq_poly(p).coeffs()
    if not c:
        raise ValueError("the zero polynomial has a root everywhere")
    return 0 if len(c) == 1 else int((1 + max(abs(x) for x in c[:-1]) / abs(c[-1])).floor()) + 1

def sign_eventually(p: Any) -> int:
    """Sign of ``p(x)`` for all large real ``x`` (that of the leading coefficient; 0 for zero).

    >>> sign_eventually(flint.fmpz_poly([100, -1])), sign_eventually(flint.fmpz_poly([]))
    (-1, 0)
    """
    q = flint.fmpq_poly(p)
    return 0 if q.is_zero() else (1 if q.leading_coefficient() > 0 else -1)

def integer_roots_at_least(p: Any, N: int) -> list[int]:
    """The integer roots ``k >= N`` of a nonzero ``p``, sorted (exact factorisation by flint).

    >>> integer_roots_at_least(flint.fmpz_poly([6, -5, 1]), 0), integer_roots_at_least(flint.fmpz_poly([-1, 0, 2]), -9)
    ([2, 3], [])
    """
    q = flint.fmpq_poly(p).numer()
    if q.is_zero():
        raise ValueError("the zero polynomial has every integer as a root")
    return sorted({int(r) for r, _ in q.roots() if int(r) >= N}) if q.degree() > 0 else []

def iroot_floor(x: int, k: int) -> int:
    """``floor(x ** (1/k))`` for integers ``x >= 0``, ``k >= 1``, exactly.

    >>> iroot_floor(26, 3), iroot_floor(27, 3), iroot_floor(10**40, 2) == 10**20
    (2, 3, True)
    """
    if x < 0 or k < 1:
        raise ValueError("iroot_floor needs x >= 0 and k >= 1")
    return int(flint.fmpz(x).root(k))

def iroot_ceil(x: int, k: int) -> int:
    """``ceil(x ** (1/k))`` for integers ``x >= 0``, ``k >= 1``, exactly.

    >>> iroot_ceil(26, 3), iroot_ceil(27, 3), iroot_ceil(28, 3)
    (3, 3, 4)
    """
    r = iroot_floor(x, k)
    return r if r**k == x else r + 1
