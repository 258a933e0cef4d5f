"""Every exact line and output map of a finished planar enumeration at once (ReLU layers), by residues.

Asked one by one, a region's exact lines and map cost one flint product or more each, and at
tens of thousands of regions the calls, not the arithmetic, dominate.  Here the T1 maps of all
the enumeration's pieces are computed layer by layer as a few large float64 matrix products per
prime (:mod:`exactrelu.exact.modular`), and only the entries the regions need are recovered as
integers.  In the integer form of :class:`~exactrelu.nets.affine.AffineMaps` (Zh_k = [Z_k ; 0 .. 0 d_k]
with [W_k | b_k] = Z_k / d_k), the start-of-layer-k pieces' maps are

    G_0 = Zh_0,    G_k(piece) = Zh_k  D(bits of the piece's layer k-1)  G_{k-1}(its parent piece),

each (w_k + 1) x 3 with last row (0, 0, d_0 ... d_k): row j of G_k(piece) is neuron j's line
z = a1 x + a2 y + c times d_0 ... d_k, and Z_out D(bits) G_{L-1}(parent) is a final piece's output
map times d_out d_0 ... d_{L-1}: the same integers as ``AffineMaps.row`` and ``affine_map``.  Masking
only zeroes rows, so |G_k| <= |Zh_k| |Zh_{k-1}| ... |Zh_0| entrywise: that integer bound, computed
exactly, fixes how many primes make the reconstruction exact.
"""

from __future__ import annotations

from typing import Sequence

import flint
import numpy as np

from ..exact.modular import primes, reconstruct, reduce, residues
from ..nets.affine import ScaledRow, map_fractions

__all__ = ["BatchedFields", "exact_lines_and_maps"]

_CHUNK = 4096  # pieces per product: bounds the gathered block (width x 3 x 4096 floats)


def _abs(M: flint.fmpz_mat) -> flint.fmpz_mat:
    return flint.fmpz_mat(M.nrows(), M.ncols(), [abs(v) for v in M.entries()])


def _array(M: flint.fmpz_mat) -> np.ndarray:
    return np.array([int(v) for v in M.entries()], dtype=object).reshape(M.nrows(), M.ncols())


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
    ``dens[k]`` = d_0 ... d_k for its layer k; ``maps`` an object array (final pieces, outputs, 3) of integers,
    the true output map of each final piece being them over ``den``.
    """
    Zo, d_out = output
    depth = len(hidden)
    dens = list(np.cumprod([int(Zh[Zh.nrows() - 1, Zh.ncols() - 1]) for Zh in hidden], dtype=object))
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
    return rows, dens, reconstruct(map_res, ps), int(d_out) * dens[-1]


class BatchedFields:
    """The planar enumerator's exact lines and maps in one batch, once enough of them are asked for (a mixin).

    One region's fields stay lazy and cheap; a program that reads many (every region's vertices or maps)
    has the rest computed together after ``BATCH_AFTER`` lazy ones, or one per ``BATCH_PER`` regions if more
    (a few regions of a big partition stay cheap, while the lazy work before a batch stays a few per cent of
    it), where the batch applies: ReLU layers, an output layer, and a complete enumeration (``history`` set;
    a limit's partial regions stay lazy).
    """

    BATCH_AFTER = 32
    BATCH_PER = 64

    def _batch_due(self) -> bool:
        """Count one lazy line or map; at the threshold, compute every remaining one now (True if done)."""
        if not self.history:  # enumerating (its exact fallback asks lines too), stopped at a limit, or no hidden layer
            return False
        self._lazy += 1
        if self._lazy != max(self.BATCH_AFTER, len(self.history[-1][0]) // self.BATCH_PER) or not self.exact.is_relu:
            return False
        hidden, output = self.exact.integer_layers()
        if output is None:
            return False
        todo = [lid for lid, src in enumerate(self.line_src) if src[0] != "box" and lid not in self.exact_lines]
        wanted = [(src[0], src[1], src[3]) for src in (self.line_src[lid] for lid in todo)]
        rows, dens, maps, den = exact_lines_and_maps(hidden, output, self.history, wanted)
        for lid, (k, _, _), row in zip(todo, wanted, rows.tolist()):
            self.exact_lines[lid] = ScaledRow.of(tuple(row), dens[k])  # (scaled in Python integers)
        self.batch_maps = (maps.tolist(), den)  # nested lists: one region's read is a few list steps, no numpy call
        return True

    def _batched_map(self, index: int) -> tuple | None:
        """Final piece ``index``'s exact (A, c) from the batch, or None before it ran."""
        if self.batch_maps is None and not self._batch_due():
            return None
        maps, den = self.batch_maps
        return map_fractions([v for row in maps[index] for v in row], 3, den)
