"""The planar enumerator's compiled cuts driven from Python: when they load, their tables, what they leave open.

:mod:`._planar_jit` holds the compiled loops; :class:`CompiledCuts` (mixed into
the planar enumerator) lays out their tables, calls them, settles exactly the
signs and orientations they leave open, and makes the next layer's maps per
region.  The pieces travel between layers as flat arrays (:class:`_Pieces`).
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np

from ..optional import available
from ._planar_exact import orientation, side
from ._planar_float import add_bias, gamma, masked_products
from .algorithms import Progress

__all__ = ["CompiledCuts", "compiled"]


_COMPILED: list = []  # [module or None] once looked up


def compiled(work: float = math.inf) -> Any:
    """The compiled cuts (:mod:`._planar_jit`) when numba is installed and ``USE_COMPILED``, else None.

    Loading them (importing numba, reading the cached machine code) takes about half a
    second, the Python cuts about 5 us per piece and neuron: so a layer with less ``work``
    (pieces x cutting rows) than ``LOAD_WORK`` does not load them, and a small enumeration
    in a fresh process (``exactrelu regions`` on a small network) stays quick.  Once loaded,
    every layer uses them; ``compiled()`` loads them (a long-running process may call it first).
    """
    if not USE_COMPILED:
        return None
    if not _COMPILED:
        if work < LOAD_WORK or not available("numba"):
            return None
        _COMPILED.append(importlib.import_module(f"{__package__}._planar_jit"))
    return _COMPILED[0]


USE_COMPILED = True  # False: the pure Python cuts (tests compare the two)
LOAD_WORK = 100_000  # pieces x cutting rows of a layer worth loading the compiled cuts for


class _Pieces:
    """Each piece's vertex (or edge line) ids in one flat array, piece i at flat[start[i]: start[i] + size[i]].

    What the compiled cuts return instead of a list per piece; indexing gives a
    piece's list, as the Python cuts' lists of lists do.
    """

    __slots__ = ("flat", "size", "_start")

    def __init__(self, flat: np.ndarray, size: np.ndarray):
        self.flat, self.size, self._start = flat, size, None  # piece after piece: flat is all of them in order

    @classmethod
    def of(cls, pieces: Any) -> "_Pieces":
        if isinstance(pieces, _Pieces):
            return pieces
        return cls(np.array([v for p in pieces for v in p], np.int64), np.array([len(p) for p in pieces], np.int64))

    def __len__(self) -> int:
        return len(self.size)

    def __getitem__(self, i: int) -> list:
        if self._start is None:
            self._start = (np.cumsum(self.size) - self.size).tolist()
        a = self._start[i]
        return self.flat[a:a + int(self.size[i])].tolist()

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def _ranges(start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The concatenated index ranges start[i] .. start[i] + size[i] - 1, in order."""
    ends = np.cumsum(size)
    return np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(start - (ends - size), size)


class _Tables:
    """The slot and piece tables of one layer's compiled cuts (see :mod:`._planar_jit`), grown on demand."""

    NAMES = ("S", "slot_vid", "slot_region", "pool_slot", "pool_edge", "start", "size", "piece_region", "bits",
             "line_region", "line_neuron", "unsure")

    MIN = 1024  # rows at least (tests lower it to make the tables grow)

    def __init__(self, slots: int, pieces: int, w: int):
        cap = max(self.MIN, 8 * slots)  # a layer's cuts often multiply the pieces by several
        self.S = np.zeros((w, cap), np.int8)  # neuron-major, as the compiled pass reads it
        self.slot_vid, self.slot_region = np.zeros(cap, np.int64), np.zeros(cap, np.int64)
        self.pool_slot, self.pool_edge = np.zeros(2 * cap, np.int64), np.zeros(2 * cap, np.int64)
        pcap = max(self.MIN, 8 * pieces)
        self.start, self.size, self.piece_region = (np.zeros(pcap, np.int64) for _ in range(3))
        self.bits = np.zeros((w, pcap), np.int8)
        self.line_region, self.line_neuron = np.zeros(pcap, np.int64), np.zeros(pcap, np.int64)
        self.unsure = np.zeros(cap, np.int64)

    def arrays(self) -> list:
        return [getattr(self, name) for name in self.NAMES]

    def grow(self, planar: "CompiledCuts", counts: np.ndarray, jit: Any) -> None:
        """Room for the next neuron's cuts (see ``_planar_jit._room``): the pool compacted to the live
        pieces, and every table short of room for the next neuron grown to twice what it needs."""
        P = int(counts[jit.N_PIECES])
        idx = _ranges(self.start[:P], self.size[:P])
        self.pool_slot[:len(idx)], self.pool_edge[:len(idx)] = self.pool_slot[idx], self.pool_edge[idx]
        self.start[:P] = np.cumsum(self.size[:P]) - self.size[:P]
        counts[jit.N_POOL] = live = len(idx)
        slots = int(counts[jit.N_SLOTS]) + 2 * P
        need = {"S": slots, "slot_vid": slots, "slot_region": slots, "unsure": 2 * P, "pool_slot": 3 * live + 4 * P,
                "pool_edge": 3 * live + 4 * P, "start": 2 * P, "size": 2 * P, "piece_region": 2 * P, "bits": 2 * P,
                "line_region": P, "line_neuron": P}
        for name, n in need.items():
            a = getattr(self, name)
            if a.shape[-1] < n:  # S and bits grow along their last axis, the rest along their only one
                b = np.zeros((*a.shape[:-1], 4 * n), a.dtype)
                b[..., :a.shape[-1]] = a
                setattr(self, name, b)
        for table, n in ((planar.lines, P), (planar.lines_err, P), (planar.verts, 2 * P), (planar.verts_err, 2 * P),
                         (planar.vert_lines, 2 * P)):
            table.reserve(table.n + 4 * n)


class CompiledCuts:
    """The compiled counterpart of the planar enumerator's ``_layer`` (same pieces, ids and bits), as methods of it."""

    def _layer_compiled(self, jit: Any, k: int, piece_vids: list, piece_edges: list, bar: Progress,
                        limit: int | None) -> tuple | None:
        """:meth:`_layer` with the cuts made by :func:`._planar_jit.cut_neurons` (same pieces, ids and bits)."""
        Lf, Le = (np.ascontiguousarray(a) for a in self.maps)
        R, w = Lf.shape[0], Lf.shape[2]
        vids, edges = _Pieces.of(piece_vids), _Pieces.of(piece_edges)
        sizes = vids.size
        n = len(vids.flat)
        t = _Tables(n, R, w)
        jit.load_pieces(vids.flat, edges.flat, sizes, t.slot_vid, t.pool_edge, t.slot_region, t.pool_slot, t.start,
                        t.size, t.piece_region)
        counts = np.array([self.lines.n, self.verts.n, n, n, R, 0, 0], np.int64)
        open_signs = np.zeros(w, np.int64)
        crosses, side = np.zeros((R, w), np.bool_), np.zeros((R, w), np.int8)
        self.crossing = jit, crosses, side
        jit.first_signs(n, Lf, Le, self.zero_rows, self.verts.a, self.verts_err.a, t.slot_vid, t.slot_region, t.S,
                        open_signs, crosses, side)
        j, done = 0, 0
        while j < w:
            chunk = max(1, (1 << 20) // max(1, int(counts[jit.N_POOL])))  # about a million slot visits a call
            status, j = jit.cut_neurons(j, min(w, j + chunk), -1 if limit is None else limit, Lf, Le, self.zero_rows,
                                        counts, self.lines.a, self.lines_err.a, self.verts.a, self.verts_err.a,
                                        self.vert_lines.a, *t.arrays(), open_signs, crosses, side)
            self._adopt(k, t, counts, jit)
            if status == jit.NEED_ROOM:
                t.grow(self, counts, jit)
            elif status == jit.NEED_SIGNS:
                self._settle(t, int(counts[jit.N_SLOTS]), j, jit.UNKNOWN)
                open_signs[j] = 0
            bar.update(j - done, pieces=int(counts[jit.N_PIECES]))
            done = j
            if status == jit.LIMIT:
                return None
        P = int(counts[jit.N_PIECES])
        self.piece_region = t.piece_region[:P].tolist()
        size = t.size[:P].copy()
        new_vids, new_edges = jit.gather_pieces(P, t.start, t.size, t.slot_vid, t.pool_slot, t.pool_edge)
        return _Pieces(new_vids, size), _Pieces(new_edges, size), np.ascontiguousarray(t.bits[:, :P].T)

    def _adopt(self, k: int, t: "_Tables", counts: np.ndarray, jit: Any) -> None:
        """After a compiled pass: the used table lengths, the new lines' exact sources, unsure vertices oriented."""
        lines, verts, made, unsure = counts[[jit.N_LINES, jit.N_VERTS, jit.N_RECORDS, jit.N_UNSURE]].tolist()
        self.lines.n = self.lines_err.n = lines
        self.verts.n = self.verts_err.n = self.vert_lines.n = verts
        prefixes = self.region_prefix
        self.line_src.extend((k, j, prefixes[r], r) for r, j in zip(t.line_region[:made].tolist(),
                                                                  t.line_neuron[:made].tolist()))
        for vid in t.unsure[:unsure].tolist():  # the bound left the orientation open
            l1, l2 = self.vert_lines.a[vid]
            o = orientation(self.exact_line(int(l1)), self.exact_line(int(l2)))
            if o == 0:
                raise AssertionError("internal error: parallel lines asked to meet")
            if (o < 0) != (self.verts.a[vid, 2] < 0):
                self.verts.a[vid] = -self.verts.a[vid]
        counts[jit.N_RECORDS] = counts[jit.N_UNSURE] = 0

    def _settle(self, t: "_Tables", n_slots: int, j: int, unknown: int) -> None:
        """Decide exactly the signs of cutting row j the float bound left open (``unknown``) at the slots."""
        col = t.S[j, :n_slots]
        open_ = np.flatnonzero(col == unknown).tolist()
        prefixes = self.region_prefix
        for s in open_:
            line = self._exact_row(prefixes[int(t.slot_region[s])], j)
            col[s] = side(line, self.exact_vertex(int(t.slot_vid[s])))
        self.exact_signs += len(open_)

    def _next_maps_by_region(self, Lf: np.ndarray, Le: np.ndarray, region: np.ndarray, bits: np.ndarray,
                             Wf: np.ndarray, We: np.ndarray, bf: np.ndarray, be: np.ndarray) -> tuple:
        """float_next_maps after compiled ReLU cuts: one product per start-of-layer region, not per piece.

        The pieces of a region share its bits for every neuron whose line does not cross it
        (``crossing``: the compiled module and its pass's crosses and side), so those products are made once per
        region and each piece adds only its own active crossing neurons (``_planar_jit.add_crossing``).
        """
        jit, crosses, side = self.crossing
        out, err = masked_products(Lf, Le, (side == 1) & ~crosses, Wf, We)
        out, err = out[region], err[region]
        jit.add_crossing(out, err, np.ascontiguousarray(Lf), np.ascontiguousarray(Le), region,
                         np.ascontiguousarray(bits), crosses, np.ascontiguousarray(Wf.T), gamma(Lf.shape[2]))
        return add_bias(out, err, bf, be, Lf.shape[2])
