"""The README's runnable examples run, and what their comments claim holds."""

import re
from fractions import Fraction
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def run_block(index: int) -> dict:
    scope: dict = {}
    exec(compile(BLOCKS[index], f"README block {index}", "exec"), scope)  # our own README, not user input
    return scope


def test_core_block():
    scope = run_block(0)
    net = scope["net"]
    assert net([1, "1/4"]) == (Fraction(9, 4),)
    assert repr(net.pattern([1, "-1/2"])) == "Pattern('10', ties=[(0, 1)])"
    assert sum(r.volume() for r in scope["regions"]) == 4


def test_certificate_block():
    scope = run_block(1)
    cert = scope["cert"]
    assert (cert.verdict, cert.theorem) == ("converges", "T4")
    assert scope["check"](cert) is True
