"""Certificates of convergence or divergence of infinite-depth ReLU families.

A :class:`Certificate` is a value object: a verdict ("converges", "diverges"
or "inconclusive"), the theorem it rests on (T4, T6, T6b, P1, T7a, T7b, T7c or
T7d, each proved in ``proofs/``), the scope where the claim holds, the exact witnesses
the theorem needs, and the subject (the :class:`~exactrelu.depth.family.Family`).
It is produced by :func:`exactrelu.certify` and re-verified, from the subject
and the witnesses alone, by :func:`exactrelu.check`.

This module also holds the small exact helpers that both the checker and the
tail bounds need (norms, the prefix radius, rational upper bounds of powers
and of exp); it never imports the certifier.

>>> from exactrelu.depth.family import Family
>>> fam = Family([["1/2", "1/4"], ["-1/4", "1/3"]], ["1", "-1/2"])
>>> from exactrelu.depth.certifier import certify
>>> cert = certify(fam)
>>> cert.verdict, cert.theorem, cert.limit
('converges', 'T6', (Fraction(2, 1), Fraction(0, 1)))
>>> Certificate.from_json(cert.to_json()) == cert
True
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..exact.jsonio import decimals_to_float, envelope, read_envelope, read_json, write_json
from ..exact.numbers import fraction_brief, fraction_str, to_fraction
from ..kernel.decode import CertificateError, rat as _rat, vec as _vec
from ..kernel.rules import RULES
from ..kernel.rules.common import apply_output, matvec, relu_layer, set_condition  # noqa: F401
from ..kernel.rules.t4 import exp_bound
from ..kernel.series import pow_upper, round_up
from . import tails

__all__ = ["Certificate", "CertificateError", "VERDICTS", "THEOREMS"]

FORMAT = "exactrelu.certificate"
VERSION = 1

VERDICTS = ("converges", "diverges", "inconclusive")
# theorem -> (verdict it supports, proof file): read from the kernel's rule registry
THEOREMS = {name: (rule.verdict, rule.proof) for name, rule in RULES.items()}
T5_PROOF = "proofs/T5_necessary_condition.md"


# --------------------------------------------------------------------------
# exact helpers shared by the checker and the tail bounds
# --------------------------------------------------------------------------
MAX_DEPTH = 1 << 62  # depth_for searches depths up to this


def exp_upper(s: Fraction) -> tuple[Fraction, int]:
    """(P, j) with exp(s) <= P, via exp(s) <= (1 - s/2^j)^(-2^j) for 0 <= s < 2^j.

    The inequality holds because exp(t) <= 1/(1 - t) for 0 <= t < 1.

    >>> P, j = exp_upper(Fraction(1)); 2.718 < float(P) < 2.73
    True
    """
    if s < 0:
        raise ValueError("exp_upper needs s >= 0")
    j = max(10, math.ceil(math.log2(float(s) + 1)) + 10)
    return exp_bound(s, j), j


def norm_vec(v) -> Fraction:
    """The max norm max_i |v_i| (0 for the empty vector)."""
    return max((abs(x) for x in v), default=Fraction(0))


def norm_mat(W) -> Fraction:
    """The max-row-sum norm max_i sum_j |W_ij| (the operator norm of the max norm).

    >>> norm_mat(((Fraction(1), Fraction(-2)), (Fraction(1, 2), Fraction(0))))
    Fraction(3, 1)
    """
    return max((sum((abs(x) for x in row), Fraction(0)) for row in W), default=Fraction(0))


def norm_minus_identity(W) -> Fraction:
    """||W - I|| in the max-row-sum norm."""
    return max(
        (sum((abs(x - (i == j)) for j, x in enumerate(row)), Fraction(0)) for i, row in enumerate(W)),
        default=Fraction(0),
    )


def prefix_radius(family: Any, radius: Fraction) -> Fraction:
    """R' with ||y_0|| <= R' whenever ||x|| <= radius (y_0 the input of the formula layers).

    Each prefix layer is 1-Lipschitz after its linear part and sigma(0) = 0, so
    ||sigma(W y + b)|| <= ||W y + b|| <= ||W|| ||y|| + ||b||.

    >>> from exactrelu.depth.family import Family
    >>> prefix_radius(Family([["1"]], ["0"], prefix=[([[2, -1]], [1])]), Fraction(3))  # (2 + 1)*3 + 1
    Fraction(10, 1)
    """
    r = Fraction(radius)
    for W, b in family.prefix:
        r = norm_mat(W) * r + norm_vec(b)
    return r


def output_factor(family: Any) -> Fraction:
    """||W_o|| (1 without an output layer): the output moves by at most this times the state."""
    if family.output is None:
        return Fraction(1)
    return norm_mat(family.output[0])


def prefix_state(family: Any, x: tuple) -> tuple:
    """y_0: the input x pushed through the prefix layers, exactly."""
    y = tuple(x)
    for W, b in family.prefix:
        y = relu_layer(W, b, y)
    return y


def series_tail(s: Any, K: int) -> Fraction:
    """A rational bound of sum_{k > K} |a(k)| from a summable series certificate, fast for large K
    (the kernel's :func:`exactrelu.kernel.series.series_tail`: witnesses the kernel checks use this one).

    >>> from exactrelu.depth.series import summability
    >>> from exactrelu.depth.family import n
    >>> s = summability(2**(-n))
    >>> series_tail(s, 10), series_tail(s, 10**6) <= Fraction(1, 2**1000)
    (Fraction(1, 1024), True)
    """
    from ..kernel.series import series_tail as tail

    return tail(s.kernel(), K)


def sharp_tail(s: Any, K: int) -> Fraction:
    """:func:`series_tail` or smaller, with constants valid from K + 1 on (:mod:`exactrelu.depth.tails`);
    for tail bounds of networks, never for witnesses (the kernel checks those with its own bound)."""
    return tails.series_tail(s.kernel(), K)


def family_json(family: Any) -> dict:
    """The family's JSON form as a dict (the canonical subject of a certificate)."""
    data = family.to_json()
    return json.loads(data) if isinstance(data, str) else data


def layer_norms(family: Any, first: int, last: int) -> list:
    """[(||W_n - I||, ||b_n||, ||W_n||) for n = first..last], exactly."""
    out = []
    for k in range(first, last + 1):
        W, b = family.layer(k)
        out.append((norm_minus_identity(W), norm_vec(b), norm_mat(W)))
    return out


# --------------------------------------------------------------------------
# JSON schema of the witnesses
# --------------------------------------------------------------------------
_RATIONALS = {"q", "S", "B", "P", "lambda", "c", "tol"}
_VECTORS = {"v", "fixed_point", "u", "w", "x", "witness_point", "b_limit"}
_VECLISTS = {"orbit", "W_limit"}
_INTS = {"N", "k", "period", "j", "K", "output_row", "n0"}
_STRINGS = {"pattern", "route"}
_SERIES = {"a_series", "ub_series"}
_SERIES_LISTS = {"W_series", "b_series"}


def validate_types(cert: "Certificate") -> None:
    """Every witness has its exact type (Fraction, int, tuple of Fractions, series certificate).

    The checker calls this first, so a programmatically built certificate
    cannot smuggle a float into an exact comparison.
    """
    def rat(v: Any) -> bool:
        return type(v) is Fraction

    def vec(v: Any) -> bool:
        return isinstance(v, tuple) and all(rat(t) for t in v)

    for key, v in cert.witnesses.items():
        ok = False
        if key in _RATIONALS:
            ok = rat(v)
        elif key in _VECTORS:
            ok = vec(v)
        elif key in _VECLISTS:
            ok = isinstance(v, tuple) and all(vec(t) for t in v)
        elif key in _INTS:
            ok = type(v) is int
        elif key in _STRINGS:
            ok = isinstance(v, str)
        elif key in _SERIES:
            ok = isinstance(v, _series_class())
        elif key in _SERIES_LISTS:
            ok = isinstance(v, tuple) and all(
                isinstance(e, dict) and isinstance(e.get("series"), _series_class()) for e in v)
        else:
            raise CertificateError(f"unknown witness {key!r}")
        _need(ok is True, f"witness {key!r} has the wrong type ({type(v).__name__})")
    _need(cert.limit is None or vec(cert.limit), "the limit must be a tuple of Fractions")
    _need(isinstance(cert.scope, dict), "the scope must be a dict")
    _need("x" not in cert.scope or vec(cert.scope["x"]), "the scope point must be a tuple of Fractions")


def _series_class():
    # the trusted half only: the summability search (series.py) stays out of the checker
    from .series_check import SeriesCertificate

    return SeriesCertificate


def _enc(key: str, value: Any) -> Any:
    if key in _RATIONALS:
        return fraction_str(value)
    if key in _VECTORS:
        return [fraction_str(t) for t in value]
    if key in _VECLISTS:
        return [[fraction_str(t) for t in v] for v in value]
    if key in _INTS or key in _STRINGS:
        return value
    if key in _SERIES:
        return _series_json(value)
    if key in _SERIES_LISTS:
        return [{"row": e["row"], "col": e["col"], "series": _series_json(e["series"])} for e in value]
    raise CertificateError(f"unknown witness {key!r}")


def _series_json(s: Any) -> Any:
    data = s.to_json()
    return json.loads(data) if isinstance(data, str) else data


def _dec(key: str, value: Any) -> Any:
    where = f"witness {key!r}"
    if key in _RATIONALS:
        return _rat(value, where)
    if key in _VECTORS:
        return _vec(value, where)
    if key in _VECLISTS:
        _need(isinstance(value, list), f"{where}: expected a list of vectors")
        return tuple(_vec(v, f"{where}[{i}]") for i, v in enumerate(value))
    if key in _INTS:
        _need(type(value) is int, f"{where}: expected an integer, got {value!r}")
        return value
    if key in _STRINGS:
        _need(type(value) is str, f"{where}: expected a string")  # a JSON number is not one
        return value
    if key in _SERIES:
        return _series_from(value, where)
    if key in _SERIES_LISTS:
        _need(isinstance(value, list), f"{where}: expected a list")
        out = []
        for i, e in enumerate(value):
            _need(isinstance(e, dict) and set(e) == {"row", "col", "series"}, f"{where}[{i}]: expected row, col, series")
            _need(type(e["row"]) is int and (e["col"] is None or type(e["col"]) is int), f"{where}[{i}]: bad row/col")
            out.append({"row": e["row"], "col": e["col"], "series": _series_from(e["series"], f"{where}[{i}]")})
        return tuple(out)
    raise CertificateError(f"unknown witness {key!r}")


def _series_from(value: Any, where: str) -> Any:
    try:
        return _series_class().from_json(value)
    except CertificateError:
        raise
    except Exception as exc:  # the series module's own validation error, whatever its type
        raise CertificateError(f"{where}: invalid series certificate: {exc}") from None


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise CertificateError(msg)


def _scope_json(scope: dict) -> dict:
    out = dict(scope)
    if "x" in out:
        out["x"] = [fraction_str(t) for t in out["x"]]
    if "radius" in out:
        out["radius"] = fraction_str(out["radius"])
    return out


def _scope_from(data: Any) -> dict:
    _need(isinstance(data, dict) and data.get("kind") in ("everywhere", "point", "ball", "set"), "scope: bad kind")
    allowed = {"everywhere": {"kind"}, "point": {"kind", "x"}, "ball": {"kind", "radius"}, "set": {"kind", "condition"}}
    _need(set(data) == allowed[data["kind"]], f"scope: expected keys {sorted(allowed[data['kind']])}")
    out = dict(data)
    if "x" in out:
        out["x"] = _vec(out["x"], "scope x")
    if "radius" in out:
        out["radius"] = _rat(out["radius"], "scope radius")
    if "condition" in out:
        _need(type(out["condition"]) is str, "scope condition: expected a string")
    return out


# --------------------------------------------------------------------------
# the data model
# --------------------------------------------------------------------------
@dataclass(eq=False)
class Certificate:
    """A verdict about lim_{depth -> inf} N_depth(x), with the exact witnesses of its theorem.

    Fields: ``verdict`` ("converges" / "diverges" / "inconclusive"), ``theorem``
    (None when inconclusive), ``scope`` (a dict: ``{"kind": "everywhere"}``,
    ``{"kind": "point", "x": ...}`` or ``{"kind": "set", "condition": ...}``),
    ``witnesses`` (dict, see proofs/), ``subject`` (the Family), ``limit``
    (exact output limit when the theorem gives it), ``necessary`` (the T5
    report), ``reasons`` (why rules did not apply) and ``evidence``
    (floating-point differences of successive depths: evidence, not proof)
    and ``radius`` (the radius the user asked about, used by :meth:`explain`).
    """

    verdict: str
    theorem: str | None
    scope: dict
    witnesses: dict
    subject: Any
    limit: tuple | None = None
    necessary: dict = field(default_factory=dict)
    reasons: tuple = ()
    evidence: tuple = ()
    radius: Fraction | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        rule = f" by {self.theorem}" if self.theorem else ""
        return f"<Certificate {self.verdict}{rule}, scope {self.scope_text()}>"

    # ------------------------------------------------------------- claims
    def scope_text(self) -> str:
        """The scope in words."""
        kind = self.scope.get("kind")
        if kind == "everywhere":
            return "every input x"
        if kind == "point":
            return "the point x = (" + ", ".join(fraction_str(t) for t in self.scope["x"]) + ")"
        if kind == "ball":
            return f"every x with ||x|| <= {fraction_str(self.scope['radius'])}"
        return "every x with " + str(self.scope.get("condition"))

    def tail_bound(self, depth: int, radius: Any = None) -> Fraction:
        """An exact rational bound of ||N_inf(x) - N_depth(x)|| (max norm) for ||x|| <= radius.

        Available for the convergence theorems T4 and T6 (uniform on balls; the
        radius is about the network input x, before any prefix layers) and P1
        (at its point; then ``radius`` must be None).

        >>> from exactrelu.depth.family import Family
        >>> from exactrelu.depth.certifier import certify
        >>> cert = certify(Family([["1/2", "0"], ["0", "1/2"]], ["1", "1"]))
        >>> cert.tail_bound(10, radius=1)
        Fraction(3, 1024)
        """
        if self.verdict != "converges":
            raise ValueError(f"tail_bound needs a convergence certificate (this one is {self.verdict})")
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
            raise ValueError(f"depth must be a nonnegative integer, got {depth!r}")
        if self.theorem == "P1":
            if radius is not None:
                raise ValueError("a P1 certificate holds at one point; call tail_bound(depth) without radius")
            return self._p1_tail(depth)
        if radius is None:
            raise ValueError("tail_bound needs a radius (the bound holds for ||x|| <= radius)")
        R = to_fraction(radius, "radius")
        if R < 0:
            raise ValueError(f"radius must be nonnegative, got {fraction_brief(R)}")
        bound = TAIL_BOUNDS.get(self.theorem)
        if bound is None:
            raise ValueError(f"no tail bound for theorem {self.theorem}")
        return output_factor(self.subject) * bound(self, depth, prefix_radius(self.subject, R))

    def depth_for(self, tol: Any, radius: Any = None) -> int:
        """A depth whose :meth:`tail_bound` is <= tol: the least one for T4, T6 and P1 (their bounds
        decrease with depth); for T6b (whose bound is not monotone) some depth with that property.

        >>> from exactrelu.depth.family import Family
        >>> from exactrelu.depth.certifier import certify
        >>> certify(Family([["1/2"]], ["1"])).depth_for("1/1000", radius=1)  # 3 / 2^d <= 1/1000
        12
        """
        t = to_fraction(tol, "tol")
        if t <= 0:
            raise ValueError(f"tol must be positive, got {fraction_brief(t)}")
        bound = lambda d: self.tail_bound(d, radius)  # noqa: E731
        smallest = bound(0)
        if smallest <= t:
            return 0
        hi = 1
        while True:  # doubling: invariant bound(hi // 2) > t
            b = bound(hi)
            if b <= t:
                break
            smallest = min(smallest, b)
            if hi >= MAX_DEPTH:
                # A statement about these bounds, not about the network: the
                # bounds round up and floor powers at 2^-2048 (to keep numbers
                # short), so a far smaller tolerance may hold at a moderate
                # depth without these bounds being able to show it.
                raise ValueError(
                    f"the tail bounds of this certificate reach tol = {fraction_brief(t)} at no depth up to 2^62: "
                    f"the smallest bound found is {fraction_brief(smallest)} (bounds are rounded up and powers "
                    "floored at 2^-2048 to keep numbers short; ask for a larger tolerance)"
                )
            hi *= 2
        lo = hi // 2
        while hi - lo > 1:  # invariant: bound(lo) > t >= bound(hi)
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if bound(mid) <= t else (mid, hi)
        return hi

    def tail_bound_at(self, depth: int, state: Any) -> Fraction:
        """A posteriori T4 bound of ||N_inf(x) - N_depth(x)|| for one input whose formula state y_depth
        (after the prefix and ``depth`` formula layers, before the output layer) satisfies |y_depth| <= state
        componentwise; depth >= 1.  Usually far smaller than the uniform :meth:`tail_bound` because it
        starts from the state itself (proofs/T4_sufficient_condition.md, "A posteriori bound").

        >>> from exactrelu.depth.family import Family
        >>> from exactrelu.depth.certifier import certify
        >>> cert = certify(Family([["1 + 1/n^2"]], ["0"]))
        >>> cert.tail_bound_at(100, [1]) < cert.tail_bound(100, radius=1) / 3
        True
        """
        if self.theorem != "T4":
            raise ValueError(f"tail_bound_at needs a T4 certificate (this one is {self.theorem})")
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            raise ValueError(f"depth must be an integer >= 1, got {depth!r}")
        u = [to_fraction(t, "state") for t in state]
        if len(u) != self.subject.width or any(t < 0 for t in u):
            raise ValueError(f"state must be {self.subject.width} nonnegative bounds of |y_depth|")
        K, N, m = self.subject.start + depth - 1, self.witnesses["N"], self.subject.width

        def sup_state(T_W: Fraction, T_b: Fraction) -> Fraction:  # >= ||y_n|| for every n >= K
            return round_up(exp_upper(T_W)[0] * (max(u, default=Fraction(0)) + T_b))

        if K < N:  # inside the head: the scalar form
            T_W, T_b = self._t4_sum(K, "W"), self._t4_sum(K, "b")
            return output_factor(self.subject) * (sup_state(T_W, T_b) * T_W + T_b)
        t_W = [(e["row"], e["col"], sharp_tail(e["series"], K)) for e in self.witnesses["W_series"]]
        t_b = [Fraction(0)] * m
        for e in self.witnesses["b_series"]:
            t_b[e["row"]] += sharp_tail(e["series"], K)
        M = sup_state(sum((t for _, _, t in t_W), Fraction(0)), sum(t_b, Fraction(0)))  # T_W(K), T_b(K) past N

        def moves(bound: list) -> list:  # component i moves by <= sum_j t_ij(K) bound_j + t_i(K) past depth d
            rows = list(t_b)
            for i, j, t in t_W:
                rows[i] += t * bound[j]
            return rows

        # |y_n,j| <= u_j + (how far component j moves) <= u_j + moves([M]*m)_j: then move again with these
        rows = moves([a + r for a, r in zip(u, moves([M] * m))])
        if self.subject.output is not None:  # output k moves by <= sum_i |W_o[k][i]| rows[i]
            rows = [sum((abs(w) * r for w, r in zip(row, rows)), Fraction(0)) for row in self.subject.output[0]]
        return max(rows, default=Fraction(0))

    def _t4_tail(self, depth: int, Rp: Fraction) -> Fraction:
        """proofs/T4_sufficient_condition.md: sum_{n > K} (||W_n - I|| M_K + ||b_n||), M_K >= sup_{n >= K} ||y_n||."""
        # layers n = start..K have been applied; differences of later layers count.
        K = self.subject.start + depth - 1
        if depth == 0:  # the first step from y_0 (maybe negative): ||y_1 - y_0|| <= ||y_1|| + R'
            return self._state_bound(self.subject.start, Rp) + Rp + self._t4_tail(1, Rp)
        return self._state_bound(K, Rp) * self._t4_sum(K, "W") + self._t4_sum(K, "b")

    def _state_bound(self, K: int, Rp: Fraction) -> Fraction:
        """M_K >= ||y_n|| for every n >= K: the head radii r_n = ||W_n|| r_(n-1) + ||b_n|| (n <= N) and,
        past N, exp(T_W(N)) (r_N + T_b(N)); never more than the certificate's M = P (R' + B)."""
        cache = self.__dict__.setdefault("_radius_cache", {})
        if Rp not in cache:
            w, N = self.witnesses, self.witnesses["N"]
            radii = [Rp]  # radii[k] bounds ||y_(start + k - 1)||
            for s_n, b_n, norm_w in self._norms():
                radii.append(round_up(norm_w * radii[-1] + b_n))
            growth = exp_upper(self._t4_sum(N, "W"))[0]
            beyond = round_up(growth * (radii[-1] + self._t4_sum(N, "b")))
            suffix = [beyond]  # suffix[i] = max(radii[len - i..], beyond), built backwards
            for r in reversed(radii[1:]):
                suffix.append(max(suffix[-1], r))
            cache[Rp] = (suffix[::-1], beyond, w["P"] * (Rp + w["B"]))
        suffix, beyond, old = cache[Rp]
        k = K - self.subject.start  # y_K is radii[1 + k]
        return min(old, suffix[k] if 0 <= k < len(suffix) else beyond)

    def _t4_sum(self, K: int, which: str) -> Fraction:
        """An upper bound of sum_{n > K} ||W_n - I|| (which='W') or ||b_n|| (which='b')."""
        w, N = self.witnesses, self.witnesses["N"]
        start = max(K + 1, self.subject.start)
        finite = Fraction(0)
        if start <= N:
            idx = 0 if which == "W" else 1
            finite = sum((t[idx] for t in self._norms()[start - self.subject.start:]), Fraction(0))
        from_ = max(K, N)
        return finite + sum((sharp_tail(e["series"], from_) for e in w[f"{which}_series"]), Fraction(0))

    def _norms(self) -> list:
        """[(||W_n - I||, ||b_n||, ||W_n||) for the head n = start..N], exactly (cached)."""
        if getattr(self, "_norm_cache", None) is None:
            self._norm_cache = layer_norms(self.subject, self.subject.start, self.witnesses["N"])
        return self._norm_cache

    def _t6_tail(self, depth: int, Rp: Fraction) -> Fraction:
        w = self.witnesses
        v, y = w["v"], w["fixed_point"]
        vmin, vmax = min(v), max(v)
        ystar_v = max((abs(a) / b for a, b in zip(y, v)), default=Fraction(0))
        return vmax * pow_upper(w["q"], depth) * (Rp / vmin + ystar_v)

    def _t6b_tail(self, depth: int, Rp: Fraction) -> Fraction:
        """proofs/T6b_perturbed_contraction.md: for d > d0, delta_d <= q^(d - m) delta_m + sum_(m < j <= d)
        q^(d - j) eps_j over a window of exact layers, with delta_m <= q^(m - dK) (delta_d0 + E(n0 - 1)) + E(K)
        at the best split dK found."""
        w, fam = self.witnesses, self.subject
        v, y, q, n0 = w["v"], w["fixed_point"], w["q"], w["n0"]
        vmin, vmax, ynorm = min(v), max(v), norm_vec(y)
        d0 = n0 - fam.start
        radii = self._t6b_radii(Rp)  # |y_d| <= radii[d] componentwise for d <= d0 + 64
        crude = ynorm + max(radii[depth], default=Fraction(0)) if depth < len(radii) else None
        if depth <= d0:
            return crude  # ||y_inf - y_d|| <= ||y*|| + ||y_d||

        def e_tail(K: int) -> Fraction:  # >= sum_{n > K} ||F_n(y*) - y*||_v
            om = sum((sharp_tail(t["series"], K) for t in w["W_series"]), Fraction(0))
            be = sum((sharp_tail(t["series"], K) for t in w["b_series"]), Fraction(0))
            return round_up((om * ynorm + be) / vmin)

        A = round_up(max(((t + abs(a)) / c for t, a, c in zip(radii[d0], y, v)), default=Fraction(0)) + e_tail(n0 - 1))
        m = max(d0, depth - self._t6b_window())
        splits = {d0, m} | {m - (1 << i) for i in range((m - d0).bit_length())} | {d0 + (m - d0) * i // 8 for i in range(8)}
        delta = min(pow_upper(q, m - dK) * A + e_tail(fam.start + dK - 1) for dK in splits)
        for j in range(m + 1, depth + 1):  # delta_j <= q delta_(j-1) + eps_j, layer n_j = start + j - 1 >= n0
            delta = round_up(q * delta + self._t6b_eps(fam.start + j - 1))
        return vmax * delta if crude is None else min(crude, vmax * delta)

    def _t6b_radii(self, Rp: Fraction) -> list:
        """[u_0, ..., u_(d0 + 64)] with |y_d| <= u_d componentwise when ||y_0|| <= R' (cached per R'), from
        |sigma(W y + b)| <= |W| |y| + |b| over the exact layers."""
        cache = self.__dict__.setdefault("_radii_cache", {})
        if Rp not in cache:
            fam, n0 = self.subject, self.witnesses["n0"]
            out = [[Rp] * fam.width]
            for W, b in (fam.layer(k) for k in range(fam.start, n0 + 64)):
                out.append([round_up(sum((abs(a) * t for a, t in zip(row, out[-1])), abs(c))) for row, c in zip(W, b)])
            cache[Rp] = out
        return cache[Rp]

    def _t6b_window(self) -> int:
        """How many last layers the T6b bound takes exactly: until q^J <= 2^-48, at most 128."""
        q = self.witnesses["q"]
        return min(128, math.ceil(48 / -math.log2(q))) if q > 0 else 1

    def _t6b_eps(self, n: int) -> Fraction:
        """eps_n = ||F_n(y*) - y*||_v, exactly, rounded up (cached)."""
        cache = self.__dict__.setdefault("_eps_cache", {})
        if n not in cache:
            if len(cache) > 100_000:
                cache.clear()
            y, v = self.witnesses["fixed_point"], self.witnesses["v"]
            z = relu_layer(*self.subject.layer(n), y)
            cache[n] = round_up(max((abs(a - b) / c for a, b, c in zip(z, y, v)), default=Fraction(0)))
        return cache[n]

    def _p1_tail(self, depth: int) -> Fraction:
        w = self.witnesses
        if depth >= w["k"]:
            return Fraction(0)
        y = prefix_state(self.subject, w["x"])
        for k in range(self.subject.start, self.subject.start + depth):
            y = relu_layer(*self.subject.layer(k), y)
        out = apply_output(self.subject, y)
        return norm_vec(tuple(a - b for a, b in zip(out, self.limit)))

    # ------------------------------------------------------------ explain
    def explain(self) -> str:
        """A readable proof of the verdict in Markdown, citing the proof files in proofs/.

        >>> from exactrelu.depth.family import Family
        >>> from exactrelu.depth.certifier import certify
        >>> print(certify(Family([["1"]], ["1/n"])).explain().splitlines()[2])
        **Claim.** N_d(x) diverges as d -> inf, for every input x.
        """
        return _explain(self)

    # --------------------------------------------------------------- JSON
    def to_json(self, path: str | Path | None = None) -> dict:
        """The certificate as a JSON-ready dict (written to ``path`` when given); CertificateError if a
        witness does not have its exact type (a float is never written as if it were exact)."""
        validate_types(self)
        data = envelope(
            FORMAT, VERSION,
            verdict=self.verdict,
            theorem=self.theorem,
            scope=_scope_json(self.scope),
            witnesses={k: _enc(k, v) for k, v in self.witnesses.items()},
            subject=family_json(self.subject),
            limit=None if self.limit is None else [fraction_str(t) for t in self.limit],
            necessary=self.necessary,
            reasons=list(self.reasons),
            evidence=list(self.evidence),
            radius=None if self.radius is None else fraction_str(self.radius),
        )
        if path is not None:
            write_json(data, path)  # temp file then rename: never half-written
        return data

    @classmethod
    def from_json(cls, source: Any) -> "Certificate":
        """Read a certificate from a dict, a JSON string or a path; malformed input raises CertificateError."""
        try:
            data = _load(source)
            return cls._from_dict(data)
        except CertificateError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            raise CertificateError(f"malformed certificate: {exc}") from None

    @classmethod
    def _from_dict(cls, data: Any) -> "Certificate":
        keys = ("verdict", "theorem", "scope", "witnesses", "subject", "limit", "necessary", "reasons", "evidence",
                "radius")
        try:
            data = read_envelope(data, "certificate", FORMAT, VERSION, set(keys), keys)
        except ValueError as exc:
            raise CertificateError(str(exc)) from None
        _need(data["verdict"] in VERDICTS, f"unknown verdict {data['verdict']!r}")
        _need(data["theorem"] is None or data["theorem"] in THEOREMS, f"unknown theorem {data['theorem']!r}")
        _need(isinstance(data["witnesses"], dict), "witnesses must be an object")
        from .family import Family

        try:
            subject = Family.from_json(data["subject"])
        except Exception as exc:  # any failure to rebuild the subject is a malformed certificate
            raise CertificateError(f"subject: invalid family: {exc}") from None
        limit = None if data["limit"] is None else _vec(data["limit"], "limit")
        _need(isinstance(data["necessary"], dict), "necessary must be an object")
        _need(isinstance(data["reasons"], list) and all(type(r) is str for r in data["reasons"]),
              "reasons must be a list of strings")
        _need(isinstance(data["evidence"], list), "evidence must be a list")
        return cls(
            verdict=data["verdict"],
            theorem=data["theorem"],
            scope=_scope_from(data["scope"]),
            witnesses={k: _dec(k, v) for k, v in data["witnesses"].items()},
            subject=subject,
            limit=limit,
            necessary=data["necessary"],
            reasons=tuple(data["reasons"]),
            evidence=tuple(decimals_to_float(data["evidence"])),  # evidence holds floats by design
            radius=None if data["radius"] is None else _rat(data["radius"], "radius"),
        )


# rule name -> its tail bound (uniform on balls): registered here, outside the trusted kernel, next to the
# proofs' constants; a new convergence rule with a tail bound adds one entry (P1's is at a point, above).
TAIL_BOUNDS = {"T4": Certificate._t4_tail, "T6": Certificate._t6_tail, "T6b": Certificate._t6b_tail}


def _load(source: Any) -> Any:
    if source is None or isinstance(source, (int, float, list, tuple)):
        raise CertificateError(f"expected a dict, a JSON string or a path, got {type(source).__name__}")
    return read_json(source, "certificate")  # its ValueError becomes "malformed certificate: ..."


def _short(value: Any) -> str:
    """A short repr for messages (a hostile file may hold a huge string or number)."""
    text = repr(value) if not isinstance(value, int) or abs(value).bit_length() < 200 else "a huge integer"
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------
# explain(): the proof in words
# --------------------------------------------------------------------------
_STATEMENTS = {name: " ".join(rule.statement.split()) for name, rule in RULES.items()}


def _fmt(value: Any) -> str:
    if isinstance(value, Fraction):
        return fraction_str(value)
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return "[" + "; ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, tuple) and all(isinstance(v, Fraction) for v in value):
        return "(" + ", ".join(fraction_str(v) for v in value) + ")"
    if isinstance(value, tuple):  # series certificate lists
        return "; ".join(_fmt_series(e) for e in value)
    if hasattr(value, "verdict") and hasattr(value, "term"):
        return _fmt_series({"row": None, "col": None, "series": value})
    return str(value)


def _fmt_series(e: dict) -> str:
    s = e["series"]
    where = "" if e["row"] is None else (f"[{e['row']}]" if e["col"] is None else f"[{e['row']}][{e['col']}]")
    wit = ", ".join(f"{k} = {_fmt(v) if isinstance(v, Fraction) else v}" for k, v in dict(s.witnesses).items())
    return f"{where} {s.term}: {s.verdict} by {s.method} ({wit})".strip()


def _explain(cert: Certificate) -> str:
    lines = [f"# Certificate: {cert.verdict}", ""]
    if cert.theorem:
        proof = THEOREMS[cert.theorem][1]
        lines += [f"**Claim.** N_d(x) {'converges' if cert.verdict == 'converges' else 'diverges'} "
                  f"as d -> inf, for {cert.scope_text()}.", "",
                  f"**Rule {cert.theorem}** ({proof}): {_STATEMENTS[cert.theorem]}", "",
                  "**Exact witnesses** (each re-verified by `exactrelu.check`):", ""]
        lines += [f"- {k}: {_fmt(v)}" for k, v in cert.witnesses.items()]
        if cert.limit is not None:
            lines += ["", f"**Limit (exact):** ({', '.join(fraction_str(t) for t in cert.limit)})"]
        if cert.theorem in ("T4", "T6", "T6b"):
            R = cert.radius if cert.radius is not None else Fraction(1)
            lines += ["", f"**Tail bounds** for ||x|| <= {fraction_str(R)} (max norm):", ""]
            for d in (10, 100, 1000):
                lines.append(f"- depth {d}: ||N_inf(x) - N_{d}(x)|| <= {float(cert.tail_bound(d, R)):.3e}")
            lines.append(f"- depth guaranteeing 10^-6: {cert.depth_for(Fraction(1, 10**6), R)}")
    else:
        lines += ["No rule applied, so nothing is claimed. Hypotheses that failed:", ""]
        lines += [f"- {r}" for r in cert.reasons]
    if cert.theorem and cert.reasons:
        lines += ["", "Rules tried before this one:", ""] + [f"- {r}" for r in cert.reasons]
    nec = cert.necessary
    if nec:
        lines += ["", f"**Necessary condition T5** ({T5_PROOF}; informational, from symbolic limits):", "",
                  f"- W_n -> I: {nec.get('W_to_I')}; b_n -> 0: {nec.get('b_to_0')}", f"- {nec.get('note', '')}"]
    if cert.evidence:
        lines += ["", "**Numerical evidence (floating point; evidence, NOT proof):**", "",
                  "| x | depth d | max-norm of N_2d(x) - N_d(x) |", "|---|---|---|"]
        lines += [f"| {e.get('x')} | {e.get('depth')} | {e.get('difference')} |" for e in cert.evidence]
    return "\n".join(lines) + "\n"
