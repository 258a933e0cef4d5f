"""Every file exactrelu writes validates against the JSON Schema of its format (exactrelu/schemas/).

Files are written through the package's own writers (to a temporary directory)
from generated objects, read back as plain JSON and validated twice: against
the published schema (what a reader accepts) and in "written" mode (every exact
number in canonical 'p/q' form).  The schemas must not be vacuous: malformed
files are rejected, by the schema and, where the reader sees the same fault,
by the reader too.  The certificate schema's per-theorem witnesses are compared
with the kernel's rule registry, so the two cannot drift apart.
"""

from __future__ import annotations

import copy
import json
import re
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from exactrelu.optional import EXTRAS, available

if not available("jsonschema"):
    pytest.skip(f'needs jsonschema (pip install "exactrelu[{EXTRAS["jsonschema"]}]")', allow_module_level=True)

import jsonschema  # noqa: E402
import referencing  # noqa: E402  (comes with jsonschema)

from exactrelu import (Box, Certificate, Family, Network, Partition, Polyhedron, Slice, certify,  # noqa: E402
                       check, infinite_product, activation_product, n, oracle, summability, testing)
from exactrelu.depth.series import SeriesSum, summable_sum  # noqa: E402
from exactrelu.exact.lp import LPResult, solve_lp  # noqa: E402
from exactrelu.kernel.rules import RULES  # noqa: E402

PKG = Path(__file__).resolve().parents[1] / "exactrelu"
SCHEMA_DIR = PKG / "schemas"  # package data: exactrelu/schemas/NAME.schema.json


def schema(fmt: str) -> dict:
    """The schema of a format ("exactrelu.network"), or the shared definitions ("common")."""
    stem = "common" if fmt == "common" else FORMATS[fmt]
    return json.loads((SCHEMA_DIR / f"{stem}.schema.json").read_text())


# format name -> schema file stem, read from the schemas themselves
FORMATS = {json.loads(p.read_text())["properties"]["format"]["const"]: p.name[: -len(".schema.json")]
           for p in SCHEMA_DIR.glob("*.schema.json") if p.name != "common.schema.json"}


@lru_cache(maxsize=2)
def registry(written: bool) -> referencing.Registry:
    """Every schema under its $id (references resolve locally); ``written``: exact numbers in canonical form."""
    docs = [schema(f) for f in FORMATS] + [schema("common")]
    if written:  # what exactrelu writes: every exact number as its canonical rational string
        docs[-1]["$defs"]["number"] = docs[-1]["$defs"]["rational"]
    return referencing.Registry().with_resources((d["$id"], referencing.Resource.from_contents(d)) for d in docs)


def validate(data, fmt=None, written=False) -> None:
    """ValueError naming the place when ``data`` does not match the schema of ``fmt`` (default: its format)."""
    fmt = fmt or (data.get("format") if isinstance(data, dict) else None)
    if fmt not in FORMATS:
        raise ValueError(f"no format to validate against: {fmt!r}")
    validator = jsonschema.Draft202012Validator(schema(fmt), registry=registry(written))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        raise ValueError(f"{fmt} JSON: at {where or 'the top level'}: {error.message[:300]}")


DATA = Path(__file__).resolve().parent / "data"
SEEN: set = set()  # the formats the tests below wrote (checked last: every schema is exercised)


def written(path: Path) -> dict:
    """Read a file a writer produced, as plain JSON, and validate it in both modes."""
    data = json.loads(path.read_text())
    validate(data)
    validate(data, written=True)
    SEEN.add(data["format"])
    return data


def through_file(obj_json: dict, tmp_path: Path, name: str) -> dict:
    """A to_json() dict written by the package's one JSON writer, then validated as a file."""
    from exactrelu.exact.jsonio import write_json

    path = tmp_path / f"{name}.json"
    write_json(obj_json, path)
    return written(path)


# ------------------------------------------------------------------ the schemas themselves
@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.glob("*.schema.json")), ids=lambda p: p.name)
def test_each_schema_is_a_valid_draft_2020_12_schema(path):
    doc = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"].endswith("/" + path.name)
    if path.name != "common.schema.json":
        fmt = doc["properties"]["format"]["const"]
        assert FORMATS[fmt] + ".schema.json" == path.name
        assert "format" in doc["required"] and "version" in doc["required"]
        assert doc["additionalProperties"] is False


def test_every_format_the_package_writes_has_a_schema():
    found = set()
    for path in PKG.rglob("*.py"):
        if path.name == "jsonio.py":  # the envelope's own doctest uses a made-up format
            continue
        found |= set(re.findall(r'(?:FORMAT\s*=\s*|envelope\(\s*)"(exactrelu\.[a-z-]+)"', path.read_text()))
    assert found == set(FORMATS)
    assert {p.name for p in SCHEMA_DIR.glob("*.schema.json")} == {f"{s}.schema.json" for s in FORMATS.values()} | {
        "common.schema.json"}


def test_the_certificate_schema_lists_each_rules_witnesses_as_the_kernel_declares_them():
    kinds = {"int": {"type": "integer"}, "rat": {"$ref": "common.schema.json#/$defs/number"},
             "vec": {"$ref": "common.schema.json#/$defs/vector"},
             "veclist": {"type": "array", "items": {"$ref": "common.schema.json#/$defs/vector"}},
             "str": {"type": "string"}, "bool": {"type": "boolean"}, "series": {"$ref": "series.schema.json"},
             "serieslist": {"$ref": "#/$defs/entry_series"}}
    doc = schema("exactrelu.certificate")
    per_theorem = {b["if"]["properties"]["theorem"]["const"]: b["then"]["properties"] for b in doc["allOf"][1:]}
    family_rules = {name: r for name, r in RULES.items() if not r.product}
    assert set(per_theorem) == set(family_rules) == set(doc["properties"]["theorem"]["enum"]) - {None}
    for name, rule in family_rules.items():
        then = per_theorem[name]
        assert then["verdict"] == {"const": rule.verdict}
        w = then["witnesses"]
        assert w["properties"] == {k: kinds[v] for k, v in rule.witnesses.items()}, name
        assert set(w["required"]) == set(rule.witnesses) - rule.optional, name
        assert ("limit" in then) == (not rule.gives_limit), name
        scope = then.get("scope", {}).get("properties", {}).get("kind", {}).get("const")
        assert scope == rule.scope, name


# ------------------------------------------------------------------ release files
@pytest.mark.parametrize("path", sorted(DATA.glob("*_v1.json")), ids=lambda p: p.name)
def test_release_0_1_0_files_validate(path):
    written(path)


# ------------------------------------------------------------------ written files, generated objects
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])


@FAST
@given(st.data())
def test_networks_and_test_vectors(tmp_path, data):
    net = data.draw(testing.networks(input_dim=st.integers(1, 3), output=st.booleans()))
    net.to_json(tmp_path / "net.json")
    assert written(tmp_path / "net.json")["format"] == "exactrelu.network"
    xs = data.draw(st.lists(testing.inputs(net), min_size=0, max_size=4))
    oracle.save(oracle.make_vectors(net, xs), tmp_path / "vectors.json")
    assert len(written(tmp_path / "vectors.json")["vectors"]) == len(xs)


@pytest.mark.parametrize("layer_activation", ["leaky", "hardtanh", "per neuron", "custom"])
def test_networks_with_other_activations_and_their_regions(tmp_path, layer_activation):
    from exactrelu.nets.activation import Activation, hardtanh, identity, leaky

    acts = {"leaky": leaky("1/10"), "hardtanh": hardtanh(-1, "1/2"), "per neuron": [identity(), leaky("1/3"), hardtanh()],
            "custom": Activation(["-1/2", "1/2"], [0, 2, "1/4"], ["-1", 0, "7/8"])}[layer_activation]
    net = Network([([[1, 0], [0, 1], [1, -1]], [0, "1/4", 0], acts)], output=([[1, 1, 1]], [0]))
    net.to_json(tmp_path / "net.json")
    got = written(tmp_path / "net.json")
    assert "activation" in got["layers"][0] and Network.from_json(got) == net
    net.regions(Box([-1, -1], [1, 1])).save(tmp_path / "regions.json")
    assert written(tmp_path / "regions.json")["regions"]


def test_an_output_only_network(tmp_path):
    Network([], output=([[1, "-1/3"]], ["2/7"])).to_json(tmp_path / "net.json")
    assert written(tmp_path / "net.json")["layers"] == []


@FAST
@given(st.data())
def test_partitions_regions_and_polyhedra(tmp_path, data):
    net = data.draw(testing.networks(input_dim=2, depth=st.integers(1, 2), widths=st.integers(1, 3)))
    part = net.regions(Box([-1, -1], [1, 1]))
    part.save(tmp_path / "regions.json")
    got = written(tmp_path / "regions.json")
    assert len(got["regions"]) == len(part) and got["partial"] is False
    region = part[data.draw(st.integers(0, len(part) - 1))]
    assert through_file(region.to_json(vertices=True), tmp_path, "region")["format"] == "exactrelu.region"
    assert through_file(region.polyhedron.to_json(), tmp_path, "poly")["dim"] == 2


def test_a_partial_partition_and_a_slice(tmp_path):
    from exactrelu.regions import RegionLimitExceeded

    net = Network([([[1, 0, 1], [0, 1, -1], [1, 1, 1]], [0, "-1/2", "1/3"])], output=([[1, -1, 2]], [0]))
    s = Slice.through_points([0, 0, 0], [1, 0, "1/2"], [0, 1, "-1/3"])
    assert through_file(s.to_json(), tmp_path, "slice")["format"] == "exactrelu.slice"
    whole = net.regions(s)
    whole.save(tmp_path / "sliced.json")
    assert written(tmp_path / "sliced.json")["slice"]["format"] == "exactrelu.slice"
    with pytest.raises(RegionLimitExceeded) as info:
        net.regions(s, max_regions=1)
    info.value.regions.save(tmp_path / "partial.json")
    assert written(tmp_path / "partial.json")["partial"] is True


def test_polyhedra_with_every_kind_of_constraint(tmp_path):
    P = Polyhedron(2, inequalities=[([1, 0], "1/2")], strict=[([-1, 1], 0)], equations=[([1, 1], "-3/4")])
    assert len(through_file(P.to_json(), tmp_path, "poly")["equations"]) == 1


@pytest.mark.parametrize("lp", [
    dict(c=[1], A_ub=[[-1]], b_ub=["-1/3"]),                      # optimal
    dict(c=[1], A_ub=[[1], [-1]], b_ub=[-1, -1]),                 # infeasible
    dict(c=[-1], A_ub=[[-1]], b_ub=[0]),                          # unbounded
    dict(c=[1, 1], A_ub=[[-1, 0], [0, -1]], b_ub=[0, 0], A_eq=[[1, 1]], b_eq=["5/2"]),
])
def test_lp_results(tmp_path, lp):
    result = solve_lp(**lp)
    got = through_file(result.to_json(), tmp_path, "lp")
    assert got["status"] == result.status and LPResult.from_json(got) == result


CERTIFIED = {  # one family per rule (and inconclusive ones), with the point to certify at
    "T4": (Family([["1 + 1/n^2", "2/n^2"], ["0", "1 - 1/n^2"]], ["2^(-n)", "-1/n^3"]), None),
    "T6": (Family([["1/2", "1/4"], ["-1/4", "1/3"]], ["1", "-1/2"]), None),
    "T6b": (Family([["1/2 + 1/n^2", "1/4"], ["-1/4 - 2^(-n)", "1/3"]], ["1 + 2^(-n)", "-1/2 + 1/n^2"]), None),
    "P1": (Family([["-1", "0"], ["0", "-1"]], ["1", "1"]), ["1/2", "1/2"]),
    "T7a": (Family([["-1", "0"], ["0", "-1"]], ["1", "1"]), [0, 0]),
    "T7b": (Family([["1 + 1/n", "0"], ["0", "1"]], ["0", "0"]), None),
    "T7c": (Family([["0", "2"], ["2", "0"]], ["0", "0"]), [1, 0]),
    "T7d": (Family([["1", "1/n"], ["0", "1"]], ["0", "0"]), None),
    None: (Family([["1 + (-1)^n/n", "0"], ["0", "1"]], ["0", "0"]), None),
}


@pytest.mark.parametrize("theorem", list(CERTIFIED), ids=str)
def test_certificates_of_every_rule(tmp_path, theorem):
    fam, x = CERTIFIED[theorem]
    cert = certify(fam, x=x)
    assert cert.theorem == theorem
    cert.to_json(tmp_path / "cert.json")
    assert written(tmp_path / "cert.json")["theorem"] == theorem
    fam.to_json(tmp_path / "family.json")
    written(tmp_path / "family.json")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(testing.families(width=st.integers(1, 2), input_dim=st.sampled_from([None, 2]), start=st.integers(1, 3)))
def test_generated_families_and_their_certificates(tmp_path, fam):
    fam.to_json(tmp_path / "family.json")
    assert written(tmp_path / "family.json")["start"] == fam.start
    cert = certify(fam)
    cert.to_json(tmp_path / "cert.json")
    assert Certificate.from_json(written(tmp_path / "cert.json")) == cert


def test_series_sums_and_products(tmp_path):
    for term in (1 / n**2, (-1) ** n / n**3, 1 / n, 2**-n + 1 / n**2):
        s = summability(term)
        assert through_file(s.to_json(), tmp_path, "series")["verdict"] == s.verdict
    total = summable_sum([1 / n**2, 1 / n**3])
    assert len(through_file(total.to_json(), tmp_path, "sum")["certificates"]) == 2
    p = infinite_product([["1 + 1/n^2", "1/n^2"], ["0", "1 - 1/(n+1)^2"]])
    assert through_file(p.to_json(), tmp_path, "product")["theorem"] == "T2"
    singular = infinite_product([["1 - 1/n^2"]])  # A(1) = 0
    assert through_file(singular.to_json(), tmp_path, "singular")["singular_at"] == 1
    import sympy

    t3 = activation_product(sympy.Matrix([[1, 1 / n**2], [1 / n**3, 1]]), [1, 0])
    assert through_file(t3.to_json(), tmp_path, "t3")["theorem"] == "T3"


def test_files_the_command_line_writes(tmp_path, monkeypatch, capsys):
    from exactrelu.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["demo", "-o", "net.json"]) == 0
    assert written(tmp_path / "net.json")["format"] == "exactrelu.network"
    assert main(["regions", "net.json", "--json", "regions.json"]) == 0
    written(tmp_path / "regions.json")
    (tmp_path / "x.json").write_text('[["1/3", "-1/7"], [0, 0.5]]')
    assert main(["oracle", "make", "net.json", "--inputs", "x.json", "-o", "vectors.json"]) == 0
    assert len(written(tmp_path / "vectors.json")["vectors"]) == 2
    assert main(["init-family", "-o", "family.json"]) == 0
    written(tmp_path / "family.json")
    assert main(["certify", "family.json", "-o", "cert.json"]) == 0
    written(tmp_path / "cert.json")
    (tmp_path / "prop.vnnlib").write_text(VNNLIB)
    assert main(["verify", "net.json", "prop.vnnlib", "--proof", "proof.json"]) == 0
    written(tmp_path / "proof.json")
    capsys.readouterr()


# the demo network stays below 3.1 on [-1, 1]^2: the property holds and verify writes a proof
VNNLIB = ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 -1))\n"
          "(assert (<= X_0 1))\n(assert (>= X_1 -1))\n(assert (<= X_1 1))\n(assert (>= Y_0 3.1))\n")


# ------------------------------------------------------------------ the schemas reject malformed files
def network_doc() -> dict:
    return Network([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], ["1/10"])).to_json()


@lru_cache(maxsize=1)
def _certificate_json() -> str:
    return json.dumps(certify(CERTIFIED["T4"][0]).to_json())


def certificate_doc() -> dict:
    return json.loads(_certificate_json())


def vectors_doc() -> dict:
    return oracle.make_vectors(Network.from_json(network_doc()), [[1, "1/4"], [0, "1/2"]]).to_json()


def partition_doc() -> dict:
    return Network.from_json(network_doc()).regions(Box([-1, -1], [1, 1])).to_json()


def lp_doc() -> dict:
    return solve_lp([1], A_ub=[[-1]], b_ub=["-1/3"]).to_json()


def t3_doc() -> dict:
    import sympy

    return activation_product(sympy.Matrix([[1, 1 / n**2], [1 / n**3, 1]]), [1, 0]).to_json()


def product_reader(doc: dict) -> None:
    from exactrelu import ActivationProductCertificate

    ActivationProductCertificate.from_json(doc)


def series_sum_doc() -> dict:
    return summable_sum([1 / n**2 + 2**-n]).to_json()


def nest_parts(doc: dict) -> None:
    outer = doc["certificates"][0]
    part = outer["parts"][0]
    part["parts"] = [copy.deepcopy(part)]


def kernel_series(doc: dict) -> None:
    """The trusted kernel's decoding of every series certificate of a sum."""
    from exactrelu.kernel.series import decode

    for c in doc["certificates"]:
        decode(c)


def slice_doc() -> dict:
    return Slice.line([0, "1/3"], [1, 1]).to_json()


def family_doc() -> dict:
    return CERTIFIED["T4"][0].to_json()


def proof_doc() -> dict:
    from exactrelu.verification import verify
    from exactrelu.verification.results import proof_document
    from exactrelu.vnnlib import Property

    net = Network.from_json(network_doc())
    prop = Property.box([-1, -1], [1, 1], [[([-1], "-4")]])
    return proof_document(net, prop, verify(net, prop))


def proof_reader(doc: dict) -> None:
    from exactrelu.verification.proof_check import check_proof_file

    check_proof_file(doc)


def mutations() -> list:
    """(name, the document's maker, how to break it, the reader or checker that must refuse it too)."""
    def setv(path, value):
        def apply(doc):
            *head, last = path
            for k in head:
                doc = doc[k]
            doc[last] = value
        return apply

    def delete(path):
        def apply(doc):
            *head, last = path
            for k in head:
                doc = doc[k]
            del doc[last]
        return apply

    net, cert = network_doc, certificate_doc
    return [
        ("no format", net, delete(["format"]), Network.from_json),
        ("another format", net, setv(["format"], "exactrelu.family"), Network.from_json),
        ("version as text", net, setv(["version"], "1"), Network.from_json),
        ("version true", net, setv(["version"], True), Network.from_json),
        ("version 2", net, setv(["version"], 2), Network.from_json),
        ("unknown key", net, setv(["ouput"], None), Network.from_json),
        ("zero denominator", net, setv(["layers", 0, "b", 1], "1/0"), Network.from_json),
        ("not a number", net, setv(["layers", 0, "W", 0, 0], "one"), Network.from_json),
        ("boolean weight", net, setv(["layers", 0, "W", 0, 0], True), Network.from_json),
        ("null weight", net, setv(["layers", 0, "b", 0], None), Network.from_json),
        ("layer without b", net, delete(["layers", 0, "b"]), Network.from_json),
        ("no layers and no output", net, lambda d: d.update(layers=[], output=None), Network.from_json),
        ("T4 claiming divergence", cert, setv(["verdict"], "diverges"), check),
        ("unknown theorem", cert, setv(["theorem"], "T99"), Certificate.from_json),
        ("witness N as text", cert, setv(["witnesses", "N"], "64"), Certificate.from_json),
        ("witness S not exact", cert, setv(["witnesses", "S"], "a lot"), Certificate.from_json),
        ("missing witness", cert, delete(["witnesses", "P"]), check),
        ("witness of another rule", cert, setv(["witnesses", "orbit"], [["1"]]), check),
        ("inconclusive with witnesses", cert, lambda d: d.update(verdict="inconclusive", theorem=None), check),
        ("point scope without x", cert, setv(["scope"], {"kind": "point"}), Certificate.from_json),
        ("missing key", cert, delete(["evidence"]), Certificate.from_json),
        ("subject without format", cert, delete(["subject", "format"]), Certificate.from_json),
        ("series term op not allowed", cert,
         setv(["witnesses", "W_series", 0, "series", "term"], {"op": "eval", "args": ["n"]}), Certificate.from_json),
        ("pattern digit beyond z", lambda: oracle.make_vectors(Network.from_json(network_doc()), [[0, 1]]).to_json(),
         setv(["vectors", 0, "pattern"], "1A"), oracle.load_vectors),
        ("vectors without network", vectors_doc, delete(["network"]), oracle.load_vectors),
        ("vector pattern not a string", vectors_doc, setv(["vectors", 0, "pattern"], [1, 0]), oracle.load_vectors),
        ("tie not a pair", vectors_doc, setv(["vectors", 0, "ties"], [[0]]), oracle.load_vectors),
        ("float64 outputs as text", vectors_doc, setv(["vectors", 0, "output_float64"], ["2.35"]),
         None),  # the reader is lenient here: it takes numeric text for these floats
        ("partition version 1", partition_doc, setv(["version"], 1), Partition.from_json),
        ("partition box without upper", partition_doc, delete(["box", "upper"]), Partition.from_json),
        ("partial not a boolean", partition_doc, setv(["partial"], "no"), Partition.from_json),
        ("region without witness", partition_doc, delete(["regions", 0, "witness"]), Partition.from_json),
        ("region pattern with a blank", partition_doc, setv(["regions", 0, "pattern", "layers"], "1 0"),
         Partition.from_json),
        ("polyhedron constraint not a pair", partition_doc,
         setv(["regions", 0, "polyhedron", "inequalities", 0], [["1", "0"]]), Partition.from_json),
        ("LP status unknown", lp_doc, setv(["status"], "solved"), LPResult.from_json),
        ("LP certificate kind unknown", lp_doc, setv(["certificate", "kind"], "primal"), LPResult.from_json),
        ("T3 with a nonsingularity claim", t3_doc, setv(["nonsingular"], True), product_reader),
        ("product subject without start", t3_doc, delete(["subject", "start"]), product_reader),
        ("series parts nested twice", series_sum_doc, nest_parts, SeriesSum.from_json),
        ("series verdict unknown", series_sum_doc, setv(["certificates", 0, "verdict"], "convergent"),
         kernel_series),
        ("slice without upper", slice_doc, delete(["upper"]), Slice.from_json),
        ("family start 0", family_doc, setv(["start"], 0), Family.from_json),
        ("family prefix layer with activation", family_doc,
         setv(["prefix"], [{"W": [["1"]], "b": ["0"], "activation": "relu"}]), Family.from_json),
        ("proof without trees", proof_doc, delete(["trees"]), proof_reader),
        ("proof step of an unknown kind", proof_doc, setv(["trees", 0, 0], ["guess", 0]), proof_reader),
        ("proof case without upper", proof_doc, delete(["property", "cases", 0, "upper"]), proof_reader),
        ("series unknown witness", cert, setv(["witnesses", "W_series", 0, "series", "witnesses", "Z"], "1"),
         check),
    ]


@pytest.mark.parametrize("case", mutations(), ids=lambda c: c[0])
def test_malformed_files_are_rejected(case):
    _, make, breaking, reader = case
    doc = make()
    validate(doc)
    bad = copy.deepcopy(doc)
    breaking(bad)
    fmt = doc["format"]
    with pytest.raises(ValueError, match="JSON: at "):
        validate(bad, fmt)
    if reader is not None:
        with pytest.raises(ValueError):
            reader(bad)


def test_hand_written_decimals_are_valid_input_but_not_what_exactrelu_writes():
    text = '{"format": "exactrelu.network", "version": 1, "layers": [{"W": [[0.1, "2.5e-1"]], "b": ["1/2"]}]}'
    doc = json.loads(text)
    validate(doc)
    assert Network.from_json(text)([10, 4]) == (Fraction(5, 2),)  # the literal 0.1 is read as exactly 1/10
    with pytest.raises(ValueError, match=r"at layers\[0\]\.W\[0\]\[[01]\]: .* does not match"):
        validate(doc, written=True)
    with pytest.raises(ValueError, match="no format"):
        validate([1, 2])


def test_the_schemas_are_package_data():
    import importlib.resources

    names = {p.name for p in importlib.resources.files("exactrelu").joinpath("schemas").iterdir()}
    assert {f"{stem}.schema.json" for stem in FORMATS.values()} | {"common.schema.json"} <= names


def test_every_schema_was_exercised_by_a_written_file():
    """Runs last in this module (pytest keeps file order): each format was written and validated above."""
    if len(SEEN) < 3:
        pytest.skip("only meaningful when the whole module runs")
    assert SEEN == set(FORMATS)
