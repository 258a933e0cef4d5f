"""A float LP, as a guide only: min c.x subject to A x <= b, x free, by HiGHS.

Callers check in exact arithmetic whatever they use from the answer (a point,
a basis, multipliers); this module decides nothing.  highspy is called
directly when installed (a few tenths of a millisecond per small LP); else
scipy's ``linprog`` (about three times the overhead); else there is no guide
and :func:`minimize` returns None.

>>> r = minimize([1.0, 1.0], [[-1.0, 0.0], [0.0, -1.0]], [0.0, -0.5])   # x >= 0, y >= 1/2
>>> r is None or bool(r.status == "optimal" and abs(r.x[0]) + abs(r.x[1] - 0.5) < 1e-9)   # None: no solver
True
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["FloatLP", "minimize"]


@dataclass
class FloatLP:
    """``status``: "optimal", "infeasible" or "other"; ``x`` the point and ``marginals`` the constraints'
    multipliers (magnitudes) when optimal."""

    status: str
    x: np.ndarray | None = None
    marginals: np.ndarray | None = None


_LOCAL = threading.local()  # one HiGHS instance per thread: an instance is not safe to share


def minimize(c: Sequence[float], A: Sequence[Sequence[float]], b: Sequence[float]) -> FloatLP | None:
    """min c.x subject to A x <= b in floats; None when no LP solver is installed or the data are not finite."""
    c, A, b = np.asarray(c, float), np.asarray(A, float).reshape(len(b), len(c)), np.asarray(b, float)
    if not (np.isfinite(c).all() and np.isfinite(A).all() and np.isfinite(b).all()):
        return None
    try:
        return _highspy(c, A, b)
    except ImportError:
        pass
    try:
        from scipy.optimize import linprog
    except ImportError:
        return None
    try:
        res = linprog(c, A_ub=A if len(b) else None, b_ub=b if len(b) else None, bounds=[(None, None)] * len(c),
                      method="highs")
    except (ValueError, RuntimeError):
        return None
    if res.status == 0:
        marg = np.abs(res.ineqlin.marginals) if res.ineqlin is not None else np.zeros(len(b))
        return FloatLP("optimal", res.x, marg)
    return FloatLP("infeasible" if res.status == 2 else "other")


def _highspy(c: np.ndarray, A: np.ndarray, b: np.ndarray) -> FloatLP:
    import highspy

    h = getattr(_LOCAL, "highs", None)
    if h is None:
        h = _LOCAL.highs = _quiet(highspy.Highs)
        h.setOptionValue("output_flag", False)
    m, n = A.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = c
    lp.col_lower_, lp.col_upper_ = np.full(n, -highspy.kHighsInf), np.full(n, highspy.kHighsInf)
    lp.row_lower_, lp.row_upper_ = np.full(m, -highspy.kHighsInf), b
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, m * n + 1, n, dtype=np.int32)
    lp.a_matrix_.index_ = np.tile(np.arange(n, dtype=np.int32), m)
    lp.a_matrix_.value_ = A.ravel()
    h.clearModel()
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        sol = h.getSolution()
        return FloatLP("optimal", np.array(sol.col_value), np.abs(np.array(sol.row_dual)))
    return FloatLP("infeasible" if status == highspy.HighsModelStatus.kInfeasible else "other")


_BANNER = threading.Lock()


def _quiet(make: Any) -> Any:
    """make(), with file descriptor 1 sent to /dev/null meanwhile: HiGHS prints a banner from C when an
    instance is created (once per thread), which would corrupt a command's output."""
    with _BANNER:
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            return make()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
