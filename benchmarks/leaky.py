"""Benchmark: linear regions of leaky-ReLU networks in 2-D, exactrelu against regioncam, in the same run.

Seeded networks 2-w-...-w-1 with He-normal weights rounded to float32 and a
negative slope of float32(0.01) (regioncam computes in float32, so both see
the same network: exactrelu reads every float32 weight and the slope
exactly) are enumerated over [-1, 1]^2 by
- regioncam (Rust, float32): ``Regioncam(size=1)`` + ``linear`` + ``leaky_relu``;
- exactrelu: the planar algorithm (float filters, exact fallback), then the
  exact vertices of every region (the "exact vertices included" time), and
  the exact re-check that the regions tile the square (not timed).

Prints counts, seconds (best of --repeat, wall and the CPU seconds of that
run: the machine may be shared) and ratios; writes benchmarks/results/leaky.json.
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
import time  # noqa: E402
import zlib  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CASES = ["2-8-8-1", "2-16-16-1", "2-32-32-1", "2-16-16-16-1", "2-64-64-1"]
SLOPE = np.float32(0.01)


def make_layers(widths: list, seed: int) -> list:
    """He-normal weights N(0, 2/fan_in), biases N(0, 0.1^2), both float32; the last layer is the output."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(0.0, np.sqrt(2.0 / widths[i]), (widths[i + 1], widths[i])).astype(np.float32),
             rng.normal(0.0, 0.1, widths[i + 1]).astype(np.float32)) for i in range(len(widths) - 1)]


def timed(fn, repeat: int) -> tuple:
    """(result, best wall seconds, CPU seconds of that run)."""
    best = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best[1]:
            best = (out, wall, cpu)
    return best


def regioncam_count(layers: list) -> int:
    import regioncam

    rc = regioncam.Regioncam(size=1.0)  # the square [-1, 1]^2
    for i, (W, b) in enumerate(layers):
        rc.linear(np.ascontiguousarray(W.T), b)
        if i < len(layers) - 1:
            rc.leaky_relu(float(SLOPE))
    return rc.num_faces


def exact_network(layers: list):
    from exactrelu import Network
    from exactrelu.nets.activation import leaky

    act = leaky(Fraction(float(SLOPE)))
    return Network([(W.astype(np.float64), b.astype(np.float64), act) for W, b in layers[:-1]],
                   output=(layers[-1][0].astype(np.float64), layers[-1][1].astype(np.float64)))


def run_case(arch: str, seed: int, repeat: int) -> dict:
    widths = [int(w) for w in arch.split("-")]
    layers = make_layers(widths, seed)
    net = exact_network(layers)
    box = ([-1, -1], [1, 1])
    count_rc, rc_wall, rc_cpu = timed(lambda: regioncam_count(layers), repeat)

    def exact():
        part = net.regions(box, method="planar")
        t0 = time.process_time()
        for r in part:
            r.vertices
        return part, time.process_time() - t0

    (part, vert_cpu), wall, cpu = timed(exact, repeat)
    assert sum(part.volumes()) == 4  # the regions tile the square exactly
    for r in part[:: max(1, len(part) // 50)]:  # a sample re-checked exactly: witness pattern, T1 map
        r.check(net)
    row = {"case": arch, "seed": seed, "exactrelu": {"count": len(part), "seconds": round(wall, 5),
                                                     "cpu_seconds": round(cpu, 5), "vertices_cpu": round(vert_cpu, 5)},
           "regioncam": {"count": count_rc, "seconds": round(rc_wall, 5), "cpu_seconds": round(rc_cpu, 5)},
           "ratio_wall": round(wall / rc_wall, 2), "ratio_cpu": round(cpu / max(rc_cpu, 1e-9), 2), "notes": []}
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
    try:
        import regioncam  # noqa: F401
    except ImportError:
        print("regioncam is not installed: nothing to compare against")
        return 1
    rows = [run_case(arch, args.seed + zlib.crc32(arch.encode()) % 1000, args.repeat)
            for arch in (args.cases.split(",") if args.cases else CASES)]
    print(f"{'case':<16}{'exactrelu':>10}{'s':>9}{'cpu s':>8}{'regioncam':>10}{'s':>9}{'ratio':>7}{'cpu ratio':>10}")
    for r in rows:
        ex, rc = r["exactrelu"], r["regioncam"]
        print(f"{r['case']:<16}{ex['count']:>10}{ex['seconds']:>9.4f}{ex['cpu_seconds']:>8.3f}{rc['count']:>10}"
              f"{rc['seconds']:>9.4f}{r['ratio_wall']:>7.2f}{r['ratio_cpu']:>10.2f}")
        for note in r["notes"]:
            print(f"    note: {note}")
    out = ROOT / "benchmarks" / "results" / "leaky.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "slope": float(SLOPE), "repeat": args.repeat,
                               "cases": rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
