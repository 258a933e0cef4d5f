"""VNN-COMP result files: write ours, read another tool's, and judge its answer exactly.

A result file is ``sat`` followed by an assignment ``((X_0 v) ... (Y_0 v) ...)``,
or one of ``unsat``, ``unknown``, ``timeout``.  Decimal values are read exactly,
so a float written out in full is that float exactly.

>>> r = read_result_text("sat\\n((X_0 0.25)\\n(X_1 -1)\\n(Y_0 3.5))", "r.txt")
>>> r.status, r.inputs, r.outputs
('sat', (Fraction(1, 4), Fraction(-1, 1)), (Fraction(7, 2),))
>>> read_result_text("maybe", "r.txt")
Traceback (most recent call last):
...
ValueError: r.txt:1:1: expected sat, unsat, unknown or timeout, got 'maybe'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["JudgedResult", "judge", "proof_document", "read_result", "read_result_text", "result_text"]

_PAIR = re.compile(r"\(\s*([XY])_(\d+)\s+([^\s()]+)\s*\)")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_STATUSES = ("sat", "unsat", "unknown", "timeout")


@dataclass(frozen=True)
class JudgedResult:
    """Another tool's answer: ``status`` and, for sat, its inputs and outputs read exactly."""

    status: str
    inputs: tuple = ()
    outputs: tuple = ()


def _line_col(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"{line}:{pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"


def read_result_text(text: str, where: str = "<result>") -> JudgedResult:
    """Parse a VNN-COMP result; errors name ``where``, line and column."""
    m = re.match(r"\s*(\S+)", text)
    if not m or m.group(1).lower() not in _STATUSES:
        pos = m.start(1) if m else 0
        raise ValueError(f"{where}:{_line_col(text, pos)}: expected sat, unsat, unknown or timeout, got "
                         f"{m.group(1) if m else ''!r}")
    status = m.group(1).lower()
    if status != "sat":
        return JudgedResult(status)
    values: dict = {"X": {}, "Y": {}}
    rest = text[m.end():]
    for pm in _PAIR.finditer(rest):
        kind, idx, val = pm.group(1), int(pm.group(2)), pm.group(3)
        if not _NUMBER.match(val):
            raise ValueError(f"{where}:{_line_col(text, m.end() + pm.start(3))}: {val!r} is not a decimal number")
        values[kind][idx] = Fraction(val)
    leftover = _PAIR.sub("", rest).replace("(", "").replace(")", "").strip()
    if leftover:
        pos = m.end() + rest.index(leftover.split()[0])
        raise ValueError(f"{where}:{_line_col(text, pos)}: unexpected text {leftover.split()[0]!r} in the assignment")
    xs = values["X"]
    if not xs or sorted(xs) != list(range(len(xs))):
        raise ValueError(f"{where}: a sat result must assign X_0..X_(n-1), got {sorted(xs)}")
    ys = values["Y"]
    return JudgedResult("sat", tuple(xs[i] for i in range(len(xs))), tuple(ys[j] for j in sorted(ys)))


def read_result(path: str | Path) -> JudgedResult:
    """Read a result file (see :func:`read_result_text`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"result file {str(path)!r}: cannot read ({exc})") from None
    return read_result_text(text, str(path))


def _violation(net: Any, prop: Any, x: tuple) -> Fraction | None:
    """The least, over the cases whose box holds x, of the largest excess c.N(x) - d (<= 0: x is unsafe)."""
    y = net(x)
    best = None
    for case in prop.cases:
        if all(a <= v <= b for a, v, b in zip(case.lower, x, case.upper)):
            excess = max((sum(a * v for a, v in zip(c, y)) - d for c, d in case.constraints), default=Fraction(-1))
            best = excess if best is None else min(best, excess)
    return best


def judge(net: Any, prop: Any, claim: JudgedResult, *, tolerance: Any = Fraction(1, 10000),
          time_limit: float | None = None) -> dict:
    """Decide exactly whether ``claim`` is right: a dict with ``verdict`` ("correct", "wrong",
    "invalid counterexample", "undecided") and the evidence (``detail``, ``counterexample``)."""
    from .decide import verify

    if claim.status == "sat":
        if len(claim.inputs) != net.input_dim:
            return {"verdict": "invalid counterexample", "detail": f"it assigns {len(claim.inputs)} inputs, the network has {net.input_dim}"}
        excess = _violation(net, prop, claim.inputs)
        if excess is None:
            return {"verdict": "invalid counterexample", "detail": "its input lies outside every input box"}
        if excess <= 0:
            return {"verdict": "correct", "detail": "its input, read exactly, is a counterexample (exact forward pass)",
                    "outputs": net(claim.inputs)}
        within = excess <= Fraction(tolerance)
        return {"verdict": "invalid counterexample", "outputs": net(claim.inputs), "within_tolerance": within,
                "detail": f"exactly, the unsafe condition fails by {float(excess):.3g}"
                + (f" (within the replay tolerance {float(tolerance):g})" if within else "")}
    ours = verify(net, prop, time_limit=time_limit)
    if claim.status in ("unknown", "timeout") or ours.status == "unknown":
        return {"verdict": "undecided", "detail": f"the claim is {claim.status}; exactrelu says {ours.status}", "ours": ours}
    if ours.status == "unsat":
        return {"verdict": "correct", "detail": "the property holds (exactrelu's proof checked)", "ours": ours}
    return {"verdict": "wrong", "detail": "the property is violated: exact counterexample below", "ours": ours,
            "counterexample": ours.counterexample}


def result_text(result: Any) -> str:
    """The VNN-COMP result file text of a :class:`~exactrelu.verification.VerificationResult`:
    "timeout" when the time limit stopped it, else its ``vnncomp()`` text."""
    return "timeout\n" if result.status == "unknown" and "time limit" in result.reason else result.vnncomp()


def proof_document(net: Any, prop: Any, result: Any) -> dict:
    """The self-contained proof file of an "unsat" ``result``: format, version, the network, the property
    (widened to the network's outputs, as verify checked it) and the trees; ``exactrelu check`` reads it.

    >>> from exactrelu import Network
    >>> from exactrelu.verification import verify
    >>> from exactrelu.vnnlib import Property
    >>> from exactrelu.verification.proof_check import check_proof_file
    >>> net = Network([([[1], [-1]], [0, 0])], output=([[1, 1]], [0]))
    >>> prop = Property.box([-1], [1], [[([-1], -2)]])
    >>> check_proof_file(proof_document(net, prop, verify(net, prop)))["cases"]
    1
    """
    from .decide import widened

    if result.status != "unsat" or result.proof is None:
        raise ValueError(f"only an unsat answer has a proof (this one is {result.status})")
    return {"format": result.proof["format"], "version": result.proof["version"], "network": net.to_json(),
            "property": widened(prop, net.output_dim).to_json(), "trees": result.proof["trees"]}
