"""Tests for exactrelu.testing: the strategies honour their parameters and hit activation boundaries."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.depth.family import Family
from exactrelu import testing
from exactrelu.testing import families, inputs, networks, rationals


def entries(net):
    pairs = list(net.layers) + ([net.output] if net.output else [])
    for W, b in pairs:
        for row in W:
            yield from row
        yield from b


@given(net=networks(input_dim=st.integers(2, 4), widths=st.integers(1, 2), depth=2, denominators=[3, 5], weight_range=2, output=2))
def test_networks_honour_parameters(net):
    assert 2 <= net.input_dim <= 4 and net.depth == 2 and set(net.widths) <= {1, 2}
    assert net.output_dim == 2 and net.output is not None
    for q in entries(net):
        assert abs(q) <= 2 and (3 % q.denominator == 0 or 5 % q.denominator == 0)


@given(net=networks(widths=[3, 1, 2], output=False))
def test_networks_fixed_widths(net):
    assert net.widths == (3, 1, 2) and net.output is None


@given(net=networks(widths=st.lists(st.integers(1, 2), min_size=1, max_size=2), output=st.just(0)))
def test_networks_widths_strategy_of_lists(net):
    assert 1 <= net.depth <= 2 and net.output is None


def test_widths_strategy_draws_per_layer():
    # With a strategy of ints each layer draws its own width, so unequal widths must occur.
    net = find(networks(widths=st.integers(1, 3), depth=3), lambda net: len(set(net.widths)) > 1)
    assert net.depth == 3


def test_bad_parameters():
    with pytest.raises(ValueError, match="denominators must be >= 1"):
        find(networks(denominators=0), lambda n: True)
    with pytest.raises(ValueError, match="bound must be nonnegative"):
        find(rationals(bound=-1), lambda q: True)
    with pytest.raises(ValueError, match="expects a Network"):
        inputs("not a net")


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_inputs_fit_the_network(data):
    net = data.draw(networks())
    x = data.draw(inputs(net, bound=1, boundary=False))
    assert len(x) == net.input_dim and all(isinstance(v, Fraction) and abs(v) <= 1 for v in x)
    y = data.draw(inputs(net))
    assert len(y) == net.input_dim
    net(y)  # evaluates exactly


def test_inputs_hit_boundaries_of_deep_neurons():
    # Layer 1 neuron: z = relu(x0) - relu(x1) - 1/2; hyperplanes of layer 1 bend, so the local
    # projection must be checked; find() succeeds only if deep ties are produced.
    net = Network([([[1, 0], [0, 1]], [0, 0]), ([[1, -1]], ["-1/2"])])
    x = find(inputs(net), lambda x: (1, 0) in net.pattern(x).ties)
    assert net.pre_activations(x)[1][0] == 0


@settings(max_examples=20)
@given(st.data())
def test_boundary_points_are_common(data):
    net = data.draw(networks(depth=st.integers(1, 2)))
    if not any(any(row) for row in net.layers[0][0]):
        return  # a zero first layer has no hyperplane to land on
    xs = data.draw(st.lists(inputs(net), min_size=30, max_size=30))
    # one_of(plain, boundary) draws boundary points about half the time; demand at least a few.
    assert sum(1 for x in xs if net.pattern(x).ties) >= 3


@settings(max_examples=8, deadline=None)
@given(fam=families(width=st.integers(1, 2), input_dim=st.sampled_from([None, 3]), output=1))
def test_families_are_well_formed(fam):
    assert 1 <= fam.width <= 2 and fam.input_dim in (fam.width, 3)
    assert fam.output is not None and len(fam.output[0]) == 1
    assert fam.issues() == []  # the forms have no poles for n >= 1 and rational values
    net = fam.truncate(3)
    assert net.depth == 3 + len(fam.prefix) and net.input_dim == fam.input_dim
    # the JSON round trip is exact: the same family, the same layer values
    data = fam.to_json()
    back = Family.from_json(json.dumps(data))  # through the text, as a file would
    assert back == fam and back.to_json() == data
    for k in (fam.start, fam.start + 1, fam.start + 4):
        assert back.layer(k) == fam.layer(k)


def test_families_forms_parameter():
    fam = find(families(width=1, forms=["{a}/n^2"], output=False), lambda f: f.layer(1)[0][0][0] != 0)
    a = fam.layer(1)[0][0][0]  # W(n) = a / n^2
    assert fam.layer(2)[0][0][0] == a / 4


# ---- audit regressions: bad parameters are named, not a TypeError or a silent int()
@pytest.mark.parametrize(
    "strategy, message",
    [
        (lambda: testing.networks(input_dim="3"), "input_dim must be an integer"),
        (lambda: testing.networks(widths="3"), "widths must be"),
        (lambda: testing.networks(output=2.5), "output .* must be an integer >= 0, got 2.5"),
        (lambda: testing.networks(output=-1), "got -1"),
        (lambda: testing.families(forms=["{zz}/n"]), "may use only the fields"),
    ],
)
def test_bad_strategy_parameters_are_named(strategy, message):
    from hypothesis import find

    with pytest.raises(ValueError, match=message):
        find(strategy(), lambda value: True)
