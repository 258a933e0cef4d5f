"""Benchmark: linear regions of leaky-ReLU networks in 2-D, exactrelu against regioncam, in the same run.

Seeded networks 2-w-...-w-1 with He-normal weights rounded to float32 and a
negative slope of float32(0.01) (regioncam computes in float32, so both see
the same network: exactrelu reads every float32 weight and the slope
exactly) are enumerated over [-1, 1]^2 by
- regioncam (Rust, float32): ``Regioncam(size=1)`` + ``linear`` + ``leaky_relu``;
- exactrelu: the planar algorithm (float filters, exact fallback), then the
  exact vertices of every region (the "exact vertices included" time), and
  the exact re-check that the regions tile the square (not timed).

Prints counts, seconds (best of --repeat, wall clock) and ratios: exactrelu's
enumeration and enumeration plus exact vertices against regioncam, and, as a
peer inside exactrelu, the same weights with plain ReLU (what leaky ReLU costs
over ReLU); writes benchmarks/results/leaky.json.
A count difference is reported with its cause: exactrelu's regions are
checked exactly (tiling, witness patterns), so a difference is regioncam's
float32 arithmetic.

    python3 benchmarks/leaky.py [--cases 2-16-16-1,2-32-32-1] [--repeat 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import zlib  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regions import planar_cuts, timed  # noqa: E402  (best of N: the same timing as the ReLU benchmark)

ROOT = Path(__file__).resolve().parents[1]
CASES = ["2-8-8-1", "2-16-16-1", "2-32-32-1", "2-16-16-16-1", "2-64-64-1"]
SLOPE = np.float32(0.01)


def make_layers(widths: list, seed: int) -> list:
    """He-normal weights N(0, 2/fan_in), biases N(0, 0.1^2), both float32; the last layer is the output."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(0.0, np.sqrt(2.0 / widths[i]), (widths[i + 1], widths[i])).astype(np.float32),
             rng.normal(0.0, 0.1, widths[i + 1]).astype(np.float32)) for i in range(len(widths) - 1)]


def regioncam_count(layers: list) -> int:
    import regioncam

    rc = regioncam.Regioncam(size=1.0)  # the square [-1, 1]^2
    for i, (W, b) in enumerate(layers):
        rc.linear(np.ascontiguousarray(W.T), b)
        if i < len(layers) - 1:
            rc.leaky_relu(float(SLOPE))
    return rc.num_faces


def exact_network(layers: list, slope: Any = SLOPE):
    """The same float32 weights, exactly; ``slope`` None: plain ReLU (the peer inside exactrelu)."""
    from exactrelu import Network
    from exactrelu.nets.activation import leaky

    act = None if slope is None else leaky(Fraction(float(slope)))
    return Network([(W.astype(np.float64), b.astype(np.float64), act) for W, b in layers[:-1]],
                   output=(layers[-1][0].astype(np.float64), layers[-1][1].astype(np.float64)))


def exact_run(net, repeat: int) -> tuple:
    """(partition, best enumeration seconds, best enumeration + exact vertices seconds), wall clock."""
    box = ([-1, -1], [1, 1])
    part, enum, _ = timed(lambda: net.regions(box, method="planar"), repeat)

    def with_vertices():
        p = net.regions(box, method="planar")
        return [r.vertices for r in p]

    _, total, _ = timed(with_vertices, repeat)
    return part, enum, total


def run_case(arch: str, seed: int, repeat: int) -> dict:
    widths = [int(w) for w in arch.split("-")]
    layers = make_layers(widths, seed)
    net = exact_network(layers)
    count_rc, rc_wall, _ = timed(lambda: regioncam_count(layers), repeat)
    part, enum, total = exact_run(net, repeat)
    assert sum(part.volumes()) == 4  # the regions tile the square exactly
    for r in part[:: max(1, len(part) // 50)]:  # a sample re-checked exactly: witness pattern, T1 map
        r.check(net)
    relu_part, relu_enum, relu_total = exact_run(exact_network(layers, None), repeat)
    row = {"case": arch, "seed": seed,
           "exactrelu": {"count": len(part), "enumerate_s": round(enum, 5), "with_vertices_s": round(total, 5)},
           "regioncam": {"count": count_rc, "seconds": round(rc_wall, 6)},
           "ratio_enumerate": round(enum / rc_wall, 2), "ratio_with_vertices": round(total / rc_wall, 2),
           "relu_same_weights": {"count": len(relu_part), "enumerate_s": round(relu_enum, 5),
                                 "with_vertices_s": round(relu_total, 5)},
           "leaky_over_relu": round(total / relu_total, 2), "notes": []}
    if count_rc != len(part):
        row["notes"].append(f"regioncam counts {count_rc}, exactrelu {len(part)} (exactly checked): the difference "
                            "is regioncam's float32 arithmetic")
    return row


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", help=f"comma-separated architectures (default {','.join(CASES)})")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(f"planar cuts: {planar_cuts()}")  # loaded before any timing: the runs measure the steady state
    try:
        import regioncam  # noqa: F401
    except ImportError:
        print("regioncam is not installed: nothing to compare against")
        return 1
    rows = [run_case(arch, args.seed + zlib.crc32(arch.encode()) % 1000, args.repeat)
            for arch in (args.cases.split(",") if args.cases else CASES)]
    print(f"{'case':<14}{'exactrelu':>10}{'regioncam':>10}{'rc s':>9}{'enum s':>9}{'+vert s':>9}"
          f"{'ratio':>7}{'ratio+v':>8}{'relu +v s':>10}{'leaky/relu':>11}")
    for r in rows:
        ex, rc = r["exactrelu"], r["regioncam"]
        print(f"{r['case']:<14}{ex['count']:>10}{rc['count']:>10}{rc['seconds']:>9.4f}{ex['enumerate_s']:>9.4f}"
              f"{ex['with_vertices_s']:>9.4f}{r['ratio_enumerate']:>7.1f}{r['ratio_with_vertices']:>8.1f}"
              f"{r['relu_same_weights']['with_vertices_s']:>10.4f}{r['leaky_over_relu']:>11.2f}")
        for note in r["notes"]:
            print(f"    note: {note}")
    out = ROOT / "benchmarks" / "results" / "leaky.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "planar_cuts": planar_cuts(), "slope": float(SLOPE), "repeat": args.repeat,
                               "cases": rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
