"""T7a (proofs/T7_divergence.md): for a stationary family an exact periodic orbit with a non-constant
output, reached at depth k from x, prevents convergence at x."""

from __future__ import annotations

from .common import MAX_DEPTH, Rule, apply_output, need, relu_layer, replay, stationary
from .p1 import point_scope


def _check(cert, fam, w: dict) -> None:
    point_scope(cert, w)
    W, b = stationary(fam, "T7a")
    orbit = w["orbit"]
    need(2 <= len(orbit) <= MAX_DEPTH, "T7a: the orbit needs a period of at least 2")
    need(replay(fam, w["x"], w["k"]) == orbit[0], "T7a: the orbit does not start at the exact state at depth k")
    for i, y in enumerate(orbit):
        nxt = (i + 1) % len(orbit)
        need(relu_layer(W, b, y) == orbit[nxt],
             f"T7a: the orbit is not the exact forward pass: sigma(W y_{i} + b) != y_{nxt}")
    need(len({apply_output(fam, y) for y in orbit}) >= 2,
         "T7a: the output is constant along the orbit, so it converges")


RULE = Rule(
    "T7a", "diverges", "proofs/T7_divergence.md",
    "for a stationary family an exact periodic, non-constant orbit of the outputs prevents convergence at x.",
    {"x": "vec", "k": "int", "orbit": "veclist"}, _check)
