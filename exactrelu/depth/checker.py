"""The independent checker: re-verify a certificate from its subject and witnesses alone.

This is the trusted core.  It does not import the certifier: it takes the
family (the subject) and the witnesses, and re-checks every hypothesis of the
cited theorem in exact rational arithmetic (proofs/ has the theorems):

- T4  sum ||W_n - I|| and sum ||b_n|| finite (series certificates per entry),
      and the constants S, B, P used by the tail bound;
- T6  stationary W, b; v > 0, q < 1 with |W| v <= q v; y* = sigma(W y* + b);
- T6b W_n - W, b_n - b summable; (|W| + tails of W_n - W from n0) v <= q v, v > 0, q < 1;
      y* = sigma(W y* + b) for the limit layer (W, b);
- P1  stationary; the exact state at depth k of the point x is a fixed point;
- T7a stationary; an exact non-constant periodic orbit starting at depth k of x;
- T7b W_n, b_n >= 0 for n >= n0; u >= 0 with u^T W_n >= (1 + a_n) u^T and
      either sum a_n = inf and u^T y_K > 0, or sum u^T b_n = inf;
- T7c stationary W, b >= 0; u >= 0, lambda > 1, u^T W >= lambda u^T; u^T y_K > 0.
- T7d W_n, b_n >= 0 for n >= n0; u, w >= 0 with w^T W_n >= w^T, u^T W_n >= u^T + a_n w^T,
      sum a_n = inf and w^T y_K > 0.

Signs of formulas on [n0, inf) are decided exactly (Sturm root counting of
integer polynomials, positive exponentials and factorials); anything else is
rejected as unproven.

>>> from exactrelu.depth.family import Family
>>> fam = Family([["-1", "0"], ["0", "-1"]], ["1", "1"])
>>> x = (Fraction(0), Fraction(0))
>>> orbit = (x, (Fraction(1), Fraction(1)))  # y_1 = sigma(b) = (1, 1), y_2 = sigma(-1 + 1) = 0 = y_0
>>> cert = Certificate("diverges", "T7a", {"kind": "point", "x": x}, {"x": x, "k": 0, "orbit": orbit}, fam)
>>> check(cert)
True
>>> cert.witnesses["orbit"] = (x, (Fraction(1), Fraction(0)))
>>> check(cert)
Traceback (most recent call last):
...
exactrelu.depth.certificate.CertificateError: T7a: the orbit is not the exact forward pass: sigma(W y_0 + b) != y_1
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from ..exact import exactpoly
from ..exact.numbers import fraction_brief as brief
from .certificate import (
    THEOREMS,
    Certificate,
    CertificateError,
    apply_output,
    exp_bound,
    family_json,
    layer_norms,
    matvec,
    prefix_state,
    relu_layer,
    series_tail,
    set_condition,
    validate_types,
)

__all__ = ["check", "nonneg_from"]

MAX_DEPTH = 10_000  # the largest depth k, n0 or head length N the checker will replay
MAX_J = 64  # the largest exponent j in the exp bound
_WITNESS_KEYS = {
    "T4": ({"N", "S", "B", "P", "j", "W_series", "b_series"}, set()),
    "T6": ({"v", "q", "fixed_point", "pattern"}, set()),
    "T6b": ({"n0", "v", "q", "W_limit", "b_limit", "fixed_point", "W_series", "b_series"}, set()),
    "P1": ({"x", "k", "fixed_point"}, set()),
    "T7a": ({"x", "k", "orbit"}, set()),
    "T7b": ({"n0", "K", "u", "route"}, {"a_series", "ub_series", "witness_point", "output_row", "c"}),
    "T7c": ({"u", "lambda", "K"}, {"witness_point", "output_row", "c"}),
    "T7d": ({"n0", "K", "u", "w", "a_series"}, {"witness_point", "output_row", "c"}),
}


def check(certificate: Any, family: Any = None) -> bool:
    """Re-verify a certificate exactly; True, or CertificateError naming the failed hypothesis.

    ``certificate`` may be a Certificate, its JSON dict, a JSON string or a
    path.  Pass ``family`` to also require that the certificate is about that
    family (a certificate for another family proves nothing about yours).

    >>> check('{"format": "exactrelu.certificate", "version": 1}')
    Traceback (most recent call last):
    ...
    exactrelu.depth.certificate.CertificateError: certificate keys must be exactly [...]
    """
    cert = certificate if isinstance(certificate, Certificate) else Certificate.from_json(certificate)
    try:
        if family is not None and family_json(family) != family_json(cert.subject):
            raise CertificateError("the certificate is about a different family (subject mismatch)")
        _check(cert)
    except CertificateError:
        raise
    except (ArithmeticError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise CertificateError(f"malformed certificate: {type(exc).__name__}: {exc}") from None
    return True


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise CertificateError(msg)


def _check(cert: Certificate) -> None:
    validate_types(cert)
    if cert.verdict == "inconclusive":
        _need(cert.theorem is None and cert.limit is None and not cert.witnesses,
              "an inconclusive certificate carries no theorem, limit or witnesses")
        return
    _need(cert.theorem in THEOREMS, f"unknown theorem {cert.theorem!r}")
    _need(THEOREMS[cert.theorem][0] == cert.verdict,
          f"theorem {cert.theorem} proves '{THEOREMS[cert.theorem][0]}', not '{cert.verdict}'")
    issues = list(cert.subject.issues())
    _need(not issues, f"the subject family has problems: {'; '.join(map(str, issues))}")
    required, optional = _WITNESS_KEYS[cert.theorem]
    keys = set(cert.witnesses)
    _need(required <= keys <= required | optional,
          f"{cert.theorem}: witnesses must be {sorted(required)} (+ optional {sorted(optional)}), got {sorted(keys)}")
    if cert.theorem not in ("T6", "T6b", "P1"):
        _need(cert.limit is None, f"{cert.theorem} does not give the limit, but one is claimed")
    _RULES[cert.theorem](cert, cert.subject, cert.witnesses)


# ------------------------------------------------------------------ formulas
def _formulas(fam: Any) -> tuple:
    """(W, b) of the formula layers as lists of sympy expressions."""
    W = sympy.Matrix(fam.W)
    b = list(sympy.Matrix(fam.b))
    return [list(W.row(i)) for i in range(W.rows)], b


def _stationary(fam: Any, rule: str) -> tuple:
    """The constant (W, b) of a stationary family, exactly; raises unless every formula is constant."""
    W, b = _formulas(fam)
    _need(all(not e.has(fam_n()) for e in [*sum(W, []), *b]), f"{rule}: W_n and b_n are not constant in n")
    return fam.layer(fam.start)


def fam_n() -> sympy.Symbol:
    from .family import n

    return n


def _series_ok(s: Any, term: Any, verdict: str, where: str, fam_start: int) -> None:
    """The series certificate proves ``verdict`` about exactly ``term``."""
    _need(s.verdict == verdict, f"{where}: series verdict is {s.verdict!r}, needed {verdict!r}")
    if verdict == "summable":  # its tail bounds must cover every layer of the family
        _need(int(s.start) <= fam_start, f"{where}: the series starts at {s.start}, after the family's first layer")
    diff = sympy.expand(sympy.sympify(s.term) - term)
    if diff != 0:
        diff = sympy.simplify(diff)
    _need(diff == 0, f"{where}: series term {s.term} is not the formula {term}")
    try:
        ok = s.verify()
    except Exception as exc:  # the series module reports failures in its own way
        raise CertificateError(f"{where}: series certificate does not verify: {exc}") from None
    _need(ok is not False, f"{where}: series certificate does not verify")


def nonneg_from(expr: Any, N: int) -> bool:
    """True only if expr(n) >= 0 is proven for every integer n >= N (False means not proven).

    >>> from exactrelu.depth.family import n
    >>> nonneg_from(n**2 - 5*n + 3, 5), nonneg_from(n**2 - 5*n + 3, 4)
    (True, False)
    >>> nonneg_from((n + 1) / 2**n, 1), nonneg_from((-1)**n, 1)
    (True, False)
    """
    e = sympy.together(sympy.sympify(expr))
    num, den = sympy.fraction(e)
    a, b = _sign(num, N), _sign(den, N)
    return a in ("pos", "nonneg", "zero") and b == "pos" or a in ("neg", "nonpos", "zero") and b == "neg"


_MUL = {  # sign class of a product, from the classes of two factors
    ("pos", "pos"): "pos", ("pos", "neg"): "neg", ("neg", "neg"): "pos",
    ("pos", "nonneg"): "nonneg", ("pos", "nonpos"): "nonpos", ("neg", "nonneg"): "nonpos",
    ("neg", "nonpos"): "nonneg", ("nonneg", "nonneg"): "nonneg", ("nonpos", "nonpos"): "nonneg",
    ("nonneg", "nonpos"): "nonpos",
}


def _sign(e: Any, N: int) -> str | None:
    """The sign class of e(n) on the integers n >= N: pos, neg, nonneg, nonpos, zero, or None."""
    n = fam_n()
    if e == 0:
        return "zero"
    if not e.has(n):
        return ("pos" if e > 0 else "neg") if e.is_Rational else None
    if e.is_polynomial(n):
        return _poly_sign(e, N)
    if e.is_Mul:
        out = "pos"
        for f in e.args:
            s = _sign(f, N)
            if s is None:
                return None
            if s == "zero":
                return "zero"
            out = _MUL.get((out, s)) or _MUL.get((s, out))
        return out
    if e.is_Add:
        signs = {_sign(t, N) for t in e.args}
        if signs <= {"pos", "nonneg", "zero"}:
            return "pos" if "pos" in signs else "nonneg"
        if signs <= {"neg", "nonpos", "zero"}:
            return "neg" if "neg" in signs else "nonpos"
        return None
    if e.is_Pow:
        return _pow_sign(e, N)
    if isinstance(e, sympy.exp) and e.args[0].is_polynomial(n) and _rational_poly(e.args[0]):
        return "pos"
    if isinstance(e, sympy.factorial):
        arg = e.args[0]
        if arg.is_polynomial(n) and _rational_poly(arg) and sympy.Poly(arg, n).degree() <= 1:
            lin = sympy.Poly(arg, n).all_coeffs()
            c0 = lin[-1]
            c1 = lin[0] if len(lin) == 2 else 0
            # an integer argument c1 n + c0 >= 0 for all n >= N: factorial is positive
            if c1 >= 0 and all(isinstance(c, sympy.Integer) for c in (c0, c1)) and c1 * N + c0 >= 0:
                return "pos"
    return None


def _rational_poly(p: Any) -> bool:
    return all(c.is_Rational for c in sympy.Poly(p, fam_n()).all_coeffs())


def _poly_sign(e: Any, N: int) -> str | None:
    """Sign of a rational polynomial on [N, inf), decided exactly by exactpoly (root counting)."""
    try:
        p = exactpoly.from_sympy(sympy.expand(e), fam_n())
    except ValueError:
        return None
    if p.is_zero():
        return "zero"
    for cls, q, test in (("pos", p, exactpoly.positive_on), ("neg", -p, exactpoly.positive_on),
                         ("nonneg", p, exactpoly.nonnegative_on), ("nonpos", -p, exactpoly.nonnegative_on)):
        if test(q, N):
            return cls
    return None


def _pow_sign(e: Any, N: int) -> str | None:
    n = fam_n()
    base, ex = e.args
    if not base.has(n) and base.is_Rational and base > 0 and ex.is_polynomial(n) and _rational_poly(ex):
        return "pos"  # c^t > 0 for c > 0 and real t
    if ex.is_Integer:
        s = _sign(base, N)
        if s in ("pos", "neg"):
            return "pos" if ex % 2 == 0 or s == "pos" else "neg"
        if ex > 0 and s in ("nonneg", "nonpos", "zero"):
            return "nonneg" if ex % 2 == 0 or s == "nonneg" else s
    if ex.is_Rational and ex.q > 1 and _sign(base, N) == "pos":
        return "pos"  # a positive root of a positive number
    return None


# ------------------------------------------------------------ convergence
def _check_T4(cert: Certificate, fam: Any, w: dict) -> None:
    _need(cert.scope == {"kind": "everywhere"}, "T4 proves convergence everywhere; the scope must say so")
    N, start = w["N"], fam.start
    _need(start <= N <= MAX_DEPTH, f"T4: N = {N} must satisfy start <= N <= {MAX_DEPTH}")
    W, b = _formulas(fam)
    m = len(W)
    ident = [[1 if i == j else 0 for j in range(m)] for i in range(m)]
    entries = {(i, j): sympy.expand(W[i][j] - ident[i][j]) for i in range(m) for j in range(m)}
    _check_entry_series(w["W_series"], entries, start, "T4: W_n - I")
    _check_entry_series(w["b_series"], {(i, None): b[i] for i in range(m)}, start, "T4: b_n")
    norms = layer_norms(fam, start, N)
    W_tail = sum((e["series"].tail_bound(N) for e in w["W_series"]), Fraction(0))
    S_need = sum((s for s, _ in norms), Fraction(0)) + W_tail
    B_need = sum((t for _, t in norms), Fraction(0)) + sum((e["series"].tail_bound(N) for e in w["b_series"]), Fraction(0))
    _need(w["S"] >= S_need, f"T4: S = {brief(w['S'])} is smaller than the certified bound {brief(S_need)} of sum ||W_n - I||")
    _need(w["B"] >= B_need, f"T4: B = {brief(w['B'])} is smaller than the certified bound {brief(B_need)} of sum ||b_n||")
    _need(0 <= w["j"] <= MAX_J and W_tail < 2 ** w["j"], f"T4: need 0 <= j <= {MAX_J} and the tail sum < 2^j")
    # prod_n (1 + s_n) <= prod_{n <= N} (1 + s_n) * exp(sum_{n > N} s_n)
    head = Fraction(1)
    for s_n, _ in norms:
        head *= 1 + s_n
    _need(w["P"] >= head * exp_bound(W_tail, w["j"]),
          "T4: P is smaller than the certified bound of prod(1 + ||W_n - I||)")


def _check_entry_series(items: tuple, entries: dict, start: int, where: str) -> None:
    """Every nonzero entry formula has exactly one summable series certificate."""
    seen = set()
    for e in items:
        key = (e["row"], e["col"])
        _need(key in entries and key not in seen, f"{where}: unexpected or repeated entry {key}")
        seen.add(key)
        s = e["series"]
        _series_ok(s, entries[key], "summable", f"{where} entry {key}", start)
    missing = [k for k, v in entries.items() if v != 0 and k not in seen]
    _need(not missing, f"{where}: no summability certificate for entries {missing}")


def _check_T6(cert: Certificate, fam: Any, w: dict) -> None:
    _need(cert.scope == {"kind": "everywhere"}, "T6 proves convergence everywhere; the scope must say so")
    W, b = _stationary(fam, "T6")
    v, q, y = w["v"], w["q"], w["fixed_point"]
    _need(len(v) == len(W) == len(y), "T6: v and y* must have the width of the family")
    _need(all(t > 0 for t in v), "T6: v must be entrywise positive")
    _need(0 <= q < 1, f"T6: q = {q} is not in [0, 1)")
    absWv = matvec([[abs(a) for a in row] for row in W], v)
    _need(all(a <= q * t for a, t in zip(absWv, v)), "T6: |W| v <= q v fails")
    z = tuple(a + c for a, c in zip(matvec(W, y), b))
    _need(relu_layer(W, b, y) == tuple(y), "T6: y* is not a fixed point: sigma(W y* + b) != y*")
    _need(w["pattern"] == "".join("1" if t > 0 else "0" for t in z), "T6: the pattern is not that of y*")
    _need(cert.limit == apply_output(fam, y), "T6: the claimed limit is not the output at y*")


def _check_T6b(cert: Certificate, fam: Any, w: dict) -> None:
    _need(cert.scope == {"kind": "everywhere"}, "T6b proves convergence everywhere; the scope must say so")
    n0, v, q, y, WL, bL = w["n0"], w["v"], w["q"], w["fixed_point"], w["W_limit"], w["b_limit"]
    W, b = _formulas(fam)
    m = len(W)
    _need(fam.start <= n0 <= MAX_DEPTH, f"T6b: n0 = {n0} must satisfy start <= n0 <= {MAX_DEPTH}")
    _need(len(WL) == m and all(len(r) == m for r in WL) and len(bL) == len(v) == len(y) == m,
          "T6b: W, b, v and y* must have the width of the family")
    _need(all(t > 0 for t in v) and 0 <= q < 1, "T6b: need v > 0 and 0 <= q < 1")
    entries = {(i, j): sympy.expand(W[i][j] - sympy.Rational(WL[i][j].numerator, WL[i][j].denominator))
               for i in range(m) for j in range(m)}
    _check_entry_series(w["W_series"], entries, fam.start, "T6b: W_n - W")
    bent = {(i, None): sympy.expand(b[i] - sympy.Rational(bL[i].numerator, bL[i].denominator)) for i in range(m)}
    _check_entry_series(w["b_series"], bent, fam.start, "T6b: b_n - b")
    # |W_n[i][j]| <= |W[i][j]| + sum_{k >= n0} |W_k[i][j] - W[i][j]| <= |W[i][j]| + t_ij(n0 - 1) for n >= n0
    bound = [[abs(WL[i][j]) for j in range(m)] for i in range(m)]
    for e in w["W_series"]:
        bound[e["row"]][e["col"]] += series_tail(e["series"], n0 - 1)
    for i in range(m):
        _need(sum(bound[i][j] * v[j] for j in range(m)) <= q * v[i],
              f"T6b: row {i}: (|W| v)_{i} + the tails of W_n - W from n0 = {n0} exceed q v_{i}")
    _need(relu_layer(WL, bL, y) == tuple(y), "T6b: y* is not a fixed point of the limit layer")
    _need(cert.limit == apply_output(fam, y), "T6b: the claimed limit is not the output at y*")


def _replay(fam: Any, x: tuple, k: int) -> tuple:
    """The exact state after the prefix and k formula layers."""
    _need(len(x) == fam.input_dim, f"x has dimension {len(x)}, the family expects {fam.input_dim}")
    _need(0 <= k <= MAX_DEPTH, f"depth k = {k} must be in [0, {MAX_DEPTH}]")
    y = prefix_state(fam, x)
    for n in range(fam.start, fam.start + k):
        y = relu_layer(*fam.layer(n), y)
    return y


def _check_point_scope(cert: Certificate, w: dict) -> None:
    _need(cert.scope.get("kind") == "point" and cert.scope.get("x") == w["x"],
          f"{cert.theorem} is a claim at the point x; the scope must be that point")


def _check_P1(cert: Certificate, fam: Any, w: dict) -> None:
    _check_point_scope(cert, w)
    W, b = _stationary(fam, "P1")
    y = _replay(fam, w["x"], w["k"])
    _need(y == w["fixed_point"], "P1: the fixed point is not the exact state at depth k")
    _need(relu_layer(W, b, y) == y, "P1: the state at depth k is not a fixed point")
    _need(cert.limit == apply_output(fam, y), "P1: the claimed limit is not the output at the fixed point")


# -------------------------------------------------------------- divergence
def _check_T7a(cert: Certificate, fam: Any, w: dict) -> None:
    _check_point_scope(cert, w)
    W, b = _stationary(fam, "T7a")
    orbit = w["orbit"]
    _need(2 <= len(orbit) <= MAX_DEPTH, "T7a: the orbit needs a period of at least 2")
    _need(_replay(fam, w["x"], w["k"]) == orbit[0], "T7a: the orbit does not start at the exact state at depth k")
    for i, y in enumerate(orbit):
        nxt = (i + 1) % len(orbit)
        _need(relu_layer(W, b, y) == orbit[nxt],
              f"T7a: the orbit is not the exact forward pass: sigma(W y_{i} + b) != y_{nxt}")
    outs = {apply_output(fam, y) for y in orbit}
    _need(len(outs) >= 2, "T7a: the output is constant along the orbit, so it converges")


def _check_T7b(cert: Certificate, fam: Any, w: dict) -> None:
    n0, K, u, route = w["n0"], w["K"], w["u"], w["route"]
    _need(fam.start <= n0 <= MAX_DEPTH and K == max(1, n0 - fam.start),
          "T7b: need start <= n0 and K = max(1, n0 - start)")
    W, b = _nonneg_tail(fam, n0, "T7b")
    m = len(W)
    _need(len(u) == m and all(t >= 0 for t in u) and any(u), "T7b: u must be nonnegative and nonzero")
    uW = [sum(u[i] * W[i][j] for i in range(m)) for j in range(m)]
    if route == "sum a_n":
        _need("a_series" in w and "ub_series" not in w, "T7b route 'sum a_n' needs a_series only")
        a = sympy.sympify(w["a_series"].term)
        _series_ok(w["a_series"], a, "not summable", "T7b: a_n", fam.start)
        _need(nonneg_from(a, n0), f"T7b: a_n >= 0 for n >= {n0} is not proven")
        for j in range(m):
            _need(nonneg_from(uW[j] - (1 + a) * u[j], n0), f"T7b: (u^T W_n)_{j} >= (1 + a_n) u_{j} is not proven")
        _check_growth_scope(cert, fam, w, K)
    elif route == "sum u^T b_n":
        _need("ub_series" in w and "a_series" not in w and "witness_point" not in w,
              "T7b route 'sum u^T b_n' needs ub_series only")
        ub = sum(u[i] * b[i] for i in range(m))
        _series_ok(w["ub_series"], ub, "not summable", "T7b: u^T b_n", fam.start)
        for j in range(m):
            _need(nonneg_from(uW[j] - u[j], n0), f"T7b: (u^T W_n)_{j} >= u_{j} is not proven")
        _need(cert.scope == {"kind": "everywhere"} or cert.scope.get("kind") == "point",
              "T7b with sum u^T b_n = inf holds everywhere (or at a point)")
    else:
        raise CertificateError(f"T7b: unknown route {route!r}")
    _check_output_row(fam, w, u)


def _nonneg_tail(fam: Any, n0: int, rule: str) -> tuple:
    """The formulas (W, b), after proving W_n >= 0 and b_n >= 0 entrywise for every n >= n0."""
    W, b = _formulas(fam)
    for i in range(len(W)):
        _need(nonneg_from(b[i], n0), f"{rule}: b_n[{i}] >= 0 for n >= {n0} is not proven")
        for j in range(len(W)):
            _need(nonneg_from(W[i][j], n0), f"{rule}: W_n[{i}][{j}] >= 0 for n >= {n0} is not proven")
    return W, b


def _check_growth_scope(cert: Certificate, fam: Any, w: dict, K: int, key: str = "u") -> None:
    """u^T y_K(x) > 0 at the point of the scope, or the set condition with a point in it."""
    u, kind = w[key], cert.scope.get("kind")
    if kind == "point":
        _need("witness_point" not in w, "a point scope takes no separate witness point")
        point = cert.scope["x"]
    else:
        _need(kind == "set" and cert.scope.get("condition") == set_condition(u, K, key),
              f"{cert.theorem}: the scope must be the point x or the set {set_condition(u, K, key)!r}")
        _need("witness_point" in w, f"{cert.theorem}: a set scope needs a witness point inside the set")
        point = w["witness_point"]
    y = _replay(fam, point, K)
    _need(sum(a * c for a, c in zip(u, y)) > 0, f"{cert.theorem}: {key}^T y_{K} > 0 fails at the point")


def _check_output_row(fam: Any, w: dict, u: tuple) -> None:
    """With an output layer, some output row dominates c u^T (c > 0), so that output grows too."""
    if fam.output is None:
        _need("output_row" not in w and "c" not in w, "no output layer, so no output_row / c")
        return
    _need("output_row" in w and "c" in w, "with an output layer, give output_row r and c > 0 with W_o[r] >= c u^T")
    r, c = w["output_row"], w["c"]
    Wo = fam.output[0]
    _need(0 <= r < len(Wo) and c > 0, "output_row out of range or c <= 0")
    _need(all(a >= c * t for a, t in zip(Wo[r], u)), "W_o[r] >= c u^T fails")


def _check_T7c(cert: Certificate, fam: Any, w: dict) -> None:
    W, b = _stationary(fam, "T7c")
    u, lam, K = w["u"], w["lambda"], w["K"]
    m = len(W)
    _need(all(t >= 0 for row in W for t in row) and all(t >= 0 for t in b), "T7c: W and b must be nonnegative")
    _need(len(u) == m and all(t >= 0 for t in u) and any(u), "T7c: u must be nonnegative and nonzero")
    _need(lam > 1, f"T7c: lambda = {lam} is not > 1")
    uW = [sum(u[i] * W[i][j] for i in range(m)) for j in range(m)]
    _need(all(a >= lam * t for a, t in zip(uW, u)), "T7c: u^T W >= lambda u^T fails")
    _need(K >= 1, "T7c: K must be at least 1 (y_K >= 0)")
    _check_growth_scope(cert, fam, w, K)
    _check_output_row(fam, w, u)


def _check_T7d(cert: Certificate, fam: Any, w: dict) -> None:
    n0, K, u, v = w["n0"], w["K"], w["u"], w["w"]
    _need(fam.start <= n0 <= MAX_DEPTH and K == max(1, n0 - fam.start),
          "T7d: need start <= n0 and K = max(1, n0 - start)")
    W, b = _nonneg_tail(fam, n0, "T7d")
    m = len(W)
    for name, vec in (("u", u), ("w", v)):
        _need(len(vec) == m and all(t >= 0 for t in vec) and any(vec), f"T7d: {name} must be nonnegative and nonzero")
    a = sympy.sympify(w["a_series"].term)
    _series_ok(w["a_series"], a, "not summable", "T7d: a_n", fam.start)
    _need(nonneg_from(a, n0), f"T7d: a_n >= 0 for n >= {n0} is not proven")
    for j in range(m):
        uW = sum(u[i] * W[i][j] for i in range(m))
        wW = sum(v[i] * W[i][j] for i in range(m))
        _need(nonneg_from(wW - v[j], n0), f"T7d: (w^T W_n)_{j} >= w_{j} is not proven")
        _need(nonneg_from(uW - u[j] - a * v[j], n0), f"T7d: (u^T W_n)_{j} >= u_{j} + a_n w_{j} is not proven")
    _check_growth_scope(cert, fam, w, K, key="w")
    _check_output_row(fam, w, u)


# theorem -> its checker (each one verifies every hypothesis of the proof file it names)
_RULES = {"T4": _check_T4, "T6": _check_T6, "T6b": _check_T6b, "P1": _check_P1, "T7a": _check_T7a,
          "T7b": _check_T7b, "T7c": _check_T7c, "T7d": _check_T7d}
