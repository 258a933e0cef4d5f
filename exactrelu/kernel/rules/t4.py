"""sum_n ||W_n - I|| < inf and sum_n ||b_n|| < inf imply that N_n(x) converges for every x, uniformly on
bounded sets, with ||N_inf(x) - N_d(x)|| <= sum_(n>d) (||W_n - I|| M(R) + ||b_n||), M(R) = P (R + B),
P >= prod(1 + ||W_n - I||), B >= sum ||b_n|| (S >= sum ||W_n - I||)."""

from __future__ import annotations

from fractions import Fraction

from ..series import pow_upper, round_up, series_tail
from .common import MAX_DEPTH, Rule, entry_series, minus_identity, need

MAX_J = 64  # the largest exponent j in the exp bound

def exp_bound(s: Fraction, j: int) -> Fraction:
    """The rational (1 - s/2^j)^(-2^j) >= exp(s), rounded upward; needs 0 <= s < 2^j.

    >>> exp_bound(Fraction(1), 1)
    Fraction(4, 1)
    """
    t = 1 - s / (1 << j)
    need(t > 0, f"exp bound needs s < 2^j (j = {j})")
    return pow_upper(round_up(1 / t), 1 << j)

def _up(x: Fraction) -> Fraction:
    """x itself while it is short; past 4096 bits an upper bound with 256 significant bits (keeps
    the sums and products over up to 10,000 layers bounded; only ever makes S, B, P harder to meet)."""
    return x if max(x.numerator.bit_length(), x.denominator.bit_length()) <= 4096 else round_up(x, 256)

def _check(cert, fam, w: dict) -> None:
    """A summability certificate for every nonzero entry of W_n - I and b_n, and the constants S, B, P
    that the tail bound outside the kernel uses: exact head n = start..N, certified tails after N,
    exp of the tail sum bounded by (1 - s/2^j)^(-2^j)."""
    N, start, m = w["N"], fam.start, fam.width
    need(start <= N <= start + MAX_DEPTH, f"T4: N = {N} must satisfy start <= N <= start + {MAX_DEPTH}")
    entry_series(w["W_series"], minus_identity(fam), start, "T4: W_n - I")
    entry_series(w["b_series"], {(i, None): fam.b[i] for i in range(m)}, start, "T4: b_n")
    S, B, head = Fraction(0), Fraction(0), Fraction(1)  # prod (1 + s_n) <= prod_{n <= N} (1 + s_n) exp(sum_{n > N} s_n)
    for k in range(start, N + 1):
        W, b = fam.layer(k)
        s_n = max(sum((abs(x - (i == j)) for j, x in enumerate(r)), Fraction(0)) for i, r in enumerate(W))
        S, B, head = _up(S + s_n), _up(B + max(abs(x) for x in b)), _up(head * (1 + s_n))
    W_tail = sum((series_tail(e["series"], N) for e in w["W_series"]), Fraction(0))
    b_tail = sum((series_tail(e["series"], N) for e in w["b_series"]), Fraction(0))
    need(w["S"] >= S + W_tail, "T4: S is smaller than the certified bound of sum ||W_n - I||")
    need(w["B"] >= B + b_tail, "T4: B is smaller than the certified bound of sum ||b_n||")
    need(0 <= w["j"] <= MAX_J and W_tail < 2 ** w["j"], f"T4: need 0 <= j <= {MAX_J} and the tail sum < 2^j")
    need(w["P"] >= head * exp_bound(W_tail, w["j"]),
         "T4: P is smaller than the certified bound of prod(1 + ||W_n - I||)")

RULE = Rule("T4", "converges", "proofs/T4_sufficient_condition.md", __doc__,
            {"N": "int", "S": "rat", "B": "rat", "P": "rat", "j": "int", "W_series": "serieslist",
             "b_series": "serieslist"}, _check, scope="everywhere")
