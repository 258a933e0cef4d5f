"""Tail bounds of certified families and series: sound (never below the measured distance) and
tight (issue 14: constants from where the tail starts, q from the certified contraction, T6b's
exact window and best split, T4's state bound from the exact head).

The reference distances are computed independently: Hurwitz zeta sums for series, and mpmath
forward passes (60 digits) against the certificate's exact limit or a far depth."""

from __future__ import annotations

import math
import sys
from fractions import Fraction as F

import mpmath
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from exactrelu import Family, certify
from exactrelu.depth.series import n, summability
from exactrelu.depth.tails import comparison_tail, series_tail
from exactrelu.kernel import series as ks



@pytest.fixture(scope="module", autouse=True)
def _sixty_digits():
    """60-digit mpmath for this module only (other modules rely on the default precision)."""
    old = mpmath.mp.dps
    mpmath.mp.dps = 60
    yield
    mpmath.mp.dps = old


def _mp(q: F) -> mpmath.mpf:
    return mpmath.mpf(q.numerator) / q.denominator


def _true_tail(c: F, a: int, i: int, b: int, j: int, K: int) -> mpmath.mpf:
    """sum_{k > K} c (k + a)^i / (k + b)^j exactly in mpmath: (k + a)^i expanded around k + b."""
    total = mpmath.mpf(0)
    for l in range(i + 1):  # (k + a)^i = sum_l C(i, l) (a - b)^(i - l) (k + b)^l
        coeff = math.comb(i, l) * (a - b) ** (i - l)
        total += coeff * mpmath.zeta(j - l, K + 1 + b)
    return abs(_mp(c)) * total


@settings(max_examples=40, deadline=None)
@given(c=st.fractions(min_value=F(1, 50), max_value=100, max_denominator=50),
       a=st.integers(0, 5000), i=st.integers(0, 2), b=st.integers(0, 50), extra=st.integers(2, 3),
       K_exp=st.integers(0, 9))
def test_sharp_series_tail_is_sound_and_never_above_the_kernel(c, a, i, b, extra, K_exp):
    j = i + extra
    term = sympy.Rational(c.numerator, c.denominator) * (n + a) ** i / (n + b) ** j
    s = summability(term).kernel()
    K = max(int(s.witnesses["N"]), 1) * 10**K_exp // 7 + 1
    sharp, kernel = series_tail(s, K), ks.series_tail(s, K)
    assert sharp <= kernel
    assert _true_tail(c, a, i, b, j, K) <= _mp(sharp) * (1 + mpmath.mpf(10) ** -30)


def test_constants_are_taken_from_where_the_tail_starts():
    # |a(n)| <= 1024/n^2 holds from n = 133; the tail from K = 10^6 is about 1.008/K, not 1024/K
    s = summability((n + 4096) ** 2 / n**4).kernel()
    assert (s.witnesses["C"], s.witnesses["N"]) == (1024, 133)
    K = 10**6
    true = _true_tail(F(1), 4096, 2, 0, 4, K)
    assert ks.series_tail(s, K) == F(1024, K)
    assert true <= _mp(series_tail(s, K)) <= true * mpmath.mpf("1.02")


def test_monotone_comparison_is_re_anchored_at_the_tail():
    # Raabe-type certificates (|a(n)| n^p nonincreasing from N) take C = |a(K+1)| (K+1)^p
    s = summability(sympy.factorial(2 * n) / (4**n * sympy.factorial(n) ** 2) / n).kernel()
    assert s.method == "comparison" and s.witnesses.get("monotone")
    for K in (10**2, 10**3, 10**4, 10**6):  # 10^6: a(K) too large to compute exactly; the kernel's bound
        assert series_tail(s, K) <= ks.series_tail(s, K)
    assert series_tail(s, 10**4) < F(7, 10) * ks.series_tail(s, 10**4)  # 0.0129 vs 0.0206 (truth about 0.0113)


def test_comparison_tail_is_the_integral_bound():
    assert comparison_tail(F(1), F(2), 10) == F(1, 10)
    assert comparison_tail(F(3), F(3, 2), 100) == F(3, 5)  # 3 * 100^(-1/2) / (1/2)
    assert _mp(comparison_tail(F(1), F(3, 2), 2)) >= 2 / mpmath.sqrt(2)  # sqrt(2) is rounded down


# ------------------------------------------------------------------ families
def _states(fam: Family, x, depths) -> dict:
    y = [_mp(F(t)) for t in x]
    out, last = {}, max(depths)
    for d in range(1, last + 1):
        W, b = fam.layer(fam.start + d - 1)
        y = [max(mpmath.mpf(0), mpmath.fsum(_mp(w) * t for w, t in zip(row, y)) + _mp(c)) for row, c in zip(W, b)]
        if d in depths:
            out[d] = y
    return out


def _gap(a, b) -> mpmath.mpf:
    return max(abs(s - t) for s, t in zip(a, b))


def _corners(dim: int) -> list:
    return [tuple((k >> i) & 1 and 1 or -1 for i in range(dim)) for k in range(1 << dim)]


def _measured(cert, depths, far=None) -> dict:
    fam, out = cert.subject, {d: mpmath.mpf(0) for d in depths}
    for x in _corners(fam.input_dim) + [(0,) * fam.input_dim]:
        st_ = _states(fam, x, set(depths) | ({far} if far else set()))
        lim = st_[far] if far else [_mp(t) for t in cert.limit]
        for d in depths:
            out[d] = max(out[d], _gap(lim, st_[d]))
    return out


def test_t6_q_is_taken_near_the_spectral_radius():
    # rho(|W|) = 1/2 while the row sums are 11/10 and 3/10: q used to be 3/4 (bound/true 1.3e11 at depth 100)
    cert = certify(Family([["1/2", "3/5"], ["0", "3/10"]], ["1", "-1"]))
    assert cert.theorem == "T6" and F(1, 2) < cert.witnesses["q"] < F(51, 100)
    measured = _measured(cert, (10, 40, 100))
    for d, true in measured.items():
        bound = _mp(cert.tail_bound(d, 1))
        assert true <= bound <= 1000 * true, d


@pytest.mark.parametrize("W,b", [([["1/2 + 1/n^2"]], ["1"]),
                                 ([["1/2 + 1/n^2", "3/5"], ["0", "3/10"]], ["1 + 1/n^2", "-1"])])
def test_t6b_bound_follows_the_perturbation_not_half_the_depth(W, b):
    # the distance decays like 1/d^2 (the fixed point of layer n moves by O(1/n^2)); the old bound
    # (q halfway to 1, depth split in half) was 40-800x the truth and asked depth 4e6-2.5e7 for 1e-6
    cert = certify(Family(W, b))
    assert cert.theorem == "T6b"
    measured = _measured(cert, (5, 10, 40, 100, 300))
    for d, true in measured.items():
        bound = _mp(cert.tail_bound(d, 1))
        assert true <= bound, d
        if d >= 40:
            assert bound <= 3 * true, d
    assert cert.depth_for(F(1, 10**6), 1) <= 5000


def test_t4_state_bound_uses_the_exact_head():
    # ||W_n|| <= 1 here although prod (1 + ||W_n - I||) is about 17: the bound was 400x the truth
    cert = certify(Family([["1 - 10/(n+3)^2", "0"], ["0", "1 - 10/(n+3)^2"]], ["1/n^2", "1/n^2"]))
    assert cert.theorem == "T4"
    far = 20_000
    measured = _measured(cert, (1, 10, 100, 1000), far)
    slack = _mp(cert.tail_bound(far, 1))
    for d, seen in measured.items():
        bound = _mp(cert.tail_bound(d, 1))
        assert seen - slack <= bound <= 20 * seen, d


def test_t4_bias_tail_asks_the_depth_it_needs():
    # W = 1, b_n = (n + 4096)^2/n^4: N_inf - N_d = sum_{n > d} b_n ~ 1.008/d, so 1e-6 needs d ~ 1.01e6
    cert = certify(Family([["1"]], ["(n + 4096)^2/n^4"]))
    depth = cert.depth_for(F(1, 10**6), 1)
    assert 1_008_000 <= depth <= 1_030_000
    assert _true_tail(F(1), 4096, 2, 0, 4, depth) <= _mp(cert.tail_bound(depth, 1))


@settings(max_examples=25, deadline=None)
@given(w=st.lists(st.fractions(-F(2, 5), F(2, 5), max_denominator=20), min_size=4, max_size=4),
       p=st.lists(st.integers(-3, 3), min_size=4, max_size=4), b=st.lists(st.integers(-2, 2), min_size=2, max_size=2),
       c=st.integers(-3, 3))
def test_t6b_bounds_are_sound_on_random_perturbed_contractions(w, p, b, c):
    W = [[f"{w[0]} + {p[0]}/n^2", f"{w[1]} + {p[1]}/(n+1)^2"], [f"{w[2]} + {p[2]}/n^3", f"{w[3]}"]]
    fam = Family(W, [f"{b[0]} + {c}/n^2", f"{b[1]}"])
    cert = certify(fam)
    if cert.theorem != "T6b":
        return  # a stationary family (T6) or one the certifier leaves to another rule
    measured = _measured(cert, (1, 3, 10, 30, 80))
    for d, true in measured.items():
        assert true <= _mp(cert.tail_bound(d, 1)) * (1 + mpmath.mpf(10) ** -40), d


# ------------------------------------------------------------ a posteriori (limit)
def test_a_posteriori_bound_is_sound_and_smaller_than_the_uniform_one():
    fam = Family([["1 + 1/n^2", "2/n^2"], ["0", "1 - 1/n^2"]], ["2^(-n)", "-2^(-n)"])
    cert = certify(fam)
    for x in _corners(2):
        st_ = _states(fam, x, {10, 100, 1000, 20_000})
        for d in (10, 100, 1000):
            state = [F(float(abs(v))) * (1 + F(1, 10**6)) for v in st_[d]]
            post = cert.tail_bound_at(d, state)
            assert _gap(st_[20_000], st_[d]) - _mp(cert.tail_bound(20_000, 1)) <= _mp(post)
            assert post <= cert.tail_bound(d, 1)
    with pytest.raises(ValueError, match="needs a T4 certificate"):
        certify(Family([["1/2"]], ["1"])).tail_bound_at(3, [1])
    with pytest.raises(ValueError, match="nonnegative bounds"):
        cert.tail_bound_at(3, [1])


def test_limit_stops_at_the_a_posteriori_depth_and_encloses_the_closed_form():
    from exactrelu import limit

    # prod_(n >= 1) (1 + 1/n^2) = sinh(pi)/pi; with a prefix (x -> 2x) and an output layer (y -> 3 y_1 - 1).
    # The uniform bound pays prod (1 + 4/n^2) = sinh(2 pi)/(2 pi) ~ 42 for the second row; at x = (1/2, 0)
    # that component stays 0, and the a posteriori bound sees it.
    fam = Family([["1 + 1/n^2", "0"], ["0", "1 + 4/n^2"]], ["0", "0"], prefix=[([[2, 0], [0, 2]], [0, 0])],
                 output=([[3, 0]], [-1]))
    enc = limit(fam, [F(1, 2), 0], "1/100")
    truth = 3 * mpmath.sinh(mpmath.pi) / mpmath.pi - 1
    assert _mp(enc.lower[0]) <= truth <= _mp(enc.upper[0]) and enc.width <= F(1, 100) and enc.agrees
    assert enc.depth * 10 < enc.certificate.depth_for(F(1, 400), F(1, 2))  # far fewer layers than the uniform bound


def test_limit_progress_reports_the_layers_and_does_not_change_the_answer(monkeypatch, capsys):
    from exactrelu import limit
    from exactrelu.numeric import evaluation
    from exactrelu.regions.algorithms import Progress

    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError: the plain stderr counter
    fam = Family([["1/2"]], ["1"])
    quiet = limit(fam, [0], "1/1000")
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(evaluation, "Progress", lambda *a, **k: Progress(*a, **{**k, "delay": 0.0}))
    shown = limit(fam, [0], "1/1000", progress=True)
    err = capsys.readouterr().err
    assert (shown.lower, shown.upper, shown.depth) == (quiet.lower, quiet.upper, quiet.depth)
    assert f"limit: {2 * shown.depth}, {shown.depth} evaluated" in err  # each layer counted built, then evaluated


def test_progress_waits_for_its_delay(capsys, monkeypatch):
    from exactrelu.regions.algorithms import Progress

    monkeypatch.setitem(sys.modules, "tqdm", None)
    bar = Progress(True, "work", unit=" steps", delay=3600.0)
    for _ in range(5):
        bar.update(1)
    bar.close()
    assert capsys.readouterr().err == ""  # quick work shows nothing
    bar = Progress(True, "work", unit=" steps")
    bar.update(2)
    bar.close()
    assert "work: 2" in capsys.readouterr().err


def test_the_uniform_route_reuses_the_layers_the_walk_built():
    from exactrelu.numeric.evaluation import _family_layers

    fam = Family([["1 - 1/(n+1)^2", "1/n^3"], ["0", "1/2"]], ["1/n^2", "-1"], prefix=[([[1, 1], [0, 1]], [0, 0])])
    fresh = _family_layers(fam, 12)
    for k in (0, 5, 12, 20):  # the walk may have built fewer or more layers than the uniform depth
        walked = _family_layers(fam, k)[1:]  # without the prefix layer
        assert _family_layers(fam, 12, None, walked) == fresh
