"""Do the certified enclosures of infinite products contain their closed forms, such as prod (1 + 1/n^2) = sinh(pi)/pi?

    python examples/infinite_products.py

Theorem T2: if sum_n ||A_n - I|| < inf, the product P_K = A_K ... A_1 converges,
with ||P_inf - P_K|| <= M sum_{n>K} ||A_n - I||, M >= prod (1 + ||A_n - I||).
exactrelu.infinite_product certifies the summability exactly (series
witnesses re-checked by the kernel), bounds the tail exactly, encloses the
limit in a ball (python-flint arb) and asks sympy for a closed form.  Checked
here against closed forms computed independently in ball arithmetic:

1. the certified enclosure contains the known value;
2. the exact partial product P_K (rationals) is within bound(K) of the known value;
3. depth_for(1/1000) is the least K whose bound is <= 1/1000.
"""

from __future__ import annotations

from fractions import Fraction as F

import flint

from exactrelu import infinite_product

pi = flint.arb.pi()
CASES = [
    # (A(n) as rows of formulas, start, the known limit (arb), its name)
    ([["1 + 1/n^2"]], 1, pi.sinh() / pi, "sinh(pi)/pi (Euler's sine product at x = i)"),
    ([["1 - 1/(4*n^2)"]], 1, 2 / pi, "2/pi (Wallis)"),
    ([["1 - 1/n^2"]], 2, flint.arb(1) / 2, "1/2 (telescoping)"),
    ([["(n+1)^2/(n*(n+2))"]], 1, flint.arb(2), "2 (telescoping)"),
]


def arb_of(q: F) -> flint.arb:
    return flint.arb(f"{q.numerator}/{q.denominator}")


for rows, start, known, name in CASES:
    cert = infinite_product(rows, start=start)
    assert cert.verdict == "converges" and cert.nonsingular
    box = cert.enclosure()[0, 0]
    K = 100
    PK = cert.partial(K)[0][0]
    gap = abs(known - arb_of(PK))
    tol_depth = cert.depth_for(F(1, 1000))
    print(f"prod_(n>={start}) {rows[0][0]} = {name}")
    print(f"  certified enclosure {box}; contains the known value: {box.contains(known)}")
    print(f"  exact P_{K} ~ {float(PK):.8f}: |limit - P_{K}| ~ {float(gap.mid()):.3e} <= bound({K}) = "
          f"{float(cert.bound(K)):.3e}; bound <= 1/1000 from K = {tol_depth}")
    print(f"  sympy's closed form: {cert.closed_form()}")
    assert box.contains(known)
    assert gap <= arb_of(cert.bound(K))  # certain in ball arithmetic: the whole ball is below the bound
    assert cert.bound(tol_depth) <= F(1, 1000) < cert.bound(tol_depth - 1)

# a matrix product: the diagonal of two of the above, so the limit is diag(sinh(pi)/pi, 2/pi)
cert = infinite_product([["1 + 1/n^2", "0"], ["0", "1 - 1/(4*n^2)"]])
E = cert.enclosure()
print(f"prod diag(1 + 1/n^2, 1 - 1/(4 n^2)) encloses diag(sinh(pi)/pi, 2/pi): {E[0, 0].contains(CASES[0][2])}, "
      f"{E[1, 1].contains(CASES[1][2])}; off-diagonal contains 0: {E[0, 1].contains(0) and E[1, 0].contains(0)}")
assert E[0, 0].contains(CASES[0][2]) and E[1, 1].contains(CASES[1][2]) and E[0, 1].contains(0)
print("every enclosure holds its closed form")
