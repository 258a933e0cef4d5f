"""Summability certificates: the data model and the exact, independent check.

This module is the trusted half of :mod:`exactrelu.depth.series`: it knows nothing
about how witnesses are found.  A :class:`SeriesCertificate` states a verdict
about ``sum_{n >= start} |a(n)|`` (absolute summability, which is what the
convergence theorems need) and the witnesses that prove it;
:func:`check_series_certificate` re-derives every inequality from the term and
the witnesses and decides it exactly with :mod:`exactrelu.exact.exactpoly`.

Supported terms (:class:`Term`) are products of

* a rational constant and rational powers of positive rationals,
* ``(-1)^n`` and ``r^n`` with ``r`` rational,
* ``P(n)^e`` with ``P`` an integer polynomial and ``e`` rational (so every
  rational function of ``n`` and algebraic powers such as ``n^(3/2)``),
* ``(alpha n + beta)!^m`` with integers ``alpha >= 0``, ``m`` (binomials are
  rewritten as factorials),
* ``P(n)^(m n)`` (for example ``n^n`` and ``(1 + 1/n)^n``),
* ``e^(a n + b)`` with ``a``, ``b`` rational (enclosed by exact rational bounds).

Methods and their witnesses (all exact rationals or integers), each valid for
every integer ``n >= N``; proofs in proofs/summability.md:

* ``comparison``  (C, p, N[, k][, squares][, monotone]): ``|a(n)| <= C n^(-p)``,
  ``p > 1`` (``squares=1``: polynomial factors may change sign before they settle);
* ``ratio``       (r, N[, k]): ``|a(n+1)| <= r |a(n)|``, ``0 <= r < 1``;
* ``lower bound`` (c, N[, k][, sign]): ``|a(n)| >= c / n``, ``c > 0``
  (and ``sign * a(n) > 0`` when a sign is given);
* ``limit not zero`` (c, N[, k][, monotone]): ``|a(n)| >= c > 0``, checked
  directly, or (``monotone=1``) from ``|a(n+1)| >= |a(n)|`` and ``|a(N)| >= c``.

* ``sum`` (parts): the term is the sum of the parts' terms, each absolutely
  summable (triangle inequality; tail bounds add), or all but one summable and
  that one not (then the sum is not summable either).

``k`` is the truncation order of the binomial bounds used for ``P(n)^(m n)``
factors.  Each inequality becomes "polynomial >= 0 (or > 0) on [N, oo)" after
raising both (positive) sides to the common denominator of the exponents.

>>> import sympy
>>> from fractions import Fraction
>>> cert = SeriesCertificate(1 / N_SYM**2, 1, "summable", "comparison",
...                          {"C": Fraction(1), "p": Fraction(2), "N": 1})
>>> check_series_certificate(cert)
True
>>> cert.tail_bound(10)    # sum_{k>10} 1/k^2 <= 1/10
Fraction(1, 10)
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable

import flint
import sympy

from ..exact import exactpoly as ep

__all__ = [
    "N_SYM",
    "Term",
    "UnsupportedTerm",
    "SeriesCertificate",
    "check_series_certificate",
    "term_to_tree",
    "term_from_tree",
    "normalize_term",
    "check_denominators",
]

N_SYM = sympy.Symbol("n", integer=True, positive=True)
X = flint.fmpz_poly([0, 1])  # the polynomial variable standing for n
# Work limits, so that a hostile certificate cannot make the check run for ever.
MAX_Q = 64  # common denominator of the exponents
MAX_DEGREE = 1000  # degree of a polynomial inequality (Sturm sequences get slow beyond)
MAX_N = 10**6  # N, where the check evaluates a(N) exactly
EXACT_HEAD = 2000  # longer heads of tail bounds are summed with terms rounded up (exact sums get huge)
VERDICTS = {"summable": ("comparison", "ratio", "sum"), "not summable": ("lower bound", "limit not zero", "sum")}


class UnsupportedTerm(ValueError):
    """The term is not of a form this module can reason about exactly."""


# ---------------------------------------------------------------- the term


def normalize_term(expr: Any) -> sympy.Expr:
    """Return ``expr`` as a sympy expression in the package's symbol ``n``.

    Accepts sympy expressions, ints and Fractions; any free symbol must be
    named ``n`` (it is replaced by :data:`N_SYM`).  Strings are refused: parse
    them with a safe parser first (sympify would eval them).

    >>> normalize_term(Fraction(1, 2)), normalize_term(sympy.Symbol("n") + 1) == N_SYM + 1
    (1/2, True)
    """
    if isinstance(expr, bool) or isinstance(expr, str):
        raise ValueError(f"term {expr!r}: give a sympy expression, int or Fraction (not a string)")
    if isinstance(expr, int):
        return sympy.Integer(expr)
    if isinstance(expr, Fraction):
        return sympy.Rational(expr.numerator, expr.denominator)
    if not isinstance(expr, sympy.Expr):
        raise ValueError(f"term {expr!r} is not a sympy expression")
    if expr.atoms(sympy.Float):
        raise ValueError(f"term {expr}: floating-point numbers are not exact; use sympy.Rational")
    subs = {}
    for s in expr.free_symbols:
        if getattr(s, "name", None) != "n":
            raise ValueError(f"term {expr}: unexpected symbol {s} (only n is allowed)")
        subs[s] = N_SYM
    return expr.xreplace(subs) if subs else expr


def _size(expr: sympy.Expr) -> int:
    """A cheap upper estimate of the degree in n (and of exponents) of an expression."""
    if expr.is_Number:
        return 0
    if expr.is_Symbol:
        return 1
    if isinstance(expr, sympy.Pow) and expr.exp.is_Number:
        return max(_size(expr.base), 1) * int(abs(expr.exp) + 1)
    parts = [_size(a) for a in expr.args]
    if isinstance(expr, sympy.Add):
        return max(parts, default=0)
    if isinstance(expr, sympy.Mul):
        return sum(parts) + 1
    # a function such as factorial(a n + b): its ratio has degree about |a|
    numbers = [abs(x) for a in expr.args for x in a.atoms(sympy.Number)]
    return sum(parts) + int(sum(numbers)) + 1


def _frac(r: sympy.Rational) -> Fraction:
    return Fraction(int(r.p), int(r.q))


def _linear(expr: sympy.Expr) -> tuple[Fraction, Fraction] | None:
    """(a, b) with expr == a n + b, both rational, or None."""
    try:
        p = ep.from_sympy(sympy.expand(expr), N_SYM)
    except ValueError:
        return None
    if p.degree() > 1:
        return None
    c = [Fraction(int(x.p), int(x.q)) for x in p.coeffs()] + [Fraction(0)] * 2
    return c[1], c[0]


def _primitive(p: flint.fmpz_poly) -> tuple[int, tuple[int, ...]]:
    """content (with the sign of the leading coefficient) and primitive part."""
    c = [int(x) for x in p.coeffs()]
    g = math.gcd(*c)
    if c[-1] < 0:
        g = -g
    return g, tuple(x // g for x in c)


@dataclass(frozen=True)
class Term:
    """A product term ``a(n)``, in the exact form the checker reasons about.

    ``a(n) = coeff * prod b^e (consts) * (-1)^n (if alternating) * base^n
    * prod P(n)^e (powers) * prod (alpha n + beta)!^m (factorials)
    * prod P(n)^(m n) (selfpowers) * e^(eexp n + econst)``; polynomials are
    tuples of integer coefficients in ascending order.

    >>> t = Term.from_sympy(sympy.factorial(N_SYM) / N_SYM**N_SYM)
    >>> t.factorials, t.selfpowers
    (((1, 0, 1),), (((0, 1), -1),))
    """

    coeff: Fraction = Fraction(1)
    consts: tuple = ()
    alternating: bool = False
    base: Fraction = Fraction(1)
    powers: tuple = ()
    factorials: tuple = ()
    selfpowers: tuple = ()
    eexp: Fraction = Fraction(0)
    econst: Fraction = Fraction(0)

    @classmethod
    def from_sympy(cls, expr: Any) -> "Term":
        """Parse a sympy expression in n; raise :class:`UnsupportedTerm` if unsupported.

        A sum that is not a product (``n^3/2^n + n^2/2^n``) is first brought over a
        common denominator with ``sympy.together`` (an identity).

        >>> Term.from_sympy((-1)**N_SYM * 3 / (2 * N_SYM**2)).powers
        (((0, 1), Fraction(-2, 1)),)
        """
        return _parse(normalize_term(expr))

    @classmethod
    def _from_sympy(cls, expr: sympy.Expr) -> "Term":
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, sympy.Pow) and node.exp.is_Rational and node.exp.q > MAX_Q:
                raise UnsupportedTerm(f"exponent {node.exp} has too large a denominator (limit {MAX_Q})")
        if _size(expr) > MAX_DEGREE:
            raise UnsupportedTerm(f"the term is too large to reason about exactly (degree limit {MAX_DEGREE})")
        acc = _Acc()
        if expr == 0:
            return cls(coeff=Fraction(0))
        if expr.is_rational_function(N_SYM):
            try:
                p, q = ep.rational_function_from_sympy(expr, N_SYM)
            except ValueError:
                p = None  # irrational coefficients: try the product form
            if p is not None:
                acc.poly_power(p, Fraction(1))
                acc.poly_power(q, Fraction(-1))
                return acc.term()
        try:
            for f in sympy.Mul.make_args(expr):
                acc.absorb(f, 1)
        except UnsupportedTerm:
            combined = sympy.together(expr)
            if combined == expr:
                raise
            acc = _Acc()
            for f in sympy.Mul.make_args(combined):
                acc.absorb(f, 1)
        return acc.term()

    @property
    def is_zero(self) -> bool:
        return self.coeff == 0

    @property
    def q(self) -> int:
        """Common denominator of all rational exponents."""
        dens = [e.denominator for _, e in self.consts] + [e.denominator for _, e in self.powers]
        return math.lcm(1, *dens)

    def abs_power_q(self, k: int) -> Fraction:
        """``|a(k)|^q`` exactly (a rational), for an integer ``k``; ValueError if undefined.

        Only for terms without ``e^(...)`` factors; :meth:`abs_power_q_bounds` always works.
        """
        if self.eexp or self.econst:
            raise ValueError("|a(k)|^q is not rational: the term has a factor e^(...)")
        return self._algebraic_power_q(k)

    def abs_power_q_bounds(self, k: int) -> tuple[Fraction, Fraction]:
        """Rationals ``lo <= |a(k)|^q <= hi`` (equal when the value is rational)."""
        v = self._algebraic_power_q(k)
        lo, hi = exp_bounds((self.eexp * k + self.econst) * self.q)
        return v * lo, v * hi

    def _algebraic_power_q(self, k: int) -> Fraction:
        q = self.q
        v = abs(self.coeff) ** q * self.base ** (k * q)
        for b, e in self.consts:
            v *= b ** int(e * q)
        for p, e in self.powers:
            x = Fraction(int(flint.fmpz_poly(list(p))(k)))
            if x == 0 and e < 0 or x < 0 and e.denominator != 1:
                raise ValueError(f"term undefined or not real at n = {k}")
            v *= abs(x) ** int(e * q)
        for alpha, beta, m in self.factorials:
            if alpha * k + beta < 0:
                raise ValueError(f"factorial of a negative integer at n = {k}")
            v *= Fraction(math.factorial(alpha * k + beta)) ** (m * q)
        for p, m in self.selfpowers:
            x = Fraction(int(flint.fmpz_poly(list(p))(k)))
            if x == 0 and m * k <= 0:
                raise ValueError(f"term undefined at n = {k}")
            v *= abs(x) ** (m * k * q)
        return v

    def abs_upper(self, k: int) -> Fraction:
        """An exact rational upper bound of ``|a(k)|`` (the value itself when rational).

        >>> t = Term.from_sympy(1 / sympy.sqrt(N_SYM))
        >>> t.abs_upper(9), t.abs_lower(2) ** 2 <= Fraction(1, 2) <= t.abs_upper(2) ** 2
        (Fraction(1, 3), True)
        """
        return _root(self.abs_power_q_bounds(k)[1], self.q, up=True)

    def abs_lower(self, k: int) -> Fraction:
        """An exact rational lower bound of ``|a(k)|`` (the value itself when rational)."""
        return _root(self.abs_power_q_bounds(k)[0], self.q, up=False)


MAX_EXP_ARG = 10**6  # |x| in e^x evaluated by exp_bounds


def _dyadic(x: Fraction, up: bool, bits: int = 96) -> Fraction:
    """x > 0 rounded outward to ``bits`` significant bits (a dyadic rational)."""
    e = bits - (x.numerator.bit_length() - x.denominator.bit_length())
    scaled = x * Fraction(2) ** e
    top = math.ceil(scaled) if up else math.floor(scaled)
    return top / Fraction(2) ** e


def exp_bounds(x: Fraction) -> tuple[Fraction, Fraction]:
    """Rationals ``lo <= e^x <= hi`` for a rational x, within about 2^-60 relative.

    For 0 <= y <= 1 and k = 30: sum_{j<=k} y^j/j! <= e^y <= sum_{j<k} y^j/j!
    + y^k/k! (k+1)/(k+1-y) (proofs/summability.md, Lemma 2.3); then
    e^y = (e^(y/2^s))^(2^s) by repeated squaring, rounding lo down and hi up;
    e^(-y) = 1/e^y.

    >>> lo, hi = exp_bounds(Fraction(1))
    >>> Fraction(2718281828459045, 10**15) < lo < hi < Fraction(2718281828459046, 10**15)  # e = 2.71828182845904523...
    True
    """
    x = Fraction(x)
    if x == 0:
        return Fraction(1), Fraction(1)
    y = abs(x)
    if y > MAX_EXP_ARG:
        raise ValueError(f"e^({x}) is too large to bound exactly here")
    s = max(0, math.ceil(y).bit_length())  # y / 2^s <= 1
    z = y / 2**s
    k = 30
    term, lo = Fraction(1), Fraction(1)
    for j in range(1, k):
        term = term * z / j
        lo += term
    head = lo
    term = term * z / k  # z^k / k!
    lo = _dyadic(head + term, up=False)
    hi = _dyadic(head + term * Fraction(k + 1) / (k + 1 - z), up=True)
    for _ in range(s):
        lo, hi = _dyadic(lo * lo, up=False), _dyadic(hi * hi, up=True)
    return (lo, hi) if x > 0 else (1 / hi, 1 / lo)


@functools.lru_cache(maxsize=2048)
def _parse(expr: sympy.Expr) -> Term:
    # Terms are immutable and parsing runs sympy's cancel: cache it (checks and
    # tail bounds parse the same term many times).
    return Term._from_sympy(expr)


def _root(v: Fraction, q: int, up: bool) -> Fraction:
    # v^(1/q) = (num * den^(q-1))^(1/q) / den, rounded at 2^-64 relative scale.
    if q == 1:
        return v
    scale = 1 << 64
    x = v.numerator * v.denominator ** (q - 1) * scale**q
    r = ep.iroot_ceil(x, q) if up else ep.iroot_floor(x, q)
    return Fraction(r, v.denominator * scale)


class _Acc:
    """Accumulates the factors of a product while parsing."""

    def __init__(self) -> None:
        self.coeff = Fraction(1)
        self.consts: dict[Fraction, Fraction] = {}
        self.alternating = False
        self.base = Fraction(1)
        self.powers: dict[tuple, Fraction] = {}
        self.factorials: dict[tuple, int] = {}
        self.selfpowers: dict[tuple, int] = {}
        self.eexp = Fraction(0)
        self.econst = Fraction(0)

    def term(self) -> Term:
        if self.coeff == 0:
            return Term(coeff=Fraction(0))

        def items(d):
            return tuple(sorted((k, v) for k, v in d.items() if v != 0))

        consts = items(self.consts)
        return Term(
            self.coeff,
            tuple((b, e) for b, e in consts if b != 1),
            self.alternating,
            self.base,
            items(self.powers),
            tuple((a, b, m) for (a, b), m in items(self.factorials)),
            items(self.selfpowers),
            self.eexp,
            self.econst,
        )

    def const_power(self, b: Fraction, e: Fraction) -> None:
        if b == 0:
            if e <= 0:
                raise UnsupportedTerm("division by zero in a constant")
            self.coeff = Fraction(0)
        elif e.denominator == 1:
            self.coeff *= b ** int(e)
        elif b < 0:
            raise UnsupportedTerm(f"non-real constant ({b})^({e})")
        else:
            self.consts[b] = self.consts.get(b, Fraction(0)) + e

    def poly_power(self, p: flint.fmpz_poly, e: Fraction) -> None:
        if p.is_zero():
            if e <= 0:
                raise UnsupportedTerm("division by the zero polynomial")
            self.coeff = Fraction(0)
            return
        g, prim = _primitive(p)
        if len(prim) == 1:
            self.const_power(Fraction(g), e)
            return
        if e.denominator != 1 and g < 0:  # keep the sign with the polynomial
            g, prim = -g, tuple(-x for x in prim)
        self.const_power(Fraction(g), e)
        self.powers[prim] = self.powers.get(prim, Fraction(0)) + e

    def rational_base(self, b: sympy.Expr) -> tuple[flint.fmpz_poly, flint.fmpz_poly]:
        try:
            return ep.rational_function_from_sympy(b, N_SYM)
        except ValueError as exc:
            raise UnsupportedTerm(f"unsupported base {b}: {exc}") from None

    def absorb(self, f: sympy.Expr, mult: int) -> None:
        if f.is_Rational:
            self.coeff *= _frac(f) ** mult
            return
        if isinstance(f, sympy.exp):
            lin = _linear(f.args[0])
            if lin is None:
                raise UnsupportedTerm(f"exp of {f.args[0]} (need a n + b, rationals)")
            self.eexp += lin[0] * mult
            self.econst += lin[1] * mult
            return
        if isinstance(f, sympy.factorial):
            lin = _linear(f.args[0])
            if lin is None or lin[0].denominator != 1 or lin[1].denominator != 1 or lin[0] < 0:
                raise UnsupportedTerm(f"factorial of {f.args[0]} (need alpha n + beta, integers, alpha >= 0)")
            alpha, beta = int(lin[0]), int(lin[1])
            if alpha == 0:
                if beta < 0:
                    raise UnsupportedTerm(f"factorial of the negative integer {beta}")
                self.coeff *= Fraction(math.factorial(beta)) ** mult
            else:
                key = (alpha, beta)
                self.factorials[key] = self.factorials.get(key, 0) + mult
            return
        if isinstance(f, sympy.binomial):
            top, bot = f.args
            for g, m in ((top, mult), (bot, -mult), (top - bot, -mult)):
                self.absorb(sympy.factorial(sympy.expand(g)), m)
            return
        if isinstance(f, sympy.Pow):
            self.absorb_pow(f.base, f.exp, mult)
            return
        if N_SYM in f.free_symbols and f.is_polynomial(N_SYM):
            p, q = self.rational_base(f)
            self.poly_power(p, Fraction(mult))
            self.poly_power(q, Fraction(-mult))
            return
        raise UnsupportedTerm(f"unsupported factor {f}")

    def absorb_pow(self, b: sympy.Expr, e: sympy.Expr, mult: int) -> None:
        n_in_b, n_in_e = N_SYM in b.free_symbols, N_SYM in e.free_symbols
        if b == sympy.E:
            self.absorb(sympy.exp(e), mult)
            return
        if not n_in_e:
            if not e.is_Rational:
                raise UnsupportedTerm(f"non-rational exponent in {b}^{e}")
            ex = _frac(e) * mult
            if not n_in_b:
                if not b.is_Rational:
                    raise UnsupportedTerm(f"unsupported constant {b}")
                self.const_power(_frac(b), ex)
            elif isinstance(b, (sympy.factorial, sympy.binomial)) and ex.denominator == 1:
                self.absorb(b, int(ex))
            else:
                p, q = self.rational_base(b)
                self.poly_power(p, ex)
                self.poly_power(q, -ex)
            return
        lin = _linear(e)
        if lin is None or lin[0].denominator != 1:
            raise UnsupportedTerm(f"exponent {e} is not a n + b with integer a")
        a, c = int(lin[0]) * mult, lin[1] * mult
        if c != 0:
            self.absorb_pow(b, sympy.Rational(c.numerator, c.denominator), 1)
        if not n_in_b:
            if not b.is_Rational or b == 0:
                raise UnsupportedTerm(f"unsupported base {b} of an exponential")
            r = _frac(b) ** a
            self.alternating ^= r < 0
            self.base *= abs(r)
            return
        p, q = self.rational_base(b)
        for poly, m in ((p, a), (q, -a)):
            g, prim = _primitive(poly)
            # g^(m n) = (g^m)^n; the primitive part has a positive leading coefficient
            r = Fraction(g) ** m
            self.alternating ^= r < 0
            self.base *= abs(r)
            if len(prim) > 1:
                self.selfpowers[prim] = self.selfpowers.get(prim, 0) + m


# ------------------------------------------------- inequalities -> polynomials


def _shift(p: flint.fmpz_poly) -> flint.fmpz_poly:
    """p(n + 1)."""
    out = flint.fmpz_poly([])
    for c in reversed(p.coeffs()):
        out = out * flint.fmpz_poly([1, 1]) + c
    return out


class _Prod:
    """A positive quantity ``const * prod b^e * prod P(n)^e`` plus its side conditions."""

    def __init__(self) -> None:
        self.const = Fraction(1)
        self.consts: list[tuple[Fraction, Fraction]] = []
        self.polys: list[tuple[flint.fmpz_poly, Fraction]] = []
        self.conds: list[tuple[flint.fmpz_poly, str]] = []
        self.eexp = Fraction(0)  # a factor e^eexp, replaced by a rational bound in compare

    def poly(self, p: flint.fmpz_poly, e: Fraction) -> None:
        """Multiply by ``p(n)^e`` and require ``p > 0`` (``p >= 0`` if e > 0)."""
        if e == 0:
            return
        self.polys.append((p, Fraction(e)))
        self.conds.append((p, "nonneg" if e > 0 else "pos"))

    def qpoly(self, p: flint.fmpq_poly, e: int) -> None:
        """Multiply by ``p(n)^e`` for a rational polynomial (denominator into const)."""
        self.const *= Fraction(int(p.denom())) ** (-e)
        self.poly(p.numer(), Fraction(e))

    def abs_poly(self, p: flint.fmpz_poly, e: Fraction) -> None:
        """Multiply by ``|p(n)|^e`` (``p`` itself must be positive if e is not an integer)."""
        s = ep.sign_eventually(p) if e.denominator == 1 else 1
        self.poly(p * s, e)

    def compare(self, bound: Fraction, op: str) -> None:
        """Add the condition ``self <= bound`` (op "le") or ``self >= bound`` ("ge")."""
        q = math.lcm(1, *[e.denominator for _, e in self.consts], *[e.denominator for _, e in self.polys])
        degree = sum(abs(e) * q * p.degree() for p, e in self.polys)
        if q > MAX_Q or degree > MAX_DEGREE:
            raise ValueError(f"too large to check exactly (exponent denominator {q}, degree {degree})")
        k = self.const**q
        for b, e in self.consts:
            k *= b ** int(e * q)
        lo, hi = exp_bounds(self.eexp * q)  # self <= bound needs e^.. from above, >= from below
        k *= hi if op == "le" else lo
        num, den = flint.fmpz_poly([1]), flint.fmpz_poly([1])
        for p, e in self.polys:
            if e > 0:
                num *= p ** int(e * q)
            else:
                den *= p ** int(-e * q)
        lhs = flint.fmpq_poly(num) * flint.fmpq(k.numerator, k.denominator)
        rhs = flint.fmpq_poly(den) * flint.fmpq((bound**q).numerator, (bound**q).denominator)
        self.conds.append(((rhs - lhs if op == "le" else lhs - rhs).numer(), "nonneg"))


def _binomial_lower(x_num, y, k):
    """Numerator of L_k = sum_{j<=k} C(n, j) (X/Y)^j over Y^k (a rational polynomial)."""
    out = flint.fmpq_poly([])
    binom = flint.fmpq_poly([1])  # C(n, j) as a polynomial in n
    for j in range(k + 1):
        out += binom * flint.fmpq_poly(x_num**j * y ** (k - j))
        binom = binom * flint.fmpq_poly([-j, 1]) / (j + 1)
    return out


def _exp_upper(x_num, y, k):
    """(numerator, W) of U_k = sum_{j<k} t^j/j! + t^k/k! (k+1)/(k+1-t), t = n X / Y.

    U_k = numerator / (Y^k W) with W = (k+1) Y - n X, valid while W > 0."""
    nx = X * x_num
    w = (k + 1) * y - nx
    head = flint.fmpq_poly([])
    for j in range(k):
        head += flint.fmpq_poly(nx**j * y ** (k - j)) / math.factorial(j)
    num = head * flint.fmpq_poly(w) + flint.fmpq_poly(nx**k * y) * flint.fmpq(k + 1, math.factorial(k))
    return num, w


def _pow_n(prod: _Prod, a: flint.fmpz_poly, b: flint.fmpz_poly, k: int, upper: bool) -> None:
    """Multiply ``prod`` by a rational upper (or lower) bound of ``(a(n)/b(n))^n``.

    Requires a, b > 0.  With S = a/b: if S >= 1 write S = 1 + X/Y (X = a - b, Y = b),
    else S = 1/(1 + X/Y) (X = b - a, Y = a); then L_k <= (1 + X/Y)^n <= U_k."""
    prod.conds += [(a, "pos"), (b, "pos")]
    d = a - b
    if d.is_zero():
        return
    grows = ep.sign_eventually(d) > 0
    x_num, y = (d, b) if grows else (-d, a)
    prod.conds.append((x_num, "nonneg"))
    use_lower = upper != grows  # an upper bound of 1/(1+x)^n is 1/L_k, etc.
    sign = 1 if grows else -1
    if use_lower:
        prod.qpoly(_binomial_lower(x_num, y, k), sign)
        prod.poly(y, Fraction(-k * sign))
        prod.conds.append((_binomial_lower(x_num, y, k).numer(), "pos"))
    else:
        num, w = _exp_upper(x_num, y, k)
        prod.conds += [(w, "pos"), (num.numer(), "pos")]
        prod.qpoly(num, sign)
        prod.poly(y, Fraction(-k * sign))
        prod.poly(w, Fraction(-sign))


def _selfpower_ratio(t: Term, shifted: bool) -> tuple[flint.fmpz_poly, flint.fmpz_poly]:
    """(A, B) with prod P^m = A/B (unshifted) or prod (P(n+1)/P(n))^m = A/B (shifted)."""
    a, b = flint.fmpz_poly([1]), flint.fmpz_poly([1])
    for coeffs, m in t.selfpowers:
        p = flint.fmpz_poly(list(coeffs))
        top, bot = (_shift(p), p) if shifted else (p, flint.fmpz_poly([1]))
        if m < 0:
            top, bot, m = bot, top, -m
        a, b = a * top**m, b * bot**m
    return a, b


def _abs_term(t: Term, k: int, upper: bool, squares: bool = False) -> _Prod:
    """|a(n)| (base 1, no factorials) as a product, selfpowers bounded with order k.

    With ``squares``, |P|^e for an integer e > 0 is written (P^2)^(e/2), which
    needs no constant sign of P (for upper bounds, where zeros are harmless).
    """
    prod = _Prod()
    prod.const = abs(t.coeff)
    prod.consts = list(t.consts)
    prod.eexp = t.econst
    for coeffs, e in t.powers:
        p = flint.fmpz_poly(list(coeffs))
        if squares and e > 0 and e.denominator == 1:
            prod.poly(p * p, e / 2)
        else:
            prod.abs_poly(p, e)
    if t.selfpowers:
        for coeffs, _ in t.selfpowers:
            prod.conds.append((flint.fmpz_poly(list(coeffs)), "pos"))
        a, b = _selfpower_ratio(t, shifted=False)
        _pow_n(prod, a, b, k, upper)
    return prod


def _abs_ratio(t: Term, k: int, upper: bool) -> _Prod:
    """|a(n+1)| / |a(n)| as a product (selfpower part bounded with order k)."""
    prod = _Prod()
    prod.const = t.base
    prod.eexp = t.eexp  # e^(eexp (n+1) + c) / e^(eexp n + c)
    for coeffs, e in t.powers:
        p = flint.fmpz_poly(list(coeffs))
        prod.abs_poly(_shift(p), e)
        prod.abs_poly(p, -e)
        s = ep.sign_eventually(p) if e.denominator == 1 else 1
        prod.conds.append((p * s, "pos"))  # a(n) != 0, so the ratio is defined
    for alpha, beta, m in t.factorials:
        prod.conds.append((flint.fmpz_poly([beta, alpha]), "nonneg"))
        for j in range(1, alpha + 1):
            prod.poly(flint.fmpz_poly([beta + j, alpha]), Fraction(m))
            prod.conds.append((flint.fmpz_poly([beta + j, alpha]), "pos"))
    if t.selfpowers:
        for coeffs, m in t.selfpowers:
            p = flint.fmpz_poly(list(coeffs))
            prod.conds.append((p, "pos"))
            prod.poly(_shift(p), Fraction(m))
        a, b = _selfpower_ratio(t, shifted=True)
        _pow_n(prod, a, b, k, upper)
    return prod


def conditions(t: Term, method: str, w: dict) -> list[tuple[flint.fmpz_poly, str]]:
    """The polynomial conditions, each to hold on [N, oo), that prove the method's claim.

    Independent of N, so a search can take the least N for each.  Raises
    ValueError when the term's form does not allow the method.  With
    ``monotone`` the inequality is proved through the ratio
    ``rho(n) = |a(n+1)/a(n)|``: comparison needs ``rho(n) ((n+1)/n)^p <= 1``
    (so ``|a(n)| n^p`` is nonincreasing), lower bound ``rho(n) (n+1)/n >= 1``,
    limit not zero ``rho(n) >= 1``; the value at N is checked separately
    (:func:`_check_anchor`).
    """
    k = w.get("k", 1)
    if not isinstance(k, int) or k < 1:
        raise ValueError("witness k must be an integer >= 1")
    if method not in ("comparison", "ratio", "lower bound", "limit not zero"):
        raise ValueError(f"unknown method {method!r}")
    if method == "ratio":
        prod = _abs_ratio(t, k, upper=True)
        prod.compare(w["r"], "le")
    elif w.get("monotone"):
        prod = _abs_ratio(t, k, upper=(method == "comparison"))
        shifted = flint.fmpz_poly([1, 1])
        if method == "comparison":
            prod.poly(shifted, w["p"])
            prod.poly(X, -w["p"])
            prod.compare(Fraction(1), "le")
        else:
            if method == "lower bound":
                prod.poly(shifted, Fraction(1))
                prod.poly(X, Fraction(-1))
            prod.compare(Fraction(1), "ge")
    else:
        if t.base != 1 or t.eexp or any(m for _, _, m in t.factorials):
            raise ValueError(f"{method} without monotone needs a term without r^n (r != 1) and factorials")
        prod = _abs_term(t, k, upper=(method == "comparison"), squares=bool(w.get("squares")))
        if method == "comparison":
            prod.poly(X, w["p"])
            prod.compare(w["C"], "le")
        elif method == "lower bound":
            prod.poly(X, Fraction(1))
            prod.compare(w["c"], "ge")
        else:
            prod.compare(w["c"], "ge")
    conds = prod.conds
    if method == "lower bound" and "sign" in w:
        conds = conds + _sign_conditions(t, w["sign"])
    return conds


def _check_anchor(t: Term, method: str, w: dict, N: int) -> None:
    """For monotone witnesses: |a(N)| N^p <= C, |a(N)| N >= c, or |a(N)| >= c (exactly)."""
    p = {"comparison": w.get("p"), "lower bound": Fraction(1), "limit not zero": Fraction(0)}[method]
    # compare (|a(N)| N^p)^Q with bound^Q, Q a common denominator of everything
    Q = t.q * p.denominator
    lo, hi = t.abs_power_q_bounds(N)  # bounds of |a(N)|^q; exact when rational
    scale = Fraction(N) ** int(p * Q)
    if method == "comparison" and not hi ** (Q // t.q) * scale <= w["C"] ** Q:
        raise ValueError(f"|a({N})| {N}^{p} > C (or not provably <= C)")
    if method != "comparison" and not lo ** (Q // t.q) * scale >= w["c"] ** Q:
        raise ValueError(f"|a({N})| {N}^{p} < c (or not provably >= c)")


def _sign_conditions(t: Term, sign: int) -> list[tuple[flint.fmpz_poly, str]]:
    # sign * a(n) > 0: no alternation, and the product of the signs of the
    # integer-odd-power polynomials times sign(coeff) equals sign.
    if t.alternating or sign not in (1, -1) or t.coeff == 0:
        raise ValueError("no constant sign")
    s = 1 if t.coeff > 0 else -1
    conds = []
    for coeffs, e in t.powers:
        p = flint.fmpz_poly(list(coeffs))
        ps = ep.sign_eventually(p)
        conds.append((p * ps, "pos"))
        if e.denominator == 1 and e.numerator % 2:
            s *= ps
    if s != sign:
        raise ValueError("the sign witness is wrong")
    return conds


def holds(conds: Iterable[tuple[flint.fmpz_poly, str]], N: int) -> bool:
    """Whether every condition holds on [N, oo) (exact).

    >>> t = Term.from_sympy(1 / (N_SYM**2 - 3 * N_SYM + 1))
    >>> conds = conditions(t, "comparison", {"C": Fraction(2), "p": Fraction(2)})
    >>> holds(conds, 5), holds(conds, 4)   # n^2 <= 2 (n^2 - 3n + 1) iff n >= 5.6..., checked on reals
    (False, False)
    >>> holds(conds, 6)
    True
    """
    for p, kind in conds:
        ok = ep.positive_on(p, N) if kind == "pos" else ep.nonnegative_on(p, N)
        if not ok:
            return False
    return True


# ------------------------------------------------------------ certificates


@dataclass
class SeriesCertificate:
    """An exact verdict on ``sum_{n >= start} |a(n)|`` with checkable witnesses.

    ``verdict`` is "summable", "not summable" or "inconclusive"; ``method`` is
    "comparison", "ratio", "lower bound", "limit not zero" or None;
    ``witnesses`` maps names (C, p, r, c, N, k, sign, monotone) to Fractions
    or ints; ``reason`` says in words why (or why not).

    >>> cert = SeriesCertificate(sympy.Rational(1, 2) ** N_SYM, 1, "summable", "ratio",
    ...                          {"r": Fraction(1, 2), "N": 1})
    >>> cert.verify(), cert.tail_bound(3)    # sum_{k>3} 2^-k = 1/8 = (1/16) / (1 - 1/2)
    (True, Fraction(1, 8))
    """

    term: sympy.Expr
    start: int = 1
    verdict: str = "inconclusive"
    method: str | None = None
    witnesses: dict = field(default_factory=dict)
    reason: str = ""
    parts: tuple = ()
    _checked: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.term = normalize_term(self.term)

    def _key(self) -> tuple:
        return (self.term, self.start, self.verdict, self.method, tuple(sorted(self.witnesses.items(), key=str)),
                tuple(p._key() for p in self.parts))

    @property
    def summable(self) -> bool:
        return self.verdict == "summable"

    def verify(self) -> bool:
        """Re-check the witnesses exactly; True, or raise ValueError saying what fails."""
        return check_series_certificate(self)

    def tail_bound(self, K: int) -> Fraction:
        """Exact upper bound of ``sum_{k > K, k >= start} |a(k)|`` (summable certificates).

        For ``K >= N - 1`` this is the witness bound (comparison:
        ``C K^(1-p)/(p-1)``, rounded up when p is not an integer; ratio:
        ``|a(K+1)|/(1-r)``); for smaller K the exact terms (or exact rational
        upper bounds of them) up to ``N - 1`` are added (each rounded up to 128
        significant bits when there are more than 2000 of them).
        """
        if self.verdict != "summable":
            raise ValueError(f"no tail bound: the verdict is {self.verdict!r}")
        if self._checked != self._key():  # a bound from unchecked witnesses would mean nothing
            check_series_certificate(self)
            self._checked = self._key()
        K = max(int(K), self.start - 1)
        if self.method == "sum":
            return sum((p.tail_bound(K) for p in self.parts), Fraction(0))
        t = Term.from_sympy(self.term)
        w = self.witnesses
        N = int(w["N"])
        k0 = max(N - 1, 1) if self.method == "comparison" else N - 1
        total = Fraction(0)
        if k0 - K > MAX_N:
            raise ValueError(f"tail_bound({K}) would sum {k0 - K} terms exactly; use K >= {k0 - MAX_N}")
        exact = k0 - K <= EXACT_HEAD
        while K < k0:  # finite head: exact terms (rounded up to 128 bits when the head is long)
            K += 1
            v = t.abs_upper(K)
            total += v if exact or v == 0 else _dyadic(v, up=True, bits=128)
        if t.is_zero:
            return total
        if self.method == "comparison":
            return total + _pseries_tail(w["C"], w["p"], K)
        return total + t.abs_upper(K + 1) / (1 - w["r"])

    def depth_for(self, tol: Any) -> int:
        """A K >= start - 1 with ``tail_bound(K) <= tol`` (the least, up to rounding), tol > 0.

        >>> SeriesCertificate(1 / N_SYM**2, 1, "summable", "comparison",
        ...                   {"C": Fraction(1), "p": Fraction(2), "N": 1}).depth_for(Fraction(1, 1000))
        1000
        """
        from ..exact.numbers import to_fraction

        tol = to_fraction(tol, where="tol")
        if tol <= 0:
            raise ValueError("tol must be positive")
        lo, hi = self.start - 1, max(self.start, 1)
        if self.tail_bound(lo) <= tol:
            return lo
        while self.tail_bound(hi) > tol:  # the bound tends to 0: this ends
            lo, hi = hi, 2 * hi
        while hi - lo > 1:  # tail_bound(lo) > tol >= tail_bound(hi)
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if self.tail_bound(mid) <= tol else (mid, hi)
        return hi

    def to_json(self) -> dict:
        """A JSON-ready dict (the term as a tree, witnesses as strings 'p/q')."""
        out = {
            "format": "exactrelu.series",
            "version": 1,
            "term": term_to_tree(self.term),
            "start": self.start,
            "verdict": self.verdict,
            "method": self.method,
            "witnesses": {k: str(v) for k, v in self.witnesses.items()},
            "reason": self.reason,
        }
        if self.parts:
            out["parts"] = [p.to_json() for p in self.parts]
        return out

    @classmethod
    def from_json(cls, data: dict | str, _depth: int = 0) -> "SeriesCertificate":
        """Inverse of :meth:`to_json` (accepts the dict or its JSON text); never evals."""
        if _depth > 1:
            raise ValueError("series certificates nest at most one level (parts of a sum)")
        if isinstance(data, str):
            data = json.loads(data)
        if not isinstance(data, dict) or data.get("format") != "exactrelu.series":
            raise ValueError("not an exactrelu.series certificate")
        if data.get("version") != 1:
            raise ValueError(f"unsupported series certificate version {data.get('version')!r}")
        wit = {}
        for key, val in dict(data.get("witnesses", {})).items():
            from ..exact.numbers import to_fraction

            q = to_fraction(str(val), where=f"witness {key}")
            wit[key] = int(q) if key in ("N", "k", "sign", "monotone", "squares") and q.denominator == 1 else q
        start = data.get("start", 1)
        if not isinstance(start, int) or isinstance(start, bool):
            raise ValueError("start must be an integer")
        parts = data.get("parts", [])
        if not isinstance(parts, list):
            raise ValueError("parts must be a list")
        return cls(term_from_tree(data["term"]), start, str(data["verdict"]), data.get("method"), wit,
                   str(data.get("reason", "")), tuple(cls.from_json(p, _depth + 1) for p in parts))


def _pseries_tail(C: Fraction, p: Fraction, K: int) -> Fraction:
    """Exact rational upper bound of C K^(1-p) / (p-1) for an integer K >= 1."""
    u, v = (p - 1).numerator, (p - 1).denominator
    if v == 1:
        return C / ((p - 1) * Fraction(K) ** u)
    scale = 1 << 64  # K^(u/v) >= floor(K^u 2^(64 v))^(1/v) / 2^64
    low = Fraction(ep.iroot_floor(K**u * scale**v, v), scale)
    return C / ((p - 1) * low)


def _check_defined(t: Term, start: int, N: int) -> None:
    """The term is defined (finite and real) at every integer in [start, N)."""
    for alpha, beta, _ in t.factorials:
        if alpha * start + beta < 0:
            raise ValueError(f"factorial of a negative integer at n = {start}")
    for coeffs, e in t.powers:
        p = flint.fmpz_poly(list(coeffs))
        if e < 0 and [r for r in ep.integer_roots_at_least(p, start) if r < N]:
            raise ValueError(f"the term has a pole at an integer n >= {start}")
        if e.denominator != 1 and not ep.nonnegative_on(p, start):
            stop = min(N, ep.max_real_root_upper_bound(p) + 1)  # beyond it p has its eventual sign
            if stop - start > MAX_N:
                raise ValueError("too large to check exactly (sign of a radicand)")
            bad = [m for m in range(start, stop) if Fraction(int(p(m))) < 0]
            if bad:
                raise ValueError(f"the term is not real at n = {bad[0]}")
    for coeffs, _ in t.selfpowers:
        p = flint.fmpz_poly(list(coeffs))
        if [r for r in ep.integer_roots_at_least(p, start) if r < N]:
            raise ValueError(f"a base of a power with exponent in n vanishes at some n >= {start}")


@functools.lru_cache(maxsize=2048)
def _denominator_zeros(expr: sympy.Expr) -> tuple:
    """Positive integers n at which some denominator written in ``expr`` vanishes.

    Parsing cancels common factors (``(n^2 - 9)/(n - 3)`` becomes ``n + 3``),
    which would hide the 0/0 at n = 3: the term has no value there, so the
    series is undefined.  Every power with a negative exponent is a division;
    the zeros of its base are the integer roots of the numerator of the base
    over a common denominator (``sympy.together`` does not cancel), and zeros
    of inner denominators are found at the inner powers.
    """
    zeros: set = set()
    for node in sympy.preorder_traversal(expr):
        if not (isinstance(node, sympy.Pow) and node.exp.is_number and node.exp.is_negative):
            continue
        if N_SYM not in node.base.free_symbols:
            continue
        num, _ = sympy.fraction(sympy.together(node.base))
        try:
            p = ep.from_sympy(sympy.expand(num), N_SYM)
        except ValueError:
            continue  # not a polynomial numerator: the parser refuses such bases anyway
        if p.is_zero():
            zeros.add(1)  # division by zero everywhere
            continue
        zeros.update(ep.integer_roots_at_least(p.numer(), 1))
    return tuple(sorted(zeros))


def check_denominators(expr: sympy.Expr, start: int) -> None:
    """Raise ValueError when a denominator of ``expr`` vanishes at an integer ``n >= start``.

    >>> check_denominators((N_SYM**2 - 9) / ((N_SYM - 3) * N_SYM), 4)
    >>> check_denominators((N_SYM**2 - 9) / ((N_SYM - 3) * N_SYM), 1)
    Traceback (most recent call last):
    ...
    ValueError: the term is undefined (a denominator vanishes) at n = 3 >= start = 1
    """
    bad = [z for z in _denominator_zeros(expr) if z >= start]
    if bad:
        raise ValueError(f"the term is undefined (a denominator vanishes) at n = {bad[0]} >= start = {start}")


def _check_sum(cert: SeriesCertificate) -> None:
    """Triangle inequality over the parts a_1 + ... + a_k of the term (same start).

    Summable: every part is.  Not summable: exactly one part is not and the others
    are, since |a_1| <= |a| + |a_2| + ... + |a_k|.
    """
    parts = cert.parts
    if not parts or not all(isinstance(p, SeriesCertificate) for p in parts):
        raise ValueError("a sum certificate needs its parts")
    bad = [p for p in parts if p.verdict != "summable"]
    if cert.verdict == "not summable" and (len(bad) != 1 or bad[0].verdict != "not summable"):
        raise ValueError("a divergent sum needs exactly one non-summable part, the others summable")
    if cert.verdict == "summable" and bad:
        raise ValueError("a summable sum needs every part summable")
    for i, p in enumerate(parts):
        if p.method == "sum" or p.verdict == "inconclusive" or p.start != cert.start:
            raise ValueError(f"part {i} must be a decided, non-sum certificate with the same start")
        try:
            check_series_certificate(p)
        except ValueError as exc:
            raise ValueError(f"part {i}: {exc}") from None
    total = sympy.Add(*[p.term for p in parts])
    if total != cert.term and sympy.expand(total - cert.term) != 0:
        raise ValueError(f"the parts do not add up to the term {cert.term}")


def _fraction(w: dict, key: str) -> Fraction:
    v = w.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, Fraction)):
        raise ValueError(f"witness {key} must be an exact rational, got {v!r}")
    return Fraction(v)


def check_series_certificate(cert: SeriesCertificate) -> bool:
    """Check a series certificate exactly; return True or raise ValueError naming the failure.

    An "inconclusive" certificate claims nothing and passes.  The check
    re-derives every inequality from ``cert.term`` and the witnesses; it does
    not trust the verdict.
    """
    if cert.verdict == "inconclusive":
        if cert.method is not None:
            raise ValueError("an inconclusive certificate has no method")
        return True
    if cert.verdict not in VERDICTS or cert.method not in VERDICTS[cert.verdict]:
        raise ValueError(f"method {cert.method!r} does not prove {cert.verdict!r}")
    w = dict(cert.witnesses)
    N, start = w.get("N"), cert.start
    if not isinstance(N, int) or isinstance(N, bool) or not isinstance(start, int) or start < 1 or N < start:
        raise ValueError(f"need integers N >= start >= 1 (N={N!r}, start={start!r})")
    if cert.method == "sum":
        _check_sum(cert)
        return True
    required = {"comparison": ("C", "p"), "ratio": ("r",), "lower bound": ("c",), "limit not zero": ("c",)}
    for key in required[cert.method]:
        w[key] = _fraction(w, key)
    for key in ("k", "sign", "monotone", "squares"):
        if key in w and (not isinstance(w[key], int) or isinstance(w[key], bool)):
            raise ValueError(f"witness {key} must be an integer")
    if w.get("monotone", 0) not in (0, 1) or w.get("squares", 0) not in (0, 1) or w.get("sign", 1) not in (1, -1):
        raise ValueError("witnesses monotone and squares must be 0 or 1, sign 1 or -1")
    if w.get("squares") and cert.method != "comparison":
        raise ValueError("the squares witness is for comparison only")
    if not 1 <= w.get("k", 1) <= MAX_DEGREE:  # the bounds of order k have degree >= k
        raise ValueError(f"witness k must be between 1 and {MAX_DEGREE}")
    try:
        t = Term.from_sympy(cert.term)
    except UnsupportedTerm as exc:
        raise ValueError(f"cannot check this term: {exc}") from None
    _check_defined(t, start, N)
    check_denominators(cert.term, start)
    m = cert.method
    if m == "comparison" and not (w["C"] >= 0 and w["p"] > 1):
        raise ValueError("comparison needs C >= 0 and p > 1")
    if m == "ratio" and not 0 <= w["r"] < 1:
        raise ValueError("ratio needs 0 <= r < 1")
    if m in ("lower bound", "limit not zero") and not w["c"] > 0:
        raise ValueError(f"{m} needs c > 0")
    if t.is_zero and m in ("comparison", "ratio"):
        return True  # every term is 0
    if t.is_zero:
        raise ValueError("the zero term is summable")
    conds = conditions(t, m, w)
    if not holds(conds, N):
        raise ValueError(f"the {m} inequality does not hold for all n >= {N}")
    if w.get("monotone") and m != "ratio":
        if N > MAX_N:
            raise ValueError(f"too large to check exactly (N = {N})")
        _check_anchor(t, m, w, N)
    return True


# ------------------------------------------------------ safe term trees

_OPS = {"Add": sympy.Add, "Mul": sympy.Mul, "Pow": sympy.Pow}
_FUNCS = {
    "factorial": sympy.factorial, "binomial": sympy.binomial, "gamma": sympy.gamma,
    "log": sympy.log, "exp": sympy.exp, "sin": sympy.sin, "cos": sympy.cos,
    "tan": sympy.tan, "atan": sympy.atan, "Abs": sympy.Abs, "sqrt": sympy.sqrt,
}
_CONSTS = {"pi": sympy.pi, "E": sympy.E, "EulerGamma": sympy.EulerGamma}


def _guard_size(op: str, args: list) -> None:
    # sympy evaluates numeric powers and factorials eagerly: refuse huge ones
    # so that a hostile file cannot make the parser run for ever.
    limit = 10**4
    if op == "Pow" and all(a.is_Number for a in args):
        b = args[0]
        bits = max(int(b.p).bit_length(), int(b.q).bit_length()) if b.is_Rational else 64
        if abs(args[1]) > limit or bits * abs(args[1]) > 10**6:
            raise ValueError("term tree: numeric power too large")
    if op in ("factorial", "binomial", "gamma") and any(a.is_Number and abs(a) > limit for a in args):
        raise ValueError("term tree: numeric factorial argument too large")


def term_to_tree(expr: sympy.Expr) -> Any:
    """Serialise a term as a JSON tree (no strings to evaluate later).

    >>> term_to_tree(1 / N_SYM**2)
    {'op': 'Pow', 'args': ['n', -2]}
    """
    if expr.is_Integer:
        return int(expr)
    if expr.is_Rational:
        return {"rational": f"{expr.p}/{expr.q}"}
    if expr == N_SYM:
        return "n"
    for name, const in _CONSTS.items():
        if expr == const:
            return {"const": name}
    for name, op in _OPS.items():
        if expr.func is op:
            return {"op": name, "args": [term_to_tree(a) for a in expr.args]}
    for name, fn in _FUNCS.items():
        if expr.func is fn:
            return {"op": name, "args": [term_to_tree(a) for a in expr.args]}
    raise ValueError(f"cannot serialise {expr} (unsupported function {expr.func})")


def term_from_tree(tree: Any, _depth: int = 0) -> sympy.Expr:
    """Rebuild a term from :func:`term_to_tree`'s output, using a fixed whitelist.

    >>> term_from_tree({'op': 'Pow', 'args': ['n', -2]}) == 1 / N_SYM**2
    True
    """
    if _depth > 200:
        raise ValueError("term tree too deep")
    if isinstance(tree, bool):
        raise ValueError("booleans are not terms")
    if isinstance(tree, int):
        return sympy.Integer(tree)
    if tree == "n":
        return N_SYM
    if isinstance(tree, dict):
        if set(tree) == {"rational"}:
            from ..exact.numbers import to_fraction

            q = to_fraction(str(tree["rational"]), where="term")
            return sympy.Rational(q.numerator, q.denominator)
        if set(tree) == {"const"} and tree["const"] in _CONSTS:
            return _CONSTS[tree["const"]]
        if set(tree) == {"op", "args"} and isinstance(tree["args"], list):
            fn = _OPS.get(tree["op"]) or _FUNCS.get(tree["op"])
            if fn is not None:
                args = [term_from_tree(a, _depth + 1) for a in tree["args"]]
                _guard_size(tree["op"], args)
                return fn(*args)
    raise ValueError(f"malformed term tree: {str(tree)[:80]}")
