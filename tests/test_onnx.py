"""Tests for exactrelu.interop.onnx_io: exact ONNX import (ACAS Xu included), export, refusals."""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from exactrelu import Network  # noqa: E402
from exactrelu.interop.io import load, save  # noqa: E402
from exactrelu.interop.onnx_io import UnsupportedOperatorError, network_from_onnx, network_to_onnx  # noqa: E402
from exactrelu.testing import acas_dir  # noqa: E402

ACAS = acas_dir() or Path("/nonexistent")  # the one locator: exactrelu.testing.acas_dir
ACAS_NETS = sorted(ACAS.glob("ACASXU_*.onnx")) if ACAS.is_dir() else []


def model(nodes, inits, in_shape=(1, 2), out_shape=None, extra_inputs=()):
    """A small float32 ONNX model with input 'x' and output 'y'."""
    inits = [numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) if not isinstance(v, np.ndarray) or v.dtype.kind == "f" else numpy_helper.from_array(v, k) for k, v in inits.items()]
    graph = helper.make_graph(
        nodes,
        "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape)), *extra_inputs],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        inits,
    )
    mdl = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    mdl.ir_version = 8  # loadable by the installed onnxruntime too
    return mdl


def node(op, ins, out, **kw):
    return helper.make_node(op, ins, [out], **kw)


# ----------------------------------------------------------------- ACAS Xu
@pytest.mark.skipif(not ACAS_NETS, reason="ACAS Xu data not present")
@pytest.mark.parametrize("path", ACAS_NETS, ids=lambda p: p.stem)
def test_acas_weights_are_the_exact_initializers(path):
    net = load(path)
    assert (net.input_dim, net.widths, net.output_dim) == (5, (50,) * 6, 5)
    m = onnx.load(str(path))
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    assert not inits["input_AvgImg"].any()  # Sub of zeros: the first layer is MatMul + Add alone
    # MatMul computes x @ W, so our W (out x in) is the transpose; entries are the float32 values exactly.
    W1 = inits["Operation_1_MatMul_W"]
    assert net.layers[0][0][7][3] == Fraction(float(W1[3, 7]))
    assert net.layers[0][1] == tuple(Fraction(float(v)) for v in inits["Operation_1_Add_B"])
    W_out = inits["linear_7_MatMul_W"]
    assert net.output[0] == tuple(tuple(Fraction(float(W_out[i, j])) for i in range(50)) for j in range(5))


@pytest.mark.skipif(not ACAS_NETS, reason="ACAS Xu data not present")
def test_acas_agrees_with_numpy_float64():
    # Float64 numpy on the float32 weights is within ~1e-12 of the exact value (6 layers of 50):
    # an independent evaluation path catching any transposition or ordering error.
    path = ACAS_NETS[0]
    net = load(path)
    m = onnx.load(str(path))
    inits = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    names = [f"Operation_{i}" for i in range(1, 7)]
    rng = np.random.default_rng(1)
    for x in rng.uniform(-0.5, 0.5, size=(5, 5)):
        h = x
        for nm in names:
            h = np.maximum(h @ inits[f"{nm}_MatMul_W"] + inits[f"{nm}_Add_B"], 0)
        y = h @ inits["linear_7_MatMul_W"] + inits["linear_7_Add_B"]
        exact = net(x.tolist())
        assert np.max(np.abs(np.array([float(v) for v in exact]) - y)) < 1e-9


# ------------------------------------------------------------- folding
def test_normalisation_folds_exactly():
    m_, s_, W_, b_ = [0.5, -1.25], [3.0, 0.1], [[1.0, -2.0, 0.5], [0.25, 1.0, 3.0]], [0.1, 0.0, -1.0]
    mdl = model(
        [
            node("Sub", ["x", "m"], "s"),
            node("Div", ["s", "d"], "t"),
            node("Mul", ["k", "t"], "t2"),
            node("MatMul", ["t2", "W"], "u"),
            node("Add", ["u", "b"], "v"),
            node("Relu", ["v"], "r"),
            node("Gemm", ["r", "Wo", "bo"], "o", transB=1, alpha=2.0, beta=0.5),
            node("Identity", ["o"], "y"),
        ],
        {"m": m_, "d": s_, "k": [2.0, 1.0], "W": W_, "b": b_, "Wo": [[1.0, -1.0, 0.5]], "bo": [0.75]},
    )
    net = network_from_onnx(mdl)
    f32 = lambda v: Fraction(float(np.float32(v)))  # noqa: E731 - the exact value of each float32 constant
    x = [Fraction(1, 3), Fraction(-7, 5)]
    # Hand evaluation over the rationals, following the graph node by node.
    t = [f32([2.0, 1.0][i]) * (x[i] - f32(m_[i])) / f32(s_[i]) for i in range(2)]
    r = [max(Fraction(0), sum(t[i] * f32(W_[i][j]) for i in range(2)) + f32(b_[j])) for j in range(3)]
    y = 2 * sum(r[j] * f32([1.0, -1.0, 0.5][j]) for j in range(3)) + Fraction(1, 2) * f32(0.75)
    assert net(x) == (y,)
    assert net.depth == 1 and net.output is not None
    # 0.1 is not a float32: x1's weight into neuron 0 is k1 * W[1][0] / float32(0.1), exactly.
    assert net.layers[0][0][0][1] == f32(1.0) * f32(0.25) / f32(0.1)


def test_sub_from_constant_add_on_left_reshape_flatten_constant_node():
    c = helper.make_tensor("c", TensorProto.FLOAT, [1, 1, 2], [1.0, 2.0])
    mdl = model(
        [
            helper.make_node("Constant", [], ["cc"], value=c),
            node("Sub", ["cc", "x"], "a"),  # c - x
            node("Add", ["one", "a"], "a2"),
            node("Flatten", ["a2"], "f", axis=1),
            node("Reshape", ["f", "shape"], "g"),
            node("Relu", ["g"], "y"),
        ],
        {"one": [1.0, 1.0], "shape": np.array([-1, 2], dtype=np.int64)},
        in_shape=(1, 1, 2),
    )
    net = network_from_onnx(mdl)
    # relu(2 - x0), relu(3 - x1), no output layer
    assert net.layers == ((((-1, 0), (0, -1)), (2, 3)),)
    assert net.output is None
    assert net([5, 1]) == (0, 2)


def test_symbolic_batch_and_relu_first():
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])
    graph = helper.make_graph(
        [node("Relu", ["x"], "r"), node("MatMul", ["r", "W"], "y")],
        "t", [inp], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array([[1.0], [2.0]], dtype=np.float32), "W")],
    )
    net = network_from_onnx(helper.make_model(graph))
    assert net.layers == ((((1, 0), (0, 1)), (0, 0)),)  # the identity layer before the first Relu
    assert net.output == (((1, 2),), (0,))
    assert net([-3, 1]) == (2,)


# ------------------------------------------------------------ refusals
@pytest.mark.parametrize("op", ["Sigmoid", "Tanh", "Softmax"])
def test_unsupported_activation(op):
    mdl = model([node(op, ["x"], "y")], {})
    with pytest.raises(UnsupportedOperatorError, match=f"unsupported ONNX operator '{op}'"):
        network_from_onnx(mdl)


def test_unsupported_operator_is_named(tmp_path):
    mdl = model([node("Sigmoid", ["x"], "y")], {}, in_shape=(1, 2))
    (tmp_path / "c.onnx").write_bytes(mdl.SerializeToString())
    with pytest.raises(ValueError, match=r"c.onnx: node 0 \(Sigmoid\): unsupported ONNX operator 'Sigmoid'"):
        load(tmp_path / "c.onnx")


def test_a_skip_connection_is_read_exactly():
    from fractions import Fraction

    net = network_from_onnx(model([node("Relu", ["x"], "r"), node("Add", ["x", "r"], "y")], {}))
    x = [Fraction(-3, 2), Fraction(1, 3)]
    assert net(x) == tuple(v + max(v, 0) for v in x)  # x + relu(x); x rides along in identity neurons
    assert [a.name for a in net.activations[0]] == ["relu", "relu", "identity", "identity"]


@pytest.mark.parametrize(
    "nodes, inits, message",
    [
        ([node("Relu", ["x"], "r"), node("Mul", ["x", "r"], "y")], {}, "Mul of two non-constant tensors"),
        ([node("Relu", ["x"], "r"), node("Relu", ["r"], "s"), node("Add", ["r", "x"], "t"), node("Add", ["s", "t"], "y")],
         {}, "graph branches"),
        ([node("Div", ["k", "x"], "y")], {"k": [1.0, 1.0]}, "Div of a constant by the tensor"),
        ([node("Div", ["x", "k"], "y")], {"k": [1.0, 0.0]}, "division by a zero constant"),
        ([node("Relu", ["x"], "r"), node("Relu", ["x"], "y")], {}, "branches"),
        ([node("Relu", ["x"], "r"), node("Identity", ["x"], "y")], {}, "branches"),
        ([node("Add", ["k", "k"], "y")], {"k": [1.0, 1.0]}, "constants only"),
        ([node("Identity", ["k"], "k2"), node("Relu", ["k2"], "y")], {"k": [1.0, 1.0]}, "constants only"),
        ([node("Add", ["x", "k"], "y")], {"k": [[1.0], [1.0]]}, "would enlarge"),
        ([node("MatMul", ["x", "W"], "y")], {"W": np.ones((3, 1), dtype=np.float32)}, "MatMul of a tensor of shape"),
        ([node("MatMul", ["W", "x"], "y")], {"W": np.ones((2, 1), dtype=np.float32)}, "constant on the left"),
        ([node("Add", ["x", "nope"], "y")], {}, "'nope' is not produced"),
        ([node("Add", ["x", "k"], "y")], {"k": [np.nan, 1.0]}, "NaN or infinity"),
        ([node("Add", ["x", "k"], "y")], {"k": np.array([True, False])}, "type bool"),
    ],
)
def test_refused_graphs(nodes, inits, message):
    with pytest.raises(ValueError, match=message):
        network_from_onnx(model(nodes, inits))


def test_two_inputs_and_external_data_refused():
    extra = helper.make_tensor_value_info("x2", TensorProto.FLOAT, [1, 2])
    with pytest.raises(ValueError, match="exactly one non-constant input, it has 2"):
        network_from_onnx(model([node("Relu", ["x"], "y")], {}, extra_inputs=[extra]))
    mdl = model([node("Add", ["x", "k"], "y")], {"k": [1.0, 1.0]})
    t = mdl.graph.initializer[0]
    t.data_location = TensorProto.EXTERNAL
    t.ClearField("raw_data")
    t.external_data.add(key="location", value="../../../etc/passwd")
    with pytest.raises(ValueError, match="external tensor data is not supported"):
        network_from_onnx(mdl)


def test_truncated_and_garbage_onnx(tmp_path):
    data = network_to_onnx(Network([([[1, 2], [3, 4]], [0, 1])], output=([[1, -1]], [0]))).SerializeToString()
    for k, blob in enumerate([data[: len(data) // 2], data[:10], b"", b"\x00garbage\xff" * 10]):
        p = tmp_path / f"t{k}.onnx"
        p.write_bytes(blob)
        with pytest.raises(ValueError, match=re.escape(str(p))):
            load(p)


# ----------------------------------------------------------- export
def magnitude(net, x):
    """The forward pass of |W|, |b| on |x| (no ReLU needed): bounds every partial sum's size."""
    h = [abs(Fraction(v)) for v in x]
    pairs = list(net.layers) + ([net.output] if net.output else [])
    for W, b in pairs:
        h = [sum(abs(w) * v for w, v in zip(row, h)) + abs(c) for row, c in zip(W, b)]
    return h


@st.composite
def dyadic_nets(draw):
    entry = st.builds(lambda p, k: Fraction(p, 2**k), st.integers(-64, 64), st.integers(0, 4))
    d = draw(st.integers(1, 3))
    layers, prev = [], d
    for w in draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)):
        layers.append(([[draw(entry) for _ in range(prev)] for _ in range(w)], [draw(entry) for _ in range(w)]))
        prev = w
    out = None
    if draw(st.booleans()):
        out = ([[draw(entry) for _ in range(prev)]], [draw(entry)])
    return Network(layers, output=out)


@settings(max_examples=20)
@given(net=dyadic_nets(), dtype=st.sampled_from(["float32", "float64"]))
def test_export_round_trip_and_runtime(tmp_path_factory, net, dtype):
    p = tmp_path_factory.mktemp("o") / "n.onnx"
    save(net, p, dtype=dtype)
    assert load(p) == net
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
    X = np.array([[k / 4 - 1 + j for j in range(net.input_dim)] for k in range(4)], dtype=dtype)
    got = sess.run(None, {"input": X})[0]
    for x, y in zip(X, got):
        exact = net(x.tolist())
        if dtype == "float64":
            # Dyadic weights with <= 7 bits over 2^4 and inputs k/4: every partial sum fits
            # in 53 bits, so float64 arithmetic is exact and the runtime must equal net.
            assert tuple(Fraction(float(v)) for v in y) == exact
        else:  # float32 rounds: the error is a small multiple of 2^-24 times the magnitudes involved
            mag = magnitude(net, x.tolist())
            assert all(abs(Fraction(float(v)) - e) <= m / 2**16 for v, e, m in zip(y, exact, mag))


def test_export_refuses_rounding_unless_allowed(tmp_path):
    net = Network([([["1/3"]], [0])])
    with pytest.raises(ValueError, match="1/3 is not exactly representable in float32"):
        save(net, tmp_path / "n.onnx", dtype="float32")
    assert not os.listdir(tmp_path)
    save(net, tmp_path / "n.onnx", dtype="float32", allow_rounding=True)
    assert load(tmp_path / "n.onnx").layers[0][0][0][0] == Fraction(float(np.float32(1 / 3)))
    with pytest.raises(ValueError, match="'float32' or 'float64'"):
        network_to_onnx(net, dtype="float16")


# ------------------------------------------- ACAS Xu against onnxruntime
def vnnlib_box(path):
    """The input box of a simple VNN-LIB property: (assert (<= X_i c)) / (assert (>= X_i c)) lines.

    Constraints on outputs (Y_j) are skipped; any other assertion on X is refused.
    Decimal bounds are read exactly.
    """
    lower, upper = {}, {}
    pattern = re.compile(r"^\(assert \((<=|>=) X_(\d+) ([-+0-9.eE]+)\)\)$")
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line.startswith("(assert") or "Y_" in line:
            continue
        m = pattern.match(line)
        assert m, f"unsupported constraint in {path}: {line}"
        op, i, value = m.group(1), int(m.group(2)), Fraction(m.group(3))
        (upper if op == "<=" else lower)[i] = value
    n = len(lower)
    assert sorted(lower) == sorted(upper) == list(range(n))
    return [lower[i] for i in range(n)], [upper[i] for i in range(n)]


def box_points(lo, hi, count, seed):
    """Exact rational points in the box: the two corners, then random grid points (k/997 of each side)."""
    rng = np.random.default_rng(seed)
    pts = [list(lo), list(hi)]
    for _ in range(count - 2):
        pts.append([a + (b - a) * Fraction(int(k), 997) for a, b, k in zip(lo, hi, rng.integers(0, 998, len(lo)))])
    return pts


def ort_function(path):
    pytest.importorskip("onnxruntime")
    from exactrelu.interop.onnx_io import onnxruntime_function

    return onnxruntime_function(path)  # the ACAS models take one (1, 1, 1, 5) sample per run


ACAS_CASES = [("1_1", "prop_1"), ("1_6", "prop_3"), ("1_7", "prop_3")]


@pytest.mark.skipif(not ACAS_NETS, reason="ACAS Xu data not present")
@pytest.mark.parametrize("net_id, prop", ACAS_CASES)
def test_acas_onnxruntime_is_float32_rounding(net_id, prop):
    from exactrelu.oracle import compare, make_vectors

    path = ACAS / f"ACASXU_run2a_{net_id}_batch_2000.onnx"
    net = load(path)
    lo, hi = vnnlib_box(ACAS / f"{prop}.vnnlib")
    vecs = make_vectors(net, box_points(lo, hi, 24, seed=len(net_id + prop)))
    fn = ort_function(path)
    report = compare(fn, vecs, "float32")
    assert report.ok, str(report)
    assert len(report.rounding) > 0  # the runtime does round, and the oracle calls it rounding
    # Judged as a float64 implementation the same numbers are real errors: the bound is tight enough to tell.
    as64 = compare(lambda X: fn(X.astype(np.float32)).astype(np.float64), vecs, "float64")
    assert not as64.ok
    # The properties hold on every sample, exactly: prop 1 for 1_1 (COC output below its threshold),
    # prop 3 for 1_6 (COC is never the minimal score).  1_7 violates prop 3 somewhere, not
    # necessarily at our samples, so it is not checked.
    if prop == "prop_1":
        assert all(v.output[0] < Fraction("3.991125645861615") for v in vecs)
    elif net_id == "1_6":
        assert all(any(v.output[0] > v.output[j] for j in range(1, 5)) for v in vecs)


@pytest.mark.skipif(not ACAS_NETS, reason="ACAS Xu data not present")
def test_vnnlib_box_parser():
    lo, hi = vnnlib_box(ACAS / "prop_3.vnnlib")
    # From the file: X_0 in [-0.303531156, -0.298552812], X_2 in [0.493380324, 0.5].
    assert (lo[0], hi[0]) == (Fraction("-0.303531156"), Fraction("-0.298552812"))
    assert (lo[2], hi[2]) == (Fraction("0.493380324"), Fraction(1, 2))
    assert len(lo) == 5


def test_rank1_input_and_runtime_function(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from exactrelu.interop.onnx_io import onnxruntime_function

    mdl = model([node("MatMul", ["x", "W"], "u"), node("Relu", ["u"], "y")], {"W": [[1.0], [-2.0]]}, in_shape=(2,))
    net = network_from_onnx(mdl)
    assert net.layers == ((((1, -2),), (0,)),)
    (tmp_path / "r1.onnx").write_bytes(mdl.SerializeToString())
    fn = onnxruntime_function(str(tmp_path / "r1.onnx"))
    assert fn(np.array([[3.0, 1.0], [0.0, 1.0]])).tolist() == [[1.0], [0.0]]  # relu(3 - 2), relu(-2)
    sess = ort.InferenceSession(network_to_onnx(net, dtype="float64").SerializeToString())
    assert onnxruntime_function(sess)(np.array([[5.0, 1.0]])).tolist() == [[3.0]]
    with pytest.raises(ValueError, match="onnxruntime cannot open"):
        onnxruntime_function(b"garbage")


def test_identity_on_initializer():
    mdl = model([node("Identity", ["W"], "W2"), node("MatMul", ["x", "W2"], "y")], {"W": [[2.0], [0.5]]})
    assert network_from_onnx(mdl).output == (((2, Fraction(1, 2)),), (0,))


@settings(max_examples=10)
@given(st.data(), st.sampled_from(["float32", "float64"]))
def test_onnxruntime_on_rounded_exports_is_rounding_only(data, dtype):
    # Weights like 1/3 are rounded by the export; the oracle's bound covers that rounding.
    pytest.importorskip("onnxruntime")
    from exactrelu.interop.onnx_io import onnx_bytes, onnxruntime_function
    from exactrelu.oracle import compare, make_vectors
    from exactrelu.testing import inputs, networks

    net = data.draw(networks(denominators=(1, 3, 7, 10)))
    xs = data.draw(st.lists(inputs(net), min_size=1, max_size=4))
    fn = onnxruntime_function(onnx_bytes(net, dtype=dtype, allow_rounding=True))
    report = compare(fn, make_vectors(net, xs), dtype)
    assert report.ok, str(report)


# ---- hostile sizes and types (audit regressions)
def _relu_model(shape, inits=(), nodes=None, elem=TensorProto.FLOAT):
    nodes = nodes or [helper.make_node("MatMul", ["x", "W"], ["u"]), helper.make_node("Relu", ["u"], ["y"])]
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", elem, shape)],
        [helper.make_tensor_value_info("y", elem, None)], list(inits),
    )
    return helper.make_model(g)


def _declared_only(name, dims):
    t = onnx.TensorProto()  # a header claiming huge dims, no data
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    return t


@pytest.mark.parametrize(
    "model, message",
    [
        # an n-dimensional input needs an n x n exact map: refused before allocating it
        (lambda: _relu_model([1, 10**9], [numpy_helper.from_array(np.ones((2, 1), np.float32), "W")]),
         "graph input 'x' of shape \\(1, 1000000000\\) needs"),
        (lambda: _relu_model([1, 2], [_declared_only("W", [10**6, 10**6])]), "initializer 'W' of shape"),
        (lambda: _relu_model([1, 2], [numpy_helper.from_array(np.ones((2, 4000), np.float32), "W")]),
         "node 1 \\(Relu\\): an exact affine map of a tensor of 4000 values"),
        (lambda: _relu_model([1, 2], nodes=[helper.make_node("Relu", ["x"], ["y"])], elem=TensorProto.BOOL),
         "element type BOOL"),
    ],
)
def test_hostile_sizes_and_input_types_are_refused_up_front(model, message):
    with pytest.raises(ValueError, match=message):
        network_from_onnx(model())


def test_runtime_function_names_an_input_size_mismatch():
    pytest.importorskip("onnxruntime")
    from exactrelu.interop.onnx_io import onnx_bytes, onnxruntime_function

    fn = onnxruntime_function(onnx_bytes(Network([([[1, 2, 3]], [0])])))
    with pytest.raises(ValueError, match="takes 3 numbers per sample, got a batch of shape \\(2, 2\\)"):
        fn(np.zeros((2, 2)))


@pytest.mark.parametrize("attrs", [{"alpha": float("nan")}, {"alpha": float("inf")}, {"beta": 1e39}])
def test_gemm_non_finite_float32_attributes_are_named(attrs):
    nodes = [node("Gemm", ["x", "W", "b"], "u", transB=1, **attrs), node("Relu", ["u"], "y")]
    with pytest.raises(ValueError, match="node 0 \\(Gemm\\): attribute (alpha|beta) .* not a finite float32"):
        network_from_onnx(model(nodes, {"W": [[1.0, 2.0]], "b": [1.0]}))


def test_unknown_attributes_are_refused_not_ignored():
    # opset-6 Add(broadcast=1, axis=0) broadcasts differently from numpy: refuse, do not guess
    nodes = [node("Add", ["x", "c"], "u", broadcast=1, axis=0), node("Relu", ["u"], "y")]
    with pytest.raises(UnsupportedOperatorError, match="node 0 \\(Add\\): attribute 'axis' of Add"):
        network_from_onnx(model(nodes, {"c": [1.0, 2.0]}))


def test_leaky_clip_and_prelu_read_exactly_and_agree_with_onnxruntime():
    from fractions import Fraction

    ort = pytest.importorskip("onnxruntime")
    mdl = model([node("LeakyRelu", ["x"], "a", alpha=0.5), node("Clip", ["a", "lo", "hi"], "c"),
                 node("PRelu", ["c", "s"], "y")],
                {"lo": np.float32(-0.75), "hi": np.float32(2.0), "s": [0.25, 3.0]}, out_shape=[1, 2])
    net = network_from_onnx(mdl)
    assert net.depth == 3 and [a.name for a in net.activations[2]] == ["leaky_relu(1/4)", "leaky_relu(3)"]
    X = np.array([[-4.0, 3.5], [-1.0, -0.5], [1.0, 0.25]], dtype=np.float32)
    session = ort.InferenceSession(mdl.SerializeToString())
    got = [session.run(None, {"x": x[None]})[0][0] for x in X]  # the model's batch is 1
    for x, g in zip(X.tolist(), [g.tolist() for g in got]):  # every step exact in float32 here: equal, not just close
        assert net(x) == tuple(Fraction(v) for v in g)
    with pytest.raises(ValueError, match=r"node 0 \(Clip\): Clip with min 1 >= max 1"):
        network_from_onnx(model([node("Clip", ["x", "lo", "hi"], "y")], {"lo": np.float32(1), "hi": np.float32(1)}))


def test_conv_pool_and_batchnorm_need_what_they_say():
    w = {"w": np.ones((1, 1, 2, 2), dtype=np.float32)}
    with pytest.raises(ValueError, match=r"asymmetric pads"):
        network_from_onnx(model([node("Conv", ["x", "w"], "y", pads=[0, 0, 1, 1])], w, in_shape=(1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"auto_pad"):
        network_from_onnx(model([node("MaxPool", ["x"], "y", kernel_shape=[2, 2], auto_pad="SAME_UPPER")], {},
                                in_shape=(1, 1, 3, 3)))
    bn = {"g": [1.0], "b": [0.0], "m": [0.0], "v": [2.0]}
    with pytest.raises(ValueError, match=r"sqrt\(running_var \+ eps\) is irrational.*sqrt_bits"):
        network_from_onnx(model([node("BatchNormalization", ["x", "g", "b", "m", "v"], "y")], bn,
                                in_shape=(1, 1, 2, 2)))
    net = network_from_onnx(model([node("BatchNormalization", ["x", "g", "b", "m", "v"], "y")], bn,
                                  in_shape=(1, 1, 2, 2)), sqrt_bits=64)
    assert abs(float(net([1, 0, 0, 0])[0]) - 1 / (2 + 1e-5) ** 0.5) < 1e-12
