"""Independent checker of "unsat" proofs: a property holds on a ReLU network.

Trusted code: the standard library and python-flint only, nothing else from
exactrelu (proofs/verification_proofs.md proves that an accepted proof implies
the property).  Inputs are plain JSON values:

* the network in the exactrelu.network JSON format (ReLU hidden layers only);
* the property: ``{"inputs": n, "outputs": m, "cases": [{"lower": [...],
  "upper": [...], "constraints": [[[c_0..c_{m-1}], d], ...]}, ...]}``, numbers as
  exact strings "p/q"; case k is the unsafe set {x in [lower, upper] : C N(x) <= d};
* the proof: ``{"trees": [tree per case]}``, a tree a flat pre-order list of steps:
  ``["fix", layer, neuron, phase]`` (the neuron's pre-activation has that sign on the
  whole box), ``["split", layer, neuron]`` (followed by the active subtree, then the
  inactive one), ``["empty", [y...]]`` (a Farkas certificate for the node's rows) or
  ``["bound", r]`` (symbolic interval arithmetic shows constraint r fails on the node) or
  ``["back", r]`` (the same intervals' ranges, then constraint r's row back-substituted through
  linear ReLU bounds to the node's exact map, show it fails).

A node has its own box (cuts shrink it) and fixes phases of whole layers in order: a fix or split must name a neuron of
the first layer that still has unassigned neurons.  Its rows ``a.x <= b`` are: the
node's box (``x_i <= upper_i`` for each i, then ``-x_i <= -lower_i``), one row per assigned
neuron in the order assigned (active ``-z <= 0``, inactive ``z <= 0``, z its
pre-activation, affine in x), and, once every neuron is assigned, the case's
constraints rewritten in x.

>>> net = {"format": "exactrelu.network", "version": 1, "layers": [{"W": [["1"]], "b": ["0"]}], "output": None}
>>> prop = {"inputs": 1, "outputs": 1, "cases": [{"lower": ["-1"], "upper": ["1"], "constraints": [[["-1"], "-2"]]}]}
>>> check_proof(net, prop, {"trees": [[["bound", 0]]]})  # relu(x) >= 2 is impossible on [-1, 1]
True
>>> check_proof(net, prop, {"trees": [[["split", 0, 0], ["bound", 0], ["bound", 0], ["bound", 0]]]})
Traceback (most recent call last):
...
exactrelu.verification.proof_check.ProofError: case 0, step 3: proof longer than its tree

A proof *file* (``exactrelu verify --proof``, format :data:`FORMAT`) carries the network and the
property beside the trees, so that it can be checked alone (:func:`check_proof_file`).
"""

from __future__ import annotations

import hashlib
import json
import re

import flint

__all__ = ["FORMAT", "VERSION", "ProofError", "ProofFormatError", "check_proof", "check_proof_file", "network_digest"]

FORMAT = "exactrelu.verification-proof"
VERSION = 1

_RATIONAL = re.compile(r"^-?\d+(/\d+)?$")


class ProofError(ValueError):
    """The proof is rejected; the message names the case and step."""


class ProofFormatError(ValueError):
    """The file is not a verification proof this checker reads (another format or version, missing parts)."""


def _q(s: object, where: str) -> flint.fmpq:
    if isinstance(s, bool) or not (isinstance(s, int) or (isinstance(s, str) and _RATIONAL.match(s))):
        raise ProofError(f"{where}: {s!r} is not an exact rational 'p/q'")
    p, _, d = str(s).partition("/")
    if d and int(d) == 0:
        raise ProofError(f"{where}: {s!r} has denominator 0")
    return flint.fmpq(int(p), int(d or 1))


def _vec(v: object, n: int, where: str) -> list:
    if not isinstance(v, list) or len(v) != n:
        raise ProofError(f"{where}: expected a list of {n} numbers")
    return [_q(s, f"{where}[{i}]") for i, s in enumerate(v)]


def _layers(net: dict) -> list:
    """The affine maps (W, b) of the network as fmpq_mat; the output layer (identity if absent) last."""
    if not isinstance(net, dict) or net.get("format") != "exactrelu.network" or not isinstance(net.get("layers"), list):
        raise ProofError("network: not an exactrelu.network JSON object")
    raw = list(net["layers"]) + ([net["output"]] if net.get("output") is not None else [])
    out, width = [], None
    for k, layer in enumerate(raw):
        if not isinstance(layer, dict) or set(layer) - {"W", "b", "activation"} or layer.get("activation", "relu") != "relu":
            raise ProofError(f"network layer {k}: only ReLU layers {{'W', 'b'}} are supported")
        W, b = layer.get("W"), layer.get("b")
        if not isinstance(W, list) or not W or not isinstance(W[0], list) or not isinstance(b, list):
            raise ProofError(f"network layer {k}: W must be a non-empty matrix and b a list")
        cols = len(W[0]) if width is None else width
        rows = [_vec(r, cols, f"network layer {k}, W row {i}") for i, r in enumerate(W)]
        M = flint.fmpq_mat(rows)
        out.append((M, flint.fmpq_mat([[v] for v in _vec(b, len(W), f"network layer {k}, b")]), *_signed(M)))
        width = len(W)
    if net.get("output") is None:  # no output layer: the outputs are the last hidden layer's values
        eye = flint.fmpq_mat([[int(i == j) for j in range(width)] for i in range(width)])
        out.append((eye, flint.fmpq_mat(width, 1), eye, flint.fmpq_mat(width, width)))
    return out


def _affine_interval(H: flint.fmpq_mat, lo: list, hi: list) -> tuple[list, list]:
    """Exact range of each row of the affine map x -> H[:, :n] x + H[:, n] over the box."""
    n = len(lo)
    L, U = [], []
    for i in range(H.nrows()):
        l = u = H[i, n]
        for j in range(n):
            a = H[i, j]
            l, u = (l + a * lo[j], u + a * hi[j]) if a >= 0 else (l + a * hi[j], u + a * lo[j])
        L.append(l)
        U.append(u)
    return L, U


def _signed(W: flint.fmpq_mat) -> tuple:
    z = flint.fmpq(0)
    rows = [[W[i, j] for j in range(W.ncols())] for i in range(W.nrows())]
    return (flint.fmpq_mat([[v if v > z else z for v in r] for r in rows]),
            flint.fmpq_mat([[v if v < z else z for v in r] for r in rows]))


class _Node:
    """A node of the tree: fixed layers, the affine map H of the current layer k, rows so far."""

    def __init__(self, layers: list, lo: list, hi: list):
        n = len(lo)
        self.layers, self.lo, self.hi, self.k = layers, list(lo), list(hi), 0
        eye = flint.fmpq_mat([[int(i == j) for j in range(n)] + [0] for i in range(n)])
        self.H = self._next(eye, 0)
        self.phase: list = [None] * self.H.nrows()
        one, zero = flint.fmpq(1), flint.fmpq(0)
        self.rows = [([one if i == j else zero for j in range(n)], hi[i]) for i in range(n)]
        self.rows += [([-one if i == j else zero for j in range(n)], -lo[i]) for i in range(n)]

    def _next(self, G: flint.fmpq_mat, k: int) -> flint.fmpq_mat:
        W, b = self.layers[k][:2]
        n = len(self.lo)
        H = W * G
        for i in range(H.nrows()):
            H[i, n] += b[i, 0]
        return H

    def copy(self) -> "_Node":
        c = object.__new__(_Node)
        c.layers, c.lo, c.hi, c.k, c.H = self.layers, list(self.lo), list(self.hi), self.k, self.H
        c.phase, c.rows = list(self.phase), list(self.rows)
        return c

    @property
    def complete(self) -> bool:
        return self.k == len(self.layers) - 1

    def assign(self, j: int, phase: int) -> None:
        n = len(self.lo)
        a = [self.H[j, i] for i in range(n)]
        c = self.H[j, n]
        self.rows.append(([-v for v in a], c) if phase else (a, -c))
        self.phase[j] = phase
        if all(p is not None for p in self.phase):
            G = flint.fmpq_mat(self.H)
            for i, p in enumerate(self.phase):
                if not p:
                    for col in range(n + 1):
                        G[i, col] = 0
            self.k += 1
            self.H = self._next(G, self.k)
            self.phase = [None] * self.H.nrows()

    def cut(self, i: int, v: flint.fmpq, upper: bool) -> None:
        """Shrink the box to x_i <= v (``upper``) or x_i >= v; its box row changes accordingly."""
        n = len(self.lo)
        if upper:
            self.hi[i] = v
            self.rows[i] = (self.rows[i][0], v)
        else:
            self.lo[i] = v
            self.rows[n + i] = (self.rows[n + i][0], -v)

    def output_equations(self, ranges: list | None = None) -> tuple:
        """Affine maps (Low, Up), rows per output, with Low(x) <= N(x) <= Up(x) on the node's set.

        Layer k's pre-activations are exactly H; an assigned neuron's value is then H's row (phase 1)
        or 0; each later layer maps the pair with W+ and W- and each ReLU keeps, zeroes or relaxes it
        by the signs of the pair's ranges over the box (symbolic intervals, exact).  ``ranges``, if
        given, receives per ReLU layer (phases, lower end of Low, upper end of Up).
        """
        n, zero = len(self.lo), flint.fmpq_mat(1, len(self.lo) + 1)
        if self.complete:
            return self.H, self.H
        Low, Up = self.H, self.H
        phases = self.phase
        for layer in self.layers[self.k + 1:]:
            Low, Up = self._relu(Low, Up, phases, n, zero, ranges)
            _, b, Wp, Wn = layer
            bb = flint.fmpq_mat([[0] * n + [b[i, 0]] for i in range(b.nrows())])
            Low, Up = Wp * Low + Wn * Up + bb, Wp * Up + Wn * Low + bb
            phases = [None] * Low.nrows()
        return Low, Up

    def _relu(self, Low: flint.fmpq_mat, Up: flint.fmpq_mat, phases: list, n: int, zero: flint.fmpq_mat,
              ranges: list | None = None) -> tuple:
        lmin, lmax = _affine_interval(Low, self.lo, self.hi)
        umin, umax = _affine_interval(Up, self.lo, self.hi)
        if ranges is not None:
            ranges.append((phases, lmin, umax))
        lows, ups = [], []
        for j, p in enumerate(phases):
            lo_row, up_row = _row(Low, j), _row(Up, j)
            if p == 1 or (p is None and lmin[j] >= 0):  # z >= 0 on the node: relu(z) = z
                lows.append(lo_row)
                ups.append(up_row)
            elif p == 0 or umax[j] <= 0:  # z <= 0 on the node: relu(z) = 0
                lows.append(zero)
                ups.append(zero)
            else:  # relu(z) >= 0 and >= z >= Low; relu(z) <= Up if Up >= 0 on the box, else <= the chord
                lows.append(lo_row if lmax[j] > -lmin[j] else zero)
                ups.append(up_row if umin[j] >= 0 else _chord(up_row, umin[j], umax[j], n))
        return _stack(lows, n), _stack(ups, n)

    def floor(self, c: list, Low: flint.fmpq_mat, Up: flint.fmpq_mat) -> flint.fmpq:
        """A lower bound of c . N(x) on the node: the minimum over the box of sum c+ Low + c- Up."""
        g = flint.fmpq_mat(1, len(self.lo) + 1)
        for i, a in enumerate(c):
            if a:
                g += a * _row(Low if a > 0 else Up, i)
        return _affine_interval(g, self.lo, self.hi)[0][0]


    def back_floor(self, c: list) -> flint.fmpq:
        """A lower bound of c . N(x) on the node: c's row carried back through each ReLU layer's linear
        bounds (from the symbolic intervals' ranges [l, u] of its pre-activations) to the node's map H.

        Per neuron with coefficient m on relu(z): phase 1 or l >= 0 keeps m on z; phase 0 or u <= 0
        drops it; otherwise m >= 0 uses relu(z) >= z (if u > -l) or >= 0, and m < 0 uses
        relu(z) <= s (z - l) with s >= u / (u - l) a multiple of 2^-16 rounded up.
        """
        ranges: list = []
        self.output_equations(ranges)
        n, zero, one = len(self.lo), flint.fmpq(0), flint.fmpq(1)
        lam, const = flint.fmpq_mat([list(c)]), zero
        for (W, b, *_), (phases, l, u) in zip(reversed(self.layers[self.k + 1:]), reversed(ranges)):
            const += (lam * b)[0, 0]
            mu = lam * W
            row = []
            for j, p in enumerate(phases):
                m = mu[0, j]
                if p == 1 or (p is None and l[j] >= 0):
                    row.append(m)
                elif p == 0 or u[j] <= 0 or m == 0:
                    row.append(zero)
                elif m > 0:
                    row.append(m if u[j] > -l[j] else zero)
                else:
                    s = _slope(l[j], u[j])
                    row.append(m * s)
                    const -= m * s * l[j]
            lam = flint.fmpq_mat([row])
        g = lam * self.H
        g[0, n] += const
        return _affine_interval(g, self.lo, self.hi)[0][0]


def _slope(l: flint.fmpq, u: flint.fmpq) -> flint.fmpq:
    """u / (u - l) rounded up to a multiple of 2^-16 (l < 0 < u)."""
    t = u / (u - l) * 65536
    return flint.fmpq(-((-t.p) // t.q), 65536)


def _chord(up: flint.fmpq_mat, u0: flint.fmpq, u1: flint.fmpq, n: int) -> flint.fmpq_mat:
    """lam (Up - u0) with lam >= u1 / (u1 - u0), rounded up to a multiple of 2^-16 (smaller numbers):
    relu is below its chord on [u0, u1] and Up(x) - u0 >= 0 on the box, so this bounds relu(Up) >= relu(z)."""
    t = u1 / (u1 - u0) * 65536
    lam = flint.fmpq(-((-t.p) // t.q), 65536)  # ceil(t) / 2^16
    row = lam * up
    row[0, n] -= lam * u0
    return row


def _stack(rows: list, n: int) -> flint.fmpq_mat:
    return flint.fmpq_mat([[r[0, i] for i in range(n + 1)] for r in rows])


def _check_step(step: object, node: _Node, case: dict, where: str) -> list:
    """Check one step at ``node``; returns the children to visit (in pre-order)."""
    if not isinstance(step, list) or not step or step[0] not in ("fix", "split", "cut", "empty", "bound", "back"):
        raise ProofError(f"{where}: a step is ['fix'|'split'|'cut'|'empty'|'bound'|'back', ...], got {step!r}")
    kind = step[0]
    if kind == "cut":
        i = step[1] if len(step) == 3 else None
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(node.lo):
            raise ProofError(f"{where}: cut takes an input index and a value")
        v = _q(step[2], f"{where}: cut value")
        if not node.lo[i] <= v <= node.hi[i]:
            raise ProofError(f"{where}: the cut value lies outside the node's range of x_{i}")
        below, above = node.copy(), node
        below.cut(i, v, True)
        above.cut(i, v, False)
        return [below, above]
    if kind in ("fix", "split"):
        if node.complete or len(step) != (4 if kind == "fix" else 3) or step[1] != node.k \
                or not isinstance(step[2], int) or isinstance(step[2], bool) \
                or not 0 <= step[2] < len(node.phase) or node.phase[step[2]] is not None:
            raise ProofError(f"{where}: {kind} must name an unassigned neuron of layer {node.k}")
        j = step[2]
        if kind == "split":
            on, off = node.copy(), node
            on.assign(j, 1)
            off.assign(j, 0)
            return [on, off]
        L, U = _affine_interval(_row(node.H, j), node.lo, node.hi)
        if step[3] not in (0, 1) or isinstance(step[3], bool) or (step[3] == 1 and L[0] < 0) or (step[3] == 0 and U[0] > 0):
            raise ProofError(f"{where}: neuron ({node.k}, {j}) does not have phase {step[3]!r} on the whole box")
        node.assign(j, step[3])
        return [node]
    if kind in ("bound", "back"):
        r = step[1] if len(step) == 2 else None
        if not isinstance(r, int) or isinstance(r, bool) or not 0 <= r < len(case["C"]):
            raise ProofError(f"{where}: {kind} must name a constraint of the case")
        c, d = case["C"][r]
        if kind == "bound" and not node.floor(c, *node.output_equations()) > d:
            raise ProofError(f"{where}: the symbolic interval bound does not exclude constraint {r}")
        if kind == "back" and not node.back_floor(c) > d:
            raise ProofError(f"{where}: the back-substituted bound does not exclude constraint {r}")
        return []
    rows = list(node.rows)
    if node.complete:
        rows += [_output_row(node, c, d) for c, d in case["C"]]
    if len(step) != 2:
        raise ProofError(f"{where}: empty takes one list of multipliers")
    y = _vec(step[1], len(rows), f"{where}: multipliers")
    _farkas(rows, y, len(node.lo), where)
    return []


def _row(H: flint.fmpq_mat, j: int) -> flint.fmpq_mat:
    return flint.fmpq_mat([[H[j, i] for i in range(H.ncols())]])


def _output_row(node: _Node, c: list, d: flint.fmpq) -> tuple:
    """The constraint c . N(x) <= d as a row in x, on a node with every phase fixed."""
    n = len(node.lo)
    a = [sum((c[r] * node.H[r, i] for r in range(len(c))), flint.fmpq(0)) for i in range(n + 1)]
    return a[:n], d - a[n]


def _farkas(rows: list, y: list, n: int, where: str) -> None:
    if any(v < 0 for v in y):
        raise ProofError(f"{where}: a Farkas multiplier is negative")
    combo = [sum((yi * a[i] for (a, _), yi in zip(rows, y) if yi), flint.fmpq(0)) for i in range(n)]
    rhs = sum((yi * b for (_, b), yi in zip(rows, y) if yi), flint.fmpq(0))
    if any(combo) or not rhs < 0:
        raise ProofError(f"{where}: the multipliers do not combine the node's rows into 0 <= (negative)")


def _case(raw: object, n: int, m: int, k: int) -> dict:
    where = f"property case {k}"
    if not isinstance(raw, dict) or set(raw) != {"lower", "upper", "constraints"} or not isinstance(raw["constraints"], list):
        raise ProofError(f"{where}: expected keys lower, upper, constraints")
    lo, hi = _vec(raw["lower"], n, f"{where} lower"), _vec(raw["upper"], n, f"{where} upper")
    C = []
    for r, con in enumerate(raw["constraints"]):
        if not isinstance(con, list) or len(con) != 2:
            raise ProofError(f"{where}, constraint {r}: expected [coefficients, rhs]")
        C.append((_vec(con[0], m, f"{where}, constraint {r}"), _q(con[1], f"{where}, constraint {r} rhs")))
    return {"lo": lo, "hi": hi, "C": C}


def check_proof(network: dict, prop: dict, proof: dict) -> bool:
    """True when ``proof`` shows that no input of any case of ``prop`` is unsafe for ``network``; else ProofError."""
    layers = _layers(network)
    if not isinstance(prop, dict) or not isinstance(prop.get("cases"), list) or not prop["cases"]:
        raise ProofError("property: expected an object with a non-empty list 'cases'")
    n, m = prop.get("inputs"), prop.get("outputs")
    if n != layers[0][0].ncols() or m != layers[-1][0].nrows():
        raise ProofError(f"property: {n} inputs and {m} outputs, the network has {layers[0][0].ncols()} and {layers[-1][0].nrows()}")
    trees = proof.get("trees") if isinstance(proof, dict) else None
    if not isinstance(trees, list) or len(trees) != len(prop["cases"]):
        raise ProofError(f"proof: expected one tree per case ({len(prop['cases'])})")
    for k, (raw, tree) in enumerate(zip(prop["cases"], trees)):
        case = _case(raw, n, m, k)
        if not isinstance(tree, list):
            raise ProofError(f"case {k}: the tree must be a list of steps")
        todo, i = [_Node(layers, case["lo"], case["hi"])], 0
        while todo:  # pre-order walk with an explicit stack: every open node must be closed by the steps
            if i >= len(tree):
                raise ProofError(f"case {k}: the tree ends with {len(todo)} node(s) still open (truncated proof)")
            children = _check_step(tree[i], todo.pop(), case, f"case {k}, step {i}")
            todo.extend(reversed(children))
            i += 1
        if i != len(tree):
            raise ProofError(f"case {k}, step {i}: proof longer than its tree")
    return True


def network_digest(network: dict) -> str:
    """SHA-256 of the network's canonical JSON (sorted keys, no blanks): names the network a proof is about.

    >>> network_digest({"b": 1, "a": [2]}) == network_digest({"a": [2], "b": 1})
    True
    """
    text = json.dumps(network, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def check_proof_file(doc: object) -> dict:
    """Check a whole proof file (parsed JSON); returns what it proves, else ProofError (or ProofFormatError
    when ``doc`` is not a version-1 proof object with a network, a property and trees).

    The summary: ``digest`` (:func:`network_digest`), ``inputs``, ``outputs``, ``cases``, ``leaves``
    (steps closing a node), ``steps``.

    >>> net = {"format": "exactrelu.network", "version": 1, "layers": [{"W": [["1"]], "b": ["0"]}], "output": None}
    >>> prop = {"inputs": 1, "outputs": 1, "cases": [{"lower": ["-1"], "upper": ["1"], "constraints": [[["-1"], "-2"]]}]}
    >>> doc = {"format": FORMAT, "version": 1, "network": net, "property": prop, "trees": [[["bound", 0]]]}
    >>> check_proof_file(doc)["leaves"]
    1
    >>> check_proof_file({**doc, "version": 2})
    Traceback (most recent call last):
    ...
    exactrelu.verification.proof_check.ProofFormatError: unsupported proof version 2 (expected 1)
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        shown = repr(doc.get("format"))[:60] if isinstance(doc, dict) else "not a JSON object"
        raise ProofFormatError(f"not a verification proof (format {shown}, expected {FORMAT!r})")
    if type(doc.get("version")) is not int or doc["version"] != VERSION:
        raise ProofFormatError(f"unsupported proof version {doc.get('version')!r} (expected {VERSION})")
    extra = set(doc) - {"format", "version", "network", "property", "trees"}
    missing = {"network", "property", "trees"} - set(doc)
    if missing or extra:
        raise ProofFormatError(f"a proof object has keys format, version, network, property, trees "
                               f"({'missing ' + ', '.join(sorted(missing)) if missing else 'unknown ' + ', '.join(sorted(extra))})")
    if not isinstance(doc["trees"], list) or not all(isinstance(t, list) for t in doc["trees"]):
        raise ProofFormatError("trees: expected a list of trees, each a list of steps")
    check_proof(doc["network"], doc["property"], doc)
    leaves = sum(1 for t in doc["trees"] for step in t if step[0] in ("empty", "bound", "back"))
    return {"digest": network_digest(doc["network"]), "inputs": doc["property"]["inputs"],
            "outputs": doc["property"]["outputs"], "cases": len(doc["trees"]), "leaves": leaves,
            "steps": sum(len(t) for t in doc["trees"])}
