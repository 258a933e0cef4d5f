"""How does a real ACAS Xu collision-avoidance network cut a 2-D slice of its input space into linear regions, and which advisory does it give where?

    python examples/acas_slice.py

ACAS Xu network 1_1 (5 inputs, six hidden ReLU layers of width 50, 5 outputs
scoring the advisories; the smallest score wins) is read from its ONNX file in
../shared/data/acasxu (the script says so and exits with status 77, "skipped",
when the data is not there).  The slice varies the first two normalised inputs
(distance rho and angle theta) over [-3/20, 3/20]^2 with the other three at 0.
Its linear regions are enumerated exactly; then for each region:
an advisory wins on the whole region exactly when it wins at every vertex of it
(score differences are affine there), otherwise the region is crossed by the
decision boundary.  Checked here:

1. the exact region areas add up to the slice's area (the regions tile it);
2. sampled regions re-verify exactly against the network (pattern, affine map),
   and their affine maps reproduce the 5-input forward pass at their witnesses.

Requires: onnx
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from fractions import Fraction as F
from pathlib import Path

from exactrelu import Slice, load

ADVISORIES = ["clear of conflict", "weak left", "weak right", "strong left", "strong right"]
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "acasxu" / "ACASXU_run2a_1_1_batch_2000.onnx"


def winner_everywhere(region, vertices) -> int | None:
    """The advisory with the smallest score at every vertex of the region (then on all of it), else None."""
    A, c = region.affine_map
    scores = [[sum(a * t for a, t in zip(row, v)) + ci for row, ci in zip(A, c)] for v in vertices]
    winners = {min(range(5), key=s.__getitem__) for s in scores}
    k = winners.pop() if len(winners) == 1 else None
    return k if k is not None and all(s[k] <= min(s) for s in scores) else None


def main() -> int:
    if not DATA.exists():
        print(f"skipped: the ACAS Xu network is not at {DATA}")
        return 77
    net = load(DATA)
    half = F(3, 20)
    s = Slice([0] * 5, [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], [-half] * 2, [half] * 2)
    part = net.regions(s)
    total = sum((r.volume() for r in part), F(0))
    print(f"{net!r}: {len(part)} linear regions on the slice (rho, theta) in [-{half}, {half}]^2, other inputs 0")
    print(f"sum of their exact areas: {total} (the slice: {s.box.volume()})")
    assert total == s.box.volume()

    corners = defaultdict(set)  # region -> the corners of its polygon (and any vertex on its edges)
    for v, owners in part.vertices().items():
        for i in owners:
            corners[i].add(v)
    area, crossed = Counter(), F(0)
    for i, r in enumerate(part):
        k = winner_everywhere(r, corners[i])
        if k is None:
            crossed += r.volume()
        else:
            area[k] += r.volume()
    for k, a in sorted(area.items(), key=lambda kv: -kv[1]):
        print(f"  {ADVISORIES[k]:>17} on whole regions of total area {float(a / total):.2%} of the slice")
    print(f"  regions crossed by the decision boundary: {float(crossed / total):.2%} of the slice")
    assert sum(area.values(), crossed) == total

    small = net.restrict(s)  # the exact 2-input network t -> N(origin + D t)
    for r in part[:: max(1, len(part) // 12)]:
        x = r.input_point()
        assert r.check(small) and net.pattern(x).without_ties() == r.pattern
        assert net(x) == small(r.witness)
    print("12 sampled regions re-verified exactly against the 5-input network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
