"""What the rule modules share: the Rule record, exact layer arithmetic, and checks several theorems reuse."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from .. import series as ser
from ..decode import Cert, CertificateError, Subject, need
from ..terms import TermError, add, mul, neg, nonneg_from, q, same

MAX_DEPTH = 10_000  # the most layers the checker replays, counted from the family's start (issue 14.1)

@dataclass(frozen=True)
class Rule:
    """One theorem rule: its verdict, proof, statement, witnesses {name: kind} and kernel check (proofs/README.md)."""

    name: str
    verdict: str
    proof: str
    statement: str
    witnesses: dict
    check: Callable[[Cert, Subject, dict], None]
    optional: frozenset = frozenset()
    scope: str | None = None
    gives_limit: bool = False
    product: bool = False  # a rule of product certificates (T2, T3), not of families

def matvec(W: tuple, y: tuple) -> tuple:
    return tuple(sum((a * b for a, b in zip(row, y)), Fraction(0)) for row in W)

def relu_layer(W: tuple, b: tuple, y: tuple) -> tuple:
    """sigma(W y + b), exactly.

    >>> relu_layer(((Fraction(1), Fraction(-1)),), (Fraction(0),), (Fraction(1), Fraction(3)))
    (Fraction(0, 1),)
    """
    return tuple(max(z + c, Fraction(0)) for z, c in zip(matvec(W, y), b))

def apply_output(fam: Subject, y: tuple) -> tuple:
    if fam.output is None:
        return tuple(y)
    return tuple(a + c for a, c in zip(matvec(fam.output[0], y), fam.output[1]))

def replay(fam: Subject, x: tuple, k: int) -> tuple:
    """The exact state after the prefix and k formula layers."""
    need(len(x) == fam.input_dim, f"x has dimension {len(x)}, the family expects {fam.input_dim}")
    need(0 <= k <= MAX_DEPTH, f"depth k = {k} must be in [0, {MAX_DEPTH}]")
    y = tuple(x)
    for W, b in fam.prefix:
        y = relu_layer(W, b, y)
    for n in range(fam.start, fam.start + k):
        y = relu_layer(*fam.layer(n), y)
    return y

def stationary(fam: Subject, rule: str) -> tuple:
    """The constant (W, b) of a stationary family; raises unless every formula is constant."""
    need(fam.constant(), f"{rule}: W_n and b_n are not constant in n")
    return fam.layer(fam.start)

def set_condition(u: tuple, K: int, name: str = "u") -> str:
    """The canonical text of the set {x : u^T y_K(x) > 0} used as a divergence scope.

    >>> set_condition((Fraction(1), Fraction(0)), 1)
    'u^T y_1(x) > 0 with u = (1, 0), where y_1(x) is the state after the prefix and 1 formula layer(s)'
    """
    vec = ", ".join(str(t.numerator) if t.denominator == 1 else f"{t.numerator}/{t.denominator}" for t in u)
    return (f"{name}^T y_{K}(x) > 0 with {name} = ({vec}), where y_{K}(x) is the state after the prefix "
            f"and {K} formula layer(s)")

def series_ok(s: ser.Series, term: tuple, verdict: str, where: str, fam_start: int) -> None:
    """The series certificate proves ``verdict`` about exactly ``term`` (same canonical form)."""
    need(s.verdict == verdict, f"{where}: series verdict is {s.verdict!r}, needed {verdict!r}")
    if verdict == "summable":  # its tail bounds must cover every layer of the family
        need(s.start <= fam_start, f"{where}: the series starts at {s.start}, after the family's first layer")
    try:
        need(same(s.term, term), f"{where}: the series term is not the formula (their canonical forms differ)")
        ser.check(s)
    except TermError as exc:
        raise CertificateError(f"{where}: series certificate does not verify: {exc}") from None

def entry_series(items: tuple, entries: dict, start: int, where: str) -> None:
    """Every nonzero entry term has exactly one summable series certificate."""
    seen = set()
    for e in items:
        key = (e["row"], e["col"])
        need(key in entries and key not in seen, f"{where}: unexpected or repeated entry {key}")
        seen.add(key)
        series_ok(e["series"], entries[key], "summable", f"{where} entry {key}", start)
    missing = [k for k, t in entries.items() if k not in seen and not same(t, q(0))]
    need(not missing, f"{where}: no summability certificate for entries {missing}")

def minus_identity(fam: Subject) -> dict:
    """{(i, j): the term of (W_n - I)[i][j]}."""
    m = fam.width
    return {(i, j): add(fam.W[i][j], neg(q(1))) if i == j else fam.W[i][j] for i in range(m) for j in range(m)}

def lincomb(coeffs: tuple, terms: list) -> tuple:
    """sum_i coeffs[i] * terms[i] as a term."""
    return add(q(0), *(mul(q(c), t) for c, t in zip(coeffs, terms) if c))

def nonneg(t: tuple, N: int, msg: str) -> None:
    try:
        ok = nonneg_from(t, N)
    except TermError as exc:
        raise CertificateError(f"{msg} ({exc})") from None
    need(ok, msg)

def linear_tail(fam: Subject, w: dict, rule: str) -> None:
    """start <= n0 <= start + MAX_DEPTH, K = max(1, n0 - start), W_n, b_n >= 0 for n >= n0, and u >= 0, u != 0."""
    n0 = w["n0"]
    need(fam.start <= n0 <= fam.start + MAX_DEPTH and w["K"] == max(1, n0 - fam.start),
         f"{rule}: need start <= n0 <= start + {MAX_DEPTH} and K = max(1, n0 - start)")
    for name, t in fam.entries():
        nonneg(t, n0, f"{rule}: {name} >= 0 for n >= {n0} is not proven")
    positive_vec(w["u"], fam.width, f"{rule}: u")

def column_at_least(fam: Subject, vec: tuple, j: int, rhs: tuple, n0: int, msg: str) -> None:
    """(vec^T W_n)_j >= rhs(n) for every n >= n0."""
    nonneg(add(lincomb(vec, [fam.W[i][j] for i in range(fam.width)]), neg(rhs)), n0, msg)

def divergent_weights(w: dict, fam: Subject, n0: int, rule: str) -> tuple:
    """The term a_n of the a_series witness, after checking sum a_n = inf and a_n >= 0 for n >= n0."""
    a = w["a_series"].term
    series_ok(w["a_series"], a, "not summable", f"{rule}: a_n", fam.start)
    nonneg(a, n0, f"{rule}: a_n >= 0 for n >= {n0} is not proven")
    return a

def growth_scope(cert: Cert, fam: Subject, w: dict, K: int, key: str = "u") -> None:
    """u^T y_K(x) > 0 at the point of the scope, or the set condition with a point in it."""
    u, kind = w[key], cert.scope.get("kind")
    if kind == "point":
        need("witness_point" not in w, "a point scope takes no separate witness point")
        point = cert.scope["x"]
    else:
        need(kind == "set" and cert.scope.get("condition") == set_condition(u, K, key),
             f"{cert.theorem}: the scope must be the point x or the set {set_condition(u, K, key)!r}")
        need("witness_point" in w, f"{cert.theorem}: a set scope needs a witness point inside the set")
        point = w["witness_point"]
    y = replay(fam, point, K)
    need(sum(a * c for a, c in zip(u, y)) > 0, f"{cert.theorem}: {key}^T y_{K} > 0 fails at the point")

def output_row(fam: Subject, w: dict, u: tuple) -> None:
    """With an output layer, some output row dominates c u^T (c > 0), so that output grows too."""
    if fam.output is None:
        need("output_row" not in w and "c" not in w, "no output layer, so no output_row / c")
        return
    need("output_row" in w and "c" in w, "with an output layer, give output_row r and c > 0 with W_o[r] >= c u^T")
    r, c = w["output_row"], w["c"]
    Wo = fam.output[0]
    need(0 <= r < len(Wo) and c > 0, "output_row out of range or c <= 0")
    need(all(a >= c * t for a, t in zip(Wo[r], u)), "W_o[r] >= c u^T fails")

def positive_vec(vec: tuple, m: int, what: str) -> None:
    need(len(vec) == m and all(t >= 0 for t in vec) and any(vec), f"{what} must be nonnegative and nonzero")

