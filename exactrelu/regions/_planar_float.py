"""Float64 kernels with rigorous error bounds for the planar region enumerator.

Every kernel returns a float64 approximation together with a componentwise
bound on its distance to the exact rational value.  A sign is *certain* only
when the approximation's magnitude exceeds its bound; NaN or infinite values
(overflow) never count as certain, so the caller falls back to exact
arithmetic there.  Floats only propose; these bounds decide when a proposal
may be trusted.

Error model (IEEE double, round to nearest, u = 2^-53): a dot product of n
terms is within gamma_n * sum |terms| of the exact product of its float
inputs, in any summation order and with or without FMA (Higham, Accuracy and
Stability, 3.1); gamma_n = n u / (1 - n u).  The bounds themselves are
computed in floats and may round down, so every bound is inflated by a
relative (4 n + 16) u (which dominates the at most n + 5 roundings of the bound
expression) plus an absolute ETA that dominates any loss to underflow.
Overflow gives inf or NaN, which is never certain; callers run these kernels
under ``np.errstate(all="ignore")`` so that it stays silent.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from .kept import KeptByIdentity

U = 2.0**-53
ETA = 2.0**-1000  # far above any underflow loss (2^-1074 per operation), far below any real value


@functools.lru_cache(maxsize=None)
def gamma(n: int) -> float:
    """Higham's gamma_n = n u / (1 - n u), rounded up generously."""
    return (n * U / (1.0 - n * U)) * (1.0 + 4 * U)


def inflate(bound: np.ndarray, n: int) -> np.ndarray:
    """Make a float-computed bound of an expression with about n operations rigorous (a new array)."""
    return inflate_in_place(np.array(bound, dtype=float), n)


def inflate_in_place(bound: np.ndarray, n: int) -> np.ndarray:
    """:func:`inflate`, overwriting ``bound`` (which it returns)."""
    bound *= 1.0 + (4 * n + 16) * U
    bound += (n + 1) * ETA
    return bound


def to_float_with_error(values) -> tuple[np.ndarray, np.ndarray]:
    """Exact Fractions -> (nearest float64, rigorous bound on |exact - float|).

    Python's int / int division rounds correctly, so an inexact f is within
    u |q| <= 2u |f| of q (u = 2^-53) when f is normal, and within 2^-1075 when it
    is subnormal or zero: the bound 2^-52 |f| + 2^-1074 (exact in floats) holds
    for any input; too large for a double gives inf, bound inf (uncertain
    everywhere).  A rational that is a double (f's ratio is n/d: weights read
    from float32/float64, and most sums of them) has bound 0.

    >>> f, e = to_float_with_error([Fraction(1, 4), Fraction(1, 3)])
    >>> e[0], abs(Fraction(1, 3) - Fraction(f[1])) <= Fraction(e[1])
    (np.float64(0.0), True)
    """
    flat = list(values)
    out = np.empty(len(flat))
    err = np.zeros(len(flat))
    for i, q in enumerate(flat):
        if type(q) is not Fraction:
            q = Fraction(q)
        n, d = q.numerator, q.denominator
        if d & (d - 1) == 0 and -_EXACT_INT < n < _EXACT_INT and d.bit_length() < 1000:
            out[i] = n / d  # exact: a 53-bit integer over a power of two, within the normal range
            continue
        try:
            f = n / d  # correctly rounded int/int division
        except OverflowError:
            out[i], err[i] = np.inf, np.inf
            continue
        out[i] = f
        if f.as_integer_ratio() != (n, d):  # inexact
            err[i] = abs(f) * 2.0**-52 + 2.0**-1074
    return out, err


_EXACT_INT = 1 << 53
_LAYERS = KeptByIdentity(64)  # conversions of recently used layers (a slice's layers 1.. are shared)


def float_layer(W: tuple, b: tuple) -> tuple:
    """(Wf, We, bf, be) of an exact layer, W (rows of Fractions) and b: converted once and kept for reuse.

    Kept by identity for the layers most recently asked for (networks are immutable,
    and a restriction to a slice shares its parent's layers after the first),
    so repeated enumerations of one network convert its weights once.
    """
    return _LAYERS.get((W, b), lambda: _float_layer(W, b))


def _float_layer(W: tuple, b: tuple) -> tuple:
    Wf, We = to_float_with_error([v for row in W for v in row])
    bf, be = to_float_with_error(b)
    shape = (len(W), len(W[0]))
    out = (Wf.reshape(shape), We.reshape(shape), bf, be)
    for a in out:
        a.setflags(write=False)  # shared between enumerations: never modified
    return out


def next_maps(LT: np.ndarray, LeT: np.ndarray, bits: np.ndarray, Wf: np.ndarray, We: np.ndarray,
              bf: np.ndarray, be: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pre-activation maps of the next layer for every region, with error bounds.

    LT, LeT: (P, 3, w) transposed homogeneous maps z = a1 x + a2 y + c of the
    current layer (rows a1, a2, c) and their bounds; bits: (P, w)
    activations; W (w', w), b (w') with their conversion errors.  Returns the
    (P, 3, w') maps of z' = W D z + b, where
    |exact - float| <= gamma_w |Wf| D |L| + |Wf| D Le + We D (|L| + Le)
    (+ u |c'| + be in the constant row for the bias addition).
    """
    out, err = masked_products(LT, LeT, bits, Wf, We)
    return add_bias(out, err, bf, be, LT.shape[2])


def masked_products(LT: np.ndarray, LeT: np.ndarray, bits: np.ndarray, Wf: np.ndarray,
                    We: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sums W D z of :func:`next_maps` (P, 3, w') and their error bounds before the bias, not inflated.

    The bound gamma_w |Wf| D |L| + |Wf| D Le + We D (|L| + Le) holds for any order of the w
    products' sum, so a caller may add more of the products later (:mod:`._planar_jit`'s
    ``add_crossing``).  Computed a few thousand regions at a time, so the temporaries stay
    small (at 50,000 regions of width 128 whole-array temporaries cost more in page faults
    than the products).
    """
    P, _, w = LT.shape
    wn = Wf.shape[0]
    out = np.empty((P, 3, wn))
    err = np.empty((P, 3, wn))
    absW, WeT, g = np.abs(Wf).T, We.T if np.count_nonzero(We) else None, gamma(w)  # (no ndarray.any wrapper)
    for a in range(0, P, _CHUNK):
        b = min(P, a + _CHUNK)
        mask = bits[a:b, None, :]
        A = np.where(mask, LT[a:b], 0.0).reshape(3 * (b - a), w)
        Ea = np.where(mask, LeT[a:b], 0.0).reshape(3 * (b - a), w)
        absA = np.abs(A)
        np.matmul(A, Wf.T, out=out[a:b].reshape(3 * (b - a), wn))  # one gemm per chunk of regions
        E = err[a:b].reshape(3 * (b - a), wn)
        weights_err = (absA + Ea) @ WeT if WeT is not None else None  # before absA becomes g |A| + Ea
        absA *= g
        absA += Ea
        np.matmul(absA, absW, out=E)
        if weights_err is not None:
            E += weights_err
    return out, err


def add_bias(out: np.ndarray, err: np.ndarray, bf: np.ndarray, be: np.ndarray, w: int) -> tuple:
    """Finish :func:`masked_products` (in place): the bias added to the constant row, the bound inflated."""
    out[:, 2, :] += bf
    err[:, 2, :] += U * np.abs(out[:, 2, :]) + be
    return out, inflate_in_place(err, w + 4)


_CHUNK = 2048  # regions per block of next_maps


def pieces_maps(LT: np.ndarray, LeT: np.ndarray, S: np.ndarray, Se: np.ndarray, C: np.ndarray,
                Ce: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The maps s z + c of a layer's activations on each region's pieces, with error bounds.

    LT, LeT: (P, 3, w) maps of the pre-activations and their bounds; S, C:
    (P, w) each neuron's slope and offset on its piece there (floats) and
    Se, Ce their conversion errors.  The product s z is one rounding per
    entry and c + s c_z one more: |exact - float| <= |S| Le + Se (|L| + Le)
    + u |S L| (+ Ce + u |result| in the constant row).
    """
    A = LT * S[:, None, :]
    err = np.abs(S)[:, None, :] * LeT + Se[:, None, :] * (np.abs(LT) + LeT) + U * np.abs(A)
    A[:, 2, :] += C
    err[:, 2, :] += Ce + U * np.abs(A[:, 2, :])
    return A, inflate(err, 8)


def shifted(LT: np.ndarray, LeT: np.ndarray, src: np.ndarray, T: np.ndarray, Te: np.ndarray) -> tuple:
    """The maps z - t of the rows ``src`` of (P, 3, w) maps, for breakpoints T (floats, errors Te), with bounds."""
    A = LT[:, :, src]
    err = LeT[:, :, src]
    A[:, 2, :] -= T
    err[:, 2, :] += Te + U * np.abs(A[:, 2, :])
    return A, inflate(err, 4)


_J = np.array([1, 2, 0])
_K = np.array([2, 0, 1])


def cross(l1: np.ndarray, e1: np.ndarray, l2: np.ndarray, e2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Homogeneous intersection l1 x l2 of line pairs (n, 3), with error bounds.

    Component i is l1[j] l2[k] - l1[k] l2[j] ((i, j, k) cyclic): two rounded
    products and a rounded difference, gamma_2 of the magnitudes, plus the
    data error |l1[j]| e2[k] + e1[j] (|l2[k]| + e2[k]) and its mirror image.
    """
    a1, a2 = np.abs(l1), np.abs(l2)
    p = l1[:, _J] * l2[:, _K]
    q = l1[:, _K] * l2[:, _J]
    data = (a1[:, _J] * e2[:, _K] + e1[:, _J] * (a2[:, _K] + e2[:, _K])
            + a1[:, _K] * e2[:, _J] + e1[:, _K] * (a2[:, _J] + e2[:, _J]))
    return p - q, inflate(data + gamma(2) * (np.abs(p) + np.abs(q)), 8)


def polygon_signs(LT: np.ndarray, LeT: np.ndarray, V: np.ndarray, VE: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signs of every region's lines at its polygon's vertices, and which are certain.

    LT, LeT: (P, 3, w) transposed line maps and bounds of P regions; V, VE:
    (P, K, 3) homogeneous vertices (padded) and bounds.  Returns
    (sign int8 (P, K, w), certain bool (P, K, w)), with the bound of
    :func:`signs`; rows that are exactly zero are left to the caller.
    """
    val = V @ LT
    av = np.abs(V)
    bound = inflate((av + VE) @ LeT + (VE + gamma(3) * av) @ np.abs(LT), 12)
    return _decide(val, bound)


def _decide(val: np.ndarray, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sign, certain): the sign of val where |val| > bound, else 0 and uncertain (NaN: uncertain)."""
    sign = (val > bound).view(np.int8) - (val < -bound).view(np.int8)
    return sign, sign != 0


def signs(LT: np.ndarray, LeT: np.ndarray, v: np.ndarray, ve: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signs of the lines LT (n, 3, w) at homogeneous points v (n, 3), and which are certain.

    Returns (sign int8 (n, w), certain bool (n, w)).  The value is L.v; its
    distance to the exact value is at most Le.(|v| + ve) + |L|.ve + gamma_3 |L|.|v|.
    Rows that are exactly zero (L = 0 and Le = 0, sign 0) are left to the caller.
    """
    av = np.abs(v)
    val = np.matmul(v[:, None, :], LT)[:, 0]  # 3-term dot products
    bound = (np.matmul((av + ve)[:, None, :], LeT)[:, 0]
             + np.matmul((ve + gamma(3) * av)[:, None, :], np.abs(LT))[:, 0])
    return _decide(val, inflate(bound, 12))
