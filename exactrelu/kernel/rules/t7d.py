"""If W_n, b_n >= 0 from n0 on, u, w >= 0 with w^T W_n >= w^T and u^T W_n >= u^T + a_n w^T, sum a_n = inf
and w^T y_K > 0, then w^T y_n stays >= w^T y_K and u^T y_n -> inf."""

from __future__ import annotations

from ..terms import add, mul, q
from .common import Rule, column_at_least, divergent_weights, growth_scope, linear_tail, output_row, positive_vec

def _check(cert, fam, w: dict) -> None:
    n0, K, u, v = w["n0"], w["K"], w["u"], w["w"]
    linear_tail(fam, w, "T7d")
    positive_vec(v, fam.width, "T7d: w")
    a = divergent_weights(w, fam, n0, "T7d")
    for j in range(fam.width):
        column_at_least(fam, v, j, q(v[j]), n0, f"T7d: (w^T W_n)_{j} >= w_{j} is not proven")
        column_at_least(fam, u, j, add(q(u[j]), mul(a, q(v[j]))), n0,
                        f"T7d: (u^T W_n)_{j} >= u_{j} + a_n w_{j} is not proven")
    growth_scope(cert, fam, w, K, key="w")
    output_row(fam, w, u)

RULE = Rule("T7d", "diverges", "proofs/T7d_chained_growth.md", __doc__,
            {"n0": "int", "K": "int", "u": "vec", "w": "vec", "a_series": "series", "witness_point": "vec",
             "output_row": "int", "c": "rat"}, _check, optional=frozenset({"witness_point", "output_row", "c"}))
