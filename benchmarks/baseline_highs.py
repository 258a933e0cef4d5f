"""A float baseline for linear-region counting in any input dimension (scipy HiGHS LPs).

The textbook method: keep every region as float64 inequalities A x <= b,
and split layer by layer, neuron by neuron.  A neuron z = a.x + c splits a
region when the LPs min z and max z over it are below -tol and above +tol
(tol = 1e-9); otherwise its activation there is "max z > tol".  Every
decision is a float decision with a tolerance, which is exactly what exactrelu
avoids: the counts agree with exact counts only when no boundary passes
within about tol of a vertex.

Used by benchmarks/regions.py; run alone for a quick check:

    python3 benchmarks/baseline_highs.py 2-8-8-1
"""

from __future__ import annotations

import sys
import time

import numpy as np


class BaselineTimeout(Exception):
    """The time limit ran out; ``pieces`` regions existed at that moment."""

    def __init__(self, pieces: int):
        super().__init__(f"time limit reached with {pieces} pieces")
        self.pieces = pieces


def count_regions_highs(layers, lower, upper, *, tol: float = 1e-9, time_limit: float | None = None) -> int:
    """Number of linear regions of the ReLU layers [(W, b), ...] (float arrays) in a box, by LPs.

    The last pair in ``layers`` is treated as hidden (followed by a ReLU):
    pass only the hidden layers.  Raises BaselineTimeout past ``time_limit`` seconds.
    """
    from scipy.optimize import linprog

    start = time.perf_counter()
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    d = len(lower)
    bounds = list(zip(lower, upper))
    # a region: (A, b) rows of extra inequalities (box kept as variable bounds), and the affine map
    # of the current layer's input y = P x + p
    regions = [(np.zeros((0, d)), np.zeros(0), np.eye(d), np.zeros(d))]

    def extreme(A, b, a, sense):
        res = linprog(sense * a, A_ub=A if len(A) else None, b_ub=b if len(b) else None, bounds=bounds,
                      method="highs")
        if res.status != 0:
            return None
        return sense * res.fun

    for W, bias in layers:
        W, bias = np.asarray(W, float), np.asarray(bias, float)
        nxt = []
        for A, b, P, p in regions:
            M, m = W @ P, W @ p + bias  # z = M x + m on this region
            pieces = [(A, b, [])]
            for j in range(len(m)):
                out = []
                for A2, b2, bits in pieces:
                    if time_limit is not None and time.perf_counter() - start > time_limit:
                        raise BaselineTimeout(len(nxt) + len(pieces))
                    lo = extreme(A2, b2, M[j], 1.0)
                    lo = -np.inf if lo is None else lo + m[j]
                    if lo > tol:
                        out.append((A2, b2, bits + [1]))
                        continue
                    hi = extreme(A2, b2, M[j], -1.0)
                    hi = np.inf if hi is None else hi + m[j]
                    if lo < -tol and hi > tol:  # both sides have interior: split
                        out.append((np.vstack([A2, -M[j]]), np.append(b2, m[j]), bits + [1]))
                        out.append((np.vstack([A2, M[j]]), np.append(b2, -m[j]), bits + [0]))
                    else:
                        out.append((A2, b2, bits + [int(hi > tol)]))
                pieces = out
            for A2, b2, bits in pieces:
                D = np.asarray(bits, float)[:, None]
                nxt.append((A2, b2, D * M, D[:, 0] * m))
        regions = nxt
    return len(regions)


def main(argv: list[str]) -> None:
    widths = [int(t) for t in (argv[0] if argv else "2-8-8-1").split("-")]
    rng = np.random.default_rng(0)
    layers = [(rng.normal(0, np.sqrt(2 / widths[i]), (widths[i + 1], widths[i])), rng.normal(0, 0.1, widths[i + 1]))
              for i in range(len(widths) - 1)]
    t = time.perf_counter()
    n = count_regions_highs(layers[:-1], [-1] * widths[0], [1] * widths[0])
    print(f"{'-'.join(map(str, widths))}: {n} regions in {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
