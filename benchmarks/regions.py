"""Benchmark: linear-region enumeration, exactrelu against its peers in the same run.

Seeded networks (He-normal float64 weights, biases N(0, 0.1^2), converted
exactly) are enumerated over [-1, 1]^d by
- exactrelu: the exact planar path for d = 2 (exactrelu.regions.planar), the
  general path exactrelu.regions.regions for d > 2 (skipped with a note when
  it is not available);
- regioncam (d = 2 only): a Rust float32 region counter.  It takes float32
  weights, so exactrelu also counts the float32-rounded network exactly, which
  tells whether a count difference comes from the rounding of the weights or
  from regioncam's float32 arithmetic;
- baseline_highs: our float64 LP-splitting baseline with tolerance 1e-9, run
  in a child process under a per-case time limit;
- relucent (d > 2, with --relucent): its breadth-first search over the cells
  of the same float64 network meeting the cube, in a child process.

Besides the random He-normal cases there are degenerate ones where many
boundaries meet in common points: "integer-..." (weights in [-3, 3], biases
in [-2, 2], all exact in float32) and "concurrent-2-8-8-1" (every boundary
through (1/3, 1/5)).  When regioncam's count differs, exactrelu's regions are
verified by an independent exact check (``verify``), and the float32-rounded
network is counted exactly to tell weight rounding from float32 arithmetic.

Prints counts, seconds and ratios; writes benchmarks/results/regions.json.

    python3 benchmarks/regions.py [--quick] [--cases 2-32-32-1,3-16-16-1] [--timeout 120]

Timing: wall-clock seconds (best of --repeat runs) and the process CPU seconds
of that run, with OpenBLAS limited to one thread (the matrices are small; on a
shared machine extra BLAS threads only contend).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_highs import BaselineTimeout, count_regions_highs  # noqa: E402

from exactrelu.nets.network import Network  # noqa: E402
from exactrelu.regions.planar import planar_regions  # noqa: E402

ALL_CASES = ["2-8-8-1", "2-16-16-1", "2-16-16-16-1", "2-32-32-1", "2-64-64-64-1", "3-16-16-1", "4-12-12-1",
             "concurrent-2-8-8-1", "integer-2-32-32-1", "integer-2-64-64-64-1"]
QUICK_CASES = ["2-8-8-1", "2-16-16-1", "3-16-16-1", "concurrent-2-8-8-1"]
RESULTS = Path(__file__).resolve().parent / "results" / "regions.json"


def concurrent_layers() -> list:
    """A degenerate network whose every boundary passes through p = (1/3, 1/5).

    Layer 0: eight lines a x + b y + c = 0 with small integer coefficients
    through p (p itself is not a float); layer 1: small integer weights, zero
    biases, so every layer-1 pre-activation vanishes at p too.  All weights
    are exact in float32: a count difference is arithmetic, not rounding.
    """
    L0 = np.array([(3, 0, -1), (0, 5, -1), (3, 5, -2), (3, -5, 0), (6, 5, -3), (3, 10, -3), (9, -5, -2), (-3, 5, 0)],
                  float)
    rng = np.random.default_rng(1)
    for _ in range(5):  # the fifth draw is one where regioncam's float32 arithmetic is misled (found by trying)
        W1 = rng.integers(-2, 3, (8, 8)).astype(float)
    return [(L0[:, :2], L0[:, 2]), (W1, np.zeros(8)), (np.ones((1, 8)), np.zeros(1))]


def integer_layers(widths: list[int], seed: int) -> list:
    """Small integer weights in [-3, 3] and biases in [-2, 2]: many boundaries meet in common points."""
    rng = np.random.default_rng(seed)
    return [(rng.integers(-3, 4, (widths[i + 1], widths[i])).astype(float),
             rng.integers(-2, 3, widths[i + 1]).astype(float)) for i in range(len(widths) - 1)]


def parse_case(arch: str) -> tuple[list[int], str]:
    """(widths, kind) of a case name: '2-32-32-1', 'integer-2-32-32-1' or 'concurrent-2-8-8-1'."""
    kind = next((k for k in ("concurrent", "integer") if arch.startswith(k + "-")), "random")
    try:
        widths = [int(t) for t in arch.removeprefix(kind + "-").split("-")]
    except ValueError:
        raise SystemExit(f"bad case {arch!r}: expected widths like 2-32-32-1") from None
    if kind == "concurrent" and widths != [2, 8, 8, 1]:
        raise SystemExit("the concurrent case exists for 2-8-8-1 only")
    return widths, kind


def build_layers(arch: str, seed: int) -> list:
    widths, kind = parse_case(arch)
    if kind == "concurrent":
        return concurrent_layers()
    return integer_layers(widths, seed) if kind == "integer" else make_layers(widths, seed)


def verify(net: Network, regs: list) -> str:
    """Check exactly that ``regs`` are the linear regions of ``net`` in [-1, 1]^2 (independently of how).

    Distinct patterns, exact areas summing to 4, every vertex in the closed
    activation domain of its region's pattern (z >= 0 active, z <= 0
    inactive, from Network.prefix_maps), every witness with its region's
    pattern: together these prove the list is exactly the set of regions.
    """
    import flint

    if len({r.pattern for r in regs}) != len(regs):
        return "FAILED: repeated pattern"
    if sum(r.volume() for r in regs) != 4:
        return "FAILED: areas do not tile the box"
    for r in regs:
        if net.pattern(r.witness).layers != r.pattern.layers:
            return f"FAILED: witness of {r.pattern}"
        maps = list(net.prefix_maps(r.pattern))
        for x, y in r.vertices:
            point = flint.fmpq_mat(2, 1, [flint.fmpq(x.numerator, x.denominator), flint.fmpq(y.numerator, y.denominator)])
            for (M, m), bits in zip(maps, r.pattern.layers):
                z = (M * point + m).entries()
                if any((v < 0) if bit else (v > 0) for v, bit in zip(z, bits)):
                    return f"FAILED: vertex of {r.pattern}"
    return "verified"


def make_layers(widths: list[int], seed: int) -> list:
    """He-normal float64 weights N(0, 2/fan_in), biases N(0, 0.1^2); the last layer is the output."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(0.0, np.sqrt(2.0 / widths[i]), (widths[i + 1], widths[i])), rng.normal(0.0, 0.1, widths[i + 1]))
            for i in range(len(widths) - 1)]


def exact_network(layers: list) -> Network:
    return Network([(W, b) for W, b in layers[:-1]], output=layers[-1])


def timed(fn, repeat: int):
    """(result, best wall seconds, CPU seconds of that run)."""
    best = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best[1]:
            best = (out, wall, cpu)
    return best


def run_regioncam(layers: list, repeat: int):
    try:
        import regioncam
    except ImportError:
        return None

    def go():
        rc = regioncam.Regioncam(size=1.0)  # the square [-1, 1]^2
        for i, (W, b) in enumerate(layers):
            rc.linear(np.ascontiguousarray(W.T, dtype=np.float32), np.asarray(b, dtype=np.float32))
            if i < len(layers) - 1:
                rc.relu()
        return rc.num_faces

    return timed(go, repeat)


def _child(queue, kind: str, layers: list, dim: int) -> None:
    """Run one timed computation in a child process; report (status, count, seconds)."""
    t0 = time.perf_counter()
    try:
        if kind == "baseline":
            n = count_regions_highs(layers[:-1], [-1.0] * dim, [1.0] * dim)
        elif kind == "relucent":
            n = count_relucent(layers)
        else:
            from exactrelu.regions import regions

            box = _box(dim)
            n = len(regions(exact_network(layers), box))
        queue.put(("ok", n, time.perf_counter() - t0))
    except BaselineTimeout as exc:
        queue.put(("timeout", exc.pieces, time.perf_counter() - t0))
    except Exception as exc:  # reported in the table, never hidden
        queue.put(("error", f"{type(exc).__name__}: {exc}", time.perf_counter() - t0))


def count_relucent(layers: list) -> int:
    """relucent's count: the cells of the same float64 network (torch) that its breadth-first search finds
    meeting the cube [-1, 1]^d (cube_mode "intersect")."""
    import relucent
    import torch

    mods = []
    for i, (W, b) in enumerate(layers):
        lin = torch.nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.asarray(W, dtype=np.float64)))
            lin.bias.copy_(torch.from_numpy(np.asarray(b, dtype=np.float64)))
        mods += [lin, torch.nn.ReLU()] if i < len(layers) - 1 else [lin]
    cx = relucent.Complex(torch.nn.Sequential(*mods))
    cx.bfs(cube_radius=1.0, cube_mode="intersect", verbose=0)
    return len(cx)


def _box(dim: int):
    lower, upper = [-1] * dim, [1] * dim
    try:
        from exactrelu.exact.polyhedron import Box

        return Box(lower, upper)
    except ImportError:
        return (lower, upper)


def in_child(kind: str, layers: list, dim: int, timeout: float) -> dict:
    """Run a computation in a forked child under a wall-clock limit."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, kind, layers, dim))
    t0 = time.perf_counter()
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return {"status": "timeout", "count": None, "seconds": round(time.perf_counter() - t0, 3)}
    try:
        status, value, seconds = queue.get(timeout=5)
    except Exception:
        return {"status": "error", "count": None, "seconds": None, "error": f"child exit code {proc.exitcode}"}
    if status == "ok":
        return {"status": "ok", "count": value, "seconds": round(seconds, 4)}
    if status == "timeout":
        return {"status": "timeout", "count": None, "seconds": round(seconds, 3)}
    return {"status": "error", "count": None, "seconds": round(seconds, 3), "error": value}


def general_available() -> str | None:
    """None when exactrelu.regions.regions can run, else why not."""
    try:
        from exactrelu.regions import regions  # noqa: F401
    except Exception as exc:
        return f"exactrelu.regions.regions not available ({type(exc).__name__}: {exc})"
    return None


def run_case(arch: str, seed: int, timeout: float, repeat: int, baseline: bool, relucent: bool = False) -> dict:
    widths, _ = parse_case(arch)
    dim = widths[0]
    layers = build_layers(arch, seed)
    net = exact_network(layers)
    row: dict = {"case": arch, "dim": dim, "seed": seed, "notes": []}
    if dim == 2:
        regs, wall, cpu = timed(lambda: planar_regions(net, ([-1, -1], [1, 1])), repeat)
        row["exactrelu"] = {"method": "planar", "count": len(regs), "seconds": round(wall, 4), "cpu": round(cpu, 4)}
        rc = run_regioncam(layers, repeat)
        if rc is None:
            row["notes"].append("regioncam not installed")
        else:
            row["regioncam"] = {"count": rc[0], "seconds": round(rc[1], 5)}
            row["ratio_vs_regioncam"] = round(wall / rc[1], 2)
            if rc[0] != len(regs):
                f32 = [(W.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)) for W, b in layers]
                n32 = len(planar_regions(exact_network(f32), ([-1, -1], [1, 1])))
                row["exactrelu_float32_weights"] = n32
                cause = ("the float32 rounding of the weights (exactrelu on the float32-rounded network agrees)"
                         if n32 == rc[0] else "regioncam's float32 arithmetic (it differs from the exact count of "
                         "its own float32 network too)")
                row["notes"].append(f"regioncam counts {rc[0]}, exactrelu {len(regs)}: caused by {cause}")
                t0 = time.perf_counter()
                row["exactrelu_check"] = verify(net, regs)
                row["notes"].append(f"exactrelu's regions {row['exactrelu_check']} by an independent exact check "
                                    f"(tiling, domains, witnesses) in {time.perf_counter() - t0:.1f} s")
    else:
        why = general_available()
        if why:
            row["exactrelu"] = {"method": "general", "status": "skipped"}
            row["notes"].append(why)
        else:
            res = in_child("general", layers, dim, timeout)
            row["exactrelu"] = {"method": "general", **res}
    if relucent and dim > 2:
        res = row["relucent"] = in_child("relucent", layers, dim, timeout)
        ours = row["exactrelu"].get("count")
        if res["status"] == "ok" and row["exactrelu"].get("seconds"):
            row["ratio_vs_relucent"] = round(row["exactrelu"]["seconds"] / res["seconds"], 4)
            if res["count"] != ours:
                row["notes"].append(f"relucent finds {res['count']} cells meeting the cube, exactrelu {ours} regions")
        elif res["status"] != "ok":
            row["notes"].append(f"relucent: {res['status']} {res.get('error', '')}".rstrip())
    if baseline:
        res = in_child("baseline", layers, dim, timeout)
        row["baseline_highs"] = res
        ours = row["exactrelu"].get("count")
        if res["status"] == "ok" and ours is not None:
            if res["seconds"] and row["exactrelu"].get("seconds"):
                row["ratio_vs_baseline"] = round(row["exactrelu"]["seconds"] / res["seconds"], 4)
            if res["count"] != ours:
                row["notes"].append(f"baseline (tol 1e-9) counts {res['count']}, exactrelu {ours}: "
                                    "a boundary passes within the tolerance of a vertex")
        elif res["status"] == "timeout":
            row["notes"].append(f"baseline timed out after {timeout:g} s")
    return row


def _keep_baseline(row: dict, earlier: dict) -> None:
    """Copy an earlier run's baseline result into ``row`` (its ratio recomputed with the new time)."""
    bl = row["baseline_highs"] = earlier["baseline_highs"]
    row["notes"] += [n for n in earlier.get("notes", []) if n.startswith("baseline")]
    row["notes"].append("baseline measured in an earlier run (--merge --no-baseline)")
    secs = row.get("exactrelu", {}).get("seconds")
    if bl.get("status") == "ok" and bl.get("seconds") and secs:
        row["ratio_vs_baseline"] = round(secs / bl["seconds"], 4)


def fmt(v, spec="") -> str:
    if v is None:
        return "-"
    return format(v, spec) if spec else str(v)


def print_table(rows: list) -> None:
    head = f"{'case':<20}{'exactrelu':>10}{'s':>9}{'cpu s':>8}{'regioncam':>10}{'s':>9}{'ratio':>7}" \
           f"{'baseline':>9}{'s':>9}{'ratio':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ex, rc, bl = r.get("exactrelu", {}), r.get("regioncam", {}), r.get("baseline_highs", {})
        bl_count = bl.get("count") if bl.get("status") == "ok" else bl.get("status")
        print(f"{r['case']:<20}{fmt(ex.get('count', ex.get('status'))):>10}{fmt(ex.get('seconds'), '.4f'):>9}"
              f"{fmt(ex.get('cpu'), '.3f'):>8}{fmt(rc.get('count')):>10}{fmt(rc.get('seconds'), '.4f'):>9}"
              f"{fmt(r.get('ratio_vs_regioncam')):>7}{fmt(bl_count):>9}{fmt(bl.get('seconds'), '.2f'):>9}"
              f"{fmt(r.get('ratio_vs_baseline')):>8}")
        if "relucent" in r:
            rl = r["relucent"]
            print(f"    relucent: {fmt(rl.get('count', rl.get('status')))} cells in {fmt(rl.get('seconds'), '.2f')} s, "
                  f"ratio exactrelu / relucent {fmt(r.get('ratio_vs_relucent'))}")
        for note in r["notes"]:
            print(f"    note: {note}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"small cases only ({', '.join(QUICK_CASES)})")
    ap.add_argument("--cases", help="comma-separated architectures, e.g. 2-32-32-1,3-16-16-1")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per case for the baseline and general path")
    ap.add_argument("--repeat", type=int, default=5, help="runs of the fast methods; the best wall time counts")
    ap.add_argument("--no-baseline", action="store_true", help="skip the HiGHS baseline")
    ap.add_argument("--relucent", action="store_true", help="also time relucent (d > 2; needs relucent and torch)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--merge", action="store_true",
                    help="keep the other cases already in the JSON file (run long cases one at a time)")
    args = ap.parse_args(argv)
    print(f"planar cuts: {planar_cuts()}")  # loaded before any timing: the runs measure the steady state
    cases = args.cases.split(",") if args.cases else (QUICK_CASES if args.quick else ALL_CASES)
    rows = []
    for arch in cases:
        arch = arch.strip()
        # the seed depends on the case only, so that cases run separately build the same networks
        seed = args.seed + (ALL_CASES.index(arch) if arch in ALL_CASES else zlib.crc32(arch.encode()))
        rows.append(run_case(arch, seed, args.timeout, args.repeat, not args.no_baseline, args.relucent))
        print(f"done {arch}", file=sys.stderr)
    out = Path(args.out)
    if args.merge and out.exists():
        done = {r["case"]: r for r in rows}
        previous = json.loads(out.read_text()).get("cases", [])
        if args.no_baseline:  # keep the earlier baseline measurement of a case re-run without it
            for r in previous:
                if r["case"] in done and "baseline_highs" in r:
                    _keep_baseline(done[r["case"]], r)
        old = [r for r in previous if r["case"] not in done]
        order = {c: i for i, c in enumerate(ALL_CASES)}
        rows = sorted(old + rows, key=lambda r: order.get(r["case"], len(order)))
    print_table(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "planar_cuts": planar_cuts(), "cpus": os.cpu_count(), "timeout": args.timeout,
                               "repeat": args.repeat, "cases": rows}, indent=1))
    print(f"wrote {out}")
    return 0


def planar_cuts() -> str:
    """Which planar cuts run: compiled (the fast extra, numba; loaded by this call) or Python."""
    from exactrelu.regions.planar import compiled

    return "compiled (numba)" if compiled() is not None else "Python (pip install 'exactrelu[fast]' to compile them)"


if __name__ == "__main__":
    sys.exit(main())
