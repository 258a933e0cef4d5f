"""Values made from immutable objects, kept by those objects' identity for the most recently used.

A network's layers, activations and breakpoints are immutable tuples and matrices, and every
enumeration of one network (a slice's restrictions included, which share all but the first layer)
passes the same objects: what is made from them (float weights, cutting rows, integer layers) is
made once.  An entry holds its objects, so their ids stay theirs while kept.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["KeptByIdentity"]


class KeptByIdentity:
    """At most ``size`` values, each keyed by the identity of a tuple of objects; the least recently used go.

    >>> kept, made = KeptByIdentity(1), []
    >>> a, b = [1], [2]
    >>> [kept.get((a,), lambda: made.append(1) or len(made)) for _ in range(2)], made
    ([1, 1], [1])
    >>> kept.get((b,), lambda: 7), kept.get((a,), lambda: 8)    # (a was pushed out by b)
    (7, 8)
    """

    def __init__(self, size: int):
        self.size = size
        self._kept: dict = {}  # id(keys[0]) -> (keys, value)

    def get(self, keys: tuple, make: Callable[[], Any], keep: Callable[[Any], bool] = lambda value: True) -> Any:
        """The value kept for these very objects, else ``make()`` (kept when ``keep`` says so)."""
        key = id(keys[0])
        hit = self._kept.get(key)
        if hit is not None and len(hit[0]) == len(keys) and all(x is y for x, y in zip(hit[0], keys)):
            self._kept[key] = self._kept.pop(key)  # most recently used last
            return hit[1]
        value = make()
        if keep(value):
            if len(self._kept) >= self.size:
                self._kept.pop(next(iter(self._kept)))  # (the least recently used)
            self._kept[key] = (keys, value)
        return value
