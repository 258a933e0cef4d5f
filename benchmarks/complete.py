"""Benchmark: the complete answer for planar regions, exactrelu against regioncam in the same run (issue 9).

"Complete" means the regions and, for every region, its vertices, its affine
map, an interior point and its area.  For seeded He-normal networks (as in
benchmarks/regions.py, weights rounded to float32 so that both tools see the
same network) over the box [-1, 1]^2:

- regioncam (a Rust float32 tool): enumeration alone, and enumeration plus its
  float read-out of the same four things (vertex_inputs with each face's
  vertex_ids, face_outputs, the centroid of each face's first three vertices,
  each face's area);
- exactrelu: ``exactrelu.regions.planar.planar_regions`` (the enumeration),
  then on those regions, in this order, the exact ``vertices``,
  ``affine_map``, ``witness`` and ``volume()`` of every region (each is built
  lazily on first use; later ones reuse what earlier ones built, as in use);
  and, from another fresh enumeration, all four at once by
  ``Partition.exact_fields()`` (one pass, cyclic garbage collection paused):
  the "one call" column.

Each repeat starts from a fresh enumeration; the best wall time of each phase
counts and the exact total is the sum of those.  Checks printed with the table:
exactrelu's count against regioncam's, and that the exact areas add up to
exactly 4, the box's area.  Ratios are exactrelu's seconds over regioncam's.

Prints a table; writes benchmarks/results/complete.json.

    python3 benchmarks/complete.py [--cases 2-32-32-1,2-64-64-64-1] [--repeat 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import flint  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regions import exact_network, make_layers, planar_cuts  # noqa: E402

from exactrelu.regions.planar import planar_regions  # noqa: E402

CASES = ["2-32-32-1", "2-64-64-64-1"]
RESULTS = Path(__file__).resolve().parent / "results" / "complete.json"
FIELDS = {  # the lazy exact fields, in the order they are timed
    "vertices": lambda r: r.vertices,
    "maps": lambda r: r.affine_map,
    "witnesses": lambda r: r.witness,
    "areas": lambda r: r.volume(),
}


def float32_layers(widths: list[int], seed: int) -> list:
    """make_layers' He-normal layers with every weight and bias rounded to float32 (what regioncam computes with)."""
    return [(W.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64))
            for W, b in make_layers(widths, seed)]


def seconds(fn) -> tuple:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def regioncam_run(layers: list, readout: bool):
    """regioncam's enumeration, and with ``readout`` its float vertices, maps, interior points and areas."""
    import regioncam

    rc = regioncam.Regioncam(size=1.0)  # the square [-1, 1]^2
    for i, (W, b) in enumerate(layers):
        rc.linear(np.ascontiguousarray(W.T, dtype=np.float32), np.asarray(b, dtype=np.float32))
        if i < len(layers) - 1:
            rc.relu()
    if not readout:
        return rc.num_faces, None
    xy = np.asarray(rc.vertex_inputs)
    faces = list(rc.faces)
    ids = [f.vertex_ids for f in faces]
    vertices = [xy[i] for i in ids]
    maps = np.asarray(rc.face_outputs)
    witnesses = [v[:3].mean(axis=0) for v in vertices]
    areas = [f.area for f in faces]
    return rc.num_faces, (vertices, maps, witnesses, areas)


def exact_run(net) -> tuple:
    """(the regions, {phase: seconds}) for one fresh enumeration and the four fields after it."""
    regs, t = seconds(lambda: planar_regions(net, ([-1, -1], [1, 1])))
    times = {"enumerate": t}
    out = {}
    for name, get in FIELDS.items():
        out[name], times[name] = seconds(lambda: [get(r) for r in regs])
    again = planar_regions(net, ([-1, -1], [1, 1]))
    _, times["exact_fields"] = seconds(again.exact_fields)
    return regs, out, times


def run_case(arch: str, seed: int, repeat: int) -> dict:
    widths = [int(w) for w in arch.split("-")]
    layers = float32_layers(widths, seed)
    net = exact_network(layers)
    rc_enum = min(seconds(lambda: regioncam_run(layers, False))[1] for _ in range(repeat))
    rc_full = min(seconds(lambda: regioncam_run(layers, True))[1] for _ in range(repeat))
    rc_count = regioncam_run(layers, False)[0]
    best: dict = {}
    for _ in range(repeat):
        regs, out, times = exact_run(net)
        for k, v in times.items():
            best[k] = min(best.get(k, v), v)
    area_sum = sum(out["areas"], Fraction(0))
    total = sum(v for k, v in best.items() if k != "exact_fields")
    one_call = best["enumerate"] + best["exact_fields"]
    return {"case": arch, "seed": seed, "regions": len(regs), "regioncam_regions": rc_count,
            "areas_sum_to_4": area_sum == 4, "regioncam_enumerate": rc_enum, "regioncam_complete": rc_full,
            "exactrelu": best, "exactrelu_complete": total, "exactrelu_complete_one_call": one_call,
            "ratio_enumerate": best["enumerate"] / rc_enum, "ratio_complete": total / rc_full,
            "ratio_complete_one_call": one_call / rc_full}


def print_row(r: dict) -> None:
    ex = r["exactrelu"]
    print(f"{r['case']:>14} {r['regions']:>7} {r['regioncam_regions']:>7} {r['regioncam_enumerate']:>8.4f} "
          f"{r['regioncam_complete']:>8.4f} {ex['enumerate']:>8.4f} {ex['vertices']:>8.4f} {ex['maps']:>8.4f} "
          f"{ex['witnesses']:>8.4f} {ex['areas']:>8.4f} {r['exactrelu_complete']:>8.4f} "
          f"{r['exactrelu_complete_one_call']:>8.4f} {r['ratio_enumerate']:>6.1f}x {r['ratio_complete']:>6.1f}x "
          f"{r['ratio_complete_one_call']:>6.1f}x {'yes' if r['areas_sum_to_4'] else 'NO':>5}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated architectures with input dimension 2")
    ap.add_argument("--repeat", type=int, default=3, help="fresh runs per case; each phase's best wall time counts")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    print(f"planar cuts: {planar_cuts()}")  # loaded before any timing: the runs measure the steady state
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    bad = [c for c in cases if not c.startswith("2-")]
    if bad:
        ap.error(f"--cases: the planar read-out needs input dimension 2, got {', '.join(bad)}")
    try:
        import regioncam  # noqa: F401
    except ImportError:
        print("regioncam is not installed (pip install 'exactrelu[regioncam]'): nothing to compare against")
        return 1
    print("seconds, best of", args.repeat, "(rc = regioncam; exact total = enumeration + the four exact fields;"
          " one call = enumeration + exact_fields(); ratios = exactrelu / regioncam)")
    print(f"{'case':>14} {'regions':>7} {'rc':>7} {'rc enum':>8} {'rc+read':>8} {'enum':>8} {'vertices':>8} "
          f"{'maps':>8} {'witness':>8} {'areas':>8} {'total':>8} {'one call':>8} {'enum':>7} {'total':>7} "
          f"{'1 call':>7} {'sum=4':>5}")
    rows = []
    for arch in cases:
        rows.append(run_case(arch, args.seed, args.repeat))
        print_row(rows[-1])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                               "python": platform.python_version(), "python_flint": flint.__version__,
                               "repeat": args.repeat, "cases": rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
