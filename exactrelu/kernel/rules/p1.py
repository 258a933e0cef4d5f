"""For a stationary family, once the state at x is a fixed point of y -> sigma(W y + b) it stays there,
so N_d(x) is eventually constant."""

from __future__ import annotations

from .common import Rule, apply_output, need, relu_layer, replay, stationary

def _check(cert, fam, w: dict) -> None:
    W, b = stationary(fam, "P1")
    y = replay(fam, w["x"], w["k"])
    need(y == w["fixed_point"], "P1: the fixed point is not the exact state at depth k")
    need(relu_layer(W, b, y) == y, "P1: the state at depth k is not a fixed point")
    need(cert.limit == apply_output(fam, y), "P1: the claimed limit is not the output at the fixed point")

RULE = Rule("P1", "converges", "proofs/P1_eventual_fixed_point.md", __doc__,
            {"x": "vec", "k": "int", "fixed_point": "vec"}, _check, scope="point", gives_limit=True)
