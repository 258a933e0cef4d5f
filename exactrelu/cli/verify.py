"""The ``verify`` subcommand: decide a VNN-LIB property exactly, or judge another tool's answer.

    exactrelu verify NET PROP.vnnlib [--timeout S] [-o RESULT] [--proof PROOF.json]
    exactrelu verify NET PROP.vnnlib --judge OTHER_RESULT
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ._help import epilog
from ._inputs import check_new_file, load_network, network_command, seconds

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
    p.add_argument("--timeout", type=seconds, default=None, help="stop after this many seconds: result 'timeout' (exit 3)")
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
    from ..verification.results import result_text

    text = result_text(r)
    print(f"{r.status}  ({r.stats['nodes']} nodes, {r.stats['lps']} exact LPs){'  ' + r.reason if r.reason else ''}")
    if r.status == "sat":
        print(f"counterexample (case {r.case}), exact: X = [{', '.join(map(str, r.counterexample))}]")
        print(f"outputs, exact: Y = [{', '.join(map(str, r.outputs))}]")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    if args.proof and r.proof is not None:
        from ..verification.results import proof_document

        with open(args.proof, "w", encoding="utf-8") as f:
            json.dump(proof_document(net, prop, r), f)
        print(f"proof written to {args.proof} (re-check it with: exactrelu check {args.proof})")
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


def check_proof_command(path: str, data: Any, network: str | None, prop: str | None) -> int:
    """``exactrelu check PROOF.json [--network NET --property PROP]``: 0 accepted, 1 rejected, 2 malformed.

    The check itself is :func:`~exactrelu.verification.proof_check.check_proof_file` (stdlib and flint only);
    ``network`` and ``prop`` additionally require the proof to be about those files (exact comparison).
    """
    from ..verification.proof_check import ProofError, ProofFormatError, check_proof_file

    try:
        summary = check_proof_file(data)
    except ProofFormatError as exc:
        raise ValueError(f"{path}: {exc}") from None
    except ProofError as exc:
        print(f"rejected: {exc}")
        return 1
    mismatch = _about(data, network, prop)
    if mismatch:
        print(f"rejected: {mismatch}")
        return 1
    print(f"accepted: the property holds (unsat) for the network with SHA-256 {summary['digest']}: no input "
          f"of its {summary['cases']} case(s) over {summary['inputs']} inputs is unsafe for its "
          f"{summary['outputs']} outputs ({summary['leaves']} leaves, {summary['steps']} steps checked)")
    for k, case in enumerate(data["property"]["cases"]):
        box = ", ".join(f"[{a}, {b}]" for a, b in zip(case["lower"], case["upper"]))
        rows = " and ".join(_constraint_text(c, d) for c, d in case["constraints"]) or "(no output constraint)"
        print(f"  case {k}: x in {box}; unsafe when {rows}")
    for what, given in (("network", network), ("property", prop)):
        if given:
            print(f"the proof's {what} is exactly {given}")
    return 0


def _constraint_text(c: list, d: str) -> str:
    terms = " + ".join({"1": "", "-1": "-"}.get(str(a), f"{a}*") + f"Y_{j}" for j, a in enumerate(c) if str(a) != "0")
    return f"{terms or '0'} <= {d}"


def _about(data: dict, network: str | None, prop: str | None) -> str:
    """Why the proof is not about the given network / property files ('' when it is, or none is given)."""
    from fractions import Fraction

    from ..nets.network import Network
    from ..vnnlib import read

    mine = Network.from_json(data["network"])
    if network:
        theirs = load_network(network)
        if theirs.to_json() != mine.to_json():
            return f"the proof is about another network than {network} (the weights differ exactly)"
    if prop:
        from ..verification.decide import widened

        exact = widened(read(prop), mine.output_dim).to_json()
        as_q = lambda v: [as_q(x) for x in v] if isinstance(v, list) else (  # noqa: E731
            {k: as_q(x) for k, x in v.items()} if isinstance(v, dict) else Fraction(v) if isinstance(v, str) else v)
        if as_q(exact) != as_q(data["property"]):
            return f"the proof is about another property than {prop} (its boxes or constraints differ exactly)"
    return ""
