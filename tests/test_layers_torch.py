"""The layers real models use, read from torch and ONNX: exact folding, the rigorous float32 bound, refusals.

torch (and onnx) are optional: this module skips, with the reason, without them.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.numeric.errorbounds import float_error_bounds

torch = pytest.importorskip("torch")
nn = torch.nn



class _Block(nn.Module):
    def __init__(self, n, act):
        super().__init__()
        self.a, self.act, self.b = nn.Linear(n, n), act, nn.Linear(n, n)

    def forward(self, x):
        return x + self.b(self.act(self.a(x)))


def _models(seed: int) -> dict:
    torch.manual_seed(seed)
    bn = nn.BatchNorm2d(3, eps=2.0**-8)
    with torch.no_grad():  # var + eps an exact square: sqrt is rational, batch norm exact
        bn.running_var.copy_(torch.tensor([1.0, 4.0, 0.25]) - bn.eps)
        bn.running_mean.uniform_(-1, 1)
    return {
        "leaky": (nn.Sequential(nn.Linear(3, 5), nn.LeakyReLU(0.1), nn.Linear(5, 4), nn.PReLU(4), nn.Linear(4, 2)), (3,)),
        "residual": (nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), _Block(4, nn.Hardtanh()), nn.ReLU(),
                                   nn.Linear(4, 2)), (3,)),
        "conv": (nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.LeakyReLU(0.05), nn.MaxPool1d(2),
                               nn.Flatten(), nn.Linear(6, 2)), (2, 4)),
        "conv_bn": (nn.Sequential(nn.Conv2d(1, 3, 2, stride=2, padding=1), bn.eval(), nn.PReLU(3), nn.AvgPool2d(2),
                                  nn.Flatten(), nn.Linear(3, 2)), (1, 3, 3)),
    }


def _traced(m):
    return torch.fx.symbolic_trace(m) if any(isinstance(c, _Block) for c in m.modules()) else m


@pytest.mark.parametrize("kind", ["leaky", "residual", "conv", "conv_bn"])
def test_from_torch_is_the_exact_function_torch_computes(kind):
    m, shape = _models(0)[kind]
    m = m.double().eval()
    from exactrelu import from_torch

    net = from_torch(_traced(m) if kind == "residual" else m, input_shape=shape)
    X = torch.randn(20, *shape, dtype=torch.float64)
    with torch.no_grad():
        T = m(X).reshape(20, -1).numpy()
    E = np.array([[float(v) for v in net(x)] for x in X.reshape(20, -1).tolist()])
    assert np.abs(T - E).max() < 1e-12


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["leaky", "residual", "conv"]), st.integers(0, 2**16))
def test_float32_torch_is_within_the_rigorous_bound_of_the_exact_forward_pass(kind, seed):
    """torch float32 output vs the exact forward pass of the same float32 weights: within float_error_bounds.

    The models are those where each affine step of torch is one dot product per output (bias and a skip's
    input added in some order), which is what the bound covers (a batch norm after a convolution is
    two rounded steps folded into one exact layer: not covered, so not here)."""
    from exactrelu import from_torch

    m, shape = _models(seed)[kind]
    m = m.float().eval()
    net = from_torch(m, input_shape=shape)
    X = torch.randn(4, *shape, dtype=torch.float32) * 2
    with torch.no_grad():
        T = m(X).reshape(4, -1).double().numpy()
    rows = X.reshape(4, -1).double().tolist()
    bounds = float_error_bounds(net, rows, "float32")
    for x, t, eb in zip(rows, T, bounds):
        assert eb.available
        exact = net(x)
        for j, (v, e) in enumerate(zip(exact, eb.output)):
            assert abs(F(float(t[j])) - v) <= e, (kind, seed, j)


def test_from_torch_refuses_what_it_cannot_read_by_name():
    from exactrelu import from_torch

    with pytest.raises(ValueError, match=r"module '1' \(BatchNorm1d\) is in training mode"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    bn = nn.BatchNorm1d(2).eval()
    with pytest.raises(ValueError, match=r"module '1' \(BatchNorm1d\), channel 0: sqrt.*irrational.*sqrt_bits"):
        from_torch(nn.Sequential(nn.Linear(2, 2), bn))
    assert from_torch(nn.Sequential(nn.Linear(2, 2), bn), sqrt_bits=64).depth == 0
    with pytest.raises(ValueError, match=r"module '0' \(Conv2d\): needs the input shape"):
        from_torch(nn.Sequential(nn.Conv2d(1, 1, 2)))
    with pytest.raises(ValueError, match=r"module '0' \(Conv2d\): weight of shape \(1, 1, 2, 2\) .* \(3, 4, 4\)"):
        from_torch(nn.Sequential(nn.Conv2d(1, 1, 2)), input_shape=(3, 4, 4))
    with pytest.raises(ValueError, match=r"module '0' \(MaxPool2d\): ceil_mode=True is not supported"):
        from_torch(nn.Sequential(nn.MaxPool2d(2, ceil_mode=True)), input_shape=(1, 3, 3))
    with pytest.raises(ValueError, match=r"module '1' \(Sigmoid\) is not supported"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()))

    class Proj(nn.Module):  # a projection shortcut: not an identity skip
        def __init__(self):
            super().__init__()
            self.a, self.p = nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.p(x) + torch.relu(self.a(x))

    with pytest.raises(ValueError, match="feeds 2 nodes|identity skips"):
        from_torch(Proj())


def test_onnx_export_of_a_residual_conv_model_reads_exactly():
    onnx = pytest.importorskip("onnx")
    import io
    import warnings

    from exactrelu.interop.onnx_io import network_from_onnx

    m, shape = _models(1)["conv_bn"]
    m = m.float().eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m, torch.randn(1, *shape), buf, dynamo=False)
    net = network_from_onnx(onnx.load_from_string(buf.getvalue()))
    from exactrelu import from_torch

    assert net == from_torch(m, input_shape=shape)  # the same exact network by both roads


@st.composite
def conv_geometries(draw):
    groups = draw(st.sampled_from([1, 2]))
    in_c, out_c = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k, stride, pad, dil = (draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1)),
                           draw(st.integers(1, 2)))
    size = draw(st.integers(dil * (k - 1) + 1, 5))
    return in_c, out_c, groups, k, stride, pad, dil, size


@settings(max_examples=25, deadline=None)
@given(conv_geometries(), st.sampled_from(["avg", "max", "none"]), st.integers(0, 2**16))
def test_random_conv_and_pool_geometries_fold_to_what_torch_computes(geom, pool, seed):
    from exactrelu import from_torch

    in_c, out_c, groups, k, stride, pad, dil, size = geom
    torch.manual_seed(seed)
    mods = [nn.Conv2d(in_c, out_c, k, stride=stride, padding=pad, dilation=dil, groups=groups), nn.LeakyReLU(0.25)]
    out = (size + 2 * pad - dil * (k - 1) - 1) // stride + 1
    if pool != "none" and out >= 2:
        mods.append(nn.AvgPool2d(2, stride=1, padding=1) if pool == "avg" else nn.MaxPool2d(2, stride=1, padding=1))
    m = nn.Sequential(*mods, nn.Flatten()).double().eval()
    net = from_torch(m, input_shape=(in_c, size, size))
    X = torch.randn(3, in_c, size, size, dtype=torch.float64)
    with torch.no_grad():
        T = m(X).numpy()
    E = np.array([[float(v) for v in net(x)] for x in X.reshape(3, -1).tolist()])
    assert T.shape == E.shape and np.abs(T - E).max() < 1e-12
