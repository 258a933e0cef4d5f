"""Shared helpers for the paper's experiments: arguments, exact number formatting, output files.

Nothing here computes a result; it only formats and writes what the
experiment scripts computed.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results"


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--fast", action="store_true", help="the reduced run CI uses (same code path, fewer depths/epochs/seeds)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    return p


def up(q: Fraction, digits: int = 3) -> str:
    """A decimal string >= q with ``digits`` significant digits (rounded UP: safe for upper bounds).

    >>> up(Fraction(1, 3)), up(Fraction(2118, 100)), up(Fraction(0))
    ('3.34e-01', '2.12e+01', '0')
    """
    return _directed(Fraction(q), digits, upward=True)


def down(q: Fraction, digits: int = 3) -> str:
    """A decimal string <= q with ``digits`` significant digits (rounded DOWN: safe for lower bounds)."""
    return _directed(Fraction(q), digits, upward=False)


def _directed(q: Fraction, digits: int, upward: bool) -> str:
    if q == 0:
        return "0"
    if q < 0:  # rounding -q the other way, then negating, keeps the direction
        return "-" + _directed(-q, digits, not upward)
    e = math.floor(math.log10(q.numerator) - math.log10(q.denominator))
    for exp in (e - 1, e, e + 1):  # log10 of big integers is approximate: fix the exponent exactly
        scaled = q * Fraction(10) ** (digits - 1 - exp)
        m = math.ceil(scaled) if upward else math.floor(scaled)
        if m == 10 ** digits:  # 9.99 rounded up to 10.0
            m, exp = 10 ** (digits - 1), exp + 1
        if 10 ** (digits - 1) <= m < 10 ** digits:
            return f"{m // 10 ** (digits - 1)}.{str(m)[1:]}e{exp:+03d}" if digits > 1 else f"{m}e{exp:+03d}"
    raise AssertionError(q)  # pragma: no cover


def fmt(x: float | None, digits: int = 3) -> str:
    """A measured float for a table (no rounding direction implied)."""
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "overflow (inf)"
    if x == 0:
        return "0"
    return f"{x:.{digits - 1}e}"


def jfloat(x: float | None):
    """A float for JSON: inf/nan become strings (JSON has no such numbers)."""
    if x is None:
        return None
    x = float(x)
    if math.isinf(x) or math.isnan(x):
        return str(x)
    return x


def r4(x: float | None):
    """A measured float rounded to 4 significant digits (for curves stored in the JSON)."""
    v = jfloat(x)
    return float(f"{v:.4g}") if isinstance(v, float) else v


def markdown_table(header: list, rows: list) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n")  # compact: the results are committed


def publish(out: Path, name: str, data: dict, markdown, figures, timer: "Timer") -> None:
    """Write an experiment's results: NAME.json (with its runtime), NAME.md, its figures; say what was written."""
    data["runtime_s"] = timer.seconds()
    write_json(out / f"{name}.json", data)
    (out / f"{name}.md").write_text(markdown(data))
    figures(data, out)
    pngs = ", ".join(sorted(p.name for p in out.glob(f"{name}*.png")))
    print(f"wrote {out}/{name}.json, {name}.md, {pngs} in {timer.seconds()} s")


def environment() -> dict:
    import os

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "gpu": "none (CPU only)",
    }


class Timer:
    def __init__(self):
        self.t0 = time.perf_counter()

    def seconds(self) -> float:
        return round(time.perf_counter() - self.t0, 1)


def save_png(fig, path: Path, dpi: int = 72) -> None:
    """Save a matplotlib figure as a small PNG (a palette of 64 colours: line plots lose nothing visible)."""
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
