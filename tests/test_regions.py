"""Tests for the linear-region API and the general (any dimension) path.

Expected region sets below are derived by hand in the comments; the random
invariants (tiling, witnesses, affine maps, brute force) live in
test_regions_properties.py.
"""

import json
import sys
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from fractions import Fraction as F
from unittest import mock

import flint
import pytest
from hypothesis import given, settings, strategies as st

import exactrelu
from exactrelu import Network, Pattern
from exactrelu.regions import Region, RegionLimitExceeded, count_regions, regions
from exactrelu.regions import splitting as splitting_module
from exactrelu.regions.splitting import Splitter
from exactrelu.regions.parallel import decode_cell, encode_cell, solve_task
from exactrelu.testing import networks

SQUARE = ([-1, -1], [1, 1])


def general(net, box, **kw):
    return regions(net, box, method="general", **kw)


def lp_mode():
    """Force the LP mode of the general path (no vertex lists) in every dimension."""
    return mock.patch.object(splitting_module, "VERTEX_MAX_DIM", 0)


def patterns(found):
    return [str(r.pattern) for r in found]


def identically_zero(net, pattern, layer, neuron):
    M, m = list(net.prefix_maps(pattern))[layer]
    return m[neuron, 0] == 0 and all(M[neuron, k] == 0 for k in range(M.ncols()))


def check_witnesses(net, found, box):
    """Each witness is strictly inside the box and has exactly its region's pattern.

    Ties are allowed only at neurons that are identically 0 on the region.
    """
    lower, upper = (tuple(map(F, v)) for v in box)
    for r in found:
        assert all(lo < x < hi for lo, x, hi in zip(lower, r.witness, upper))
        p = net.pattern(r.witness)
        assert p.without_ties() == r.pattern
        assert all(identically_zero(net, r.pattern, i, j) for i, j in p.ties), (r, p.ties)
        assert net(r.witness) == tuple(
            sum((a * x for a, x in zip(row, r.witness)), F(0)) + c for row, c in zip(r.A, r.c)
        )


def volumes(found):
    return [r.volume() for r in found]


# ------------------------------------------------------------------ hand-derived cases
def test_quadrants_and_an_oblique_line():
    # x > 0, y > 0, x + y > 1 on [-1, 1]^2: the line x + y = 1 only crosses the
    # quadrant x, y > 0, so that quadrant splits in two: 5 regions.
    net = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, -1])])
    found = general(net, SQUARE)
    assert patterns(found) == ["000", "010", "100", "110", "111"]
    check_witnesses(net, found, SQUARE)
    # Areas: three quadrants of area 1; the corner triangle x + y > 1 has area 1/2.
    assert volumes(found) == [1, 1, 1, F(1, 2), F(1, 2)]


def test_many_lines_through_one_point():
    # x, y, x + y, x - y all vanish at the centre (0, 0): 4 lines, 8 sectors of area 1/2.
    net = Network([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0])])
    found = general(net, SQUARE)
    assert len(found) == 8
    # Sector 0 < y < x: x > 0, y > 0, x + y > 0, x - y > 0.
    assert "1111" in patterns(found)
    # Sector 0 < -y < x: x > 0, y < 0, x + y > 0, x - y > 0; but x > 0 > y forces x - y > 0.
    assert "1011" in patterns(found) and "1010" not in patterns(found)
    check_witnesses(net, found, SQUARE)
    assert volumes(found) == [F(1, 2)] * 8


def test_parallel_and_duplicate_neurons_1d():
    # x, x, 2x, x - 1/2 on [-1, 1]: breakpoints 0 and 1/2 only, so 3 intervals.
    net = Network([([[1], [1], [2], [1]], [0, 0, 0, "-1/2"])])
    found = general(net, ([-1], [1]))
    assert patterns(found) == ["0000", "1110", "1111"]
    check_witnesses(net, found, ([-1], [1]))
    assert volumes(found) == [1, F(1, 2), F(1, 2)]


def test_hyperplane_through_box_corners_and_along_faces():
    # On [0, 1]^2: x + y = 2 touches only the corner (1, 1): never positive inside.
    # x - y = 0 is the diagonal through two corners: two triangles of area 1/2.
    # x = 1 is a face of the box: x - 1 < 0 inside.  x = 0 is a face: x > 0 inside.
    net = Network([([[1, 1], [1, -1], [1, 0], [1, 0]], [-2, 0, -1, 0])])
    box = ([0, 0], [1, 1])
    found = general(net, box)
    assert patterns(found) == ["0001", "0101"]
    check_witnesses(net, found, box)
    assert volumes(found) == [F(1, 2), F(1, 2)]


def test_constant_neurons():
    # Zero rows: bias 1 is always active, bias -1 and bias 0 never (bias 0 ties everywhere).
    net = Network([([[0, 0], [0, 0], [0, 0], [1, 0]], [1, -1, 0, 0])])
    found = general(net, SQUARE)
    assert patterns(found) == ["1000", "1001"]
    for r in found:
        p = net.pattern(r.witness)
        assert p.without_ties() == r.pattern and p.ties == ((0, 2),)


def test_second_layer_constant_where_first_layer_is_off():
    # Layer 0: ReLU(x); layer 1: ReLU(y0 - 1/2) and ReLU(1 - y0).  Where x < 0, y0 = 0
    # and the second layer sees constants -1/2 (off) and 1 (on): no split there.
    # For x > 0: y0 - 1/2 changes sign at x = 1/2 and 1 - y0 at x = 1 (outside [-1, 1)).
    net = Network([([[1]], [0]), ([[1], [-1]], ["-1/2", 1])])
    found = general(net, ([-1], ["3/2"]))
    # Intervals: (-1, 0) -> 0|01, (0, 1/2) -> 1|01, (1/2, 1) -> 1|11, (1, 3/2) -> 1|10.
    assert patterns(found) == ["0|01", "1|01", "1|10", "1|11"]
    check_witnesses(net, found, ([-1], ["3/2"]))
    assert volumes(found) == [1, F(1, 2), F(1, 2), F(1, 2)]


def test_bent_hyperplane_in_3d():
    # Layer 0: ReLU(x), ReLU(y); layer 1: ReLU(y0 + y1 - 1/2), whose zero set bends
    # on the axes.  z is free, so each region is a prism of height 1 over a planar piece:
    # x, y < 0: 00|0 (area 1); x < 0 < y: 01|0 (y < 1/2), 01|1 (y > 1/2), area 1/2 each;
    # y < 0 < x: 10|0, 10|1 likewise; x, y > 0: 11|0 (x + y < 1/2, area 1/8), 11|1 (7/8).
    net = Network([([[1, 0, 0], [0, 1, 0]], [0, 0]), ([[1, 1]], ["-1/2"])])
    box = ([-1, -1, 0], [1, 1, 1])
    found = general(net, box)
    assert patterns(found) == ["00|0", "01|0", "01|1", "10|0", "10|1", "11|0", "11|1"]
    check_witnesses(net, found, box)
    half = F(1, 2)
    assert volumes(found) == [1, half, half, half, half, F(1, 8), F(7, 8)]


def test_one_dimensional_deep_network():
    # |x| via ReLU(x) + ReLU(-x), then ReLU(|x| - 1/2): breakpoints -1/2, 0, 1/2.
    net = Network([([[1], [-1]], [0, 0]), ([[1, 1]], ["-1/2"])], output=([[1]], [0]))
    found = general(net, ([-1], [1]))
    assert patterns(found) == ["01|0", "01|1", "10|0", "10|1"]
    check_witnesses(net, found, ([-1], [1]))
    by = {str(r.pattern): r for r in found}
    assert by["10|1"].affine_map == (((F(1),),), (F(-1, 2),))


def test_output_only_network_has_one_region():
    net = Network([], output=([[2, 3]], [1]))
    (r,) = general(net, SQUARE)
    assert r.pattern == Pattern([]) and r.affine_map == (((F(2), F(3)),), (F(1),))


def test_box_object_and_pair_agree():
    from exactrelu.exact import polyhedron as poly
    net = Network([([[1, 2], [-1, 1]], [0, "1/3"])])
    a = general(net, poly.Box([-1, -1], [1, 1]))
    b = general(net, ([-1, -1], ["1", "1.0"]))
    assert [(r.pattern, r.witness) for r in a] == [(r.pattern, r.witness) for r in b]


def test_region_polyhedron_contains_witness_and_vertices_match_forward_pass():
    net = Network([([[1, -1], [2, 1], [1, 1]], [0, "-1/2", "1/3"]), ([[1, -1, 1]], [0])], output=([[1]], [1]))
    for r in general(net, SQUARE):
        assert r.polyhedron.contains(r.witness)
        for v in r.polyhedron.vertices():
            affine = tuple(sum((a * x for a, x in zip(row, v)), F(0)) + c for row, c in zip(r.A, r.c))
            assert net(v) == affine


# ------------------------------------------------------------------ API behaviour
def test_five_dimensional_input_in_both_modes():
    # x0 and x1 on [-1, 1]^5: four orthants in (x0, x1), each of volume 2^5 / 4 = 8.
    # x0 + ... + x4 > 4 only near the corner (1, ..., 1), inside the orthant x0, x1 > 0:
    # with s_i = 1 - x_i >= 0 it is sum s_i < 1, a simplex of volume 1/5! = 1/120.
    net = Network([([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [1, 1, 1, 1, 1]], [0, 0, -4])])
    box = ([-1] * 5, [1] * 5)
    vertex = general(net, box)
    with lp_mode():
        lp = general(net, box)
    for found in (vertex, lp):
        assert patterns(found) == ["000", "010", "100", "110", "111"]
        check_witnesses(net, found, box)
        assert volumes(found) == [8, 8, 8, 8 - F(1, 120), F(1, 120)]


def test_high_dimension_uses_lp_mode():
    # 8 > VERTEX_MAX_DIM: the LP decider runs without being forced.
    d = 8
    assert d > splitting_module.VERTEX_MAX_DIM
    # x0, x1 and x0 + x1 + ... + x7 - 7 (positive only near the corner (1, ..., 1), where x0, x1 > 0).
    net = Network([([[1] + [0] * 7, [0, 1] + [0] * 6, [1] * 8], [0, 0, -7])])
    box = ([-1] * d, [1] * d)
    found = general(net, box)
    assert patterns(found) == ["000", "010", "100", "110", "111"]
    check_witnesses(net, found, box)


@pytest.mark.parametrize(
    "net, box",
    [
        (Network([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0])]), SQUARE),
        (Network([([[1, 1], [1, -1], [1, 0], [1, 0]], [-2, 0, -1, 0])]), ([0, 0], [1, 1])),
        (Network([([[1], [1], [2], [1]], [0, 0, 0, "-1/2"])]), ([-1], [1])),
    ],
)
def test_lp_mode_matches_vertex_mode(net, box):
    vertex = general(net, box)
    with lp_mode():
        lp = general(net, box)
    assert patterns(lp) == patterns(vertex)
    check_witnesses(net, lp, box)
    assert volumes(lp) == volumes(vertex)


def test_lp_mode_3d_and_parallel():
    vertex = general(NET3, BOX3)
    with lp_mode():
        lp = general(NET3, BOX3)
        ex = JsonRoundTripExecutor()
        shipped = general(NET3, BOX3, executor=ex)
    assert patterns(lp) == patterns(vertex)
    check_witnesses(NET3, lp, BOX3)
    assert summary(shipped) == summary(lp)
    assert sum(volumes(lp)) == 8


def test_count_regions_and_top_level_exports():
    net = Network([([[1], [1], [1]], [0, -1, -2])])
    # Breakpoints 0, 1, 2 inside (-1, 3): 4 intervals; inside (1/2, 3/2) only 1: 2 intervals.
    assert count_regions(net, ([-1], [3])) == 4
    assert exactrelu.count_regions(net, (["1/2"], ["3/2"])) == 2
    # exactrelu.regions is the package (see STYLE.md); its function regions() is what net.regions calls.
    assert patterns(exactrelu.regions.regions(net, ([-1], [3]))) == patterns(regions(net, ([-1], [3])))
    assert exactrelu.Region is Region
    assert exactrelu.RegionLimitExceeded is RegionLimitExceeded


def test_network_method_delegates():
    net = Network([([[1, 1], [1, -1]], [0, 0])])
    assert patterns(net.regions(SQUARE)) == patterns(general(net, SQUARE))


def test_auto_uses_general_outside_two_dimensions():
    net = Network([([[1, 0, 0], [0, 1, 1]], [0, 0])])
    box = ([-1] * 3, [1] * 3)
    assert patterns(regions(net, box)) == patterns(general(net, box)) == ["00", "01", "10", "11"]


def test_max_regions():
    net = Network([([[1], [1], [1]], [0, -1, -2])])
    box = ([-1], [3])
    assert len(general(net, box, max_regions=4)) == 4
    with pytest.raises(RegionLimitExceeded) as info:
        general(net, box, max_regions=2)
    err = info.value
    assert isinstance(err, RuntimeError) and err.limit == 2
    full = {str(r.pattern) for r in general(net, box)}
    assert {str(r.pattern) for r in err.regions} <= full
    check_witnesses(net, err.regions, box)
    with pytest.raises(RegionLimitExceeded):
        general(net, box, max_regions=0)


def test_progress_bar(capsys):
    net = Network([([[1, 1], [1, -1]], [0, 0])])
    assert patterns(general(net, SQUARE, progress=True)) == patterns(general(net, SQUARE))
    assert capsys.readouterr().err  # tqdm or the fallback counter wrote to stderr
    with ThreadPoolExecutor(2) as pool:
        assert patterns(general(NET3, BOX3, progress=True, executor=pool)) == patterns(general(NET3, BOX3))
    assert capsys.readouterr().err


def test_progress_without_tqdm(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    net = Network([([[1, 1], [1, -1]], [0, 0])])
    assert len(general(net, SQUARE, progress=True)) == 4
    assert capsys.readouterr().err.strip().endswith("regions: 4")


# ------------------------------------------------------------------ parallel
NET3 = Network(
    [
        ([[1, -1, 0], [F(1, 2), 1, -1], [0, 1, 1], [1, 1, 1]], [0, F(-1, 3), F(1, 2), 0]),
        ([[1, -1, 1, 0], [0, 1, -1, 1]], [F(-1, 2), 0]),
    ]
)
BOX3 = ([-1, -1, -1], [1, 1, 1])


def summary(found):
    return [(r.pattern, r.witness) for r in found]


@pytest.fixture(scope="module")
def serial3():
    return general(NET3, BOX3)


def test_workers_give_the_serial_regions(serial3):
    assert summary(general(NET3, BOX3, workers=2)) == summary(serial3)


def test_thread_executor_gives_the_serial_regions(serial3):
    with ThreadPoolExecutor(2) as pool:
        assert summary(general(NET3, BOX3, executor=pool)) == summary(serial3)


class JsonRoundTripExecutor(Executor):
    """Runs tasks inline after a JSON round trip, as a cluster executor would ship them."""

    def __init__(self):
        self.tasks = 0

    def submit(self, fn, *args, **kwargs):
        args = json.loads(json.dumps(args))
        self.tasks += 1
        fut = Future()
        fut.set_result(json.loads(json.dumps(fn(*args, **kwargs))))
        return fut


def test_tasks_are_plain_json_data(serial3):
    ex = JsonRoundTripExecutor()
    assert summary(general(NET3, BOX3, executor=ex)) == summary(serial3)
    assert ex.tasks > 1


def test_parallel_max_regions(serial3):
    n = len(serial3)
    assert len(general(NET3, BOX3, workers=2, max_regions=n)) == n
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(RegionLimitExceeded) as info:
            general(NET3, BOX3, executor=pool, max_regions=n - 1)
    assert {r.pattern for r in info.value.regions} <= {r.pattern for r in serial3}


def test_cell_encoding_round_trips():
    split = Splitter(NET3, *[tuple(map(F, v)) for v in BOX3])
    cell = split.root()
    for _ in range(5):
        cell = split.step(cell)[-1]
    again = decode_cell(split, json.loads(json.dumps(encode_cell(cell))))
    assert encode_cell(again) == encode_cell(cell)
    assert again.H == cell.H
    task = {
        "network": NET3.to_json(),
        "lower": ["-1"] * 3,
        "upper": ["1"] * 3,
        "vertex_dim": split.vertex_dim,
        "cells": [encode_cell(cell)],
        "limit": None,
    }
    answer = solve_task(task)
    assert answer["exceeded"] is False and answer["regions"]


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "box, message",
    [
        (([-1], [1]), "dimension 1"),
        (([-1, -1], [1]), "lower has length 2"),
        (([1, -1], [1, 1]), "coordinate 0"),
        (([-1, 2], [1, 1]), "coordinate 1"),
        (([-1, float("nan")], [1, 1]), "NaN"),
        (([-1, "x"], [1, 1]), "'x' is not a number"),
        ("[-1, 1]", "pair"),
        (([-1, -1], [1, 1], [2, 2]), "pair"),
        (None, "pair"),
    ],
)
def test_bad_boxes(box, message):
    net = Network([([[1, 1]], [0])])
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        regions(net, box)


def test_non_box_polyhedron_is_rejected():
    from exactrelu.exact import polyhedron as poly
    P = poly.Polyhedron(2, inequalities=[((1, 1), 1), ((-1, 0), 1), ((0, -1), 1)])
    with pytest.raises(ValueError, match="axis-aligned Box"):
        regions(Network([([[1, 1]], [0])]), P)


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"max_regions": -1}, "max_regions"),
        ({"max_regions": 2.5}, "max_regions"),
        ({"max_regions": True}, "max_regions"),
        ({"workers": 0}, "workers"),
        ({"workers": "2"}, "workers"),
        ({"executor": object()}, "executor"),
        ({"method": "fast"}, "method"),
        ({"method": "planar"}, "2-D inputs"),
        ({"progress": "yes"}, "progress"),
    ],
)
def test_bad_options(kw, message):
    net = Network([([[1, 1, 1]], [0])])
    with pytest.raises(ValueError, match=message):
        regions(net, ([-1] * 3, [1] * 3), **kw)


def test_not_a_network():
    with pytest.raises(ValueError, match="Network"):
        regions([[1, 2]], SQUARE)


@pytest.mark.parametrize("gap,expected", [(F(1, 2**200), ["00", "01", "11"]), (F(0), ["00", "11"]),
                                           (F(-1, 2**200), ["00", "10", "11"])])
def test_hyperplanes_closer_than_float_resolution_in_7d(gap, expected):
    # z0 = sum x, z1 = sum x + gap in [-1, 1]^7 (LP mode): for gap > 0 the thin slab
    # -gap < sum x < 0 has z0 < 0 < z1 (pattern 01); for gap < 0 the slab 0 < sum x < -gap
    # has z0 > 0 > z1 (10); gap = 0 gives the two half-boxes only.
    d = 7
    net = Network([([[1] * d, [1] * d], [0, gap])])
    found = regions(net, ([-1] * d, [1] * d))
    assert [str(r.pattern) for r in found] == expected
    assert all(net.pattern(r.witness) == r.pattern for r in found)


def test_hyperplane_touching_only_a_corner_in_7d():
    # sum x = 7 meets [-1, 1]^7 only at the corner (1, ..., 1): one region; moved inwards
    # by 2^-300 it cuts off a tiny simplex: two regions.
    d = 7
    assert count_regions(Network([([[1] * d], [-7])]), ([-1] * d, [1] * d)) == 1
    assert count_regions(Network([([[1] * d], [F(-7) + F(1, 2**300)])]), ([-1] * d, [1] * d)) == 2


def test_region_json_round_trip_check_and_forgeries():
    from exactrelu import Box
    from exactrelu.exact.errors import VerificationError

    net = Network([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], [0]))
    regions = net.regions(Box([-1, -1], [1, 1]))
    for r in regions:
        data = json.loads(json.dumps(r.to_json(vertices=True)))
        back = Region.from_json(data)
        assert back.pattern == r.pattern and back.affine_map == r.affine_map and back.witness == r.witness
        assert back.polyhedron == r.polyhedron and back.check(net) is True
    data = regions[0].to_json(vertices=True)
    forged_map = {**data, "c": [str(F(data["c"][0]) + 1)]}
    with pytest.raises(VerificationError, match="affine map"):
        Region.from_json(forged_map).check(net)
    other = regions[1].to_json()
    with pytest.raises(VerificationError, match="pattern|witness"):
        Region.from_json({**data, "witness": other["witness"], "vertices": data["vertices"]}).check(net)
    with pytest.raises(ValueError, match="'vertices' are not the vertices"):
        Region.from_json({**data, "vertices": data["vertices"][1:]})
    with pytest.raises(ValueError, match="unknown key 'extra'"):
        Region.from_json({**data, "extra": 1})


@settings(max_examples=25, deadline=None)
@given(networks(input_dim=st.integers(2, 5), depth=st.integers(1, 2), widths=st.integers(1, 4),
                denominators=(1, 2), weight_range=2))
def test_vertex_mode_agrees_with_the_lp_mode(net):
    """Vertex mode (float-filtered signs, edges from the tight-constraint bitmasks) and LP mode (exact LPs) are
    independent deciders: the same cells, with small integer weights making degenerate vertices common.  Every
    vertex a cell carries is tight exactly at the constraints of its mask."""
    from exactrelu.regions.splitting import refine

    box = (tuple(F(-1) for _ in range(net.input_dim)), tuple(F(1) for _ in range(net.input_dim)))
    by_vertices = refine(Splitter(net, *box, vertex_dim=6), [Splitter(net, *box, vertex_dim=6).root()])
    by_lps = refine(Splitter(net, *box, vertex_dim=0), [Splitter(net, *box, vertex_dim=0).root()])
    assert sorted(c.done for c in by_vertices) == sorted(c.done for c in by_lps)
    split = Splitter(net, *box)
    cell = split.root()
    while cell.verts is not None and not split.finished(cell):
        cons = split.box_cuts + cell.cuts
        for point, mask, _ in cell.verts:
            tight = {i for i, (a, b) in enumerate(cons) if sum(x * y for x, y in zip(a, point)) == b}
            assert tight == {i for i in range(len(cons)) if mask >> i & 1}
            rows = [cons[i][0] for i in sorted(tight)]  # and it is a vertex: its tight rows have rank d
            assert flint.fmpq_mat(len(rows), net.input_dim, [v for r in rows for v in r]).rank() == net.input_dim
        cell = split.step(cell)[-1]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5), st.data())
def test_dual_keep_is_sound_whatever_the_float_multipliers(d, data):
    """LP mode decides "no cut" from exact multipliers on the d constraints a float LP ranks first. Whatever
    that ranking (HiGHS's, or arbitrary), a "keep" must be true: sign * f >= 0 on the whole closed cell (the
    exact LP's minimum, with f's offset put just above, at or just below it)."""
    from exactrelu.exact.float_lp import minimize
    from exactrelu.exact.lp import solve_lp

    small = st.integers(-3, 3)
    split = Splitter(Network([([[1] * d], [0])]), (F(-1),) * d, (F(1),) * d, vertex_dim=0)
    cuts = tuple((tuple(flint.fmpq(data.draw(small)) for _ in range(d)), flint.fmpq(data.draw(st.integers(0, 3))))
                 for _ in range(data.draw(st.integers(0, 3))))
    cons = split.box_cuts + cuts
    row = tuple(flint.fmpq(data.draw(small)) for _ in range(d))
    sign = data.draw(st.sampled_from([1, -1]))
    frac = lambda v: F(int(v.p), int(v.q))  # noqa: E731
    low = solve_lp([sign * frac(v) for v in row], [[frac(v) for v in a] for a, _ in cons], [frac(b) for _, b in cons])
    assert low.status == "optimal"  # the box keeps the cell bounded and its centre is inside
    delta = data.draw(st.sampled_from([F(-1, 4), F(0), F(1, 4)]))
    shift = sign * (delta - low.value)
    off = flint.fmpq(shift.numerator, shift.denominator)  # min of sign * f over the cell is exactly delta
    guide = minimize([sign * float(v) for v in row], [[float(v) for v in a] for a, _ in cons], [float(b) for _, b in cons])
    if data.draw(st.booleans()) or guide is None:
        marginals = data.draw(st.lists(st.floats(0, 1), min_size=len(cons), max_size=len(cons)))
    else:
        marginals = guide.marginals
    if split._dual_keeps(cons, row, off, sign, marginals):
        assert delta >= 0
