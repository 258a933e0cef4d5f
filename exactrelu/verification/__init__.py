"""Exact verification of VNN-LIB properties: :func:`verify` decides, with a counterexample or a proof.

"unsat" means the property holds (no input is unsafe) and comes with a proof
that :func:`~exactrelu.verification.proof_check.check_proof` accepted before it
is returned; "sat" comes with a rational counterexample whose exact outputs
meet the unsafe condition; "unknown" means the time limit stopped the search.

>>> from exactrelu import Network
>>> from exactrelu.verification import verify
>>> from exactrelu.vnnlib import Property
>>> net = Network([([[1], [-1]], [0, 0])], output=([[1, 1]], [0]))  # |x|
>>> verify(net, Property.box([-1], [1], [[([-1], "-3/2")]])).status   # |x| >= 3/2 on [-1, 1]?
'unsat'
>>> r = verify(net, Property.box([-1], [1], [[([-1], "-1/2")]]))    # |x| >= 1/2?
>>> r.status, r.outputs[0] >= Fraction(1, 2)
('sat', True)
"""

from __future__ import annotations

from fractions import Fraction  # noqa: F401  (the doctests use it)
from typing import Any

__all__ = ["VerificationResult", "verify"]


def __getattr__(name: str) -> Any:
    """Lazy re-exports: importing the independent checker (``proof_check``) must not load the search
    (decide, bab: numpy, the LP), so that checking a proof runs on the standard library and flint alone."""
    if name in __all__:
        from . import decide

        return getattr(decide, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
