"""Tests for exactrelu.certify: the examples that must come out right, scopes, T5 and evidence.

Expected values are derived by hand in the comments (or by exact truncation).
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.depth.certificate import Certificate, CertificateError
from exactrelu.depth.certifier import certify, contraction_weights, fixed_point, necessary_report
from exactrelu.depth.checker import check
from exactrelu.depth.family import Family

F = Fraction


def t4_family() -> Family:
    return Family([["1 + 1/n^2", "2/n^2"], ["0", "1 - 1/n^2"]], ["2^(-n)", "-2^(-n)"])


def t6_family() -> Family:
    return Family([["1/2", "1/4"], ["-1/4", "1/3"]], ["1", "-1/2"])


def test_t4_converges_everywhere():
    cert = certify(t4_family())
    assert (cert.verdict, cert.theorem, cert.scope) == ("converges", "T4", {"kind": "everywhere"})
    assert check(cert)
    # the exact network at depth 100 and 400 differ by less than the certified tail bound at 100
    fam = t4_family()
    for x in ([0, 0], [1, -1], [F(1, 2), 1]):
        a, b = fam.truncate(100)(x), fam.truncate(400)(x)
        gap = max(abs(p - q) for p, q in zip(a, b))
        assert gap <= cert.tail_bound(100, radius=1)
    # the tail bound decreases with depth and depth_for is the least depth reaching tol
    assert cert.tail_bound(1000, 1) < cert.tail_bound(100, 1) < cert.tail_bound(10, 1)
    d = cert.depth_for("1/10", radius=1)
    assert cert.tail_bound(d, 1) <= F(1, 10) < cert.tail_bound(d - 1, 1)


def test_t6_exact_limit():
    # y* = sigma(W y* + b): with y*_2 = 0, y*_1 = y*_1/2 + 1 gives y*_1 = 2, and
    # z_2 = -2/4 - 1/2 = -1 <= 0 confirms the pattern (1, 0).
    cert = certify(t6_family())
    assert (cert.verdict, cert.theorem) == ("converges", "T6")
    assert cert.limit == (F(2), F(0))
    assert cert.witnesses["pattern"] == "10"
    fam = t6_family()
    for x in ([0, 0], [5, -3], [-7, F(1, 3)]):
        y = fam.truncate(60)(x)
        gap = max(abs(p - q) for p, q in zip(y, cert.limit))
        assert gap <= cert.tail_bound(60, radius=7)
        assert gap < F(1, 10**6)


def test_t6b_perturbed_contraction():
    # W_n -> W and b_n -> b of the T6 example with summable perturbations: the same limit y* = (2, 0)
    fam = Family([["1/2 + 1/n^2", "1/4"], ["-1/4 - 2^(-n)", "1/3"]], ["1 + 2^(-n)", "-1/2 + 1/n^2"])
    cert = certify(fam)
    assert (cert.verdict, cert.theorem, cert.limit) == ("converges", "T6b", (F(2), F(0)))
    assert cert.witnesses["W_limit"] == ((F(1, 2), F(1, 4)), (F(-1, 4), F(1, 3)))
    for x in ([1, 1], [-1, 1], [1, -1]):
        for d in (1, 5, 20, 60):
            gap = max(abs(p - q) for p, q in zip(fam.truncate(d)(x), cert.limit))
            assert gap <= cert.tail_bound(d, 1)
    d = cert.depth_for("1/100", 1)
    assert cert.tail_bound(d, 1) <= F(1, 100)


def test_t7a_period_two():
    # y_0 = 0, y_1 = sigma(0 + 1) = (1, 1), y_2 = sigma(-1 + 1) = 0: period 2
    fam = Family([["-1", "0"], ["0", "-1"]], ["1", "1"])
    cert = certify(fam, x=[0, 0])
    assert (cert.verdict, cert.theorem) == ("diverges", "T7a")
    assert cert.scope == {"kind": "point", "x": (F(0), F(0))}
    assert cert.witnesses["orbit"] == ((F(0), F(0)), (F(1), F(1)))
    # at x = (1/2, 1/2) the state is a fixed point: converges there (P1) with limit (1/2, 1/2)
    cert = certify(fam, x=["1/2", "1/2"])
    assert (cert.verdict, cert.theorem, cert.limit) == ("converges", "P1", (F(1, 2), F(1, 2)))
    assert cert.tail_bound(0) == 0


def test_t7b_growth_on_a_set():
    # W_n = I + A/n, A = [[1, 0], [0, 0]] >= 0, b = 0: y_1 coordinate 0 grows like prod(1 + 1/n)
    fam = Family([["1 + 1/n", "0"], ["0", "1"]], ["0", "0"])
    cert = certify(fam)
    assert (cert.verdict, cert.theorem, cert.scope["kind"]) == ("diverges", "T7b", "set")
    assert cert.witnesses["u"] == (F(1), F(0))
    assert cert.witnesses["K"] == 1
    assert "u^T y_1(x) > 0" in cert.scope["condition"]
    assert cert.necessary["W_to_I"] is True  # W_n -> I, yet it diverges
    # at a point with y_1 coordinate 0 positive: diverges at that point; at x = (-1, 5): 0 there
    assert certify(fam, x=[1, 0]).verdict == "diverges"
    assert certify(fam, x=[-1, 5]).verdict != "diverges"
    # the exact state really grows: y_d(1, 0)_0 = prod_{n=1..d} (1 + 1/n) = d + 1
    assert fam.truncate(50)([1, 0])[0] == 51


def test_t7b_nonsummable_bias_everywhere():
    fam = Family([["1", "0"], ["0", "1"]], ["1/n", "1/n"])
    cert = certify(fam)
    assert (cert.verdict, cert.theorem, cert.scope) == ("diverges", "T7b", {"kind": "everywhere"})
    assert cert.witnesses["route"] == "sum u^T b_n"
    assert check(cert)


def test_t7d_chained_growth():
    # W_n = I + [[0, 1], [0, 0]]/n, b = 0: y_2 stays, y_1 gains y_2/n per layer: u = e_0, w = e_1, a_n = 1/n
    fam = Family([["1", "1/n"], ["0", "1"]], ["0", "0"])
    cert = certify(fam)
    assert (cert.verdict, cert.theorem, cert.scope["kind"]) == ("diverges", "T7d", "set")
    assert (cert.witnesses["u"], cert.witnesses["w"]) == ((F(1), F(0)), (F(0), F(1)))
    assert cert.scope["condition"].startswith("w^T y_1(x) > 0 with w = (0, 1)")
    # exact: y_d(0, 1) = (H_d, 1) with H_d the harmonic number
    assert fam.truncate(30)([0, 1]) == (sum(F(1, k) for k in range(1, 31)), F(1))
    assert certify(fam, x=[5, 0]).verdict == "inconclusive"  # w^T y_1 = 0 there: the state is constant


def test_t7c_perron_growth():
    fam = Family([["0", "2"], ["2", "0"]], ["0", "0"])
    cert = certify(fam, x=[1, 0])
    assert (cert.verdict, cert.theorem) == ("diverges", "T7c")
    assert cert.witnesses["lambda"] > 1
    assert check(cert)


@pytest.mark.parametrize(
    "W, b",
    [
        ([["1 + (-1)^n/n", "0"], ["0", "1"]], ["0", "0"]),  # oscillating formula: no rule
        ([["1 - 1/n", "0"], ["0", "1"]], ["1", "0"]),  # y grows like d/2, but the rate 1 - 1/n < 1 defeats T7b
    ],
)
def test_inconclusive_with_reasons_and_evidence(W, b):
    cert = certify(Family(W, b))
    assert cert.verdict == "inconclusive" and cert.theorem is None
    assert any(r.startswith("T4") for r in cert.reasons) and any(r.startswith("T7b") for r in cert.reasons)
    assert cert.evidence and all(e["kind"] == "floating-point evidence, not proof" for e in cert.evidence)
    assert "NOT proof" in cert.explain()
    assert check(cert)  # claims nothing
    with pytest.raises(ValueError):
        cert.tail_bound(10, 1)


def test_rotation_diverges_at_a_unit_vector():
    # W = [[0, 1], [1, 0]], b = 0 swaps coordinates: (1, 0) -> (0, 1) -> (1, 0)
    fam = Family([["0", "1"], ["1", "0"]], ["0", "0"])
    cert = certify(fam)
    assert (cert.verdict, cert.theorem, cert.scope["x"]) == ("diverges", "T7a", (F(1), F(0)))
    assert certify(fam, x=[1, 1]).theorem == "P1"  # (1, 1) is a fixed point


def test_t5_report():
    assert necessary_report(t4_family())["holds"] is True
    r = necessary_report(t6_family())
    assert r["holds"] is False and "degenerate" in r["note"]
    assert r["W_limit"] == [["1/2", "1/4"], ["-1/4", "1/3"]]
    r = necessary_report(Family([["1 + (-1)^n/n"]], ["sin(n)/n^2"]))
    assert (r["W_to_I"], r["b_to_0"]) == (True, True)


def test_prefix_and_output():
    # prefix doubles the input; the tail is the T6 contraction; the output sums the state
    fam = Family([["1/2", "0"], ["0", "1/2"]], ["1", "1"], prefix=[([[2, 0], [0, 2]], [0, 0])],
                 output=([[1, 1]], [F(1, 3)]))
    cert = certify(fam)
    assert cert.limit == (F(4) + F(1, 3),)  # y* = (2, 2), output 4 + 1/3
    for x in ([3, -1], [0, 0]):
        gap = abs(fam.truncate(30)(x)[0] - cert.limit[0])
        assert gap <= cert.tail_bound(30, radius=3)


def test_output_layer_that_hides_divergence():
    # the hidden states oscillate, but W_o = 0 makes the output constant: not divergence
    fam = Family([["-1", "0"], ["0", "-1"]], ["1", "1"], output=([[0, 0]], [5]))
    cert = certify(fam, x=[0, 0])
    assert cert.verdict != "diverges"


def test_json_round_trip_and_explain():
    for fam in (t4_family(), t6_family()):
        cert = certify(fam, radius=2)
        text = json.dumps(cert.to_json())
        back = Certificate.from_json(text)
        assert back == cert and check(back)
        assert back.tail_bound(50, 2) == cert.tail_bound(50, 2)
        md = cert.explain()
        assert "proofs/T" in md and cert.theorem in md


def test_bad_input():
    with pytest.raises(ValueError, match="dimension"):
        certify(t6_family(), x=[1, 2, 3])
    with pytest.raises(ValueError, match="radius"):
        certify(t6_family(), radius=-1)
    with pytest.raises(ValueError):
        certify("not a family")


@settings(max_examples=25)
@given(st.lists(st.integers(-3, 3), min_size=4, max_size=4), st.lists(st.integers(-3, 3), min_size=2, max_size=2))
def test_stationary_verdicts_agree_with_exact_iteration(Wi, bi):
    # a stationary 2x2 family with entries in {-3/4, ..., 3/4}: every certificate must check, and a T6 limit
    # must match the exact state at depth 200 (the contraction factor q < 1 makes the gap tiny)
    W = [[F(Wi[0], 4), F(Wi[1], 4)], [F(Wi[2], 4), F(Wi[3], 4)]]
    fam = Family([[str(t) for t in row] for row in W], [str(t) for t in bi])
    cert = certify(fam, x=[1, -1])
    assert check(cert)
    if cert.theorem == "T6":
        y = fam.truncate(200)([1, -1])
        assert max(abs(p - q) for p, q in zip(y, cert.limit)) <= cert.tail_bound(200, 1)
    if cert.theorem in ("T7a", "T7c", "T7b"):
        a, b = fam.truncate(300)([1, -1]), fam.truncate(301)([1, -1])
        assert a != b or cert.theorem == "T7a"


def test_helpers():
    v, q = contraction_weights(((F(0), F(2)), (F(1, 8), F(0))))  # row sums 2 and 1/8, rho = 1/2
    A = ((F(0), F(2)), (F(1, 8), F(0)))
    assert q < 1 and all(sum(abs(a) * t for a, t in zip(row, v)) <= q * vi for row, vi in zip(A, v))
    assert contraction_weights(((F(1),),)) is None
    assert fixed_point(((F(-1, 2),),), (F(3),)) == (F(2),)  # y = -y/2 + 3


# ------------------------------------------------------------------- CLI
def test_cli_certify_and_check(tmp_path, capsys):
    from exactrelu.cli import main

    fam_path = tmp_path / "fam.json"
    t6_family().to_json(fam_path)
    cert_path = tmp_path / "cert.json"
    assert main(["certify", str(fam_path), "--radius", "2", "-o", str(cert_path)]) == 0
    out = capsys.readouterr().out
    assert "converges" in out and "T6" in out
    assert main(["check", str(cert_path)]) == 0
    assert "valid: converges by T6" in capsys.readouterr().out
    assert main(["check", str(cert_path), "--family", str(fam_path)]) == 0
    # a tampered fixed point is rejected with the reason, exit 1
    data = json.loads(cert_path.read_text())
    data["witnesses"]["fixed_point"] = ["2", "1/7"]
    cert_path.write_text(json.dumps(data))
    assert main(["check", str(cert_path)]) == 1
    assert "rejected: T6" in capsys.readouterr().out
    # garbage is bad input (exit 2, not a verdict), never a traceback
    cert_path.write_text("{not json")
    assert main(["check", str(cert_path)]) == 2
    assert "malformed JSON at line 1" in capsys.readouterr().err
    # certify at a point, quiet
    fam2 = tmp_path / "fam2.json"
    Family([["-1", "0"], ["0", "-1"]], ["1", "1"]).to_json(fam2)
    assert main(["certify", str(fam2), "--x", "0,0", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("diverges (T7a) for the point x = (0, 0)")
    # bad input: exit 2 with a message
    assert main(["certify", str(fam2), "--x", "0,zero"]) == 2


_DIAG = ["1", "1 + 1/n^2", "1 + 1/n", "1/2", "-1", "1 - 1/n^2", "2", "n/(n + 1)"]
_OFF = ["0", "1/n^2", "-1/n^2", "2^(-n)", "1/n", "1/4", "0", "-1/4", "(-1)^n/n^2"]
_BIAS = ["0", "1/n^2", "2^(-n)", "1/n", "1", "-1", "(-1)^n/n^2", "1/(n^2 + 1)"]


def _families():
    def build(m):
        diag = st.lists(st.sampled_from(_DIAG), min_size=m, max_size=m)
        off = st.lists(st.lists(st.sampled_from(_OFF), min_size=m, max_size=m), min_size=m, max_size=m)
        bias = st.lists(st.sampled_from(_BIAS), min_size=m, max_size=m)
        return st.tuples(diag, off, bias).map(
            lambda t: ([[t[0][i] if i == j else t[1][i][j] for j in range(m)] for i in range(m)], t[2]))
    return st.integers(1, 3).flatmap(build)


@settings(max_examples=30)
@given(_families())
def test_random_families_certificates_are_sound(Wb):
    # soundness: whatever the verdict, it checks, and it agrees with exact truncations
    W, b = Wb
    fam = Family(W, b)
    m = len(b)
    cert = certify(fam)
    assert check(cert)
    pts = [tuple(F(s * (i + 1), 2) for i in range(m)) for s in (1, -1)]
    if cert.verdict == "converges":
        for x in pts:
            gap = max(abs(p - q) for p, q in zip(fam.truncate(15)(x), fam.truncate(120)(x)))
            assert gap <= cert.tail_bound(15, 1)
    elif cert.verdict == "diverges":
        x = cert.scope.get("x") or cert.witnesses.get("witness_point") or (F(0),) * m
        small, big = fam.truncate(10)(x), fam.truncate(160)(x)
        if cert.theorem == "T7a":
            assert len({fam.truncate(d)(x) for d in range(40, 48)}) > 1
        else:  # the certified functional grows without bound; here it at least grows
            assert max(abs(t) for t in big) > max(abs(t) for t in small)


def test_t4_and_t6_tail_bounds_are_nonincreasing():
    # depth_for's bisection relies on it; the ratio tails switch to a geometric form past N + 64
    for fam in (t4_family(), Family([["1 + 3^(-n)", "0"], ["n/2^n", "1"]], ["n^2/3^n", "0"]), t6_family()):
        cert = certify(fam)
        depths = list(range(0, 140)) + [10**3, 10**4, 10**6]
        bounds = [cert.tail_bound(d, 1) for d in depths]
        assert all(a >= b for a, b in zip(bounds, bounds[1:])), cert.theorem


# ---- certificate files: version types, atomic writes, evidence floats, honest depth_for
def test_certificate_version_must_be_the_integer_1():
    from exactrelu.depth.certificate import CertificateError

    data = certify(t6_family()).to_json()
    assert Certificate.from_json({**data, "version": 1}) == certify(t6_family())
    for bad in (True, 1.0, "1", 2):
        with pytest.raises(CertificateError, match="certificate JSON: unsupported .version."):
            Certificate.from_json({**data, "version": bad})
    with pytest.raises(CertificateError, match="certificate JSON: unsupported .version."):
        Certificate.from_json(json.dumps(data).replace('"version": 1', '"version": true'))


def test_certificate_file_round_trip_is_exact_and_atomic(tmp_path):
    import os

    fam = Family([["1"]], ["1/n"])  # inconclusive or divergent: carries float evidence either way
    cert = certify(fam)
    path = tmp_path / "c.json"
    cert.to_json(path)
    back = Certificate.from_json(path)
    assert back == cert and back.evidence == cert.evidence  # floats in evidence read back as floats
    os.chmod(path, 0o640)
    cert2 = certify(t6_family())
    cert2.to_json(path)
    assert Certificate.from_json(str(path)) == cert2 and (path.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["c.json"]  # no temp file left


def test_certificate_decimal_literals_are_read_exactly():
    # a hand-written certificate may say 0.75 for 3/4: read exactly, never through a float
    found = certify(t6_family())
    # |W| v <= q v with v = (1, 1): row sums 3/4 and 7/12 (the certifier picks a q nearer rho(|W|))
    wit = dict(found.witnesses, v=(Fraction(1), Fraction(1)), q=Fraction(3, 4))
    cert = Certificate(found.verdict, found.theorem, found.scope, wit, found.subject, found.limit)
    text = json.dumps(cert.to_json())
    assert '"q": "3/4"' in text and check(cert)
    back = Certificate.from_json(text.replace('"q": "3/4"', '"q": 0.75'))
    assert back.witnesses["q"] == Fraction(3, 4) and check(back)
    # 0.1 has no exact binary float: it must read as exactly 1/10 (and then fail the check: 3/4 > 1/10)
    forged = Certificate.from_json(text.replace('"q": "3/4"', '"q": 0.1'))
    assert forged.witnesses["q"] == Fraction(1, 10) != Fraction(0.1)
    with pytest.raises(CertificateError):
        check(forged)


def test_depth_for_messages_are_short_and_honest():
    # ratio 1/2: the exact distance at depth d is <= 3 * 2^-d (tail_bound's doctest
    # family), so tol = 10^-10000 holds from about depth 33000 on; the bounds are
    # floored near 2^-2048, so depth_for cannot show it and must not claim that no
    # depth exists, nor print a 10000-digit number (which used to crash the message).
    cert = certify(Family([["1/2"]], ["1"]))
    for tol in ("1e-10000", Fraction(1, 10**100000), "1e-1000"):
        with pytest.raises(ValueError) as exc:
            cert.depth_for(tol, radius=1)
        msg = str(exc.value)
        assert "tail bounds of this certificate" in msg and "ask for a larger tolerance" in msg
        assert "no depth below" not in msg and len(msg) < 400
    with pytest.raises(ValueError, match="tol must be positive") as exc:
        cert.depth_for(-Fraction(1, 10**9000), radius=1)
    assert len(str(exc.value)) < 100
    with pytest.raises(ValueError, match="radius must be nonnegative") as exc:
        cert.tail_bound(3, radius=-Fraction(1, 10**9000))
    assert len(str(exc.value)) < 100
    # tolerances the bounds can reach still give the least depth: 3 / 2^d <= 10^-600 first at d = 1995
    d = cert.depth_for("1e-600", radius=1)
    assert cert.tail_bound(d, 1) <= Fraction(1, 10**600) < cert.tail_bound(d - 1, 1)
    assert d == 1995  # 2^1994 < 3 * 10^600 <= 2^1995 (log2(3e600) = 1994.7)
