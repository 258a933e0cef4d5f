"""Benchmark: regions of 2-D slices through three inputs, exactrelu against regioncam, in the same run.

regioncam (a Rust float32 region counter) builds the plane through three
points itself (``Regioncam.through_points``: x = t W + b, W and b float32, t
in a square 1.5 times the points' extent).  exactrelu reads that plane's W, b
and square exactly into a
:class:`exactrelu.Slice` and enumerates the same plane's regions exactly, so
the two count the same set; the networks' weights are float32 (ACAS Xu's
ONNX files, the digits fixture), identical for both.  A count difference is
then regioncam's float32 arithmetic, and is reported with exactrelu's exact
re-check of its own regions (tiling, each region's witness pattern).

Cases: ACAS Xu 1_1 through three points of property 1's input box, and the
64-64-64-10 digits MLP (tests/data/digits_mlp.npz) through three training
images.  Columns: the counts, regioncam's seconds (enumeration, and
enumeration plus its float vertices of every face), exactrelu's enumeration
seconds (planar algorithm, float filters with exact fallback; best of
--repeat, with the first run, which also converts the network's weights to
floats and loads the compiled code, beside it), then the cost of what a
user gets after ``regions()`` returns: exact vertices, the T1 maps,
witnesses, exact areas, and the adjacency graph (exact shared edges).
Ratios: enumeration; enumeration and exact vertices against regioncam's
enumeration, and against regioncam's enumeration and float vertices (the
same deliverable); everything.

    python3 benchmarks/slices.py [--repeat 3] [--quick]

Writes benchmarks/results/slices.json (ignored by git).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regions import planar_cuts  # noqa: E402  (which planar cuts ran)

ROOT = Path(__file__).resolve().parents[1]
ACAS = ROOT.parent / "shared" / "data" / "acasxu" / "ACASXU_run2a_1_1_batch_2000.onnx"
DIGITS = ROOT / "tests" / "data" / "digits_mlp.npz"


def float32_layers(net) -> list:
    """The network's layers as float32 arrays (W transposed for regioncam), checked to be exact."""
    pairs = list(net.layers) + ([net.output] if net.output else [])
    out = []
    for W, b in pairs:
        W32, b32 = np.array(W, dtype=np.float64).astype(np.float32), np.array(b, dtype=np.float64).astype(np.float32)
        if any(Fraction(float(v)) != x for row32, row in zip(W32, W) for v, x in zip(row32, row)):
            raise ValueError("a weight is not a float32: regioncam would see another network")
        out.append((np.ascontiguousarray(W32.T), b32))
    return out


def regioncam_count(points: np.ndarray, layers: list) -> tuple:
    import regioncam

    rc = regioncam.Regioncam.through_points(points.astype(np.float32))
    for i, (W, b) in enumerate(layers):
        rc.linear(W, b)
        if i < len(layers) - 1:
            rc.relu()
    return rc.num_faces, rc


def regioncam_vertices(points: np.ndarray, layers: list) -> list:
    """regioncam's enumeration and its float vertices of every face (in the plane's coordinates): what
    ``[r.vertices for r in part]`` gives exactly."""
    _, rc = regioncam_count(points, layers)
    xy = np.asarray(rc.vertex_inputs)
    return [xy[f.vertex_ids] for f in rc.faces]


def exactrelu_case(net, rc, repeat: int) -> dict:
    """Enumerate regioncam's plane and square exactly, then time each thing a user may ask for next."""
    from exactrelu.nets.slice import Slice

    W, b = np.asarray(rc.plane.weight), np.asarray(rc.plane.bias)
    corners = np.asarray(rc.vertex_inputs)  # the square's corners are vertices: its float32 bounds, read exactly
    lo, hi = [[Fraction(float(v)) for v in f(corners, axis=0)] for f in (np.min, np.max)]
    s = Slice([Fraction(float(v)) for v in b], [[Fraction(float(v)) for v in row] for row in W], lo, hi)
    row, times = {}, []
    for _ in range(repeat):  # fresh enumerations; the first also converts the layers to floats, loads machine code
        t0 = time.perf_counter()
        part = net.regions(s)
        times.append(time.perf_counter() - t0)
    row["enumerate"] = min(times)
    steps = [("vertices", lambda: [r.vertices for r in part]), ("maps", lambda: [r.affine_map for r in part]),
             ("witnesses", lambda: [r.witness for r in part]), ("areas", lambda: part.volumes()),
             ("graph", lambda: part.adjacencies())]
    for name, step in steps:
        t0 = time.perf_counter()
        step()
        row[name] = time.perf_counter() - t0
    assert sum(part.volumes()) == s.box.volume()  # the regions tile the plane's square exactly
    return {"count": len(part), "seconds": row, "total": sum(row.values()), "adjacencies": len(part.adjacencies()),
            "first_enumeration": times[0]}


def _seconds(run) -> float:
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def cases(quick: bool) -> list:
    from exactrelu.interop.io import load

    out = []
    if ACAS.exists():
        acas = load(str(ACAS))
        lo = np.array([0.6, -0.5, -0.5, 0.45, -0.5])
        hi = np.array([0.679857769, 0.5, 0.5, 0.5, -0.45])
        pts = [lo + (hi - lo) * f for f in (np.array([0.5, 0.5, 0.5, 0.5, 0.5]), np.array([0.5, 0.6, 0.5, 0.5, 0.5]),
                                             np.array([0.5, 0.5, 0.6, 0.5, 0.5]))]
        out.append(("ACAS Xu 1_1, prop. 1 box", acas, np.array(pts)))
    if DIGITS.exists():
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        digits = load(DIGITS)
        for triple in ((0, 1, 7),) if quick else ((0, 1, 7), (3, 5, 8)):
            pts = np.array([X[list(y).index(k)] / 16 for k in triple])
            out.append((f"digits MLP, images {triple}", digits, pts))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each enumeration (best time kept)")
    parser.add_argument("--quick", action="store_true", help="one digits case")
    args = parser.parse_args()
    print(f"planar cuts: {planar_cuts()}")  # loaded before any timing: the runs measure the steady state
    rows = []
    for name, net, pts in cases(args.quick):
        layers = float32_layers(net)
        best = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            count, rc = regioncam_count(pts, layers)
            took = time.perf_counter() - t0
            best = took if best is None else min(best, took)
        with_vertices = min(_seconds(lambda: regioncam_vertices(pts, layers)) for _ in range(args.repeat))
        ex = exactrelu_case(net, rc, args.repeat)
        sec = ex["seconds"]
        ours = sec["enumerate"] + sec["vertices"]
        rows.append({"case": name, "regioncam": {"count": count, "seconds": best, "with_vertices": with_vertices},
                     "exactrelu": ex, "ratio_enumerate": sec["enumerate"] / best,
                     "ratio_with_vertices": ours / best, "ratio_with_vertices_both": ours / with_vertices,
                     "ratio_total": ex["total"] / best})
        r = rows[-1]
        print(f"{name:<32} regioncam {count:>6} {best:7.4f}s ({with_vertices:7.4f}s with its float vertices)   "
              f"exactrelu {ex['count']:>6} {sec['enumerate']:7.4f}s (+ after: " +
              ", ".join(f"{k} {v:.4f}s" for k, v in sec.items() if k != "enumerate") +
              f")  ratio {r['ratio_enumerate']:.1f}x; with exact vertices {r['ratio_with_vertices']:.1f}x "
              f"(against regioncam with its vertices {r['ratio_with_vertices_both']:.1f}x); with everything "
              f"{r['ratio_total']:.1f}x  (first enumeration {ex['first_enumeration']:.3f}s)")
    out = ROOT / "benchmarks" / "results" / "slices.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "planar_cuts": planar_cuts(), "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
