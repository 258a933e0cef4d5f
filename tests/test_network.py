"""Network: exact forward pass, patterns and ties, the explicit expression T1, JSON, bad input."""

import json
from fractions import Fraction

import flint
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from exactrelu import Network, Pattern

small_q = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@st.composite
def networks(draw, max_dim=3, max_depth=3, max_width=4, output=None):
    dims = [draw(st.integers(1, max_dim))] + [draw(st.integers(1, max_width)) for _ in range(draw(st.integers(1, max_depth)))]
    layers = [
        ([[draw(small_q) for _ in range(dims[i])] for _ in range(dims[i + 1])], [draw(small_q) for _ in range(dims[i + 1])])
        for i in range(len(dims) - 1)
    ]
    with_out = draw(st.booleans()) if output is None else output
    out = ([[draw(small_q) for _ in range(dims[-1])] for _ in range(2)], [draw(small_q) for _ in range(2)]) if with_out else None
    return Network(layers, output=out)


def points(dim):
    return st.lists(st.fractions(min_value=-4, max_value=4, max_denominator=6), min_size=dim, max_size=dim)


def reference_forward(net, x):
    """Independent plain-Fraction forward pass (no flint), for comparison."""
    y = [Fraction(v) for v in x]
    for W, b in net.layers:
        y = [max(sum(w * v for w, v in zip(row, y)) + bi, Fraction(0)) for row, bi in zip(W, b)]
    if net.output:
        W, b = net.output
        y = [sum(w * v for w, v in zip(row, y)) + bi for row, bi in zip(W, b)]
    return tuple(y)


@given(st.data())
def test_forward_pass_matches_plain_fraction_reference(data):
    net = data.draw(networks())
    x = data.draw(points(net.input_dim))
    assert net(x) == reference_forward(net, x)
    assert all(isinstance(v, Fraction) for v in net(x))


@given(st.data())
def test_explicit_expression_equals_forward_pass(data):
    """T1: on the activation domain of net.pattern(x), net(x) = A x + c, ties included."""
    net = data.draw(networks())
    x = data.draw(points(net.input_dim))
    A, c = net.affine_map(net.pattern(x))
    assert tuple(sum(a * v for a, v in zip(row, x)) + ci for row, ci in zip(A, c)) == net(x)


@given(st.data())
def test_affine_map_holds_on_whole_domain(data):
    """Another point with the same pattern (found by sampling) obeys the same affine map."""
    net = data.draw(networks(max_dim=2, max_depth=2, max_width=3))
    x, y = data.draw(points(net.input_dim)), data.draw(points(net.input_dim))
    assume(net.pattern(x).layers == net.pattern(y).layers)
    A, c = net.affine_map(net.pattern(x).without_ties())
    assert tuple(sum(a * v for a, v in zip(row, y)) + ci for row, ci in zip(A, c)) == net(y)


@given(st.data())
def test_pattern_and_ties_match_preactivations(data):
    net = data.draw(networks(output=False))
    x = data.draw(points(net.input_dim))
    p, zs = net.pattern(x), net.pre_activations(x)
    assert p.layers == tuple(tuple(int(z > 0) for z in layer) for layer in zs)
    assert p.ties == tuple((i, j) for i, layer in enumerate(zs) for j, z in enumerate(layer) if z == 0)
    assert net.hidden(x, net.depth) == net(x)
    assert net.hidden(x, 0) == tuple(Fraction(v) for v in x)
    for k in range(1, net.depth + 1):
        assert net.hidden(x, k) == tuple(max(z, 0) for z in zs[k - 1])


def test_ties_reported_on_boundary():
    net = Network([([[1, -1], [0, 1]], [0, 0])])
    p = net.pattern(["1/3", "1/3"])
    assert p == Pattern([[0, 1]], ties=[(0, 0)])
    assert net(["1/3", "1/3"]) == (0, Fraction(1, 3))


def test_shapes_and_properties():
    net = Network([(np.ones((3, 2)), [0, 0, 0]), ([[1, 1, 1]], [1])], output=([[2], [3]], [0, "1/2"]))
    assert (net.input_dim, net.widths, net.depth, net.output_dim) == (2, (3, 1), 2, 2)
    assert repr(net) == "<Network 2-3-1-2 (affine output), depth 2>"


@pytest.mark.parametrize(
    "layers, output, message",
    [
        ([([[1, 2]], [0]), ([[1, 2]], [0])], None, r"layer 1: W has shape \(1, 2\) but its input has dimension 1"),
        ([([[1, 2]], [0, 0])], None, r"layer 0: W has shape \(1, 2\) but b has length 2"),
        ([([[1, 2]], [0])], ([[1, 1]], [0]), r"output layer: W has shape \(1, 2\) but its input has dimension 1"),
        ([([[1, float("nan")]], [0])], None, r"layer 0, W, row 0, column 1: NaN"),
        ([([[1, 2]], [float("inf")])], None, r"layer 0, b, entry 0: infinity"),
        ([([[1, 2], [3]], [0, 0])], None, r"layer 0, W: row 1 has 1 entries"),
        ([([[True]], [0])], None, r"layer 0, W, row 0, column 0: boolean"),
        ([[[1]]], None, r"layer 0: expected a pair"),
        ([], None, "at least one layer"),
    ],
)
def test_bad_networks_name_the_layer(layers, output, message):
    with pytest.raises(ValueError, match=message):
        Network(layers, output=output)


def test_bad_inputs_and_patterns():
    net = Network([([[1, 2]], [0])])
    with pytest.raises(ValueError, match="input has dimension 3, the network expects 2"):
        net([1, 2, 3])
    with pytest.raises(ValueError, match="input, entry 0: NaN"):
        net([float("nan"), 0])
    with pytest.raises(ValueError, match=r"pattern has layer widths \(2,\), the network has \(1,\)"):
        net.affine_map(Pattern([[1, 0]]))
    with pytest.raises(ValueError, match="k must be an integer between 0 and 1"):
        net.hidden([0, 0], 2)


@given(networks())
def test_json_round_trip_is_exact(net):
    text = json.dumps(net.to_json())
    assert Network.from_json(text) == net
    assert Network.from_json(json.loads(text)) == net


def test_json_file_and_decimal_literals(tmp_path):
    path = tmp_path / "net.json"
    path.write_text('{"format": "exactrelu.network", "version": 1, "layers": [{"W": [[0.1, "1/3"]], "b": ["-0.25"]}], "output": null}')
    net = Network.from_json(path)
    assert net.layers[0] == (((Fraction(1, 10), Fraction(1, 3)),), (Fraction(-1, 4),))
    net.to_json(tmp_path / "out.json")
    assert Network.from_json(str(tmp_path / "out.json")) == net


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": "exactrelu.network", "version": 1, "layers": [{"W": [[1]]}]}', "layer 0: missing key 'b'"),
        ('{"format": "other", "version": 1, "layers": []}', "key 'format'"),
        ('{"format": "exactrelu.network", "version": 7, "layers": []}', "unsupported 'version'"),
        ('{"format": "exactrelu.network", "version": 1, "layers": 3}', "key 'layers' must be a list"),
        ('{"format": "exactrelu.network", "version": 1, "layers": [5]}', r"layers\[0\] must be an object"),
        ('{"format": "exactrelu.network", "version": 1, "layers": [{"W": [[NaN]], "b": [0]}]}', "row 0, column 0: NaN"),
        ('{"format": "exactrelu.network", "version": 1, "layers": [{"W": [[1]], "b": [0]}], "output": 3}', "key 'output'"),
        ('{"format": "exactrelu.network", "version": 1, "layers": [{"W": [[1]], "b": [0]}', "malformed JSON at line 1"),
        ("[1, 2]", "top level must be an object"),
        ("/nonexistent/net.json", "cannot read network file"),
    ],
)
def test_bad_json_gets_clear_errors(text, message):
    with pytest.raises(ValueError, match=message):
        Network.from_json(text)


# ---- hostile JSON (audit regressions)
_HEAD = '{"format": "exactrelu.network", "version": 1, '


@pytest.mark.parametrize(
    "text, message",
    [
        # a typo must not silently drop the output layer
        (_HEAD + '"layers": [{"W": [[1]], "b": [0]}], "ouput": {"W": [[1]], "b": [0]}}', "unknown key 'ouput'"),
        (_HEAD + '"layers": [{"W": [[1]], "b": [0], "B": [1]}]}', r"layers\[0\]: unknown key 'B'"),
        (_HEAD + '"layers": [{"W": [[1]], "b": [0]}], "layers": []}', "duplicate key 'layers'"),
        ('{"format": "exactrelu.network", "version": true, "layers": [{"W": [[1]], "b": [0]}]}', "version"),
        ('{"format": "exactrelu.network", "version": 1.0, "layers": [{"W": [[1]], "b": [0]}]}', "version"),
        (_HEAD + '"layers": [{"W": [[1e999999999]], "b": [0]}]}', "layer 0, W, row 0, column 0: exponent"),
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
    ],
)
def test_hostile_json_is_refused_with_its_place(text, message):
    with pytest.raises(ValueError, match=message):
        Network.from_json(text)


def test_json_long_integer_literals_are_exact():
    big = 10**5000 + 1  # beyond json's int() limit of 4300 digits
    digits = "1" + "0" * 4999 + "1"  # the decimal digits of big
    net = Network.from_json(_HEAD + '"layers": [{"W": [[' + digits + ']], "b": [0.5]}]}')
    assert net.layers[0] == (((Fraction(big),),), (Fraction(1, 2),))
    assert Network.from_json(json.dumps(net.to_json())) == net


def test_to_json_file_is_replaced_atomically(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    path.write_text("old")
    net = Network([([[1]], [0])])

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OSError):
        net.to_json(path)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["net.json"]


def test_hidden_refuses_non_integer_depths():
    net = Network([([[1]], [0])])
    for k in (1.0, True, "1"):
        with pytest.raises(ValueError, match="k must be an integer"):
            net.hidden([1], k)


def test_json_file_errors_name_the_file_and_decimals_are_exact(tmp_path):
    path = tmp_path / "n.json"
    path.write_text('{"format": "exactrelu.network", "version": 1,\n "layers": [{"W": [[0.1]], "b": [1e-2]}],')
    with pytest.raises(ValueError, match=rf"^{path}: malformed JSON at line 2"):
        Network.from_json(path)
    path.write_text('{"format": "exactrelu.network", "version": 1, "layers": [{"W": [[0.1]], "b": [1e-2]}]}')
    net = Network.from_json(path)
    assert net.layers[0] == (((Fraction(1, 10),),), (Fraction(1, 100),))  # not the floats nearest to them
    net.to_json(path)  # written atomically: the file reads back to the same network
    assert Network.from_json(str(path)) == net and sorted(p.name for p in tmp_path.iterdir()) == ["n.json"]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_integer_t1_maps_equal_the_rational_steps(data):
    """ReLU networks compute T1 maps as integer matrices over a common denominator; they must equal the
    plain fmpq_mat steps (with and without memo), for every prefix and the output."""
    from exactrelu.nets.affine import AffineMaps

    net = data.draw(networks())
    bits = [tuple(data.draw(st.lists(st.integers(0, 1), min_size=w, max_size=w))) for w in net.widths]
    for memo in (False, True):
        maps = AffineMaps.of(net, memo)
        H = None
        for k in range(net.depth):
            H = maps.step(H, bits[k - 1] if k else (), k)  # the rational path, one fmpq_mat product per layer
            assert maps.layer(bits[:k]) == H
            assert [maps.row(bits[:k], j) for j in range(H.nrows())] == \
                [tuple(H[j, i] for i in range(H.ncols())) for j in range(H.nrows())]
            assert list(maps.prefix_maps(bits[: k + 1]))[-1] == H
        out = maps._masked(H, bits[-1], net.depth - 1)
        expected = (maps._out * out if maps._out is not None
                    else flint.fmpq_mat(out.nrows() - 1, out.ncols(), out.entries()[: (out.nrows() - 1) * out.ncols()]))
        assert maps.output(bits) == expected


def test_integer_output_maps_with_many_outputs():
    """More outputs than input dimensions + 1: the hidden map's rows are masked instead of the output's columns."""
    from exactrelu.nets.affine import AffineMaps

    net = Network([([["1/3"], ["-2"], ["1/2"]], ["1/5", 0, "-1/7"])],
                  output=([[1, 2, 3], ["-1/3", 0, 1], [0, 0, "5/2"], [1, 1, 1]], [0, 1, "1/9", -2]))
    maps = AffineMaps.of(net)
    for bits in [(1, 0, 1), (0, 1, 1), (0, 0, 0)]:
        H = maps.step(None, (), 0)
        assert maps.output([bits]) == maps._out * maps._masked(H, bits, 0)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_integer_t1_maps_of_piecewise_linear_layers_equal_the_rational_steps(data):
    """Leaky ReLU, hardtanh and identity pieces (slopes and offsets with other denominators than the weights)
    in the integer maps, against the plain fmpq_mat steps."""
    from exactrelu.nets.activation import hardtanh, identity, leaky
    from exactrelu.nets.affine import AffineMaps

    base = data.draw(networks())
    kinds = [None, leaky("1/3"), leaky("-2/5"), hardtanh("-1/2", 3), identity()]
    acts = [data.draw(st.sampled_from(kinds)) for _ in base.widths]
    net = Network([(W, b, a) for (W, b), a in zip(base.layers, acts)], output=base.output)
    bits = [tuple(data.draw(st.integers(0, len(f.slopes) - 1)) for f in layer) for layer in net.activations]
    for memo in (False, True):
        maps = AffineMaps.of(net, memo)
        H = None
        for k in range(net.depth):
            H = maps.step(H, bits[k - 1] if k else (), k)
            assert maps.layer(bits[:k]) == H
            assert maps.row(bits[:k], 0) == tuple(H[0, i] for i in range(H.ncols()))
        out = maps._masked(H, bits[-1], net.depth - 1)
        expected = (maps._out * out if maps._out is not None
                    else flint.fmpq_mat(out.nrows() - 1, out.ncols(), out.entries()[: (out.nrows() - 1) * out.ncols()]))
        assert maps.output(bits) == expected
