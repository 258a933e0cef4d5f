"""Tests for exactrelu.depth.series and exactrelu.depth.series_check.

Expected verdicts come from classical facts, derived in the comments
(p-series, geometric series, Stirling), never from running the code.  Tail
bounds are compared with exact partial sums plus mpmath's nsum for the rest;
mutated certificates must fail the exact check.
"""

import json
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.depth.series import SeriesCertificate, entrywise_summability, n, summability, summable_sum
from exactrelu.depth.series_check import Term, check_series_certificate, term_from_tree, term_to_tree

R = sympy.Rational
fact, binom = sympy.factorial, sympy.binomial

# (term, start, verdict, method or None for "any"); the reasons:
CASES = [
    (1 / n**2, 1, "summable", "comparison"),  # p-series, p = 2
    (1 / (n**2 - 3 * n + 1), 3, "summable", "comparison"),  # ~ 1/n^2; roots (3 +- sqrt 5)/2 < 3
    (1 / (n**2 - 3 * n + 1), 1, "summable", "comparison"),  # same tail; no integer pole
    (n**3 / 2**n, 1, "summable", "ratio"),  # ratio (1 + 1/n)^3 / 2 -> 1/2
    (fact(n) / n**n, 1, "summable", "ratio"),  # ratio (n/(n+1))^n -> 1/e
    (1 / n, 1, "not summable", "lower bound"),  # harmonic series
    (n / (n**2 + 1), 1, "not summable", "lower bound"),  # ~ 1/n
    (1 / n ** R(3, 2), 1, "summable", "comparison"),  # p = 3/2
    ((-1) ** n / n**2, 1, "summable", "comparison"),  # |a| = 1/n^2
    (2**n / n**5, 1, "not summable", "limit not zero"),  # -> infinity
    (R(1, 2) ** n, 1, "summable", "ratio"),  # geometric
    (1 / (n * (n + 1)), 1, "summable", "comparison"),  # telescoping, ~ 1/n^2
    (sympy.Integer(0), 1, "summable", "comparison"),  # trivially
    ((-1) ** n / n, 1, "not summable", "lower bound"),  # not absolutely summable
    (-3 / n, 2, "not summable", "lower bound"),  # a negative harmonic tail
    (1 / sympy.sqrt(n), 1, "not summable", "lower bound"),  # p = 1/2 <= 1
    (sympy.sqrt(n) / (n**2 + 1), 1, "summable", "comparison"),  # ~ n^(-3/2)
    (3**n / fact(n), 1, "summable", "ratio"),  # ratio 3/(n+1) -> 0
    (n**n / fact(n), 1, "not summable", "limit not zero"),  # ~ e^n / sqrt(2 pi n)
    ((1 + 1 / n) ** n, 1, "not summable", "limit not zero"),  # -> e
    ((1 + 1 / n) ** n / n**2, 1, "summable", "comparison"),  # <= e / n^2
    (2**n * fact(n) / n**n, 1, "summable", "ratio"),  # ratio -> 2/e < 1
    (3**n * fact(n) / n**n, 1, "not summable", "limit not zero"),  # ratio -> 3/e > 1
    (fact(n) ** 2 / fact(2 * n), 1, "summable", "ratio"),  # ratio -> 1/4
    (binom(2 * n, n) / 4**n, 1, "not summable", "lower bound"),  # ~ 1/sqrt(pi n)
    (binom(2 * n, n) / (4**n * n), 1, "summable", "comparison"),  # ~ n^(-3/2)/sqrt(pi)
    (sympy.sqrt(2) / n**3, 1, "summable", "comparison"),
    (5 * n**2 - 7, 1, "not summable", "limit not zero"),  # polynomial, unbounded
    (R(-7, 3), 1, "not summable", "limit not zero"),  # nonzero constant
    ((-2) ** n / 3**n, 1, "summable", "ratio"),  # |ratio| = 2/3
    (n**2 / (n**3 - 10), 3, "not summable", "lower bound"),  # pole 10^(1/3) < 3, ~ 1/n
    (1 / n ** R(3, 2) + 1 / n**2, 1, "summable", "sum"),  # both parts p-series with p > 1
    (sympy.sqrt(2) / n + 1 / n**2, 1, "not summable", "sum"),  # sqrt(2)/n diverges, 1/n^2 does not
    (sympy.exp(-n), 1, "summable", "ratio"),  # ratio 1/e
    (n**5 * sympy.exp(-n), 1, "summable", "ratio"),  # ratio (1+1/n)^5 / e -> 1/e
    (sympy.exp(n) / n**10, 1, "not summable", "limit not zero"),  # -> infinity
    (sympy.exp(2) / n**2, 1, "summable", "comparison"),  # e^2 p-series
    (2**n * sympy.exp(-n), 1, "summable", "ratio"),  # ratio 2/e < 1
    (3**n * sympy.exp(-n), 1, "not summable", "limit not zero"),  # ratio 3/e > 1
]


@pytest.mark.parametrize("term,start,verdict,method", CASES, ids=[str(c[0]) + f"@{c[1]}" for c in CASES])
def test_verdicts(term, start, verdict, method):
    cert = summability(term, start)
    assert (cert.verdict, cert.method) == (verdict, method), cert.reason
    assert cert.verify() is True
    assert cert.witnesses["N"] >= start
    # JSON round trip, through text, checks again and keeps everything
    back = SeriesCertificate.from_json(json.dumps(cert.to_json()))
    assert back.term == cert.term and back.witnesses == cert.witnesses and back.verdict == cert.verdict
    assert check_series_certificate(back)


@pytest.mark.parametrize("term", [1 / (n * sympy.log(n)), sympy.sin(1 / n), sympy.exp(-n**2), sympy.log(n) / n**2,
                                  1 / n ** R(3, 2) + sympy.log(n) / n**2, sympy.pi**n / fact(n)])
def test_inconclusive_never_guesses(term):
    cert = summability(term, 2)
    assert cert.verdict == "inconclusive" and cert.method is None and cert.reason
    assert cert.verify()
    with pytest.raises(ValueError):
        cert.tail_bound(5)


@pytest.mark.parametrize("term,start", [(1 / (n - 2), 1), (1 / (n**2 - 9), 2), (sympy.sqrt(n - 5), 1),
                                        (fact(n - 3), 1), ((n - 4) ** n, 1)])
def test_undefined_terms_raise(term, start):
    with pytest.raises(ValueError):
        summability(term, start)


def test_bad_input():
    with pytest.raises(ValueError):
        summability("1/n**2")  # strings would need eval; refused
    with pytest.raises(ValueError):
        summability(1 / n**2, start=0)
    with pytest.raises(ValueError):
        summability(sympy.Symbol("m") ** -2)
    with pytest.raises(ValueError):
        summability(sympy.Float(0.5) ** n)  # floats are not exact
    # a plain Symbol("n") is accepted and normalised
    assert summability(1 / sympy.Symbol("n") ** 3).verdict == "summable"


# ---------------------------------------------------------------- tail bounds

SUMMABLE = [c for c in CASES if c[2] == "summable"]


def _mp_abs(term):
    f = sympy.lambdify(n, term, modules="mpmath")
    return lambda k: abs(f(mpmath.mpf(k)))


@pytest.mark.parametrize("term,start,verdict,method", SUMMABLE, ids=[str(c[0]) for c in SUMMABLE])
def test_tail_bounds_bound_the_tail(term, start, verdict, method):
    # true tail = sum_{K < k <= K2} |a(k)| (term by term, 30 digits, via sympy's lambdify, not our
    # Term code) + mpmath.nsum from K2 + 1 on; the exact bound must exceed it.
    cert = summability(term, start)
    N = cert.witnesses["N"]
    f = _mp_abs(term)
    Ks = sorted({start - 1, start, N - 1, N, N + 7})
    K2 = max(Ks) + 40
    with mpmath.workdps(30):
        values = {k: (f(k) if term != 0 else mpmath.mpf(0)) for k in range(start, K2 + 1)}
        rest = mpmath.nsum(f, [K2 + 1, mpmath.inf]) if term != 0 else mpmath.mpf(0)
        for K in Ks:
            if K < start - 1:
                continue
            true_tail = mpmath.fsum(values[k] for k in range(K + 1, K2 + 1)) + rest
            bound = cert.tail_bound(K)
            assert isinstance(bound, Fraction)
            assert true_tail <= mpmath.mpf(bound.numerator) / bound.denominator * (1 + mpmath.mpf(10) ** -20)


def test_tail_bound_values_by_hand():
    # 1/n^2 with C = 1, p = 2: tail after K is at most 1/K.
    assert summability(1 / n**2).tail_bound(10) == Fraction(1, 10)
    # (1/2)^n with r = 1/2: tail after K is (1/2)^(K+1) / (1/2) = 2^-K, exactly the true tail.
    assert summability(R(1, 2) ** n).tail_bound(5) == Fraction(1, 32)
    # 0: nothing to sum
    assert summability(sympy.Integer(0)).tail_bound(3) == 0
    # 1/n^(3/2), C = 1, p = 3/2: bound 2/sqrt(K), rounded up; for K = 4 it is 1 (+ rounding)
    b = summability(n ** R(-3, 2)).tail_bound(4)
    assert 1 <= b <= 1 + Fraction(1, 2**60)


# --------------------------------------------------------------- mutations


def _mutant(cert, **changes):
    w = dict(cert.witnesses)
    term = changes.pop("term", cert.term)
    w.update(changes)
    return SeriesCertificate(term, cert.start, cert.verdict, cert.method, w, cert.reason)


def _fails(cert):
    with pytest.raises(ValueError):
        check_series_certificate(cert)


def test_mutated_comparison_fails():
    cert = summability(1 / n**2)
    assert cert.witnesses["C"] == 1 and cert.witnesses["N"] == 1  # 1/n^2 <= 1 * n^-2, tight at every n
    _fails(_mutant(cert, C=Fraction(99, 100)))  # fails at n = 1
    _fails(_mutant(cert, p=Fraction(21, 10)))  # n^(1/10) is unbounded
    _fails(_mutant(cert, term=1 / n))
    _fails(_mutant(cert, term=2 / n**2))
    _fails(_mutant(cert, p=Fraction(1)))  # p must exceed 1
    _fails(_mutant(cert, C=1.0))  # floats are not exact witnesses
    # N smaller than found: the found N is least, so N - 1 must fail
    c2 = summability(1 / (n**2 - 3 * n + 1), 3)
    assert c2.witnesses["N"] > 3
    _fails(_mutant(c2, N=c2.witnesses["N"] - 1))
    _fails(_mutant(c2, N=2))  # below start


def test_mutated_ratio_fails():
    cert = summability(n**3 / 2**n)
    assert cert.method == "ratio"
    _fails(_mutant(cert, r=Fraction(1, 2)))  # ratio (1+1/n)^3/2 > 1/2 for every n
    _fails(_mutant(cert, r=Fraction(1)))
    _fails(_mutant(cert, term=n**3 / R(3, 2) ** n))  # ratio -> 2/3 > r? r is close to 1/2
    c2 = summability(fact(n) / n**n)
    _fails(_mutant(c2, r=Fraction(1, 3)))  # ratio (n/(n+1))^n -> 1/e > 1/3
    _fails(_mutant(c2, term=fact(n) * 3**n / n**n))


def test_mutated_divergence_fails():
    cert = summability(1 / n)
    _fails(_mutant(cert, c=Fraction(11, 10)))  # 1/n < 1.1/n
    _fails(_mutant(cert, term=1 / n**2))
    _fails(_mutant(cert, sign=-1))
    cert = summability(2**n / n**5)
    assert cert.witnesses.get("monotone") == 1
    _fails(_mutant(cert, c=Fraction(1)))  # |a(N)| = 2^N / N^5 < 1 at the found N
    _fails(_mutant(cert, N=1))  # 2^1/1 > 2^2/32: not increasing from 1
    _fails(_mutant(cert, term=R(3, 2) ** n / n**5 / 10**6))
    # wrong verdict/method pairs are refused
    bad = SeriesCertificate(1 / n, 1, "summable", "lower bound", dict(cert.witnesses), "")
    _fails(bad)


def test_mutated_monotone_comparison_fails():
    cert = summability(binom(2 * n, n) / (4**n * n))
    assert cert.method == "comparison" and cert.witnesses.get("monotone") == 1
    _fails(_mutant(cert, C=cert.witnesses["C"] / 2))
    _fails(_mutant(cert, p=Fraction(3, 2)))  # exactly the decay rate: the ratio bound fails
    _fails(_mutant(cert, term=binom(2 * n, n) / 4**n))


# ------------------------------------------------------- random families


@settings(max_examples=25)
@given(st.lists(st.integers(-4, 4), min_size=1, max_size=4).filter(lambda c: c[-1] != 0),
       st.lists(st.integers(-4, 4), min_size=1, max_size=5).filter(lambda c: c[-1] != 0))
def test_rational_functions_decided(num, den):
    # P/Q is summable iff deg Q - deg P >= 2 (comparison with the p-series).
    P = sum(c * n**i for i, c in enumerate(num))
    Q = sum(c * n**i for i, c in enumerate(den))
    roots = [r for r in sympy.Poly(Q, n).real_roots()]
    start = max([1] + [int(sympy.floor(r)) + 1 for r in roots])
    cert = summability(P / Q, start)
    expected = "summable" if len(den) - len(num) >= 2 else "not summable"
    if P == 0 or sympy.cancel(P / Q) == 0:
        expected = "summable"
    assert cert.verdict == expected
    assert cert.verify()


@settings(max_examples=20)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=3).filter(lambda c: c[-1] != 0),
       st.fractions(min_value=-3, max_value=3, max_denominator=4).filter(lambda r: r != 0))
def test_polynomial_times_geometric(coeffs, r):
    # P(n) r^n is summable iff |r| < 1 (P nonzero); for |r| = 1 it is a polynomial: never summable.
    P = sum(c * n**i for i, c in enumerate(coeffs))
    cert = summability(P * R(r.numerator, r.denominator) ** n, 1 + len(coeffs) * 3)
    assert cert.verdict == ("summable" if abs(r) < 1 else "not summable")
    assert cert.verify()


TERMS = [1 / (n**2 - 3 * n + 1), n ** R(3, 2) / (n**3 + 2), fact(2 * n) / fact(n) ** 2 / 5**n,
         (1 + 1 / n) ** n * (-1) ** n, sympy.sqrt(3) * n**n / fact(n + 1), binom(3 * n, n) / 7**n]


@pytest.mark.parametrize("term", TERMS)
def test_term_parser_matches_sympy_values(term):
    # |a(k)|^q from the parsed Term equals sympy's exact value, so the checker reasons about the
    # same function as the user wrote.
    t = Term.from_sympy(term)
    for k in range(3, 9):
        exact = sympy.nsimplify(sympy.Abs(term.subs(n, k)) ** t.q)
        exact = sympy.radsimp(sympy.expand(exact))
        assert exact.is_Rational, exact
        assert t.abs_power_q(k) == Fraction(int(exact.p), int(exact.q))
        lo, hi = t.abs_lower(k), t.abs_upper(k)
        assert lo <= hi and lo**t.q <= t.abs_power_q(k) <= hi**t.q


# ------------------------------------------------------ JSON and sums


def test_json_tree_is_safe():
    tree = term_to_tree(fact(n) * sympy.sqrt(n) / (2**n + n))
    assert term_from_tree(json.loads(json.dumps(tree))) == fact(n) * sympy.sqrt(n) / (2**n + n)
    for bad in ({"op": "__import__", "args": ["os"]}, {"op": "Pow", "args": [10, 10**9]},
                {"op": "factorial", "args": [10**7]}, "m", 1.5, {"rational": "1/0"}, True, {"op": "Add"}):
        with pytest.raises(ValueError):
            term_from_tree(bad)
    with pytest.raises(ValueError):
        SeriesCertificate.from_json({"format": "other"})


def test_series_json_goes_through_the_one_envelope(tmp_path):
    # issue 7: "version": true and unknown keys used to be accepted by SeriesCertificate.from_json
    from exactrelu.depth.series import SeriesSum

    data = summability(1 / n**2).to_json()
    assert list(data)[:2] == ["format", "version"]
    for bad, match in (({**data, "version": True}, "version"), ({**data, "version": 2}, "version"),
                       ({**data, "versoin": 1}, "unknown key 'versoin'"), ({**data, "format": "exactrelu.other"}, "format"),
                       ({k: v for k, v in data.items() if k != "term"}, "missing key 'term'"),
                       ({**data, "witnesses": ["C"]}, "witnesses must be an object")):
        with pytest.raises(ValueError, match=match):
            SeriesCertificate.from_json(bad)
    part = {**data, "parts": [{**data, "version": True}]}
    with pytest.raises(ValueError, match="version"):
        SeriesCertificate.from_json(part)
    path = tmp_path / "series.json"
    path.write_text(json.dumps(data))
    assert SeriesCertificate.from_json(path) == SeriesCertificate.from_json(json.dumps(data))
    total = summable_sum([1 / n**2]).to_json()
    for bad in ({**total, "version": True}, {**total, "extra": 1}, {**total, "certificates": {}}):
        with pytest.raises(ValueError):
            SeriesSum.from_json(bad)
    assert SeriesSum.from_json(json.dumps(total)).verify()


def test_sums_and_matrices():
    s = summable_sum([1 / n**2, R(1, 2) ** n, sympy.Integer(0)])
    assert s.verdict == "summable" and s.verify()
    # 1/K + 2^-K: the parts' bounds add
    assert s.tail_bound(10) == Fraction(1, 10) + Fraction(1, 2**10)
    assert s.total_bound() == s.tail_bound(0)
    assert summable_sum([1 / n**2, 1 / n]).verdict == "not summable"
    assert summable_sum([1 / n**2, sympy.log(n) / n**3]).verdict == "inconclusive"
    m = entrywise_summability(sympy.Matrix([[1 / n**2, 0], [-1 / n**3, 0]]))
    assert m.verdict == "summable" and len(m.certificates) == 2
    from exactrelu.depth.series import SeriesSum

    back = SeriesSum.from_json(json.loads(json.dumps(m.to_json())))
    assert back.verify() and back.tail_bound(3) == m.tail_bound(3)


def test_depth_for_and_checked_tail_bounds():
    for term in (1 / n**2, n**3 / 2**n, 1 / (n**2 - 3 * n + 1)):
        cert = summability(term)
        for tol in (Fraction(1, 10), Fraction(1, 10**4)):
            K = cert.depth_for(tol)
            assert cert.tail_bound(K) <= tol
            if K > cert.start - 1:
                assert cert.tail_bound(K - 1) > tol
    # 1/n^2 with C = 1: tail bound 1/K <= 1/1000 first at K = 1000
    assert summability(1 / n**2).depth_for("1/1000") == 1000
    with pytest.raises(ValueError):
        summability(1 / n**2).depth_for(0)
    # a bogus certificate never yields a tail bound
    bogus = SeriesCertificate(1 / n, 1, "summable", "comparison", {"C": Fraction(1), "p": Fraction(2), "N": 1})
    with pytest.raises(ValueError):
        bogus.tail_bound(10)
    # changing a witness after a bound was computed triggers a new check
    cert = summability(1 / n**2)
    cert.tail_bound(3)
    cert.witnesses["C"] = Fraction(1, 2)
    with pytest.raises(ValueError):
        cert.tail_bound(3)


def test_hostile_sizes_are_refused_quickly():
    for term in ((n**1000 + 1) ** 1000, n ** R(1, 997), fact(5000 * n)):
        assert summability(term).verdict == "inconclusive"


def test_sums_of_terms():
    # 1/n^2 + 2^-n: both parts summable; tail after K <= 1/K + 2^-K (C = 1, r = 1/2 exact).
    cert = summability(1 / n**2 + 2**-n)
    assert (cert.verdict, cert.method) == ("summable", "sum") and len(cert.parts) == 2
    assert cert.tail_bound(10) == Fraction(1, 10) + Fraction(1, 2**10)
    back = SeriesCertificate.from_json(json.dumps(cert.to_json()))
    assert back.verify() and back.tail_bound(10) == cert.tail_bound(10)
    # a common factor 2^-n: together() makes it one hypergeometric term
    assert summability(n**3 / 2**n + n**2 / 2**n).method == "ratio"
    # 1/sqrt(n) diverges and 2^-n converges: |1/sqrt(n)| <= |a| + 2^-n, so the sum diverges
    cert = summability(1 / sympy.sqrt(n) + 2**-n)
    assert (cert.verdict, cert.method) == ("not summable", "sum")
    assert cert.verify()
    with pytest.raises(ValueError):
        cert.tail_bound(3)
    # two divergent parts may cancel: never decided by the triangle inequality
    assert summability(1 / sympy.sqrt(n) - 1 / n ** R(1, 3)).verdict == "inconclusive"


def test_mutated_sums_fail():
    cert = summability(1 / n**2 + 2**-n)
    p0, p1 = sorted(cert.parts, key=lambda p: p.method)  # comparison (1/n^2), ratio (2^-n)
    assert p0.method == "comparison" and p0.witnesses["C"] == 1
    wrong_term = SeriesCertificate(1 / n**2 + 3**-n, 1, "summable", "sum", {"N": 1}, "", cert.parts)
    _fails(wrong_term)
    missing = SeriesCertificate(cert.term, 1, "summable", "sum", {"N": 1}, "", (p0,))
    _fails(missing)
    broken = SeriesCertificate(cert.term, 1, "summable", "sum", {"N": 1}, "", (_mutant(p0, C=Fraction(1, 2)), p1))
    _fails(broken)
    div = summability(1 / sympy.sqrt(n) + 2**-n)
    _fails(SeriesCertificate(div.term, 1, "summable", "sum", {"N": 1}, "", div.parts))
    two_bad = summability(1 / sympy.sqrt(n))
    _fails(SeriesCertificate(1 / sympy.sqrt(n) + 1 / n, 1, "not summable", "sum", {"N": 1}, "",
                             (two_bad, summability(1 / n))))


@given(st.fractions(min_value=-60, max_value=60, max_denominator=50))
def test_exp_bounds_enclose(x):
    from exactrelu.depth.series_check import exp_bounds

    lo, hi = exp_bounds(x)
    with mpmath.workdps(60):
        v = mpmath.exp(mpmath.mpf(x.numerator) / x.denominator)
        assert mpmath.mpf(lo.numerator) / lo.denominator <= v <= mpmath.mpf(hi.numerator) / hi.denominator
        assert (hi - lo) / lo < Fraction(1, 2**55)
    # an independent exact check at x = 1: 2.718 < e < 2.7183 (e = 2.71828...)
    lo, hi = exp_bounds(Fraction(1))
    assert Fraction(2718, 1000) < lo <= hi < Fraction(27183, 10000)


def test_exp_terms_values_and_mutations():
    t = Term.from_sympy(n**2 * sympy.exp(-n / 2 + 1))
    assert (t.eexp, t.econst) == (Fraction(-1, 2), Fraction(1))
    with pytest.raises(ValueError):
        t.abs_power_q(3)  # not rational
    for k in (1, 4, 9):
        lo, hi = t.abs_lower(k), t.abs_upper(k)
        v = mpmath.mpf(k) ** 2 * mpmath.exp(-mpmath.mpf(k) / 2 + 1)
        assert lo <= hi and mpmath.mpf(lo.numerator) / lo.denominator <= v <= mpmath.mpf(hi.numerator) / hi.denominator
    cert = summability(sympy.exp(-n))
    # e^-1 = 0.3678..., so r = 0.36 < 1/e must fail; and the same witnesses do not prove e^(-n/2)
    _fails(_mutant(cert, r=Fraction(36, 100)))
    _fails(_mutant(cert, term=sympy.exp(-n / 2)))


# --------------------------------------- witnesses hold numerically (independent)

_BLOCKS = st.sampled_from([
    n, n + 3, 2 * n + 1, n**2 + 1, sympy.sqrt(n), n ** R(2, 3), (n + 1) ** R(-1, 2), fact(n), fact(2 * n),
    binom(2 * n, n), R(1, 2) ** n, R(3, 2) ** n, (-1) ** n, (1 + 1 / n) ** n, sympy.exp(-n / 2), n**n, R(5, 7),
])


@settings(max_examples=30)
@given(st.lists(st.tuples(_BLOCKS, st.integers(-2, 2)), min_size=1, max_size=3))
def test_random_products_witnesses_hold(blocks):
    term = sympy.Integer(1)
    for b, e in blocks:
        term *= b**e
    cert = summability(term, 2)
    if cert.verdict == "inconclusive":
        return
    assert cert.verify()
    w, method = cert.witnesses, cert.method
    f = _mp_abs(term)
    N = w["N"]
    with mpmath.workdps(50):
        slack = 1 + mpmath.mpf(10) ** -30

        def q(x):
            return mpmath.mpf(x.numerator) / x.denominator

        for k in list(range(N, N + 40)) + [N + 1000, N + 10**5]:
            a, k_ = f(k), mpmath.mpf(k)
            if method == "comparison":
                assert a <= q(w["C"]) * k_ ** (-q(w["p"])) * slack
            elif method == "ratio":
                assert f(k + 1) <= q(w["r"]) * a * slack
            elif method == "lower bound":
                assert a * slack >= q(w["c"]) / k_
            elif method == "limit not zero":
                assert a * slack >= q(w["c"])


def test_long_heads_and_squares():
    # sum_{k>=1} 1/k^2 = pi^2/6; with N = 3001 the head (3000 terms) is rounded up term by term
    cert = SeriesCertificate(1 / n**2, 1, "summable", "comparison", {"C": Fraction(1), "p": Fraction(2), "N": 3001})
    b = cert.tail_bound(0)
    with mpmath.workdps(40):
        true = mpmath.pi**2 / 6
        assert true <= mpmath.mpf(b.numerator) / b.denominator <= true + mpmath.mpf(1) / 2999
    # (n - 1000)/n^3 changes sign at 1000: with squares the comparison holds from a small N
    cert = summability((n - 1000) / n**3)
    assert cert.witnesses.get("squares") == 1 and cert.witnesses["N"] < 200
    _fails(_mutant(cert, squares=0))  # then (n - 1000) must be >= 0 on [N, oo): false
    _fails(SeriesCertificate(1 / n, 1, "not summable", "lower bound", {"c": Fraction(1, 2), "N": 1, "squares": 1}))


_FRACS = st.fractions(min_value=0, max_value=4, max_denominator=8)


@settings(max_examples=60)
@given(st.lists(st.tuples(_BLOCKS, st.integers(-2, 2)), min_size=1, max_size=3),
       st.sampled_from(["comparison", "ratio", "lower bound", "limit not zero"]),
       _FRACS, _FRACS, st.integers(2, 12), st.integers(1, 3), st.booleans(), st.booleans())
def test_checker_is_sound_on_random_witnesses(blocks, method, x, y, N, k, monotone, squares):
    # Whatever witnesses an adversary proposes: if the exact check accepts them, the claimed
    # inequality holds (numerically, at many n >= N, to 30 digits).
    term = sympy.Integer(1)
    for b, e in blocks:
        term *= b**e
    verdict = "summable" if method in ("comparison", "ratio") else "not summable"
    w = {"N": N, "k": k}
    if method == "comparison":
        w.update(C=x, p=1 + y)
        if squares:
            w["squares"] = 1
    elif method == "ratio":
        w["r"] = x / 5
    else:
        w["c"] = x
    if monotone and method != "ratio":
        w["monotone"] = 1
    cert = SeriesCertificate(term, 2, verdict, method, w, "")
    try:
        check_series_certificate(cert)
    except ValueError:
        return
    f = _mp_abs(term)
    with mpmath.workdps(50):
        slack = 1 + mpmath.mpf(10) ** -30

        def q(v):
            return mpmath.mpf(v.numerator) / v.denominator

        for m in list(range(N, N + 30)) + [N + 500]:
            a, m_ = f(m), mpmath.mpf(m)
            if method == "comparison":
                assert a <= q(w["C"]) * m_ ** (-q(w["p"])) * slack
            elif method == "ratio":
                assert f(m + 1) <= q(w["r"]) * a * slack
            elif method == "lower bound":
                assert a * slack >= q(w["c"]) / m_
            else:
                assert a * slack >= q(w["c"])


# Audit regressions.  (n^2 - 9)/((n - 3) n^3) is 0/0 at n = 3: the series is not
# defined there, although sympy.cancel turns the term into (n + 3)/n^3.
REMOVABLE = [
    ((n**2 - 9) / ((n - 3) * n**3), 1),
    (((n**2 - 4) / (n - 2)) ** R(-3, 1), 1),  # hole at n = 2 inside a power's base
    ((n**2 - 4) / (n - 2) / fact(n), 1),  # product route
]


@pytest.mark.parametrize("term,start", REMOVABLE)
def test_removable_singularities_are_undefined(term, start):
    # sympy agrees that the term has no value at the hole
    hole = 3 if term == REMOVABLE[0][0] else 2
    assert not term.subs(n, hole).is_finite
    with pytest.raises(ValueError):
        summability(term, start)
    forged = SeriesCertificate(term, start, "summable", "comparison",
                               {"C": Fraction(10**6), "p": Fraction(2), "N": start})
    with pytest.raises(ValueError):
        check_series_certificate(forged)


def test_removable_singularity_before_start_is_fine():
    # the hole at n = 3 lies before start = 4: (n + 3)/n^3 <= 2/n^2 for n >= 3
    cert = summability((n**2 - 9) / ((n - 3) * n**3), 4)
    assert cert.verdict == "summable" and cert.verify()


def test_huge_binomial_order_is_refused_quickly():
    import time

    t0 = time.monotonic()
    cert = SeriesCertificate((1 + 1 / n) ** n / n**2, 1, "summable", "comparison",
                             {"C": Fraction(3), "p": Fraction(2), "N": 1, "k": 10**6})
    with pytest.raises(ValueError):
        check_series_certificate(cert)
    assert time.monotonic() - t0 < 5


def test_polynomial_over_geometric_is_fast_up_to_the_family_degree_cap():
    # issue 14.4: summability(n^d / 2^n) took 8.6 s at d = 200, ~70 s at 300, 294 s at 400 (now about a second):
    # the least N is found by galloping up from start (not bisecting from the Cauchy root bound, 2^200 here),
    # each polynomial's Sturm sequence is computed once, and c^E(n) adds nothing to the degree estimate
    import time

    for d in (200, 400):
        t = time.perf_counter()
        cert = summability(n**d / 2**n)
        assert cert.verdict == "summable" and cert.verify(), cert.reason
        assert time.perf_counter() - t < 15, f"d = {d}: {time.perf_counter() - t:.1f} s"
        assert cert.witnesses["N"] < 2 * d  # (n+1)^d / (2 n^d) <= r < 1 from N ~ 1.6 d on: the least N, not a bound


def test_term_trees_use_the_one_list_of_formula_functions():
    # issue 7: series certificates admitted gamma and tan, which formulas refuse
    from exactrelu.depth.formula import FORMULA_FUNCTIONS
    from exactrelu.depth.series_check import term_from_tree

    for name in ("gamma", "tan", "atan"):
        with pytest.raises(ValueError):
            term_from_tree({"op": name, "args": ["n"]})
    with pytest.raises(ValueError):
        term_from_tree({"const": "EulerGamma"})
    assert term_from_tree({"op": "factorial", "args": ["n"]}).func is FORMULA_FUNCTIONS["factorial"][1]
