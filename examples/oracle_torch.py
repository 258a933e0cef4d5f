"""Does the exact oracle tell torch's float32 rounding apart from a real bug (a bias off by one)?

    python examples/oracle_torch.py

1. A random torch MLP (float32) is converted to an exact Network (its float32
   weights are exact rationals).
2. Exact test vectors are made at random inputs and at inputs lying exactly on
   an activation boundary (pre-activation exactly 0), and saved as JSON.
3. torch's own forward pass is compared in float32: every difference is within
   the rigorous rounding bound.
4. A model with one bias off by one is caught as a real error.

The script checks what it prints (and exits non-zero if something is off).

Requires: torch
"""

from __future__ import annotations

import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from exactrelu import from_torch, oracle


def main() -> int:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2)
    )
    net = from_torch(model)
    print(f"network: {net!r}")

    X = [list(map(Fraction, row)) for row in np.random.default_rng(0).uniform(-1, 1, (40, 3)).tolist()]
    # Points exactly on first-layer hyperplanes: move x along row w until w.x + b == 0, in rationals.
    (W, b) = net.layers[0]
    for j in range(5):
        x, w = X[j], W[j]
        t = -(sum(wi * xi for wi, xi in zip(w, x)) + b[j]) / sum(wi * wi for wi in w)
        X.append([xi + t * wi for xi, wi in zip(x, w)])
    vectors = oracle.make_vectors(net, X)
    ties = sum(1 for v in vectors if v.ties)
    print(f"test vectors: {len(vectors)}, with exact ties: {ties}")

    path = Path(tempfile.mkdtemp()) / "vectors.json"
    oracle.save(vectors, path)
    vectors = oracle.load_vectors(path)  # re-verified exactly against the embedded network

    def run(m):
        def fn(batch):
            with torch.no_grad():
                return m(torch.from_numpy(batch))
        return fn

    good = oracle.compare(run(model), vectors, "float32")
    print(good)

    broken = torch.nn.Sequential(*[type(x)(x.in_features, x.out_features) if isinstance(x, torch.nn.Linear) else x for x in model])
    broken.load_state_dict(model.state_dict())
    with torch.no_grad():
        broken[2].bias[3] += 1
    bad = oracle.compare(run(broken), vectors, "float32")
    print(bad)

    checks = {
        "five boundary points have ties": ties >= 5,
        "torch float32 forward is rounding only": good.ok and "-> OK" in str(good),
        "torch does round somewhere": len(good.rounding) > 0,
        "the off-by-one bias is a real error": not bad.ok and "FAILED" in str(bad),
        "its error is far outside the bound": bad.real_errors[0].error > 1000 * bad.real_errors[0].bound,
    }
    for name, ok in checks.items():
        print(f"check: {name}: {'yes' if ok else 'NO'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
