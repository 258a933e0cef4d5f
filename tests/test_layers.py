"""The layers real models use: piecewise-linear activations, residual blocks, convolutions, pools, batch norm.

Properties: regions of leaky, clipped and residual networks tile the box exactly,
each witness has its region's pattern and the region's T1 map is the forward
pass there; planar and general enumerations agree; adjacency is exactly the
shared facets.  Folding: build composes convolutions, pools and batch norm
exactly, and bad shapes, slopes and layers are refused by name.  (torch and
ONNX: tests/test_layers_torch.py.)
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network, Pattern
from exactrelu.nets import build as B
from exactrelu.nets.activation import RELU, Activation, hardtanh, identity, leaky
from exactrelu.numeric.errorbounds import float_error_bounds
from exactrelu.regions.partition import differing_neurons

# ------------------------------------------------------------------ strategies
small = st.fractions(min_value=-3, max_value=3, max_denominator=4)
activations = st.one_of(
    st.just(RELU),
    st.builds(leaky, st.fractions(min_value=F(-1, 2), max_value=F(1, 2), max_denominator=8)),
    st.builds(lambda lo, w: hardtanh(lo, lo + w), st.fractions(-2, 0, max_denominator=4),
              st.fractions(F(1, 4), 3, max_denominator=4)),
    st.just(identity()),
)


@st.composite
def pwl_networks(draw, input_dim=2, depth=(1, 2), width=(1, 4)):
    """Small exact networks whose neurons draw ReLU, leaky ReLU, hardtanh or identity activations."""
    dims = [input_dim] + [draw(st.integers(*width)) for _ in range(draw(st.integers(*depth)))]
    layers = []
    for a, b in zip(dims, dims[1:]):
        W = [[draw(small) for _ in range(a)] for _ in range(b)]
        layers.append((W, [draw(small) for _ in range(b)], [draw(activations) for _ in range(b)]))
    return Network(layers, output=([[draw(small) for _ in range(dims[-1])]], [0]))


@st.composite
def residual_networks(draw, input_dim=2):
    """Linear, leaky ReLU, then a residual block y + A act(W y + b) + c, then an output layer."""
    n = draw(st.integers(1, 3))
    mat = lambda r, c: [[draw(small) for _ in range(c)] for _ in range(r)]  # noqa: E731
    vec = lambda r: [draw(small) for _ in range(r)]  # noqa: E731
    inner = draw(st.integers(1, 3))
    specs = [B.Linear(mat(n, input_dim), vec(n)), B.Act(leaky(draw(st.sampled_from(["1/10", "1/4", "-1/2"])))),
             B.Residual([B.Linear(mat(inner, n), vec(inner)), B.Act(draw(activations)),
                         B.Linear(mat(n, inner), vec(n))]),
             B.Linear(mat(1, n), vec(1))]
    return B.build((input_dim,), specs)


BOX2 = ([-2, -2], [2, 2])


def _tiles(net, box, method="auto"):
    part = net.regions(box, method=method)
    volume = math.prod(F(hi) - F(lo) for lo, hi in zip(*box))
    assert sum(r.volume() for r in part) == volume  # exact areas sum to the box's
    for r in part:
        assert r.check(net)  # witness strictly inside, its pattern the region's, T1 map the network's
        A, c = r.affine_map
        w = r.witness
        assert net(w) == tuple(sum(a * x for a, x in zip(row, w)) + ci for row, ci in zip(A, c))
        assert net.pattern(w).without_ties() == r.pattern
    return part


# ------------------------------------------------------------------ regions
@settings(max_examples=40, deadline=None)
@given(pwl_networks())
def test_regions_of_pwl_networks_tile_the_box_and_planar_equals_general(net):
    planar = _tiles(net, BOX2, "planar")
    general = _tiles(net, BOX2, "general")
    assert [r.pattern for r in planar] == [r.pattern for r in general]


@settings(max_examples=25, deadline=None)
@given(residual_networks())
def test_regions_of_residual_networks_tile_the_box(net):
    part = _tiles(net, BOX2)
    assert [r.pattern for r in part] == [r.pattern for r in net.regions(BOX2, method="general")]


@settings(max_examples=15, deadline=None)
@given(pwl_networks(input_dim=3, depth=(1, 2), width=(1, 3)))
def test_regions_in_three_dimensions_tile_the_box(net):
    _tiles(net, ([-1, -1, -1], [1, 1, 1]), "general")


@settings(max_examples=25, deadline=None)
@given(pwl_networks(depth=(1, 2), width=(1, 3)))
def test_adjacency_is_exactly_the_shared_facets_on_their_breakpoints(net):
    part = net.regions(([-1, -1], [1, 1]))
    closures = [r.polyhedron.closure() for r in part]
    brute = {(i, j) for i, j in itertools.combinations(range(len(part)), 2)
             if closures[i].intersect(closures[j]).dimension() == 1}
    found = part.adjacencies()
    assert {(i, j) for i, j, _ in found} == brute
    for i, j, (p, q) in found:  # every differing neuron sits exactly on the breakpoint between its two pieces
        for x in (p, q, tuple((a + b) / 2 for a, b in zip(p, q))):
            pre = net.pre_activations(x)
            for layer, n in differing_neurons(part[i], part[j]):
                lo = min(part[i].pattern.layers[layer][n], part[j].pattern.layers[layer][n])
                assert pre[layer][n] == net.activations[layer][n].breakpoints[lo]


@settings(max_examples=10, deadline=None)
@given(pwl_networks(depth=(2, 2), width=(2, 3)))
def test_parallel_enumeration_of_pwl_networks_equals_the_serial_one(net):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:  # cells travel as plain data: pieces, and the breakpoint being decided
        par = net.regions(BOX2, method="general", executor=pool)
    ser = net.regions(BOX2, method="general")
    assert [(r.pattern, r.witness) for r in par] == [(r.pattern, r.witness) for r in ser]


def test_identity_neurons_never_split_and_hardtanh_has_three_pieces():
    net = Network([([[1], [1]], [0, 0], [hardtanh(-1, 1), identity()])])
    part = net.regions(([-2], [2]))
    assert [str(r.pattern) for r in part] == ["00", "10", "20"]
    assert [r.volume() for r in part] == [1, 2, 1]
    assert net.pattern([1]) == Pattern([[1, 0]], ties=[(0, 0)])  # on the breakpoint: the piece below


def test_planar_cutting_rows_count_pieces_and_are_made_once_per_network():
    import numpy as np

    from exactrelu.regions.planar import _Cutting

    # identity has no breakpoint and hardtanh two: three cutting rows for three neurons, owned by neurons 1, 1, 2
    net = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, 0], [identity(), hardtanh(-1, 1), leaky("1/4")])])
    maps = net.affine_maps()
    cut = _Cutting.of(maps, 0)
    assert cut.owner.tolist() == [1, 1, 2] and not cut.one_each
    bits = np.array([[0, 0, 1], [1, 0, 0], [1, 1, 1]], np.int8)
    assert cut.pieces(bits).tolist() == [[0, 0, 1], [0, 1, 0], [0, 2, 1]]
    assert _Cutting.of(net.affine_maps(), 0) is cut  # a second enumeration shares the converted slopes
    leaky_net = Network([([[1, 0], [0, 1]], [0, 0], leaky("1/4"))])
    one = _Cutting.of(leaky_net.affine_maps(), 0)
    assert one.one_each and one.pieces(bits[:, :2]).tolist() == bits[:, :2].tolist()


def test_json_of_other_activations_round_trips_and_relu_json_is_unchanged():
    net = Network([([[1, 2]], [0], leaky("1/8")), ([[1], [2]], [0, 1], [hardtanh(0, 6), "identity"])],
                  output=([[1, 1]], [0]))
    assert Network.from_json(net.to_json()) == net
    plain = Network([([[1, 2]], [0])])
    assert "activation" not in plain.to_json()["layers"][0]  # release 0.1.0 files read and write as before
    with pytest.raises(ValueError, match="layer 0, activation: expected an Activation"):
        Network([([[1]], [0], "tanh")])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: leaky(float("nan")), "leaky_relu, slope: NaN is not a rational number"),
        (lambda: leaky(float("inf")), "infinity"),
        (lambda: hardtanh(1, 1), "lower 1 must be less than upper 1"),
        (lambda: Activation([0, 1], [0, 1], [0, 0]), "slopes"),
        (lambda: Activation([1, 0], [0, 1, 0], [1, 0, 0]), "increase strictly"),
        (lambda: Network([([[1], [2]], [0, 0], [RELU])]), "1 activations for 2 neurons"),
    ],
)
def test_bad_activations_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_other_contexts_refuse_layers_they_cannot_bound():
    from exactrelu.numeric.jacobian import jacobian_error_bounds

    net = Network([([[1]], [0], Activation([0], [0, 1], [1, 1]))])  # a piece s z + c with s, c both nonzero
    with pytest.raises(ValueError, match=r"layer 0, neuron 0 .*pieces s z or constants only"):
        float_error_bounds(net, [[1]])
    with pytest.raises(ValueError, match="layer 0"):
        jacobian_error_bounds(Network([([[1]], [0], leaky("1/2"))]), [[1]])


# ------------------------------------------------------------------ build: shapes and folding
def test_conv_avgpool_batchnorm_fold_exactly():
    conv = B.Conv2d([[[[1, 2], [3, 4]]]], [F(1, 2)], stride=1, padding=1)
    net = B.build((1, 2, 2), [conv, B.BatchNorm([2], [-1]), B.AvgPool2d(3, stride=1), B.Flatten()])
    x = [F(1), F(-2), F(1, 3), F(5)]
    img = [[x[0], x[1]], [x[2], x[3]]]
    pad = [[0] * 4] + [[0, *row, 0] for row in img] + [[0] * 4]
    out = [[sum(conv.weight[0][0][a][b] * pad[i + a][j + b] for a in range(2) for b in range(2)) + F(1, 2)
            for j in range(3)] for i in range(3)]
    bn = [[2 * v - 1 for v in row] for row in out]
    assert net(x) == (sum(sum(row) for row in bn) / 9,)  # the one 3 x 3 window: the average of all nine


@pytest.mark.parametrize(
    "specs, shape, message",
    [
        ([B.Conv2d(np.ones((2, 3, 2, 2)), name="c1")], (2, 4, 4), r"layer 'c1' \(Conv2d\): weight of shape \(2, 3, 2, 2\)"),
        ([B.Conv1d(np.ones((1, 1, 5)))], (1, 3), "window \\(5\\) is larger than the padded input \\(3\\)"),
        ([B.Conv1d(np.ones((1, 1, 2)), stride=0)], (1, 3), "stride must be 1 integer"),
        ([B.Linear([[1, 2]])], (1, 2), "add Flatten"),
        ([B.AvgPool2d(2, padding=2)], (1, 4, 4), "at most half the kernel"),
        ([B.BatchNorm([1, 1], [0, 0])], (3, 2), "2 scales and 2 shifts for 3 channels"),
        ([B.Act([RELU, RELU])], (3,), "2 activations for 3 channels"),
        ([B.Residual([B.Linear([[1, 1]])])], (2,), "maps shape \\(2,\\) to \\(1,\\)"),
        ([B.Conv1d([[[float("nan")]]])], (1, 2), r"weight, entry \[0, 0, 0\]: NaN"),
        (["relu"], (2,), "layer 0 is a str, not a layer spec"),
    ],
)
def test_bad_shapes_and_specs_are_refused_by_name(specs, shape, message):
    with pytest.raises(ValueError, match=message):
        B.build(shape, specs)


def test_maxpool_regions_are_split_by_the_exact_comparisons():
    net = B.build((1, 3), [B.MaxPool1d(3), B.Flatten()])
    assert net([1, 3, 2]) == (3,) and net(["-1/2", "-1/3", -1]) == (F(-1, 3),)
    part = _tiles(net, ([-1, -1, -1], [1, 1, 1]))
    for r in part:  # on each region the max is one of the inputs: a row of the identity
        assert sorted(r.A[0]) == [0, 0, 1] and r.c == (0,)
