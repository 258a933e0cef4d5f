"""Which affine function A x + c is the network on the activation domain of a point, and is it the forward pass there?

    python examples/explicit_expression.py

A ReLU network is affine on each activation domain (the set of inputs with one
activation pattern): N(x) = D_L W_L ... D_1 W_1 x + (sum of the biases pushed
through the same masks), the explicit expression T1 of Xu and Zhang.  This
script takes a point, reads its pattern, asks exactrelu for (A, c) and for the
domain (an exact polyhedron), then checks:

1. (A, c) equals the product of masked weights computed here by hand, in plain
   Fractions (an independent computation of T1);
2. A x + c equals the forward pass at every grid point inside the domain, and
   the domain is exactly the set of grid points with the same pattern;
3. outside the domain the formula is no longer the network (it is local).
"""

from __future__ import annotations

from fractions import Fraction as F

from exactrelu import Network

net = Network(
    [([[1, -1], [2, 1], [-1, 3]], [0, "-1/2", "1/4"]),
     ([[1, 1, 0], [0, -1, 2], ["1/2", 0, -1]], ["1/3", 0, 0])],
    output=([[1, -2, 3]], ["1/10"]),
)
x0 = [F(1, 3), F(-1, 5)]
p = net.pattern(x0)
A, c = net.affine_map(p)
print(f"the point x0 = (1/3, -1/5) has activation pattern {p} (1 = active, per layer)")
terms = " ".join(f"{'-' if v < 0 else '+'} {abs(v)} {name}" for v, name in [(A[0][0], "x1"), (A[0][1], "x2"), (c[0], "")])
print(f"on its activation domain N(x) = {terms.lstrip('+ ').strip()}")


def by_hand(net: Network, pattern) -> tuple:
    """T1 in plain Fractions: M = D W M and m = D (W m + b) layer by layer, then the output layer."""
    M = [[F(int(i == j)) for j in range(net.input_dim)] for i in range(net.input_dim)]
    m = [F(0)] * net.input_dim
    for (W, b), bits in zip(net.layers, pattern.layers):
        M = [[bit * sum(W[i][k] * M[k][j] for k in range(len(M))) for j in range(net.input_dim)]
             for i, bit in enumerate(bits)]
        m = [bit * (sum(W[i][k] * m[k] for k in range(len(m))) + b[i]) for i, bit in enumerate(bits)]
    Wo, bo = net.output
    A = [[sum(Wo[i][k] * M[k][j] for k in range(len(M))) for j in range(net.input_dim)] for i in range(len(Wo))]
    c = [sum(Wo[i][k] * m[k] for k in range(len(m))) + bo[i] for i in range(len(Wo))]
    return tuple(map(tuple, A)), tuple(c)


assert by_hand(net, p) == (A, c), "exactrelu's T1 map differs from the hand computation"
print("(A, c) equals D_2 W_2 D_1 W_1 and the pushed biases, multiplied out by hand: yes")

domain = net.domain(p)
cons = domain.constraints
print(f"the domain is a polyhedron with {len(cons.strict)} strict and {len(cons.inequalities)} non-strict "
      "inequalities (active neurons: z > 0, inactive: z <= 0)")

grid = [(F(i, 8), F(j, 8)) for i in range(-8, 9) for j in range(-8, 9)]
inside = [x for x in grid if domain.contains(x)]
affine = lambda x: sum(a * t for a, t in zip(A[0], x)) + c[0]  # noqa: E731
for x in grid:
    same_pattern = net.pattern(x).layers == p.layers
    assert domain.contains(x) == same_pattern, f"domain membership and pattern disagree at {x}"
    if same_pattern:
        assert net(x)[0] == affine(x), f"A x + c is not N(x) at {x}"
outside = [x for x in grid if not domain.contains(x) and net(x)[0] != affine(x)]
print(f"of {len(grid)} grid points in [-1, 1]^2 (step 1/8), {len(inside)} lie in the domain: "
      "at each, A x + c == N(x) exactly")
print(f"at {len(outside)} of the others the formula is not the network (it holds on the domain only)")
assert inside and outside
