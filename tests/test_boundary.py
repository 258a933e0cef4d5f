"""Decision boundaries and level sets: every piece lies exactly on the boundary, and the boundary is all there."""

import itertools
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.exact.polyhedron import Polyhedron
from exactrelu.regions.boundary import decision_boundary
from exactrelu.testing import networks


def on_boundary(net, x, classes, level):
    out = net(x)
    if classes is None:
        return out[0] == level
    i, j = classes
    return out[i] == out[j] == max(out)


def crosses(piece, p, q):
    """Whether the segment from p to q meets the piece (an exact 1-D feasibility problem in s in [0, 1])."""
    d = [b - a for a, b in zip(p, q)]

    def on_s(rows):
        return [([sum(u * v for u, v in zip(a, d))], b - sum(u * v for u, v in zip(a, p))) for a, b in rows]

    cons = piece.polyhedron.constraints
    seg = Polyhedron(1, inequalities=on_s(cons.inequalities) + [([1], 1), ([-1], 0)], equations=on_s(cons.equations))
    return not seg.is_empty()


def winner(net, x):
    out = net(x)
    best = max(out)
    return out.index(best) if out.count(best) == 1 else None


def check(net, box, level=None):
    part = net.regions(box)
    pieces = decision_boundary(part, level)
    for piece in pieces:
        pts = [piece.polyhedron.witness()]
        if piece.segment is not None:
            p, q = piece.segment
            pts += [p, q, tuple((a + b) / 2 for a, b in zip(p, q))]
            assert p != q and piece.polyhedron.contains(p) and piece.polyhedron.contains(q)
        assert all(on_boundary(net, x, piece.classes, level) for x in pts)
        assert part[piece.region].polyhedron.closure().contains(pts[0])
    # the boundary is all there: wherever the answer changes between two points, a piece lies between them
    grid = [F(k, 3) - 1 for k in range(7)]
    points = [x for x in itertools.product(grid, repeat=len(box[0]))][::3]
    for p, q in itertools.combinations(points[:12], 2):
        if level is None:
            a, b = winner(net, p), winner(net, q)
            changes = a is not None and b is not None and a != b
        else:
            a, b = net(p)[0] - level, net(q)[0] - level
            changes = (a < 0 < b) or (b < 0 < a)
        if changes:
            assert any(crosses(piece, p, q) for piece in pieces), (p, q)
    return pieces


@settings(max_examples=30, deadline=None)
@given(networks(input_dim=2, depth=st.integers(1, 2), widths=st.integers(1, 3), output=st.integers(2, 3)))
def test_2d_decision_boundary_segments_lie_exactly_on_the_boundary(net):
    check(net, ([-1, -1], [1, 1]))


@settings(max_examples=30, deadline=None)
@given(networks(input_dim=2, depth=st.integers(1, 2), widths=st.integers(1, 3), output=1),
       st.sampled_from([F(0), F(1, 2), F(-1, 3)]))
def test_2d_level_sets_lie_exactly_on_the_level(net, level):
    check(net, ([-1, -1], [1, 1]), level)


@settings(max_examples=10, deadline=None)
@given(networks(input_dim=3, depth=1, widths=st.integers(1, 3), output=st.integers(2, 3)))
def test_3d_boundary_pieces_are_exact_polyhedra_of_dimension_2(net):
    for piece in check(net, ([-1] * 3, [1] * 3)):
        assert piece.segment is None and piece.polyhedron.dimension() == 2


def test_level_needs_a_scalar_output():
    net = Network([([[1, 0]], [0])], output=([[1], [2]], [0, 0]))
    with pytest.raises(ValueError, match="a level set needs a scalar output; this network has 2 outputs"):
        decision_boundary(net.regions(([-1, -1], [1, 1])), level=1)
    with pytest.raises(ValueError, match="level"):
        decision_boundary(Network([([[1, 0]], [0])]).regions(([-1, -1], [1, 1])), level="x")


def test_ties_on_a_whole_region_are_no_boundary():
    net = Network([([[1, 0]], [0])], output=([[1], [1]], [0, 0]))   # both classes relu(x): tied everywhere
    assert decision_boundary(net.regions(([-1, -1], [1, 1]))) == []


@settings(max_examples=30, deadline=None)
@given(networks(input_dim=2, depth=st.integers(1, 2), widths=st.integers(1, 3), output=st.integers(2, 3)))
def test_argmax_cells_tile_each_region_and_their_class_wins_inside(net):
    from exactrelu.regions.boundary import _area2, argmax_cells

    for r in net.regions(([-1, -1], [1, 1])):
        cells = argmax_cells(r)
        assert sum(_area2(cell) for _, cell in cells) == 2 * r.volume()  # counter-clockwise, exact
        for k, cell in cells:
            centre = tuple(sum(v[i] for v in cell) / len(cell) for i in range(2))
            out = net(centre)
            assert out[k] == max(out)


@settings(max_examples=20, deadline=None)
@given(networks(input_dim=2, depth=st.integers(1, 2), widths=st.integers(1, 3), output=st.integers(2, 3)))
def test_smallest_wins_is_largest_of_the_negated_outputs(net):
    from exactrelu.regions.boundary import argmax_cells

    W, b = net.output
    negated = Network(net.layers, output=([[-v for v in row] for row in W], [-v for v in b]))
    box = ([-1, -1], [1, 1])
    mine, theirs = net.regions(box), negated.regions(box)
    assert [(p.classes, p.segment) for p in decision_boundary(mine, smallest=True)] == \
        [(p.classes, p.segment) for p in decision_boundary(theirs)]
    assert [argmax_cells(r, smallest=True) for r in mine] == [argmax_cells(r) for r in theirs]
