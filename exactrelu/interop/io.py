"""Loading and saving networks: exactrelu JSON, numpy ``.npz``, ONNX, and torch.

:func:`load` and :func:`save` choose the format by the file's suffix:

``.json``
    the exactrelu format (:meth:`Network.to_json`), exact rational strings.
``.npz``
    arrays ``W0, b0, W1, b1, ...`` (one pair per ReLU layer, ``W`` of shape
    (out, in)) and optionally ``W_out, b_out`` (the affine output layer).
    Float arrays mean their exact binary values; unicode string arrays of
    rationals (``'1/3'``) are exact too.  Files are read with
    ``np.load(..., allow_pickle=False)``: object arrays are refused.
``.onnx``
    see :mod:`exactrelu.interop.onnx_io` (needs the optional ``onnx`` package).

Saving never leaves a half-written file: the data goes to a temporary file
in the target directory which is then renamed over the target.  Saving in a
float format refuses weights that the float type cannot hold exactly, unless
``allow_rounding=True`` (then each weight is rounded to the nearest float).

>>> import tempfile, os
>>> from exactrelu import Network
>>> net = Network([([[1, "-1/2"], [2, 0]], [0, 1])], output=([[1, 1]], ["1/4"]))
>>> d = tempfile.mkdtemp()
>>> save(net, os.path.join(d, "net.npz"))
>>> load(os.path.join(d, "net.npz")) == net
True
>>> save(Network([([["1/3"]], [0])]), os.path.join(d, "third.npz"))
Traceback (most recent call last):
...
ValueError: layer 0, W, row 0, column 0: 1/3 is not exactly representable in float64 (save as .json, or as .npz with dtype='str', or pass allow_rounding=True)
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..exact.jsonio import atomic_write
from ..nets.network import Network
from ..exact.numbers import fraction_str
from .arrays import MAX_ENTRIES, array_to_fractions, to_float_array

__all__ = ["load", "save", "from_torch", "to_torch"]

MAX_BYTES = 2**30  # memory the arrays of one .npz may claim (string dtypes can be huge per entry)


# --------------------------------------------------------------- public API
def load(path: str | os.PathLike) -> Network:
    """Load a network from ``.json``, ``.npz`` or ``.onnx``, converting every weight exactly.

    >>> import tempfile, os
    >>> from exactrelu import Network
    >>> p = os.path.join(tempfile.mkdtemp(), "n.json")
    >>> save(Network([([[1, 2]], ["1/3"])]), p)
    >>> load(p).layers[0][1]
    (Fraction(1, 3),)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"load expects a file path, got {type(path).__name__}")
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".json", ".npz", ".onnx"):
        raise ValueError(f"cannot load {str(p)!r}: unknown suffix {p.suffix!r} (expected .json, .npz or .onnx)")
    if p.is_dir():
        raise ValueError(f"cannot load {str(p)!r}: it is a directory, not a file")
    if not p.is_file():
        raise ValueError(f"cannot load {str(p)!r}: no such file")
    if suffix == ".json":
        try:
            return Network.from_json(p)
        except ValueError as exc:  # name the file too: the message names the layer
            msg = str(exc)
            raise ValueError(msg if msg.startswith(str(p)) else f"{str(p)}: {msg}") from None
    if suffix == ".npz":
        return _load_npz(p)
    from .onnx_io import load_onnx

    return load_onnx(p)


def save(
    net: Network, path: str | os.PathLike, *, dtype: str = "float64", allow_rounding: bool = False
) -> None:
    """Save ``net`` to ``.json`` (exact), ``.npz`` or ``.onnx`` atomically (temp file, then rename).

    ``dtype`` applies to ``.npz`` (``"float64"``, ``"float32"``, ``"float16"`` or
    ``"str"`` for exact rational strings) and ``.onnx`` (``"float32"`` or
    ``"float64"``).  A weight that ``dtype`` cannot hold exactly is an error
    naming it, unless ``allow_rounding=True``.

    >>> import tempfile, os
    >>> from exactrelu import Network
    >>> p = os.path.join(tempfile.mkdtemp(), "exact.npz")
    >>> net = Network([([["1/3"]], [0])])
    >>> save(net, p, dtype="str"); load(p) == net
    True
    """
    if not isinstance(net, Network):
        raise ValueError(f"save expects a Network, got {type(net).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"save expects a file path, got {type(path).__name__}")
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        text = json.dumps(net.to_json(), indent=1)
        atomic_write(p, lambda f: f.write(text.encode()), verb="save to")
    elif suffix == ".npz":
        arrays = _npz_arrays(net, dtype, allow_rounding)
        atomic_write(p, lambda f: np.savez(f, **arrays), verb="save to")
    elif suffix == ".onnx":
        from .onnx_io import onnx_bytes

        data = onnx_bytes(net, dtype=dtype, allow_rounding=allow_rounding)
        atomic_write(p, lambda f: f.write(data), verb="save to")
    else:
        raise ValueError(f"cannot save to {str(p)!r}: unknown suffix {p.suffix!r} (expected .json, .npz or .onnx)")


def from_torch(module: Any, input_shape: Any = None, *, sqrt_bits: int | None = None) -> Network:
    """Convert a torch model exactly (Linear, convolutions, pools, batch norm, piecewise-linear activations,
    skips); see :mod:`exactrelu.interop.torch_io`."""
    from .torch_io import from_torch as _from_torch

    return _from_torch(module, input_shape, sqrt_bits=sqrt_bits)


def to_torch(net: Network, dtype: Any = "float64", *, allow_rounding: bool = True) -> Any:
    """A torch ``nn.Sequential`` computing ``net`` in ``dtype`` (weights rounded to nearest); see :mod:`exactrelu.interop.torch_io`."""
    from .torch_io import to_torch as _to_torch

    return _to_torch(net, dtype, allow_rounding=allow_rounding)


# ------------------------------------------------------------ exact floats
def _npz_arrays(net: Network, dtype: str, allow_rounding: bool) -> dict:
    def conv(rows: tuple, where: str) -> np.ndarray:
        if dtype == "str":
            if rows and isinstance(rows[0], tuple):
                return np.array([[fraction_str(v) for v in row] for row in rows], dtype=str)
            return np.array([fraction_str(v) for v in rows], dtype=str)
        return to_float_array(rows, dtype, where, allow_rounding)

    net.require_relu(".npz files (they hold W and b only; save it as .json)")
    arrays = {}
    for i, (W, b) in enumerate(net.layers):
        arrays[f"W{i}"] = conv(W, f"layer {i}, W")
        arrays[f"b{i}"] = conv(b, f"layer {i}, b")
    if net.output is not None:
        arrays["W_out"] = conv(net.output[0], "output layer, W")
        arrays["b_out"] = conv(net.output[1], "output layer, b")
    return arrays


def open_npz(path: str | os.PathLike) -> Any:
    """Internal: open an ``.npz`` archive safely, or raise a ValueError naming the file.

    Refuses non-zip files (numpy would try them as pickles), single ``.npy``
    files, object arrays and archives holding more than ``MAX_ENTRIES`` numbers
    (read from the headers, before any data), and never unpickles.
    """
    name = str(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except OSError as exc:
        raise ValueError(f"{name}: cannot read ({exc.strerror})") from None
    if magic == b"\x93NUMPY":
        raise ValueError(f"{name}: a single .npy array, not an .npz archive (a zip of named .npy arrays)")
    if not magic.startswith(b"PK"):
        raise ValueError(f"{name}: not an .npz archive (expected a zip of .npy arrays)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{name}: not a readable .npz archive ({exc})") from None
    try:
        _check_sizes(archive, name)
    except BaseException:
        archive.close()
        raise
    return archive


def read_npz_array(archive: Any, key: str, name: str) -> np.ndarray:
    """Internal: one array of an open archive; damage and pickles are ValueErrors naming it."""
    try:
        return archive[key]
    except ValueError as exc:  # object arrays need pickle: refused
        why = "cannot be read without unpickling" if "pickle" in str(exc) else "is damaged"
        raise ValueError(f"{name}: array {key!r} {why} ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise ValueError(f"{name}: array {key!r} is damaged ({exc})") from None


def _load_npz(path: Path) -> Network:
    name = str(path)
    archive = open_npz(path)
    with archive:
        keys = set(archive.files)
        depth = 0
        while f"W{depth}" in keys or f"b{depth}" in keys:
            depth += 1
        expected = {f"{k}{i}" for i in range(depth) for k in "Wb"}
        has_out = "W_out" in keys or "b_out" in keys
        if has_out:
            expected |= {"W_out", "b_out"}
        missing = sorted(expected - keys)
        if missing:
            raise ValueError(f"{name}: missing array {missing[0]!r}")
        extra = sorted(keys - expected)
        if extra:
            raise ValueError(
                f"{name}: unexpected array {extra[0]!r} (expected W0, b0, W1, b1, ... and optionally W_out, b_out)"
            )
        if not keys:
            raise ValueError(f"{name}: the archive holds no arrays (expected W0, b0, ...)")

        def get(key: str, where: str, ndim: int) -> tuple:
            return array_to_fractions(read_npz_array(archive, key, name), f"{name}: {where}", ndim)

        layers = [(get(f"W{i}", f"layer {i}, W", 2), get(f"b{i}", f"layer {i}, b", 1)) for i in range(depth)]
        output = (get("W_out", "output layer, W", 2), get("b_out", "output layer, b", 1)) if has_out else None
    try:
        return Network(layers, output=output)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _check_sizes(archive: Any, name: str) -> None:
    """Read each member's .npy header (not its data) and refuse huge or object arrays up front."""
    total = size = 0
    for member in archive.zip.namelist():
        try:
            with archive.zip.open(member) as f:
                version = np.lib.format.read_magic(f)
                reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, _, dtype = reader(f)
        except Exception as exc:  # damaged member or header: refuse before reading data
            raise ValueError(f"{name}: member {member!r} is not a plain .npy array ({exc})") from None
        if dtype.hasobject:
            raise ValueError(f"{name}: array {member.removesuffix('.npy')!r} cannot be read without unpickling (object dtype)")
        count = int(np.prod(shape, dtype=object))
        total += count
        size += count * dtype.itemsize
        if total > MAX_ENTRIES:
            raise ValueError(f"{name}: more than {MAX_ENTRIES} numbers in total; too large for exact arithmetic")
        if size > MAX_BYTES:  # e.g. a string dtype of a billion characters, zip-compressed to nothing
            raise ValueError(f"{name}: its arrays would take more than {MAX_BYTES} bytes in memory")


# ------------------------------------------------------------------ atomic
