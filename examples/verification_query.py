"""Is the output of this network at most c everywhere on a box, decided exactly, with a counterexample when it is not?

    python examples/verification_query.py

A ReLU network is affine on each of its linear regions, so the maximum of N
over a box is the largest of the maxima of its affine pieces A x + c over their
regions.  exactrelu enumerates the regions exactly, and each maximum is an
exact linear program (exactrelu.exact.lp.solve_lp: a float-guided or exact
simplex whose answer is verified exactly by a dual certificate).  Then
"N(x) <= c on the box" is true exactly when that maximum is <= c; when it is
false, the maximiser is a counterexample, checked by the exact forward pass.

Checked here independently: the maximum equals the largest forward-pass value
over all region vertices (in 2-D an affine function peaks at a vertex).
"""

from __future__ import annotations

from fractions import Fraction as F

from exactrelu import Box, Network
from exactrelu.exact.lp import solve_lp

net = Network(
    [([[1, -2], [3, 1], [-1, -1], [2, "1/2"], ["-1/2", 3]], ["1/4", "-1/2", "1/3", 0, "-1/5"]),
     ([[1, 0, -1, 1, 0], [0, 1, 1, 0, -1], ["1/2", -1, 0, 1, 1]], [0, "1/10", "-1/4"])],
    output=([[1, -2, 1]], ["-1/3"]),
)
box = Box([-1, -1], [1, 1])
part = net.regions(box)


def region_max(region) -> tuple:
    """max of the region's affine piece over its closure, by an exactly verified LP: (value, point, method)."""
    cons = region.polyhedron.closure().constraints
    (A,), (c,) = region.affine_map
    rows = [a for a, _ in cons.inequalities]
    res = solve_lp(A, A_ub=rows, b_ub=[t for _, t in cons.inequalities],
                   A_eq=[a for a, _ in cons.equations], b_eq=[t for _, t in cons.equations], maximize=True)
    assert res.status == "optimal"
    return res.value + c, res.x, res.method


best = max((region_max(r) for r in part), key=lambda t: t[0])
top, argmax, _ = best
print(f"{len(part)} linear regions of {net!r} over [-1, 1]^2")
print(f"max of N over the box: {top} (~{float(top):.6f}), attained at x = ({argmax[0]}, {argmax[1]})")
assert net(argmax)[0] == top  # the LP's point, through the exact forward pass

vertex_max = max(net(v)[0] for r in part for v in r.polyhedron.vertices())
assert vertex_max == top, "the LP maximum differs from the vertex enumeration"
print("the largest forward-pass value over all region vertices is the same number")
corners = max(net(x)[0] for x in [(-1, -1), (-1, 1), (1, -1), (1, 1)])
print(f"(the box's corners alone reach only {corners}: testing corners or samples is not a proof)")
assert corners < top


def query(c: F) -> str:
    """Decide 'N(x) <= c for every x in the box' exactly."""
    if top <= c:
        return f"N(x) <= {c} on the box: TRUE (the exact maximum is {top})"
    assert net(argmax)[0] > c and box.contains(argmax)
    return f"N(x) <= {c} on the box: FALSE, counterexample x = ({argmax[0]}, {argmax[1]}) with N(x) = {top}"


for c in (top - F(1, 1000), top, F(2)):
    print(query(c))
assert "FALSE" in query(top - F(1, 1000)) and "TRUE" in query(top)
