"""Exact linear regions of networks with 2-D input, fast: filtered predicates.

The box is split layer by layer, neuron by neuron: each convex polygon is cut
by the line where a neuron's pre-activation (restricted to the polygon's
activation region) vanishes.  Geometry is homogeneous: a line is
(a1, a2, c) with z = a1 x + a2 y + c, a vertex is the intersection l1 x l2 of
two exact lines (normalised so that its last coordinate is positive), and the
sign of z at a vertex is the sign of the dot product L . v.

Filtered predicates (as in exact geometry libraries): every sign is first
computed in float64, vectorised over all vertices of all polygons of a layer,
together with a rigorous bound on its rounding error
(:mod:`._planar_float`).  Only where the bound does not settle the sign is it
recomputed exactly from the exact defining lines with flint rationals
(:mod:`._planar_exact`).  A cut is made only where a neuron takes both strict
signs on a polygon, so every piece has nonempty interior.  Exact vertices,
polyhedra, witnesses and affine maps of the finished regions are built lazily
from their exact defining lines; once a program reads many, the rest of each
kind are made for all regions at once (:mod:`._planar_batch`).

Other piecewise-linear activations cut the same way: a layer's "cutting rows"
are, for each neuron and each breakpoint t of its activation, the line
z - t = 0 (ReLU: z itself; identity neurons: none).  After the layer, a
neuron's piece is the number of its cutting rows the piece lies above, and the
next layer's maps go through each neuron's slope and offset on its piece.

With numba installed (the ``fast`` extra) a large layer's cuts run compiled
(:mod:`._planar_compiled` drives :mod:`._planar_jit`): the same cuts from the
same filtered signs, so the same regions.

>>> from exactrelu.nets.network import Network
>>> net = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, 0])])  # three lines through 0: six sectors
>>> regs = planar_regions(net, ([-1, -1], [1, 1]))
>>> sorted(str(r.pattern) for r in regs)
['000', '010', '011', '100', '101', '111']
>>> sum(r.volume() for r in regs)
Fraction(4, 1)
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import numpy as np

from ..exact.numbers import reduced_fraction
from ..nets.pattern import Pattern
from ._planar_batch import BatchedFields
from ._planar_compiled import CompiledCuts, compiled
from ._planar_exact import frac, meet, orientation, polygon_area, q, side
from ._planar_float import cross as float_cross
from ._planar_float import float_layer, gamma
from ._planar_float import next_maps as float_next_maps
from ._planar_float import pieces_maps as float_pieces_maps
from ._planar_float import polygon_signs as float_polygon_signs
from ._planar_float import shifted as float_shifted
from ._planar_float import signs as float_signs
from ._planar_float import to_float_with_error
from .algorithms import Job, Progress, RegionAlgorithm, find_regions, register
from .errors import RegionLimitExceeded
from .gcpause import gc_paused
from .kept import KeptByIdentity
from .region import Region

__all__ = ["planar_regions", "PlanarRegion", "PlanarAlgorithm"]


class PlanarRegion(Region):
    """A region of a 2-D input network: a :class:`Region` that also knows its exact vertices.

    ``vertices`` lists the polygon's corners (Fraction pairs) counter-clockwise;
    ``volume()`` is its exact area by the shoelace formula.  Every exact field is
    computed on first use by the enumeration that found the region (``source``,
    from its vertex and edge ids), then kept: a region holds no closures, so a
    hundred thousand of them stay cheap to make and to collect.
    """

    __slots__ = ("_vertices", "_area", "_source", "_index")

    def __init__(self, pattern: Pattern, source: Any, index: int):
        self.pattern = pattern
        self._source, self._index = source, index  # the region is piece `index` of the source's final pieces

    def _get(self, slot: str) -> Any:
        value = getattr(self, slot, None)
        if value is None:  # not yet computed: the source's method of the same name computes it
            value = getattr(self._source, slot)(self)
            setattr(self, slot, value)
        return value

    @property
    def vertices(self) -> list:
        """The exact corners of the closed polygon, counter-clockwise."""
        return self._get("_vertices")

    def volume(self) -> Fraction:
        """The exact area of the polygon (shoelace formula)."""
        return self._get("_area")


class PlanarAlgorithm(RegionAlgorithm):
    """Filtered exact predicates on polygons: networks with 2-D input, one process."""

    name = "planar"
    summary = "2-D inputs only: float filters with exact fallback, fast"
    priority = 10  # preferred by method="auto" wherever it applies
    sorted = True  # by one argsort of the pieces' patterns (_pattern_order)

    def supports(self, job: Job) -> str | None:
        if job.dim != 2:
            return f"needs 2-D inputs, the network's input dimension is {job.dim}"
        if job.workers > 1 or job.executor is not None:
            return "runs in one process: use method 'general' with workers or executor"
        return None

    def run(self, job: Job) -> list:
        with gc_paused(), np.errstate(all="ignore"):  # overflow -> inf/NaN -> uncertain -> exact (see _planar_float)
            return _Planar(job).run()


register(PlanarAlgorithm())


def planar_regions(net: Any, box: Any, *, max_regions: int | None = None, progress: bool = False) -> list[Region]:
    """All linear regions of a network with 2-D input inside a box, exactly.

    Returns one :class:`PlanarRegion` per activation domain with nonempty
    interior inside ``box`` (a Box, or a pair ``(lower, upper)``): its
    ``pattern`` (no ties), the closed polygon as an exact Polyhedron, its exact
    ``vertices``, the exact ``affine_map`` (A, c) of the network on it, and an
    exact ``witness`` strictly inside.  These fields are computed on first use.
    When there are more than ``max_regions`` regions it raises
    :class:`RegionLimitExceeded` as soon as that is known (more pieces than the
    limit, partway through a layer).  Its ``.regions`` are then exactly
    ``max_regions`` complete regions of the full enumeration (sorted by
    pattern, with the same exact fields), found by finishing the remaining
    layers on a few pieces at a time: bounded extra work, not the whole
    enumeration.  ``.limit`` is ``max_regions``.  The same as
    :func:`exactrelu.regions.regions` with ``method="planar"`` (sorted by pattern).

    >>> from exactrelu.nets.network import Network
    >>> net = Network([([[1, -1]], ["1/2"])], output=([[2]], [0]))
    >>> [r] = [r for r in planar_regions(net, ([0, 0], [1, 1])) if str(r.pattern) == "1"]
    >>> r.vertices
    [(Fraction(0, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(1, 1)), (Fraction(1, 2), Fraction(1, 1)), (Fraction(0, 1), Fraction(1, 2))]
    >>> r.volume(), r.affine_map
    (Fraction(7, 8), (((Fraction(2, 1), Fraction(-2, 1)),), (Fraction(1, 1),)))
    >>> grid = Network([([[1, 0], [0, 1], [1, 0], [0, 1]], [0, 0, "-1/2", "-1/2"])])  # 9 squares
    >>> try:
    ...     planar_regions(grid, ([-1, -1], [1, 1]), max_regions=4)
    ... except RegionLimitExceeded as err:
    ...     print(err.limit, len(err.regions), sum(r.volume() for r in err.regions) < 4)
    4 4 True
    """
    return find_regions(net, box, method="planar", max_regions=max_regions, progress=progress)


def _pattern_order(history: list, prefixes: list) -> np.ndarray:
    """The final pieces' indices sorted by pattern (lexicographic over the layers' pieces, as Patterns compare).

    ``history``: per layer, each piece's parent among the layer's input pieces and the
    pieces' (P, w) int8 neuron pieces; ``prefixes``: the final pieces' patterns as tuples.
    The concatenated patterns compare as base-2^b numbers (one int64 key each, while they fit) or as
    bytes (pieces are small nonnegative integers), so one argsort replaces sorting tuples of tuples in Python.
    """
    if not history:
        return np.arange(1)
    n = len(history[-1][1])
    if n <= 32:  # a few dozen pieces: Python's sort of their tuples is quicker than the arrays' argsort (~25 us)
        return np.array(sorted(range(n), key=prefixes.__getitem__), dtype=np.int64)
    columns, at = [], np.arange(n)
    for parent, pieces in reversed(history):
        columns.append(pieces[at])
        at = parent[at]
    rows = np.concatenate(columns[::-1], axis=1)
    if not rows.shape[1]:
        return np.arange(n)
    top = int(rows.max())
    width = max(1, top.bit_length())
    if width * rows.shape[1] <= 62:  # the whole pattern fits one int64 (ReLU: 62 neurons), first neuron highest
        place = np.left_shift(np.int64(1), width * np.arange(rows.shape[1] - 1, -1, -1, dtype=np.int64))
        return np.argsort(rows.astype(np.int64) @ place, kind="stable")
    # big-endian unsigned bytes compare as the numbers do (pieces past 255: activations with that many pieces)
    rows = np.ascontiguousarray(rows.astype(np.uint8 if top < 256 else ">u4"))
    return np.argsort(rows.view(np.dtype((np.void, rows.itemsize * rows.shape[1]))).ravel(), kind="stable")


# pieces x width x next width up to which a compiled loop makes a piecewise-linear layer's next maps (past it,
# numpy's products: BLAS outruns the loop, and the calls' overhead no longer counts)
_LOOP_WORK = 1 << 16

_NEW = object.__new__
# a frozen slots dataclass's fields are member descriptors: setting through them skips the frozen __setattr__
_SET_LAYERS, _SET_TIES = Pattern.__dict__["layers"].__set__, Pattern.__dict__["ties"].__set__


def _planar_region(layers: tuple, source: Any, index: int) -> PlanarRegion:
    """PlanarRegion(Pattern(layers), source, index) for 0/1 int tuples made here, without the calls' overhead or
    the Pattern's re-validation (a hot spot: about 0.7 us a region instead of 1)."""
    p = _NEW(Pattern)
    _SET_LAYERS(p, layers)
    _SET_TIES(p, ())
    r = _NEW(PlanarRegion)
    r.pattern, r._source, r._index = p, source, index
    return r


class _Grow:
    """A numpy array that grows along axis 0 by doubling."""

    def __init__(self, width: tuple, dtype, capacity: int = 1024):
        self.a = np.zeros((capacity, *width), dtype=dtype)
        self.n = 0

    def extend(self, rows: np.ndarray) -> int:
        start = self.n
        need = start + len(rows)
        if need > len(self.a):
            cap = max(need, 2 * len(self.a))
            b = np.zeros((cap, *self.a.shape[1:]), dtype=self.a.dtype)
            b[:start] = self.a[:start]
            self.a = b
        self.a[start:need] = rows
        self.n = need
        return start

    def reserve(self, need: int) -> None:
        """Capacity for at least ``need`` rows."""
        if need > len(self.a):
            b = np.zeros((max(need, 2 * len(self.a)), *self.a.shape[1:]), dtype=self.a.dtype)
            b[: self.n] = self.a[: self.n]
            self.a = b

    @property
    def view(self) -> np.ndarray:
        return self.a[: self.n]


class _Cutting:
    """Layer k's cutting rows and pieces when its activations are not all ReLU (else ``src``/``owner`` None).

    ``src[r]``/``t[r]``: cutting row r is neuron src[r] less its breakpoint t[r] (exact; ``tf``/``te`` its
    float and error), or ``src`` None when the rows are the neurons themselves (one breakpoint at 0 each,
    as leaky ReLU); ``owner``: the neuron of each cutting row; slopes and offsets per (piece, neuron).
    """

    def __init__(self, maps: Any, k: int):
        self.src = self.owner = None
        bps = maps.breakpoints[k]
        if bps is None:
            return
        acts = maps.activations[k]
        self.owner = np.array([j for j, t in enumerate(bps) for _ in t], dtype=np.int64)
        if any(t != (Fraction(0),) for t in (tuple(a.breakpoints) for a in acts)):
            self.src = self.owner
            self.t = [v for t in bps for v in t]
            self.tf, self.te = to_float_with_error([frac(v) for v in self.t])
        m = max(a.pieces for a in acts)
        pad = [[a.slopes[min(p, a.pieces - 1)] for a in acts] for p in range(m)]
        off = [[a.offsets[min(p, a.pieces - 1)] for a in acts] for p in range(m)]
        (sf, se), (of, oe) = (to_float_with_error([v for row in x for v in row]) for x in (pad, off))
        self.S, self.Se, self.C, self.Ce = (x.reshape(m, len(acts)) for x in (sf, se, of, oe))
        self.width = len(acts)
        # one cutting row per neuron, in order (leaky ReLU): row j is neuron j
        self.one_each = np.array_equal(self.owner, np.arange(self.width))
        for a in (self.owner, self.S, self.Se, self.C, self.Ce):
            a.setflags(write=False)  # shared by every enumeration of the network (see ``of``)

    _KEPT = KeptByIdentity(64)  # the most recent networks' layers, by their activations and breakpoints

    @classmethod
    def of(cls, maps: Any, k: int) -> "_Cutting":
        """_Cutting(maps, k), made once per network layer: every enumeration of a network shares its
        activations and breakpoints (immutable tuples), and converting the slopes costs ~70 us a layer."""
        acts, bps = maps.activations[k], maps.breakpoints[k]
        if bps is None:
            return cls(maps, k)
        return cls._KEPT.get((acts, bps), lambda: cls(maps, k))

    def pieces(self, bits: np.ndarray) -> np.ndarray:
        """Each piece's neuron pieces (P, w): per neuron, how many of its cutting rows the piece lies above."""
        dtype = np.int8 if len(self.S) <= 127 else np.int64
        if self.one_each:  # (owner is 0 .. w-1 in order: each neuron's piece is its row's bit)
            return bits.astype(dtype)
        P = np.zeros((len(bits), self.width), dtype=dtype)
        np.add.at(P, (slice(None), self.owner), bits)
        return P

    def slopes_offsets(self, pieces: np.ndarray) -> tuple:
        """(S, Se, C, Ce), each (P, w): the slope and offset of every neuron on its piece, floats and errors."""
        idx = pieces.astype(np.int64)
        cols = np.arange(self.width)
        return self.S[idx, cols], self.Se[idx, cols], self.C[idx, cols], self.Ce[idx, cols]


@functools.lru_cache(maxsize=32)
def _box_tables(lo: tuple, hi: tuple) -> tuple:
    """The box's four edge lines (floats, errors, exact sources) and corners (floats, errors), made once per box."""
    # edges counter-clockwise: bottom y >= lo1, right x <= hi0, top y <= hi1, left x >= lo0
    exact = [(0, 1, -lo[1]), (-1, 0, hi[0]), (0, -1, hi[1]), (1, 0, -lo[0])]
    exact = [tuple(Fraction(t) for t in line) for line in exact]
    vals, errs = to_float_with_error([t for line in exact for t in line])
    sources = tuple(("box", tuple(q(t) for t in line)) for line in exact)
    # corner i is where edge i-1 meets edge i: (lo0, lo1), (hi0, lo1), (hi0, hi1), (lo0, hi1), which
    # is (x, y, 1) homogeneously: the coordinates' conversion errors bound the floats' (no product rounds)
    (x0, x1, y0, y1), (e0, e1, f0, f1) = to_float_with_error([lo[0], hi[0], lo[1], hi[1]])
    out = (vals.reshape(4, 3), errs.reshape(4, 3), sources, np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]]),
           np.array([[e0, f0, 0], [e1, f0, 0], [e1, f1, 0], [e0, f1, 0]]))
    for a in (out[0], out[1], out[3], out[4]):
        a.setflags(write=False)  # shared between enumerations of the same box
    return out


class _Planar(CompiledCuts, BatchedFields):
    """State of one enumeration: line and vertex tables, the pieces, exact caches."""

    def __init__(self, job: Job):
        net = self.net = job.net
        self.job = job
        self.max_regions = job.max_regions
        self.progress = job.progress
        self.exact = job.maps  # exact T1 maps of each prefix, memoised for the whole enumeration
        # float weights with rigorous conversion errors, once per network
        self.wf = [float_layer(W, b) for W, b in net.layers]
        self.cutting = [_Cutting.of(job.maps, k) for k in range(net.depth)]
        self.lines = _Grow((3,), float)  # float lines
        self.lines_err = _Grow((3,), float)
        self.line_src: list = []  # ("box", exact triple) or (layer, neuron, prefix, start-of-layer piece)
        self.exact_lines: dict = {}  # lid -> exact line (made when asked; a batch's lines as integers until then)
        self.history = None  # set when the enumeration completes
        self.batched, self.batch_tables, self._lazy = False, {}, {}  # BatchedFields: done, tables, lazy requests
        self._vert_pairs: list | None = None  # vert_lines as lists, once the enumeration is finished
        self.verts = _Grow((3,), float)  # homogeneous, last coordinate > 0
        self.verts_err = _Grow((3,), float)
        self.vert_lines = _Grow((2,), np.int64)
        self.exact_verts: dict = {}
        self._box(job.lower, job.upper)

    # ----------------------------------------------------------- tables
    def _box(self, lo: tuple, hi: tuple) -> None:
        lines, lines_err, sources, verts, verts_err = _box_tables(lo, hi)
        self.lines.extend(lines)
        self.lines_err.extend(lines_err)
        self.line_src.extend(sources)
        start = self.verts.extend(verts)
        self.verts_err.extend(verts_err)
        self.vert_lines.extend(np.array([[3, 0], [0, 1], [1, 2], [2, 3]]))
        self.box_vertices = np.arange(start, start + 4)
        self.box_edges = [0, 1, 2, 3]

    def _add_lines(self, Lf: np.ndarray, Le: np.ndarray, srcs: list) -> int:
        start = self.lines.extend(Lf)
        self.lines_err.extend(Le)
        self.line_src.extend(srcs)
        return start

    def exact_line(self, lid: int) -> tuple:
        line = self.exact_lines.get(lid)
        if line is None:
            src = self.line_src[lid]
            if src[0] == "box":
                line = src[1]
            else:
                if self._due("line"):
                    self._batch_lines()
                line = self._batch_line(lid) or self._exact_row(src[2], src[1])
            self.exact_lines[lid] = line
        return line

    def exact_vertex(self, vid: int) -> tuple:
        p = self.exact_verts.get(vid)
        if p is None:
            if self.history is None:  # enumerating: the table still grows
                l1, l2 = self.vert_lines.a[vid].tolist()
            else:  # finished: the table as lists, made once (a numpy row costs ~1 us a read)
                if self._vert_pairs is None:
                    self._vert_pairs = self.vert_lines.view.tolist()
                l1, l2 = self._vert_pairs[vid]
            p = meet(self.exact_line(l1), self.exact_line(l2))
            self.exact_verts[vid] = p
        return p

    def _exact_row(self, prefix: tuple, j: int) -> tuple:
        """Cutting row j's exact line (a1, a2, c) where the layers before it have bits ``prefix`` (T1).

        For ReLU and activations whose one breakpoint is 0, row j is neuron j; else
        neuron src[j] less its breakpoint t[j]."""
        cut = self.cutting[len(prefix)]
        if cut.src is None:
            return self.exact.row(prefix, j)
        a1, a2, c = self.exact.row(prefix, int(cut.src[j]))
        return (a1, a2, c - cut.t[j])

    def _new_vertices(self, l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
        """Add the intersections of line pairs; returns their vertex ids."""
        L, E = self.lines.a, self.lines_err.a
        v, ve = float_cross(L[l1], E[l1], L[l2], E[l2])
        flip = v[:, 2] < 0
        unsure = np.flatnonzero(~(np.abs(v[:, 2]) > ve[:, 2]))
        for i in unsure.tolist():
            o = orientation(self.exact_line(int(l1[i])), self.exact_line(int(l2[i])))
            if o == 0:
                raise AssertionError("internal error: parallel lines asked to meet")
            flip[i] = o < 0
        v[flip] = -v[flip]
        start = self.verts.extend(v)
        self.verts_err.extend(ve)
        self.vert_lines.extend(np.stack([l1, l2], axis=1))
        return np.arange(start, start + len(v))

    # ------------------------------------------------------------ signs
    def _set_maps(self, LT: np.ndarray, LeT: np.ndarray, jit: Any = None) -> None:
        """Install the current layer's per-region float maps (P, 3, w): rows a1, a2, c; and bounds."""
        self.maps = (LT, LeT)
        # exactly zero: z == 0 on the region (compiled when the cuts are: numpy's reductions cost ~8 us each)
        self.zero_rows = ~(LT.any(axis=1) | LeT.any(axis=1)) if jit is None else jit.zero_rows(LT, LeT)

    def _resolve(self, sign: np.ndarray, certain: np.ndarray, regions: np.ndarray, vids: np.ndarray,
                 first: int = 0) -> None:
        """Decide the uncertain signs exactly, in place (entry (i, j): neuron first + j of region regions[i] at vids[i])."""
        rows, cols = np.nonzero(~certain)
        if len(rows):
            prefixes = self.region_prefix
            for i, j in zip(rows.tolist(), cols.tolist()):
                line = self._exact_row(prefixes[regions[i]], first + j)
                sign[i, j] = side(line, self.exact_vertex(int(vids[i])))
            self.exact_signs += len(rows)

    def _signs(self, slot_region: np.ndarray, slot_vid: np.ndarray, first: int) -> np.ndarray:
        """Exact signs (int8, (n, w - first)) of the current layer's neurons first.. at slots (region, vertex)."""
        Lf, Le = self.maps
        sign, certain = float_signs(Lf[slot_region, :, first:], Le[slot_region, :, first:], self.verts.a[slot_vid],
                                self.verts_err.a[slot_vid])
        certain |= self.zero_rows[slot_region, first:]
        self._resolve(sign, certain, slot_region, slot_vid, first)
        return sign

    def _polygon_signs(self, piece_vids: list) -> tuple:
        """Exact signs at every vertex of every piece, piece p being region p.

        Returns (flat vertex ids, their sign rows, piece starts in the flat
        order, POS, NEG) where POS[p, j] / NEG[p, j] say whether neuron j is
        positive / negative at some vertex of piece p.  Pieces are processed
        in groups of equal vertex count, so each group is one batched matmul.
        """
        sizes = np.fromiter((len(v) for v in piece_vids), np.int64, len(piece_vids))
        P = len(sizes)
        flat = np.fromiter((x for v in piece_vids for x in v), np.int64, int(sizes.sum()))
        starts = np.cumsum(sizes) - sizes
        LT, LeT = self.maps
        w = LT.shape[2]
        S = np.empty((len(flat), w), np.int8)
        POS = np.empty((P, w), bool)
        NEG = np.empty((P, w), bool)
        for m in np.unique(sizes).tolist():
            group = np.flatnonzero(sizes == m)
            idx = starts[group][:, None] + np.arange(m)  # (g, m) flat slot indices
            vid = flat[idx]
            sign, certain = float_polygon_signs(LT[group], LeT[group], self.verts.a[vid], self.verts_err.a[vid])
            certain |= self.zero_rows[group][:, None, :]
            sign2, certain2 = sign.reshape(-1, w), certain.reshape(-1, w)
            self._resolve(sign2, certain2, np.repeat(group, m), vid.reshape(-1))
            S[idx.reshape(-1)] = sign2
            POS[group] = (sign > 0).any(axis=1)
            NEG[group] = (sign < 0).any(axis=1)
        return flat, S, starts, POS, NEG

    # ------------------------------------------------------------- main
    def run(self) -> list:
        net = self.net
        self.exact_signs = 0
        limit = self.max_regions
        # the pieces at the start of a layer: vertex ids, edge line ids, activation prefixes, float maps
        piece_vids = [list(self.box_vertices.tolist())]
        piece_edges = [list(self.box_edges)]
        prefixes: list = [()]
        history: list = []  # per layer: (each piece's parent piece, each piece's pieces (P, w) int8), for the order
        maps = None
        if net.depth:
            Wf, We, bf, be = self.wf[0]
            maps = (np.concatenate((Wf.T, bf[None]))[None], np.concatenate((We.T, be[None]))[None])  # (1, 3, w)
        bar = Progress(self.progress, "planar regions", total=sum(net.widths), unit=" neurons")
        try:
            for k in range(net.depth):
                done = self._advance(k, piece_vids, piece_edges, prefixes, maps, bar, limit)
                if done is None:  # more than `limit` pieces already, so more than `limit` regions
                    bar.close()
                    bar = Progress(False)
                    found = self._collect(k, piece_vids, piece_edges, prefixes, maps, limit)
                    raise self._exceeded(found)
                piece_vids, piece_edges, prefixes, maps = done
                history.append((np.asarray(self.piece_region, dtype=np.int64), self.piece_bits))
        finally:
            bar.close()
        if limit is not None and len(piece_vids) > limit:  # e.g. no hidden layer
            raise self._exceeded(list(zip(prefixes, piece_vids, piece_edges))[:limit])
        self.history = history
        return self._regions(prefixes, piece_vids, piece_edges, _pattern_order(history, prefixes).tolist())

    def _advance(self, k: int, piece_vids: list, piece_edges: list, prefixes: list, maps: tuple, bar: Progress,
                 limit: int | None) -> tuple | None:
        """Cut the pieces (at the start of layer k, with their layer-k maps) by all of layer k.

        Returns the next layer's (vids, edges, prefixes, maps) (maps None after
        the last layer), or None as soon as there are more than ``limit``
        pieces.  The pieces given are left as they are (_collect may start
        from them again).  All per-layer state is set here, so calls may nest.
        """
        self.region_prefix = prefixes
        self.crossing = None  # set by the compiled cuts
        cut = self.cutting[k]
        LT, LeT = maps if cut.src is None else float_shifted(*maps, cut.src, cut.tf, cut.te)
        jit = compiled(len(piece_vids) * LT.shape[2])
        self._set_maps(LT, LeT, jit)
        if cut.src is not None and not len(cut.src):  # no breakpoint in this layer: nothing cuts
            self.piece_region = list(range(len(piece_vids)))
            out = piece_vids, piece_edges, np.zeros((len(piece_vids), 0), np.int8)
            bar.update(self.net.widths[k], pieces=len(piece_vids))
        else:
            if jit is not None:
                out = self._layer_compiled(jit, k, piece_vids, piece_edges, bar, limit)
            else:  # the Python cuts take lists and rewrite the edge lists in place
                out = self._layer(k, list(piece_vids), list(piece_edges), bar, limit)
        if out is None:
            return None
        new_vids, new_edges, bits = out
        region = np.asarray(self.piece_region, dtype=np.int64)
        self.piece_bits = bits if cut.owner is None else cut.pieces(bits)
        pieces = list(map(tuple, self.piece_bits.tolist()))
        new_prefixes = [prefixes[r] + (b,) for r, b in zip(self.piece_region, pieces)]
        new_maps = None
        if k + 1 < self.net.depth:
            Lf, Le = maps
            Wf, We, bf, be = self.wf[k + 1]
            if cut.owner is None and self.crossing is not None and not np.count_nonzero(We):
                new_maps = self._next_maps_by_region(Lf, Le, region, bits, Wf, We, bf, be)
            elif cut.owner is None:
                new_maps = float_next_maps(Lf[region], Le[region], bits.astype(bool), Wf, We, bf, be)
            elif jit is not None and len(region) * Lf.shape[2] * len(Wf) <= _LOOP_WORK:
                new_maps = jit.pieces_next_maps(Lf, Le, region, self.piece_bits, cut.S, cut.Se, cut.C, cut.Ce,
                                                Wf, We, bf, be, gamma(Lf.shape[2]))
            else:
                A, Ae = float_pieces_maps(Lf[region], Le[region], *cut.slopes_offsets(self.piece_bits))
                new_maps = float_next_maps(A, Ae, np.ones(A.shape[::2], dtype=bool), Wf, We, bf, be)
        return new_vids, new_edges, new_prefixes, new_maps

    def _collect(self, k: int, piece_vids: list, piece_edges: list, prefixes: list, maps: tuple, need: int,
                 first: int = 256, cap: int = 8192) -> list:
        """Up to ``need`` final regions (prefix, vids, edges), finishing layers k.. on a few pieces at a time.

        Depth first, on batches of pieces run through the same vectorised
        layer code, so the regions are exactly those of the full enumeration.
        Every piece holds at least one final region, so a batch never has more
        pieces than regions are still needed; after a first batch of at most
        ``first`` pieces, the batch size is the need divided by the growth
        seen so far (final regions per piece), so a few batches per layer
        suffice and the work stays near what ``need`` regions cost, never the
        whole enumeration.
        """
        found: list = []
        quiet = Progress(False)
        start, used, made = 0, 0, 0  # pieces used so far, final regions they made
        while len(found) < need and start < len(piece_vids):
            left = need - len(found)
            size = min(left, first) if not used else -(-left * used * 11 // (10 * max(made, 1)))  # 10% margin
            idx = np.arange(start, min(len(piece_vids), start + max(1, min(size, left, cap))))
            start = int(idx[-1]) + 1
            ids = idx.tolist()
            done = self._advance(k, [piece_vids[i] for i in ids], [piece_edges[i] for i in ids],
                                 [prefixes[i] for i in ids], (maps[0][idx], maps[1][idx]), quiet, None)
            vids, edges, pres, nxt = done
            if k + 1 == self.net.depth:
                got = list(zip(pres, vids, edges))
            else:
                got = self._collect(k + 1, vids, edges, pres, nxt, left, first, cap)
            used, made = used + len(ids), made + len(got)  # (if got is cut short, the loop ends here)
            found.extend(got[:left])
        return found

    def _exceeded(self, found: list) -> RegionLimitExceeded:
        """The public error for more than max_regions regions, carrying ``found`` (prefix, vids, edges) as Regions."""
        prefixes, vids, edges = (list(x) for x in zip(*found)) if found else ([], [], [])
        return self.job.exceeded(self._regions(prefixes, vids, edges, range(len(found))))

    def _layer(self, k: int, piece_vids: list, piece_edges: list, bar: Progress, limit: int | None) -> tuple | None:
        """Cut every piece by every neuron of layer k; returns the new pieces and their bits.

        Returns None as soon as there are more than ``limit`` pieces (if not None).
        """
        w = self.maps[0].shape[2]  # cutting rows (neurons, for ReLU)
        n = len(piece_vids)
        # fresh slots: (region, vertex) pairs; piece p is region p at the start of the layer
        flat, slot_signs, starts, pos, neg = self._polygon_signs(piece_vids)
        cap = max(1024, 2 * len(flat))
        slot_vid = _Grow((), np.int64, cap)
        slot_vid.extend(flat)
        slot_region = _Grow((), np.int64, cap)
        slot_region.extend(np.repeat(np.arange(n), np.diff(np.append(starts, len(flat)))))
        S = _Grow((w,), np.int8, cap)
        S.extend(slot_signs)
        piece_slots = [list(range(s, s + len(v))) for s, v in zip(starts.tolist(), piece_vids)]
        piece_region = list(range(n))
        POS = _Grow((w,), bool, max(1024, 2 * n))
        NEG = _Grow((w,), bool, max(1024, 2 * n))
        POS.extend(pos)
        NEG.extend(neg)
        Lf, Le = self.maps
        for j in range(w):
            cut = np.flatnonzero(POS.view[:, j] & NEG.view[:, j])
            if len(cut):
                self._cut(k, j, cut.tolist(), piece_slots, piece_edges, piece_region, slot_vid, slot_region, S,
                          POS, NEG, Lf, Le)
            bar.update(1, pieces=len(piece_slots))
            if limit is not None and len(piece_slots) > limit:
                return None
        self.piece_region = piece_region
        bits = (POS.view & ~NEG.view).astype(np.int8)
        flat = slot_vid.a[np.fromiter((t for sl in piece_slots for t in sl), np.int64)].tolist()
        new_vids, at = [], 0
        for sl in piece_slots:
            new_vids.append(flat[at:at + len(sl)])
            at += len(sl)
        return new_vids, piece_edges, bits

    def _cut(self, k, j, cut, piece_slots, piece_edges, piece_region, slot_vid, slot_region, S, POS, NEG, Lf, Le):
        """Split the pieces in ``cut`` by neuron j of layer k (signs known exactly at their slots)."""
        # long: the hot loop of the enumeration; walking each polygon once and updating every table in
        # the same pass is what keeps it fast, and splitting it would pass a dozen tables around
        col = S.a[:, j]
        cut_line: dict = {}  # region -> line id of neuron j there (lines are added after the loop)
        first_line = self.lines.n
        new_edge, new_line, new_region = [], [], []
        changed = []
        next_slot = slot_vid.n
        for p in cut:
            r = piece_region[p]
            cl = cut_line.get(r)
            if cl is None:
                cl = cut_line[r] = first_line + len(cut_line)
            slots, edges = piece_slots[p], piece_edges[p]
            s = col[slots].tolist()
            m = len(slots)
            pv, pe, nv, ne = [], [], [], []
            for i in range(m):
                a, sa, sb, e = slots[i], s[i], s[i + 1 - m], edges[i]
                if sa > 0:
                    pv.append(a)
                    pe.append(e)
                    if sb < 0:  # leaving the positive side on edge e
                        t = next_slot
                        next_slot += 1
                        new_edge.append(e)
                        pv.append(t)
                        pe.append(cl)
                        nv.append(t)
                        ne.append(e)
                elif sa < 0:
                    nv.append(a)
                    ne.append(e)
                    if sb > 0:  # entering the positive side on edge e
                        t = next_slot
                        next_slot += 1
                        new_edge.append(e)
                        nv.append(t)
                        ne.append(cl)
                        pv.append(t)
                        pe.append(e)
                else:  # on the cutting line: shared by both pieces
                    pv.append(a)
                    nv.append(a)
                    if sb > 0:
                        pe.append(e)
                        ne.append(cl)
                    elif sb < 0:
                        pe.append(cl)
                        ne.append(e)
                    else:
                        raise AssertionError("internal error: an edge on the cutting line of a cut polygon")
            while len(new_line) < len(new_edge):
                new_line.append(cl)
                new_region.append(r)
            piece_slots[p], piece_edges[p] = pv, pe
            piece_slots.append(nv)
            piece_edges.append(ne)
            piece_region.append(r)
            changed.append(p)
            changed.append(len(piece_slots) - 1)
        # the cutting lines, then the new vertices and their exact signs for the neurons after j
        line_regions = np.fromiter(cut_line, np.int64, len(cut_line))
        prefixes = self.region_prefix
        self._add_lines(Lf[line_regions, :, j], Le[line_regions, :, j], [(k, j, prefixes[r], r) for r in cut_line])
        vids = self._new_vertices(np.array(new_edge, dtype=np.int64), np.array(new_line, dtype=np.int64))
        regs = np.array(new_region, dtype=np.int64)
        w = Lf.shape[2]
        rows = np.zeros((len(vids), w), np.int8)  # columns <= j are never read again
        if j + 1 < w:
            rows[:, j + 1:] = self._signs(regs, vids, j + 1)
        slot_vid.extend(vids)
        slot_region.extend(regs)
        S.extend(rows)
        # the pieces' flags: for neurons before j a piece inherits its parent's (the parent was on one
        # side of each, so its activation holds on the piece's interior too); neuron j is +1 on the
        # first piece and -1 on the second; the neurons after j are read off the vertices
        parents = np.array(cut)
        pos = np.repeat(POS.a[parents], 2, axis=0)
        neg = np.repeat(NEG.a[parents], 2, axis=0)
        pos[0::2, j], neg[0::2, j] = True, False
        pos[1::2, j], neg[1::2, j] = False, True
        if j + 1 < w:
            flat = [t for p in changed for t in piece_slots[p]]
            sizes = [len(piece_slots[p]) for p in changed]
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            sg = S.a[np.array(flat), j + 1:]
            pos[:, j + 1:] = np.logical_or.reduceat(sg > 0, starts, axis=0)
            neg[:, j + 1:] = np.logical_or.reduceat(sg < 0, starts, axis=0)
        POS.a[parents] = pos[0::2]
        NEG.a[parents] = neg[0::2]
        POS.extend(pos[1::2])
        NEG.extend(neg[1::2])

    # ---------------------------------------------------------- results
    def _regions(self, prefixes: list, vids: Any, edges: Any, order: Any) -> list:
        """The final pieces (vertex and edge ids: lists of lists or _Pieces) as PlanarRegions, in ``order``."""
        self.maps = self.zero_rows = None  # the lazy fields need only the exact tables and line/vertex ids
        self.final_vids, self.final_edges = vids, edges
        return [_planar_region(prefixes[i], self, i) for i in order]

    # the lazy fields of a PlanarRegion (see PlanarRegion._get), each from its batch once due (BatchedFields)
    def _affine_map(self, region: PlanarRegion) -> tuple:
        got = self._batched("map", region._index)
        return self.exact.affine_map(region.pattern.layers) if got is None else got

    def _vertices(self, region: PlanarRegion) -> list:
        table = self.batch_tables.get("vertices")  # (made with the batch's lines)
        if table is not None:
            return table[region._index]
        return [self.exact_vertex(v) for v in self.final_vids[region._index]]  # (Vertex: a pair of Fractions)

    # one by one, the area and the witness read the region's vertex list (made once, kept on the region)
    def _area(self, region: PlanarRegion) -> Fraction:
        """The shoelace formula on the exact vertices (counter-clockwise: positive)."""
        got = self._batched("area", region._index)
        return polygon_area(region.vertices) if got is None else got

    def _witness(self, region: PlanarRegion) -> tuple:
        got = self._batched("witness", region._index)
        if got is not None:
            return got
        # three consecutive corners of a convex polygon are never collinear: their centroid is inside; in the
        # vertices' integers (X_i / d_i, Y_i / d_i): (X_0 d_1 d_2 + X_1 d_0 d_2 + X_2 d_0 d_1) / (3 d_0 d_1 d_2)
        (X0, Y0, d0), (X1, Y1, d1), (X2, Y2, d2) = (v.scaled for v in region.vertices[:3])
        e0, e1, e2, D = d1 * d2, d0 * d2, d0 * d1, 3 * d0 * d1 * d2
        return (reduced_fraction(X0 * e0 + X1 * e1 + X2 * e2, D), reduced_fraction(Y0 * e0 + Y1 * e1 + Y2 * e2, D))

    def _polyhedron(self, region: PlanarRegion):
        """The closed polygon as the intersection of the half-planes of its edges."""
        from ..exact.polyhedron import Polyhedron

        inside = tuple(q(t) for t in region.witness)
        ineqs = []
        for lid in dict.fromkeys(self.final_edges[region._index]):
            a1, a2, c = self.exact_line(lid)
            s = side((a1, a2, c), inside)
            # s * (a1 x + a2 y + c) >= 0  <=>  -s a1 x - s a2 y <= s c
            ineqs.append(((frac(-s * a1), frac(-s * a2)), frac(s * c)))
        return Polyhedron(2, inequalities=ineqs)
