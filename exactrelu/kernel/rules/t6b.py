"""If |W_n| v <= q v (v > 0, q < 1) for all n >= n0 and W_n - W, b_n - b are summable, the states converge
for every input to the fixed point y* = sigma(W y* + b) of the limit layer (|W_n| is bounded by |W| plus
the certified tails of W_n - W from n0)."""

from __future__ import annotations

from ..series import series_tail
from ..terms import add, neg, q as const
from .common import MAX_DEPTH, Rule, apply_output, entry_series, need, relu_layer

def _check(cert, fam, w: dict) -> None:
    n0, v, q, y, WL, bL = w["n0"], w["v"], w["q"], w["fixed_point"], w["W_limit"], w["b_limit"]
    m = fam.width
    need(fam.start <= n0 <= fam.start + MAX_DEPTH, f"T6b: n0 must satisfy start <= n0 <= start + {MAX_DEPTH}")
    need(len(WL) == m and all(len(r) == m for r in WL) and len(bL) == len(v) == len(y) == m,
         "T6b: W, b, v and y* must have the width of the family")
    need(all(t > 0 for t in v) and 0 <= q < 1, "T6b: need v > 0 and 0 <= q < 1")
    entry_series(w["W_series"], {(i, j): add(fam.W[i][j], neg(const(WL[i][j]))) for i in range(m) for j in range(m)},
                 fam.start, "T6b: W_n - W")
    entry_series(w["b_series"], {(i, None): add(fam.b[i], neg(const(bL[i]))) for i in range(m)}, fam.start,
                 "T6b: b_n - b")
    # |W_n[i][j]| <= |W[i][j]| + sum_{k >= n0} |W_k[i][j] - W[i][j]| <= |W[i][j]| + t_ij(n0 - 1) for n >= n0
    bound = [[abs(WL[i][j]) for j in range(m)] for i in range(m)]
    for e in w["W_series"]:
        bound[e["row"]][e["col"]] += series_tail(e["series"], n0 - 1)
    for i in range(m):
        need(sum(bound[i][j] * v[j] for j in range(m)) <= q * v[i],
             f"T6b: row {i}: (|W| v)_{i} + the tails of W_n - W from n0 = {n0} exceed q v_{i}")
    need(relu_layer(WL, bL, y) == tuple(y), "T6b: y* is not a fixed point of the limit layer")
    need(cert.limit == apply_output(fam, y), "T6b: the claimed limit is not the output at y*")

RULE = Rule("T6b", "converges", "proofs/T6b_perturbed_contraction.md", __doc__,
            {"n0": "int", "v": "vec", "q": "rat", "W_limit": "veclist", "b_limit": "vec", "fixed_point": "vec",
             "W_series": "serieslist", "b_series": "serieslist"}, _check, scope="everywhere", gives_limit=True)
