"""Implementations that round between steps the network treats as one layer: compare(..., steps=...) bounds them
with the implementation's own steps (identity neurons where it rounds between two affine maps)."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from exactrelu import Network, from_torch, oracle
from exactrelu.exact.floats import round_nearest
from exactrelu.nets.activation import leaky
from exactrelu.numeric.jacobian import jacobian_error_bounds


def _exact(t) -> list:
    return [[Fraction(float(v)) for v in row] for row in t.detach().double().numpy().reshape(t.shape[0], -1)]


def _two_step_model(torch):
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(8, 64), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4))


def _steps_of(m) -> Network:
    vec = lambda t: [Fraction(float(v)) for v in t.detach().double().numpy()]  # noqa: E731
    return Network([(_exact(m[0].weight), vec(m[0].bias), "identity"), (_exact(m[1].weight), vec(m[1].bias))],
                   output=(_exact(m[3].weight), vec(m[3].bias)))


def test_torch_rounding_between_two_linears_is_covered_by_the_steps_bound():
    torch = pytest.importorskip("torch")
    m = _two_step_model(torch)
    net, steps = from_torch(m), _steps_of(m)
    assert net.depth == 1 and steps.depth == 2  # from_torch composed the two Linear modules
    vecs = oracle.make_vectors(net, np.random.default_rng(0).uniform(-1, 1, (6, 8)).astype(np.float32))
    fn = lambda X: m(torch.from_numpy(X)).detach()  # noqa: E731
    r = oracle.compare(fn, vecs, "float32", steps=steps)
    assert r.ok and r.precision == "float32"
    assert oracle.steps_from_torch(m) == steps  # the same steps, read from the model's structure
    # the steps bound is a different claim from the composed one: it adds the intermediate rounding
    composed = jacobian_error_bounds(net, [v.input for v in vecs], "float32")
    stepped = jacobian_error_bounds(steps, [v.input for v in vecs], "float32")
    assert any(s > c for a, b in zip(stepped, composed) for s, c in zip(a.output, b.output))


def test_steps_from_torch_refuses_what_it_cannot_read():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"module '1' \(Tanh\) is not supported"):
        oracle.steps_from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()))
    with pytest.raises(ValueError, match="expects an nn.Sequential"):
        oracle.steps_from_torch(torch.nn.Linear(2, 2))
    m = torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False), torch.nn.ReLU())
    assert oracle.steps_from_torch(m) == from_torch(m)  # nothing to split: the same network


def _emulate_steps(net: Network, x: list, rng: random.Random) -> tuple:
    """float32 pass of a network of ReLU and identity neurons, every dot product in a random order, exactly."""
    fl = lambda q: round_nearest(q, "float32")  # noqa: E731
    y = [fl(v) for v in x]
    layers = [(W, b, acts) for (W, b), acts in zip(net.layers, net.activations)] + [(*net.output, None)]
    for W, b, acts in layers:
        z = []
        for i, (row, bi) in enumerate(zip(W, b)):
            terms = [fl(fl(w) * v) for w, v in zip(row, y)] + [fl(bi)]
            rng.shuffle(terms)
            acc = terms[0]
            for t in terms[1:]:
                acc = fl(acc + t)
            z.append(acc if acts is None or acts[i].name == "identity" else max(acc, Fraction(0)))
        y = z
    return tuple(y)


def test_random_orders_of_a_two_step_implementation_within_the_steps_bound():
    rng = np.random.default_rng(1)
    W1, b1 = rng.uniform(-1, 1, (12, 5)).astype(np.float32), rng.uniform(-1, 1, 12).astype(np.float32)
    W2, b2 = rng.uniform(-1, 1, (10, 12)).astype(np.float32), rng.uniform(-1, 1, 10).astype(np.float32)
    Wo, bo = rng.uniform(-1, 1, (2, 10)).astype(np.float32), rng.uniform(-1, 1, 2).astype(np.float32)
    steps = Network([(W1, b1, "identity"), (W2, b2)], output=(Wo, bo))
    X = rng.uniform(-1, 1, (3, 5)).astype(np.float32)
    exact = [steps(list(map(Fraction, map(float, row)))) for row in X]
    bounds = jacobian_error_bounds(steps, X, "float32")
    for seed in range(5):
        for row, e, eb in zip(X, exact, bounds):
            got = _emulate_steps(steps, [Fraction(float(v)) for v in row], random.Random(seed))
            assert all(abs(g - v) <= bnd for g, v, bnd in zip(got, e, eb.output))


def test_steps_must_compute_the_same_function_and_use_supported_activations():
    net = Network([([[1, 2]], [0])], output=([[1]], [0]))
    vecs = oracle.make_vectors(net, [[1, 1]])
    other = Network([([[1, 0], [0, 2]], [0, 0], "identity"), ([[1, 1]], [1])], output=([[1]], [0]))
    with pytest.raises(ValueError, match="another function: at input 0, output 0"):
        oracle.compare(lambda X: X.sum(axis=1, keepdims=True), vecs, "float32", steps=other)
    with pytest.raises(ValueError, match="steps maps 1 inputs"):
        oracle.compare(lambda X: X.sum(axis=1, keepdims=True), vecs, "float32", steps=Network([([[1]], [0])]))
    lk = Network([([[1, 2]], [0], leaky("1/2"))], output=([[1]], [0]))
    with pytest.raises(ValueError, match="layer 0, neuron 0: the Jacobian bound handles ReLU and identity"):
        oracle.compare(lambda X: X.sum(axis=1, keepdims=True), vecs, "float32", steps=lk)
