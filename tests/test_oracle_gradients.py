"""oracle.compare_gradients and numeric.gradients: exact Jacobians of regions, one-sided sets at ties,
rigorous bounds on a float backward pass (any summation order), torch autograd in each precision."""

from __future__ import annotations

import copy
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network, from_torch, oracle
from exactrelu.exact.floats import get_format, round_nearest
from exactrelu.nets.pattern import Pattern
from exactrelu.numeric.gradients import backward_error_bounds, candidate_jacobians

from test_errorbounds import networks


def test_one_sided_jacobians_at_a_tie_and_torch_convention_flagged():
    # y = relu(x) + 2 relu(-x): at x = 0 both neurons are tied; the one-sided Jacobians are 1 and -2,
    # and relu'(0) = 0 (torch's convention) gives 0, which is neither
    net = Network([([[1], [-1]], [0, 0])], output=([[1, 2]], [0]))
    vecs = oracle.make_vectors(net, [[0], [1]])
    cands = candidate_jacobians(net, (0,), vecs[0].pattern)
    assert sorted(c.jacobian[0][0] for c in cands) == [-2, 1] and all(c.one_sided for c in cands)
    right = lambda X: np.where(X > 0, 1.0, np.where(X < 0, -2.0, 1.0))  # noqa: E731 - from the right at 0
    assert oracle.compare_gradients(right, vecs, "float32").ok
    zero_at_tie = lambda X: np.where(X > 0, 1.0, np.where(X < 0, -2.0, 0.0))  # noqa: E731
    report = oracle.compare_gradients(zero_at_tie, vecs, "float32")
    assert not report.ok and [(d.input_index, d.output_index) for d in report.real_errors] == [(0, 0)]
    assert "exact" in str(report) and "FAILED" in str(report)


def test_tie_whose_neuron_is_flat_gives_one_jacobian():
    # z_1 = x - x = 0 everywhere: tied at every input, and both of its bits give the same Jacobian
    net = Network([([[1], [1]], [0, 0]), ([[1, -1]], [0])], output=([[3]], [1]))
    vecs = oracle.make_vectors(net, [["1/2"]])
    cands = candidate_jacobians(net, vecs[0].input, vecs[0].pattern)
    assert {c.jacobian for c in cands} == {((Fraction(0),),)}
    assert oracle.compare_gradients(lambda X: np.zeros((len(X), 1)), vecs).ok


def _torch_grads(torch, model, dtype):
    m = copy.deepcopy(model).to(dtype)

    def fn(X):
        x = torch.from_numpy(X).to(dtype).requires_grad_(True)
        return torch.autograd.functional.jacobian(lambda v: m(v).sum(0), x).permute(1, 0, 2).float()
    return fn


def test_torch_autograd_classified_under_each_precision():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 3))
    net = from_torch(model)
    vecs = oracle.make_vectors(net, np.random.default_rng(0).uniform(-1, 1, (3, 8)).astype(np.float32))
    f32, bf16 = _torch_grads(torch, model, torch.float32), _torch_grads(torch, model, torch.bfloat16)
    assert oracle.compare_gradients(f32, vecs, "float32").ok
    assert oracle.compare_gradients(bf16, vecs, "bfloat16").ok
    r = oracle.compare_gradients(bf16, vecs, "float32")
    assert not r.ok and len(r.real_errors) == 9  # every row of the bfloat16 Jacobian is caught under float32
    wrong = lambda X: f32(X) * (1 + 1e-4)  # noqa: E731 - a 1e-4 relative error: far beyond float32 rounding
    assert not oracle.compare_gradients(wrong, vecs, "float32").ok


def test_bad_gradient_shapes_and_networks_refused():
    net = Network([([[1, 1]], [0])], output=([[1], [2]], [0, 0]))
    vecs = oracle.make_vectors(net, [[1, 2]])
    with pytest.raises(ValueError, match=r"shape \(1, 2\), expected \(1, 2, 2\)"):
        oracle.compare_gradients(lambda X: np.zeros((1, 2)), vecs)
    with pytest.raises(ValueError, match="dtype"):
        oracle.compare_gradients(lambda X: np.zeros((1, 2, 2), dtype=object), vecs)


def _emulated_backward(net: Network, bits: list, fmt, rng: random.Random) -> list:
    """Backpropagation of every output in ``fmt``, each dot product summed in a random order (exact rationals)."""
    fl = lambda q: round_nearest(q, fmt)  # noqa: E731
    Ws = [W for W, _ in net.layers] + ([net.output[0]] if net.output else [])
    masks = [list(b) for b in bits] + ([[1] * len(net.output[0])] if net.output else [])
    rows = []
    for o in range(net.output_dim):
        g = [Fraction(int(i == o)) * masks[-1][i] for i in range(len(Ws[-1]))]
        for k in range(len(Ws) - 1, -1, -1):
            W = Ws[k]
            h = []
            for j in range(len(W[0])):
                terms = [fl(g[i] * fl(W[i][j])) for i in range(len(W)) if g[i]]
                rng.shuffle(terms)
                acc = Fraction(0)
                for t in terms:
                    acc = fl(acc + t)
                h.append(acc)
            g = [v * m for v, m in zip(h, masks[k - 1])] if k > 0 else h
        rows.append(g)
    return rows


@settings(max_examples=30, deadline=None)
@given(networks(max_width=5, max_depth=3), st.integers(0, 2**16))
def test_backward_bound_holds_for_random_orders_in_low_precision(net, seed):
    rng = random.Random(seed)
    bits = [[rng.randint(0, 1) for _ in range(w)] for w in net.widths]
    A, _ = net.affine_map(Pattern(bits))
    fmt = get_format(8)
    B = backward_error_bounds(net, bits, 8)
    for row_c, row_e, row_b in zip(_emulated_backward(net, bits, fmt, rng), A, B):
        for c, e, b in zip(row_c, row_e, row_b):
            assert abs(c - e) <= Fraction(float(b)), (c, e, b)
