"""If W_n, b_n >= 0 from n0 on, the network is linear there; u >= 0 with u^T W_n >= (1 + a_n) u^T and
either sum a_n = inf with u^T y_K > 0, or sum u^T b_n = inf, gives u^T y_n -> inf."""

from __future__ import annotations

from ..terms import add, mul, q
from .common import (Rule, column_at_least, divergent_weights, growth_scope, lincomb, linear_tail, need,
                     output_row, series_ok)

def _check(cert, fam, w: dict) -> None:
    n0, K, u, route = w["n0"], w["K"], w["u"], w["route"]
    linear_tail(fam, w, "T7b")
    m = fam.width
    if route == "sum a_n":
        need("a_series" in w and "ub_series" not in w, "T7b route 'sum a_n' needs a_series only")
        a = divergent_weights(w, fam, n0, "T7b")
        for j in range(m):
            column_at_least(fam, u, j, mul(add(q(1), a), q(u[j])), n0,
                            f"T7b: (u^T W_n)_{j} >= (1 + a_n) u_{j} is not proven")
        growth_scope(cert, fam, w, K)
    elif route == "sum u^T b_n":
        need("ub_series" in w and "a_series" not in w and "witness_point" not in w,
             "T7b route 'sum u^T b_n' needs ub_series only")
        series_ok(w["ub_series"], lincomb(u, fam.b), "not summable", "T7b: u^T b_n", fam.start)
        for j in range(m):
            column_at_least(fam, u, j, q(u[j]), n0, f"T7b: (u^T W_n)_{j} >= u_{j} is not proven")
        need(cert.scope == {"kind": "everywhere"} or cert.scope.get("kind") == "point",
             "T7b with sum u^T b_n = inf holds everywhere (or at a point)")
    else:
        need(False, "T7b: unknown route")
    output_row(fam, w, u)

RULE = Rule("T7b", "diverges", "proofs/T7_divergence.md", __doc__,
            {"n0": "int", "K": "int", "u": "vec", "route": "str", "a_series": "series", "ub_series": "series",
             "witness_point": "vec", "output_row": "int", "c": "rat"}, _check,
            optional=frozenset({"a_series", "ub_series", "witness_point", "output_row", "c"}))
