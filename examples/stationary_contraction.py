"""Does a network that repeats one contracting layer converge to an exact fixed point, and how fast?

    python examples/stationary_contraction.py

Theorem T6: when W_n = W and b_n = b do not depend on n and |W| v <= q v for some
v > 0 and q < 1, the layer y -> ReLU(W y + b) is a q-contraction in the
weighted max norm ||y||_v = max_i |y_i| / v_i, so every input converges to
the unique fixed point y* = ReLU(W y* + b), whatever the input.  exactrelu
finds v, q and y* exactly (y* by solving the linear system of its activation
pattern) and the kernel re-checks them.  Checked here:

1. y* solves ReLU(W y* + b) = y* exactly;
2. along exact forward passes from several inputs, ||y_(d+1) - y*||_v <= q ||y_d - y*||_v
   at every layer (the contraction itself);
3. ||N_d(x) - y*|| <= tail_bound(d) for ||x|| <= 1, at each depth.
"""

from __future__ import annotations

from fractions import Fraction as F

from exactrelu import Family, certify, check

W = [[F(1, 3), F(1, 6)], [F(1, 5), F(-1, 4)]]
b = [F(1, 2), F(1, 3)]
fam = Family([[str(t) for t in row] for row in W], [str(t) for t in b])
cert = certify(fam)
assert (cert.verdict, cert.theorem) == ("converges", "T6") and check(cert)
v, q, y_star = cert.witnesses["v"], cert.witnesses["q"], cert.limit
print(f"W = [[1/3, 1/6], [1/5, -1/4]], b = (1/2, 1/3): {cert.verdict} by {cert.theorem} for {cert.scope_text()}")
print(f"  weights v = {tuple(map(str, v))}, contraction factor q = {q}, exact fixed point y* = {tuple(map(str, y_star))}")


def layer(y):
    return tuple(max(F(0), sum(w * t for w, t in zip(row, y)) + c) for row, c in zip(W, b))


def dist_v(y, z):
    return max(abs(s - t) / vi for s, t, vi in zip(y, z, v))


assert layer(y_star) == tuple(y_star), "y* is not a fixed point"
print("  ReLU(W y* + b) == y* exactly")

for x in [(F(1), F(-1)), (F(-1), F(1, 2)), (F(0), F(0)), (F(1, 7), F(1))]:
    y, rates = x, []
    for d in range(1, 21):
        nxt = layer(y)
        if dist_v(y, y_star):
            rates.append(dist_v(nxt, y_star) / dist_v(y, y_star))
            assert rates[-1] <= q
        y = nxt
        assert fam.truncate(d)(x) == y  # the family's own exact network agrees with this loop
        assert max(abs(s - t) for s, t in zip(y, y_star)) <= cert.tail_bound(d, 1)
    worst = max(rates) if rates else F(0)
    print(f"  from x = ({x[0]}, {x[1]}): distance to y* after 20 layers {float(dist_v(y, y_star)):.2e}; "
          f"worst one-layer ratio {float(worst):.4f} <= q = {float(q):.4f}")
print(f"tail bound at depth 20 (||x|| <= 1): {float(cert.tail_bound(20, 1)):.2e}; "
      f"depth for 10^-12: {cert.depth_for(F(1, 10**12), 1)}")
