"""Exact conversion between torch models and :class:`Network`.

:func:`from_torch` reads a live module exactly (a float32 or float64 weight
means its exact binary value) and never unpickles anything: it takes a
module, not a file.  It reads an ``nn.Sequential`` directly and any other
module through ``torch.fx`` tracing, with the layers real models use:
``Linear``, ``Conv1d``/``Conv2d``, ``AvgPool1d/2d``, ``MaxPool1d/2d``,
``Flatten``, eval-mode ``BatchNorm1d/2d``, ``ReLU``, ``LeakyReLU``, ``PReLU``,
``Hardtanh``, ``ReLU6``, ``Identity``, eval-mode ``Dropout``, and identity skip
connections ``x + f(x)`` (residual blocks), folded exactly by
:func:`exactrelu.nets.build.build`.  Anything else is refused, naming the
module.  :func:`to_torch` builds the float model a user would run, rounding
each weight to the nearest value of ``dtype``.

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
>>> conv = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 2), torch.nn.LeakyReLU(0.125), torch.nn.Flatten(),
...                            torch.nn.Linear(4, 1))
>>> from_torch(conv, input_shape=(1, 3))
<Network 3-4-1 (affine output), depth 1, activations leaky_relu(1/8)>
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..exact.numbers import to_fraction
from ..nets import build as B
from ..nets.activation import hardtanh, leaky
from ..nets.network import Network
from ..optional import import_optional
from .arrays import MAX_ENTRIES, array_to_fractions, to_float_array

__all__ = ["from_torch", "steps_from_torch", "to_torch"]


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


def _exact(t: Any, where: str, torch: Any) -> np.ndarray:
    """A weight tensor's exact values (numpy object array of Fractions); bad dtypes, devices, NaN named."""
    t = t.detach()
    if t.is_complex() or not t.is_floating_point():
        raise ValueError(f"{where}: weights of dtype {t.dtype} are not supported")
    if t.numel() > MAX_ENTRIES:
        raise ValueError(f"{where}: {t.numel()} weights, more than {MAX_ENTRIES}: too large for exact arithmetic")
    if t.device.type == "meta":
        raise ValueError(f"{where}: weights on the 'meta' device have no values")
    a = t.to("cpu", torch.float64).numpy()  # float16/bfloat16/float32 widen to float64 exactly
    if a.ndim <= 2:
        flat = array_to_fractions(a, where, a.ndim)
        return np.array(flat, dtype=object).reshape(a.shape) if a.ndim == 2 else np.array(flat + (None,), dtype=object)[:-1]
    bad = np.argwhere(~np.isfinite(a))
    if len(bad):
        raise ValueError(f"{where}, index {tuple(int(v) for v in bad[0])}: {a[tuple(bad[0])]} is not a finite number")
    return np.array([Fraction(v) for v in a.ravel().tolist()] + [None], dtype=object)[:-1].reshape(a.shape)


def _bias(m: Any, n: int, where: str, torch: Any) -> Any:
    return None if m.bias is None else _exact(m.bias, f"{where}, b", torch)


def _eval_only(m: Any, where: str) -> None:
    if m.training:  # random (Dropout) or batch statistics (BatchNorm): no fixed function to read
        raise ValueError(f"{where} is in training mode; call module.eval() first")


def _fixed(m: Any, where: str, **want: Any) -> None:
    """Refuse module options the exact network does not model (ceil_mode, dilation of pools, ...)."""
    for key, value in want.items():
        if getattr(m, key, value) != value:
            raise ValueError(f"{where}: {key}={getattr(m, key)!r} is not supported (only {value!r})")


def _spec(m: Any, where: str, torch: Any, sqrt_bits: int | None) -> Any:
    """The build spec of one torch module, or None for a no-op (Identity, eval-mode Dropout)."""
    nn = torch.nn
    if isinstance(m, (nn.Identity, nn.Dropout)) and type(m) in (nn.Identity, nn.Dropout):
        if type(m) is nn.Dropout:
            _eval_only(m, where)
        return None
    for base, make in _SPECS.items():  # subclasses too: _plain refuses one that changes forward()
        if isinstance(m, getattr(nn, base)):
            _plain(m, getattr(nn, base), where)
            return make(m, where, torch, sqrt_bits)
    raise ValueError(f"{where} is not supported: from_torch reads Linear, Conv1d/2d, AvgPool1d/2d, MaxPool1d/2d, "
                     "Flatten, BatchNorm1d/2d, ReLU, LeakyReLU, PReLU, Hardtanh, ReLU6, Identity, Dropout and skips")


def _linear(m, where, torch, _):
    return B.Linear(_exact(m.weight, f"{where}, W", torch), _bias(m, 0, where, torch))


def _conv(m, where, torch, _):
    _fixed(m, where, padding_mode="zeros")
    padding = m.padding
    if isinstance(padding, str):
        if padding != "valid":
            raise ValueError(f"{where}: padding={padding!r} is not supported (give the padding as integers)")
        padding = 0
    cls = B.Conv1d if isinstance(m, torch.nn.Conv1d) else B.Conv2d
    return cls(_exact(m.weight, f"{where}, weight", torch), _bias(m, 0, where, torch), m.stride, padding, m.dilation,
               m.groups)


def _avgpool(m, where, torch, _):
    _fixed(m, where, ceil_mode=False, divisor_override=None)
    cls = B.AvgPool1d if isinstance(m, torch.nn.AvgPool1d) else B.AvgPool2d
    return cls(m.kernel_size, m.stride, m.padding, bool(m.count_include_pad))


def _maxpool(m, where, torch, _):
    _fixed(m, where, ceil_mode=False, return_indices=False)
    dil = m.dilation if isinstance(m.dilation, (tuple, list)) else (m.dilation,)
    if any(d != 1 for d in dil):
        raise ValueError(f"{where}: dilation={m.dilation!r} is not supported (only 1)")
    cls = B.MaxPool1d if isinstance(m, torch.nn.MaxPool1d) else B.MaxPool2d
    return cls(m.kernel_size, m.stride, m.padding)


def _flatten(m, where, torch, _):
    if m.start_dim != 1 or m.end_dim != -1:
        raise ValueError(f"{where}: only Flatten(start_dim=1, end_dim=-1) (everything but the batch) is supported")
    return B.Flatten()


def _batchnorm(m, where, torch, sqrt_bits):
    _eval_only(m, where)
    if m.running_mean is None or m.running_var is None:
        raise ValueError(f"{where}: needs running statistics (track_running_stats=True)")
    mean = _exact(m.running_mean, f"{where}, running_mean", torch)
    var = _exact(m.running_var, f"{where}, running_var", torch)
    C = len(mean)
    gamma = _exact(m.weight, f"{where}, weight", torch) if m.weight is not None else [Fraction(1)] * C
    beta = _exact(m.bias, f"{where}, bias", torch) if m.bias is not None else [Fraction(0)] * C
    return B.batchnorm(gamma, beta, mean, var, to_fraction(m.eps, f"{where}, eps"), sqrt_bits, where)


def _act(m, where, torch, _):
    nn = torch.nn
    if isinstance(m, nn.ReLU6):
        return B.Act(hardtanh(0, 6, where))
    if isinstance(m, nn.Hardtanh):
        return B.Act(hardtanh(m.min_val, m.max_val, where))
    if isinstance(m, nn.LeakyReLU):
        return B.Act(leaky(m.negative_slope, where))
    if isinstance(m, nn.PReLU):
        w = _exact(m.weight, f"{where}, weight", torch)
        acts = [leaky(a, f"{where}, channel {c}") for c, a in enumerate(w)]
        return B.Act(acts[0] if len(acts) == 1 else acts)
    return B.Act()


_SPECS = {"Linear": _linear, "Conv1d": _conv, "Conv2d": _conv, "AvgPool1d": _avgpool, "AvgPool2d": _avgpool,
          "MaxPool1d": _maxpool, "MaxPool2d": _maxpool, "Flatten": _flatten, "BatchNorm1d": _batchnorm,
          "BatchNorm2d": _batchnorm, "ReLU": _act, "LeakyReLU": _act, "PReLU": _act, "ReLU6": _act, "Hardtanh": _act}


def _named(spec: Any, where: str) -> Any:
    if spec is not None:
        spec.label = where  # errors of build name the torch module
    return spec


def _has_blocks(module: Any, torch: Any) -> bool:
    """Whether a Sequential holds modules of its own making with submodules (blocks: read by tracing)."""
    known = tuple(getattr(torch.nn, name) for name in _SPECS) + (torch.nn.Identity, torch.nn.Dropout)
    return any(not isinstance(m, known) and any(True for _ in m.children()) for _, m in _flat_modules(module, torch))


def _sequential_specs(module: Any, torch: Any, sqrt_bits: int | None) -> list:
    specs = []
    for name, m in _flat_modules(module, torch):
        spec = _spec(m, f"module {name!r} ({type(m).__name__})", torch, sqrt_bits)
        if spec is not None:
            specs.append(_named(spec, f"module {name!r} ({type(m).__name__})"))
    return specs


# ------------------------------------------------------------------ torch.fx: skip connections
def _traced_specs(module: Any, torch: Any, make: Any) -> list:
    """The specs of a traced model: a chain of modules, where a value used by a chain F and by ``add`` with F's end
    is a skip block x + F(x) (:class:`~exactrelu.nets.build.Residual`); any other graph is refused, naming the node."""
    try:
        gm = torch.fx.symbolic_trace(module)
    except Exception as exc:  # tracing runs the model's Python code: any error means "cannot read this model"
        raise ValueError(f"from_torch could not trace {type(module).__name__} with torch.fx ({type(exc).__name__}: "
                         f"{exc}); give an nn.Sequential instead") from None
    mods = dict(gm.named_modules())
    inputs = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise ValueError(f"{type(module).__name__}: from_torch reads models of one input, this one has {len(inputs)}")
    specs, end = _chain(inputs[0], None, mods, torch, make)
    users = list(end.users)
    if len(users) != 1 or users[0].op != "output" or users[0].args[0] is not end:
        raise ValueError(f"{type(module).__name__}: node {end.name!r} is used in a way from_torch cannot read "
                         "(supported: chains of layers and skips x + f(x))")
    return specs


def _is_add(node: Any, torch: Any) -> bool:
    import operator

    return ((node.op == "call_function" and node.target in (operator.add, torch.add))
            or (node.op == "call_method" and node.target in ("add", "__add__")))


def _chain(cur: Any, stop: Any, mods: dict, torch: Any, make: Any) -> tuple:
    """Specs along the single-use chain from ``cur`` up to ``stop`` (or an add, or the output), and its last node."""
    specs: list = []
    while True:
        users = list(cur.users)
        if len(users) == 1:
            nxt = users[0]
            if nxt is stop or nxt.op == "output" or _is_add(nxt, torch):
                return specs, cur
            specs += _node_spec(nxt, cur, mods, torch, make)
            cur = nxt
        elif len(users) == 2 and sum(_is_add(u, torch) for u in users) >= 1:
            add = next(u for u in users if _is_add(u, torch))
            other = next(u for u in users if u is not add)
            inner = _node_spec(other, cur, mods, torch, make)
            branch, end = _chain(other, add, mods, torch, make)
            if add.kwargs or len(add.args) != 2 or set(add.args) != {cur, end}:
                raise ValueError(f"node {add.name!r}: only identity skips x + f(x) are read (got {add.format_node()})")
            specs.append(B.Residual(inner + branch))
            cur = add
        else:
            raise ValueError(f"node {cur.name!r} feeds {len(users)} nodes; from_torch reads chains of layers and "
                             "identity skips x + f(x) only")


def _node_spec(node: Any, arg: Any, mods: dict, torch: Any, make: Any) -> list:
    """The specs of one traced node applied to ``arg`` (empty for a no-op)."""
    where = f"node {node.name!r}"
    extra = [a for a in (*node.args[1:], *node.kwargs.values()) if isinstance(a, torch.fx.Node)]
    if not node.args or node.args[0] is not arg or extra:
        raise ValueError(f"{where}: takes other tensors than its input ({node.format_node()}); not supported")
    if node.op == "call_module":
        m = mods[node.target]
        spec = make(m, f"module {node.target!r} ({type(m).__name__})")
        return [] if spec is None else [spec]
    F = torch.nn.functional
    rest = list(node.args[1:]) + list(node.kwargs.values())
    if node.target in (torch.relu, F.relu, "relu") and not any(rest):  # (F.relu's inplace=False is fine)
        return [_named(B.Act(), where)]
    if node.target in (torch.flatten, "flatten") and rest in ([1], [1, -1]):
        return [_named(B.Flatten(), where)]
    if node.target is F.leaky_relu:
        return [_named(B.Act(leaky(node.args[1] if len(node.args) > 1 else node.kwargs.get("negative_slope", 0.01),
                                   where)), where)]
    raise ValueError(f"{where} ({node.format_node()}) is not supported by from_torch")


def _input_shape(specs: list, input_shape: Any) -> tuple:
    if input_shape is not None:
        return tuple(input_shape) if isinstance(input_shape, (tuple, list)) else (input_shape,)
    if not specs:
        raise ValueError("the module has no Linear layer")
    first = specs[0]
    if not isinstance(first, B.Linear):
        kind = "before any Linear leaves the input dimension unknown" if isinstance(first, B.Act) else \
            "needs the input shape"
        raise ValueError(f"{first.label}: {kind}; pass input_shape=(...), e.g. (channels, height, width)")
    return (len(first.W[0]),)


def from_torch(module: Any, input_shape: Any = None, *, sqrt_bits: int | None = None) -> Network:
    """Convert a torch model exactly: an ``nn.Sequential`` directly, any other module by ``torch.fx`` tracing.

    Affine modules are composed exactly into the next activation's layer; a
    trailing affine part becomes the output layer.  ``input_shape`` (without
    the batch dimension, e.g. ``(1, 28, 28)``) is needed unless the model
    starts with a ``Linear``; the network's input is the flattened tensor.
    Batch norm divides by sqrt(running_var + eps), irrational in general:
    refused unless ``sqrt_bits`` says how many bits of it to keep.  Any other
    module is refused, naming it.  (Composed layers are the exact function;
    torch rounds twice there: :func:`steps_from_torch` gives the steps it
    rounds, for :func:`exactrelu.oracle.compare`'s bound.)

    >>> import torch
    >>> from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid()))
    Traceback (most recent call last):
    ...
    ValueError: module '1' (Sigmoid) is not supported: from_torch reads Linear, Conv1d/2d, AvgPool1d/2d, MaxPool1d/2d, Flatten, BatchNorm1d/2d, ReLU, LeakyReLU, PReLU, Hardtanh, ReLU6, Identity, Dropout and skips
    """
    specs = _module_specs(module, sqrt_bits)
    return B.build(_input_shape(specs, input_shape), specs)


def steps_from_torch(module: Any, input_shape: Any = None) -> Network:
    """The steps torch rounds, as a network computing the same function as :func:`from_torch`'s (for
    :func:`exactrelu.oracle.compare`'s ``steps``): :func:`~exactrelu.nets.build.build` with ``rounded_steps``.

    >>> import torch
    >>> m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> from_torch(m), steps_from_torch(m)
    (<Network 2-3-1 (affine output), depth 1>, <Network 2-3-3-1 (affine output), depth 2, activations identity, relu>)
    """
    specs = _module_specs(module, 53)  # any sqrt_bits: build then refuses batch norm, naming it, in steps mode
    return B.build(_input_shape(specs, input_shape), specs, rounded_steps=True)


def _module_specs(module: Any, sqrt_bits: int | None) -> list:
    torch = _torch()
    if isinstance(module, torch.nn.Linear):
        module = torch.nn.Sequential(module)
    if isinstance(module, torch.nn.Sequential) and not _has_blocks(module, torch):
        _plain(module, torch.nn.Sequential, "the module")
        return _sequential_specs(module, torch, sqrt_bits)
    if isinstance(module, torch.nn.Module):
        if isinstance(module, torch.nn.Sequential):
            _plain(module, torch.nn.Sequential, "the module")
        return _traced_specs(module, torch, lambda m, where: _named(_spec(m, where, torch, sqrt_bits), where))
    raise ValueError(f"from_torch expects a torch nn.Module (an nn.Sequential, or a model torch.fx can trace), "
                     f"got {type(module).__name__}")


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
    net.require_relu("to_torch (an nn.Sequential of Linear and ReLU)")
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
