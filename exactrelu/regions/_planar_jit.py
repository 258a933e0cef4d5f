"""The planar enumerator's cuts, compiled (optional: numba, the ``fast`` extra).

:mod:`.planar` cuts the pieces of a layer by each neuron in turn with a Python
loop over the pieces (``_Planar._cut``).  :func:`cut_neurons` makes the same cuts
in one compiled pass over a range of neurons, with the float filters and error
bounds of :mod:`._planar_float` (same formulas, any summation order).  It never
settles an uncertain sign or orientation itself; it stops, and the caller
settles it exactly and calls again:

* a sign its bound leaves open is stored as UNKNOWN and counted in ``open_signs``;
  before neuron j cuts, every slot's sign for j must be known, else the pass
  returns NEED_SIGNS at j;
* a new vertex whose orientation is uncertain gets an infinite error bound (so
  every float sign at it is UNKNOWN) and is listed in ``unsure`` for the caller
  to orient exactly;
* when a table could overflow during the next neuron it returns NEED_ROOM at j.

Tables (the caller owns and grows them; ``counts`` holds their used lengths,
in the order of the ``N_*`` indices): lines and lines_err (rows a1, a2, c);
verts, verts_err and vert_lines (the two lines a vertex was made from); the
slots (a vertex of a start-of-layer region): S (signs, one row per neuron,
so that a neuron's pass reads one contiguous row), slot_vid, slot_region;
the pieces: piece p's slots are pool_slot[start[p]: start[p] + size[p]]
counter-clockwise, its edge i (from slot i to slot i + 1) on line
pool_edge[start[p] + i]; piece_region and bits (per neuron, each piece's side
of it, for the neurons cut so far).  Each new cutting line is recorded as
(line_region, line_neuron) for the caller's exact tables.  :func:`first_signs`
also records which neurons' lines may cross each start-of-layer region: only
those are looked at, and only their signs computed, for the region's pieces.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._planar_float import ETA, U, gamma

UNKNOWN = 2
DONE, NEED_SIGNS, NEED_ROOM, LIMIT = 0, 1, 2, 3
N_LINES, N_VERTS, N_SLOTS, N_POOL, N_PIECES, N_RECORDS, N_UNSURE = range(7)

_G2, _G3 = gamma(2), gamma(3)  # compiled in as constants


@njit(cache=True)
def _inflate(b: float, n: int) -> float:
    return b * (1.0 + (4 * n + 16) * U) + (n + 1) * ETA  # _planar_float.inflate, for one float


@njit(cache=True)
def _sign(Lf, Le, r, c, v, ve) -> int:
    """_planar_float.signs for one line (region r's column c) at one vertex: -1, 0, 1 or UNKNOWN."""
    val = Lf[r, 0, c] * v[0] + Lf[r, 1, c] * v[1] + Lf[r, 2, c] * v[2]
    bound = 0.0
    for i in range(3):
        av = abs(v[i])
        bound += (av + ve[i]) * Le[r, i, c] + (ve[i] + _G3 * av) * abs(Lf[r, i, c])
    bound = _inflate(bound, 12)
    if val > bound:
        return 1
    if val < -bound:
        return -1
    return UNKNOWN


@njit(cache=True)
def first_signs(n, Lf, Le, zero_rows, verts, verts_err, slot_vid, slot_region, S, open_signs, crosses, side) -> None:
    """The signs S[c, t] of every neuron c at the first n slots (the pieces' vertices at the start of the layer).

    Also, per start-of-layer region r (piece r) and neuron c: ``crosses[r, c]``, whether c's line may cross
    the polygon (signs of both strict kinds, or one left open), and else ``side[r, c]``, the piece every part
    of the polygon takes (1 if some vertex is positive; a part with interior keeps a vertex off the line).
    Where the line cannot cross, no part of the polygon is cut by it and its signs are never read again.
    """
    w = Lf.shape[2]
    pos = np.zeros((Lf.shape[0], w), np.bool_)
    neg = np.zeros((Lf.shape[0], w), np.bool_)
    for t in range(n):
        r, vid = slot_region[t], slot_vid[t]
        for c in range(w):
            sg = 0 if zero_rows[r, c] else _sign(Lf, Le, r, c, verts[vid], verts_err[vid])
            S[c, t] = sg
            if sg == UNKNOWN:
                open_signs[c] += 1
                pos[r, c] = neg[r, c] = True
            elif sg > 0:
                pos[r, c] = True
            elif sg < 0:
                neg[r, c] = True
    for r in range(Lf.shape[0]):
        for c in range(w):
            crosses[r, c] = pos[r, c] and neg[r, c]
            side[r, c] = 1 if pos[r, c] and not neg[r, c] else 0


@njit(cache=True)
def _new_vertex(lines, lines_err, e, cl, verts, verts_err, vert_lines, vid) -> bool:
    """Vertex vid = lines e x cl, oriented (last coordinate > 0) when the bound allows; False if unsure."""
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        p = lines[e, j] * lines[cl, k]
        q = lines[e, k] * lines[cl, j]
        data = (abs(lines[e, j]) * lines_err[cl, k] + lines_err[e, j] * (abs(lines[cl, k]) + lines_err[cl, k])
                + abs(lines[e, k]) * lines_err[cl, j] + lines_err[e, k] * (abs(lines[cl, j]) + lines_err[cl, j]))
        verts[vid, i] = p - q
        verts_err[vid, i] = _inflate(data + _G2 * (abs(p) + abs(q)), 8)
    vert_lines[vid, 0], vert_lines[vid, 1] = e, cl
    if abs(verts[vid, 2]) > verts_err[vid, 2]:
        if verts[vid, 2] < 0:
            for i in range(3):
                verts[vid, i] = -verts[vid, i]
        return True
    for i in range(3):
        verts_err[vid, i] = math.inf
    return False


@njit(cache=True)
def _room(counts, P, live, R, lines, verts, S, pool_slot, bits, line_region, unsure) -> bool:
    """Whether every table can take one more neuron's cuts (at most every piece cut once)."""
    return (counts[N_LINES] + R <= lines.shape[0] and counts[N_RECORDS] + R <= line_region.shape[0]
            and counts[N_VERTS] + 2 * P <= verts.shape[0] and counts[N_UNSURE] + 2 * P <= unsure.shape[0]
            and counts[N_SLOTS] + 2 * P <= S.shape[1] and counts[N_POOL] + 2 * live + 4 * P <= pool_slot.shape[0]
            and 2 * P <= bits.shape[1])


@njit(cache=True)
def cut_neurons(j0, j1, limit, Lf, Le, zero_rows, counts, lines, lines_err, verts, verts_err, vert_lines,
                S, slot_vid, slot_region, pool_slot, pool_edge, start, size, piece_region, bits,
                line_region, line_neuron, unsure, open_signs, crosses, side):
    """Cut every piece by neurons j0 .. j1 - 1 in turn; returns (status, the neuron to resume at).

    ``open_signs[c]`` counts the slots whose sign for neuron c is UNKNOWN (the caller zeroes it when
    it settles them); ``crosses`` and ``side`` are :func:`first_signs`'s: a piece of region r is only
    looked at for neuron c if c's line may cross r's polygon, and only those signs are computed."""
    # long: one pass per neuron over every piece, each cut walking its polygon once and writing
    # every table as it goes; split up, the compiled loop would pass twenty arrays between parts
    R, w = Lf.shape[0], Lf.shape[2]
    cut_line = np.empty(R, np.int64)
    live = 0
    for p in range(counts[N_PIECES]):
        live += size[p]
    for j in range(j0, j1):
        if open_signs[j]:
            return NEED_SIGNS, j
        P = counts[N_PIECES]
        if not _room(counts, P, live, R, lines, verts, S, pool_slot, bits, line_region, unsure):
            return NEED_ROOM, j
        cut_line[:] = -1
        for p in range(P):
            r = piece_region[p]
            if not crosses[r, j]:
                bits[j, p] = side[r, j]
                continue
            s0, m = start[p], size[p]
            has_pos = has_neg = False
            for i in range(m):
                sg = S[j, pool_slot[s0 + i]]
                has_pos |= sg > 0
                has_neg |= sg < 0
            if not (has_pos and has_neg):
                bits[j, p] = 1 if has_pos else 0
                continue
            cl = cut_line[r]
            if cl < 0:
                cl = cut_line[r] = counts[N_LINES]
                counts[N_LINES] += 1
                for i in range(3):
                    lines[cl, i], lines_err[cl, i] = Lf[r, i, j], Le[r, i, j]
                line_region[counts[N_RECORDS]], line_neuron[counts[N_RECORDS]] = r, j
                counts[N_RECORDS] += 1
            pos_slot = np.empty(m + 2, np.int64)
            pos_edge = np.empty(m + 2, np.int64)
            neg_slot = np.empty(m + 2, np.int64)
            neg_edge = np.empty(m + 2, np.int64)
            npos = nneg = 0
            for i in range(m):
                a = pool_slot[s0 + i]
                b = pool_slot[s0 + (i + 1) % m]
                e = pool_edge[s0 + i]
                sa, sb = S[j, a], S[j, b]
                t = -1
                if (sa > 0 and sb < 0) or (sa < 0 and sb > 0):  # the edge crosses the cutting line: a new slot
                    t = counts[N_SLOTS]
                    counts[N_SLOTS] += 1
                    vid = counts[N_VERTS]
                    counts[N_VERTS] += 1
                    if not _new_vertex(lines, lines_err, e, cl, verts, verts_err, vert_lines, vid):
                        unsure[counts[N_UNSURE]] = vid
                        counts[N_UNSURE] += 1
                    slot_vid[t], slot_region[t] = vid, r
                    for c in range(j + 1):  # columns <= j are never read again
                        S[c, t] = 0
                    for c in range(j + 1, w):
                        if not crosses[r, c]:
                            S[c, t] = 0  # never read: c's line does not cross the region
                            continue
                        sg = 0 if zero_rows[r, c] else _sign(Lf, Le, r, c, verts[vid], verts_err[vid])
                        S[c, t] = sg
                        if sg == UNKNOWN:
                            open_signs[c] += 1
                if sa > 0:
                    pos_slot[npos], pos_edge[npos] = a, e
                    npos += 1
                    if t >= 0:  # leaving the positive side on edge e
                        pos_slot[npos], pos_edge[npos] = t, cl
                        neg_slot[nneg], neg_edge[nneg] = t, e
                        npos += 1
                        nneg += 1
                elif sa < 0:
                    neg_slot[nneg], neg_edge[nneg] = a, e
                    nneg += 1
                    if t >= 0:  # entering the positive side on edge e
                        neg_slot[nneg], neg_edge[nneg] = t, cl
                        pos_slot[npos], pos_edge[npos] = t, e
                        npos += 1
                        nneg += 1
                else:  # on the cutting line: shared by both pieces
                    pos_slot[npos] = neg_slot[nneg] = a
                    if sb > 0:
                        pos_edge[npos], neg_edge[nneg] = e, cl
                    elif sb < 0:
                        pos_edge[npos], neg_edge[nneg] = cl, e
                    else:
                        raise AssertionError("internal error: an edge on the cutting line of a cut polygon")
                    npos += 1
                    nneg += 1
            q = counts[N_PIECES]
            counts[N_PIECES] += 1
            at = counts[N_POOL]
            pool_slot[at: at + npos], pool_edge[at: at + npos] = pos_slot[:npos], pos_edge[:npos]
            pool_slot[at + npos: at + npos + nneg] = neg_slot[:nneg]
            pool_edge[at + npos: at + npos + nneg] = neg_edge[:nneg]
            counts[N_POOL] = at + npos + nneg
            live += npos + nneg - m
            start[p], size[p], start[q], size[q] = at, npos, at + npos, nneg
            piece_region[q] = r
            bits[:j, q] = bits[:j, p]
            bits[j, p], bits[j, q] = 1, 0
        if limit >= 0 and counts[N_PIECES] > limit:
            return LIMIT, j + 1
    return DONE, j1


@njit(cache=True)
def add_crossing(out, err, Lf, Le, region, bits, crosses, WfT, g) -> None:
    """Add to each piece's sums W D z the products of its active neurons whose lines cross its region.

    ``out``/``err`` (P, 3, w'): piece p starts from its region's sums over the neurons whose lines
    do not cross the region (their bits are the region's for every piece of it:
    ``first_signs``'s ``side``); each active crossing neuron c adds L[r, :, c] W[:, c] and its
    bound (g |L| + Le) |W| (g = gamma_w): the w products are then summed in another order, which
    the bound of :func:`._planar_float.masked_products` allows.  WfT: W transposed (w, w').
    """
    wn = WfT.shape[1]
    for p in range(region.shape[0]):
        r = region[p]
        for c in range(Lf.shape[2]):
            if not (crosses[r, c] and bits[p, c]):
                continue
            for i in range(3):
                a = Lf[r, i, c]
                e = g * abs(a) + Le[r, i, c]
                for n in range(wn):
                    out[p, i, n] += a * WfT[c, n]
                    err[p, i, n] += e * abs(WfT[c, n])



@njit(cache=True)
def load_pieces(vflat, eflat, sizes, slot_vid, pool_edge, slot_region, pool_slot, start, size, piece_region) -> None:
    """The tables' first rows from the start-of-layer pieces (flat vertex and edge ids, sizes): piece r is
    start-of-layer region r, its slots are its vertices in order (one numpy pass each, in Python)."""
    n = 0
    for r in range(len(sizes)):
        start[r], size[r], piece_region[r] = n, sizes[r], r
        for _ in range(sizes[r]):
            slot_vid[n], pool_edge[n], slot_region[n], pool_slot[n] = vflat[n], eflat[n], r, n
            n += 1


@njit(cache=True)
def gather_pieces(P, start, size, slot_vid, pool_slot, pool_edge):
    """The first P pieces' vertex and edge ids, flat, piece after piece (the next layer's start)."""
    total = 0
    for p in range(P):
        total += size[p]
    vids, edges = np.empty(total, np.int64), np.empty(total, np.int64)
    k = 0
    for p in range(P):
        for i in range(start[p], start[p] + size[p]):
            vids[k], edges[k] = slot_vid[pool_slot[i]], pool_edge[i]
            k += 1
    return vids, edges


@njit(cache=True)
def zero_rows(LT, LeT):
    """_Planar._set_maps' zero rows: (P, w), whether region p's map of neuron c and its bound are exactly 0
    (NaN is not 0: such a row is not zero, as ndarray.any counts it)."""
    P, _, w = LT.shape
    out = np.ones((P, w), np.bool_)
    for p in range(P):
        for c in range(w):
            for i in range(3):
                if LT[p, i, c] != 0.0 or LeT[p, i, c] != 0.0:
                    out[p, c] = False
                    break
    return out


@njit(cache=True)
def pieces_next_maps(Lf, Le, region, pieces, S, Se, C, Ce, Wf, We, bf, be, g):
    """_planar_float's pieces_maps then next_maps (no mask) for a layer of piecewise-linear activations, in one
    pass: each piece p's pre-activations L[region[p]] through its neurons' pieces (slope S, offset C of piece
    pieces[p, i] of neuron i; Se, Ce their errors), then W . + b, with the same bounds (any summation order:
    g = gamma_w).  For small layers, where the dozen numpy calls of the two cost more than the arithmetic."""
    P, w, wn = region.shape[0], Lf.shape[2], Wf.shape[0]
    out = np.zeros((P, 3, wn))
    err = np.zeros((P, 3, wn))
    A = np.empty(w)
    Ae = np.empty(w)
    weights_err = False
    for o in range(wn):
        for i in range(w):
            if We[o, i] != 0.0:
                weights_err = True
    for p in range(P):
        r = region[p]
        for c in range(3):
            for i in range(w):  # pieces_maps: s z (+ c in the constant row), its bound inflated for 8 operations
                k = pieces[p, i]
                s, l, le = S[k, i], Lf[r, c, i], Le[r, c, i]
                a = l * s
                e = abs(s) * le + Se[k, i] * (abs(l) + le) + U * abs(a)
                if c == 2:
                    a += C[k, i]
                    e += Ce[k, i] + U * abs(a)
                A[i], Ae[i] = a, _inflate(e, 8)
            for o in range(wn):  # masked_products: W A and (g |A| + Ae) |W| (+ (|A| + Ae) |We|)
                v, e = 0.0, 0.0
                for i in range(w):
                    v += A[i] * Wf[o, i]
                    e += (g * abs(A[i]) + Ae[i]) * abs(Wf[o, i])
                    if weights_err:
                        e += (abs(A[i]) + Ae[i]) * We[o, i]
                if c == 2:  # add_bias
                    v += bf[o]
                    e += U * abs(v) + be[o]
                out[p, c, o], err[p, c, o] = v, _inflate(e, w + 4)
    return out, err
