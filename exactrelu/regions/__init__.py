"""Linear regions: the activation domains of a network with nonempty interior inside a box.

:func:`regions` lists them exactly, each a :class:`Region` with its pattern,
closed polyhedron, affine map and an exact witness strictly inside;
:func:`count_regions` counts them.  Two exact paths compute them: a fast
planar one for 2-D inputs (``exactrelu.regions.planar``) and a general one
for any input dimension (``exactrelu.regions.general``), which can run on
several processes or on any ``concurrent.futures`` executor.

>>> from exactrelu import Network
>>> net = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, -1])])
>>> count_regions(net, ([-1, -1], [1, 1]), method="general")
5
>>> found = regions(net, ([-1, -1], [1, 1]), method="general")
>>> [str(r.pattern) for r in found]
['000', '010', '100', '110', '111']
>>> sum(r.volume() for r in found)
Fraction(4, 1)
"""

from __future__ import annotations

import numbers
from concurrent.futures import Executor
from typing import Any

from ..exact.numbers import to_vector
from .errors import RegionLimitExceeded
from .region import Region

__all__ = ["Region", "RegionLimitExceeded", "regions", "count_regions"]

_METHODS = ("auto", "planar", "general")


def regions(
    net: Any,
    box: Any,
    *,
    max_regions: int | None = None,
    progress: bool = False,
    workers: int = 1,
    executor: Executor | None = None,
    method: str = "auto",
) -> list:
    """All linear regions of ``net`` inside ``box``, exactly, sorted by pattern.

    ``box`` is an :class:`exactrelu.Box` or a pair ``(lower, upper)`` with
    ``lower[i] < upper[i]``; its dimension must be ``net.input_dim``.  A
    region is an activation domain with nonempty interior, intersected with
    the box; the regions tile the box.  ``method`` is ``"planar"`` (2-D
    inputs only), ``"general"`` (any dimension) or ``"auto"`` (planar for
    2-D inputs, general otherwise or when ``workers``/``executor`` ask for
    parallel work).  ``max_regions``: raise :class:`RegionLimitExceeded` as
    soon as more regions than this are known to exist; its ``.regions`` are
    complete, exact regions found by then (the planar path carries exactly
    ``max_regions`` of them; the general path those it finished).  ``progress`` shows a counter (tqdm when installed).
    ``workers > 1`` runs the general path on that many local processes;
    ``executor`` runs it on any ``concurrent.futures.Executor`` (tasks are
    plain JSON-ready data, see :mod:`exactrelu.regions.parallel`).  Every
    path returns the same regions.

    >>> from exactrelu import Network
    >>> net = Network([([[1], [-1]], [0, 0])])      # ReLU(x), ReLU(-x)
    >>> left, right = regions(net, ([-1], [2]))
    >>> left.pattern, left.witness, left.A
    (Pattern('01'), (Fraction(-1, 2),), ((Fraction(0, 1),), (Fraction(-1, 1),)))
    >>> right.pattern, right.witness, right.volume()
    (Pattern('10'), (Fraction(1, 2),), Fraction(2, 1))
    """
    net, lower, upper = _validate(net, box)
    max_regions = _check_limit(max_regions)
    workers = _check_workers(workers)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise ValueError(f"executor must be a concurrent.futures.Executor (with .submit), got {type(executor).__name__}")
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be True or False, got {progress!r}")
    chosen = _choose(method, net.input_dim, workers, executor)
    if chosen == "planar":
        from .planar import planar_regions

        found = planar_regions(net, _box_object(lower, upper), max_regions=max_regions, progress=progress)
        return sorted(found, key=lambda r: r.pattern)
    from .general import general_regions

    return general_regions(
        net, (lower, upper), max_regions=max_regions, progress=progress, workers=workers, executor=executor
    )


def count_regions(net: Any, box: Any, **kw: Any) -> int:
    """The number of linear regions of ``net`` inside ``box`` (keywords as for :func:`regions`).

    >>> from exactrelu import Network
    >>> net = Network([([[1], [1], [1]], [0, -1, -2])])   # breakpoints at 0, 1, 2
    >>> count_regions(net, ([-1], [3])), count_regions(net, (["1/2"], ["3/2"]))
    (4, 2)
    """
    return len(regions(net, box, **kw))


# ------------------------------------------------------------------ validation
def _validate(net: Any, box: Any) -> tuple:
    from ..nets.network import Network

    if not isinstance(net, Network):
        raise ValueError(f"net must be an exactrelu Network, got {type(net).__name__}")
    lower, upper = _box_bounds(box)
    d = net.input_dim
    if len(lower) != d:
        raise ValueError(f"box has dimension {len(lower)}, the network's input dimension is {d}")
    for i, (lo, hi) in enumerate(zip(lower, upper)):
        if not lo < hi:
            raise ValueError(
                f"box coordinate {i}: lower {lo} must be less than upper {hi} (a box with empty interior has no regions)"
            )
    return net, lower, upper


def _box_bounds(box: Any) -> tuple:
    """(lower, upper) as exact Fraction tuples, from a Box or a pair."""
    if _is_polyhedron(box):
        if not (hasattr(box, "lower") and hasattr(box, "upper")):
            raise ValueError(
                f"box must be an axis-aligned Box or a pair (lower, upper), got a {type(box).__name__}; "
                "intersect regions with it afterwards instead"
            )
        return tuple(box.lower), tuple(box.upper)
    if isinstance(box, (str, bytes, dict)) or not hasattr(box, "__len__") or len(box) != 2:
        raise ValueError(f"box must be a Box or a pair (lower, upper) of vectors, got {type(box).__name__}")
    lower = to_vector(box[0], "box lower")
    upper = to_vector(box[1], "box upper")
    if len(lower) != len(upper):
        raise ValueError(f"box lower has length {len(lower)} but upper has length {len(upper)}")
    return lower, upper


def _is_polyhedron(obj: Any) -> bool:
    try:
        from ..exact.polyhedron import Polyhedron
    except ImportError:
        return type(obj).__name__ in ("Box", "Polyhedron")
    return isinstance(obj, Polyhedron)


def _box_object(lower: tuple, upper: tuple) -> Any:
    try:
        from ..exact.polyhedron import Box
    except ImportError:
        return (lower, upper)
    return Box(lower, upper)


def _check_limit(max_regions: Any) -> int | None:
    if max_regions is None:
        return None
    if isinstance(max_regions, bool) or not isinstance(max_regions, numbers.Integral) or max_regions < 0:
        raise ValueError(f"max_regions must be a nonnegative integer or None, got {max_regions!r}")
    return int(max_regions)


def _check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    return int(workers)


def _choose(method: Any, dim: int, workers: int, executor: Any) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, got {method!r}")
    if method == "planar" and dim != 2:
        raise ValueError(f"method 'planar' needs 2-D inputs, the network's input dimension is {dim}")
    if method == "planar" and (workers > 1 or executor is not None):
        raise ValueError("method 'planar' runs in one process: use method 'general' with workers or executor")
    if method == "auto":
        # Parallel work goes to the general path; the planar path is serial.
        if dim == 2 and workers == 1 and executor is None:
            return "planar"
        return "general"
    return method
