"""Subcommands for infinite-depth families: ``certify`` and ``check``.

``exactrelu certify FAMILY.json [--x 1,0] [--radius R] [-o CERT.json]`` prints a
readable proof (Markdown) of the verdict and optionally writes the certificate;
``exactrelu check CERT.json [--family FAMILY.json]`` re-verifies a certificate
exactly and exits 0 when it is valid, 1 (with the reason) when it is rejected,
2 when the file is not a certificate at all (unreadable, malformed JSON, another
format or version): bad input, not a verdict.
"""

from __future__ import annotations

import sys
from typing import Any

from ..exact.numbers import to_fraction, to_vector
from ._inputs import allow_negative_values


def register(sub: Any) -> None:
    p = allow_negative_values(sub.add_parser("certify", help="certify convergence or divergence of an infinite-depth family"))
    p.add_argument("family", help="family JSON file (format exactrelu.family)")
    p.add_argument("--x", help="ask about one input point: comma-separated exact numbers ('1/2,-3')")
    p.add_argument("--radius", help="radius for the tail bounds and the numerical evidence (default 1)")
    p.add_argument("-o", "--output", help="write the certificate JSON here")
    p.add_argument("--quiet", action="store_true", help="print one summary line instead of the proof")
    p.set_defaults(run=_certify)

    p = sub.add_parser("check", help="re-verify a certificate exactly (exit 0 valid, 1 rejected, 2 unreadable)")
    p.add_argument("certificate", help="certificate JSON file (format exactrelu.certificate)")
    p.add_argument("--family", help="also require the certificate to be about this family JSON file")
    p.set_defaults(run=_check)


def _certify(args: Any) -> int:
    from ..depth.certifier import certify
    from ..depth.family import Family

    fam = Family.from_json(args.family)
    x = None if args.x is None else to_vector(args.x.split(","), "--x")
    radius = None if args.radius is None else to_fraction(args.radius, "--radius")
    cert = certify(fam, x=x, radius=radius)
    if args.quiet:
        rule = f" ({cert.theorem})" if cert.theorem else ""
        print(f"{cert.verdict}{rule} for {cert.scope_text()}")
    else:
        print(cert.explain(), end="")
    if args.output:
        cert.to_json(args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _check(args: Any) -> int:
    from ..depth.certificate import Certificate, CertificateError
    from ..depth.checker import check

    family = None
    if args.family:
        from ..depth.family import Family

        family = Family.from_json(args.family)
    data = _certificate_json(args.certificate)  # unreadable or not a certificate: ValueError, exit 2
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
    if fmt != FORMAT:
        shown = repr(fmt) if len(repr(fmt)) <= 60 else repr(fmt)[:57] + "..."
        raise ValueError(f"{path}: not a certificate (format {shown}, expected {FORMAT!r})")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"{path}: unsupported certificate version (expected {VERSION})")
    return data
