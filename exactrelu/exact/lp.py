"""Exact linear programming over the rationals, with exactly verified certificates.

:func:`solve_lp` solves ``min`` (or ``max``) ``c.x`` subject to
``A_ub x <= b_ub`` and ``A_eq x == b_eq`` with ``x`` free in ``R^n``.  Every
answer comes with evidence that :func:`verify_lp` re-checks in exact
rational arithmetic before it is returned:

* ``"optimal"``: a feasible ``x`` and dual multipliers ``(y, w)``, ``y >= 0``,
  with ``A_ub^T y + A_eq^T w = s c`` and ``b_ub.y + b_eq.w = s value`` where
  ``s = +1`` when maximising and ``s = -1`` when minimising (weak duality then
  proves that no feasible point does better; equality proves optimality);
* ``"infeasible"``: a Farkas vector ``(y, w)``, ``y >= 0``, with
  ``A_ub^T y + A_eq^T w = 0`` and ``b_ub.y + b_eq.w < 0``;
* ``"unbounded"``: a feasible ``x`` and a ray ``r`` with ``A_ub r <= 0``,
  ``A_eq r = 0`` and ``c.r`` improving (``< 0`` when minimising, ``> 0`` when
  maximising).

How the evidence is found: by default a float LP (HiGHS through highspy or
scipy, imported lazily: :mod:`exactrelu.exact.float_lp`) proposes an optimal
basis or a Farkas support on larger LPs, and the exact revised simplex of
:mod:`exactrelu.exact._simplex` is warm-started from it (zero pivots when the
proposal is right).  On small LPs, when no float LP solver is installed, when
the proposal is wrong, or with ``guide=False`` (or the module switch
:data:`USE_FLOAT_GUIDE` off), the exact simplex runs from scratch.  Floats
never decide anything.

>>> r = solve_lp([1, 1], A_ub=[[-1, 0], [0, -1]], b_ub=[0, "-1/2"])
>>> r.status, r.x, r.value
('optimal', (Fraction(0, 1), Fraction(1, 2)), Fraction(1, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction
from typing import Any, Sequence

import flint

from ._simplex import simplex
from .errors import VerificationError
from .jsonio import envelope, no_unknown_keys, read_envelope
from .numbers import fraction_str, to_fraction, to_matrix, to_vector

__all__ = ["LPResult", "LPCertificate", "solve_lp", "verify_lp", "USE_FLOAT_GUIDE"]

#: Module switch for ``guide=None``: True lets a float LP (HiGHS) propose solutions, verified
#: exactly, on LPs large enough to profit; "always" uses it on every LP; False never.
USE_FLOAT_GUIDE: bool | str = True

# With guide=None the float guide is used only on LPs where it pays off: a HiGHS call costs
# several milliseconds of overhead, more than the exact simplex needs on small LPs
# (benchmarks/lp.py: exact wins below ~5 variables x 80 rows, the guide wins by 2-9x from
# 6 variables or a few hundred rows on).
_GUIDE_MIN_VARIABLES = 6
_GUIDE_MIN_SIZE = 400  # variables x rows

_F0 = Fraction(0)
LP_FORMAT = "exactrelu.lp-result"
_RESULT_KEYS = {"status", "method", "x", "value", "certificate"}


def _strings(v: Sequence) -> list:
    return [fraction_str(t) for t in v]


@dataclass(frozen=True)
class LPCertificate:
    """Exact evidence for an LP answer.

    kind "dual" (optimal) or "farkas" (infeasible): ``ineq`` (one multiplier
    per row of ``A_ub``, all >= 0) and ``eq`` (one per row of ``A_eq``).
    kind "ray" (unbounded): ``ray``, an improving recession direction.
    """

    kind: str
    ineq: tuple = ()
    eq: tuple = ()
    ray: tuple = ()


@dataclass(frozen=True)
class LPResult:
    """Result of :func:`solve_lp`: ``status``, ``x`` (None when infeasible),
    ``value`` (None unless optimal), ``certificate`` (:class:`LPCertificate`),
    ``method`` ("guided" or "exact": which path produced the evidence)."""

    status: str
    x: tuple | None
    value: Fraction | None
    certificate: LPCertificate
    method: str = "exact"

    def to_json(self) -> dict:
        """The result as a JSON-ready dict, numbers as exact rational strings.

        >>> r = solve_lp([1], A_ub=[[-1]], b_ub=["-1/3"])
        >>> d = r.to_json(); d["status"], d["x"], d["value"]
        ('optimal', ['1/3'], '1/3')
        >>> LPResult.from_json(d) == r
        True
        """
        vec = _strings
        cert = self.certificate
        return envelope(
            LP_FORMAT, 1, status=self.status, method=self.method,
            x=None if self.x is None else vec(self.x),
            value=None if self.value is None else fraction_str(self.value),
            certificate={"kind": cert.kind, "ineq": vec(cert.ineq), "eq": vec(cert.eq), "ray": vec(cert.ray)},
        )

    @classmethod
    def from_json(cls, source: Any) -> "LPResult":
        """Read a result from a path, JSON string or dict (exact; check it against its LP with :func:`verify_lp`)."""
        data = read_envelope(source, "LP result", LP_FORMAT, 1, _RESULT_KEYS, tuple(_RESULT_KEYS))
        if data["status"] not in ("optimal", "infeasible", "unbounded") or data["method"] not in ("exact", "guided"):
            raise ValueError(f"LP result JSON: unknown status {data['status']!r} or method {data['method']!r}")
        cert = data["certificate"]
        if not isinstance(cert, dict):
            raise ValueError("LP result JSON: key 'certificate' must be an object")
        no_unknown_keys(cert, {"kind", "ineq", "eq", "ray"}, "LP result JSON: certificate")
        if cert.get("kind") not in ("dual", "farkas", "ray"):
            raise ValueError(f"LP result JSON: certificate kind {cert.get('kind')!r} is not dual, farkas or ray")
        parts = {k: to_vector(cert.get(k, []), f"LP result JSON: certificate {k}") for k in ("ineq", "eq", "ray")}
        x = None if data["x"] is None else to_vector(data["x"], "LP result JSON: x")
        value = None if data["value"] is None else to_fraction(data["value"], "LP result JSON: value")
        return cls(data["status"], x, value, LPCertificate(cert["kind"], **parts), data["method"])


@dataclass(frozen=True)
class _Problem:
    c: tuple
    A: tuple
    b: tuple
    E: tuple
    e: tuple
    maximize: bool

    @property
    def n(self) -> int:
        return len(self.c)

    # flint copies of the data, made once: verification and the simplex both use them
    @cached_property
    def qA(self) -> flint.fmpq_mat:
        return _qmat(self.A, self.n)

    @cached_property
    def qE(self) -> flint.fmpq_mat:
        return _qmat(self.E, self.n)

    @cached_property
    def qM(self) -> flint.fmpq_mat:
        """The dual standard-form matrix [A; E; -E]^T (n x (m + 2q))."""
        qa, qe = self.qA.entries() if self.A else [], self.qE.entries() if self.E else []
        rows = len(self.A) + 2 * len(self.E)
        return flint.fmpq_mat(rows, self.n, list(qa) + list(qe) + [-v for v in qe]).transpose()


def _q(v: Fraction) -> flint.fmpq:
    return flint.fmpq(v.numerator, v.denominator)


def _qmat(rows: Sequence, ncols: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(len(rows), ncols, [_q(v) for r in rows for v in r])


def _qcol(v: Sequence) -> flint.fmpq_mat:
    return flint.fmpq_mat(len(v), 1, [_q(x) for x in v])


def _dot(u: Sequence, v: Sequence) -> Fraction:
    return sum((a * b for a, b in zip(u, v) if a and b), _F0)


def _rows(A: Any, b: Any, n: int, name: str) -> tuple[tuple, tuple]:
    A = () if A is None else A
    b = () if b is None else b
    if len(A) == 0 and len(b) == 0:
        return (), ()
    Am = to_matrix(A, where=f"A_{name}")
    bv = to_vector(b, where=f"b_{name}")
    if len(Am) != len(bv):
        raise ValueError(f"A_{name} has {len(Am)} rows but b_{name} has {len(bv)} entries")
    for i, row in enumerate(Am):
        if len(row) != n:
            raise ValueError(f"A_{name}, row {i}: expected {n} entries (the length of c), got {len(row)}")
    return Am, bv


def _fraction_vector(v: Sequence) -> tuple:
    return tuple(Fraction(int(q.p), int(q.q)) for q in v)


# ----------------------------------------------------------------------------------------------
# verification (pure Fraction arithmetic, independent of how the answer was found)


def _check_dual(P: _Problem, y: tuple, w: tuple, target: Sequence) -> Fraction | None:
    """If y >= 0 and A^T y + E^T w == target, return b.y + e.w, else None (exact, flint)."""
    if len(y) != len(P.A) or len(w) != len(P.E) or any(v < 0 for v in y):
        return None
    combo = flint.fmpq_mat(P.n, 1)
    if y:
        combo += P.qA.transpose() * _qcol(y)
    if w:
        combo += P.qE.transpose() * _qcol(w)
    if any(combo[k, 0] != _q(target[k]) for k in range(P.n)):
        return None
    return _dot(P.b, y) + _dot(P.e, w)


def _feasible(P: _Problem, x: tuple) -> bool:
    if len(x) != P.n:
        return False
    qx = _qcol(x)
    if P.A:
        Ax = P.qA * qx
        if any(Ax[i, 0] > _q(bi) for i, bi in enumerate(P.b)):
            return False
    if P.E:
        Ex = P.qE * qx
        if any(Ex[i, 0] != _q(ei) for i, ei in enumerate(P.e)):
            return False
    return True


def _verify(P: _Problem, res: LPResult) -> bool:
    return _defect(P, res) is None


def _defect(P: _Problem, res: LPResult) -> str | None:
    """Why ``res`` is not a certified answer to ``P`` (None when it is), decided exactly."""
    s = 1 if P.maximize else -1
    cert = res.certificate
    if res.status == "optimal":
        if cert.kind != "dual" or res.x is None or not _feasible(P, res.x):
            return "an optimum needs a feasible point x and a dual certificate"
        bound = _check_dual(P, cert.ineq, cert.eq, [s * ci for ci in P.c])
        if bound is None:
            return "the dual multipliers are negative or do not combine to the objective"
        if res.value != _dot(P.c, res.x) or bound != s * res.value:
            return "the value is not c.x, or the dual bound does not equal it (no zero duality gap)"
        return None
    if res.status == "infeasible":
        if cert.kind != "farkas":
            return "infeasibility needs a Farkas certificate"
        rhs = _check_dual(P, cert.ineq, cert.eq, [_F0] * P.n)
        return None if rhs is not None and rhs < 0 else "the Farkas combination is not 0 <= (negative)"
    if res.status == "unbounded":
        return _ray_defect(P, res, s)
    return f"unknown status {res.status!r}"


def _ray_defect(P: _Problem, res: LPResult, s: int) -> str | None:
    r = res.certificate.ray
    if res.certificate.kind != "ray" or res.x is None or not _feasible(P, res.x) or len(r) != P.n:
        return "unboundedness needs a feasible point x and a ray"
    qr = _qcol(r)
    if P.A and any((P.qA * qr)[i, 0] > 0 for i in range(len(P.A))):
        return "the ray leaves the feasible set (A r <= 0 fails)"
    if P.E and any((P.qE * qr)[i, 0] != 0 for i in range(len(P.E))):
        return "the ray leaves the equations (E r = 0 fails)"
    return None if s * _dot(P.c, r) > 0 else "the objective does not improve along the ray"


def verify_lp(
    c: Any, A_ub: Any = (), b_ub: Any = (), A_eq: Any = (), b_eq: Any = (), *, result: LPResult, maximize: bool = False
) -> bool:
    """Check exactly that ``result`` is a correct, certified answer to the LP: True, or VerificationError saying why.

    >>> r = solve_lp([1], A_ub=[[1], [-1]], b_ub=[1, -2])
    >>> r.status, verify_lp([1], [[1], [-1]], [1, -2], result=r)
    ('infeasible', True)
    >>> import dataclasses
    >>> bad = dataclasses.replace(r, certificate=LPCertificate("farkas", (Fraction(1), Fraction(2)), ()))
    >>> verify_lp([1], [[1], [-1]], [1, -2], result=bad)
    Traceback (most recent call last):
    ...
    exactrelu.exact.errors.VerificationError: LP result 'infeasible' not certified: the Farkas combination is not 0 <= (negative)
    """
    defect = _defect(_problem(c, A_ub, b_ub, A_eq, b_eq, maximize), result)
    if defect is not None:
        raise VerificationError(f"LP result {result.status!r} not certified: {defect}")
    return True


def _problem(c, A_ub, b_ub, A_eq, b_eq, maximize) -> _Problem:
    cv = to_vector(c, where="c")
    A, b = _rows(A_ub, b_ub, len(cv), "ub")
    E, e = _rows(A_eq, b_eq, len(cv), "eq")
    return _Problem(cv, A, b, E, e, bool(maximize))


# ----------------------------------------------------------------------------------------------
# the dual standard form solved by the exact simplex
#
# For min c.x s.t. A x <= b (equations split into two inequalities), the dual
# is  min b.y  s.t.  A^T y = -c, y >= 0:  n rows, one column per constraint.
# Its simplex multipliers pi are an optimal x; a dual ray is a Farkas vector;
# a phase-1 failure (dual infeasible) yields a primal improving ray.


def _stacked(P: _Problem) -> tuple[list, list]:
    rows = list(P.A) + list(P.E) + [tuple(-v for v in a) for a in P.E]
    rhs = list(P.b) + list(P.e) + [-v for v in P.e]
    return rows, rhs


def _split_multipliers(P: _Problem, y: Sequence) -> tuple[tuple, tuple]:
    m, q = len(P.A), len(P.E)
    ineq = tuple(y[:m])
    eq = tuple(y[m + i] - y[m + q + i] for i in range(q))
    return ineq, eq


def _min_cost(P: _Problem) -> tuple:
    return tuple(-v for v in P.c) if P.maximize else P.c


def _from_outcome(P: _Problem, out, method: str) -> LPResult | None:
    """Turn a simplex outcome on the dual into a primal LPResult (None: need a feasibility pass)."""
    if out.status == "optimal":
        x = _fraction_vector(out.pi)
        ineq, eq = _split_multipliers(P, _fraction_vector(out.y))
        value = _dot(P.c, x)
        return LPResult("optimal", x, value, LPCertificate("dual", ineq, eq), method)
    if out.status == "unbounded":  # the dual is unbounded: its ray is a Farkas vector
        ineq, eq = _split_multipliers(P, _fraction_vector(out.ray))
        return LPResult("infeasible", None, None, LPCertificate("farkas", ineq, eq), method)
    return None  # dual infeasible: primal infeasible or unbounded


def _solve_exact(P: _Problem, start: Sequence[int] | None = None, method: str = "exact") -> LPResult | None:
    """The exact simplex on the dual; with ``start``, only a warm start from it (else None)."""
    _, rhs = _stacked(P)
    cmin = _min_cost(P)
    out = simplex(P.qM, [-_q(v) for v in cmin], rhs, start, warm_only=start is not None)
    if out is None:
        return None
    res = _from_outcome(P, out, method)
    if res is not None:
        return res
    ray = _fraction_vector(out.pi)  # A ray <= 0, E ray = 0, cmin.ray < 0
    feas = _solve_exact(_Problem((_F0,) * P.n, P.A, P.b, P.E, P.e, False))
    if feas.status == "infeasible":
        return LPResult("infeasible", None, None, feas.certificate, method)
    return LPResult("unbounded", feas.x, None, LPCertificate("ray", ray=ray), method)


def _solve_zero_dim(P: _Problem) -> LPResult:
    """Variables in R^0: the constraints read 0 <= b_i and 0 == e_i."""
    for i, bi in enumerate(P.b):
        if bi < 0:
            y = tuple(Fraction(int(k == i)) for k in range(len(P.b)))
            return LPResult("infeasible", None, None, LPCertificate("farkas", y, (_F0,) * len(P.e)))
    for i, ei in enumerate(P.e):
        if ei != 0:
            w = tuple(Fraction(-1 if ei > 0 else 1) if k == i else _F0 for k in range(len(P.e)))
            return LPResult("infeasible", None, None, LPCertificate("farkas", (_F0,) * len(P.b), w))
    zero = LPCertificate("dual", (_F0,) * len(P.b), (_F0,) * len(P.e))
    return LPResult("optimal", (), _F0, zero)


# ----------------------------------------------------------------------------------------------
# the float guide: HiGHS proposes, the exact simplex verifies (and repairs) from its proposal


def _guided(P: _Problem) -> LPResult | None:
    import numpy as np

    from .float_lp import minimize

    rows, rhs = _stacked(P)
    try:
        A = np.array([[float(v) for v in r] for r in rows], dtype=float).reshape(len(rows), P.n)
        b = np.array([float(v) for v in rhs], dtype=float)
        c = np.array([float(v) for v in _min_cost(P)], dtype=float)
    except OverflowError:
        return None
    res = minimize(c, A, b)  # None for data that are not finite, or without a float solver
    if res is None:
        return None
    if res.status == "optimal":
        return _guided_optimal(P, rows, A, b, res)
    if res.status == "infeasible":
        return _guided_farkas(P, A, b)
    return None  # unbounded or numerical trouble: the exact path decides


def _independent_rows(A, order, n: int) -> list[int]:
    """Greedily pick up to n rows of A (float) in the given order that look linearly independent."""
    import numpy as np

    chosen: list[int] = []
    Q = np.zeros((0, n))
    for i in order:
        v = A[i].astype(float)
        norm = np.linalg.norm(v)
        if norm == 0:
            continue
        resid = v - Q.T @ (Q @ v)
        rn = np.linalg.norm(resid)
        if rn > 1e-9 * norm:
            chosen.append(int(i))
            Q = np.vstack([Q, resid / rn])
            if len(chosen) == n:
                break
    return chosen


def _guided_optimal(P: _Problem, rows, A, b, res) -> LPResult | None:
    import numpy as np

    marg = res.marginals if res.marginals is not None else np.zeros(len(rows))
    slack = b - A @ res.x
    scale = 1.0 + np.abs(b)
    active = np.where((slack <= 1e-7 * scale) | (marg > 1e-9))[0]
    order = sorted(active, key=lambda i: (-marg[i], slack[i] / scale[i]))
    basis = _independent_rows(A, order, P.n)
    if len(basis) != P.n:
        return _float_point_if_feasible(P, res.x) if not any(P.c) else None
    basis = _orient_equations(P, basis)
    return _solve_exact(P, start=basis, method="guided")  # warm start: zero pivots if right


def _float_point_if_feasible(P: _Problem, x) -> LPResult | None:
    """For c = 0 any feasible point is optimal: try the float point itself, read exactly."""
    point = tuple(Fraction(float(v)) for v in x)
    if not _feasible(P, point):
        return None
    zero = LPCertificate("dual", (_F0,) * len(P.A), (_F0,) * len(P.E))
    return LPResult("optimal", point, _F0, zero, "guided")


def _orient_equations(P: _Problem, basis: list[int]) -> list[int]:
    """For an equation, the basis may hold either copy (+E or -E); pick the one with y >= 0."""
    m, q = len(P.A), len(P.E)
    if q == 0:
        return basis
    M = P.qM
    cmin = _min_cost(P)
    try:
        B = flint.fmpq_mat(P.n, P.n, [M[i, j] for i in range(P.n) for j in basis]).inv()
    except ZeroDivisionError:
        return basis
    yB = B * flint.fmpq_mat(P.n, 1, [-flint.fmpq(v.numerator, v.denominator) for v in cmin])
    out = list(basis)
    for k, j in enumerate(basis):
        if j >= m and yB[k, 0] < 0:
            out[k] = j + q if j < m + q else j - q
    return out


def _guided_farkas(P: _Problem, A, b) -> LPResult | None:
    """Ask HiGHS for y >= 0 with A^T y = 0, b.y = -1, then confirm its support exactly."""
    import numpy as np

    from .float_lp import minimize

    m = A.shape[0]
    Aeq = np.vstack([A.T, b.reshape(1, -1)])
    beq = np.zeros(P.n + 1)
    beq[-1] = -1.0
    # y >= 0 and Aeq y = beq, as inequalities in free variables
    res = minimize(np.zeros(m), np.vstack([-np.eye(m), Aeq, -Aeq]), np.concatenate([np.zeros(m), beq, -beq]))
    if res is None or res.status != "optimal":
        return None
    order = sorted(range(m), key=lambda j: -res.x[j])
    support = [j for j in order if res.x[j] > 1e-12]
    rest = [j for j in order if res.x[j] <= 1e-12]
    basis = _independent_rows(Aeq.T, support + rest, P.n + 1)
    if len(basis) != P.n + 1:
        return None
    _, rhs = _stacked(P)
    Mf = flint.fmpq_mat(P.n + 1, m, list(P.qM.entries()) + [_q(v) for v in rhs])
    g = [0] * P.n + [-1]
    out = simplex(Mf, g, [0] * m, start=basis, warm_only=True)
    if out is None or out.status != "optimal":
        return None
    ineq, eq = _split_multipliers(P, _fraction_vector(out.y))
    return LPResult("infeasible", None, None, LPCertificate("farkas", ineq, eq), "guided")


# ----------------------------------------------------------------------------------------------


def solve_lp(
    c: Any,
    A_ub: Any = (),
    b_ub: Any = (),
    A_eq: Any = (),
    b_eq: Any = (),
    *,
    maximize: bool = False,
    guide: bool | None = None,
) -> LPResult:
    """Solve an LP exactly over the rationals and return an exactly verified result.

    ``x`` is free (add bounds as rows of ``A_ub``).  ``guide=True`` asks the float
    guide first, ``guide=False`` forces the pure exact simplex, and ``guide=None``
    (default) uses the guide on larger LPs where it is faster, unless the module
    switch :data:`USE_FLOAT_GUIDE` is off.  Raises ``ValueError`` on malformed input (naming the row/entry).

    >>> r = solve_lp([1, 2], A_ub=[[1, 1], [-1, 0], [0, -1]], b_ub=[4, 0, 0], maximize=True)
    >>> r.status, r.x, r.value
    ('optimal', (Fraction(0, 1), Fraction(4, 1)), Fraction(8, 1))
    >>> solve_lp([1], A_ub=[[-1]], b_ub=[0], maximize=True, guide=False).status
    'unbounded'
    """
    P = _problem(c, A_ub, b_ub, A_eq, b_eq, maximize)
    return _solve(P, guide)


def _want_guide(P: _Problem, guide: bool | None) -> bool:
    if guide is not None:
        return guide
    if not USE_FLOAT_GUIDE or USE_FLOAT_GUIDE == "always":
        return bool(USE_FLOAT_GUIDE)
    rows = len(P.A) + 2 * len(P.E)
    return P.n >= _GUIDE_MIN_VARIABLES or P.n * rows >= _GUIDE_MIN_SIZE


def _solve(P: _Problem, guide: bool | None = None) -> LPResult:
    if P.n == 0:
        res = _solve_zero_dim(P)
    else:
        if _want_guide(P, guide):
            res = _guided(P)
            if res is not None and _verify(P, res):
                return res
        res = _solve_exact(P)
    if not _verify(P, res):  # pragma: no cover - would be a bug in the simplex
        raise AssertionError(f"exact LP produced an unverifiable {res.status} answer")
    return res
