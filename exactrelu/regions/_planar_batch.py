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

from ..exact.modular import primes, reconstruct, reduce, residue_stack
from ..exact.numbers import coprime_fraction
from ..nets.affine import ScaledRow, map_of_rows
from ._planar_exact import meet_all
from ._planar_float import float_layer
from .gcpause import gc_paused
from .kept import KeptByIdentity

__all__ = ["BatchedFields", "exact_lines_and_maps"]

_CHUNK = 4096  # pieces per product: bounds the gathered block (width x 3 x 4096 floats)


# a network's layers are the same matrices from one enumeration to the next (a slice's restrictions share all
# but the first), so each is converted once; only small layers are kept (a bounded memory)
_LAYERS, _LAYER_KEPT_ENTRIES = KeptByIdentity(16), 2**16


class _Layer:
    """One layer's integers as the batch uses them: M (an fmpz_mat, [Z ; 0 ... 0 d] for a hidden layer, Z for
    the output layer), its entries (Python integers; int64 too when they fit), |M| as a matrix (the bound),
    and M modulo one set of primes."""

    def __init__(self, M: flint.fmpz_mat, d: int, floats: tuple | None):
        self.M, self.small = M, _small_integers(M, d, floats)
        self.ints = self.small.astype(object) if self.small is not None else \
            np.array([int(v) for v in M.entries()], dtype=object).reshape(M.nrows(), M.ncols())
        self.absolute = flint.fmpz_mat(M.nrows(), M.ncols(), np.abs(self.ints).ravel().tolist())
        self._residues: tuple = ((), None)

    @classmethod
    def of(cls, M: flint.fmpz_mat, d: int, floats: tuple | None = None) -> "_Layer":
        """The layer of M, made once while it is among the recent small ones (kept by identity)."""
        return _LAYERS.get((M,), lambda: cls(M, d, floats), lambda layer: layer.ints.size <= _LAYER_KEPT_ENTRIES)

    def residues(self, ps: tuple) -> np.ndarray:
        """M modulo each prime, transposed: (primes, columns, rows) float64."""
        if self._residues[0] != ps:
            if self.small is not None:
                got = (self.small[None] % np.array(ps, dtype=np.int64)[:, None, None]).astype(np.float64)
            else:
                got = residue_stack(self.ints, ps)
            self._residues = (ps, got.transpose(0, 2, 1))
        return self._residues[1]


def _small_integers(M: flint.fmpz_mat, d: int, floats: tuple | None) -> np.ndarray | None:
    """M's entries as int64, from its layer's floats (Wf, We, bf, be), or None.

    Where those floats are exact (float weights: every error 0) and the layer's denominator d is a power of
    two, M = [W | b] d entry by entry (a hidden layer's with the last row 0 ... 0 d), each a float times a power
    of two, so exact; used when every entry is below 2**62.  (python-flint spends ~0.5 us on each entry it
    converts: this is most of a new network's first read-out.)"""
    if floats is None:
        return None
    Wf, We, bf, be = floats
    r, c = M.nrows(), M.ncols()
    w = Wf.shape[0]
    if (Wf.shape[1] + 1 != c) or r not in (w, w + 1) or d <= 0 or d & (d - 1) or d.bit_length() > 900 \
            or We.any() or be.any():
        return None
    H = np.zeros((r, c))
    H[:w, :-1], H[:w, -1] = Wf, bf
    H *= float(d)
    if r > w:
        H[w, -1] = d
    if not np.all(np.abs(H) < 2.0**62):
        return None
    Z = H.astype(np.int64)
    # the rows' first and last entries against M: a slip between the floats and the exact layer would show
    if any(int(M[i, j]) != int(Z[i, j]) for i in (0, r - 1) for j in (0, c - 1)):
        raise AssertionError("internal error: a layer's floats and its exact integers disagree")
    return Z


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


def _wanted_rows(ZpT: np.ndarray, G: np.ndarray, parent: np.ndarray, bits: np.ndarray, rows: np.ndarray,
                 pieces: np.ndarray, p: int) -> np.ndarray:
    """Row ``rows[i]`` of (Zp D(bits) G(parent))^T of piece ``pieces[i]`` mod p, (lines, 3): only the lines
    asked for, not every row of every piece, in chunks of lines."""
    out = np.empty((len(rows), 3))
    inner = G.shape[2]
    for a in range(0, len(rows), _CHUNK):
        b = min(len(rows), a + _CHUNK)
        Z = ZpT.T[rows[a:b]]  # (lines, inner): each line's row of Zp, times its piece's bits
        Z[:, : inner - 1] *= bits[pieces[a:b]]
        X = G[parent[pieces[a:b]]]  # (lines, 3, inner)
        X *= Z[:, None, :]
        # the sums (of non-negative integers, below 2**53: exact in any order) as one matrix-vector product
        out[a:b] = reduce((X.reshape(-1, inner) @ np.ones(inner)).reshape(b - a, 3), p)
    return out


# the residues of the last hidden layer's inputs are kept for the maps (asked for later, or never) up to this
# many bytes; past it the maps are made with the lines, in one pass over the layers
KEEP_BYTES = 64 * 2**20


def exact_lines_and_maps(hidden: Sequence[flint.fmpz_mat], output: tuple, history: Sequence[tuple],
                         lines: Sequence[tuple], floats: Sequence | None = None) -> tuple:
    """The integer rows of the requested lines and the integer output maps of every final piece.

    ``hidden``/``output``: ``AffineMaps.integer_layers()`` (ReLU layers, at least one, and an output layer);
    ``history[k]``: (parent, bits) of the pieces after layer k's cuts (their start-of-layer-k piece, their
    (P, w_k) 0/1 bits); ``lines``: (k, j, piece) for row j of G_k of start-of-layer-k piece ``piece``;
    ``floats``: per layer, the output's last, :func:`float_layer`'s floats and errors, or None (a fast path
    for float weights).

    Returns (rows, dens, maps, den): ``rows[i]`` the three integers of line i, whose true line is them over
    ``dens[k]`` = d_0 ... d_k for its layer k; ``maps()`` an object array (final pieces, outputs, 3) of
    integers, the true output map of each final piece being them over ``den``.  The lines of the last hidden
    layer are made row by row; its whole maps, which only the output maps need, are made when ``maps()`` is
    called (from the kept residues of the layer before, up to ``KEEP_BYTES``; else with the lines).
    """
    Zo, d_out = output
    depth = len(hidden)
    dens = list(itertools.accumulate((int(Zh[Zh.nrows() - 1, Zh.ncols() - 1]) for Zh in hidden), operator.mul))
    floats = list(floats) if floats is not None else [None] * (depth + 1)
    layers = [_Layer.of(M, int(d), f) for M, d, f in zip((*hidden, Zo), (*(Zh[Zh.nrows() - 1, Zh.ncols() - 1]
                                                                          for Zh in hidden), d_out), floats)]
    inner = max([Zh.ncols() for Zh in hidden] + [Zo.ncols()])
    ps = primes(inner, _bound(layers, {k for k, _, _ in lines}))
    Rs = [layer.residues(ps) for layer in layers]  # per layer (primes, inner, rows): Zp^T
    by_layer = [[i for i, (k, _, _) in enumerate(lines) if k == layer] for layer in range(depth)]
    want = [(np.array([lines[i][1] for i in ids], np.int64), np.array([lines[i][2] for i in ids], np.int64))
            for ids in by_layer]
    order = np.argsort(np.concatenate([np.array(ids, np.int64) for ids in by_layer]), kind="stable")
    last = depth - 1
    kept_pieces = len(history[last - 2][0]) if last >= 2 else 1  # G_{last-1}'s
    keep = last > 0 and kept_pieces * 3 * inner * 8 * len(ps) <= KEEP_BYTES
    line_res, kept, map_res = [], [], []
    for i, p in enumerate(ps):
        G = Rs[0][i][None]  # G_0 of the one start piece (the box), transposed: (1, 3, w_0 + 1)
        got = [G[want[0][1], :, want[0][0]]]
        for k in range(1, depth):
            parent, bits = history[k - 1]
            if k == last and keep:  # the last hidden layer's lines only, row by row; G_{last-1} kept for the maps
                got.append(_wanted_rows(Rs[k][i], G, parent, bits, want[k][0], want[k][1], p))
                kept.append(G)
                break
            G = _through(Rs[k][i], G, parent, bits, p)
            got.append(G[want[k][1], :, want[k][0]])
        else:
            map_res.append(_output_maps(Rs, i, G, history, p))
        line_res.append(np.concatenate(got)[order])
    rows = reconstruct(line_res, ps) if lines else np.zeros((0, 3), dtype=object)

    def maps() -> np.ndarray:
        if kept:
            parent, bits = history[last - 1]
            got = [_output_maps(Rs, i, _through(Rs[last][i], G, parent, bits, p), history, p)
                   for i, (p, G) in enumerate(zip(ps, kept))]
        return reconstruct(got if kept else map_res, ps)

    return rows, dens, maps, int(d_out) * dens[-1]


def _bound(layers: Sequence[_Layer], line_layers: set) -> int:
    """A bound on every integer the batch recovers: the entries of |Z_k| ... |Z_0| (the hidden layers' rows
    of the layers with lines; every output map's)."""
    bound, most = None, 0
    for k, layer in enumerate(layers[:-1]):
        bound = layer.absolute if k == 0 else layer.absolute * bound
        if k in line_layers:
            most = max(most, _max(bound, layer.M.nrows() - 1))
    return max(most, _max(layers[-1].absolute * bound, layers[-1].M.nrows()))


def _output_maps(Rs: list, i: int, G: np.ndarray, history: Sequence[tuple], p: int) -> np.ndarray:
    """Zo D(bits) G_{L-1}(parent) mod the i-th prime, (final pieces, outputs, 3)."""
    parent, bits = history[-1]
    return _through(Rs[-1][i], G, parent, bits, p).transpose(0, 2, 1)


class BatchedFields:
    """The planar enumerator's exact fields in batches, once enough of them are asked for (a mixin).

    One region's fields stay lazy and cheap.  A program that reads many has the rest computed together:
    after ``BATCH_AFTER`` lazy requests of a kind, or one per ``BATCH_PER`` regions if more (a few regions of
    a big partition stay cheap, while the lazy work before a batch stays a few per cent of it).  The first
    batch makes every exact line (as integers: a line's rationals are made if it is asked for) and every
    vertex of the final regions, with each region's vertex list (:func:`exact_lines_and_maps`,
    :func:`meet_all`).  Maps, areas and witnesses are each made for all regions at once, in whole-array
    integer arithmetic, when that kind is due.  It applies to ReLU layers with an output layer and a
    complete enumeration (``history`` set; a limit's partial regions stay lazy).
    """

    BATCH_AFTER = 8
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
        floats = [*self.wf, float_layer(*self.net.output)]
        rows, dens, maps, den = exact_lines_and_maps(hidden, output, self.history, wanted, floats)
        # the lines as integers; each one's rationals are made only if it is asked for (few are, after the batch)
        self._line_rows = (np.array(todo, dtype=np.int64), rows, [dens[k] for k, _, _ in wanted],
                           dict(zip(todo, range(len(todo)))))
        self._map_integers = (maps, den)
        self.batched = True
        self._all_vertices()

    def _batch_line(self, lid: int) -> ScaledRow | None:
        """Line ``lid`` from the batch's integers, or None where the batch did not make it (or has not run)."""
        if not self.batched:
            return None
        _, rows, dens, index = self._line_rows
        i = index.get(lid)
        return None if i is None else ScaledRow.of(tuple(rows[i].tolist()), dens[i])

    def _all_vertices(self) -> None:
        """Every vertex of the final regions not made yet, by :func:`meet_all` on the lines' integers."""
        flat, size, start = self._piece_vertices()
        used = np.unique(flat).tolist()
        todo = [v for v in used if v not in self.exact_verts]
        if todo:
            pairs = self.vert_lines.view[todo]
            table = np.empty((self.lines.n, 3), dtype=object)
            lids, rows, _, index = self._line_rows
            table[lids] = rows
            for lid in np.unique(pairs).tolist():
                if lid not in index:  # (a box edge, or a line made before the batch)
                    table[lid] = _integers(self.exact_line(lid))
            for vid, v in zip(todo, meet_all(table[pairs[:, 0]], table[pairs[:, 1]])):
                self.exact_verts[vid] = v
        # every used vertex's (X, Y, d) by id, for the areas and witnesses in whole arrays; each piece's vertex list
        by_id = np.empty(self.verts.n, dtype=object)
        by_id[used] = made = [self.exact_verts[v] for v in used]
        self._vertex_integers = np.empty((self.verts.n, 3), dtype=object)
        self._vertex_integers[used] = [v.scaled for v in made]
        listed = by_id[flat].tolist()
        self.batch_tables["vertices"] = [listed[a:a + n] for a, n in zip(start.tolist(), size.tolist())]

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
        maps, self._map_integers = maps(), None  # (the kept residues freed: the table is made once)
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
