"""Subcommands for infinite-depth families: ``certify``, ``check``, ``limit`` and ``init-family``.

``exactrelu certify FAMILY.json [--x 1,0] [--radius R] [-o CERT.json]`` prints a
readable proof (Markdown) of the verdict and optionally writes the certificate;
``exactrelu check CERT.json [--family FAMILY.json]`` re-verifies a certificate
exactly and exits 0 when it is valid, 1 (with the reason) when it is rejected,
2 when the file is not a certificate at all (unreadable, malformed JSON, another
format or version): bad input, not a verdict.
``exactrelu limit FAMILY.json --x 1,0 --tol 1/1000`` prints a certified
enclosure of the infinite-depth limit N_inf(x).
``exactrelu init-family [-o FAMILY.json] [--dim N]`` writes a family file to
start from, and prints what each of its fields means.
"""

from __future__ import annotations

import re
import sys
from fractions import Fraction
from typing import Any

from ..exact.numbers import fraction_str, to_fraction, to_vector
from ._help import HelpFormatter, epilog
from ._inputs import allow_negative_values, check_new_file
from ._numbers import NUMBERS_HELP, ROUNDED, add_number_options, formatter, upper_text, vector_text


FIELDS = """\
Fields of a family file (JSON; exactrelu.depth.Family.from_json reads it, unknown keys are refused):
  format   "exactrelu.family" (required, as is)
  version  1 (required, as is)
  W        the m x m weight matrix of layer n, one list per row; each entry a formula in n
           (a string: "1 + 1/n^2", "2^(-n)", "(-1)^n/n", "sin(1/n)") or a number (1, "1/3", "0.25")
  b        the length-m bias of layer n, formulas in n likewise
  start    the first n (default 1): layer n = start is applied first
  prefix   fixed ReLU layers applied before the family: a list of {"W": rows, "b": entries} with
           exact numbers, the last of width m ([] for none: then the input has dimension m)
  output   a fixed affine layer (no ReLU) {"W": rows, "b": entries} applied last, or null
The network of depth d applies the prefix, then x -> ReLU(W(n) x + b(n)) for n = start, ...,
start + d - 1, then the output layer; 'exactrelu certify FILE' decides whether it converges
as d -> infinity."""


def register(sub: Any) -> None:
    p = allow_negative_values(sub.add_parser(
        "certify", help="certify convergence or divergence of an infinite-depth family",
        description="Decide whether the networks N_d of an infinite-depth family (layer n: x -> ReLU(W(n) x + "
        "b(n))) converge as the depth d -> infinity: prints a readable proof (Markdown) of the verdict "
        "(converges, diverges or inconclusive), the rule it uses (T4, T6, T7a-d, ...), tail bounds and the "
        "exact limit when one is known. -o writes the certificate, which 'exactrelu check' re-verifies "
        "independently. Exit 0 when a verdict (inconclusive included) is printed, 2 bad input.",
        epilog=epilog(
            [("exactrelu certify fam.json", "the proof for every input"),
             ("exactrelu certify fam.json --x 1,-1/2 --quiet", "one point, one line"),
             ("exactrelu certify fam.json --exact -o cert.json", "exact limit; write the certificate")],
            NUMBERS_HELP + " This applies to the limit; the tail bounds are rounded up instead (no mark: "
            "a bound rounded up still holds). The certificate file is always exact.",
            "Start from 'exactrelu init-family -o fam.json' to write a family file."),
        formatter_class=HelpFormatter))
    p.add_argument("family", help="family JSON file (format exactrelu.family; see 'exactrelu init-family --help')")
    p.add_argument("--x", help="ask about one input point: comma-separated exact numbers ('1/2,-3')")
    p.add_argument("--radius", help="radius for the tail bounds and the numerical evidence (default 1)")
    p.add_argument("-o", "--output", help="write the certificate JSON here")
    p.add_argument("--quiet", action="store_true", help="print one summary line (and the limit) instead of the proof")
    add_number_options(p)
    p.set_defaults(run=_certify)

    _register_check(sub)

    _register_limit(sub)

    p = sub.add_parser(
        "init-family", help="write a family file to start from (every field shown and explained)",
        description="Write a valid family file (format exactrelu.family) to edit: W(n) = I + A/n^2 with "
        "mixed-sign A and b(n) = +-1/n^2, a family that converges (by rule T4), of width --dim. Every field "
        "is written, defaults included; JSON has no comments, so the field guide below is printed with it "
        "(to stdout with -o, to stderr when the JSON goes to stdout). An existing file is kept unless "
        "--force. Exit 0 ok, 2 bad input.",
        epilog=epilog([("exactrelu init-family -o fam.json", "write the template, then edit it"),
                       ("exactrelu init-family --dim 3 -o fam3.json", "a 3 x 3 family")],
                      FIELDS),
        formatter_class=HelpFormatter)
    p.add_argument("-o", "--output", help="the file to write (default: print the JSON on stdout)")
    p.add_argument("--dim", type=_dim, default=2, help=f"the width m of the family (1 to {MAX_DIM}; default 2)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(run=_init_family)


def _register_check(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="re-verify a certificate exactly (exit 0 valid, 1 rejected, 2 unreadable)",
        description="Re-verify a certificate written by 'exactrelu certify -o' with the small trusted checker "
        "(exact arithmetic only, none of the certifier's code): every witness and every inequality the rule "
        "needs is checked again. Exit 0 valid, 1 rejected (with the reason), 2 when the file is not a "
        "certificate at all (unreadable, malformed JSON, another format or version). A verification proof "
        "('exactrelu verify --proof') is re-checked by its own independent checker "
        "(exactrelu.verification.proof_check) and the property it proves is printed.",
        epilog=epilog([("exactrelu check cert.json", "valid? exit 0; rejected? exit 1 and why"),
                       ("exactrelu check cert.json --family fam.json", "and is it about this family?"),
                       ("exactrelu check proof.json --network net.json --property prop.vnnlib",
                        "a verification proof, about these files?")]),
        formatter_class=HelpFormatter)
    p.add_argument("certificate", help="certificate JSON file (format exactrelu.certificate), or a verification "
                   "proof (format exactrelu.verification-proof, from 'exactrelu verify --proof')")
    p.add_argument("--family", help="also require the certificate to be about this family JSON file")
    p.add_argument("--network", help="with a verification proof: also require it to be about this network file")
    p.add_argument("--property", help="with a verification proof: also require it to be about this VNN-LIB file")
    p.set_defaults(run=_check)


def _register_limit(sub: Any) -> None:
    p = allow_negative_values(sub.add_parser(
        "limit", help="enclose the infinite-depth limit N_inf(x) of a family, certified",
        description="Certify that the family converges at x, then enclose N_inf(x) in boxes of width <= --tol: "
        "N_d(x) evaluated exactly (or in arb balls) at a depth whose certified tail bound is small enough "
        "(for rule T4, an a posteriori bound from the state at x), widened by that bound. The printed "
        "endpoints are rounded outward, so the printed box still encloses the limit. Exit 0 enclosed, "
        "1 when the family is not certified to converge at x (the reason is printed), 2 bad input.",
        epilog=epilog([("exactrelu limit fam.json --x 1,-1 --tol 1/100", "a box of width <= 1/100"),
                       ("exactrelu limit fam.json --x 1,-1 --tol 1/50 --exact", "exact endpoints")],
                      "Numbers: endpoints print with at most --digits significant digits, the lower one "
                      "rounded down and the upper one rounded up (no mark: the rounded box is larger); "
                      "--exact prints the exact dyadic endpoints."),
        formatter_class=HelpFormatter))
    p.add_argument("family", help="family JSON file (format exactrelu.family)")
    p.add_argument("--x", required=True, help="the input point: comma-separated exact numbers ('1/2,-3')")
    p.add_argument("--tol", required=True, help="the largest width of the enclosure (exact: '1/1000', '1e-3')")
    p.add_argument("--max-depth", type=int, default=10**6, help="refuse depths beyond this (default 10^6)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress on stderr (shown by default once the work has taken a second)")
    add_number_options(p)
    p.set_defaults(run=_limit)


MAX_DIM = 100


def _dim(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_DIM:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_DIM}, got {value}")
    return value


def template(dim: int) -> dict:
    """The family JSON of init-family: W(n) = I + A/n^2 (A mixed-sign), b(n) = +-1/n^2, width ``dim``.

    >>> from exactrelu.depth.family import Family
    >>> data = template(2); data["W"], data["b"]
    ([['1 + 1/n^2', '-1/(2*n^2)'], ['1/(4*n^2)', '1 + 1/n^2']], ['1/n^2', '-1/n^2'])
    >>> Family.from_json(data).width
    2
    """
    from ..depth.family import Family

    W = [["1 + 1/n^2" if i == j else ("-1/(2*n^2)" if j > i else "1/(4*n^2)") for j in range(dim)]
         for i in range(dim)]
    b = ["1/n^2" if i % 2 == 0 else "-1/n^2" for i in range(dim)]
    return Family(W, b).to_json()  # the family's own writer: the file is valid by construction


def _template_text(data: dict) -> str:
    """The JSON with one matrix row per line, so that the file reads like the matrix it holds."""
    import json

    fields = []
    for key, value in data.items():
        if key == "W":
            rows = ",\n    ".join(json.dumps(row) for row in value)
            fields.append(f'  "W": [\n    {rows}\n  ]')
        else:
            fields.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def _init_family(args: Any) -> int:
    from ..depth.family import Family
    from ..exact.jsonio import atomic_write

    text = _template_text(template(args.dim))
    Family.from_json(text)  # what is written must read back (a layout bug would show here, not in the user's hands)
    if args.output is None:
        print(text, end="")
        print(FIELDS, file=sys.stderr)
        return 0
    check_new_file(args.output, args.force)
    atomic_write(args.output, lambda f: f.write(text.encode()))
    print(f"wrote {args.output}: a {args.dim}-wide family that converges (check: exactrelu certify {args.output})")
    print(FIELDS)
    return 0


def _certify(args: Any) -> int:
    from ..depth.certifier import certify
    from ..depth.family import Family

    fam = Family.from_json(args.family)
    x = None if args.x is None else to_vector(args.x.split(","), "--x")
    radius = None if args.radius is None else to_fraction(args.radius, "--radius")
    cert = certify(fam, x=x, radius=radius)
    fmt = formatter(args)
    if args.quiet:
        rule = f" ({cert.theorem})" if cert.theorem else ""
        limit = "" if cert.limit is None else f"; limit {vector_text(cert.limit, fmt)}"
        print(f"{cert.verdict}{rule} for {cert.scope_text()}{limit}")
    else:
        print(_readable_tails(_readable_limit(cert.explain(), cert.limit, fmt, args.exact), cert, args), end="")
    if args.output:
        cert.to_json(args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _limit(args: Any) -> int:
    from ..depth.family import Family
    from ..numeric.evaluation import limit

    fam = Family.from_json(args.family)
    x = to_vector(args.x.split(","), "--x")
    tol = to_fraction(args.tol, "--tol")
    try:
        enc = limit(fam, x, tol, max_depth=args.max_depth, progress=not args.no_progress)
    except ValueError as exc:
        if "not certified to converge" in str(exc) or "DIVERGE" in str(exc):
            print(f"no enclosure: {exc}")
            return 1
        raise
    if args.exact:
        boxes = [f"[{fraction_str(lo)}, {fraction_str(hi)}]" for lo, hi in zip(enc.lower, enc.upper)]
    else:
        boxes = [f"[{_lower_text(lo, args.digits)}, {upper_text(hi, args.digits)}]" for lo, hi in zip(enc.lower, enc.upper)]
    print(f"N_inf(x) in {' x '.join(boxes)}")
    tail = fraction_str(enc.tail) if args.exact else upper_text(enc.tail, args.digits)
    print(f"(rule {enc.certificate.theorem}; depth {enc.depth}, tail <= {tail}, {enc.method}; "
          f"mpmath cross-check {'agrees' if enc.agrees else 'DISAGREES'})")
    return 0


def _lower_text(q: Fraction, digits: int) -> str:
    """The greatest decimal of at most ``digits`` significant digits that is <= q."""
    text = upper_text(-q, digits)
    return text[1:] if text.startswith("-") else ("0" if text == "0" else "-" + text)


def _readable_limit(text: str, limit: Any, fmt: Any, exact: bool) -> str:
    """The proof with its exact limit line in the chosen number format (labelled rounded when it is)."""
    if limit is None or exact:
        return text
    line = f"**Limit (exact):** {vector_text(limit, fraction_str)}"
    shown = vector_text(limit, fmt)
    rounded = any(fmt(t).startswith(ROUNDED) for t in limit)
    label = "**Limit** (~ marks a rounded value; --exact prints it exactly):" if rounded else "**Limit (exact):**"
    return text.replace(line, f"{label} {shown}", 1)


_TAIL_HEAD = re.compile(r"^\*\*Tail bounds\*\* for \|\|x\|\| <= (\S+) \(max norm\):$")
_TAIL_LINE = re.compile(r"^- depth (\d+): \|\|N_inf\(x\) - N_(\d+)\(x\)\|\| <= \S+$")


def _readable_tails(text: str, cert: Any, args: Any) -> str:
    """The tail-bound lines recomputed from the exact bounds: rounded up to --digits (so each still holds) or exact."""
    if cert.verdict != "converges" or cert.theorem not in ("T4", "T6", "T6b"):
        return text
    R = cert.radius if cert.radius is not None else Fraction(1)
    how = "exact" if args.exact else f"rounded up to {args.digits} significant digits, so each holds as printed"
    lines = text.split("\n")
    for i, line in enumerate(lines):
        head = _TAIL_HEAD.match(line)
        if head and to_fraction(head.group(1)) == R:
            lines[i] = f"**Tail bounds** for ||x|| <= {fraction_str(R)} (max norm; {how}):"
        tail = _TAIL_LINE.match(line)
        if tail and tail.group(1) == tail.group(2):
            d = int(tail.group(1))
            bound = cert.tail_bound(d, R)
            shown = fraction_str(bound) if args.exact else upper_text(bound, args.digits)
            lines[i] = f"- depth {d}: ||N_inf(x) - N_{d}(x)|| <= {shown}"
    return "\n".join(lines)


def _check(args: Any) -> int:
    from ..depth.certificate import Certificate, CertificateError
    from ..depth.checker import check

    data = _certificate_json(args.certificate)  # unreadable or not a certificate: ValueError, exit 2
    if data.get("format") == "exactrelu.verification-proof":  # checked by verification.proof_check, not the kernel
        from .verify import check_proof_command

        if args.family:
            raise ValueError("--family applies to certificates; a verification proof takes --network and --property")
        return check_proof_command(args.certificate, data, args.network, args.property)
    if args.network or args.property:
        raise ValueError("--network and --property apply to verification proofs; use --family for a certificate")
    family = None
    if args.family:
        from ..depth.family import Family

        family = Family.from_json(args.family)
    try:
        cert = Certificate.from_json(data)
        check(cert, family=family)
    except CertificateError as exc:
        print(f"rejected: {exc}")
        return 1
    rule = f" by {cert.theorem}" if cert.theorem else " (it claims nothing)"
    print(f"valid: {cert.verdict}{rule} for {cert.scope_text()}")
    return 0


def _certificate_json(path: str) -> dict:
    """The parsed file, if it at least claims to be a certificate this version understands."""
    from ..depth.certificate import FORMAT, VERSION
    from ..exact.jsonio import read_json

    data = read_json(path, "certificate")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a certificate (the top level must be a JSON object)")
    fmt, version = data.get("format"), data.get("version")
    if fmt == "exactrelu.verification-proof":  # its own checker reads its version
        return data
    if fmt != FORMAT:
        shown = repr(fmt) if len(repr(fmt)) <= 60 else repr(fmt)[:57] + "..."
        raise ValueError(f"{path}: not a certificate (format {shown}, expected {FORMAT!r})")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"{path}: unsupported certificate version (expected {VERSION})")
    return data
