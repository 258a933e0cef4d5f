"""Infinite products of matrices (T2) and of activation-masked weights (T3).

:func:`infinite_product` certifies that P_K = A_K ... A_start converges as
K -> oo when sum_n ||A_n - I|| < oo (T2, proofs/T2_infinite_products.md),
with an exact tail bound ||P_inf - P_K|| <= bound(K), a proof that the limit
is nonsingular (det A_n != 0 for every n >= start, decided exactly), a
certified ball enclosure of the limit, and a closed form when sympy's gamma
simplification finds one for a diagonal product (cross-checked against the
enclosure).  :func:`activation_product` certifies, by T3
(proofs/T3_activation_products.md), that D_K W_K ... D_start W_start
converges for the given (indeed for every) sequence of activation matrices.

||.|| is the max-row-sum norm.  The series witnesses come from
:func:`exactrelu.depth.series.summability`, one per nonzero entry of A(n) - I,
and sum_n ||A_n - I|| <= sum over entries of sum_n |(A_n - I)_ij|.

>>> from exactrelu.depth.family import n
>>> import sympy
>>> cert = infinite_product(sympy.Matrix([[1 + 1/n**2]]))
>>> cert.verdict, cert.nonsingular
('converges', True)
>>> cert.bound(100) < Fraction(1, 20)
True
>>> cert.closed_form()
Matrix([[sinh(pi)/pi]])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import flint
import sympy

from .family import Family, n
from ..exact.jsonio import envelope, read_envelope
from ..nets.contexts import ArbContext, Batch, ExactContext, read_inputs

__all__ = ["infinite_product", "activation_product", "ProductCertificate", "ActivationProductCertificate", "exp_upper"]

FORMAT = "exactrelu.product-certificate"  # read by the trusted kernel too (exactrelu.kernel.decode.product)
_KEYS = {"theorem", "verdict", "reason", "subject", "witnesses", "nonsingular", "singular_at", "nonsingular_reason"}
MAX_ENCLOSURE_DEPTH = 20_000  # factors multiplied in ball arithmetic when K is chosen automatically
_HEAD = 256  # factors whose norms enter the bound M exactly before the tail estimate
_ROUND_BITS = 96  # precision of the dyadic upward roundings that keep exact bounds small


# --------------------------------------------------------------- exact upper bounds
def _round_up(q: Fraction, bits: int = _ROUND_BITS) -> Fraction:
    """A dyadic rational >= q with about ``bits`` significant bits (q itself when already small)."""
    if q.denominator.bit_length() <= bits:
        return q
    shift = bits - (q.numerator.bit_length() - q.denominator.bit_length())
    scaled = q * (Fraction(2) ** shift)
    return Fraction(-((-scaled.numerator) // scaled.denominator)) / (Fraction(2) ** shift)


def exp_upper(x: Fraction) -> Fraction:
    """An exact rational upper bound of exp(x) for rational x >= 0, with no floating point.

    For 0 <= y < 1, exp(y) <= 1/(1 - y) (because exp(-y) >= 1 - y), and
    exp(x) = exp(x / 2^j)^(2^j); every intermediate is rounded upward.

    >>> b = exp_upper(Fraction(1)); Fraction(271828, 100000) < b < Fraction(271829, 100000)
    True
    """
    x = Fraction(x)
    if x < 0:
        raise ValueError(f"exp_upper needs x >= 0, got {x}")
    j = 0
    while x / 2**j > Fraction(1, 2**24):
        j += 1
    u = _round_up(1 / (1 - x / 2**j))
    for _ in range(j):
        u = _round_up(u * u)
    return u


def _max_row_sum_minus_identity(W: tuple) -> Fraction:
    """||W - I|| in the max-row-sum norm, exactly."""
    return max(sum(abs(v - (1 if i == j else 0)) for j, v in enumerate(row)) for i, row in enumerate(W))


# --------------------------------------------------------------- ball evaluation
def _acb(expr: sympy.Expr, prec: int, k: int | None = None) -> flint.acb:
    """A rigorous complex ball containing the value of a sympy expression (n bound to the integer k)."""
    if expr.is_Symbol:
        if k is None or expr != n:
            raise ValueError(f"cannot evaluate the symbol {expr} in ball arithmetic")
        return flint.acb(k)
    if expr.is_Integer:
        return flint.acb(int(expr))
    if expr.is_Rational:
        return flint.acb(flint.arb(flint.fmpq(int(expr.p), int(expr.q))))
    if expr is sympy.pi:
        return flint.acb(flint.arb.pi())
    if expr is sympy.E:
        return flint.acb(flint.arb(1).exp())
    if expr is sympy.I:
        return flint.acb(0, 1)
    args = [_acb(a, prec, k) for a in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if expr.is_Pow:
        e = args[1]
        if expr.exp.is_integer and e.is_exact() and e.imag == 0:
            return args[0] ** int(e.real.unique_fmpz())  # integer power: exact sign, e.g. (-1)^n
        return args[0] ** e
    unary = {
        sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
        sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.tanh: "tanh", sympy.gamma: "gamma",
    }
    for f, name in unary.items():
        if isinstance(expr, f):
            return getattr(args[0], name)()
    if isinstance(expr, sympy.factorial):
        return (args[0] + 1).gamma()
    if isinstance(expr, sympy.binomial):
        a, b = args
        return (a + 1).gamma() / ((b + 1).gamma() * (a - b + 1).gamma())
    if isinstance(expr, sympy.Abs):
        return flint.acb(args[0].abs())
    raise ValueError(f"cannot evaluate {expr.func.__name__} in ball arithmetic")


def _arb_real(expr: sympy.Expr, prec: int, where: str, k: int | None = None) -> flint.arb:
    """A real ball containing a real value; ValueError when the imaginary part is not shown to contain 0."""
    v = _acb(expr, prec, k)
    if not v.imag.contains(0):
        raise ValueError(f"{where}: value {expr} is not real")
    return v.real


def _arb_from_fraction(q: Fraction) -> flint.arb:
    return flint.arb(flint.fmpq(q.numerator, q.denominator))


def _upper_fraction(x: flint.arb) -> Fraction:
    """An exact rational >= every point of the ball x (its upper endpoint is a dyadic)."""
    m, e = x.upper().man_exp()
    return Fraction(int(m)) * Fraction(2) ** int(e)


# --------------------------------------------------------------- certificates
@dataclass
class ProductCertificate:
    """Evidence that P_K = A_K ... A_start converges (T2), with exact tail bounds.

    ``verdict`` is "converges" or "inconclusive" (``reason`` says why);
    ``witnesses`` maps each nonzero entry (i, j) of A(n) - I to its
    :class:`~exactrelu.depth.series.SeriesCertificate`; ``nonsingular`` is True when
    det A_n != 0 for every n >= start is proved (so the limit is nonsingular
    by T2), False when some A_k is singular (``singular_at`` = k; then every
    P_K with K >= k, and the limit, are singular), None when undecided.
    """

    A: sympy.ImmutableMatrix
    start: int
    verdict: str
    reason: str
    witnesses: dict = field(default_factory=dict)
    nonsingular: bool | None = None
    nonsingular_reason: str = ""
    singular_at: int | None = None
    theorem: str = "T2"
    _family: Any = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def explain(self) -> str:
        """A readable account: verdict, theorem, the series witnesses and nonsingularity."""
        lines = [f"product of A(n) = {self.A.tolist()} for n >= {self.start}: {self.verdict} ({self.theorem})",
                 f"  because {self.reason}"]
        for (i, j), c in sorted(self.witnesses.items()):
            lines.append(f"  entry ({i}, {j}): {c.term} -- {c.method}: {c.reason}")
        lines.append(f"  nonsingular limit: {self.nonsingular} ({self.nonsingular_reason})")
        return "\n".join(lines)

    def to_json(self) -> dict:
        """The certificate as a JSON-ready dict (format "exactrelu.product-certificate"), which ``exactrelu.check``
        re-verifies: the subject A(n) as formula strings, one series certificate per nonzero entry of A(n) - I,
        and the nonsingularity claim (true, false with ``singular_at``, or null when undecided).

        >>> c = infinite_product([["1 + 1/n^2"]])
        >>> data = c.to_json(); data["subject"], data["nonsingular"]
        ({'A': [['1 + 1/n^2']], 'start': 1}, True)
        >>> ProductCertificate.from_json(data).to_json() == data
        True
        """
        return _product_json(self, self.nonsingular, self.singular_at, self.nonsingular_reason)

    @classmethod
    def from_json(cls, data: Any) -> "ProductCertificate":
        """Inverse of :meth:`to_json` (a dict, JSON text or a path); re-verify it with ``exactrelu.check``."""
        data, F, witnesses = _read_product(data, "T2")
        nonsingular, at = data["nonsingular"], data["singular_at"]
        if nonsingular not in (True, False, None) or not (at is None or type(at) is int):
            raise ValueError("product certificate JSON: nonsingular must be true, false or null, "
                             "singular_at an integer or null")
        return cls(A=F.W, start=F.start, verdict=data["verdict"], reason=data["reason"], witnesses=witnesses,
                   nonsingular=nonsingular, nonsingular_reason=str(data["nonsingular_reason"]), singular_at=at,
                   _family=F)

    # -------------------------------------------------------------- exact
    def partial(self, K: int) -> tuple:
        """The exact partial product P_K = A_K ... A_start (the identity for K = start - 1).

        >>> infinite_product([["(n+1)^2/(n*(n+2))"]]).partial(3)   # 2 (K+1)/(K+2)
        ((Fraction(8, 5),),)
        """
        self._check_K(K)
        return _exact_product(self.A.rows, (self._family.layer(k)[0] for k in range(self.start, K + 1)))

    def _check_K(self, K: int) -> None:
        if isinstance(K, bool) or not isinstance(K, int) or K < self.start - 1:
            raise ValueError(f"K must be an integer >= start - 1 = {self.start - 1}, got {K!r}")

    def _require(self) -> None:
        if self.verdict != "converges":
            raise ValueError(f"the product is not certified to converge: {self.reason}")

    @property
    def _K0(self) -> int:
        """The first K from which every entry's series tail bound is valid."""
        Ns = [int(c.witnesses.get("N", self.start)) - 1 for c in self.witnesses.values()]
        return max([self.start - 1] + Ns)

    def _norm(self, k: int) -> Fraction:
        """An exact upper bound of ||A_k - I|| (the exact value when A_k is rational)."""
        if k not in self._cache:
            self._cache[k] = _norm_upper(self._family, k)
        return self._cache[k]

    def tail(self, K: int) -> Fraction:
        """An exact upper bound of sum_{k > K} ||A_k - I||.

        >>> infinite_product([["1 + 1/n^2"]]).tail(100) <= Fraction(1, 99)   # witness C n^-2
        True
        """
        self._require()
        self._check_K(K)
        K0 = self._K0
        if K >= K0:
            return sum((Fraction(c.tail_bound(K)) for c in self.witnesses.values()), Fraction(0))
        return sum((self._norm(k) for k in range(K + 1, K0 + 1)), Fraction(0)) + self.tail(K0)

    def norm_bound(self) -> Fraction:
        """An exact upper bound of M = prod_k (1 + ||A_k - I||), which bounds every ||P_K||.

        >>> 3 < infinite_product([["1 + 1/n^2"]]).norm_bound() < 4   # M = sinh(pi)/pi = 3.676...
        True
        """
        self._require()
        if "M" not in self._cache:
            # exact head prod_{k <= K1} (1 + ||A_k - I||), then exp of the certified tail
            K1 = max(self._K0, self.start - 1 + _HEAD)
            M = Fraction(1)
            for k in range(self.start, K1 + 1):
                M = _round_up(M * (1 + self._norm(k)))
            self._cache["M"] = _round_up(M * exp_upper(self.tail(K1)))
        return self._cache["M"]

    def bound(self, K: int) -> Fraction:
        """Exact Fraction with ||P_inf - P_K|| <= bound(K) = M * sum_{k>K} ||A_k - I|| (T2).

        >>> c = infinite_product([["(n+1)^2/(n*(n+2))"]])   # P_inf - P_10 = 2/12
        >>> Fraction(1, 6) <= c.bound(10) < 1
        True
        """
        return _round_up(self.norm_bound() * self.tail(K))

    def depth_for(self, tol: Any, max_depth: int = 10**9) -> int | None:
        """The least K (searched from the witnesses' N on) with bound(K) <= tol, or None beyond max_depth.

        >>> c = infinite_product([["1 + 2^(-n)"]])
        >>> K = c.depth_for(Fraction(1, 10**6)); c.bound(K) <= Fraction(1, 10**6) < c.bound(K - 1)
        True
        """
        tol = Fraction(tol)
        lo = self._K0
        if self.bound(lo) <= tol:
            return lo
        hi = max(lo + 1, 2 * lo)
        while self.bound(hi) > tol:
            if hi >= max_depth:
                return None
            lo, hi = hi, min(2 * hi, max_depth)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if self.bound(mid) <= tol else (mid, hi)
        return hi

    # ---------------------------------------------------------- enclosure
    def enclosure(self, prec: int = 53, K: int | None = None) -> flint.arb_mat:
        """A certified ball enclosure of the limit P_inf (python-flint arb_mat).

        The first K factors are multiplied in ball arithmetic and every entry is
        widened by min(bound(K), ||P_K|| (exp(tail(K)) - 1)) (|entry| <= max-row-sum
        norm).  Without K, the least K with bound(K) <= 2^-prec is used when it is at
        most MAX_ENCLOSURE_DEPTH, else MAX_ENCLOSURE_DEPTH (the enclosure is then
        wider than 2^-prec).

        >>> box = infinite_product([["1 - 1/(4*n^2)"]]).enclosure()   # Wallis: 2/pi
        >>> box[0, 0].contains(2 / flint.arb.pi())
        True
        """
        self._require()
        if K is None:
            K = self.depth_for(Fraction(1, 2**prec), max_depth=MAX_ENCLOSURE_DEPTH)
            if K is None:  # the requested precision needs more factors than we multiply
                K = max(MAX_ENCLOSURE_DEPTH, self._K0)
        self._check_K(K)
        ctx = ArbContext(prec + 32)
        with ctx.precision():
            P = self._partial_arb(K, ctx)
            # T2 tail estimate, or the sharper ||P_inf - P_K|| <= ||P_K|| (exp(T(K)) - 1)
            # (proofs/T2_infinite_products.md, Lemma 3), with ||P_K|| bounded from the balls
            norm_PK = max(sum((_upper_fraction(P[i, j].abs_upper()) for j in range(P.ncols())), Fraction(0)) for i in range(P.nrows()))
            r = min(self.bound(K), _round_up(norm_PK * (exp_upper(self.tail(K)) - 1)))
            err = flint.arb(0, f"{r.numerator}/{r.denominator}") if r else flint.arb(0)
            m = self.A.rows
            return flint.arb_mat(m, m, [P[i, j] + err for i in range(m) for j in range(m)])

    def _partial_arb(self, K: int, ctx: ArbContext) -> flint.arb_mat:
        """P_K in ball arithmetic: the identity (one input per column) through the linear layers A_start .. A_K."""
        m = self.A.rows
        layers = ((ctx.native_layer(_arb_layer(self._family, k, ctx.prec)), False) for k in range(self.start, K + 1))
        return ctx.run(layers, ctx.batch(_identity(m)))  # an arb state is the arb_mat itself

    # -------------------------------------------------------- closed form
    def closed_form(self) -> sympy.Matrix | None:
        """The limit in closed form when A(n) is diagonal (or S^-1 A(n) S is, for one constant S), else None.

        Uses prod_{n>=s} prod_i (n - a_i) / prod_j (n - b_j) = prod_j Gamma(s - b_j) / prod_i Gamma(s - a_i)
        (equal degrees, equal leading coefficients, sum a_i = sum b_j), simplified by
        sympy's gammasimp; the result is rejected (None) unless its ball value lies
        in :meth:`enclosure`.
        """
        self._require()
        if "closed" in self._cache:
            return self._cache["closed"]
        out = None
        m = self.A.rows
        if all(self.A[i, j] == 0 for i in range(m) for j in range(m) if i != j):
            S, D = sympy.eye(m), self.A
        else:
            S, D = _common_eigenbasis(self.A, self.start) or (None, None)
        if S is not None:
            diag = [_diagonal_product(D[i, i], self.start) for i in range(m)]
            if all(d is not None for d in diag):
                cand = sympy.diag(*diag) if S == sympy.eye(m) else (S * sympy.diag(*diag) * S.inv()).applyfunc(sympy.simplify)
                out = cand if _inside(cand, self.enclosure()) else None
        self._cache["closed"] = out
        return out


def _product_json(cert: Any, nonsingular: Any, singular_at: Any, nonsingular_reason: str) -> dict:
    F = cert._family.to_json()
    return envelope(FORMAT, 1, theorem=cert.theorem, verdict=cert.verdict, reason=cert.reason,
                    subject={"A": F["W"], "start": F["start"]},
                    witnesses=[{"row": i, "col": j, "series": c.to_json()}
                               for (i, j), c in sorted(cert.witnesses.items())],
                    nonsingular=nonsingular, singular_at=singular_at, nonsingular_reason=nonsingular_reason)


def _read_product(data: Any, theorem: str) -> tuple:
    """(the checked envelope, the matrix family, {(i, j): SeriesCertificate}) of a product certificate's JSON."""
    from .series import SeriesCertificate

    data = read_envelope(data, "product certificate", FORMAT, 1, _KEYS, tuple(sorted(_KEYS)))
    sub, items = data["subject"], data["witnesses"]
    if data["theorem"] != theorem or data["verdict"] not in ("converges", "inconclusive"):
        raise ValueError(f"product certificate JSON: theorem must be {theorem!r}, verdict converges or inconclusive")
    if not (isinstance(sub, dict) and set(sub) == {"A", "start"} and isinstance(items, list)):
        raise ValueError("product certificate JSON: subject needs exactly A and start, witnesses is a list")
    F = _matrix_family(sub["A"], sub["start"], "A")
    witnesses = {}
    for e in items:
        if not (isinstance(e, dict) and set(e) == {"row", "col", "series"}):
            raise ValueError("product certificate JSON: each witness is {row, col, series}")
        witnesses[(e["row"], e["col"])] = SeriesCertificate.from_json(e["series"])
    return data, F, witnesses


def _kernel_checked(cert: Any) -> Any:
    """``cert`` once the trusted kernel accepts it, as :func:`certify` does: a nonsingularity claim the kernel
    does not confirm becomes undecided, and a convergence claim it refuses becomes inconclusive.  A(n) with
    irrational values (sqrt(2)) is outside the kernel's language: its reason then says it was not re-verified."""
    from ..kernel.checker import CertificateError, check

    try:
        check(cert)
    except CertificateError as exc:
        if str(exc).startswith("subject "):  # A(n) outside the kernel's rational-valued language: said, not hidden
            cert.reason += f"; not re-verified by the kernel ({exc})"
            return cert
        if cert.verdict != "converges":  # claims nothing: a refusal would be a bug here, not a verdict
            raise
        if getattr(cert, "nonsingular", None) is not None:
            cert.nonsingular, cert.singular_at = None, None
            cert.nonsingular_reason = f"undecided: the kernel did not confirm the claim ({exc})"
        else:
            cert.verdict, cert.reason = "inconclusive", f"the candidate failed the independent check: {exc}"
        return _kernel_checked(cert)
    return cert


def _identity(m: int) -> Batch:
    """The m unit vectors as a batch: pushed through linear layers, the state is the product of their matrices."""
    return read_inputs([[int(i == j) for j in range(m)] for i in range(m)], m)


def _exact_product(m: int, factors: Any) -> tuple:
    """The exact product F_last ... F_first of m x m Fraction matrices, by the forward kernel (linear layers)."""
    ctx = ExactContext()
    zero = (Fraction(0),) * m
    layers = ((ctx.layer(W, zero, f"factor {i}"), False) for i, W in enumerate(factors))
    cols = ctx.columns(ctx.run(layers, ctx.batch(_identity(m))), m)  # column j of the product
    return tuple(tuple(cols[j][i] for j in range(m)) for i in range(m))


def _norm_upper(F: Family, k: int) -> Fraction:
    try:
        W = F.layer(k)[0]
    except ValueError:
        W = None
    if W is not None:
        return _max_row_sum_minus_identity(W)
    # irrational entries: a rigorous upper bound from ball arithmetic
    m = F.width
    with ArbContext(128).precision():  # the subtractions too: at the global precision they would round wider
        M = _arb_layer(F, k, 128)
        return max(
            sum((_upper_fraction((M[i, j] - (1 if i == j else 0)).abs_upper()) for j in range(m)), Fraction(0))
            for i in range(m)
        )


def _arb_layer(F: Family, k: int, prec: int) -> flint.arb_mat:
    """A_k in ball arithmetic at ``prec`` bits: rational-function entries exactly rounded, others evaluated as balls."""
    m = F.width
    vals = []
    with ArbContext(prec).precision():
        for idx, (entry, _) in enumerate(F._entries[: m * m]):
            if k in entry.poles:
                raise ValueError(f"A[{idx // m}][{idx % m}] is undefined at n = {k}")
            if entry.ratfun is not None:
                vals.append(flint.arb(entry.ratfun[0](k) / entry.ratfun[1](k)))
            else:
                vals.append(_arb_real(entry.expr, prec, f"A[{idx // m}][{idx % m}] at n = {k}", k))
        return flint.arb_mat(m, m, vals)


def _common_eigenbasis(A: sympy.Matrix, s: int) -> tuple | None:
    """(S, D(n)) with S constant rational and S^-1 A(n) S = D(n) diagonal for all n, or None.

    S diagonalises a sample A(k) with distinct rational eigenvalues; the identity
    S^-1 A(n) S = D(n) is then checked symbolically (rational functions, exact), so the
    factors commute and P_K = S (prod D) S^-1.
    """
    m = A.rows
    if not all(e.is_rational_function(n) for e in A):
        return None
    for k in range(s, s + 6):
        B = sympy.Matrix(A.xreplace({n: sympy.Integer(k)}))
        try:
            ev = B.eigenvals()
        except (sympy.MatrixError, NotImplementedError):
            continue
        if len(ev) != m or not all(v.is_Rational for v in ev):
            continue
        S, _ = B.diagonalize()
        D = (S.inv() * sympy.Matrix(A) * S).applyfunc(sympy.cancel)
        if all(D[i, j] == 0 for i in range(m) for j in range(m) if i != j):
            return S, D
        return None
    return None


def _diagonal_product(d: sympy.Expr, s: int) -> sympy.Expr | None:
    """prod_{n >= s} d(n) in closed form for a rational function d, by the gamma formula, or None."""
    if not d.is_rational_function(n):
        return None
    num, den = sympy.fraction(sympy.cancel(sympy.together(d)))
    try:
        pn, pd = sympy.Poly(num, n, domain="QQ"), sympy.Poly(den, n, domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed):
        return None
    if pn.degree() != pd.degree() or pn.LC() != pd.LC():
        return None
    if pn.degree() == 0:
        return sympy.Integer(1)
    ra, rb = sympy.roots(pn), sympy.roots(pd)
    if sum(ra.values()) != pn.degree() or sum(rb.values()) != pd.degree():
        return None  # some roots not expressible in radicals
    if sympy.simplify(sum(r * k for r, k in ra.items()) - sum(r * k for r, k in rb.items())) != 0:
        return None
    for r in ra:  # a zero of d at an integer n >= s makes the product 0 from there on
        if r.is_integer and r >= s:
            return sympy.Integer(0)
    value = sympy.Mul(*[sympy.gamma(s - r) ** k for r, k in rb.items()]) / sympy.Mul(
        *[sympy.gamma(s - r) ** k for r, k in ra.items()]
    )
    value = sympy.gammasimp(value)
    return sympy.simplify(value) if value.has(sympy.I) else value


def _inside(cand: sympy.Matrix, box: flint.arb_mat) -> bool:
    """True when every entry's ball value (real, imaginary part containing 0) lies in the enclosure."""
    try:
        with ArbContext(128).precision():
            values = [[_acb(cand[i, j], 128) for j in range(cand.cols)] for i in range(cand.rows)]
        for i in range(cand.rows):
            for j in range(cand.cols):
                v = values[i][j]
                if not (v.imag.contains(0) and box[i, j].contains(v.real)):
                    return False
    except ValueError:
        return False
    return True


# --------------------------------------------------------------- builders
def _matrix_family(A: Any, start: int, what: str) -> Family:
    if isinstance(A, Family):
        return Family(A.W, [0] * A.width, start=A.start)
    rows = A.tolist() if isinstance(A, sympy.MatrixBase) else A
    try:
        m = len(rows)
    except TypeError:
        raise ValueError(f"{what} must be a square matrix of formulas in n") from None
    return Family(rows, [0] * m, start=start)


def _series_evidence(F: Family) -> tuple:
    """(witnesses, reason): one summability certificate per nonzero entry of A(n) - I."""
    from .series import summability

    blocking = [i for i in F.issues() if i.kind in ("pole", "non-real", "undecided")]
    if blocking:
        return {}, "A(n) is not known to be a real matrix for every n >= start: " + "; ".join(map(str, blocking))
    m = F.width
    witnesses = {}
    for i in range(m):
        for j in range(m):
            e = F.W[i, j] - (1 if i == j else 0)
            if e.is_rational_function(n):
                e = sympy.cancel(e)  # exact: (n+1)^2/(n(n+2)) - 1 becomes 1/(n(n+2))
            if e == 0:
                continue
            try:
                cert = summability(e, F.start)
            except ValueError as exc:  # a domain problem the family analysis did not see
                return witnesses, f"entry ({i}, {j}) of A(n) - I = {e}: {exc}"
            if cert.verdict != "summable":
                return witnesses, (
                    f"entry ({i}, {j}) of A(n) - I = {e}: summability is {cert.verdict!r}"
                    + (f" ({cert.reason})" if getattr(cert, "reason", "") else "")
                )
            witnesses[(i, j)] = cert
    return witnesses, ""


def _nonsingularity(F: Family) -> tuple:
    """(nonsingular, reason, singular_at) for det A_n, n >= start, decided exactly."""
    from ..exact.exactpoly import integer_roots_at_least, rational_function_from_sympy

    det = sympy.Matrix(F.W).det(method="berkowitz")
    try:
        num, _ = rational_function_from_sympy(sympy.together(det), n) if det.has(n) else (None, None)
    except ValueError:
        if det.is_zero is False:
            return True, f"det A(n) = {det} is nonzero (sympy assumptions)", None
        return None, f"det A(n) = {det} is not a rational function; nonsingularity undecided", None
    if num is None:  # constant determinant
        if det.is_zero is False:
            return True, f"det A(n) = {det} is a nonzero constant", None
        if det.is_zero:
            return False, "det A(n) = 0 for every n", F.start
        return None, f"det A(n) = {det}: could not decide whether it is zero", None
    if num.is_zero():
        return False, "det A(n) = 0 for every n", F.start
    roots = integer_roots_at_least(num, F.start)
    for k in roots:  # confirm on the exact rational matrix
        try:
            W = F.layer(k)[0]
        except ValueError:
            continue
        m = F.width
        if flint.fmpq_mat(m, m, [flint.fmpq(v.numerator, v.denominator) for row in W for v in row]).det() == 0:
            return False, f"det A({k}) = 0, so every partial product from K = {k} on is singular", k
    if roots:
        return None, f"det A(n) has numerator roots {roots} that could not be confirmed", None
    return True, f"the numerator of det A(n) = {det} has no integer root >= {F.start}", None


def _singular_in_head(F: Family, count: int = _HEAD) -> int | None:
    """The first k in [start, start + count) with det A_k = 0 exactly, or None (rational values only)."""
    m = F.width
    for k in range(F.start, F.start + count):
        try:
            W = F.layer(k)[0]
        except ValueError:
            return None
        if flint.fmpq_mat(m, m, [flint.fmpq(v.numerator, v.denominator) for row in W for v in row]).det() == 0:
            return k
    return None


def infinite_product(A: Any, start: int = 1) -> ProductCertificate:
    """Certify convergence of P_K = A_K ... A_start by T2 (summable ||A_n - I||).

    ``A`` is a square sympy matrix in :data:`exactrelu.depth.family.n` (or a list of
    rows of formula strings, or a :class:`Family`, whose weights are used).

    >>> import sympy
    >>> cert = infinite_product(sympy.Matrix([[1, 1/n**2], [0, 1 - 1/(n + 1)**2]]))
    >>> cert.verdict, cert.nonsingular
    ('converges', True)
    >>> infinite_product(sympy.Matrix([[1 + 1/n]])).verdict
    'inconclusive'
    """
    F = _matrix_family(A, start, "A")
    witnesses, reason = _series_evidence(F)
    verdict = "inconclusive" if reason else "converges"
    if not reason:
        reason = "sum_n ||A_n - I|| < oo: every entry of A(n) - I is summable (T2)"
    if any(i.kind == "pole" for i in F.issues()):
        nonsing, nreason, at = None, "A(n) has poles at or after start", None
    else:
        nonsing, nreason, at = _nonsingularity(F)
        if nonsing is None or "sympy assumptions" in nreason:
            # undecided, or decided by symbolic rules only: an exactly singular early factor settles it
            k = _singular_in_head(F)
            if k is not None:
                nonsing, nreason, at = False, f"det A({k}) = 0 (exact), so every partial product from K = {k} on is singular", k
    return _kernel_checked(ProductCertificate(
        A=F.W, start=F.start, verdict=verdict, reason=reason, witnesses=witnesses,
        nonsingular=nonsing, nonsingular_reason=nreason, singular_at=at, _family=F,
    ))


# --------------------------------------------------------------- activation products (T3)
@dataclass
class ActivationProductCertificate:
    """Evidence (T3) that D_K W_K ... D_start W_start converges for every activation sequence.

    ``witnesses`` are the series certificates of the entries of W(n) - I.
    T3 gives no rate that is uniform over activation sequences, so none is claimed;
    ``partial(K)`` is the exact product for the given sequence ``D``.
    """

    W: sympy.ImmutableMatrix
    start: int
    verdict: str
    reason: str
    witnesses: dict
    D: Callable = field(repr=False)
    theorem: str = "T3"
    _family: Any = field(default=None, repr=False)
    _product: Any = field(default=None, repr=False)

    def tail(self, K: int) -> Fraction:
        """An exact upper bound of sum_{k > K} ||W_k - I|| (not a rate for the product: T3 has none)."""
        return self._product.tail(K)

    def norm_bound(self) -> Fraction:
        """An exact upper bound of prod_k (1 + ||W_k - I||), which bounds ||D_K W_K ... D_start W_start||."""
        return self._product.norm_bound()

    def activation(self, k: int) -> tuple:
        """The diagonal (0/1 tuple) of the activation matrix D_k."""
        return self.D(k)

    def partial(self, K: int) -> tuple:
        """The exact product D_K W_K ... D_start W_start (identity for K = start - 1)."""
        if isinstance(K, bool) or not isinstance(K, int) or K < self.start - 1:
            raise ValueError(f"K must be an integer >= start - 1 = {self.start - 1}, got {K!r}")
        m = self.W.rows
        masked = (tuple(row if d_i else (Fraction(0),) * m for row, d_i in zip(self._family.layer(k)[0], self.D(k)))
                  for k in range(self.start, K + 1))
        return _exact_product(m, masked)

    def to_json(self) -> dict:
        """The certificate as a JSON-ready dict (format "exactrelu.product-certificate", theorem T3), which
        ``exactrelu.check`` re-verifies.  The activation sequence D is not written: the claim holds for every one.

        >>> c = activation_product(sympy.Matrix([[1, 1/n**2], [1/n**3, 1]]), [1, 0])
        >>> ActivationProductCertificate.from_json(c.to_json(), D=[1, 0]).partial(2) == c.partial(2)
        True
        """
        return _product_json(self, None, None, "")

    @classmethod
    def from_json(cls, data: Any, D: Any = None) -> "ActivationProductCertificate":
        """Inverse of :meth:`to_json`; ``D`` as for :func:`activation_product` (default: every D_n = I)."""
        data, F, witnesses = _read_product(data, "T3")
        if data["nonsingular"] is not None or data["singular_at"] is not None:
            raise ValueError("product certificate JSON: T3 claims nothing about nonsingularity")
        product = ProductCertificate(A=F.W, start=F.start, verdict=data["verdict"], reason=data["reason"],
                                     witnesses=witnesses, _family=F)
        return cls(W=F.W, start=F.start, verdict=data["verdict"], reason=data["reason"], witnesses=witnesses,
                   D=_activation_sequence([1] * F.width if D is None else D, F.width), _family=F, _product=product)


def _activation_sequence(D: Any, m: int) -> Callable:
    """Normalise D to a function k -> diagonal (a 0/1 tuple).

    Accepted: a function k -> D_k; a constant activation matrix given as its
    diagonal (a list of 0/1) or as a sympy/numpy matrix; or a list of diagonals
    (or matrices) used periodically, D_k = D[k % len(D)].  A nested list of
    numbers is always read as a periodic list of diagonals, never as a matrix.
    """
    def diagonal(d: Any, where: str) -> tuple:
        if isinstance(d, sympy.MatrixBase) or (hasattr(d, "ndim") and getattr(d, "ndim", 0) == 2):
            rows = [list(r) for r in (d.tolist())]
            if len(rows) != m or any(len(r) != m for r in rows):
                raise ValueError(f"{where}: activation matrix must be {m} x {m}")
            if any(rows[i][j] != 0 for i in range(m) for j in range(m) if i != j):
                raise ValueError(f"{where}: activation matrix must be diagonal")
            d = [rows[i][i] for i in range(m)]
        if isinstance(d, (str, bytes)) or not hasattr(d, "__len__"):
            raise ValueError(f"{where}: expected an activation matrix (a 0/1 diagonal), got {d!r}")
        d = list(d)
        if len(d) != m or any(isinstance(v, bool) or v not in (0, 1) for v in d):
            raise ValueError(f"{where}: an activation matrix is a diagonal of {m} entries 0 or 1, got {d}")
        return tuple(int(v) for v in d)

    if callable(D) and not isinstance(D, sympy.MatrixBase):
        return lambda k: diagonal(D(k), f"D({k})")
    if isinstance(D, sympy.MatrixBase) or (hasattr(D, "ndim") and getattr(D, "ndim", 0) == 2):
        const = diagonal(D, "D")
        return lambda k: const
    if isinstance(D, (str, bytes)) or not hasattr(D, "__len__") or len(D) == 0:
        raise ValueError("D must be an activation matrix, a nonempty list of them, or a function k -> D")
    seq = list(D)
    if not hasattr(seq[0], "__len__"):  # a single diagonal
        const = diagonal(seq, "D")
        return lambda k: const
    period = [diagonal(d, f"D[{i}]") for i, d in enumerate(seq)]
    return lambda k: period[k % len(period)]


def activation_product(W: Any, D: Any, start: int = 1) -> ActivationProductCertificate:
    """Certify by T3 that D_K W_K ... D_start W_start converges (for every activation sequence).

    ``D`` is a constant activation matrix (its 0/1 diagonal or the matrix), a list
    of them used periodically (D_k = D[k % len(D)]), or a function k -> D_k.

    >>> cert = activation_product(sympy.Matrix([[1, 1/n**2], [1/n**3, 1]]), [1, 0])
    >>> cert.verdict, cert.theorem
    ('converges', 'T3')
    >>> cert.partial(2)
    ((Fraction(1, 1), Fraction(1, 1)), (Fraction(0, 1), Fraction(0, 1)))
    """
    F = _matrix_family(W, start, "W")
    seq = _activation_sequence(D, F.width)
    witnesses, reason = _series_evidence(F)
    verdict = "inconclusive" if reason else "converges"
    if not reason:
        reason = "sum_n ||W_n - I|| < oo, so the product converges for every activation sequence (T3)"
    product = ProductCertificate(A=F.W, start=F.start, verdict=verdict, reason=reason, witnesses=witnesses, _family=F)
    cert = _kernel_checked(ActivationProductCertificate(
        W=F.W, start=F.start, verdict=verdict, reason=reason, witnesses=witnesses, D=seq, _family=F, _product=product
    ))
    product.verdict, product.reason = cert.verdict, cert.reason
    return cert
