"""Benchmark: how loose are the certified tail bounds? (issue 14's reproducers)

For each family: certify it, then at several depths d compare the certified
tail bound sup_{||x|| <= R} ||N_inf(x) - N_d(x)|| <= tail_bound(d, R) with the
distance actually measured at sample inputs (corners and a few points of the
ball).  The limit is exact where the certificate gives it (T6, T6b) and
otherwise N_D(x) at a far depth D, computed in 80-digit mpmath, minus nothing
(so the "truth" column is a lower estimate and the ratio an upper estimate of
the looseness).  Also: the depth depth_for(tol) asks for against the least
depth at which the measured distance is below tol.

Prints a table; writes benchmarks/results/tail_looseness.json.

    python3 benchmarks/tail_looseness.py
"""

from __future__ import annotations

import itertools
import json
import platform
import sys
import time
from fractions import Fraction
from pathlib import Path

import mpmath

from exactrelu import Family, certify

RESULTS = Path(__file__).resolve().parent / "results" / "tail_looseness.json"
mpmath.mp.dps = 80

# (name, family, depths, reference): the reference is None (the certificate's exact limit), a far depth D
# (N_D(x) stands for the limit), or a function d -> the exact distance (a closed-form tail sum)
FAMILIES = [
    ("T4 product factor: I - 10/(n+3)^2, b = 1/n^2",
     Family([["1 - 10/(n+3)^2", "0"], ["0", "1 - 10/(n+3)^2"]], ["1/n^2", "1/n^2"]), (10, 100, 1000), 20_000),
    ("T4 rotation: I + [[0,5],[-5,0]]/n^2, b = 1/n^3",
     Family([["1", "5/n^2"], ["-5/n^2", "1"]], ["1/n^3", "0"]), (10, 100, 1000), 20_000),
    ("T4 bias C = 2^24: W = 1, b = (n+4096)^2/n^4",
     Family([["1"]], ["(n + 4096)^2/n^4"]), (100, 10_000, 1_000_000),
     lambda d: mpmath.zeta(2, d + 1) + 8192 * mpmath.zeta(3, d + 1) + 4096**2 * mpmath.zeta(4, d + 1)),  # Hurwitz
    ("T6 rho(|W|) = 1/2 < 1 < row sum",
     Family([["1/2", "3/5"], ["0", "3/10"]], ["1", "-1"]), (10, 40, 100), None),
    ("T6 rotation-like |W| with rho = 0.9",
     Family([["0", "9/10"], ["-9/10", "0"]], ["1", "1"]), (10, 100, 300), None),
    ("T6b W_n = 1/2 + 1/n^2, b = 1",
     Family([["1/2 + 1/n^2"]], ["1"]), (10, 40, 100), None),
    ("T6b W_n = [[1/2, 3/5],[0, 3/10]] + 1/n^2, b = 1 + 1/n^2",
     Family([["1/2 + 1/n^2", "3/5"], ["0", "3/10"]], ["1 + 1/n^2", "-1"]), (10, 40, 100), None),
]
TOL = Fraction(1, 10**6)


def _layers_mp(fam: Family, first: int, last: int) -> list:
    out = []
    for k in range(first, last + 1):
        W, b = fam.layer(k)
        out.append(([[mpmath.mpf(a.numerator) / a.denominator for a in row] for row in W],
                    [mpmath.mpf(a.numerator) / a.denominator for a in b]))
    return out


def _states(fam: Family, x: tuple, depths: list) -> dict:
    """{d: N_d(x)} in mpmath, for the sorted depths."""
    y = [mpmath.mpf(t.numerator) / t.denominator for t in x]
    out, k, last = {}, 0, max(depths)
    step = 20_000
    while k < last:
        chunk = _layers_mp(fam, fam.start + k, fam.start + min(k + step, last) - 1)
        for W, b in chunk:
            y = [max(mpmath.mpf(0), mpmath.fsum(w * t for w, t in zip(row, y)) + c) for row, c in zip(W, b)]
            k += 1
            if k in depths:
                out[k] = list(y)
    return out


def _points(dim: int) -> list:
    corners = [tuple(Fraction(s) for s in signs) for signs in itertools.product((-1, 1), repeat=dim)]
    return corners + [tuple(Fraction(0) for _ in range(dim)), tuple(Fraction(1, 2) for _ in range(dim))]


def measure(name: str, fam: Family, depths: tuple, far) -> dict:
    t0 = time.perf_counter()
    cert = certify(fam)
    t_cert = time.perf_counter() - t0
    assert cert.verdict == "converges", (name, cert.reasons)
    true = {d: mpmath.mpf(0) for d in depths}
    if callable(far):
        true = {d: far(d) for d in depths}
    want = sorted(set(depths) | ({far} if isinstance(far, int) else set()))
    for x in _points(fam.input_dim) if not callable(far) else ():
        st = _states(fam, x, want)
        lim = [mpmath.mpf(v.numerator) / v.denominator for v in cert.limit] if far is None else st[far]
        for d in depths:
            true[d] = max(true[d], max(abs(a - b) for a, b in zip(lim, st[d])))
    rows = []
    for d in depths:
        t0 = time.perf_counter()
        bound = cert.tail_bound(d, radius=1)
        t_bound = time.perf_counter() - t0
        ratio = float(mpmath.mpf(bound.numerator) / bound.denominator / true[d]) if true[d] > 0 else float("inf")
        rows.append({"depth": d, "bound": float(bound), "measured": float(true[d]), "ratio": ratio,
                     "tail_bound_s": t_bound})
    t0 = time.perf_counter()
    try:
        need = cert.depth_for(TOL, radius=1)
    except ValueError:
        need = None
    t_depth = time.perf_counter() - t0
    return {"family": name, "theorem": cert.theorem, "certify_s": t_cert, "rows": rows,
            "depth_for_1e-6": need, "depth_for_s": t_depth}


def main() -> None:
    results = [measure(*spec) for spec in FAMILIES]
    print(f"{'family':58} {'thm':>4} {'depth':>8} {'bound':>10} {'measured':>10} {'ratio':>9}")
    for r in results:
        for row in r["rows"]:
            print(f"{r['family'][:58]:58} {r['theorem']:>4} {row['depth']:>8} {row['bound']:>10.3g} "
                  f"{row['measured']:>10.3g} {row['ratio']:>9.3g}")
        print(f"{'':58} {'':>4} depth_for(1e-6) = {r['depth_for_1e-6']} ({r['depth_for_s']:.3f} s)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"python": platform.python_version(), "results": results}, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
