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
    with pytest.raises(ValueError, match="expects a torch nn.Module"):
        oracle.steps_from_torch(object())
    bn = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2), torch.nn.ReLU()).eval()
    with pytest.raises(ValueError, match=r"module '1' \(BatchNorm1d\): rounded steps of BatchNorm are not modelled"):
        oracle.steps_from_torch(bn)
    avg3 = torch.nn.Sequential(torch.nn.Conv1d(1, 1, 2), torch.nn.AvgPool1d(3), torch.nn.Flatten())
    with pytest.raises(ValueError, match=r"module '1' \(AvgPool1d\): .* not a power of two"):
        oracle.steps_from_torch(avg3, (1, 7))
    pool = torch.nn.Sequential(torch.nn.Conv1d(1, 1, 2), torch.nn.MaxPool1d(2), torch.nn.Flatten())
    with pytest.raises(ValueError, match=r"module '1' \(MaxPool1d\): rounded steps of MaxPool1d"):
        oracle.steps_from_torch(pool, (1, 5))
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


def _conv_model(torch):
    """conv -> relu -> avgpool -> flatten -> linear -> linear -> relu -> linear: torch rounds after the pool and
    after the first of the two Linear modules, where from_torch composes."""
    torch.manual_seed(5)
    nn = torch.nn
    return nn.Sequential(nn.Conv1d(1, 3, 3), nn.ReLU(), nn.AvgPool1d(2), nn.Flatten(), nn.Linear(12, 8),
                         nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))


def _residual_model(torch):
    nn = torch.nn

    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp, self.f1, self.f2, self.out = nn.Linear(4, 6), nn.Linear(6, 6), nn.Linear(6, 6), nn.Linear(6, 2)

        def forward(self, x):
            y = torch.relu(self.inp(x))
            y = y + self.f2(torch.relu(self.f1(y)))  # torch rounds f2's output, then the sum
            return self.out(torch.relu(y))

    torch.manual_seed(6)
    return Res()


@pytest.mark.parametrize("which", ["conv", "residual"])
def test_steps_of_conv_pool_and_skip_models_compute_the_same_function_and_bound_torch(which):
    torch = pytest.importorskip("torch")
    m = _conv_model(torch) if which == "conv" else _residual_model(torch)
    shape = (1, 11) if which == "conv" else None
    net, steps = from_torch(m, shape), oracle.steps_from_torch(m, shape)
    extra = 2 if which == "conv" else 1  # conv: after the pool and after Linear(12, 8); skip: F's output stored
    assert steps.depth == net.depth + extra
    assert sum(a.name == "identity" for acts in steps.activations for a in acts) > 0
    X = np.random.default_rng(2).uniform(-1, 1, (5, net.input_dim)).astype(np.float32)
    for row in X:
        x = [Fraction(float(v)) for v in row]
        assert steps(x) == net(x)  # exactly the same function
    got = m(torch.from_numpy(X).reshape(-1, *(shape or (net.input_dim,)))).detach().double().numpy()
    for row, out, eb in zip(X, got, jacobian_error_bounds(steps, X, "float32")):
        exact = net([Fraction(float(v)) for v in row])
        assert all(abs(Fraction(float(g)) - e) <= bnd for g, e, bnd in zip(out, exact, eb.output))
    if which == "conv":  # test vectors record ReLU margins: the composed network of a skip has identity neurons
        fn = lambda A: m(torch.from_numpy(A).reshape(-1, *shape)).detach()  # noqa: E731
        assert oracle.compare(fn, oracle.make_vectors(net, X), "float32", steps=steps).ok


def test_random_orders_of_a_skip_implementation_within_its_steps_bound():
    """The steps network of a skip block, run in float32 with every dot product in a random order (identity
    neurons store their values), stays within the steps bound: the bound covers what torch may round."""
    torch = pytest.importorskip("torch")
    steps = oracle.steps_from_torch(_residual_model(torch))
    X = np.random.default_rng(3).uniform(-1, 1, (3, 4)).astype(np.float32)
    bounds = jacobian_error_bounds(steps, X, "float32")
    for seed in range(4):
        for row, eb in zip(X, bounds):
            x = [Fraction(float(v)) for v in row]
            got = _emulate_steps(steps, x, random.Random(seed))
            assert all(abs(g - v) <= bnd for g, v, bnd in zip(got, steps(x), eb.output))
