"""Benchmark: exact LP for region enumeration, verified float-guided vs pure exact simplex vs pplpy.

The LPs are the ones activation-domain enumeration solves: for a random
pattern of a random ReLU layer (float64 weights, converted exactly), the
"interior" LP  max t  s.t.  a_i.x + t <= b_i (every row), t <= 1, inside the
box [-1, 1]^d, and the "feasible" LP (c = 0, the closed domain in the box;
infeasible ones need a Farkas certificate).  Half of the instances use a pattern realised by a random
point (feasible, interior nonempty), half a random pattern (often empty).
"layer2" instances use rows of the second layer's pre-activations on the
domain (exact products of two float64 matrices: larger numbers).

Compared, on the same instances in the same run:
  guided  - exactrelu.exact.lp.solve_lp(guide=True): HiGHS proposes, exact simplex verifies
  exact   - exactrelu.exact.lp.solve_lp(guide=False): exact revised simplex only
  auto    - exactrelu.exact.lp.solve_lp(): the default policy (guide only on larger LPs)
  pplpy   - PPL's exact MIP_Problem (skipped if pplpy is not installed;
            `pip install "gmpy2<2.4" pplpy`, not a project dependency)
Every method's status and optimal value are cross-checked.  Prints a table
(median ms per LP and ratios to the guided path) and writes
benchmarks/results/lp.json.

Usage: python benchmarks/lp.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from fractions import Fraction

import numpy as np

from exactrelu.exact.lp import solve_lp

CONFIGS = [  # (dim, hidden width m) -> LPs with m + 2*dim + 1 rows
    (2, 20),
    (2, 100),
    (4, 30),
    (4, 100),
    (6, 60),
    (8, 40),
    (8, 200),
]


def _layer1_instance(rng, d, m, feasible):
    W = rng.standard_normal((m, d))
    b = rng.standard_normal(m) * 0.5
    if feasible:
        x0 = rng.uniform(-1, 1, d)
        act = (W @ x0 + b) > 0
    else:
        act = rng.random(m) < 0.5
    rows = []
    for i in range(m):
        w = [Fraction(float(v)) for v in W[i]]
        bi = Fraction(float(b[i]))
        # active: w.x + b > 0  <=>  -w.x < b;  inactive: w.x <= -b
        rows.append(([-v for v in w], bi) if act[i] else (w, -bi))
    return rows


def _layer2_instance(rng, d, m, feasible):
    h = max(2, m // 4)
    W1 = rng.standard_normal((h, d))
    b1 = rng.standard_normal(h) * 0.5
    W2 = rng.standard_normal((m - h, h))
    b2 = rng.standard_normal(m - h) * 0.5
    x0 = rng.uniform(-1, 1, d)
    D1 = (W1 @ x0 + b1) > 0
    z2 = W2 @ np.maximum(W1 @ x0 + b1, 0) + b2
    act2 = z2 > 0 if feasible else rng.random(m - h) < 0.5
    F1 = [[Fraction(float(v)) for v in row] for row in W1]
    c1 = [Fraction(float(v)) for v in b1]
    rows = []
    for i in range(h):
        rows.append(([-v for v in F1[i]], c1[i]) if D1[i] else (F1[i], -c1[i]))
    for i in range(m - h):  # z2_i = sum_j W2_ij D1_j (W1_j x + b1_j) + b2_i, exact
        w2 = [Fraction(float(v)) for v in W2[i]]
        a = [sum((w2[j] * F1[j][k] for j in range(h) if D1[j]), Fraction(0)) for k in range(d)]
        off = sum((w2[j] * c1[j] for j in range(h) if D1[j]), Fraction(0)) + Fraction(float(b2[i]))
        rows.append(([-v for v in a], off) if act2[i] else (a, -off))
    return rows


def interior_lp(rows, d):
    """max t s.t. a.x + t <= b (every row), box rows with t, t <= 1: variables (x, t)."""
    A, b = [], []
    for a, bi in rows:
        A.append(list(a) + [Fraction(1)])
        b.append(bi)
    for k in range(d):
        for s in (1, -1):
            A.append([Fraction(s if j == k else 0) for j in range(d)] + [Fraction(1)])
            b.append(Fraction(1))
    A.append([Fraction(0)] * d + [Fraction(1)])
    b.append(Fraction(1))
    c = [Fraction(0)] * d + [Fraction(1)]
    return c, A, b


def feasibility_lp(rows, d):
    """Is the closed domain (all rows non-strict) inside the box nonempty?  c = 0, variables x."""
    A = [list(a) for a, _ in rows]
    b = [bi for _, bi in rows]
    for k in range(d):
        for s in (1, -1):
            A.append([Fraction(s if j == k else 0) for j in range(d)])
            b.append(Fraction(1))
    return [Fraction(0)] * d, A, b


def make_instances(rng, quick):
    out = []
    per = 2 if quick else 4
    configs = CONFIGS[:4] if quick else CONFIGS
    for d, m in configs:
        for kind, maker in (("layer1", _layer1_instance), ("layer2", _layer2_instance)):
            for i in range(per):
                rows = maker(rng, d, m, feasible=(i % 2 == 0))
                for lp_kind, build in (("interior", interior_lp), ("feasible", feasibility_lp)):
                    c, A, b = build(rows, d)
                    out.append(dict(kind=f"{kind}/{lp_kind}", dim=d, rows=len(A), c=c, A=A, b=b))
    return out


def run_exactrelu(inst, guide):
    """solve_lp with guide True (always guided), False (pure exact) or None (auto policy)."""
    r = solve_lp(inst["c"], inst["A"], inst["b"], maximize=True, guide=guide)
    return r.status, r.value


def run_ppl(inst):
    import ppl

    n = len(inst["c"])
    cs = ppl.Constraint_System()
    for a, bi in zip(inst["A"], inst["b"]):
        den = math.lcm(*(v.denominator for v in a), bi.denominator)
        coeffs = [int(v * den) for v in a]
        cs.insert(ppl.Linear_Expression(coeffs, -int(bi * den)) <= 0)
    den_c = math.lcm(*(v.denominator for v in inst["c"]))  # PPL takes integers: scale the objective exactly
    obj = ppl.Linear_Expression([int(v * den_c) for v in inst["c"]], 0)
    mip = ppl.MIP_Problem(n, cs, obj, "maximization")
    status = mip.solve()["status"]
    if status == "optimized":
        v = mip.optimal_value()
        return "optimal", Fraction(int(v.numerator), int(v.denominator)) / den_c
    return ("infeasible" if status == "unfeasible" else "unbounded"), None


def _time(fn, repeat):
    best = math.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer, smaller instances")
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings per LP (exactrelu paths)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    try:
        import ppl  # noqa: F401

        have_ppl = True
    except ImportError:
        have_ppl = False
        print("pplpy not installed: skipping the PPL baseline (pip install 'gmpy2<2.4' pplpy)")
    rng = np.random.default_rng(args.seed)
    instances = make_instances(rng, args.quick)
    solve_lp([1], [[1]], [1], maximize=True)  # warm up imports (scipy) outside the timings
    methods = {
        "guided": lambda i: run_exactrelu(i, True),
        "exact": lambda i: run_exactrelu(i, False),
        "auto": lambda i: run_exactrelu(i, None),
    }
    if have_ppl:
        methods["pplpy"] = run_ppl
    records = []
    for inst in instances:
        rec = dict(kind=inst["kind"], dim=inst["dim"], rows=inst["rows"])
        answers = {}
        for name, fn in methods.items():
            # pplpy is 1-100x slower: one run is enough for its ratio; ours take the best of N.
            t, ans = _time(lambda: fn(inst), 1 if name == "pplpy" else args.repeat)
            rec[name + "_ms"] = t * 1e3
            answers[name] = ans
        ref = answers["guided"]
        for name, ans in answers.items():
            if ans != ref:
                raise SystemExit(f"DISAGREEMENT on {rec}: {answers}")
        rec["status"] = ref[0]
        # interior LPs: nonempty interior iff t* > 0; feasibility LPs: nonempty iff optimal
        rec["nonempty"] = ref[0] == "optimal" and (ref[1] > 0 if "interior" in rec["kind"] else True)
        records.append(rec)
    groups: dict = {}
    for rec in records:
        groups.setdefault((rec["kind"], rec["dim"], rec["rows"]), []).append(rec)
    names = list(methods)
    head = f"{'kind':16} {'dim':>3} {'rows':>4} {'nonempty':>8} " + " ".join(f"{n + ' ms':>10}" for n in names)
    head += " " + " ".join(f"{n + '/guided':>14}" for n in names[1:])
    print(head)
    print("-" * len(head))
    summary = []
    for (kind, d, m), recs in sorted(groups.items()):
        med = {n: statistics.median(r[n + "_ms"] for r in recs) for n in names}
        feas = sum(r["nonempty"] for r in recs)
        line = f"{kind:16} {d:>3} {m:>4} {feas:>5}/{len(recs):<2} " + " ".join(f"{med[n]:>10.2f}" for n in names)
        line += " " + " ".join(f"{med[n] / med['guided']:>14.2f}" for n in names[1:])
        print(line)
        summary.append(dict(kind=kind, dim=d, rows=m, n=len(recs), median_ms=med))
    totals = {n: sum(r[n + "_ms"] for r in records) for n in names}
    print("total ms: " + ", ".join(f"{n} {totals[n]:.1f}" for n in names))
    print("all methods agree on every status and optimal value")
    out = dict(
        benchmark="lp",
        python=platform.python_version(),
        machine=platform.machine(),
        repeat=args.repeat,
        quick=args.quick,
        seed=args.seed,
        totals_ms=totals,
        groups=summary,
        records=records,
    )
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "lp.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
