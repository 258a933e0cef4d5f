"""Files written by an earlier release still load, and still check: the file formats are stable.

tests/data/*_v1.json were written by exactrelu 0.1.0 (before the package was
reorganised into subfolders); module paths may move, format names may not.
"""

import json
from fractions import Fraction
from pathlib import Path

import pytest

from exactrelu import Certificate, Network, check, oracle

DATA = Path(__file__).resolve().parent / "data"
CERTIFICATES = sorted(DATA.glob("certificate_*_v1.json"))


def test_the_fixture_files_are_there():
    assert {p.name.split("_")[1] for p in CERTIFICATES} == {"T4", "T6b", "T7a", "T7b"}


@pytest.mark.parametrize("path", CERTIFICATES, ids=[p.stem for p in CERTIFICATES])
def test_release_certificates_still_check(path):
    data = json.loads(path.read_text())
    assert data["format"] == "exactrelu.certificate"
    assert check(str(path)) is True
    cert = Certificate.from_json(str(path))
    assert cert.theorem == path.name.split("_")[1]
    assert json.loads(json.dumps(cert.to_json())) == data  # written back unchanged


def test_release_network_and_vectors_still_load():
    net = Network.from_json(str(DATA / "network_v1.json"))
    assert net([1, "1/4"]) == (Fraction(9, 4) + Fraction(1, 10),)
    assert Network.to_json(net)["format"] == "exactrelu.network"
    vectors = oracle.load_vectors(str(DATA / "vectors_v1.json"))
    assert vectors.network == net and len(vectors) == 2
