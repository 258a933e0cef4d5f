"""Tests for exactrelu.exact.polyhedron: exact emptiness, witnesses, interior, dimension, vertices, volume."""

from __future__ import annotations

import dataclasses
import itertools
import math
from fractions import Fraction

import flint
import pytest

from exactrelu.exact.errors import VerificationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import exactrelu
import exactrelu.exact.lp as lp
from exactrelu.exact.polyhedron import Box, EmptinessCertificate, Polyhedron, verify_emptiness_certificate

F = Fraction


@pytest.fixture(params=["always", False], ids=["guided", "exact"])
def guide(request, monkeypatch):
    """Run a test with the float guide of the LPs on and off."""
    monkeypatch.setattr(lp, "USE_FLOAT_GUIDE", request.param)
    return request.param


def _dot(a, x):
    return sum(F(u) * v for u, v in zip(a, x))


def _rank(rows, d):
    if not rows:
        return 0
    return flint.fmpq_mat(len(rows), d, [flint.fmpq(v.numerator, v.denominator) for r in rows for v in r]).rank()


def _in_closure(P, x):
    c = P.constraints
    return (
        all(_dot(a, x) <= b for a, b in c.inequalities + c.strict)
        and all(_dot(a, x) == b for a, b in c.equations)
    )


# ---------------------------------------------------------------------------------------------
# strategies: random polytopes = a box cut by a few random half-spaces (small integer data)

coef = st.integers(-4, 4)


@st.composite
def polytopes(draw, dims=(2, 3), max_cuts=5, allow_strict=True):
    d = draw(st.sampled_from(dims))
    lo = [draw(st.integers(-3, 0)) for _ in range(d)]
    hi = [l + draw(st.integers(1, 4)) for l in lo]
    k = draw(st.integers(0, max_cuts))
    rows = [([draw(coef) for _ in range(d)], draw(st.integers(-3, 4))) for _ in range(k)]
    strict_mask = [draw(st.booleans()) and allow_strict for _ in rows]
    ineq = [r for r, s in zip(rows, strict_mask) if not s]
    strict = [r for r, s in zip(rows, strict_mask) if s]
    return Box(lo, hi).intersect(Polyhedron(d, ineq, strict))


def _brute_vertices(P):
    """Vertices of the closure by exhaustive enumeration of d-subsets of constraint hyperplanes."""
    c = P.constraints
    rows = list(c.inequalities + c.strict)
    d = P.dim
    out = set()
    for sub in itertools.combinations(rows, d):
        M = flint.fmpq_mat(d, d, [flint.fmpq(v.numerator, v.denominator) for a, _ in sub for v in a])
        try:
            x = M.solve(flint.fmpq_mat(d, 1, [flint.fmpq(b.numerator, b.denominator) for _, b in sub]))
        except ZeroDivisionError:
            continue
        p = tuple(F(int(x[i, 0].p), int(x[i, 0].q)) for i in range(d))
        if _in_closure(P, p):
            out.add(p)
    return out


# ---------------------------------------------------------------------------------------------
# properties


@settings(max_examples=30)
@given(polytopes())
def test_vertices_match_brute_force_and_are_vertices(P):
    V = P.vertices()
    c = P.constraints
    rows = list(c.inequalities + c.strict)
    for v in V:
        assert _in_closure(P, v)
        tight = [a for a, b in rows if _dot(a, v) == b]
        assert _rank(tight, P.dim) == P.dim  # a vertex: its tight rows determine it
    if not P.is_empty():
        assert set(V) == _brute_vertices(P)
    else:
        assert V == []


@settings(max_examples=30)
@given(polytopes())
def test_emptiness_agrees_with_brute_force(P):
    # Closure nonempty iff some basic point is feasible (bounded); P itself (strict rows) is
    # nonempty iff the centroid of the closure's vertices (a relative-interior point) lies in P.
    V = _brute_vertices(P)
    if not V:
        expected_empty = True
    else:
        centroid = tuple(sum(v[k] for v in V) / len(V) for k in range(P.dim))
        expected_empty = not P.contains(centroid)
    assert P.is_empty() == expected_empty
    if P.is_empty():
        assert P.witness() is None
        assert verify_emptiness_certificate(P, P.emptiness_certificate())
    else:
        assert P.contains(P.witness())
        assert P.emptiness_certificate() is None


@settings(max_examples=30)
@given(polytopes())
def test_interior_point_is_strictly_inside(P):
    x = P.interior_point()
    c = P.constraints
    if x is not None:
        # strictly inside every nonzero row (rows 0 <= b hold everywhere), so a ball fits
        assert P.contains(x) and all(_dot(a, x) < b for a, b in c.inequalities + c.strict if any(a))
        assert P.volume() > 0 and P.dimension() == P.dim
    else:
        cert = P.interior_certificate()
        assert verify_emptiness_certificate(P.interior_system(), cert)
        assert P.volume() == 0 and P.dimension() < P.dim


@settings(max_examples=25)
@given(polytopes(), st.lists(coef, min_size=3, max_size=3), st.integers(-3, 3))
def test_volume_is_additive_under_a_cut(P, a, b):
    # vol(P) = vol(P & a.x <= b) + vol(P & a.x >= b): the common face has measure zero.
    a = a[: P.dim]
    assume(any(a))
    lower = P.intersect(Polyhedron(P.dim, inequalities=[(a, b)]))
    upper = P.intersect(Polyhedron(P.dim, strict=[([-v for v in a], -b)]))
    assert lower.volume() + upper.volume() == P.volume()


@settings(max_examples=25)
@given(polytopes(), st.lists(coef, min_size=3, max_size=3))
def test_volume_invariant_under_redundant_constraints(P, a):
    # Adding a.x <= max over the vertices (a valid, hence redundant, inequality) and a
    # duplicate scaled copy of an existing row changes nothing.
    a = a[: P.dim]
    V = P.vertices()
    assume(V)
    bound = max(_dot(a, v) for v in V) + 1
    first = P.constraints.inequalities[0]
    Q = P.intersect(Polyhedron(P.dim, inequalities=[(a, bound), (tuple(2 * v for v in first[0]), 2 * first[1])]))
    assert Q.volume() == P.volume()
    assert sorted(Q.vertices()) == sorted(V)


@settings(max_examples=20)
@given(polytopes(dims=(2, 3)), st.integers(1, 3), st.integers(-2, 2))
def test_volume_scales_with_determinant(P, s, shear):
    # Under the linear map T = scale first coordinate by s, then x0 += shear * x1,
    # vol(T P) = |det T| vol(P) = s vol(P).  T P = {y : a.T^{-1} y <= b}.
    d = P.dim

    def inv_row(a):
        # T^{-1}: undo the shear (x0 = y0 - shear*y1), then unscale (x0 /= s).
        a0 = F(a[0]) / s
        return (a0, F(a[1]) - a0 * shear) + tuple(a[2:])

    c = P.constraints
    Q = Polyhedron(
        d,
        [(inv_row(a), b) for a, b in c.inequalities],
        [(inv_row(a), b) for a, b in c.strict],
    )
    assert Q.volume() == s * P.volume()


@settings(max_examples=20)
@given(polytopes())
def test_certificates_tamper_fails(P):
    cert = P.emptiness_certificate()
    if cert is None:
        return
    assert verify_emptiness_certificate(P, cert)
    # Scaling the certificate keeps it valid; perturbing a single multiplier breaks the
    # zero combination whenever that row is nonzero.
    doubled = EmptinessCertificate(*(tuple(2 * v for v in g) for g in (cert.inequalities, cert.strict, cert.equations)))
    assert verify_emptiness_certificate(P, doubled)
    ineq = P.constraints.inequalities
    i = next((k for k, (a, _) in enumerate(ineq) if any(a)), None)
    if i is not None:
        bumped = list(cert.inequalities)
        bumped[i] += 1
        with pytest.raises(VerificationError):
            verify_emptiness_certificate(P, dataclasses.replace(cert, inequalities=tuple(bumped)))


@settings(max_examples=20)
@given(polytopes(allow_strict=False))
def test_dimension_matches_vertices(P):
    # For a polytope the affine dimension is the rank of the vertex differences.
    V = P.vertices()
    if not V:
        assert P.dimension() == -1
        return
    diffs = [tuple(v[k] - V[0][k] for k in range(P.dim)) for v in V[1:]]
    assert P.dimension() == _rank(diffs, P.dim)


# ---------------------------------------------------------------------------------------------
# targeted cases (both LP paths)


def test_segment_in_plane(guide):
    # {(t, t) : 0 <= t <= 1} as inequalities only (an implicit equality x0 = x1).
    P = Polyhedron(2, inequalities=[([1, -1], 0), ([-1, 1], 0), ([1, 0], 1), ([-1, 0], 0)])
    assert not P.is_empty() and P.dimension() == 1 and P.is_bounded()
    assert P.interior_point() is None and P.volume() == 0
    assert sorted(P.vertices()) == [(0, 0), (1, 1)]
    assert verify_emptiness_certificate(P.interior_system(), P.interior_certificate())


def test_single_point(guide):
    P = Polyhedron(3, equations=[([1, 0, 0], 1), ([0, 1, 0], 2), ([0, 0, 1], F(1, 3))])
    assert P.witness() == (1, 2, F(1, 3)) and P.dimension() == 0
    assert P.vertices() == [(1, 2, F(1, 3))] and P.volume() == 0 and P.is_bounded()
    Q = Polyhedron(2, inequalities=[([1, 0], 0), ([0, 1], 0), ([-1, -1], 0)])  # only the origin
    assert Q.dimension() == 0 and Q.vertices() == [(0, 0)] and Q.interior_point() is None


def test_unbounded_cone(guide):
    P = Polyhedron(3, inequalities=[([-1, 0, 0], 0), ([0, -1, 0], 0), ([1, 1, -1], 0)])
    assert not P.is_empty() and not P.is_bounded() and P.dimension() == 3
    assert P.interior_point() is not None
    with pytest.raises(ValueError, match="unbounded"):
        P.volume()
    with pytest.raises(ValueError, match="unbounded"):
        P.vertices()


def test_empty_by_strictness(guide):
    P = Polyhedron(1, inequalities=[([-1], 0)], strict=[([1], 0)])  # x >= 0 and x < 0
    assert P.is_empty() and P.witness() is None and P.dimension() == -1
    cert = P.emptiness_certificate()
    assert cert.strict[0] > 0 and verify_emptiness_certificate(P, cert)
    assert P.closure().witness() == (0,)  # the closure is {0}
    assert P.vertices() == [] and P.volume() == 0 and P.is_bounded()
    Q = Polyhedron(2, strict=[([0, 0], 0)])  # 0 < 0: empty though its closure is the plane
    assert Q.is_empty() and Q.is_bounded() and verify_emptiness_certificate(Q, Q.emptiness_certificate())


def test_open_triangle(guide):
    P = Polyhedron(2, strict=[([-1, 0], 0), ([0, -1], 0), ([1, 1], 1)])
    assert P.volume() == F(1, 2) and P.dimension() == 2
    assert P.contains(P.witness()) and P.contains(P.interior_point())
    assert not P.contains([0, 0])


def test_halfspace_and_whole_space(guide):
    H = Polyhedron(2, inequalities=[([1, 1], 0)])
    assert not H.is_bounded() and H.dimension() == 2 and H.interior_point() is not None
    R = Polyhedron(3)
    assert R.witness() == (0, 0, 0) and R.dimension() == 3 and not R.is_bounded()
    Z = Polyhedron(0)
    assert Z.witness() == () and Z.dimension() == 0 and Z.is_bounded()


def test_known_volumes(guide):
    for d in (1, 2, 3, 4):
        # The simplex x >= 0, sum x <= 2 has volume 2^d / d!.
        rows = [([-int(i == k) for i in range(d)], 0) for k in range(d)] + [([1] * d, 2)]
        S = Polyhedron(d, inequalities=rows)
        assert S.volume() == F(2**d, math.factorial(d))
        assert len(S.vertices()) == d + 1
    B = Box([0, 0, 0], [1, 2, F(1, 3)])
    assert B.volume() == F(2, 3)
    # The same box as a general Polyhedron goes through the general algorithm.
    assert Polyhedron(3, inequalities=B.constraints.inequalities).volume() == F(2, 3)
    # Cross-polytope |x| + |y| + |z| <= 1 has volume 8/6 = 4/3.
    rows = [(s, 1) for s in itertools.product((1, -1), repeat=3)]
    assert Polyhedron(3, inequalities=rows).volume() == F(4, 3)
    assert len(Polyhedron(3, inequalities=rows).vertices()) == 6


def test_lower_dimensional_in_3d(guide):
    # A square in the plane z = 1/2 given by two opposite inequalities.
    P = Box([0, 0, 0], [1, 1, 1]).intersect(Polyhedron(3, inequalities=[([0, 0, 2], 1), ([0, 0, -2], -1)]))
    assert P.dimension() == 2 and P.volume() == 0 and len(P.vertices()) == 4
    assert P.interior_point() is None


def test_many_constraints_4d(guide):
    # The 4-cube cut by many redundant planes: volume and vertices unchanged.
    rows = [([1, 1, 1, 1], 4 + k) for k in range(10)] + [([1, -1, 0, 0], 2 + k) for k in range(10)]
    P = Box([0] * 4, [1] * 4).intersect(Polyhedron(4, inequalities=rows))
    assert P.volume() == 1 and len(P.vertices()) == 16


def test_box_validation_and_repr():
    with pytest.raises(ValueError, match="coordinate 1: lower bound 3 exceeds upper bound 2"):
        Box([0, 3], [1, 2])
    with pytest.raises(ValueError, match="Box lower, entry 0: NaN"):
        Box([float("nan")], [1])
    with pytest.raises(ValueError, match="Box upper, entry 1: infinity"):
        Box([0, 0], [1, float("inf")])
    with pytest.raises(ValueError, match="lower has 2 entries but upper has 1"):
        Box([0, 0], [1])
    assert repr(Box([0, "1/2"], [1, 1])) == "Box([0, 1/2], [1, 1])"
    B = Box([0, 0], [0, 1])  # degenerate: a segment
    assert B.interior_point() is None and B.dimension() == 1 and B.volume() == 0
    assert B.vertices() == [(0, 0), (0, 1)]
    assert exactrelu.Box is Box and exactrelu.Polyhedron is Polyhedron


def test_bad_constraints_name_the_index():
    with pytest.raises(ValueError, match="strict inequality 1, a, entry 0: NaN"):
        Polyhedron(2, strict=[([1, 0], 0), ([float("nan"), 0], 0)])
    with pytest.raises(ValueError, match="inequality 0: a has 3 entries but the polyhedron has dimension 2"):
        Polyhedron(2, inequalities=[([1, 0, 0], 0)])
    with pytest.raises(ValueError, match="equation 0, b: infinity"):
        Polyhedron(1, equations=[([1], float("inf"))])
    with pytest.raises(ValueError, match="inequality 0: expected a pair"):
        Polyhedron(1, inequalities=[([1], 0, 3)])
    with pytest.raises(ValueError, match="dim must be a nonnegative integer"):
        Polyhedron(-1)
    with pytest.raises(ValueError, match="point: expected length 2"):
        Polyhedron(2).contains([1])
    with pytest.raises(ValueError, match="dimension mismatch"):
        Polyhedron(2).intersect(Polyhedron(3))


def test_repr_readable_and_value_semantics():
    P = Polyhedron(2, inequalities=[([1, "-1/2"], 3)], strict=[([0, -2], 0)], equations=[([1, 1], 0)])
    assert repr(P) == "Polyhedron(2: x0 - 1/2*x1 <= 3, -2*x1 < 0, x0 + x1 == 0)"
    assert P == Polyhedron(2, inequalities=[([1, F(-1, 2)], 3)], strict=[([0, -2], 0)], equations=[([1, 1], 0)])
    assert len({P, P.closure().closure()}) == 2
    assert P.constraints.strict == (((F(0), F(-2)), F(0)),)


@settings(max_examples=20)
@given(polytopes(max_cuts=4))
def test_guided_and_exact_answers_agree(P):
    # The same questions with the float guide forced on and off (fresh objects: no caching).
    c = P.constraints
    answers = []
    saved = lp.USE_FLOAT_GUIDE
    try:
        for mode in ("always", False):
            lp.USE_FLOAT_GUIDE = mode
            Q = Polyhedron(P.dim, c.inequalities, c.strict, c.equations)
            x = Q.interior_point()
            assert x is None or Q.interior_system().contains(x)
            cert = Q.emptiness_certificate()
            assert cert is None or verify_emptiness_certificate(Q, cert)
            answers.append((Q.is_empty(), x is None, Q.dimension(), Q.is_bounded()))
    finally:
        lp.USE_FLOAT_GUIDE = saved
    assert answers[0] == answers[1]


def test_feasibility_with_zero_objective_guided():
    pytest.importorskip("scipy")
    # No strict rows: is_empty() solves a pure feasibility LP (c = 0); the float point or basis
    # proposed by HiGHS must still be verified exactly.
    rows = [([1, 2, 0], 3), ([-1, 0, 1], 0), ([0, -1, 0], 0), ([0, 0, -1], 1)] * 3
    r = lp.solve_lp([0, 0, 0], [a for a, _ in rows], [b for _, b in rows], guide=True)
    assert r.status == "optimal" and r.value == 0
    assert all(_dot(a, r.x) <= b for a, b in rows)


@settings(max_examples=25)
@given(polytopes(dims=(3,), max_cuts=6, allow_strict=False))
def test_3d_volume_and_vertices_two_algorithms(P):
    # Double description + incidence recursion (used by Polyhedron) against the independent
    # facet-clipping recursion in _polytope.vertices/_polytope.volume.
    from exactrelu.exact import _polytope

    box = [(F(-3), F(4))] * 3
    rows = list(P.constraints.inequalities)
    assert P.volume() == _polytope.volume(rows, box)
    assert set(P.vertices()) == _polytope.vertices(rows, box)


@settings(max_examples=8)
@given(polytopes(dims=(4,), max_cuts=4))
def test_4d_vertices_brute_force_and_volume_cut(P):
    # Double description in 4-D against exhaustive enumeration, and volume additivity.
    if P.is_empty():
        assert P.vertices() == []
        return
    assert set(P.vertices()) == _brute_vertices(P)
    a = (1, -1, 2, 1)
    lower = P.intersect(Polyhedron(4, inequalities=[(a, 0)]))
    upper = P.intersect(Polyhedron(4, inequalities=[([-v for v in a], 0)]))
    assert lower.volume() + upper.volume() == P.volume()


@pytest.mark.parametrize("bits", [60, 200, 1000])
@pytest.mark.parametrize("scale", [1, 2**300])
def test_gaps_below_float_resolution_in_6d(guide, bits, scale):
    # The slab 1/3 - gap <= a.x <= 1/3 inside [-1, 1]^6 (a = (1, -2, 0, 3, 1, 0), a.x reaches
    # 1/3 inside the box): nonempty for gap > 0, empty for gap < 0, where every float LP
    # sees the same data; rows scaled by 2^300 change nothing.
    d, a = 6, [F(1), F(-2), F(0), F(3), F(1), F(0)]
    box = [(tuple(F(int(i == j)) for j in range(d)), F(1)) for i in range(d)]
    box += [(tuple(F(-int(i == j)) for j in range(d)), F(1)) for i in range(d)]
    for gap in (F(1, 2**bits), -F(1, 2**bits)):
        rows = box + [([v * scale for v in a], scale * F(1, 3)), ([-v * scale for v in a], -scale * (F(1, 3) - gap))]
        P = Polyhedron(d, inequalities=rows)
        if gap > 0:
            assert not P.is_empty() and P.contains(P.witness()) and P.dimension() == d
        else:
            assert P.is_empty() and verify_emptiness_certificate(P, P.emptiness_certificate())
        # the open slab 1/3 - gap < a.x < 1/3 likewise; with gap = 0 it is empty
        S = Polyhedron(d, inequalities=box, strict=[(a, F(1, 3)), ([-v for v in a], -(F(1, 3) - max(gap, F(0))))])
        assert S.is_empty() == (gap < 0)
        if S.is_empty():
            assert verify_emptiness_certificate(S, S.emptiness_certificate())
        else:
            assert S.contains(S.witness())
