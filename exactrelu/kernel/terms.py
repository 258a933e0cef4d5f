"""The kernel's exact term language: parse, bound, evaluate, compare and sign formulas in n.

A term is a small tree of tuples: ``("q", Fraction)``, ``("n",)``, ``("+", args)``,
``("*", args)``, ``("^", base, exp)``, ``("!", arg)`` (factorial), ``("C", a, b)``
(binomial), ``("abs", a)`` and ``("exp", a)``.  Division and subtraction are
written with ``^ -1`` and ``* -1``, so a denominator *as written* is a power with
a negative exponent.  Terms come from formula strings (:func:`parse`, recursive
descent, never ``eval``) or JSON term trees (:func:`from_tree`); both enforce
length, depth, node, digit and exponent limits while reading, and :func:`bound`
checks degree and bit-size estimates before anything is expanded.

:func:`canon` writes a term as a sum of monomials ``r(n) * prod atom^e`` with r
an exact rational function (flint), so ``a == b`` is decided by ``canon(a) ==
canon(b)`` (sound: equal forms are equal functions wherever both are defined and
real; different forms are reported as different).

>>> t = parse("1 + n**(-2)")
>>> evaluate(t, 2), same(t, parse("(n^2 + 1)/n^2")), sign(parse("n^2 - 5*n + 3"), 5)
(Fraction(5, 4), True, 'pos')
>>> parse("(n+1)^500")
Traceback (most recent call last):
...
exactrelu.kernel.terms.TermError: the term has degree about 500 in n (limit 400)
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

import flint

from ..exact import polysign as poly

MAX_LENGTH = 10_000  # characters in a formula
MAX_DEPTH = 60  # nesting depth of a term
MAX_NODES = 2_000  # nodes in a term
MAX_BITS = 13_000  # bits of one number
MAX_TOTAL_BITS = 200_000  # estimated bits of all constants after folding powers
MAX_EXPONENT = 1_000  # |p| and q of a constant exponent p/q
MAX_DEGREE = 400  # estimated degree in n of a term
MAX_MONOMIALS = 64  # monomials of a canonical form
MAX_EVAL_BITS = 4_000_000  # bits of a value computed by evaluate()
X = flint.fmpq_poly([0, 1])


class TermError(ValueError):
    """A term is malformed, too large, undefined somewhere, or outside the language."""


def _fail(msg: str) -> None:
    raise TermError(msg)


def q(c: Any) -> tuple:
    return ("q", Fraction(c))


N = ("n",)


def add(*a: tuple) -> tuple:
    return ("+", tuple(a))


def mul(*a: tuple) -> tuple:
    return ("*", tuple(a))


def neg(a: tuple) -> tuple:
    return mul(q(-1), a)


# ------------------------------------------------------------------ reading
_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(\*\*|[-+*/^(),!]))")
_FUNCS = {"factorial": 1, "binomial": 2, "sqrt": 1, "exp": 1, "abs": 1, "Abs": 1}


class _Parser:
    """Recursive descent over the grammar of exactrelu.depth.formula (``^`` = ``**``, postfix ``!``)."""

    def __init__(self, text: str):
        self.toks, i = [], 0
        while i < len(text):
            m = _TOKEN.match(text, i)
            if m is None:
                if text[i:].strip() == "":
                    break
                _fail(f"unexpected {text[i]!r} at column {i + 1}")
            self.toks.append((m.lastindex, m.group(m.lastindex), m.start(m.lastindex) + 1))
            i = m.end()
        self.toks.append((0, "", len(text) + 1))
        self.pos, self.depth = 0, 0

    def peek(self, *ops: str) -> bool:
        kind, text, _ = self.toks[self.pos]
        return kind == 3 and text in ops

    def take(self) -> tuple:
        self.pos += 1
        return self.toks[self.pos - 1]

    def expect(self, op: str) -> None:
        if not self.peek(op):
            _, text, col = self.toks[self.pos]
            _fail(f"expected {op!r} at column {col}, got {text or 'end of formula'!r}")
        self.take()

    def nest(self, fn):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            _fail(f"formula nested too deeply (more than {MAX_DEPTH} levels)")
        out = fn()
        self.depth -= 1
        return out

    def expr(self) -> tuple:
        args = [self.term()]
        while self.peek("+", "-"):
            op = self.take()[1]
            t = self.term()
            args.append(t if op == "+" else neg(t))
        return args[0] if len(args) == 1 else ("+", tuple(args))

    def term(self) -> tuple:
        args = [self.unary()]
        while self.peek("*", "/"):
            op = self.take()[1]
            t = self.unary()
            args.append(t if op == "*" else ("^", t, q(-1)))
        return args[0] if len(args) == 1 else ("*", tuple(args))

    def unary(self) -> tuple:
        if self.peek("+", "-"):
            op = self.take()[1]
            t = self.nest(self.unary)
            return neg(t) if op == "-" else t
        base = self.atom()
        while self.peek("!"):
            self.take()
            base = ("!", base)
        if self.peek("^", "**"):
            self.take()
            return ("^", base, self.nest(self.unary))
        return base

    def atom(self) -> tuple:
        kind, text, col = self.take()
        if kind == 1:
            mant, _, ex = text.lower().partition("e")
            if len(mant) > 4000 or (ex and abs(int(ex)) > 1000):
                _fail(f"number at column {col} is too large")
            return q(Fraction(text))
        if kind == 2:
            if text == "n":
                return N
            if text == "E":
                return ("exp", q(1))
            if text not in _FUNCS:
                _fail(f"name {text!r} at column {col} is not in the kernel's language "
                      "(n, E, factorial, binomial, sqrt, exp, abs)")
            self.expect("(")
            args = [self.nest(self.expr)]
            while self.peek(","):
                self.take()
                args.append(self.nest(self.expr))
            self.expect(")")
            if len(args) != _FUNCS[text]:
                _fail(f"{text} at column {col} takes {_FUNCS[text]} argument(s)")
            return _call(text, args)
        if kind == 3 and text == "(":
            t = self.nest(self.expr)
            self.expect(")")
            return t
        _fail(f"unexpected {text or 'end of formula'!r} at column {col}")


def _call(name: str, args: list) -> tuple:
    if name == "sqrt":
        return ("^", args[0], q(Fraction(1, 2)))
    tag = {"factorial": "!", "binomial": "C", "exp": "exp", "abs": "abs", "Abs": "abs"}[name]
    return (tag, *args)


def parse(text: Any, where: str = "") -> tuple:
    """Parse a formula string into a term; limits are enforced while reading and by :func:`bound`.

    >>> parse("2^-n * binomial(n, 2)")
    ('*', (('^', ('q', Fraction(2, 1)), ('*', (('q', Fraction(-1, 1)), ('n',)))), ('C', ('n',), ('q', Fraction(2, 1)))))
    """
    try:
        if type(text) is not str or len(text) > MAX_LENGTH or not text.strip():
            _fail(f"expected a nonempty formula string of at most {MAX_LENGTH} characters")
        p = _Parser(text)
        t = p.expr()
        if p.toks[p.pos][0] != 0:
            _fail(f"unexpected {p.toks[p.pos][1]!r} at column {p.toks[p.pos][2]}")
        return bound(t)
    except TermError as exc:
        raise TermError(f"{where}: {exc}" if where else str(exc)) from None


_TREE_FUNCS = {"factorial": ("!", 1), "binomial": ("C", 2), "exp": ("exp", 1), "Abs": ("abs", 1), "sqrt": (None, 1)}


def from_tree(tree: Any, _depth: int = 0) -> tuple:
    """Decode a JSON term tree (as written by exactrelu.depth.series_check.term_to_tree).

    >>> from_tree({"op": "Pow", "args": ["n", -2]})
    ('^', ('n',), ('q', Fraction(-2, 1)))
    """
    if _depth > MAX_DEPTH:
        _fail("term tree too deep")
    if type(tree) is int:
        if tree.bit_length() > MAX_BITS:
            _fail("a number in the term tree is too large")
        return q(tree)
    if tree == "n":
        return N
    if isinstance(tree, dict) and set(tree) == {"rational"} and type(tree["rational"]) is str:
        return q(rational(tree["rational"], "term"))
    if isinstance(tree, dict) and tree == {"const": "E"}:
        return ("exp", q(1))
    if isinstance(tree, dict) and set(tree) == {"op", "args"} and isinstance(tree["args"], list):
        args = [from_tree(a, _depth + 1) for a in tree["args"][:3]]
        op, k = tree["op"], len(tree["args"])
        if op in ("Add", "Mul") and k >= 1:
            return (("+" if op == "Add" else "*"), tuple(from_tree(a, _depth + 1) for a in tree["args"]))
        if op == "Pow" and k == 2:
            return ("^", *args)
        if op in _TREE_FUNCS and k == _TREE_FUNCS[op][1]:
            return _call(op if op != "Abs" else "abs", args)
        _fail(f"term tree: operation {str(op)[:30]!r} with {k} argument(s) is not in the kernel's language")
    _fail(f"malformed term tree: {str(tree)[:60]}")


def tree(text: str) -> tuple:
    """Parse a formula string and bound it (an alias used by tests and rules).

    >>> tree("n") == N
    True
    """
    return parse(text)


_RATIO = re.compile(r"^\s*([+-]?\d{1,4000})\s*(?:/\s*(\d{1,4000})\s*)?$")
_DECIMAL = re.compile(r"^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$")


def rational(s: Any, where: str) -> Fraction:
    """An exact rational from JSON text: 'p/q', an integer or a decimal (exponent at most 1000).

    >>> rational("3/6", "x"), rational("1e-3", "x")
    (Fraction(1, 2), Fraction(1, 1000))
    """
    if type(s) is int:
        return Fraction(s)
    if not isinstance(s, str):
        _fail(f"{where}: expected a rational string")
    m = _RATIO.match(s)
    if m:
        if m.group(2) is not None and int(m.group(2)) == 0:
            _fail(f"{where}: zero denominator")
        return Fraction(int(m.group(1)), int(m.group(2) or 1))
    m = _DECIMAL.match(s)
    if not m or not (m.group(2) or m.group(3)) or len(s) > 4000:
        _fail(f"{where}: {s[:40]!r} is not a number (expected an integer, 'p/q' or a decimal)")
    e = m.group(4) or "0"
    if len(e.lstrip("+-")) > 5 or abs(int(e)) > 1000:
        _fail(f"{where}: exponent of {s[:40]!r} is out of range (at most 1000 in absolute value)")
    frac = m.group(3) or ""
    v = Fraction(int(m.group(1) + ((m.group(2) or "") + frac or "0"))) * Fraction(10) ** (int(e) - len(frac))
    return v


def _const(t: tuple) -> Fraction | None:
    """The value of a term that is a constant literal (possibly negated), else None."""
    if t[0] == "q":
        return t[1]
    if t[0] == "*" and len(t[1]) == 2 and t[1][0] == ("q", -1) and t[1][1][0] == "q":
        return -t[1][1][1]
    return None


def bound(t: tuple) -> tuple:
    """Return ``t`` after checking node count, exponents, degree and bit estimates (no expansion).

    >>> bound(("^", q(10**3000), q(25)))
    Traceback (most recent call last):
    ...
    exactrelu.kernel.terms.TermError: the constants of the term have about 249155 bits (limit 200000)
    """
    nodes = [0]

    def walk(t: tuple, d: int) -> tuple:  # (degree estimate, bits estimate)
        nodes[0] += 1
        if nodes[0] > MAX_NODES or d > 2 * MAX_DEPTH:
            _fail(f"the term is too large (more than {MAX_NODES} nodes or {2 * MAX_DEPTH} levels)")
        tag = t[0]
        if tag == "q":
            bits = max(t[1].numerator.bit_length(), t[1].denominator.bit_length())
            if bits > MAX_BITS:
                _fail(f"a number in the term has {bits} bits (limit {MAX_BITS})")
            return 0, bits
        if tag == "n":
            return 1, 1
        parts = [walk(a, d + 1) for a in t[1:] if tag not in "+*"] if tag not in "+*" else [walk(a, d + 1) for a in t[1]]
        deg, bits = ((max if tag == "+" else sum)(p[0] for p in parts), sum(p[1] for p in parts))
        if tag == "^":
            e = _const(t[2])
            if e is not None:
                if abs(e.numerator) > MAX_EXPONENT or e.denominator > MAX_EXPONENT:
                    _fail(f"exponent {e} is too large (limit {MAX_EXPONENT})")
                k = math.ceil(abs(e))
                deg, bits = parts[0][0] * k, parts[0][1] * max(k, 1) + parts[1][1]
            else:
                deg = parts[0][0] + parts[1][0]
        elif tag == "C":
            k = _const(t[2])
            deg = parts[0][0] * int(min(abs(k), MAX_EXPONENT + 1)) if k is not None and k.denominator == 1 else deg
            if k is not None and abs(k) > MAX_EXPONENT:
                _fail(f"binomial index {k} is too large (limit {MAX_EXPONENT})")
        elif tag == "!" and _const(t[1]) is not None and abs(_const(t[1])) > MAX_EXPONENT:
            _fail(f"factorial of {_const(t[1])} is too large (limit {MAX_EXPONENT})")
        if deg > MAX_DEGREE:
            _fail(f"the term has degree about {deg} in n (limit {MAX_DEGREE})")
        if bits > MAX_TOTAL_BITS:
            _fail(f"the constants of the term have about {bits} bits (limit {MAX_TOTAL_BITS})")
        return deg, bits

    walk(t, 0)
    return t


# --------------------------------------------------------------- evaluation
def evaluate(t: tuple, k: int) -> Fraction:
    """The exact value of ``t`` at the integer ``n = k``; TermError where undefined or irrational.

    >>> evaluate(parse("(-1)^n * binomial(n, 2) / n!"), 3), evaluate(parse("abs(1 - n)"), 3)
    (Fraction(-1, 2), Fraction(2, 1))
    """
    tag = t[0]
    if tag == "q":
        return t[1]
    if tag == "n":
        return Fraction(k)
    if tag == "+":
        return sum((evaluate(a, k) for a in t[1]), Fraction(0))
    if tag == "*":
        out = Fraction(1)
        for a in t[1]:
            out *= evaluate(a, k)
        return out
    if tag == "abs":
        return abs(evaluate(t[1], k))
    if tag == "exp":
        if evaluate(t[1], k) != 0:
            _fail(f"exp(...) is irrational at n = {k}")
        return Fraction(1)
    args = [evaluate(a, k) for a in t[1:]]
    if any(a.denominator != 1 for a in args[1:] if tag != "^") or (tag == "!" and args[0].denominator != 1):
        _fail(f"a factorial or binomial of a non-integer at n = {k}")
    if tag == "^":
        b, e = args
        if e.denominator != 1:
            if b in (0, 1):
                return b
            _fail(f"a power with the non-integer exponent {e} at n = {k} (irrational values are not evaluated)")
        if b == 0 and e < 0:
            _fail(f"division by zero at n = {k}")
        _budget(max(b.numerator.bit_length(), b.denominator.bit_length()) * abs(int(e)) if abs(b) != 1 else 0, k)
        return b ** int(e)
    if tag == "!":
        m = int(args[0])
        if m < 0:
            _fail(f"factorial of the negative integer {m} at n = {k}")
        _budget(m * m.bit_length(), k)
        return Fraction(math.factorial(m))
    a, j = args[0], int(args[1])  # binomial: a (a-1) ... (a-j+1) / j!, 0 for j < 0
    if j < 0:
        return Fraction(0)
    _budget(j * max(a.numerator.bit_length(), j.bit_length()), k)
    out = Fraction(1)
    for i in range(j):
        out = out * (a - i) / (i + 1)
    return out


def _budget(bits: int, k: int) -> None:
    if bits > MAX_EVAL_BITS:
        _fail(f"a value at n = {k} is too large to compute exactly (about {bits} bits, limit {MAX_EVAL_BITS})")


# --------------------------------------------------- rational functions
class RF:
    """An exact rational function num/den of n in lowest terms, den monic (flint fmpq_poly)."""

    __slots__ = ("num", "den")

    def __init__(self, num: Any, den: Any = 1):
        num, den = flint.fmpq_poly(num) if not isinstance(num, flint.fmpq_poly) else num, flint.fmpq_poly(den)
        if den.is_zero():
            _fail("division by the zero function")
        g = num.gcd(den)
        if g.degree() > 0:
            num, den = num // g, den // g
        lc = den.leading_coefficient()
        self.num, self.den = num / lc, den / lc

    def key(self) -> tuple:
        return tuple(self.num.coeffs()), tuple(self.den.coeffs())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RF) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(str(self.key()))

    def __add__(self, o: "RF") -> "RF":
        return RF(self.num * o.den + o.num * self.den, self.den * o.den)

    def __mul__(self, o: "RF") -> "RF":
        return RF(self.num * o.num, self.den * o.den)

    def pow(self, e: int) -> "RF":
        return RF(self.num ** e, self.den ** e) if e >= 0 else RF(self.den ** -e, self.num ** -e)

    def const(self) -> Fraction | None:
        if self.num.degree() <= 0 and self.den.degree() == 0:
            c = self.num.coeffs()[0] if not self.num.is_zero() else flint.fmpq(0)
            return Fraction(int(c.p), int(c.q))
        return None

    def is_poly(self) -> bool:
        return self.den.degree() == 0


def primitive(p: flint.fmpq_poly) -> tuple:
    """(content c, primitive integer coefficients with positive leading coefficient) with p = c * prim.

    >>> primitive(flint.fmpq_poly([-2, -4]))
    (Fraction(-2, 1), (1, 2))
    """
    z, d = p.numer(), int(p.denom())
    c = [int(x) for x in z.coeffs()]
    g = math.gcd(*c) * (1 if c[-1] > 0 else -1)
    return Fraction(g, d), tuple(x // g for x in c)


# ------------------------------------------------------- canonical form
# A canonical form is a dict {monomial key: RF}; a key is a sorted tuple of (atom, exponent):
#   ("P", prim)  prim(n)^e, e in (0, 1) (prim's content positive: the sign stays inside the radicand)
#   ("C", c)     c^e for a positive rational c != 1, e in (0, 1)
#   ("X", c)     c^E(n) for c a positive rational != 1, -1 or "e"; E a polynomial (coefficient tuple)
#   ("F", a, b)  factorial(a n + b)^m, a >= 1, m an integer
#   ("S", prim)  prim(n)^E(n) with E a polynomial without constant term
#   ("A", form) / ("O", form)   |form|^e / form^e for a form kept opaque
def _ptuple(p: flint.fmpq_poly) -> tuple:
    return tuple(Fraction(int(c.p), int(c.q)) for c in p.coeffs())


def _pfrom(t: tuple) -> flint.fmpq_poly:
    return flint.fmpq_poly([flint.fmpq(c.numerator, c.denominator) for c in t])


def freeze(form: dict) -> tuple:
    return tuple(sorted(((k, v.key()) for k, v in form.items()), key=repr))


def _base_rf(atom: tuple) -> RF:
    c = atom[1]
    return RF(_pfrom(c)) if atom[0] in ("P", "S") else RF(flint.fmpq_poly([flint.fmpq(c.numerator, c.denominator)]))


def _mono(atoms: dict, rf: RF) -> dict:
    """Normalise one monomial: constant terms of exponents and integer parts of exponents move into rf."""
    out: dict = {}

    def put(atom: tuple, e: Any) -> None:
        if atom[0] in ("X", "S"):
            out[atom] = _ptuple(_pfrom(out.get(atom, ())) + _pfrom(e))
        else:
            out[atom] = out.get(atom, 0) + e

    for atom, e in atoms.items():
        if atom[0] not in ("X", "S") or atom[1] == "e":
            put(atom, e)
            continue
        E = _pfrom(e)
        c0 = Fraction(int(E.coeffs()[0].p), int(E.coeffs()[0].q)) if not E.is_zero() else Fraction(0)
        put(atom, _ptuple(E - flint.fmpq(c0.numerator, c0.denominator)))
        if atom[0] == "S":
            put(("P", atom[1]), c0)
        elif atom[1] == -1:
            if c0.denominator != 1:
                _fail("(-1) to a non-integer power")
            rf = rf * RF(-1 if c0.numerator % 2 else 1)
        else:
            put(("C", atom[1]), c0)
    for atom in list(out):
        e = out[atom]
        if atom[0] in ("P", "C"):
            fl = e.numerator // e.denominator
            rf, e = rf * _base_rf(atom).pow(fl), e - fl
        elif atom == ("X", -1) and all(c.denominator == 1 for c in e):
            e = _ptuple(_pfrom(tuple(c % 2 for c in e)))
        if e == 0 or e == () or (atom[0] == "C" and atom[1] == 1):
            del out[atom]
        else:
            out[atom] = e
    return {tuple(sorted(out.items(), key=repr)): rf} if not rf.num.is_zero() else {}


def _add(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        s = out[k] + v if k in out else v
        if s.num.is_zero():
            out.pop(k, None)
        else:
            out[k] = s
    return out


def _mul(a: dict, b: dict) -> dict:
    out: dict = {}
    for ka, ra in a.items():
        for kb, rb in b.items():
            atoms = dict(ka)
            for atom, e in kb:
                if atom[0] in ("X", "S"):
                    atoms[atom] = _ptuple(_pfrom(atoms.get(atom, ())) + _pfrom(e))
                else:
                    atoms[atom] = atoms.get(atom, 0) + e
            out = _add(out, _mono(atoms, ra * rb))
    if len(out) > MAX_MONOMIALS:
        _fail(f"the canonical form has more than {MAX_MONOMIALS} monomials")
    return out


def _rf_form(rf: RF) -> dict:
    return {(): rf} if not rf.num.is_zero() else {}


def _poly_of(form: dict, what: str) -> flint.fmpq_poly:
    if not form:
        return flint.fmpq_poly([])
    if set(form) != {()} or not form[()].is_poly():
        _fail(f"{what} must be a polynomial in n")
    return form[()].num


def canon(t: tuple) -> dict:
    """The canonical form of a term (see the comment above :func:`freeze`).

    >>> canon(parse("1/n - 1/(n+1)")) == canon(parse("1/(n^2 + n)")), canon(parse("2^(n+1)")) == canon(parse("2*2^n"))
    (True, True)
    """
    tag = t[0]
    if tag == "q":
        return _rf_form(RF(flint.fmpq_poly([flint.fmpq(t[1].numerator, t[1].denominator)])))
    if tag == "n":
        return {(): RF(X)}
    if tag == "+":
        out: dict = {}
        for a in t[1]:
            out = _add(out, canon(a))
        return out
    if tag == "*":
        out = {(): RF(1)}
        for a in t[1]:
            out = _mul(out, canon(a))
        return out
    if tag == "^":
        return _pow(canon(t[1]), canon(t[2]))
    if tag == "exp":
        E = _poly_of(canon(t[1]), "the argument of exp")
        return _mono({("X", "e"): _ptuple(E)}, RF(1)) if not E.is_zero() else {(): RF(1)}
    if tag == "abs":
        a = canon(t[1])
        c = a[()].const() if set(a) == {()} else (Fraction(0) if not a else None)
        if c is not None:
            return _rf_form(RF(flint.fmpq_poly([flint.fmpq(abs(c.numerator), c.denominator)])))
        return {((("A", freeze(a)), Fraction(1)),): RF(1)}
    if tag == "!":
        return _factorial(_poly_of(canon(t[1]), "the argument of factorial"), 1)
    a, b = canon(t[1]), canon(t[2])  # binomial
    kb = _poly_of(b, "a binomial index")
    if kb.degree() <= 0:
        j = Fraction(int(kb.coeffs()[0].p), int(kb.coeffs()[0].q)) if not kb.is_zero() else Fraction(0)
        if j.denominator != 1:
            _fail("binomial of a non-integer index")
        out = {(): RF(1)} if j >= 0 else {}
        for i in range(int(j)):
            out = _mul(out, _mul(_add(a, canon(q(-i))), canon(q(Fraction(1, i + 1)))))
        return out
    ka = _poly_of(a, "the top of a binomial")
    return _mul(_factorial(ka, 1), _mul(_factorial(kb, -1), _factorial(ka - kb, -1)))


def _factorial(p: flint.fmpq_poly, m: int) -> dict:
    cs = _ptuple(p) + (Fraction(0), Fraction(0))
    beta, alpha = cs[0], cs[1]
    if p.degree() > 1 or alpha < 0 or alpha.denominator != 1 or beta.denominator != 1:
        _fail("factorial needs an argument a n + b with integers a >= 0, b")
    if alpha == 0:
        if beta < 0:
            _fail(f"factorial of the negative integer {beta}")
        return _rf_form(RF(flint.fmpq(math.factorial(int(beta))) ** m))
    return _mono({("F", int(alpha), int(beta)): m}, RF(1))


def _pow(b: dict, e: dict) -> dict:
    if set(e) <= {()} and (not e or e[()].const() is not None):
        ex = e[()].const() if e else Fraction(0)
        if ex == 0:
            return {(): RF(1)}
        if not b:
            if ex < 0:
                _fail("division by zero")
            return {}
        if len(b) > 1:
            if ex.denominator == 1 and 0 < ex <= 16:
                out = {(): RF(1)}
                for _ in range(int(ex)):
                    out = _mul(out, b)
                return out
            return {((("O", freeze(b)), ex),): RF(1)}
        ((key, rf),) = b.items()
        atoms: dict = {}
        for atom, ae in key:
            if atom[0] in ("X", "S"):
                atoms[atom] = _ptuple(_pfrom(ae) * flint.fmpq(ex.numerator, ex.denominator))
            elif atom[0] == "F" and (ae * ex).denominator != 1:
                atoms[("O", freeze({((atom, ae),): RF(1)}))] = ex
            else:
                atoms[atom] = ae * ex
        if ex.denominator == 1:
            return _mono(atoms, rf.pow(int(ex)))
        out = {(): RF(1)}
        for p, s in ((rf.num, ex), (rf.den, -ex)):
            c, prim = primitive(p)
            if c < 0:
                c, prim = -c, tuple(-x for x in prim)
            out = _mul(out, _mono({("C", c): s} if c != 1 else {}, RF(1)))
            if len(prim) > 1:
                out = _mul(out, _mono({("P", prim): s}, RF(1)))
        return _mul(out, _mono(atoms, RF(1)))
    E = _poly_of(e, "an exponent that depends on n")
    if len(b) != 1:
        _fail("a power with an exponent in n needs a base without sums of different kinds")
    ((key, rf),) = b.items()
    atoms = {}
    for atom, ae in key:
        if atom[0] in ("X", "S"):
            atoms[atom] = _ptuple(_pfrom(ae) * E)
        elif atom[0] in ("P", "C"):
            atoms[("S" if atom[0] == "P" else "X", atom[1])] = _ptuple(E * flint.fmpq(ae.numerator, ae.denominator))
        else:
            _fail("a power with an exponent in n of a factorial or an absolute value")
    out = _mono(atoms, RF(1))
    for p, s in ((rf.num, E), (rf.den, -E)):
        c, prim = primitive(p)
        if c == 0:
            _fail("zero to a power that depends on n")
        parts = {("X", -1): _ptuple(s)} if c < 0 else {}
        if abs(c) != 1:
            parts[("X", abs(c))] = _ptuple(s)
        if len(prim) > 1:
            parts[("S", prim)] = _ptuple(s)
        out = _mul(out, _mono(parts, RF(1)))
    return out


def same(a: tuple, b: tuple) -> bool:
    """Whether two terms have the same canonical form (the kernel's exact equality of formulas).

    >>> same(parse("(n+1)^2"), parse("n^2 + 2*n + 1")), same(parse("4^n"), parse("2^(2*n)"))
    (True, False)
    """
    return canon(add(a, neg(b))) == {}


# ------------------------------------------------------------------ signs
_SIGN_MUL = {("pos", "pos"): "pos", ("pos", "neg"): "neg", ("neg", "neg"): "pos", ("pos", "nonneg"): "nonneg",
             ("pos", "nonpos"): "nonpos", ("neg", "nonneg"): "nonpos", ("neg", "nonpos"): "nonneg",
             ("nonneg", "nonneg"): "nonneg", ("nonpos", "nonpos"): "nonneg", ("nonneg", "nonpos"): "nonpos"}


def _smul(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return None
    if "zero" in (a, b):
        return "zero"
    return _SIGN_MUL.get((a, b)) or _SIGN_MUL.get((b, a))


def poly_sign(p: flint.fmpq_poly, N: int) -> str | None:
    """Sign class of a polynomial on the reals ``x >= N``: pos, neg, nonneg, nonpos, zero or None."""
    if p.is_zero():
        return "zero"
    for cls, r, test in (("pos", p, poly.positive_on), ("neg", -p, poly.positive_on),
                         ("nonneg", p, poly.nonnegative_on), ("nonpos", -p, poly.nonnegative_on)):
        if test(r, N):
            return cls
    return None


def sign(t: Any, N: int) -> str | None:
    """The sign class of a term (or canonical form) on the integers ``n >= N``, or None if undecided.

    Decided from the canonical form: each monomial is a rational function (signs of
    numerator and denominator by Sturm root counting) times atoms that are positive
    (c^E with c > 0, e^E, factorials, radicals and powers of bases positive on the ray).

    >>> sign(parse("(n + 1) / 2^n"), 1), sign(parse("(-1)^n"), 1), sign(parse("(n - 3)^2"), 1)
    ('pos', None, 'nonneg')
    """
    form = canon(t) if isinstance(t, tuple) else t
    if not form:
        return "zero"
    signs = set()
    for key, rf in form.items():
        s = _smul(poly_sign(rf.num, N), poly_sign(rf.den, N) if poly_sign(rf.den, N) in ("pos", "neg") else None)
        for atom, _ in key:
            if atom[0] in ("F", "C") or (atom[0] == "X" and atom[1] != -1):
                continue
            if atom[0] in ("P", "S"):
                s = _smul(s, "pos" if poly_sign(_pfrom(atom[1]), N) == "pos" else None)
            elif atom[0] == "A":
                s = _smul(s, "nonneg")
            else:
                s = None
        signs.add(s)
    if signs <= {"pos", "nonneg"}:
        return "pos" if "pos" in signs else "nonneg"
    if signs <= {"neg", "nonpos"}:
        return "neg" if "neg" in signs else "nonpos"
    return None


def nonneg_from(t: tuple, N: int) -> bool:
    """True only if ``t(n) >= 0`` is proven for every integer ``n >= N``.

    >>> nonneg_from(parse("n^2 - 5*n + 3"), 5), nonneg_from(parse("n^2 - 5*n + 3"), 4)
    (True, False)
    """
    return sign(t, N) in ("pos", "nonneg", "zero")
