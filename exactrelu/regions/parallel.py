"""Parallel region enumeration on any :class:`concurrent.futures.Executor`.

The main process refines the box breadth first until there are enough
independent cells, then ships batches of cells to workers, which finish
their subtrees depth first.  A task and its answer are plain, JSON-ready
data: the network's JSON dict, the box, and per cell its bits as strings
like ``'10|01'`` and its constraints and points as exact rational strings
like ``'-3/4'``.  So any executor works: a local process pool, a thread
pool, or a cluster's executor.  Each step of the refinement is a pure
function of its cell (:class:`exactrelu.regions.splitting.Splitter`), so the
regions, witnesses included, are exactly those of the serial run.

>>> from concurrent.futures import ThreadPoolExecutor
>>> from exactrelu import Network
>>> from exactrelu.regions.general import general_regions
>>> net = Network([([[1, 1], [1, -1]], [0, 0])])
>>> with ThreadPoolExecutor(2) as pool:
...     found = general_regions(net, ([-1, -1], [1, 1]), executor=pool)
>>> [str(r.pattern) for r in found]
['00', '01', '10', '11']
"""

from __future__ import annotations

import json
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from fractions import Fraction
from typing import Any

import flint

from ..nets.affine import AffineMaps
from ..nets.pattern import Pattern
from .splitting import Cell, LimitReached, Splitter, _floats, cell_region, make_region, refine

__all__ = ["solve_task", "encode_cell", "decode_cell"]

# Tasks per worker: more than one so that uneven subtrees balance out.
_TASKS_PER_WORKER = 4


# ------------------------------------------------------------------ plain data
def _q(text: str) -> flint.fmpq:
    f = Fraction(text)
    return flint.fmpq(f.numerator, f.denominator)


def _vec_out(v) -> list:
    return [str(x) for x in v]


def _vec_in(v) -> tuple:
    return tuple(_q(x) for x in v)


def _cons_out(cons) -> list:
    return [[_vec_out(a), str(b)] for a, b in cons]


def _cons_in(cons) -> tuple:
    return tuple((_vec_in(a), _q(b)) for a, b in cons)


def _vertex_in(v: Any, ids: Any) -> tuple:
    point = _vec_in(v)
    return point, sum(1 << int(i) for i in set(ids)), _floats(point)


def _bits_out(layers) -> str:
    return str(Pattern(layers))  # pieces as digits, then letters (Pattern's compact form)


def encode_cell(cell: Cell) -> dict:
    """A cell as plain JSON-ready data (its affine maps are recomputed from its bits)."""
    return {
        "done": _bits_out(cell.done),
        "cur": str(Pattern([cell.cur])),
        "part": cell.part,
        "cuts": _cons_out(cell.cuts),
        "witness": _vec_out(cell.witness),
        "known": [_vec_out(v) for v in cell.known],
        "verts": None if cell.verts is None else [[_vec_out(v), [i for i in range(t.bit_length()) if t >> i & 1]]
                                                   for v, t, _ in cell.verts],
    }


def decode_cell(splitter: Splitter, data: dict) -> Cell:
    """Rebuild a cell from :func:`encode_cell`'s data."""
    done = Pattern.parse(data["done"]).layers
    return Cell(
        done,
        Pattern.parse(data["cur"]).layers[0] if data["cur"] else (),
        splitter.layer_map(done, len(done)),
        _cons_in(data["cuts"]),
        _vec_in(data["witness"]),
        tuple(_vec_in(v) for v in data["known"]),
        None if data["verts"] is None else tuple(_vertex_in(v, t) for v, t in data["verts"]),
        int(data.get("part", 0)),
    )


# ------------------------------------------------------------------ worker side
_NETWORKS: dict = {}


def _network(data: dict) -> AffineMaps:
    """The T1 maps of the task's network (its JSON dict): all a worker needs of it."""
    key = json.dumps(data, sort_keys=True)
    maps = _NETWORKS.get(key)
    if maps is None:  # (a local, so that a thread pool's concurrent tasks never see a cleared cache)
        maps = AffineMaps.from_exact(data["layers"], data.get("output"))
        _NETWORKS.clear()  # one network at a time is all a run needs
        _NETWORKS[key] = maps
    return maps


def solve_task(task: dict) -> dict:
    """Worker entry point: refine the task's cells to regions (plain data in, plain data out).

    ``task`` has keys ``network`` (JSON dict), ``lower``/``upper`` (rational
    strings), ``vertex_dim`` (see :class:`~exactrelu.regions.splitting.Splitter`),
    ``cells`` (from :func:`encode_cell`) and ``limit`` (int or None).  Returns ``{"regions": [{"pattern", "witness"}, ...],
    "exceeded": bool}``.
    """
    net = _network(task["network"])
    lower, upper = [Fraction(x) for x in task["lower"]], [Fraction(x) for x in task["upper"]]
    splitter = Splitter(net, lower, upper, vertex_dim=task["vertex_dim"])
    cells = [decode_cell(splitter, c) for c in task["cells"]]
    try:
        out, exceeded = refine(splitter, cells, task["limit"]), False
    except LimitReached as exc:
        out, exceeded = exc.cells, True
    regions = [
        {"pattern": _bits_out(c.done), "witness": _vec_out(c.witness)} for c in out
    ]
    return {"regions": regions, "exceeded": exceeded}


# ------------------------------------------------------------------ main side
def _frontier(splitter: Splitter, target: int, limit: int | None, bar: Any) -> tuple:
    """Refine breadth first until ``target`` unfinished cells (or none) remain."""
    finished, open_ = [], [splitter.root()]
    while open_ and len(open_) < target:
        nxt = []
        for cell in open_:
            for child in splitter.step(cell):
                (finished if splitter.finished(child) else nxt).append(child)
        open_ = nxt
        if limit is not None and len(finished) + len(open_) > limit:
            raise LimitReached(finished)
    bar.update(len(finished))
    return finished, open_


def parallel_regions(job: Any, splitter: Splitter, bar: Any) -> list:
    """Regions of the job (a :class:`~exactrelu.regions.algorithms.Job`), refined on ``job.executor``
    (or a process pool of ``job.workers``); ``bar`` counts them."""
    limit, workers, executor = job.max_regions, job.workers, job.executor
    target = _TASKS_PER_WORKER * max(workers, 2)
    try:
        finished, open_ = _frontier(splitter, target, limit, bar)
    except LimitReached as exc:
        raise job.exceeded([cell_region(splitter, c) for c in exc.cells]) from None
    found = [cell_region(splitter, c) for c in finished]
    if not open_:
        return found
    batches = [open_[i::target] for i in range(min(target, len(open_)))]
    common = {
        "network": job.net.to_json(),
        "lower": [str(v) for v in splitter.lower_fr],
        "upper": [str(v) for v in splitter.upper_fr],
        "vertex_dim": splitter.vertex_dim,
    }
    if executor is not None:
        return _run(executor, job, splitter, batches, common, found, bar)
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        return _run(pool, job, splitter, batches, common, found, bar)
    finally:
        # Queued tasks are dropped; running ones stop at their own region limit.
        pool.shutdown(wait=True, cancel_futures=True)


def _run(executor: Executor, job: Any, splitter: Splitter, batches: list, common: dict, found: list, bar: Any) -> list:
    """Submit one task per batch; add their regions to ``found``; stop early when the limit is exceeded."""
    limit = job.max_regions
    n_done = len(found)
    pending_cells = sum(len(b) for b in batches)
    futures = {}
    for batch in batches:
        # The other cells hold at least one region each: a tighter limit for this task.
        task_limit = None if limit is None else limit - n_done - (pending_cells - len(batch))
        task = dict(common, cells=[encode_cell(c) for c in batch], limit=task_limit)
        futures[executor.submit(solve_task, task)] = len(batch)
    out = list(found)
    remaining = set(futures)
    while remaining:
        done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
        for fut in done:
            answer = fut.result()
            regions = [_region(splitter, r) for r in answer["regions"]]
            out.extend(regions)
            bar.update(len(regions))
            pending_cells -= futures[fut]
            over = limit is not None and len(out) + pending_cells > limit
            if answer["exceeded"] or over:
                for other in remaining:
                    other.cancel()
                raise job.exceeded(out)
    return out


def _region(splitter: Splitter, data: dict):
    return make_region(
        splitter.maps,
        splitter.lower_fr,
        splitter.upper_fr,
        Pattern.parse(data["pattern"]),
        _vec_in(data["witness"]),
    )
