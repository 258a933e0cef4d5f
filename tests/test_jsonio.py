"""Tests of the shared JSON reader and atomic writer (exactrelu.exact.jsonio)."""

import json
import os
import stat
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactrelu.exact.jsonio import JSONDecimal, decimals_to_float, no_unknown_keys, read_json, write_json
from exactrelu.exact.numbers import to_fraction


def test_decimals_stay_text_and_convert_exactly():
    data = read_json('{"a": 0.1, "b": [1e-3, -2.50], "c": 7}')
    assert data == {"a": "0.1", "b": ["1e-3", "-2.50"], "c": 7}
    assert isinstance(data["a"], JSONDecimal) and isinstance(data["a"], str)
    # 0.1 is one tenth, not the float nearest to it
    assert to_fraction(data["a"]) == Fraction(1, 10) != Fraction(0.1)
    assert to_fraction(data["b"][0]) == Fraction(1, 1000)


def test_hostile_numbers_never_hang_or_expand():
    # 1e999999999 would take forever as Fraction(10**999999999): it stays text,
    # and the exact converter refuses the exponent.
    data = read_json("[1e999999999, " + "9" * 5000 + "]")
    assert data[0] == "1e999999999" and data[1] == "9" * 5000
    with pytest.raises(ValueError, match="out of range"):
        to_fraction(data[0])
    assert to_fraction(data[1]) == 10**5000 - 1  # long integers are still exact


@pytest.mark.parametrize("text", ['{"a": 1, "a": 2}', '[{"x": {"k": 1, "k": 1}}]'])
def test_duplicate_keys_refused(text):
    with pytest.raises(ValueError, match="family JSON: duplicate key"):
        read_json(text, what="family")


def test_messages_name_what_and_where(tmp_path):
    with pytest.raises(ValueError, match=r"^certificate JSON: malformed JSON at line 2, column 1"):
        read_json('{"a":\n}', what="certificate")
    p = tmp_path / "c.json"
    p.write_text("")
    with pytest.raises(ValueError, match=rf"^{p}: malformed JSON at line 1, column 1"):
        read_json(p, what="certificate")
    with pytest.raises(ValueError, match="cannot read family file .*: it is a directory"):
        read_json(tmp_path, what="family")
    with pytest.raises(ValueError, match="cannot read family file .*absent.json"):
        read_json(str(tmp_path / "absent.json"), what="family")
    with pytest.raises(ValueError, match="cannot read network file '': the file name is empty"):
        read_json("")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00{")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        read_json(tmp_path / "bin.json")
    with pytest.raises(ValueError, match="nested too deeply"):
        read_json("[" * 100000 + "]" * 100000)
    with pytest.raises(ValueError, match="network: expected a path, a JSON string or a dict, got int"):
        read_json(3)
    d = {"already": "parsed"}
    assert read_json(d) is d


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6)
    | st.fractions().map(lambda q: f"{q.numerator}/{q.denominator}"),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
    max_leaves=10,
))
def test_write_then_read_round_trip(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("rt") / "d.json"
    write_json(data, p)
    assert read_json(p) == data
    assert json.loads(p.read_text()) == data


def test_write_is_atomic_and_has_normal_permissions(tmp_path):
    p = tmp_path / "f.json"
    write_json({"a": ["1/3"]}, p)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600
    # unserialisable data: the old file is untouched and no temp file is left
    with pytest.raises(TypeError):
        write_json({"a": object()}, p)
    with pytest.raises(ValueError):
        write_json({"a": float("nan")}, p)  # not JSON
    assert read_json(p) == {"a": ["1/3"]}
    assert sorted(os.listdir(tmp_path)) == ["f.json"]
    os.chmod(p, 0o600)  # a replaced file keeps its own permissions
    write_json([1], p)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600 and read_json("[1]") == read_json(p)
    with pytest.raises(ValueError, match="it is a directory"):
        write_json({}, tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        write_json({}, tmp_path / "no" / "f.json")


def test_no_unknown_keys_and_decimals_to_float():
    no_unknown_keys({"W": 1}, {"W", "b"}, "x")
    with pytest.raises(ValueError, match=r"x: unknown key 'ouput' \(expected W, output\)"):
        no_unknown_keys({"ouput": 1}, {"W", "output"}, "x")
    ev = read_json('[{"difference": 0.663, "x": [1.5, 2], "kind": "0.5"}]')
    back = decimals_to_float(ev)
    assert back == [{"difference": 0.663, "x": [1.5, 2], "kind": "0.5"}]
    assert type(back[0]["difference"]) is float and type(back[0]["kind"]) is str  # a real string stays one
