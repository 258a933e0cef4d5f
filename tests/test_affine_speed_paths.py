"""The fast exact building blocks of the planar read-out return exactly what the plain formulas return.

Each test keeps the old formula as its reference: Fractions from flint
rationals without a second gcd, rows of T1 maps pulled back through one layer,
output maps pulled back through the last layer, the in-place ReLU masking, and
where two lines meet (Cramer's rule in integers on the scaled rows).
"""

import math
from fractions import Fraction

import flint
import pytest
from hypothesis import assume, given, settings, strategies as st

from exactrelu.exact.numbers import coprime_fraction, fmpq_to_fraction
from exactrelu.nets.affine import AffineMaps, ScaledRow, _zero_inactive, _zmasked
from exactrelu.regions._planar_exact import Vertex, _scaled_point, frac, meet, polygon_area, side
from exactrelu.testing import networks
from test_layers import pwl_networks

big = st.integers(-(2**200), 2**200)
nonzero = big.filter(lambda v: v != 0)
small_q = st.fractions(min_value=-5, max_value=5, max_denominator=7)


def old_frac(x: flint.fmpq) -> Fraction:
    return Fraction(int(x.p), int(x.q))


@settings(max_examples=200, deadline=None)
@given(big, nonzero)
def test_fractions_from_flint_rationals_need_no_second_gcd(n, d):
    """flint keeps an fmpq in lowest terms with a positive denominator (zero as 0/1), which is what lets the
    Fraction skip its gcd; the result equals the normalising constructor's in value, parts, type and hash."""
    q = flint.fmpq(n, d)
    p, den = int(q.p), int(q.q)
    assert den > 0 and math.gcd(p, den) == 1
    assert p != 0 or den == 1
    for f in (fmpq_to_fraction(q), frac(q), coprime_fraction(p, den)):
        ref = old_frac(q)
        assert type(f) is Fraction and f == ref == Fraction(n, d)
        assert (f.numerator, f.denominator) == (ref.numerator, ref.denominator) and hash(f) == hash(ref)
        assert f + Fraction(1, 3) == ref + Fraction(1, 3) and str(f) == str(ref)


def as_fraction(v) -> Fraction:
    return v if isinstance(v, Fraction) else old_frac(v)


def old_zmasked(Zh: flint.fmpz_mat, bits) -> flint.fmpz_mat:
    """The former ReLU masking: the entries listed, inactive rows replaced by zeros, a new matrix built."""
    c, ents, n = Zh.ncols(), Zh.entries(), len(bits)
    flat = [v for i, bit in enumerate(bits) for v in (ents[i * c:(i + 1) * c] if bit else (0,) * c)]
    return flint.fmpz_mat(n + 1, c, flat + ents[n * c:])


@st.composite
def integer_maps(draw):
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    ents = draw(st.lists(big, min_size=(n + 1) * c, max_size=(n + 1) * c))
    return flint.fmpz_mat(n + 1, c, ents), tuple(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))


@settings(max_examples=100, deadline=None)
@given(integer_maps())
def test_relu_masking_in_place_equals_the_listed_masking(case):
    Zh, bits = case
    before = Zh.entries()
    assert _zmasked(Zh, bits) == old_zmasked(Zh, bits)
    # the columns' version, on the transpose: the last (homogeneous) column is kept
    T = Zh.transpose()
    assert _zero_inactive(T, bits) == old_zmasked(Zh, bits).transpose()
    assert Zh.entries() == before  # the input is copied, never changed


def rational_maps(maps: AffineMaps, bits: list) -> list:
    """The plain fmpq_mat steps (the reference): layer k's [M_k | m_k] for every k."""
    H, out = None, []
    for k in range(maps.depth):
        H = maps.step(H, bits[k - 1] if k else (), k)
        out.append(H)
    return out


def bits_for(draw, net) -> list:
    return [tuple(draw(st.lists(st.integers(0, 1), min_size=w, max_size=w))) for w in net.widths]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_rows_pulled_back_through_one_layer_equal_the_whole_map(data):
    """Rows asked before any whole map of their prefix exists (memo or not) are the rational maps' rows, and
    ``scaled`` is each row times one positive integer."""
    net = data.draw(networks(input_dim=st.integers(1, 3), depth=st.integers(1, 4)))
    bits = bits_for(data.draw, net)
    ref = rational_maps(AffineMaps.of(net), bits)
    for memo in (False, True):
        maps = AffineMaps.of(net, memo)
        for k in reversed(range(net.depth)):  # deepest first: no prefix's whole map is cached yet
            for j in range(net.widths[k]):
                row = maps.row(bits[:k], j)
                assert type(row) is ScaledRow
                assert row == tuple(ref[k][j, i] for i in range(ref[k].ncols()))
                ratios = {Fraction(int(s)) / old_frac(v) for s, v in zip(row.scaled, row) if v != 0}
                assert all((s == 0) == (v == 0) for s, v in zip(row.scaled, row))
                assert len(ratios) <= 1 and all(r > 0 and r.denominator == 1 for r in ratios)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_output_maps_pulled_back_equal_the_rational_product(data):
    """output and affine_map, asked first (pulled back through the last layer) and after the last hidden map is
    cached (the forward product), equal the plain fmpq_mat product and its Fractions."""
    net = data.draw(networks(input_dim=st.integers(1, 3), depth=st.integers(1, 4), output=st.integers(0, 5)))
    bits = bits_for(data.draw, net)
    probe = AffineMaps.of(net)
    H = rational_maps(probe, bits)[-1]
    G = probe._masked(H, bits[-1], net.depth - 1)
    expected = probe._out * G if probe._out is not None else \
        flint.fmpq_mat(G.nrows() - 1, G.ncols(), G.entries()[: (G.nrows() - 1) * G.ncols()])
    r, c, ents = expected.nrows(), expected.ncols(), expected.entries()
    ref_fractions = (tuple(tuple(old_frac(ents[i * c + j]) for j in range(c - 1)) for i in range(r)),
                     tuple(old_frac(ents[i * c + c - 1]) for i in range(r)))
    for memo, warm in ((False, False), (True, False), (True, True)):
        maps = AffineMaps.of(net, memo)
        if warm:
            maps.layer(bits[:-1])
        assert maps.output(bits) == expected
        A, c = maps.affine_map(bits)
        assert (A, c) == ref_fractions
        assert all(type(v) is Fraction for v in (*c, *(x for r in A for x in r)))


def cramer(l1, l2):
    """The reference vertex: the 2x2 system a1 x + a2 y = -c solved with Fractions."""
    (a1, b1, c1), (a2, b2, c2) = [[old_frac(flint.fmpq(v)) for v in line] for line in (l1, l2)]
    d = a1 * b2 - b1 * a2
    return ((b1 * c2 - c1 * b2) / d, (c1 * a2 - a1 * c2) / d)


def scaled_row(line, factor):
    """A ScaledRow as AffineMaps.row makes one: the rationals, and the integers factor * line."""
    r = ScaledRow(flint.fmpq(v.numerator, v.denominator) for v in line)
    ints = [v * factor for v in line]
    assume(all(v.denominator == 1 for v in ints))
    r.scaled = tuple(flint.fmpz(int(v)) for v in ints)
    return r


lines = st.tuples(small_q, small_q, small_q)


@settings(max_examples=200, deadline=None)
@given(lines, lines, st.integers(1, 4), st.integers(1, 4), st.booleans(), st.booleans())
def test_meet_equals_cramers_rule(l1, l2, k1, k2, s1, s2):
    """Lines with and without integer forms (as rows of T1 maps and box edges come); scaling never moves them."""
    assume(l1[0] * l2[1] - l1[1] * l2[0] != 0)
    f1 = scaled_row(l1, 420 * k1) if s1 else tuple(flint.fmpq(v.numerator, v.denominator) for v in l1)
    f2 = scaled_row(l2, 420 * k2) if s2 else tuple(flint.fmpq(v.numerator, v.denominator) for v in l2)
    p = meet(f1, f2)
    x, y = p
    assert type(p) is Vertex and type(x) is Fraction and type(y) is Fraction
    assert (x, y) == cramer(f1, f2)
    assert (x.numerator, x.denominator) == (Fraction(x).numerator, Fraction(x).denominator)  # in lowest terms
    X, Y, d = _scaled_point(p)
    assert d > 0 and (Fraction(X, d), Fraction(Y, d)) == cramer(f1, f2)


@given(lines, st.fractions(min_value=-3, max_value=3, max_denominator=4).filter(lambda t: t != 0), st.booleans())
def test_meet_refuses_parallel_lines(line, t, scaled):
    assume(line[0] != 0 or line[1] != 0)
    other = (line[0] * t, line[1] * t, line[2] + 1)
    f1, f2 = (scaled_row(line, 420), scaled_row(other, 5040)) if scaled else \
        [tuple(flint.fmpq(v.numerator, v.denominator) for v in ln) for ln in (line, other)]
    with pytest.raises(ValueError, match="parallel"):
        meet(f1, f2)


def as_line(line, scaled):
    return scaled_row(line, 420) if scaled else tuple(flint.fmpq(v.numerator, v.denominator) for v in line)


@st.composite
def exact_points(draw):
    """A point as the planar enumerator has them (where two lines meet, with ``scaled``) or a plain pair."""
    if draw(st.booleans()):
        l1, l2 = draw(lines), draw(lines)
        assume(l1[0] * l2[1] - l1[1] * l2[0] != 0)
        return meet(as_line(l1, draw(st.booleans())), as_line(l2, draw(st.booleans())))
    return tuple(flint.fmpq(v.numerator, v.denominator) for v in (draw(small_q), draw(small_q)))


def sign(v):
    return (v > 0) - (v < 0)


@settings(max_examples=200, deadline=None)
@given(lines, st.booleans(), exact_points())
def test_side_in_integers_equals_the_rational_sign(line, scaled, point):
    x, y = (as_fraction(v) for v in point)
    expected = sign(line[0] * x + line[1] * y + line[2])
    assert side(as_line(line, scaled), point) == expected
    plain_line = tuple(flint.fmpq(v.numerator, v.denominator) for v in line)
    assert side(plain_line, (x, y)) == expected  # a plain pair of Fractions
    assert side(plain_line, tuple(flint.fmpq(v.numerator, v.denominator) for v in (x, y))) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(exact_points(), min_size=3, max_size=7))
def test_polygon_area_equals_the_rational_shoelace(points):
    """The old formula: the shoelace sum in flint rationals, halved, as a Fraction (signed, any polygon)."""
    pts = [tuple(flint.fmpq(f.numerator, f.denominator) for f in map(as_fraction, p)) for p in points]
    twice = sum((pts[i - 1][0] * p[1] - p[0] * pts[i - 1][1] for i, p in enumerate(pts)), flint.fmpq(0))
    expected = old_frac(twice / 2)
    got = polygon_area(points)
    assert got == expected and type(got) is Fraction
    assert (got.numerator, got.denominator) == (expected.numerator, expected.denominator)


def reference_output(net, bits):
    probe = AffineMaps.of(net)
    H = rational_maps(probe, bits)[-1]
    G = probe._masked(H, bits[-1], net.depth - 1)
    return probe._out * G if probe._out is not None else \
        flint.fmpq_mat(G.nrows() - 1, G.ncols(), G.entries()[: (G.nrows() - 1) * G.ncols()])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_output_maps_updated_from_the_last_region_equal_the_rational_product(data):
    """Patterns asked one after another, each a few bits away from the one before (as regions come), some far
    (a fresh start), on one memoised instance and on a copy of it used in between: every output map is the
    plain product.  Bits are read by truth (2 is on), as the masks read them."""
    net = data.draw(networks(input_dim=st.integers(1, 2), depth=st.integers(2, 3), widths=st.integers(1, 5),
                             output=st.integers(1, 2)))
    maps = AffineMaps.of(net, True)
    other = maps.memoised()
    bits = bits_for(data.draw, net)
    for step in range(data.draw(st.integers(2, 8))):
        if data.draw(st.booleans()):
            bits = bits_for(data.draw, net)
        else:
            k = data.draw(st.integers(max(0, net.depth - 2), net.depth - 1))
            layer = list(bits[k])
            for i in data.draw(st.lists(st.integers(0, len(layer) - 1), max_size=3)):
                layer[i] = 0 if layer[i] else data.draw(st.sampled_from([1, 2]))
            bits = bits[:k] + [tuple(layer)] + bits[k + 1:]
        plain = [tuple(int(bool(b)) for b in layer) for layer in bits]
        expected = reference_output(net, plain)
        for m in (maps, other) if step % 2 else (maps,):
            assert m.output(bits) == expected


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_rows_pulled_back_through_piecewise_linear_layers_equal_the_whole_map(data):
    """As for ReLU, through layers of leaky, clipped and identity neurons: each neuron on a drawn piece."""
    net = data.draw(pwl_networks(depth=(1, 3), width=(1, 4)))
    pieces = [tuple(data.draw(st.integers(0, a.pieces - 1)) for a in acts) for acts in net.activations]
    ref = rational_maps(AffineMaps.of(net), pieces)
    for memo in (False, True):
        maps = AffineMaps.of(net, memo)
        for k in reversed(range(net.depth)):
            for j in range(net.widths[k]):
                row = maps.row(pieces[:k], j)
                assert row == tuple(ref[k][j, i] for i in range(ref[k].ncols()))
                ratios = {Fraction(int(s)) / old_frac(v) for s, v in zip(row.scaled, row) if v != 0}
                assert len(ratios) <= 1 and all(r > 0 and r.denominator == 1 for r in ratios)
