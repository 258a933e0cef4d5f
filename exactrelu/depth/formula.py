"""A safe parser for formula strings in n (no eval, no sympify).

Formulas such as ``"1 + 1/n^2"`` or ``"(-1)^n * binomial(n, 2) / n!"`` come
from users and files, so they are parsed by a small recursive-descent parser
that builds sympy expressions with Python operators only.  sympy's own
``sympify``/``parse_expr`` call ``eval`` and must never see user text.

Grammar (``^`` and ``**`` are the same, right associative, binding tighter
than unary minus, so ``-n^2`` is ``-(n^2)`` and ``2^-n`` is ``2^(-n)``)::

    expr  := term (('+' | '-') term)*
    term  := unary (('*' | '/') unary)*
    unary := ('+' | '-') unary | power
    power := atom ['!'] (('^' | '**') unary)?      (postfix ! is the factorial)
    atom  := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'

Numbers are exact: ``0.1`` is 1/10, ``1e-3`` is 1/1000, ``3/4`` is 3/4.
Names: ``n``, the constants ``pi`` and ``E``, and the functions
``factorial, binomial, sqrt, exp, log, sin, cos, abs`` (``Abs`` is accepted
as sympy prints it).  Hostile input (very long strings, deep nesting, huge
numbers or exponents such as ``10^10^10``) is refused with a clear error
instead of hanging.

>>> parse_formula("1 + 1/n^2")
1 + n**(-2)
>>> parse_formula("0.1*n - 2^-1")
n/10 - 1/2
>>> parse_formula("2n", where="W[0][1]")
Traceback (most recent call last):
...
ValueError: W[0][1]: unexpected 'n' at column 2 (missing '*'? write 2*n)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy

__all__ = ["parse_formula", "canonical", "n", "FORMULA_FUNCTIONS", "FUNCTION_CLASSES", "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT"]

#: The depth variable of every family: a positive integer.
n = sympy.Symbol("n", integer=True, positive=True)

MAX_LENGTH = 10_000  # characters in one formula
MAX_DEPTH = 60  # nesting of parentheses, unary signs and powers
MAX_DIGITS = 4_000  # digits in one numeric literal (Python's int/str limit is 4300)
MAX_DECIMAL_EXPONENT = 1_000  # |e| in a literal such as 1e-3
MAX_EXPONENT = 1_000  # |numerator| and denominator of any exponent in the result
MAX_POWER_BITS = 13_000  # bits of any number computed while parsing (about 3900 digits)
MAX_FACTORIAL_ARG = 1_000  # numeric arguments of factorial / binomial

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),!])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "number", "name", "op", "end"
    text: str
    col: int  # 1-based column


def _constants() -> dict:
    return {"n": n, "pi": sympy.pi, "E": sympy.E}


# The one list of functions a formula may use: name -> (number of arguments, sympy builder).
# Family, the formula checks and the error messages all read it (the kernel's term
# language is the part of it that certificates may use: rationals, powers, factorials).
FORMULA_FUNCTIONS = {
    "factorial": (1, sympy.factorial),
    "binomial": (2, sympy.binomial),
    "sqrt": (1, sympy.sqrt),
    "exp": (1, sympy.exp),
    "log": (1, sympy.log),
    "sin": (1, sympy.sin),
    "cos": (1, sympy.cos),
    "abs": (1, sympy.Abs),
}
_ALIASES = {"Abs": "abs"}  # as sympy prints it
FUNCTIONS = tuple(FORMULA_FUNCTIONS)
# the sympy classes these build (sqrt builds a power), for checking expressions given as sympy objects
FUNCTION_CLASSES = tuple(f for _, f in FORMULA_FUNCTIONS.values() if isinstance(f, type))


def _functions() -> dict:
    return {**FORMULA_FUNCTIONS, **{alias: FORMULA_FUNCTIONS[name] for alias, name in _ALIASES.items()}}


class _Parser:
    def __init__(self, text: str, where: str):
        self.text = text
        self.where = where
        self.toks = self._tokenize(text)
        self.pos = 0
        self.depth = 0
        self.divisors: list = []  # (divisor, exponent or None) as written, before sympy cancels anything

    # ------------------------------------------------------------ plumbing
    def fail(self, msg: str) -> None:
        prefix = f"{self.where}: " if self.where else ""
        raise ValueError(f"{prefix}{msg}")

    def _tokenize(self, text: str) -> list:
        toks, i = [], 0
        while i < len(text):
            m = _TOKEN.match(text, i)
            if m is None:
                self.fail(f"unexpected {text[i]!r} at column {i + 1}")
            if m.lastgroup != "space":
                toks.append(_Tok(m.lastgroup, m.group(), i + 1))
            i = m.end()
        toks.append(_Tok("end", "", len(text) + 1))
        return toks

    @property
    def tok(self) -> _Tok:
        return self.toks[self.pos]

    def take(self) -> _Tok:
        t = self.toks[self.pos]
        self.pos += 1
        return t

    def accept(self, *ops: str) -> _Tok | None:
        if self.tok.kind == "op" and self.tok.text in ops:
            return self.take()
        return None

    def unexpected(self, hint: str = "") -> None:
        t = self.tok
        what = "end of formula" if t.kind == "end" else repr(t.text)
        self.fail(f"unexpected {what} at column {t.col}{hint}")

    def expect(self, op: str) -> None:
        if not self.accept(op):
            self.unexpected(f" (expected {op!r})")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"formula nested too deeply at column {self.tok.col} (more than {MAX_DEPTH} levels)")

    # -------------------------------------------------------------- grammar
    def parse(self) -> sympy.Expr:
        if self.tok.kind == "end":
            self.fail("empty formula")
        e = self.expr()
        if self.tok.kind != "end":
            hint = ""
            if self.tok.kind in ("number", "name") or self.tok.text == "(":
                prev = self.toks[self.pos - 1].text
                nxt = "(...)" if self.tok.text == "(" else self.tok.text
                hint = f" (missing '*'? write {prev}*{nxt})"
            self.unexpected(hint)
        return e

    def expr(self) -> sympy.Expr:
        e = self.term()
        while True:
            t = self.accept("+", "-")
            if t is None:
                return e
            rhs = self.term()
            e = e + rhs if t.text == "+" else e - rhs

    def term(self) -> sympy.Expr:
        e = self.unary()
        while True:
            t = self.accept("*", "/")
            if t is None:
                return e
            rhs = self.unary()
            if t.text == "*":
                e = e * rhs
            else:
                if rhs == 0:
                    self.fail(f"division by zero at column {t.col}")
                self.divisors.append((rhs, None))  # kept: sympy may cancel it away, the formula may not
                e = e / rhs

    def unary(self) -> sympy.Expr:
        self.enter()
        t = self.accept("+", "-")
        if t is not None:
            e = self.unary()
            out = -e if t.text == "-" else e
        else:
            out = self.power()
        self.depth -= 1
        return out

    def power(self) -> sympy.Expr:
        base = self.postfix(self.atom())
        t = self.accept("^", "**")
        if t is None:
            return base
        self.enter()
        exp = self.unary()
        self.depth -= 1
        return self.make_power(base, exp, t.col)

    def postfix(self, e: sympy.Expr) -> sympy.Expr:
        while True:
            t = self.accept("!")
            if t is None:
                return e
            if self.tok.text == "!":  # n!! reads as a double factorial in mathematics: refuse it
                self.fail(f"'!!' at column {t.col} is ambiguous; write factorial(factorial(...)) or use binomials")
            e = self.call("factorial", [e], t.col)

    def atom(self) -> sympy.Expr:
        t = self.tok
        if t.kind == "number":
            self.take()
            return self.number(t)
        if t.kind == "name":
            self.take()
            return self.name(t)
        if self.accept("("):
            self.enter()
            e = self.expr()
            self.depth -= 1
            self.expect(")")
            return e
        self.unexpected()

    def number(self, t: _Tok) -> sympy.Expr:
        mant, _, exp = t.text.lower().partition("e")
        if len(mant.replace(".", "")) > MAX_DIGITS:
            self.fail(f"number at column {t.col} has more than {MAX_DIGITS} digits")
        if exp and abs(int(exp)) > MAX_DECIMAL_EXPONENT:
            self.fail(f"exponent of the number at column {t.col} is too large (limit {MAX_DECIMAL_EXPONENT})")
        from fractions import Fraction

        q = Fraction(t.text)  # exact decimal value
        return sympy.Rational(q.numerator, q.denominator)

    def name(self, t: _Tok) -> sympy.Expr:
        consts, funcs = _constants(), _functions()
        if t.text in consts:
            return consts[t.text]
        if t.text in funcs:
            if not self.accept("("):
                self.fail(f"function {t.text!r} at column {t.col} needs parentheses: {t.text}(...)")
            self.enter()
            args = [self.expr()]
            while self.accept(","):
                args.append(self.expr())
            self.depth -= 1
            self.expect(")")
            return self.call(t.text, args, t.col)
        known = ", ".join(("n", "pi", "E") + FUNCTIONS)
        self.fail(f"unknown name {t.text!r} at column {t.col} (formulas may use {known})")

    # ------------------------------------------------------------- builders
    def call(self, fname: str, args: list, col: int) -> sympy.Expr:
        arity, build = _functions()[fname]
        if len(args) != arity:
            self.fail(f"{fname} at column {col} takes {arity} argument{'s' * (arity > 1)}, got {len(args)}")
        if fname in ("factorial", "binomial"):
            for a in args:
                if a.is_Number and abs(a) > MAX_FACTORIAL_ARG:
                    self.fail(f"{fname} argument {a} at column {col} is too large (limit {MAX_FACTORIAL_ARG})")
        return build(*args)

    def make_power(self, base: sympy.Expr, exp: sympy.Expr, col: int) -> sympy.Expr:
        if exp.is_Rational and base.is_Rational and exp.q == 1:
            if base == 0 and exp < 0:
                self.fail(f"division by zero (0 to a negative power) at column {col}")
            bits = max(int(base.p).bit_length(), int(base.q).bit_length())
            if base not in (0, 1, -1) and bits * abs(int(exp.p)) > MAX_POWER_BITS:
                self.fail(f"power at column {col} is too large to compute exactly (limit {MAX_POWER_BITS} bits)")
        elif exp.is_Rational:
            if abs(exp.p) > MAX_EXPONENT or exp.q > MAX_EXPONENT:
                self.fail(f"exponent {exp} at column {col} is too large (limit {MAX_EXPONENT})")
        elif exp.is_Number:  # a float cannot appear; anything else numeric is irrational
            self.fail(f"exponent at column {col} must be rational or contain n")
        if base.has(n) and not exp.is_nonnegative:
            self.divisors.append((base, exp))  # a negative power divides by its base
        return base**exp


def parse_formula(text: Any, where: str = "", divisors: list | None = None) -> sympy.Expr:
    """Parse one formula string in ``n`` into an exact sympy expression, safely.

    ``where`` (for example ``"W[1][0]"``) prefixes every error message.  A formula
    means what is written: sympy cancels ``(n-3)/((n-3) n^2)`` to ``1/n^2`` on
    construction, so pass a list as ``divisors`` to receive every written divisor
    ``(d, None)`` and every base of a power that may be negative ``(base, exponent)``;
    where one vanishes the formula is undefined (:class:`~exactrelu.depth.family.Family`
    reports it as a pole).

    >>> parse_formula("binomial(n, 2) / n!")
    binomial(n, 2)/factorial(n)
    >>> parse_formula("(-1)^n / (n + 1)")
    (-1)**n/(n + 1)
    >>> parse_formula("10^10^10")
    Traceback (most recent call last):
    ...
    ValueError: power at column 3 is too large to compute exactly (limit 13000 bits)
    >>> parse_formula("1 + x", where="b[0]")
    Traceback (most recent call last):
    ...
    ValueError: b[0]: unknown name 'x' at column 5 (formulas may use n, pi, E, factorial, binomial, sqrt, exp, log, sin, cos, abs)
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(text, str):
        raise ValueError(f"{prefix}expected a formula string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"{prefix}formula is too long ({len(text)} characters, limit {MAX_LENGTH})")
    parser = _Parser(text, where)
    expr = parser.parse()
    _check_result(expr, prefix)
    if divisors is not None:
        divisors.extend(d for d in parser.divisors if d[0].has(n))
    return expr


def canonical(expr: sympy.Expr) -> sympy.Expr:
    """The expression in the form that its own string parses back to (a fixed point of parse(str(.))).

    sympy's printer does not always reproduce an expression's structure (for example a
    number times a sum is distributed when parsed again), so families store this form
    and their JSON round-trips exactly.

    >>> e = parse_formula("(1/2) / binomial(pi, 2)")
    >>> parse_formula(str(e)) == e, canonical(e) == parse_formula(str(canonical(e)))
    (False, True)
    """
    for _ in range(4):
        again = parse_formula(str(expr))
        if again == expr:
            return expr
        expr = again
    raise ValueError(f"formula {expr} has no stable printed form")


def _check_result(expr: sympy.Expr, prefix: str) -> None:
    """Reject results that are undefined, non-real constants, or too big to evaluate later."""
    bad = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
    if any(expr.has(b) for b in bad):
        raise ValueError(f"{prefix}formula is undefined (division by zero or log(0))")
    if expr.has(sympy.I):
        raise ValueError(f"{prefix}formula has a non-real value (square root or log of a negative number)")
    for q in expr.atoms(sympy.Rational):
        if max(int(q.p).bit_length(), int(q.q).bit_length()) > MAX_POWER_BITS:
            raise ValueError(f"{prefix}a number in the formula is too large (limit {MAX_POWER_BITS} bits)")
    allowed = FUNCTION_CLASSES
    for node in sympy.preorder_traversal(expr):
        if node.is_Symbol or node.is_Rational or node in (sympy.pi, sympy.E) or node.is_Add or node.is_Mul:
            continue
        if node.is_Pow or isinstance(node, allowed):
            continue
        name = getattr(node.func, "__name__", type(node).__name__)
        raise ValueError(
            f"{prefix}unsupported function {name!r} in {expr} (sympy rewrote the formula; "
            "e.g. binomial needs integer-valued arguments)"
        )
    for p in expr.atoms(sympy.Pow):
        e = p.exp
        if e.is_Rational and (abs(e.p) > MAX_EXPONENT or e.q > MAX_EXPONENT) and p.base not in (1, -1):
            raise ValueError(f"{prefix}exponent {e} in the formula is too large (limit {MAX_EXPONENT})")
