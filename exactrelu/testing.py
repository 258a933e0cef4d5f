"""Hypothesis strategies for property-testing ReLU network code against exactrelu.

Three composable strategies:

* :func:`networks` draws exact :class:`~exactrelu.nets.network.Network` objects
  with small rational weights;
* :func:`inputs` draws exact inputs for a network, often lying exactly on an
  activation boundary (a neuron's pre-activation exactly 0), where float
  implementations are most likely to disagree about the pattern;
* :func:`families` draws infinite-depth :class:`~exactrelu.depth.family.Family`
  objects with simple rational-function entries in ``n``.

Every parameter is a plain value or a hypothesis strategy.

Use them in your own tests, for example to check an implementation with
:func:`exactrelu.oracle.compare`::

    from hypothesis import given, strategies as st
    from exactrelu import testing, oracle

    @given(st.data())
    def test_my_forward(data):
        net = data.draw(testing.networks(input_dim=3, output=True))
        xs = data.draw(st.lists(testing.inputs(net), min_size=1, max_size=5))
        report = oracle.compare(my_forward_for(net), oracle.make_vectors(net, xs))
        assert report.ok, str(report)

>>> from hypothesis import given, settings
>>> @settings(max_examples=5, database=None)
... @given(networks(input_dim=2, depth=2, output=False))
... def check(net):
...     assert net.input_dim == 2 and net.depth == 2 and net.output is None
>>> check()
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from .nets.network import Network
from .optional import import_optional
from .exact.numbers import to_fraction

st = import_optional("hypothesis.strategies", "exactrelu.testing")

__all__ = ["networks", "inputs", "families", "rationals", "acas_dir"]


def acas_dir() -> Path | None:
    """The ACAS Xu example data (networks ``ACASXU_run2a_*.onnx``, ``prop_*.vnnlib``) that tests and
    benchmarks use: ``$EXACTRELU_ACAS_DIR``, else ``shared/data/acasxu`` beside the repository checkout
    (as CI lays it out); None when neither is a folder.

    >>> d = acas_dir()
    >>> d is None or d.is_dir()
    True
    """
    beside_repo = Path(__file__).resolve().parents[2] / "shared" / "data" / "acasxu"
    for cand in (os.environ.get("EXACTRELU_ACAS_DIR"), beside_repo):
        if cand and Path(cand).is_dir():
            return Path(cand)
    return None

IntLike = Any  # an int or a strategy of ints


def _draw(draw: Any, value: Any) -> Any:
    """A plain value, or a draw from it when it is a strategy."""
    return draw(value) if isinstance(value, st.SearchStrategy) else value


def _denominator_strategy(denominators: Any) -> st.SearchStrategy:
    if isinstance(denominators, st.SearchStrategy):
        return denominators
    if isinstance(denominators, int) and not isinstance(denominators, bool):
        if denominators < 1:
            raise ValueError(f"denominators must be >= 1, got {denominators}")
        return st.integers(1, denominators)
    values = list(denominators)
    if not values or any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in values):
        raise ValueError(f"denominators must be positive integers, got {denominators!r}")
    return st.sampled_from(values)


@st.composite
def rationals(draw: Any, bound: Any = 3, denominators: Any = (1, 2, 3, 4, 8)) -> Fraction:
    """A rational p/q with q drawn from ``denominators`` and |p/q| <= ``bound``.

    ``denominators`` is a maximum (int), a list, or a strategy of positive ints.

    >>> from hypothesis import find
    >>> find(rationals(bound=2, denominators=[3]), lambda q: q > 1)
    Fraction(4, 3)
    """
    R = to_fraction(_draw(draw, bound), "bound")
    if R < 0:
        raise ValueError(f"bound must be nonnegative, got {R}")
    d = draw(_denominator_strategy(denominators))
    limit = int(R * d)  # floor: |p/d| <= R
    return Fraction(draw(st.integers(-limit, limit)), d)


def _count(value: Any, name: str, low: int = 0) -> int:
    """A drawn parameter that must be an integer >= low (a bool or float is a mistake, not a count)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def _widths(draw: Any, widths: Any, depth: Any) -> list:
    if widths is None:
        k = _count(_draw(draw, depth), "depth")
        return [draw(st.integers(1, 4)) for _ in range(k)]
    w = _draw(draw, widths)
    if isinstance(widths, st.SearchStrategy) and isinstance(w, int):  # a strategy of ints: one draw per layer
        return [w] + [draw(widths) for _ in range(_draw(draw, depth) - 1)]
    if isinstance(w, int) and not isinstance(w, bool):
        return [w] * _count(_draw(draw, depth), "depth")
    if isinstance(w, (str, bytes)) or not hasattr(w, "__iter__"):
        raise ValueError(f"widths must be None, an int, a list of ints or a strategy, got {w!r}")
    return [_count(v, "each width", 1) for v in w]


@st.composite
def networks(
    draw: Any,
    input_dim: IntLike = st.integers(1, 3),
    widths: Any = None,
    depth: IntLike = st.integers(1, 3),
    denominators: Any = (1, 2, 3, 4, 8),
    weight_range: Any = 3,
    output: Any = st.booleans(),
) -> Network:
    """Exact ReLU networks with small rational weights.

    ``input_dim`` and ``depth`` are ints or strategies of ints; ``widths`` is
    None (each hidden width drawn from 1..4), an int (every layer), a list of
    ints (which fixes the depth), or a strategy of ints (drawn per layer) or of
    lists; ``denominators`` a maximum denominator, a list, or a strategy;
    weights and biases lie in [-weight_range, weight_range]; ``output`` is a
    bool (an affine output layer of dimension 1..3 or none), an int (the output
    dimension; 0 for none) or a strategy of either.

    >>> from hypothesis import find
    >>> net = find(networks(input_dim=2, widths=[3, 3], output=1), lambda net: True)
    >>> net.input_dim, net.widths, net.output_dim
    (2, (3, 3), 1)
    """
    d = _count(_draw(draw, input_dim), "input_dim", 1)
    ws = _widths(draw, widths, depth)
    if d < 1 or any(w < 1 for w in ws):
        raise ValueError(f"input_dim and widths must be >= 1, got {d} and {ws}")
    entry = rationals(bound=weight_range, denominators=denominators)
    layers, prev = [], d
    for w in ws:
        layers.append(([[draw(entry) for _ in range(prev)] for _ in range(w)], [draw(entry) for _ in range(w)]))
        prev = w
    k = _output_dim(draw, output, 3)
    head = None
    if k > 0:
        head = ([[draw(entry) for _ in range(prev)] for _ in range(k)], [draw(entry) for _ in range(k)])
    if not layers and head is None:
        raise ValueError("a network needs at least one layer (depth 0 needs an output layer)")
    return Network(layers, output=head)


def _output_dim(draw: Any, output: Any, most: int) -> int:
    """``output``: True (1..most), False/None (0) or an int output dimension (0: none)."""
    out = _draw(draw, output)
    if out is True:
        return draw(st.integers(1, most))
    if out is False or out is None:
        return 0
    return _count(out, "output (True, False, None or an output dimension)")


def _project(p: tuple, row: Sequence[Fraction], off: Fraction) -> tuple | None:
    """The exact point nearest p with row.x + off == 0 (None when row is 0)."""
    norm = sum(r * r for r in row)
    if norm == 0:
        return None
    t = -(sum(r * x for r, x in zip(row, p)) + off) / norm
    return tuple(x + t * r for x, r in zip(p, row))


@st.composite
def _boundary_point(draw: Any, net: Network, base: st.SearchStrategy) -> tuple:
    """A point where some neuron's pre-activation is exactly 0 (checked exactly), else a plain point."""
    p = draw(base)
    layer = draw(st.integers(0, net.depth - 1))
    j = draw(st.integers(0, net.widths[layer] - 1))
    # On p's activation domain z_layer(x) = M x + m (T1); project p onto that neuron's hyperplane
    # and keep the point only if the exact pre-activation there is really 0 (it may leave the domain).
    maps = list(net.prefix_maps(net.pattern(p).without_ties()))
    M, m = maps[layer]
    row = [Fraction(int(M[j, c].p), int(M[j, c].q)) for c in range(M.ncols())]
    x = _project(p, row, Fraction(int(m[j, 0].p), int(m[j, 0].q)))
    if x is not None and net.pre_activations(x)[layer][j] == 0:
        return x
    # Fallback: a first-layer neuron's hyperplane, where projection always lands exactly on it.
    W, b = net.layers[0]
    candidates = [k for k in range(len(W)) if any(W[k])]
    if not candidates:
        return p
    k = draw(st.sampled_from(candidates))
    return _project(p, W[k], b[k])


def inputs(
    net: Network, *, bound: Any = 2, denominators: Any = (1, 2, 3, 4, 8, 10), boundary: bool = True
) -> st.SearchStrategy:
    """Exact inputs for ``net`` (tuples of Fractions), often exactly on an activation boundary.

    Plain points have coordinates in [-bound, bound] with the given
    denominators; with ``boundary=True`` about half of the draws are moved onto
    the hyperplane of a randomly chosen neuron (of any layer, through the local
    affine map of T1, verified exactly; falling back to a first-layer neuron),
    so some pre-activation is exactly 0 there (the point may leave the box).

    >>> from hypothesis import find
    >>> net = Network([([[1, 1]], ["-1/3"])])
    >>> x = find(inputs(net), lambda x: net.pattern(x).ties)
    >>> net.pre_activations(x)[0][0]
    Fraction(0, 1)
    """
    if not isinstance(net, Network):
        raise ValueError(f"inputs expects a Network, got {type(net).__name__}")
    base = st.tuples(*[rationals(bound=bound, denominators=denominators) for _ in range(net.input_dim)])
    if not boundary or net.depth == 0:
        return base
    return st.one_of(base, _boundary_point(net, base))


# ---------------------------------------------------------------- families
_FORMS = ("{a}", "{a}/n", "{a}/n^2", "{a}/n^3", "{a} + {c}/n^2", "{a}/(n + {k})", "{a}*2^(-n)")


def _fmt(q: Fraction) -> str:
    return f"({q.numerator}/{q.denominator})" if q.denominator != 1 else f"({q.numerator})"


@st.composite
def _formula(draw: Any, forms: Sequence[str], bound: Any, denominators: Any) -> str:
    form = draw(st.sampled_from(list(forms)))
    a = draw(rationals(bound=bound, denominators=denominators))
    c = draw(rationals(bound=bound, denominators=denominators))
    try:
        return form.format(a=_fmt(a), c=_fmt(c), k=draw(st.integers(0, 3)))
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"form {form!r} may use only the fields {{a}}, {{c}} and {{k}} ({type(exc).__name__}: {exc})") from None


@st.composite
def families(
    draw: Any,
    width: IntLike = st.integers(1, 3),
    input_dim: Any = None,
    start: IntLike = 1,
    forms: Sequence[str] = _FORMS,
    bound: Any = 2,
    denominators: Any = (1, 2, 3, 4),
    output: Any = st.booleans(),
) -> Any:
    """Infinite-depth families with simple rational-function entries in n (no poles for n >= 1).

    Entries are drawn from ``forms`` (format strings with ``{a}``, ``{c}``
    rational coefficients and ``{k}`` a shift in 0..3, e.g. ``"{a}/n^2"``);
    ``input_dim`` (None: no prefix layer) adds a fixed prefix layer from that
    dimension to the width; ``output`` adds an affine output layer.

    >>> from hypothesis import find
    >>> fam = find(families(width=2, input_dim=3, output=False), lambda f: True)
    >>> fam.width, fam.input_dim, fam.issues()
    (2, 3, [])
    """
    from .depth.family import Family

    m = _draw(draw, width)
    formula = _formula(forms, bound, denominators)
    W = [[draw(formula) for _ in range(m)] for _ in range(m)]
    b = [draw(formula) for _ in range(m)]
    entry = rationals(bound=bound, denominators=denominators)
    prefix = ()
    d = _draw(draw, input_dim)
    if d is not None:
        prefix = (([[draw(entry) for _ in range(d)] for _ in range(m)], [draw(entry) for _ in range(m)]),)
    k = _output_dim(draw, output, 2)
    head = ([[draw(entry) for _ in range(m)] for _ in range(k)], [draw(entry) for _ in range(k)]) if k else None
    return Family(W, b, start=_draw(draw, start), prefix=prefix, output=head)
