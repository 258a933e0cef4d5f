"""Property tests: the regions of random networks tile the box, exactly.

Random small networks with small-denominator rational weights (so that
hyperplanes often meet in one point, coincide, pass through box corners or
lie along faces; zero and repeated rows are drawn on purpose), input
dimensions 1, 2 and 3, and a few with float64 weights.  Each property is
checked against an independent computation: the exact forward pass, the
polyhedron module's volumes and vertices, a brute-force enumeration of all
patterns, and (in 2-D) the planar fast path.
"""

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction as F
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactrelu import Network, Pattern
from exactrelu.regions import splitting as splitting_module
from exactrelu.regions import Region, regions

from exactrelu.exact import polyhedron

VALUES = sorted({F(p, q) for p in range(-3, 4) for q in (1, 2, 3)})
SMALL = st.sampled_from(VALUES)
BIAS = st.sampled_from([F(0), F(1, 2), F(-1, 2), F(1), F(-1), F(1, 3)])


@st.composite
def rows(draw, width, dim, entry):
    """``width`` rows: random, zero, or a positive multiple of an earlier row (parallel hyperplanes)."""
    out = []
    for _ in range(width):
        kind = draw(st.sampled_from(["random", "random", "random", "zero", "copy"]))
        if kind == "zero":
            out.append([F(0)] * dim)
        elif kind == "copy" and out:
            scale = draw(st.sampled_from([F(1), F(2), F(1, 2)]))
            out.append([scale * v for v in draw(st.sampled_from(out))])
        else:
            out.append([draw(entry) for _ in range(dim)])
    return out


@st.composite
def networks(draw, dims=(1, 2, 3), max_width=3, max_depth=2, entry=SMALL, bias=None):
    bias = entry if bias is None else bias
    d = draw(st.sampled_from(dims))
    depth = draw(st.sampled_from(range(max_depth, 0, -1)))
    layers, prev = [], d
    for _ in range(depth):
        w = draw(st.sampled_from(range(max_width, 0, -1)))
        layers.append((draw(rows(w, prev, entry)), [draw(bias) for _ in range(w)]))
        prev = w
    output = None
    if draw(st.booleans()):
        output = ([[draw(entry) for _ in range(prev)]], [draw(entry)])
    return Network(layers, output=output)


@st.composite
def boxes(draw, dim):
    # Mostly around the origin, where small-bias hyperplanes pass.
    lower = [draw(st.sampled_from([F(-1), F(-2), F(-1, 2), F(0), F(-3, 2), F(1, 3)])) for _ in range(dim)]
    upper = [lo + draw(st.sampled_from([F(2), F(3), F(1), F(1, 2), F(4)])) for lo in lower]
    return lower, upper


@st.composite
def nets_and_boxes(draw, **kw):
    kw.setdefault("bias", BIAS)
    net = draw(networks(**kw))
    return net, draw(boxes(net.input_dim))


# float64 weights as trained networks have them: full 53-bit mantissas.
FLOATS = st.tuples(st.sampled_from([-1.0, 1.0]), st.floats(0.125, 2.0)).map(lambda t: t[0] * t[1])


def lp_mode():
    """Force the LP mode of the general path (no vertex lists) in every dimension."""
    return mock.patch.object(splitting_module, "VERTEX_MAX_DIM", 0)


# ------------------------------------------------------------------ checks
def dot(a, x):
    return sum((u * v for u, v in zip(a, x)), F(0))


def affine(region, x):
    return tuple(dot(row, x) + c for row, c in zip(region.A, region.c))


def strictly_inside(poly, x):
    return all(dot(a, x) < b for a, b in poly.constraints.inequalities if any(a))


def identically_zero(net, pattern, layer, neuron):
    M, m = list(net.prefix_maps(pattern))[layer]
    return m[neuron, 0] == 0 and all(M[neuron, k] == 0 for k in range(M.ncols()))


def check_tiling(net, box, found):
    """The invariants every region list must satisfy (each against an independent computation)."""
    lower, upper = box
    pats = [r.pattern for r in found]
    assert pats == sorted(pats) and len(set(pats)) == len(pats)
    for r in found:
        w = r.witness
        assert all(lo < x < hi for lo, x, hi in zip(lower, w, upper))
        p = net.pattern(w)
        assert p.without_ties() == r.pattern
        # A tie at the witness is only possible where the neuron is 0 on the whole region.
        assert all(identically_zero(net, r.pattern, i, j) for i, j in p.ties)
        assert net(w) == affine(r, w)
        assert strictly_inside(r.polyhedron, w)
        # The closed region has the volume of the activation domain (built by the network) in the box.
        assert r.volume() == net.domain(r.pattern, within=polyhedron.Box(lower, upper)).volume()
        for v in r.polyhedron.vertices():
            assert net(v) == affine(r, v)
        # Region.check agrees with these independent checks, and the JSON round trip keeps everything.
        back = Region.from_json(json.loads(json.dumps(r.to_json())))
        assert back.check(net) is True and back.affine_map == r.affine_map and back.polyhedron == r.polyhedron
    # Interiors are disjoint: no witness is strictly inside another region.
    for r, s in itertools.combinations(found, 2):
        assert not strictly_inside(s.polyhedron, r.witness)
        assert not strictly_inside(r.polyhedron, s.witness)
    # They cover the box: the exact volumes add up to the box's.
    assert sum(r.volume() for r in found) == polyhedron.Box(lower, upper).volume()


def brute_force_patterns(net, box):
    """Every pattern whose activation domain meets the box's interior, layer by layer, by exact LP."""
    B = polyhedron.Box(*box)
    d = net.input_dim
    found = []

    def domain_has_interior(layers):
        pattern = Pattern(layers)
        strict, weak = [], []
        for (M, m), bits in zip(net.prefix_maps(pattern), layers):
            for j, bit in enumerate(bits):
                row = tuple(F(int(M[j, k].p), int(M[j, k].q)) for k in range(d))
                off = F(int(m[j, 0].p), int(m[j, 0].q))
                if not any(row):  # constant neuron: decide it here (see the note below)
                    if (off <= 0) if bit else (off > 0):
                        return False
                    continue
                (strict if bit else weak).append((tuple(-v for v in row), off) if bit else (row, -off))
        # Trivial rows are left out: Polyhedron.interior_point() makes 0 <= 0 strict (0 < 0)
        # and then reports no interior (reported to the polyhedron module's owner).
        P = polyhedron.Polyhedron(d, inequalities=weak, strict=strict).intersect(B)
        return P.interior_point() is not None

    def extend(layers):
        if len(layers) == net.depth:
            found.append(Pattern(layers))
            return
        for bits in itertools.product((0, 1), repeat=net.widths[len(layers)]):
            if domain_has_interior(layers + [bits]):
                extend(layers + [bits])

    extend([])
    return sorted(found)


def zaslavsky_count(rows, d):
    """Regions of a central hyperplane arrangement: sum over subsets S of (-1)^(|S| - rank S).

    Zaslavsky's theorem, r = (-1)^d chi(-1) with chi(t) = sum_S (-1)^|S| t^(d - rank S),
    over the distinct hyperplanes (zero rows are none; parallel rows are one).
    """
    distinct = []
    for row in rows:
        if any(row) and not any(_parallel(row, other) for other in distinct):
            distinct.append(row)
    total = 0
    for k in range(len(distinct) + 1):
        for S in itertools.combinations(distinct, k):
            total += (-1) ** (k - _rank(S, d))
    return total


def _parallel(u, v):
    return _rank([u, v], len(u)) == 1  # both rows are nonzero


def _rank(rows, d):
    import flint

    if not rows:
        return 0
    return flint.fmpq_mat(len(rows), d, [flint.fmpq(v.numerator, v.denominator) for r in rows for v in r]).rank()


# ------------------------------------------------------------------ properties
@settings(max_examples=25)
@given(st.sampled_from([2, 3, 4]), st.data())
def test_central_arrangements_match_zaslavsky(d, data):
    # Hyperplanes through the origin, the centre of [-1, 1]^d: every cone meets the box.
    W = data.draw(rows(data.draw(st.integers(1, 6)), d, SMALL))
    net = Network([(W, [0] * len(W))])
    box = ([-1] * d, [1] * d)
    expected = zaslavsky_count([tuple(r) for r in W], d)
    assert len(regions(net, box, method="general")) == expected
    if len(W) <= 4:
        with lp_mode():
            assert len(regions(net, box, method="general")) == expected

@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(nets_and_boxes(max_width=5, max_depth=3))
def test_regions_tile_the_box(case):
    net, box = case
    check_tiling(net, box, regions(net, box, method="general"))


@settings(max_examples=8)
@given(nets_and_boxes(dims=(2, 3), max_width=7))
def test_wider_networks_tile_the_box(case):
    net, box = case
    check_tiling(net, box, regions(net, box, method="general"))


@settings(max_examples=20)
@given(nets_and_boxes(max_width=4, max_depth=3))
def test_lp_mode_tiles_and_matches_vertex_mode(case):
    # Two independent deciders: exact LPs, and signs at exactly maintained vertices.
    net, box = case
    with lp_mode():
        lp = regions(net, box, method="general")
    check_tiling(net, box, lp)
    vertex = regions(net, box, method="general")
    assert [r.pattern for r in lp] == [r.pattern for r in vertex]
    assert [r.volume() for r in lp] == [r.volume() for r in vertex]


@settings(max_examples=30)
@given(nets_and_boxes(max_width=4), st.data())
def test_every_untied_point_has_a_listed_pattern(case, data):
    net, (lower, upper) = case
    found = {r.pattern: r for r in regions(net, (lower, upper), method="general")}
    for _ in range(10):
        t = [data.draw(st.fractions(0, 1, max_denominator=12)) for _ in lower]
        x = [lo + ti * (hi - lo) for lo, ti, hi in zip(lower, t, upper)]
        p = net.pattern(x)
        if not p.ties:  # then x is inside its domain's interior, which must be listed
            assert p in found and found[p].polyhedron.contains(x)


@settings(max_examples=15)
@given(nets_and_boxes(dims=(1, 2, 3), max_width=3))
def test_general_path_matches_brute_force(case):
    net, box = case
    assert [r.pattern for r in regions(net, box, method="general")] == brute_force_patterns(net, box)


@settings(max_examples=25)
@given(nets_and_boxes(dims=(2,), max_width=4, max_depth=3))
def test_general_and_planar_paths_agree(case):
    net, box = case
    general = regions(net, box, method="general")
    planar = regions(net, box, method="planar")
    assert [r.pattern for r in general] == [r.pattern for r in planar]
    assert [r.volume() for r in general] == [r.volume() for r in planar]


@settings(max_examples=8)
@given(nets_and_boxes(entry=FLOATS, max_width=3))
def test_float64_weights(case):
    net, box = case
    check_tiling(net, box, regions(net, box, method="general"))


@settings(max_examples=10)
@given(nets_and_boxes(dims=(2, 3), max_width=4))
def test_parallel_matches_serial(case):
    net, box = case
    serial = regions(net, box, method="general")
    with ThreadPoolExecutor(2) as pool:
        threaded = regions(net, box, method="general", executor=pool)
    assert [(r.pattern, r.witness) for r in threaded] == [(r.pattern, r.witness) for r in serial]


@settings(max_examples=15)
@given(nets_and_boxes(max_width=4), st.integers(0, 6))
def test_limit_is_exact(case, limit):
    net, box = case
    total = len(regions(net, box, method="general"))
    try:
        found = regions(net, box, method="general", max_regions=limit)
    except Exception as exc:  # RegionLimitExceeded
        assert type(exc).__name__ == "RegionLimitExceeded" and total > limit and exc.limit == limit
        assert len(exc.regions) <= limit
    else:
        assert total <= limit and len(found) == total
