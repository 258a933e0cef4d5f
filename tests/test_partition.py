"""The region complex: Partition is a list, and its graph, faces, statistics and files are exact."""

import itertools
import json
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.exact.polyhedron import Box
from exactrelu.nets.slice import Slice
from exactrelu.regions import Partition, RegionLimitExceeded, regions
from exactrelu.regions.partition import differing_neurons, polygon
from exactrelu.testing import networks


def shared_facets(part):
    """Brute force, exact: the pairs whose closures meet in a set of dimension d - 1."""
    closures = [r.polyhedron.closure() for r in part]
    return {(i, j) for i, j in itertools.combinations(range(len(part)), 2)
            if closures[i].intersect(closures[j]).dimension() == part.dim - 1}


def on_facet(net, i, j, part, point):
    """Every labelled neuron's pre-activation is exactly 0 at a point of the facet, by the exact forward pass."""
    pre = net.pre_activations(point)
    return all(pre[layer][n] == 0 for layer, n in differing_neurons(part[i], part[j]))


@settings(max_examples=30, deadline=None)
@given(networks(input_dim=2, depth=st.integers(1, 2), widths=st.integers(1, 3)))
def test_2d_adjacency_is_exactly_the_shared_facets(net):
    part = net.regions(([-1, -1], [1, 1]))
    found = part.adjacencies()
    assert {(i, j) for i, j, _ in found} == shared_facets(part)
    for i, j, (p, q) in found:
        assert p != q and all(part[k].polyhedron.closure().contains(x) for k in (i, j) for x in (p, q))
        mid = tuple((a + b) / 2 for a, b in zip(p, q))
        assert on_facet(net, i, j, part, p) and on_facet(net, i, j, part, q) and on_facet(net, i, j, part, mid)


@settings(max_examples=20, deadline=None)
@given(networks(input_dim=st.sampled_from([1, 3]), depth=st.integers(1, 2), widths=st.integers(1, 3)))
def test_general_adjacency_is_exactly_the_shared_facets(net):
    part = net.regions(([-1] * net.input_dim, [1] * net.input_dim), method="general")
    found = part.adjacencies()
    assert {(i, j) for i, j, _ in found} == shared_facets(part)
    for i, j, facet in found:
        assert on_facet(net, i, j, part, facet.witness())


def test_graph_nodes_and_labelled_edges():
    pytest.importorskip("networkx")
    net = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, -1])])
    part = net.regions(([-1, -1], [1, 1]))
    G = part.graph()
    assert sorted(G.nodes) == list(range(len(part))) and G.nodes[0]["region"] is part[0]
    for i, j, data in G.edges(data=True):
        assert data["neurons"] == differing_neurons(part[i], part[j]) and data["neuron"] == data["neurons"][0]
    # '110' (x, y > 0, x + y < 1) and '111' are separated by neuron (0, 2) along x + y = 1
    a, b = (next(k for k, r in enumerate(part) if str(r.pattern) == s) for s in ("110", "111"))
    assert G.edges[a, b]["neuron"] == (0, 2) and set(G.edges[a, b]["facet"]) == {(F(0), F(1)), (F(1), F(0))}


def elementary_degrees(part, verts):
    """Independently: cut every polygon edge at the complex's vertices on it; a vertex's degree is the number
    of distinct elementary segments ending there."""
    segments = set()
    for r in part:
        pts = polygon(r)
        for p, q in zip(pts, pts[1:] + pts[:1]):
            on = [v for v in verts if (q[0] - p[0]) * (v[1] - p[1]) == (q[1] - p[1]) * (v[0] - p[0])
                  and min(p, q) <= v <= max(p, q)]
            on.sort()
            segments |= {frozenset(pair) for pair in zip(on, on[1:])}
    return {v: sum(v in seg for seg in segments) for v in verts}


@settings(max_examples=25, deadline=None)
@given(networks(input_dim=2, depth=st.integers(1, 2), widths=st.integers(1, 3)))
def test_vertices_degrees_and_summary(net):
    box = Box([-1, -1], [1, 1])
    part = net.regions(box)
    verts = part.vertices()
    for k, r in enumerate(part):
        closure = r.polyhedron.closure()
        assert all(k in verts[v] for v in polygon(r))
        assert {v for v, owners in verts.items() if k in owners} == {v for v in verts if closure.contains(v)}
    assert part.vertex_degrees() == elementary_degrees(part, verts)
    assert all(d >= 3 for v, d in part.vertex_degrees().items() if v not in box.vertices())
    s = part.summary()
    assert s["count"] == len(part) and s["volume"] == 4 and s["per_layer"][-1] == len(part)
    assert s["per_layer"] == [len({r.pattern.layers[:k] for r in part}) for k in range(1, net.depth + 1)]
    assert sum(s["vertex_degrees"].values()) == len(verts) and s["adjacencies"] == len(part.adjacencies())


def test_partition_is_a_list():
    net = Network([([[1], [-1]], [0, 0])])
    part = net.regions(([-1], [1]))
    assert isinstance(part, list) and part == list(part) and len(part[:1]) == 1
    assert repr(part) == "[Region(01), Region(10)]"
    assert part.summary()["per_layer"] == [2] and part.summary()["min_volume"] == 1


def test_json_round_trip_and_save_load(tmp_path):
    net = Network([([[1, 0, 0], [0, 1, 0], [1, 1, 1]], [0, 0, "-1/2"])], output=([[1, 2, 3]], [0]))
    s = Slice.through_points([-1, -1, 0], [1, -1, 0], [-1, 1, 0])
    part = net.regions(s)
    path = tmp_path / "part.json"
    part.save(path)
    back = Partition.load(path)
    assert [r.pattern for r in back] == [r.pattern for r in part] and back.slice == s and not back.partial
    assert back.box == part.box and Network.from_json(back.network_json) == net.restrict(s)
    assert back.check(net.restrict(s)) and back.summary() == part.summary()
    assert [r.input_point() for r in back] == [r.input_point() for r in part]


def test_partial_results_are_kept_and_marked():
    net = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, -1])])
    with pytest.raises(RegionLimitExceeded) as info:
        regions(net, ([-1, -1], [1, 1]), max_regions=2)
    part = info.value.regions
    assert isinstance(part, Partition) and part.partial and part.limit == 2 and len(part) == 2
    back = Partition.from_json(part.to_json())
    assert back.partial and back.limit == 2 and back.check(net)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(partial="yes"), "'partial' must be true or false"),
    (lambda d: d.update(box=[0, 1]), "'box' must be an object"),
    (lambda d: d.update(regions={}), "'regions' must be a list"),
    (lambda d: d["regions"][1]["witness"].append("0"), "region 1: its polyhedron or witness is not of the box's"),
    (lambda d: d["regions"][0]["vertices"][0].__setitem__(0, "-2"), "region 0: .*'vertices' are not the vertices"),
    (lambda d: d.update(extra=1), "unknown key 'extra'"),
])
def test_bad_partition_files_are_refused(edit, message):
    net = Network([([[1], [-1]], [0, 0])])
    data = json.loads(json.dumps(net.regions(([-1], [1])).to_json()))
    edit(data)
    with pytest.raises(ValueError, match=message):
        Partition.from_json(data)


def test_2d_only_views_say_so():
    part = Network([([[1]], [0])]).regions(([-1], [1]))
    with pytest.raises(ValueError, match="for 2-D partitions; this one has dimension 1"):
        part.vertices()


def test_a_boundary_through_a_box_corner_raises_its_degree():
    part = Network([([[1, -1]], [0])]).regions(([-1, -1], [1, 1]))   # the diagonal through two corners
    corner = (F(-1), F(-1))
    assert part.vertices()[corner] == (0, 1) and part.vertex_degrees()[corner] == 3
    assert part.vertex_degrees()[(F(1), F(-1))] == 2 and part.summary()["vertex_degrees"] == {2: 2, 3: 2}


def test_a_neuron_constant_on_one_side_does_not_hide_a_shared_facet():
    """Regression (found by the property test above): x -> relu(x) -> relu(relu(x)) on [-1, 1]. The regions x < 0
    and x > 0 differ in both neurons; the second one's map is zero on x < 0 (its input is an inactive ReLU), a
    zero multiple of x. They share the facet {0}."""
    net = Network([([[1], [0]], [0, 0]), ([[0, 0], [1, 0]], [0, 0])])
    part = net.regions(([-1], [1]), method="general")
    assert [str(r.pattern) for r in part] == ["00|00", "10|01"]
    assert [(i, j) for i, j, _ in part.adjacencies()] == [(0, 1)] == sorted(shared_facets(part))


@pytest.mark.parametrize("method", ["planar", "general"])
def test_exact_fields_computes_what_each_region_gives(method):
    net = Network([([[1, -1], [1, 1], [2, -1]], [0, "-1/2", "1/3"]), ([[1, 1, -1], [-1, 2, 1]], [0, "1/4"])],
                  output=([[1, -2]], [0]))
    box = ([-1, -1], [1, 1])
    fresh = net.regions(box, method=method)
    part = net.regions(box, method=method)
    assert part.exact_fields() is part
    for r, s in zip(part, fresh):
        assert (r.affine_map, r.witness, r.volume()) == (s.affine_map, s.witness, s.volume())
        assert getattr(r, "vertices", None) == getattr(s, "vertices", None)
    assert sum(part.volumes()) == 4
