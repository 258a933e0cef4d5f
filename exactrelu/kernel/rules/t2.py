"""If sum_n ||A_n - I|| < inf, the partial products P_K = A_K ... A_start converge as K -> inf; if moreover
every A_n is nonsingular, so is the limit, and if some A_k is singular, so are every P_K (K >= k) and the limit."""

from __future__ import annotations

import itertools
import math

import flint

from ..decode import CertificateError, nonzero
from ..terms import TermError, add, mul, q
from .common import MAX_DEPTH, Rule, entry_series, minus_identity, need

def summable_deviation(cert, fam, w: dict) -> None:
    """Every nonzero entry of A_n - I has a summability certificate (the W-series hypothesis of T4)."""
    entry_series(w["A_series"], minus_identity(fam), fam.start, f"{cert.theorem}: A_n - I")

def determinant(fam) -> tuple:
    """det A(n) as a term (Leibniz: a sum over the permutations, so only for small m).

    >>> from ..decode import subject
    >>> from ..terms import canon, parse
    >>> fam = subject({"format": "exactrelu.family", "version": 1, "W": [["n", "1"], ["1", "n"]], "b": ["0", "0"]})
    >>> canon(determinant(fam)) == canon(parse("n^2 - 1"))
    True
    """
    m = fam.width
    need(math.factorial(m) <= 120, f"T2: det A(n) of a {m} x {m} matrix is too large to expand (at most 5 x 5)")
    sign = lambda p: (-1) ** sum(p[i] > p[j] for i in range(m) for j in range(i + 1, m))  # noqa: E731
    return add(q(0), *(mul(q(sign(p)), *(fam.W[i][p[i]] for i in range(m))) for p in itertools.permutations(range(m))))

def _check(cert, fam, w: dict) -> None:
    summable_deviation(cert, fam, w)
    if "nonsingular" not in w:
        need("singular_at" not in w, "T2: singular_at without a nonsingularity claim")
    elif w["nonsingular"]:
        need("singular_at" not in w, "T2: a nonsingular limit has no singular factor")
        try:
            nonzero(determinant(fam), fam.start, what="det A_n", zero="det A_n = 0")
        except TermError as exc:
            raise CertificateError(f"T2: det A_n != 0 for every n >= start is not proven ({exc})") from None
    else:
        k = w.get("singular_at")
        need(type(k) is int and fam.start <= k <= fam.start + MAX_DEPTH,
             f"T2: a singular limit needs singular_at = k with start <= k <= start + {MAX_DEPTH}")
        A = fam.layer(k)[0]
        det = flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in row] for row in A]).det()
        need(det == 0, f"T2: A_{k} is not singular (det = {det})")

RULE = Rule("T2", "converges", "proofs/T2_infinite_products.md", __doc__,
            {"A_series": "serieslist", "nonsingular": "bool", "singular_at": "int"}, _check, scope="everywhere",
            optional=frozenset({"nonsingular", "singular_at"}), product=True)
