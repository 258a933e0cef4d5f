"""Tests for the planar (2-D input) exact region enumerator.

Every enumeration is checked two ways:
- against ``_reference``: an independent, slow, Fraction-only polygon clipper
  written here (no floats, no homogeneous lines, no flint), which returns
  {pattern: area};
- by ``_check``: the invariants that together prove the output is the set of
  linear regions (areas tile the box; patterns distinct; every vertex lies in
  the closure of its pattern's activation domain, checked with
  Network.prefix_maps; the witness is strictly inside its convex polygon and
  has the region's pattern; the affine map equals the network at the witness
  and at every vertex).
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.nets.network import Network
from exactrelu.nets.pattern import Pattern
from exactrelu.regions.errors import RegionLimitExceeded
from exactrelu.regions.planar import planar_regions

BOX = ((-1, -1), (1, 1))


# ------------------------------------------------------------ independent reference
def _z(net, prefix, point):
    """Layer len(prefix)'s pre-activations at point, with earlier layers masked by prefix."""
    y = list(point)
    for (W, b), bits in zip(net.layers, prefix):
        y = [(sum(w * v for w, v in zip(row, y)) + bb) * bit for row, bb, bit in zip(W, b, bits)]
    W, b = net.layers[len(prefix)]
    return [sum(w * v for w, v in zip(row, y)) + bb for row, bb in zip(W, b)]


def _area(poly):
    return sum(poly[i - 1][0] * p[1] - p[0] * poly[i - 1][1] for i, p in enumerate(poly)) / 2


def _reference(net, lo, hi):
    """{pattern string: area} by plain exact Sutherland-Hodgman clipping, depth first."""
    lo, hi = [Fraction(v) for v in lo], [Fraction(v) for v in hi]
    box = [(lo[0], lo[1]), (hi[0], lo[1]), (hi[0], hi[1]), (lo[0], hi[1])]
    out = {}

    def clip(poly, zs, sign):
        res = []
        for i in range(len(poly)):
            a, b, za, zb = poly[i], poly[(i + 1) % len(poly)], zs[i], zs[(i + 1) % len(poly)]
            if sign * za >= 0:
                res.append(a)
            if za * zb < 0:
                t = za / (za - zb)
                res.append((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
        return res

    def go(poly, prefix, bits):
        k = len(prefix)
        if k == net.depth:
            key = "|".join("".join(map(str, layer)) for layer in prefix)
            assert key not in out
            out[key] = _area(poly)
            return
        j = len(bits)
        if j == len(net.layers[k][1]):
            go(poly, prefix + (tuple(bits),), [])
            return
        zs = [_z(net, prefix, p)[j] for p in poly]
        if any(z > 0 for z in zs) and any(z < 0 for z in zs):
            go(clip(poly, zs, 1), prefix, bits + [1])
            go(clip(poly, zs, -1), prefix, bits + [0])
        else:
            go(poly, prefix, bits + [int(any(z > 0 for z in zs))])

    go(box, (), [])
    return out


def _check(net, box, regs):
    """Assert the invariants that characterise the exact set of linear regions."""
    lo, hi = [Fraction(v) for v in box[0]], [Fraction(v) for v in box[1]]
    patterns = [r.pattern for r in regs]
    assert len(set(patterns)) == len(patterns)
    assert all(not p.ties for p in patterns)
    assert sum(r.volume() for r in regs) == (hi[0] - lo[0]) * (hi[1] - lo[1])
    for r in regs:
        _check_region(net, lo, hi, r)


def _check_region(net, lo, hi, r):
    """Assert one region's invariants: convex polygon, witness, pattern, affine map, vertices in its domain."""
    vs = r.vertices
    assert len(vs) >= 3
    w = r.witness
    A, c = r.affine_map
    for i in range(len(vs)):  # convex, counter-clockwise, genuine corners, witness strictly inside
        a, b, d = vs[i - 1], vs[i], vs[(i + 1) % len(vs)]
        assert (b[0] - a[0]) * (d[1] - b[1]) - (b[1] - a[1]) * (d[0] - b[0]) > 0
        assert (b[0] - a[0]) * (w[1] - a[1]) - (b[1] - a[1]) * (w[0] - a[0]) > 0
    assert net.pattern(w).layers == r.pattern.layers
    maps = list(net.prefix_maps(r.pattern))
    for p in [w, *vs]:
        assert lo[0] <= p[0] <= hi[0] and lo[1] <= p[1] <= hi[1]
        assert net(p) == tuple(sum(ai * xi for ai, xi in zip(row, p)) + ci for row, ci in zip(A, c))
        for (M, m), bits in zip(maps, r.pattern.layers):
            for j, bit in enumerate(bits):
                z = M[j, 0] * int(p[0].numerator) / int(p[0].denominator) + \
                    M[j, 1] * int(p[1].numerator) / int(p[1].denominator) + m[j, 0]
                assert (z >= 0) if bit else (z <= 0)


def _agree(net, box=BOX):
    regs = planar_regions(net, box)
    _check(net, box, regs)
    ref = _reference(net, *box)
    got = {str(r.pattern): r.volume() for r in regs}
    assert got == ref
    for r in regs[:5]:  # the memoised maps agree with the network's own explicit expression
        assert r.affine_map == net.affine_map(r.pattern)
    return regs


# ---------------------------------------------------------------- special cases
def test_four_lines_through_one_point():
    # x, y, x+y, x-y through the origin: 4 lines through a point make 8 sectors
    net = Network([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0])])
    assert len(_agree(net)) == 8


def test_lines_through_one_point_with_unrepresentable_weights():
    # lines through (1/3, 1/7) with slopes that floats cannot hold: 5 lines, 10 sectors
    p = (Fraction(1, 3), Fraction(1, 7))
    rows = [(Fraction(1, 3), Fraction(1, 1)), (Fraction(2, 7), Fraction(-5, 3)), (Fraction(1), Fraction(0)),
            (Fraction(0), Fraction(1, 10)), (Fraction(-7, 11), Fraction(3, 13))]
    net = Network([([list(r) for r in rows], [-(a * p[0] + b * p[1]) for a, b in rows])])
    assert len(_agree(net)) == 10


def test_boundaries_through_one_point_in_later_layers():
    # layer 0: x, y and -x, -y; layer 1: relu(x) - relu(y), relu(-x) - relu(-y), relu(x) - relu(-y):
    # every layer-1 boundary passes through the origin, a vertex made by layer 0
    net = Network([([[1, 0], [0, 1], [-1, 0], [0, -1]], [0, 0, 0, 0]),
                   ([[1, -1, 0, 0], [0, 0, 1, -1], [1, 0, 0, -1]], [0, 0, 0])])
    _agree(net)


def test_boundary_through_a_vertex_of_an_earlier_layer():
    # layer 0 makes the vertex (0, 0); u = relu(x) - relu(y) vanishes on the diagonal of the first
    # quadrant only, so that quadrant splits in two: 3 + 2 = 5 regions (derived by hand)
    net = Network([([[1, 0], [0, 1]], [0, 0]), ([[1, -1]], [0])])
    regs = _agree(net)
    assert len(regs) == 5


def test_vertex_from_earlier_layer_not_at_origin():
    # layer 0 lines meet at (1/3, -2/5); a layer-1 neuron vanishes there again
    p = (Fraction(1, 3), Fraction(-2, 5))
    net = Network([([[3, 1], [1, -2]], [-(3 * p[0] + p[1]), -(p[0] - 2 * p[1])]),
                   ([[1, -3], [2, 1], [-1, 1]], ["1/10", 0, 0])])
    _agree(net)


def test_parallel_and_duplicate_neurons():
    net = Network([([[1, 2], [1, 2], [2, 4], [1, 2], [-1, -2]], [0, 0, 0, "1/2", 0]),
                   ([[1, 1, 0, -1, 1], [0, 1, -1, 0, 0]], [0, "-1/4"])])
    _agree(net)


def test_boundaries_through_box_corners_and_along_edges():
    # x - y through corners (-1,-1), (1,1); x + y - 2 touches corner (1, 1) only;
    # x - 1 and y + 1 lie along box edges; none of the last three cuts the box
    net = Network([([[1, -1], [1, 1], [1, 0], [0, 1]], [0, -2, -1, 1])])
    regs = _agree(net)
    assert len(regs) == 2
    assert sorted(str(r.pattern) for r in regs) == ["0001", "1001"]


@pytest.mark.parametrize("bias, bit", [(1, "1"), (0, "0"), (-1, "0")])
def test_neuron_constant_on_the_box(bias, bit):
    # a zero row is constant: active iff its bias is positive
    net = Network([([[0, 0], [1, 0]], [bias, 0])])
    regs = _agree(net)
    assert sorted(str(r.pattern) for r in regs) == [bit + "0", bit + "1"]


def test_zero_rows_in_later_layers():
    net = Network([([[1, 0], [0, 0], [0, 1]], [0, 0, 0]), ([[0, 1, 0], [0, 0, 0], [1, 0, -1]], [0, 1, 0])])
    _agree(net)


def test_huge_and_tiny_weights_fall_back_to_exact():
    # 10^400 overflows float64 and 10^-400 underflows: every such sign is decided exactly
    big, tiny = Fraction(10) ** 400, Fraction(1, 10**400)
    net = Network([([[big, 1], [tiny, -tiny], [1, big]], [0, tiny, -big])])
    _agree(net)


def test_pure_affine_and_unit_box():
    net = Network([], output=([[1, 2]], [3]))
    [r] = planar_regions(net, ((0, 0), (1, 1)))
    assert r.pattern == Pattern([]) and r.volume() == 1 and r.affine_map == (((1, 2),), (3,))


def test_off_centre_box_with_unrepresentable_bounds():
    net = Network([([[1, 1], [1, -1], [3, 1]], ["-1/3", "1/7", 0]), ([[1, -1, 1]], ["-1/5"])])
    _agree(net, (("-1/3", "1/10"), ("2/3", "7/9")))


# ---------------------------------------------------------------------- API
def test_errors_and_limits():
    net = Network([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0])])
    with pytest.raises(ValueError, match="2-D input"):
        planar_regions(Network([([[1, 2, 3]], [0])]), BOX)
    with pytest.raises(ValueError, match="lower"):
        planar_regions(net, ((1, 0), (0, 1)))
    with pytest.raises(ValueError, match="box"):
        planar_regions(net, 3)
    with pytest.raises(ValueError, match="Network"):
        planar_regions([[1, 2]], BOX)
    with pytest.raises(ValueError, match="empty interior"):  # as regions(): a flat box is refused, not empty
        planar_regions(net, ((0, 0), (0, 1)))
    with pytest.raises(RegionLimitExceeded) as info:
        planar_regions(net, BOX, max_regions=7)
    assert info.value.limit == 7 and isinstance(info.value, RuntimeError)
    assert len(planar_regions(net, BOX, max_regions=8)) == 8
    with pytest.raises(RegionLimitExceeded):
        planar_regions(Network([], output=([[1, 1]], [0])), BOX, max_regions=0)
    with pytest.raises(ValueError, match="max_regions"):
        planar_regions(net, BOX, max_regions=-1)


def test_progress_bar_runs(capsys):
    net = Network([([[1, 0], [0, 1]], [0, 0])])
    assert len(planar_regions(net, BOX, progress=True)) == 4
    assert "planar" in capsys.readouterr().err


def test_polyhedron_matches_polygon():
    from exactrelu.exact import polyhedron as poly
    net = Network([([[1, 0], [0, 1], [1, 1]], [0, "1/3", 0])])
    regs = planar_regions(net, poly.Box([-1, -1], [1, 1]))
    assert {str(r.pattern): r.volume() for r in regs} == _reference(net, *BOX)
    for r in regs:
        P = r.polyhedron
        assert P.contains(r.witness)
        assert all(P.contains(v) for v in r.vertices)
        assert P.volume() == r.volume()


# ------------------------------------------------------------------ properties
_small = st.builds(Fraction, st.integers(-3, 3), st.sampled_from([1, 1, 2, 3]))


@st.composite
def _rational_networks(draw, max_depth=3, max_width=4):
    widths = [2] + draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_depth))
    layers = [([[draw(_small) for _ in range(widths[i])] for _ in range(widths[i + 1])],
               [draw(_small) for _ in range(widths[i + 1])]) for i in range(len(widths) - 1)]
    return Network(layers, output=([[1] * widths[-1]], [0]))


@settings(max_examples=40)
@given(_rational_networks())
def test_small_rational_networks_match_reference(net):
    _agree(net)


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(4, 4), (6, 5), (3, 3, 3)]))
def test_float_weight_networks_match_reference(seed, widths):
    rng = np.random.default_rng(seed)
    dims = (2, *widths)
    layers = [(rng.normal(0, 1, (dims[i + 1], dims[i])), rng.normal(0, 0.3, dims[i + 1])) for i in range(len(widths))]
    _agree(Network(layers))


def test_counts_match_reference_on_a_wider_network():
    rng = np.random.default_rng(7)
    net = Network([(rng.normal(0, 1, (8, 2)), rng.normal(0, 0.3, 8)), (rng.normal(0, 0.5, (6, 8)), rng.normal(0, 0.3, 6))])
    regs = _agree(net)
    assert len(regs) > 20


def test_every_boundary_through_one_non_float_point():
    # eight integer lines through p = (1/3, 1/5) (not a float) and a second layer with zero biases, so
    # every boundary of both layers passes through p: float32 region counters overcount this one
    L0 = [(3, 0, -1), (0, 5, -1), (3, 5, -2), (3, -5, 0), (6, 5, -3), (3, 10, -3), (9, -5, -2), (-3, 5, 0)]
    W1 = np.random.default_rng(1).integers(-2, 3, (5, 8, 8))[4].tolist()
    net = Network([([r[:2] for r in L0], [r[2] for r in L0]), (W1, [0] * 8)])
    regs = _agree(net)
    p = (Fraction(1, 3), Fraction(1, 5))
    # p is a vertex of every region that touches it; the 16 sectors of layer 0 all meet there
    assert sum(p in r.vertices for r in regs) >= 16


def test_progress_counter_without_tqdm(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    net = Network([([[1, 0], [0, 1]], [0, 0])])
    assert len(planar_regions(net, BOX, progress=True)) == 4
    assert "planar regions: neuron 2/2, 4 pieces" in capsys.readouterr().err


def test_agrees_with_the_general_path():
    from exactrelu.regions import general
    net = Network([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, "-1/2", 0]), ([[1, -1, 1, 0], [0, 1, 1, -1]], [0, "1/4"])])
    mine = {str(r.pattern): r.volume() for r in planar_regions(net, BOX)}
    theirs = {str(r.pattern): r.volume() for r in general.general_regions(net, BOX)}
    assert mine == theirs


def test_degenerate_integer_network_is_certified():
    # small integer weights make many boundaries meet in common points (float32 counters overcount
    # such networks); _check alone proves the output is exactly the set of linear regions
    rng = np.random.default_rng(5)
    layers = [(rng.integers(-3, 4, (12, 2)).tolist(), rng.integers(-2, 3, 12).tolist()),
              (rng.integers(-3, 4, (12, 12)).tolist(), rng.integers(-2, 3, 12).tolist())]
    net = Network(layers, output=([[1] * 12], [0]))
    regs = planar_regions(net, BOX)
    _check(net, BOX, regs)
    assert len(regs) > 50


@pytest.mark.parametrize("scale", [Fraction(1, 10**30), Fraction(10**12)])
def test_tiny_and_huge_boxes_around_a_common_point(scale):
    # a box of side ~1e-30 around p = (1/3, 1/5) is below float resolution there: every sign is exact
    p = (Fraction(1, 3), Fraction(1, 5))
    L0 = [(3, 0, -1), (0, 5, -1), (3, 5, -2), (3, -5, 0), (6, 5, -3), (3, 10, -3)]
    net = Network([([r[:2] for r in L0], [r[2] for r in L0]), ([[1, -1, 2, 0, 0, 1], [0, 1, 1, -1, 2, 0]], [scale, 0])])
    _agree(net, ((p[0] - scale, p[1] - scale), (p[0] + scale, p[1] + 2 * scale)))


# ------------------------------------------------------------ max_regions
def _check_partial(net, box, limit, full):
    """Assert the RegionLimitExceeded for ``limit`` carries ``limit`` complete regions of ``full``."""
    with pytest.raises(RegionLimitExceeded) as info:
        planar_regions(net, box, max_regions=limit)
    err = info.value
    assert err.limit == limit and isinstance(err, RuntimeError)
    # more regions than the limit exist, so exactly `limit` of them are carried
    assert len(err.regions) == min(limit, len(full)) == limit
    msg = str(err)
    assert f"more than max_regions={limit}" in msg and "exceeds the limit" in msg
    assert f"{limit} complete regions" in msg and "so far" in msg
    by_pattern = {r.pattern: r for r in full}
    patterns = [r.pattern for r in err.regions]
    assert len(set(patterns)) == len(patterns) and patterns == sorted(patterns)
    lo, hi = [Fraction(v) for v in box[0]], [Fraction(v) for v in box[1]]
    for r in err.regions:
        assert r.pattern in by_pattern  # a region of the full enumeration ...
        assert set(r.vertices) == set(by_pattern[r.pattern].vertices)  # ... with the same exact polygon
        assert r.volume() == by_pattern[r.pattern].volume()
        _check_region(net, lo, hi, r)
    return err


@settings(max_examples=12)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(4, 4), (6, 5), (3, 3, 3), (5, 4, 4)]),
       st.floats(0, 1), st.booleans())
def test_limit_error_carries_complete_regions(seed, widths, fraction, rational):
    rng = np.random.default_rng(seed)
    dims = (2, *widths)
    if rational:  # small rationals: many boundaries meet in common points
        layers = [(rng.integers(-3, 4, (dims[i + 1], dims[i])),
                   [Fraction(int(v), 2) for v in rng.integers(-2, 3, dims[i + 1])]) for i in range(len(widths))]
    else:
        layers = [(rng.normal(0, 1, (dims[i + 1], dims[i])), rng.normal(0, 0.3, dims[i + 1]))
                  for i in range(len(widths))]
    net = Network(layers)
    full = planar_regions(net, BOX)
    limit = int(fraction * (len(full) - 1))  # 0 .. len(full) - 1: always exceeded
    _check_partial(net, BOX, limit, full)
    assert len(planar_regions(net, BOX, max_regions=len(full))) == len(full)


@settings(max_examples=15)
@given(_rational_networks(), st.integers(0, 30))
def test_limit_error_on_small_rational_networks(net, limit):
    full = planar_regions(net, BOX)
    if limit < len(full):
        _check_partial(net, BOX, limit, full)
    else:
        assert len(planar_regions(net, BOX, max_regions=limit)) == len(full)


@pytest.mark.parametrize("first, cap", [(256, 8192), (1, 3), (2, 1000)])
def test_limit_error_in_every_layer_and_without_hidden_layers(monkeypatch, first, cap):
    # the limits below are first exceeded in different layers of this network (asserted via `aborted`);
    # small first/cap batch sizes make the collection take many batches with the growth estimate
    from exactrelu.regions import planar

    monkeypatch.setattr(planar._Planar._collect, "__defaults__", (first, cap))
    aborted = set()
    original = planar._Planar._advance

    def recording(self, k, *args):
        out = original(self, k, *args)
        if out is None:
            aborted.add(k)
        return out

    monkeypatch.setattr(planar._Planar, "_advance", recording)
    rng = np.random.default_rng(3)
    dims = (2, 6, 6, 5)
    net = Network([(rng.normal(0, 1 if i == 0 else 0.5, (dims[i + 1], dims[i])), rng.normal(0, 0.3, dims[i + 1]))
                   for i in range(3)])
    full = planar_regions(net, BOX)
    for limit in (0, 1, 2, 5, 17, 30, len(full) // 2, len(full) - 1):
        _check_partial(net, BOX, limit, full)
    assert aborted == {0, 1, 2}
    affine = Network([], output=([[1, 1]], [0]))  # no hidden layer: one region, the box
    assert _check_partial(affine, BOX, 0, planar_regions(affine, BOX)).regions == []


def test_limit_error_does_bounded_work(monkeypatch):
    # the collection after the limit is hit must not finish the enumeration: count the pieces the
    # last layer is run on (the full enumeration runs it on every piece of the layer before)
    from exactrelu.regions import planar

    rng = np.random.default_rng(5)
    dims = (2, 16, 16, 16)
    net = Network([(rng.normal(0, 1 if i == 0 else 0.3, (dims[i + 1], dims[i])), rng.normal(0, 0.3, dims[i + 1]))
                   for i in range(3)])
    seen = []
    python, compiled = planar._Planar._layer, planar._Planar._layer_compiled

    def counting(self, k, piece_vids, *args):
        seen.append((k, len(piece_vids)))
        return python(self, k, piece_vids, *args)

    def counting_compiled(self, jit, k, piece_vids, *args):
        seen.append((k, len(piece_vids)))
        return compiled(self, jit, k, piece_vids, *args)

    monkeypatch.setattr(planar._Planar, "_layer", counting)  # whichever cuts run (numba installed or not)
    monkeypatch.setattr(planar._Planar, "_layer_compiled", counting_compiled)
    full = planar_regions(net, BOX)
    last_full = sum(n for k, n in seen if k == 2)
    seen.clear()
    with pytest.raises(RegionLimitExceeded) as info:
        planar_regions(net, BOX, max_regions=5)
    assert len(info.value.regions) == 5 and len(full) > 100
    assert sum(n for k, n in seen if k == 2) <= 5 < last_full


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.fractions(), st.builds(lambda n, k: Fraction(n, 2**k), st.integers(-2**80, 2**80), st.integers(0, 1200)),
                 st.builds(lambda n, d: Fraction(n, d), st.integers(-10**400, 10**400), st.integers(1, 10**30))))
def test_float_conversion_bounds_hold_for_any_rational(q):
    """The float filters' inputs: |q - f| <= e exactly, e = 0 exactly when f is q, inf only past the doubles."""
    from exactrelu.regions._planar_float import to_float_with_error

    (f,), (e,) = to_float_with_error([q])
    if math.isinf(f):
        assert math.isinf(e) and abs(q) > 2**1023
        return
    assert abs(q - Fraction(f)) <= Fraction(e)
    assert (e == 0) == (Fraction(f) == q)


def test_enumeration_leaves_the_garbage_collector_as_it_found_it():
    """Collection is paused during an enumeration and restored after; objects the program froze stay frozen."""
    import gc

    net = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, "-1/3"])])
    assert gc.isenabled()
    gc.freeze()  # the program's own frozen objects (as a server freezes before forking)
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        planar_regions(net, BOX)
        assert gc.isenabled() and gc.get_freeze_count() > frozen // 2  # not unfrozen (a few may have been freed)
    finally:
        gc.unfreeze()
    gc.disable()  # a program that runs with collection off keeps it off
    try:
        planar_regions(net, BOX)
        assert not gc.isenabled()
    finally:
        gc.enable()
    planar_regions(net, BOX)
    assert gc.isenabled() and gc.get_freeze_count() == 0


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_pattern_order_sorts_like_patterns_on_every_path(data):
    """_pattern_order against Python's sort of the prefixes: few pieces (tuple sort), patterns that fit one
    int64 key, and wide or many-piece patterns (bytes), with pieces up to 300 (past one byte)."""
    from exactrelu.regions.planar import _pattern_order

    widths = data.draw(st.lists(st.integers(1, 40), min_size=1, max_size=3))
    top = data.draw(st.sampled_from([1, 2, 300]))
    n_start, history, prefixes = 1, [], [()]
    for w in widths:
        n = data.draw(st.integers(1, 80))
        parent = np.array(data.draw(st.lists(st.integers(0, n_start - 1), min_size=n, max_size=n)), dtype=np.int64)
        pieces = np.array(data.draw(st.lists(st.lists(st.integers(0, top), min_size=w, max_size=w),
                                             min_size=n, max_size=n)), dtype=np.int64 if top > 127 else np.int8)
        history.append((parent, pieces))
        prefixes = [prefixes[p] + (tuple(row),) for p, row in zip(parent.tolist(), pieces.tolist())]
        n_start = n
    order = _pattern_order(history, prefixes).tolist()
    assert sorted(order) == list(range(len(prefixes)))
    assert [prefixes[i] for i in order] == sorted(prefixes)
