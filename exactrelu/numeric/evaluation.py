"""Batched evaluation in several arithmetics, cross-checking against the exact values, certified limits.

One call shape for every context (see :mod:`exactrelu.nets.contexts`, whose
forward kernel every function here runs):

>>> from exactrelu.nets.network import Network
>>> net = Network([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], [0]))
>>> evaluate(net, [[1, "1/4"], [0, 0]])                      # exact: tuples of Fraction
[(Fraction(9, 4),), (Fraction(0, 1),)]
>>> evaluate(net, [[1, 0.25]], context="numpy")               # float64 array
array([[2.25]])
>>> report = crosscheck(net, [[1, "1/4"], [0, "1/2"]])
>>> report.ok, report.max_abs_error, len(report.unstable)
(True, Fraction(0, 1), 1)

``crosscheck`` flags neuron 1 at x = (0, 1/2) as unstable: its exact
pre-activation is exactly 0, so no float evaluation can be trusted to decide
its sign (here the float happens to agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import numpy as np

from ..nets.contexts import (
    ArbContext,
    Batch,
    Context,
    ExactContext,
    MpmathContext,
    arb_to_interval,
    get_context,
    mpf_to_fraction,
    read_inputs,
)
from ..nets.network import Network
from ..regions.algorithms import Progress
from .errorbounds import bound_matrices, get_format

__all__ = ["evaluate", "crosscheck", "limit", "CrossCheck", "Mismatch", "Unstable", "Violation", "LimitEnclosure"]


def _check_net(net: Any) -> None:
    if not isinstance(net, Network):
        raise ValueError(f"expected an exactrelu Network, got {type(net).__name__} (build one with exactrelu.Network or exactrelu.load)")


def evaluate(net: Any, X: Any, context: Any = "exact", prec: int = 53) -> Any:
    """Evaluate ``net`` on a batch ``X`` (a list of input vectors or a 2-D array, one input per row).

    Return types: ``"exact"`` a list of tuples of Fraction; ``"numpy"`` a 2-D
    float64 array (``prec=24``: float32); ``"mpmath"`` a list of lists of
    ``mpmath.mpf`` computed at ``prec`` bits; ``"arb"`` a list of lists of
    ``flint.arb`` balls that provably contain the exact values.  Float
    contexts round weights, biases and inputs to nearest; the exact context
    converts them exactly.  Bad inputs raise ValueError naming the row and column.

    >>> from exactrelu.nets.network import Network
    >>> net = Network([([["1/3"]], [0])])
    >>> [[v]] = evaluate(net, [[1]], "mpmath", prec=20)
    >>> mpf_to_fraction(v) == Fraction(699051, 2**21)  # 20 significant bits: 1/3 * 2^21 = 699050.67 rounds up
    True
    >>> ball = evaluate(net, [[1]], "arb")[0][0]
    >>> lo, hi = arb_to_interval(ball); lo <= Fraction(1, 3) <= hi
    True
    >>> evaluate(net, [1])
    Traceback (most recent call last):
    ...
    ValueError: input row 0 is not a vector (got int); pass a list of vectors, e.g. [x] for one input
    """
    _check_net(net)
    return get_context(context, prec).forward(net, X).output


# ----------------------------------------------------------------- crosscheck
@dataclass(frozen=True)
class Mismatch:
    """A neuron whose activation differs: exact pre-activation ``exact`` vs the context's ``numeric`` value."""

    input: int
    layer: int
    neuron: int
    exact: Fraction
    numeric: Fraction

    @property
    def margin(self) -> Fraction:
        """The exact pre-activation (its sign is the true activation)."""
        return self.exact


@dataclass(frozen=True)
class Unstable:
    """A neuron whose exact margin |z| is at most the rigorous error ``bound``: a float cannot decide its sign."""

    input: int
    layer: int
    neuron: int
    margin: Fraction
    bound: Fraction


@dataclass(frozen=True)
class Violation:
    """A value outside its rigorous bound (float contexts) or ball (arb): a bug in the backend or the bound.

    ``layer`` is None for an output coordinate; ``numeric`` is None when the computed value is not finite."""

    input: int
    layer: int | None
    neuron: int
    exact: Fraction
    numeric: Fraction | None
    bound: Fraction


@dataclass
class CrossCheck:
    """The result of :func:`crosscheck`.

    ``max_abs_error`` and ``max_rel_error`` (exact Fractions) compare the
    context's outputs (arb: ball midpoints) with the exact outputs; the
    relative error skips exact zeros.  ``pattern_mismatches``: every hidden
    neuron whose activation (z > 0; for other activations, the piece) differs between the numeric and the
    exact pre-activation.  ``unstable``: every hidden neuron whose exact
    margin |z| (distance to the nearest breakpoint; identity neurons have none) is at most the rigorous error bound of the context
    (:func:`~exactrelu.numeric.errorbounds.float_error_bounds`; arb: the ball
    radius).  ``violations``: values outside their rigorous bound (for arb,
    balls not containing the exact value).  ``unavailable``: inputs with no
    bound (overflow; they are left out of everything else).  ``encloses``:
    the context's values are rigorous enclosures (arb).  ``ok``: no
    violations, no unavailable inputs and, unless the context encloses, no
    pattern mismatches (an enclosure's midpoint may lie on the wrong side
    of 0 while its ball holds the exact value: then ok iff every ball does).
    """

    context: str
    prec: int
    n_inputs: int
    max_abs_error: Fraction
    max_rel_error: Fraction
    pattern_mismatches: tuple
    unstable: tuple
    violations: tuple
    unavailable: tuple = ()
    encloses: bool = False

    @property
    def ok(self) -> bool:
        """No violations, no input without a bound, and (unless the values are enclosures) no pattern mismatches."""
        if self.violations or self.unavailable:
            return False
        return self.encloses or not self.pattern_mismatches

    @property
    def unstable_inputs(self) -> tuple:
        """The indices of the inputs with at least one unstable neuron."""
        return tuple(sorted({u.input for u in self.unstable}))

    def __str__(self) -> str:
        return _report_text(self)


def _hidden_checks(net: Any, layer: int, n: int, skip: set, values: tuple, out: tuple) -> None:
    """Append hidden ``layer``'s pattern mismatches, unstable neurons and violations (crosscheck's lists ``out``).

    Each neuron's breakpoints (ReLU: 0) say what its activation is: a mismatch is a different piece, an
    unstable neuron one whose exact distance to a breakpoint is within the bound.
    """
    (ex, num, rad), (mism, unst, viol) = values, out
    bps = [tuple(flint.fmpq(t.numerator, t.denominator) for t in a.breakpoints) for a in net.activations[layer]]
    for i in range(n):
        if i in skip:
            continue
        for j, (e, v, r) in enumerate(zip(ex[i], num[i], rad[i])):
            if v is None:  # a float overflowed although a bound exists; an infinite arb ball decides nothing
                if r is not None:
                    viol.append(Violation(i, layer, j, _fr(e), None, _fr(r)))
                continue
            if any((e > t) != (v > t) for t in bps[j]):
                mism.append(Mismatch(i, layer, j, _fr(e), _fr(v)))
            margin = min((abs(e - t) for t in bps[j]), default=None)
            if margin is not None and margin <= r:
                unst.append(Unstable(i, layer, j, _fr(margin), _fr(r)))
            if abs(v - e) > r:
                viol.append(Violation(i, layer, j, _fr(e), _fr(v), _fr(r)))


def crosscheck(net: Any, X: Any, context: Any = "numpy", prec: int = 53) -> CrossCheck:
    """Run ``net`` on ``X`` exactly and in ``context``; compare outputs, activation patterns and rigorous bounds.

    >>> from exactrelu.nets.network import Network
    >>> net = Network([([["1/10", "2/10"]], ["-3/10"])], output=([[1]], [0]))
    >>> r = crosscheck(net, [[1, 1]])
    >>> r.pattern_mismatches[0].exact, r.pattern_mismatches[0].numeric > 0   # 0.1 + 0.2 - 0.3 in doubles
    (Fraction(0, 1), True)
    >>> r.ok, r.unstable_inputs
    (False, (0,))
    >>> crosscheck(net, [[1, 1]], context="arb").ok
    True
    """
    _check_net(net)
    ctx = get_context(context, prec)
    if ctx.exact or not (ctx.encloses or ctx.float_format is not None):
        raise ValueError(f"crosscheck compares a numeric context with the exact one, and the {ctx.name} context "
                         "has no rigorous error model; choose 'numpy', 'mpmath' or 'arb'")
    batch = read_inputs(X, net.input_dim)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, not warned about
        numeric = ctx.forward(net, batch, record=True)
    if batch.n == 0:
        return CrossCheck(ctx.name, ctx.prec, 0, Fraction(0), Fraction(0), (), (), (), (), ctx.encloses)
    # all values below are flint fmpq (exact, and much faster than Fraction); Fractions only in the report
    ex_pre, ex_out, num_pre, num_out, rad_pre, rad_out, unavailable = _values(net, batch, ctx, numeric)
    skip = set(unavailable)
    mism, unst, viol = [], [], []
    for layer in range(net.depth):
        _hidden_checks(net, layer, batch.n, skip, (ex_pre[layer], num_pre[layer], rad_pre[layer]), (mism, unst, viol))
    zero = flint.fmpq(0)
    abs_err, rel_err = zero, zero
    for i in range(batch.n):
        if i in skip:
            continue
        for j, (e, v, r) in enumerate(zip(ex_out[i], num_out[i], rad_out[i])):
            if v is None:
                viol.append(Violation(i, None, j, _fr(e), None, _fr(r)))
                continue
            err = abs(v - e)
            abs_err = max(abs_err, err)
            if e != 0:
                rel_err = max(rel_err, err / abs(e))
            if err > r:
                viol.append(Violation(i, None, j, _fr(e), _fr(v), _fr(r)))
    return CrossCheck(ctx.name, ctx.prec, batch.n, _fr(abs_err), _fr(rel_err), tuple(mism), tuple(unst), tuple(viol),
                      tuple(unavailable), ctx.encloses)


def _fr(x: flint.fmpq) -> Fraction:
    return Fraction(int(x.p), int(x.q))


def _by_input(M: flint.fmpq_mat) -> list:
    """A d x N matrix (one column per input) as N lists of d entries."""
    d, N = M.nrows(), M.ncols()
    ents = M.entries()
    return [[ents[r * N + j] for r in range(d)] for j in range(N)]


def _values(net: Any, batch: Batch, ctx: Context, trace: Any) -> tuple:
    """Exact values, the context's values and the rigorous radius around them, per layer / input / neuron, as fmpq.

    The context reads its own values (:meth:`Context.value`); the radius is
    the one the values carry when they are enclosures, else the float error
    bound of the context's format.
    """
    def read(rows: list) -> tuple:
        pairs = [[ctx.value(v) for v in row] for row in rows]
        return [[p[0] for p in r] for r in pairs], [[p[1] for p in r] for r in pairs]

    num_out, rad_out = read(trace.columns)
    pres = [read(layer) for layer in trace.pre]
    num_pre, rad_pre = [p[0] for p in pres], [p[1] for p in pres]
    if ctx.encloses:
        exact = ExactContext().forward(net, batch, record=True)
        ex_pre = [[[flint.fmpq(v.numerator, v.denominator) for v in z] for z in layer] for layer in exact.pre]
        ex_out = [[flint.fmpq(v.numerator, v.denominator) for v in row] for row in exact.output]
        return ex_pre, ex_out, num_pre, num_out, rad_pre, rad_out, []
    zs, ezs, out, eout, reasons = bound_matrices(net, batch, get_format(ctx.float_format))
    unavailable = [i for i, r in enumerate(reasons) if r is not None]
    return ([_by_input(Z) for Z in zs], _by_input(out), num_pre, num_out, [_by_input(E) for E in ezs],
            _by_input(eout), unavailable)


def _f(q: Fraction | None, digits: int = 3) -> str:
    """A short display of a rational (None: no finite value); beyond float range, its magnitude."""
    if q is None:
        return "non-finite"
    try:
        return f"{float(q):.{digits}g}"
    except OverflowError:
        return f"{'-' if q < 0 else ''}~1e{round((abs(q.numerator).bit_length() - q.denominator.bit_length()) * 0.30103)}"


def _report_text(r: CrossCheck, rows: int = 8) -> str:
    bound = "ball radius" if r.encloses else "bound"
    lines = [
        f"crosscheck {r.context} (prec {r.prec}) on {r.n_inputs} inputs: {'OK' if r.ok else 'NOT OK'}",
        f"  max abs error {_f(r.max_abs_error)}   max rel error {_f(r.max_rel_error)}",
        f"  pattern mismatches {len(r.pattern_mismatches)}   unstable neurons {len(r.unstable)} "
        f"(in {len(r.unstable_inputs)} inputs)   {bound} violations {len(r.violations)}",
    ]
    if r.unavailable:
        lines.append(f"  no bound (overflow) for inputs {list(r.unavailable)[:rows]}")
    tables = [
        ("pattern mismatches", ("input", "layer", "neuron", "exact z", "numeric z"), r.pattern_mismatches,
         lambda m: (m.input, m.layer, m.neuron, _f(m.exact), _f(m.numeric))),
        ("unstable", ("input", "layer", "neuron", "|exact z|", bound), r.unstable,
         lambda u: (u.input, u.layer, u.neuron, _f(u.margin), _f(u.bound))),
        ("violations", ("input", "layer", "neuron", "exact", "numeric", bound), r.violations,
         lambda v: (v.input, "out" if v.layer is None else v.layer, v.neuron, _f(v.exact), _f(v.numeric), _f(v.bound))),
    ]
    for title, head, items, fmt in tables:
        if not items:
            continue
        lines.append(f"  {title}:")
        lines.append("    " + "".join(f"{h:>12}" for h in head))
        for item in items[:rows]:
            lines.append("    " + "".join(f"{str(c):>12}" for c in fmt(item)))
        if len(items) > rows:
            lines.append(f"    ... {len(items) - rows} more")
    return "\n".join(lines)


# ----------------------------------------------------------------- limit
EXACT_BITS = 4096  # switch from exact rationals to arb balls once a state's integers grow beyond this


@dataclass
class LimitEnclosure:
    """An enclosure of N_inf(x): ``lower[i] <= N_inf(x)_i <= upper[i]`` (exact Fractions).

    ``depth``: the truncation depth evaluated; ``tail``: the certificate's
    bound of ||N_inf(x) - N_depth(x)||; ``method``: "exact" (N_depth(x)
    exactly) or "arb" (a rigorous ball of N_depth(x) at ``prec`` bits);
    ``exact``: the exact limit when the certificate gives it;
    ``mpmath_value``: a plain (non-rigorous) mpmath evaluation of N_depth(x)
    at 53 bits; ``agrees``: it lies within ``tol`` of the enclosure, and the
    exact limit (if known) inside it.  A cross-check, not part of the proof.
    """

    lower: tuple
    upper: tuple
    depth: int
    tail: Fraction
    certificate: Any
    mpmath_value: tuple
    agrees: bool
    method: str
    prec: int | None
    tol: Fraction
    exact: tuple | None = None

    @property
    def width(self) -> Fraction:
        """The largest width upper - lower over the coordinates."""
        return max((u - l for l, u in zip(self.lower, self.upper)), default=Fraction(0))

    def contains(self, point: Any) -> bool:
        """Whether an exact point lies in the enclosure."""
        from ..exact.numbers import to_vector

        p = to_vector(point, "point", length=len(self.lower))
        return all(l <= v <= u for l, v, u in zip(self.lower, p, self.upper))

    def __str__(self) -> str:
        iv = ", ".join(f"[{_f(l, 10)}, {_f(u, 10)}]" for l, u in zip(self.lower, self.upper))
        return (f"N_inf(x) in {iv}  (depth {self.depth}, {self.method}, tail <= {_f(self.tail)}, "
                f"{self.certificate.theorem}; mpmath cross-check {'agrees' if self.agrees else 'DISAGREES'})")


def limit(family: Any, x: Any, tol: Any, *, max_depth: int = 10**6, progress: bool = False) -> LimitEnclosure:
    """Enclose the infinite-depth limit N_inf(x) of a certified family in intervals of width <= ``tol``.

    Certifies convergence with :func:`exactrelu.certify` (ValueError with the
    certificate's reasons otherwise), picks the depth whose certified tail
    bound is <= tol/4 (for T4, the first checkpoint depth whose a posteriori
    bound from the state at x is, when that comes first), evaluates N_depth(x) layer by layer (exact rationals
    while they stay small, then arb balls with radius <= tol/8), widens by the
    tail bound, rounds the endpoints outward to short dyadic rationals, and
    cross-checks with a plain mpmath evaluation.  ``max_depth`` guards against
    tolerances whose certified depth would take very long (each layer is
    computed exactly by ``family.layer``): ValueError beyond it.  ``progress``
    shows the layers built and evaluated on stderr once the work has taken a
    second.

    >>> from exactrelu.depth.family import Family
    >>> enc = limit(Family([["1/2"]], ["1"]), [0], "1/1000")   # y -> y/2 + 1, limit 2
    >>> enc.lower[0] <= 2 <= enc.upper[0], enc.width <= Fraction(1, 1000), enc.agrees
    (True, True, True)
    """
    from ..depth.certifier import certify
    from ..depth.family import Family
    from ..exact.numbers import to_fraction, to_vector

    if not isinstance(family, Family):
        raise ValueError(f"limit expects an exactrelu Family, got {type(family).__name__} (see exactrelu.Family)")
    t = to_fraction(tol, "tol")
    if t <= 0:
        raise ValueError(f"tol must be positive, got {t}")
    xv = to_vector(x, "x")
    if len(xv) != family.input_dim:
        raise ValueError(f"x has dimension {len(xv)}, the family expects {family.input_dim}")
    cert = certify(family, x=xv)
    if cert.verdict == "diverges":
        raise ValueError(f"the family is certified to DIVERGE at x (theorem {cert.theorem}): there is no limit to enclose")
    if cert.verdict != "converges":
        why = "; ".join(map(str, cert.reasons)) or "no rule applied"
        raise ValueError(f"the family is not certified to converge at x (verdict {cert.verdict!r}): {why}")
    radius = None if cert.theorem == "P1" else max((abs(v) for v in xv), default=Fraction(0))
    try:
        depth = cert.depth_for(t / 4, radius)
    except ValueError:  # its message may not even print (a tolerance with thousands of digits)
        depth = None
    stop = min(depth, max_depth) if depth is not None else max_depth
    depth, tail, mid, rad, method, prec, layers = _route(cert, xv, t, depth, stop, max_depth, radius, progress)
    # width <= 2 (t/4 + t/8) = 3t/4; rounding outward to multiples of 2^-k <= t/16 keeps it <= t
    k = max(0, (16 * t.denominator // t.numerator).bit_length())
    lower = tuple(_floor_dyadic(m - r - tail, k) for m, r in zip(mid, rad))
    upper = tuple(-_floor_dyadic(-(m + r + tail), k) for m, r in zip(mid, rad))
    mp_value = _run(MpmathContext(53), layers, xv)
    agrees = all(l - t <= mpf_to_fraction(v) <= u + t for l, v, u in zip(lower, mp_value, upper))
    exact = tuple(cert.limit) if cert.limit is not None else None
    if exact is not None:
        agrees = agrees and all(l <= v <= u for l, v, u in zip(lower, exact, upper))
    return LimitEnclosure(lower, upper, depth, tail, cert, tuple(mp_value), agrees, method, prec, t, exact)


def _route(cert: Any, x: tuple, t: Fraction, depth: int | None, stop: int, max_depth: int, radius: Any,
           progress: bool) -> tuple:
    """The a posteriori route (T4) when it finds a depth, else the uniform one; with the progress display."""
    bar = Progress(progress, "limit", unit=" layers", delay=1.0)
    try:
        built: list = []  # formula layers built by the a posteriori walk, reused by the uniform route
        early = _a_posteriori(cert, x, t, stop, bar, built) if cert.theorem == "T4" else None
        return early or _uniform(cert, x, t, depth, max_depth, radius, bar, built)
    finally:
        bar.close()


def _uniform(cert: Any, x: tuple, t: Fraction, depth: int | None, max_depth: int, radius: Any, bar: Any,
             built: list) -> tuple:
    """The uniform route: the certificate's depth for tol/4 and the enclosure of N_depth(x) there."""
    from ..exact.numbers import fraction_brief

    if depth is None:
        raise ValueError(f"no certified depth reaches tol {fraction_brief(t)}; raise tol")
    if depth > max_depth:
        raise ValueError(f"the certified tail bound needs depth {depth} for tol {fraction_brief(t)} (more than "
                         f"max_depth={max_depth}); raise tol or max_depth")
    layers = _family_layers(cert.subject, depth, bar, built)
    return (depth, cert.tail_bound(depth, radius), *_enclose(layers, x, t / 8, bar), layers)


def _a_posteriori(cert: Any, x: tuple, t: Fraction, stop: int, bar: Any, formula: list) -> tuple | None:
    """T4 at one input: the first checkpoint depth (64, 80, 100, ..., 25% apart, up to ``stop``) whose
    a posteriori tail bound (Certificate.tail_bound_at, from the state itself) is <= t/4, with the enclosure of N_depth(x);
    None when no such depth is found.  A float walk through the layers only proposes the depth; the
    bound is then computed from the rigorous enclosure of the state.  ``formula`` receives the layers built
    (the uniform route reuses them)."""
    from ..depth.certificate import output_factor

    family = cert.subject
    head = [(W, b, True, f"prefix layer {i}") for i, (W, b) in enumerate(family.prefix)]
    y = np.array([float(v) for v in _run(MpmathContext(53), head, x)] if head else [float(v) for v in x])
    d = 64
    eps = t / (8 * max(Fraction(1), output_factor(family)))  # the output layer scales radii by <= ||W_o||
    while d <= stop:
        while len(formula) < d:
            W, b = family.layer(family.start + len(formula))
            formula.append((W, b, True, f"layer n = {family.start + len(formula)}"))
            y = np.maximum(np.array(W, dtype=float) @ y + np.array(b, dtype=float), 0.0)
            bar.update(1, built=len(formula))
        if not np.all(np.isfinite(y)):
            return None
        guess = [Fraction(float(abs(v))) * (1 + Fraction(1, 1 << 20)) + Fraction(1, 1 << 60) for v in y]
        if cert.tail_bound_at(d, guess) <= t / 4 * Fraction(63, 64):  # the enclosure adds at most t/8 to |y|
            mid, rad, method, prec = _enclose(head + formula, x, eps, bar)
            tail = cert.tail_bound_at(d, [abs(m) + r for m, r in zip(mid, rad)])
            if tail <= t / 4:
                break
        d += max(1, d // 4)  # checkpoints 25% apart: the depth is at most 25% more than needed
    else:
        return None
    if family.output is not None:  # the exact affine image of the box mid +- rad
        Wo, bo = family.output
        mid = tuple(sum((w * m for w, m in zip(row, mid)), c) for row, c in zip(Wo, bo))
        rad = tuple(sum((abs(w) * r for w, r in zip(row, rad)), Fraction(0)) for row in Wo)
        head_out = [(Wo, bo, False, "output layer")]
    else:
        head_out = []
    return d, tail, mid, rad, method, prec, head + formula + head_out


def _floor_dyadic(q: Fraction, k: int) -> Fraction:
    """The largest multiple of 2^-k that is <= q (outward rounding keeps the enclosure rigorous)."""
    return Fraction((q.numerator << k) // q.denominator, 1 << k)


def _family_layers(family: Any, depth: int, bar: Any = None, built: list = ()) -> list:
    """[(W, b, hidden, where)] of N_depth: the prefix, the formula layers start..start+depth-1 (the first of them
    from ``built`` where given), the output layer."""
    layers = [(W, b, True, f"prefix layer {i}") for i, (W, b) in enumerate(family.prefix)]
    layers += built[:depth]
    for k in range(family.start + len(built[:depth]), family.start + depth):
        layers.append((*family.layer(k), True, f"layer n = {k}"))
        if bar is not None:
            bar.update(1, built=k - family.start + 1)
    if family.output is not None:
        layers.append((*family.output, False, "output layer"))
    return layers


def _run(ctx: Context, layers: list, x: tuple) -> Any:
    """The context's output for the single input x through exact ``layers`` (one run of the kernel)."""
    with ctx.precision():
        return ctx.trace(ctx.convert(layers), ctx.batch(read_inputs([x], len(x))), 1).output[0]


def _enclose(layers: list, x: tuple, eps: Fraction, bar: Any = None) -> tuple:
    """Midpoints and radii (Fractions) enclosing N_depth(x), with radii <= eps; and the method used."""
    ex = ExactContext()
    Y = ex.batch(read_inputs([x], len(x)))
    for i, layer in enumerate(layers):
        Y = ex.run(ex.convert([layer]), Y)  # layer by layer: watch the size of the exact state
        if bar is not None:
            bar.update(1, evaluated=i + 1)
        if ex.bits(Y) > EXACT_BITS and i + 1 < len(layers):
            return _enclose_arb(layers[i + 1:], ex.columns(Y, 1)[0], eps, bar)
    value = ex.export(Y, 1)[0]
    return value, tuple(Fraction(0) for _ in value), "exact", None


def _enclose_arb(layers: list, y: tuple, eps: Fraction, bar: Any = None) -> tuple:
    """Continue from the exact state y with arb balls, doubling the precision until every radius is <= eps."""
    prec = max(64, 2 * (eps.denominator.bit_length() - eps.numerator.bit_length()) + 32)
    while True:
        out = _run(ArbContext(prec), layers, y)
        if bar is not None:
            bar.update(len(layers), **{"bits (arb)": prec})
        ivs = [arb_to_interval(v) if v.is_finite() else None for v in out]
        if all(iv is not None and (iv[1] - iv[0]) / 2 <= eps for iv in ivs):
            return (tuple((l + u) / 2 for l, u in ivs), tuple((u - l) / 2 for l, u in ivs), "arb", prec)
        if prec > 1 << 16:
            raise ValueError(f"arb evaluation did not reach radius {eps} even at {prec} bits")
        prec *= 2
