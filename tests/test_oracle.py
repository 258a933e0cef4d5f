"""Tests for exactrelu.oracle and its CLI: exact test vectors, verification, and compare()."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network
from exactrelu import oracle
from exactrelu.cli import main
from exactrelu.oracle import compare, load_vectors, make_vectors
from exactrelu.testing import inputs, networks

NET = Network([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], [0]))


def numpy_forward(net, dtype, *, transpose_first=False, bias_shift=0.0, relu_output=False):
    """A float implementation of net in numpy (optionally broken on purpose)."""
    pairs = [(np.array([[float(v) for v in r] for r in W], dtype), np.array([float(v) for v in b], dtype)) for W, b in net.layers]
    out = net.output and (np.array([[float(v) for v in r] for r in net.output[0]], dtype), np.array([float(v) for v in net.output[1]], dtype))
    if transpose_first:
        pairs[0] = (pairs[0][0].T, pairs[0][1])
    pairs[0] = (pairs[0][0], pairs[0][1] + dtype(bias_shift))

    def fn(X):
        h = X
        for W, b in pairs:
            h = np.maximum(h @ W.T + b, 0)
        if out:
            h = h @ out[0].T + out[1]
            if relu_output:
                h = np.maximum(h, 0)
        return h

    return fn


# ------------------------------------------------------------ test vectors
@settings(max_examples=30)
@given(st.data())
def test_vectors_are_the_exact_evaluation(data):
    net = data.draw(networks())
    xs = data.draw(st.lists(inputs(net), min_size=1, max_size=4))
    vecs = make_vectors(net, xs)
    assert len(vecs) == len(xs)
    for x, v in zip(xs, vecs):
        assert v.input == tuple(x)
        assert v.output == net(x)
        assert v.margins == net.pre_activations(x)
        assert v.pattern == net.pattern(x) and v.ties == net.pattern(x).ties
        assert v.output_float64 == tuple(float(q) for q in v.output)  # float(Fraction) rounds correctly


def test_ties_recorded():
    # z_1 = x0 + x1 - 1/2 is exactly 0 at (1/4, 1/4); z_0 = x0 - x1 = 0 too.
    v = make_vectors(NET, [["1/4", "1/4"]])[0]
    assert v.ties == ((0, 0), (0, 1))
    assert v.margins == ((Fraction(0), Fraction(0)),)
    assert v.output == (Fraction(0),)


def test_save_load_round_trip_and_verification(tmp_path):
    vecs = make_vectors(NET, [["1/3", "-2/7"], [1, "0.1"], [0, 0]])
    p = tmp_path / "v.json"
    oracle.save(vecs, p)
    assert load_vectors(p) == vecs
    data = json.loads(p.read_text())
    assert data["format"] == "exactrelu.oracle" and data["network"]["format"] == "exactrelu.network"
    # Tampering with any stored field is detected against the embedded network.
    for key, value in [("output", ["1/2"]), ("pattern", "00"), ("margins", [["0", "0"]]), ("output_float64", [0.5])]:
        bad = json.loads(p.read_text())
        bad["vectors"][1][key] = value
        with pytest.raises(ValueError, match=f"vector 1: stored '{key}' does not match"):
            load_vectors(json.dumps(bad))
        assert load_vectors(json.dumps(bad), verify=False).vectors[1] != vecs[1]


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": ', "malformed JSON"),
        ("", "cannot read test vectors"),
        ('{"format": "other"}', "'format' must be"),
        ('{"format": "exactrelu.oracle", "version": 9}', "unsupported 'version'"),
        ('{"format": "exactrelu.oracle", "version": 1, "vectors": []}', "'network'"),
        ('{"format": "exactrelu.oracle", "version": 1, "network": {}, "vectors": []}', "embedded network"),
    ],
)
def test_load_vectors_bad_files(text, message):
    with pytest.raises(ValueError, match=message):
        load_vectors(text)


def test_load_vectors_truncated(tmp_path):
    p = tmp_path / "v.json"
    oracle.save(make_vectors(NET, [[1, 2]]), p)
    data = p.read_bytes()
    (tmp_path / "t.json").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="malformed JSON"):
        load_vectors(tmp_path / "t.json")
    with pytest.raises(ValueError, match="cannot read test vectors"):
        load_vectors(tmp_path / "absent.json")


@pytest.mark.parametrize(
    "xs, message",
    [
        ([[1, float("nan")]], "input 0, entry 1: NaN"),
        ([[1, 2], [float("inf"), 0]], "input 1, entry 0: infinity"),
        ([[1, 2, 3]], "input 0 has dimension 3, the network expects 2"),
        (np.zeros(2), "2-D array"),
        ("12", "sequence of input vectors"),
        ([[1, "x"]], "input 0, entry 1: 'x' is not a number"),
        ([1, 2], "flat list of numbers; pass \\[x\\] for one input"),
        (np.zeros(2), "X.reshape\\(1, -1\\)"),
    ],
)
def test_make_vectors_bad_inputs(xs, message):
    with pytest.raises(ValueError, match=message):
        make_vectors(NET, xs)


# --------------------------------------------------------------- compare
@settings(max_examples=25)
@given(st.data(), st.sampled_from(["float32", "float64"]))
def test_correct_float_implementation_is_rounding_only(data, precision):
    net = data.draw(networks(denominators=(1, 3, 5, 7, 10)))  # weights that do not fit in floats
    xs = data.draw(st.lists(inputs(net), min_size=1, max_size=4))
    report = compare(numpy_forward(net, PREC[precision]), make_vectors(net, xs), precision)
    assert report.ok, str(report)
    assert report.n_exact + len(report.rounding) == len(xs) * net.output_dim


PREC = {"float32": np.float32, "float64": np.float64}


def test_broken_implementations_are_real_errors():
    # A square first layer that is not symmetric, and inputs where the output is negative.
    net = Network([([[1, 2], [-3, 1]], [1, 0])], output=([[1, -1]], [-2]))
    X = [[1, 0], [0, 1], ["1/2", "-1/3"], [-1, 1]]
    vecs = make_vectors(net, X)
    assert any(v.output[0] < -1 for v in vecs)  # so a ReLU on the output is visible
    assert compare(numpy_forward(net, np.float64), vecs).ok
    for broken in (dict(transpose_first=True), dict(bias_shift=1.0), dict(relu_output=True)):
        for precision in ("float64", "float32"):
            report = compare(numpy_forward(net, PREC[precision], **broken), vecs, precision)
            assert not report.ok, (broken, str(report))
            worst = report.real_errors[0]
            assert worst.error > worst.bound and "FAILED" in str(report)


def test_nan_inf_and_bad_shapes():
    vecs = make_vectors(NET, [[1, 2], [3, 4]])
    good = numpy_forward(NET, np.float64)

    def with_nan(X):
        Y = good(X)
        Y[1, 0] = np.nan
        return Y

    report = compare(with_nan, vecs)
    assert not report.ok and report.real_errors[0].input_index == 1 and report.real_errors[0].error == math.inf
    with pytest.raises(ValueError, match=r"returned shape \(2, 2\), expected \(2, 1\)"):
        compare(lambda X: X, vecs)
    with pytest.raises(ValueError, match="return its \\[0\\]"):
        compare(lambda X: [good(X)], vecs)
    with pytest.raises(ValueError, match="dtype"):
        compare(lambda X: np.array([["a"], ["b"]]), vecs)
    with pytest.raises(ValueError, match="precision must be"):
        compare(good, vecs, "int8")
    assert compare(lambda X: good(X).ravel(), vecs).ok  # one output: a flat batch is fine


def test_input_rounding_is_within_the_bound():
    # 1/10 is not a float: the implementation sees fl(1/10), the exact output is at 1/10.
    net = Network([([[3]], [0])])
    vecs = make_vectors(net, [["1/10"]])
    report = compare(lambda X: 3 * X, vecs, "float32")
    assert report.ok and len(report.rounding) == 1
    d = report.rounding[0]
    assert d.error == abs(Fraction(float(np.float32(3 * np.float32(0.1)))) - Fraction(3, 10))
    assert "rounding: 1" in str(report) and "OK" in str(report)


def test_compare_accepts_a_path(tmp_path):
    oracle.save(make_vectors(NET, [[1, 2]]), tmp_path / "v.json")
    assert compare(numpy_forward(NET, np.float64), tmp_path / "v.json").ok


# ------------------------------------------------------------------- CLI
def test_cli_make_and_check(tmp_path, capsys, monkeypatch):
    NET.to_json(tmp_path / "net.json")
    (tmp_path / "pts.csv").write_text("# x0, x1\n0.1, 0.2\n1/3 -1\n")
    assert main(["oracle", "make", str(tmp_path / "net.json"), "--inputs", str(tmp_path / "pts.csv"), "-o", str(tmp_path / "v.json")]) == 0
    vecs = load_vectors(tmp_path / "v.json")
    assert vecs[0].input == (Fraction(1, 10), Fraction(1, 5))  # decimals in text are exact
    (tmp_path / "impl.py").write_text(
        "import numpy as np\n"
        "W = np.array([[1., -1.], [1., 1.]]); b = np.array([0., -.5]); Wo = np.array([[1., 2.]])\n"
        "def good(X):\n    return np.maximum(X @ W.T + b, 0) @ Wo.T\n"
        "def bad(X):\n    return np.maximum(X @ W + b, 0) @ Wo.T\n"
    )
    capsys.readouterr()
    assert main(["oracle", "check", str(tmp_path / "v.json"), "--callable", f"{tmp_path / 'impl.py'}:good"]) == 0
    assert "-> OK" in capsys.readouterr().out
    assert main(["oracle", "check", str(tmp_path / "v.json"), "--callable", f"{tmp_path / 'impl.py'}:bad"]) == 1
    # With W transposed both points go wrong: (0.1, 0.2) gives relu(0.3) instead of 0; (1/3, -1) 4/3 vs 0.
    assert "real errors: 2" in capsys.readouterr().out
    assert main(["oracle", "check", str(tmp_path / "v.json"), "--callable", "nosuchmodule_xyz:f"]) == 2
    assert "cannot import" in capsys.readouterr().err
    args = ["oracle", "check", str(tmp_path / "v.json"), "--callable", f"{tmp_path / 'impl.py'}:good"]
    assert main(args + ["--probabilistic", "1e-6"]) == 0
    assert "probabilistic (failure probability <= 1e-06)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(args + ["--probabilistic", "2"])
    assert exit_.value.code == 2 and "expected a probability in (0, 1)" in capsys.readouterr().err


def test_cli_inputs_formats(tmp_path, capsys):
    NET.to_json(tmp_path / "net.json")
    (tmp_path / "p.json").write_text('[[0.1, "1/3"], [1, 2]]')
    np.savez(tmp_path / "p.npz", X=np.array([[0.5, 0.25]]))
    np.savez(tmp_path / "obj.npz", X=np.array([[1, 2]], dtype=object))
    for name, n in (("p.json", 2), ("p.npz", 1)):
        assert main(["oracle", "make", str(tmp_path / "net.json"), "--inputs", str(tmp_path / name), "-o", str(tmp_path / "v.json")]) == 0
        assert len(load_vectors(tmp_path / "v.json")) == n
    assert load_vectors(tmp_path / "v.json")[0].input == (Fraction(1, 2), Fraction(1, 4))
    assert main(["oracle", "make", str(tmp_path / "net.json"), "--inputs", str(tmp_path / "obj.npz"), "-o", str(tmp_path / "w.json")]) == 2
    assert "cannot be read without unpickling" in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


def test_cli_check_onnx(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    from exactrelu.interop.io import save

    save(NET, tmp_path / "net.onnx", dtype="float32")
    NET.to_json(tmp_path / "net.json")
    (tmp_path / "p.json").write_text('[["1/3", "1/7"], [2, -1]]')
    assert main(["oracle", "make", str(tmp_path / "net.json"), "--inputs", str(tmp_path / "p.json"), "-o", str(tmp_path / "v.json")]) == 0
    capsys.readouterr()
    assert main(["oracle", "check", str(tmp_path / "v.json"), "--onnx", str(tmp_path / "net.onnx"), "--precision", "float32"]) == 0
    assert "-> OK" in capsys.readouterr().out
    # The float32 model judged as a float64 implementation: 1/3 and 1/7 round differently, real errors.
    assert main(["oracle", "check", str(tmp_path / "v.json"), "--onnx", str(tmp_path / "net.onnx"), "--precision", "float64"]) == 1
    assert "FAILED" in capsys.readouterr().out
    # Without --precision it is read from the model's input type (was float64 for every model)
    assert main(["oracle", "check", str(tmp_path / "v.json"), "--onnx", str(tmp_path / "net.onnx")]) == 0
    out = capsys.readouterr().out
    assert "precision: float32 (from the ONNX model's input type" in out and "-> OK" in out
    assert main(["oracle", "check", str(tmp_path / "v.json"), "--onnx", str(tmp_path / "net.onnx"), "--precision", "bfloat16"]) == 0
    assert main(["oracle", "check", str(tmp_path / "v.json"), "--onnx", str(tmp_path / "net.onnx"), "--precision", "24,24,24"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["oracle", "check", str(tmp_path / "v.json"), "--onnx", str(tmp_path / "net.onnx"), "--precision", "int8"])
    assert "triple" in capsys.readouterr().err


def test_cli_check_infers_a_torch_modules_dtype(tmp_path, capsys):
    pytest.importorskip("torch")
    path = _forge(tmp_path, lambda d: None)
    (tmp_path / "tmod.py").write_text(
        "import torch\n"
        "from exactrelu.interop.torch_io import to_torch\n"
        "from exactrelu import Network\n"
        "NET = Network([([[1, -1], [1, 1]], [0, '-1/2'])], output=([[1, 2]], [0]))\n"
        "model = to_torch(NET, 'float32')\n"
        "half = to_torch(NET, 'float32').to(torch.bfloat16)\n"
    )
    assert main(["oracle", "check", str(path), "--callable", f"{tmp_path / 'tmod.py'}:model"]) == 0
    assert "precision: float32 (from the torch module's dtype" in capsys.readouterr().out
    assert main(["oracle", "check", str(path), "--callable", f"{tmp_path / 'tmod.py'}:half"]) == 0
    assert "precision: bfloat16" in capsys.readouterr().out


# ---- forged files and failing implementations (audit regressions)
def _forge(tmp_path, mutate):
    path = tmp_path / "v.json"
    oracle.save(make_vectors(NET, [[1, 2], ["1/3", "-1/7"]]), path)
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["vectors"][0].__setitem__("ties", 5), "vector 0: 'ties' must be a list"),
        (lambda d: d["vectors"][0].__setitem__("ties", [[0, "a"]]), "vector 0: 'ties' must be a list"),
        (lambda d: d["vectors"][1].__setitem__("pattern", 7), "vector 1: 'pattern' must be a string"),
        (lambda d: d["vectors"][0].__setitem__("output_float64", [True]), "'output_float64' must hold numbers"),
        (lambda d: d["vectors"][0].__setitem__("extra", 1), "vector 0: unknown key 'extra'"),
        (lambda d: d.__setitem__("version", True), "unsupported 'version'"),
        # a string network would be read as a path to some other file
        (lambda d: d.__setitem__("network", "net.json"), "'network' (object)"),
    ],
)
def test_forged_vector_files_are_refused_with_their_place(tmp_path, mutate, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_vectors(_forge(tmp_path, mutate))


def test_cli_check_refuses_empty_vectors(tmp_path, capsys):
    path = _forge(tmp_path, lambda d: d.__setitem__("vectors", []))
    assert main(["oracle", "check", str(path), "--callable", "numpy:asarray"]) == 2
    assert "holds no test vectors" in capsys.readouterr().err


@pytest.mark.parametrize(
    "source, message",
    [
        ("def f(X):\n    raise RuntimeError('kaput')\n", "the implementation raised RuntimeError: kaput"),
        ("def f(X):\n    raise SystemExit(0)\n", "the implementation raised SystemExit"),  # not a silent exit 0
        ("raise SystemExit(0)\n", "importing"),
        ("def f(X: return\n", "SyntaxError"),
        ("import nosuchmodule_xyz\n", "No module named 'nosuchmodule_xyz'"),
    ],
)
def test_cli_check_failing_implementations_exit_2(tmp_path, capsys, source, message):
    path = _forge(tmp_path, lambda d: None)
    (tmp_path / "impl.py").write_text(source)
    assert main(["oracle", "check", str(path), "--callable", f"{tmp_path / 'impl.py'}:f"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("exactrelu oracle: error: ") and message in err and "Traceback" not in err


def test_cli_make_refuses_empty_and_misshapen_inputs(tmp_path, capsys):
    NET.to_json(tmp_path / "net.json")
    for name, text, message in [
        ("e.json", "[]", "e.json: holds no points"),
        ("r.txt", "1 2\n3\n", "r.txt, point 1 has dimension 1"),
        ("g.txt", "\udcff", "not a UTF-8 text file"),
        ("d.json", "[" * 50000, "nested too deeply"),
    ]:
        (tmp_path / name).write_text(text, errors="surrogateescape")
        out = tmp_path / "v.json"
        assert main(["oracle", "make", str(tmp_path / "net.json"), "--inputs", str(tmp_path / name), "-o", str(out)]) == 2
        assert message in capsys.readouterr().err and not out.exists()


def test_make_vectors_names_an_output_beyond_float64():
    net = Network([([[10**400]], [0])])  # N(1) = 10^400 has no float64
    with pytest.raises(ValueError, match="input 0, output 0: the exact output a rational of about 10\\^400"):
        make_vectors(net, [[1]])


def test_disagreements_print_the_exact_value_exactly():
    vecs = make_vectors(Network([([[1]], [0])]), [["2/5"]])
    report = compare(lambda X: X + 1e-3, vecs)
    assert "exact 2/5, got 0.401" in str(report.real_errors[0])


def test_compare_refuses_to_pass_on_zero_vectors():
    with pytest.raises(ValueError, match="nothing to compare"):
        compare(lambda X: X, make_vectors(NET, []))


def test_max_listed_must_be_nonnegative(tmp_path, capsys):
    # a negative count sliced [: -1] and silently hid the last real error
    with pytest.raises(ValueError, match="max_listed"):
        compare(lambda X: X, make_vectors(NET, [[1, 2]]), max_listed=-1)
    path = _forge(tmp_path, lambda d: None)
    with pytest.raises(SystemExit):
        main(["oracle", "check", str(path), "--callable", "numpy:asarray", "--max-listed", "-1"])
    assert "nonnegative" in capsys.readouterr().err


def test_compare_reads_long_double_and_half_outputs_exactly():
    vecs = make_vectors(Network([([["1/3"]], [0])]), [[1]])
    third = np.longdouble(1) / np.longdouble(3)  # nearer to 1/3 than any double (x87 platforms)
    r = compare(lambda X: np.array([[third]]), vecs)
    assert r.ok and r.rounding[0].error == abs(Fraction(*third.as_integer_ratio()) - Fraction(1, 3))
    r = compare(lambda X: np.array([[np.longdouble("nan")]]), vecs)  # was a TypeError
    assert not r.ok and r.real_errors[0].error == math.inf
    half = np.float16(1 / 3)
    r = compare(lambda X: np.array([[half]]), vecs)
    assert r.real_errors[0].error == abs(Fraction(float(half)) - Fraction(1, 3))


def test_cli_callable_module_in_the_current_directory(tmp_path, capsys, monkeypatch):
    # README: "oracle check vectors.json --callable mymodule:forward" with mymodule.py beside the user
    path = _forge(tmp_path, lambda d: None)
    (tmp_path / "mymodule_cwd_probe.py").write_text(
        "import numpy as np\n"
        "W = np.array([[1., -1.], [1., 1.]]); b = np.array([0., -.5]); Wo = np.array([[1., 2.]])\n"
        "def forward(X):\n    return np.maximum(X @ W.T + b, 0) @ Wo.T\n"
    )
    monkeypatch.chdir(tmp_path)
    sys = __import__("sys")
    # as under the console script: no '' (the current directory) on sys.path
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "mymodule_cwd_probe", raising=False)
    assert main(["oracle", "check", str(path), "--callable", "mymodule_cwd_probe:forward"]) == 0
    assert "-> OK" in capsys.readouterr().out
    assert str(tmp_path) not in sys.path  # sys.path restored


def test_errors_beyond_float_range_still_print():
    vecs = make_vectors(Network([([["1e308"]], [0])]), [[1]])
    report = compare(lambda X: np.array([[-1e308]]), vecs)  # error 2e308 > the largest double
    assert not report.ok and "error ~1e308" in str(report)


def test_inputs_beyond_the_float_range_are_named():
    vecs = make_vectors(Network([([[0]], [1])]), [[1], [10**40]])  # N = 1 everywhere; 1e40 > float32 max
    with pytest.raises(ValueError, match="input 1, entry 0: .* too large for float32"):
        compare(lambda X: np.ones((2, 1)), vecs, "float32")


def test_text_points_with_an_empty_csv_field_are_refused(tmp_path, capsys):
    NET.to_json(tmp_path / "net.json")
    (tmp_path / "p.csv").write_text("1, 2\n1,,2\n")  # the second line has a missing value
    assert main(["oracle", "make", str(tmp_path / "net.json"), "--inputs", str(tmp_path / "p.csv"), "-o", str(tmp_path / "v.json")]) == 2
    assert "p.csv, line 2, entry 1: '' is not a number" in capsys.readouterr().err


def test_make_refuses_to_overwrite_its_own_network(tmp_path, capsys):
    NET.to_json(tmp_path / "net.json")
    (tmp_path / "p.json").write_text("[[1, 2]]")
    net_path = str(tmp_path / "net.json")
    assert main(["oracle", "make", net_path, "--inputs", str(tmp_path / "p.json"), "-o", net_path]) == 2
    assert "is the network file" in capsys.readouterr().err
    assert Network.from_json(net_path) == NET  # untouched


def test_load_vectors_refuses_duplicate_keys_and_names_the_file(tmp_path):
    p = tmp_path / "v.json"
    oracle.save(make_vectors(NET, [[1, 2]]), p)
    text = p.read_text()
    assert load_vectors(p) == make_vectors(NET, [[1, 2]])
    p.write_text(text.replace('"format": "exactrelu.oracle",', '"format": "exactrelu.oracle", "format": "x",', 1))
    with pytest.raises(ValueError, match="duplicate key 'format'"):
        load_vectors(p)
    with pytest.raises(ValueError, match=r"cannot read test vectors file .*: it is a directory"):
        load_vectors(tmp_path)
