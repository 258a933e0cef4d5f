"""Binary floating-point formats, and exact rounding of a rational to nearest in one of them.

Used by every float context (:mod:`exactrelu.nets.contexts`) and by the
rigorous error bounds (:mod:`exactrelu.numeric.errorbounds`); it lives here,
below both, so neither imports the other.  Everything is exact: a rounding
is computed with integers, never with a float.

>>> round_nearest(Fraction(1, 10), "float32") == Fraction(float.fromhex("0x1.99999ap-4"))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

from .numbers import fraction_brief, to_fraction

__all__ = ["FloatFormat", "FLOAT64", "FLOAT32", "FLOAT16", "BFLOAT16", "TF32", "FORMATS", "get_format", "round_nearest"]


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: ``p`` significand bits, normal exponents ``emin..emax``
    (both None for an unbounded exponent range, as in mpmath)."""

    name: str
    p: int
    emin: int | None = None
    emax: int | None = None

    @property
    def u(self) -> Fraction:
        """Unit roundoff 2^-p of rounding to nearest."""
        return Fraction(1, 1 << self.p)

    @cached_property
    def max(self) -> Fraction | None:
        """The largest finite number, or None when the exponent range is unbounded."""
        if self.emax is None:
            return None
        return (2 - Fraction(1, 1 << (self.p - 1))) * Fraction(2) ** self.emax

    @property
    def eta(self) -> Fraction:
        """The subnormal spacing 2^(emin-p+1) (an upper bound of the absolute underflow error), 0 if unbounded."""
        if self.emin is None:
            return Fraction(0)
        return Fraction(2) ** (self.emin - self.p + 1)


FLOAT64 = FloatFormat("float64", 53, -1022, 1023)
FLOAT32 = FloatFormat("float32", 24, -126, 127)
FLOAT16 = FloatFormat("float16", 11, -14, 15)  # IEEE binary16
BFLOAT16 = FloatFormat("bfloat16", 8, -126, 127)  # float32's exponent range, 8 significant bits
TF32 = FloatFormat("tf32", 11, -126, 127)  # NVIDIA TensorFloat-32: float32's range, 11 significant bits
FORMATS = {f.name: f for f in (FLOAT64, FLOAT32, FLOAT16, BFLOAT16, TF32)}


def get_format(precision: Any) -> FloatFormat:
    """The :class:`FloatFormat` for a name in :data:`FORMATS` ("float64", "float32", "float16",
    "bfloat16", "tf32"), an integer number of bits (unbounded exponent), or a FloatFormat.

    >>> get_format("float32").p, get_format(100).emax is None, get_format("bfloat16").p
    (24, True, 8)
    >>> get_format("float8")
    Traceback (most recent call last):
    ...
    ValueError: precision must be one of 'float64', 'float32', 'float16', 'bfloat16', 'tf32' or an integer number of bits >= 2, got 'float8'
    """
    if isinstance(precision, FloatFormat):
        return precision
    if isinstance(precision, str) and precision in FORMATS:
        return FORMATS[precision]
    if isinstance(precision, int) and not isinstance(precision, bool) and precision >= 2:
        return FloatFormat(f"{precision}-bit", precision)
    names = ", ".join(repr(k) for k in FORMATS)
    raise ValueError(f"precision must be one of {names} or an integer number of bits >= 2, got {precision!r}")


def round_nearest(q: Any, precision: Any = "float64") -> Fraction:
    """The exact value of ``q`` rounded to nearest (ties to even) in a format; OverflowError if it overflows.

    Subnormals are handled (the spacing below 2^emin is 2^(emin-p+1)).

    >>> round_nearest(Fraction(1, 3), "float64") == Fraction(1 / 3)
    True
    >>> round_nearest(Fraction(1, 3), 2)  # 2-bit significands: 1/4, 3/8, 1/2 ...
    Fraction(3, 8)
    >>> round_nearest(Fraction(1, 2**1080))  # below half the smallest subnormal 2^-1074
    Fraction(0, 1)
    """
    fmt = get_format(precision)
    q = to_fraction(q, "round_nearest")  # NaN, booleans, '1e999999999' refused with a message
    if q == 0:
        return q
    n, d = abs(q.numerator), q.denominator
    e = n.bit_length() - d.bit_length()  # floor(log2 |q|) is e or e - 1
    if (n << -e if e < 0 else n) < (d << e if e > 0 else d):
        e -= 1
    if fmt.emin is not None:
        e = max(e, fmt.emin)
    k = e - (fmt.p - 1)  # the spacing of the format around |q| is 2^k
    num, den = (n << -k, d) if k < 0 else (n, d << k)
    m, r = divmod(num, den)  # |q| / 2^k = m + r / den
    if 2 * r > den or (2 * r == den and m & 1):  # round half to even
        m += 1
    out = Fraction(m << k) if k >= 0 else Fraction(m, 1 << -k)
    if fmt.emax is not None and out > fmt.max:
        raise OverflowError(f"{fraction_brief(q)} overflows {fmt.name}")
    return out if q > 0 else -out
