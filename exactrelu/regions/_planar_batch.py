"""The exact fields of a finished planar enumeration for all regions at once (ReLU layers).

Asked one by one, a region's exact lines and map cost one flint product or more each, and at
tens of thousands of regions the calls, not the arithmetic, dominate.  Here the T1 maps of all
the enumeration's pieces are computed layer by layer as a few large float64 matrix products per
prime (:mod:`exactrelu.exact.modular`), and only the entries the regions need are recovered as
integers; vertices, areas and witnesses follow in whole arrays of Python integers, one gcd per
number of the result.  In the integer form of :class:`~exactrelu.nets.affine.AffineMaps` (Zh_k = [Z_k ; 0 .. 0 d_k]
with [W_k | b_k] = Z_k / d_k), the start-of-layer-k pieces' maps are

    G_0 = Zh_0,    G_k(piece) = Zh_k  D(bits of the piece's layer k-1)  G_{k-1}(its parent piece),

each (w_k + 1) x 3 with last row (0, 0, d_0 ... d_k): row j of G_k(piece) is neuron j's line
z = a1 x + a2 y + c times d_0 ... d_k, and Z_out D(bits) G_{L-1}(parent) is a final piece's output
map times d_out d_0 ... d_{L-1}: the same integers as ``AffineMaps.row`` and ``affine_map``.  Masking
only zeroes rows, so |G_k| <= |Zh_k| |Zh_{k-1}| ... |Zh_0| entrywise: that integer bound, computed
exactly, fixes how many primes make the reconstruction exact.
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import Sequence

import flint
import numpy as np

from ..exact.modular import primes, reconstruct, reduce, residues
from ..exact.numbers import coprime_fraction
from ..nets.affine import ScaledRow, map_of_rows
from ._planar_exact import meet_all
from .gcpause import gc_paused

__all__ = ["BatchedFields", "exact_lines_and_maps"]

_CHUNK = 4096  # pieces per product: bounds the gathered block (width x 3 x 4096 floats)


def _abs(M: flint.fmpz_mat) -> flint.fmpz_mat:
    return flint.fmpz_mat(M.nrows(), M.ncols(), [abs(v) for v in M.entries()])


def _array(M: flint.fmpz_mat) -> np.ndarray:
    return np.array([int(v) for v in M.entries()], dtype=object).reshape(M.nrows(), M.ncols())


def _integers(line: tuple) -> tuple:
    """A line's Python integers: a ScaledRow's ``scaled`` (flint's when made one by one), or flint rationals
    (a box edge) times their common denominator."""
    scaled = getattr(line, "scaled", None)
    if scaled is not None:
        return tuple(int(v) for v in scaled)
    den = math.lcm(*(int(v.q) for v in line))
    return tuple(int(v.p) * (den // int(v.q)) for v in line)


def _max(M: flint.fmpz_mat, rows: int) -> int:
    return max((int(v) for v in M.entries()[: rows * M.ncols()]), default=0)


def _through(ZpT: np.ndarray, G: np.ndarray, parent: np.ndarray, bits: np.ndarray, p: int) -> np.ndarray:
    """(Zp D(bits) G(parent))^T mod p for every piece, (pieces, 3, rows of Zp), in chunks of pieces.

    Maps are kept transposed, piece-major (pieces, 3, rows): gathering the parents' maps takes whole
    contiguous blocks, and the product is one (3 pieces x inner) @ (inner x rows) per chunk."""
    n, inner = len(parent), G.shape[2]
    out = np.empty((n, 3, ZpT.shape[1]))
    mask = np.ones((min(n, _CHUNK), 1, inner))
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        m = mask[: b - a]
        m[:, 0, : inner - 1] = bits[a:b]  # inactive neurons' entries zeroed; the homogeneous one kept
        X = G[parent[a:b]]  # (pieces, 3, inner): a gathered copy
        X *= m
        Y = X.reshape(3 * (b - a), inner) @ ZpT
        out[a:b] = reduce(Y, p).reshape(b - a, 3, ZpT.shape[1])
    return out


def exact_lines_and_maps(hidden: Sequence[flint.fmpz_mat], output: tuple, history: Sequence[tuple],
                         lines: Sequence[tuple]) -> tuple:
    """The integer rows of the requested lines and the integer output maps of every final piece.

    ``hidden``/``output``: ``AffineMaps.integer_layers()`` (ReLU layers, at least one, and an output layer);
    ``history[k]``: (parent, bits) of the pieces after layer k's cuts (their start-of-layer-k piece, their
    (P, w_k) 0/1 bits); ``lines``: (k, j, piece) for row j of G_k of start-of-layer-k piece ``piece``.

    Returns (rows, dens, maps, den): ``rows[i]`` the three integers of line i, whose true line is them over
    ``dens[k]`` = d_0 ... d_k for its layer k; ``maps()`` an object array (final pieces, outputs, 3) of
    integers, the true output map of each final piece being them over ``den`` (recovered when called: the
    residues are kept, the reconstruction is left to whoever wants the maps).
    """
    Zo, d_out = output
    depth = len(hidden)
    dens = list(itertools.accumulate((int(Zh[Zh.nrows() - 1, Zh.ncols() - 1]) for Zh in hidden), operator.mul))
    bound, layer_bound = _abs(hidden[0]), []
    for k in range(depth):
        if k:
            bound = _abs(hidden[k]) * bound
        layer_bound.append(_max(bound, hidden[k].nrows() - 1))
    out_bound = _max(_abs(Zo) * bound, Zo.nrows())
    inner = max([Zh.ncols() for Zh in hidden] + [Zo.ncols()])
    ps = primes(inner, max([out_bound, *(layer_bound[k] for k, _, _ in lines)]))
    Zs = [_array(Zh) for Zh in hidden] + [_array(Zo)]
    by_layer = [[i for i, (k, _, _) in enumerate(lines) if k == layer] for layer in range(depth)]
    want = [(np.array([lines[i][1] for i in ids], np.int64), np.array([lines[i][2] for i in ids], np.int64))
            for ids in by_layer]
    order = np.argsort(np.concatenate([np.array(ids, np.int64) for ids in by_layer]), kind="stable")
    line_res, map_res = [], []
    for p in ps:
        G = residues(Zs[0], p).T[None]  # G_0 of the one start piece (the box), transposed: (1, 3, w_0 + 1)
        got = [G[want[0][1], :, want[0][0]]]
        for k in range(1, depth):
            parent, bits = history[k - 1]
            G = _through(residues(Zs[k], p).T, G, parent, bits, p)
            got.append(G[want[k][1], :, want[k][0]])
        parent, bits = history[depth - 1]
        map_res.append(_through(residues(Zs[-1], p).T, G, parent, bits, p).transpose(0, 2, 1))
        line_res.append(np.concatenate(got)[order])
    rows = reconstruct(line_res, ps) if lines else np.zeros((0, 3), dtype=object)
    return rows, dens, lambda: reconstruct(map_res, ps), int(d_out) * dens[-1]


class BatchedFields:
    """The planar enumerator's exact fields in batches, once enough of them are asked for (a mixin).

    One region's fields stay lazy and cheap.  A program that reads many has the rest computed together:
    after ``BATCH_AFTER`` lazy requests of a kind, or one per ``BATCH_PER`` regions if more (a few regions of
    a big partition stay cheap, while the lazy work before a batch stays a few per cent of it).  The first
    batch makes every exact line, every vertex of the final regions and the integers of every output map
    (:func:`exact_lines_and_maps`, :func:`meet_all`); maps, areas and witnesses are then each made for all
    regions at once, in whole-array integer arithmetic, when that kind is due.  It applies to ReLU layers
    with an output layer and a complete enumeration (``history`` set; a limit's partial regions stay lazy).
    """

    BATCH_AFTER = 32
    BATCH_PER = 64

    def _due(self, kind: str) -> bool:
        """Count one lazy request of ``kind``; True once, at its threshold, where the batch applies."""
        if not self.history:  # enumerating (its exact fallback asks lines too), stopped at a limit, or no hidden layer
            return False
        n = self._lazy[kind] = self._lazy.get(kind, 0) + 1
        return n == max(self.BATCH_AFTER, len(self.history[-1][0]) // self.BATCH_PER) and self._batchable()

    def _batchable(self) -> bool:
        return self.exact.is_relu and self.exact.integer_layers()[1] is not None

    def _batch_lines(self) -> None:
        """Every exact line, the final regions' vertices and the output maps' integers (once)."""
        if self.batched:
            return
        with gc_paused():  # (hundreds of thousands of long-lived integers and Fractions: see gcpause)
            self._lines_and_vertices()

    def _lines_and_vertices(self) -> None:
        hidden, output = self.exact.integer_layers()
        todo = [lid for lid, src in enumerate(self.line_src) if src[0] != "box" and lid not in self.exact_lines]
        wanted = [(src[0], src[1], src[3]) for src in (self.line_src[lid] for lid in todo)]
        rows, dens, maps, den = exact_lines_and_maps(hidden, output, self.history, wanted)
        for lid, (k, _, _), row in zip(todo, wanted, rows.tolist()):
            self.exact_lines[lid] = ScaledRow.of(tuple(row), dens[k])  # (scaled in Python integers)
        self._map_integers = (maps, den)
        self.batched = True
        self._all_vertices()

    def _all_vertices(self) -> None:
        """Every vertex of the final regions not made yet, by :func:`meet_all` on the lines' integers."""
        flat, _, _ = self._piece_vertices()
        used = np.unique(flat).tolist()
        todo = [v for v in used if v not in self.exact_verts]
        if todo:
            pairs = self.vert_lines.view[todo]
            table = np.empty((self.lines.n, 3), dtype=object)
            for lid in np.unique(pairs).tolist():
                table[lid] = _integers(self.exact_line(lid))
            for vid, v in zip(todo, meet_all(table[pairs[:, 0]], table[pairs[:, 1]])):
                self.exact_verts[vid] = v
        # every used vertex's (X, Y, d) by id, for the areas and witnesses in whole arrays
        self._vertex_integers = np.empty((self.verts.n, 3), dtype=object)
        self._vertex_integers[used] = [self.exact_verts[v].scaled for v in used]

    def _piece_vertices(self) -> tuple:
        """The final pieces' vertex ids, flat, each piece's count and where each starts in the flat ids."""
        vids = self.final_vids
        if hasattr(vids, "flat"):
            flat, size = vids.flat, vids.size
        else:
            flat = np.fromiter((v for p in vids for v in p), np.int64)
            size = np.fromiter((len(p) for p in vids), np.int64, len(vids))
        return flat, size, np.cumsum(size) - size

    def _batched(self, kind: str, index: int) -> object:
        """Final piece ``index``'s exact ``kind`` ("map", "area" or "witness") from its batch, or None (lazy)."""
        table = self.batch_tables.get(kind)
        if table is None:
            if not self._due(kind):
                return None
            self._batch_lines()
            made = {"map": self._all_maps, "area": self._all_areas, "witness": self._all_witnesses}[kind]
            with gc_paused():
                table = self.batch_tables[kind] = made()
        return table[index]

    def _all_maps(self) -> list:
        maps, den = self._map_integers  # (pieces, outputs, 3) over den, once reconstructed
        maps = maps()
        per_piece = maps.shape[1] * 3
        ents = _fractions(maps.ravel(), den)
        return [map_of_rows(ents[i:i + per_piece], 3) for i in range(0, len(ents), per_piece)]

    def _scaled(self, vids: np.ndarray) -> tuple:
        """The vertices' homogeneous integers X, Y, d (d > 0) as three object arrays."""
        S = self._vertex_integers[vids]
        return S[:, 0], S[:, 1], S[:, 2]

    def _all_areas(self) -> list:
        """polygon_area of every final piece, all pieces at once: with D = d_0 ... d_{k-1} (the vertices'
        denominators), 2 area D = sum_i (X_{i-1} Y_i - X_i Y_{i-1}) D / (d_{i-1} d_i), each quotient exact."""
        flat, size, start = self._piece_vertices()
        prev = np.arange(len(flat)) - 1
        prev[start] = start + size - 1
        X, Y, d = self._scaled(flat)
        rows, cols = np.repeat(np.arange(len(size)), size), np.arange(len(flat)) - np.repeat(start, size)
        padded = np.ones((len(size), int(size.max())), dtype=object)
        padded[rows, cols] = d
        D = padded[:, 0]
        for i in range(1, padded.shape[1]):
            D = D * padded[:, i]
        terms = (X[prev] * Y - X * Y[prev]) * (D[rows] // (d[prev] * d))
        return _fractions(np.add.reduceat(terms, start), 2 * D)

    def _all_witnesses(self) -> list:
        """_witness of every final piece: the centroid of its first three vertices, in their integers."""
        flat, _, start = self._piece_vertices()
        (X0, Y0, d0), (X1, Y1, d1), (X2, Y2, d2) = (self._scaled(flat[start + i]) for i in range(3))
        e0, e1, e2, D = d1 * d2, d0 * d2, d0 * d1, 3 * d0 * d1 * d2
        return list(zip(_fractions(X0 * e0 + X1 * e1 + X2 * e2, D), _fractions(Y0 * e0 + Y1 * e1 + Y2 * e2, D)))


def _fractions(num: np.ndarray, den: np.ndarray) -> list:
    """num / den in lowest terms as Fractions, for object arrays of integers with den > 0."""
    g = np.gcd(num, den)
    return [coprime_fraction(n, d) for n, d in zip((num // g).tolist(), (den // g).tolist())]
