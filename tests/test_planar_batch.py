"""The planar read-out in one batch (every exact line and output map at once, by residues) and its arithmetic.

The batch must give exactly what the lazy read-out gives, region by region: the
same exact vertices, affine maps, witnesses and areas, on networks with small
rational weights, with small integer weights (many lines through common points),
with float32 weights (big power-of-two denominators), several outputs, and on a
slice of a higher-dimensional network.  The residue arithmetic is checked
against Python's integers, at the edges of its bounds.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network, Slice
from exactrelu.nets.activation import leaky
from exactrelu.exact.modular import primes, reconstruct, reduce, residue_stack, residues
from exactrelu.regions import _planar_batch
from exactrelu.regions._planar_batch import BatchedFields, _Layer
from exactrelu.regions._planar_float import float_layer
from exactrelu.testing import networks

BOX = ([-2, -2], [2, 2])


@contextmanager
def _batching(first: int | None):
    """The batch after ``first`` lazy requests (None: never)."""
    old = BatchedFields.BATCH_AFTER, BatchedFields.BATCH_PER
    BatchedFields.BATCH_AFTER, BatchedFields.BATCH_PER = (10**12 if first is None else first), 10**12
    try:
        yield
    finally:
        BatchedFields.BATCH_AFTER, BatchedFields.BATCH_PER = old


def _fields(net, box, first):
    with _batching(first):
        part = net.regions(box)
        got = [(r.pattern, list(r.vertices), r.affine_map, r.witness, r.volume()) for r in part]
    sources = {id(r._source): r._source for r in part}
    return got, [s.batched and set(s.batch_tables) == {"vertices", "map", "area", "witness"} for s in sources.values()]


def _plain(fields) -> bool:
    """Whether every number in the fields is a Fraction of Python ints (not flint's, not numpy's)."""
    def numbers(x):
        if isinstance(x, (tuple, list)):
            for y in x:
                yield from numbers(y)
        elif not hasattr(x, "layers"):  # (skip the pattern)
            yield x
    return all(type(v) is Fraction and type(v.numerator) is int and type(v.denominator) is int
               for v in numbers(fields))


def _same_as_lazy(net, box=BOX, batched=True):
    lazy, ran = _fields(net, box, None)
    assert not any(ran) and _plain(lazy)
    for first in (1, 7):  # from the first request, and after some lines were made one by one (if as many)
        fast, ran = _fields(net, box, first)
        assert fast == lazy and _plain(fast)
        assert first > 1 or all(ran) == batched


@settings(max_examples=40, deadline=None)
@given(networks(input_dim=2, widths=st.integers(1, 6), depth=st.integers(1, 3), output=st.integers(1, 3)))
def test_the_batch_equals_the_lazy_read_out(net):
    _same_as_lazy(net)


@st.composite
def integer_networks(draw):
    """Small integer weights: many lines through common points and many exactly zero rows."""
    dims = [2] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 3)))]
    ints = st.integers(-2, 2)
    layers = [([[draw(ints) for _ in range(a)] for _ in range(b)], [draw(ints) for _ in range(b)])
              for a, b in zip(dims, dims[1:])]
    return Network(layers, output=([[draw(ints) for _ in range(dims[-1])]], [draw(ints)]))


@settings(max_examples=40, deadline=None)
@given(integer_networks())
def test_the_batch_equals_the_lazy_read_out_where_lines_meet_in_common_points(net):
    _same_as_lazy(net)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([[8, 8], [16, 12, 10], [24, 24]]))
def test_the_batch_equals_the_lazy_read_out_on_float32_weights(seed, widths):
    """float32 weights read exactly: power-of-two denominators, maps of a few hundred bits, many primes."""
    rng = np.random.default_rng(seed)
    dims = [2, *widths]
    layers = [(rng.normal(0, math.sqrt(2 / a), (b, a)).astype(np.float32), rng.normal(0, 0.1, b).astype(np.float32))
              for a, b in zip(dims, dims[1:])]
    head = (rng.normal(0, 1, (2, dims[-1])).astype(np.float32), rng.normal(0, 1, 2).astype(np.float32))
    _same_as_lazy(Network(layers, output=head), box=([-1, -1], [1, 1]))


def test_the_maps_made_with_the_lines_equal_the_maps_made_later(monkeypatch):
    """Past KEEP_BYTES the last layer's maps are made in the lines' pass; else later, from kept residues."""
    rng = np.random.default_rng(11)
    layers = [(rng.integers(-4, 5, (7, 2)), rng.integers(-3, 4, 7)), (rng.integers(-4, 5, (6, 7)), rng.integers(-3, 4, 6)),
              (rng.integers(-4, 5, (5, 6)), rng.integers(-3, 4, 5))]
    net = Network(layers, output=(rng.integers(-2, 3, (2, 5)), [1, -1]))
    kept, _ = _fields(net, BOX, 1)
    monkeypatch.setattr(_planar_batch, "KEEP_BYTES", 0)
    _same_as_lazy(net)
    assert _fields(net, BOX, 1)[0] == kept


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 9), st.integers(1, 9), st.sampled_from(["float32", "float64", "rational"]))
def test_a_layers_integers_from_its_floats_equal_flints(seed, rows, cols, kind):
    """The fast path that reads a float layer's integers from its floats gives flint's integers, residues and
    bound; a layer whose floats are not exact takes flint's path."""
    rng = np.random.default_rng(seed)
    W, b = rng.normal(0, 2.0**rng.integers(-30, 10), (rows, cols)), rng.normal(0, 1, rows)
    if kind == "float32":  # (of one scale: its integers fit 62 bits; float64's may not, then flint's path)
        W, b = rng.normal(0, 1, (rows, cols)).astype(np.float32), b.astype(np.float32)
    elif kind == "rational":
        W = [[Fraction(3 * int(v * 1000) + 1, 3) for v in row] for row in W]  # (no third is a float)
    net = Network([(W, b)], output=([[1] * rows], [0]))
    from exactrelu.nets.affine import AffineMaps

    [Zh], _ = AffineMaps.of(net).integer_layers()
    d = int(Zh[rows, cols])
    fast, slow = _Layer(Zh, d, float_layer(*net.layers[0])), _Layer(Zh, d, None)
    assert fast.small is not None if kind == "float32" else kind == "float64" or fast.small is None
    assert fast.ints.tolist() == slow.ints.tolist() == [[int(v) for v in r] for r in Zh.tolist()]
    assert fast.absolute == slow.absolute
    ps = primes(cols + 1, 2**200)
    assert np.array_equal(fast.residues(ps), slow.residues(ps))


def test_the_batch_reads_a_slice_and_skips_what_it_does_not_cover():
    rng = np.random.default_rng(5)
    net = Network([(rng.integers(-3, 4, (6, 4)), rng.integers(-2, 3, 6)), (rng.integers(-3, 4, (5, 6)), [0] * 5)],
                  output=([[1, -1, 2, 0, 1]], [0]))
    plane = Slice.through_points([0, 0, 0, 0], [1, 0, 1, 0], [0, 1, 0, -1])
    lazy, _ = _fields(net, plane, None)
    fast, ran = _fields(net, plane, 1)
    assert fast == lazy and all(ran) and _plain(fast)
    leaky_net = Network([([[1, 2], [2, -1], [1, 1]], [0, 1, -1], leaky("1/4"))], output=([[1, 1, 1]], [0]))
    _same_as_lazy(leaky_net, batched=False)  # other activations stay lazy


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3000), st.integers(0, 2**400), st.data())
def test_residues_reconstruct_every_integer_within_the_bound(inner, bound, data):
    ps = primes(inner, bound)
    assert all(inner * (p - 1) ** 2 < 2**53 for p in ps) and math.prod(ps) > 2 * bound
    values = [bound, -bound, 0] + data.draw(st.lists(st.integers(-bound, bound), max_size=20))
    got = reconstruct([residues(np.array(values, dtype=object), p) for p in ps], ps)
    assert got.tolist() == values


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**300), 2**300) | st.sampled_from([2**64 - 1, -(2**64), 2**15, -(2**15) - 1, 0]),
                max_size=30), st.integers(1, 3000), st.integers(1, 2**200))
def test_a_residue_stack_equals_each_primes_residues(values, inner, bound):
    """All primes at once from 16-bit limbs (two's complement) equal Python's % prime by prime."""
    ps = primes(inner, bound)
    got = residue_stack(np.array(values, dtype=object).reshape(len(values), 1), ps)
    assert got.shape == (len(ps), len(values), 1)
    assert [got[i].ravel().tolist() for i in range(len(ps))] == [[float(v % p) for v in values] for p in ps]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 150), st.integers(1, 5), st.integers(1, 300), st.integers(0, 2**31))
def test_products_by_residues_equal_python_integer_products(rows, inner, cols, bits, seed):
    rng = np.random.default_rng(seed)
    A = np.array([[int(v) for v in rng.integers(-(2**62), 2**62, inner)] for _ in range(rows)], dtype=object)
    A = A * (2 ** max(0, bits - 62))
    B = np.array([[int(v) for v in rng.integers(-(2**40), 2**40, cols)] for _ in range(inner)], dtype=object)
    exact = A.dot(B)
    bound = int(np.abs(A).dot(np.abs(B)).max())
    ps = primes(inner, bound)
    got = reconstruct([reduce(residues(A, p) @ residues(B, p), p) for p in ps], ps)
    assert got.tolist() == exact.tolist()


def test_reduce_at_the_edges():
    for p in primes(65, 2**300):
        Y = np.array([0, 1, p - 1, p, p + 1, 2 * p - 1, 7 * p, 7 * p - 1, 2**53 - 1, 2**53 - p, 2**52 + 3], float)
        want = [int(v) % p for v in Y.tolist()]
        assert reduce(Y.copy(), p).tolist() == want


def test_the_batch_keeps_denominators_past_a_machine_word():
    """Layer denominators of 2^63 and more (tiny float weights, slices through rational points) stay integers."""
    F = Fraction
    net = Network([([[F(3, 2**63), F(-1, 2**70)], [F(5, 3**41), F(7, 2**64)], [1, F(1, 2**65)]],
                    [F(1, 2**66), 0, F(-1, 2**63)]),
                   ([[1, -2, F(1, 2**64)], [F(3, 2**67), 1, 1]], [0, F(1, 2**80)])],
                  output=([[1, F(-1, 2**63)]], [F(1, 2**90)]))
    _same_as_lazy(net, box=([F(-1, 2**62), -1], [1, F(1, 2**61)]))
    # one layer's denominator in [2^63, 2^64), the next's small: numpy would make them uint64 and int64, then floats
    word = Network([([[F(3, 2**63), 1], [1, F(-5, 2**63)], [1, 1]], [0, F(1, 2**63), -1]),
                    ([[1, -2, 1], [3, 1, 1]], [0, F(1, 2)])], output=([[1, -1]], [0]))
    _same_as_lazy(word)
