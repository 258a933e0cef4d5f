"""The exception raised when a region enumeration passes its ``max_regions`` limit.

It lives in its own small module so that every enumerator (the planar fast
path, the general path, the dispatcher) can raise it without import cycles.

>>> err = RegionLimitExceeded([], 10)
>>> err.limit, err.regions
(10, [])
>>> print(err)
more than max_regions=10 linear regions (the total exceeds the limit); 0 complete regions were found so far, in .regions
>>> isinstance(err, RuntimeError)
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["RegionLimitExceeded"]


class RegionLimitExceeded(RuntimeError):
    """More than ``limit`` regions exist; ``regions`` holds the regions found so far."""

    def __init__(self, regions: list[Any], limit: int, message: str | None = None):
        self.regions = regions
        self.limit = limit
        super().__init__(message or f"more than max_regions={limit} linear regions (the total exceeds the "
                         f"limit); {len(regions)} complete regions were found so far, in .regions")
