"""Tests for infinite products of matrices (T2) and activation products (T3)."""

from fractions import Fraction

import flint
import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.depth import products
from exactrelu.depth.family import Family, n
from exactrelu.depth.products import activation_product, exp_upper, infinite_product


def norm(M):
    """Max-row-sum norm of a tuple-of-tuples of Fractions, exactly."""
    return max(sum(abs(v) for v in row) for row in M)


def diff(A, B):
    return tuple(tuple(a - b for a, b in zip(ra, rb)) for ra, rb in zip(A, B))


def arb_of(q):
    return flint.arb(flint.fmpq(q.numerator, q.denominator))


# 2x2, non-commuting: A(1) A(2) != A(2) A(1) (checked below)
A2 = sympy.Matrix([[1, 1 / n**2], [1 / n**3, 1 - 1 / (n + 1) ** 2]])


@pytest.fixture(scope="module")
def cert2():
    return infinite_product(A2)


# ------------------------------------------------------------ exact exp bound
@given(st.fractions(min_value=0, max_value=40, max_denominator=1000))
@settings(max_examples=60)
def test_exp_upper_is_an_upper_bound(x):
    u = exp_upper(x)
    assert isinstance(u, Fraction)
    e = arb_of(x).exp()  # rigorous ball: u > every point of it
    assert arb_of(u) >= e  # rigorous: u >= every point of the ball (equal only at x = 0)
    # and it is tight: 1/(1-y) overshoots exp(y) by about y^2/2 for y = x/2^j <= 2^-24, and j squarings
    # multiply that by 2^j, so the relative excess is about x y / 2 <= x 2^-25 < 2^-19 for x <= 40
    # (2^-20 failed at x = 32)
    assert arb_of(u) < e * (1 + flint.arb(2) ** -19)


def test_exp_upper_rejects_negative():
    with pytest.raises(ValueError):
        exp_upper(Fraction(-1))


# ------------------------------------------------------------ scalar products with closed forms
def test_prod_one_plus_inverse_square():
    cert = infinite_product(sympy.Matrix([[1 + 1 / n**2]]))
    assert cert.verdict == "converges" and cert.theorem == "T2"
    assert cert.nonsingular is True
    assert set(cert.witnesses) == {(0, 0)}
    cf = cert.closed_form()
    assert sympy.simplify(cf[0, 0] - sympy.sinh(sympy.pi) / sympy.pi) == 0
    box = cert.enclosure()
    # independent value: sinh(pi)/pi computed directly in ball arithmetic
    assert box[0, 0].overlaps(flint.arb.pi().sinh() / flint.arb.pi())
    assert box[0, 0].rad() < 1e-2


@pytest.mark.parametrize(
    "entry, value",
    [
        # telescoping: prod_{n<=K} (n+1)^2/(n(n+2)) = 2(K+1)/(K+2) -> 2
        ("(n+1)^2/(n*(n+2))", sympy.Integer(2)),
        # Wallis: prod (1 - 1/(4 n^2)) = 2/pi
        ("1 - 1/(4*n^2)", 2 / sympy.pi),
        # the factor at n = 2 is 0, so the product is 0
        ("1 - 4/n^2", sympy.Integer(0)),
    ],
)
def test_closed_forms(entry, value):
    cert = infinite_product([[entry]])
    assert cert.verdict == "converges"
    assert sympy.simplify(cert.closed_form()[0, 0] - value) == 0


def test_telescoping_partial_products_exact():
    cert = infinite_product([["(n+1)^2/(n*(n+2))"]])
    for K in (1, 5, 30):
        assert cert.partial(K) == ((Fraction(2 * (K + 1), K + 2),),)
        # ||P_inf - P_K|| = 2 - 2(K+1)/(K+2) = 2/(K+2) <= bound(K)
        assert Fraction(2, K + 2) <= cert.bound(K)


def test_wrong_closed_form_is_rejected(monkeypatch):
    monkeypatch.setattr(products, "_diagonal_product", lambda d, s: sympy.Integer(3))
    cert = infinite_product(sympy.Matrix([[1 + 1 / n**2]]))
    assert cert.closed_form() is None


@pytest.mark.parametrize("start", [1, 2])
def test_commuting_closed_form(start):
    # A(n) = I + B/n^2 with B = [[0, 1], [1, 0]] = S diag(1, -1) S^-1, S = [[1, 1], [1, -1]]:
    # the limit is S diag(a, b) S^-1 = (1/2) [[a + b, a - b], [a - b, a + b]] with
    # a = prod_{n>=start} (1 + 1/n^2) = sinh(pi)/pi / (1 + 1/1^2 if start = 2 else 1) and
    # b = prod_{n>=start} (1 - 1/n^2) = 0 for start = 1 (the factor at n = 1), 1/2 for start = 2
    # (telescoping: prod_{n=2..K} (n-1)(n+1)/n^2 = (K+1)/(2K)).
    cert = infinite_product(sympy.Matrix([[1, 1 / n**2], [1 / n**2, 1]]), start=start)
    a = sympy.sinh(sympy.pi) / sympy.pi / (2 if start == 2 else 1)
    b = sympy.Rational(1, 2) if start == 2 else 0
    want = sympy.Matrix([[a + b, a - b], [a - b, a + b]]) / 2
    got = cert.closed_form()
    assert (got - want).applyfunc(sympy.simplify) == sympy.zeros(2, 2)


def test_no_closed_form_for_non_diagonal(cert2):
    assert cert2.closed_form() is None


# ------------------------------------------------------------ the tail bound, exactly and at depth
def test_non_commuting_example(cert2):
    P1, P2 = (sympy.Matrix(A2.subs(n, k)) for k in (1, 2))
    assert P1 * P2 != P2 * P1
    assert cert2.verdict == "converges" and cert2.nonsingular is True
    assert set(cert2.witnesses) == {(0, 1), (1, 0), (1, 1)}
    text = cert2.explain()
    assert "converges (T2)" in text and "entry (1, 0)" in text and "nonsingular limit: True" in text


def test_partial_products_respect_bound_exactly(cert2):
    M = cert2.norm_bound()
    parts = {K: cert2.partial(K) for K in (0, 3, 10, 40, 120)}
    assert parts[0] == ((1, 0), (0, 1))
    for K, P in parts.items():
        assert norm(P) <= M  # ||P_K|| <= M (T2)
        for K2, P2 in parts.items():
            if K2 > K:
                assert norm(diff(P2, P)) <= cert2.bound(K)
    # bound(K) is the T2 formula M * tail(K) (rounded up) and decreases
    assert cert2.bound(10) >= M * cert2.tail(10)
    assert cert2.bound(40) < cert2.bound(10)


def _mp_partial(A, start, K):
    f = sympy.lambdify(n, A, "mpmath")
    P = mpmath.eye(A.rows)
    for k in range(start, K + 1):
        P = mpmath.matrix(f(mpmath.mpf(k))) * P
    return P


def test_bound_at_large_depth_with_mpmath(cert2):
    with mpmath.workdps(40):
        P_K = _mp_partial(A2, 1, 2000)
        P_K2 = _mp_partial(A2, 1, 8000)
        d = max(sum(abs(P_K2[i, j] - P_K[i, j]) for j in range(2)) for i in range(2))
        b = cert2.bound(2000)
        assert d <= mpmath.mpf(b.numerator) / b.denominator
        assert d > 0


def test_enclosure_contains_partial_products(cert2):
    box = cert2.enclosure(K=3000)
    K2 = 150
    P = cert2.partial(K2)
    r = cert2.bound(K2)
    for i in range(2):
        for j in range(2):
            # P_K2 lies within bound(K2) of the limit, which lies in the box
            widened = box[i, j] + flint.arb(0, f"{r.numerator}/{r.denominator}")
            assert widened.contains(arb_of(P[i][j]))
    other = cert2.enclosure(prec=20)
    assert all(box[i, j].overlaps(other[i, j]) for i in range(2) for j in range(2))


def test_depth_for(cert2):
    tol = Fraction(1, 100)
    K = cert2.depth_for(tol)
    assert cert2.bound(K) <= tol < cert2.bound(K - 1)


# ------------------------------------------------------------ nonsingularity
def test_singular_factor_detected():
    A = sympy.Matrix([[1, 9 / n**2], [9 / n**2, 1]])  # det = 1 - 81/n^4 = 0 at n = 3
    cert = infinite_product(A)
    assert cert.verdict == "converges"
    assert cert.nonsingular is False and cert.singular_at == 3
    P3 = cert.partial(3)
    assert flint.fmpq_mat(2, 2, [flint.fmpq(v.numerator, v.denominator) for r in P3 for v in r]).det() == 0
    assert cert.enclosure(K=2000).det().contains(0)
    later = infinite_product(A, start=4)
    assert later.nonsingular is True and later.singular_at is None
    P10 = later.partial(10)
    assert flint.fmpq_mat(2, 2, [flint.fmpq(v.numerator, v.denominator) for r in P10 for v in r]).det() != 0


def test_singular_detected_without_rational_determinant():
    cert = infinite_product([["1 + (-1)^n/n^2"]])  # the factor at n = 1 is 0
    assert cert.nonsingular is False and cert.singular_at == 1
    assert cert.enclosure()[0, 0].contains(0)


# ------------------------------------------------------------ inconclusive cases
def test_not_summable_is_inconclusive():
    cert = infinite_product(sympy.Matrix([[1 + 1 / n, 0], [0, 1]]))
    assert cert.verdict == "inconclusive"
    assert "entry (0, 0)" in cert.reason and "not summable" in cert.reason
    with pytest.raises(ValueError, match="not certified"):
        cert.bound(10)
    with pytest.raises(ValueError, match="not certified"):
        cert.enclosure()


def test_poles_make_it_inconclusive():
    cert = infinite_product([["1 + 1/(n-2)^2"]])
    assert cert.verdict == "inconclusive" and "n = 2" in cert.reason
    later = infinite_product([["1 + 1/(n-2)^2"]], start=3)
    assert later.verdict == "converges"


def test_family_input_and_bad_K():
    F = Family([["1 + 1/n^2", "0"], ["0", "1"]], ["1", "0"], start=2)
    cert = infinite_product(F)
    assert cert.start == 2 and cert.verdict == "converges"
    assert cert.partial(1) == ((1, 0), (0, 1))
    with pytest.raises(ValueError, match="K must be"):
        cert.partial(0)


def test_irrational_entries_enclosure():
    cert = infinite_product([["1 + sqrt(2)/n^2"]])
    assert cert.verdict == "converges"
    assert "not re-verified by the kernel" in cert.reason  # irrational values: outside the kernel's language, said so
    box = cert.enclosure()
    # independent: finite product to 20000 with mpmath, then the tail is at most 1e-3 in relative size
    with mpmath.workdps(30):
        p = mpmath.mpf(1)
        for k in range(1, 4001):
            p *= 1 + mpmath.sqrt(2) / k**2
    assert abs(float(box[0, 0].mid()) - float(p)) < 5e-3


# ------------------------------------------------------------ T3 activation products
W3 = sympy.Matrix([[1, 1 / n**2], [1 / n**3, 1]])


def test_activation_product_constant_and_identity():
    full = activation_product(W3, [1, 1])
    assert full.verdict == "converges" and full.theorem == "T3"
    assert full.partial(25) == infinite_product(W3).partial(25)
    same = activation_product(W3, sympy.diag(1, 1))
    assert same.partial(5) == full.partial(5)


def test_activation_reset_rows_tend_to_zero():
    # row 1 is reset at every even k; after a reset at j, |row 1 of P_K| <= M * tail(j) (T3 proof)
    cert = activation_product(W3, [[1, 0], [1, 1]])  # D_k = D[k % 2]: k even -> diag(1, 0)
    M = cert.norm_bound()
    for K in (10, 11, 40, 41):
        P = cert.partial(K)
        j = K if K % 2 == 0 else K - 1
        assert sum(abs(v) for v in P[1]) <= M * cert.tail(j)
    assert cert.partial(10)[1] == (0, 0)


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=4), st.integers(0, 30))
@settings(max_examples=25)
def test_activation_products_bounded_by_M(period, K):
    cert = activation_product(W3, [list(d) for d in period])
    assert norm(cert.partial(K)) <= cert.norm_bound()


def test_activation_function_and_errors():
    cert = activation_product(W3, lambda k: (1, int(k % 3 != 0)))
    assert cert.activation(3) == (1, 0) and cert.activation(4) == (1, 1)
    with pytest.raises(ValueError, match="0 or 1"):
        activation_product(W3, [1, 2])
    with pytest.raises(ValueError, match=r"D\(3\): .*0 or 1"):
        activation_product(W3, lambda k: (1, k % 3 != 0)).activation(3)  # booleans are refused
    with pytest.raises(ValueError, match="diagonal"):
        activation_product(W3, sympy.Matrix([[1, 1], [0, 1]]))
    with pytest.raises(ValueError, match="nonempty"):
        activation_product(W3, [])
    bad = activation_product(sympy.Matrix([[1 + 1 / n]]), [1])
    assert bad.verdict == "inconclusive"


# ------------------------------------------------------------ T2/T3 in the kernel (exactrelu.check)
def _refused(data, match: str) -> None:
    import time

    from exactrelu.kernel.checker import CertificateError, check

    t = time.perf_counter()
    with pytest.raises(CertificateError, match=match):
        check(data)
    assert time.perf_counter() - t < 2.0


def test_product_certificates_round_trip_and_are_checked_by_the_kernel(tmp_path):
    import json

    from exactrelu import check
    from exactrelu.depth.products import ActivationProductCertificate, ProductCertificate

    cert = infinite_product([["1", "1/n^2"], ["0", "1 - 1/(n + 1)^2"]])
    data = cert.to_json()
    assert (data["format"], data["theorem"], data["nonsingular"]) == ("exactrelu.product-certificate", "T2", True)
    assert check(cert) and check(data) and check(json.dumps(data))
    path = tmp_path / "product.json"
    path.write_text(json.dumps(data))
    back = ProductCertificate.from_json(path)
    assert back.to_json() == data and back.bound(50) == cert.bound(50)
    singular = infinite_product([["1", "0"], ["0", "1 - 4/n^2"]])
    assert (singular.nonsingular, singular.singular_at) == (False, 2) and check(singular)
    t3 = activation_product(W3, [1, 0])
    assert t3.to_json()["theorem"] == "T3" and check(t3)
    assert ActivationProductCertificate.from_json(t3.to_json()).partial(3) == activation_product(W3, [1, 1]).partial(3)
    lost = infinite_product([["1 + 1/n"]])
    assert lost.verdict == "inconclusive" and check(lost)  # claims nothing


def test_forged_product_certificates_are_refused():
    import copy

    data = infinite_product([["1", "1/n^2"], ["0", "1 - 1/(n + 1)^2"]]).to_json()
    forged = copy.deepcopy(data)
    forged["subject"]["A"][0][1] = "1/n"  # a different (divergent) entry under the same series
    _refused(forged, "canonical forms differ")
    forged = copy.deepcopy(data)
    forged["witnesses"][0]["series"]["term"] = {"op": "Pow", "args": ["n", -3]}  # forged series term
    _refused(forged, "canonical forms differ")
    forged = copy.deepcopy(data)
    forged["witnesses"].pop()  # a missing entry
    _refused(forged, "no summability certificate for entries")
    forged = copy.deepcopy(data)
    forged["witnesses"].append(copy.deepcopy(forged["witnesses"][0]))  # a repeated entry
    _refused(forged, "unexpected or repeated entry")
    for verdict, match in (("diverges", "proves 'converges'"), ("maybe", "unknown verdict")):
        _refused({**data, "verdict": verdict}, match)
    _refused({**data, "version": True}, "version")
    _refused({**data, "extra": 1}, "keys must be exactly")
    _refused({**data, "theorem": "T4"}, "bad theorem")
    _refused({**data, "theorem": "T3"}, "unknown witness 'nonsingular'")  # T3 claims nothing about det
    _refused({**data, "subject": {**data["subject"], "b": ["0", "0"]}}, "exactly A")
    _refused({**data, "subject": {"A": [["1 + 1/n^2", "0"]], "start": 1}}, "square")
    _refused({**data, "witnesses": {}}, "expected a list")
    _refused({**data, "nonsingular": "yes"}, "expected a bool")
    # the nonsingularity claim is re-derived: det A(n) = 1 - 4/n^2 vanishes at n = 2
    singular = infinite_product([["1", "0"], ["0", "1 - 4/n^2"]]).to_json()
    _refused({**singular, "nonsingular": True, "singular_at": None},
             r"det A_n != 0 .* not proven \(det A_n = 0 at n = 2\)")
    _refused({**singular, "singular_at": 3}, "A_3 is not singular")
    _refused({**singular, "singular_at": 10**6}, "singular_at = k with start <= k")
    _refused({**data, "nonsingular": False, "singular_at": 1}, "A_1 is not singular")
    _refused({**data, "nonsingular": None, "singular_at": 2}, "singular_at without")


def test_family_and_product_rules_do_not_mix():
    from exactrelu.depth.certifier import certify

    t4 = certify(Family([["1 + 1/n^2"]], ["1/n^2"])).to_json()
    assert t4["theorem"] == "T4"
    # W - I summable says nothing about a family whose bias does not vanish: T2 is no family rule
    diverging = {**t4["subject"], "b": ["1"]}
    _refused({**t4, "theorem": "T2", "subject": diverging, "witnesses": {"A_series": t4["witnesses"]["W_series"]}},
             "rule of product")
    data = infinite_product([["1 + 1/n^2"]]).to_json()
    _refused({**t4, "format": data["format"]}, "keys must be exactly")  # a family certificate is no product one
    from exactrelu import check

    identity = {**data, "subject": {"A": [["1"]], "start": 1}, "witnesses": []}  # A_n - I = 0: nothing to certify
    assert check(identity)


def test_unconfirmed_nonsingularity_becomes_undecided():
    from exactrelu import check

    rows = [["1 + 1/n^2" if i == j == 0 else ("1" if i == j else "0") for j in range(6)] for i in range(6)]
    cert = infinite_product(rows)  # sympy decides det A(n) = 1 + 1/n^2 != 0; the kernel expands det only up to 5 x 5
    assert cert.verdict == "converges" and cert.nonsingular is None and check(cert)
    assert "the kernel did not confirm" in cert.nonsingular_reason and "5 x 5" in cert.nonsingular_reason
