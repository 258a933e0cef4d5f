"""Exact polyhedra over the rationals, with witnesses and Farkas certificates.

A :class:`Polyhedron` in ``R^dim`` is an H-representation with three kinds of
constraints kept apart: non-strict inequalities ``a.x <= b``, strict
inequalities ``a.x < b`` and equations ``a.x == b``.  All data are exact
Fractions.  Every yes/no answer rests on exact evidence:

* "nonempty" on a witness point that :meth:`Polyhedron.contains` checks exactly;
* "empty" on a Farkas-type (Motzkin) certificate, see
  :class:`EmptinessCertificate` and :func:`verify_emptiness_certificate`;
* "no interior" on the same kind of certificate for the system with every
  inequality made strict (:meth:`Polyhedron.interior_certificate`).

The linear programs behind these answers are solved by :func:`exactrelu.exact.lp.solve_lp`
(float guide proposes, exact arithmetic verifies, exact simplex decides).

>>> P = Polyhedron(2, inequalities=[([1, 1], 1)], strict=[([-1, 0], 0), ([0, -1], 0)])
>>> P
Polyhedron(2: x0 + x1 <= 1, -x0 < 0, -x1 < 0)
>>> P.is_empty(), P.contains([0, 0]), P.contains(["1/2", "1/2"]), P.volume()
(False, False, True, Fraction(1, 2))
>>> Q = P.intersect(Polyhedron(2, inequalities=[([1, 0], -1)]))
>>> Q.is_empty(), verify_emptiness_certificate(Q, Q.emptiness_certificate())
(True, True)
"""

from __future__ import annotations

import functools
from collections import namedtuple
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import flint

from . import _polytope
from .lp import _Problem, _solve
from .errors import VerificationError
from .jsonio import envelope, read_envelope
from .numbers import fraction_str, to_fraction, to_vector

POLYHEDRON_FORMAT = "exactrelu.polyhedron"
__all__ = ["Polyhedron", "Box", "Constraints", "EmptinessCertificate", "verify_emptiness_certificate"]

Constraints = namedtuple("Constraints", ["inequalities", "strict", "equations"])
Constraints.__doc__ = "The constraints of a Polyhedron: tuples of (a, b) pairs, a a Fraction tuple, b a Fraction."

_F0, _F1 = Fraction(0), Fraction(1)


def _dot(u: Sequence, v: Sequence) -> Fraction:
    return sum((a * b for a, b in zip(u, v) if a and b), _F0)


@dataclass(frozen=True)
class EmptinessCertificate:
    """Multipliers proving that a system of constraints has no solution.

    ``inequalities`` and ``strict`` hold one multiplier >= 0 per constraint of
    that kind, ``equations`` one rational multiplier per equation.  Valid when
    the combination ``sum y_i a_i`` is the zero vector and the combined
    right-hand side ``beta = sum y_i b_i`` is negative, or zero with some
    strict multiplier positive: adding up the constraints then gives
    ``0 <= beta < 0`` or ``0 < beta <= 0`` (Farkas / Motzkin transposition).
    """

    inequalities: tuple
    strict: tuple
    equations: tuple


def verify_emptiness_certificate(polyhedron: "Polyhedron", certificate: EmptinessCertificate) -> bool:
    """Check exactly that ``certificate`` proves ``polyhedron`` empty: True, or VerificationError.

    >>> P = Polyhedron(1, inequalities=[([-1], 0)], strict=[([1], 0)])  # x >= 0 and x < 0
    >>> c = P.emptiness_certificate(); c
    EmptinessCertificate(inequalities=(Fraction(1, 1),), strict=(Fraction(1, 1),), equations=())
    >>> verify_emptiness_certificate(P, c)
    True
    >>> verify_emptiness_certificate(P, EmptinessCertificate((Fraction(1),), (Fraction(2),), ()))
    Traceback (most recent call last):
    ...
    exactrelu.exact.errors.VerificationError: not an emptiness certificate: the combination of the constraints is not 0 < 0 or 0 <= (negative)
    """
    if not _proves_empty(polyhedron, certificate):
        raise VerificationError("not an emptiness certificate: the combination of the constraints is not 0 < 0 or 0 <= (negative)")
    return True


def _proves_empty(polyhedron: "Polyhedron", certificate: EmptinessCertificate) -> bool:
    """The Farkas / Motzkin combination of ``certificate`` is a contradiction (exact)."""
    cons = polyhedron.constraints
    groups = (
        (cons.inequalities, certificate.inequalities),
        (cons.strict, certificate.strict),
        (cons.equations, certificate.equations),
    )
    if any(len(rows) != len(ys) for rows, ys in groups):
        return False
    if any(not isinstance(y, Fraction) for _, ys in groups for y in ys):
        return False
    if any(y < 0 for y in certificate.inequalities + certificate.strict):
        return False
    combo = [_F0] * polyhedron.dim
    beta = _F0
    for rows, ys in groups:
        for (a, b), y in zip(rows, ys):
            if y:
                beta += y * b
                for k, v in enumerate(a):
                    combo[k] += y * v
    if any(combo):
        return False
    return beta < 0 or (beta == 0 and any(y > 0 for y in certificate.strict))




def _convert(items: Any, dim: int, kind: str) -> tuple:
    if items is None:
        return ()
    out = []
    for i, item in enumerate(items):
        where = f"{kind} {i}"
        if isinstance(item, (str, bytes)) or not hasattr(item, "__len__") or len(item) != 2:
            raise ValueError(f"{where}: expected a pair (a, b) meaning a.x {_SYMBOL[kind]} b, got {item!r}")
        a = to_vector(item[0], where=f"{where}, a")
        if len(a) != dim:
            raise ValueError(f"{where}: a has {len(a)} entries but the polyhedron has dimension {dim}")
        out.append((a, to_fraction(item[1], where=f"{where}, b")))
    return tuple(out)


_SYMBOL = {"inequality": "<=", "strict inequality": "<", "equation": "=="}


def _term_str(a: Sequence) -> str:
    parts = []
    for k, v in enumerate(a):
        if not v:
            continue
        mag = "" if abs(v) == 1 else f"{fraction_str(abs(v))}*"
        sign = "-" if v < 0 else "+"
        parts.append((sign, f"{mag}x{k}"))
    if not parts:
        return "0"
    head = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    return head + "".join(f" {s} {t}" for s, t in parts[1:])


class Polyhedron:
    """An exact polyhedron in ``R^dim``: ``a.x <= b``, ``a.x < b`` and ``a.x == b`` constraints.

    Constraints are pairs ``(a, b)`` converted exactly (floats by their binary
    value); errors name the constraint ("strict inequality 2, a, entry 1: ...").
    A Polyhedron is an immutable value; answers are computed on demand and kept.
    Equality and hashing are syntactic (same dim and same constraint tuples).

    >>> P = Polyhedron(2, equations=[([1, -1], 0)], inequalities=[([1, 0], 1), ([-1, 0], 0)])
    >>> P.dimension(), P.interior_point(), sorted(P.vertices())
    (1, None, [(Fraction(0, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(1, 1))])
    """

    def __init__(self, dim: int, inequalities: Any = (), strict: Any = (), equations: Any = ()):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 0:
            raise ValueError(f"dim must be a nonnegative integer, got {dim!r}")
        self._dim = dim
        self._cons = Constraints(
            _convert(inequalities, dim, "inequality"),
            _convert(strict, dim, "strict inequality"),
            _convert(equations, dim, "equation"),
        )
        self._cache: dict = {}

    def _memo(self, key: str, compute: Any) -> Any:
        """compute() once per polyhedron (it is immutable), then the kept answer."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @classmethod
    def _raw(cls, dim: int, cons: Constraints) -> "Polyhedron":
        # Internal constructor for already-converted Fraction data.
        P = Polyhedron.__new__(Polyhedron)
        P._dim, P._cons, P._cache = dim, cons, {}
        return P

    # ------------------------------------------------------------------ basic data

    @property
    def dim(self) -> int:
        """The dimension of the ambient space R^dim."""
        return self._dim

    @property
    def constraints(self) -> Constraints:
        """The constraints as a namedtuple (inequalities, strict, equations) of (a, b) pairs."""
        return self._cons

    def to_json(self) -> dict:
        """The constraints as JSON: ``[a, b]`` pairs of exact strings per kind.

        >>> P = Polyhedron(1, inequalities=[([1], "1/2")], strict=[([-1], 0)])
        >>> P.to_json()
        {'format': 'exactrelu.polyhedron', 'version': 1, 'dim': 1, 'inequalities': [[['1'], '1/2']], 'strict': [[['-1'], '0']], 'equations': []}
        >>> Polyhedron.from_json(P.to_json()) == P
        True
        """
        def rows(pairs: tuple) -> list:
            return [[[fraction_str(v) for v in a], fraction_str(b)] for a, b in pairs]

        cons = self._cons
        return envelope(POLYHEDRON_FORMAT, 1, dim=self._dim, inequalities=rows(cons.inequalities),
                        strict=rows(cons.strict), equations=rows(cons.equations))

    @classmethod
    def from_json(cls, source: Any) -> "Polyhedron":
        """A polyhedron from a path, JSON string or dict (as written by :meth:`to_json`), converted exactly."""
        kinds = ("inequalities", "strict", "equations")
        data = read_envelope(source, "polyhedron", POLYHEDRON_FORMAT, 1, {"dim", *kinds}, ("dim", *kinds))
        if type(data["dim"]) is not int:
            raise ValueError(f"polyhedron JSON: key 'dim' must be an integer, got {data['dim']!r}")
        for kind in kinds:
            if not isinstance(data[kind], list):
                raise ValueError(f"polyhedron JSON: key {kind!r} must be a list of [a, b] pairs")
        return cls(data["dim"], data["inequalities"], data["strict"], data["equations"])

    def __repr__(self) -> str:
        rows = []
        for kind, sym in (("inequalities", "<="), ("strict", "<"), ("equations", "==")):
            for a, b in getattr(self._cons, kind):
                rows.append(f"{_term_str(a)} {sym} {fraction_str(b)}")
        body = ", ".join(rows) if rows else "no constraints"
        return f"Polyhedron({self._dim}: {body})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Polyhedron):
            return NotImplemented
        return self._dim == other._dim and self._cons == other._cons

    def __hash__(self) -> int:
        return hash((self._dim, self._cons))

    def contains(self, x: Any) -> bool:
        """Whether the point x satisfies every constraint (exactly).

        >>> Polyhedron(1, strict=[([1], 1)]).contains([1]), Polyhedron(1, strict=[([1], 1)]).contains(["0.5"])
        (False, True)
        """
        p = to_vector(x, where="point", length=self._dim)
        c = self._cons
        return (
            all(_dot(a, p) <= b for a, b in c.inequalities)
            and all(_dot(a, p) < b for a, b in c.strict)
            and all(_dot(a, p) == b for a, b in c.equations)
        )

    def closure(self) -> "Polyhedron":
        """The topological closure when nonempty: strict inequalities become non-strict.

        (For an empty polyhedron the result may be nonempty: x < 0 and x > 0 close to {0}.)

        >>> Polyhedron(1, strict=[([1], 0)]).closure()
        Polyhedron(1: x0 <= 0)
        """
        c = self._cons
        return Polyhedron._raw(self._dim, Constraints(c.inequalities + c.strict, (), c.equations))

    def intersect(self, other: "Polyhedron") -> "Polyhedron":
        """The intersection with another polyhedron (or Box) of the same dimension.

        >>> Box([0], [2]).intersect(Polyhedron(1, strict=[([1], 1)]))
        Polyhedron(1: x0 <= 2, -x0 <= 0, x0 < 1)
        """
        if not isinstance(other, Polyhedron):
            raise ValueError(f"can only intersect with a Polyhedron or Box, got {type(other).__name__}")
        if other.dim != self._dim:
            raise ValueError(f"dimension mismatch: {self._dim} and {other.dim}")
        a, b = self._cons, other.constraints
        return Polyhedron._raw(
            self._dim, Constraints(a.inequalities + b.inequalities, a.strict + b.strict, a.equations + b.equations)
        )

    # ------------------------------------------------------------------ emptiness

    def _feasibility(self) -> tuple:
        """(witness or None, EmptinessCertificate or None), computed once by one exact LP."""
        if "feas" not in self._cache:
            x, cert = self._solve_feasibility()
            # The answer is only as good as its evidence: check it directly, exactly.
            if x is not None and not self.contains(x):  # pragma: no cover - would be a bug
                raise AssertionError("exact LP returned a witness outside the polyhedron")
            if x is None and not _proves_empty(self, cert):  # pragma: no cover
                raise AssertionError("exact LP returned an invalid emptiness certificate")
            self._cache["feas"] = (x, cert)
        return self._cache["feas"]

    def _solve_feasibility(self) -> tuple:
        c, d = self._cons, self._dim
        A = [a for a, _ in c.inequalities]
        b = [v for _, v in c.inequalities]
        E = tuple(a for a, _ in c.equations)
        e = tuple(v for _, v in c.equations)
        if not c.strict:
            res = _solve(_Problem((_F0,) * d, tuple(A), tuple(b), E, e, False))
            if res.status == "infeasible":
                cert = EmptinessCertificate(res.certificate.ineq, (), res.certificate.eq)
                return None, cert
            return res.x, None
        # Maximise t subject to a.x <= b, s.x + w t <= s_b, t <= 1, E x = e: nonempty iff t* > 0.
        # Any weights w > 0 decide the same; w = ||s||_1 makes t the l_inf distance to the
        # strict hyperplanes, so the witness is the centre of a large inscribed cube.
        weight = [sum((abs(v) for v in a), _F0) or _F1 for a, _ in c.strict]
        rows = [a + (_F0,) for a in A] + [a + (w,) for (a, _), w in zip(c.strict, weight)]
        rows.append((_F0,) * d + (_F1,))
        rhs = b + [v for _, v in c.strict] + [_F1]
        Et = tuple(a + (_F0,) for a in E)
        res = _solve(_Problem((_F0,) * d + (_F1,), tuple(rows), tuple(rhs), Et, e, True))
        if res.status == "optimal" and res.value > 0:
            return res.x[:d], None
        y = res.certificate.ineq
        m, s = len(A), len(c.strict)
        cert = EmptinessCertificate(tuple(y[:m]), tuple(y[m : m + s]), res.certificate.eq)
        return None, cert

    def is_empty(self) -> bool:
        """Whether no point satisfies the constraints (decided by exact certificates).

        >>> Polyhedron(1, strict=[([1], 0), ([-1], 0)]).is_empty()  # x < 0 and x > 0
        True
        """
        return self._feasibility()[0] is None

    def witness(self) -> tuple | None:
        """An exact point of the polyhedron, or None if it is empty.

        >>> Polyhedron(2, equations=[([1, 1], 1)]).witness() is not None
        True
        """
        return self._feasibility()[0]

    def emptiness_certificate(self) -> EmptinessCertificate | None:
        """The exact Farkas/Motzkin certificate of emptiness, or None if nonempty.

        Check it with :func:`verify_emptiness_certificate`.

        >>> Polyhedron(1, inequalities=[([1], -1), ([-1], 0)]).emptiness_certificate()
        EmptinessCertificate(inequalities=(Fraction(1, 1), Fraction(1, 1)), strict=(), equations=())
        """
        return self._feasibility()[1]

    # ------------------------------------------------------------------ interior

    def interior_system(self) -> "Polyhedron":
        """The polyhedron with every inequality made strict: its points are the interior points.

        Rows ``0 <= b`` that hold everywhere are left out.  (Valid without nontrivial
        equations; with an equation whose row is nonzero the interior in R^dim is empty.)

        >>> Polyhedron(1, inequalities=[([1], 2), ([0], 0)]).interior_system()
        Polyhedron(1: x0 < 2)
        """
        c = self._cons
        # Rows 0 <= b (b >= 0) and 0 < b (b > 0) hold everywhere: made strict, 0 < 0 would
        # wrongly empty the interior, so they are dropped.  Other zero rows stay (P is empty).
        rows = [(a, b) for a, b in c.inequalities if any(a) or b < 0]
        rows += [(a, b) for a, b in c.strict if any(a) or b <= 0]
        return Polyhedron._raw(self._dim, Constraints((), tuple(rows), c.equations))

    def _interior(self) -> tuple:
        return self._memo("interior", self._solve_interior)

    def _solve_interior(self) -> tuple:
        """(interior point or None, certificate for interior_system() or None)."""
        c = self._cons
        if any(any(a) for a, _ in c.equations):
            return None, None  # contained in a hyperplane: no interior in R^dim
        S = self.interior_system()
        if S.is_empty():
            return None, S.emptiness_certificate()
        x = S.witness()
        return x, None

    def interior_point(self) -> tuple | None:
        """An exact point strictly inside the polyhedron (in R^dim), or None if the interior is empty.

        "None" rests on :meth:`interior_certificate` (a certificate that the all-strict
        system is empty), or on an equation with a nonzero row (then the polyhedron
        lies in a hyperplane).  The point is an LP vertex of the all-strict system,
        exactly inside every constraint: the centre of a largest inscribed cube (of
        half-width at most 1).

        >>> Box([0, 0], [1, 2]).interior_point()
        (Fraction(1, 2), Fraction(1, 1))
        >>> Polyhedron(1, inequalities=[([1], 0), ([-1], 0)]).interior_point() is None
        True
        """
        return self._interior()[0]

    def interior_certificate(self) -> EmptinessCertificate | None:
        """A certificate (verify it against :meth:`interior_system`) that the interior is empty.

        None when the interior is nonempty, or when a nontrivial equation already
        shows the interior empty.

        >>> P = Polyhedron(1, inequalities=[([1], 0), ([-1], 0)])
        >>> verify_emptiness_certificate(P.interior_system(), P.interior_certificate())
        True
        """
        return self._interior()[1]

    # ------------------------------------------------------------------ dimension

    def _affine_hull(self) -> tuple:
        """(dimension, rows of the implicit equalities including the equations) of a nonempty P."""
        return self._memo("hull", self._solve_affine_hull)

    def _solve_affine_hull(self) -> tuple:
        c, d = self._cons, self._dim
        if self.is_empty():
            return -1, ()
        rows = [(a, b) for a, b in c.inequalities + c.strict if any(a)]
        E = [(a, b) for a, b in c.equations if any(a)]
        implicit: list = []
        remaining = list(range(len(rows)))
        # Maximise t with a_i.x + t <= b_i over the unclassified rows: t* > 0 shows them all
        # non-implicit; t* = 0 leaves a dual y >= 0 (sum 1) whose support is tight on all of P.
        while remaining:
            A = [rows[i][0] + (_F1,) for i in remaining] + [rows[i][0] + (_F0,) for i in implicit]
            A.append((_F0,) * d + (_F1,))
            b = [rows[i][1] for i in remaining] + [rows[i][1] for i in implicit] + [_F1]
            Et = tuple(a + (_F0,) for a, _ in E)
            et = tuple(v for _, v in E)
            res = _solve(_Problem((_F0,) * d + (_F1,), tuple(A), tuple(b), Et, et, True))
            if res.value > 0:
                break
            y = res.certificate.ineq
            tight = [remaining[j] for j in range(len(remaining)) if y[j] > 0]
            implicit += tight
            remaining = [i for i in remaining if i not in tight]
        eqs = tuple(a for a, _ in E) + tuple(rows[i][0] for i in implicit)
        rank = _rank(eqs, d)
        return d - rank, eqs

    def dimension(self) -> int:
        """The exact affine dimension (-1 when empty).

        >>> Polyhedron(3, inequalities=[([1, 0, 0], 0), ([-1, 0, 0], 0)]).dimension()
        2
        """
        return self._affine_hull()[0]

    # ------------------------------------------------------------------ boundedness, box

    def _closed_rows(self) -> list:
        c = self._cons
        rows = list(c.inequalities + c.strict)
        for a, b in c.equations:
            rows.append((a, b))
            rows.append((tuple(-v for v in a), -b))
        return rows

    def _outer_box(self) -> tuple:
        """("bounded", per-coordinate (lo, hi) containing the closure), ("unbounded", None) or ("empty", None)."""
        return self._memo("box", self._solve_outer_box)

    def _solve_outer_box(self) -> tuple:
        d = self._dim
        rows = self._closed_rows()
        lo: list = [None] * d
        hi: list = [None] * d
        for a, b in rows:  # axis-aligned rows bound a coordinate without any LP
            nz = [k for k in range(d) if a[k]]
            if len(nz) == 1:
                k = nz[0]
                v = b / a[k]
                if a[k] > 0:
                    hi[k] = v if hi[k] is None else min(hi[k], v)
                else:
                    lo[k] = v if lo[k] is None else max(lo[k], v)
        A = tuple(a for a, _ in rows)
        b = tuple(v for _, v in rows)
        for k in range(d):
            for bounds, mx in ((hi, True), (lo, False)):
                if bounds[k] is None:
                    unit = tuple(_F1 if j == k else _F0 for j in range(d))
                    res = _solve(_Problem(unit, A, b, (), (), mx))
                    if res.status != "optimal":
                        return res.status.replace("infeasible", "empty"), None
                    bounds[k] = res.value
        if any(l > h for l, h in zip(lo, hi)):
            return "empty", None
        return "bounded", list(zip(lo, hi))

    def is_bounded(self) -> bool:
        """Whether the polyhedron is bounded (the empty set is bounded).

        >>> Polyhedron(2, inequalities=[([-1, 0], 0), ([0, -1], 0)]).is_bounded()
        False
        """
        status = self._outer_box()[0]
        # An unbounded closure bounds nothing only if P itself is nonempty (x < 0, x > 0 is empty).
        return status != "unbounded" or self.is_empty()

    # ------------------------------------------------------------------ vertices, volume

    def _require_bounded(self, what: str) -> list | None:
        """The outer box, None when the closure is empty; ValueError when unbounded."""
        status, box = self._outer_box()
        if status == "unbounded" and not self.is_empty():
            raise ValueError(f"{what} needs a bounded polyhedron; this one is unbounded")
        return box if status == "bounded" else None

    def vertices(self) -> list:
        """The vertices of the closure of a bounded polyhedron, exact, sorted (ValueError if unbounded).

        In the plane they come counter-clockwise from the lowest-leftmost one.

        >>> Polyhedron(2, inequalities=[([-1, 0], 0), ([0, -1], 0), ([1, 1], 1)]).vertices()
        [(Fraction(0, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(1, 1))]
        """
        box = self._require_bounded("vertices()")
        if box is None or self.is_empty():
            return []
        rows = self._closed_rows()
        if self._dim == 2:
            norm = _polytope.normalize(rows)
            poly = [] if norm is None else _polytope.polygon(norm, box)
            start = min(range(len(poly)), key=lambda i: (poly[i][1], poly[i][0])) if poly else 0
            return poly[start:] + poly[:start]
        if self._dim <= 1:
            return sorted(_polytope.vertices(rows, box))
        return sorted(_polytope.to_fractions(h) for h in _polytope.double_description(rows, box)[0])

    def volume(self) -> Fraction:
        """The exact dim-dimensional volume (0 when lower-dimensional; ValueError if unbounded).

        >>> Polyhedron(3, inequalities=[([-1, 0, 0], 0), ([0, -1, 0], 0), ([0, 0, -1], 0), ([1, 1, 1], 1)]).volume()
        Fraction(1, 6)
        """
        return self._memo("volume", self._compute_volume)

    def _compute_volume(self) -> Fraction:
        # No emptiness LP here: an empty polytope simply clips to nothing (volume 0).
        box = self._require_bounded("volume()")
        if box is None or any(any(a) for a, _ in self._cons.equations):
            return _F0
        if any(not any(a) and b <= 0 for a, b in self._cons.strict):
            return _F0  # a strict row 0 < b with b <= 0: empty although its closure is not
        c = self._cons
        rows = list(c.inequalities + c.strict)
        if self._dim <= 2:
            return _polytope.volume(rows, box)
        verts, allrows = _polytope.double_description(rows, box)
        return _polytope.volume_from_vertices(list(verts), allrows)


def _rank(rows: Sequence, d: int) -> int:
    if not rows:
        return 0
    m = flint.fmpq_mat(len(rows), d, [flint.fmpq(v.numerator, v.denominator) for r in rows for v in r])
    return m.rank()


@functools.lru_cache(maxsize=64)
def _box_rows(lo: tuple, hi: tuple) -> tuple:
    """A box's inequality rows (x_k <= hi_k, -x_k <= -lo_k) and its centre, for Fraction tuples (immutable, shared)."""
    d = len(lo)
    rows = []
    for k in range(d):
        unit = tuple(_F1 if j == k else _F0 for j in range(d))
        rows.append((unit, hi[k]))
        rows.append((tuple(-v for v in unit), -lo[k]))
    return tuple(rows), tuple((l + u) / 2 for l, u in zip(lo, hi))


class Box(Polyhedron):
    """The closed box ``lower <= x <= upper`` (coordinate-wise), a Polyhedron with .lower, .upper.

    >>> B = Box([0, "-1/2"], [1, "1/2"])
    >>> B.volume(), B.lower
    (Fraction(1, 1), (Fraction(0, 1), Fraction(-1, 2)))
    >>> Box([0, 1], [1, 0])
    Traceback (most recent call last):
    ...
    ValueError: Box: coordinate 1: lower bound 1 exceeds upper bound 0
    """

    def __init__(self, lower: Any, upper: Any):
        lo = to_vector(lower, where="Box lower")
        hi = to_vector(upper, where="Box upper")
        if len(lo) != len(hi):
            raise ValueError(f"Box: lower has {len(lo)} entries but upper has {len(hi)}")
        for k, (l, u) in enumerate(zip(lo, hi)):
            if l > u:
                raise ValueError(f"Box: coordinate {k}: lower bound {fraction_str(l)} exceeds upper bound {fraction_str(u)}")
        self._set(lo, hi)

    @classmethod
    def of_fractions(cls, lower: tuple, upper: tuple) -> "Box":
        """Box(lower, upper) for bounds already checked: tuples of Fractions of one length, lower <= upper
        (the region algorithms' boxes, validated once on the way in; skips the checks and shares the rows).

        >>> Box.of_fractions((Fraction(0),), (Fraction(2),)) == Box([0], [2])
        True
        """
        box = cls.__new__(cls)
        box._set(lower, upper)
        return box

    def _set(self, lo: tuple, hi: tuple) -> None:
        rows, center = _box_rows(lo, hi)
        self._dim = len(lo)
        self._cons = Constraints(rows, (), ())
        self._cache = {}
        self.lower, self.upper = lo, hi
        # A box is never empty and its centre is a witness; answers are immediate.
        self._cache["feas"] = (center, None)
        self._cache["box"] = ("bounded", list(zip(lo, hi)))
        if all(l < u for l, u in zip(lo, hi)):
            self._cache["interior"] = (center, None)

    def __repr__(self) -> str:
        lo = ", ".join(fraction_str(v) for v in self.lower)
        hi = ", ".join(fraction_str(v) for v in self.upper)
        return f"Box([{lo}], [{hi}])"

    def vertices(self) -> list:
        """The corners of the box (deduplicated when degenerate), sorted."""
        corners = {()}
        for l, u in zip(self.lower, self.upper):
            corners = {c + (v,) for c in corners for v in {l, u}}
        return sorted(corners)

    def volume(self) -> Fraction:
        """The exact volume: the product of the side lengths."""
        out = _F1
        for l, u in zip(self.lower, self.upper):
            out *= u - l
        return out
