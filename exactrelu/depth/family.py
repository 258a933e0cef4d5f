"""Infinite-depth families: a ReLU network whose layer n is given by formulas in n.

A :class:`Family` holds an m x m weight formula W(n) and a bias formula b(n)
(sympy expressions in the positive integer symbol :data:`n`), valid for
n >= ``start``, optionally preceded by fixed ``prefix`` layers and followed by
an affine ``output`` layer.  ``truncate(depth)`` is the exact network N_depth
(THEORY.md), and N_inf(x) = lim truncate(depth)(x).

Formula strings are parsed by :mod:`exactrelu.depth.formula` (never ``eval``).
Problems that do not prevent construction (poles at or after ``start``,
non-real values, functions the certifier cannot reason about, irrational
values) are listed by :meth:`Family.issues`; evaluating a layer at a pole or
to an irrational value raises a ValueError naming the entry.

>>> fam = Family([["1 + 1/n^2", "0"], ["1/n^3", "1"]], ["2^-n", "0"])
>>> fam.layer(2)
(((Fraction(5, 4), Fraction(0, 1)), (Fraction(1, 8), Fraction(1, 1))), (Fraction(1, 4), Fraction(0, 1)))
>>> net = fam.truncate(3)
>>> net.depth, net([1, 1])
(3, (Fraction(31, 8), Fraction(39, 16)))
>>> Family.from_json(fam.to_json()) == fam
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import flint
import sympy

from ..exact.jsonio import envelope, read_envelope, short_repr, write_json
from .formula import FORMULA_FUNCTIONS, FUNCTION_CLASSES, _check_result, canonical, n, parse_formula
from ..exact.numbers import to_fraction
from ..nets.network import convert_layer, layer_json, layers_from_json, output_from_json

__all__ = ["n", "Family", "Issue"]

FORMAT = "exactrelu.family"
VERSION = 1
MAX_ANALYSIS_DEGREE = 400  # degree above which exact root analysis is refused

_UNREASONED = (sympy.sin, sympy.cos)  # allowed, but the certifier cannot bound them symbolically


@dataclass(frozen=True)
class Issue:
    """One problem found in a family: ``kind`` is one of "pole", "non-real", "undecided",
    "unsupported" (a function the certifier cannot reason about) or "irrational"."""

    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# ------------------------------------------------------------------ entries
def _sanitize(value: Any, where: str, divisors: list) -> sympy.Expr:
    """One user entry (string, number or sympy expression) as a checked sympy expression in n.

    For a string, its written divisors are appended to ``divisors`` (sympy may
    cancel them, but the formula is undefined where one vanishes).
    """
    if isinstance(value, str):
        expr = parse_formula(value, where, divisors)
    elif isinstance(value, sympy.Basic):
        expr = _from_sympy(value, where)
        _check_result(expr, f"{where}: ")
    else:
        q = to_fraction(value, where)
        expr = sympy.Rational(q.numerator, q.denominator)
    try:
        return canonical(expr)  # the form whose JSON string parses back to it
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _from_sympy(value: sympy.Basic, where: str) -> sympy.Expr:
    if not isinstance(value, sympy.Expr):
        raise ValueError(f"{where}: expected an expression in n, got {type(value).__name__}")
    others = sorted(str(s) for s in value.free_symbols if str(s) != "n")
    if others:
        raise ValueError(f"{where}: formula may only use the symbol n, found {', '.join(others)}")
    expr = value.xreplace({s: n for s in value.free_symbols})  # any symbol called n becomes ours
    floats = {f: sympy.Rational(f) for f in expr.atoms(sympy.Float)}  # exact binary value
    if floats:
        expr = expr.xreplace(floats)
    for node in sympy.preorder_traversal(expr):
        _check_node(node, where)
    return expr


def _check_node(node: sympy.Basic, where: str) -> None:
    if node.is_Symbol or node.is_Rational or node in (sympy.pi, sympy.E):
        return
    if node.is_Add or node.is_Mul or node.is_Pow:
        return
    if isinstance(node, FUNCTION_CLASSES):
        return
    if node is sympy.I or node.has(sympy.I):
        raise ValueError(f"{where}: formula has a non-real value ({node})")
    name = getattr(node.func, "__name__", type(node).__name__)
    raise ValueError(
        f"{where}: unsupported function or object {name!r} "
        f"(supported: + - * / ^, {', '.join(FORMULA_FUNCTIONS)}, pi, E)"
    )


def _qq_poly(expr: sympy.Expr) -> flint.fmpq_poly | None:
    """expr as a flint polynomial in n with rational coefficients, or None."""
    if not expr.is_polynomial(n):
        return None
    try:
        p = sympy.Poly(expr, n, domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed, sympy.GeneratorsNeeded):
        return None
    if p.degree() > MAX_ANALYSIS_DEGREE:
        raise ValueError(f"polynomial of degree {p.degree()} is too large to analyze (limit {MAX_ANALYSIS_DEGREE})")
    coeffs = [flint.fmpq(int(c.p), int(c.q)) for c in reversed(p.all_coeffs())]
    return flint.fmpq_poly(coeffs)


def _qq_ratfun(expr: sympy.Expr) -> tuple | None:
    """(numerator, denominator) fmpq_polys of a rational function with rational coefficients."""
    if not expr.is_rational_function(n):
        return None
    num, den = sympy.together(expr).as_numer_denom()
    p, q = _qq_poly(num), _qq_poly(den)
    if p is None or q is None or q.is_zero():
        return None
    return p, q


def _integer_roots_from(p: flint.fmpq_poly, start: int) -> list:
    """The integer roots k >= start of a nonzero polynomial, exactly (flint factorization)."""
    if p.is_zero():
        raise ValueError("zero polynomial")
    zp = flint.fmpz_poly([int(c) for c in (p * p.denom()).coeffs()]) if p.degree() > 0 else None
    if zp is None:
        return []
    return sorted(int(r) for r, _ in zp.roots() if int(r) >= start)


def _first_bad_integer(p: flint.fmpq_poly, start: int, strict: bool) -> int | None:
    """Smallest integer k >= start with p(k) < 0 (p(k) <= 0 when ``strict``), or None. Exact.

    Real roots are isolated exactly (sympy, rational intervals of width < 1/4):
    between isolating intervals p has constant sign, so one integer per gap plus
    the integers inside the intervals decide every integer >= start.
    """
    def bad(k: int) -> bool:
        v = p(k)
        return v <= 0 if strict else v < 0

    if p.degree() <= 0:
        return start if bad(start) else None
    x = sympy.Symbol("x")
    sp = sympy.Poly([sympy.Rational(int(c.p), int(c.q)) for c in reversed(p.coeffs())], x)
    ivals = [(Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q))) for (a, b), _ in sp.intervals(eps=sympy.Rational(1, 4))]
    candidates = set()
    lo = None  # right end of the previous interval
    for a, b in ivals + [(None, None)]:
        first = start if lo is None else max(start, _floor(lo) + 1)
        if a is None or first < a:
            candidates.add(first)
        if a is not None:
            candidates.update(range(max(start, -_floor(-a)), _floor(b) + 1))
            lo = b
    for k in sorted(candidates):
        if bad(k):
            return k
    return None


def _floor(q: Fraction) -> int:
    return q.numerator // q.denominator


@dataclass(frozen=True)
class _Entry:
    """One analysed formula entry."""

    expr: sympy.Expr
    where: str
    ratfun: tuple | None  # (num, den) fmpq_poly for the fast exact path
    poles: tuple  # integers k >= start where the entry (as written) is undefined
    rational_valued: bool = False  # values computed by _fraction_value (hypergeometric-like terms)


class _Analysis:
    """Exact analysis of one entry: poles, non-real values, issues."""

    def __init__(self, expr: sympy.Expr, where: str, start: int, divisors: Sequence = ()):
        self.expr, self.where, self.start, self.divisors = expr, where, start, divisors
        self.poles: set = set()
        self.issues: list = []

    def run(self) -> "_Analysis":
        for base, exponent in self.divisors:  # written divisors that sympy may have cancelled
            self._nonzero(base, exponent)
        for node in sympy.preorder_traversal(self.expr):
            if node.is_Pow:
                self._power(node)
            elif isinstance(node, sympy.log):
                self._positive(node.args[0], f"log({node.args[0]})", pole_at_zero=True)
            elif isinstance(node, sympy.factorial):
                self._factorial(node.args[0])
            elif isinstance(node, _UNREASONED):
                self._issue("unsupported", f"{node.func.__name__} appears: the certifier cannot bound it symbolically")
        if self.poles:
            ks = sorted(self.poles)
            shown = ", ".join(map(str, ks[:5])) + (", ..." if len(ks) > 5 else "")
            self._issue("pole", f"undefined (division by zero) at n = {shown}")
        if not _rational_valued(self.expr):
            self._issue("irrational", "values may be irrational; exact truncation needs rational values")
        return self

    def _issue(self, kind: str, message: str) -> None:
        issue = Issue(kind, self.where, message)
        if issue not in self.issues:  # a written divisor is often also a power in the expression
            self.issues.append(issue)

    def _power(self, node: sympy.Pow) -> None:
        base, e = node.args
        if e.is_negative or (e.is_Rational and e < 0):
            self._nonzero(base)
        elif not e.is_nonnegative:
            self._nonzero(base, exponent=e)  # sign of the exponent unknown: check it at the zeros
        if not _integer_valued(e):
            self._positive(base, f"{node}", pole_at_zero=False)

    def _nonzero(self, base: sympy.Expr, exponent: sympy.Expr | None = None) -> None:
        """base^exponent needs base != 0 where the exponent is negative (always, when exponent is None)."""
        rf = _qq_ratfun(base)
        if rf is not None:
            if rf[0].is_zero():
                self.poles.add(self.start)
                return
            for k in _integer_roots_from(rf[0], self.start):
                v = None if exponent is None else exponent.xreplace({n: sympy.Integer(k)})
                if v is None or (v.is_Rational and v < 0):
                    self.poles.add(k)
                elif not v.is_Rational:
                    self._issue("undecided", f"could not decide whether ({base})^({exponent}) is defined at n = {k}")
        elif not (base.is_positive or base.is_negative):
            self._issue("undecided", f"could not rule out division by zero in 1/({base}) for n >= {self.start}")

    def _positive(self, arg: sympy.Expr, what: str, pole_at_zero: bool) -> None:
        """arg must be > 0 (log) or >= 0 (fractional power) at every integer n >= start."""
        rf = _qq_ratfun(arg)
        if rf is None:
            ok = arg.is_positive if pole_at_zero else arg.is_nonnegative
            if not ok:
                self._issue("undecided", f"could not prove that {what} is real for n >= {self.start}")
            return
        num, den = rf
        k = _first_bad_integer(num * den, self.start, strict=False)
        if k is not None and k not in _integer_roots_from(den, self.start):
            self._issue("non-real", f"{what} is not real at n = {k}")
        if pole_at_zero and not num.is_zero():
            self.poles.update(_integer_roots_from(num, self.start))
        elif pole_at_zero:
            self.poles.add(self.start)

    def _factorial(self, arg: sympy.Expr) -> None:
        if arg.is_integer and arg.is_nonnegative:
            return
        p = _qq_poly(arg)
        if p is not None and all(c.q == 1 for c in p.coeffs()):
            k = _first_bad_integer(p, self.start, strict=False)
            if k is None:
                return
            self._issue("pole", f"factorial({arg}) is undefined at n = {k} (negative argument)")
            return
        self._issue("undecided", f"could not prove that factorial({arg}) has a nonnegative integer argument")


def _fraction_value(e: sympy.Expr, k: int) -> Fraction:
    """The exact value at n = k of an expression for which :func:`_rational_valued` holds.

    Much faster than sympy substitution; raises ZeroDivisionError where undefined
    and ValueError where a factorial or power is not defined over the rationals.
    """
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    if e.is_Symbol:
        return Fraction(k)
    if e.is_Add:
        return sum((_fraction_value(a, k) for a in e.args), Fraction(0))
    if e.is_Mul:
        out = Fraction(1)
        for a in e.args:
            out *= _fraction_value(a, k)
        return out
    if e.is_Pow:
        base, ex = _fraction_value(e.base, k), _fraction_value(e.exp, k)
        if ex.denominator != 1:
            raise ValueError(f"non-integer exponent {ex}")
        if abs(ex.numerator) > 10**6 and abs(base) not in (0, 1):
            raise OverflowError(f"the power {e} at n = {k} is too large to evaluate exactly")
        return base ** ex.numerator  # Fraction: 0 ** negative raises ZeroDivisionError
    if isinstance(e, sympy.Abs):
        return abs(_fraction_value(e.args[0], k))
    if isinstance(e, (sympy.factorial, sympy.binomial)):
        args = [_fraction_value(a, k) for a in e.args]
        v = e.func(*[sympy.Rational(a.numerator, a.denominator) for a in args])  # sympy's own semantics
        if not v.is_Rational:
            raise ValueError(f"{v} is not rational")
        return Fraction(int(v.p), int(v.q))
    raise ValueError(f"cannot evaluate {e.func.__name__} exactly")


def _integer_valued(e: sympy.Expr) -> bool:
    """True when e(n) is an integer at every integer n (sympy's assumptions, or exactly for polynomials).

    A rational polynomial p of degree d is integer-valued on the integers iff
    p(0), ..., p(d) are integers (its coefficients in the binomial basis
    C(n, i) are the forward differences at 0), so n (n + 1) / 2 qualifies.

    >>> _integer_valued(n * (n + 1) / 2), _integer_valued(n / 2), _integer_valued(n**3)
    (True, False, True)
    """
    if e.is_integer:
        return True
    p = _qq_poly(e)
    return p is not None and all(p(k).q == 1 for k in range(p.degree() + 1))


def _rational_valued(e: sympy.Expr) -> bool:
    """True when every value at a positive integer n is visibly rational (where defined)."""
    if e.is_Rational or e == n:
        return True
    if e.is_Add or e.is_Mul:
        return all(_rational_valued(a) for a in e.args)
    if e.is_Pow:
        return _rational_valued(e.base) and _integer_valued(e.exp)
    if isinstance(e, (sympy.factorial, sympy.binomial, sympy.Abs)):
        return all(_rational_valued(a) for a in e.args)
    return False


# ------------------------------------------------------------------ Family
def _rows(value: Any, what: str) -> list:
    if isinstance(value, sympy.MatrixBase):
        return value.tolist()
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise ValueError(f"{what} must be a matrix (a list of rows), got {type(value).__name__}")
    rows = []
    for i, row in enumerate(value):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
            raise ValueError(f"{what}: row {i} is not a sequence (got {type(row).__name__})")
        rows.append(list(row))
    return rows


def _vector(value: Any) -> list:
    if isinstance(value, sympy.MatrixBase):
        if 1 not in value.shape:
            raise ValueError(f"b must be a vector, got a matrix of shape {value.shape}")
        return list(value)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise ValueError(f"b must be a vector (a list), got {type(value).__name__}")
    return list(value)


class Family:
    """An infinite-depth ReLU network: layer n has weights W(n) and bias b(n) for n >= start.

    ``W`` is an m x m matrix and ``b`` a length-m vector of formulas in :data:`n`
    (sympy expressions, formula strings parsed safely, or numbers).  ``prefix``
    is a sequence of fixed ``(W, b)`` layers applied first (the last one of width
    m); ``output`` an optional affine layer ``(W_o, b_o)`` applied last.

    >>> Family([["1", "1/n^2"], ["0", "1"]], [0, 0], start=2).layer(2)[0]
    ((Fraction(1, 1), Fraction(1, 4)), (Fraction(0, 1), Fraction(1, 1)))
    >>> Family([["1/(n-3)"]], [0]).issues()[0].message
    'undefined (division by zero) at n = 3'
    """

    def __init__(self, W: Any, b: Any, *, start: int = 1, prefix: Sequence[Any] = (), output: Any = None):
        if isinstance(start, bool) or not isinstance(start, int):
            raise ValueError(f"start must be an integer, got {start!r}")
        if start < 1:
            raise ValueError(f"start must be >= 1 (n is a positive integer), got {start}")
        rows = _rows(W, "W")
        m = len(rows)
        if m == 0:
            raise ValueError("W must have at least one row")
        for i, row in enumerate(rows):
            if len(row) != m:
                raise ValueError(f"W must be square: it has {m} rows but row {i} has {len(row)} entries")
        bvec = _vector(b)
        if len(bvec) != m:
            raise ValueError(f"W is {m} x {m} but b has length {len(bvec)} (expected {m})")
        entries = [(v, f"W[{i}][{j}]") for i, row in enumerate(rows) for j, v in enumerate(row)]
        entries += [(v, f"b[{i}]") for i, v in enumerate(bvec)]
        self._divisors = {where: [] for _, where in entries}  # as written, for the pole analysis
        self._texts = {where: v for v, where in entries if isinstance(v, str)}  # as written, for JSON
        exprs = [_sanitize(v, where, self._divisors[where]) for v, where in entries]
        self._W = sympy.ImmutableMatrix(m, m, exprs[: m * m])
        self._b = sympy.ImmutableMatrix(m, 1, exprs[m * m:])
        self._start = start
        self._prefix = self._check_prefix(prefix, m)
        self._output = None if output is None else convert_layer(output, "output layer")
        if self._output is not None and len(self._output[0][0]) != m:
            raise ValueError(f"output layer: W has {len(self._output[0][0])} columns, the family has width {m}")

    @staticmethod
    def _check_prefix(prefix: Sequence[Any], m: int) -> tuple:
        if isinstance(prefix, (str, bytes, dict)) or not hasattr(prefix, "__len__"):
            raise ValueError("prefix must be a sequence of (W, b) layers")
        layers = tuple(convert_layer(p, f"prefix layer {i}") for i, p in enumerate(prefix))
        for i in range(1, len(layers)):
            if len(layers[i][0][0]) != len(layers[i - 1][0]):
                raise ValueError(
                    f"prefix layer {i}: W has {len(layers[i][0][0])} columns but prefix layer {i - 1} has width {len(layers[i - 1][0])}"
                )
        if layers and len(layers[-1][0]) != m:
            raise ValueError(f"prefix layer {len(layers) - 1} has width {len(layers[-1][0])}, the family has width {m}")
        return layers

    # ---------------------------------------------------------- properties
    @property
    def W(self) -> sympy.ImmutableMatrix:
        """The weight formula W(n), an m x m sympy matrix."""
        return self._W

    @property
    def b(self) -> sympy.ImmutableMatrix:
        """The bias formula b(n), an m x 1 sympy matrix."""
        return self._b

    @property
    def start(self) -> int:
        return self._start

    @property
    def prefix(self) -> tuple:
        """The fixed leading layers ``((W, b), ...)`` with Fraction entries."""
        return self._prefix

    @property
    def output(self) -> tuple | None:
        return self._output

    @property
    def width(self) -> int:
        return self._W.rows

    @property
    def input_dim(self) -> int:
        return len(self._prefix[0][0][0]) if self._prefix else self.width

    # ------------------------------------------------------------ analysis
    @cached_property
    def _entries(self) -> tuple:
        out = []
        names = [f"W[{i}][{j}]" for i in range(self.width) for j in range(self.width)]
        names += [f"b[{i}]" for i in range(self.width)]
        for expr, where in zip(list(self._W) + list(self._b), names):
            a = _Analysis(expr, where, self._start, self._divisors[where]).run()
            rf = _qq_ratfun(expr)
            out.append((_Entry(expr, where, rf, tuple(sorted(a.poles)), _rational_valued(expr)), tuple(a.issues)))
        return tuple(out)

    def issues(self) -> list:
        """Problems found by exact analysis: poles at or after start, non-real values, etc.

        Each is an :class:`Issue` (``kind``, ``where``, ``message``); an empty list
        means every entry is defined, real and rational at every n >= start
        (except where an issue of kind "undecided" says the analysis could not tell).

        >>> [str(i) for i in Family([["sqrt(n - 3)"]], [0]).issues()]
        ['W[0][0]: sqrt(n - 3) is not real at n = 1', 'W[0][0]: values may be irrational; exact truncation needs rational values']
        """
        return [i for _, issues in self._entries for i in issues]

    def poles(self) -> dict:
        """``{entry name: (k, ...)}``: the integers k >= start where an entry is undefined."""
        return {e.where: e.poles for e, _ in self._entries if e.poles}

    # ---------------------------------------------------------- evaluation
    def layer(self, k: int) -> tuple:
        """The exact layer (W_k, b_k) as tuples of Fractions, for an integer k >= start.

        >>> Family([["(-1)^n/n"]], ["1/n!"]).layer(3)
        (((Fraction(-1, 3),),), (Fraction(1, 6),))
        """
        if isinstance(k, bool) or not isinstance(k, int):
            raise ValueError(f"layer index must be an integer, got {k!r}")
        if k < self._start:
            raise ValueError(f"layer {k} is before the family's start {self._start}")
        vals = [self._value(e, k) for e, _ in self._entries]
        m = self.width
        W = tuple(tuple(vals[i * m : (i + 1) * m]) for i in range(m))
        return W, tuple(vals[m * m :])

    def _value(self, e: _Entry, k: int) -> Fraction:
        if k in e.poles:
            raise ValueError(f"{e.where} = {e.expr} is undefined at n = {k} (division by zero)")
        if e.ratfun is not None:
            d = e.ratfun[1](k)
            if d == 0:  # cannot happen when the pole set is complete; never divide by zero silently
                raise ValueError(f"{e.where} = {e.expr} is undefined at n = {k} (division by zero)")
            v = e.ratfun[0](k) / d
            return Fraction(int(v.p), int(v.q))
        if e.rational_valued:
            try:
                return _fraction_value(e.expr, k)
            except ZeroDivisionError:
                raise ValueError(f"{e.where} = {e.expr} is undefined at n = {k}") from None
            except OverflowError as exc:  # refuse rather than hang in sympy
                raise ValueError(f"{e.where}: {exc}") from None
            except ValueError:
                pass  # fall back to sympy, which gives the precise error or value
        v = e.expr.xreplace({n: sympy.Integer(k)})
        if v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise ValueError(f"{e.where} = {e.expr} is undefined at n = {k}")
        if v.is_Rational:
            return Fraction(int(v.p), int(v.q))
        raise ValueError(
            f"{e.where} = {e.expr} has the value {v} at n = {k}, which is not rational "
            "(exact truncation needs rational values)"
        )

    def truncate(self, depth: int):
        """The exact network N_depth: prefix layers, formula layers n = start..start+depth-1, output.

        >>> Family([["1/2"]], ["1"]).truncate(2)([4])
        (Fraction(5, 2),)
        """
        from ..nets.network import Network

        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise ValueError(f"depth must be a nonnegative integer, got {depth!r}")
        if depth == 0 and not self._prefix and self._output is None:
            raise ValueError("truncate(0) of a family without prefix or output layer has no layers")
        layers = list(self._prefix) + [self.layer(k) for k in range(self._start, self._start + depth)]
        return Network(layers, output=self._output)

    # -------------------------------------------------------- comparison
    def _key(self) -> tuple:
        return (self._W, self._b, self._start, self._prefix, self._output)

    def __eq__(self, other: object) -> bool:
        """Structural equality of the formulas (sympy's canonical form), start, prefix and output.

        Deliberately conservative: ``(1/2)^n`` and ``2^-n`` are different formulas.
        """
        return isinstance(other, Family) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        W = [[str(v) for v in self._W.row(i)] for i in range(self.width)]
        b = [str(v) for v in self._b]
        extra = f", prefix of {len(self._prefix)}" if self._prefix else ""
        extra += ", output layer" if self._output else ""
        return f"<Family width {self.width}, start {self._start}{extra}: W(n) = {W}, b(n) = {b}>"

    # ---------------------------------------------------------------- JSON
    def to_json(self, path: str | Path | None = None) -> dict:
        """The family as a JSON-ready dict (format "exactrelu.family", version 1); written to ``path`` if given."""
        data = envelope(
            FORMAT, VERSION,
            W=[[self._text(f"W[{i}][{j}]", v) for j, v in enumerate(self._W.row(i))] for i in range(self.width)],
            b=[self._text(f"b[{i}]", v) for i, v in enumerate(self._b)],
            start=self._start,
            prefix=[layer_json(W, b) for W, b in self._prefix],
            output=layer_json(*self._output) if self._output else None,
        )
        if path is not None:
            write_json(data, path)  # temp file then rename: never half-written
        return data

    def _text(self, where: str, expr: sympy.Expr) -> str:
        """An entry as a formula string: as the user wrote it (holes and all), else sympy's exact form."""
        return self._texts.get(where) or _formula_str(expr)

    @classmethod
    def from_json(cls, source: Any) -> "Family":
        """Load a family from a path, a JSON string or a dict (formula strings parsed safely).

        Unknown keys are refused (a typo such as "ouput" would otherwise drop
        the output layer silently); "version" and "start" must be JSON integers.

        >>> Family.from_json('{"format": "exactrelu.family", "version": 1, "W": [["1/n"]], "b": [0], "ouput": null}')
        Traceback (most recent call last):
        ...
        ValueError: family JSON: unknown key 'ouput' (expected W, b, format, output, prefix, start, version)
        """
        data = read_envelope(source, "family", FORMAT, VERSION, _KEYS, ("W", "b"))
        start = data.get("start", 1)
        if type(start) is not int:  # not true, not 1.0, not "1"
            raise ValueError(f"family JSON: key 'start' must be an integer, got {short_repr(start)}")
        prefix = layers_from_json([] if data.get("prefix") is None else data["prefix"], "family JSON", "prefix")
        output = output_from_json(data.get("output"), "family JSON")
        return cls(data["W"], data["b"], start=start, prefix=prefix, output=output)


_KEYS = {"W", "b", "start", "prefix", "output"}




def _formula_str(e: sympy.Expr) -> str:
    """sympy's string of an entry, checked to parse back to the same expression."""
    s = str(e)
    if parse_formula(s) != e:  # pragma: no cover - a printer/parser mismatch is a bug
        raise ValueError(f"cannot write {e} as a formula string that parses back exactly")
    return s
