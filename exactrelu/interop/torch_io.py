"""Exact conversion between torch ``nn.Sequential`` ReLU networks and :class:`Network`.

:func:`from_torch` reads the weights of ``Linear`` layers exactly (a float32
or float64 weight means its exact binary value) and never unpickles anything:
it takes a live module, not a file.  :func:`to_torch` builds the float model a
user would run, rounding each weight to the nearest value of ``dtype``.

torch is an optional extra, imported only inside these functions.

>>> import torch
>>> m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
>>> net = from_torch(m)
>>> net
<Network 2-3-1 (affine output), depth 1>
>>> net.layers[0][0][0][0] == Fraction(m[0].weight[0, 0].item())
True
>>> from_torch(to_torch(net, "float32")) == net  # float32 weights survive the round trip exactly
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .arrays import array_to_fractions, to_float_array
from ..nets.network import Network
from ..optional import import_optional

__all__ = ["from_torch", "to_torch"]


def _torch() -> Any:
    return import_optional("torch", "converting to and from torch")


def _flat_modules(module: Any, torch: Any, prefix: str = "") -> list:
    """(name, module) in execution order, nested Sequentials expanded."""
    if isinstance(module, torch.nn.Sequential):
        _plain(module, torch.nn.Sequential, f"module {prefix.rstrip('.')!r}" if prefix else "the module")
        out = []
        for name, child in module.named_children():
            out += _flat_modules(child, torch, f"{prefix}{name}.")
        return out
    return [(prefix.rstrip("."), module)]


def _plain(m: Any, base: Any, where: str) -> None:
    """Refuse what would make the module compute something other than its weights say."""
    if type(m).forward is not base.forward:
        raise ValueError(f"{where}: {type(m).__name__} overrides forward(); only plain {base.__name__} is read")
    hooks = [h for h in ("_forward_hooks", "_forward_pre_hooks") if getattr(m, h, None)]
    if hooks:
        raise ValueError(f"{where}: has forward hooks that may change its output; remove them first")


def _linear_pair(lin: Any, where: str, torch: Any) -> tuple:
    from .arrays import MAX_ENTRIES

    W = lin.weight.detach()
    if W.is_complex() or not W.is_floating_point():
        raise ValueError(f"{where}: weights of dtype {W.dtype} are not supported")
    if W.numel() > MAX_ENTRIES:
        raise ValueError(f"{where}: {W.numel()} weights, more than {MAX_ENTRIES}: too large for exact arithmetic")
    if W.device.type == "meta":
        raise ValueError(f"{where}: weights on the 'meta' device have no values")
    # float16/bfloat16/float32 widen to float64 exactly; then Fraction(float) is exact.
    Wf = array_to_fractions(W.to("cpu", torch.float64).numpy(), f"{where}, W", 2)
    if lin.bias is None:
        b = tuple(Fraction(0) for _ in range(len(Wf)))
    else:
        b = array_to_fractions(lin.bias.detach().to("cpu", torch.float64).numpy(), f"{where}, b", 1)
    return Wf, b


def _compose(outer: tuple, inner: tuple) -> tuple:
    """Exact composition of affine maps: outer(inner(x))."""
    (W2, b2), (W1, b1) = outer, inner
    W = tuple(tuple(sum((r[k] * W1[k][j] for k in range(len(W1))), Fraction(0)) for j in range(len(W1[0]))) for r in W2)
    b = tuple(sum((r[k] * b1[k] for k in range(len(b1))), Fraction(0)) + c for r, c in zip(W2, b2))
    return W, b


def from_torch(module: Any) -> Network:
    """Convert an ``nn.Sequential`` of ``Linear`` and ``ReLU`` (and ``Identity``, eval-mode ``Dropout``) exactly.

    Each ``ReLU`` closes a hidden layer; consecutive ``Linear`` layers are
    composed exactly; a trailing ``Linear`` becomes the output layer.  Any other
    module is refused, naming it.  (The composed layer is the exact function;
    torch rounds twice there, which :func:`exactrelu.oracle.compare`'s bound does
    not model.)

    >>> import torch
    >>> from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid()))
    Traceback (most recent call last):
    ...
    ValueError: module '1' (Sigmoid) is not supported: from_torch reads nn.Sequential of Linear and ReLU only
    """
    torch = _torch()
    if isinstance(module, torch.nn.Linear):
        module = torch.nn.Sequential(module)
    if not isinstance(module, torch.nn.Sequential):
        raise ValueError(f"from_torch expects an nn.Sequential (or nn.Linear), got {type(module).__name__}")
    _plain(module, torch.nn.Sequential, "the module")
    layers: list = []
    pending = None  # the affine map since the last ReLU (None: identity)
    dim = None
    for name, m in _flat_modules(module, torch):
        where = f"module {name!r} ({type(m).__name__})"
        for base in (torch.nn.Linear, torch.nn.ReLU, torch.nn.Identity):
            if isinstance(m, base):
                _plain(m, base, where)
        if isinstance(m, torch.nn.Linear):
            pair = _linear_pair(m, where, torch)
            in_dim = len(pair[0][0])
            expect = len(pending[0]) if pending else dim
            if expect is not None and in_dim != expect:
                raise ValueError(f"{where}: expects {in_dim} inputs but the previous layer gives {expect}")
            pending = pair if pending is None else _compose(pair, pending)
        elif isinstance(m, torch.nn.ReLU):
            if pending is None:
                if dim is None:
                    raise ValueError(f"{where}: a ReLU before any Linear leaves the input dimension unknown")
                pending = _identity_pair(dim)
            layers.append(pending)
            dim, pending = len(pending[0]), None
        elif isinstance(m, torch.nn.Identity):
            continue
        elif type(m) is torch.nn.Dropout:
            if m.training:  # random in training mode: no fixed function to read
                raise ValueError(f"{where} is in training mode (random); call module.eval() first")
            continue  # the identity in evaluation mode
        else:
            raise ValueError(f"{where} is not supported: from_torch reads nn.Sequential of Linear and ReLU only")
    if not layers and pending is None:
        raise ValueError("the module has no Linear layer")
    return Network(layers, output=pending)


def _identity_pair(n: int) -> tuple:
    return (tuple(tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n)), (Fraction(0),) * n)


def to_torch(net: Network, dtype: Any = "float64", *, allow_rounding: bool = True) -> Any:
    """An ``nn.Sequential`` of Linear/ReLU computing ``net`` in ``dtype`` ("float32" or "float64").

    Each weight becomes the nearest value of ``dtype`` (exact when it is
    representable); with ``allow_rounding=False`` a weight that would round is
    an error instead.

    >>> from exactrelu import Network
    >>> m = to_torch(Network([([[1, -1]], ["1/2"])]), "float32")
    >>> m
    Sequential(
      (0): Linear(in_features=2, out_features=1, bias=True)
      (1): ReLU()
    )
    >>> m[0].bias.dtype
    torch.float32
    """
    torch = _torch()
    name = str(dtype).replace("torch.", "")
    if name not in ("float32", "float64"):
        raise ValueError(f"to_torch supports dtype float32 or float64, got {dtype!r}")
    tdtype = getattr(torch, name)
    pairs = [(W, b, f"layer {i}", True) for i, (W, b) in enumerate(net.layers)]
    if net.output is not None:
        pairs.append((net.output[0], net.output[1], "output layer", False))
    mods = []
    for W, b, where, relu in pairs:
        lin = torch.nn.Linear(len(W[0]), len(W), dtype=tdtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(to_float_array(W, name, f"{where}, W", allow_rounding))))
            lin.bias.copy_(torch.from_numpy(to_float_array(b, name, f"{where}, b", allow_rounding)))
        mods.append(lin)
        if relu:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)
