"""The branch and bound's float guides (verification/bab.py) only guide: what they propose is made
exact or dropped, and a wrong guide changes the work done, never the answer or the proof's validity."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.exact.lp import solve_lp
from exactrelu.exact.polyhedron import Box
from exactrelu.optional import available
from exactrelu.testing import networks
from exactrelu.verification import bab, verify
from exactrelu.verification.proof_check import _farkas, check_proof
from exactrelu.vnnlib import Property

needs_scipy = pytest.mark.skipif(not available("scipy"), reason="the float LP guide uses scipy (extra 'lp')")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

small = st.fractions(min_value=-4, max_value=4, max_denominator=6)
systems = st.integers(1, 3).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.lists(small, min_size=n, max_size=n), small), min_size=1, max_size=8)))


def _fmpq_rows(rows: list) -> list:
    q = lambda v: flint.fmpq(v.numerator, v.denominator)  # noqa: E731
    return [([q(v) for v in a], q(b)) for a, b in rows]


@needs_scipy
@SETTINGS
@given(systems)
def test_guided_feasibility_is_exact_or_silent(system):
    """A returned point meets every row exactly; returned multipliers pass the checker's Farkas test;
    both agree with the exact LP's verdict."""
    n, rows = system
    out = bab._guided_feasible(_fmpq_rows(rows), n)
    truth = solve_lp([0] * n, A_ub=[a for a, _ in rows], b_ub=[b for _, b in rows]).status
    if isinstance(out, tuple):
        assert all(sum(a * x for a, x in zip(r, out)) <= b for r, b in rows)
        assert truth != "infeasible"
    elif isinstance(out, list):
        _farkas(_fmpq_rows(rows), [flint.fmpq(Fraction(v).numerator, Fraction(v).denominator) for v in out], n, "test")
        assert truth == "infeasible"
    else:
        assert out is None


@needs_scipy
def test_guided_feasibility_on_an_empty_interval():
    """2x <= 0 and -x <= -1 (x >= 1): the certificate 1/2*(2x <= 0) + 1*(-x <= -1) gives 0 <= -1."""
    out = bab._guided_feasible(_fmpq_rows([([Fraction(2)], Fraction(0)), ([Fraction(-1)], Fraction(-1))]), 1)
    assert out == ["1/2", "1"]


@needs_scipy
def test_guided_feasibility_in_a_flat_box():
    """A box of width 0 in x_1 (as ACAS Xu property 4 has) still gets a point or a certificate, not the exact LP:
    the box is given to the float LP as bounds, so only the other rows need slack."""
    q = Fraction
    box = [([q(1), q(0)], q(1)), ([q(0), q(1)], q(1, 3)), ([q(-1), q(0)], q(1)), ([q(0), q(-1)], q(-1, 3))]
    inside = bab._guided_feasible(_fmpq_rows(box + [([q(1), q(1)], q(1))]), 2)  # x_0 + x_1 <= 1, x_1 = 1/3
    assert isinstance(inside, tuple) and inside[1] == q(1, 3) and inside[0] + inside[1] <= 1
    empty = bab._guided_feasible(_fmpq_rows(box + [([q(0), q(-3)], q(-2))]), 2)  # x_1 >= 2/3: none
    assert isinstance(empty, list)
    _farkas(_fmpq_rows(box + [([q(0), q(-3)], q(-2))]), [flint.fmpq(Fraction(v).numerator, Fraction(v).denominator)
                                                        for v in empty], 2, "test")


def test_a_wrong_support_gives_no_certificate():
    """Multipliers guessed on rows that cannot combine to 0 <= negative are refused, not rounded."""
    rows = _fmpq_rows([([Fraction(1)], Fraction(0)), ([Fraction(-1)], Fraction(5))])  # -5 <= x <= 0: feasible
    assert bab._exact_farkas(rows, np.array([1.0, 1.0]), 1) is None


BOX = ([-1, -1], [1, 1])
small_nets = networks(input_dim=2, widths=st.lists(st.integers(1, 4), min_size=1, max_size=2), output=1)


def _exact_max(net: Network) -> Fraction:
    return max(max(r.A[0][0] * v[0] + r.A[0][1] * v[1] + r.c[0] for v in r.polyhedron.vertices())
               for r in net.regions(Box(*BOX)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_nets, st.sampled_from([Fraction(0), Fraction(1, 1000)]), st.booleans(), st.sampled_from(["honest", "never", "always", "random"]))
def test_a_lying_guide_changes_no_answer(net, delta, above, lie):
    """With the guides on for these small networks (GUIDE_MIN_SIZE 0), honest or with the float bound
    guide replaced by nonsense, the answers still match region enumeration and every proof is
    still accepted (the exact bound and the LP decide)."""
    rng = np.random.default_rng(0)
    fake = {"honest": None, "never": lambda k: np.full((2, k), -np.inf), "always": lambda k: np.full((2, k), np.inf),
            "random": lambda k: rng.normal(size=(2, k))}[lie]
    top = _exact_max(net)
    t = top + delta if above else top - delta
    prop = Property.box(*BOX, [[([-1], -t)]])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bab, "GUIDE_MIN_SIZE", 0)
        if fake is not None:
            mp.setattr(bab._Search, "float_floors", lambda self, node: (fake(len(self.C)), np.ones((2, len(self.C)))))
        r = verify(net, prop)
    assert r.status == ("unsat" if t > top else "sat")
    if r.status == "unsat":
        assert check_proof(net.to_json(), prop.to_json(), r.proof)
    else:
        assert net(r.counterexample)[0] >= t


def test_a_failed_unconfirmed_proof_is_searched_again_with_every_bound_exact():
    """verify() returns an unsat proof only after the checker accepts it: when the quick search's
    proof fails (here forged), it searches again with confirm=True and returns that proof."""
    from exactrelu.verification import decide

    net = Network([([[1], [-1]], [0, 0])], output=([[1, 1]], [0]))  # |x|
    prop = Property.box([-1], [1], [[([-1], -2)]])  # |x| >= 2 on [-1, 1]: impossible
    real, calls = decide.search_case, []

    def forging(*args, **kw):
        calls.append(args[5] if len(args) > 5 else kw.get("confirm", False))
        status, steps, stats = real(*args, **kw)
        return (status, [["split", 0, 0], ["bound", 0]], stats) if not calls[-1] else (status, steps, stats)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(decide, "search_case", forging)
        r = decide.verify(net, prop)
    assert calls == [False, True] and r.status == "unsat"
    assert check_proof(net.to_json(), prop.to_json(), r.proof)
