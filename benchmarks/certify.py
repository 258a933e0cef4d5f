"""Benchmark: certify() and check() on the must-come-out-right examples.

For each example: the median time of certify(), of check() (the independent
checker), of a JSON round trip, and, as a same-run baseline, of one exact
evaluation of the truncated network N_100(x) at x = (1, -1).  Targets:
certify well under 2 s and check under 0.5 s per example.

Prints a table; writes benchmarks/results/certify.json.

    python3 benchmarks/certify.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from certify_examples import EXAMPLES  # noqa: E402

from exactrelu.depth.certificate import Certificate  # noqa: E402
from exactrelu.depth.certifier import certify  # noqa: E402
from exactrelu.depth.checker import check  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "certify.json"


def timed(fn, repeat: int) -> tuple:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    print(f"{'example':58} {'verdict':>12} {'rule':>5} {'certify s':>10} {'check s':>8} {'json s':>7} {'N_100 s':>8} {'cert/N100':>9}")
    for name, fam, x, verdict, theorem, _ in EXAMPLES:
        t_cert, cert = timed(lambda: certify(fam, x=x), args.repeat)
        assert (cert.verdict, cert.theorem) == (verdict, theorem), name
        t_check, ok = timed(lambda: check(cert), args.repeat)
        assert ok
        t_json, back = timed(lambda: Certificate.from_json(json.dumps(cert.to_json())), args.repeat)
        assert back == cert
        net = fam.truncate(100)
        t_base, _ = timed(lambda: net([1, -1]), args.repeat)
        rows.append({"example": name, "verdict": cert.verdict, "theorem": cert.theorem, "certify_s": t_cert,
                     "check_s": t_check, "json_roundtrip_s": t_json, "baseline_exact_N100_s": t_base,
                     "certify_over_baseline": t_cert / t_base})
        print(f"{name[:58]:58} {cert.verdict:>12} {str(cert.theorem):>5} {t_cert:10.3f} {t_check:8.3f} {t_json:7.3f} "
              f"{t_base:8.4f} {t_cert / t_base:9.1f}")
    worst_c, worst_k = max(r["certify_s"] for r in rows), max(r["check_s"] for r in rows)
    print(f"worst certify {worst_c:.3f} s (target < 2 s), worst check {worst_k:.3f} s (target < 0.5 s)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"python": platform.python_version(), "machine": platform.machine(),
                                   "repeat": args.repeat, "rows": rows}, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
