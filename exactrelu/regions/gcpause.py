"""Cyclic garbage collection paused while many long-lived objects are made (enumerations, read-outs).

Enumerations and the exact read-out of a partition make hundreds of thousands of
small objects that live as long as their result: collecting while they are made
only walks them again and again.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused():
    """Cyclic garbage collection off for the block (restored after, also on errors).

    An enumeration allocates millions of small acyclic objects (pieces, patterns,
    lazy fields), and each full collection walks all of them: with collection on,
    sorting 14,000 freshly made planar regions took 0.2 s of a 0.6 s enumeration.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _age_young_objects()
            gc.enable()


def _age_young_objects() -> None:
    """Move the objects made while collection was off into the oldest generation, unexamined.

    They are the enumeration's result, long-lived by nature; left young, the first collection
    after ``gc.enable`` walks every one of them (80 ms of a 0.17 s enumeration of 16,757 regions).
    ``gc.freeze`` then ``gc.unfreeze`` moves all tracked objects into the oldest generation
    without visiting them; it is skipped when the program has frozen objects of its own
    (unfreezing would release them).  Nothing is freed or kept by this: cyclic garbage is
    collected as always, at the next full collection.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
