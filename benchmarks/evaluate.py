"""Benchmark: batched evaluation in the exact and numpy contexts, against plain baselines in the same run.

Cases (seeded; weights converted exactly):
- exact batch forward, 1000 inputs, on ACAS Xu 1_1 (5-50x6-5, the shipped
  ONNX file; float32 inputs in [-1/2, 1/2]^5) and on width 32, depth 20
  with two kinds of weights: "float32" (He-normal weights rounded to
  float32, i.e. dyadic rationals as in a trained network) and "p/q" (small
  rationals p/q with q <= 9).  Two peers, timed in the same run:
  the *floor*, the bare chain of flint ``fmpz_mat`` products W_l Y_l that
  computes the same outputs (integer weights q_l W_l times the integer
  states Y_l of the batch, each state reduced by the gcd of its entries and
  its common denominator; the states are computed beforehand, untimed, by
  the independent reference ``floor_chain`` below, so only the products are
  timed: biases, ReLU and conversions are left out); target: within 3x.
  And a plain ``fractions.Fraction`` forward pass, input by input
  (``fraction_forward``); target: >= 10x faster.
- numpy context on 2-32-32-1 with 10^5 inputs.  Target: >= 10^5 inputs/s.
  Baseline: the bare numpy expression (no validation), to show the overhead.
- float_error_bounds and crosscheck on 2-32-32-1 with 1000 inputs (rates only).

Prints a table with ratios; writes benchmarks/results/evaluate.json.

    python3 benchmarks/evaluate.py [--quick] [--repeat 3] [--only exact]

The exact results are compared entry by entry with the Fraction baseline's
and with the floor chain's outputs (a mismatch aborts the run), so the
ratios are measured on equal answers.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import flint  # noqa: E402
import numpy as np  # noqa: E402

from exactrelu.nets.network import Network  # noqa: E402
from exactrelu.numeric.evaluation import crosscheck, evaluate  # noqa: E402
from exactrelu.numeric.errorbounds import float_error_bounds  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "evaluate.json"
ACAS = HERE.parents[1] / "shared" / "data" / "acasxu" / "ACASXU_run2a_1_1_batch_2000.onnx"


def make_net(widths: list, seed: int, kind: str) -> Network:
    """Hidden layers between widths[0] and widths[-2]; the last layer is an affine output layer."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(len(widths) - 1):
        m, k = widths[i + 1], widths[i]
        if kind == "float32":
            W = rng.normal(0.0, np.sqrt(2.0 / k), (m, k)).astype(np.float32)
            b = rng.normal(0.0, 0.1, m).astype(np.float32)
        else:  # small rationals p/q, q <= 9, with the same scale
            W = [[Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 10))) * Fraction(3, k) for _ in range(k)]
                 for _ in range(m)]
            b = [Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 10))) / 10 for _ in range(m)]
        layers.append((W, b))
    return Network(layers[:-1], output=layers[-1])


def fraction_forward(net: Network, x: tuple) -> tuple:
    """The plain baseline: one input at a time, Python Fractions, one multiply-add per weight."""
    y = list(x)
    for W, b in net.layers:
        y = [max(sum((w * v for w, v in zip(row, y)), bj), 0) for row, bj in zip(W, b)]
    if net.output is not None:
        W, b = net.output
        y = [sum((w * v for w, v in zip(row, y)), bj) for row, bj in zip(W, b)]
    return tuple(y)


def best_time(fn, repeat: int) -> tuple:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def floor_chain(net: Network, X: np.ndarray) -> tuple:
    """The integer products that compute net(X) exactly, as pairs (q_l W_l, Y_l), and the exact outputs.

    A reference independent of the package's exact context: Y_0 holds the inputs over their common
    power-of-two denominator D_0 (one column per input); Z = q W Y + q b D, D <- q D; ReLU entry by entry;
    then the state and D are divided by the gcd of all their entries.  Only the products q W Y are timed.
    """
    rows = [[Fraction(v) for v in r] for r in X.T.tolist()]  # one row per input coordinate
    D = math.lcm(1, *(v.denominator for r in rows for v in r))
    Y = [[int(v * D) for v in r] for r in rows]
    pairs, layers = [], [*net.layers, *([net.output] if net.output is not None else [])]
    for i, (W, b) in enumerate(layers):
        q = math.lcm(*(v.denominator for r in W for v in r), *(v.denominator for v in b))
        Wq = flint.fmpz_mat([[int(v * q) for v in r] for r in W])
        Ym = flint.fmpz_mat(Y)
        pairs.append((Wq, Ym))
        Z = (Wq * Ym).tolist()
        Z = [[int(z) + int(bj * q) * D for z in r] for r, bj in zip(Z, b)]
        D *= q
        if i < len(net.layers):
            Z = [[max(z, 0) for z in r] for r in Z]
            g = math.gcd(D, *(z for r in Z for z in r))
            Z, D = [[z // g for z in r] for r in Z], D // g
        Y = Z
    out = [tuple(Fraction(Y[j][i], D) for j in range(len(Y))) for i in range(X.shape[0])]
    return pairs, out


def bench_exact(case: str, net: Network, X: np.ndarray, n_baseline: int, repeat: int) -> dict:
    n_inputs = X.shape[0]
    out = evaluate(net, X)
    pairs, ref = floor_chain(net, X)
    if ref != out:
        raise SystemExit(f"exact context and the floor chain disagree ({case})")
    t_exact = t_floor = float("inf")
    for _ in range(repeat):  # alternated, so that a busy spell of a shared machine hits both
        t_exact = min(t_exact, best_time(lambda: evaluate(net, X), 1)[0])
        t_floor = min(t_floor, best_time(lambda: [W * Y for W, Y in pairs], 1)[0])
    rows = [tuple(Fraction(v) for v in row) for row in X[:n_baseline].tolist()]
    t0 = time.perf_counter()
    base = [fraction_forward(net, r) for r in rows]
    t_base = (time.perf_counter() - t0) * n_inputs / n_baseline  # per-input cost, scaled to the same batch
    if base != out[:n_baseline]:
        raise SystemExit(f"exact context and Fraction baseline disagree ({case})")
    bits = max(max(abs(v.numerator).bit_length(), v.denominator.bit_length()) for r in out for v in r)
    state_bits = max(v.bit_length() for _, Y in pairs for v in Y.entries())
    return {"case": f"exact {case}", "inputs": n_inputs, "seconds": t_exact, "inputs_per_second": n_inputs / t_exact,
            "floor": "fmpz_mat product chain", "floor_seconds": t_floor, "over_floor": t_exact / t_floor,
            "floor_target": "<= 3x", "floor_met": t_exact / t_floor <= 3,
            "baseline": "Fraction loop", "baseline_seconds": t_base, "baseline_inputs_timed": n_baseline,
            "speedup": t_base / t_exact, "target": ">= 10x", "met": t_base / t_exact >= 10,
            "output_bits": bits, "max_state_bits": state_bits}


def exact_cases(n_inputs: int, n_baseline: int, repeat: int) -> list:
    rows = []
    if ACAS.is_file():
        from exactrelu.interop.onnx_io import load_onnx

        XA = np.random.default_rng(3).uniform(-0.5, 0.5, (n_inputs, 5)).astype(np.float32).astype(np.float64)
        rows.append(bench_exact("ACAS Xu 1_1", load_onnx(ACAS), XA, n_baseline, repeat))
    else:
        print(f"ACAS Xu not found at {ACAS}: that case skipped")
    X = np.random.default_rng(2).uniform(-1, 1, (n_inputs, 32)).astype(np.float32).astype(np.float64)  # dyadic
    for kind in ("float32", "p/q"):
        rows.append(bench_exact(f"32x20 {kind}", make_net([32] + [32] * 20 + [1], seed=1, kind=kind), X,
                                n_baseline, repeat))
    return rows


def bench_numpy(n_inputs: int, repeat: int) -> dict:
    net = make_net([2, 32, 32, 1], seed=3, kind="float32")
    X = np.random.default_rng(4).uniform(-1, 1, (n_inputs, 2))
    t_ctx, out = best_time(lambda: evaluate(net, X, "numpy"), repeat)
    Ws = [(np.array(W, dtype=np.float64).T, np.array(b, dtype=np.float64)) for W, b in
          [([[float(v) for v in r] for r in W], [float(v) for v in b]) for W, b in (*net.layers, net.output)]]

    def bare():
        Y = X
        for WT, b in Ws[:-1]:
            Y = np.maximum(Y @ WT + b, 0)
        return Y @ Ws[-1][0] + Ws[-1][1]

    t_bare, ref = best_time(bare, repeat)
    if not np.array_equal(ref, out):
        raise SystemExit("numpy context and bare numpy disagree")
    rate = n_inputs / t_ctx
    return {"case": "numpy 2-32-32-1", "inputs": n_inputs, "seconds": t_ctx, "inputs_per_second": rate,
            "baseline": "bare numpy", "baseline_seconds": t_bare, "overhead": t_ctx / t_bare,
            "target": ">= 1e5 inputs/s", "met": rate >= 1e5}


def bench_bounds(n_inputs: int, repeat: int) -> list:
    net = make_net([2, 32, 32, 1], seed=3, kind="float32")
    X = np.random.default_rng(5).uniform(-1, 1, (n_inputs, 2))
    t_b, _ = best_time(lambda: float_error_bounds(net, X), repeat)
    t_c, rep = best_time(lambda: crosscheck(net, X), repeat)
    t_e, _ = best_time(lambda: evaluate(net, X), repeat)
    return [
        {"case": "float_error_bounds 2-32-32-1", "inputs": n_inputs, "seconds": t_b, "inputs_per_second": n_inputs / t_b,
         "baseline": "exact evaluate", "baseline_seconds": t_e, "ratio_to_exact": t_b / t_e},
        {"case": "crosscheck numpy 2-32-32-1", "inputs": n_inputs, "seconds": t_c, "inputs_per_second": n_inputs / t_c,
         "baseline": "exact evaluate", "baseline_seconds": t_e, "ratio_to_exact": t_c / t_e, "ok": rep.ok,
         "unstable": len(rep.unstable)},
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer inputs and repeats")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["exact"], help="run only the exact cases")
    args = ap.parse_args()
    repeat = 1 if args.quick else args.repeat
    n_exact, n_base = (200, 20) if args.quick else (1000, 100)
    rows = exact_cases(n_exact, n_base, repeat)
    print(f"{'case':24} {'inputs':>6} {'seconds':>8} {'inputs/s':>9} {'floor s':>8} {'/floor':>7} {'Fraction s':>10} "
          f"{'speedup':>8}  targets")
    for r in rows:
        print(f"{r['case']:24} {r['inputs']:>6} {r['seconds']:>8.4f} {r['inputs_per_second']:>9.0f} "
              f"{r['floor_seconds']:>8.4f} {r['over_floor']:>7.2f} {r['baseline_seconds']:>10.3f} {r['speedup']:>8.1f}  "
              f"floor {r['floor_target']}: {'met' if r['floor_met'] else 'NOT met'}; "
              f"Fraction {r['target']}: {'met' if r['met'] else 'NOT met'}")
    if args.only != "exact":
        rest = [bench_numpy(20_000 if args.quick else 100_000, repeat)]
        rest += bench_bounds(200 if args.quick else 1000, repeat)
        print(f"\n{'case':32} {'inputs':>7} {'seconds':>9} {'baseline s':>11} {'ratio':>9}  note")
        for r in rest:
            ratio = r.get("overhead") or r.get("ratio_to_exact")
            if "overhead" in r:
                note = (f"{r['inputs_per_second']:.3g} inputs/s (target {r['target']}: "
                        f"{'met' if r['met'] else 'NOT met'}); {r['overhead']:.2f}x bare numpy")
            else:
                note = f"{r['inputs_per_second']:.3g} inputs/s; {r['ratio_to_exact']:.1f}x the exact evaluate"
            print(f"{r['case']:32} {r['inputs']:>7} {r['seconds']:>9.4f} {r['baseline_seconds']:>11.4f} {ratio:>9.2f}  {note}")
        rows += rest
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "quick": args.quick, "repeat": repeat,
            "only": args.only}
    out = RESULTS if args.only is None else RESULTS.with_name(f"evaluate_{args.only}.json")
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
