"""For a stationary family an exact periodic orbit of the states, reached at depth k from x, along which
the output is not constant, prevents convergence at x."""

from __future__ import annotations

from .common import MAX_DEPTH, Rule, apply_output, need, relu_layer, replay, stationary

def _check(cert, fam, w: dict) -> None:
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

RULE = Rule("T7a", "diverges", "proofs/T7_divergence.md", __doc__, {"x": "vec", "k": "int", "orbit": "veclist"},
            _check, scope="point")
