"""Summability certificates ("exactrelu.series"), checked exactly on the kernel's terms (no sympy).

Methods, witnesses and their proofs: proofs/summability.md and proofs/README.md, "The trusted kernel".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

import flint

from ..exact import polysign as poly
from .terms import (MAX_EVAL_BITS, TermError, _fail, _pp, bound, canon, from_tree, parse, primitive, rational, refuse,
                    same)

MAX_Q = 64  # common denominator of the exponents
MAX_DEGREE = 1000  # degree of a polynomial inequality (Sturm sequences get slow beyond)
MAX_N = 10**6  # N - start: the head a check or a tail bound may evaluate term by term
EXACT_HEAD = 2000  # longer heads of tail bounds are summed with terms rounded up
MAX_EXP_ARG = 10**6  # |x| in e^x evaluated by exp_bounds
X = flint.fmpz_poly([0, 1])
VERDICTS = {"summable": ("comparison", "ratio", "sum"), "not summable": ("lower bound", "limit not zero", "sum")}
_INT_WITNESSES = ("N", "k", "sign", "monotone", "squares")
_WITNESSES = {"C", "p", "r", "c", *_INT_WITNESSES}
_KEYS = {"format", "version", "term", "start", "verdict", "method", "witnesses", "reason", "parts"}

@dataclass(frozen=True)
class Term:
    """``a(n) = coeff * prod b^e * (-1)^n [alternating] * base^n * prod P(n)^e * prod (alpha n + beta)!^m
    * prod P(n)^(m n) * e^(eexp n + econst)``; polynomials are ascending integer coefficient tuples.

    >>> t = product(parse("(-1)^n * 3 / (2 * n^2)"))
    >>> t.coeff, t.alternating, t.powers
    (Fraction(3, 2), True, (((0, 0, 1), Fraction(-1, 1)),))
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

    @property
    def q(self) -> int:  # common denominator of all rational exponents
        return math.lcm(1, *[e.denominator for _, e in self.consts], *[e.denominator for _, e in self.powers])

    def abs_power_q_bounds(self, k: int) -> tuple[Fraction, Fraction]:
        """Rationals ``lo <= |a(k)|^q <= hi`` (equal when the value is rational)."""
        lo, hi = exp_bounds((self.eexp * k + self.econst) * self.q)
        return self._algebraic_power_q(k) * lo, self._algebraic_power_q(k) * hi

    def _algebraic_power_q(self, k: int) -> Fraction:
        q, bits = self.q, max(self.base.numerator.bit_length(), self.base.denominator.bit_length()) * k
        bits += sum(abs(m) * max(a * k + b, 1) * max(a * k + b, 1).bit_length() for a, b, m in self.factorials)
        bits += sum(abs(m) * k * abs(int(flint.fmpz_poly(list(p))(k))).bit_length() for p, m in self.selfpowers)
        if bits * q > MAX_EVAL_BITS:  # bounded before computing (issue 14.2)
            _fail(f"|a(n)| at n = {k} is too large to compute exactly (more than {MAX_EVAL_BITS} bits)")
        v = abs(self.coeff) ** q * self.base ** (k * q)
        for b, e in self.consts:
            v *= b ** int(e * q)
        for p, e in self.powers:
            x = Fraction(int(flint.fmpz_poly(list(p))(k)))
            refuse(x == 0 and e < 0 or x < 0 and e.denominator != 1, f"term undefined or not real at n = {k}")
            v *= abs(x) ** int(e * q)
        for alpha, beta, m in self.factorials:
            refuse(alpha * k + beta < 0, f"factorial of a negative integer at n = {k}")
            v *= Fraction(math.factorial(alpha * k + beta)) ** (m * q)
        for p, m in self.selfpowers:
            x = Fraction(int(flint.fmpz_poly(list(p))(k)))
            refuse(x == 0 and m * k <= 0, f"term undefined at n = {k}")
            v *= abs(x) ** (m * k * q)
        return v

    def abs_upper(self, k: int) -> Fraction:  # exact upper bound of |a(k)| (the value when rational)
        return _root(self.abs_power_q_bounds(k)[1], self.q, up=True)

def product(t: tuple) -> Term:
    """The product form of a term whose canonical form has one monomial (or is zero).

    >>> product(parse("n! / n^n")).selfpowers, product(parse("n^3/2^n + n^2/2^n")).powers
    ((((0, 1), -1),), (((0, 0, 1, 1), Fraction(1, 1)),))
    """
    form = canon(t)
    if not form:
        return Term(coeff=Fraction(0))
    refuse(len(form) != 1, "the term is not a product (write it over a common denominator, or use a sum certificate)")
    ((key, rf),) = form.items()
    coeff, powers = Fraction(1), {}
    for p, s in ((rf.num, 1), (rf.den, -1)):
        c, prim = primitive(p)
        coeff *= c ** s
        if len(prim) > 1:
            powers[prim] = powers.get(prim, 0) + Fraction(s)
    f = dict(coeff=coeff, consts=[], alternating=False, base=Fraction(1), factorials=[], selfpowers=[])
    for atom, e in key:
        tag = atom[0]
        E = tuple(e) + (Fraction(0),) * 2 if tag in ("X", "S") else ()
        if atom == ("X", -1):  # |(-1)^E(n)| = 1 where E(n) is an integer: only the sign alternates
            if any(_pp(e)(k).q != 1 for k in range(len(e))):  # integers at deg + 1 points: at all integers
                raise TermError("(-1) to a power that is not integer-valued")
            f["alternating"] = True
            continue
        if tag in ("X", "S") and (len(e) > 2 or atom[1] != "e" and (E[0] or E[1].denominator != 1)):
            raise TermError("an exponent in n must be a n (+ b for e^...) with an integer a")
        if tag == "P":
            powers[atom[1]] = powers.get(atom[1], 0) + e
        elif tag == "C":
            f["consts"].append((atom[1], e))
        elif tag == "F":
            f["factorials"].append((atom[1], atom[2], e))
        elif tag == "S":
            f["selfpowers"].append((atom[1], int(E[1])))
        elif tag == "X" and atom[1] == "e":
            f["eexp"], f["econst"] = E[1], E[0]
        elif tag == "X":
            f["base"] *= atom[1] ** int(E[1])
        else:
            raise TermError("the term has an absolute value or a power of a sum (not a product form)")
    f = {k: tuple(sorted(v)) if isinstance(v, list) else v for k, v in f.items()}
    return Term(powers=tuple(sorted((k, v) for k, v in powers.items() if v)), **f)

def exp_bounds(x: Fraction) -> tuple[Fraction, Fraction]:
    """Rationals ``lo <= e^x <= hi`` for a rational x, within about 2^-60 relative (summability.md, Lemma 2.3).

    >>> lo, hi = exp_bounds(Fraction(1))
    >>> Fraction(2718281828459045, 10**15) < lo < hi < Fraction(2718281828459046, 10**15)  # e = 2.71828182845904523...
    True
    """
    x, y = Fraction(x), abs(Fraction(x))
    refuse(y > MAX_EXP_ARG, f"e^({x}) is too large to bound exactly here")
    s = max(0, math.ceil(y).bit_length())  # y / 2^s <= 1
    z, k, term, head = y / 2**s, 30, Fraction(1), Fraction(1)
    for j in range(1, k):
        term = term * z / j
        head += term
    term = term * z / k  # z^k / k!
    lo, hi = -round_up(-(head + term), 96), round_up(head + term * Fraction(k + 1) / (k + 1 - z), 96)
    for _ in range(s):  # rounded outward to 96 significant bits
        lo, hi = -round_up(-lo * lo, 96), round_up(hi * hi, 96)
    return (lo, hi) if x >= 0 else (1 / hi, 1 / lo)

def _root(v: Fraction, q: int, up: bool) -> Fraction:
    # v^(1/q) = (num * den^(q-1))^(1/q) / den, rounded at 2^-64 relative scale.
    if q == 1:
        return v
    scale = 1 << 64
    x = v.numerator * v.denominator ** (q - 1) * scale**q
    r = poly.iroot_ceil(x, q) if up else poly.iroot_floor(x, q)
    return Fraction(r, v.denominator * scale)

def _shift(p: flint.fmpz_poly) -> flint.fmpz_poly:  # p(n + 1)
    return poly.taylor_shift(flint.fmpq_poly(p), 1).numer()

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

    def compare(self, bound: Fraction, op: str) -> None:
        """Add the condition ``self <= bound`` (op "le") or ``self >= bound`` ("ge")."""
        q = math.lcm(1, *[e.denominator for _, e in self.consts], *[e.denominator for _, e in self.polys])
        degree = sum(abs(e) * q * p.degree() for p, e in self.polys)
        if q > MAX_Q or degree > MAX_DEGREE:
            raise TermError(f"too large to check exactly (exponent denominator {q}, degree {degree})")
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

def _pow_n(prod: _Prod, a: flint.fmpz_poly, b: flint.fmpz_poly, k: int, upper: bool) -> None:
    """Multiply ``prod`` by a rational upper (or lower) bound of ``(a(n)/b(n))^n`` (a, b > 0): with S = a/b
    = 1 + X/Y (X = a - b, Y = b) or 1/(1 + X/Y) (X = b - a, Y = a), L_k <= (1 + X/Y)^n <= U_k."""
    prod.conds += [(a, "pos"), (b, "pos")]
    d = a - b
    if d.is_zero():
        return
    grows = poly.sign_eventually(d) > 0
    x_num, y = (d, b) if grows else (-d, a)
    prod.conds.append((x_num, "nonneg"))
    sign = 1 if grows else -1
    if upper != grows:  # an upper bound of 1/(1+x)^n is 1/L_k, etc.
        # L_k = num / Y^k with num = sum_{j<=k} C(n, j) X^j Y^(k-j)
        num, binom = flint.fmpq_poly([]), flint.fmpq_poly([1])  # binom: C(n, j) as a polynomial in n
        for j in range(k + 1):
            num += binom * flint.fmpq_poly(x_num**j * y ** (k - j))
            binom = binom * flint.fmpq_poly([-j, 1]) / (j + 1)
        prod.conds.append((num.numer(), "pos"))
    else:
        # U_k = sum_{j<k} t^j/j! + t^k/k! (k+1)/(k+1-t) = num / (Y^k w), t = n X / Y, w = (k+1) Y - n X > 0
        nx = X * x_num
        w = (k + 1) * y - nx
        num = flint.fmpq_poly([])
        for j in range(k):
            num += flint.fmpq_poly(nx**j * y ** (k - j)) / math.factorial(j)
        num = num * flint.fmpq_poly(w) + flint.fmpq_poly(nx**k * y) * flint.fmpq(k + 1, math.factorial(k))
        prod.conds += [(w, "pos"), (num.numer(), "pos")]
        prod.poly(w, Fraction(-sign))
    prod.const *= Fraction(int(num.denom())) ** (-sign)  # num^sign, its denominator into const
    prod.poly(num.numer(), Fraction(sign))
    prod.poly(y, Fraction(-k * sign))

def _abs_prod(t: Term, k: int, upper: bool, ratio: bool, squares: bool = False) -> _Prod:
    """|a(n+1)| / |a(n)| (``ratio``) or |a(n)| (base 1, no factorials) as a product, selfpowers bounded with order
    k; with ``squares`` |P|^e (integer e > 0) is (P^2)^(e/2), which needs no constant sign of P (upper bounds)."""
    prod = _Prod()
    prod.const, prod.eexp = (t.base, t.eexp) if ratio else (abs(t.coeff), t.econst)
    prod.consts = [] if ratio else list(t.consts)
    for coeffs, e in t.powers:
        p = flint.fmpz_poly(list(coeffs))
        s = poly.sign_eventually(p) if e.denominator == 1 else 1  # |p|^e = (s p)^e; p(n + 1) has p's sign
        if ratio:
            prod.poly(_shift(p) * s, e)
            prod.poly(p * s, -e)
            prod.conds.append((p * s, "pos"))  # a(n) != 0, so the ratio is defined
        elif squares and e > 0 and e.denominator == 1:
            prod.poly(p * p, e / 2)
        else:
            prod.poly(p * s, e)
    for alpha, beta, m in t.factorials if ratio else ():
        prod.conds.append((flint.fmpz_poly([beta, alpha]), "nonneg"))
        for j in range(1, alpha + 1):
            prod.poly(flint.fmpz_poly([beta + j, alpha]), Fraction(m))
            prod.conds.append((flint.fmpz_poly([beta + j, alpha]), "pos"))
    if t.selfpowers:
        a, b = flint.fmpz_poly([1]), flint.fmpz_poly([1])  # a/b = prod P^m, or prod (P(n+1)/P(n))^m (ratio)
        for coeffs, m in t.selfpowers:
            p = flint.fmpz_poly(list(coeffs))
            prod.conds.append((p, "pos"))
            if ratio:
                prod.poly(_shift(p), Fraction(m))
            top, bot = (_shift(p), p) if ratio else (p, flint.fmpz_poly([1]))
            top, bot = (bot, top) if m < 0 else (top, bot)
            a, b = a * top ** abs(m), b * bot ** abs(m)
        _pow_n(prod, a, b, k, upper)
    return prod

def conditions(t: Term, method: str, w: dict) -> list[tuple[flint.fmpz_poly, str]]:
    """The polynomial conditions, each to hold on [N, oo), that prove the method's claim (summability.md)."""
    k = w.get("k", 1)
    refuse(not isinstance(k, int) or k < 1, "witness k must be an integer >= 1")
    refuse(method not in ("comparison", "ratio", "lower bound", "limit not zero"), f"unknown method {method!r}")
    p = {"comparison": w.get("p"), "lower bound": Fraction(1)}.get(method, Fraction(0))
    op = "le" if method in ("comparison", "ratio") else "ge"
    if method == "ratio":
        prod = _abs_prod(t, k, upper=True, ratio=True)
        prod.compare(w["r"], "le")
    elif w.get("monotone"):  # rho(n) = |a(n+1)/a(n)|: rho ((n+1)/n)^p <= 1, rho (n+1)/n >= 1, or rho >= 1
        prod = _abs_prod(t, k, upper=(method == "comparison"), ratio=True)
        prod.poly(flint.fmpz_poly([1, 1]), p)
        prod.poly(X, -p)
        prod.compare(Fraction(1), op)
    else:
        if t.base != 1 or t.eexp or any(m for _, _, m in t.factorials):
            raise TermError(f"{method} without monotone needs a term without r^n (r != 1) and factorials")
        prod = _abs_prod(t, k, upper=(method == "comparison"), ratio=False, squares=bool(w.get("squares")))
        prod.poly(X, p)
        prod.compare(w["C"] if method == "comparison" else w["c"], op)
    if method == "lower bound" and "sign" in w:  # sign * a(n) > 0: sign(coeff) times the signs of odd powers
        refuse(t.alternating or w["sign"] not in (1, -1) or t.coeff == 0, "no constant sign")
        s = 1 if t.coeff > 0 else -1
        for coeffs, e in t.powers:
            p = flint.fmpz_poly(list(coeffs))
            prod.conds.append((p * poly.sign_eventually(p), "pos"))
            s *= poly.sign_eventually(p) if e.denominator == 1 and e.numerator % 2 else 1
        refuse(s != w["sign"], "the sign witness is wrong")
    return prod.conds

def holds(conds: Iterable[tuple[flint.fmpz_poly, str]], N: int) -> bool:
    """Whether every condition ``p > 0`` ("pos") or ``p >= 0`` ("nonneg") holds on ``[N, oo)``, exactly.

    >>> holds([(flint.fmpz_poly([-5, 1]), "pos")], 5), holds([(flint.fmpz_poly([-5, 1]), "nonneg")], 5)
    (False, True)
    """
    return all((poly.positive_on if kind == "pos" else poly.nonnegative_on)(p, N) for p, kind in conds)

class Series:
    """A decoded series certificate: term (kernel term), start, verdict, method, witnesses, parts."""

    def __init__(self, term: tuple, start: int, verdict: str, method: Any, witnesses: dict, parts: tuple):
        self.term, self.start, self.verdict, self.method = term, start, verdict, method
        self.witnesses, self.parts = witnesses, parts
        self.checked = False

def decode(data: Any, _depth: int = 0) -> Series:
    """Decode and validate a series certificate dict (unknown keys, versions and witnesses refused)."""
    if not isinstance(data, dict) or data.get("format") != "exactrelu.series":
        raise TermError("not an exactrelu.series certificate")
    if type(data.get("version")) is not int or data["version"] != 1 or not set(data) <= _KEYS:
        raise TermError(f"series certificate: version must be the integer 1 and keys among {sorted(_KEYS)}")
    start, wit, parts = data.get("start", 1), data.get("witnesses", {}), data.get("parts", [])
    if type(start) is not int or not isinstance(wit, dict) or not isinstance(parts, list) or "term" not in data:
        raise TermError("series certificate: needs a term, an integer start, a witnesses object and a parts list")
    refuse(_depth and parts, "series certificates nest at most one level (parts of a sum)")
    w = {}
    for key, val in wit.items():
        refuse(key not in _WITNESSES, f"series certificate: unknown witness {key!r}")
        v = rational(val, f"witness {key}")
        w[key] = int(v) if key in _INT_WITNESSES and v.denominator == 1 else v
    if data.get("verdict") not in (*VERDICTS, "inconclusive") or type(data.get("reason", "")) is not str:
        raise TermError(f"series certificate: unknown verdict {str(data.get('verdict'))[:30]!r}")
    term = None if data["verdict"] == "inconclusive" else bound(from_tree(data["term"]))  # claims nothing: not read
    return Series(term, start, data["verdict"], data.get("method"), w,
                  tuple(decode(p, _depth + 1) for p in parts))

def _check_sum(s: Series) -> None:
    """Triangle inequality over the parts a_1 + ... + a_k of the term (same start)."""
    parts = s.parts
    bad = [p for p in parts if p.verdict != "summable"]
    refuse(not parts, "a sum certificate needs its parts")
    if s.verdict == "not summable" and (len(bad) != 1 or bad[0].verdict != "not summable"):
        raise TermError("a divergent sum needs exactly one non-summable part, the others summable")
    refuse(s.verdict == "summable" and bad, "a summable sum needs every part summable")
    for i, p in enumerate(parts):
        if p.method == "sum" or p.verdict == "inconclusive" or p.start != s.start:
            raise TermError(f"part {i} must be a decided, non-sum certificate with the same start")
        try:
            check(p)
        except TermError as exc:
            raise TermError(f"part {i}: {exc}") from None
    refuse(not same(("+", tuple(p.term for p in parts)), s.term), "the parts do not add up to the term")

def check_denominators(term: tuple, start: int) -> None:
    """Raise TermError when a denominator *as written* vanishes at an integer n >= start.

    >>> check_denominators(parse("(n^2 - 9)/((n - 3)*n)"), 4)
    """
    stack = [term]
    while stack:
        node = stack.pop()
        stack.extend(a for a in (node[1] if node[0] in "+*" else node[1:]) if isinstance(a, tuple))
        e = canon(node[2]) if node[0] == "^" else {}
        if set(e) == {()} and e[()].const() is not None and e[()].const() < 0:
            b = canon(node[1])
            refuse(not b, f"the term is undefined (division by zero) at n = {start}")
            roots = poly.integer_roots_at_least(b[()].num.numer(), start) if set(b) == {()} else []
            if roots:
                raise TermError(f"the term is undefined (a denominator vanishes) at n = {roots[0]} >= start = {start}")

def _check_defined(term: tuple, t: Term, start: int, N: int) -> None:
    """The term is defined and real at every integer in [start, N), and no denominator as written vanishes."""
    check_denominators(term, start)
    for alpha, beta, _ in t.factorials:
        refuse(alpha * start + beta < 0, f"factorial of a negative integer at n = {start}")
    for coeffs, e in t.powers:
        p = flint.fmpz_poly(list(coeffs))
        if e < 0 and [r for r in poly.integer_roots_at_least(p, start) if r < N]:
            raise TermError(f"the term has a pole at an integer n >= {start}")
        if e.denominator != 1 and not poly.nonnegative_on(p, start):
            stop = min(N, poly.max_real_root_upper_bound(p) + 1)  # beyond it p has its eventual sign
            refuse(stop - start > MAX_N, "too large to check exactly (sign of a radicand)")
            bad = [m for m in range(start, stop) if p(m) < 0]
            if bad:
                raise TermError(f"the term is not real at n = {bad[0]}")
    for coeffs, _ in t.selfpowers:
        if [r for r in poly.integer_roots_at_least(flint.fmpz_poly(list(coeffs)), start) if r < N]:
            raise TermError(f"a base of a power with exponent in n vanishes at some n >= {start}")

def check(s: Series) -> bool:
    """Check a decoded series certificate exactly (an inconclusive one claims nothing); True, or TermError."""
    if s.verdict == "inconclusive":
        refuse(s.method is not None, "an inconclusive certificate has no method")
        return True
    refuse(s.method not in VERDICTS[s.verdict], f"method {str(s.method)[:30]!r} does not prove {s.verdict!r}")
    w, start = dict(s.witnesses), s.start
    N = w.get("N")
    refuse(type(N) is not int or start < 1 or N < start, f"need integers N >= start >= 1 (N={N!r}, start={start!r})")
    # issue 14.5: a witness far beyond start gives a certificate no tail bound can use
    refuse(N - start > MAX_N, f"N = {N} is more than {MAX_N} beyond start = {start}")
    if s.method == "sum":
        _check_sum(s)
        return True
    required = {"comparison": ("C", "p"), "ratio": ("r",), "lower bound": ("c",), "limit not zero": ("c",)}
    refuse(any(type(w.get(k)) not in (Fraction, int) for k in required[s.method]),
           f"the {s.method} method needs the witnesses {required[s.method]}")
    w.update({k: Fraction(w[k]) for k in required[s.method]})
    if any(k in w and type(w[k]) is not int for k in ("k", "sign", "monotone", "squares")):
        raise TermError("witnesses k, sign, monotone and squares must be integers")
    if w.get("monotone", 0) not in (0, 1) or w.get("squares", 0) not in (0, 1) or w.get("sign", 1) not in (1, -1):
        raise TermError("witnesses monotone and squares must be 0 or 1, sign 1 or -1")
    refuse(w.get("squares") and s.method != "comparison", "the squares witness is for comparison only")
    # the bounds of order k have degree >= k
    refuse(not 1 <= w.get("k", 1) <= MAX_DEGREE, f"witness k must be between 1 and {MAX_DEGREE}")
    t = product(s.term)
    _check_defined(s.term, t, start, N)
    m = s.method
    refuse(m == "comparison" and not (w["C"] >= 0 and w["p"] > 1), "comparison needs C >= 0 and p > 1")
    refuse(m == "ratio" and not 0 <= w["r"] < 1, "ratio needs 0 <= r < 1")
    refuse(m in ("lower bound", "limit not zero") and not w["c"] > 0, f"{m} needs c > 0")
    if t.coeff == 0 and m in ("comparison", "ratio"):
        return True  # every term is 0
    refuse(t.coeff == 0, "the zero term is summable")
    refuse(not holds(conditions(t, m, w), N), f"the {m} inequality does not hold for all n >= {N}")
    if w.get("monotone") and m != "ratio":  # the anchor: |a(N)| N^p <= C, |a(N)| N >= c, or |a(N)| >= c
        p = {"comparison": w.get("p"), "lower bound": Fraction(1)}.get(m, Fraction(0))
        Q = t.q * p.denominator  # compare (|a(N)| N^p)^Q with bound^Q
        lo, hi = t.abs_power_q_bounds(N)  # bounds of |a(N)|^q; exact when rational
        scale = Fraction(N) ** int(p * Q)
        if m == "comparison" and not hi ** (Q // t.q) * scale <= w["C"] ** Q:
            raise TermError(f"|a({N})| {N}^{p} > C (or not provably <= C)")
        if m != "comparison" and not lo ** (Q // t.q) * scale >= w["c"] ** Q:
            raise TermError(f"|a({N})| {N}^{p} < c (or not provably >= c)")
    return True

def tail_bound(s: Series, K: int) -> Fraction:
    """Exact upper bound of ``sum_{k > K, k >= start} |a(k)|`` for a checked summable certificate."""
    refuse(s.verdict != "summable", f"no tail bound: the verdict is {s.verdict!r}")
    if not s.checked:
        s.checked = check(s)
    K = max(int(K), s.start - 1)
    if s.method == "sum":
        return sum((tail_bound(p, K) for p in s.parts), Fraction(0))
    t, w = product(s.term), s.witnesses
    N = int(w["N"])
    k0 = max(N - 1, 1) if s.method == "comparison" else N - 1
    total = Fraction(0)
    refuse(k0 - K > MAX_N, f"tail_bound({K}) would sum {k0 - K} terms exactly; use K >= {k0 - MAX_N}")
    exact = k0 - K <= EXACT_HEAD
    while K < k0:
        K += 1
        v = t.abs_upper(K)
        total += v if exact else round_up(v, 128)
    if t.coeff == 0:
        return total
    if s.method == "comparison":
        u, v = (w["p"] - 1).numerator, (w["p"] - 1).denominator  # C K^(1-p)/(p-1), K^(u/v) rounded down:
        low = Fraction(poly.iroot_floor(K**u * (1 << 64) ** v, v), 1 << 64)  # floor(K^u 2^(64 v))^(1/v) / 2^64
        return total + w["C"] / ((w["p"] - 1) * low)
    return total + t.abs_upper(K + 1) / (1 - w["r"])

def series_tail(s: Series, K: int) -> Fraction:
    """:func:`tail_bound`, fast for large K (a ratio bound decays as r^K past K1 = max(N, start) + 64)."""
    if s.method == "sum":  # each part's own fast bound (issue 14.3: a ratio part summed term by term hangs)
        s.checked = s.checked or check(s)
        return sum((series_tail(p, K) for p in s.parts), Fraction(0))
    if s.method == "ratio":
        K1 = max(int(s.witnesses["N"]), int(s.start)) + 64
        if K > K1:
            return round_up(tail_bound(s, K1)) * pow_upper(s.witnesses["r"], K - K1)
    return tail_bound(s, K)

TINY = Fraction(1, 1 << 2048)  # upper bounds below this are replaced by it (keeps numbers small)

def round_up(x: Fraction, bits: int = 64) -> Fraction:
    """A rational >= x with a power-of-two denominator and about ``bits`` significant bits.

    >>> round_up(Fraction(1, 3), 8)
    Fraction(171, 512)
    """
    num, den = x.numerator, x.denominator
    if den & (den - 1) == 0 and abs(num).bit_length() <= bits:
        return x
    shift = bits - (abs(num).bit_length() - den.bit_length())
    if shift >= 0:
        return Fraction(-((-num << shift) // den), 1 << shift)
    return Fraction(-((-num) // (den << -shift)) << -shift)

def pow_upper(x: Fraction, d: int) -> Fraction:
    """An exact rational upper bound of x**d for 0 <= x, d >= 0 (floored at TINY when x <= 1).

    >>> pow_upper(Fraction(1, 2), 3), pow_upper(Fraction(3, 4), 10**6) == TINY
    (Fraction(1, 8), True)
    """
    refuse(x < 0 or d < 0, "pow_upper needs x >= 0 and d >= 0")
    floor = TINY if x <= 1 else Fraction(0)
    result, base = Fraction(1), round_up(x)
    while d:  # square-and-multiply; rounding up keeps every factor an upper bound
        if d & 1:
            result = max(round_up(result * base), floor)
        base = max(round_up(base * base), floor)
        d >>= 1
    return result
