"""The ``verify`` subcommand: decide a VNN-LIB property exactly, or judge another tool's answer.

    exactrelu verify NET PROP.vnnlib [--timeout S] [-o RESULT] [--proof PROOF.json]
    exactrelu verify NET PROP.vnnlib --judge OTHER_RESULT
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ._help import epilog
from ._inputs import check_new_file, load_network, network_command

EXIT = ("Exit status: 0 the property holds (unsat), 1 it is violated (sat, exact counterexample), 3 unknown "
        "or timeout, 2 bad input. With --judge: 0 the other tool's answer is correct, 1 it is wrong or its "
        "counterexample is invalid, 3 undecided, 2 bad input.")


def register(sub: Any) -> None:
    p = network_command(
        sub, "verify", "decide a VNN-LIB property exactly (proof or exact counterexample); judge other verifiers",
        "Decide exactly whether some input of a VNN-LIB property's input region makes the network meet the "
        "property's unsafe output condition: 'unsat' (the property holds; a proof tree checked by the "
        "independent checker), 'sat' (an exact rational counterexample, re-checked by an exact forward pass) "
        "or 'unknown' when --timeout stops the search. The result is printed and, with -o, written in the "
        "VNN-COMP result format. With --judge, read another tool's result file instead and decide whether "
        "it is right: a sat claim's inputs are read exactly and re-evaluated, an unsat claim is re-decided. "
        + EXIT, _verify,
        epilog([("exactrelu verify net.json prop.vnnlib", "does the property hold on the network?"),
                ("exactrelu verify net.json prop.vnnlib -o result.txt --proof proof.json",
                 "... with the VNN-COMP result file and the proof"),
                ("exactrelu verify net.json prop.vnnlib --judge result.txt", "judge a result file exactly")],
               "Networks: .json, .npz or .onnx (ReLU only). Property constants are read exactly ('0.1' is 1/10)."),
    )
    p.add_argument("property", help="VNN-LIB property file (input box(es), linear output constraints)")
    p.add_argument("--timeout", type=float, default=None, help="stop after this many seconds: result 'timeout' (exit 3)")
    p.add_argument("-o", "--output", help="write the VNN-COMP result file here (an existing file is kept unless --force)")
    p.add_argument("--proof", help="with an unsat answer, write the proof (JSON, for the checker) here")
    p.add_argument("--force", action="store_true", help="replace existing -o/--proof files")
    p.add_argument("--judge", metavar="RESULT", help="judge this result file of another tool instead of answering")
    p.add_argument("--tolerance", default="0.0001", help="with --judge: the replay tolerance to report against (default 1e-4)")


def _verify(args: Any) -> int:
    from ..vnnlib import read

    for path, opt in ((args.output, "-o"), (args.proof, "--proof")):
        if path:
            check_new_file(path, args.force, opt)
    net = load_network(args.network)
    prop = read(args.property)
    if args.judge:
        return _judge(args, net, prop)
    from ..verification import verify

    r = verify(net, prop, time_limit=args.timeout)
    text = "timeout\n" if r.status == "unknown" and "time limit" in r.reason else r.vnncomp()
    print(f"{r.status}  ({r.stats['nodes']} nodes, {r.stats['lps']} exact LPs){'  ' + r.reason if r.reason else ''}")
    if r.status == "sat":
        print(f"counterexample (case {r.case}), exact: X = [{', '.join(map(str, r.counterexample))}]")
        print(f"outputs, exact: Y = [{', '.join(map(str, r.outputs))}]")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    if args.proof and r.proof is not None:
        with open(args.proof, "w", encoding="utf-8") as f:
            json.dump({"network": net.to_json(), "property": prop.to_json(), **r.proof}, f)
    return {"unsat": 0, "sat": 1}.get(r.status, 3)


def _judge(args: Any, net: Any, prop: Any) -> int:
    from ..exact.numbers import to_fraction
    from ..verification.results import judge, read_result

    claim = read_result(args.judge)
    j = judge(net, prop, claim, tolerance=to_fraction(args.tolerance, "--tolerance"), time_limit=args.timeout)
    print(f"{args.judge}: claims {claim.status}; verdict: {j['verdict']} ({j['detail']})")
    if "outputs" in j:
        print(f"exact outputs at its input: Y = [{', '.join(map(str, j['outputs']))}]")
        _onnxruntime_note(args.network, claim.inputs)
    if j.get("counterexample") is not None:
        print(f"exact counterexample: X = [{', '.join(map(str, j['counterexample']))}]")
    return {"correct": 0, "wrong": 1, "invalid counterexample": 1}.get(j["verdict"], 3)


def _onnxruntime_note(path: str, x: tuple) -> None:
    """For an ONNX network, onnxruntime's outputs at the claimed input, beside the exact ones."""
    if not str(path).lower().endswith(".onnx"):
        return
    from ..optional import available

    if not available("onnxruntime"):
        print("(onnxruntime is not installed: its outputs are not shown)", file=sys.stderr)
        return
    import numpy as np

    from ..interop.onnx_io import onnxruntime_function

    y = onnxruntime_function(path)(np.array([[float(v) for v in x]]))
    print(f"onnxruntime at the same input: Y = [{', '.join(repr(float(v)) for v in np.ravel(y))}]")
