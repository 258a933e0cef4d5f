"""Exact products of integer matrices by residues: many small products at BLAS speed, then the CRT.

Integers too long for a machine word are multiplied modulo several primes in float64.  With every
residue below p and p chosen so that ``inner * (p - 1)**2 < 2**53`` (``inner``: the length of the
dot products), every product of two residues and every partial sum of them is an integer below
2**53: the BLAS computes the product exactly, in any order and with fused multiply-adds.  A value v
with |v| <= B is then recovered from its residues modulo primes whose product M exceeds 2 B
(the Chinese remainder theorem; Garner's mixed radix in int64 arrays, the digits combined in
Python integers, and v taken in (-M/2, M/2)).  Nothing here is a float approximation: floats hold
integers below 2**53 only, and the bound B is proven by the caller.

>>> A = np.array([[2**70 + 1, -3], [5, 2**64]], dtype=object)
>>> x = np.array([[-(2**40)], [7]], dtype=object)
>>> ps = primes(2, bound=2 * 2**111)
>>> got = reconstruct([reduce(residues(A, p) @ residues(x, p), p) for p in ps], ps)
>>> got.tolist() == (A.dot(x)).tolist()
True
"""

from __future__ import annotations

import functools
import math
from typing import Sequence

import flint
import numpy as np

__all__ = ["primes", "residues", "residue_stack", "reduce", "reconstruct"]

_EXACT = 2**53  # floats hold every integer below this exactly


@functools.lru_cache(maxsize=16)
def _primes_below(limit: int, count: int) -> tuple:
    out, n = [], limit
    while len(out) < count:
        n -= 1
        if n < 3:
            raise ValueError(f"not {count} primes below {limit}")
        if flint.fmpz(n).is_prime():
            out.append(n)
    return tuple(out)


def primes(inner: int, bound: int) -> tuple:
    """The fewest primes, largest first, below sqrt(2**53 / inner), whose product exceeds 2 ``bound`` + 1.

    >>> [p] = primes(65, 1); 65 * (p - 1) ** 2 < 2**53 < 65 * (p + 100) ** 2
    True
    >>> math.prod(primes(129, 2**300)) > 2**301
    True
    """
    limit = math.isqrt((_EXACT - 1) // max(1, inner)) + 1  # (p - 1)^2 inner < 2^53 for every p < limit
    need, count, M = 2 * bound + 1, 1, 1
    while True:
        ps = _primes_below(limit, count)
        M = math.prod(ps)
        if M > need:
            return ps
        count = max(count + 1, int(count * need.bit_length() / max(1, M.bit_length())) + 1)


def residues(values: np.ndarray, p: int) -> np.ndarray:
    """An array of Python (or flint) integers modulo p, as float64 in [0, p).

    >>> residues(np.array([-1, 2**80, 7], dtype=object), 5).tolist()
    [4.0, 1.0, 2.0]
    """
    return (np.asarray(values, dtype=object) % p).astype(np.float64)


def residue_stack(values: np.ndarray, ps: Sequence[int]) -> np.ndarray:
    """An array of Python integers modulo every prime of ``ps`` (each below 2**26.5), as float64 in [0, p):
    shape (len(ps), *values.shape).

    Each integer is cut once into 16-bit limbs (its two's complement bytes), and the limbs times
    2**(16 i) mod p are summed by one float64 product for all primes at once: a limb is below 2**16
    and a power below 2**26.5, so each term is an integer below 2**42.5 and a sum of up to 1024 of
    them (16,384-bit integers; longer ones take Python's %) stays below 2**53, exact.

    >>> residue_stack(np.array([[-1, 2**80], [7, -(2**70) - 3]], dtype=object), (5, 7)).tolist()
    [[[4.0, 1.0], [2.0, 3.0]], [[6.0, 4.0], [0.0, 2.0]]]
    """
    values = np.asarray(values, dtype=object)
    flat = values.ravel().tolist()
    if not flat:
        return np.zeros((len(ps), *values.shape))
    size = 2 * ((max(-min(flat), max(flat)).bit_length() + 16) // 16)  # bytes: 16-bit limbs, a sign bit to spare
    if size > 2048:
        return np.stack([residues(values, p) for p in ps])
    limbs = np.frombuffer(b"".join(v.to_bytes(size, "little", signed=True) for v in flat), dtype="<u2")
    limbs = limbs.reshape(len(flat), size // 2).astype(np.float64)
    weights = np.array([[pow(2, 16 * i, p) for p in ps] for i in range(size // 2)], dtype=np.float64)
    R = limbs @ weights  # (values, primes): the unsigned value of the bytes modulo each p, unreduced
    P = np.array(ps, dtype=np.float64)
    R -= np.floor(R * (1.0 / P)) * P  # (R / P below 2**53 / p: the floor may be off by one, as in reduce)
    # two's complement: the bytes of a negative value read 2**(8 size) more than it
    R -= np.outer(limbs[:, -1] >= 2**15, [pow(2, 8 * size, p) for p in ps])
    R += P * (R < 0)  # now in (-2p, 2p): at most two corrections each way
    R += P * (R < 0)
    R -= P * (R >= P)
    return R.T.reshape(len(ps), *values.shape)


def reduce(Y: np.ndarray, p: int) -> np.ndarray:
    """Y mod p in place, for float64 integers 0 <= Y < 2**53; returns Y.

    floor(Y / p) is computed as floor(Y * (1 / p)), off by at most one (the product's
    relative error is below 2**-52 and Y / p < 2**53 / p); the remainder Y - q p is exact,
    and the two comparisons move it into [0, p).

    >>> reduce(np.array([0.0, 6.0, 2.0**52 + 1]), 7).tolist() == [0, 6, (2**52 + 1) % 7]
    True
    """
    q = Y * (1.0 / p)
    np.floor(q, out=q)
    q *= p
    Y -= q
    np.add(Y, p, out=Y, where=Y < 0)
    np.subtract(Y, p, out=Y, where=Y >= p)
    return Y


def reconstruct(rows: Sequence[np.ndarray], ps: Sequence[int]) -> np.ndarray:
    """The signed integers (an object array) with the given residues (float64 arrays of one shape, one per
    prime in ``ps``), each in (-M/2, M/2) for M the product of the primes."""
    r = [np.asarray(x).astype(np.int64) for x in rows]
    digits = [r[0]]
    for k in range(1, len(ps)):  # Garner: v = a_0 + p_0 (a_1 + p_1 (a_2 + ...)), each a_k in [0, p_k)
        pk, t = ps[k], r[k]
        for j in range(k):
            t = ((t - digits[j]) % pk) * pow(ps[j], -1, pk) % pk  # every p < 2^26.5 (inner >= 1): products below 2^53, exact in int64
        digits.append(t)
    # pairs of digits in int64 (a_k + p_k a_{k+1} < p_k p_{k+1} < 2^53), then Horner in Python integers on half as many
    pairs = [(digits[k] + ps[k] * digits[k + 1], ps[k] * ps[k + 1]) if k + 1 < len(ps) else (digits[k], ps[k])
             for k in range(0, len(ps), 2)]
    acc = pairs[-1][0].astype(object)
    for digit, radix in reversed(pairs[:-1]):
        acc = acc * radix + digit.astype(object)
    M = math.prod(ps)
    return np.where(acc > M // 2, acc - M, acc)
