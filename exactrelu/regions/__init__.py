"""Linear regions: the activation domains of a network with nonempty interior inside a box.

:func:`regions` lists them exactly, each a :class:`Region` with its pattern,
closed polyhedron, affine map and an exact witness strictly inside;
:func:`count_regions` counts them.  Two exact paths compute them: a fast
planar one for 2-D inputs (``exactrelu.regions.planar``) and a general one
for any input dimension (``exactrelu.regions.general``), which can run on
several processes or on any ``concurrent.futures`` executor.  Both are
registered region algorithms (:mod:`exactrelu.regions.algorithms`): the
interface there checks the box and the limits, owns progress and the T1
maps, and picks the algorithm by name.

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

from concurrent.futures import Executor
from typing import Any

from .algorithms import ALGORITHMS, find_regions
from .errors import RegionLimitExceeded
from .general import GeneralAlgorithm  # noqa: F401 - registers "general"
from .planar import PlanarAlgorithm  # noqa: F401 - registers "planar"
from ..nets.slice import Slice
from .partition import Partition
from .region import Region

__all__ = ["Region", "RegionLimitExceeded", "Partition", "Slice", "regions", "count_regions", "ALGORITHMS"]


def regions(
    net: Any,
    box: Any,
    *,
    max_regions: int | None = None,
    progress: bool = False,
    workers: int = 1,
    executor: Executor | None = None,
    method: str = "auto",
) -> Partition:
    """All linear regions of ``net`` inside ``box``, exactly, sorted by pattern, as a :class:`Partition` (a list).

    ``box`` is an :class:`exactrelu.Box` or a pair ``(lower, upper)`` with
    ``lower[i] < upper[i]``; its dimension must be ``net.input_dim``.  Or
    ``box`` is a :class:`~exactrelu.nets.slice.Slice`: the regions of
    ``net.restrict(slice)`` in the slice's box, in coordinates t (each region's
    ``input_point(t)`` maps back to the input space).  A
    region is an activation domain with nonempty interior, intersected with
    the box; the regions tile the box.  ``method`` names a registered region
    algorithm (:data:`ALGORITHMS`): ``"planar"`` (2-D inputs only),
    ``"general"`` (any dimension), or ``"auto"`` (planar for 2-D inputs,
    general otherwise or when ``workers``/``executor`` ask for parallel
    work).  ``max_regions``: raise :class:`RegionLimitExceeded` as
    soon as more regions than this are known to exist; its ``.regions`` are
    complete, exact regions found by then, as a Partition marked ``partial``
    (the planar path carries exactly ``max_regions`` of them; the general
    path those it finished).  ``progress`` shows a counter (tqdm when installed).
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
    >>> regions(net, ([-1], [2]), method="fast")
    Traceback (most recent call last):
    ...
    ValueError: method must be one of 'auto', 'general', 'planar' (the registered region algorithms), got 'fast'
    """
    kw = dict(method=method, max_regions=max_regions, progress=progress, workers=workers, executor=executor)
    if not isinstance(box, Slice):
        return find_regions(net, box, **kw)
    if not callable(getattr(net, "restrict", None)):
        raise ValueError(f"net must be an exactrelu Network, got {type(net).__name__}")
    try:
        found = find_regions(net.restrict(box), box.box, **kw)
    except RegionLimitExceeded as exc:  # the partial partition is of the slice too
        exc.regions.set_slice(box)
        raise
    found.set_slice(box)
    return found


def count_regions(net: Any, box: Any, **kw: Any) -> int:
    """The number of linear regions of ``net`` inside ``box`` (keywords as for :func:`regions`).

    >>> from exactrelu import Network
    >>> net = Network([([[1], [1], [1]], [0, -1, -2])])   # breakpoints at 0, 1, 2
    >>> count_regions(net, ([-1], [3])), count_regions(net, (["1/2"], ["3/2"]))
    (4, 2)
    """
    return len(regions(net, box, **kw))
