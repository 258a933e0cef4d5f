"""verify() and its result; decimals for result files (see the package docstring)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..exact.numbers import fraction_str
from .bab import Timeout, search_case
from .proof_check import ProofError, _layers, check_proof

__all__ = ["VerificationResult", "decimal_text", "verify", "widened"]


@dataclass(frozen=True)
class VerificationResult:
    """``status`` "unsat" (holds), "sat" (violated) or "unknown"; ``counterexample`` and ``outputs``
    (exact) with sat, ``proof`` (a JSON dict for check_proof) with unsat; ``case`` the violated case."""

    status: str
    counterexample: tuple | None = None
    outputs: tuple | None = None
    case: int | None = None
    proof: dict | None = None
    stats: dict = field(default_factory=dict)
    reason: str = ""

    def vnncomp(self) -> str:
        """The VNN-COMP result file text: "unsat", "unknown", or "sat" with the assignment.

        Inputs are written exactly when their denominators divide a power of 10 (verify prefers
        float counterexamples, which do), else to 17 digits; the exact values are in
        ``counterexample`` and ``outputs``.
        """
        if self.status != "sat":
            return self.status + "\n"
        xs = "\n".join(f"(X_{i} {decimal_text(v)})" for i, v in enumerate(self.counterexample))
        ys = "\n".join(f"(Y_{j} {decimal_text(v)})" for j, v in enumerate(self.outputs))
        return f"sat\n({xs}\n{ys})\n"

    def to_json(self) -> dict:
        s = fraction_str
        return {"status": self.status, "case": self.case, "reason": self.reason, "stats": self.stats,
                "counterexample": None if self.counterexample is None else [s(v) for v in self.counterexample],
                "outputs": None if self.outputs is None else [s(v) for v in self.outputs], "proof": self.proof}


def decimal_text(q: Fraction) -> str:
    """``q`` as a decimal: exact when its denominator is 2^a 5^b (every float), else 17 significant digits.

    >>> decimal_text(Fraction(3, 8)), decimal_text(Fraction(1, 3))
    ('0.375', '0.3333333333333333')
    """
    d, k = q.denominator, 0
    while d % 10 == 0 or d % 2 == 0 or d % 5 == 0:
        d //= 2 if d % 2 == 0 else 5
        k += 1
    if d != 1:
        return repr(float(q))
    digits = str(abs(q.numerator) * 10**k // q.denominator).rjust(k + 1, "0")  # exact: 10^k / denominator is an integer
    text = (digits[:-k] + "." + digits[-k:]).rstrip("0").rstrip(".") if k else digits
    return ("-" if q < 0 else "") + text


def _check_shapes(net: Any, prop: Any) -> None:
    net.require_relu("verify")
    if prop.inputs != net.input_dim:
        raise ValueError(f"the property has {prop.inputs} inputs (X_0..X_{prop.inputs - 1}), the network {net.input_dim}")
    if prop.outputs > net.output_dim:
        raise ValueError(f"the property names output Y_{prop.outputs - 1}, the network has {net.output_dim} outputs")


def widened(prop: Any, m: int) -> Any:
    """The property with constraint rows widened to the network's m outputs (VNN-LIB may declare fewer Y_j):
    what verify decides and what a proof file records."""
    from ..vnnlib import Case, Property

    if prop.outputs == m:
        return prop
    z = (Fraction(0),) * (m - prop.outputs)
    return Property(prop.inputs, m, tuple(Case(c.lower, c.upper, tuple((a + z, d) for a, d in c.constraints))
                                          for c in prop.cases))


def _float_point(net: Any, case: Any, x: tuple) -> tuple:
    """x rounded to float64 (exactly), when that point is still a counterexample (exact check); else x."""
    xf = tuple(Fraction(float(v)) for v in x)
    inside = all(a <= v <= b for a, v, b in zip(case.lower, xf, case.upper))
    if inside and all(sum(a * v for a, v in zip(c, net(xf))) <= d for c, d in case.constraints):
        return xf
    return x


def verify(net: Any, prop: Any, *, time_limit: float | None = None, progress: bool = False) -> VerificationResult:
    """Decide exactly whether some input of ``prop`` is unsafe for the ReLU network ``net``.

    ``prop`` is an :class:`exactrelu.vnnlib.Property` (or a path to a VNN-LIB file).
    ``time_limit`` in seconds gives "unknown" when the search reaches it; the independent check of an
    "unsat" proof runs after the search and is not cut short (it adds a few seconds on ACAS Xu: a
    proof found just inside the limit may be returned after it).  ``progress`` reports on stderr.
    """
    if not hasattr(prop, "cases"):
        from ..vnnlib import read

        prop = read(prop)
    _check_shapes(net, prop)
    prop = widened(prop, net.output_dim)
    net_json = net.to_json()
    layers = _layers(net_json)
    deadline = None if time_limit is None else time.monotonic() + time_limit
    report = (lambda st: print(f"verify: {st['nodes']} nodes, {st['lps']} LPs", file=sys.stderr)) if progress else None
    for confirm in (False, True):
        found = _search(net, layers, prop, deadline, report, confirm, time_limit)
        if isinstance(found, VerificationResult):
            return found
        trees, stats = found
        proof = {"format": "exactrelu.verification-proof", "version": 1, "trees": trees}
        try:
            check_proof(net_json, prop.to_json(), proof)  # never return an unchecked proof
        except ProofError:
            if confirm:
                raise
            continue  # a bound step the search took from its float guide failed: search again, all confirmed
        return VerificationResult("unsat", proof=proof, stats=stats)
    raise AssertionError("unreachable")  # pragma: no cover


def _search(net: Any, layers: list, prop: Any, deadline: float | None, report: Any, confirm: bool,
            time_limit: float | None) -> VerificationResult | tuple:
    """Every case searched: a "sat" or "unknown" result, or (one proof tree per case, stats)."""
    trees, stats = [], {"nodes": 0, "lps": 0, "splits": 0, "cuts": 0}
    for k, case in enumerate(prop.cases):
        try:
            status, found, st = search_case(net, layers, case, deadline, report, confirm)
        except Timeout as stop:
            for key in stats:
                stats[key] += stop.args[0][key]
            return VerificationResult("unknown", stats=stats, reason=f"time limit {time_limit} s reached in case {k}")
        for key in stats:
            stats[key] += st[key]
        if status == "sat":
            found = _float_point(net, case, found)
            return VerificationResult("sat", found, net(found), k, stats=stats)
        trees.append(found)
    return trees, stats
