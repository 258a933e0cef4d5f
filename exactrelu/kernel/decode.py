"""Decode a certificate's JSON into the kernel's small data model, validating every type (proofs/README.md)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..exact.polysign import integer_roots_at_least
from .terms import TermError, _fail, canon, evaluate, parse, poly_sign, rational, refuse, sign

FORMAT, VERSION = "exactrelu.certificate", 1
VERDICTS = ("converges", "diverges", "inconclusive")
_KEYS = {"format", "version", "verdict", "theorem", "scope", "witnesses", "subject", "limit", "necessary",
         "reasons", "evidence", "radius"}
_FAMILY_KEYS = {"format", "version", "W", "b", "start", "prefix", "output"}
MAX_LAYER_BITS = 50_000_000  # bits of all layer values one check may compute
_SCOPES = {"everywhere": {"kind"}, "point": {"kind", "x"}, "ball": {"kind", "radius"}, "set": {"kind", "condition"}}

class CertificateError(ValueError):
    """A certificate is malformed, or a hypothesis of its theorem fails."""

def need(cond: Any, msg: str) -> None:
    """Raise CertificateError(msg) unless cond holds."""
    if not cond:
        raise CertificateError(msg)

def short(value: Any) -> str:
    """A short repr for messages (a hostile file may hold a huge string or number)."""
    text = repr(value) if not isinstance(value, int) or abs(value).bit_length() < 200 else "a huge integer"
    return text if len(text) <= 60 else text[:57] + "..."

def rat(value: Any, where: str) -> Fraction:
    need(isinstance(value, (str, int)) and not isinstance(value, bool), f"{where}: expected a rational string")
    try:
        return rational(value, where)
    except TermError as exc:
        raise CertificateError(str(exc)) from None

def vec(value: Any, where: str) -> tuple:
    need(isinstance(value, list), f"{where}: expected a list of rationals")
    return tuple(rat(t, f"{where}[{i}]") for i, t in enumerate(value))

def mat(value: Any, where: str) -> tuple:
    need(isinstance(value, list) and value, f"{where}: expected a nonempty list of rows")
    rows = tuple(vec(r, f"{where}[{i}]") for i, r in enumerate(value))
    need(all(len(r) == len(rows[0]) > 0 for r in rows), f"{where}: rows of different or zero lengths")
    return rows

class Subject:
    """A family: formula terms W[i][j], b[i] for n >= start, fixed prefix layers and an output layer."""

    def __init__(self, W: list, b: list, start: int, prefix: tuple, output: Any):
        self.W, self.b, self.start, self.prefix, self.output = W, b, start, prefix, output
        self.width = len(b)
        self.input_dim = len(prefix[0][0][0]) if prefix else self.width
        self.spent = 0

    def entries(self) -> list:
        m = self.width
        return [(f"W[{i}][{j}]", self.W[i][j]) for i in range(m) for j in range(m)] + \
               [(f"b[{i}]", self.b[i]) for i in range(m)]

    def constant(self) -> bool:
        forms = [canon(t) for _, t in self.entries()]
        return all(set(f) <= {()} and (not f or f[()].const() is not None) for f in forms)

    def layer(self, k: int) -> tuple:
        """The exact layer (W_k, b_k) at an integer k >= start; all layers of one check share a bit budget."""
        W = tuple(tuple(evaluate(t, k) for t in row) for row in self.W)
        b = tuple(evaluate(t, k) for t in self.b)
        self.spent += sum(max(x.numerator.bit_length(), x.denominator.bit_length()) for x in sum(W, b))
        if self.spent > MAX_LAYER_BITS:  # issue 14.2: thousands of huge layers would take minutes
            raise TermError(f"the layers up to n = {k} are too large to evaluate exactly (over {MAX_LAYER_BITS} bits)")
        return W, b

def subject(data: Any) -> Subject:
    """Decode and validate a family JSON object, then prove every entry defined for n >= start.

    >>> fam = {"format": "exactrelu.family", "version": 1, "W": [["1 + 1/n^2"]], "b": ["2^(-n)"]}
    >>> subject(fam).layer(2)
    (((Fraction(5, 4),),), (Fraction(1, 4),))
    """
    need(isinstance(data, dict), "subject: a family must be a JSON object")
    need(data.get("format") == "exactrelu.family", "subject: not a family (format)")
    need(type(data.get("version")) is int and data["version"] == 1, "subject: unsupported family version")
    need(set(data) <= _FAMILY_KEYS and {"W", "b"} <= set(data), f"subject: keys must be among {sorted(_FAMILY_KEYS)}")
    start = data.get("start", 1)
    need(type(start) is int and start >= 1, "subject: start must be an integer >= 1")
    W, b = data["W"], data["b"]
    need(isinstance(W, list) and isinstance(b, list) and 0 < len(b) == len(W),
         "subject: W must be m x m, b of length m")
    need(all(isinstance(r, list) and len(r) == len(b) for r in W), "subject: W must be square, of the width of b")

    def term(value: Any, where: str) -> tuple:
        need(isinstance(value, (str, int)) and not isinstance(value, bool), f"subject {where}: expected a formula")
        try:
            t = parse(str(value))
            defined(t, start)
            return t
        except TermError as exc:
            raise CertificateError(f"subject {where}: {exc}") from None

    Wt = [[term(v, f"W[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(W)]
    bt = [term(v, f"b[{i}]") for i, v in enumerate(b)]
    prefix = [] if data.get("prefix") is None else data["prefix"]
    need(isinstance(prefix, list), "subject: prefix must be a list")
    layers = []
    for i, layer in enumerate(prefix):
        need(isinstance(layer, dict) and set(layer) == {"W", "b"}, f"subject: prefix[{i}] needs exactly W and b")
        layers.append((mat(layer["W"], f"prefix[{i}] W"), vec(layer["b"], f"prefix[{i}] b")))
        need(len(layers[-1][1]) == len(layers[-1][0]), f"subject: prefix[{i}]: b does not match W")
        need(i == 0 or len(layers[-1][0][0]) == len(layers[-2][0]),
             f"subject: prefix[{i}] does not fit the layer before")
    need(not layers or len(layers[-1][0]) == len(b), "subject: the last prefix layer does not have the family's width")
    out = data.get("output")
    if out is not None:
        need(isinstance(out, dict) and set(out) == {"W", "b"}, "subject: output needs exactly W and b")
        out = (mat(out["W"], "output W"), vec(out["b"], "output b"))
        need(len(out[0][0]) == len(b) and len(out[1]) == len(out[0]), "subject: the output layer does not fit")
    return Subject(Wt, bt, start, tuple(layers), out)

def _ipoly(t: tuple, what: str, start: int):
    """t as a polynomial taking integer values at every integer n >= start (checked at deg + 1 points)."""
    form = canon(t)
    if not form:
        return form, None
    refuse(set(form) != {()} or not form[()].is_poly(), f"{what} must be a polynomial in n")
    p = form[()].num
    if any(p(k).q != 1 for k in range(start, start + max(p.degree(), 0) + 1)):
        _fail(f"{what} does not take integer values")  # integer at deg + 1 consecutive integers: at all
    return form, p

def defined(t: tuple, start: int) -> None:
    """Prove that the term, as written, is defined and rational at every integer n >= start; else TermError.

    >>> defined(parse("(-1)^(n*(n+1)/2) / factorial(n - 1)"), 1)
    """
    stack = [t]
    while stack:
        node = stack.pop()
        tag = node[0]
        stack.extend(a for a in (node[1] if tag in "+*" else node[1:]) if isinstance(a, tuple))
        if tag == "exp" and canon(node[1]):
            _fail("exp(...) has irrational values")
        elif tag == "!":
            _, p = _ipoly(node[1], "the argument of a factorial", start)
            if p is not None and poly_sign(p, start) not in ("pos", "nonneg", "zero"):
                _fail(f"a factorial of a negative integer at some n >= {start}")
        elif tag == "C":
            _ipoly(node[1], "the top of a binomial", start)
            form, p = _ipoly(node[2], "a binomial index", start)
            if p is not None and p.degree() > 0:  # written with factorials: needs 0 <= index <= top
                _, d = _ipoly(("+", (node[1], ("*", (("q", Fraction(-1)), node[2])))), "top - index", start)
                top_ok = d is None or poly_sign(d, start) in ("pos", "nonneg", "zero")
                if poly_sign(p, start) not in ("pos", "nonneg") or not top_ok:
                    _fail(f"cannot prove 0 <= index <= top of a binomial for n >= {start}")
        elif tag == "^":
            e = canon(node[2])
            c = e[()].const() if set(e) == {()} else (Fraction(0) if not e else None)
            if c is not None:
                refuse(c.denominator != 1, f"the exponent {c} is not an integer: values may be irrational")
                if c < 0:
                    nonzero(node[1], start)
            else:
                p = _ipoly(node[2], "an exponent", start)[1]
                if sign(e, start) not in ("pos", "nonneg"):
                    nonzero(node[1], start, p)

def nonzero(base: tuple, start: int, ex: Any = None, what: str = "a denominator",
            zero: str = "division by zero") -> None:
    """``what`` (the term base) != 0 at every integer n >= start (only where the exponent ex(n) < 0 when ex is
    given); else TermError "{zero} at n = k", or that its sign is undecided."""
    form = canon(base)
    refuse(not form, zero)
    if set(form) == {()}:
        for k in integer_roots_at_least(form[()].num.numer(), start):
            if ex is None or ex(k) < 0:
                _fail(f"{zero} at n = {k}")
    elif sign(form, start) not in ("pos", "neg"):
        _fail(f"cannot prove that {what} is nonzero for n >= {start}")

class Cert(SimpleNamespace):
    """A decoded certificate: verdict, theorem, scope, witnesses, subject, limit (all exact)."""

class Decimal(str):
    """The text of a JSON decimal literal (or of a huge integer), kept exact: a str that was a number."""

def _pairs(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        need(key not in out, f"malformed certificate: duplicate key {short(key)}")
        out[key] = value
    return out

def load(source: Any) -> dict:
    """The certificate as a dict from a dict, JSON text, a path or an object with to_json() (decimals stay text).

    >>> load('{"a": 0.1, "b": 2}')
    {'a': '0.1', 'b': 2}
    """
    if hasattr(source, "to_json") and not isinstance(source, (str, dict)):
        try:
            source = source.to_json()  # a Certificate object validates its own types first
        except CertificateError:
            raise
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise CertificateError(f"malformed certificate: {exc}") from None
    if isinstance(source, dict):
        return source
    need(isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"),
         f"expected a dict, a JSON string or a path, got {type(source).__name__}")
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    if not isinstance(text, str) or not text.lstrip().startswith(("{", "[")):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise CertificateError(f"cannot read certificate file {short(str(source))}: {exc}") from None
    try:
        data = json.loads(text, parse_float=Decimal, object_pairs_hook=_pairs,
                          parse_int=lambda t: int(t) if len(t) <= 4000 else Decimal(t))
    except CertificateError:
        raise
    except json.JSONDecodeError as exc:
        raise CertificateError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise CertificateError(f"malformed certificate: {exc}") from None
    need(isinstance(data, dict), "a certificate must be a JSON object")
    return data

PRODUCT_FORMAT = "exactrelu.product-certificate"
_PRODUCT_KEYS = {"format", "version", "theorem", "verdict", "reason", "subject", "witnesses", "nonsingular",
                 "singular_at", "nonsingular_reason"}

def product(data: dict) -> dict:
    """A T2/T3 product certificate as the certificate it amounts to (family W_n = A(n), b_n = 0, scope everywhere;
    witnesses A_series and, for T2, nonsingular and singular_at; proofs/README.md).

    >>> product({"format": PRODUCT_FORMAT, "version": 1, "theorem": "T3", "verdict": "converges", "reason": "",
    ...          "subject": {"A": [["1"]], "start": 1}, "witnesses": [], "nonsingular": None, "singular_at": None,
    ...          "nonsingular_reason": ""})["subject"]
    {'format': 'exactrelu.family', 'version': 1, 'W': [['1']], 'b': ['0'], 'start': 1}
    """
    need(type(data.get("version")) is int and data["version"] == 1, f"unsupported product certificate version "
                                                                      f"{short(data.get('version'))} (expected 1)")
    need(set(data) == _PRODUCT_KEYS, f"product certificate keys must be exactly {sorted(_PRODUCT_KEYS)}")
    sub, claims = data["subject"], data["verdict"] != "inconclusive"
    need(isinstance(sub, dict) and set(sub) == {"A", "start"} and isinstance(sub["A"], list),
         "product subject: needs exactly A (rows of formulas) and start")
    need(type(data["reason"]) is str and type(data["nonsingular_reason"]) is str and data["theorem"] in ("T2", "T3"),
         "product certificate: bad theorem or reason")
    witnesses = {"A_series": data["witnesses"]} if claims else {}
    if claims and data["nonsingular"] is not None:
        witnesses["nonsingular"] = data["nonsingular"]
        witnesses.update({"singular_at": data["singular_at"]} if data["singular_at"] is not None else {})
    else:
        need(data["singular_at"] is None, "product certificate: singular_at without a nonsingularity claim")
    family = {"format": "exactrelu.family", "version": 1, "W": sub["A"], "b": ["0"] * len(sub["A"]),
              "start": sub["start"]}
    return {"format": FORMAT, "version": VERSION, "verdict": data["verdict"], "theorem": data["theorem"] if claims
            else None, "scope": {"kind": "everywhere"}, "witnesses": witnesses, "subject": family, "limit": None,
            "necessary": {}, "reasons": [data["reason"]], "evidence": [], "radius": None}

def decode(data: dict, schemas: dict) -> Cert:
    """Validate the envelope and decode every field; ``schemas`` maps a theorem to {witness: kind}."""
    need(data.get("format") == FORMAT, f"not a certificate (format {short(data.get('format'))}, expected {FORMAT!r})")
    version = data.get("version")
    need(type(version) is int and version == VERSION, f"unsupported certificate version {short(version)} (expected 1)")
    need(set(data) == _KEYS, f"certificate keys must be exactly {sorted(_KEYS)}")
    need(data["verdict"] in VERDICTS, f"unknown verdict {short(data['verdict'])}")
    need(data["theorem"] is None or data["theorem"] in schemas, f"unknown theorem {short(data['theorem'])}")
    need(isinstance(data["witnesses"], dict), "witnesses must be an object")
    need(isinstance(data["necessary"], dict), "necessary must be an object")
    need(isinstance(data["reasons"], list) and all(type(r) is str for r in data["reasons"]),
         "reasons must be a list of strings")
    need(isinstance(data["evidence"], list), "evidence must be a list")
    scope = data["scope"]
    need(isinstance(scope, dict) and scope.get("kind") in _SCOPES and set(scope) == _SCOPES[scope["kind"]],
         "scope: bad kind or keys")
    scope = dict(scope)
    if "x" in scope:
        scope["x"] = vec(scope["x"], "scope x")
    if "radius" in scope:
        scope["radius"] = rat(scope["radius"], "scope radius")
    need(type(scope.get("condition", "")) is str, "scope condition: expected a string")
    schema = schemas.get(data["theorem"], {})
    witnesses = {}
    for key, value in data["witnesses"].items():
        need(key in schema, f"unknown witness {short(key)} for theorem {data['theorem']}")
        witnesses[key] = _witness(schema[key], value, f"witness {key!r}")
    return Cert(verdict=data["verdict"], theorem=data["theorem"], scope=scope, witnesses=witnesses,
                subject=data["subject"], limit=None if data["limit"] is None else vec(data["limit"], "limit"),
                radius=None if data["radius"] is None else rat(data["radius"], "radius"))

def _witness(kind: str, value: Any, where: str) -> Any:
    from .series import decode as series

    if kind == "rat":
        return rat(value, where)
    if kind == "vec":
        return vec(value, where)
    if kind == "veclist":
        need(isinstance(value, list), f"{where}: expected a list of vectors")
        return tuple(vec(v, f"{where}[{i}]") for i, v in enumerate(value))
    if kind == "int":
        need(type(value) is int, f"{where}: expected an integer, got {short(value)}")
        return value
    if kind in ("str", "bool"):  # a JSON number is neither
        need(type(value) is (str if kind == "str" else bool), f"{where}: expected a {kind.replace('str', 'string')}")
        return value
    try:
        if kind == "series":
            return series(value)
        need(isinstance(value, list), f"{where}: expected a list")
        out = []
        for i, e in enumerate(value):
            need(isinstance(e, dict) and set(e) == {"row", "col", "series"}, f"{where}[{i}]: expected row, col, series")
            need(type(e["row"]) is int and (e["col"] is None or type(e["col"]) is int), f"{where}[{i}]: bad row/col")
            out.append({"row": e["row"], "col": e["col"], "series": series(e["series"])})
        return tuple(out)
    except TermError as exc:
        raise CertificateError(f"{where}: invalid series certificate: {exc}") from None
