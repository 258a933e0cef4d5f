"""Readable numbers: correctly rounded from the exact rational, and marked '~' exactly when rounded.

The truth is Python's decimal module: a division in a context of ``digits``
digits is correctly rounded (half to even) and signals Inexact when it rounds.
"""

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exactrelu.cli._numbers import decimal_text

fractions = st.builds(
    lambda n, d, e: Fraction(n, d) * Fraction(10) ** e,
    st.integers(-10**40, 10**40), st.integers(1, 10**40), st.integers(-60, 60),
)


def truth(q: Fraction, digits: int) -> tuple:
    ctx = Context(prec=digits, rounding=ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6)
    value = ctx.divide(Decimal(q.numerator), Decimal(q.denominator))
    return Fraction(value), bool(ctx.flags[Inexact])


@given(fractions, st.integers(1, 30))
def test_rounding_is_correct_and_the_mark_says_when_it_rounded(q, digits):
    text = decimal_text(q, digits)
    value, inexact = truth(q, digits)
    assert text.startswith("~") == inexact
    assert Fraction(text.lstrip("~")) == value
    mantissa = re.sub(r"e[+-]\d+$", "", text.lstrip("~-")).replace(".", "").lstrip("0")
    assert 1 <= len(mantissa) <= digits or q == 0  # at most `digits` significant digits, no trailing zeros
    assert not mantissa.endswith("0") or "." not in text


@given(st.integers(-10**12, 10**12), st.integers(0, 12))
def test_short_decimals_print_exactly(n, k):
    q = Fraction(n, 10**k)
    digits = max(1, len(str(abs(n)).strip("0")))
    assert not decimal_text(q, max(digits, 1)).startswith("~")


@pytest.mark.parametrize("q, digits, text", [
    (Fraction(1, 3), 6, "~0.333333"), (Fraction(-2, 3), 3, "~-0.667"), (Fraction(1, 2), 1, "0.5"),
    (Fraction(5, 2), 1, "~2"),  # half to even
    (Fraction(7, 2), 1, "~4"), (Fraction(999999, 10**6), 3, "~1"), (Fraction(123, 10**7), 6, "1.23e-05"),
    (Fraction(10**20), 6, "1e+20"), (Fraction(10**20 + 1), 6, "~1e+20"), (Fraction(0), 6, "0"),
    (Fraction(12345), 6, "12345"), (Fraction(1234567), 6, "~1.23457e+06"), (Fraction(1, 10**4), 6, "0.0001"),
])
def test_layout(q, digits, text):
    assert decimal_text(q, digits) == text


def test_huge_and_tiny_values_need_no_float():
    q = Fraction(2) ** 5000 / 3  # beyond float range: float(q) would overflow
    for v in (q, 1 / q, -q):
        text = decimal_text(v, 4)
        assert re.fullmatch(r"~-?\d\.\d{3}e[+-]150[45]", text) and (Fraction(text[1:]), True) == truth(v, 4)


@given(fractions, st.integers(1, 30))
def test_upper_bounds_round_up_to_the_least_decimal_above(q, digits):
    from decimal import ROUND_CEILING

    from exactrelu.cli._numbers import upper_text

    ctx = Context(prec=digits, rounding=ROUND_CEILING, Emax=10**6, Emin=-10**6)
    text = upper_text(q, digits)
    assert "~" not in text and Fraction(text) == Fraction(ctx.divide(Decimal(q.numerator), Decimal(q.denominator)))
    assert Fraction(text) >= q
