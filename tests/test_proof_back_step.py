"""The checker's "back" step (back-substituted linear ReLU bounds; proofs/verification_proofs.md, step 6):
a true lower bound, never accepted for a false property, and forged uses rejected."""

from __future__ import annotations

import copy
from fractions import Fraction

import flint
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.exact.polyhedron import Box
from exactrelu.testing import networks
from exactrelu.verification import verify
from exactrelu.verification.proof_check import ProofError, _layers, _Node, check_proof
from exactrelu.vnnlib import Property

BOX = ([-1, -1], [1, 1])
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
small_nets = networks(input_dim=2, widths=st.lists(st.integers(1, 4), min_size=1, max_size=3), output=2)


def _q(v) -> flint.fmpq:
    v = Fraction(v)
    return flint.fmpq(v.numerator, v.denominator)


def _root(net: Network) -> _Node:
    return _Node(_layers(net.to_json()), [_q(-1), _q(-1)], [_q(1), _q(1)])


@SETTINGS
@given(small_nets, st.lists(st.fractions(-1, 1, max_denominator=16), min_size=2, max_size=2),
       st.lists(st.integers(-2, 2), min_size=2, max_size=2))
def test_back_floor_is_a_lower_bound(net, x, c):
    """c . N(x) >= back_floor(c) at points of the box (exact), also after a split of the first neuron."""
    node = _root(net)
    assert Fraction(str(node.back_floor([_q(v) for v in c]))) <= sum(a * y for a, y in zip(c, net(x)))
    z = net.layers[0][0][0][0] * x[0] + net.layers[0][0][0][1] * x[1] + net.layers[0][1][0]
    child = node.copy()
    child.assign(0, 1 if z >= 0 else 0)  # x lies in this child's set
    assert Fraction(str(child.back_floor([_q(v) for v in c]))) <= sum(a * y for a, y in zip(c, net(x)))


def _exact_max(net: Network) -> Fraction:
    return max(max(r.A[0][0] * v[0] + r.A[0][1] * v[1] + r.c[0] for v in r.polyhedron.vertices())
               for r in net.regions(Box(*BOX)))


@SETTINGS
@given(networks(input_dim=2, widths=st.lists(st.integers(1, 4), min_size=1, max_size=2), output=1),
       st.sampled_from([Fraction(-1, 2), Fraction(-1, 1000), Fraction(0), Fraction(1, 1000), Fraction(1, 2), Fraction(100)]))
def test_back_at_the_root_never_proves_a_false_property(net, delta):
    """["back", 0] alone is accepted only when the property holds (t above the exact maximum);
    far above it, it is accepted (the check is not vacuous)."""
    top = _exact_max(net)
    t = top + delta
    prop = Property.box(*BOX, [[([-1], -t)]]).to_json()
    try:
        accepted = check_proof(net.to_json(), prop, {"trees": [[["back", 0]]]})
    except ProofError:
        accepted = False
    if accepted:
        assert t > top
    if delta == 100:
        assert accepted


NET = Network([([[1, -1], [1, 1], [-1, 2]], [0, "-1/2", "1/4"]), ([[1, -2, 1], [-1, 1, 1]], [0, 1])],
              output=([[1, -1]], [0]))


def test_forged_back_steps_are_rejected():
    top = _exact_max(NET)
    prop = Property.box(*BOX, [[([-1], -(top + 100))]]).to_json()
    good = [["split", 0, 0], ["back", 0], ["back", 0]]
    assert check_proof(NET.to_json(), prop, {"trees": [good]})
    for bad in (["back", 1], ["back", -1], ["back", True], ["back", "0"], ["back"], ["back", 0, 0]):
        forged = copy.deepcopy(good)
        forged[2] = bad
        with pytest.raises(ProofError):
            check_proof(NET.to_json(), prop, {"trees": [forged]})
            pytest.fail(f"accepted {bad}")  # pragma: no cover
    with pytest.raises(ProofError, match="truncated"):
        check_proof(NET.to_json(), prop, {"trees": [good[:-1]]})
    false = Property.box(*BOX, [[([-1], -(top - Fraction(1, 100)))]]).to_json()  # violated somewhere
    with pytest.raises(ProofError, match="back-substituted bound does not exclude"):
        check_proof(NET.to_json(), false, {"trees": [good]})

