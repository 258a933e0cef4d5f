"""VNN-LIB properties read exactly: input boxes and an unsafe output condition in DNF.

A VNN-LIB file (version 1.0, as VNN-COMP uses it) declares inputs ``X_i`` and
outputs ``Y_j`` and asserts constraints; the property is *violated* (the
query is "sat") when some input satisfies every assertion.  :func:`read` turns
a file into a :class:`Property`: a list of :class:`Case` objects, each an
input box and a conjunction of linear output constraints ``c . Y <= d``; the
property is violated exactly when, for some case, some ``x`` in its box has
``N(x)`` meeting all of its constraints.  Decimal constants are read exactly
("0.1" is 1/10).  The reader is a small S-expression parser of our own: the
``vnnlib`` package on the index (1.0.2, compiled) parses VNN-LIB 2.0 and rejects
the 1.0 files VNN-COMP ships (ACAS Xu prop_3: "syntax error at line 3").
It never evaluates the text, and every malformed or unsupported construct is
a :class:`VnnlibError` naming file, line and column.

>>> p = parse('''(declare-const X_0 Real)
... (declare-const Y_0 Real)
... (assert (>= X_0 -1)) (assert (<= X_0 0.5))
... (assert (or (>= Y_0 2) (<= (- Y_0 (* 2 X_0)) -3)))''')
Traceback (most recent call last):
...
exactrelu.vnnlib.VnnlibError: <string>:4:24: a constraint mixes inputs and outputs (only boxes on X and linear constraints on Y are supported)
>>> p = parse('''(declare-const X_0 Real)
... (declare-const Y_0 Real)
... (assert (>= X_0 -1)) (assert (<= X_0 0.5))
... (assert (or (>= Y_0 2) (<= Y_0 -0.3)))''')
>>> len(p.cases), p.cases[0].lower, p.cases[0].upper
(2, (Fraction(-1, 1),), (Fraction(1, 2),))
>>> p.cases[0].constraints, p.cases[1].constraints
((((Fraction(-1, 1),), Fraction(-2, 1)),), (((Fraction(1, 1),), Fraction(-3, 10)),))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from pathlib import Path
from typing import Any, Sequence

from .exact.numbers import fraction_str, to_fraction, to_vector

__all__ = ["Case", "Property", "VnnlibError", "read", "parse"]

_MAX_CASES = 100_000  # a DNF expansion beyond this is refused rather than exhausting memory


class VnnlibError(ValueError):
    """A malformed or unsupported VNN-LIB file; the message starts with ``file:line:column:``."""


@dataclass(frozen=True)
class Case:
    """One disjunct of the unsafe set: ``x`` in the box ``[lower, upper]`` and ``C N(x) <= d``.

    ``constraints`` is a tuple of ``(coefficients over the outputs, rhs)`` pairs.
    """

    lower: tuple
    upper: tuple
    constraints: tuple


@dataclass(frozen=True)
class Property:
    """An unsafe set as a union of :class:`Case` objects over a network with ``inputs`` inputs
    and ``outputs`` outputs.  "unsat" (the property holds) means no case has a point.

    >>> p = Property.box([0, 0], [1, "1/2"], [[([1, -1], 0)]])  # unsafe: Y_0 <= Y_1
    >>> p.inputs, p.outputs, p.cases[0].upper
    (2, 2, (Fraction(1, 1), Fraction(1, 2)))
    """

    inputs: int
    outputs: int
    cases: tuple

    def to_json(self) -> dict:
        """The property as JSON with exact strings (the form the proof checker reads).

        >>> Property.box([0], ["1/3"], [[([2], "-1/2")]]).to_json()["cases"]
        [{'lower': ['0'], 'upper': ['1/3'], 'constraints': [[['2'], '-1/2']]}]
        """
        s = fraction_str
        return {"inputs": self.inputs, "outputs": self.outputs, "cases": [
            {"lower": [s(v) for v in c.lower], "upper": [s(v) for v in c.upper],
             "constraints": [[[s(v) for v in a], s(d)] for a, d in c.constraints]} for c in self.cases]}

    @classmethod
    def box(cls, lower: Any, upper: Any, unsafe: Sequence) -> "Property":
        """One input box; ``unsafe`` is a DNF: a list of conjunctions of ``(coefficients, rhs)`` meaning ``c.Y <= rhs``."""
        lo, hi = to_vector(lower, "lower"), to_vector(upper, "upper")
        if len(lo) != len(hi) or not lo:
            raise ValueError(f"lower and upper must have the same positive length, got {len(lo)} and {len(hi)}")
        bad = [i for i, (a, b) in enumerate(zip(lo, hi)) if a > b]
        if bad:
            raise ValueError(f"empty input box: lower > upper in input {bad[0]}")
        if not unsafe:
            raise ValueError("unsafe must hold at least one conjunction")
        cases, width = [], None
        for k, conj in enumerate(unsafe):
            rows = []
            for r, (coeffs, rhs) in enumerate(conj):
                c = to_vector(coeffs, f"unsafe[{k}][{r}] coefficients")
                if width is not None and len(c) != width:
                    raise ValueError(f"unsafe[{k}][{r}]: {len(c)} coefficients, expected {width}")
                width = len(c)
                rows.append((c, to_fraction(rhs, f"unsafe[{k}][{r}] rhs")))
            cases.append(Case(lo, hi, tuple(rows)))
        if width is None:
            raise ValueError("unsafe has no constraint, so the number of outputs is unknown")
        return cls(len(lo), width, tuple(cases))


# ----------------------------------------------------------------- tokenizer
_TOKEN = re.compile(r"\s+|;[^\n]*|\(|\)|[^\s();]+")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_VAR = re.compile(r"^([XY])_(\d+)$")


class _Node:
    __slots__ = ("items", "text", "line", "col")

    def __init__(self, line: int, col: int, text: str | None = None):
        self.items: list = []
        self.text, self.line, self.col = text, line, col


def _tokens(text: str, where: str):
    line, start = 1, 0
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if not tok.isspace() and not tok.startswith(";"):
            yield tok, line, m.start() - start + 1
        nl = tok.count("\n")
        if nl:
            line += nl
            start = m.start() + tok.rindex("\n") + 1


def _sexprs(text: str, where: str) -> list:
    """The top-level S-expressions, each a _Node with its position (no recursion: deep files are fine)."""
    stack = [_Node(0, 0)]
    for tok, line, col in _tokens(text, where):
        if tok == "(":
            node = _Node(line, col)
            stack[-1].items.append(node)
            stack.append(node)
        elif tok == ")":
            if len(stack) == 1:
                raise VnnlibError(f"{where}:{line}:{col}: unbalanced ')'")
            stack.pop()
        else:
            stack[-1].items.append(_Node(line, col, tok))
    if len(stack) > 1:
        n = stack[-1]
        raise VnnlibError(f"{where}:{n.line}:{n.col}: '(' is never closed")
    return stack[0].items


# ----------------------------------------------------------------- semantics
class _Reader:
    def __init__(self, where: str):
        self.where = where
        self.declared: dict = {}

    def fail(self, node: _Node, msg: str) -> VnnlibError:
        return VnnlibError(f"{self.where}:{node.line}:{node.col}: {msg}")

    def head(self, node: _Node) -> str:
        if node.text is not None or not node.items or node.items[0].text is None:
            raise self.fail(node, "expected a (command ...) or (operator ...) form")
        return node.items[0].text

    def declare(self, node: _Node) -> None:
        args = node.items[1:]
        if len(args) != 2 or args[0].text is None or args[1].text != "Real":
            raise self.fail(node, "expected (declare-const NAME Real)")
        name = args[0].text
        if not _VAR.match(name):
            raise self.fail(args[0], f"unsupported variable name {name!r} (expected X_i or Y_j)")
        if name in self.declared:
            raise self.fail(args[0], f"{name} is declared twice")
        self.declared[name] = node

    def term(self, node: _Node) -> tuple[dict, Fraction]:
        """A linear term as ({variable: coefficient}, constant)."""
        if node.text is not None:
            if _NUMBER.match(node.text):
                return {}, Fraction(node.text)
            if node.text not in self.declared:
                raise self.fail(node, f"{node.text!r} is not a declared variable or a number")
            return {node.text: Fraction(1)}, Fraction(0)
        op, args = self.head(node), [self.term(a) for a in node.items[1:]]
        if op == "+" and args:
            return _sum(args, [1] * len(args))
        if op == "-" and args:
            return _sum(args, [-1] if len(args) == 1 else [1] + [-1] * (len(args) - 1))
        if op == "*" and len(args) == 2:
            consts = [k for k, (v, _) in enumerate(args) if not v]
            if not consts:
                raise self.fail(node, "a product of two variables is not linear")
            (v, c), s = args[1 - consts[0]], args[consts[0]][1]
            return {k: s * x for k, x in v.items()}, s * c
        raise self.fail(node, f"unsupported term operator {op!r} with {len(args)} arguments (supported: +, -, * by a constant)")

    def formula(self, node: _Node) -> list:
        """The formula in DNF: a list of conjunctions, each a list of (node, {var: coeff}, rhs) meaning sum <= rhs."""
        op = self.head(node)
        args = node.items[1:]
        if op in ("and", "or"):
            if not args:
                raise self.fail(node, f"({op}) needs at least one argument")
            parts = [self.formula(a) for a in args]
            if op == "or":
                return [c for p in parts for c in p]
            total = 1
            for p in parts:
                total *= len(p)
            if total > _MAX_CASES:
                raise self.fail(node, f"the disjunctive normal form has {total} cases, more than {_MAX_CASES}")
            return [[a for c in combo for a in c] for combo in product(*parts)]
        if op in ("<=", ">=") and len(args) == 2:
            (lv, lc), (rv, rc) = self.term(args[0]), self.term(args[1])
            v = {k: lv.get(k, 0) - rv.get(k, 0) for k in set(lv) | set(rv)}
            v, rhs = {k: c for k, c in v.items() if c}, rc - lc  # lhs - rhs <= 0
            if op == ">=":
                v, rhs = {k: -c for k, c in v.items()}, -rhs
            return [[(node, v, rhs)]]
        raise self.fail(node, f"unsupported operator {op!r} with {len(args)} arguments (supported: and, or, <=, >=)")


def _sum(args: list, signs: list) -> tuple[dict, Fraction]:
    out: dict = {}
    const = Fraction(0)
    for (v, c), s in zip(args, signs):
        const += s * c
        for k, x in v.items():
            out[k] = out.get(k, 0) + s * x
    return out, const


def _names(declared: dict, letter: str, r: _Reader) -> int:
    idx = sorted(int(n[2:]) for n in declared if n[0] == letter)
    if idx != list(range(len(idx))):
        raise VnnlibError(f"{r.where}: the {letter}_i declared are not numbered 0..n-1: {idx}")
    return len(idx)


def _case(conj: list, n_in: int, n_out: int, r: _Reader, first: _Node) -> Case | None:
    lo: list = [None] * n_in
    hi: list = [None] * n_in
    rows = []
    for node, v, rhs in conj:
        kinds = {k[0] for k in v}
        if kinds == {"X", "Y"}:
            raise r.fail(node, "a constraint mixes inputs and outputs (only boxes on X and linear constraints on Y are supported)")
        if not v:  # a constant comparison: true is dropped, false empties the case
            if Fraction(0) <= rhs:
                continue
            return None
        if kinds == {"Y"}:
            c = [Fraction(0)] * n_out
            for k, x in v.items():
                c[int(k[2:])] = x
            rows.append((tuple(c), rhs))
            continue
        if len(v) != 1:
            raise r.fail(node, "a linear constraint over several inputs is not supported (only bounds on single X_i)")
        (k, a), = v.items()
        i, bound = int(k[2:]), rhs / a
        if a > 0:
            hi[i] = bound if hi[i] is None else min(hi[i], bound)
        else:
            lo[i] = bound if lo[i] is None else max(lo[i], bound)
    for i in range(n_in):
        if lo[i] is None or hi[i] is None:
            raise r.fail(first, f"input X_{i} has no {'lower' if lo[i] is None else 'upper'} bound: the input region is unbounded")
    if any(a > b for a, b in zip(lo, hi)):
        return None
    return Case(tuple(lo), tuple(hi), tuple(rows))


def parse(text: str, where: str = "<string>") -> Property:
    """A :class:`Property` from VNN-LIB text; ``where`` names the source in errors."""
    r = _Reader(where)
    conjuncts: list = [[]]
    asserts = []
    for node in _sexprs(text, where):
        cmd = r.head(node)
        if cmd == "declare-const":
            r.declare(node)
        elif cmd == "assert":
            if len(node.items) != 2:
                raise r.fail(node, "expected (assert FORMULA)")
            asserts.append(node)
        else:
            raise r.fail(node, f"unsupported command {cmd!r} (supported: declare-const, assert)")
    for node in asserts:
        dnf = r.formula(node.items[1])
        if len(conjuncts) * len(dnf) > _MAX_CASES:
            raise r.fail(node, f"the disjunctive normal form has more than {_MAX_CASES} cases")
        conjuncts = [a + b for a in conjuncts for b in dnf]
    n_in, n_out = _names(r.declared, "X", r), _names(r.declared, "Y", r)
    if not n_in or not n_out:
        raise VnnlibError(f"{where}: the file declares no {'X_i inputs' if not n_in else 'Y_j outputs'}")
    first = asserts[0] if asserts else _Node(1, 1)
    cases = [c for c in (_case(conj, n_in, n_out, r, first) for conj in conjuncts) if c is not None]
    if not cases:
        raise VnnlibError(f"{where}: the input region is empty (every box has a lower bound above its upper bound)")
    return Property(n_in, n_out, tuple(cases))


def read(path: str | Path) -> Property:
    """Read a VNN-LIB file exactly (see :func:`parse`); errors name the file, line and column."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VnnlibError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise VnnlibError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise VnnlibError(f"{path}: cannot read ({exc.strerror})") from None
    return parse(text, str(path))
