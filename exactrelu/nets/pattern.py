"""Activation patterns: which neurons are active, and which sit exactly on a boundary.

A :class:`Pattern` holds, for every hidden layer, the tuple of 0/1
activations (1 iff the pre-activation is > 0), plus ``ties``: the
``(layer, neuron)`` pairs (0-based) whose pre-activation is exactly 0.
The activation matrix D_i of THEORY.md is ``diag(pattern.layers[i])``.

>>> p = Pattern([(1, 0), (0, 1, 1)], ties=[(0, 1)])
>>> p
Pattern('10|011', ties=[(0, 1)])
>>> Pattern.parse('10|011', ties=[(0, 1)]) == p
True
>>> p.widths, p.n_active
((2, 3), 3)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

__all__ = ["Pattern"]


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_pair_of_ints(t: Any) -> bool:
    return isinstance(t, (tuple, list)) and len(t) == 2 and _is_int(t[0]) and _is_int(t[1])


@dataclass(frozen=True, order=True)
class Pattern:
    """An activation pattern: per layer a 0/1 tuple, plus the exact ties."""

    layers: tuple = ()
    ties: tuple = field(default=())

    def __init__(self, layers: Sequence[Sequence[int]], ties: Iterable[tuple[int, int]] = ()):
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
            raise ValueError(f"pattern layers must be a sequence of 0/1 sequences, got {type(layers).__name__}")
        rows = []
        for i, layer in enumerate(layers):
            if isinstance(layer, (str, bytes)) or not isinstance(layer, Iterable):
                raise ValueError(f"pattern layer {i} must be a sequence of 0s and 1s, got {type(layer).__name__}")
            bad = [j for j, v in enumerate(layer) if v not in (0, 1)]
            if bad:
                raise ValueError(f"pattern layer {i}, neuron {bad[0]}: activations must be 0 or 1")
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
            if rows[li][nj]:  # a tie is a pre-activation exactly 0, and 1 means > 0
                raise ValueError(f"tie {(li, nj)} is on an active neuron (a tie means pre-activation 0, so inactive)")
            tie_list.append((li, nj))
        object.__setattr__(self, "layers", tuple(rows))
        object.__setattr__(self, "ties", tuple(sorted(set(tie_list))))

    @classmethod
    def parse(cls, text: str, ties: Iterable[tuple[int, int]] = ()) -> "Pattern":
        """Build a pattern from its compact form ``'10|011'`` (layers separated by '|')."""
        if not isinstance(text, str):
            raise ValueError(f"a pattern is written as a string like '10|011', got {type(text).__name__}")
        parts = text.strip().split("|") if text.strip() else []
        for i, part in enumerate(parts):
            if not part or set(part) - {"0", "1"}:
                raise ValueError(f"pattern layer {i}: {part!r} is not a string of 0s and 1s")
        return cls([[int(c) for c in part] for part in parts], ties)

    @property
    def widths(self) -> tuple:
        return tuple(len(layer) for layer in self.layers)

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def n_active(self) -> int:
        return sum(sum(layer) for layer in self.layers)

    def prefix(self, k: int) -> "Pattern":
        """The pattern of the first ``k`` layers (ties kept where they fall inside)."""
        return Pattern(self.layers[:k], [t for t in self.ties if t[0] < k])

    def without_ties(self) -> "Pattern":
        return Pattern(self.layers)

    def __str__(self) -> str:
        return "|".join("".join(map(str, layer)) for layer in self.layers)

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
