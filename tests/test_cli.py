"""The core command line: demo, eval, pattern, regions (exit codes, exact output, bad input)."""

import json
from fractions import Fraction

import pytest

from exactrelu import Network
from exactrelu.cli import main
from exactrelu.regions import Region
from exactrelu.demo import demo_network


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "net.json"
    demo_network().to_json(path)
    return str(path)


def test_demo_reports_an_exact_tiling(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "the regions tile the box exactly" in out
    assert "Every witness point has its region's pattern: yes" in out
    # the exact value printed for (1/3, -1/7) is the network's, recomputed here
    assert f"N(1/3, -1/7) = ({demo_network()(['1/3', '-1/7'])[0]})" in out


def test_eval_prints_exact_values(net_file, capsys):
    assert main(["eval", net_file, "--x", "1/3,-1/7", "--x", "0.5,0.5", "--exact"]) == 0
    lines = capsys.readouterr().out.splitlines()
    net = demo_network()
    assert lines == [
        f"N(1/3, -1/7) = ({net(['1/3', '-1/7'])[0]})",
        f"N(1/2, 1/2) = ({net(['1/2', '1/2'])[0]})",
    ]


def test_eval_prints_rounded_decimals_marked_and_short_decimals_exactly(net_file, capsys):
    from decimal import Context, Decimal, Inexact

    assert main(["eval", net_file, "--x", "1/3,-1/7", "--x", "0.5,0.5", "--digits", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    net = demo_network()
    value = net(["1/3", "-1/7"])[0]
    ctx = Context(prec=4)  # an independent rounding: decimal's correctly rounded division
    rounded = ctx.divide(Decimal(value.numerator), Decimal(value.denominator))
    assert ctx.flags[Inexact] and lines[0] == f"N(~0.3333, ~-0.1429) = (~{rounded})"
    assert Fraction(lines[1].split("= (")[1].rstrip(")")) == net(["1/2", "1/2"])[0]  # short decimal: exact, no mark
    with pytest.raises(SystemExit) as exc:  # argparse's usage error: exit 2, naming the option
        main(["eval", net_file, "--x", "1/3,0", "--digits", "0"])
    assert exc.value.code == 2 and "--digits: expected 1 to 1000 digits, got 0" in capsys.readouterr().err


def test_pattern_reports_ties(net_file, tmp_path, capsys):
    pts = tmp_path / "pts.json"
    pts.write_text(json.dumps([[0, 0], ["1/2", 0.5]]))
    assert main(["pattern", net_file, "--inputs", str(pts), "--exact"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "(0, 0): 0000|100  ties [(0, 0), (0, 1), (0, 2), (0, 3), (1, 1)]"
    assert out[1].startswith("(1/2, 1/2): ") and str(demo_network().pattern([Fraction(1, 2)] * 2)) in out[1]


def test_regions_writes_exact_json(net_file, tmp_path, capsys):
    out_path = tmp_path / "regions.json"
    assert main(["regions", net_file, "--box=-1,1", "--json", str(out_path)]) == 0
    data = json.loads(out_path.read_text())
    net = demo_network()
    assert capsys.readouterr().out.startswith(f"{len(data['regions'])} linear regions")
    assert (data["format"], data["version"]) == ("exactrelu.regions", 2) and Network.from_json(data["network"]) == net
    assert all(Region.from_json(row).check(net) for row in data["regions"])  # each region re-verified exactly
    for row in data["regions"]:
        x = [Fraction(v) for v in row["witness"]]
        assert str(net.pattern(x).without_ties()) == row["pattern"]["layers"]
        A = [[Fraction(v) for v in r] for r in row["A"]]
        c = [Fraction(v) for v in row["c"]]
        assert net(x) == tuple(sum(a * t for a, t in zip(r, x)) + ci for r, ci in zip(A, c))


def test_region_limit_reports_partial_result(net_file, capsys):
    assert main(["regions", net_file, "--max-regions", "3"]) == 1
    assert capsys.readouterr().out.startswith("stopped: more than 3 regions")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eval", "NET", "--x", "1,abc"], "'abc' is not a number"),
        (["eval", "NET", "--x", "1,2,3"], "--x '1,2,3' has dimension 3"),
        (["eval", "NET"], "give at least one point"),
        (["eval", "/nonexistent.json", "--x", "1,2"], "nonexistent"),
        (["regions", "NET", "--box=1,-1"], "lower"),
        (["regions", "NET", "--lower", "0,0"], "give both --lower and --upper"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(argv, message, net_file, capsys):
    argv = [net_file if a == "NET" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"exactrelu {argv[0]}: error: ") and message in err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


# ---- bad inputs (audit regressions)
def test_eval_reads_every_points_format_and_names_bad_points(net_file, tmp_path, capsys):
    (tmp_path / "p.txt").write_text("# x0 x1\n1/3 -1/7\n0.5, 0.5\n")
    assert main(["eval", net_file, "--inputs", str(tmp_path / "p.txt"), "--exact"]) == 0
    expected = demo_network()(["1/3", "-1/7"])[0]
    assert f"N(1/3, -1/7) = ({expected})" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text('[[1, 2], [1, 2, 3]]')
    assert main(["eval", net_file, "--inputs", str(tmp_path / "bad.json")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "bad.json, point 1 has dimension 3" in err  # nothing printed before the error


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "is a directory"),
        (b"", "malformed JSON"),
        (b"\xff\xfe\x00garbage", "not a UTF-8 text file"),
        (b'{"format": "exactrelu.network", "version": 1, "layers": [{"W": [["1e999999999"]], "b": [0]}]}',
         "net.json: layer 0, W, row 0, column 0: exponent"),
        (b'{"format": "exactrelu.network", "version": 1, "layers": [{"W": [[1]], "b": [0]}], "ouput": null}',
         "unknown key 'ouput'"),
    ],
)
def test_bad_network_files_exit_2_naming_the_file(tmp_path, capsys, content, message):
    path = tmp_path / "net.json"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    assert main(["eval", str(path), "--x", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_regions_json_target_is_checked_before_the_work(net_file, tmp_path, capsys):
    (tmp_path / "d").mkdir()
    for target, message in [(tmp_path / "d", "is a directory"), (tmp_path / "no" / "r.json", "does not exist")]:
        assert main(["regions", net_file, "--json", str(target)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and message in err  # nothing enumerated, nothing printed


def test_negative_coordinates_may_follow_their_option_with_a_space(net_file, capsys):
    # argparse alone reads "-1,2" as an unknown option: "--x: expected one argument"
    assert main(["eval", net_file, "--x", "-1/3,-1/7", "--x", "-.5,2", "--exact"]) == 0
    expected = demo_network()(["-1/3", "-1/7"])[0]
    assert f"N(-1/3, -1/7) = ({expected})" in capsys.readouterr().out
    assert main(["regions", net_file, "--box", "-1/2,1/2", "--max-regions", "1000"]) == 0
    assert "over (-0.5, -0.5) .. (0.5, 0.5)" in capsys.readouterr().out  # short decimals print exactly


def test_absurd_worker_counts_are_refused_before_starting_processes(net_file, capsys):
    assert main(["regions", net_file, "--workers", "100000"]) == 2
    assert "--workers 100000 is more than" in capsys.readouterr().err


def test_regions_json_refuses_to_overwrite_the_network(net_file, capsys):
    before = open(net_file).read()
    assert main(["regions", net_file, "--json", net_file]) == 2
    assert "is the network file" in capsys.readouterr().err and open(net_file).read() == before


# ---- the shell: --version, closed pipes, Ctrl-C, bugs keep their traceback
def test_version(capsys):
    import exactrelu

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"exactrelu {exactrelu.__version__}"


def test_closed_pipe_is_quiet():
    # like `exactrelu demo | head -1` where head has already gone: the read end is
    # closed before the command starts, so its first write fails with EPIPE.
    import os
    import subprocess
    import sys

    r, w = os.pipe()
    os.close(r)
    code = "import sys; from exactrelu.cli import main; sys.exit(main(['demo']))"
    proc = subprocess.run([sys.executable, "-c", code], stdout=w, stderr=subprocess.PIPE, timeout=120)
    os.close(w)
    assert proc.stderr == b"" and proc.returncode == 141


def test_interrupt_exits_130_with_one_line(monkeypatch, capsys):
    from exactrelu.cli import families

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(families, "_check", interrupted)
    assert main(["check", "c.json"]) == 130
    assert capsys.readouterr().err == "exactrelu check: interrupted\n"


def test_bugs_keep_their_traceback(monkeypatch):
    from exactrelu.cli import families

    def buggy(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(families, "_check", buggy)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["check", "c.json"])


# ---- certify / check: negative coordinates, exit 2 for files that are not certificates
@pytest.fixture
def fam_file(tmp_path):
    from exactrelu.depth.family import Family

    path = tmp_path / "fam.json"
    Family([["-1", "0"], ["0", "-1"]], ["1", "1"]).to_json(path)
    return str(path)


def test_certify_takes_negative_coordinates(fam_file, capsys):
    assert main(["certify", fam_file, "--x", "-1,2", "--quiet"]) == 0
    assert "the point x = (-1, 2)" in capsys.readouterr().out
    assert main(["certify", fam_file, "--x", "-1/2,-0.5", "--radius", "2", "--quiet"]) == 0
    assert "the point x = (-1/2, -1/2)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "malformed JSON at line 1"),
        ("{not json", "malformed JSON at line 1"),
        ('{"format": "exactrelu.certificate", "format": "x"}', "duplicate key 'format'"),
        ("[]", "not a certificate"),
        ('{"format": "exactrelu.network", "version": 1}', "not a certificate (format 'exactrelu.network'"),
        ('{"format": "exactrelu.certificate", "version": true}', "unsupported certificate version"),
        ('{"format": "exactrelu.certificate", "version": 2}', "unsupported certificate version"),
        (None, "is a directory"),
    ],
)
def test_check_on_files_that_are_not_certificates_exits_2(tmp_path, capsys, content, message):
    path = tmp_path / "c.json"
    if content is None:
        path.mkdir()
    else:
        path.write_text(content)
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("exactrelu check: error: ") and message in captured.err
    assert captured.out == "" and "Traceback" not in captured.err


def test_check_rejects_a_well_formed_but_wrong_certificate_with_1(fam_file, tmp_path, capsys):
    cert = tmp_path / "c.json"
    assert main(["certify", fam_file, "--x", "0,0", "--quiet", "-o", str(cert)]) == 0
    assert main(["check", str(cert)]) == 0
    data = json.loads(cert.read_text())
    data["verdict"] = "converges"  # claims the opposite of its T7a witnesses
    cert.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["check", str(cert)]) == 1
    assert capsys.readouterr().out.startswith("rejected: ")


def test_regions_method_selects_the_algorithm(net_file, tmp_path, capsys):
    # the same exact partition from every method; an unknown or unsuitable method is a clear error (exit 2)
    outs = {}
    for method in ("auto", "planar", "general"):
        path = tmp_path / f"{method}.json"
        assert main(["regions", net_file, "--method", method, "--json", str(path)]) == 0
        # witnesses are any interior points, so compare the partition: patterns, maps, polygons
        outs[method] = [(r["pattern"]["layers"], r["A"], r["c"], sorted(map(tuple, r["vertices"])))
                        for r in json.loads(path.read_text())["regions"]]
    assert outs["planar"] == outs["general"] == outs["auto"] and len(outs["auto"]) > 4
    capsys.readouterr()
    assert main(["regions", net_file, "--method", "fast"]) == 2
    err = capsys.readouterr().err
    assert "'fast'" in err and "'general'" in err and "'planar'" in err
    assert main(["regions", net_file, "--method", "planar", "--workers", "2"]) == 2
    assert "one process" in capsys.readouterr().err


def test_regions_json_is_a_partition_and_partial_results_are_written(net_file, tmp_path, capsys):
    from exactrelu.regions import Partition

    full, part = tmp_path / "full.json", tmp_path / "part.json"
    assert main(["regions", net_file, "--json", str(full)]) == 0
    complete = Partition.load(full)
    assert not complete.partial and complete.check(demo_network())
    assert main(["regions", net_file, "--max-regions", "3", "--json", str(part)]) == 1
    partial = Partition.load(part)
    assert partial.partial and partial.limit == 3 and len(partial) == 3 and partial.check(demo_network())
    assert {str(r.pattern) for r in partial} <= {str(r.pattern) for r in complete}


def test_regions_of_a_slice_from_points_or_a_slice_file(tmp_path, capsys):
    from exactrelu.nets.slice import Slice
    from exactrelu.regions import Partition

    net = Network([([[1, 0, 0], [0, 1, 0], [1, 1, 1]], [0, 0, "-1/2"])])
    net.to_json(tmp_path / "net.json")
    (tmp_path / "pts.txt").write_text("-1 -1 0\n1 -1 0\n-1 1 0\n")
    out = tmp_path / "slice_regions.json"
    argv = ["regions", str(tmp_path / "net.json"), "--slice", str(tmp_path / "pts.txt"), "--margin", "0"]
    assert main(argv + ["--json", str(out)]) == 0
    assert "over the 2-D slice t in (0, 0) .. (1, 1)" in capsys.readouterr().out
    s = Slice.through_points([-1, -1, 0], [1, -1, 0], [-1, 1, 0], margin=0)
    assert Partition.load(out).slice == s
    (tmp_path / "slice.json").write_text(json.dumps(Slice.line([0, 0, 0], [1, 1, 1]).to_json()))
    assert main(["regions", str(tmp_path / "net.json"), "--slice", str(tmp_path / "slice.json")]) == 0
    assert capsys.readouterr().out.startswith("2 linear regions")  # x0 + x1 + x2 = 1/2 at t = 1/6
    (tmp_path / "four.txt").write_text("0 0 0\n1 0 0\n0 1 0\n0 0 1\n")
    assert main(["regions", str(tmp_path / "net.json"), "--slice", str(tmp_path / "four.txt")]) == 2
    assert "expected 2 points (a line) or 3 (a plane), found 4" in capsys.readouterr().err
    (tmp_path / "flat.txt").write_text("0 0\n1 1\n")
    assert main(["regions", str(tmp_path / "net.json"), "--slice", str(tmp_path / "flat.txt")]) == 2
    assert "point 0 has dimension 2, the network expects 3" in capsys.readouterr().err
