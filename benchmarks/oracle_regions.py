"""Benchmark: regioncam's faces judged against the exact partition by oracle.compare_regions.

For seeded 2-D MLPs (torch-like initialisation, float32 weights), regioncam
(Rust, float32) and exactrelu enumerate the linear regions of the square
[-1, 1]^2; :func:`exactrelu.oracle.compare_regions` then lists the regions
regioncam misses (with exact areas), the patterns it claims that do not exist,
faces whose witness point (the mean of its vertices) lies in another region,
and how far its float areas are from the exact ones.

    python benchmarks/oracle_regions.py [--sizes 2-32x3-1,2-64x3-1] [--seeds 0,1]

Writes benchmarks/results/oracle_regions.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from exactrelu import Network, oracle

RESULTS = Path(__file__).resolve().parent / "results" / "oracle_regions.json"


def network(size: str, seed: int) -> Network:
    d, rest = size.split("-", 1)
    w, rest = rest.split("x")
    depth, m = (int(v) for v in rest.split("-"))
    widths = [int(d)] + [int(w)] * depth + [m]
    rng = np.random.default_rng(seed)
    layers = [((rng.uniform(-1, 1, (widths[i + 1], widths[i])) / np.sqrt(widths[i])).astype(np.float32),
               (rng.uniform(-1, 1, widths[i + 1]) / np.sqrt(widths[i])).astype(np.float32)) for i in range(len(widths) - 1)]
    return Network(layers[:-1], output=layers[-1])


def regioncam_of(net: Network):
    import regioncam

    rc = regioncam.Regioncam(size=1.0)
    for (W, b), relu in [(L, True) for L in net.layers] + [(net.output, False)]:
        rc.linear(np.array([[float(v) for v in row] for row in W], dtype=np.float32).T,
                  np.array([float(v) for v in b], dtype=np.float32))
        if relu:
            rc.relu()
    return rc


def one(size: str, seed: int) -> dict:
    net = network(size, seed)
    t = time.perf_counter()
    rc = regioncam_of(net)
    t_rc = time.perf_counter() - t
    t = time.perf_counter()
    part = net.regions(([-1, -1], [1, 1]))
    t_ex = time.perf_counter() - t
    t = time.perf_counter()
    r = oracle.compare_regions(rc, part)
    t_cmp = time.perf_counter() - t
    wrong = {ci for ci, _, _ in r.mislabelled}  # their areas are compared with the region they do not cover
    rel = [abs(float(d / e)) for ci, e, _, d in r.areas if e and ci not in wrong]
    return {"size": size, "seed": seed, "exact": len(part), "regioncam": rc.num_faces, "missing": len(r.missing),
            "missing_area": float(r.missing_area), "smallest_missing": min((float(m.area) for m in r.missing), default=None),
            "spurious": len(r.spurious), "duplicated": len(r.duplicated), "mislabelled": len(r.mislabelled),
            "unjudged_points": len(r.unjudged_points), "worst_area_rel_error": max(rel, default=0.0),
            "median_area_rel_error": float(np.median(rel)) if rel else 0.0,
            "regioncam_s": round(t_rc, 3), "exact_s": round(t_ex, 2), "compare_s": round(t_cmp, 2)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="2-32x3-1,2-64x3-1")
    p.add_argument("--seeds", default="0,1")
    args = p.parse_args()
    rows = [one(s, int(seed)) for s in args.sizes.split(",") for seed in args.seeds.split(",")]
    keys = ["size", "seed", "exact", "regioncam", "missing", "missing_area", "spurious", "duplicated", "mislabelled",
            "unjudged_points", "worst_area_rel_error", "median_area_rel_error", "regioncam_s", "exact_s", "compare_s"]
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:.3g}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=1))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
