"""ONNX import and export of piecewise-linear networks, with every constant converted exactly.

Import reads graphs built from ``Gemm``, ``MatMul`` + ``Add``, ``Relu``,
``LeakyRelu``, ``PRelu``, ``Clip``, ``Conv``, ``AveragePool``,
``GlobalAveragePool``, ``MaxPool``, ``BatchNormalization`` (inference),
``Flatten``, ``Reshape``, ``Identity``, ``Constant``, elementwise ``Sub``,
``Add``, ``Mul``, ``Div`` by constants, and ``Add`` of two tensors (a skip
connection, as in residual blocks).  It interprets the graph over the
rationals: the running tensor is kept as an exact affine map ``A h + c`` of the
last activation's output ``h`` (or of the input), every constant is folded into that
map exactly (a float32 initializer means its exact binary value), and each
activation closes one hidden layer (:mod:`exactrelu.nets.build` folds the
convolutions and pools, lowers MaxPool to exact comparisons and carries a
skip's input through the layers in between by identity neurons).  So an input normalisation ``(x - m) / s``
followed by ``MatMul`` becomes one affine layer with exact rational weights.
This is the real-number function the graph denotes; a float runtime computes
a rounding of it (see :mod:`exactrelu.oracle`), with extra roundings where a
folded step such as an input normalisation is rounded separately.  (MatMul
then Add is fine: that is one dot product plus bias, summed in some order.)

Anything else is refused with the operator's name: other operators,
other operations between two non-constant tensors, branching graphs other
than skips, external tensor data (it would read other files).

The ``onnx`` package is an optional extra, imported only here.

>>> import onnx
>>> from onnx import helper, TensorProto
>>> g = helper.make_graph(
...     [helper.make_node("Sub", ["x", "m"], ["s"]), helper.make_node("Div", ["s", "d"], ["t"]),
...      helper.make_node("MatMul", ["t", "W"], ["u"]), helper.make_node("Relu", ["u"], ["y"])],
...     "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])],
...     [helper.make_tensor("m", TensorProto.FLOAT, [2], [1.0, 0.5]),
...      helper.make_tensor("d", TensorProto.FLOAT, [2], [4.0, 3.0]),
...      helper.make_tensor("W", TensorProto.FLOAT, [2, 1], [1.0, 1.0])])
>>> net = network_from_onnx(helper.make_model(g))
>>> net.layers  # relu((x0 - 1)/4 + (x1 - 1/2)/3)
((((Fraction(1, 4), Fraction(1, 3)),), (Fraction(-5, 12),)),)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import flint
import numpy as np

from ..exact.numbers import fmpq_to_fraction
from ..nets import build as B
from ..nets.activation import RELU, Activation, leaky
from ..nets.network import Network
from ..optional import import_optional

__all__ = [
    "load_onnx",
    "network_from_onnx",
    "onnx_bytes",
    "network_to_onnx",
    "onnxruntime_function",
    "UnsupportedOperatorError",
]

# Exact rational matrices cost far more than floats: the running affine map of
# an n-dimensional input is an n x n matrix, so refuse sizes beyond this many
# numbers up front instead of running out of memory deep inside.
MAX_ENTRIES = 10**7
_FLOAT_INPUTS = ("FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16")

SUPPORTED = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "PRelu", "Clip", "Conv", "AveragePool",
             "GlobalAveragePool", "MaxPool", "BatchNormalization", "Flatten", "Reshape", "Identity", "Constant")
_ACTIVATIONS = ("Relu", "LeakyRelu", "PRelu", "Clip")
_FOLDED = ("Conv", "AveragePool", "GlobalAveragePool", "MaxPool", "BatchNormalization")


class UnsupportedOperatorError(ValueError):
    """An ONNX graph uses an operator (or a use of one) that has no exact affine/ReLU meaning here."""


def _onnx() -> Any:
    return import_optional("onnx", "reading and writing ONNX")


# ------------------------------------------------------------------ values
@dataclass
class _Affine:
    """A tensor that is an exact affine function ``A h + c`` of the base ``h`` (level ReLUs deep)."""

    A: flint.fmpq_mat  # size x base_dim
    c: flint.fmpq_mat  # size x 1
    shape: tuple  # the tensor's full shape, batch dimension included (taken as 1)
    level: int


def _size(shape: tuple) -> int:
    return int(np.prod([int(d) for d in shape], dtype=object)) if shape else 1  # no int64 wrap-around


def _identity(n: int, where: str = "") -> flint.fmpq_mat:
    _check_entries(n * n, f"{where + ': ' if where else ''}an exact affine map of a tensor of {n} values")
    return flint.fmpq_mat(n, n, [flint.fmpq(int(i == j)) for i in range(n) for j in range(n)])


def _check_entries(count: int, what: str) -> None:
    if count > MAX_ENTRIES:
        raise ValueError(f"{what} needs {count} exact numbers, more than {MAX_ENTRIES}: too large for exact arithmetic")


def _fmpq_list(arr: np.ndarray) -> list:
    """Exact rationals of a constant array (floats: their binary value), flattened in C order."""
    if arr.dtype.kind == "f":
        return [flint.fmpq(*Fraction(v).as_integer_ratio()) for v in arr.astype(np.float64).ravel().tolist()]
    return [flint.fmpq(int(v)) for v in arr.ravel().tolist()]


# ------------------------------------------------------------------ import
def load_onnx(path: str | os.PathLike, *, sqrt_bits: int | None = None) -> Network:
    """Load an ONNX file as an exact :class:`Network` (external tensor data refused; ``sqrt_bits``: see
    :func:`network_from_onnx`).

    >>> import os, tempfile
    >>> from exactrelu import Network
    >>> path = os.path.join(tempfile.mkdtemp(), "n.onnx")
    >>> _ = open(path, "wb").write(onnx_bytes(Network([([[1, 2]], [-1])], output=([[2]], [0]))))
    >>> load_onnx(path)
    <Network 2-1-1 (affine output), depth 1>
    """
    onnx = _onnx()
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {name!r}: {exc.strerror}") from None
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises its own DecodeError (and others) on damaged bytes
        raise ValueError(f"{name}: not a readable ONNX model ({type(exc).__name__}: {exc})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ValueError(f"{name}: the ONNX model has no graph nodes (truncated or empty file?)")
    try:
        return network_from_onnx(model, sqrt_bits=sqrt_bits)
    except ValueError as exc:
        raise type(exc)(f"{name}: {exc}") from None


def network_from_onnx(model: Any, *, sqrt_bits: int | None = None) -> Network:
    """Convert an in-memory ``onnx.ModelProto`` to an exact :class:`Network` (see the module docs).

    BatchNormalization divides by sqrt(var + epsilon), irrational in general:
    refused unless ``sqrt_bits`` says how many bits of the root to keep.
    """
    onnx = _onnx()
    graph = model.graph
    consts: dict[str, np.ndarray] = {}
    for t in graph.initializer:
        consts[t.name] = _tensor(onnx, t, f"initializer {t.name!r}")
    inputs = [i for i in graph.input if i.name not in consts]
    if len(inputs) != 1:
        raise ValueError(f"the graph must have exactly one non-constant input, it has {len(inputs)}")
    if len(graph.output) != 1:
        raise ValueError(f"the graph must have exactly one output, it has {len(graph.output)}")
    shape = _input_shape(inputs[0])
    n = _size(shape)
    values: dict[str, Any] = dict(consts)
    values[inputs[0].name] = _Affine(_identity(n), flint.fmpq_mat(n, 1), shape, 0)
    layers: list = []
    for k, node in enumerate(graph.node):
        where = f"node {k} ({node.op_type}{' ' + repr(node.name) if node.name else ''})"
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedOperatorError(f"{where}: operator domain {node.domain!r} is not supported")
        if node.op_type not in SUPPORTED:
            raise UnsupportedOperatorError(
                f"{where}: unsupported ONNX operator {node.op_type!r} (supported: {', '.join(SUPPORTED)})"
            )
        args = []
        for name in node.input:
            if name == "":
                args.append(None)
            elif name not in values:
                raise ValueError(f"{where}: input {name!r} is not produced by any earlier node")
            else:
                args.append(values[name])
        _check_bases(args, layers, n, where)
        out = _apply(onnx, node, args, layers, where, sqrt_bits)
        if len(node.output) != 1:
            raise UnsupportedOperatorError(f"{where}: nodes with {len(node.output)} outputs are not supported")
        values[node.output[0]] = out
    result = values.get(graph.output[0].name)
    if not isinstance(result, _Affine):
        raise ValueError("the graph output does not depend on the graph input")
    if result.level != len(layers):
        raise UnsupportedOperatorError("the graph branches: a Relu's result does not reach the output")
    return _build(layers, result)


def _check_bases(args: list, layers: list, n: int, where: str) -> None:
    """Every tensor's map still fits its base (a skip widens the layers it spans; a tensor left behind there is
    a branch of the graph other than the skip)."""
    for a in args:
        if isinstance(a, _Affine) and a.A.ncols() != (layers[a.level - 1][0].nrows() if a.level else n):
            raise UnsupportedOperatorError(f"{where}: the graph branches across a skip connection")


def _build(layers: list, result: _Affine) -> Network:
    hidden = [(_mat(W), _vec(b), acts) for W, b, acts in layers]
    base = result.A.ncols()
    is_identity = result.A.nrows() == base and result.A == _identity(base) and result.c == flint.fmpq_mat(base, 1)
    output = None if (is_identity and hidden) else (_mat(result.A), _vec(result.c))
    return Network(hidden, output=output)


def _mat(M: flint.fmpq_mat) -> list:
    return [[fmpq_to_fraction(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]


def _vec(c: flint.fmpq_mat) -> list:
    return [fmpq_to_fraction(v) for v in c.entries()]


def _tensor(onnx: Any, t: Any, where: str) -> np.ndarray:
    if t.data_location == onnx.TensorProto.EXTERNAL:
        raise ValueError(f"{where}: external tensor data is not supported (it would read another file)")
    if any(d < 0 for d in t.dims):
        raise ValueError(f"{where}: negative dimension in shape {tuple(t.dims)}")
    _check_entries(int(np.prod([int(d) for d in t.dims], dtype=object)), f"{where} of shape {tuple(t.dims)}")
    try:
        arr = onnx.numpy_helper.to_array(t)
    except Exception as exc:
        raise ValueError(f"{where}: unreadable tensor ({exc})") from None
    if arr.dtype.kind not in "fiu" or arr.dtype.itemsize > 8:
        raise ValueError(f"{where}: tensors of type {arr.dtype} are not supported (expected floats or integers)")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: contains NaN or infinity")
    return arr


def _input_shape(vi: Any) -> tuple:
    tt = vi.type.tensor_type
    elem = _onnx().TensorProto.DataType.Name(tt.elem_type) if tt.elem_type else "undefined"
    if elem not in _FLOAT_INPUTS:
        raise ValueError(f"graph input {vi.name!r} has element type {elem}; expected a float type")
    if not tt.HasField("shape"):
        raise ValueError(f"graph input {vi.name!r} has no shape")
    dims = []
    for i, d in enumerate(tt.shape.dim):
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        elif i == 0:
            dims.append(1)  # a symbolic batch dimension: one sample
        else:
            raise ValueError(f"graph input {vi.name!r}: dimension {i} is symbolic; only the batch dimension may be")
    if len(dims) >= 2 and dims[0] != 1:  # a rank-1 input is one sample without a batch dimension
        raise ValueError(f"graph input {vi.name!r} has a fixed batch of {dims[0]}; expected 1 or a symbolic batch")
    total = int(np.prod(dims, dtype=object))
    if total == 0:
        raise ValueError(f"graph input {vi.name!r} is empty (shape {tuple(dims)})")
    _check_entries(total * total, f"graph input {vi.name!r} of shape {tuple(dims)}")
    return tuple(dims)


# ----------------------------------------------------------- interpreter
# The attributes each operator may carry; any other changes its meaning in some opset.
_ATTRIBUTES = {
    "Gemm": {"alpha", "beta", "transA", "transB"},
    "Flatten": {"axis"},
    "Reshape": {"allowzero"},
    "Constant": {"value"},
    "LeakyRelu": {"alpha"},
    "Clip": {"min", "max"},
    "Conv": {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"},
    "AveragePool": {"kernel_shape", "strides", "pads", "count_include_pad", "ceil_mode", "auto_pad"},
    "MaxPool": {"kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "storage_order"},
    "BatchNormalization": {"epsilon", "momentum", "training_mode", "spatial"},
}


def _apply(onnx: Any, node: Any, args: list, layers: list, where: str, sqrt_bits: int | None = None) -> Any:
    op = node.op_type
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    unknown = sorted(set(attrs) - _ATTRIBUTES.get(op, set()))
    if unknown:  # e.g. the old broadcast/axis of Add (opset < 7): other semantics, refuse rather than guess
        raise UnsupportedOperatorError(f"{where}: attribute {unknown[0]!r} of {op} is not supported")
    dyn = [a for a in args if isinstance(a, _Affine)]
    if op == "Constant":
        if "value" not in attrs:
            raise UnsupportedOperatorError(f"{where}: only Constant nodes with a 'value' tensor are supported")
        return _tensor(onnx, attrs["value"], where)
    if op == "Identity" and not dyn and args and args[0] is not None:
        return args[0]  # exporters copy shared initializers through Identity nodes
    if not dyn:
        raise UnsupportedOperatorError(f"{where}: computing on constants only is not supported (fold it in the exporter)")
    if len(dyn) == 2 and op == "Add" and len(args) == 2:
        return _skip(args[0], args[1], layers, where)
    if len(dyn) > 1:
        raise UnsupportedOperatorError(f"{where}: {op} of two non-constant tensors is not an affine layer")
    x = args[0]
    if op == "Identity":
        return x
    if op in _ACTIVATIONS:
        if x.level != len(layers):
            raise UnsupportedOperatorError(f"{where}: the graph branches (a second activation on an earlier tensor)")
        layers.append((x.A, x.c, _activations(op, args, attrs, x.shape, where)))
        n = x.A.nrows()
        return _Affine(_identity(n, where), flint.fmpq_mat(n, 1), x.shape, x.level + 1)
    if op in _FOLDED:
        return _folded(op, args, attrs, x, layers, where, sqrt_bits)
    if op == "Flatten":
        return _flatten(x, attrs.get("axis", 1), where)
    if op == "Reshape":
        return _reshape(x, args, attrs, where)
    if op in ("Add", "Sub", "Mul", "Div"):
        return _elementwise(op, args, where)
    if op == "MatMul":
        if not isinstance(args[0], _Affine):
            raise UnsupportedOperatorError(f"{where}: MatMul with the constant on the left is not supported")
        return _matmul(x, args[1], where)
    return _gemm(args, attrs, where)


def _activations(op: str, args: list, attrs: dict, shape: tuple, where: str) -> tuple:
    """One exact activation per entry of the tensor for Relu, LeakyRelu, PRelu or Clip."""
    n = _size(shape)
    if op == "Relu":
        return (RELU,) * n
    if op == "LeakyRelu":  # a float32 attribute: its exact binary value
        return (leaky(Fraction(float(np.float32(attrs.get("alpha", 0.01)))), where),) * n
    if op == "PRelu":
        slope = args[1] if len(args) > 1 else None
        if not isinstance(slope, np.ndarray):
            raise UnsupportedOperatorError(f"{where}: PRelu needs a constant slope")
        vals, _ = _broadcast(slope, shape, where)
        return tuple(leaky(fmpq_to_fraction(v), f"{where}, entry {i}") for i, v in enumerate(vals))
    bounds = []
    for i, key in ((1, "min"), (2, "max")):  # opset >= 11: inputs; before: attributes
        v = args[i] if len(args) > i else attrs.get(key)
        if v is not None and not isinstance(v, (np.ndarray, float, int)):
            raise UnsupportedOperatorError(f"{where}: Clip needs constant bounds")
        bounds.append(None if v is None else Fraction(float(np.asarray(v).reshape(()))))
    lo, hi = bounds
    if lo is not None and hi is not None and not lo < hi:
        raise ValueError(f"{where}: Clip with min {lo} >= max {hi} is constant, not supported")
    t = [v for v in (lo, hi) if v is not None]
    slopes = ([0] if lo is not None else []) + [1] + ([0] if hi is not None else [])
    offsets = ([lo] if lo is not None else []) + [0] + ([hi] if hi is not None else [])
    return (Activation(t, slopes, offsets, where),) * n


def _folded(op: str, args: list, attrs: dict, x: _Affine, layers: list, where: str, sqrt_bits: int | None) -> _Affine:
    """Conv, pools and batch norm through :func:`exactrelu.nets.build.fold` (MaxPool adds hidden layers)."""
    if len(x.shape) < 3 or x.shape[0] != 1:
        raise ValueError(f"{where}: expects a tensor (1, channels, spatial...), got shape {x.shape}")
    if op in ("Conv", "AveragePool", "MaxPool") and attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise UnsupportedOperatorError(f"{where}: auto_pad={attrs['auto_pad']!r} is not supported (give pads)")
    if attrs.get("ceil_mode", 0):
        raise UnsupportedOperatorError(f"{where}: ceil_mode=1 is not supported")
    spatial = len(x.shape) - 2
    if spatial not in (1, 2):
        raise UnsupportedOperatorError(f"{where}: {spatial}-D {op} is not supported (1-D and 2-D are)")
    spec = _spec(op, args, attrs, x.shape, spatial, where, sqrt_bits)
    spec.label = where
    hidden, P, p, shape = B.fold(spec, x.shape[1:], x.A, x.c, where)
    layers.extend(hidden)
    return _Affine(P, p, (1, *shape), x.level + len(hidden))


def _pads(attrs: dict, spatial: int, where: str) -> tuple:
    pads = list(attrs.get("pads", [0] * (2 * spatial)))
    if pads[:spatial] != pads[spatial:]:
        raise UnsupportedOperatorError(f"{where}: asymmetric pads {pads} are not supported")
    return tuple(pads[:spatial])


def _spec(op: str, args: list, attrs: dict, shape: tuple, spatial: int, where: str, sqrt_bits: int | None) -> Any:
    if op == "GlobalAveragePool":
        return (B.AvgPool1d if spatial == 1 else B.AvgPool2d)(tuple(shape[2:]))
    if op == "BatchNormalization":
        if attrs.get("training_mode", 0):
            raise UnsupportedOperatorError(f"{where}: training_mode=1 is not supported (inference only)")
        consts = args[1:5]
        if len(consts) != 4 or not all(isinstance(a, np.ndarray) for a in consts):
            raise UnsupportedOperatorError(f"{where}: BatchNormalization needs constant scale, B, mean and var")
        eps = Fraction(float(np.float32(attrs.get("epsilon", 1e-5))))
        g, b, m, v = ([fmpq_to_fraction(q) for q in _fmpq_list(a.reshape(-1))] for a in consts)
        return B.batchnorm(g, b, m, v, eps, sqrt_bits, where)
    kernel = tuple(int(k) for k in attrs.get("kernel_shape", ()))
    strides = tuple(int(k) for k in attrs.get("strides", (1,) * spatial))
    pads = _pads(attrs, spatial, where)
    dil = tuple(int(k) for k in attrs.get("dilations", (1,) * spatial))
    if op == "Conv":
        W = args[1] if len(args) > 1 else None
        bias = args[2] if len(args) > 2 else None
        if not isinstance(W, np.ndarray) or (bias is not None and not isinstance(bias, np.ndarray)):
            raise UnsupportedOperatorError(f"{where}: Conv needs constant weights and bias")
        Wq = np.array([fmpq_to_fraction(q) for q in _fmpq_list(W)] + [None], dtype=object)[:-1].reshape(W.shape)
        bq = None if bias is None else [fmpq_to_fraction(q) for q in _fmpq_list(bias)]
        return (B.Conv1d if spatial == 1 else B.Conv2d)(Wq, bq, strides, pads, dil, int(attrs.get("group", 1)))
    if any(d != 1 for d in dil):
        raise UnsupportedOperatorError(f"{where}: dilations {dil} of {op} are not supported")
    if not kernel:
        raise ValueError(f"{where}: {op} needs kernel_shape")
    if op == "MaxPool":
        return (B.MaxPool1d if spatial == 1 else B.MaxPool2d)(kernel, strides, pads)
    return (B.AvgPool1d if spatial == 1 else B.AvgPool2d)(kernel, strides, pads,
                                                         bool(attrs.get("count_include_pad", 0)))


def _skip(x: _Affine, y: _Affine, layers: list, where: str) -> _Affine:
    """x + y for two tensors (a skip connection): the layers between their bases carry the earlier one along."""
    if x.level > y.level:
        x, y = y, x
    if tuple(x.shape) != tuple(y.shape):
        raise UnsupportedOperatorError(f"{where}: Add of tensors of shapes {x.shape} and {y.shape} (no broadcasting)")
    if y.level != len(layers) and x.level != y.level:
        raise UnsupportedOperatorError(f"{where}: the graph branches (a skip into an earlier tensor)")
    A, c = B.add_skip(layers, x.level, x.A, x.c, y.A, y.c) if x.level < y.level else (x.A + y.A, x.c + y.c)
    return _Affine(A, c, y.shape, y.level)


def _flatten(x: _Affine, axis: int, where: str) -> _Affine:
    r = len(x.shape)
    if axis < 0:
        axis += r
    if not 0 <= axis <= r:
        raise ValueError(f"{where}: axis {axis} out of range for a tensor of rank {r}")
    return _Affine(x.A, x.c, (_size(x.shape[:axis]), _size(x.shape[axis:])), x.level)


def _reshape(x: _Affine, args: list, attrs: dict, where: str) -> _Affine:
    target = args[1] if len(args) > 1 else None
    if not isinstance(target, np.ndarray) or target.dtype.kind not in "iu" or target.ndim != 1:
        raise UnsupportedOperatorError(f"{where}: Reshape needs a constant 1-D integer shape")
    dims = [int(v) for v in target]
    if not attrs.get("allowzero", 0):
        dims = [x.shape[i] if (v == 0 and i < len(x.shape)) else v for i, v in enumerate(dims)]
    if dims.count(-1) > 1 or any(v < -1 for v in dims):
        raise ValueError(f"{where}: invalid Reshape target {tuple(int(v) for v in target)}")
    known = _size(tuple(v for v in dims if v != -1))
    total = _size(x.shape)
    if -1 in dims:
        if known == 0 or total % known:
            raise ValueError(f"{where}: cannot reshape {x.shape} to {tuple(dims)}")
        dims[dims.index(-1)] = total // known
    if _size(tuple(dims)) != total:
        raise ValueError(f"{where}: cannot reshape {x.shape} to {tuple(dims)}")
    return _Affine(x.A, x.c, tuple(dims), x.level)  # C order is kept: the data does not move


def _broadcast(const: np.ndarray, shape: tuple, where: str) -> tuple[list, tuple]:
    """The constant broadcast against the tensor: exact values in C order, and the result shape."""
    try:
        out_shape = tuple(np.broadcast_shapes(tuple(shape), const.shape))
    except ValueError:
        raise ValueError(f"{where}: a constant of shape {const.shape} does not broadcast with {tuple(shape)}") from None
    if _size(out_shape) != _size(shape):
        raise UnsupportedOperatorError(
            f"{where}: a constant of shape {const.shape} would enlarge the tensor of shape {tuple(shape)}"
        )
    # Broadcast with the data moving as the tensor's does: reshape the tensor side to out_shape.
    return _fmpq_list(np.broadcast_to(const, out_shape)), out_shape


def _elementwise(op: str, args: list, where: str) -> _Affine:
    left_dyn = isinstance(args[0], _Affine)
    x, const = (args[0], args[1]) if left_dyn else (args[1], args[0])
    vals, shape = _broadcast(const, x.shape, where)
    A, c = flint.fmpq_mat(x.A), flint.fmpq_mat(x.c)
    ncols = A.ncols()
    if op in ("Add", "Sub"):
        sign = -1 if (op == "Sub" and not left_dyn) else 1  # C - x negates the map
        const_sign = -1 if (op == "Sub" and left_dyn) else 1
        for i, v in enumerate(vals):
            if sign == -1:
                for j in range(ncols):
                    A[i, j] = -A[i, j]
                c[i, 0] = -c[i, 0]
            c[i, 0] += const_sign * v
        return _Affine(A, c, shape, x.level)
    if op == "Div" and not left_dyn:
        raise UnsupportedOperatorError(f"{where}: Div of a constant by the tensor is not affine")
    for i, v in enumerate(vals):
        if op == "Div":
            if v == 0:
                raise ValueError(f"{where}: division by a zero constant (element {i})")
            v = 1 / v
        for j in range(ncols):
            A[i, j] *= v
        c[i, 0] *= v
    return _Affine(A, c, shape, x.level)


def _matmul(x: _Affine, W: Any, where: str) -> _Affine:
    if not isinstance(W, np.ndarray) or W.ndim != 2:
        shape = getattr(W, "shape", None)
        raise UnsupportedOperatorError(f"{where}: MatMul needs a constant 2-D right operand, got shape {shape}")
    k, m = W.shape
    if not x.shape or x.shape[-1] != k:
        raise ValueError(f"{where}: MatMul of a tensor of shape {x.shape} by a matrix of shape {W.shape}")
    if _size(x.shape[:-1]) != 1:
        raise UnsupportedOperatorError(f"{where}: MatMul on a tensor of shape {x.shape} (more than one row)")
    _check_entries(m * x.A.ncols(), f"{where}: the exact affine map of its {m} outputs")
    Wt = flint.fmpq_mat(k, m, _fmpq_list(W)).transpose()
    return _Affine(Wt * x.A, Wt * x.c, (*x.shape[:-1], m), x.level)


def _float32_attr(attrs: dict, key: str, where: str) -> Fraction:
    """A float attribute (default 1) as float32 does it, exactly; NaN and infinities refused."""
    with np.errstate(over="ignore"):
        value = np.float32(attrs.get(key, 1.0))
    if not np.isfinite(value):
        raise ValueError(f"{where}: attribute {key} = {attrs.get(key)!r} is not a finite float32")
    return Fraction(float(value))


def _gemm(args: list, attrs: dict, where: str) -> _Affine:
    x, B = args[0], args[1]
    C = args[2] if len(args) > 2 else None
    if not isinstance(x, _Affine) or not isinstance(B, np.ndarray) or (C is not None and not isinstance(C, np.ndarray)):
        raise UnsupportedOperatorError(f"{where}: Gemm must have the tensor as A and constants as B and C")
    if attrs.get("transA", 0):
        raise UnsupportedOperatorError(f"{where}: Gemm with transA=1 is not supported")
    if B.ndim != 2 or len(x.shape) != 2:
        raise ValueError(f"{where}: Gemm needs 2-D operands, got {x.shape} and {B.shape}")
    if attrs.get("transB", 0):
        B = B.T
    # alpha and beta are float32 attributes: use their exact binary values.
    alpha, beta = (_float32_attr(attrs, k, where) for k in ("alpha", "beta"))
    y = _matmul(x, B, where)
    scale = flint.fmpq(alpha.numerator, alpha.denominator)
    y = _Affine(y.A * scale, y.c * scale, y.shape, y.level)
    if C is not None and beta != 0:
        vals, shape = _broadcast(C, y.shape, where)
        b = flint.fmpq(beta.numerator, beta.denominator)
        c = flint.fmpq_mat(y.c)
        for i, v in enumerate(vals):
            c[i, 0] += b * v
        y = _Affine(y.A, c, shape, y.level)
    return y


# ------------------------------------------------------------------ export
def network_to_onnx(net: Network, *, dtype: str = "float32", allow_rounding: bool = False) -> Any:
    """An ``onnx.ModelProto`` computing ``net`` with Gemm and Relu in ``dtype`` (float32 or float64).

    The input is ``"input"`` of shape (N, input_dim), the output ``"output"``.
    Weights that ``dtype`` cannot hold exactly are an error unless
    ``allow_rounding=True``.

    >>> from exactrelu import Network
    >>> net = Network([([[1, -2]], ["1/2"])], output=([[3]], [0]))
    >>> network_from_onnx(network_to_onnx(net)) == net
    True
    """
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    from .arrays import to_float_array

    if dtype not in ("float32", "float64"):
        raise ValueError(f"ONNX export supports dtype 'float32' or 'float64', got {dtype!r}")
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    net.require_relu("network_to_onnx (Gemm and Relu)")
    pairs = [(W, b, f"layer {i}", True) for i, (W, b) in enumerate(net.layers)]
    if net.output is not None:
        pairs.append((net.output[0], net.output[1], "output layer", False))
    nodes, inits, cur = [], [], "input"
    for k, (W, b, where, relu) in enumerate(pairs):
        Wa = to_float_array(W, dtype, f"{where}, W", allow_rounding)
        ba = to_float_array(b, dtype, f"{where}, b", allow_rounding)
        inits += [numpy_helper.from_array(Wa, f"W{k}"), numpy_helper.from_array(ba, f"b{k}")]
        nodes.append(helper.make_node("Gemm", [cur, f"W{k}", f"b{k}"], [f"z{k}"], transB=1))
        cur = f"z{k}"
        if relu:
            nodes.append(helper.make_node("Relu", [cur], [f"h{k}"]))
            cur = f"h{k}"
    nodes.append(helper.make_node("Identity", [cur], ["output"]))
    graph = helper.make_graph(
        nodes,
        "exactrelu",
        [helper.make_tensor_value_info("input", elem, ["N", net.input_dim])],
        [helper.make_tensor_value_info("output", elem, ["N", net.output_dim])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="exactrelu")
    model.ir_version = 8  # readable by older runtimes too
    onnx.checker.check_model(model)
    return model


def onnx_bytes(net: Network, *, dtype: str = "float32", allow_rounding: bool = False) -> bytes:
    """The serialized ONNX model of :func:`network_to_onnx` (used by :func:`exactrelu.interop.io.save`)."""
    return network_to_onnx(net, dtype=dtype, allow_rounding=allow_rounding).SerializeToString()


# ------------------------------------------------------------------ runtime
_ORT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16}


def onnxruntime_function(model: Any) -> Any:
    """Wrap an onnxruntime session (or a model path or bytes) as ``fn(batch) -> outputs`` for the oracle.

    The batch (one input per row) is cast to the model's input type and
    reshaped to its input shape: in one call when the first dimension is
    symbolic, row by row when the model takes one sample (like the ACAS Xu
    models' (1, 1, 1, 5)).  Outputs come back as a 2-D array (rows, outputs).

    >>> from exactrelu import Network
    >>> fn = onnxruntime_function(onnx_bytes(Network([([[1, -1]], [0])])))
    >>> fn(np.array([[3.0, 1.0], [1.0, 3.0]]))
    array([[2.],
           [0.]], dtype=float32)
    """
    ort = import_optional("onnxruntime", "running ONNX models")
    if hasattr(model, "run") and hasattr(model, "get_inputs"):
        sess = model
    else:
        source = model if isinstance(model, bytes) else str(model)
        try:
            sess = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ValueError(f"onnxruntime cannot open the model ({type(exc).__name__}: {exc})") from None
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise ValueError(f"the model has {len(inputs)} inputs; the oracle needs exactly one")
    inp = inputs[0]
    if inp.type not in _ORT_TYPES:
        raise ValueError(f"the model's input has type {inp.type}; expected float, double or float16")
    dtype, shape = _ORT_TYPES[inp.type], list(inp.shape)
    batched = len(shape) >= 2 and not isinstance(shape[0], int)
    rest = [d if isinstance(d, int) else 1 for d in shape[1:]]
    single = [d if isinstance(d, int) else 1 for d in shape]

    size = int(np.prod(rest if batched else single, dtype=object))

    def fn(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X).astype(dtype)
        n = X.shape[0]
        if X.ndim != 2 or X.shape[1] != size:
            raise ValueError(
                f"the model's input {inp.name!r} of shape {inp.shape} takes {size} numbers per sample, "
                f"got a batch of shape {X.shape}"
            )
        if batched:
            return np.asarray(sess.run(None, {inp.name: X.reshape(n, *rest)})[0]).reshape(n, -1)
        rows = [np.asarray(sess.run(None, {inp.name: x.reshape(single)})[0]).reshape(-1) for x in X]
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=dtype)

    return fn
