"""Tests for exactrelu.interop.torch_io and for the oracle against torch's own Linear/ReLU forward."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from exactrelu import Network, from_torch, to_torch  # noqa: E402
from exactrelu.oracle import compare, make_vectors  # noqa: E402
from exactrelu.testing import inputs, networks  # noqa: E402

nn = torch.nn


def random_model(seed, dims, dtype, relu_last=False):
    g = torch.Generator().manual_seed(seed)
    mods = []
    for k, (a, b) in enumerate(zip(dims, dims[1:])):
        lin = nn.Linear(a, b, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=g, dtype=dtype))
            lin.bias.copy_(torch.randn(b, generator=g, dtype=dtype))
        mods.append(lin)
        if k < len(dims) - 2 or relu_last:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def torch_fn(model, dtype):
    def fn(X):
        with torch.no_grad():
            return model(torch.from_numpy(np.ascontiguousarray(X)).to(dtype))
    return fn


# -------------------------------------------------------------- conversion
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_from_torch_is_exact(dtype):
    m = random_model(0, [3, 4, 4, 2], dtype)
    net = from_torch(m)
    assert (net.input_dim, net.widths, net.output_dim) == (3, (4, 4), 2) and net.output is not None
    # Every weight is the float's exact binary value (widening to float64 is exact).
    for (W, b), lin in zip(list(net.layers) + [net.output], [m[0], m[2], m[4]]):
        Wt = lin.weight.detach().double().numpy()
        assert W == tuple(tuple(Fraction(float(v)) for v in row) for row in Wt)
        assert b == tuple(Fraction(float(v)) for v in lin.bias.detach().double().numpy())


def test_to_torch_round_trip_and_rounding():
    net = Network([([["1/2", -1], [0, 2]], [1, "1/4"])], output=([[1, 1]], [0]))
    for dtype in ("float32", "float64", torch.float32):
        m = to_torch(net, dtype)
        assert from_torch(m) == net  # dyadic weights: no rounding
    third = Network([([["1/3"]], [0])])
    assert from_torch(to_torch(third, "float32")).layers[0][0][0][0] == Fraction(float(np.float32(1 / 3)))
    with pytest.raises(ValueError, match="1/3 is not exactly representable in float64"):
        to_torch(third, "float64", allow_rounding=False)
    with pytest.raises(ValueError, match="float32 or float64"):
        to_torch(third, "float16")


def test_from_torch_structure():
    a, b = nn.Linear(2, 3), nn.Linear(3, 2, bias=False)
    # Consecutive Linear layers compose exactly; nested Sequential and Identity are fine.
    net = from_torch(nn.Sequential(nn.Sequential(a, nn.Identity()), b, nn.ReLU()))
    assert net.output is None and net.widths == (2,)
    x = [Fraction(1, 3), Fraction(-2)]
    A = [[Fraction(float(v)) for v in r] for r in a.weight.detach().double().numpy()]
    ab = [Fraction(float(v)) for v in a.bias.detach().double().numpy()]
    B = [[Fraction(float(v)) for v in r] for r in b.weight.detach().double().numpy()]
    h = [sum(A[i][j] * x[j] for j in range(2)) + ab[i] for i in range(3)]
    assert net(x) == tuple(max(Fraction(0), sum(B[i][j] * h[j] for j in range(3))) for i in range(2))
    assert from_torch(nn.Linear(2, 1)).depth == 0  # a lone Linear: just an affine output layer


@pytest.mark.parametrize(
    "module, message",
    [
        (nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), r"module '1' \(Sigmoid\) is not supported"),
        (nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Dropout()), r"module '2' \(Dropout\)"),
        (nn.Sequential(nn.Sequential(nn.Conv1d(1, 1, 1))), r"module '0.0' \(Conv1d\)"),
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(2, 1)), "expects 2 inputs but the previous layer gives 3"),
        (nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), "before any Linear"),
        (nn.Sequential(), "no Linear layer"),
        (nn.Tanh(), r"node 'tanh' .* is not supported"),  # traced by torch.fx, refused by name
        (3, "expects a torch nn.Module"),
    ],
)
def test_from_torch_refusals(module, message):
    with pytest.raises(ValueError, match=message):
        from_torch(module)


def test_from_torch_nan_weight():
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"module '0' \(Linear\), W, row 0, column 1: nan"):
        from_torch(nn.Sequential(lin))


# ---------------------------------------------- the oracle against torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_forward_is_rounding_only(dtype):
    tdtype = getattr(torch, dtype)
    for seed in range(3):
        model = random_model(seed, [4, 16, 16, 16, 3], tdtype)
        net = from_torch(model)  # exactly the weights torch uses
        X = np.random.default_rng(seed).standard_normal((20, 4))
        report = compare(torch_fn(model, tdtype), make_vectors(net, X), dtype)
        assert report.ok, str(report)
        assert len(report.rounding) > 0  # torch does round: the oracle sees it, and accepts it


@settings(max_examples=15)
@given(st.data(), st.sampled_from(["float32", "float64"]))
def test_to_torch_of_random_networks(data, dtype):
    # Rational weights (thirds, fifths) are rounded by to_torch; the bound includes that rounding.
    net = data.draw(networks(denominators=(1, 3, 5, 10)))
    xs = data.draw(st.lists(inputs(net), min_size=1, max_size=5))
    report = compare(torch_fn(to_torch(net, dtype), getattr(torch, dtype)), make_vectors(net, xs), dtype)
    assert report.ok, str(report)


def _broken(model, how):
    m = [mod for mod in model]
    m = nn.Sequential(*[type(x)(x.in_features, x.out_features, dtype=x.weight.dtype) if isinstance(x, nn.Linear) else x for x in m])
    m.load_state_dict(model.state_dict())
    with torch.no_grad():
        if how == "transposed weight":
            m[2].weight.copy_(m[2].weight.T.clone())
        elif how == "off-by-one bias":
            m[0].bias[1] += 1
    if how == "relu on output":
        m = nn.Sequential(*m, nn.ReLU())
    return m


@pytest.mark.parametrize("how", ["transposed weight", "off-by-one bias", "relu on output"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_broken_torch_models_are_caught(how, dtype):
    tdtype = getattr(torch, dtype)
    model = random_model(7, [3, 8, 8, 2], tdtype)
    net = from_torch(model)
    vecs = make_vectors(net, np.random.default_rng(7).standard_normal((30, 3)))
    assert any(v.output[k] < -Fraction(1, 100) for v in vecs for k in range(2))  # ReLU on output shows
    assert compare(torch_fn(model, tdtype), vecs, dtype).ok
    report = compare(torch_fn(_broken(model, how), tdtype), vecs, dtype)
    assert not report.ok, how
    worst = report.real_errors[0]
    assert worst.error > 1000 * worst.bound  # far outside rounding, not a borderline call
    assert "FAILED" in str(report)


def test_torch_onnx_export_loads_exactly(tmp_path):
    pytest.importorskip("onnx")
    import warnings

    model = random_model(3, [3, 5, 5, 2], torch.float32)
    path = tmp_path / "m.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(model, (torch.zeros(1, 3),), str(path), dynamo=False)
        except Exception as exc:  # exporter variants need extra packages (onnxscript)
            pytest.skip(f"torch.onnx.export unavailable: {exc}")
    from exactrelu import load

    assert load(path) == from_torch(model)  # two independent readings of the same float32 weights


# ---- modules that compute something else than their weights say (audit regressions)
class _NotReLU(torch.nn.ReLU):
    def forward(self, x):
        return x


class _Doubled(torch.nn.Sequential):
    def forward(self, x):
        return 2 * super().forward(x)


def _hooked():
    lin = torch.nn.Linear(2, 2)
    lin.register_forward_hook(lambda mod, inp, out: 2 * out)
    return torch.nn.Sequential(lin, torch.nn.ReLU())


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), _NotReLU()), "overrides forward"),
        (lambda: _Doubled(torch.nn.Linear(2, 2), torch.nn.ReLU()), "the module: _Doubled overrides forward"),
        (lambda: torch.nn.Sequential(_Doubled(torch.nn.Linear(2, 2)), torch.nn.ReLU()), "module '0': _Doubled"),
        (_hooked, "forward hooks"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2, device="meta"), torch.nn.ReLU()), "'meta' device"),
    ],
)
def test_modules_whose_output_is_not_their_weights_are_refused(make, message):
    module = make()
    with pytest.raises(ValueError, match=message):
        from_torch(module)
    if message == "overrides forward":  # the refusal was right: torch computes Wx + b, not relu(Wx + b)
        with torch.no_grad():
            module[0].weight.copy_(-torch.eye(2))
            module[0].bias.zero_()
        x = torch.tensor([[1.0, 1.0]])
        assert module(x).tolist() == [[-1.0, -1.0]] != torch.relu(module[0](x)).tolist()


def test_compare_accepts_bfloat16_tensors_exactly():
    vecs = make_vectors(Network([([["1/3"]], [0])]), [[1]])
    out = torch.tensor([[1 / 3]], dtype=torch.bfloat16)  # numpy cannot hold bfloat16 (was a TypeError)
    report = compare(lambda X: out, vecs)
    assert report.real_errors[0].error == abs(Fraction(out.float().item()) - Fraction(1, 3))


def test_dropout_is_the_identity_only_in_eval_mode():
    module = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5), torch.nn.ReLU())
    with pytest.raises(ValueError, match="training mode"):
        from_torch(module)
    module.eval()
    plain = torch.nn.Sequential(module[0], module[2])
    assert from_torch(module) == from_torch(plain)
