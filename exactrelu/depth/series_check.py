"""Summability certificates: the sympy-side data model; the check is the kernel's.

A :class:`SeriesCertificate` states a verdict about ``sum_{n >= start} |a(n)|``
(absolute summability, which is what the convergence theorems need) and the
witnesses that prove it.  Its term is a sympy expression (converted once, at this
edge, to the kernel's term language through :func:`term_to_tree`); the check and
the tail bounds are :mod:`exactrelu.kernel.series`, which never sees sympy.
Methods, witnesses and their proofs: :mod:`exactrelu.kernel.series` and
proofs/summability.md.

>>> cert = SeriesCertificate(1 / N_SYM**2, 1, "summable", "comparison",
...                          {"C": Fraction(1), "p": Fraction(2), "N": 1})
>>> check_series_certificate(cert)
True
>>> cert.tail_bound(10)    # sum_{k>10} 1/k^2 <= 1/10
Fraction(1, 10)
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from .formula import FORMULA_FUNCTIONS
from ..exact.jsonio import envelope, read_envelope
from ..kernel import series as _ks
from ..kernel import terms as _kt
from ..kernel.series import _root, conditions, exp_bounds  # noqa: F401  (re-exported for the search and tests)

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
SERIES_FORMAT = "exactrelu.series"
_SERIES_KEYS = {"term", "start", "verdict", "method", "witnesses", "reason", "parts"}


class UnsupportedTerm(ValueError):
    """The term is not of a form the kernel can reason about exactly."""


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


def to_kernel(expr: Any) -> tuple:
    """A sympy term as a kernel term (the one conversion, at the edge).

    >>> to_kernel(1 / N_SYM**2)
    ('^', ('n',), ('q', Fraction(-2, 1)))
    """
    try:
        return _kt.bound(_kt.from_tree(term_to_tree(normalize_term(expr))))
    except _kt.TermError as exc:
        raise UnsupportedTerm(str(exc)) from None


@dataclass(frozen=True)
class Term(_ks.Term):
    """The kernel's product form of a term (:class:`exactrelu.kernel.series.Term`), built from sympy.

    >>> t = Term.from_sympy(sympy.factorial(N_SYM) / N_SYM**N_SYM)
    >>> t.factorials, t.selfpowers
    (((1, 0, 1),), (((0, 1), -1),))
    """

    def abs_power_q(self, k: int) -> Fraction:
        """``|a(k)|^q`` exactly, for terms without ``e^(...)`` factors (used by the search and the tests)."""
        if self.eexp or self.econst:
            raise ValueError("|a(k)|^q is not rational: the term has a factor e^(...)")
        return self._algebraic_power_q(k)

    def abs_lower(self, k: int) -> Fraction:
        """An exact rational lower bound of ``|a(k)|`` (the value itself when rational; the search uses it)."""
        return _root(self.abs_power_q_bounds(k)[0], self.q, up=False)

    @classmethod
    def from_sympy(cls, expr: Any) -> "Term":
        """Parse a sympy expression in n; raise :class:`UnsupportedTerm` if unsupported."""
        return _from_sympy(normalize_term(expr))


@functools.lru_cache(maxsize=2048)
def _from_sympy(expr: sympy.Expr) -> Term:
    try:
        t = _ks.product(to_kernel(expr))
    except ValueError as exc:
        raise UnsupportedTerm(str(exc)) from None
    return Term(*(getattr(t, f.name) for f in dataclasses.fields(t)))


def check_denominators(expr: sympy.Expr, start: int) -> None:
    """Raise ValueError when a denominator of ``expr`` as written vanishes at an integer ``n >= start``.

    >>> check_denominators((N_SYM**2 - 9) / ((N_SYM - 3) * N_SYM), 4)
    """
    _ks.check_denominators(to_kernel(expr), start)


def check_series_certificate(cert: "SeriesCertificate") -> bool:
    """Check a series certificate in the kernel; True, or ValueError naming the failure."""
    return _ks.check(cert.kernel())


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
        """Re-check the witnesses exactly in the kernel; True, or raise ValueError saying what fails."""
        return check_series_certificate(self)

    def kernel(self) -> _ks.Series:
        """This certificate decoded by the kernel (cached while the certificate is unchanged)."""
        if self._checked is None or self._checked[0] != self._key():
            for key, v in self.witnesses.items():  # a float must not reach the kernel as a decimal string
                if type(v) not in (int, Fraction):
                    raise ValueError(f"witness {key} must be an exact rational, got {v!r}")
            self._checked = (self._key(), _ks.decode(self.to_json()))
        return self._checked[1]

    def tail_bound(self, K: int) -> Fraction:
        """Exact upper bound of ``sum_{k > K, k >= start} |a(k)|`` (summable certificates; the kernel's bound,
        which witnesses checked by the kernel must use; :mod:`exactrelu.depth.tails` has sharper ones)."""
        return _ks.tail_bound(self.kernel(), K)

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
        out = envelope(SERIES_FORMAT, 1, term=term_to_tree(self.term), start=self.start, verdict=self.verdict,
                       method=self.method, witnesses={k: str(v) for k, v in self.witnesses.items()},
                       reason=self.reason)
        if self.parts:
            out["parts"] = [p.to_json() for p in self.parts]
        return out

    @classmethod
    def from_json(cls, data: Any, _depth: int = 0) -> "SeriesCertificate":
        """Inverse of :meth:`to_json` (a dict, JSON text or a path; envelope, version and keys checked); never evals.

        >>> SeriesCertificate.from_json({"format": "exactrelu.series", "version": True, "term": "n"})
        Traceback (most recent call last):
        ...
        ValueError: series certificate JSON: unsupported 'version' True (expected 1)
        """
        from ..exact.numbers import to_fraction

        if _depth > 1:
            raise ValueError("series certificates nest at most one level (parts of a sum)")
        data = read_envelope(data, "series certificate", SERIES_FORMAT, 1, _SERIES_KEYS, ("term", "verdict"))
        witnesses = data.get("witnesses", {})
        if not isinstance(witnesses, dict):
            raise ValueError("series certificate JSON: witnesses must be an object")
        wit = {}
        for key, val in witnesses.items():
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


# ------------------------------------------------------ safe term trees

_OPS = {"Add": sympy.Add, "Mul": sympy.Mul, "Pow": sympy.Pow}
# the formula functions (one list, depth.formula.FORMULA_FUNCTIONS), by the names sympy gives them
_FUNCS = {f.__name__: f for _, f in FORMULA_FUNCTIONS.values() if isinstance(f, type)}
_FUNCS["sqrt"] = sympy.sqrt  # sqrt builds a power; trees of older files may still name it
_CONSTS = {"pi": sympy.pi, "E": sympy.E}


def _guard_size(op: str, args: list) -> None:
    # sympy evaluates numeric powers and factorials eagerly: refuse huge ones
    # so that a hostile file cannot make the parser run for ever.
    limit = 10**4
    if op == "Pow" and all(a.is_Number for a in args):
        b = args[0]
        bits = max(int(b.p).bit_length(), int(b.q).bit_length()) if b.is_Rational else 64
        if abs(args[1]) > limit or bits * abs(args[1]) > 10**6:
            raise ValueError("term tree: numeric power too large")
    if op in ("factorial", "binomial") and any(a.is_Number and abs(a) > limit for a in args):
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
