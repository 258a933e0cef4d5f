"""VNN-COMP entry points: ``run-instance``, ``run-instances`` (a whole instances.csv), ``judge-instances``.

    exactrelu run-instance CATEGORY NET.onnx PROP.vnnlib RESULT TIMEOUT
    exactrelu run-instances INSTANCES.csv [--results DIR]
    exactrelu judge-instances INSTANCES.csv RESULTS_DIR [--timeout S] [--tolerance T]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ._help import HelpFormatter, epilog
from ._inputs import seconds

CSV_HELP = ("An instances.csv has one row 'onnx,vnnlib,timeout' per instance, paths relative to the csv's folder; "
            "files ending in .gz (or named without .gz when only the .gz file exists) are read through gzip. "
            "The result file of an instance is RESULTS/<network stem>_<property stem>.txt.")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run-instance", help="VNN-COMP's run_instance: decide one instance, write its result file",
        description="Decide one VNN-COMP instance exactly within TIMEOUT seconds (loading included) and write "
        "the result file (sat with an exact counterexample written as decimals, unsat, timeout or unknown). "
        "The arguments are VNN-COMP's run_instance.sh arguments after its version argument; CATEGORY is "
        "not used (exactrelu needs no per-benchmark setup, so prepare_instance is a no-op). Exit 0 when the "
        "result file was written, 2 bad input (then no file is written).",
        epilog=epilog([("exactrelu run-instance acasxu net.json prop.vnnlib out.txt 60",
                        "decide it, write out.txt")]),
        formatter_class=HelpFormatter)
    p.add_argument("category", help="the benchmark category (not used)")
    p.add_argument("network", help="network file (.onnx, .json or .npz; .gz allowed)")
    p.add_argument("property", help="VNN-LIB property file (.gz allowed)")
    p.add_argument("result", help="the result file to write")
    p.add_argument("timeout", type=seconds, help="seconds for the whole instance")
    p.set_defaults(run=_run_instance)

    p = sub.add_parser(
        "run-instances", help="decide every instance of a VNN-COMP instances.csv, with a table",
        description="Decide every instance of an instances.csv exactly, each within its timeout, write one "
        "result file per instance and print a table (instance, result, seconds) and a summary; progress "
        "goes to stderr. An instance whose files are bad input is reported as 'error' and the others still "
        "run. Exit 0 when every instance got a result file, 2 when some were bad input.",
        epilog=epilog([("exactrelu run-instances instances.csv --results results",
                        "one result file per instance in results/")], CSV_HELP),
        formatter_class=HelpFormatter)
    p.add_argument("instances", help="the instances.csv file")
    p.add_argument("--results", default="results", help="folder for the result files (default: results)")
    p.set_defaults(run=_run_instances)

    p = sub.add_parser(
        "judge-instances", help="judge another verifier's result files for an instances.csv, exactly",
        description="For each instance of an instances.csv, read another tool's result file from RESULTS_DIR "
        "and decide exactly whether it is right ('exactrelu verify --judge' on each): a sat claim's "
        "counterexample is read exactly and replayed, an unsat claim is re-decided. Prints a table and totals: "
        "correct, wrong, counterexample invalid, counterexample invalid but within the replay tolerance, "
        "undecided (unknown/timeout claims, or exactrelu's own time limit), missing result files; a wrong "
        "unsat claim is followed by an exact counterexample. An unreadable result file or instance is an "
        "'error' row and the others are still judged. Exit 1 when some answer is wrong or an invalid "
        "counterexample (beyond the tolerance), else 2 when some row is an error, else 0.",
        epilog=epilog([("exactrelu judge-instances instances.csv results", "is each result right?")], CSV_HELP),
        formatter_class=HelpFormatter)
    p.add_argument("instances", help="the instances.csv file")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="the folder holding the other tool's result files")
    p.add_argument("--timeout", type=seconds, default=None,
                   help="seconds to re-decide an unsat claim (default: the instance's timeout)")
    p.add_argument("--tolerance", default="0.0001", help="the replay tolerance to report against (default 1e-4)")
    p.set_defaults(run=_judge_instances)


def _run_instance(args: Any) -> int:
    from ..verification.instances import run_instance

    status, r, seconds = run_instance(args.network, args.property, args.timeout, args.result)
    print(f"{status}  ({seconds:.2f} s, {r.stats['nodes']} nodes){'  ' + r.reason if r.reason else ''}")
    return 0


def _run_instances(args: Any) -> int:
    from ..verification.instances import read_instances, result_name, run_instance

    instances = read_instances(args.instances)
    rows, counts, total = [], Counter(), 0.0
    for k, inst in enumerate(instances, 1):
        name = result_name(inst)
        print(f"[{k}/{len(instances)}] {name[:-4]} (timeout {inst.timeout:g} s)", file=sys.stderr, flush=True)
        start = time.monotonic()
        try:
            status, _, seconds = run_instance(inst.onnx, inst.vnnlib, inst.timeout, Path(args.results) / name)
        except ValueError as exc:
            status, seconds = "error", time.monotonic() - start
            print(f"  error: {exc}", file=sys.stderr)
        rows.append((name[:-4], status, f"{seconds:.2f}"))
        counts[status] += 1
        total += seconds
    _table(("instance", "result", "seconds"), rows)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("unsat", "sat", "timeout", "unknown", "error") if counts[s])
    print(f"{len(instances)} instances: {summary}; {total:.1f} s in all; result files in {args.results}/")
    return 2 if counts["error"] else 0


JUDGE_COLUMNS = ("correct", "wrong", "invalid counterexample", "invalid, within tolerance", "undecided", "missing")


def _judge_instances(args: Any) -> int:
    from ..exact.numbers import to_fraction
    from ..verification.instances import judge_instance, read_instances, result_name

    tolerance = to_fraction(args.tolerance, "--tolerance")
    instances = read_instances(args.instances)
    rows, counts, wrong = [], Counter(), []
    for k, inst in enumerate(instances, 1):
        name = result_name(inst)
        print(f"[{k}/{len(instances)}] {name}", file=sys.stderr, flush=True)
        start = time.monotonic()
        try:
            j = judge_instance(inst, Path(args.results_dir) / name, tolerance=tolerance,
                               time_limit=args.timeout if args.timeout is not None else inst.timeout)
        except ValueError as exc:  # an unreadable result file or instance: reported, the others still judged
            j = {"claim": "?", "verdict": "error", "detail": str(exc)}
        verdict = "invalid, within tolerance" if j.get("within_tolerance") else j["verdict"]
        counts[verdict] += 1
        rows.append((name[:-4], j["claim"], verdict, f"{time.monotonic() - start:.2f}", j["detail"]))
        if j.get("counterexample") is not None:
            wrong.append(f"{name[:-4]}: exact counterexample X = [{', '.join(map(str, j['counterexample']))}]")
    _table(("instance", "claim", "verdict", "seconds", "detail"), rows)
    print("\n".join(wrong))
    print("totals: " + ", ".join(f"{c} {counts[c]}" for c in (*JUDGE_COLUMNS, "error") if c != "error" or counts[c]))
    return 1 if counts["wrong"] or counts["invalid counterexample"] else 2 if counts["error"] else 0


def _table(header: tuple, rows: list) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())
