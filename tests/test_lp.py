"""Tests for exactrelu.exact.lp: exact LP with exactly verified certificates, guided and unguided."""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
from fractions import Fraction

import flint
import pytest

from exactrelu.exact.errors import VerificationError
from hypothesis import given
from hypothesis import strategies as st

import exactrelu.exact.lp as lp
from exactrelu.exact._simplex import simplex
from exactrelu.exact.lp import LPCertificate, LPResult, solve_lp, verify_lp

F = Fraction


@pytest.fixture(params=["always", False], ids=["guided", "exact"])
def guide(request, monkeypatch):
    """Run a test with the float guide on and off (module switch and argument agree)."""
    monkeypatch.setattr(lp, "USE_FLOAT_GUIDE", request.param)
    return request.param


small = st.integers(-3, 3)


@st.composite
def lps(draw, max_n=3, max_m=6, max_q=2):
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(0, max_m))
    q = draw(st.integers(0, max_q))
    A = [[draw(small) for _ in range(n)] for _ in range(m)]
    b = [draw(small) for _ in range(m)]
    E = [[draw(small) for _ in range(n)] for _ in range(q)]
    e = [draw(small) for _ in range(q)]
    c = [draw(small) for _ in range(n)]
    return c, A, b, E, e, draw(st.booleans())


def _solve_square(rows, rhs):
    """Exact solution of a square system, or None if singular (independent of lp.py: flint)."""
    n = len(rows)
    M = flint.fmpq_mat(n, n, [v for r in rows for v in r])
    try:
        x = M.solve(flint.fmpq_mat(n, 1, list(rhs)))
    except ZeroDivisionError:
        return None
    return tuple(F(int(x[i, 0].p), int(x[i, 0].q)) for i in range(n))


def _dot(a, x):
    return sum(F(ai) * xi for ai, xi in zip(a, x))


def _brute_force(c, A, b, E, e, maximize):
    """Best objective over all basic feasible points (exhaustive over active sets), or None."""
    n = len(c)
    rows = [(a, bi) for a, bi in zip(A, b)]
    eqs = [(a, ei) for a, ei in zip(E, e)]
    best = None
    if len(eqs) > n:
        return None
    for act in itertools.combinations(rows, n - len(eqs)):
        system = eqs + list(act)
        x = _solve_square([a for a, _ in system], [v for _, v in system])
        if x is None:
            continue
        if all(_dot(a, x) <= bi for a, bi in rows) and all(_dot(a, x) == ei for a, ei in eqs):
            val = _dot(c, x)
            if best is None or (val > best if maximize else val < best):
                best = val
    return best


@given(lps())
def test_guided_and_exact_agree_and_verify(data):
    c, A, b, E, e, mx = data
    r1 = solve_lp(c, A, b, E, e, maximize=mx, guide=True)
    r2 = solve_lp(c, A, b, E, e, maximize=mx, guide=False)
    assert r1.status == r2.status
    assert r2.method == "exact"
    for r in (r1, r2):
        assert verify_lp(c, A, b, E, e, result=r, maximize=mx)
    if r1.status == "optimal":
        assert r1.value == r2.value


@given(lps(max_n=2, max_m=5, max_q=1))
def test_optimum_matches_vertex_brute_force(data):
    # When the feasible set has a vertex and the LP is bounded, the optimum is attained at a
    # basic feasible point, which exhaustive enumeration finds independently of the simplex.
    c, A, b, E, e, mx = data
    res = solve_lp(c, A, b, E, e, maximize=mx, guide=False)
    best = _brute_force(c, A, b, E, e, mx)
    if res.status == "infeasible":
        assert best is None
    elif res.status == "optimal" and best is not None:
        assert res.value == best


@given(lps())
def test_tampered_certificates_fail(data):
    c, A, b, E, e, mx = data
    r = solve_lp(c, A, b, E, e, maximize=mx)
    cert = r.certificate
    if cert.kind in ("dual", "farkas") and cert.ineq:
        bumped = (cert.ineq[0] + 1,) + cert.ineq[1:]
        bad = dataclasses.replace(r, certificate=dataclasses.replace(cert, ineq=bumped))
        # Adding a_0 to A^T y breaks the identity unless a_0 == 0 and b_0 keeps the sign.
        if any(A[0]):
            with pytest.raises(VerificationError):
                verify_lp(c, A, b, E, e, result=bad, maximize=mx)
    if r.status == "unbounded":
        bad = dataclasses.replace(r, certificate=LPCertificate("ray", ray=tuple(0 * v for v in cert.ray)))
        with pytest.raises(VerificationError):
            verify_lp(c, A, b, E, e, result=bad, maximize=mx)
    if r.status == "optimal":
        bad = dataclasses.replace(r, value=r.value + 1)
        with pytest.raises(VerificationError):
            verify_lp(c, A, b, E, e, result=bad, maximize=mx)


def test_beale_cycling_example(guide):
    # Beale (1955): Dantzig's rule without anti-cycling cycles on this LP (x4..x7 >= 0).
    # Optimum -5/4 at x = (1, 0, 1, 0): feasible by hand, optimal by the verified dual.
    c = [F(-3, 4), 20, F(-1, 2), 6]
    A = [[F(1, 4), -8, -1, 9], [F(1, 2), -12, F(-1, 2), 3], [0, 0, 1, 0]] + [
        [-int(i == j) for j in range(4)] for i in range(4)
    ]
    b = [0, 0, 1, 0, 0, 0, 0]
    r = solve_lp(c, A, b)
    assert r.status == "optimal" and r.value == F(-5, 4)
    assert verify_lp(c, A, b, result=r)


def test_highly_degenerate_vertex(guide):
    # 30 distinct constraints through the origin (x + k y <= 0 type, all active at 0) plus a box:
    # maximise x + y; the optimum is at the origin with value 0 (every constraint passes there
    # and x + y <= 0 follows from x + y <= 0 itself, which is row 0).
    A = [[1, 1]] + [[1, k] for k in range(1, 15)] + [[k, 1] for k in range(1, 16)] + [[1, 0], [0, 1], [-1, 0], [0, -1]]
    b = [0] * 30 + [1, 1, 1, 1]
    r = solve_lp([1, 1], A, b, maximize=True)
    assert r.status == "optimal" and r.value == 0
    assert verify_lp([1, 1], A, b, result=r, maximize=True)


def test_statuses_and_certificates(guide):
    inf = solve_lp([1, 0], [[1, 0], [-1, 0]], [-1, 0])  # x <= -1 and x >= 0
    assert inf.status == "infeasible" and inf.x is None and inf.value is None
    y = inf.certificate.ineq
    assert all(v >= 0 for v in y) and y[0] == y[1] and y[0] > 0
    unb = solve_lp([1, 1], [[-1, 0], [0, -1]], [0, 0], maximize=True)
    assert unb.status == "unbounded" and unb.value is None
    assert sum(unb.certificate.ray) > 0
    eq = solve_lp([1, 0], A_eq=[[1, 1]], b_eq=[2], A_ub=[[0, 1]], b_ub=[5])
    assert eq.status == "optimal" and eq.value == -3 and eq.x == (F(-3), F(5))


def test_free_problem_and_lineality(guide):
    # No constraints: c = 0 is optimal anywhere, c != 0 unbounded.
    assert solve_lp([0, 0]).status == "optimal"
    assert solve_lp([0, 1]).status == "unbounded"
    # A strip 0 <= x <= 1 in R^2 (a line of lineality in y): max x is 1.
    r = solve_lp([1, 0], [[1, 0], [-1, 0]], [1, 0], maximize=True)
    assert r.status == "optimal" and r.value == 1
    # Inconsistent equations.
    r = solve_lp([0, 0], A_eq=[[1, 1], [2, 2]], b_eq=[1, 3])
    assert r.status == "infeasible"
    assert verify_lp([0, 0], A_eq=[[1, 1], [2, 2]], b_eq=[1, 3], result=r)


def test_zero_variables():
    assert solve_lp([], A_ub=[[]], b_ub=[1]).status == "optimal"
    r = solve_lp([], A_ub=[[]], b_ub=[-1])
    assert r.status == "infeasible" and verify_lp([], [[]], [-1], result=r)
    r = solve_lp([], A_eq=[[]], b_eq=[2])
    assert r.status == "infeasible" and verify_lp([], A_eq=[[]], b_eq=[2], result=r)


def test_without_a_float_solver_uses_exact_path(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # import now raises ImportError
    monkeypatch.setitem(sys.modules, "highspy", None)
    r = solve_lp([1, 1], [[-1, 0], [0, -1]], [0, 0], guide=True)
    assert r.status == "optimal" and r.method == "exact" and r.value == 0


@pytest.mark.parametrize("solver", ["highspy", "scipy.optimize"])
def test_either_float_solver_guides(monkeypatch, solver):
    """highspy alone, or scipy alone: the guide proposes, the exact check accepts the same optimum."""
    pytest.importorskip(solver)
    other = "scipy.optimize" if solver == "highspy" else "highspy"
    monkeypatch.setitem(sys.modules, other, None)
    r = solve_lp([1, 2, 3, 4, 5, 6], [[-1 if i == j else 0 for j in range(6)] for i in range(6)], [0] * 6, guide=True)
    assert r.status == "optimal" and r.method == "guided" and r.value == 0 and r.x == (0,) * 6


def test_guided_path_is_used_when_scipy_present():
    pytest.importorskip("scipy")
    r = solve_lp([1, 1], [[-1, 0], [0, -1], [1, 1]], [0, 0, 5], maximize=True, guide=True)
    assert r.method == "guided" and r.value == 5


def test_float_data_is_exact(guide):
    # 0.1 is converted to its binary value, not 1/10: the optimum is exactly that binary value.
    r = solve_lp([1], [[1]], [0.1], maximize=True)
    assert r.value == F(0.1) and r.value != F(1, 10)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(c=[1, float("nan")]), "c, entry 1: NaN"),
        (dict(c=[1, 2], A_ub=[[1, 2], [1, float("inf")]], b_ub=[0, 0]), "A_ub, row 1, column 1: infinity"),
        (dict(c=[1, 2], A_ub=[[1, 2, 3]], b_ub=[0]), "A_ub, row 0: expected 2 entries"),
        (dict(c=[1, 2], A_ub=[[1, 2]], b_ub=[0, 1]), "A_ub has 1 rows but b_ub has 2"),
        (dict(c=[1, 2], A_eq=[[1, 2]], b_eq=["x"]), "b_eq, entry 0"),
    ],
)
def test_bad_input_names_the_place(kwargs, match):
    with pytest.raises(ValueError, match=match):
        solve_lp(**kwargs)


def test_simplex_core_statuses():
    # min y0 + y1 s.t. y0 - y1 = 1, y >= 0: optimum y = (1, 0).
    M = flint.fmpq_mat(1, 2, [1, -1])
    out = simplex(M, [1], [1, 1])
    assert out.status == "optimal" and out.y == [1, 0]
    # min -y1 s.t. y0 - y1 = 1: unbounded along (1, 1).
    out = simplex(M, [1], [0, -1])
    assert out.status == "unbounded" and out.ray == [1, 1]
    # y0 + y1 = -1 with y >= 0 is infeasible: pi with M^T pi <= 0 and g.pi > 0.
    out = simplex(flint.fmpq_mat(1, 2, [1, 1]), [-1], [0, 0])
    assert out.status == "infeasible" and out.pi[0] < 0


def test_lp_result_json_round_trip_and_tampering():
    A, b = [[1, 1], [-1, 0], [0, -1]], [1, 0, 0]
    for c, mx in (([1, 2], True), ([1, 2], False)):
        r = solve_lp(c, A, b, maximize=mx)
        back = LPResult.from_json(json.dumps(r.to_json()))
        assert back == r and verify_lp(c, A, b, result=back, maximize=mx)
        forged = r.to_json()
        forged["value"] = "7/3"
        with pytest.raises(VerificationError, match="not certified"):
            verify_lp(c, A, b, result=LPResult.from_json(forged), maximize=mx)
    infeasible = solve_lp([1], [[1], [-1]], [1, -2])
    assert LPResult.from_json(infeasible.to_json()) == infeasible


@pytest.mark.parametrize("change, message", [
    ({"version": True}, "unsupported 'version'"),
    ({"status": "great"}, "unknown status"),
    ({"x": [0.1, "nan"]}, "x, entry 1"),
    ({"certificate": {"kind": "hope"}}, "certificate kind"),
    ({"certificate": {"kind": "dual", "extra": []}}, "unknown key 'extra'"),
    ({"extra": 1}, "unknown key 'extra'"),
])
def test_lp_result_json_errors(change, message):
    data = {**solve_lp([1], [[-1]], [0]).to_json(), **change}
    with pytest.raises(ValueError, match=message):
        LPResult.from_json(data)
