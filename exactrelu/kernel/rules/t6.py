"""W_n = W, b_n = b constant and |W| v <= q v with v > 0, q < 1 make y -> sigma(W y + b) a q-contraction
in the weighted max norm; every input converges to the unique fixed point y*."""

from __future__ import annotations

from .common import Rule, apply_output, matvec, need, relu_layer, stationary

def _check(cert, fam, w: dict) -> None:
    W, b = stationary(fam, "T6")
    v, q, y = w["v"], w["q"], w["fixed_point"]
    need(len(v) == len(W) == len(y), "T6: v and y* must have the width of the family")
    need(all(t > 0 for t in v), "T6: v must be entrywise positive")
    need(0 <= q < 1, "T6: q is not in [0, 1)")
    absWv = matvec([[abs(a) for a in row] for row in W], v)
    need(all(a <= q * t for a, t in zip(absWv, v)), "T6: |W| v <= q v fails")
    z = tuple(a + c for a, c in zip(matvec(W, y), b))
    need(relu_layer(W, b, y) == tuple(y), "T6: y* is not a fixed point: sigma(W y* + b) != y*")
    need(w["pattern"] == "".join("1" if t > 0 else "0" for t in z), "T6: the pattern is not that of y*")
    need(cert.limit == apply_output(fam, y), "T6: the claimed limit is not the output at y*")

RULE = Rule("T6", "converges", "proofs/T6_stationary_contraction.md", __doc__,
            {"v": "vec", "q": "rat", "fixed_point": "vec", "pattern": "str"}, _check, scope="everywhere",
            gives_limit=True)
