"""Patterns: construction, parsing, ordering, hashing, JSON, and bad input."""

import pytest
from hypothesis import given, strategies as st

from exactrelu import Pattern

bits = st.lists(st.lists(st.integers(0, 1), min_size=1, max_size=5), min_size=1, max_size=4)


@given(bits)
def test_parse_inverts_str(layers):
    p = Pattern(layers)
    assert Pattern.parse(str(p)) == p
    assert Pattern.from_json(p.to_json()) == p


def test_compact_print_and_ties():
    p = Pattern([[1, 0], [0, 1, 1]], ties=[(1, 0), (0, 1), (1, 0)])
    assert str(p) == "10|011"
    assert p.ties == ((0, 1), (1, 0))  # sorted, deduplicated
    assert repr(p) == "Pattern('10|011', ties=[(0, 1), (1, 0)])"
    assert p != p.without_ties() and p.without_ties() == Pattern.parse("10|011")
    assert p.prefix(1) == Pattern([[1, 0]], ties=[(0, 1)])
    assert (p.widths, p.depth, p.n_active) == ((2, 3), 2, 3)


def test_hashable_and_ordered():
    a, b = Pattern.parse("01"), Pattern.parse("10")
    assert len({a, b, Pattern([[0, 1]])}) == 2
    assert sorted([b, a]) == [a, b]


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Pattern([[0, -1]]), "layer 0, neuron 1"),
        (lambda: Pattern([[0, 36]]), "layer 0, neuron 1"),
        (lambda: Pattern([[1], [0, 0.5]]), "layer 1, neuron 1"),
        (lambda: Pattern([[1]], ties=[(0, 3)]), "names no neuron"),
        (lambda: Pattern.parse("10|-"), "layer 1"),
        (lambda: Pattern.parse("10||1"), "layer 1"),
        (lambda: Pattern.from_json([1]), "must be an object"),
    ],
)
def test_bad_patterns_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ---- audit regressions
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Pattern([[1, 0]], ties="01"), "ties must be a sequence"),
        (lambda: Pattern([[1, 0]], ties=[(0, 1.5)]), "not a \\(layer, neuron\\) pair of integers"),  # not int(1.5) == 1
        (lambda: Pattern([[1, 0]], ties=[(0, True)]), "pair of integers"),
        (lambda: Pattern([5]), "layer 0 must be a sequence"),
        (lambda: Pattern("10"), "layers must be a sequence"),
        (lambda: Pattern.parse(10), "written as a string"),
        (lambda: Pattern.from_json({"layers": "10", "ties": 5}), "'ties' must be a list"),
    ],
)
def test_malformed_patterns_and_ties_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_integers_are_fine_as_ties():
    import numpy as np

    assert Pattern([[0, 1]], ties=[(np.int64(0), np.int64(0))]).ties == ((0, 0),)


def test_a_relu_network_refuses_a_piece_2_or_a_tie_on_an_active_neuron():
    from exactrelu import Network

    net = Network([([[1], [2]], [0, 0])])
    with pytest.raises(ValueError, match="layer 0, neuron 1: piece 2, but its relu has 2 pieces"):
        net.affine_map(Pattern([[0, 2]]))
    with pytest.raises(ValueError, match="not an active neuron"):  # tie: z == 0, active: z > 0
        net.domain(Pattern([[1, 0]], ties=[(0, 0)]))


def test_pieces_beyond_nine_are_letters_and_round_trip():
    p = Pattern([[0, 9, 10, 35]], ties=[(0, 2)])
    assert str(p) == "09az" and Pattern.from_json(p.to_json()) == p
