"""The error every ``verify_*`` function raises: a claimed certificate does not prove what it claims.

The verbs are consistent across exactrelu: ``check`` and ``verify`` return True
or raise (never return False), so a forgotten ``assert`` cannot turn a failed
verification into a silent pass.
"""

from __future__ import annotations

__all__ = ["VerificationError"]


class VerificationError(ValueError):
    """A certificate (LP optimality, Farkas emptiness, ...) does not verify; the message says which part fails."""
