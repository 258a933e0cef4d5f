"""What does exactrelu compute exactly for a small network: its value at a point, its ties, its explicit expression and its linear regions?

Run: python3 examples/quickstart.py   (it checks everything it prints and exits non-zero on a mismatch)
"""

from fractions import Fraction

from exactrelu import Box, Network

# Four boundaries through the origin in layer 0: x = 0, y = 0, x = y, x = -y.
net = Network(
    [([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0]), ([[1, 1, -1, "1/2"]], ["1/10"])],
    output=([[2]], [0]),
)

x = ["1/3", "0.1"]  # decimal strings are exact: 0.1 means 1/10
y = net(x)
print("N(1/3, 1/10) =", y[0])
# By hand: layer 0 gives (1/3, 1/10, 13/30, 7/30); layer 1: 1/3 + 1/10 - 13/30 + 7/60 + 1/10 = 13/60; output 2 * 13/60.
assert y == (Fraction(13, 30),)

p = net.pattern([0, 0])
print("pattern at the origin:", repr(p))
assert p.ties == ((0, 0), (0, 1), (0, 2), (0, 3))  # all four lines meet there, exactly

A, c = net.affine_map(net.pattern(x))
print("on that activation domain N(x) = A x + c with A =", A, "c =", c)
assert tuple(sum(a * Fraction(v) for a, v in zip(row, x)) + ci for row, ci in zip(A, c)) == y

box = Box([-1, -1], [1, 1])
regions = net.regions(box)
area = sum((r.volume() for r in regions), Fraction(0))
print(f"{len(regions)} linear regions over [-1, 1]^2, total exact area {area}")
assert area == box.volume() == 4
for r in regions:
    assert net.pattern(r.witness).layers == r.pattern.layers
    A, c = r.affine_map
    assert net(r.witness) == tuple(sum(a * v for a, v in zip(row, r.witness)) + ci for row, ci in zip(A, c))
print("every witness has its region's pattern and the region's affine map is the network there")
