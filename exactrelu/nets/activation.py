"""Piecewise-linear activations with exact breakpoints, slopes and offsets.

An :class:`Activation` is a continuous piecewise-linear function of one
variable: breakpoints t_1 < ... < t_m and, on piece p, f(z) = s_p z + c_p.
Piece p is t_p < z <= t_{p+1} (with t_0 = -inf, t_{m+1} = +inf): a point
exactly on a breakpoint belongs to the piece below it, so for ReLU (one
breakpoint at 0, slopes 0 and 1) piece 1 means z > 0 and piece 0 z <= 0,
as the 0/1 activation bits always did.  Every number is exact (a float is
read as its exact binary value, "0.01" as 1/100); continuity at every
breakpoint is checked exactly.

>>> leaky(0.01).slopes[0] == Fraction(0.01)        # the float read exactly
True
>>> a = hardtanh(-1, 1)
>>> [a.piece(z) for z in (-2, -1, 0, 1, 2)], a(Fraction(-3)), a(Fraction(1, 2))
([0, 0, 1, 1, 2], Fraction(-1, 1), Fraction(1, 2))
>>> RELU.is_relu, identity().pieces, leaky("1/10").name
(True, 1, 'leaky_relu(1/10)')
>>> Activation([0, 1], [0, 1, 2], [0, 0, 0])
Traceback (most recent call last):
...
ValueError: activation: not continuous at breakpoint 1 (pieces 1 and 2 give 1 and 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..exact.numbers import fraction_str, to_fraction, to_vector

__all__ = ["Activation", "LayerActivation", "RELU", "relu", "leaky", "hardtanh", "identity", "as_activation"]

# Pieces are written as one character each in a pattern's compact form (0-9, then a-z).
MAX_PIECES = 36


@dataclass(frozen=True)
class Activation:
    """A continuous piecewise-linear activation: ``breakpoints``, per-piece ``slopes`` and ``offsets``.

    Build one with :func:`relu`, :func:`leaky`, :func:`hardtanh`, :func:`identity`,
    or directly; ``where`` names it in error messages.
    """

    breakpoints: tuple
    slopes: tuple
    offsets: tuple

    def __init__(self, breakpoints: Sequence, slopes: Sequence, offsets: Sequence, where: str = "activation"):
        t = to_vector(breakpoints, f"{where}, breakpoints") if len(breakpoints) else ()
        s = to_vector(slopes, f"{where}, slopes", length=len(t) + 1)
        c = to_vector(offsets, f"{where}, offsets", length=len(t) + 1)
        if len(s) > MAX_PIECES:
            raise ValueError(f"{where}: at most {MAX_PIECES} pieces, got {len(s)}")
        for p in range(1, len(t)):
            if not t[p - 1] < t[p]:
                raise ValueError(f"{where}: breakpoints must increase strictly, got {t[p - 1]} then {t[p]}")
        for p, tp in enumerate(t):
            lo, hi = s[p] * tp + c[p], s[p + 1] * tp + c[p + 1]
            if lo != hi:
                raise ValueError(f"{where}: not continuous at breakpoint {tp} (pieces {p} and {p + 1} give {lo} and {hi})")
        object.__setattr__(self, "breakpoints", t)
        object.__setattr__(self, "slopes", s)
        object.__setattr__(self, "offsets", c)

    @property
    def pieces(self) -> int:
        """The number of linear pieces (breakpoints + 1)."""
        return len(self.slopes)

    @property
    def is_relu(self) -> bool:
        return self == RELU

    @property
    def name(self) -> str:
        """A short readable name: relu, leaky_relu(a), hardtanh(lo, hi), identity, or the pieces."""
        t, s, c = self.breakpoints, self.slopes, self.offsets
        if self.is_relu:
            return "relu"
        if not t and s == (1,) and c == (0,):
            return "identity"
        if t == (0,) and s[1] == 1 and c == (0, 0):
            return f"leaky_relu({fraction_str(s[0])})"
        if len(t) == 2 and s == (0, 1, 0) and c == (t[0], 0, t[1]):
            return f"hardtanh({fraction_str(t[0])}, {fraction_str(t[1])})"
        return f"pwl(breakpoints={[fraction_str(v) for v in t]}, slopes={[fraction_str(v) for v in s]})"

    def __repr__(self) -> str:
        return f"Activation<{self.name}>"

    def piece(self, z: Fraction) -> int:
        """The piece z lies in (a point on a breakpoint belongs to the piece below)."""
        return sum(1 for t in self.breakpoints if z > t)

    def __call__(self, z: Fraction) -> Fraction:
        p = self.piece(z)
        return self.slopes[p] * z + self.offsets[p]

    def to_json(self) -> dict:
        return {"breakpoints": [fraction_str(v) for v in self.breakpoints],
                "slopes": [fraction_str(v) for v in self.slopes], "offsets": [fraction_str(v) for v in self.offsets]}

    @classmethod
    def from_json(cls, data: Any, where: str = "activation") -> "Activation":
        if isinstance(data, str):
            return as_activation(data, where)
        if not isinstance(data, dict) or set(data) != {"breakpoints", "slopes", "offsets"}:
            raise ValueError(f"{where}: an activation is 'relu', 'identity' or an object with keys "
                             "'breakpoints', 'slopes' and 'offsets'")
        return cls(data["breakpoints"], data["slopes"], data["offsets"], where)


def relu() -> Activation:
    """max(z, 0)."""
    return RELU


def leaky(slope: Any, where: str = "leaky_relu") -> Activation:
    """z for z > 0, ``slope`` z otherwise (LeakyReLU; PReLU per channel). NaN/inf slopes are refused."""
    a = to_fraction(slope, f"{where}, slope")
    return Activation([0], [a, 1], [0, 0], where)


def hardtanh(lower: Any = -1, upper: Any = 1, where: str = "hardtanh") -> Activation:
    """z clipped to [lower, upper] (Hardtanh; ReLU6 is hardtanh(0, 6))."""
    lo, hi = to_fraction(lower, f"{where}, lower"), to_fraction(upper, f"{where}, upper")
    if not lo < hi:
        raise ValueError(f"{where}: lower {lo} must be less than upper {hi}")
    return Activation([lo, hi], [0, 1, 0], [lo, 0, hi], where)


def identity() -> Activation:
    """z itself: no breakpoint (skip connections carry their input through hidden layers with it)."""
    return _IDENTITY


RELU = Activation([0], [0, 1], [0, 0])
_IDENTITY = Activation([], [1], [0])


def as_activation(value: Any, where: str) -> Activation:
    """An Activation from itself, None or "relu", "identity", or its JSON object."""
    if isinstance(value, Activation):
        return value
    if value is None or value == "relu":
        return RELU
    if value == "identity":
        return _IDENTITY
    if isinstance(value, dict):
        return Activation.from_json(value, where)
    raise ValueError(f"{where}: expected an Activation, 'relu', 'identity' or an activation object, got {value!r}")


class LayerActivation:
    """The activations of one hidden layer that is not all ReLU: one :class:`Activation` per neuron.

    What the forward kernel's contexts are handed for such a layer (a ReLU
    layer is handed ``True``); ``where`` names the layer in error messages.
    """

    __slots__ = ("funcs", "where")

    def __init__(self, funcs: Sequence[Activation], where: str):
        self.funcs, self.where = tuple(funcs), where

    def describe(self) -> str:
        names = sorted({f.name for f in self.funcs})
        return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
