"""Benchmark: does the oracle tell float32 from TF32, bfloat16 and float16?  (issue 11's table)

For seeded torch MLPs with torch's default initialisation (8-64x4-4, 5-50x6-5,
16-256x6-8, 32-512x8-10, 64-1024x4-10: input-width x depth-outputs), exact
test vectors at random inputs in [-1, 1] (float32), and four implementations:

- float32: torch on the CPU (and, with a GPU, cuBLAS without TF32);
- tf32: :class:`exactrelu.numeric.precision.EmulatedContext` on the CPU (and
  torch with ``allow_tf32`` on a GPU);
- bfloat16 and float16: the torch model cast to that dtype (and autocast on a GPU).

Each is compared under the "float32" model (the discrimination table: worst
error / bound, and the verdict), under the same model with the optional
probabilistic bound (failure probability 1e-6; not a guarantee), and under its
own model.  Also printed: the looseness of the float32 bound (bound / the
largest error of the correct float32 pass, at the output where they are
closest), rigorous and probabilistic, the old bound (``float_error_bounds``,
|W| propagation; only with ``--old``, it is slow), and the cost of the first
compare() (layers prepared included) against make_vectors on the same
inputs, wall clock and CPU time.  With a GPU the same rows run with cuBLAS
(TF32 through ``allow_tf32``).  Writes benchmarks/results/oracle_precisions.json.

    python benchmarks/oracle_precisions.py [--inputs 32] [--sizes 16-256x6-8,32-512x8-10] [--old] [--blas-threads 1]

make_vectors runs on one core (flint); ``--blas-threads 1`` gives compare's
matrix products one core too (threadpoolctl), the like-for-like cost.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import time
from pathlib import Path

import numpy as np

from exactrelu import from_torch, oracle
from exactrelu.numeric.errorbounds import float_error_bounds
from exactrelu.numeric.precision import EmulatedContext

RESULTS = Path(__file__).resolve().parent / "results" / "oracle_precisions.json"
SIZES = "8-64x4-4,5-50x6-5,16-256x6-8,32-512x8-10,64-1024x4-10"
IMPLS = ("float32", "tf32", "bfloat16", "float16")
PROB = 1e-6  # failure probability of the optional probabilistic bound


def mlp(torch, size: str, seed: int = 0):
    """The torch MLP for 'd-wxL-m' (torch default init, seeded)."""
    d, rest = size.split("-", 1)
    w, rest = rest.split("x")
    L, m = rest.split("-")
    d, w, L, m = int(d), int(w), int(L), int(m)
    torch.manual_seed(seed)
    mods = [torch.nn.Linear(d, w), torch.nn.ReLU()]
    for _ in range(L - 1):
        mods += [torch.nn.Linear(w, w), torch.nn.ReLU()]
    return torch.nn.Sequential(*mods, torch.nn.Linear(w, m)), d


def implementations(torch, model, net, device: str) -> dict:
    """name -> function from a float32 batch to outputs, on ``device``."""
    def run(dtype, tf32=False):
        m = copy.deepcopy(model).to(device=device, dtype=dtype)

        def fn(X):
            if device == "cuda":
                torch.backends.cuda.matmul.allow_tf32 = tf32
            with torch.no_grad():
                return m(torch.from_numpy(X).to(device=device, dtype=dtype)).float().cpu()
        return fn

    emulated = EmulatedContext("tf32")
    tf32 = run(torch.float32, True) if device == "cuda" else (lambda X: emulated.forward(net, X).output)
    return {"float32": run(torch.float32), "tf32": tf32, "bfloat16": run(torch.bfloat16), "float16": run(torch.float16)}


def worst(report) -> float:
    """The largest error / bound over all outputs of a report."""
    return max((d.ratio for d in report.rounding + report.real_errors), default=0.0)


def one_size(torch, size: str, n_inputs: int, device: str, old: bool) -> dict:  # long: one table row, timed
    model, d = mlp(torch, size)
    net = from_torch(model)
    X = np.random.default_rng(1).uniform(-1, 1, (n_inputs, d)).astype(np.float32)
    t, c = time.perf_counter(), time.process_time()
    vecs = oracle.make_vectors(net, X)
    t_make, c_make = time.perf_counter() - t, time.process_time() - c
    impls = implementations(torch, model, net, device)
    row: dict = {"size": size, "device": device, "inputs": n_inputs, "make_vectors_s": round(t_make, 3),
                 "make_vectors_cpu_s": round(c_make, 3)}
    for name, fn in impls.items():
        t, c = time.perf_counter(), time.process_time()
        r32 = oracle.compare(fn, vecs, "float32")
        dt, dc = time.perf_counter() - t, time.process_time() - c
        row.setdefault("compare_first_cpu_s", round(dc, 3))
        t = time.perf_counter()
        own = oracle.compare(fn, vecs, name)
        row.setdefault("compare_cached_s", round(time.perf_counter() - t, 3))  # float32 again: layers prepared
        p32 = oracle.compare(fn, vecs, "float32", failure_probability=PROB)
        row[name] = {"under_float32": "real errors" if not r32.ok else "rounding", "worst_ratio_float32": worst(r32),
                     "own_model_ok": own.ok, "worst_ratio_own": worst(own), "compare_s": round(dt, 3),
                     "under_float32_probabilistic": "real errors" if not p32.ok else "rounding",
                     "worst_ratio_float32_probabilistic": worst(p32)}
    row["compare_over_make_wall"] = round(row["float32"]["compare_s"] / t_make, 3)
    row["compare_over_make_cpu"] = round(row["compare_first_cpu_s"] / c_make, 3)
    good = oracle.compare(impls["float32"], vecs, "float32")
    goodp = oracle.compare(impls["float32"], vecs, "float32", failure_probability=PROB)
    row["looseness_probabilistic"] = 1 / worst(goodp) if worst(goodp) else float("inf")
    errs = [float(x.error) for x in good.rounding] or [0.0]
    bounds = [float(x.bound) for x in good.rounding]
    row["float32_max_error"] = max(errs)
    row["float32_bound_max"], row["float32_bound_min"] = max(bounds, default=0.0), min(bounds, default=0.0)
    row["looseness_worst"] = 1 / worst(good) if worst(good) else float("inf")
    row["looseness_max_bound_over_max_error"] = row["float32_bound_max"] / max(errs) if max(errs) else float("inf")
    if old:
        t = time.perf_counter()
        ob = float_error_bounds(net, [v.input for v in vecs], "float32")
        row["old_bound_s"] = round(time.perf_counter() - t, 3)
        row["old_bound_max"] = max(float(max(e.output)) for e in ob if e.available)
        row["old_looseness"] = row["old_bound_max"] / max(errs) if max(errs) else float("inf")
    return row


def table(rows: list) -> str:
    """The discrimination table: per network, each implementation under "float32" (rigorous, then probabilistic)."""
    head = ("| network | device | " + " | ".join(f"{n} under float32: rigorous / probabilistic" for n in IMPLS)
            + " | own model ok | looseness rigorous / probabilistic | make / first compare s (CPU ratio) |")
    lines = [head, "|" + "---|" * (len(IMPLS) + 5)]
    flag = lambda verdict: "FLAGGED" if verdict == "real errors" else "pass"  # noqa: E731
    for r in rows:
        cells = [f"{flag(r[n]['under_float32'])} {r[n]['worst_ratio_float32']:.3g} / "
                 f"{flag(r[n]['under_float32_probabilistic'])} {r[n]['worst_ratio_float32_probabilistic']:.3g}"
                 for n in IMPLS]
        own = "/".join("y" if r[n]["own_model_ok"] else "N" for n in IMPLS)
        loose = f"{r['looseness_worst']:.3g} / {r['looseness_probabilistic']:.3g}"
        loose += f" (old {r['old_looseness']:.3g})" if "old_looseness" in r else ""
        times = f"{r['make_vectors_s']:.2f} / {r['float32']['compare_s']:.2f} ({r['compare_over_make_cpu']:.2f})"
        lines.append(f"| {r['size']} | {r['device']} | " + " | ".join(cells) + f" | {own} | {loose} | {times} |")
    return "\n".join(lines)


def main() -> int:
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inputs", type=int, default=32)
    p.add_argument("--sizes", default=SIZES)
    p.add_argument("--old", action="store_true", help="also time the old |W|-propagation bound (slow)")
    p.add_argument("--blas-threads", type=int, default=None, help="limit numpy's BLAS threads (needs threadpoolctl)")
    args = p.parse_args()
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"devices: {devices}" + ("" if len(devices) > 1 else " (no GPU: CUDA rows skipped)"))
    rows = [one_size(torch, s, args.inputs, dev, args.old) for s in args.sizes.split(",") for dev in devices]
    print(table(rows))
    out = RESULTS if args.blas_threads is None else RESULTS.with_name(f"oracle_precisions_blas{args.blas_threads}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "torch": torch.__version__,
                                   "blas_threads": args.blas_threads, "rows": rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
