"""One interface for region algorithms: a registry, and the checks, limits, progress and T1 maps they share.

A region algorithm is a :class:`RegionAlgorithm` registered under a name
with :func:`register`.  :func:`find_regions` (behind
:func:`exactrelu.regions.regions`, ``Network.regions`` and the CLI's
``regions --method``) does everything common once: it checks the network,
the box, ``max_regions``, ``workers`` and ``progress``, makes one memoised
set of T1 maps (:class:`~exactrelu.nets.affine.AffineMaps`) and one progress
display, picks the algorithm (``method="auto"``: the highest ``priority``
among those whose :meth:`RegionAlgorithm.supports` accepts the job), runs
it on a :class:`Job` and sorts the regions by pattern.  An algorithm that
finds more than ``job.max_regions`` regions raises :meth:`Job.exceeded`.

Adding an algorithm is one module that subclasses :class:`RegionAlgorithm`
and calls :func:`register` (imported by ``exactrelu/regions/__init__.py``),
plus its tests.

>>> sorted(ALGORITHMS)
['general', 'planar']
>>> from exactrelu.nets.network import Network
>>> net = Network([([[1, 0, 0]], [0])])
>>> find_regions(net, ([-1] * 3, [1] * 3), method="planar")
Traceback (most recent call last):
...
ValueError: method 'planar' cannot run this job: it needs 2-D inputs, the network's input dimension is 3
>>> [r.pattern for r in find_regions(net, ([-1] * 3, [1] * 3))]   # auto: the general algorithm
[Pattern('0'), Pattern('1')]
"""

from __future__ import annotations

import numbers
import sys
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from ..exact.numbers import to_vector
from ..exact.polyhedron import Box, Polyhedron
from ..nets.affine import AffineMaps
from .errors import RegionLimitExceeded
from .gcpause import gc_paused
from .partition import Partition

__all__ = ["RegionAlgorithm", "Job", "Progress", "ALGORITHMS", "register", "choose", "find_regions"]


# ------------------------------------------------------------------ progress
class Progress:
    """A progress display: a tqdm bar when tqdm is installed, else a line on stderr; silent when disabled.

    ``update(n, **info)`` advances by n and shows ``info`` (e.g. pieces=12) beside the count.
    """

    def __init__(self, enabled: bool, desc: str = "regions", total: int | None = None, unit: str = " regions",
                 delay: float = 0.0):
        self.enabled, self.count, self.total, self.desc = enabled, 0, total, desc
        self._bar, self._info, self._shown = None, {}, False
        self._last = time.monotonic() + delay - 0.5  # the stderr line: first after ``delay`` seconds
        self._noun = unit.strip().rstrip("s")  # " neurons" -> "neuron 3/10"
        if enabled:
            try:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit=unit, desc=desc, leave=False, delay=delay)
            except ImportError:
                self._bar = None

    def update(self, n: int = 1, **info: Any) -> None:
        if not self.enabled or n <= 0:
            return
        self.count += n
        self._info = info
        if self._bar is not None:
            if info:
                self._bar.set_postfix(info, refresh=False)
            self._bar.update(n)
        elif time.monotonic() - self._last > 0.5:
            self._last, self._shown = time.monotonic(), True
            print(f"\r{self._text()}", end="", file=sys.stderr, flush=True)

    def _text(self) -> str:
        count = f"{self._noun} {self.count}/{self.total}" if self.total is not None else str(self.count)
        return f"{self.desc}: {count}" + "".join(f", {v} {k}" for k, v in self._info.items())

    def close(self) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        elif self._shown:  # the last count, on a line of its own
            print(f"\r{self._text()}", file=sys.stderr, flush=True)
        self.enabled = False  # closing twice prints nothing more


# ------------------------------------------------------------------ the job
@dataclass
class Job:
    """Everything an algorithm is given, checked: the network, its memoised T1 maps, the box as exact
    Fraction tuples ``lower < upper``, the limit, and how to run (progress, workers, executor)."""

    net: Any
    maps: AffineMaps
    lower: tuple
    upper: tuple
    max_regions: int | None
    progress: bool
    workers: int
    executor: Executor | None

    @property
    def dim(self) -> int:
        """The input dimension."""
        return self.maps.input_dim

    def exceeded(self, found: list) -> RegionLimitExceeded:
        """The error for more than ``max_regions`` regions, carrying the complete regions ``found`` (sorted)."""
        part = Partition(sorted(found, key=_order), net=self.net, box=Box(self.lower, self.upper),
                         partial=True, limit=self.max_regions)
        return RegionLimitExceeded(part, self.max_regions)


class RegionAlgorithm:
    """A region algorithm: ``name``, ``summary``, ``priority`` for ``method="auto"`` (higher first; None: never
    chosen automatically), :meth:`supports` and :meth:`run`; ``sorted``: run returns the regions sorted by
    pattern already (tests check it), so they are not sorted again."""

    name = "base"
    summary = ""
    priority: int | None = None
    sorted = False

    def supports(self, job: Job) -> str | None:
        """None when the algorithm can run ``job``, else why not (finishing "it ..." in an error message)."""
        return None

    def run(self, job: Job) -> list:  # pragma: no cover - abstract
        """Every linear region of ``job.net`` in the box (any order); :meth:`Job.exceeded` past the limit."""
        raise NotImplementedError


ALGORITHMS: dict = {}


def register(algorithm: RegionAlgorithm) -> RegionAlgorithm:
    """Make ``algorithm`` selectable by its name (``regions(..., method=name)``, ``regions --method name``).

    >>> class Nothing(RegionAlgorithm):
    ...     name = "nothing"
    ...     def run(self, job):
    ...         return []
    >>> from exactrelu.nets.network import Network
    >>> _ = register(Nothing())
    >>> find_regions(Network([([[1]], [0])]), ([0], [1]), method="nothing")
    []
    >>> del ALGORITHMS["nothing"]
    """
    if not isinstance(algorithm, RegionAlgorithm) or not isinstance(algorithm.name, str) or algorithm.name == "auto":
        raise ValueError(f"register expects a RegionAlgorithm with a name other than 'auto', got {algorithm!r}")
    ALGORITHMS[algorithm.name] = algorithm
    return algorithm


def choose(method: Any, job: Job) -> RegionAlgorithm:
    """The algorithm ``method`` names, or for "auto" the preferred one that supports ``job``."""
    if method == "auto":
        ranked = sorted((a for a in ALGORITHMS.values() if a.priority is not None), key=lambda a: -a.priority)
        for algorithm in ranked:
            if algorithm.supports(job) is None:
                return algorithm
        raise ValueError("no registered region algorithm supports this job")  # pragma: no cover - general does
    algorithm = ALGORITHMS.get(method) if isinstance(method, str) else None
    if algorithm is None:
        names = ", ".join(repr(n) for n in ("auto", *sorted(ALGORITHMS)))
        raise ValueError(f"method must be one of {names} (the registered region algorithms), got {method!r}")
    why = algorithm.supports(job)
    if why is not None:
        raise ValueError(f"method {method!r} cannot run this job: it {why}")
    return algorithm


# ------------------------------------------------------------------ the entry point
def find_regions(net: Any, box: Any, *, method: str = "auto", max_regions: int | None = None,
                 progress: bool = False, workers: int = 1, executor: Executor | None = None) -> Partition:
    """Every linear region of ``net`` in ``box`` by the algorithm ``method``, sorted by pattern, as a Partition.

    The implementation of :func:`exactrelu.regions.regions` (see there).
    """
    maps = _network_maps(net)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise ValueError(f"executor must be a concurrent.futures.Executor (with .submit), got {type(executor).__name__}")
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be True or False, got {progress!r}")
    job = Job(net, maps, (), (), check_limit(max_regions), progress, check_workers(workers), executor)
    algorithm = choose(method, job)  # before the box: "planar needs 2-D inputs" says more than a box mismatch
    job.lower, job.upper = box_bounds(box, maps.input_dim)
    found = algorithm.run(job)
    with gc_paused():
        return Partition(found if algorithm.sorted else sorted(found, key=_order), net=net,
                         box=Box.of_fractions(job.lower, job.upper))


def _order(region: Any) -> tuple:
    """The sort key of regions: their patterns' order (the same tuples a Pattern compares, without its __lt__)."""
    return region.pattern.layers, region.pattern.ties


def _network_maps(net: Any) -> AffineMaps:
    # A Network is recognised by what the algorithms use (its T1 maps), so this package never
    # imports nets.network: Network.regions imports this package, and that must not be a cycle.
    maker = getattr(net, "affine_maps", None)
    maps = maker(memo=True) if callable(maker) else None
    if not isinstance(maps, AffineMaps):
        raise ValueError(f"net must be an exactrelu Network, got {type(net).__name__}")
    return maps


def box_bounds(box: Any, dim: int) -> tuple:
    """``box`` (a Box or a pair (lower, upper)) as exact Fraction tuples, checked against ``dim``.

    >>> box_bounds(([0, "1/2"], [1, 1]), 2)
    ((Fraction(0, 1), Fraction(1, 2)), (Fraction(1, 1), Fraction(1, 1)))
    >>> box_bounds(([0], [0]), 1)
    Traceback (most recent call last):
    ...
    ValueError: box coordinate 0: lower 0 must be less than upper 0 (a box with empty interior has no regions)
    """
    if isinstance(box, Box):
        lower, upper = tuple(box.lower), tuple(box.upper)
    elif isinstance(box, Polyhedron):
        raise ValueError(f"box must be an axis-aligned Box or a pair (lower, upper), got a {type(box).__name__}; "
                         "intersect regions with it afterwards instead")
    elif isinstance(box, (str, bytes, dict)) or not hasattr(box, "__len__") or len(box) != 2:
        raise ValueError(f"box must be a Box or a pair (lower, upper) of vectors, got {type(box).__name__}")
    else:
        lower, upper = to_vector(box[0], "box lower"), to_vector(box[1], "box upper")
    if len(lower) != len(upper):
        raise ValueError(f"box lower has length {len(lower)} but upper has length {len(upper)}")
    if len(lower) != dim:
        raise ValueError(f"box has dimension {len(lower)}, the network's input dimension is {dim}")
    for i, (lo, hi) in enumerate(zip(lower, upper)):
        if not lo < hi:
            raise ValueError(
                f"box coordinate {i}: lower {lo} must be less than upper {hi} (a box with empty interior has no regions)"
            )
    return lower, upper  # (to_vector's tuples of Fractions, or a Box's)


def check_limit(max_regions: Any) -> int | None:
    if max_regions is None:
        return None
    if isinstance(max_regions, bool) or not isinstance(max_regions, numbers.Integral) or max_regions < 0:
        raise ValueError(f"max_regions must be a nonnegative integer or None, got {max_regions!r}")
    return int(max_regions)


def check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    return int(workers)
