"""The kernel's exact term language: parse, bound, evaluate, compare and sign formulas in n.

A term is a tree of tuples ``("q", Fraction)``, ``("n",)``, ``("+", args)``, ``("*", args)``, ``("^", base, exp)``,
``("!", a)``, ``("C", a, b)`` (binomial), ``("abs", a)``, ``("exp", a)``; its canonical form and the limits
on size are described in proofs/README.md, "The trusted kernel".
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

import flint

from ..exact import polysign as poly

MAX_LENGTH, MAX_DEPTH, MAX_NODES = 10_000, 60, 2_000  # characters, nesting, nodes of a term
MAX_BITS, MAX_TOTAL_BITS = 13_000, 200_000  # bits of one number; estimated bits of all constants
MAX_EXPONENT, MAX_DEGREE = 1_000, 400  # |p| and q of a constant exponent p/q; estimated degree in n
MAX_MONOMIALS, MAX_EVAL_BITS = 64, 4_000_000  # monomials of a canonical form; bits of one computed value
X = flint.fmpq_poly([0, 1])
N = ("n",)

class TermError(ValueError):
    """A term is malformed, too large, undefined somewhere, or outside the language."""

def _fail(msg: str) -> None:
    raise TermError(msg)

def refuse(cond: Any, msg: str) -> None:
    """Raise TermError(msg) when ``cond`` holds: the kernel's one way of saying no."""
    if cond:
        raise TermError(msg)

def q(c: Any) -> tuple:  # term constructors
    return ("q", Fraction(c))

def add(*a: tuple) -> tuple:
    return ("+", tuple(a))

def mul(*a: tuple) -> tuple:
    return ("*", tuple(a))

def neg(a: tuple) -> tuple:
    return mul(q(-1), a)

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(\*\*|[-+*/^(),!]))")
_CALLS = {"factorial": ("!", 1), "binomial": ("C", 2), "sqrt": ("sqrt", 1), "exp": ("exp", 1), "abs": ("abs", 1),
          "Abs": ("abs", 1)}

def _call(tag: str, args: list) -> tuple:
    return ("^", args[0], q(Fraction(1, 2))) if tag == "sqrt" else (tag, *args)

class _Parser:
    """Recursive descent over the grammar of exactrelu.depth.formula (``^`` = ``**``, postfix ``!``)."""

    def __init__(self, text: str):
        self.toks, i, self.pos, self.depth = [], 0, 0, 0
        while text[i:].strip():
            m = _TOKEN.match(text, i) or _fail(f"unexpected {text[i:].lstrip()[0]!r} at column {i + 1}")
            self.toks.append((m.lastindex, m.group(m.lastindex), m.start(m.lastindex) + 1))
            i = m.end()
        self.toks.append((0, "", len(text) + 1))

    def take(self, *ops: str) -> Any:
        kind, text, _ = tok = self.toks[self.pos]
        if ops and not (kind == 3 and text in ops):
            return None
        self.pos += 1
        return tok

    def need(self, op: str) -> None:
        if not self.take(op):
            _, text, col = self.toks[self.pos]
            _fail(f"expected {op!r} at column {col}, got {text or 'end of formula'!r}")

    def nest(self, fn: Any) -> tuple:
        self.depth += 1
        refuse(self.depth > MAX_DEPTH, f"formula nested too deeply (more than {MAX_DEPTH} levels)")
        out = fn()
        self.depth -= 1
        return out

    def expr(self) -> tuple:
        args = [self.term()]
        while tok := self.take("+", "-"):
            args.append(self.term() if tok[1] == "+" else neg(self.term()))
        return args[0] if len(args) == 1 else ("+", tuple(args))

    def term(self) -> tuple:
        args = [self.unary()]
        while tok := self.take("*", "/"):
            args.append(self.unary() if tok[1] == "*" else ("^", self.unary(), q(-1)))
        return args[0] if len(args) == 1 else ("*", tuple(args))

    def unary(self) -> tuple:
        if tok := self.take("+", "-"):
            t = self.nest(self.unary)
            return neg(t) if tok[1] == "-" else t
        base = self.atom()
        while self.take("!"):
            base = ("!", base)
        return ("^", base, self.nest(self.unary)) if self.take("^", "**") else base

    def atom(self) -> tuple:
        kind, text, col = self.take()
        if kind == 1:
            mant, _, ex = text.lower().partition("e")
            refuse(len(mant) > 4000 or (ex and abs(int(ex)) > 1000), f"number at column {col} is too large")
            return q(Fraction(text))
        if kind == 2 and text in ("n", "E"):
            return N if text == "n" else ("exp", q(1))
        if kind == 2:
            if text not in _CALLS:
                _fail(f"name {text!r} at column {col} is not in the kernel's language "
                      "(n, E, factorial, binomial, sqrt, exp, abs)")
            self.need("(")
            args = [self.nest(self.expr)]
            while self.take(","):
                args.append(self.nest(self.expr))
            self.need(")")
            refuse(len(args) != _CALLS[text][1], f"{text} at column {col} takes {_CALLS[text][1]} argument(s)")
            return _call(_CALLS[text][0], args)
        if (kind, text) == (3, "("):
            t = self.nest(self.expr)
            self.need(")")
            return t
        _fail(f"unexpected {text or 'end of formula'!r} at column {col}")

def parse(text: Any, where: str = "") -> tuple:
    """Parse a formula string into a bounded term.

    >>> parse("2^-n / n!")[1][1]
    ('^', ('!', ('n',)), ('q', Fraction(-1, 1)))
    """
    try:
        if type(text) is not str or len(text) > MAX_LENGTH or not text.strip():
            _fail(f"expected a nonempty formula string of at most {MAX_LENGTH} characters")
        p = _Parser(text)
        t = p.expr()
        refuse(p.toks[p.pos][0] != 0, f"unexpected {p.toks[p.pos][1]!r} at column {p.toks[p.pos][2]}")
        return bound(t)
    except TermError as exc:
        raise TermError(f"{where}: {exc}" if where else str(exc)) from None

_TREE = {**{k: v for k, v in _CALLS.items() if k != "abs"}, "Pow": ("^", 2)}  # sympy's names

def from_tree(tree: Any, _depth: int = 0) -> tuple:
    """Decode a JSON term tree (written by exactrelu.depth.series_check.term_to_tree); unbounded.

    >>> from_tree({"op": "Pow", "args": ["n", -2]})
    ('^', ('n',), ('q', Fraction(-2, 1)))
    """
    refuse(_depth > MAX_DEPTH, "term tree too deep")
    if type(tree) is int and tree.bit_length() <= MAX_BITS:
        return q(tree)
    if tree == "n":
        return N
    if isinstance(tree, dict) and set(tree) == {"rational"}:
        return q(rational(tree["rational"], "term"))
    if tree == {"const": "E"}:
        return ("exp", q(1))
    if isinstance(tree, dict) and set(tree) == {"op", "args"} and isinstance(tree["args"], list) and tree["args"]:
        op, args = tree["op"], tree["args"]
        if op in ("Add", "Mul"):
            return ("+" if op == "Add" else "*", tuple(from_tree(a, _depth + 1) for a in args))
        if op in _TREE and len(args) == _TREE[op][1]:
            return _call(_TREE[op][0], [from_tree(a, _depth + 1) for a in args])
        _fail(f"term tree: operation {str(op)[:30]!r} with {len(args)} argument(s) is not in the kernel's language")
    _fail(f"malformed term tree: {str(tree)[:60]}")

_NUMBER = re.compile(r"\s*[+-]?(\d{1,4000}(/\d{1,4000})?|(\d*\.?\d*)([eE]([+-]?\d+))?)\s*")

def rational(s: Any, where: str) -> Fraction:
    """An exact rational from JSON: an int, or text 'p/q', an integer or a decimal (exponent at most 1000).

    >>> rational("3/6", "x"), rational("1e-3", "x"), rational(" -2.50", "x")
    (Fraction(1, 2), Fraction(1, 1000), Fraction(-5, 2))
    """
    if type(s) is int:
        return Fraction(s)
    m = _NUMBER.fullmatch(s) if isinstance(s, str) and len(s) <= 4100 else None
    if not m or not re.search(r"\d", s):
        _fail(f"{where}: {str(s)[:40]!r} is not a number (expected an integer, 'p/q' or a decimal)")
    if m.group(5) and (len(m.group(5)) > 6 or abs(int(m.group(5))) > 1000):
        _fail(f"{where}: exponent of {s[:40]!r} is out of range (at most 1000 in absolute value)")
    refuse(m.group(2) and int(m.group(2)[1:]) == 0, f"{where}: zero denominator")
    return Fraction(s.strip())

def _const(t: tuple) -> Fraction | None:  # the value of a constant literal, possibly negated, else None
    if t[0] == "*" and len(t[1]) == 2 and t[1][0] == ("q", -1):
        t = ("q", -t[1][1][1]) if t[1][1][0] == "q" else t
    return t[1] if t[0] == "q" else None

def bound(t: tuple) -> tuple:
    """Return ``t`` after checking nodes, depth, exponents, degree and bit estimates (nothing is expanded).

    >>> bound(("q", Fraction(1)))
    ('q', Fraction(1, 1))
    """
    nodes = [0]

    def walk(t: tuple, d: int) -> tuple:  # (degree estimate, bits estimate)
        nodes[0] += 1
        if nodes[0] > MAX_NODES or d > 2 * MAX_DEPTH:
            _fail(f"the term is too large (more than {MAX_NODES} nodes or {2 * MAX_DEPTH} levels)")
        if t[0] in ("q", "n"):
            bits = max(t[1].numerator.bit_length(), t[1].denominator.bit_length()) if t[0] == "q" else 1
            refuse(bits > MAX_BITS, f"a number in the term has {bits} bits (limit {MAX_BITS})")
            return (0 if t[0] == "q" else 1), bits
        parts = [walk(a, d + 1) for a in (t[1] if t[0] in "+*" else t[1:])]
        deg, bits = (max if t[0] == "+" else sum)(p[0] for p in parts), sum(p[1] for p in parts)
        c = _const(t[-1]) if t[0] in ("^", "C", "!") else None
        if c is not None and (abs(c.numerator) > MAX_EXPONENT or c.denominator > MAX_EXPONENT):
            _fail(f"the constant {c} in a power, factorial or binomial is too large (limit {MAX_EXPONENT})")
        if c is not None and t[0] in ("^", "C"):
            k = math.ceil(abs(c))
            deg, bits = parts[0][0] * k, parts[0][1] * max(k, 1) + parts[1][1]
        elif t[0] == "^":  # an exponent in n is never expanded (c^E, P^E are atoms): n^400 / 2^n has degree 400
            deg = parts[0][0]
        refuse(deg > MAX_DEGREE, f"the term has degree about {deg} in n (limit {MAX_DEGREE})")
        refuse(bits > MAX_TOTAL_BITS, f"the constants of the term have about {bits} bits (limit {MAX_TOTAL_BITS})")
        return deg, bits

    walk(t, 0)
    return t

def evaluate(t: tuple, k: int) -> Fraction:
    """The exact value of ``t`` at the integer ``n = k``; TermError where undefined, irrational or too large.

    >>> evaluate(parse("(-1)^n * binomial(n, 2) / n!"), 3), evaluate(parse("abs(1 - n)"), 3)
    (Fraction(-1, 2), Fraction(2, 1))
    """
    tag = t[0]
    if tag in ("q", "n"):
        return t[1] if tag == "q" else Fraction(k)
    args = [evaluate(a, k) for a in (t[1] if tag in "+*" else t[1:])]
    if tag in "+*":
        return sum(args, Fraction(0)) if tag == "+" else math.prod(args, start=Fraction(1))
    if tag in ("abs", "exp"):
        refuse(tag == "exp" and args[0] != 0, f"exp is irrational at n = {k}")
        return abs(args[0]) if tag == "abs" else Fraction(1)
    if any(a.denominator != 1 for a in args[tag == "^":]):
        _fail(f"a non-integer exponent, factorial or binomial argument at n = {k} (values may be irrational)")
    a, e = args[0], int(args[-1])
    if tag == "^":
        refuse(a == 0 and e < 0, f"division by zero at n = {k}")
    refuse(tag == "!" and e < 0, f"factorial of the negative integer {e} at n = {k}")
    bits = {"^": max(a.numerator.bit_length(), a.denominator.bit_length()) * abs(e) * (abs(a) != 1),
            "!": e * e.bit_length()}.get(tag, e * max(a.numerator.bit_length(), e.bit_length()))
    refuse(bits > MAX_EVAL_BITS, f"a value at n = {k} is too large to compute exactly (more than {MAX_EVAL_BITS} bits)")
    if tag in "^!":
        return a**e if tag == "^" else Fraction(math.factorial(e))
    # binomial: a (a-1)...(a-e+1)/e!, 0 for e < 0
    return math.prod((Fraction(a - i, i + 1) for i in range(e)), start=Fraction(1)) if e >= 0 else Fraction(0)

def _q(c: Fraction) -> flint.fmpq:
    return flint.fmpq(c.numerator, c.denominator)

class RF:
    """An exact rational function num/den of n in lowest terms with den monic (flint fmpq_poly)."""

    __slots__ = ("num", "den")

    def __init__(self, num: Any, den: Any = 1):
        num, den = flint.fmpq_poly(num) if not isinstance(num, flint.fmpq_poly) else num, flint.fmpq_poly(den)
        refuse(den.is_zero(), "division by the zero function")
        g = num.gcd(den)
        num, den = (num // g, den // g) if g.degree() > 0 else (num, den)
        self.num, self.den = num / den.leading_coefficient(), den / den.leading_coefficient()

    def key(self) -> tuple:
        return tuple(self.num.coeffs()), tuple(self.den.coeffs())

    def __eq__(self, other: object) -> bool:  # (unhashable: RFs are the values of canonical forms, never keys)
        return isinstance(other, RF) and self.key() == other.key()

    def __add__(self, o: "RF") -> "RF":
        return RF(self.num * o.den + o.num * self.den, self.den * o.den)

    def __mul__(self, o: "RF") -> "RF":
        return RF(self.num * o.num, self.den * o.den)

    def pow(self, e: int) -> "RF":
        return RF(self.num**e, self.den**e) if e >= 0 else RF(self.den**-e, self.num**-e)

    def const(self) -> Fraction | None:
        if self.num.degree() > 0 or self.den.degree() > 0:
            return None
        c = self.num.coeffs()[0] if not self.num.is_zero() else flint.fmpq(0)
        return Fraction(int(c.p), int(c.q))

    def is_poly(self) -> bool:
        return self.den.degree() == 0

def primitive(p: flint.fmpq_poly) -> tuple:
    """(content c, primitive integer coefficients, leading one positive) with p = c * prim.

    >>> primitive(flint.fmpq_poly([-2, -4]))
    (Fraction(-2, 1), (1, 2))
    """
    c = [int(x) for x in p.numer().coeffs()]
    g = math.gcd(*c) * (1 if c[-1] > 0 else -1)
    return Fraction(g, int(p.denom())), tuple(x // g for x in c)

# A canonical form is a dict {monomial key: RF}; a key is a sorted tuple of (atom, exponent):
#   ("P", prim)  prim(n)^e, e in (0, 1), prim with positive content (the sign stays in the radicand)
#   ("C", c)     c^e for a positive rational c != 1, e in (0, 1)
#   ("X", c)     c^E(n) for c a positive rational != 1, -1 or "e"; E a polynomial (coefficient tuple)
#   ("F", a, b)  factorial(a n + b)^m with a >= 1 and m an integer
#   ("S", prim)  prim(n)^E(n), E a polynomial without constant term
#   ("A", form) / ("O", form)  |form|^e / form^e, a form kept opaque
def _tp(p: flint.fmpq_poly) -> tuple:
    return tuple(Fraction(int(c.p), int(c.q)) for c in p.coeffs())

def _pp(t: tuple) -> flint.fmpq_poly:
    return flint.fmpq_poly([_q(c) for c in t])

def _rf(c: Fraction) -> RF:
    return RF(flint.fmpq_poly([_q(c)]))

def freeze(form: dict) -> tuple:
    return tuple(sorted(((k, v.key()) for k, v in form.items()), key=repr))

def _mono(atoms: dict, rf: RF) -> dict:  # one monomial; constant terms and integer parts of exponents go into rf
    out: dict = {}

    def put(atom: tuple, e: Any) -> None:
        out[atom] = _tp(_pp(out.get(atom, ())) + _pp(e)) if atom[0] in "XS" else out.get(atom, 0) + e

    for atom, e in atoms.items():
        c0 = Fraction(e[0]) if atom[0] in "XS" and e and atom[1] != "e" else Fraction(0)
        put(atom, _tp(_pp(e) - _q(c0)) if c0 else e)
        if c0 and atom[0] == "S":
            put(("P", atom[1]), c0)
        elif c0 and atom[1] == -1:
            rf = rf * _rf(Fraction(-1) ** c0 if c0.denominator == 1 else _fail("(-1) to a non-integer power"))
        elif c0:
            put(("C", atom[1]), c0)
    for atom in list(out):
        e = out.pop(atom)
        if atom[0] in "PC":
            fl = e.numerator // e.denominator
            rf, e = rf * (RF(_pp(atom[1])) if atom[0] == "P" else _rf(atom[1])).pow(fl), e - fl
        elif atom == ("X", -1) and all(c.denominator == 1 for c in e):
            e = _tp(_pp(tuple(c % 2 for c in e)))  # (-1)^(2 j n) = 1 for integers j, n
        if e not in (0, ()) and atom != ("C", 1):
            out[atom] = e
    return {tuple(sorted(out.items(), key=repr)): rf} if not rf.num.is_zero() else {}

def _add(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = out[k] + v if k in out else v
        if out[k].num.is_zero():
            del out[k]
    return out

def _mul(a: dict, b: dict) -> dict:
    out: dict = {}
    for ka, ra in a.items():
        for kb, rb in b.items():
            atoms = dict(ka)
            for atom, e in kb:
                atoms[atom] = _tp(_pp(atoms.get(atom, ())) + _pp(e)) if atom[0] in "XS" else atoms.get(atom, 0) + e
            out = _add(out, _mono(atoms, ra * rb))
    refuse(len(out) > MAX_MONOMIALS, f"the canonical form has more than {MAX_MONOMIALS} monomials")
    return out

def _poly_of(form: dict, what: str) -> flint.fmpq_poly:
    refuse(form and (set(form) != {()} or not form[()].is_poly()), f"{what} must be a polynomial in n")
    return form[()].num if form else flint.fmpq_poly([])

def canon(t: tuple) -> dict:
    """The canonical form of a term (see the comment above :func:`_tp`).

    >>> canon(parse("1/n - 1/(n+1)")) == canon(parse("1/(n^2 + n)")), canon(parse("2^(n+1)")) == canon(parse("2*2^n"))
    (True, True)
    """
    tag = t[0]
    if tag in ("q", "n"):
        return {(): RF(X) if tag == "n" else _rf(t[1])} if t != ("q", 0) else {}
    if tag in "+*":
        out: dict = {} if tag == "+" else {(): RF(1)}
        for a in t[1]:
            out = _add(out, canon(a)) if tag == "+" else _mul(out, canon(a))
        return out
    if tag == "^":
        return _pow(canon(t[1]), canon(t[2]))
    if tag == "exp":
        E = _poly_of(canon(t[1]), "the argument of exp")
        return _mono({("X", "e"): _tp(E)}, RF(1))
    if tag == "abs":
        a = canon(t[1])
        c = a[()].const() if set(a) == {()} else (Fraction(0) if not a else None)
        return ({(): _rf(abs(c))} if c else {}) if c is not None else {((("A", freeze(a)), Fraction(1)),): RF(1)}
    if tag == "!":
        return _factorial(_poly_of(canon(t[1]), "the argument of factorial"), 1)
    a, kb = canon(t[1]), _poly_of(canon(t[2]), "a binomial index")
    if kb.degree() > 0:  # a! / (b! (a - b)!): equal where the kernel has proved 0 <= b <= a
        ka = _poly_of(a, "the top of a binomial")
        return _mul(_factorial(ka, 1), _mul(_factorial(kb, -1), _factorial(ka - kb, -1)))
    j = _tp(kb)[0] if not kb.is_zero() else Fraction(0)
    refuse(j.denominator != 1, "binomial of a non-integer index")
    out = {(): RF(1)} if j >= 0 else {}
    for i in range(int(j)):  # a (a-1) ... (a-j+1) / j!, the binomial's value at every integer a
        out = _mul(out, _mul(_add(a, {(): _rf(Fraction(-i))}), {(): _rf(Fraction(1, i + 1))}))
    return out

def _factorial(p: flint.fmpq_poly, m: int) -> dict:
    beta, alpha = (_tp(p) + (Fraction(0), Fraction(0)))[:2]
    if p.degree() > 1 or alpha < 0 or alpha.denominator != 1 or beta.denominator != 1:
        _fail("factorial needs an argument a n + b with integers a >= 0, b")
    if alpha == 0:
        return {(): _rf(Fraction(math.factorial(int(beta))) ** m)} if beta >= 0 else _fail("factorial of a negative")
    return _mono({("F", int(alpha), int(beta)): m}, RF(1))

def _pow(b: dict, e: dict) -> dict:
    # constant exponents distribute over monomials, exponents in n make atoms
    ex = e[()].const() if set(e) == {()} else (Fraction(0) if not e else None)
    if ex is not None and (ex == 0 or not b):
        return {(): RF(1)} if ex == 0 else ({} if ex > 0 else _fail("division by zero"))
    if ex is not None and len(b) > 1:
        if ex.denominator == 1 and 0 < ex <= 16:
            out = {(): RF(1)}
            for _ in range(int(ex)):
                out = _mul(out, b)
            return out
        return {((("O", freeze(b)), ex),): RF(1)}
    E = _poly_of(e, "an exponent that depends on n") if ex is None else None
    refuse(len(b) != 1, "a power with an exponent in n needs a base without sums of different kinds")
    ((key, rf),) = b.items()
    atoms: dict = {}
    for atom, ae in key:
        if atom[0] in "XS":
            atoms[atom] = _tp(_pp(ae) * (_q(ex) if E is None else E))
        elif E is None and (atom[0] != "F" or (ae * ex).denominator == 1):
            atoms[atom] = ae * ex
        elif E is None:
            atoms[("O", freeze({((atom, ae),): RF(1)}))] = ex
        elif atom[0] in "PC":
            atoms[("S" if atom[0] == "P" else "X", atom[1])] = _tp(E * _q(ae))
        else:
            _fail("a power with an exponent in n of a factorial or an absolute value")
    if E is None and ex.denominator == 1:
        return _mono(atoms, rf.pow(int(ex)))
    out = _mono(atoms, RF(1))
    for p, s in ((rf.num, 1), (rf.den, -1)):
        c, prim = primitive(p)
        if E is None:  # (c prim)^e = |c|^e (sign(c) prim)^e: the sign stays inside the radicand
            parts = {("C", abs(c)): s * ex, ("P", prim if c > 0 else tuple(-x for x in prim)): s * ex}
        else:
            parts = {("X", abs(c)): _tp(s * E), ("X", -1): _tp((s if c < 0 else 0) * E), ("S", prim): _tp(s * E)}
        parts = {a: v for a, v in parts.items() if (a[1] != 1 if a[0] in "CX" else len(a[1]) > 1)}
        out = _mul(out, _mono(parts, RF(1)))
    return out

def same(a: tuple, b: tuple) -> bool:
    """Whether two terms have the same canonical form (the kernel's equality of formulas).

    >>> same(parse("(n+1)^2"), parse("n^2 + 2*n + 1")), same(parse("4^n"), parse("2^(2*n)"))
    (True, False)
    """
    return canon(add(a, neg(b))) == {}

_ORDER = {"pos": 2, "nonneg": 1, "zero": 0, "nonpos": -1, "neg": -2}

def _smul(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return None
    x, y = _ORDER[a], _ORDER[b]
    v = 0 if 0 in (x, y) else (1 if x * y > 0 else -1) * (2 if abs(x) == abs(y) == 2 else 1)
    return {v: k for k, v in _ORDER.items()}[v]

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

    >>> sign(parse("(n + 1) / 2^n"), 1), sign(parse("(-1)^n"), 1), sign(parse("(n - 3)^2"), 1)
    ('pos', None, 'nonneg')
    """
    form = canon(t) if isinstance(t, tuple) else t
    signs = set()
    for key, rf in form.items():
        den = poly_sign(rf.den, N)
        s = _smul(poly_sign(rf.num, N), den if den in ("pos", "neg") else None)
        for atom, _ in key:
            if atom[0] in "PS":
                s = _smul(s, "pos" if poly_sign(_pp(atom[1]), N) == "pos" else None)
            elif atom[0] in "AO" or atom == ("X", -1):
                s = _smul(s, "nonneg" if atom[0] == "A" else None)
        signs.add(s)
    if signs <= {"pos", "nonneg"}:
        return "pos" if "pos" in signs else ("nonneg" if signs else "zero")
    return ("neg" if "neg" in signs else "nonpos") if signs <= {"neg", "nonpos"} else None

def nonneg_from(t: tuple, N: int) -> bool:
    """True only if ``t(n) >= 0`` is proven for every integer ``n >= N``.

    >>> nonneg_from(parse("n^2 - 5*n + 3"), 5), nonneg_from(parse("n^2 - 5*n + 3"), 4)
    (True, False)
    """
    return sign(t, N) in ("pos", "nonneg", "zero")
