"""A constant nonnegative tail with u^T W >= lambda u^T, lambda > 1, u >= 0 and u^T y_K > 0 gives
u^T y_n >= lambda^(n-K) u^T y_K -> inf."""

from __future__ import annotations

from .common import Rule, growth_scope, need, output_row, positive_vec, stationary

def _check(cert, fam, w: dict) -> None:
    W, b = stationary(fam, "T7c")
    u, lam, K = w["u"], w["lambda"], w["K"]
    m = len(W)
    need(all(t >= 0 for row in W for t in row) and all(t >= 0 for t in b), "T7c: W and b must be nonnegative")
    positive_vec(u, m, "T7c: u")
    need(lam > 1, "T7c: lambda is not > 1")
    uW = [sum(u[i] * W[i][j] for i in range(m)) for j in range(m)]
    need(all(a >= lam * t for a, t in zip(uW, u)), "T7c: u^T W >= lambda u^T fails")
    need(K >= 1, "T7c: K must be at least 1 (y_K >= 0)")
    growth_scope(cert, fam, w, K)
    output_row(fam, w, u)

RULE = Rule("T7c", "diverges", "proofs/T7_divergence.md", __doc__,
            {"u": "vec", "lambda": "rat", "K": "int", "witness_point": "vec", "output_row": "int", "c": "rat"},
            _check, optional=frozenset({"witness_point", "output_row", "c"}))
