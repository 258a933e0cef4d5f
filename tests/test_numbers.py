"""Exact conversion of user numbers: every accepted type, every rejection, and where it is named."""

from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy
from hypothesis import given, strategies as st

from exactrelu.exact.numbers import fraction_str, to_fraction, to_matrix, to_vector


@pytest.mark.parametrize(
    "value, expected",
    [
        (3, Fraction(3)),
        (-7, Fraction(-7)),
        (Fraction(2, 6), Fraction(1, 3)),
        (flint.fmpq(-3, 4), Fraction(-3, 4)),
        (flint.fmpz(12), Fraction(12)),
        (sympy.Rational(5, 7), Fraction(5, 7)),
        (sympy.Integer(-2), Fraction(-2)),
        ("3/4", Fraction(3, 4)),
        ("-2", Fraction(-2)),
        ("0.1", Fraction(1, 10)),
        ("1e-3", Fraction(1, 1000)),
        (" 2.5E2 ", Fraction(250)),
        ("-.5", Fraction(-1, 2)),
        (0.5, Fraction(1, 2)),
        (np.int32(4), Fraction(4)),
        (np.float32(0.1), Fraction(13421773, 134217728)),  # float32's exact binary value of 0.1
        (np.array(0.25), Fraction(1, 4)),
    ],
)
def test_accepted_values_convert_exactly(value, expected):
    assert to_fraction(value) == expected


def test_long_double_is_not_rounded_to_double():
    x = np.longdouble(1) + np.longdouble(2) ** -60  # representable only where long double has 64+ bits
    assert to_fraction(x) == Fraction(*x.as_integer_ratio())
    with pytest.raises(ValueError, match="NaN"):
        to_fraction(np.longdouble("nan"))


def test_float_is_its_exact_binary_value_not_its_decimal():
    # 0.1 = 3602879701896397 / 2^55 exactly; the decimal string means 1/10.
    assert to_fraction(0.1) == Fraction(3602879701896397, 2**55)
    assert to_fraction(0.1) != to_fraction("0.1")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_finite_floats_round_trip(x):
    q = to_fraction(x)
    assert float(q) == x and q == Fraction(x)


@pytest.mark.parametrize(
    "value, message",
    [
        (float("nan"), "NaN"),
        (float("inf"), "infinity"),
        (-np.inf, "infinity"),
        (np.float32("nan"), "NaN"),
        (1 + 2j, "complex"),
        (True, "boolean"),
        (np.bool_(False), "boolean"),
        (None, "None"),
        ("abc", "not a number"),
        ("1/0", "zero denominator"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("1_000", "not a number"),
        (sympy.sqrt(2), "not an exact rational"),
        (sympy.oo, "not an exact rational"),
        ([1], "cannot use list"),
    ],
)
def test_rejected_values_raise_value_error(value, message):
    with pytest.raises(ValueError, match=message):
        to_fraction(value)


def test_errors_name_the_place():
    with pytest.raises(ValueError, match=r"^layer 3, row 1, column 0: NaN"):
        to_fraction(float("nan"), where="layer 3, row 1, column 0")
    with pytest.raises(ValueError, match=r"W, row 1, column 2: 'x'"):
        to_matrix([[1, 2, 3], [4, 5, "x"]], where="W")
    with pytest.raises(ValueError, match=r"b, entry 1: infinity"):
        to_vector([0, float("inf")], where="b")


def test_vector_and_matrix_shapes():
    assert to_vector(np.array([1.5, -2.0])) == (Fraction(3, 2), Fraction(-2))
    assert to_matrix(np.eye(2, dtype=np.int64)) == ((1, 0), (0, 1))
    with pytest.raises(ValueError, match="expected length 3, got 2"):
        to_vector([1, 2], length=3)
    with pytest.raises(ValueError, match=r"expected shape \(2, 2\), got \(1, 2\)"):
        to_matrix([[1, 2]], shape=(2, 2))
    with pytest.raises(ValueError, match="expected a vector"):
        to_vector(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="row 0 is not a sequence"):
        to_matrix([1, 2])
    with pytest.raises(ValueError, match="expected a vector"):
        to_vector("12")


@given(st.fractions())
def test_fraction_str_round_trips(q):
    assert to_fraction(fraction_str(q)) == q


# ---- hostile strings (audit regressions)
@pytest.mark.parametrize("text", ["\u0661\u0662", "1\u00b2", "\uff11", "1_000", "0x10", "1e", ".", "+.e1", "--1"])
def test_non_ascii_or_odd_digit_strings_are_refused(text):
    # str.isdigit/int() accept unicode digits; an exact parser must not guess.
    with pytest.raises(ValueError, match="is not a number"):
        to_fraction(text, "here")


@pytest.mark.parametrize("text", ["1e999999999", "1e-10001", "2E" + "9" * 30])
def test_huge_exponents_are_refused_quickly(text):
    # 10**999999999 would take minutes and gigabytes: refused, naming the place.
    with pytest.raises(ValueError, match="here: exponent .* out of range"):
        to_fraction(text, "here")


def test_long_digit_strings_convert_exactly_beyond_pythons_limit():
    # Python's int(str) stops at 4300 digits; exact inputs may be longer.
    assert to_fraction("9" * 5000) == 10**5000 - 1
    assert to_fraction("-" + "9" * 5000 + ".5") == -(10**5000 - 1) - Fraction(1, 2)
    assert to_fraction("1/" + "1" + "0" * 5000) == Fraction(1, 10**5000)


@given(st.integers(-(10**6), 10**6), st.integers(0, 5000), st.integers(-3000, 3000))
def test_decimal_strings_agree_with_fraction(m, zeros, e):
    # Independent parse: Python's Fraction(str) reads scientific notation exactly.
    text = f"{m}{'0' * zeros}e{e}"
    assert to_fraction(text) == Fraction(m * 10**zeros) * Fraction(10) ** e


def test_fraction_str_of_huge_rationals_round_trips():
    q = Fraction(10**6000 + 1, 3**9000)  # both beyond str(int)'s 4300-digit limit
    assert to_fraction(fraction_str(q)) == q


def test_numpy_strings_are_quoted_plainly_in_messages():
    with pytest.raises(ValueError, match="^here: 'x' is not a number"):
        to_fraction(np.str_("x"), "here")


def test_exponents_with_leading_zeros_are_their_value():
    assert to_fraction("1e" + "0" * 30 + "5") == 10**5
    assert to_fraction("2E-" + "0" * 20 + "1") == Fraction(1, 5)
