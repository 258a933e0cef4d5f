"""How far is the depth-d network of a convergent family from its limit, and how deep must it be for a tolerance?

    python examples/convergence_tails.py

The family W_n = I + A/n^2, b_n = c/n^2 satisfies the sufficient condition of
Theorem T4 (sum ||W_n - I|| and sum ||b_n|| finite), so N_d(x) converges for
every input x, uniformly on balls, with an exact tail bound
||N_inf(x) - N_d(x)|| <= tail(d) for ||x|| <= R (max norm).  The certificate is
re-verified by the independent checker.  Checked here:

1. the tail bounds decrease with depth, and depth_for(tol) is the least depth
   whose bound is <= tol;
2. at sample inputs, the exact networks N_d and N_D (computed in rationals)
   differ by at most tail(d) + tail(D), as the triangle inequality through
   the limit demands: the bound is a real bound, not a guess.
"""

from __future__ import annotations

from fractions import Fraction as F

from exactrelu import Family, certify, check

fam = Family([["1 + 1/n^2", "-1/(2*n^2)"], ["1/(3*n^2)", "1 - 1/n^2"]], ["1/n^2", "-1/(2*n^2)"])
cert = certify(fam)
print(f"W_n = I + [[1, -1/2], [1/3, -1]]/n^2, b_n = (1, -1/2)/n^2: {cert.verdict} by {cert.theorem} "
      f"for {cert.scope_text()}")
assert (cert.verdict, cert.theorem) == ("converges", "T4") and check(cert)

R = 1
depths = [10, 20, 40, 80, 160]
tails = {d: cert.tail_bound(d, R) for d in depths}
for d in depths:
    print(f"  ||N_inf(x) - N_{d}(x)|| <= {float(tails[d]):.4g}   for ||x|| <= {R}")
assert all(tails[a] > tails[b] for a, b in zip(depths, depths[1:]))

for tol in (F(1, 10), F(1, 1000)):
    d = cert.depth_for(tol, R)
    print(f"depth guaranteeing {tol}: {d} (bound there {float(cert.tail_bound(d, R)):.4g})")
    assert cert.tail_bound(d, R) <= tol < cert.tail_bound(d - 1, R)

inputs = [(F(1), F(-1)), (F(1, 3), F(1, 2)), (F(0), F(0)), (F(-1), F(-2, 7))]
worst = F(0)
for x in inputs:
    values = {d: fam.truncate(d)(x) for d in depths}  # exact rational networks
    for a, b in zip(depths, depths[1:]):
        gap = max(abs(p - q) for p, q in zip(values[a], values[b]))
        assert gap <= tails[a] + tails[b], (x, a, b)
        worst = max(worst, gap / (tails[a] + tails[b]))
    print(f"  x = ({x[0]}, {x[1]}): N_160(x) ~ ({', '.join(f'{float(v):.6f}' for v in values[160])})")
print(f"every exact ||N_D(x) - N_d(x)|| is within tail(d) + tail(D) (at most {float(worst):.1%} of it)")
