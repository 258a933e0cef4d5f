"""Network: exact forward pass, activation patterns, and the explicit expression (T1).

A network of depth n has hidden layers i = 0..n-1 (0-based here; THEORY.md counts
from 1) with weights W_i (d_{i+1} x d_i) and biases b_i, a ReLU after each, and
an optional final affine output layer without ReLU.  A hidden layer may instead
carry any continuous piecewise-linear activation, one per neuron
(:mod:`exactrelu.nets.activation`: leaky ReLU, PReLU, hardtanh, identity for
skip connections); patterns then record each neuron's piece.  Convolutions,
pooling, batch norm and residual blocks are folded into such layers exactly
by :mod:`exactrelu.nets.build`.

>>> net = Network([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], [0]))
>>> net([1, "1/4"])
(Fraction(9, 4),)
>>> net.pattern([1, "1/4"])
Pattern('11')
>>> net.pattern([1, "-1/2"])
Pattern('10', ties=[(0, 1)])
>>> A, c = net.affine_map(net.pattern([1, "1/4"]))
>>> A, c
(((Fraction(3, 1), Fraction(1, 1)),), (Fraction(-1, 1),))
>>> from exactrelu.nets.activation import leaky
>>> lk = Network([([[1], [-1]], [0, 0], leaky("1/10"))])
>>> lk([-2]), lk.pattern([-2])
((Fraction(-1, 5), Fraction(2, 1)), Pattern('01'))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Sequence

import flint

from ..exact.jsonio import envelope, no_unknown_keys, read_envelope, write_json
from ..exact.numbers import (
    as_fmpq_mat,
    fmpq_to_fraction,
    fraction_str,
    to_matrix,
    to_vector,
)
from .activation import RELU, Activation, as_activation
from .affine import AffineMaps, split
from .contexts import Batch, ExactContext
from .pattern import Pattern

__all__ = ["Network", "convert_layer"]

_EXACT = ExactContext()  # the exact context of the forward kernel: Network evaluates with it

FORMAT = "exactrelu.network"
VERSION = 1


def convert_layer(pair: Any, name: str) -> tuple[tuple, tuple]:
    """One exact layer (W, b) from a pair or a ``{"W": ..., "b": ...}`` dict, named ``name`` in errors.

    W must have a row and a column, and b one entry per row of W.

    >>> convert_layer(([[1, "1/2"]], ["0.1"]), "layer 0")
    (((Fraction(1, 1), Fraction(1, 2)),), (Fraction(1, 10),))
    >>> convert_layer({"W": [[1, 2]]}, "layer 3")
    Traceback (most recent call last):
    ...
    ValueError: layer 3: missing key 'b'
    """
    if isinstance(pair, dict):
        missing = [k for k in ("W", "b") if k not in pair]
        if missing:
            raise ValueError(f"{name}: missing key {missing[0]!r}")
        W, b = pair["W"], pair["b"]
    else:
        try:
            W, b = pair
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected a pair (W, b)") from None
    return _convert_wb(W, b, name)


def _convert_wb(W: Any, b: Any, name: str) -> tuple[tuple, tuple]:
    W, b = to_matrix(W, f"{name}, W"), to_vector(b, f"{name}, b")
    if not W or not W[0]:
        raise ValueError(f"{name}: W must have at least one row and one column")
    if len(b) != len(W):
        raise ValueError(f"{name}: W has shape ({len(W)}, {len(W[0])}) but b has length {len(b)} (expected {len(W)})")
    return W, b


def convert_hidden(pair: Any, name: str) -> tuple[tuple, tuple, tuple]:
    """One exact hidden layer (W, b, activations): a pair (W, b) (ReLU), a triple (W, b, activation) or a dict
    with keys W, b and optionally "activation"; the activation is one for every neuron or a list of one per neuron.

    >>> convert_hidden(([[1], [2]], [0, 0], ["relu", "identity"]), "layer 0")[2]
    (Activation<relu>, Activation<identity>)
    >>> convert_hidden(([[1]], [0], [None, None]), "layer 2")
    Traceback (most recent call last):
    ...
    ValueError: layer 2: 2 activations for 1 neurons
    """
    act = None
    if isinstance(pair, dict):
        act = pair.get("activation")
        pair = {k: v for k, v in pair.items() if k != "activation"}
    elif isinstance(pair, (tuple, list)) and len(pair) == 3:
        pair, act = pair[:2], pair[2]
    W, b = convert_layer(pair, name)
    if isinstance(act, (list, tuple)):
        if len(act) != len(W):
            raise ValueError(f"{name}: {len(act)} activations for {len(W)} neurons")
        acts = tuple(as_activation(a, f"{name}, neuron {j}, activation") for j, a in enumerate(act))
    else:
        acts = (as_activation(act, f"{name}, activation"),) * len(W)
    return W, b, acts


def _check_input_dim(W: tuple, name: str, in_dim: int) -> None:
    if len(W[0]) != in_dim:
        raise ValueError(
            f"{name}: W has shape ({len(W)}, {len(W[0])}) but its input has dimension {in_dim} "
            f"(expected W of shape ({len(W)}, {in_dim}))"
        )


def layer_json(W: Sequence, b: Sequence, acts: Sequence[Activation] | None = None) -> dict:
    """One layer as JSON: ``{"W": rows of exact strings, "b": exact strings}`` (networks and families share it).

    A hidden layer that is not all ReLU adds ``"activation"``: one activation for
    every neuron, or a list of one per neuron (ReLU layers write nothing more, as
    in release 0.1.0).
    """
    data = {"W": [[fraction_str(v) for v in row] for row in W], "b": [fraction_str(v) for v in b]}
    if acts and any(a != RELU for a in acts):
        as_json = [_activation_json(a) for a in acts]
        data["activation"] = as_json[0] if all(a == acts[0] for a in acts) else as_json
    return data


def _activation_json(a: Activation) -> Any:
    return "relu" if a == RELU else "identity" if a.name == "identity" else a.to_json()


def layers_from_json(value: Any, label: str, key: str, activation: bool = False) -> list:
    """A JSON list of ``{"W": ..., "b": ...}`` objects, checked for shape and unknown keys (entries converted later).

    With ``activation`` a layer may also have the key "activation" (a network's hidden layers).
    """
    if not isinstance(value, list):
        raise ValueError(f"{label}: key {key!r} must be a list of {{'W': ..., 'b': ...}} objects")
    keys = {"W", "b", "activation"} if activation else {"W", "b"}
    for i, layer in enumerate(value):
        if not isinstance(layer, dict):
            raise ValueError(f"{label}: {key}[{i}] must be an object with keys 'W' and 'b'")
        no_unknown_keys(layer, keys, f"{label}: {key}[{i}]")
    return value


def output_from_json(value: Any, label: str) -> dict | None:
    """The optional output layer of a JSON file: an object with keys W and b, or null."""
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"{label}: key 'output' must be an object with keys 'W' and 'b', or null")
    if value is not None:
        no_unknown_keys(value, {"W", "b"}, f"{label}: output")
    return value


def _compose_first(W0: flint.fmpq_mat, b0: flint.fmpq_mat, slice: Any) -> tuple:
    """t -> W0 (origin + D t) + b0 = (W0 D) t + (W0 origin + b0), by one exact flint product (Slice.compose's map).

    Returns the flint pair and the same (W, b) as Fraction tuples.
    """
    n, k = W0.ncols(), slice.dim
    D = as_fmpq_mat([[d[i] for d in slice.directions] + [slice.origin[i]] for i in range(n)], n, k + 1)
    ents = (W0 * D).entries()
    rows = range(W0.nrows())
    W = flint.fmpq_mat(W0.nrows(), k, [v for i in rows for v in ents[i * (k + 1):i * (k + 1) + k]])
    b = flint.fmpq_mat(W0.nrows(), 1, [ents[i * (k + 1) + k] for i in rows]) + b0
    return ((W, b), tuple(tuple(fmpq_to_fraction(v) for v in ents[i * (k + 1):i * (k + 1) + k]) for i in rows),
            tuple(fmpq_to_fraction(v) for v in b.entries()))


class Network:
    """A network with exact rational weights and piecewise-linear activations (ReLU by default).

    ``layers`` is a sequence of ``(W, b)`` pairs, a ReLU after every one, or
    triples ``(W, b, activation)`` with an :class:`~exactrelu.nets.activation.Activation`
    for every neuron or a list of one per neuron;
    ``output=(W_o, b_o)`` is an optional affine output layer without activation.
    Every number is converted exactly (see :mod:`exactrelu.exact.numbers`); shapes
    are checked with messages naming the layer and both shapes.
    """

    def __init__(self, layers: Sequence[Any], output: Any = None):
        if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__"):
            raise ValueError("layers must be a sequence of (W, b) pairs")
        if len(layers) == 0 and output is None:
            raise ValueError("a network needs at least one layer")
        hidden = [convert_hidden(pair, f"layer {i}") for i, pair in enumerate(layers)]
        converted = [(W, b) for W, b, _ in hidden]
        self._acts = tuple(acts for _, _, acts in hidden)
        for i in range(1, len(converted)):
            _check_input_dim(converted[i][0], f"layer {i}", len(converted[i - 1][0]))
        out = None
        if output is not None:
            out = convert_layer(output, "output layer")
            if converted:
                _check_input_dim(out[0], "output layer", len(converted[-1][0]))
        self._layers = tuple(converted)
        self._output = out
        self._maps: AffineMaps | None = None  # made on first use
        first = converted[0][0] if converted else out[0]
        self._input_dim = len(first[0])
        self._fmpq = [(as_fmpq_mat(W, len(W), len(W[0])), as_fmpq_mat([[v] for v in b], len(b), 1)) for W, b in converted]
        self._fmpq_out = (
            (as_fmpq_mat(out[0], len(out[0]), len(out[0][0])), as_fmpq_mat([[v] for v in out[1]], len(out[1]), 1))
            if out
            else None
        )

    # ------------------------------------------------------------------ shape
    @property
    def layers(self) -> tuple:
        """The hidden layers as ``((W, b), ...)`` with Fraction entries."""
        return self._layers

    @property
    def output(self) -> tuple | None:
        """The output layer ``(W_o, b_o)`` or None."""
        return self._output

    @property
    def input_dim(self) -> int:
        return self._input_dim

    @property
    def activations(self) -> tuple:
        """Per hidden layer, one :class:`~exactrelu.nets.activation.Activation` per neuron."""
        return self._acts

    @property
    def is_relu(self) -> bool:
        """Whether every hidden neuron is a ReLU (the networks of release 0.1.0)."""
        return all(a == RELU for acts in self._acts for a in acts)

    def require_relu(self, who: str) -> None:
        """Refuse a network with other activations, naming ``who`` refuses and the first such layer.

        >>> from exactrelu.nets.activation import hardtanh
        >>> Network([([[1]], [0], hardtanh(0, 6))]).require_relu("the oracle")
        Traceback (most recent call last):
        ...
        ValueError: the oracle handles ReLU networks only; layer 0 has hardtanh(0, 6) activations
        """
        for i, acts in enumerate(self._acts):
            other = sorted({a.name for a in acts if a != RELU})
            if other:
                raise ValueError(f"{who} handles ReLU networks only; layer {i} has {', '.join(other)} activations")

    @property
    def widths(self) -> tuple:
        """Hidden widths (d_1, ..., d_n)."""
        return tuple(len(W) for W, _ in self._layers)

    @property
    def depth(self) -> int:
        """Number of hidden (ReLU) layers."""
        return len(self._layers)

    @property
    def output_dim(self) -> int:
        if self._output is not None:
            return len(self._output[0])
        return self.widths[-1]

    def fmpq_layers(self) -> list:
        """Internal fast form: ``[(W, b), ...]`` as flint ``fmpq_mat`` (b a column)."""
        return list(self._fmpq)

    def fmpq_output(self):
        """Internal fast form of the output layer, or None."""
        return self._fmpq_out

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Network) and self._layers == other._layers and self._output == other._output
                and self._acts == other._acts)

    def __hash__(self) -> int:
        return hash((self._layers, self._output))

    def __repr__(self) -> str:
        arch = "-".join(str(w) for w in (self.input_dim, *self.widths))
        out = f"-{self.output_dim} (affine output)" if self._output else ""
        names = sorted({a.name for acts in self._acts for a in acts})
        kinds = f", activations {', '.join(names)}" if names != ["relu"] and names else ""
        return f"<Network {arch}{out}, depth {self.depth}{kinds}>"

    # ------------------------------------------------------------ evaluation
    def _vector(self, x: Any) -> tuple:
        v = to_vector(x, "input", length=None)
        if len(v) != self.input_dim:
            raise ValueError(f"input has dimension {len(v)}, the network expects {self.input_dim}")
        return v

    def _run(self, x: Any, layers: int | None = None, on_pre: Any = None) -> tuple:
        """The exact state after the first ``layers`` layers (all, output included, when None), by the kernel."""
        ctx = _EXACT
        todo = ctx.prepared(self)
        Y = ctx.run(todo if layers is None else todo[:layers], ctx.batch(Batch(1, self.input_dim, rows=[self._vector(x)])),
                    on_pre)
        return ctx.columns(Y, 1)[0]

    def __call__(self, x: Any) -> tuple:
        """The exact output N(x) (after the output layer when there is one)."""
        return self._run(x)

    def hidden(self, x: Any, k: int) -> tuple:
        """The exact state y_k after ``k`` ReLU layers (``k = 0`` gives x itself)."""
        if not isinstance(k, int) or isinstance(k, bool) or not (0 <= k <= self.depth):
            raise ValueError(f"k must be an integer between 0 and {self.depth}, got {k!r}")
        return self._run(x, k)

    def pre_activations(self, x: Any) -> tuple:
        """The exact pre-activations z_i for every hidden layer, as tuples of Fractions."""
        pre: list = []
        self._run(x, self.depth, lambda Z: pre.append(_EXACT.columns(Z, 1)[0]))
        return tuple(pre)

    def pattern(self, x: Any) -> Pattern:
        """The activation pattern at x (each neuron's piece), with the exact ties (pre-activation on a breakpoint)."""
        if self.is_relu:
            signs: list = []
            self._run(x, self.depth, lambda Z: signs.append(_EXACT.signs(Z, 1)[0]))
            layers = [[1 if s > 0 else 0 for s in z] for z in signs]
            return Pattern(layers, [(i, j) for i, z in enumerate(signs) for j, s in enumerate(z) if s == 0])
        pre = self.pre_activations(x)
        layers = [[f.piece(v) for f, v in zip(acts, z)] for acts, z in zip(self._acts, pre)]
        ties = [(i, j) for i, (acts, z) in enumerate(zip(self._acts, pre)) for j, (f, v) in enumerate(zip(acts, z))
                if v in f.breakpoints]
        return Pattern(layers, ties)

    # ---------------------------------------------------- explicit expression
    def _check_pattern(self, pattern: Pattern, depth: int | None = None) -> None:
        if not isinstance(pattern, Pattern):
            raise ValueError(f"expected a Pattern, got {type(pattern).__name__}")
        want = self.widths if depth is None else self.widths[:depth]
        if pattern.widths != want:
            raise ValueError(f"pattern has layer widths {pattern.widths}, the network has {want}")
        for i, (pieces, acts) in enumerate(zip(pattern.layers, self._acts)):
            for j, (p, f) in enumerate(zip(pieces, acts)):
                if p >= f.pieces:
                    raise ValueError(f"pattern layer {i}, neuron {j}: piece {p}, but its {f.name} has {f.pieces} pieces")
        for i, j in pattern.ties:
            f, p = self._acts[i][j], pattern.layers[i][j]
            if p >= len(f.breakpoints):  # a tie sits on the breakpoint at the upper end of its piece
                raise ValueError(f"tie {(i, j)} is on piece {p} of {f.name}, which has no breakpoint above it"
                                 + (" (for ReLU: a tie means pre-activation 0, so inactive, not an active neuron)"
                                    if f == RELU else ""))

    def affine_maps(self, memo: bool = False) -> AffineMaps:
        """The T1 maps of this network (:class:`~exactrelu.nets.affine.AffineMaps`).

        With ``memo``, a fresh instance that keeps the map of every prefix it
        computes (for one enumeration); without, one shared instance.
        """
        if self._maps is None:
            self._maps = AffineMaps.of(self)
        return self._maps.memoised() if memo else self._maps

    def prefix_maps(self, pattern: Pattern) -> Iterator[tuple[flint.fmpq_mat, flint.fmpq_mat]]:
        """Yield, for each hidden layer i, the exact affine map of its pre-activation on the domain.

        z_i(x) = M_i x + m_i on the activation domain of ``pattern`` (T1): the
        pairs (M_i, m_i) are flint matrices (m_i a column).
        """
        self._check_pattern(pattern, len(pattern.layers))
        for H in self.affine_maps().prefix_maps(pattern.layers):
            yield split(H)

    def affine_map(self, pattern: Pattern) -> tuple[tuple, tuple]:
        """The exact (A, c) with N(x) = A x + c on the activation domain of ``pattern``.

        Computed by the explicit expression T1,
        N_n(x) = D_n W_n ... D_1 W_1 x + sum_i D_n W_n ... D_{i+1} W_{i+1} D_i b_i,
        followed by the output layer when there is one.
        """
        self._check_pattern(pattern)
        return self.affine_maps().affine_map(pattern.layers)

    def domain(self, pattern: Pattern, within: Any = None):
        """The activation domain of ``pattern`` as an exact Polyhedron.

        Active neurons give strict inequalities z > 0, inactive ones non-strict
        z <= 0; in general a neuron on piece p gives t_p < z <= t_{p+1} (the
        breakpoints of its activation around the piece).  Intersected with
        ``within`` (a Box or Polyhedron) when given.
        """
        from ..exact.polyhedron import Polyhedron

        self._check_pattern(pattern)
        strict, nonstrict = [], []
        for (M, m), pieces, acts in zip(self.prefix_maps(pattern), pattern.layers, self._acts):
            for j, p in enumerate(pieces):
                row = tuple(fmpq_to_fraction(M[j, k]) for k in range(M.ncols()))
                off = fmpq_to_fraction(m[j, 0])
                t = acts[j].breakpoints
                if p > 0:  # z = row.x + off > t  <=>  -row.x < off - t
                    strict.append((tuple(-v for v in row), off - t[p - 1]))
                if p < len(t):  # z <= t  <=>  row.x <= t - off
                    nonstrict.append((row, t[p] - off))
        P = Polyhedron(self.input_dim, inequalities=nonstrict, strict=strict)
        return P if within is None else P.intersect(within)

    def restrict(self, slice: Any) -> "Network":
        """The exact network on the slice's coordinates t: t -> N(origin + D t), first layer composed exactly.

        >>> from exactrelu.nets.slice import Slice
        >>> net = Network([([[1, -1, 0]], [0])], output=([[2]], [1]))
        >>> s = Slice.line([0, 0, 5], [1, 1, 5])          # x0 - x1 is 0 all along
        >>> net.restrict(s).layers
        ((((Fraction(0, 1),),), (Fraction(0, 1),)),)
        >>> net.restrict(s)(["1/2"]) == net(s.to_input(["1/2"]))
        True
        """
        from .slice import Slice

        if not isinstance(slice, Slice):
            raise ValueError(f"restrict expects a Slice, got {type(slice).__name__}")
        if slice.input_dim != self.input_dim:
            raise ValueError(f"the slice lies in R^{slice.input_dim}, the network's input dimension is {self.input_dim}")
        if not self._layers:
            return Network([], output=slice.compose(*self._output))
        first, W, b = _compose_first(*self._fmpq[0], slice)
        # The other layers are this network's, already exact and checked: shared, not converted again.
        net = Network.__new__(Network)
        net._layers, net._output, net._maps, net._input_dim = ((W, b), *self._layers[1:]), self._output, None, slice.dim
        net._acts = self._acts
        net._fmpq, net._fmpq_out = [first, *self._fmpq[1:]], self._fmpq_out
        net._maps = self.affine_maps().with_first_layer(*first)  # the T1 matrices of layers 1.. shared
        return net

    def regions(self, box: Any, *, method: str = "auto", max_regions: int | None = None, progress: bool = False,
                workers: Any = 1, executor: Any = None) -> list:
        """All linear regions (activation domains with nonempty interior) inside ``box``.

        ``box`` may be a :class:`~exactrelu.nets.slice.Slice`: the regions of
        :meth:`restrict` in t coordinates.  ``method`` names a registered region
        algorithm ("auto", "planar", "general", ...). Returns a
        :class:`~exactrelu.regions.partition.Partition`; see :func:`exactrelu.regions.regions`.

        >>> Network([([[1], [-1]], [0, 0])]).regions(([-1], [1]), method="general")
        [Region(01), Region(10)]
        """
        # nets/ and regions/ are one layer, Network.regions its front door to the region algorithms;
        # no cycle, because exactrelu.regions never imports this module (it asks a net for its T1 maps).
        from ..regions import regions

        return regions(self, box, method=method, max_regions=max_regions, progress=progress, workers=workers,
                       executor=executor)

    # ------------------------------------------------------------------ JSON
    def to_json(self, path: str | Path | None = None) -> dict:
        """The network in the exactrelu JSON format (entries as exact strings); written to ``path`` if given."""
        data = envelope(FORMAT, VERSION, layers=[layer_json(W, b, a) for (W, b), a in zip(self._layers, self._acts)],
                        output=layer_json(*self._output) if self._output else None)
        if path is not None:
            write_json(data, path)  # temp file then rename: never half-written
        return data

    @classmethod
    def from_json(cls, source: Any) -> "Network":
        """Load a network from a path, a JSON string, or an already parsed dict.

        JSON decimal literals mean their decimal value exactly ("0.1" and 0.1
        both give 1/10).  Bad files get a ValueError naming the key and layer.
        """
        return cls._from_dict(source)

    @classmethod
    def _from_dict(cls, data: Any) -> "Network":
        data = read_envelope(data, "network", FORMAT, VERSION, {"layers", "output"}, ("layers",))
        layers = layers_from_json(data["layers"], "network JSON", "layers", activation=True)
        return cls(layers, output=output_from_json(data.get("output"), "network JSON"))

