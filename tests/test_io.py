"""Tests for exactrelu.interop.io: JSON and npz round trips, exact float conversion, hostile files."""

from __future__ import annotations

import os
import pickle
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu.interop.arrays import array_to_fractions, nearest_float
from exactrelu.interop.io import load, save


# ------------------------------------------------------------- strategies
def dyadic(max_exp: int = 6) -> st.SearchStrategy:
    """Rationals p / 2^k: exactly representable in float64 (and float32 when small)."""
    return st.builds(lambda p, k: Fraction(p, 2**k), st.integers(-1000, 1000), st.integers(0, max_exp))


def rational() -> st.SearchStrategy:
    return st.fractions(min_value=-50, max_value=50, max_denominator=30)


@st.composite
def nets(draw, entry=dyadic()) -> Network:
    d = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    layers, prev = [], d
    for w in widths:
        W = [[draw(entry) for _ in range(prev)] for _ in range(w)]
        layers.append((W, [draw(entry) for _ in range(w)]))
        prev = w
    output = None
    if draw(st.booleans()):
        k = draw(st.integers(1, 2))
        output = ([[draw(entry) for _ in range(prev)] for _ in range(k)], [draw(entry) for _ in range(k)])
    return Network(layers, output=output)


# ------------------------------------------------------------ round trips
@settings(max_examples=25)
@given(net=nets(), suffix=st.sampled_from([".json", ".npz"]))
def test_round_trip_dyadic(tmp_path_factory, net, suffix):
    path = tmp_path_factory.mktemp("rt") / f"net{suffix}"
    save(net, path)
    assert load(path) == net


@settings(max_examples=25)
@given(net=nets(rational()))
def test_round_trip_exact_rationals(tmp_path_factory, net):
    d = tmp_path_factory.mktemp("rt")
    save(net, d / "n.json")
    save(net, d / "n.npz", dtype="str")
    assert load(d / "n.json") == net
    assert load(d / "n.npz") == net


def test_npz_written_by_numpy_float32_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    W0, b0 = rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    Wo, bo = rng.standard_normal((1, 3)).astype(np.float32), rng.standard_normal(1).astype(np.float32)
    np.savez(tmp_path / "n.npz", W0=W0, b0=b0, W_out=Wo, b_out=bo)
    net = load(tmp_path / "n.npz")
    # The exact binary values: float32 -> Python float is exact, Fraction(float) is exact.
    assert net.layers[0][0][1][0] == Fraction(float(W0[1, 0]))
    assert net.output[1] == (Fraction(float(bo[0])),)
    x = [Fraction(1, 3), Fraction(-2)]
    # An independent exact forward pass with Fractions.
    h = [max(Fraction(0), sum(Fraction(float(W0[i, j])) * x[j] for j in range(2)) + Fraction(float(b0[i]))) for i in range(3)]
    y = sum(Fraction(float(Wo[0, i])) * h[i] for i in range(3)) + Fraction(float(bo[0]))
    assert net(x) == (y,)


def test_save_float32_npz_and_rounding(tmp_path):
    net = Network([([["1/3", 1]], ["1/2"])])
    with pytest.raises(ValueError, match=r"layer 0, W, row 0, column 0: 1/3 is not exactly representable in float32"):
        save(net, tmp_path / "n.npz", dtype="float32")
    assert not os.listdir(tmp_path)  # nothing half-written, no temp file left
    save(net, tmp_path / "n.npz", dtype="float32", allow_rounding=True)
    got = load(tmp_path / "n.npz")
    assert got.layers[0][0][0][0] == Fraction(float(np.float32(1 / 3)))
    assert got.layers[0][1] == (Fraction(1, 2),)


# ------------------------------------------------------ nearest float
@settings(max_examples=200)
@given(q=st.fractions(min_value=-1e6, max_value=1e6, max_denominator=10**12))
def test_nearest_float_matches_mpmath(q):
    assert nearest_float(q) == float(q)  # CPython rounds int/int correctly
    # mpmath rounds to a 24-bit mantissa correctly (unbounded exponent: avoid subnormals).
    if q == 0 or abs(q) > Fraction(1, 2**100):
        # fdiv divides the exact integers and rounds once to the given precision.
        ref = float(mpmath.fdiv(q.numerator, q.denominator, prec=24))
        assert nearest_float(q, "float32") == ref
        ref16 = float(mpmath.fdiv(q.numerator, q.denominator, prec=11))
        if abs(q) < 60000 and (q == 0 or abs(q) > Fraction(1, 2**14)):
            assert nearest_float(q, "float16") == ref16


def test_nearest_float_ties_to_even():
    # 1 + 2^-24 lies halfway between float32 1 and 1 + 2^-23: ties go to the even mantissa (1).
    assert nearest_float(Fraction(1) + Fraction(1, 2**24), "float32") == 1.0
    # 1 + 3*2^-24 lies halfway between 1 + 2^-23 (odd) and 1 + 2^-22 (even).
    assert nearest_float(Fraction(1) + Fraction(3, 2**24), "float32") == 1 + 2**-22
    with pytest.raises(ValueError, match="too large for float32"):
        nearest_float(Fraction(10**40), "float32")


def test_array_to_fractions_errors():
    with pytest.raises(ValueError, match=r"W, row 1, column 0: nan is not a finite number"):
        array_to_fractions(np.array([[1.0], [np.nan]]), "W", 2)
    with pytest.raises(ValueError, match="dtype bool"):
        array_to_fractions(np.array([True]), "b", 1)
    with pytest.raises(ValueError, match="dtype complex"):
        array_to_fractions(np.array([1j]), "b", 1)
    with pytest.raises(ValueError, match=r"expected a vector \(1-D\), got an array of shape \(1, 1\)"):
        array_to_fractions(np.zeros((1, 1)), "b", 1)
    assert array_to_fractions(np.array(["1/3", "0.1"]), "b", 1) == (Fraction(1, 3), Fraction(1, 10))


# ----------------------------------------------------------- bad files
def test_npz_object_array_refused(tmp_path):
    # np.savez pickles object arrays; loading must refuse instead of unpickling.
    np.savez(tmp_path / "o.npz", W0=np.array([[1, 2]], dtype=object), b0=np.array([0.0]))
    with pytest.raises(ValueError, match="'W0' cannot be read without unpickling"):
        load(tmp_path / "o.npz")


def test_pickle_disguised_as_npz_refused(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    (tmp_path / "p.npz").write_bytes(pickle.dumps({"W0": Boom()}))
    with pytest.raises(ValueError, match="not an .npz archive"):
        load(tmp_path / "p.npz")
    assert not (tmp_path / "pwned").exists()


def test_npy_disguised_as_npz(tmp_path):
    with open(tmp_path / "a.npz", "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array"):
        load(tmp_path / "a.npz")


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"W0": np.eye(2)}, "missing array 'b0'"),
        ({"W0": np.eye(2), "b0": np.zeros(2), "W_out": np.eye(2)}, "missing array 'b_out'"),
        ({"W0": np.eye(2), "b0": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}, "unexpected array 'W2'"),
        ({"W0": np.eye(2), "b0": np.zeros(2), "extra": np.eye(2)}, "unexpected array 'extra'"),
        ({"W0": np.eye(2), "b0": np.zeros(3)}, "layer 0: W has shape \\(2, 2\\) but b has length 3"),
        ({"W0": np.eye(2), "b0": np.zeros(2), "W1": np.ones((1, 3)), "b1": np.zeros(1)}, "layer 1: W has shape"),
        ({"W0": np.eye(2), "b0": np.array([0.0, np.inf])}, "layer 0, b, entry 1: inf is not a finite number"),
        ({"W0": np.zeros((2, 2, 1)), "b0": np.zeros(2)}, "layer 0, W: expected a matrix"),
        ({}, "holds no arrays"),
    ],
)
def test_npz_bad_contents(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        load(tmp_path / "bad.npz")


def test_truncated_files(tmp_path):
    net = Network([([[1, 2], [3, 4]], [0, 1])], output=([[1, -1]], [0]))
    for suffix in (".json", ".npz"):
        save(net, tmp_path / f"n{suffix}")
        data = (tmp_path / f"n{suffix}").read_bytes()
        for cut in (0, len(data) // 3, len(data) - 5):
            (tmp_path / f"t{suffix}").write_bytes(data[:cut])
            with pytest.raises(ValueError):
                load(tmp_path / f"t{suffix}")


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="unknown suffix '.pt'"):
        load(tmp_path / "model.pt")
    with pytest.raises(ValueError, match="no such file"):
        load(tmp_path / "absent.json")
    with pytest.raises(ValueError, match="unknown suffix"):
        save(Network([([[1]], [0])]), tmp_path / "model.pkl")
    with pytest.raises(ValueError, match="does not exist"):
        save(Network([([[1]], [0])]), tmp_path / "nodir" / "n.json")
    with pytest.raises(ValueError, match="expects a Network"):
        save([[1]], tmp_path / "n.json")


def test_failed_save_keeps_old_file(tmp_path):
    good = Network([([[1]], [0])])
    save(good, tmp_path / "n.npz")
    before = (tmp_path / "n.npz").read_bytes()
    with pytest.raises(ValueError):
        save(Network([([["1/3"]], [0])]), tmp_path / "n.npz")
    assert (tmp_path / "n.npz").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["n.npz"]


def test_hostile_sizes_and_nesting(tmp_path):
    import io as _io
    import zipfile

    # An .npy header announcing 10^9 float64 numbers with no data: refused from the header alone.
    buf = _io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)})
    with zipfile.ZipFile(tmp_path / "big.npz", "w") as z:
        z.writestr("W0.npy", buf.getvalue())
        z.writestr("b0.npy", buf.getvalue())
    with pytest.raises(ValueError, match="too large for exact arithmetic"):
        load(tmp_path / "big.npz")
    with zipfile.ZipFile(tmp_path / "junk.npz", "w") as z:
        z.writestr("W0.npy", b"not an npy file")
    with pytest.raises(ValueError, match="'W0.npy' is not a plain .npy array"):
        load(tmp_path / "junk.npz")
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ValueError):
        load(tmp_path / "deep.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError):
        load(tmp_path / "bin.json")


def test_saved_file_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        save(Network([([[1]], [0])]), tmp_path / "n.json")
        assert (tmp_path / "n.json").stat().st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "n.json", 0o600)
        save(Network([([[2]], [0])]), tmp_path / "n.json")  # an existing file keeps its mode
        assert (tmp_path / "n.json").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(mask)


# ---- audit regressions
def test_random_bytes_named_npz_are_not_offered_to_unpickling(tmp_path):
    # numpy treats a non-zip, non-.npy file as a pickle and suggests allow_pickle=True.
    path = tmp_path / "net.npz"
    path.write_bytes(bytes(range(7, 200)))
    with pytest.raises(ValueError, match="not an .npz archive") as info:
        load(path)
    assert "pickle" not in str(info.value)


def test_long_double_arrays_are_exact_not_rounded_to_float64(tmp_path):
    third = np.longdouble(1) / np.longdouble(3)
    if np.finfo(np.longdouble).nmant <= 52:
        pytest.skip("long double is float64 on this platform")
    np.savez(tmp_path / "ld.npz", W0=np.array([[third]]), b0=np.zeros(1))
    w = load(tmp_path / "ld.npz").layers[0][0][0][0]
    assert w == Fraction(*third.as_integer_ratio()) and w != Fraction(float(third))


def test_directory_named_like_a_network(tmp_path):
    (tmp_path / "net.json").mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        load(tmp_path / "net.json")


def test_load_save_and_nearest_float_refuse_wrong_argument_types(tmp_path):
    for bad in (5, None):
        with pytest.raises(ValueError, match="expects a file path"):
            load(bad)
        with pytest.raises(ValueError, match="expects a file path"):
            save(Network([([[1]], [0])]), bad)
    with pytest.raises(ValueError, match="NaN"):
        nearest_float(float("nan"))
    assert nearest_float("1/4", "float16") == 0.25  # strings are exact rationals as everywhere


def test_npz_claiming_huge_string_entries_is_refused_before_reading(tmp_path):
    import io as _io
    import zipfile

    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        head = _io.BytesIO()  # one entry of 2^28 characters = 1 GiB of UCS-4, declared in the header only
        np.lib.format.write_array_header_1_0(head, {"descr": "<U268435456", "fortran_order": False, "shape": (2,)})
        z.writestr("W0.npy", head.getvalue())
        z.writestr("b0.npy", head.getvalue())
    with pytest.raises(ValueError, match="more than 1073741824 bytes"):
        load(path)
