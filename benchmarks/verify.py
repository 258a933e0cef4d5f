"""Benchmark: exact verification (exactrelu.verify) on ACAS Xu and on tiny networks near their exact maximum.

Part 1, ACAS Xu: the shipped networks and VNN-LIB properties (../shared/data/acasxu, or
$EXACTRELU_ACAS_DIR): properties 3, 4 and 1 on 1_1, 1_6 and 1_7 (property 4:
tests/data/acasxu_prop_4.vnnlib, the data ships properties 1 and 3 only), each with a time limit
(--acas-timeout, default 60 s). Reports status, seconds, nodes and exact LPs.

Part 2, tiny networks: random 2-4-4-1 networks (float32 weights, read exactly), input box
[-1, 1]^2, unsafe set "Y_0 >= t" with t the exact maximum moved by a relative offset
(-1e-4, -1e-7, +1e-7, +1e-4) and rounded to a float64 (so every tool gets the same number).
The truth comes from exact region enumeration (max of each region's affine map at its vertices).
Compared in the same run: exactrelu.verify and Marabou (maraboupy, if installed). Counts wrong
answers and reports the median time per query and the ratio exactrelu / Marabou.

Prints tables and writes benchmarks/results/verify.json.
Usage: python benchmarks/verify.py [--quick] [--nets N] [--acas-timeout S] [--skip-acas | --skip-tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from exactrelu import Network
from exactrelu.exact.polyhedron import Box
from exactrelu.optional import available
from exactrelu.testing import acas_dir
from exactrelu.verification import verify
from exactrelu.vnnlib import Property

HERE = Path(__file__).resolve().parent
OFFSETS = (-1e-4, -1e-7, 1e-7, 1e-4)
PROP_4 = HERE.parent / "tests" / "data" / "acasxu_prop_4.vnnlib"  # written from Katz et al.'s phi_4 (see its comments)


def run_acas(timeout: float) -> list:
    from exactrelu.interop.io import load
    from exactrelu.vnnlib import read

    d = acas_dir()
    if d is None:
        print("ACAS Xu data not found: part 1 skipped")
        return []
    rows = []
    props = {"prop_1": d / "prop_1.vnnlib", "prop_3": d / "prop_3.vnnlib", "prop_4": PROP_4}
    for net_id, prop in [(n, p) for p in ("prop_3", "prop_4", "prop_1") for n in ("1_1", "1_6", "1_7")]:
        net, p = load(d / f"ACASXU_run2a_{net_id}_batch_2000.onnx"), read(props[prop])
        t = time.perf_counter()
        r = verify(net, p, time_limit=timeout)
        rows.append({"network": net_id, "property": prop, "status": r.status, "seconds": time.perf_counter() - t,
                     **r.stats})
        print(f"{net_id:5} {prop:7} {r.status:8} {rows[-1]['seconds']:8.2f} s  {r.stats['nodes']:7} nodes "
              f"{r.stats['lps']:7} LPs", flush=True)
    return rows


def f32(a) -> list:
    return [Fraction(float(np.float32(v))) for v in a]


def tiny_net(rng) -> Network:
    layers = [([f32(r) for r in rng.normal(size=(4, 2))], f32(rng.normal(size=4))),
              ([f32(r) for r in rng.normal(size=(4, 4))], f32(rng.normal(size=4)))]
    return Network(layers, output=([f32(rng.normal(size=4))], f32(rng.normal(size=1))))


def exact_max(net: Network) -> Fraction:
    return max(max(r.A[0][0] * v[0] + r.A[0][1] * v[1] + r.c[0] for v in r.polyhedron.vertices())
               for r in net.regions(Box([-1, -1], [1, 1])))


def marabou_answer(path: str, t: float) -> str:
    from maraboupy import Marabou

    m = Marabou.read_onnx(path)
    for v in np.array(m.inputVars[0]).flatten():
        m.setLowerBound(v, -1.0)
        m.setUpperBound(v, 1.0)
    m.setLowerBound(np.array(m.outputVars[0]).flatten()[0], t)
    return m.solve(options=Marabou.createOptions(verbosity=0, timeoutInSeconds=60), verbose=False)[0]


def run_tiny(count: int, seed: int) -> dict:
    from exactrelu.interop.onnx_io import onnx_bytes

    have_marabou = available("maraboupy")
    rng = np.random.default_rng(seed)
    rec = {"exactrelu": {"wrong": 0, "unknown": 0, "times": []}, "marabou": {"wrong": 0, "unknown": 0, "times": []}}
    tmp = tempfile.mkdtemp()
    for i in range(count):
        net = tiny_net(rng)
        top = exact_max(net)
        path = os.path.join(tmp, f"net{i}.onnx")
        Path(path).write_bytes(onnx_bytes(net))  # float32 weights: the ONNX file holds them exactly
        for off in OFFSETS:
            t = Fraction(float(top + abs(top) * Fraction(off) if top else Fraction(off)))
            truth = "sat" if t <= top else "unsat"
            start = time.perf_counter()
            ours = verify(net, Property.box([-1, -1], [1, 1], [[([-1], -t)]]), time_limit=60).status
            rec["exactrelu"]["times"].append(time.perf_counter() - start)
            _score(rec["exactrelu"], ours, truth)
            if have_marabou:
                start = time.perf_counter()
                theirs = marabou_answer(path, float(t))
                rec["marabou"]["times"].append(time.perf_counter() - start)
                _score(rec["marabou"], theirs, truth)
    if not have_marabou:
        rec.pop("marabou")
    return rec


def _score(r: dict, answer: str, truth: str) -> None:
    if answer not in ("sat", "unsat"):
        r["unknown"] += 1
    elif answer != truth:
        r["wrong"] += 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6 tiny networks, ACAS with a 20 s limit")
    ap.add_argument("--nets", type=int, default=25, help="tiny networks (4 queries each)")
    ap.add_argument("--acas-timeout", type=float, default=60.0, help="seconds per ACAS Xu query")
    ap.add_argument("--skip-acas", action="store_true", help="only part 2")
    ap.add_argument("--skip-tiny", action="store_true", help="only part 1")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    nets, acas_limit = (6, 20.0) if args.quick else (args.nets, args.acas_timeout)
    print("Part 1: ACAS Xu (exact, proof-checked)\nnet   prop    status    seconds    nodes    LPs")
    acas = [] if args.skip_acas else run_acas(acas_limit)
    if args.skip_tiny:
        tiny = {}
    else:
        print(f"\nPart 2: {nets} random 2-4-4-1 networks x {len(OFFSETS)} thresholds near the exact maximum")
        tiny = run_tiny(nets, args.seed)
    print("tool        queries  wrong  unknown  median ms/query")
    for name, r in tiny.items():
        print(f"{name:11} {len(r['times']):7} {r['wrong']:6} {r['unknown']:8} {1000 * statistics.median(r['times']):12.1f}")
    if "marabou" in tiny:
        ratio = statistics.median(tiny["exactrelu"]["times"]) / statistics.median(tiny["marabou"]["times"])
        print(f"exactrelu / Marabou median time: {ratio:.2f}x")
    elif tiny:
        print("maraboupy is not installed: no float verifier to compare with")
    out = {"platform": platform.platform(), "acas": acas, "tiny": {k: {**v, "median_s": statistics.median(v["times"])}
                                                                    for k, v in tiny.items()}}
    path = HERE / "results" / "verify.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
