"""The explicit expression (T1), written once: exact affine maps of a network on an activation pattern.

On the activation domain of a pattern, every pre-activation is affine in
the input: z_k(x) = M_k x + m_k, with (THEORY.md, T1, layers 0-based)

    M_0 = W_0,  m_0 = b_0,   M_k = W_k D_{k-1} M_{k-1},  m_k = W_k D_{k-1} m_{k-1} + b_k,

where D_k = diag(bits of layer k).  Here a map is kept in homogeneous form,
one flint ``fmpq_mat`` H = [M | m] of shape (w_k, d + 1), and one step is one
matrix product: H_k = [W_k | b_k] [D_{k-1} H_{k-1} ; 0 ... 0 1].

Other piecewise-linear activations (:mod:`exactrelu.nets.activation`) are the
same step with D_k = diag(slope of each neuron's piece) and the offsets of the
pieces added to the last column: a neuron on piece p with f(z) = s_p z + c_p
contributes the row s_p [M | m] + [0 ... 0 c_p].  The "bits" of a layer are
then its neurons' piece indices; ReLU layers keep the plain 0/1 fast path.

:class:`AffineMaps` is the only implementation in the package: Network's
``prefix_maps``, ``affine_map`` and ``domain``, the general and the planar
region algorithms all use it.  It memoises the map of each activation prefix
when asked to (the region algorithms share prefixes between regions).

>>> from fractions import Fraction
>>> maps = AffineMaps.from_exact([(((1, -1), (1, 1)), (0, Fraction(-1, 2)))], (((1, 2),), (0,)))
>>> maps.layer(())                 # layer 0: [W_0 | b_0]
[1, -1,    0]
[1,  1, -1/2]
>>> maps.affine_map([(1, 0)])     # neuron 1 inactive: N(x) = 1 * (x0 - x1)
(((Fraction(1, 1), Fraction(-1, 1)),), (Fraction(0, 1),))
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterator, Sequence

import flint

from ..exact.numbers import fmpq_to_fraction, reduced_fraction, to_matrix, to_vector

__all__ = ["AffineMaps", "ScaledRow", "map_of_rows", "split", "split_fractions"]

_ZERO = flint.fmpq(0)
_ONE = flint.fmpq(1)


def _homogeneous(W: flint.fmpq_mat, b: flint.fmpq_mat) -> flint.fmpq_mat:
    """[W | b] as one matrix."""
    k = W.ncols()
    ents, bs = W.entries(), b.entries()
    return flint.fmpq_mat(W.nrows(), k + 1, [v for i in range(W.nrows()) for v in (*ents[i * k:(i + 1) * k], bs[i])])


def _as_integer(H: flint.fmpq_mat) -> tuple:
    """(Z, d) with H = Z / d: Z an fmpz_mat, d the least common denominator of H's entries.

    >>> _as_integer(flint.fmpq_mat(1, 2, [flint.fmpq(1, 2), flint.fmpq(3, 4)]))
    ([2, 3], 4)
    """
    Z, d = H.numer_denom()  # (flint's least common denominator, in C: 30x the per-entry loop at 65 x 65)
    return Z, int(d)


def _common_denominator(values: Sequence) -> int:
    """The least common denominator of flint rationals."""
    d = 1
    for v in values:
        q = int(v.q)
        if d % q:
            d = d * q // math.gcd(d, q)
    return d


def _zmasked(Zh: flint.fmpz_mat, bits: Sequence[int], pieces: tuple | None = None) -> flint.fmpz_mat:
    """Each row of a homogeneous integer map Zh = [Z ; 0 ... 0 D] through its neuron's piece, as a homogeneous
    integer map over L D.

    ReLU (``pieces`` None, L = 1): the rows of inactive neurons zeroed.  Else ``pieces`` = (L, slopes, offsets)
    with every piece f(z) = s z + c given as the integers s L and c L: row i becomes (s L) Z_i + (c L) D e_last.
    """
    if pieces is None:
        # a copy with the inactive rows set to zero in place: python-flint spends ~0.25 us on each entry it
        # lists or reads into a new matrix, so this touches only the zeroed entries (3x faster at width 64, d = 2)
        M = flint.fmpz_mat(Zh)
        c = Zh.ncols()
        for i, bit in enumerate(bits):
            if not bit:
                for j in range(c):
                    M[i, j] = 0
        return M
    c = Zh.ncols()
    ents = Zh.entries()
    n = len(bits)
    L, slopes, offsets = pieces
    D, flat, zeros = ents[-1], [], [0] * c
    for i, p in enumerate(bits):
        sl, off = slopes[i][p], offsets[i][p]
        row = zeros if sl == 0 else ents[i * c:(i + 1) * c] if sl == 1 else [sl * v for v in ents[i * c:(i + 1) * c]]
        if off:  # (most pieces pass through 0: no new number for the offset column)
            row = [*row[:-1], row[-1] + off * D]
        flat.extend(row)
    return flint.fmpz_mat(n + 1, c, flat + [0] * (c - 1) + [L * D])


def _integer_pieces(pieces: tuple | None) -> tuple | None:
    """(L, slopes * L, offsets * L) per neuron and piece, L the least common denominator of them all."""
    if pieces is None:
        return None
    L = _common_denominator([v for slopes, offsets in pieces for v in (*slopes, *offsets)])
    return (L, tuple(tuple(int(v * L) for v in sl) for sl, _ in pieces),
            tuple(tuple(int(v * L) for v in off) for _, off in pieces))


def _den(Zh: flint.fmpz_mat) -> flint.fmpz:
    """D of a homogeneous integer map Zh = [Z ; 0 ... 0 D] (its last entry)."""
    return Zh[Zh.nrows() - 1, Zh.ncols() - 1]


def _rational(Zh: flint.fmpz_mat) -> flint.fmpq_mat:
    """The map Z / D of a homogeneous integer map Zh = [Z ; 0 ... 0 D], as flint rationals."""
    r, c = Zh.nrows() - 1, Zh.ncols()
    ents = Zh.entries()
    return flint.fmpq_mat(r, c, ents[: r * c]) / ents[-1]


def _q(v: Fraction) -> flint.fmpq:
    return flint.fmpq(v.numerator, v.denominator)


_frac = fmpq_to_fraction
_MAX_FLIPS = 12  # past this many changed bits, _pulled_back starts afresh (62 us) rather than update (~3 us a bit)
_TRUTH = bytes([0] + [1] * 255)  # byte -> 1 if nonzero: a bit's truth, as the masks read it


def _bitmask(bits: Sequence[int]) -> int | None:
    """A layer's bits as one int, neuron i's truth at bit 8 i (None if they are not small non-negative ints).

    >>> _bitmask((1, 0, 1)), _bitmask((0, 2)), _bitmask((-1, 0))
    (65537, 256, None)
    """
    try:
        return int.from_bytes(bytes(bits).translate(_TRUTH), "little")
    except (TypeError, ValueError):
        return None


def _flips(was: int, now: int) -> Iterator[tuple]:
    """(i, whether neuron i is on now) for each neuron whose bit differs between two _bitmask ints."""
    x = was ^ now
    while x:
        low = x & -x
        yield (low.bit_length() - 1) >> 3, bool(now & low)
        x ^= low


def _zero_inactive(R: flint.fmpz_mat, bits: Sequence[int]) -> flint.fmpz_mat:
    """A copy of the integer rows R with the columns of inactive neurons zeroed (R's last, homogeneous, column
    is past the bits and kept): the rows of a layer's [W | b] times D of the layer before."""
    M = flint.fmpz_mat(R)
    rows = range(M.nrows())
    if len(rows) == 1:  # (the common case: one output, one row of a layer)
        for j, bit in enumerate(bits):
            if not bit:
                M[0, j] = 0
        return M
    for j, bit in enumerate(bits):
        if not bit:
            for i in rows:
                M[i, j] = 0
    return M


def _through_pieces(R: flint.fmpz_mat, pieces_of: Sequence[int], pieces: tuple) -> flint.fmpz_mat:
    """A row R = [r_1 .. r_w | r_b] of a layer's integer [W | b] through the pieces of the layer before, times L.

    With neuron i on its piece f(z) = s_i z + c_i, given as the integers s_i L and c_i L (``pieces`` =
    (L, slopes, offsets), as :func:`_zmasked` takes them), R times that layer's ``_zmasked`` map is this row
    times its map: (r_i s_i L)_i, then r_b L + sum_i r_i c_i L in the homogeneous column.
    """
    L, slopes, offsets = pieces
    ents = R.entries()
    row = [v * slopes[i][p] for i, (v, p) in enumerate(zip(ents, pieces_of))]
    last = ents[len(pieces_of)] * L + sum(ents[i] * offsets[i][p] for i, p in enumerate(pieces_of) if offsets[i][p])
    return flint.fmpz_mat(1, len(ents), row + [last])


class ScaledRow(tuple):
    """A row (a..., c) of flint rationals that also carries ``scaled``: the same row times a positive integer,
    as integers (flint's, or Python's from a batch).

    What only needs a row up to a positive factor (where two lines meet, on which side of a line a point is)
    can skip the denominators.

    >>> r = AffineMaps.from_exact([(((1, "-1/2"),), ("1/4",))]).row((), 0)
    >>> r, r.scaled
    ((1, -1/2, 1/4), (4, -2, 1))
    """

    @classmethod
    def of(cls, ints: tuple, D: Any) -> "ScaledRow":
        """The row ints / D (D > 0) from its integers ``ints`` (flint's or Python's), kept as ``scaled``."""
        row = cls(flint.fmpq(v, D) for v in ints)
        row.scaled = ints
        return row


class AffineMaps:
    """The T1 maps of one stack of exact layers: ``layer(prefix)``, ``step``, ``output``, ``affine_map``.

    ``layers`` are flint pairs (W, b) (b a column), ``output`` such a pair or
    None, ``input_dim`` the input dimension d.  ``activations`` gives, per
    hidden layer, a tuple of one :class:`~exactrelu.nets.activation.Activation`
    per neuron (None, or a layer of ReLUs only: ReLU).  ``breakpoints[k]`` is
    None for a ReLU layer, else per neuron its breakpoints as flint rationals.
    With ``memo`` the map of every prefix asked for is kept (for one
    enumeration; a Network makes a fresh instance without memo for each call).
    """

    def __init__(self, layers: Sequence, output: Any, input_dim: int, memo: bool = False,
                 activations: Sequence | None = None):
        self.input_dim = input_dim
        self.widths = tuple(W.nrows() for W, _ in layers)
        self.depth = len(layers)
        self._hom = [_homogeneous(W, b) for W, b in layers]
        self._out = None if output is None else _homogeneous(*output)
        self._cache: dict | None = {} if memo else None
        self._zcache: dict = {}  # prefix -> the layer's homogeneous integer map (memo only)
        # k -> layer k's homogeneous integer [W | b]; ("rows", k) -> its rows (_zrows); -1: the output layer (_zout)
        self._zhoms: dict = {}
        acts = [None] * len(layers) if activations is None else list(activations)
        relu = [a is None or all(f.is_relu for f in a) for a in acts]
        # per layer None (ReLU) or, per neuron, (slopes, offsets) by piece as flint rationals
        self._pieces = [None if r else tuple((tuple(map(_q, f.slopes)), tuple(map(_q, f.offsets))) for f in a)
                        for a, r in zip(acts, relu)]
        self._zpieces = [_integer_pieces(p) for p in self._pieces]
        self._last_pullback: tuple | None = None  # see _pulled_back
        self.breakpoints = tuple(None if r else tuple(tuple(map(_q, f.breakpoints)) for f in a)
                                 for a, r in zip(acts, relu))
        self.activations = tuple(None if r else tuple(a) for a, r in zip(acts, relu))

    @property
    def is_relu(self) -> bool:
        """Whether every hidden layer is a ReLU layer."""
        return all(p is None for p in self._pieces)

    @classmethod
    def of(cls, net: Any, memo: bool = False) -> "AffineMaps":
        """The maps of a Network (anything with ``fmpq_layers()``, ``fmpq_output()``, ``input_dim``, ``activations``)."""
        return cls(net.fmpq_layers(), net.fmpq_output(), net.input_dim, memo, getattr(net, "activations", None))

    def memoised(self) -> "AffineMaps":
        """The same maps with a fresh memo of their own (the layer matrices are shared, not copied)."""
        other = self._copy()
        other._cache, other._zcache, other._last_pullback = {}, {}, None
        return other

    def _copy(self) -> "AffineMaps":
        """A shallow copy (what copy.copy makes, without its protocol's ~4 us: every enumeration makes one)."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        return other

    def with_first_layer(self, W: flint.fmpq_mat, b: flint.fmpq_mat) -> "AffineMaps":
        """The same maps with layer 0 (or the output layer, when there is no hidden one) replaced by (W, b) on a
        new input (a network restricted to a slice): the other layers' matrices are shared, not rebuilt."""
        other = self._copy()
        other._hom = list(self._hom)
        if self.depth:
            other._hom[0] = _homogeneous(W, b)
        else:
            other._out = _homogeneous(W, b)
        other.input_dim = W.ncols()
        other._cache = None if self._cache is None else {}
        # the other layers' integer forms are made once here and shared: a slice's every restriction reuses them
        # (and so does whatever caches by them, such as the planar batch's residues)
        for k in range(1, self.depth):
            self._zhom(k)
        if self.depth and self._out is not None:
            self._zout()
        new = 0 if self.depth else -1  # the replaced layer: its keys are k, ("rows", k), ("parts", k)
        other._zhoms = {key: v for key, v in self._zhoms.items() if (key if isinstance(key, int) else key[1]) != new}
        other._zcache, other._last_pullback = {}, None
        return other

    @classmethod
    def from_exact(cls, layers: Sequence, output: Any = None, memo: bool = False) -> "AffineMaps":
        """The maps of exact layers given as pairs (W, b) of exact numbers (or rational strings).

        For plain data (a worker process rebuilding a network's maps); shapes
        are assumed checked already (they were, when the Network was built).
        """
        from .activation import as_activation

        def fmpq_pair(pair: Any, name: str) -> tuple:
            W, b = (pair["W"], pair["b"]) if isinstance(pair, dict) else pair[:2]
            W, b = to_matrix(W, f"{name}, W"), to_vector(b, f"{name}, b")
            return (flint.fmpq_mat(len(W), len(W[0]), [flint.fmpq(v.numerator, v.denominator) for r in W for v in r]),
                    flint.fmpq_mat(len(b), 1, [flint.fmpq(v.numerator, v.denominator) for v in b]))

        def acts(pair: Any, width: int, name: str) -> tuple:
            a = pair.get("activation") if isinstance(pair, dict) else (pair[2] if len(pair) > 2 else None)
            a = a if isinstance(a, (list, tuple)) else [a] * width
            return tuple(as_activation(f, f"{name}, activation") for f in a)

        pairs = [fmpq_pair(p, f"layer {i}") for i, p in enumerate(layers)]
        out = None if output is None else fmpq_pair(output, "output layer")
        d = (pairs[0][0] if pairs else out[0]).ncols()
        return cls(pairs, out, d, memo, [acts(p, W.nrows(), f"layer {i}") for i, (p, (W, _)) in enumerate(zip(layers, pairs))])

    # ------------------------------------------------------------ T1
    def _masked(self, H: flint.fmpq_mat, bits: Sequence[int], k: int) -> flint.fmpq_mat:
        """[D H + offsets ; 0 ... 0 1] for H of layer k: each row through its piece, the homogeneous row appended.

        ReLU: the rows of inactive neurons zeroed.  Else row i becomes s [M | m] + [0 .. 0 c]
        for neuron i's piece f(z) = s z + c.
        """
        c = H.ncols()
        ents = H.entries()
        pieces = self._pieces[k]
        if pieces is None:
            zeros = (_ZERO,) * c
            flat = [v for i, bit in enumerate(bits) for v in (ents[i * c:(i + 1) * c] if bit else zeros)]
        else:
            flat, zeros = [], [_ZERO] * c
            for i, p in enumerate(bits):
                s, o = pieces[i][0][p], pieces[i][1][p]
                row = ents[i * c:(i + 1) * c]
                if s == _ZERO:
                    row = zeros
                elif s != _ONE:
                    row = [s * v for v in row]
                if o != _ZERO:  # (most pieces pass through 0: no new number for the offset column)
                    row = [*row[:-1], row[-1] + o]
                flat.extend(row)
        return flint.fmpq_mat(len(bits) + 1, c, flat + [_ZERO] * (c - 1) + [_ONE])

    def step(self, H: flint.fmpq_mat | None, bits: Sequence[int], k: int) -> flint.fmpq_mat:
        """Layer k's map from layer k-1's map H and its bits (for k = 0, H and bits are ignored)."""
        if k == 0:
            return self._hom[0]
        return self._hom[k] * self._masked(H, bits, k - 1)

    def layer(self, prefix: Sequence) -> flint.fmpq_mat:
        """The (w_k x (d+1)) map [M_k | m_k] of layer k = len(prefix) where layers < k have bits ``prefix``."""
        prefix = tuple(tuple(bits) for bits in prefix)
        if self._cache is None:
            return _rational(self._zlayer(prefix))
        H = self._cache.get(prefix)
        if H is None:
            H = self._cache[prefix] = _rational(self._zlayer(prefix))
        return H

    def row(self, prefix: Sequence, j: int) -> tuple:
        """Row j of ``layer(prefix)``: neuron j's pre-activation z = a.x + c as the flint rationals (a..., c),
        a :class:`ScaledRow`.

        >>> AffineMaps.from_exact([(((1, -1), (2, 1)), (0, "1/2"))]).row((), 1)
        (2, 1, 1/2)
        """
        prefix = tuple(tuple(bits) for bits in prefix)
        k = len(prefix)
        if k and (self._cache is None or prefix not in self._zcache):
            # layer k's row j is row j of [W_k | b_k] through layer k-1's pieces, times layer k-1's map: one
            # 1 x w product instead of layer k's whole map (the planar enumerator asks one or two rows of most prefixes)
            prev = self._zlayer(prefix[:-1])
            Zr, d = self._zrows(k)
            pieces = self._zpieces[k - 1]
            if pieces is None:
                P, D = _zero_inactive(Zr[j], prefix[-1]) * prev, d
            else:
                P, D = _through_pieces(Zr[j], prefix[-1], pieces) * prev, d * pieces[0]
            r, D = 0, D * _den(prev)
        else:
            P = self._zlayer(prefix)
            r, D = j, _den(P)
        return ScaledRow.of(tuple(P[r, i] for i in range(P.ncols())), D)

    # The maps are computed in integers: H = Z / D kept homogeneous, Zh = [Z ; 0 ... 0 D], D the product of the
    # layers' (and pieces') common denominators (powers of two for float weights): one fmpz_mat product per step
    # and no gcd until a rational is asked for; about five times faster than fmpq_mat products, which reduce
    # every entry.  ``step`` and ``_masked`` keep the plain rational form (the general algorithm's cells).
    def _zhom(self, k: int) -> flint.fmpz_mat:
        """Layer k's [W | b] as the homogeneous integer map [Z ; 0 ... 0 d] with [W | b] = Z / d."""
        got = self._zhoms.get(k)
        if got is None:
            Z, d = _as_integer(self._hom[k])
            got = self._zhoms[k] = flint.fmpz_mat(Z.nrows() + 1, Z.ncols(), Z.entries() + [0] * (Z.ncols() - 1) + [d])
        return got

    def integer_layers(self) -> tuple:
        """(the hidden layers' homogeneous integer maps [Z_k ; 0 ... 0 d_k] with [W_k | b_k] = Z_k / d_k, and
        the output layer's (Z, d) or None): the integers every map here is built from, for batched products.

        >>> hidden, (Zo, d) = AffineMaps.from_exact([(((1, "1/2"),), (0,))], (((3,),), ("1/4",))).integer_layers()
        >>> hidden[0], Zo, d
        ([2, 1, 0]
        [0, 0, 2], [12, 1], 4)
        """
        return [self._zhom(k) for k in range(self.depth)], None if self._out is None else self._zout()

    def _zrows(self, k: int) -> tuple:
        """Layer k's [W | b] = Z / d as (its rows, each a 1 x (w + 1) fmpz_mat, d), for row-by-row products."""
        got = self._zhoms.get(("rows", k))
        if got is None:
            Zh = self._zhom(k)
            c, ents = Zh.ncols(), Zh.entries()
            rows = tuple(flint.fmpz_mat(1, c, ents[i * c:(i + 1) * c]) for i in range(Zh.nrows() - 1))
            got = self._zhoms[("rows", k)] = (rows, ents[-1])
        return got

    def _zout(self) -> tuple:
        """The output layer [W | b] = Z / d as (Z, d)."""
        got = self._zhoms.get(-1)
        if got is None:
            got = self._zhoms[-1] = _as_integer(self._out)
        return got

    def _zlayer(self, prefix: tuple) -> flint.fmpz_mat:
        """Zh with layer(prefix) = Z / D, memoised with the rational maps."""
        if self._cache is None:
            Zh = self._zhom(0)
            for k in range(1, len(prefix) + 1):
                Zh = self._zstep(Zh, prefix[k - 1], k)
            return Zh
        Zh = self._zcache.get(prefix)
        if Zh is None:
            Zh = self._zstep(self._zlayer(prefix[:-1]), prefix[-1], len(prefix)) if prefix else self._zhom(0)
            self._zcache[prefix] = Zh
        return Zh

    def _zstep(self, Zh: flint.fmpz_mat, bits: Sequence[int], k: int) -> flint.fmpz_mat:
        return self._zhom(k) * _zmasked(Zh, bits, self._zpieces[k - 1])

    def _zoutput(self, layers: tuple) -> tuple:
        """(P, den) with output(layers) = P / den, P an fmpz_mat, den > 0 an fmpz.

        After a ReLU layer, the output layer's columns of inactive neurons are zeroed (a few entries) instead of
        the rows of the last hidden map; and when that map is not at hand, the masked output rows are pulled
        back through the last layer ([W_k | b_k] with D_{k-1}) and multiplied into layer k-1's map: a few
        row-times-matrix products, where layer k's whole map would cost a w x w product."""
        k, prefix = len(layers) - 1, layers[:-1]
        pieces = self._zpieces[k]
        if self._out is None:
            G = _zmasked(self._zlayer(prefix), layers[-1], pieces)
            r, c = G.nrows() - 1, G.ncols()
            return flint.fmpz_mat(r, c, G.entries()[: r * c]), G[r, c - 1]
        Zo, d = self._zout()
        if Zo.nrows() > self.input_dim + 1 or pieces is not None:  # many outputs, or pieces: mask the map's rows
            G = _zmasked(self._zlayer(prefix), layers[-1], pieces)
            return Zo * G, d * _den(G)
        if k and self._zpieces[k - 1] is None and (self._cache is None or prefix not in self._zcache):
            prev, Zk = self._zlayer(prefix[:-1]), self._zhom(k)
            P = self._pulled_back(k, Zo, Zk, prev, prefix[-1], layers[-1])
            return P, d * _den(Zk) * _den(prev)
        Zh = self._zlayer(prefix)
        return _zero_inactive(Zo, layers[-1]) * Zh, d * _den(Zh)

    def _pulled_back(self, k: int, Zo: flint.fmpz_mat, Zk: flint.fmpz_mat, prev: flint.fmpz_mat,
                     inner: tuple, outer: tuple) -> flint.fmpz_mat:
        """U (D_{k-1} prev) with U = (Zo D_k) Zk: the output rows through ReLU layer k (bits ``outer``) and
        layer k-1 (bits ``inner``, whose map is ``prev``), in integers.

        Regions come in pattern order and consecutive ones differ in a few bits (at width 64, 3 in 4 differ in
        at most 2 of layer k and 2 of layer k-1): U and M = D_{k-1} prev are kept from the last call and
        updated, U by adding or subtracting Zo_i Zk[i, :] for each flipped neuron i of layer k, M by setting
        or zeroing prev's row j for each flipped neuron j of layer k-1.  Every update is an integer sum or a
        copy, so the product is the same integer matrix as from scratch.  The kept state is one tuple,
        replaced whole and never changed in place (M is copied before its rows are set), and it is used only
        for the same Zo, Zk and prev objects (an instance copied by ``memoised`` starts without it).
        """
        last, now_in, now_out = self._last_pullback, _bitmask(inner), _bitmask(outer)
        if last is not None and last[0] is prev and last[1] is Zk and last[2] is Zo and None not in (now_in, now_out):
            _, _, _, was_in, was_out, U, M = last
            if (was_in ^ now_in).bit_count() + (was_out ^ now_out).bit_count() <= _MAX_FLIPS:
                parts = self._zparts(k, Zo, Zk)
                for i, on in _flips(was_out, now_out):
                    U = U + parts[i] if on else U - parts[i]
                if was_in != now_in:
                    M = flint.fmpz_mat(M)
                    for j, on in _flips(was_in, now_in):
                        for c in range(M.ncols()):
                            M[j, c] = prev[j, c] if on else 0
                self._last_pullback = (prev, Zk, Zo, now_in, now_out, U, M)
                return U * M
        U, M = _zero_inactive(Zo, outer) * Zk, _zmasked(prev, inner)
        if None not in (now_in, now_out):
            self._last_pullback = (prev, Zk, Zo, now_in, now_out, U, M)
        return U * M

    def _zparts(self, k: int, Zo: flint.fmpz_mat, Zk: flint.fmpz_mat) -> tuple:
        """Per neuron i of layer k, Zo[:, i] Zk[i, :]: what neuron i adds to the output rows pulled back."""
        got = self._zhoms.get(("parts", k))
        if got is None or got[0] is not Zo:
            rows, _ = self._zrows(k)
            cols = [flint.fmpz_mat(Zo.nrows(), 1, [Zo[r, i] for r in range(Zo.nrows())]) for i in range(len(rows))]
            got = self._zhoms[("parts", k)] = (Zo, tuple(c * r for c, r in zip(cols, rows)))
        return got[1]

    def prefix_maps(self, layers: Sequence) -> Iterator[flint.fmpq_mat]:
        """The maps of layers 0 .. len(layers) - 1 on the bits ``layers``, in order (memoised when kept)."""
        layers = tuple(tuple(bits) for bits in layers)
        H = None
        for k in range(len(layers)):
            if self._cache is not None:
                yield self.layer(layers[:k])
            else:
                H = self._zhom(0) if k == 0 else self._zstep(H, layers[k - 1], k)
                yield _rational(H)

    def output(self, layers: Sequence) -> flint.fmpq_mat:
        """[A | c] with N(x) = A x + c on the domain of the full pattern ``layers`` (output layer included)."""
        layers = tuple(tuple(bits) for bits in layers)
        if not layers:  # no hidden layer: the output layer alone (a network has one then)
            return self._out
        P, den = self._zoutput(layers)
        return flint.fmpq_mat(P) / den

    def affine_map(self, layers: Sequence) -> tuple[tuple, tuple]:
        """(A, c) as Fraction tuples with N(x) = A x + c on the domain of ``layers`` (T1).

        From the integer form P / den directly: one gcd per entry, no flint rational in between."""
        layers = tuple(tuple(bits) for bits in layers)
        if not layers:
            return split_fractions(self._out)
        P, den = self._zoutput(layers)
        den = int(den)
        return map_of_rows([reduced_fraction(int(v), den) for v in P.entries()], P.ncols())


def map_of_rows(ents: Sequence, c: int) -> tuple[tuple, tuple]:
    """(A, c) as tuples from the entries of the homogeneous rows [A_i | c_i], c entries each, row after row.

    >>> map_of_rows([1, 2, 3, 4, 5, 6], 3)
    (((1, 2), (4, 5)), (3, 6))
    """
    r = len(ents) // c
    return tuple(tuple(ents[i * c:(i + 1) * c - 1]) for i in range(r)), tuple(ents[i * c + c - 1] for i in range(r))


def split(H: flint.fmpq_mat) -> tuple[flint.fmpq_mat, flint.fmpq_mat]:
    """A homogeneous [M | m] as the pair (M, m) of flint matrices (m a column)."""
    r, c = H.nrows(), H.ncols()
    ents = H.entries()
    M = flint.fmpq_mat(r, c - 1, [ents[i * c + j] for i in range(r) for j in range(c - 1)])
    return M, flint.fmpq_mat(r, 1, [ents[i * c + c - 1] for i in range(r)])


def split_fractions(H: flint.fmpq_mat) -> tuple[tuple, tuple]:
    """A homogeneous [A | c] as Fraction tuples (A, c)."""
    return map_of_rows([_frac(v) for v in H.entries()], H.ncols())
