"""The public checker: ``exactrelu.check`` is the trusted kernel's :func:`exactrelu.kernel.checker.check`.

This module only re-exports it, and converts sympy expressions at the edge for
:func:`nonneg_from` (the kernel has its own term language and never sees sympy).

>>> from exactrelu.depth.family import Family
>>> from exactrelu.depth.certifier import certify
>>> check(certify(Family([["1/2"]], ["1"])))
True
"""

from __future__ import annotations

from typing import Any

from ..kernel.checker import CertificateError, check
from ..kernel import terms

__all__ = ["check", "nonneg_from", "CertificateError"]


def to_term(expr: Any) -> tuple:
    """A sympy expression (or int, Fraction) in n as a kernel term: converted once, at the edge.

    >>> from exactrelu.depth.family import n
    >>> to_term(1 / n**2)
    ('^', ('n',), ('q', Fraction(-2, 1)))
    """
    from .series_check import normalize_term, term_to_tree

    return terms.bound(terms.from_tree(term_to_tree(normalize_term(expr))))


def nonneg_from(expr: Any, N: int) -> bool:
    """True only if expr(n) >= 0 is proven for every integer n >= N (False means not proven).

    >>> from exactrelu.depth.family import n
    >>> nonneg_from(n**2 - 5*n + 3, 5), nonneg_from(n**2 - 5*n + 3, 4)
    (True, False)
    >>> nonneg_from((n + 1) / 2**n, 1), nonneg_from((-1)**n, 1)
    (True, False)
    """
    try:
        return terms.nonneg_from(to_term(expr), N)
    except ValueError:
        return False
