"""Float arrays and exact rationals, both ways: what every interchange format (npz, ONNX, torch) shares.

A float array means its entries' exact binary values; writing a rational into
a float array refuses what the float type cannot hold, unless rounding is
allowed (then it is rounded to nearest, ties to even).

>>> from fractions import Fraction
>>> array_to_fractions(np.array([[0.5, 0.1]]), "W", 2)
((Fraction(1, 2), Fraction(3602879701896397, 36028797018963968)),)
>>> to_float_array((Fraction(1, 4),), "float32", "b", False)  # a vector stays a vector
array([0.25], dtype=float32)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..exact.numbers import fraction_brief, fraction_str, to_fraction

__all__ = ["MAX_ENTRIES", "nearest_float", "to_float_array", "array_to_fractions"]

MAX_ENTRIES = 10**7  # weights in an .npz: beyond this exact rationals are hopeless anyway
_FLOAT_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


def nearest_float(q: Fraction, dtype: str = "float64") -> float:
    """The float of type ``dtype`` nearest to the rational ``q`` (ties to even), exactly.

    ``float(Fraction)`` is correctly rounded to float64; for float32/float16 the
    neighbours of the double-rounded candidate are compared exactly, so double
    rounding never picks the wrong one.  Overflow is a ValueError.

    >>> nearest_float(Fraction(1, 3), "float32") == float(np.float32(1 / 3))
    True
    >>> nearest_float(Fraction(1, 10))
    0.1
    """
    t = _float_type(dtype)
    q = to_fraction(q, "nearest_float")  # NaN, infinities, booleans refused by name
    try:
        wide = float(q)
    except OverflowError:
        raise ValueError(f"{_brief(q)} is too large for {dtype}") from None
    if abs(wide) > float(np.finfo(t).max):
        raise ValueError(f"{_brief(q)} is too large for {dtype}")
    cand = t(wide)
    if not np.isfinite(cand):
        raise ValueError(f"{_brief(q)} is too large for {dtype}")
    best = cand
    for g in (np.nextafter(cand, t(-np.inf)), np.nextafter(cand, t(np.inf))):
        if not np.isfinite(g):
            continue
        d_best, d_g = abs(Fraction(float(best)) - q), abs(Fraction(float(g)) - q)
        if d_g < d_best or (d_g == d_best and _is_even(g, t)):
            best = g
    return float(best)


def _brief(q: Fraction) -> str:
    return fraction_brief(q)


def _is_even(x: Any, t: Any) -> bool:
    bits = np.array([x], dtype=t).view({np.float16: np.uint16, np.float32: np.uint32, np.float64: np.uint64}[t])
    return int(bits[0]) % 2 == 0


def _float_type(dtype: Any) -> Any:
    name = getattr(dtype, "__name__", None) or str(dtype)
    name = name.replace("torch.", "")
    if name not in _FLOAT_DTYPES:
        raise ValueError(f"unsupported float dtype {dtype!r} (expected one of {', '.join(_FLOAT_DTYPES)})")
    return _FLOAT_DTYPES[name]


def to_float_array(rows: Any, dtype: str, where: str, allow_rounding: bool) -> np.ndarray:
    """Internal: Fraction vector/matrix -> float array; non-representable entries are errors unless allowed."""
    t = _float_type(dtype)
    is_matrix = bool(rows) and isinstance(rows[0], tuple)
    mat = rows if is_matrix else (rows,)
    out = np.empty((len(mat), len(mat[0]) if mat else 0), dtype=t)
    for i, row in enumerate(mat):
        for j, q in enumerate(row):
            spot = f"{where}, row {i}, column {j}" if is_matrix else f"{where}, entry {j}"
            try:
                f = nearest_float(q, dtype)
            except ValueError as exc:
                raise ValueError(f"{spot}: {exc}") from None
            if not allow_rounding and Fraction(f) != q:
                raise ValueError(
                    f"{spot}: {fraction_str(q)} is not exactly representable in {dtype} "
                    "(save as .json, or as .npz with dtype='str', or pass allow_rounding=True)"
                )
            out[i, j] = f
    return out if is_matrix else out[0]


def array_to_fractions(arr: Any, where: str, ndim: int) -> tuple:
    """Internal: a numeric (or rational-string) numpy array -> exact Fraction vector or matrix.

    Floats give their exact binary value; NaN, infinities, booleans, complex and
    object arrays are errors naming the position.
    """
    a = np.asarray(arr)
    if a.dtype.kind == "O":
        raise ValueError(f"{where}: object arrays are not accepted")
    if a.dtype.kind not in "fiuU":
        raise ValueError(f"{where}: arrays of dtype {a.dtype} are not accepted (expected floats or integers)")
    if a.ndim != ndim:
        want = "a matrix (2-D)" if ndim == 2 else "a vector (1-D)"
        raise ValueError(f"{where}: expected {want}, got an array of shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{where}: empty array of shape {a.shape}")
    if a.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(a))
        if len(bad):
            pos = tuple(int(v) for v in bad[0])
            raise ValueError(f"{where}, {_pos(pos)}: {a[pos]} is not a finite number")
        if a.dtype.itemsize <= 8:
            flat = [Fraction(v) for v in a.astype(np.float64).ravel().tolist()]  # widening is exact
        else:  # long double: float64 would round it; take each exact ratio
            flat = [Fraction(*v.as_integer_ratio()) for v in a.ravel()]
    elif a.dtype.kind in "iu":
        flat = [Fraction(v) for v in a.ravel().tolist()]
    else:
        flat = [to_fraction(str(v), f"{where}, {_pos(np.unravel_index(k, a.shape))}") for k, v in enumerate(a.ravel())]
    if ndim == 1:
        return tuple(flat)
    n = a.shape[1]
    return tuple(tuple(flat[i * n : (i + 1) * n]) for i in range(a.shape[0]))


def _pos(pos: tuple) -> str:
    if len(pos) == 2:
        return f"row {int(pos[0])}, column {int(pos[1])}"
    return f"entry {int(pos[0])}" if len(pos) == 1 else f"index {tuple(int(v) for v in pos)}"


# ---------------------------------------------------------------------- npz
