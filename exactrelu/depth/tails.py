"""Tail bounds of summable series taken from where the tail starts.

The kernel's bound of ``sum_{k > K} |a(k)|`` for a comparison certificate
uses the one constant C of the certificate, valid from its N on; a constant
chosen to hold from n = 1 can be 2^24 times the asymptotic one, and then every
tail, however far out, is 2^24 times too large.  Here the same lemma
(proofs/summability.md, "Tails taken from where they start") is applied with a
constant valid from K + 1 on:

* a *monotone* comparison certificate (|a(n)| n^p nonincreasing from N) gives
  C' = |a(K+1)| (K+1)^p, rounded up, for every K + 1 >= N;
* any other comparison certificate gets a ladder of constants
  C_j = lam (1 + 2^-j), j = -8..24 (lam is a float guide to lim |a(n)| n^p), each with the
  least N_j from which the kernel's own polynomial conditions hold, decided
  exactly by :func:`exactrelu.kernel.series.holds`.

The result is the minimum of the kernel's bound and these, so it is never
larger than the kernel's.  Ratio certificates already bound the tail by the
term where it starts; sums of series are bounded part by part.

>>> from exactrelu.depth.series import summability, n
>>> s = summability((n + 4096)**2 / n**4).kernel()
>>> K = 10**6
>>> s.witnesses["C"], s.witnesses["N"]      # |a(n)| <= 1024/n^2 from n = 133 on
(Fraction(1024, 1), 133)
>>> K * ks.series_tail(s, K), float(K * series_tail(s, K)) < 1.03  # the tail is about 1.008/K
(Fraction(1024, 1), True)
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..exact import exactpoly as ep
from ..exact.polysign import iroot_floor
from ..kernel import series as ks

__all__ = ["series_tail", "comparison_tail", "least_N"]

_LADDER = (-8, -6, -4, -2, 0, 1, 2, 4, 6, 8, 12, 16, 24)  # C_j = lam (1 + 2^-j)


def series_tail(s: ks.Series, K: int) -> Fraction:
    """An exact upper bound of ``sum_{k > K, k >= start} |a(k)|`` for a checked summable kernel series:
    the kernel's :func:`~exactrelu.kernel.series.series_tail`, or smaller with a constant from K + 1 on."""
    if s.method == "sum":
        s.checked = s.checked or ks.check(s)
        return sum((series_tail(p, K) for p in s.parts), Fraction(0))
    base = ks.series_tail(s, K)
    if s.method != "comparison" or K < int(s.witnesses["N"]) or base == 0:
        return base
    p = s.witnesses["p"]
    C = _monotone_anchor(s, K + 1) if s.witnesses.get("monotone") else _ladder_constant(s, K + 1)
    return base if C is None else min(base, comparison_tail(C, p, K))


def comparison_tail(C: Fraction, p: Fraction, K: int) -> Fraction:
    """``C K^(1-p) / (p - 1)`` rounded up (>= sum_{k > K} C k^(-p) by the integral test), K >= 1.

    >>> comparison_tail(Fraction(1), Fraction(2), 10)
    Fraction(1, 10)
    """
    u, v = (p - 1).numerator, (p - 1).denominator
    low = Fraction(iroot_floor(K**u * (1 << 64) ** v, v), 1 << 64)  # <= K^(p-1)
    return C / ((p - 1) * low)


def _monotone_anchor(s: ks.Series, M: int) -> Fraction | None:
    """|a(M)| M^p rounded up: for n >= M >= N, |a(n)| n^p <= this (|a(n)| n^p is nonincreasing from N);
    None when a(M) is too large to compute exactly (factorials far out)."""
    t, p = ks.product(s.term), s.witnesses["p"]
    Q = t.q * p.denominator
    try:
        hi = t.abs_power_q_bounds(M)[1] ** (Q // t.q) * Fraction(M) ** int(p * Q)  # >= (|a(M)| M^p)^Q
    except ks.TermError:
        return None
    return ks.round_up(ks._root(hi, Q, up=True), 32)


def _ladder_constant(s: ks.Series, M: int) -> Fraction | None:
    """The least C_j of the ladder whose comparison inequality holds on [M, oo), or None."""
    ladder = getattr(s, "_ladder", None)
    if ladder is None:
        ladder = s._ladder = _ladder(s)
    valid = [C for N, C in ladder if N <= M]
    return min(valid, default=None)


def _ladder(s: ks.Series) -> list:
    """[(N_j, C_j)]: |a(n)| <= C_j n^(-p) for every n >= N_j, each decided exactly."""
    t, w = ks.product(s.term), s.witnesses
    guide = _lead_guide(t, w["p"], max(int(w["N"]), s.start))
    if guide is None:
        return []
    out = []
    for j in _LADDER:
        C = ks.round_up(guide * (1 + Fraction(2) ** -j), 32)
        if C >= w["C"]:
            continue
        try:
            conds = ks.conditions(t, "comparison", dict(w, C=C))
        except ks.TermError:
            continue
        N = least_N(conds, s.start)
        if N is not None and ks.holds(conds, N):  # the exact decision; _least_N only proposes
            out.append((N, C))
    return out


def _lead_guide(t: ks.Term, p: Fraction, N: int) -> Fraction | None:
    """A float guide to lim |a(n)| n^p, read at a far n (only proposes constants; each is checked)."""
    for far in (max(N, 1 << 21), max(N, 1) << 10, max(N, 1)):  # the kernel caps the bits of a(n) at 4e6
        try:
            value = float(t.abs_upper(far)) * math.exp(float(p) * math.log(far))
        except (OverflowError, ValueError, ks.TermError):
            continue
        if math.isfinite(value) and value > 0:
            return Fraction(value)
    return None


def least_N(conds: list, start: int) -> int | None:
    """The least N >= start from which every condition holds (each is a polynomial sign condition)."""
    N = start
    for p, kind in conds:
        m = (ep.least_positive_from if kind == "pos" else ep.least_nonnegative_from)(p, start)
        if m is None:
            return None
        N = max(N, m)
    return N
