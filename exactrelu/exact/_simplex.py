"""Internal: an exact revised simplex method for standard-form LPs over the rationals.

Solves ``min f.y  subject to  M y = g, y >= 0`` with ``M`` an ``r x N`` flint
``fmpq_mat`` where ``r`` is small (the number of variables of the user's
inequality-form LP) and ``N`` may be large (its number of constraints).  The
basis matrix is only ``r x r``, so each pivot costs one small exact inverse and
one ``N x r`` product, both done by flint in C.

Pivoting uses Dantzig's rule (most negative reduced cost) while pivots make
progress and switches to Bland's rule (smallest index) for good after a run of
degenerate pivots; Bland's rule never cycles, so the method always terminates.
Phase 1 uses one artificial column per row; artificials that stay basic at
level zero after phase 1 sit on rows that are linear combinations of the
others and never move again.

Everything here is exact (flint ``fmpq``); no float is ever consulted.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import flint

__all__ = ["SimplexOutcome", "simplex"]

# Degenerate pivots in a row before switching from Dantzig's rule to Bland's.
_DEGENERATE_STREAK = 8


class SimplexOutcome(NamedTuple):
    """status: "optimal" | "unbounded" | "infeasible".

    optimal: ``y`` optimal, ``pi`` the simplex multipliers (f - M^T pi >= 0).
    unbounded: ``y`` feasible, ``ray`` with M ray = 0, ray >= 0, f.ray < 0.
    infeasible: ``pi`` with M^T pi <= 0 and g.pi > 0 (a Farkas vector).
    """

    status: str
    y: list | None
    pi: list | None
    ray: list | None


def _q(v) -> flint.fmpq:
    """An int, Fraction or fmpq as an fmpq."""
    if isinstance(v, flint.fmpq):
        return v
    if isinstance(v, int):
        return flint.fmpq(v)
    return flint.fmpq(v.numerator, v.denominator)


def _basis_inverse(M: flint.fmpq_mat, basis: Sequence[int], r: int, nreal: int) -> flint.fmpq_mat:
    # Artificial column k (index nreal + k) is the unit vector e_k.
    entries = []
    for i in range(r):
        for j in basis:
            entries.append(M[i, j] if j < nreal else (flint.fmpq(1) if j - nreal == i else flint.fmpq(0)))
    return flint.fmpq_mat(r, r, entries).inv()


def _column(M: flint.fmpq_mat, j: int, r: int, nreal: int) -> flint.fmpq_mat:
    if j < nreal:
        return flint.fmpq_mat(r, 1, [M[i, j] for i in range(r)])
    return flint.fmpq_mat(r, 1, [1 if i == j - nreal else 0 for i in range(r)])


def _choose_entering(cost: list, d: flint.fmpq_mat, basis: list, nreal: int, bland: bool) -> int | None:
    inb = set(basis)
    best, best_val = None, flint.fmpq(0)
    for j in range(nreal):
        if j in inb:
            continue
        rc = cost[j] - d[j, 0]
        if rc < 0:
            if bland:
                return j
            if rc < best_val:
                best, best_val = j, rc
    return best


def _choose_leaving(xB: flint.fmpq_mat, u: flint.fmpq_mat, basis: list) -> int | None:
    leave, best = None, None
    for k in range(len(basis)):
        if u[k, 0] > 0:
            ratio = xB[k, 0] / u[k, 0]
            if best is None or ratio < best or (ratio == best and basis[k] < basis[leave]):
                leave, best = k, ratio
    return leave


def _iterate(M, MT, g, cost, basis, r, nreal):
    """Run simplex pivots from a feasible ``basis`` until optimal or unbounded."""
    bland, streak = False, 0
    while True:
        Binv = _basis_inverse(M, basis, r, nreal)
        xB = Binv * g
        pi = Binv.transpose() * flint.fmpq_mat(r, 1, [cost[j] for j in basis])
        d = MT * pi  # d[j] = M_j . pi for the real columns
        enter = _choose_entering(cost, d, basis, nreal, bland)
        if enter is None:
            return "optimal", basis, xB, pi, None
        u = Binv * _column(M, enter, r, nreal)
        leave = _choose_leaving(xB, u, basis)
        if leave is None:
            return "unbounded", basis, xB, pi, (enter, u)
        streak = streak + 1 if xB[leave, 0] == 0 else 0
        bland = bland or streak >= _DEGENERATE_STREAK
        basis[leave] = enter


def _drive_out_artificials(M, basis, r, nreal):
    """Pivot zero-level artificials out of the basis where a real column can replace them."""
    for k in range(r):
        if basis[k] < nreal:
            continue
        Binv = _basis_inverse(M, basis, r, nreal)
        row = flint.fmpq_mat(1, r, [Binv[k, i] for i in range(r)]) * M
        inb = set(basis)
        for j in range(nreal):
            if j not in inb and row[0, j] != 0:
                basis[k] = j  # degenerate pivot: the artificial is at level zero
                break


def _dense(xB, basis, nreal) -> list:
    y = [flint.fmpq(0)] * nreal
    for k, j in enumerate(basis):
        if j < nreal:
            y[j] = xB[k, 0]
    return y


def simplex(
    M: flint.fmpq_mat, g: Sequence, f: Sequence, start: Sequence[int] | None = None, warm_only: bool = False
) -> SimplexOutcome | None:
    """Solve min f.y s.t. M y = g, y >= 0 exactly.

    ``start`` is an optional basis (r column indices); when it is feasible, phase 1 is
    skipped.  With ``warm_only`` an infeasible or singular ``start`` returns None
    instead of solving from scratch.
    """
    r, nreal = M.nrows(), M.ncols()
    g = [_q(v) for v in g]
    f = [_q(v) for v in f]
    if start is not None:
        if _feasible_basis(M, g, start, r, nreal):
            basis = list(start)
            MT = M.transpose()
            gcol = flint.fmpq_mat(r, 1, g)
            return _phase2(M, MT, gcol, f, basis, r, nreal, [1] * r)
        if warm_only:
            return None
    # Phase 1: flip rows so that g >= 0, then minimise the sum of artificials.
    signs = [-1 if v < 0 else 1 for v in g]
    Ms = flint.fmpq_mat(r, nreal, [signs[i] * M[i, j] for i in range(r) for j in range(nreal)])
    MT = Ms.transpose()
    gcol = flint.fmpq_mat(r, 1, [signs[i] * g[i] for i in range(r)])
    cost1 = [flint.fmpq(0)] * nreal + [flint.fmpq(1)] * r
    basis = list(range(nreal, nreal + r))
    _, basis, xB, pi, _ = _iterate(Ms, MT, gcol, cost1, basis, r, nreal)
    infeas = sum((xB[k, 0] for k in range(r) if basis[k] >= nreal), flint.fmpq(0))
    if infeas > 0:
        return SimplexOutcome("infeasible", None, [signs[i] * pi[i, 0] for i in range(r)], None)
    _drive_out_artificials(Ms, basis, r, nreal)
    return _phase2(Ms, MT, gcol, f, basis, r, nreal, signs)


def _feasible_basis(M, g, start, r, nreal) -> bool:
    if len(start) != r or len(set(start)) != r or any(not 0 <= j < nreal for j in start):
        return False
    try:
        Binv = _basis_inverse(M, start, r, nreal)
    except ZeroDivisionError:
        return False
    xB = Binv * flint.fmpq_mat(r, 1, g)
    return all(xB[k, 0] >= 0 for k in range(r))


def _phase2(M, MT, gcol, f, basis, r, nreal, signs) -> SimplexOutcome:
    cost = list(f) + [flint.fmpq(0)] * r
    status, basis, xB, pi, extra = _iterate(M, MT, gcol, cost, basis, r, nreal)
    y = _dense(xB, basis, nreal)
    pi_list = [signs[i] * pi[i, 0] for i in range(r)]
    if status == "optimal":
        return SimplexOutcome("optimal", y, pi_list, None)
    enter, u = extra
    ray = [flint.fmpq(0)] * nreal
    ray[enter] = flint.fmpq(1)
    for k, j in enumerate(basis):
        if j < nreal:
            ray[j] = -u[k, 0]
    return SimplexOutcome("unbounded", y, pi_list, ray)
