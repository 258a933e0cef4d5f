"""Certify convergence or divergence of an infinite-depth ReLU family (rules T4, T6, T6b, P1, T7a-d).

The certifier only PROPOSES: floats may suggest a Perron vector or a fixed
point pattern, every witness is then made exact, and every candidate
certificate goes through the independent checker (:func:`exactrelu.check`)
before it is returned.  A rule that fails leaves a reason; when no rule
applies the verdict is "inconclusive", with the reasons and floating-point
evidence (differences of successive depths) marked as evidence, not proof.

>>> from exactrelu.depth.family import Family
>>> cert = certify(Family([["1/2", "1/4"], ["-1/4", "1/3"]], ["1", "-1/2"]))
>>> cert.verdict, cert.theorem, cert.limit
('converges', 'T6', (Fraction(2, 1), Fraction(0, 1)))
>>> cert = certify(Family([["-1", "0"], ["0", "-1"]], ["1", "1"]), x=[0, 0])
>>> cert.verdict, cert.theorem, len(cert.witnesses["orbit"])
('diverges', 'T7a', 2)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import sympy

from ..exact import exactpoly
from .certificate import (
    Certificate,
    CertificateError,
    apply_output,
    exp_upper,
    layer_norms,
    matvec,
    series_tail,
    prefix_state,
    relu_layer,
    round_up,
    set_condition,
)
from .checker import check, nonneg_from
from ..exact.numbers import to_fraction, to_vector

__all__ = ["certify", "necessary_report", "numerical_evidence", "contraction_weights", "fixed_point"]

MAX_ORBIT = 400  # layers replayed when searching for a fixed point or a periodic orbit
MAX_BITS = 4_000  # give up an orbit search when the states grow beyond this size
MAX_SEARCH = 1 << 20  # the largest n0 searched for sign conditions
T4_HEAD = 64  # layers summed exactly (max-row-sum norms) before the series tails take over


def certify(family: Any, *, x: Any = None, radius: Any = None) -> Any:
    """Certify whether N_depth(x) converges as depth -> inf; returns a checked Certificate.

    ``x`` asks about one input point (divergence may then be certified at x);
    ``radius`` is the radius used for the tail bounds shown by ``explain()``
    and for the points of the numerical evidence.  Inconclusive is a valid
    answer; every non-inconclusive verdict has passed :func:`exactrelu.check`.

    >>> from exactrelu.depth.family import Family
    >>> certify(Family([["1"]], ["1/n"])).theorem
    'T7b'
    """
    fam = _as_family(family)
    xv = None if x is None else to_vector(x, "x")
    if xv is not None and len(xv) != fam.input_dim:
        raise ValueError(f"x has dimension {len(xv)}, the family expects {fam.input_dim}")
    R = None if radius is None else to_fraction(radius, "radius")
    if R is not None and R < 0:
        raise ValueError(f"radius must be nonnegative, got {R}")
    necessary = necessary_report(fam)
    try:
        issues = list(fam.issues())
    except ValueError as exc:  # the exact analysis refuses (a degree above 400, ...): inconclusive, saying why
        issues = [f"the family cannot be analysed exactly: {exc}"]
    reasons: list = []
    if issues:
        reasons.append("the family has problems: " + "; ".join(map(str, issues)))
    else:
        for name, rule in _rules(xv):
            try:
                out = rule(fam, xv)
            except (ValueError, ArithmeticError, TypeError, NotImplementedError) as exc:
                out = f"{name}: could not be applied ({type(exc).__name__}: {exc})"
            if isinstance(out, Certificate):
                out.necessary, out.radius, out.reasons = necessary, R, tuple(reasons)
                try:
                    check(out)
                    return out
                except CertificateError as exc:  # never return what the checker rejects
                    out = f"{name}: the candidate certificate failed the independent check: {exc}"
            reasons.append(out)
    scope = {"kind": "point", "x": xv} if xv is not None else {"kind": "everywhere"}
    points = [xv] if xv is not None else _probe_points(fam.input_dim, R)
    evidence = numerical_evidence(fam, points) if not issues else ()
    return Certificate("inconclusive", None, scope, {}, fam, None, necessary, tuple(reasons), evidence, R)


def _as_family(family: Any) -> Any:
    from .family import Family

    if isinstance(family, Family):
        return family
    if isinstance(family, (dict, str)):
        return Family.from_json(family)
    raise ValueError(f"certify needs a Family (or its JSON), got {type(family).__name__}")


def _rules(x: tuple | None) -> list:
    # convergence everywhere first, then divergence everywhere, on a set / at x, then orbits at x
    rules: list = [("T6", _rule_t6), ("T4", _rule_t4), ("T6b", _rule_t6b), ("T7b", _rule_t7b_bias),
                   ("T7c", _rule_t7c), ("T7b", _rule_t7b_growth), ("T7d", _rule_t7d)]
    rules.append(("P1/T7a", _rule_orbit if x is not None else _rule_orbit_probe))
    return rules


def _probe_points(dim: int, R: Fraction | None, units: bool = False) -> list:
    r = R if R else Fraction(1)
    pts = [(Fraction(0),) * dim, (r,) * dim, (-r,) * dim]
    if units:  # unit vectors too (used by the exact orbit probe, not by the float evidence)
        pts += [tuple(r * (i == j) for j in range(dim)) for i in range(min(dim, 8))]
    return pts


# ------------------------------------------------------------ formulas
def _n() -> sympy.Symbol:
    from .family import n

    return n


def _formulas(fam: Any) -> tuple:
    W = sympy.Matrix(fam.W)
    return [list(W.row(i)) for i in range(W.rows)], list(sympy.Matrix(fam.b))


def _stationary_layer(fam: Any) -> tuple | None:
    W, b = _formulas(fam)
    if any(e.has(_n()) for e in [*sum(W, []), *b]):
        return None
    return fam.layer(fam.start)


def _first_nonneg(expr: Any, lower: int) -> int | None:
    """The least N >= lower with expr(n) >= 0 proven for all n >= N (doubling, then bisection)."""
    if nonneg_from(expr, lower):
        return lower
    lo, hi = lower, max(2 * lower, lower + 1)
    while not nonneg_from(expr, hi):
        lo, hi = hi, 2 * hi
        if hi > MAX_SEARCH:
            return None
    while hi - lo > 1:  # not proven at lo, proven at hi
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if nonneg_from(expr, mid) else (mid, hi)
    return hi


def _fmt_expr(e: Any) -> str:
    return str(e).replace("**", "^")


# ------------------------------------------------------------------ T6
def contraction_weights(W: tuple) -> tuple | None:
    """Exact (v, q) with v > 0, q < 1 and |W| v <= q v, or None (floats only propose q0).

    Among the candidates (v = 1 with the largest row sum, and q0 just above the spectral radius
    rho of |W| at several gaps) the one whose tail bound (max v / min v) q^d reaches 2^-40 at the
    least depth d: q close to rho makes the bounds decay as fast as the network can.

    >>> contraction_weights(((Fraction(1, 2), Fraction(1, 4)), (Fraction(-1, 4), Fraction(1, 3))))
    ((Fraction(949, 684), Fraction(1, 1)), Fraction(1861, 2736))
    >>> contraction_weights(((Fraction(1, 2), Fraction(3, 5)), (Fraction(0), Fraction(3, 10))))  # rho = 1/2
    ((Fraction(161, 1), Fraction(1, 1)), Fraction(811, 1610))
    """
    import numpy as np

    A = [[abs(t) for t in row] for row in W]
    m = len(A)
    q1 = max(sum(row) for row in A)
    found = [((Fraction(1),) * m, q1)] if q1 < 1 else []
    rho = float(max(abs(np.linalg.eigvals(np.array(A, dtype=float)))))
    if rho < 1:
        for gap in (1e-6, 1e-4, 1e-2, 0.1, 0.5):
            q0 = Fraction(rho + (1 - rho) * gap).limit_denominator(10**12)
            v = _solve_weights(A, q0) if q0 < 1 else None
            scaled = tuple(t / min(v) for t in v) if v else ()
            for cand in (tuple(t.limit_denominator(1000) for t in scaled), scaled) if v else ():  # short first
                if all(t > 0 for t in cand):
                    q = max(a / t for a, t in zip(matvec(A, cand), cand))
                    if q < 1:
                        found.append((cand, q))
                        break
    return min(found, key=_decay_depth, default=None)


def _decay_depth(vq: tuple) -> float:
    """The depth at which (max v / min v) q^d falls below 2^-40 (a float score to choose among valid witnesses)."""
    v, q = vq
    if q == 0:
        return 0.0
    return (math.log2(max(v) / min(v)) + 40) / -math.log2(q)


def _solve_weights(A: list, q0: Fraction) -> tuple | None:
    """v solving (q0 I - |W|) v = q0 1, exactly: then |W| v = q0 (v - 1) < q0 v when v > 0."""
    import flint

    m = len(A)
    M = flint.fmpq_mat(m, m, [_fq((q0 if i == j else 0) - A[i][j]) for i in range(m) for j in range(m)])
    rhs = flint.fmpq_mat(m, 1, [_fq(q0)] * m)
    try:
        sol = M.solve(rhs)
    except ZeroDivisionError:
        return None
    v = tuple(Fraction(int(t.p), int(t.q)) for t in sol.entries())
    return v if all(t > 0 for t in v) else None


def _fq(q: Fraction) -> Any:
    import flint

    return flint.fmpq(q.numerator, q.denominator)


def fixed_point(W: tuple, b: tuple) -> tuple | None:
    """The exact y* = sigma(W y* + b) of a contraction: a float-proposed pattern, then exact solves.

    For the pattern D, y* solves (I - D W) y = D b; the candidate is accepted
    only if sigma(W y + b) == y exactly.  Falls back to every pattern (m <= 14).

    >>> fixed_point(((Fraction(1, 2),),), (Fraction(1),))
    (Fraction(2, 1),)
    """
    import numpy as np

    m = len(W)
    Wf, bf = np.array(W, dtype=float), np.array(b, dtype=float)
    y = np.zeros(m)
    for _ in range(500):
        y = np.maximum(Wf @ y + bf, 0.0)
    guess = tuple(int(t > 0) for t in Wf @ y + bf)
    tried = set()
    order = [guess] + sorted(_all_patterns(m), key=lambda p: sum(a != c for a, c in zip(p, guess)))
    for D in order:
        if D in tried:
            continue
        tried.add(D)
        y = _solve_pattern(W, b, D)
        if y is not None and relu_layer(W, b, y) == y:
            return y
    return None


def _all_patterns(m: int) -> list:
    if m > 14:
        return []
    return [tuple((k >> i) & 1 for i in range(m)) for k in range(1 << m)]


def _solve_pattern(W: tuple, b: tuple, D: tuple) -> tuple | None:
    import flint

    m = len(W)
    M = flint.fmpq_mat(m, m, [_fq(Fraction(int(i == j)) - D[i] * W[i][j]) for i in range(m) for j in range(m)])
    rhs = flint.fmpq_mat(m, 1, [_fq(D[i] * b[i]) for i in range(m)])
    try:
        sol = M.solve(rhs)
    except ZeroDivisionError:
        return None
    return tuple(Fraction(int(t.p), int(t.q)) for t in sol.entries())


def _rule_t6(fam: Any, x: Any) -> Any:
    st = _stationary_layer(fam)
    if st is None:
        return "T6: W_n or b_n depends on n (the family is not stationary)"
    W, b = st
    found = contraction_weights(W)
    if found is None:
        return "T6: no v > 0 and q < 1 with |W| v <= q v (the spectral radius of |W| is at least about 1)"
    v, q = found
    y = fixed_point(W, b)
    if y is None:
        return "T6: no exact fixed point found (width too large for the exact pattern search)"
    z = [a + c for a, c in zip(matvec(W, y), b)]
    wit = {"v": v, "q": q, "fixed_point": y, "pattern": "".join("1" if t > 0 else "0" for t in z)}
    return Certificate("converges", "T6", {"kind": "everywhere"}, wit, fam, apply_output(fam, y))


# ------------------------------------------------------------------ T6b
def _rule_t6b(fam: Any, x: Any) -> Any:
    """A summable perturbation of a contraction: |W_n| v <= q v from n0 on, W_n -> W, b_n -> b summably."""
    from .series import summability

    W, b = _formulas(fam)
    m = len(W)
    if _stationary_layer(fam) is not None:
        return "T6b: the family is stationary (T6 decides it)"
    WL = [[_limit(e) for e in row] for row in W]
    bL = [_limit(e) for e in b]
    if not all(isinstance(t, sympy.Rational) for t in [*sum(WL, []), *bL]):
        return "T6b: W_n or b_n has no (decided) rational limit"
    WL = tuple(tuple(Fraction(int(t.p), int(t.q)) for t in row) for row in WL)
    bL = tuple(Fraction(int(t.p), int(t.q)) for t in bL)
    found = contraction_weights(WL)
    if found is None:
        return "T6b: the limit layer W is no contraction (no v > 0, q < 1 with |W| v <= q v)"
    v, q0 = found
    wser, bser = [], []
    for key, items, exprs in (("W", wser, {(i, j): W[i][j] - _sym(WL[i][j]) for i in range(m) for j in range(m)}),
                              ("b", bser, {(i, None): b[i] - _sym(bL[i]) for i in range(m)})):
        for (i, j), e in exprs.items():
            e = sympy.expand(e)
            if e == 0:
                continue
            s = summability(e, start=fam.start)
            if s.verdict != "summable":
                return f"T6b: {key}_n - lim {key}_n is not certified summable at {(i, j)}: {_fmt_expr(e)} ({s.reason})"
            items.append({"row": i, "col": j, "series": s})
    absW = [[abs(t) for t in row] for row in WL]

    def fits(n0: int, q: Fraction) -> bool:  # (|W| + tails from n0) v <= q v, as the checker verifies
        bound = [list(row) for row in absW]
        for e in wser:
            bound[e["row"]][e["col"]] += series_tail(e["series"], n0 - 1)
        return all(sum(bound[i][j] * v[j] for j in range(m)) <= q * v[i] for i in range(m))

    # q between the limit's q0 and 1: nearer q0 decays faster but needs a longer head before n0
    options = []
    for t in (64, 16, 4, 2):
        q = round_up(q0 + (1 - q0) / t, 16)
        n0 = _least_n0(lambda k: fits(k, q), fam.start) if q < 1 else None
        if n0 is not None:
            options.append((n0, q))
    if not options:
        return "T6b: the perturbations W_n - W stay too large for the contraction up to n = 10^4"
    n0, q = min(options, key=lambda o: o[0] - fam.start + _decay_depth((v, o[1])))
    y = fixed_point(WL, bL)
    if y is None:
        return "T6b: no exact fixed point of the limit layer found"
    wit = {"n0": n0, "v": v, "q": q, "W_limit": WL, "b_limit": bL, "fixed_point": y,
           "W_series": tuple(wser), "b_series": tuple(bser)}
    return Certificate("converges", "T6b", {"kind": "everywhere"}, wit, fam, apply_output(fam, y))


def _least_n0(fits: Any, start: int, limit: int = 10_000) -> int | None:
    """The least n0 in [start, start + limit] with fits(n0) (fits is monotone: tails shrink with n0), or None."""
    if fits(start):
        return start
    lo, hi = start, start + 1  # fits(lo) is false
    while not fits(hi):
        if hi - start >= limit:
            return None
        lo, hi = hi, min(start + 2 * (hi - start), start + limit)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi


def _sym(q: Fraction) -> Any:
    return sympy.Rational(q.numerator, q.denominator)


# ------------------------------------------------------------------ T4
def _rule_t4(fam: Any, x: Any) -> Any:
    from .series import summability

    W, b = _formulas(fam)
    m, start = len(W), fam.start
    wser, bser, failed = [], [], []
    for i in range(m):
        for j in range(m):
            e = sympy.expand(W[i][j] - (1 if i == j else 0))
            if e != 0:
                s = summability(e, start=start)
                (wser.append({"row": i, "col": j, "series": s}) if s.verdict == "summable"
                 else failed.append(f"W_n[{i}][{j}] - {int(i == j)} = {_fmt_expr(e)}: {s.verdict} ({s.reason})"))
        if b[i] != 0:
            s = summability(b[i], start=start)
            (bser.append({"row": i, "col": None, "series": s}) if s.verdict == "summable"
             else failed.append(f"b_n[{i}] = {_fmt_expr(b[i])}: {s.verdict} ({s.reason})"))
    if failed:
        return "T4: sum ||W_n - I|| + sum ||b_n|| is not certified finite: " + "; ".join(failed)
    N = start + T4_HEAD - 1
    norms = layer_norms(fam, start, N)
    W_tail = sum((e["series"].tail_bound(N) for e in wser), Fraction(0))
    S = round_up(sum((s for s, _, _ in norms), Fraction(0)) + W_tail)
    B = round_up(sum((t for _, t, _ in norms), Fraction(0)) + sum((e["series"].tail_bound(N) for e in bser), Fraction(0)))
    head = Fraction(1)
    for s_n, _, _ in norms:  # the exact product over the head, the series tail through exp
        head = round_up(head * (1 + s_n))
    E, j = exp_upper(W_tail)
    P = round_up(head * E)
    wit = {"N": N, "S": S, "B": B, "P": P, "j": j, "W_series": tuple(wser), "b_series": tuple(bser)}
    return Certificate("converges", "T4", {"kind": "everywhere"}, wit, fam)


# ------------------------------------------------------------- P1 / T7a
def _orbit(fam: Any, W: tuple, b: tuple, x: tuple) -> tuple | None:
    """(k, cycle): the exact states enter a cycle at depth k; None if not within MAX_ORBIT layers.

    Iterates in the exact context of the forward kernel (integer matrices,
    fast), one layer at a time; stops early when the states grow beyond
    MAX_BITS, since a growing orbit cannot close.
    """
    from ..nets.contexts import ExactContext, read_inputs

    ctx = ExactContext()
    layer = [(ctx.layer(tuple(map(tuple, W)), tuple(b), "the stationary layer"), True)]
    Y = ctx.batch(read_inputs([tuple(prefix_state(fam, x))], len(W)))
    y = ctx.columns(Y, 1)[0]
    seen, states = {y: 0}, [y]
    for k in range(1, MAX_ORBIT + 1):
        Y = ctx.run(layer, Y)
        y = ctx.columns(Y, 1)[0]  # Fractions: a canonical, hashable state
        if y in seen:
            j = seen[y]
            return j, tuple(states[j:])
        if sum(t.numerator.bit_length() + t.denominator.bit_length() for t in y) > MAX_BITS:
            return None
        seen[y] = k
        states.append(y)
    return None


def _rule_orbit(fam: Any, x: tuple, divergence_only: bool = False) -> Any:
    st = _stationary_layer(fam)
    if st is None:
        return "P1/T7a: the family is not stationary, so no orbit argument applies"
    W, b = st
    found = _orbit(fam, W, b, x)
    if found is None:
        return f"P1/T7a: the exact states at x do not repeat within {MAX_ORBIT} layers"
    k, cycle = found
    scope = {"kind": "point", "x": x}
    if len(cycle) == 1:
        if divergence_only:
            return "T7a: the orbit at the probe point reaches a fixed point"
        return Certificate("converges", "P1", scope, {"x": x, "k": k, "fixed_point": cycle[0]}, fam,
                           apply_output(fam, cycle[0]))
    if len({apply_output(fam, y) for y in cycle}) == 1:
        return "T7a: the hidden states cycle, but the output is constant along the cycle"
    return Certificate("diverges", "T7a", scope, {"x": x, "k": k, "orbit": cycle}, fam)


def _rule_orbit_probe(fam: Any, x: Any) -> Any:
    reasons = []
    for p in _probe_points(fam.input_dim, None, units=True):
        out = _rule_orbit(fam, p, divergence_only=True)
        if isinstance(out, Certificate):
            return out
        reasons.append(out)
    return reasons[0] + " (exact orbits probed at 0, (1,...,1), (-1,...,-1) and the unit vectors)"


# ------------------------------------------------------------- T7b / T7c
def _candidates(m: int) -> list:
    units = [tuple(Fraction(int(i == j)) for j in range(m)) for i in range(m)]
    return units + ([(Fraction(1),) * m] if m > 1 else [])


def _nonneg_tail(fam: Any, rule: str) -> Any:
    """(n0, W, b, m) with n0 the least index from which every W_n and b_n entry is proven >= 0, or the
    rule's reason (a string) when there is none."""
    W, b = _formulas(fam)
    n0 = fam.start
    for where, e in [*(((f"W_n[{i}][{j}]"), W[i][j]) for i in range(len(W)) for j in range(len(W))),
                     *((f"b_n[{i}]", b[i]) for i in range(len(b)))]:
        first = _first_nonneg(e, fam.start)
        if first is None:
            return f"{rule}: {where} = {_fmt_expr(e)} is not proven >= 0 for all large n"
        n0 = max(n0, first)
    return n0, W, b, len(W)


def _output_witness(fam: Any, u: tuple) -> dict | None:
    """{output_row, c} with W_o[r] >= c u^T, c > 0; {} without an output layer; None if none exists."""
    if fam.output is None:
        return {}
    for r, row in enumerate(fam.output[0]):
        if all(a >= 0 for a, t in zip(row, u) if t == 0):
            ratios = [a / t for a, t in zip(row, u) if t > 0]
            if ratios and min(ratios) > 0:
                return {"output_row": r, "c": min(ratios)}
    return None


def _rule_t7b_bias(fam: Any, x: Any) -> Any:
    """T7b with sum u^T b_n = inf: divergence for every input."""
    from .series import summability

    tail = _nonneg_tail(fam, "T7b")
    if isinstance(tail, str):
        return tail
    n0, W, b, m = tail
    for u in _candidates(m):
        ub = sympy.expand(sum(u[i] * b[i] for i in range(m)))
        if ub == 0:
            continue
        n1 = n0
        for j in range(m):
            first = _first_nonneg(sum(u[i] * W[i][j] for i in range(m)) - u[j], n0)
            n1 = None if first is None or n1 is None else max(n1, first)
        if n1 is None or _output_witness(fam, u) is None:
            continue
        s = summability(ub, start=n1)
        if s.verdict == "not summable":
            wit = {"n0": n1, "K": max(1, n1 - fam.start), "u": u, "route": "sum u^T b_n", "ub_series": s}
            wit.update(_output_witness(fam, u))
            return Certificate("diverges", "T7b", {"kind": "everywhere"}, wit, fam)
    return "T7b: no u >= 0 with u^T W_n >= u^T and sum u^T b_n = inf (tried unit vectors and ones)"


def _rule_t7b_growth(fam: Any, x: Any) -> Any:
    """T7b with sum a_n = inf: divergence where u^T y_K > 0."""
    tail = _nonneg_tail(fam, "T7b")
    if isinstance(tail, str):
        return tail
    n0, W, b, m = tail
    tried = []
    for u in _candidates(m):
        uW = [sum(u[i] * W[i][j] for i in range(m)) for j in range(m)]
        for js in (j for j in range(m) if u[j] > 0):
            a = sympy.cancel(uW[js] / u[js] - 1)
            if a == 0 or _output_witness(fam, u) is None:
                continue
            n1 = _first_nonneg(a, n0)
            for j in range(m):
                first = None if n1 is None else _first_nonneg(sympy.together(uW[j] - (1 + a) * u[j]), n1)
                n1 = None if first is None else max(n1, first)
            cert = None if n1 is None else _try_rate(fam, x, "T7b", a, n1, {"u": u, "route": "sum a_n"}, u)
            if isinstance(cert, Certificate):
                return cert
            tried += [cert] if cert else []
    detail = "; ".join(tried) if tried else "no u >= 0 with u^T W_n >= (1 + a_n) u^T, a_n >= 0 not identically 0"
    return f"T7b: no non-summable growth rate a_n found ({detail})"


def _rule_t7d(fam: Any, x: Any) -> Any:
    """T7d: w^T y stays positive and feeds u^T y with a non-summable rate a_n (unit vectors u != w)."""
    tail = _nonneg_tail(fam, "T7d")
    if isinstance(tail, str):
        return tail
    n0, W, b, m = tail
    units = _candidates(m)[:m]
    tried = []
    for i in range(m):
        for j in range(m):
            u, w = units[i], units[j]
            if i == j or _output_witness(fam, u) is None:
                continue
            a = sympy.cancel(W[i][j])  # (u^T W_n)_j - u_j with w_j = 1
            if a == 0:
                continue
            n1 = _first_nonneg(a, n0)
            for k in range(m):
                for f in (W[j][k] - w[k], W[i][k] - u[k] - a * w[k]):
                    first = None if n1 is None else _first_nonneg(sympy.together(f), n1)
                    n1 = None if first is None else max(n1, first)
            if n1 is not None:
                cert = _try_rate(fam, x, "T7d", a, n1, {"u": u, "w": w}, w, grows=u, what=f"W_n[{i}][{j}] = ")
                if isinstance(cert, Certificate):
                    return cert
                tried.append(cert)
    detail = "; ".join(tried) if tried else "no unit vectors u != w with w^T W_n >= w^T, u^T W_n >= u^T + a_n w^T"
    return f"T7d: no chained growth found ({detail})"


def _try_rate(fam: Any, x: Any, rule: str, a: Any, n1: int, wit: dict, u: tuple, grows: tuple | None = None,
              what: str = "") -> Any:
    """The growth certificate with the rate a_n from n1 on (a series certificate that sum a_n = inf), or the
    reason (a string) why not."""
    from .series import summability

    s = summability(a, start=n1)
    if s.verdict != "not summable":
        return f"a_n = {what}{_fmt_expr(a)}: {s.verdict}"
    K = max(1, n1 - fam.start)
    return _growth_certificate(fam, x, rule, {"n0": n1, "K": K, **wit, "a_series": s}, u, K, grows=grows)


def _growth_certificate(fam: Any, x: Any, rule: str, wit: dict, u: tuple, K: int, grows: tuple | None = None) -> Any:
    """Attach the scope: the point x when u^T y_K(x) > 0, else the set u^T y_K > 0 with a witness point.

    ``grows`` is the vector whose functional tends to infinity (default u); an
    output row must dominate it.
    """
    wit.update(_output_witness(fam, grows or u) or {})
    name = "u" if grows is None else "w"
    if x is not None:
        if _uy(fam, u, x, K) > 0:
            return Certificate("diverges", rule, {"kind": "point", "x": x}, wit, fam)
        return f"{rule}: {name}^T y_{K}(x) = 0 at the given x, so the growth argument does not start"
    for p in _witness_candidates(fam.input_dim):
        if _uy(fam, u, p, K) > 0:
            wit["witness_point"] = p
            return Certificate("diverges", rule, {"kind": "set", "condition": set_condition(u, K, name)}, wit, fam)
    return f"{rule}: no point with {name}^T y_{K}(x) > 0 found"


def _uy(fam: Any, u: tuple, x: tuple, K: int) -> Fraction:
    y = prefix_state(fam, x)
    for n in range(fam.start, fam.start + K):
        y = relu_layer(*fam.layer(n), y)
    return sum((a * c for a, c in zip(u, y)), Fraction(0))


def _witness_candidates(dim: int) -> list:
    out = [(Fraction(0),) * dim]
    for c in (Fraction(1), Fraction(100), Fraction(-1), Fraction(-100)):
        out.append((c,) * dim)
        out += [tuple(c * (i == j) for j in range(dim)) for i in range(dim)]
    return out


def _rule_t7c(fam: Any, x: Any) -> Any:
    st = _stationary_layer(fam)
    if st is None:
        return "T7c: the family is not stationary"
    W, b = st
    if any(t < 0 for row in W for t in row) or any(t < 0 for t in b):
        return "T7c: the constant W or b has a negative entry"
    found = _perron_left(W)
    if found is None:
        return "T7c: no u >= 0 with u^T W >= lambda u^T for a lambda > 1 (Perron root <= 1?)"
    u, lam = found
    return _growth_certificate(fam, x, "T7c", {"u": u, "lambda": lam, "K": 1}, u, 1)


def _perron_left(W: tuple) -> tuple | None:
    """(u, lambda) with u >= 0 nonzero, lambda > 1 and u^T W >= lambda u^T, exactly."""
    import numpy as np

    m = len(W)
    cands = [tuple(Fraction(int(i == j)) for j in range(m)) for i in range(m)]
    vals, vecs = np.linalg.eig(np.array(W, dtype=float).T)
    k = int(np.argmax(vals.real))
    vec = np.abs(vecs[:, k].real)
    if vec.max() > 0:
        vec = vec / vec.max()
        cands.insert(0, tuple(Fraction(float(t)).limit_denominator(10**4) if t > 1e-9 else Fraction(0) for t in vec))
    best = None
    for u in cands:
        if not any(u):
            continue
        uW = [sum(u[i] * W[i][j] for i in range(m)) for j in range(m)]
        lam = min(a / t for a, t in zip(uW, u) if t > 0)
        if lam > 1 and (best is None or lam > best[1]):
            best = (u, lam)
    return best


# ---------------------------------------------------------------- T5
def necessary_report(fam: Any) -> dict:
    """The T5 report: the limits of W_n and b_n, whether W_n -> I and b_n -> 0, and what that implies.

    >>> from exactrelu.depth.family import Family
    >>> r = necessary_report(Family([["1 + 1/n"]], ["2^(-n)"]))
    >>> r["W_to_I"], r["b_to_0"], r["holds"]
    (True, True, True)
    """
    W, b = _formulas(fam)
    m = len(W)
    WL = [[_safe_limit(W[i][j]) for j in range(m)] for i in range(m)]
    bL = [_safe_limit(e) for e in b]
    W_to_I = _all_equal([(WL[i][j], int(i == j)) for i in range(m) for j in range(m)])
    b_to_0 = _all_equal([(t, 0) for t in bL])
    holds = None if None in (W_to_I, b_to_0) else (W_to_I and b_to_0)
    if holds:
        note = ("W_n -> I and b_n -> 0: the necessary condition of T5 holds. It is not sufficient "
                "(W_n = I + A/n with A >= 0 nonzero diverges, T7b).")
    elif holds is False:
        note = ("W_n does not tend to I or b_n does not tend to 0: by T5 there is no nonempty open set on which "
                "every neuron is eventually active and N_n converges to a limit with nonsingular Jacobian. "
                "The network may still converge to a degenerate (e.g. constant) limit, as T6 shows, or diverge.")
    else:
        note = "the limits of W_n and b_n could not be decided exactly, so T5 was not evaluated."
    show = lambda t: None if t is None else str(t)  # noqa: E731
    return {"W_limit": [[show(t) for t in row] for row in WL], "b_limit": [show(t) for t in bL],
            "W_to_I": W_to_I, "b_to_0": b_to_0, "holds": holds, "note": note}


def _all_equal(pairs: list) -> bool | None:
    """True if every limit equals its target, False if one is known to differ, None if undecided."""
    if any(t is not None and t != target for t, target in pairs):
        return False
    return True if all(t is not None for t, _ in pairs) else None


def _safe_limit(e: Any) -> Any:
    try:
        return _limit(e)
    except (ValueError, ArithmeticError, TypeError, NotImplementedError):  # e.g. a pole: undecided
        return None


def _limit(e: Any) -> Any:
    """lim_{n -> inf} e exactly: a sympy number, "none" (no finite limit), or None (undecided).

    Rational functions by degrees; sums term by term; a product with a factor
    tending to 0 and bounded other factors ((-1)^n, sin, cos) tends to 0; a
    term with a summability certificate tends to 0; otherwise sympy's limit,
    trusted only for a finite number, +-oo or bounds.
    """
    n = _n()
    if not e.has(n):
        return e
    if e.is_rational_function(n):
        p, q = exactpoly.rational_function_from_sympy(e, n)
        if p.degree() < q.degree():
            return sympy.Integer(0)
        if p.degree() > q.degree():
            return "none"
        return sympy.Rational(int(p.leading_coefficient()), int(q.leading_coefficient()))
    if e.is_Add:
        parts = [_limit(t) for t in e.args]
        if all(t is not None and t != "none" for t in parts):
            return sympy.Add(*parts)
    if e.is_Mul:
        bounded = [f for f in e.args if _bounded(f)]
        rest = sympy.Mul(*[f for f in e.args if not _bounded(f)])
        if bounded and rest.has(n) and _limit(rest) == 0:
            return sympy.Integer(0)
    from .series import summability

    try:
        if summability(e).verdict == "summable":
            return sympy.Integer(0)  # the terms of a convergent series tend to 0
    except Exception:  # an unsupported term: fall through
        pass
    if e.has(sympy.factorial, sympy.binomial):
        return None  # sympy's limit can take many seconds here (gruntz); report undecided instead
    try:
        lim = sympy.limit(e, n, sympy.oo)
    except Exception:  # sympy's limit is heuristic outside rational functions
        return None
    if lim.is_number and lim.is_real and lim.is_finite and not lim.has(sympy.AccumBounds):
        return lim
    if lim in (sympy.oo, -sympy.oo) or isinstance(lim, sympy.AccumBounds):
        return "none"
    return None


def _bounded(f: Any) -> bool:
    """|f(n)| <= 1 for every n: (-1)^(integer polynomial), sin(.), cos(.)."""
    if f.is_Pow and f.base == -1 and f.exp.is_polynomial(_n()):
        return True
    return isinstance(f, (sympy.sin, sympy.cos))


# ----------------------------------------------------------- evidence
def numerical_evidence(fam: Any, points: list, depths: tuple = (8, 64, 512)) -> tuple:
    """Floating-point differences ||N_2d(x) - N_d(x)|| at several depths and points: evidence, not proof.

    >>> from exactrelu.depth.family import Family
    >>> ev = numerical_evidence(Family([["1"]], ["1/n"]), [(Fraction(0),)], depths=(8,))
    >>> round(ev[0]["difference"], 3), ev[0]["kind"]  # H_16 - H_8
    (0.663, 'floating-point evidence, not proof')
    """
    import numpy as np

    from ..nets.contexts import NumpyContext, read_inputs

    layers = _float_layers(fam, 2 * max(depths))
    if layers is None:
        return ({"note": "the formulas could not be evaluated in floating point"},)
    ctx = NumpyContext()  # float64 through the forward kernel; the formula layers are floats already
    prefix = [(ctx.layer(W, b, f"prefix layer {i}"), True) for i, (W, b) in enumerate(fam.prefix)]
    output = [] if fam.output is None else [(ctx.layer(*fam.output, "output layer"), False)]
    steps = [[(ctx.native_layer(W, b), True)] for W, b in layers]
    out = []
    for x in points:
        states = {}
        with np.errstate(all="ignore"):
            Y = ctx.run(prefix, ctx.batch(read_inputs([x], len(x))))
            for d, step in enumerate(steps, start=1):
                Y = ctx.run(step, Y)
                if d in depths or d // 2 in depths and d % 2 == 0:
                    states[d] = ctx.run(output, Y)[0].copy()
        for d in depths:
            diff = float(np.max(np.abs(states[2 * d] - states[d]))) if states[d].size else 0.0
            out.append({"x": [float(t) for t in x], "depth": d, "difference": diff if math.isfinite(diff) else "overflow",
                        "kind": "floating-point evidence, not proof"})
    return tuple(out)


def _float_output(fam: Any, y: Any) -> Any:
    import numpy as np

    if fam.output is None:
        return y.copy()
    Wo, bo = fam.output
    return np.array(Wo, dtype=float) @ y + np.array(bo, dtype=float)


def _float_layers(fam: Any, count: int) -> list | None:
    """W_n, b_n as float arrays for n = start .. start + count - 1 (lambdify on parsed expressions)."""
    import numpy as np

    W, b = _formulas(fam)
    m = len(W)
    ns = np.arange(fam.start, fam.start + count, dtype=float)
    try:
        Wv = [[_float_values(W[i][j], ns) for j in range(m)] for i in range(m)]
        bv = [_float_values(e, ns) for e in b]
    except Exception:  # an unsupported function in floating point: no evidence rather than a crash
        return None
    return [(np.array([[Wv[i][j][k] for j in range(m)] for i in range(m)]), np.array([bv[i][k] for i in range(m)]))
            for k in range(count)]


def _float_values(e: Any, ns: Any) -> Any:
    import mpmath
    import numpy as np

    n = _n()
    if not e.has(n):
        return np.full(ns.shape, float(e))
    f = sympy.lambdify(n, e, modules="mpmath")
    vals = []
    for k in ns:
        try:
            vals.append(float(f(mpmath.mpf(int(k)))))
        except (OverflowError, ValueError):
            vals.append(math.inf)
    return np.array(vals)
