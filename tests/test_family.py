"""Tests for infinite-depth families (exactrelu.depth.family)."""

import json
from fractions import Fraction

import flint
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.depth.family import Family, Issue, _first_bad_integer, n
from exactrelu.nets.network import Network


def relu(v):
    return max(v, Fraction(0))


def apply(W, b, x):
    return [sum((Fraction(w) * xi for w, xi in zip(row, x)), Fraction(0)) + Fraction(bi) for row, bi in zip(W, b)]


# ------------------------------------------------------------ random rational families
# Entry (a n + c) / (d n^2 + e) with d, e >= 1 has no pole at positive n; its value is
# computed independently with Fractions.
coef = st.integers(-5, 5)
entry = st.tuples(coef, coef, st.integers(1, 4), st.integers(1, 4))


def entry_str(t):
    a, c, d, e = t
    return f"({a}*n + ({c})) / ({d}*n^2 + {e})"


def entry_val(t, k):
    a, c, d, e = t
    return Fraction(a * k + c, d * k * k + e)


@st.composite
def families(draw):
    m = draw(st.integers(1, 3))
    W = [[draw(entry) for _ in range(m)] for _ in range(m)]
    b = [draw(entry) for _ in range(m)]
    start = draw(st.integers(1, 4))
    return m, W, b, start


@given(families(), st.integers(0, 5))
@settings(max_examples=30)
def test_layer_is_exact(fam, offset):
    m, W, b, start = fam
    F = Family([[entry_str(t) for t in row] for row in W], [entry_str(t) for t in b], start=start)
    k = start + offset
    Wk, bk = F.layer(k)
    assert Wk == tuple(tuple(entry_val(t, k) for t in row) for row in W)
    assert bk == tuple(entry_val(t, k) for t in b)
    assert all(isinstance(v, Fraction) for row in Wk for v in row)


@given(families(), st.integers(1, 5), st.lists(st.integers(-5, 5), min_size=3, max_size=3))
@settings(max_examples=25)
def test_truncate_is_manual_composition(fam, depth, xs):
    m, W, b, start = fam
    F = Family([[entry_str(t) for t in row] for row in W], [entry_str(t) for t in b], start=start)
    x = [Fraction(v) for v in xs[:m]]
    y = x
    for k in range(start, start + depth):
        Wk = [[entry_val(t, k) for t in row] for row in W]
        bk = [entry_val(t, k) for t in b]
        y = [relu(v) for v in apply(Wk, bk, y)]
    net = F.truncate(depth)
    assert isinstance(net, Network) and net.depth == depth
    assert list(net(x)) == y


def test_prefix_and_output():
    F = Family(
        [["1", "1/n^2"], ["0", "1"]],
        ["0", "-1/n^3"],
        start=2,
        prefix=[([[1, 0, 1], [0, 1, 0]], [0, 0])],
        output=([[1, -1]], ["1/2"]),
    )
    assert F.input_dim == 3 and F.width == 2
    x = [Fraction(1), Fraction(2), Fraction(3)]
    y = [relu(v) for v in apply([[1, 0, 1], [0, 1, 0]], [0, 0], x)]  # (4, 2)
    for k in (2, 3):
        y = [relu(v) for v in apply([[1, Fraction(1, k * k)], [0, 1]], [0, Fraction(-1, k**3)], y)]
    out = apply([[1, -1]], [Fraction(1, 2)], y)
    net = F.truncate(2)
    assert net.depth == 3 and net.output is not None
    assert list(net(x)) == out
    assert F.truncate(0).depth == 1  # prefix only, then the output layer


def test_sympy_input_equals_strings_and_hash():
    A = Family(sympy.Matrix([[1 + 1 / n**2, 0], [0, 1]]), sympy.Matrix([2**-n, 0]))
    B = Family([["1 + n^-2", 0], ["0", "1"]], ["2^-n", "0"])
    assert A == B and hash(A) == hash(B)
    assert {A: 1}[B] == 1
    assert A != Family([["1 + n^-2", 0], ["0", "1"]], ["2^-n", "0"], start=2)
    # equality is structural (sympy's canonical form), deliberately conservative:
    # (1/2)^n and 2^-n are equal numbers but different formulas
    assert A != Family([["1 + n^-2", 0], ["0", "1"]], ["(1/2)^n", "0"])
    x = sympy.Symbol("n")  # a plain symbol called n is the family's n
    assert Family([[x]], [0]) == Family([["n"]], [0])
    assert Family([[0.5]], [Fraction(1, 3)]).layer(1) == (((Fraction(1, 2),),), (Fraction(1, 3),))


def test_json_round_trip(tmp_path):
    F = Family(
        [["1 + 1/n^2", "(-1)^n/n!"], ["binomial(n, 2)/2^n", "1"]],
        ["1/(n+1)^2", "0.25"],
        start=3,
        prefix=[{"W": [[1, 2]], "b": ["-1/2"]}, ([[1], [3]], [0, 1])],
        output=([[1, 0]], [0]),
    )
    data = F.to_json()
    assert data["format"] == "exactrelu.family" and data["version"] == 1
    text = json.dumps(data)
    G = Family.from_json(text)
    assert G == F
    path = tmp_path / "fam.json"
    F.to_json(path)
    assert Family.from_json(str(path)) == F
    assert Family.from_json(path).layer(5) == F.layer(5)


def test_json_errors():
    good = Family([["1/n"]], [0]).to_json()
    with pytest.raises(ValueError, match="format"):
        Family.from_json({**good, "format": "exactrelu.network"})
    with pytest.raises(ValueError, match="version"):
        Family.from_json({**good, "version": 7})
    with pytest.raises(ValueError, match="missing key 'W'"):
        Family.from_json({k: v for k, v in good.items() if k != "W"})
    with pytest.raises(ValueError, match=r"W\[0\]\[0\]: unknown name 'x'"):
        Family.from_json({**good, "W": [["1/x"]]})
    with pytest.raises(ValueError, match="malformed JSON"):
        Family.from_json("{not json")


@pytest.mark.parametrize(
    "change, msg",
    [
        ({"ouput": None}, "unknown key 'ouput'"),  # a typo must not drop the output layer silently
        ({"version": True}, "unsupported 'version' True"),
        ({"version": 1.0}, "unsupported 'version'"),
        ({"start": True}, "'start' must be an integer, got True"),
        ({"start": "2"}, "'start' must be an integer"),
        ({"start": None}, "'start' must be an integer"),
        ({"prefix": [{"W": [["1"]], "b": ["0"], "B": 1}]}, r"prefix\[0\]: unknown key 'B'"),
        ({"prefix": [[["1"]], ["0"]]}, r"prefix\[0\] must be an object"),
        ({"output": {"W": [["1"]], "b": ["0"], "bias": 0}}, "output: unknown key 'bias'"),
        ({"output": [[["1"]], ["0"]]}, "'output' must be an object"),
    ],
)
def test_json_refuses_unknown_keys_and_non_integer_fields(change, msg):
    good = Family([["1/n"]], [0]).to_json()
    with pytest.raises(ValueError, match=msg):
        Family.from_json({**good, **change})
    with pytest.raises(ValueError, match=msg):  # the same through the text
        Family.from_json(json.dumps({**good, **change}))


def test_json_hostile_numbers_are_refused_quickly():
    # "start": 1e999999999 used to be parsed as Fraction(10**999999999): a hang.
    text = '{"format": "exactrelu.family", "version": 1, "W": [["1/n"]], "b": [0], "start": 1e999999999}'
    with pytest.raises(ValueError, match="'start' must be an integer, got '1e999999999'"):
        Family.from_json(text)
    with pytest.raises(ValueError, match="out of range|too large|exponent"):
        Family.from_json(text.replace('"start": 1e999999999', '"prefix": [{"W": [[1e999999999]], "b": [0]}]'))
    with pytest.raises(ValueError, match=r"W\[0\]\[0\]"):
        Family.from_json(text.replace('"start": 1e999999999', '"start": 1').replace('[["1/n"]]', "[[1e999999999]]"))
    with pytest.raises(ValueError, match="duplicate key 'W'"):
        Family.from_json(text.replace('"start": 1e999999999', '"W": [["1"]]'))


def test_json_decimal_literals_are_exact():
    # 0.1 in the file is one tenth (not the float nearest to it), in W, b, prefix and output alike
    text = json.dumps({"format": "exactrelu.family", "version": 1, "W": [["1/n"]], "b": ["0"], "start": 1,
                       "prefix": [{"W": [["1"]], "b": ["0"]}], "output": {"W": [["1"]], "b": ["0"]}})
    text = text.replace('"b": ["0"], "start"', '"b": [0.1], "start"').replace('"W": [["1"]], "b": ["0"]}]', '"W": [[0.1]], "b": [2.5e-1]}]')
    text = text.replace('"output": {"W": [["1"]]', '"output": {"W": [[1e-1]]')
    fam = Family.from_json(text)
    tenth = Fraction(1, 10)
    assert fam.layer(1)[1] == (tenth,)
    assert fam.prefix == ((((tenth,),), (Fraction(1, 4),)),)
    assert fam.output[0] == ((tenth,),)


def test_to_json_writes_atomically(tmp_path):
    import os

    path = tmp_path / "fam.json"
    F = Family([["1/n"]], ["2^-n"])
    F.to_json(path)
    os.chmod(path, 0o640)
    G = Family([["1/n^2"]], [0])
    G.to_json(path)  # replaced through a temp file that keeps the permissions; no temp file left behind
    assert Family.from_json(path) == G and (path.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["fam.json"]
    with pytest.raises(ValueError, match="directory"):
        F.to_json(tmp_path / "absent" / "fam.json")
    assert Family.from_json(path) == G


# ------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "kwargs, msg",
    [
        (dict(W=[["1", "0"]], b=[0]), "square"),
        (dict(W=[["1"]], b=[0, 0]), "b has length 2"),
        (dict(W=[[sympy.Symbol("x") * n, 1], [0, 1]], b=[0, 0]), r"W\[0\]\[0\]: formula may only use the symbol n, found x"),
        (dict(W=[[1, sympy.gamma(n)], [0, 1]], b=[0, 0]), r"W\[0\]\[1\]: unsupported function or object 'gamma'"),
        (dict(W=[[1, "n +"], [0, 1]], b=[0, 0]), r"W\[0\]\[1\]: unexpected end of formula at column 4"),
        (dict(W=[[1]], b=["sqrt(-4)"]), r"b\[0\]: formula has a non-real value"),
        (dict(W=[[1]], b=[0], start=0), "start must be >= 1"),
        (dict(W=[[1]], b=[0], start=1.5), "start must be an integer"),
        (dict(W=[[1]], b=[0], prefix=[([[1, 2], [3, 4]], [0, 0])]), "prefix layer 0 has width 2, the family has width 1"),
        (dict(W=[[1]], b=[0], prefix=[([[1]], [0]), ([[1, 1]], [0])]), "prefix layer 1: W has 2 columns"),
        (dict(W=[[1]], b=[0], output=([[1, 1]], [0])), "output layer: W has 2 columns"),
        (dict(W=[[float("nan")]], b=[0]), r"W\[0\]\[0\]: NaN"),
    ],
)
def test_validation(kwargs, msg):
    W, b = kwargs.pop("W"), kwargs.pop("b")
    with pytest.raises(ValueError, match=msg):
        Family(W, b, **kwargs)


def test_layer_errors():
    F = Family([["sqrt(2)/n"]], [0], start=2)
    with pytest.raises(ValueError, match="before the family's start 2"):
        F.layer(1)
    with pytest.raises(ValueError, match=r"W\[0\]\[0\] = sqrt\(2\)/n has the value sqrt\(2\)/2 at n = 2, which is not rational"):
        F.layer(2)
    with pytest.raises(ValueError, match="integer"):
        F.layer(2.0)
    assert any(i.kind == "irrational" for i in F.issues())
    with pytest.raises(ValueError, match="depth"):
        Family([["1"]], [0]).truncate(-1)
    with pytest.raises(ValueError, match="no layers"):
        Family([["1"]], [0]).truncate(0)


# ------------------------------------------------------------ exact analysis
def test_poles_detected_exactly():
    F = Family([["1/(n^2 - 5*n + 6)", "0"], ["0", "1"]], ["0", "1/(n-7)"])
    assert F.poles() == {"W[0][0]": (2, 3), "b[1]": (7,)}
    kinds = [(i.kind, i.where) for i in F.issues()]
    assert ("pole", "W[0][0]") in kinds and ("pole", "b[1]") in kinds
    with pytest.raises(ValueError, match=r"W\[0\]\[0\] = .* is undefined at n = 3"):
        F.layer(3)
    assert F.layer(4)[0][0][0] == Fraction(1, 2)  # 16 - 20 + 6 = 2
    # poles before start do not matter
    assert Family([["1/(n^2 - 5*n + 6)"]], [0], start=4).issues() == []
    # an inner pole that together() would hide: 1/(1 - 1/(n-1)) is undefined at n = 1 and 2
    G = Family([["1/(1 - 1/(n-1))"]], [0])
    assert G.poles() == {"W[0][0]": (1, 2)}
    with pytest.raises(ValueError, match="undefined at n = 1"):
        G.layer(1)
    assert G.layer(3)[0][0][0] == Fraction(2)  # 1/(1 - 1/2)
    # exponent of unknown sign: (n-2)^(n-5) is 0^(-3) at n = 2, but (n-5)^(n-3) = 0^2 at n = 5 is fine
    assert Family([["(n-2)^(n-5)"]], [0]).poles() == {"W[0][0]": (2,)}
    assert Family([["(n-5)^(n-3)"]], [0]).poles() == {}
    assert Family([["(n-5)^(n-3)"]], [0]).layer(5)[0][0][0] == 0
    # a removable singularity as written is still undefined there
    assert Family([["(n^2 - 4)/(n - 2)"]], [0]).poles() == {"W[0][0]": (2,)}


def test_non_real_and_undecided():
    F = Family([["sqrt(n - 3)"]], [0])
    msgs = [str(i) for i in F.issues()]
    assert "W[0][0]: sqrt(n - 3) is not real at n = 1" in msgs
    assert not any(i.kind == "non-real" for i in Family([["sqrt(n - 3)"]], [0], start=3).issues())
    L = Family([["log(n - 2)"]], [0])
    assert {i.kind for i in L.issues()} >= {"non-real", "pole"}
    S = Family([["sin(n)/n^2"]], [0])
    assert any(i.kind == "unsupported" and "sin" in i.message for i in S.issues())
    U = Family([["1/(2^n - 8)"]], [0])
    assert [i.kind for i in U.issues()] == ["undecided"]
    with pytest.raises(ValueError, match="undefined at n = 3"):
        U.layer(3)
    Fa = Family([["factorial(n - 2)"]], [0])
    assert [i.kind for i in Fa.issues()] == ["pole"]
    assert Family([["factorial(n - 2)"]], [0], start=2).issues() == []
    assert Family([["(-1)^n/n! + binomial(n, 3)/2^n"]], [0]).issues() == []


def test_issue_is_a_value():
    i = Issue("pole", "W[0][0]", "undefined at n = 3")
    assert str(i) == "W[0][0]: undefined at n = 3" and i == Issue("pole", "W[0][0]", "undefined at n = 3")


# ------------------------------------------------------------ exact integer sign decisions
@given(
    st.lists(st.integers(-6, 6), min_size=0, max_size=4),
    st.integers(-3, 3).filter(bool),
    st.booleans(),
    st.integers(-4, 6),
    st.booleans(),
)
@settings(max_examples=80)
def test_first_bad_integer_matches_brute_force(roots, lead, quad, start, strict):
    p = flint.fmpq_poly([lead])
    for r in roots:
        p *= flint.fmpq_poly([-r, 1])
    if quad:
        p *= flint.fmpq_poly([1, 1, 1])  # n^2 + n + 1 > 0, no real root
    # every real root lies in [-6, 6]; beyond it the sign is the leading coefficient's
    def bad(k):
        v = p(k)
        return v <= 0 if strict else v < 0

    brute = next((k for k in range(start, 20) if bad(k)), None)
    assert _first_bad_integer(p, start, strict) == brute


# ------------------------------------------------------------ JSON round trip, property
_atoms = st.sampled_from(["n", "1", "2", "1/3", "0.25", "pi", "E"])


def _formula_strings():
    def extend(c):
        return st.one_of(
            st.tuples(st.sampled_from(["sqrt", "exp", "log", "sin", "cos", "abs", "factorial"]), c).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
            st.tuples(c, st.sampled_from(["+", "-", "*", "/", "^"]), c).map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        )

    return st.recursive(_atoms, extend, max_leaves=5)


@given(st.lists(_formula_strings(), min_size=5, max_size=5), st.integers(1, 3))
@settings(max_examples=40)
def test_json_round_trip_property(texts, start):
    try:
        F = Family([texts[0:2], texts[2:4]], [texts[4], "0"], start=start)
    except ValueError:
        return  # e.g. a literal division by zero: refused at construction, nothing to round-trip
    G = Family.from_json(json.dumps(F.to_json()))
    assert G == F and hash(G) == hash(F)
    assert [str(i) for i in G.issues()] == [str(i) for i in F.issues()]


# ------------------------------------------------------------ values and poles against an independent evaluator
from test_formula import _trees  # noqa: E402  (formula trees with a Fraction evaluator)


@given(_trees(), st.integers(1, 3))
@settings(max_examples=60)
def test_layer_values_and_poles_match_fraction_evaluation(tree, start):
    text, f = tree
    try:
        F = Family([[text]], [0], start=start)
    except ValueError:
        return  # literal division by zero, refused by the parser
    poles = set(F.poles().get("W[0][0]", ()))
    for k in range(start, start + 8):
        try:
            want = f(k)
        except ZeroDivisionError:
            want = None
        if k in poles:
            # a reported pole is a genuine division by zero of the formula as written
            assert want is None
            with pytest.raises(ValueError, match="undefined"):
                F.layer(k)
        elif want is not None:
            assert F.layer(k)[0][0][0] == want
        # (want is None but no pole: sympy cancelled a factor such as (n-2)/(n-2) -> 1)


def _hyper_strings():
    atoms = st.sampled_from(["n", "2", "1/3", "(-1)^n", "2^(n-3)", "(1/2)^n", "factorial(n)", "factorial(n+2)",
                             "binomial(n, 2)", "binomial(n+1, 3)", "abs(n-4)", "3^(-n)"])

    def extend(c):
        return st.tuples(c, st.sampled_from(["+", "-", "*", "/"]), c).map(lambda t: f"({t[0]}){t[1]}({t[2]})")

    return st.recursive(atoms, extend, max_leaves=5)


@given(_hyper_strings(), st.integers(1, 9))
@settings(max_examples=60)
def test_fast_exact_values_match_sympy_substitution(text, k):
    try:
        F = Family([[text]], [0])
    except ValueError:
        return
    expr = F.W[0, 0]
    v = expr.xreplace({n: sympy.Integer(k)})  # sympy's own evaluation, independent of the fast path
    if v.has(sympy.zoo, sympy.nan) or not v.is_finite:
        with pytest.raises(ValueError, match="undefined"):
            F.layer(k)
    else:
        assert v.is_Rational
        assert F.layer(k)[0][0][0] == Fraction(int(v.p), int(v.q))


def test_integer_valued_polynomial_exponents_are_real():
    # issue 14, item 8: (-1)^(n(n+1)/2) was reported "not real at n = 1"
    fam = Family([["(-1)^(n*(n+1)/2)"]], ["0"])
    assert fam.issues() == []
    assert [fam.layer(k)[0][0][0] for k in range(1, 9)] == [-1, -1, 1, 1, -1, -1, 1, 1]
    # an exponent that is not an integer everywhere is still refused, at the right place
    assert [i.kind for i in Family([["(-1)^(n/2)"]], ["0"]).issues()][:1] == ["non-real"]


def test_a_formula_means_what_is_written():
    # issue 14, item 7: sympy cancels (n-3)/((n-3) n^2) to 1/n^2, but the formula is undefined at n = 3;
    # a removable singularity is a pole, as (n^2-9)/((n-3) n^3) always was, and as the kernel reads it
    from exactrelu import certify, check

    for text in ("1 + (n-3)/((n-3)*n^2)", "(n^2-9)/((n-3)*n^3)", "1 + (n-3)^2*(n-3)^(-2)/n^2"):
        fam = Family([[text]], ["0"])
        assert fam.poles() == {"W[0][0]": (3,)}, text
        assert certify(fam).verdict == "inconclusive"
        assert fam.to_json()["W"] == [[text]]  # the file keeps what was written, hole included
        assert Family.from_json(fam.to_json()).poles() == fam.poles()
    later = Family([["1 + (n-3)/((n-3)*n^2)"]], ["0"], start=4)  # from the first n where it is defined
    assert later.poles() == {} and later.layer(4) == (((Fraction(17, 16),),), (Fraction(0),))
    cert = certify(later)
    assert cert.theorem == "T4" and check(cert) is True
    assert cert.to_json()["subject"]["W"] == [["1 + (n-3)/((n-3)*n^2)"]]
    # the kernel refuses the same subject from n = 1, where the written divisor vanishes at 3
    forged = cert.to_json()
    forged["subject"] = {**forged["subject"], "start": 1}
    with pytest.raises(ValueError):
        check(forged)
