"""Exact summability and divergence certificates for series in n.

:func:`summability` looks for a witness that ``sum_{n >= start} |a(n)|`` is
finite or infinite and returns a :class:`SeriesCertificate`.  The search, by
the shape of the term (see :class:`exactrelu.depth.series_check.Term`):

* ``|a(n)| ~ lam n^d`` (rational functions, algebraic powers, ``(1+1/n)^n``):
  comparison with ``C n^(-p)``, ``p = -d``, when ``d < -1``; ``|a(n)| >= c/n``
  when ``-1 <= d < 0``; ``|a(n)| >= c`` when ``d >= 0``;
* exponential or factorial growth: the ratio test when
  ``|a(n+1)/a(n)| -> L < 1``, ``|a(n+1)| >= |a(n)|`` when ``L > 1``, and when
  ``L = 1`` Raabe-type monotone bounds (``|a(n)| n^p`` nonincreasing, or
  ``|a(n)| n`` nondecreasing);
* sums that are not products: the triangle inequality over the parts.

Floats, mpmath and sympy only *propose* constants; every returned
certificate has been re-checked by the exact, independent
:func:`exactrelu.depth.series_check.check_series_certificate`, and the checker can
do the same from the JSON.  When no witness is found the verdict is
"inconclusive" with the reason; it is never a guess.

Summable means absolutely summable (what the convergence theorems need):
``(-1)^n / n`` is reported "not summable".

>>> from exactrelu.depth.series import summability, n
>>> cert = summability(1 / n**2)
>>> cert.verdict, cert.method, cert.witnesses["p"]
('summable', 'comparison', Fraction(2, 1))
>>> cert.tail_bound(100) <= Fraction(1, 99)     # sum_{k>100} 1/k^2 < 1/100
True
>>> summability(1 / n).verdict, summability(2**n / n**5).method
('not summable', 'limit not zero')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

import flint
import mpmath
import sympy

from ..exact import exactpoly as ep
from ..exact.jsonio import envelope, read_envelope
from .tails import least_N as _least_N
from .series_check import (
    N_SYM,
    SeriesCertificate,
    Term,
    UnsupportedTerm,
    _root,
    check_denominators,
    check_series_certificate,
    conditions,
    normalize_term,
)

__all__ = [
    "n",
    "summability",
    "SeriesCertificate",
    "SeriesSum",
    "summable_sum",
    "entrywise_summability",
    "check_series_certificate",
]

n = N_SYM
_MAX_HEAD = 200  # prefer witnesses valid from start + this many terms on


def _mpf(q: Fraction) -> mpmath.mpf:
    """A rational as an mpmath number (proposals only)."""
    return mpmath.mpf(q.numerator) / q.denominator


def _round_up(x: mpmath.mpf) -> Fraction:
    """A simple rational >= x (x > 0), about 2^-16 relative above x."""
    e = max(0, 16 - int(mpmath.floor(mpmath.log(x, 2))))
    return Fraction(int(mpmath.ceil(x * 2**e)), 2**e)


def _round_down(x: mpmath.mpf) -> Fraction:
    """A simple rational in (0, x] for x > 0."""
    e = max(0, 16 - int(mpmath.floor(mpmath.log(x, 2))))
    return Fraction(int(mpmath.floor(x * 2**e)), 2**e)


def _lead(p: tuple) -> int:
    return p[-1]


def _check_domain(t: Term, start: int, expr) -> None:
    """Raise ValueError when a(n) is undefined or not real at some integer n >= start."""
    for alpha, beta, _ in t.factorials:
        if alpha * start + beta < 0:
            raise ValueError(f"term {expr}: factorial of a negative integer at n = {start}")
    for coeffs, e in t.powers:
        p = flint.fmpz_poly(list(coeffs))
        if e < 0:
            poles = ep.integer_roots_at_least(p, start)
            if poles:
                raise ValueError(f"term {expr} has a pole at n = {poles[0]} >= start = {start}")
        if e.denominator != 1 and not ep.nonnegative_on(p, start):
            if ep.sign_eventually(p) < 0:
                raise ValueError(f"term {expr} is not real for large n")
            for m in range(start, ep.max_real_root_upper_bound(p) + 1):
                if int(p(m)) < 0:
                    raise ValueError(f"term {expr} is not real at n = {m} >= start = {start}")
    for coeffs, _ in t.selfpowers:
        roots = ep.integer_roots_at_least(flint.fmpz_poly(list(coeffs)), start)
        if roots:
            raise ValueError(f"term {expr}: a base of a power in n vanishes at n = {roots[0]}")


def _attempt(t, expr, start, verdict, method, witnesses, finish=None):
    """Least N for these witnesses, and the checked certificate, or None."""
    try:
        conds = conditions(t, method, witnesses)
    except ValueError:
        return None
    N = _least_N(conds, start)
    if N is None:
        return None
    w = dict(witnesses, N=N)
    if finish is not None:
        w = finish(w)
    cert = SeriesCertificate(expr, start, verdict, method, w, "")
    try:
        check_series_certificate(cert)  # never hand out an unchecked certificate
    except ValueError:
        return None
    return cert


def _first_good(attempts: Iterable) -> SeriesCertificate | None:
    """First certificate with a short head, else the one with the least N."""
    best = None
    for cert in attempts:
        if cert is None:
            continue
        if cert.witnesses["N"] - cert.start <= _MAX_HEAD:
            return cert
        if best is None or cert.witnesses["N"] < best.witnesses["N"]:
            best = cert
    return best


def _ks(t: Term) -> tuple[int, ...]:
    return (1, 2, 3, 5) if t.selfpowers else (1,)


# --------------------------------------------------------------- routes


def _selfpower_AB(t: Term) -> tuple[flint.fmpz_poly, flint.fmpz_poly]:
    a, b = flint.fmpz_poly([1]), flint.fmpz_poly([1])
    for coeffs, m in t.selfpowers:
        p = flint.fmpz_poly(list(coeffs))
        if m > 0:
            a *= p**m
        else:
            b *= p ** (-m)
    return a, b


def _is_algebraic_type(t: Term) -> bool:
    """No exponential growth: base 1, no factorials, prod P^(m n) -> a finite nonzero limit."""
    if t.base != 1 or t.eexp or any(m for _, _, m in t.factorials):
        return False
    a, b = _selfpower_AB(t)
    return a.degree() == b.degree() and a.leading_coefficient() == b.leading_coefficient()


def _algebraic(t: Term, expr, start: int) -> SeriesCertificate | None:
    """Comparison / lower bound / limit not zero for terms ~ lam * n^d."""
    d = sum((e * (len(p) - 1) for p, e in t.powers), Fraction(0))
    with mpmath.workdps(30):
        lam = mpmath.mpf(abs(t.coeff.numerator)) / t.coeff.denominator
        for b, e in t.consts:
            lam *= mpmath.power(mpmath.mpf(b.numerator) / b.denominator, mpmath.mpf(e.numerator) / e.denominator)
        for p, e in t.powers:
            lam *= mpmath.power(abs(_lead(p)), mpmath.mpf(e.numerator) / e.denominator)
        lam *= mpmath.exp(mpmath.mpf(t.econst.numerator) / t.econst.denominator)
        a, b = _selfpower_AB(t)
        diff = a - b
        if t.selfpowers and diff.degree() == b.degree() - 1:  # n (S - 1) -> lc(a-b)/lc(b)
            lam *= mpmath.exp(mpmath.mpf(int(diff.leading_coefficient())) / int(b.leading_coefficient()))
        exact = _exact_lead(t)
        if d < -1:
            Cs = ([exact] if exact is not None else []) + [
                _round_up(lam * (1 + m)) for m in (Fraction(1, 16), Fraction(1, 2), 2, 15, 2**10 - 1, 2**24 - 1)]
            attempts = (
                _attempt(t, expr, start, "summable", "comparison", {"C": C, "p": -d, "k": k, **sq})
                for sq in ({}, {"squares": 1})  # squares: numerators may change sign before N
                for C in Cs
                for k in _ks(t)
            )
            return _first_good(attempts)
        method = "limit not zero" if d >= 0 else "lower bound"
        attempts = (
            _attempt(t, expr, start, "not summable", method, {"c": _round_down(lam * (1 - m)), "k": k})
            for m in (Fraction(1, 16), Fraction(1, 2), Fraction(7, 8))
            for k in _ks(t)
        )
        cert = _first_good(attempts)
    if cert is not None and method == "lower bound" and not t.alternating:
        cert = _with_sign(t, cert) or cert
    return cert


def _exact_lead(t: Term) -> Fraction | None:
    """lim |a(n)| n^(-d) when it is rational (no algebraic constants, no P(n)^n)."""
    if t.selfpowers or t.econst:
        return None
    q = t.q  # lam^q is rational; lam is rational when that is a perfect q-th power
    lam_q = abs(t.coeff) ** q
    for b, e in t.consts:
        lam_q *= b ** int(e * q)
    for p, e in t.powers:
        lam_q *= Fraction(abs(_lead(p))) ** int(e * q)
    top, bot = ep.iroot_floor(lam_q.numerator, q), ep.iroot_floor(lam_q.denominator, q)
    return Fraction(top, bot) if Fraction(top, bot) ** q == lam_q else None


def _with_sign(t: Term, cert: SeriesCertificate) -> SeriesCertificate | None:
    """Add the sign witness (a(n) has a constant sign, so sum a(n) itself diverges)."""
    s = 1 if t.coeff > 0 else -1
    for coeffs, e in t.powers:
        if e.denominator == 1 and e.numerator % 2:
            s *= ep.sign_eventually(flint.fmpz_poly(list(coeffs)))
    w = {k: v for k, v in cert.witnesses.items() if k != "N"}
    return _attempt(t, cert.term, cert.start, "not summable", "lower bound", dict(w, sign=s))


def _ratio_limit(t: Term) -> tuple[int, mpmath.mpf]:
    """(D, L): |a(n+1)/a(n)| ~ L n^D (L meaningful when D == 0)."""
    D = sum(alpha * m for alpha, _, m in t.factorials) + sum(m * (len(p) - 1) for p, m in t.selfpowers)
    L = _mpf(t.base) * mpmath.exp(_mpf(t.eexp))
    for alpha, _, m in t.factorials:
        L *= mpmath.power(alpha, alpha * m)
    for p, m in t.selfpowers:
        L *= mpmath.power(_lead(p), m) * mpmath.exp(m * (len(p) - 1))
    return D, L


def _exact_ratio_limit(t: Term) -> Fraction | None:
    """lim |a(n+1)/a(n)| when it is rational and the growth degree D is 0."""
    if t.selfpowers or t.eexp or sum(alpha * m for alpha, _, m in t.factorials) != 0:
        return None
    lim = t.base
    for alpha, _, m in t.factorials:
        lim *= Fraction(alpha) ** (alpha * m)
    return lim


def _raabe_s(t: Term) -> mpmath.mpf:
    """s with |a(n+1)/a(n)| = 1 - s/n + O(1/n^2), estimated at a huge n (proposal only)."""
    with mpmath.workdps(80):
        x = mpmath.mpf(10) ** 15
        log_rho = mpmath.log(mpmath.mpf(t.base.numerator) / t.base.denominator)
        log_rho += mpmath.mpf(t.eexp.numerator) / t.eexp.denominator

        def val(p, y):
            return sum(mpmath.mpf(c) * y**i for i, c in enumerate(p))

        for p, e in t.powers:
            log_rho += _mpf(e) * (mpmath.log(abs(val(p, x + 1))) - mpmath.log(abs(val(p, x))))
        for alpha, beta, m in t.factorials:
            log_rho += m * sum(mpmath.log(alpha * x + beta + j) for j in range(1, alpha + 1))
        for p, m in t.selfpowers:
            a, b = val(p, x + 1), val(p, x)
            log_rho += m * (mpmath.log(a) + x * (mpmath.log(a) - mpmath.log(b)))
        return -x * log_rho


def _simplify(q: Fraction, up: bool) -> Fraction:
    """A rational with a power-of-two denominator, >= q (up) or <= q, within 2^-20 relative."""
    if q <= 0:
        return q
    e = 20 - (q.numerator.bit_length() - q.denominator.bit_length())  # keep ~20 leading bits
    scaled = q * Fraction(2) ** e
    top = math.ceil(scaled) if up else math.floor(scaled)
    out = top / Fraction(2) ** e
    return out if out > 0 else q


def _anchor(t: Term, N: int, p: Fraction, up: bool) -> Fraction:
    """A simple rational bound (upper if up) of |a(N)| N^p."""
    Q = t.q * p.denominator
    lo, hi = t.abs_power_q_bounds(N)
    value = (hi if up else lo) ** (Q // t.q) * Fraction(N) ** int(p * Q)
    return _simplify(_root(value, Q, up), up)


def _hypergeometric(t: Term, expr, start: int) -> tuple[SeriesCertificate | None, str]:
    """Ratio test (summable) or |a(n+1)| >= |a(n)| (limit not zero); Raabe-type when the ratio -> 1."""
    with mpmath.workdps(30):
        D, L = _ratio_limit(t)
        if D < 0 or (D == 0 and L < 1 - mpmath.mpf(10) ** -12):
            rs = [Fraction(1, 2)] if D < 0 else []
            if D == 0:
                exact = _exact_ratio_limit(t)
                rs = ([exact] if exact is not None else []) + [
                    _round_up(L + (1 - L) * f) for f in (mpmath.mpf(1) / 16, mpmath.mpf(1) / 2, mpmath.mpf(7) / 8)]
            rs = [r for r in rs if r < 1]
            attempts = (
                _attempt(t, expr, start, "summable", "ratio", {"r": r, "k": k}) for r in rs for k in _ks(t)
            )
            return _first_good(attempts), "the ratio test did not close"
        limit_one = D == 0 and not L > 1 + mpmath.mpf(10) ** -12
    if limit_one:
        cert = _raabe(t, expr, start)
        if cert is not None:
            return cert, ""

    def finish(w):
        return dict(w, c=_lower_rational(t, w["N"]))

    attempts = (
        _attempt(t, expr, start, "not summable", "limit not zero", {"c": Fraction(1), "monotone": 1, "k": k}, finish)
        for k in _ks(t)
    )
    cert = _first_good(attempts)
    reason = "the ratio |a(n+1)/a(n)| tends to 1 and no Raabe-type bound closed" if limit_one else (
        "growth could not be proved")
    return cert, reason


def _raabe(t: Term, expr, start: int) -> SeriesCertificate | None:
    """|a(n)| n^p monotone: comparison (p > 1) or lower bound c/n, anchored at N."""
    s = _raabe_s(t)
    if s > 1 + mpmath.mpf(10) ** -6:
        ps = []
        for den in (1, 2, 4, 8, 16):
            p = Fraction(int(mpmath.ceil(s * den)) - 1, den)
            if p > 1 and mpmath.mpf(p.numerator) / p.denominator < s and p not in ps:
                ps.append(p)
        ps.sort(reverse=True)

        def finish_c(w):
            return dict(w, C=_anchor(t, w["N"], w["p"], up=True))

        attempts = (
            _attempt(t, expr, start, "summable", "comparison", {"C": Fraction(1), "p": p, "monotone": 1, "k": k},
                     finish_c)
            for p in ps[:3]
            for k in _ks(t)
        )
        return _first_good(attempts)

    def finish_l(w):
        return dict(w, c=min(_anchor(t, w["N"], Fraction(1), up=False), Fraction(1)))

    attempts = (
        _attempt(t, expr, start, "not summable", "lower bound", {"c": Fraction(1), "monotone": 1, "k": k}, finish_l)
        for k in _ks(t)
    )
    return _first_good(attempts)


def _lower_rational(t: Term, N: int) -> Fraction:
    """A simple positive rational <= |a(N)|."""
    # only c > 0 matters for divergence: no need for a huge c
    return min(_simplify(t.abs_lower(N), up=False), Fraction(1))


def summability(term: Any, start: int = 1) -> SeriesCertificate:
    """Decide whether ``sum_{n >= start} |a(n)|`` is finite, with an exact certificate.

    ``term`` is a sympy expression in ``n`` (any symbol named n), an int or a
    Fraction.  Returns a :class:`SeriesCertificate` whose verdict is
    "summable", "not summable" or "inconclusive" (with the reason).  Raises
    ValueError when the term is undefined or not real at some integer
    ``n >= start`` (a pole, a factorial of a negative number).

    >>> summability(sympy.factorial(n) / n**n).method
    'ratio'
    >>> summability(sympy.log(n) / n**2).verdict
    'inconclusive'
    >>> summability(1 / (n - 2))
    Traceback (most recent call last):
    ...
    ValueError: term 1/(n - 2) has a pole at n = 2 >= start = 1
    """
    if not isinstance(start, int) or isinstance(start, bool) or start < 1:
        raise ValueError(f"start must be an integer >= 1, got {start!r}")
    expr = normalize_term(term)
    try:
        t = Term.from_sympy(expr)
    except UnsupportedTerm as exc:
        if isinstance(expr, sympy.Add):
            return _by_parts(expr, start, exc)
        return SeriesCertificate(expr, start, "inconclusive", None, {},
                                 f"unsupported term: {exc}; supported are products of rational "
                                 "functions, rational powers, r^n, factorials, binomials and P(n)^n")
    _check_domain(t, start, expr)
    check_denominators(expr, start)  # holes hidden by cancellation, such as (n^2 - 9)/(n - 3) at 3
    if t.coeff == 0:
        return SeriesCertificate(expr, start, "summable", "comparison",
                                 {"C": Fraction(0), "p": Fraction(2), "N": start}, "every term is 0")
    if _is_algebraic_type(t):
        cert, reason = _algebraic(t, expr, start), "no comparison or lower bound could be proved"
    else:
        cert, reason = _hypergeometric(t, expr, start)
    if cert is None:
        return SeriesCertificate(expr, start, "inconclusive", None, {}, reason)
    cert.reason = _explain(cert)
    return cert


def _by_parts(expr: sympy.Add, start: int, exc: Exception) -> SeriesCertificate:
    """Triangle inequality: a sum of absolutely summable parts is absolutely summable."""
    parts = tuple(summability(a, start) for a in expr.args)
    bad = [p for p in parts if p.verdict != "summable"]
    if not bad:
        N = max(p.witnesses["N"] for p in parts)
        cert = SeriesCertificate(expr, start, "summable", "sum", {"N": start}, "", parts)
        check_series_certificate(cert)
        cert.reason = f"|a(n)| <= sum of {len(parts)} absolutely summable parts (from n >= {N} each: " + "; ".join(
            f"{p.term}: {p.reason}" for p in parts) + ")"
        return cert
    if len(bad) == 1 and bad[0].verdict == "not summable":
        cert = SeriesCertificate(expr, start, "not summable", "sum", {"N": start}, "", parts)
        check_series_certificate(cert)
        cert.reason = (f"the part {bad[0].term} is not summable ({bad[0].reason}) and the other parts are, "
                       "so by the triangle inequality the sum is not summable")
        return cert
    return SeriesCertificate(expr, start, "inconclusive", None, {},
                             f"unsupported as a product ({exc}); as a sum, the part {bad[0].term} is "
                             f"{bad[0].verdict}, so the triangle inequality does not decide")


def _explain(cert: SeriesCertificate) -> str:
    w = cert.witnesses
    N = w["N"]
    if cert.method == "comparison" and w.get("monotone"):
        return (f"|a(n)| n^{w['p']} is nonincreasing for n >= {N} (ratio bound) and at most {w['C']}, "
                f"so |a(n)| <= {w['C']} n^(-{w['p']}), p > 1")
    if cert.method == "comparison":
        return f"|a(n)| <= {w['C']} n^(-{w['p']}) for n >= {N}, p > 1"
    if cert.method == "lower bound" and w.get("monotone"):
        return f"|a(n)| n is nondecreasing for n >= {N} (ratio bound) and at least {w['c']}, so |a(n)| >= {w['c']}/n"
    if cert.method == "ratio":
        return f"|a(n+1)| <= {w['r']} |a(n)| for n >= {N}"
    if cert.method == "lower bound":
        return f"|a(n)| >= {w['c']}/n for n >= {N}"
    if w.get("monotone"):
        return f"|a(n+1)| >= |a(n)| for n >= {N} and |a({N})| >= {w['c']}, so a(n) does not tend to 0"
    return f"|a(n)| >= {w['c']} > 0 for n >= {N}, so a(n) does not tend to 0"


# ------------------------------------------------------- sums of series


@dataclass
class SeriesSum:
    """Certificates for several series; bounds ``sum_n sum_i |a_i(n)|``.

    The verdict is "summable" when every part is, "not summable" when some
    part is not (all parts are nonnegative, so one divergent part suffices),
    otherwise "inconclusive".  The tail bound is the sum of the parts' bounds.
    """

    certificates: tuple

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.certificates}
        if "not summable" in verdicts:
            return "not summable"
        return "inconclusive" if "inconclusive" in verdicts else "summable"

    def tail_bound(self, K: int) -> Fraction:
        """Exact upper bound of ``sum_{k > K} sum_i |a_i(k)|``."""
        return sum((c.tail_bound(K) for c in self.certificates), Fraction(0))

    def total_bound(self) -> Fraction:
        """Exact upper bound of the whole sum ``sum_{k >= start} sum_i |a_i(k)|``."""
        return sum((c.tail_bound(c.start - 1) for c in self.certificates), Fraction(0))

    def verify(self) -> bool:
        """Check every part exactly (True, or ValueError)."""
        return all(check_series_certificate(c) for c in self.certificates)

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return envelope("exactrelu.series-sum", 1, certificates=[c.to_json() for c in self.certificates])

    @classmethod
    def from_json(cls, data: Any) -> "SeriesSum":
        """Inverse of :meth:`to_json` (a dict, JSON text or a path; envelope, version and keys checked)."""
        data = read_envelope(data, "series sum", "exactrelu.series-sum", 1, {"certificates"}, ("certificates",))
        if not isinstance(data["certificates"], list):
            raise ValueError("series sum JSON: certificates must be a list")
        return cls(tuple(SeriesCertificate.from_json(c) for c in data["certificates"]))


def summable_sum(terms: Iterable[Any], start: int = 1) -> SeriesSum:
    """Certify ``sum_n sum_i |a_i(n)|`` term by term (zero terms included).

    >>> s = summable_sum([1 / n**2, sympy.Rational(1, 2)**n])
    >>> s.verdict, s.tail_bound(10) <= Fraction(1, 10) + Fraction(1, 2**10)
    ('summable', True)
    """
    return SeriesSum(tuple(summability(t, start) for t in terms))


def entrywise_summability(matrix: Any, start: int = 1) -> SeriesSum:
    """Certify ``sum_n ||A(n)||`` via ``||A|| <= sum_ij |a_ij|`` (bounds any max-row-sum norm).

    ``matrix`` is a sympy Matrix (or nested lists) of terms in n; entries
    identically 0 are skipped.

    >>> s = entrywise_summability(sympy.Matrix([[1 / n**2, 0], [0, 1 / n**3]]))
    >>> s.verdict, len(s.certificates)
    ('summable', 2)
    """
    rows = matrix.tolist() if hasattr(matrix, "tolist") else matrix
    terms = [normalize_term(x) for row in rows for x in row]
    return summable_sum([x for x in terms if x != 0], start)
