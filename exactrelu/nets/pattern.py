"""Activation patterns: which piece of its activation each neuron is on, and which sit exactly on a boundary.

A :class:`Pattern` holds, for every hidden layer, the tuple of piece
indices of its neurons (:mod:`exactrelu.nets.activation`: piece p means
t_p < z <= t_{p+1}), plus ``ties``: the ``(layer, neuron)`` pairs (0-based)
whose pre-activation is exactly on a breakpoint (the upper end of its piece).
For ReLU the pieces are the 0/1 activations (1 iff the pre-activation is > 0)
and a tie is a pre-activation exactly 0; the activation matrix D_i of
THEORY.md is ``diag(pattern.layers[i])``.  Pieces 0-9 are written as digits
and 10-35 as letters a-z in the compact form; JSON keeps that form, so the
files of release 0.1.0 read unchanged.  A pattern alone does not know the
activations: a Network checks it against its own (piece counts, ties).

>>> p = Pattern([(1, 0), (0, 1, 1)], ties=[(0, 1)])
>>> p
Pattern('10|011', ties=[(0, 1)])
>>> Pattern.parse('10|011', ties=[(0, 1)]) == p
True
>>> p.widths, p.n_active
((2, 3), 3)
>>> Pattern.parse('012|1')       # hardtanh neurons on each of their three pieces
Pattern('012|1')
"""

from __future__ import annotations

import numbers
import string
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

__all__ = ["Pattern"]

_DIGITS = string.digits + string.ascii_lowercase  # piece p is written _DIGITS[p]
_VALUE = {c: i for i, c in enumerate(_DIGITS)}


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_piece(v: Any) -> bool:
    # integers (bools and numpy integers too) and, as always, the numbers equal to 0 or 1
    return (isinstance(v, numbers.Integral) or v in (0, 1)) and 0 <= v < len(_DIGITS)


def _is_pair_of_ints(t: Any) -> bool:
    return isinstance(t, (tuple, list)) and len(t) == 2 and _is_int(t[0]) and _is_int(t[1])


@dataclass(frozen=True, order=True, slots=True)  # slots: no __dict__ per pattern (enumerations make 100,000s)
class Pattern:
    """An activation pattern: per layer a tuple of piece indices (0/1 for ReLU), plus the exact ties."""

    layers: tuple = ()
    ties: tuple = field(default=())

    def __init__(self, layers: Sequence[Sequence[int]], ties: Iterable[tuple[int, int]] = ()):
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
            raise ValueError(f"pattern layers must be a sequence of sequences of pieces, got {type(layers).__name__}")
        rows = []
        for i, layer in enumerate(layers):
            if isinstance(layer, (str, bytes)) or not isinstance(layer, Iterable):
                raise ValueError(f"pattern layer {i} must be a sequence of piece indices, got {type(layer).__name__}")
            bad = [j for j, v in enumerate(layer) if not _is_piece(v)]
            if bad:
                raise ValueError(f"pattern layer {i}, neuron {bad[0]}: a piece must be an integer 0..{len(_DIGITS) - 1} "
                                 "(0 or 1 for ReLU)")
            rows.append(tuple(int(v) for v in layer))
        if isinstance(ties, (str, bytes)) or not isinstance(ties, Iterable):
            raise ValueError(f"ties must be a sequence of (layer, neuron) pairs, got {type(ties).__name__}")
        tie_list = []
        for t in ties:
            if not _is_pair_of_ints(t):
                raise ValueError(f"tie {t!r} is not a (layer, neuron) pair of integers")
            li, nj = int(t[0]), int(t[1])
            if not (0 <= li < len(rows) and 0 <= nj < len(rows[li])):
                raise ValueError(f"tie {tuple(t)} names no neuron of this pattern")
            tie_list.append((li, nj))
        object.__setattr__(self, "layers", tuple(rows))
        object.__setattr__(self, "ties", tuple(sorted(set(tie_list))))

    @classmethod
    def parse(cls, text: str, ties: Iterable[tuple[int, int]] = ()) -> "Pattern":
        """Build a pattern from its compact form ``'10|011'`` (layers separated by '|', pieces 10.. as a-z)."""
        if not isinstance(text, str):
            raise ValueError(f"a pattern is written as a string like '10|011', got {type(text).__name__}")
        parts = text.strip().split("|") if text.strip() else []
        for i, part in enumerate(parts):
            if not part or set(part) - set(_DIGITS):
                raise ValueError(f"pattern layer {i}: {part!r} is not a string of pieces (0s and 1s for ReLU)")
        return cls([[_VALUE[c] for c in part] for part in parts], ties)

    @property
    def widths(self) -> tuple:
        return tuple(len(layer) for layer in self.layers)

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def n_active(self) -> int:
        """The number of neurons above their lowest piece (active neurons, for ReLU)."""
        return sum(1 for layer in self.layers for v in layer if v)

    def prefix(self, k: int) -> "Pattern":
        """The pattern of the first ``k`` layers (ties kept where they fall inside)."""
        return Pattern(self.layers[:k], [t for t in self.ties if t[0] < k])

    def without_ties(self) -> "Pattern":
        return Pattern(self.layers)

    def __str__(self) -> str:
        return "|".join("".join(_DIGITS[v] for v in layer) for layer in self.layers)

    def __repr__(self) -> str:
        tie = f", ties={list(self.ties)}" if self.ties else ""
        return f"Pattern('{self}'{tie})"

    def to_json(self) -> dict:
        return {"layers": str(self), "ties": [list(t) for t in self.ties]}

    @classmethod
    def from_json(cls, data: dict) -> "Pattern":
        if not isinstance(data, dict) or "layers" not in data:
            raise ValueError("a pattern must be an object with key 'layers'")
        ties = data.get("ties", [])
        if not isinstance(ties, list):
            raise ValueError("a pattern's 'ties' must be a list of [layer, neuron] pairs")
        return cls.parse(str(data["layers"]), ties)
