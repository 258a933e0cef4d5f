"""Benchmark: how tight can ANY rigorous float32 bound be?  An adversarial correct float32 implementation.

A rigorous bound must cover every summation order.  This script builds one
correct float32 implementation of the network (every product and every sum a
float32 operation, rounded to nearest) whose summation order is chosen, per
neuron, to make each rounding err in the direction that the exact Jacobian
carries to one output: positive terms first, then negative ones, each time the
term whose addition rounds most in the wanted direction.  Its error at that
output is a LOWER bound on every rigorous any-order bound there; divided by the
largest error of torch's float32 pass (over all inputs and outputs) it is a
lower bound on the looseness that issue 11's target ("bound <= 1,000 x torch's
largest error") asks about.  The rigorous bound of exactrelu (Jacobian bound,
proofs/float_error_bounds.md) is printed next to it, and checked to cover it.

    python benchmarks/oracle_floor.py [--sizes 32-512x8-10,64-1024x4-10] [--inputs 32] [--pairs 2]

Writes benchmarks/results/oracle_floor.json.  Cost: about n^3 per layer per
(input, output) pair (numpy), a minute for a pair at width 1024.
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from exactrelu import from_torch, oracle

from oracle_precisions import mlp

RESULTS = Path(__file__).resolve().parent / "results" / "oracle_floor.json"


def adversarial_layer(W: np.ndarray, b: np.ndarray, y: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """One layer in float32, each neuron's terms summed in the order that rounds toward ``sign`` the most."""
    T = np.concatenate([(W * y[None, :]).astype(np.float32), b[:, None]], axis=1)  # rounded products, bias
    d, n = T.shape
    T64 = T.astype(np.float64)
    used = T == 0  # adding 0 is exact
    s = np.zeros(d, np.float32)
    first = np.where(T64.sum(axis=1) >= 0, 1.0, -1.0)  # the larger side first: partial sums grow large
    rows = np.arange(d)
    for _ in range(n):
        rest = ~used
        if not rest.any():
            break
        same = rest & (np.sign(T64) == first[:, None])
        allowed = np.where(same.any(axis=1)[:, None], same, rest)
        cand = s[:, None] + T  # float32 sums: rounded to nearest
        err = cand.astype(np.float64) - (s.astype(np.float64)[:, None] + T64)  # a guide: which way it rounds
        j = np.argmax(np.where(allowed, sign[:, None] * err, -np.inf), axis=1)
        ok = allowed[rows, j]
        s = np.where(ok, cand[rows, j], s)
        used[rows[ok], j[ok]] = True
    return s


def adversarial_output(Ws: list, bs: list, x: np.ndarray, masks: list, o: int) -> np.float32:
    """Output ``o`` of the adversarial float32 pass at ``x`` (masks: the exact activation pattern)."""
    g = [None] * len(Ws)
    row = np.zeros(Ws[-1].shape[0])
    row[o] = 1.0
    g[-1] = row
    for k in range(len(Ws) - 2, -1, -1):  # the Jacobian row of output o at each layer (signs only: a guide)
        row = (row @ Ws[k + 1].astype(np.float64)) * masks[k]
        g[k] = row
    y = x.astype(np.float32)
    for k, (W, b) in enumerate(zip(Ws, bs)):
        z = adversarial_layer(W, b, y, np.sign(g[k]))
        y = np.maximum(z, np.float32(0)) if k < len(Ws) - 1 else z
    return y[o]


def one_size(torch, size: str, n_inputs: int, pairs: int) -> dict:
    model, d = mlp(torch, size)
    net = from_torch(model)
    X = np.random.default_rng(1).uniform(-1, 1, (n_inputs, d)).astype(np.float32)
    vecs = oracle.make_vectors(net, X)
    with torch.no_grad():
        out = model(torch.from_numpy(X)).numpy()
    report = oracle.compare(lambda A: out, vecs, "float32")
    torch_max = max(float(x.error) for x in report.rounding + report.real_errors)
    bound = {(x.input_index, x.output_index): x.bound for x in report.rounding + report.real_errors}
    Ws = [np.array([[float(v) for v in r] for r in W], np.float32) for W, _ in net.layers]
    Ws.append(np.array([[float(v) for v in r] for r in net.output[0]], np.float32))
    bs = [np.array([float(v) for v in b], np.float32) for _, b in net.layers] + [np.array([float(v) for v in net.output[1]], np.float32)]
    rows = []
    for p in range(pairs):
        i, o = p % n_inputs, p % net.output_dim
        masks = [np.array([1.0 if z > 0 else 0.0 for z in m]) for m in vecs[i].margins]
        t = time.perf_counter()
        got = adversarial_output(Ws, bs, X[i], masks, o)
        err = abs(Fraction(float(got)) - vecs[i].output[o])
        b = bound.get((i, o))
        rows.append({"input": i, "output": o, "adversarial_error": float(err),
                     "over_torch_max": float(err) / torch_max, "bound": float(b) if b is not None else None,
                     "bound_over_adversarial": float(b / err) if b is not None and err else None,
                     "within_bound": b is not None and err <= b, "seconds": round(time.perf_counter() - t, 1)})
    return {"size": size, "inputs": n_inputs, "torch_max_error": torch_max,
            "rigorous_looseness": 1 / max(x.ratio for x in report.rounding), "pairs": rows}


def main() -> int:
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="32-512x8-10,64-1024x4-10")
    p.add_argument("--inputs", type=int, default=32)
    p.add_argument("--pairs", type=int, default=2, help="(input, output) pairs attacked per network")
    args = p.parse_args()
    out = [one_size(torch, s, args.inputs, args.pairs) for s in args.sizes.split(",")]
    print("| network | torch max error | adversarial / torch max (a floor for any rigorous bound's looseness) |"
          " exactrelu bound / adversarial | exactrelu looseness | adversary within the bound |")
    print("|---|---|---|---|---|---|")
    for r in out:
        best = max(r["pairs"], key=lambda q: q["over_torch_max"])
        print(f"| {r['size']} | {r['torch_max_error']:.3g} | {best['over_torch_max']:.0f} | "
              f"{min(q['bound_over_adversarial'] or float('inf') for q in r['pairs']):.2f} | "
              f"{r['rigorous_looseness']:.0f} | {all(q['within_bound'] for q in r['pairs'])} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
