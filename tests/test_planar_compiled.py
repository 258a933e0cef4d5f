"""The compiled cuts of the planar enumerator (numba, the ``fast`` extra) against the pure Python ones.

Both make the same cuts from the same filtered signs, so they must return the
same regions: the same patterns in the same order, the same exact vertices and
the same edges.  Networks with small integer weights make many boundaries meet
in common points, where the float bounds leave signs and orientations open and
the exact fallback (``NEED_SIGNS``, unsure vertices) runs; tiny starting tables
make the tables grow mid-layer (``NEED_ROOM``).
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("numba", reason="the compiled planar cuts need numba: pip install 'exactrelu[fast]'")

from exactrelu import Network  # noqa: E402
from exactrelu.regions import _planar_compiled as compiled_cuts  # noqa: E402
from exactrelu.regions import planar  # noqa: E402

from test_layers import pwl_networks  # noqa: E402

BOX = ([-2, -2], [2, 2])


def _regions(net, compiled: bool, box=BOX, **kw):
    old = compiled_cuts.USE_COMPILED
    compiled_cuts.USE_COMPILED = compiled
    assert not compiled or compiled_cuts.compiled() is not None  # loaded, so even small layers use it
    try:
        return planar.planar_regions(net, box, **kw)
    finally:
        compiled_cuts.USE_COMPILED = old


def _same(net, box=BOX):
    fast, slow = _regions(net, True, box), _regions(net, False, box)
    assert [r.pattern for r in fast] == [r.pattern for r in slow]
    assert [r.vertices for r in fast] == [r.vertices for r in slow]
    assert [edge_lines(r) for r in fast] == [edge_lines(r) for r in slow]
    assert sum(r.volume() for r in fast) == (F(box[1][0]) - F(box[0][0])) * (F(box[1][1]) - F(box[0][1]))
    for r in fast:
        assert net.pattern(r.witness).without_ties() == r.pattern
    return fast


def edge_lines(region):
    """A region's edges as their exact lines (ids may differ between runs; lines may not)."""
    source = region._source
    return [source.exact_line(lid) for lid in source.final_edges[region._index]]


def test_the_compiled_cuts_are_used_when_numba_is_installed():
    assert planar.compiled() is not None


def test_small_layers_do_not_load_the_compiled_cuts_and_mixed_layers_agree(monkeypatch):
    """A fresh process does not load numba for small layers; a compiled layer may precede a Python one."""
    monkeypatch.setattr(compiled_cuts, "_COMPILED", [])
    assert planar.compiled(compiled_cuts.LOAD_WORK - 1) is None and compiled_cuts._COMPILED == []
    assert planar.compiled(compiled_cuts.LOAD_WORK) is not None
    jit, calls = planar.compiled(), []

    def alternate(work=0):  # compiled for the first layer of each enumeration, Python for the next
        calls.append(work)
        return jit if len(calls) % 2 else None

    net = Network([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, "1/3", 0, "-1/4"]),
                   ([[1, -1, 1, -1], [1, 1, -1, 2], [2, 1, 0, -1]], [0, 1, "-1/2"])], output=([[1, 1, 1]], [0]))
    slow = _regions(net, False)
    monkeypatch.setattr(planar, "compiled", alternate)
    mixed = planar.planar_regions(net, BOX)
    assert len(calls) == 2
    assert [(r.pattern, r.vertices) for r in mixed] == [(r.pattern, r.vertices) for r in slow]


integers = st.integers(-3, 3)


@st.composite
def integer_networks(draw):
    """Small integer weights and biases: many lines through common points, many open float signs."""
    dims = [2] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 3)))]
    layers = [([[draw(integers) for _ in range(a)] for _ in range(b)], [draw(st.integers(-2, 2)) for _ in range(b)])
              for a, b in zip(dims, dims[1:])]
    return Network(layers, output=([[1] * dims[-1]], [0]))


@settings(max_examples=60, deadline=None)
@given(integer_networks())
def test_compiled_and_python_cuts_give_the_same_regions(net):
    _same(net)


@settings(max_examples=30, deadline=None)
@given(pwl_networks(width=(1, 5)))
def test_compiled_and_python_cuts_agree_on_piecewise_linear_activations(net):
    _same(net)


def test_open_signs_and_orientations_are_settled_exactly(monkeypatch):
    """Every boundary through one point that is not a float: the bounds leave signs open there."""
    L0 = [(3, 0, -1), (0, 5, -1), (3, 5, -2), (3, -5, 0), (6, 5, -3), (3, 10, -3), (9, -5, -2), (-3, 5, 0)]
    W1 = [[(i * 7 + j * 3) % 5 - 2 for j in range(8)] for i in range(8)]
    net = Network([([r[:2] for r in L0], [r[2] for r in L0]), (W1, [0] * 8)], output=([[1] * 8], [0]))
    settled = []
    original = planar._Planar._settle
    monkeypatch.setattr(planar._Planar, "_settle", lambda self, *a: settled.append(a[2]) or original(self, *a))
    regs = _same(net, ([0, 0], [1, 1]))
    assert settled  # the exact fallback ran (and gave the Python path's regions)
    assert len(regs) > 8


def test_tables_grow_mid_layer(monkeypatch):
    monkeypatch.setattr(compiled_cuts._Tables, "MIN", 4)
    grown = []
    original = compiled_cuts._Tables.grow
    monkeypatch.setattr(compiled_cuts._Tables, "grow", lambda self, *a: grown.append(1) or original(self, *a))
    net = Network([([[1, 0], [0, 1], [1, 1], [1, -1], [2, 1], [1, 2]], [0, 0, 0, 0, "1/3", "-1/3"]),
                   ([[1, -1, 1, -1, 1, -1], [1, 1, -1, -1, 1, 1], [2, -1, 0, 1, -1, 0]], [0, "1/2", "-1/2"])])
    _same(net)
    assert grown


def test_the_limit_stops_the_compiled_cuts_with_the_python_cuts_regions():
    net = Network([([[1, 0], [0, 1], [1, 0], [0, 1]], [0, 0, "-1/2", "-1/2"])])  # 9 squares of [-1, 1]^2
    box = ([-1, -1], [1, 1])
    found = []
    for compiled in (True, False):
        with pytest.raises(planar.RegionLimitExceeded) as err:
            _regions(net, compiled, box, max_regions=4)
        found.append([(r.pattern, r.vertices) for r in err.value.regions])
    assert found[0] == found[1] and len(found[0]) == 4


@settings(max_examples=30, deadline=None)
@given(integer_networks())
def test_planar_regions_come_sorted_by_pattern(net):
    regs = _regions(net, True)
    assert [r.pattern for r in regs] == sorted(r.pattern for r in regs)


def test_a_vertex_of_nearly_parallel_uncertain_lines_is_left_unoriented():
    import numpy as np

    from exactrelu.regions import _planar_jit as jit

    lines = np.array([[1.0, 0.0, 0.0], [1.0, 1e-12, 0.5]])
    lines_err = np.full((2, 3), 1e-10)
    verts, verts_err, vert_lines = np.zeros((1, 3)), np.zeros((1, 3)), np.zeros((1, 2), np.int64)
    assert not jit._new_vertex(lines, lines_err, 0, 1, verts, verts_err, vert_lines, 0)
    assert np.isinf(verts_err[0]).all() and vert_lines[0].tolist() == [0, 1]
    lines_err[:] = 0.0  # exact lines: the last coordinate 1e-12 is certain, and positive already
    assert jit._new_vertex(lines, lines_err, 0, 1, verts, verts_err, vert_lines, 0)
    assert verts[0, 2] > 0 and np.isfinite(verts_err[0]).all()


def test_unsure_vertices_are_oriented_exactly(monkeypatch):
    """Mark every new vertex unsure, with its float point reversed: the exact orientation must repair it."""
    import numpy as np

    jit = planar.compiled()
    real = jit.cut_neurons
    marked = []

    def cut_and_mark(*args):
        counts, verts, verts_err = args[6], args[9], args[10]
        unsure = args[12 + compiled_cuts._Tables.NAMES.index("unsure")]  # the tables follow the 12 leading arguments
        before = int(counts[jit.N_VERTS])
        out = real(*args)
        for vid in range(before, int(counts[jit.N_VERTS])):
            if counts[jit.N_UNSURE] < len(unsure):
                verts[vid], verts_err[vid] = -verts[vid], np.inf
                unsure[counts[jit.N_UNSURE]] = vid
                counts[jit.N_UNSURE] += 1
                marked.append(vid)
        return out

    monkeypatch.setattr(jit, "cut_neurons", cut_and_mark)
    net = Network([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, "1/3", 0, "-1/4"]), ([[1, -1, 1, -1], [1, 1, -1, 2]], [0, 1])],
                  output=([[1, 1]], [0]))
    _same(net)
    assert marked


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 7), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_region_products_plus_crossing_neurons_enclose_the_exact_next_maps(R, w, wn, seed):
    """masked_products over regions + add_crossing per piece + add_bias: the exact W D L + b within the bound."""
    import numpy as np

    from exactrelu.regions._planar_float import add_bias, gamma, masked_products

    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-3, 4, size=(R, 3, w))
    Lf, Le = rng.normal(size=(R, 3, w)) * scale, np.abs(rng.normal(size=(R, 3, w))) * 1e-12 * scale
    crosses, side = rng.random((R, w)) < 0.5, rng.integers(0, 2, (R, w)).astype(np.int8)
    region = rng.integers(0, R, 3 * R)
    bits = np.where(crosses[region], rng.integers(0, 2, (len(region), w)), side[region]).astype(np.int8)
    Wf, bf = rng.normal(size=(wn, w)), rng.normal(size=wn)
    out, err = masked_products(Lf, Le, (side == 1) & ~crosses, Wf, np.zeros_like(Wf))
    out, err = out[region], err[region]
    planar.compiled().add_crossing(out, err, Lf, Le, region, bits, crosses, np.ascontiguousarray(Wf.T), gamma(w))
    out, err = add_bias(out, err, bf, np.zeros(wn), w)
    for p, r in enumerate(region.tolist()):
        for i in range(3):
            for n in range(wn):
                # the exact map at the float data and at its farthest corner within Le
                for sign in (0, 1, -1):
                    z = sum(F(Wf[n, c]) * bits[p, c] * (F(Lf[r, i, c]) + sign * F(Le[r, i, c])) for c in range(w))
                    z += F(bf[n]) if i == 2 else 0
                    assert abs(z - F(out[p, i, n])) <= F(err[p, i, n])


def test_compiled_zero_rows_agree_with_numpy_nan_included():
    import numpy as np

    from exactrelu.regions import _planar_jit as jit

    rng = np.random.default_rng(3)
    LT = rng.choice([0.0, 0.0, 1.5, -2.0, np.nan, np.inf], size=(40, 3, 7))
    LeT = rng.choice([0.0, 0.0, 0.0, 1e-300, np.nan], size=(40, 3, 7))
    want = ~(LT.any(axis=1) | LeT.any(axis=1))
    assert want.any() and not want.all()
    assert (jit.zero_rows(LT, LeT) == want).all()
    assert (jit.zero_rows(LT[:, :, ::2], LeT[:, :, ::2]) == want[:, ::2]).all()  # strided maps too


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 7), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2**32 - 1),
       st.booleans())
def test_compiled_pieces_next_maps_enclose_the_exact_maps_and_agree_with_numpy(R, w, wn, m, seed, inexact_weights):
    """pieces_next_maps (one compiled pass) against exact arithmetic: W (s L + c) + b over every piece's slopes
    and offsets, at the float data and the far corners of the input bounds, lies within its bound; and its
    floats agree with the numpy kernels' (pieces_maps, next_maps) within both bounds."""
    import numpy as np

    from exactrelu.regions._planar_float import gamma, next_maps, pieces_maps

    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-3, 4, size=(R, 3, w))
    Lf, Le = rng.normal(size=(R, 3, w)) * scale, np.abs(rng.normal(size=(R, 3, w))) * 1e-12 * scale
    exact_S = [[F(int(v), 7) for v in rng.integers(-9, 10, w)] for _ in range(m)]  # (sevenths: inexact floats)
    exact_C = [[F(int(v), 3) for v in rng.integers(-5, 6, w)] for _ in range(m)]
    # floats off their exact values by up to a millionth, as declared by their error bounds
    S, C = (np.array(x, dtype=float) * (1 + rng.uniform(-1e-6, 1e-6, (m, w))) for x in (exact_S, exact_C))
    Se, Ce = (np.abs(np.array(x, dtype=float)) * 2e-6 for x in (exact_S, exact_C))
    region = rng.integers(0, R, 3 * R)
    pieces = rng.integers(0, m, (len(region), w)).astype(np.int8)
    Wf, bf = rng.normal(size=(wn, w)), rng.normal(size=wn)
    We, be = (np.abs(Wf) * 2.0**-40, np.abs(bf) * 2.0**-40) if inexact_weights else (np.zeros_like(Wf), np.zeros(wn))
    out, err = planar.compiled().pieces_next_maps(Lf, Le, region, pieces, S, Se, C, Ce, Wf, We, bf, be, gamma(w))
    cols = np.arange(w)
    A, Ae = pieces_maps(Lf[region], Le[region], S[pieces, cols], Se[pieces, cols], C[pieces, cols], Ce[pieces, cols])
    out2, err2 = next_maps(A, Ae, np.ones((len(region), w), dtype=bool), Wf, We, bf, be)
    assert (np.abs(out - out2) <= err + err2).all()
    for p, r in enumerate(region.tolist()):
        for i in range(3):
            for n in range(wn):
                for sign, wsign in ((0, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)):  # (weights within We, be too)
                    z = sum((F(Wf[n, c]) + wsign * F(We[n, c])) * (exact_S[pieces[p, c]][c] * (F(Lf[r, i, c])
                            + sign * F(Le[r, i, c])) + (exact_C[pieces[p, c]][c] if i == 2 else 0)) for c in range(w))
                    z += F(bf[n]) + wsign * F(be[n]) if i == 2 else 0
                    assert abs(z - F(out[p, i, n])) <= F(err[p, i, n])
