"""The general region algorithm: exact splitting in any input dimension, serial or on workers.

Registered as "general" (:mod:`exactrelu.regions.algorithms`): it runs for
every network and box, and ``method="auto"`` picks it when the planar
algorithm does not apply (input dimension other than 2, or parallel work).
The splitting itself is :mod:`exactrelu.regions.splitting`; with
``workers > 1`` or an ``executor`` subtrees are refined by
:mod:`exactrelu.regions.parallel`, with the same result.

>>> from exactrelu import Network
>>> net = Network([([[1, 0], [0, 1]], [0, 0])])       # ReLU(x), ReLU(y)
>>> found = general_regions(net, (["-1", "-1"], [1, 1]))
>>> [str(r.pattern) for r in found]                    # the four quadrants
['00', '01', '10', '11']
>>> found[3].witness, net.pattern(found[3].witness)
((Fraction(1, 2), Fraction(1, 2)), Pattern('11'))
"""

from __future__ import annotations

from typing import Any

from .algorithms import Job, Progress, RegionAlgorithm, find_regions, register
from .parallel import parallel_regions
from .splitting import LimitReached, Splitter, cell_region, refine

__all__ = ["general_regions", "GeneralAlgorithm"]


class GeneralAlgorithm(RegionAlgorithm):
    """Exact splitting, neuron by neuron: any input dimension, serial or parallel."""

    name = "general"
    summary = "exact splitting, any input dimension; parallel with workers or an executor"
    priority = 0

    def run(self, job: Job) -> list:
        splitter = Splitter(job.maps, job.lower, job.upper)
        bar = Progress(job.progress)
        try:
            if job.workers > 1 or job.executor is not None:
                return parallel_regions(job, splitter, bar)
            try:
                cells = refine(splitter, [splitter.root()], job.max_regions, bar.update)
            except LimitReached as exc:
                raise job.exceeded([cell_region(splitter, c) for c in exc.cells]) from None
            return [cell_region(splitter, c) for c in cells]
        finally:
            bar.close()


register(GeneralAlgorithm())


def general_regions(net: Any, box: Any, *, max_regions: int | None = None, progress: bool = False, workers: int = 1,
                    executor: Any = None) -> list:
    """All linear regions of ``net`` inside ``box`` by exact splitting, sorted by pattern.

    The same as :func:`exactrelu.regions.regions` with ``method="general"``.

    >>> from exactrelu import Network
    >>> net = Network([([[1], [1]], [0, -1])])          # ReLU(x), ReLU(x - 1)
    >>> [(str(r.pattern), r.witness) for r in general_regions(net, ([-2], [2]))]
    [('00', (Fraction(-1, 1),)), ('10', (Fraction(1, 2),)), ('11', (Fraction(3, 2),))]
    """
    return find_regions(net, box, method="general", max_regions=max_regions, progress=progress, workers=workers,
                        executor=executor)
