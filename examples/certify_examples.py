"""Does the certifier reach the expected verdict (converges, diverges, inconclusive) and rule on each of ten reference families?

    python3 examples/certify_examples.py

Each certificate is re-verified by the independent checker and round-tripped
through JSON; the T4 and T6 bounds are compared with exact truncations.
"""

from __future__ import annotations

from fractions import Fraction

from exactrelu.depth.certificate import Certificate
from exactrelu.depth.certifier import certify
from exactrelu.depth.checker import check
from exactrelu.depth.family import Family

F = Fraction

EXAMPLES = [
    # (name, family, x, expected verdict, expected theorem, expected scope kind)
    ("W_n = I + [[1,2],[0,-1]]/n^2, b_n = (1,-1)/2^n",
     Family([["1 + 1/n^2", "2/n^2"], ["0", "1 - 1/n^2"]], ["2^(-n)", "-2^(-n)"]), None, "converges", "T4", "everywhere"),
    ("W_n = [[1/2,1/4],[-1/4,1/3]], b_n = (1,-1/2)",
     Family([["1/2", "1/4"], ["-1/4", "1/3"]], ["1", "-1/2"]), None, "converges", "T6", "everywhere"),
    ("W_n = [[1/2 + 1/n^2, 1/4],[-1/4 - 2^-n, 1/3]], b_n = (1 + 2^-n, -1/2 + 1/n^2)",
     Family([["1/2 + 1/n^2", "1/4"], ["-1/4 - 2^(-n)", "1/3"]], ["1 + 2^(-n)", "-1/2 + 1/n^2"]), None,
     "converges", "T6b", "everywhere"),
    ("W_n = -I, b_n = (1,1) at x = (0,0)",
     Family([["-1", "0"], ["0", "-1"]], ["1", "1"]), [0, 0], "diverges", "T7a", "point"),
    ("W_n = I + [[1,0],[0,0]]/n, b_n = 0",
     Family([["1 + 1/n", "0"], ["0", "1"]], ["0", "0"]), None, "diverges", "T7b", "set"),
    ("W_n = I, b_n = (1/n, 1/n)",
     Family([["1", "0"], ["0", "1"]], ["1/n", "1/n"]), None, "diverges", "T7b", "everywhere"),
    ("W_n = [[0,2],[2,0]], b_n = 0 at x = (1,0)",
     Family([["0", "2"], ["2", "0"]], ["0", "0"]), [1, 0], "diverges", "T7c", "point"),
    ("W_n = I + [[(-1)^n/n, 0],[0, 0]], b_n = 0 (oscillating)",
     Family([["1 + (-1)^n/n", "0"], ["0", "1"]], ["0", "0"]), None, "inconclusive", None, "everywhere"),
    ("W_n = I + [[0,1],[0,0]]/n, b_n = 0 (nilpotent perturbation)",
     Family([["1", "1/n"], ["0", "1"]], ["0", "0"]), None, "diverges", "T7d", "set"),
    ("W_n = [[1 - 1/n, 0],[0, 1]], b_n = (1, 0) (grows like d/2; no rule applies)",
     Family([["1 - 1/n", "0"], ["0", "1"]], ["1", "0"]), None, "inconclusive", None, "everywhere"),
]


def main() -> None:
    for name, fam, x, verdict, theorem, scope in EXAMPLES:
        cert = certify(fam, x=x)
        t5 = cert.necessary["holds"]
        print(f"{name}\n  -> {cert.verdict} ({cert.theorem}) for {cert.scope_text()}; T5 condition holds: {t5}")
        if cert.limit is not None:
            print("     limit =", tuple(str(t) for t in cert.limit))
        if cert.verdict == "inconclusive":
            print("     first reason:", cert.reasons[0][:100])
        assert (cert.verdict, cert.theorem, cert.scope["kind"]) == (verdict, theorem, scope), name
        assert check(cert) and check(Certificate.from_json(cert.to_json()))
        if theorem in ("T4", "T6", "T6b"):
            for pt in ([1, -1], [0, 0]):
                a, b = fam.truncate(30)(pt), fam.truncate(300)(pt)
                assert max(abs(p - q) for p, q in zip(a, b)) <= cert.tail_bound(30, 1) + cert.tail_bound(300, 1)
            print(f"     tail bound at depth 100, ||x|| <= 1: {float(cert.tail_bound(100, 1)):.3e}")
    print("all verdicts as expected")


if __name__ == "__main__":
    main()
