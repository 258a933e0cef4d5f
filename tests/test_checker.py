"""Mutation suite for the independent checker (exactrelu.check).

Every genuine certificate is mutated systematically, field by field.  Each
mutation is labelled:

* "forgery": the mutated claim or witness is false or unsupported, so the
  checker MUST reject it (CertificateError);
* "weakening": the mutated certificate is still a valid proof (a larger
  constant, a scaled weight vector...), so the checker MUST accept it;
* "either": validity depends on the numbers; if the checker accepts, an
  independent exact oracle (truncations of the family) must confirm the claim.

Malformed or forged JSON must give CertificateError, never another exception.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu.depth.certificate import Certificate, CertificateError
from exactrelu.depth.certifier import certify
from exactrelu.depth.checker import check, nonneg_from
from exactrelu.depth.family import Family, n

F = Fraction


def _genuine() -> dict:
    fams = {
        "T4": (Family([["1 + 1/n^2", "2/n^2"], ["0", "1 - 1/n^2"]], ["2^(-n)", "-2^(-n)"]), None),
        "T6": (Family([["1/2", "1/4"], ["-1/4", "1/3"]], ["1", "-1/2"]), None),
        "T6b": (Family([["1/2 + 1/n^2", "1/4"], ["-1/4 - 2^(-n)", "1/3"]], ["1 + 2^(-n)", "-1/2 + 1/n^2"]), None),
        "P1": (Family([["-1", "0"], ["0", "-1"]], ["1", "1"]), ["1/2", "1/2"]),
        "T7a": (Family([["-1", "0"], ["0", "-1"]], ["1", "1"]), [0, 0]),
        "T7b-set": (Family([["1 + 1/n", "0"], ["0", "1"]], ["0", "0"]), None),
        "T7b-point": (Family([["1 + 1/n", "0"], ["0", "1"]], ["0", "0"]), [2, 3]),
        "T7b-bias": (Family([["1", "0"], ["0", "1"]], ["1/n", "1/n"]), None),
        "T7c-set": (Family([["0", "2"], ["2", "0"]], ["0", "0"]), None),
        "T7d-set": (Family([["1", "1/n"], ["0", "1"]], ["0", "0"]), None),
        "T7d-point": (Family([["1", "1/n"], ["0", "1"]], ["0", "1/n^2"], output=([[1, 0]], [0])), [1, 1]),
        "T7c-output": (Family([["0", "2"], ["2", "0"]], ["0", "0"], output=([[1, 3]], [-5])), [1, 0]),
    }
    out = {}
    for name, (fam, x) in fams.items():
        cert = certify(fam, x=x)
        assert cert.verdict != "inconclusive", name
        out[name] = cert.to_json()
    return out


GENUINE = _genuine()


# ------------------------------------------------------------------- oracle
def _claim_holds(cert: Certificate) -> bool:
    """Independent exact sanity check of a claim, from truncations of the family."""
    fam = cert.subject
    if cert.verdict == "converges":
        pts = [cert.scope["x"]] if cert.scope["kind"] == "point" else [(F(0), F(0)), (F(1), F(-1)), (F(-2), F(2))]
        tail = (lambda d: cert.tail_bound(d)) if cert.theorem == "P1" else (lambda d: cert.tail_bound(d, 2))
        for x in pts:
            a, b = fam.truncate(20)(x), fam.truncate(200)(x)
            # |N_200 - N_20| <= |N_inf - N_20| + |N_inf - N_200|
            if max(abs(p - q) for p, q in zip(a, b)) > tail(20) + tail(200):
                return False
            if cert.limit is not None and max(abs(p - q) for p, q in zip(b, cert.limit)) > tail(200):
                return False
        return True
    if cert.scope["kind"] == "point":
        x = cert.scope["x"]
    elif cert.scope["kind"] == "set":
        x = cert.witnesses["witness_point"]
    else:
        x = (F(0),) * fam.input_dim
    if cert.theorem == "T7a":
        outs = [fam.truncate(d)(x) for d in range(40, 46)]
        return len(set(outs)) > 1 and outs[0] == outs[len(cert.witnesses["orbit"])]
    small, big = fam.truncate(20)(x), fam.truncate(200)(x)
    return max(abs(t) for t in big) > max(abs(t) for t in small) + 1  # (the slowest genuine growth is log d)


# ---------------------------------------------------------------- mutations
def _rat_mutations(value: str, name: str) -> list:
    q = F(value)
    return [(f"{name}*2", str(2 * q)), (f"{name}/2", str(q / 2)), (f"{name}+1", str(q + 1)),
            (f"{name}-1", str(q - 1)), (f"-{name}", str(-q)), (f"{name}=0", "0")]


# direction of each scalar witness: +1 if increasing it is a weakening, -1 if decreasing it is
_WEAKER_UP = {"S": 1, "B": 1, "P": 1, "q": 1}  # q: |W| v <= q v stays true for a larger q < 1
_WEAKER_DOWN = {"lambda": 1}


def _label_scalar(key: str, old: F, new: F, theorem: str) -> str:
    if key in _WEAKER_UP:
        if new >= old and (key != "q" or new < 1):
            return "weakening"
        return "forgery" if new < old and key != "q" else "either"
    if key in _WEAKER_DOWN:
        return "weakening" if 1 < new <= old else ("forgery" if new > old or new <= 1 else "either")
    if key == "c":  # output row domination W_o[r] >= c u^T: smaller positive c is weaker
        return "weakening" if 0 < new <= old else "either"
    return "either"


def _mutations(data: dict) -> list:
    """(label, description, mutated JSON) for every field of a genuine certificate."""
    out = []

    def add(label, desc, fn):
        d = copy.deepcopy(data)
        fn(d)
        out.append((label, desc, d))

    theorem = data["theorem"]
    for v in ("converges", "diverges", "inconclusive"):
        if v != data["verdict"]:
            add("forgery", f"verdict={v}", lambda d, v=v: d.update(verdict=v))
    for t in ("T4", "T6", "T6b", "P1", "T7a", "T7b", "T7c", "T7d", None):
        if t != theorem:
            add("forgery", f"theorem={t}", lambda d, t=t: d.update(theorem=t))
    if data["scope"]["kind"] != "everywhere":
        add("forgery", "scope=everywhere", lambda d: d.update(scope={"kind": "everywhere"}))
    else:
        add("either", "scope=point", lambda d: d.update(scope={"kind": "point", "x": ["1", "1"]}))
    if data["scope"]["kind"] == "point":
        # P1/T7a: x must be the witness point; T7b/T7c: another point may also satisfy u^T y_K > 0
        add("forgery" if theorem in ("P1", "T7a") else "either", "scope x moved", lambda d: d["scope"].update(x=[str(F(t) + 7) for t in d["scope"]["x"]]))
    if data["scope"]["kind"] == "set":
        add("forgery", "scope condition", lambda d: d["scope"].update(condition=d["scope"]["condition"] + " or x = 0"))
    if data["limit"] is not None:
        for i in range(len(data["limit"])):
            add("forgery", f"limit[{i}]+1/1000", lambda d, i=i: d["limit"].__setitem__(i, str(F(d["limit"][i]) + F(1, 1000))))
    else:
        add("forgery", "limit claimed", lambda d: d.update(limit=["0", "0"]))
    # the subject: change one formula (a different family)
    add("either", "subject W[0][0] + 1/5",
        lambda d: d["subject"]["W"][0].__setitem__(0, f"({d['subject']['W'][0][0]}) + 1/5"))
    add("either", "subject b[1] - 3",
        lambda d: d["subject"]["b"].__setitem__(1, f"({d['subject']['b'][1]}) - 3"))
    # the same family written otherwise (same canonical forms) is the same subject; a pole or a hostile
    # formula added to it is not
    add("weakening", "subject W[0][0] rewritten",
        lambda d: d["subject"]["W"][0].__setitem__(0, f"(n + 1)/(n + 1) * ({d['subject']['W'][0][0]}) + 0*n^3"))
    add("forgery", "subject W[0][0] with a pole at start",
        lambda d: d["subject"]["W"][0].__setitem__(0, f"({d['subject']['W'][0][0]}) + 0/(n - {d['subject'].get('start', 1)})"))
    add("forgery", "subject W[0][0] oversize",
        lambda d: d["subject"]["W"][0].__setitem__(0, "(n+1)^1000*(n+2)^1000"))
    add("forgery", "subject theorem unknown (T9)", lambda d: d.update(theorem="T9"))
    for key, val in data["witnesses"].items():
        out += _witness_mutations(data, key, val, theorem)
    return out


def _witness_mutations(data: dict, key: str, val, theorem: str) -> list:
    out = []

    def add(label, desc, new):
        d = copy.deepcopy(data)
        d["witnesses"][key] = new
        out.append((label, f"{key}: {desc}", d))

    if isinstance(val, str) and key not in ("pattern", "route"):
        for desc, new in _rat_mutations(val, key):
            add(_label_scalar(key, F(val), F(new), theorem), desc, new)
    elif key == "pattern":
        add("forgery", "flipped", "".join("1" if c == "0" else "0" for c in val))
    elif key == "route":
        add("forgery", "other route", "sum a_n" if val != "sum a_n" else "sum u^T b_n")
    elif isinstance(val, int):
        for desc, new in (("+1", val + 1), ("-1", val - 1), ("=0", 0), ("=-5", -5), ("huge", 10**9)):
            label = "either" if (key in ("N", "j") and new >= 1) else "forgery"
            if key in ("output_row", "k") or (key == "n0" and (new > val or theorem == "T6b" and new >= 1)) \
                    or (key == "K" and theorem == "T7c" and new >= 1):
                label = "either"  # a later start of the argument, or another row, may still be valid
            add(label, desc, new)
    elif key in ("v", "u", "w", "x", "witness_point", "fixed_point"):
        # v -> 2v is a weakening (|W| v <= q v is homogeneous); u -> 2u changes u^T b_n and the set's text
        add("weakening" if key == "v" else "forgery" if key == "fixed_point" else "either",
            "scaled by 2", [str(2 * F(t)) for t in val])
        for i in range(len(val)):
            for desc, delta in (("+1", 1), ("-1/3", F(-1, 3))):
                new = list(val)
                new[i] = str(F(val[i]) + delta)
                label = "forgery" if key == "fixed_point" else "either"
                if key == "x" and theorem in ("P1", "T7a", "T7b", "T7c", "T7d"):
                    label = "forgery"  # x must equal the scope point
                add(label, f"[{i}]{desc}", new)
        add("forgery", "truncated", val[:-1])
        add("forgery", "extended", val + ["1"])
    elif key in ("W_limit", "b_limit"):  # another limit layer: the series terms no longer match
        rows = val if key == "W_limit" else [val]
        for i, row in enumerate(rows):
            for j in range(len(row)):
                new = copy.deepcopy(rows)
                new[i][j] = str(F(new[i][j]) + F(1, 7))
                add("forgery", f"[{i}][{j}]+1/7", new if key == "W_limit" else new[0])
    elif key == "orbit":
        add("forgery", "reversed", val[::-1] if len(val) > 1 else val + val)
        add("forgery", "shortened", val[:1])
        for i in range(len(val)):
            new = copy.deepcopy(val)
            new[i][0] = str(F(new[i][0]) + F(1, 2))
            add("forgery", f"state {i} moved", new)
        add("forgery", "doubled (fake period)", val + val[:1])
    elif key in ("W_series", "b_series"):
        add("forgery", "dropped an entry", val[1:])
        add("forgery", "duplicated an entry", val + val[:1])
        for i, e in enumerate(val):
            out += _series_mutations(data, key, i, e["series"])
            new = copy.deepcopy(val)
            new[i]["row"] = (e["row"] + 1) % 2
            add("either", f"[{i}] moved to another row", new)
    elif key in ("a_series", "ub_series"):
        out += _series_mutations(data, key, None, val)
    return out


def _series_mutations(data: dict, key: str, i, s: dict) -> list:
    out = []

    def add(label, desc, fn):
        d = copy.deepcopy(data)
        target = d["witnesses"][key] if i is None else d["witnesses"][key][i]["series"]
        fn(target)
        out.append((label, f"{key}[{i}]: {desc}", d))

    summable = s["verdict"] == "summable"
    add("forgery", "verdict flipped", lambda t: t.update(verdict="not summable" if summable else "summable"))
    other = -3 if s["term"] == {"op": "Pow", "args": ["n", -1]} else -1
    add("forgery", f"term replaced by n^{other}", lambda t: t.update(term={"op": "Pow", "args": ["n", other]}))
    # the kernel compares terms by canonical form: the same function written otherwise is the same claim
    add("weakening", "term written as 1 * (n/n) * term",
        lambda t: t.update(term={"op": "Mul", "args": [1, {"op": "Mul", "args": ["n", {"op": "Pow", "args": ["n", -1]}]},
                                                         t["term"]]}))
    add("forgery", "term doubled", lambda t: t.update(term={"op": "Mul", "args": [2, t["term"]]}))
    add("forgery", "term oversize ((n+1)^2000)",
        lambda t: t.update(term={"op": "Pow", "args": [{"op": "Add", "args": ["n", 1]}, 2000]}))
    add("forgery", "term outside the language (log)", lambda t: t.update(term={"op": "log", "args": [t["term"]]}))
    for w, val in s["witnesses"].items():
        q = F(val)
        for desc, new in (("*2", 2 * q), ("/2", q / 2), ("+1", q + 1), ("-1", q - 1)):
            # a larger C or r proves the series still, but it raises the series tail bounds, which the
            # constants S, B, P of a T4 certificate were computed from: valid or not depends on the slack
            if w == "C":
                label = "either" if new >= q else "forgery"
            elif w == "p":
                label = "forgery" if new > q else "either"  # larger exponent: forged; smaller but > 1: weaker
            elif w == "r":
                label = "either" if q <= new < 1 else ("forgery" if new < q else "either")
            elif w == "c":
                label = "weakening" if 0 < new <= q else "either"
            else:
                label = "either"
            if w == "N" and new < s["start"]:
                label = "either"
            add(label, f"{w}{desc}", lambda t, w=w, new=new: t["witnesses"].__setitem__(w, str(new)))
    add("forgery", "witnesses emptied", lambda t: t.update(witnesses={}))
    return out


CASES = [(name, label, desc, mutated) for name, data in GENUINE.items() for label, desc, mutated in _mutations(data)]


def test_genuine_certificates_check():
    for name, data in GENUINE.items():
        assert check(data), name
        assert check(json.dumps(data)), name


def test_suite_is_large_and_mostly_forgeries():
    labels = [label for _, label, _, _ in CASES]
    assert len(CASES) > 300 and labels.count("forgery") > 150 and labels.count("weakening") > 10


@pytest.mark.parametrize("name, label, desc, mutated", CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_mutation(name, label, desc, mutated):
    try:
        ok = check(mutated)
    except CertificateError:
        ok = False
    if label == "forgery":
        assert not ok, f"{name}: forged certificate accepted ({desc})"
    elif label == "weakening":
        assert ok, f"{name}: a weaker but valid certificate was rejected ({desc})"
    elif ok:
        assert _claim_holds(Certificate.from_json(mutated)), f"{name}: accepted mutation {desc} is not valid"


def test_subject_mismatch_and_swapped_subject():
    t4, t6 = GENUINE["T4"], GENUINE["T6"]
    swapped = copy.deepcopy(t6)
    swapped["subject"] = t4["subject"]
    with pytest.raises(CertificateError):
        check(swapped)
    other = Family([["1/3"]], ["1"])
    with pytest.raises(CertificateError, match="different family"):
        check(t6, family=other)
    assert check(t6, family=Certificate.from_json(t6).subject)


def test_programmatic_float_is_rejected():
    cert = Certificate.from_json(GENUINE["T6"])
    cert.witnesses["q"] = 0.75  # a float must never decide anything
    with pytest.raises(CertificateError, match="wrong type"):
        check(cert)


@pytest.mark.parametrize(
    "bad",
    [None, 3, "", "{", "[]", "{}", '{"format": "exactrelu.certificate"}', "/nonexistent/file.json",
     {"format": "exactrelu.certificate", "version": 1}, {"format": "other", "version": 1}],
)
def test_malformed_input(bad):
    with pytest.raises(CertificateError):
        check(bad)


def _json_values():
    return st.recursive(
        st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8)
        | st.sampled_from(["1/0", "1/2", "-3", "x", "1e400", "nan"]),
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
        max_leaves=8,
    )


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


@settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 120)))
@given(st.sampled_from(sorted(GENUINE)), st.data(), _json_values(), st.booleans())
def test_fuzzed_json_never_crashes(name, data, value, delete):
    doc = copy.deepcopy(GENUINE[name])
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        ok = check(doc)
    except CertificateError:
        return
    assert ok is True
    assert _claim_holds(Certificate.from_json(doc))


def test_nonneg_from():
    # n^2 - 5n + 3 has roots (5 +- sqrt(13))/2 ~ 0.70, 4.30: negative at n = 4, positive from 5 on
    assert nonneg_from(n**2 - 5 * n + 3, 5) and not nonneg_from(n**2 - 5 * n + 3, 4)
    assert nonneg_from((n - 3) ** 2, 1)  # a double root: nonnegative everywhere
    assert not nonneg_from((-1) ** n, 1) and not nonneg_from(n - 10**6, 1)
    assert nonneg_from(1 + 2 ** (-n), 1) and nonneg_from((n + 1) / 2**n, 1)
    assert nonneg_from(n ** F(1, 2), 1) and nonneg_from(1 / n ** F(3, 2), 1)  # positive roots of positive n
    assert not nonneg_from(-n ** F(1, 2), 1)


def test_checker_does_not_import_the_certifier():
    import ast
    import subprocess
    import sys
    from pathlib import Path

    import exactrelu.depth.checker as mod

    for path in (Path(mod.__file__), Path(mod.__file__).with_name("certificate.py")):
        tree = ast.parse(path.read_text())
        names = [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
        names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        untrusted = [nm for nm in names if nm.split(".")[-1] in ("certifier", "series") and "kernel" not in nm]
        assert not untrusted, (path, untrusted)
    # and at run time: checking a certificate from JSON never loads the certifier or the series search
    code = ("import json, sys; from exactrelu.depth.checker import check; "
            f"check(json.loads({json.dumps(json.dumps(GENUINE['T4']))})); "
            f"check(json.loads({json.dumps(json.dumps(GENUINE['T7b-set']))})); "
            "assert 'exactrelu.depth.certifier' not in sys.modules, 'the certifier was imported'; "
            "assert 'exactrelu.series' not in sys.modules, 'the series search was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_version_true_and_hostile_numbers_are_malformed(tmp_path):
    # `version: true` equals 1 in Python; it must not pass for the integer 1
    data = certify(Family([["1/2"]], ["1"])).to_json()
    assert check(data) is True
    with pytest.raises(CertificateError, match="unsupported certificate version True"):
        check({**data, "version": True})
    # a huge exponent in a witness is refused at once (it used to be a float or a hang elsewhere)
    text = json.dumps(data).replace('"q": "1/2"', '"q": 1e999999999')
    with pytest.raises(CertificateError, match="out of range"):
        check(text)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data)[:-5])  # truncated file: malformed, naming the line and column
    with pytest.raises(CertificateError, match="malformed JSON at line 1, column"):
        check(str(path))


def test_json_numbers_are_not_accepted_where_strings_are_expected():
    # decimal literals are read as text (to stay exact); they must still not pass for strings
    data = certify(Family([["1/2"]], ["1"])).to_json()
    text = json.dumps(data)
    assert '"pattern": "1"' in text
    with pytest.raises(CertificateError, match="expected a string"):
        check(text.replace('"pattern": "1"', '"pattern": 1.0'))
    with pytest.raises(CertificateError, match="reasons must be a list of strings"):
        check(json.dumps({**data, "reasons": ["ok"]}).replace('"ok"', "0.5"))
