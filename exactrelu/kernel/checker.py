"""The kernel's entry point: re-verify a certificate from its subject and witnesses alone (proofs/README.md)."""

from __future__ import annotations

from typing import Any

from .decode import PRODUCT_FORMAT, CertificateError, decode, load, need, product, subject
from .rules import RULES
from .terms import TermError, same

__all__ = ["check", "CertificateError", "RULES"]

SCHEMAS = {name: rule.witnesses for name, rule in RULES.items()}

def check(certificate: Any, family: Any = None) -> bool:
    """Re-verify a certificate (JSON dict or text, path, or object with ``to_json()``), about ``family`` if given;
    True, or CertificateError naming the failed hypothesis.

    >>> fam = {"format": "exactrelu.family", "version": 1, "W": [["-1", "0"], ["0", "-1"]], "b": ["1", "1"]}
    >>> cert = {"format": "exactrelu.certificate", "version": 1, "verdict": "diverges", "theorem": "T7a",
    ...         "scope": {"kind": "point", "x": ["0", "0"]}, "subject": fam, "limit": None, "necessary": {},
    ...         "witnesses": {"x": ["0", "0"], "k": 0, "orbit": [["0", "0"], ["1", "1"]]},
    ...         "reasons": [], "evidence": [], "radius": None}
    >>> check(cert)
    True
    """
    data = load(certificate)
    try:
        is_product = data.get("format") == PRODUCT_FORMAT
        cert = decode(product(data) if is_product else data, SCHEMAS)
        cert.product = is_product
        if cert.verdict == "inconclusive":  # claims nothing: the subject is not analysed
            need(cert.theorem is None and cert.limit is None and not cert.witnesses,
                 "an inconclusive certificate carries no theorem, limit or witnesses")
            need(isinstance(cert.subject, dict) and cert.subject.get("format") == "exactrelu.family",
                 "subject: not a family")
            return True
        fam = subject(cert.subject)
        if family is not None:
            other = subject(family.to_json() if hasattr(family, "to_json") else family)
            need(all(getattr(fam, k) == getattr(other, k) for k in ("start", "width", "prefix", "output"))
                 and all(same(s, t) for (_, s), (_, t) in zip(fam.entries(), other.entries())),
                 "the certificate is about a different family (subject mismatch)")
        _dispatch(cert, fam)
    except CertificateError:
        raise
    except TermError as exc:
        raise CertificateError(str(exc)) from None
    except (ArithmeticError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise CertificateError(f"malformed certificate: {type(exc).__name__}: {exc}") from None
    return True

def _dispatch(cert: Any, fam: Any) -> None:
    rule = RULES.get(cert.theorem)
    need(rule is not None, f"unknown theorem {cert.theorem!r}")
    need(rule.product == cert.product, f"{rule.name} is a rule of {'product' if rule.product else 'family'} "
                                       f"certificates, and this is not one")
    need(rule.verdict == cert.verdict, f"theorem {rule.name} proves '{rule.verdict}', not '{cert.verdict}'")
    keys, required = set(cert.witnesses), set(rule.witnesses) - rule.optional
    need(required <= keys, f"{rule.name}: witnesses must be {sorted(required)} (+ optional {sorted(rule.optional)}), "
                           f"got {sorted(keys)}")
    if rule.scope == "everywhere":
        need(cert.scope == {"kind": "everywhere"}, f"{rule.name} proves convergence everywhere; the scope must say so")
    elif rule.scope == "point":
        need(cert.scope.get("kind") == "point" and cert.scope.get("x") == cert.witnesses["x"],
             f"{rule.name} is a claim at the point x; the scope must be that point")
    if not rule.gives_limit:
        need(cert.limit is None, f"{rule.name} does not give the limit, but one is claimed")
    rule.check(cert, fam, cert.witnesses)
