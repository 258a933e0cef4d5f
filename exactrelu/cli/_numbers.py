"""Readable numbers for the command line: decimals with a set number of significant digits.

Not a subcommand (the leading underscore keeps it out of the command list).

The convention (stated in the --help of every command that prints values):
a value is shown as a decimal with at most ``--digits`` significant digits
(default 6); when that decimal is not the exact value it starts with ``~``
(``~0.333333``), so a number printed without ``~`` is exact (``0.5``, ``2``,
``-1.25e-07``). ``--exact`` prints every value as an exact fraction
(``1/3``). The rounding is computed from the exact rational (round half to
even), never through a float, so ``~`` values are correctly rounded at any
magnitude. JSON output is always exact.
"""

from __future__ import annotations

import argparse
import math
from fractions import Fraction
from typing import Any, Callable, Iterable

from ..exact.numbers import fraction_str

ROUNDED = "~"  # the mark of a rounded value: ASCII, so every terminal and log file shows it
DEFAULT_DIGITS = 6
MAX_DIGITS = 1000

NUMBERS_HELP = (
    f"Numbers: values print as decimals with at most --digits significant digits (default {DEFAULT_DIGITS}). "
    f"A rounded value starts with '{ROUNDED}' ({ROUNDED}0.333333 is 1/3 correctly rounded); a value printed "
    "without it is exact (0.5, 2, 1e-07). --exact prints exact fractions (1/3) instead."
)


def decimal_text(q: Fraction, digits: int = DEFAULT_DIGITS) -> str:
    """``q`` as a decimal of at most ``digits`` significant digits, with ``~`` in front when rounded.

    Rounding is exact (from the rational, half to even); fixed notation for
    exponents -5 < e < digits, scientific otherwise (like Python's ``g``).

    >>> [decimal_text(Fraction(n, d)) for n, d in [(1, 2), (1, 3), (-2, 3), (0, 1), (5, 1), (1, 8)]]
    ['0.5', '~0.333333', '~-0.666667', '0', '5', '0.125']
    >>> decimal_text(Fraction(1234567)), decimal_text(Fraction(1, 10**7)), decimal_text(Fraction(10**30 + 1))
    ('~1.23457e+06', '1e-07', '~1e+30')
    >>> decimal_text(Fraction(999999, 10**6), 3), decimal_text(Fraction(1, 7), 1), decimal_text(Fraction(25, 1000), 1)
    ('~1', '~0.1', '~0.02')
    """
    text, exact = _decimal(Fraction(q), digits, up=False)
    return text if exact else ROUNDED + text


def upper_text(q: Fraction, digits: int = DEFAULT_DIGITS) -> str:
    """The least decimal of at most ``digits`` significant digits that is >= ``q`` (for upper bounds: no mark).

    A bound rounded up still holds, so "||e|| <= 0.334" is true as printed when the exact bound is 1/3.

    >>> upper_text(Fraction(1, 3), 3), upper_text(Fraction(-1, 3), 3), upper_text(Fraction(1, 4), 3)
    ('0.334', '-0.333', '0.25')
    >>> upper_text(Fraction(99951, 100000), 3), upper_text(Fraction(3, 10**9), 6)
    ('1', '3e-09')
    """
    return _decimal(Fraction(q), digits, up=True)[0]


def _decimal(q: Fraction, digits: int, up: bool) -> tuple:
    """(text, exact): q rounded to ``digits`` significant digits, to nearest (half even) or up (toward +inf)."""
    if digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}")
    if q == 0:
        return "0", True
    a = abs(q)
    e = _exponent(a)
    scaled = a * _pow10(digits - 1 - e)
    if not up:
        m = round(scaled)  # Fraction rounding: exact, half to even
    else:  # toward +inf: away from zero for q > 0, toward zero for q < 0
        m = math.ceil(scaled) if q > 0 else math.floor(scaled)
    if m == 10**digits:  # 9.99...96 rounded up to 10.0...0: one more digit before the point
        m, e = m // 10, e + 1
    exact = m * _pow10(e - digits + 1) == a
    return ("-" if q < 0 else "") + _layout(m, e, digits), exact


def _exponent(a: Fraction) -> int:
    """The integer e with 10^e <= a < 10^(e+1), for a > 0 (estimated from bit lengths, then fixed exactly)."""
    e = int((a.numerator.bit_length() - a.denominator.bit_length()) * 0.30102999566398)
    while _pow10(e) > a:
        e -= 1
    while _pow10(e + 1) <= a:
        e += 1
    return e


def _pow10(e: int) -> Fraction:
    return Fraction(10**e) if e >= 0 else Fraction(1, 10**-e)


def _layout(m: int, e: int, digits: int) -> str:
    """The decimal m * 10^(e - digits + 1) (m has ``digits`` digits) without trailing zeros."""
    s = str(m).rjust(digits, "0")
    if -5 < e < digits:
        if e >= 0:
            whole, frac = s[: e + 1], s[e + 1:]
        else:
            whole, frac = "0", "0" * (-e - 1) + s
        frac = frac.rstrip("0")
        return whole + ("." + frac if frac else "")
    mant = s[0] + ("." + s[1:].rstrip("0") if s[1:].rstrip("0") else "")
    return f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"


def add_number_options(p: Any) -> Any:
    """The --digits and --exact options of a command that prints values."""
    p.add_argument("--digits", type=_digits, default=DEFAULT_DIGITS, metavar="N",
                   help=f"significant digits of printed values (default {DEFAULT_DIGITS}); "
                   f"a rounded value starts with '{ROUNDED}'")
    p.add_argument("--exact", action="store_true", help="print exact fractions (1/3) instead of decimals")
    return p


def _digits(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of digits, got {text!r}") from None
    if not 1 <= value <= MAX_DIGITS:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_DIGITS} digits, got {value}")
    return value


def formatter(args: Any) -> Callable[[Fraction], str]:
    """The number format the options ask for: exact fractions, or decimals of ``args.digits`` digits.

    >>> from argparse import Namespace
    >>> formatter(Namespace(exact=False, digits=3))(Fraction(2, 3)), formatter(Namespace(exact=True))(Fraction(2, 3))
    ('~0.667', '2/3')
    """
    if getattr(args, "exact", False):
        return fraction_str
    digits = getattr(args, "digits", DEFAULT_DIGITS)
    return lambda q: decimal_text(q, digits)


def vector_text(values: Iterable[Fraction], fmt: Callable[[Fraction], str]) -> str:
    """``(v0, v1, ...)`` in the given number format.

    >>> vector_text([Fraction(1, 2), Fraction(1, 3)], decimal_text)
    '(0.5, ~0.333333)'
    """
    return "(" + ", ".join(fmt(v) for v in values) + ")"
