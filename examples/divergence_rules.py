"""Which divergence rule (T7a-d) proves that each of four families diverges, and what does the necessary condition T5 say about it?

    python examples/divergence_rules.py

Theorem T5 (necessary condition): if N_n converges on an open set where every
neuron is eventually active, to a limit with nonsingular Jacobian, then
W_n -> I and b_n -> 0.  It is necessary, not sufficient: T7b and T7d below
diverge although W_n -> I and b_n -> 0.  Each divergence rule (exactrelu/kernel/rules/t7*.py)
names a witness that the trusted checker re-verifies; here each divergence is
also seen directly, in the exact networks N_d computed in rationals:

- T7a: a stationary family with an exact periodic orbit (period 2 here) along
  which the output changes: N_d(x) alternates forever;
- T7b: nonnegative weights with u^T W_n >= (1 + a_n) u^T and sum a_n = inf:
  here N_d(1, 0) = (d + 1, 0) exactly;
- T7c: a constant nonnegative tail with u^T W >= lambda u^T, lambda > 1:
  here the coordinates of N_d(1, 0) add up to 2^d;
- T7d: a nilpotent perturbation, w^T W_n >= w^T and u^T W_n >= u^T + a_n w^T:
  here N_d(0, 1) = (H_d, 1) with H_d the harmonic number, which grows like log d.
"""

from __future__ import annotations

from fractions import Fraction as F

from exactrelu import Family, certify, check
from exactrelu.kernel.rules import RULES


def harmonic(d: int) -> F:
    return sum((F(1, k) for k in range(1, d + 1)), F(0))


CASES = [
    # (rule, description, family, point for certify, input to watch, exact N_d(input) by hand)
    ("T7a", "W_n = -I, b_n = (1, 1), at x = (0, 0)", Family([["-1", "0"], ["0", "-1"]], ["1", "1"]), [0, 0],
     (0, 0), lambda d: (F(d % 2), F(d % 2))),
    ("T7b", "W_n = I + [[1, 0], [0, 0]]/n, b_n = 0", Family([["1 + 1/n", "0"], ["0", "1"]], ["0", "0"]), None,
     (1, 0), lambda d: (F(d + 1), F(0))),
    ("T7c", "W_n = [[0, 2], [2, 0]], b_n = 0, at x = (1, 0)", Family([["0", "2"], ["2", "0"]], ["0", "0"]), [1, 0],
     (1, 0), lambda d: (F(2**d) if d % 2 == 0 else F(0), F(0) if d % 2 == 0 else F(2**d))),
    ("T7d", "W_n = I + [[0, 1], [0, 0]]/n, b_n = 0", Family([["1", "1/n"], ["0", "1"]], ["0", "0"]), None,
     (0, 1), lambda d: (harmonic(d), F(1))),
]

for rule, text, fam, x, watch, truth in CASES:
    cert = certify(fam, x=x)
    t5 = cert.necessary
    print(f"{text}\n  -> {cert.verdict} by {cert.theorem} for {cert.scope_text()}")
    print(f"  the rule ({RULES[rule].proof}): {' '.join(RULES[rule].statement.split())}")
    print(f"  T5: W_n -> I: {t5['W_to_I']}, b_n -> 0: {t5['b_to_0']}; "
          + ("the necessary condition holds, and yet the family diverges" if t5["holds"]
             else "the necessary condition fails: no convergence to a nonsingular limit on an all-active open set"))
    assert (cert.verdict, cert.theorem) == ("diverges", rule) and check(cert)
    assert t5["holds"] == (rule in ("T7b", "T7d"))  # W_n -> I and b_n -> 0 exactly for these two
    values = [fam.truncate(d)(watch) for d in range(1, 13)]
    assert all(v == truth(d) for d, v in zip(range(1, 13), values)), rule
    shown = ", ".join("(" + ", ".join(str(t) for t in v) + ")" for v in values[:6])
    print(f"  exact N_d{tuple(watch)} for d = 1..6: {shown}, ... (as computed by hand)")

assert [c[0] for c in CASES] == ["T7a", "T7b", "T7c", "T7d"]
print("each family diverges by its rule, and the exact networks show it")
