"""verify(): answers agree with exact region enumeration; proofs are checked and forgeries rejected."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.exact.polyhedron import Box
from exactrelu.testing import acas_dir, networks
from exactrelu.verification import verify
from exactrelu.verification.proof_check import ProofError, check_proof
from exactrelu.vnnlib import Property

BOX = ([-1, -1], [1, 1])


def exact_max(net: Network) -> Fraction:
    """max of the (one) output over the box: each region's affine map at its polygon's vertices."""
    return max(max(r.A[0][0] * v[0] + r.A[0][1] * v[1] + r.c[0] for v in r.polyhedron.vertices())
               for r in net.regions(Box(*BOX)))


def at_least(t) -> Property:
    """Unsafe: the output is >= t somewhere in the box."""
    return Property.box(*BOX, [[([-1], -Fraction(t))]])


small_nets = networks(input_dim=2, widths=st.lists(st.integers(1, 4), min_size=1, max_size=2), output=1)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(small_nets, st.sampled_from([Fraction(0), Fraction(1, 1000), Fraction(1, 3)]), st.booleans())
def test_verify_agrees_with_region_enumeration(net, delta, above):
    top = exact_max(net)
    t = top + delta if above else top - delta
    prop = at_least(t)
    r = verify(net, prop)
    assert r.status == ("unsat" if t > top else "sat")
    if r.status == "sat":
        assert all(-1 <= v <= 1 for v in r.counterexample) and net(r.counterexample)[0] >= t
        assert r.outputs == net(r.counterexample)
    else:
        assert check_proof(net.to_json(), prop.to_json(), r.proof)


@SETTINGS
@given(small_nets, st.sampled_from([Fraction(1, 1000), Fraction(1, 2)]))
def test_a_proof_does_not_transfer_to_a_false_property(net, delta):
    """Soundness, tested: the proof that y < top + delta must fail for y >= top - delta, which is violated."""
    top = exact_max(net)
    proof = verify(net, at_least(top + delta)).proof
    with pytest.raises(ProofError):
        check_proof(net.to_json(), at_least(top - delta).to_json(), proof)


def _some_proof():
    net = Network([([[1, -1], [1, 1], [-1, 2]], [0, "-1/2", "1/4"]), ([[1, -2, 1], [-1, 1, 1]], [0, 1])],
                  output=([[1, -1]], [0]))
    prop = at_least(exact_max(net) + Fraction(1, 100))
    r = verify(net, prop)
    assert r.status == "unsat"
    return net.to_json(), prop.to_json(), r.proof


def _mutations(proof):
    tree = proof["trees"][0]
    yield "truncated", {**proof, "trees": [tree[:-1]]}
    yield "extra step", {**proof, "trees": [tree + [["bound", 0]]]}
    yield "no trees", {**proof, "trees": []}
    for i, step in enumerate(tree):
        if step[0] == "empty":
            nonzero = [j for j, v in enumerate(step[1]) if v != "0"]
            neg = copy.deepcopy(tree)
            neg[i][1][nonzero[0]] = "-" + neg[i][1][nonzero[0]]
            yield f"negative multiplier at step {i}", {**proof, "trees": [neg]}
            zero = copy.deepcopy(tree)
            zero[i][1] = ["0"] * len(step[1])
            yield f"zero multipliers at step {i}", {**proof, "trees": [zero]}
            short = copy.deepcopy(tree)
            short[i][1] = step[1][:-1]
            yield f"missing multiplier at step {i}", {**proof, "trees": [short]}
        if step[0] == "split":
            bad = copy.deepcopy(tree)
            bad[i][1] += 1
            yield f"split in the wrong layer at step {i}", {**proof, "trees": [bad]}
        if step[0] == "fix":
            bad = copy.deepcopy(tree)
            bad[i][3] = "1"
            yield f"phase not an int at step {i}", {**proof, "trees": [bad]}


def test_proof_accepted_and_mutations_rejected():
    net, prop, proof = _some_proof()
    assert check_proof(net, prop, proof)
    count = 0
    for name, forged in _mutations(proof):
        with pytest.raises(ProofError):
            check_proof(net, prop, forged)
            pytest.fail(f"accepted a forged proof: {name}")
        count += 1
    assert count >= 5


def test_checker_rejects_a_wrong_fix_phase():
    net = {"format": "exactrelu.network", "version": 1, "layers": [{"W": [["1"]], "b": ["2"]}], "output": None}
    prop = {"inputs": 1, "outputs": 1, "cases": [{"lower": ["-1"], "upper": ["1"], "constraints": [[["1"], "0"]]}]}
    # relu(x + 2) <= 0 is impossible on [-1, 1]: the neuron is active on the whole box
    good = [["fix", 0, 0, 1], ["empty", ["0", "1", "0", "1"]]]
    assert check_proof(net, prop, {"trees": [good]})
    with pytest.raises(ProofError, match="does not have phase 0"):
        check_proof(net, prop, {"trees": [[["fix", 0, 0, 0], ["bound", 0]]]})


def test_time_limit_gives_unknown():
    net = Network([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], [0]))
    r = verify(net, at_least(100), time_limit=0)
    assert r.status == "unknown" and "time limit" in r.reason


def test_shape_errors_name_what_is_wrong():
    net = Network([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], [0]))
    with pytest.raises(ValueError, match="3 inputs"):
        verify(net, Property.box([0, 0, 0], [1, 1, 1], [[([1], 0)]]))
    with pytest.raises(ValueError, match="names output Y_1"):
        verify(net, Property.box([0, 0], [1, 1], [[([1, 1], 0)]]))


def test_vnncomp_text():
    net = Network([([[1], [-1]], [0, 0])], output=([[1, 1]], [0]))
    r = verify(net, Property.box([-1], [1], [[([-1], "-1/2")]]))
    text = r.vnncomp()
    assert text.startswith("sat\n((X_0 ") and "(Y_0 " in text
    assert verify(net, Property.box([-1], [1], [[([-1], -2)]])).vnncomp() == "unsat\n"  # |x| >= 2: never


# ------------------------------------------------------------ ACAS Xu
ACAS = acas_dir() or Path("/nonexistent")


def _acas(network: str, prop: str) -> tuple:
    """ACAS Xu network ``network`` (e.g. "1_7") read from its ONNX file, and a shipped VNN-LIB property."""
    pytest.importorskip("onnx")
    from exactrelu.interop.io import load
    from exactrelu.vnnlib import read

    return load(ACAS / f"ACASXU_run2a_{network}_batch_2000.onnx"), read(ACAS / prop)


@pytest.mark.skipif(not (ACAS / "ACASXU_run2a_1_7_batch_2000.onnx").is_file(), reason="ACAS Xu data not present")
def test_acas_1_7_violates_property_3_exactly():
    net, prop = _acas("1_7", "prop_3.vnnlib")
    r = verify(net, prop, time_limit=120)
    assert r.status == "sat"
    y = net(r.counterexample)  # exact re-check: COC (Y_0) is minimal at an input of the box
    assert all(y[0] <= y[j] for j in range(1, 5))
    case = prop.cases[0]
    assert all(a <= v <= b for a, v, b in zip(case.lower, r.counterexample, case.upper))


def test_checker_cuts_the_box():
    net = Network([([[1], [-1]], [0, 0])], output=([[1, 1]], [0])).to_json()  # |x|
    prop = Property.box([-1], [1], [[([-1], "-3/2")]]).to_json()  # unsafe: |x| >= 3/2
    assert check_proof(net, prop, {"trees": [[["cut", 0, "0"], ["bound", 0], ["bound", 0]]]})
    for bad, message in [([["cut", 0, "2"], ["bound", 0], ["bound", 0]], "outside the node's range"),
                         ([["cut", 1, "0"], ["bound", 0], ["bound", 0]], "input index"),
                         ([["cut", 0, "0"], ["bound", 0]], "truncated")]:
        with pytest.raises(ProofError, match=message):
            check_proof(net, prop, {"trees": [bad]})
    # a cut that leaves a violated half must not be closable: |x| >= 1/2 holds at x = 1
    weak = Property.box([-1], [1], [[([-1], "-1/2")]]).to_json()
    with pytest.raises(ProofError):
        check_proof(net, weak, {"trees": [[["cut", 0, "0"], ["bound", 0], ["bound", 0]]]})


@settings(max_examples=15, deadline=None)
@given(small_nets, st.sampled_from([Fraction(-1, 3), Fraction(1, 1000)]))
def test_verify_with_input_cuts_agrees_too(net, delta):
    """The same answers (and accepted proofs) when the search also bisects the input box."""
    from exactrelu.verification import bab

    saved, bab.CUT_POLICY = bab.CUT_POLICY, (1, 1 / 8, 10)
    try:
        top = exact_max(net)
        prop = at_least(top + delta)
        r = verify(net, prop)
    finally:
        bab.CUT_POLICY = saved
    assert r.status == ("unsat" if delta > 0 else "sat")
    if r.status == "unsat":
        assert check_proof(net.to_json(), prop.to_json(), r.proof)


def test_several_cases():
    net = Network([([[1], [-1]], [0, 0])], output=([[1, 1]], [0]))  # |x| on [-1, 1]
    holds, fails = [([-1], -2)], [([-1], "-1/2")]  # |x| >= 2 never; |x| >= 1/2 somewhere
    both = Property.box([-1], [1], [holds, holds])
    r = verify(net, both)
    assert r.status == "unsat" and len(r.proof["trees"]) == 2
    assert check_proof(net.to_json(), both.to_json(), r.proof)
    with pytest.raises(ProofError, match="one tree per case"):
        check_proof(net.to_json(), both.to_json(), {"trees": r.proof["trees"][:1]})
    r = verify(net, Property.box([-1], [1], [holds, fails]))
    assert r.status == "sat" and r.case == 1 and abs(r.counterexample[0]) >= Fraction(1, 2)


@pytest.mark.skipif(not (ACAS / "ACASXU_run2a_1_6_batch_2000.onnx").is_file(), reason="ACAS Xu data not present")
def test_acas_1_6_property_3_holds_with_a_checked_proof():
    """A real network: the property holds (unsat), and the independent checker accepts the proof."""
    net, prop = _acas("1_6", "prop_3.vnnlib")
    r = verify(net, prop, time_limit=300)
    assert r.status == "unsat"
    assert check_proof(net.to_json(), prop.to_json(), r.proof)
    tree = r.proof["trees"][0]
    with pytest.raises(ProofError, match="truncated"):
        check_proof(net.to_json(), prop.to_json(), {"trees": [tree[:-1]]})
