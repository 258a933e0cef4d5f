"""The README's runnable examples run, and what their comments claim holds.

Every ```python block of the README is run here (a test per block, and a test
that no block is left out).
"""

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


def test_numerics_block():
    scope = run_block(2)
    net, X = scope["net"], scope["X"]
    assert net == scope["Network"]([([[1, -1], [1, 1]], [0, "-1/2"])], output=([[1, 2]], [0]))  # the npz round trip is exact
    assert scope["report"].ok is True
    assert len(scope["vectors"]) == len(X)
    # the implementation under test really is float32, and close to the exact outputs
    got = scope["my_impl"](scope["vectors"].inputs("float32"))
    assert got.dtype.name == "float32"
    assert all(abs(float(g) - float(net(x)[0])) < 1e-6 for g, x in zip(got[:, 0], X))


def test_every_block_is_tested():
    tested = {int(m) for m in re.findall(r"run_block\((\d+)\)", Path(__file__).read_text())}
    assert tested == set(range(len(BLOCKS))), f"README has {len(BLOCKS)} python blocks; tested: {sorted(tested)}"
