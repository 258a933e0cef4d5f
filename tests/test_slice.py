"""Slices: exact affine subspaces of a network's input space, restrict(), and regions in slice coordinates."""

from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.nets.slice import Slice
from exactrelu.regions import Partition, RegionLimitExceeded, regions
from exactrelu.testing import networks, rationals

ACAS = Path(__file__).resolve().parents[2] / "shared" / "data" / "acasxu" / "ACASXU_run2a_1_1_batch_2000.onnx"


@st.composite
def nets_and_slices(draw, k=2):
    net = draw(networks(input_dim=st.integers(k, 4), depth=st.integers(1, 2), widths=st.integers(1, 3)))
    n = net.input_dim
    origin = [draw(rationals()) for _ in range(n)]
    # echelon form (direction i: zeros before coordinate i, nonzero there) is independent; then shuffle coordinates
    nonzero = rationals().filter(lambda v: v != 0)
    dirs = [[F(0)] * i + [draw(nonzero)] + [draw(rationals()) for _ in range(n - i - 1)] for i in range(k)]
    perm = draw(st.permutations(range(n)))
    return net, Slice(origin, [[d[p] for p in perm] for d in dirs], [-1] * k, [1] * k)


@settings(max_examples=40, deadline=None)
@given(nets_and_slices(), st.data())
def test_restrict_is_the_network_on_the_slice_exactly(pair, data):
    net, s = pair
    small = net.restrict(s)
    assert small.input_dim == s.dim and small.widths == net.widths
    rebuilt = Network(small.layers, output=small.output)  # restrict shares the deeper layers: same as built anew
    assert small == rebuilt and str(small.fmpq_layers()) == str(rebuilt.fmpq_layers())
    t = [data.draw(rationals()) for _ in range(s.dim)]
    assert small(t) == net(s.to_input(t)) and small.pattern(t) == net.pattern(s.to_input(t))


@settings(max_examples=30, deadline=None)
@given(nets_and_slices(), st.data())
def test_a_restriction_shares_the_deeper_integer_layers_and_not_the_first(pair, data):
    """restrict() hands the deeper layers' integer forms to the restricted maps (made once); the first layer's,
    and what is made from it (its rows), are the restriction's own, even when the parent had made its own."""
    net, s = pair
    parent = net.affine_maps()
    hidden, _ = parent.integer_layers()
    parent._zrows(0)  # (the parent's own first-layer rows made, as an enumeration of the parent would)
    small = net.restrict(s)
    got, want = small.affine_maps().integer_layers(), Network(small.layers, output=small.output).affine_maps()
    assert str(got) == str(want.integer_layers())
    assert all(a is b for a, b in zip(got[0][1:], hidden[1:]))
    bits = small.pattern([data.draw(rationals()) for _ in range(s.dim)]).layers
    for k in range(net.depth):
        for j in range(net.widths[k]):
            assert small.affine_maps().row(tuple(bits[:k]), j) == want.row(tuple(bits[:k]), j)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([1, 2]).flatmap(lambda k: nets_and_slices(k=k)))
def test_regions_of_a_slice_tile_its_box_and_know_their_input_points(pair):
    net, s = pair
    part = net.regions(s)
    assert isinstance(part, Partition) and part.slice == s
    assert sum(r.volume() for r in part) == s.box.volume()  # exact tiling of the slice's box
    small = net.restrict(s)
    for r in part:
        assert r.check(small)
        x = r.input_point()
        assert x == s.to_input(r.witness) and net.pattern(x).without_ties() == r.pattern


def test_one_dimensional_slices_and_lines():
    net = Network([([[1, 1], [1, -1]], [0, 0])])
    part = regions(net, Slice.line([-1, -1], [1, 1]))  # crosses x0 + x1 = 0 at t = 1/2; x0 - x1 = 0 all along
    assert [str(r.pattern) for r in part] == ["00", "10"]
    assert [r.volume() for r in part] == [F(1, 2), F(1, 2)]
    assert part[1].input_point([1]) == (F(1), F(1))


def test_through_points_puts_the_three_points_at_the_triangle_corners():
    p = [[1, 2, 3], [2, 2, 3], [1, 5, "1/2"]]
    s = Slice.through_points(*p, margin="1/4")
    assert s.lower == (F(-1, 4),) * 2 and s.upper == (F(5, 4),) * 2
    assert [s.to_input(t) for t in ([0, 0], [1, 0], [0, 1])] == [tuple(map(F, q)) for q in p]


@pytest.mark.parametrize("make, message", [
    (lambda: Slice([0, 0], [[1, 2], ["1/2", 1]], [0, 0], [1, 1]), "linearly dependent (rank 1 < 2); direction 1"),
    (lambda: Slice([0, 0], [[0, 0]], [0], [1]), "linearly dependent (rank 0 < 1); direction 0"),
    (lambda: Slice([0, 0], [[1, 0, 0]], [0], [1]), "direction 0 has dimension 3, the origin has dimension 2"),
    (lambda: Slice([0, 0], [[1, 0]], [1], [1]), "coordinate t0: lower 1 must be less than upper 1"),
    (lambda: Slice([0, 0], [[1, 0]], [0, 0], [1, 1]), "Slice lower"),
    (lambda: Slice([0, 0], [], [], []), "nonempty list"),
    (lambda: Slice.through_points([0, 0], [1, 1], [0, 0]), "p0 and p2 coincide"),
    (lambda: Slice.through_points([0, 0], [1, 1], [2, 2]), "lie on one line"),
    (lambda: Slice.through_points([0, 0], [1, 1], [2, 2, 2]), "p2 has dimension 3, p0 has dimension 2"),
    (lambda: Slice.through_points([0, 0], [1, 0], [0, 1], margin=-1), "margin must be >= 0"),
    (lambda: Slice.line([0, "x"], [1, 1]), "Slice.line: p, entry 1"),
])
def test_bad_slices_are_refused_naming_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_a_slice_outside_the_input_space_is_refused():
    net = Network([([[1, 0, 0]], [0])])
    with pytest.raises(ValueError, match="the slice lies in R\\^2, the network's input dimension is 3"):
        net.regions(Slice.line([0, 0], [1, 1]))
    with pytest.raises(ValueError, match="restrict expects a Slice"):
        net.restrict(([0, 0, 0], [1, 1, 1]))


def test_slice_json_round_trip_and_partial_results_keep_the_slice():
    net = Network([([[1, 0, 0], [0, 1, 0], [1, 1, 1]], [0, 0, "-1/2"])])
    s = Slice.through_points([-1, -1, 0], [1, -1, 0], [-1, 1, 0])
    assert Slice.from_json(s.to_json()) == s
    with pytest.raises(RegionLimitExceeded) as info:
        net.regions(s, max_regions=2)
    part = info.value.regions
    assert isinstance(part, Partition) and part.partial and part.limit == 2 and part.slice == s
    assert all(r.slice == s for r in part)


@pytest.mark.skipif(not ACAS.exists(), reason="ACAS Xu networks not found in ../shared/data/acasxu")
def test_acas_xu_slice():
    pytest.importorskip("onnx")
    from exactrelu.interop.io import load

    net = load(str(ACAS))
    s = Slice([0] * 5, [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], ["-1/20"] * 2, ["1/20"] * 2)
    part = net.regions(s)
    assert len(part) > 10 and sum(r.volume() for r in part) == s.box.volume()
    small = net.restrict(s)
    for r in part[:: max(1, len(part) // 10)]:
        assert r.check(small) and net.pattern(r.input_point()).without_ties() == r.pattern
        assert net(r.input_point()) == small(r.witness)


DIGITS_NET = Path(__file__).resolve().parent / "data" / "digits_mlp.npz"  # examples/region_figures.py writes it


def test_digits_mlp_slice_through_three_images():
    """The 64-64-64-10 MLP trained on scikit-learn's digits: the plane through a 0, a 1 and a 7."""
    datasets = pytest.importorskip("sklearn.datasets")
    from exactrelu.interop.io import load

    net = load(DIGITS_NET)
    X, y = datasets.load_digits(return_X_y=True)
    images = [X[list(y).index(k)] / 16 for k in (0, 1, 7)]
    s = Slice.through_points(*images, margin="1/4")
    part = net.regions(s)
    pieces = part.decision_boundary()
    assert len(part) == 727 and sum(r.volume() for r in part) == s.box.volume()  # the count the README figure shows
    for k, image in enumerate(images):  # the three images are where the slice says, and classified as trained
        t = [[0, 0], [1, 0], [0, 1]][k]
        assert s.to_input(t) == tuple(F(v) for v in image)
    assert [max(range(10), key=net(s.to_input(t)).__getitem__) for t in ([0, 0], [1, 0], [0, 1])] == [0, 1, 7]
    small = net.restrict(s)
    for r in part[::97]:
        assert r.check(small) and net.pattern(r.input_point()).without_ties() == r.pattern
    for piece in pieces[::7]:  # boundary segments lie exactly on the boundary, in the input space too
        i, j = piece.classes
        for t in piece.segment:
            out = net(s.to_input(t))
            assert out[i] == out[j] == max(out)
