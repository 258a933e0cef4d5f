"""Exact conversion of user numbers to rationals, once, at the edge.

Every number a user hands to exactrelu passes through :func:`to_fraction` (or
its vector and matrix forms) exactly once.  Inside the package nothing guesses
types again: public results are :class:`fractions.Fraction`, internals may use
python-flint's ``fmpq``/``fmpz_mat`` for speed.

Accepted: ``int``, ``Fraction``, ``flint.fmpq``/``fmpz``, sympy ``Rational``,
numpy integers and floats, Python floats (their exact binary value), and
strings ("3/4", "-2", "0.1" meaning exactly 1/10, "1e-3").  Rejected with a
:class:`ValueError` naming where the value was: NaN, infinities, complex
numbers, booleans, ``None``, and strings that are not numbers.

>>> to_fraction("0.1")
Fraction(1, 10)
>>> to_fraction(0.1)
Fraction(3602879701896397, 36028797018963968)
>>> to_fraction("3/4"), to_fraction("-2"), to_fraction("1e-3")
(Fraction(3, 4), Fraction(-2, 1), Fraction(1, 1000))
>>> to_fraction(float("nan"), where="layer 0, row 1, column 2")
Traceback (most recent call last):
...
ValueError: layer 0, row 1, column 2: NaN is not a rational number
"""

from __future__ import annotations

import math
import numbers as _abc
import re
from fractions import Fraction
from typing import Any, Iterable, Sequence

import flint
import numpy as np

__all__ = [
    "to_fraction",
    "to_vector",
    "to_matrix",
    "fraction_str",
    "Vector",
    "Matrix",
]

Vector = tuple  # tuple[Fraction, ...]
Matrix = tuple  # tuple[tuple[Fraction, ...], ...]

# Plain decimal or p/q with ASCII digits only (no unicode digits, underscores,
# inner whitespace, "inf" or "nan").
_RATIO = re.compile(r"^([+-]?[0-9]+)/([+-]?[0-9]+)$")
_DECIMAL = re.compile(r"^([+-]?)([0-9]+)?(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$")
# A decimal exponent costs time and memory exponential in its own length
# ("1e999999999" would hang, and each "1e99999" is a 40 kB integer from 7
# bytes of input): bound it.  1e-10000 is far below any meaningful weight;
# longer exact numbers can still be written out in digits or as p/q.
MAX_EXPONENT = 10_000
# Python refuses int(str) beyond 4300 digits (a quadratic-time guard); flint
# converts long digit strings in quasi-linear time, so those go through it.
_PY_DIGITS = 4000


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def _int(digits: str) -> int:
    """An ASCII digit string (optional sign) as an int, without Python's 4300-digit limit."""
    if len(digits) <= _PY_DIGITS:
        return int(digits)
    sign = -1 if digits.startswith("-") else 1
    return sign * int(flint.fmpz(digits.lstrip("+-")))


def _short(s: str) -> str:
    s = str(s)  # numpy's str_ would print as np.str_('x')
    return repr(s) if len(s) <= 60 else repr(s[:40] + "...") + f" ({len(s)} characters)"


def _from_str(s: str, where: str) -> Fraction:
    t = s.strip()
    m = _RATIO.match(t)
    if m:
        num, den = _int(m.group(1)), _int(m.group(2))
        if den == 0:
            raise ValueError(f"{_at(where)}zero denominator in {_short(s)}")
        return Fraction(num, den)
    m = _DECIMAL.match(t)
    if m and (m.group(2) or m.group(3)):
        sign, whole, frac, exp = m.group(1), m.group(2) or "", m.group(3) or "", m.group(4)
        e = 0 if exp is None else (int(exp) if len(exp.lstrip("+-").lstrip("0")) < 12 else None)
        if e is None or abs(e) > MAX_EXPONENT:
            raise ValueError(f"{_at(where)}exponent of {_short(s)} is out of range (at most {MAX_EXPONENT} in absolute value)")
        # value = sign * (whole.frac digits) * 10^e, exactly
        q = Fraction(_int(sign + (whole + frac or "0")))
        shift = e - len(frac)
        return q * 10**shift if shift >= 0 else q / 10**-shift
    raise ValueError(f"{_at(where)}{_short(s)} is not a number (expected an integer, 'p/q' or a decimal)")


def _from_float(x: float, where: str) -> Fraction:
    if math.isnan(x):
        raise ValueError(f"{_at(where)}NaN is not a rational number")
    if math.isinf(x):
        raise ValueError(f"{_at(where)}infinity is not a rational number")
    return Fraction(x)  # the exact binary value, never rounded


def to_fraction(value: Any, where: str = "") -> Fraction:
    """Convert one user number to an exact :class:`Fraction`.

    ``where`` names the place (for example ``"layer 2, row 0, column 3"``) and
    prefixes every error message.

    >>> to_fraction(3), to_fraction(Fraction(1, 3))
    (Fraction(3, 1), Fraction(1, 3))
    >>> import numpy as np; to_fraction(np.float32(0.5)), to_fraction(np.int64(-7))
    (Fraction(1, 2), Fraction(-7, 1))
    >>> to_fraction(True)
    Traceback (most recent call last):
    ...
    ValueError: booleans are not accepted as numbers (got True)
    """
    if value is None:
        raise ValueError(f"{_at(where)}missing value (None)")
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{_at(where)}booleans are not accepted as numbers (got {value!r})")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return _from_float(value, where)
    if isinstance(value, str):
        return _from_str(value, where)
    if isinstance(value, flint.fmpq):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, flint.fmpz):
        return Fraction(int(value))
    if isinstance(value, np.integer):
        return Fraction(int(value))
    if isinstance(value, np.floating):
        if not np.isfinite(value):
            return _from_float(float(value), where)  # names NaN or infinity
        return Fraction(*value.as_integer_ratio())  # exact for every width, long double included
    if isinstance(value, (complex, np.complexfloating)):
        raise ValueError(f"{_at(where)}complex number {value!r} is not accepted")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return to_fraction(value.item(), where)
    return _from_other(value, where)


def _from_other(value: Any, where: str) -> Fraction:
    # sympy numbers: accept exact rationals only, without importing sympy eagerly.
    mod = type(value).__module__ or ""
    if mod.startswith("sympy"):
        if getattr(value, "is_Rational", False):
            return Fraction(int(value.p), int(value.q))
        if getattr(value, "is_Float", False):
            return _from_float(float(value), where) if value.is_finite else _reject(value, where)
        raise ValueError(f"{_at(where)}sympy value {value} is not an exact rational number")
    if isinstance(value, _abc.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    raise ValueError(f"{_at(where)}cannot use {type(value).__name__} value {value!r} as a number")


def _reject(value: Any, where: str) -> Fraction:
    raise ValueError(f"{_at(where)}{value} is not a finite number")


def _is_sequence(obj: Any) -> bool:
    return isinstance(obj, (Sequence, np.ndarray)) and not isinstance(obj, (str, bytes))


def to_vector(values: Any, where: str = "", length: int | None = None) -> tuple:
    """Convert a 1-D sequence to a tuple of Fractions; errors name the index.

    >>> to_vector(["1/2", 3], where="layer 0, b")
    (Fraction(1, 2), Fraction(3, 1))
    >>> to_vector([1, "x"], where="input")
    Traceback (most recent call last):
    ...
    ValueError: input, entry 1: 'x' is not a number (expected an integer, 'p/q' or a decimal)
    """
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"{_at(where)}expected a vector, got an array of shape {values.shape}")
    if not _is_sequence(values):
        raise ValueError(f"{_at(where)}expected a vector (a sequence of numbers), got {type(values).__name__}")
    sep = ", " if where else ""
    # (exact ints and Fractions, the common case, skip formatting the place of an error that cannot happen)
    out = tuple(v if type(v) is Fraction else Fraction(v) if type(v) is int else to_fraction(v, f"{where}{sep}entry {i}")
                for i, v in enumerate(values))
    if length is not None and len(out) != length:
        raise ValueError(f"{_at(where)}expected length {length}, got {len(out)}")
    return out


def to_matrix(values: Any, where: str = "", shape: tuple[int, int] | None = None) -> tuple:
    """Convert a 2-D sequence to a tuple of tuples of Fractions.

    Ragged rows and wrong shapes are errors naming the row; entries name row and column.

    >>> to_matrix([[1, 0], ["1/2", "0.25"]])
    ((Fraction(1, 1), Fraction(0, 1)), (Fraction(1, 2), Fraction(1, 4)))
    >>> to_matrix([[1, 2], [3]], where="layer 1, W")
    Traceback (most recent call last):
    ...
    ValueError: layer 1, W: row 1 has 1 entries, row 0 has 2
    """
    if isinstance(values, np.ndarray) and values.ndim != 2:
        raise ValueError(f"{_at(where)}expected a matrix, got an array of shape {values.shape}")
    if not _is_sequence(values):
        raise ValueError(f"{_at(where)}expected a matrix (a list of rows), got {type(values).__name__}")
    sep = ", " if where else ""
    rows = []
    for i, row in enumerate(values):
        if not _is_sequence(row):
            raise ValueError(f"{_at(where)}row {i} is not a sequence (got {type(row).__name__})")
        rows.append(tuple(to_fraction(v, f"{where}{sep}row {i}, column {j}") for j, v in enumerate(row)))
        if len(rows[-1]) != len(rows[0]):
            raise ValueError(f"{_at(where)}row {i} has {len(rows[-1])} entries, row 0 has {len(rows[0])}")
    out = tuple(rows)
    if shape is not None:
        got = (len(out), len(out[0]) if out else 0)
        if got != tuple(shape):
            raise ValueError(f"{_at(where)}expected shape {tuple(shape)}, got {got}")
    return out


def fraction_str(q: Fraction) -> str:
    """The canonical string of a rational: '3', '-1/2'. Parsed back exactly by :func:`to_fraction`.

    >>> fraction_str(Fraction(-1, 2)), fraction_str(Fraction(4))
    ('-1/2', '4')
    """
    num, den = _digits(q.numerator), _digits(q.denominator)
    return num if q.denominator == 1 else f"{num}/{den}"


def fraction_brief(q: Fraction, limit: int = 40) -> str:
    """:func:`fraction_str` when at most ``limit`` characters, else an approximation (for messages only).

    >>> fraction_brief(Fraction(-1, 2)), fraction_brief(Fraction(10**400, 3))
    ('-1/2', 'a rational of about 10^399')
    >>> fraction_brief(Fraction(4193935458149898218380133179, 847124233482543139177888633))
    'a rational of about 4.95079'
    """
    if max(abs(q.numerator).bit_length(), q.denominator.bit_length()) < 4 * limit:
        text = fraction_str(q)
        if len(text) <= limit:
            return text
    digits = round((abs(q.numerator).bit_length() - q.denominator.bit_length()) * 0.30103)
    if abs(digits) < 300:  # within float range: a few significant digits read better (display only)
        return f"a rational of about {float(q):.6g}"
    return f"{'-' if q < 0 else ''}a rational of about 10^{digits}"


def _digits(k: int) -> str:
    # str(int) refuses more than 4300 digits; flint has no such limit and is fast.
    return str(k) if k.bit_length() < 13000 else str(flint.fmpz(k))


def as_fmpq_mat(m: Iterable[Iterable[Fraction]], nrows: int, ncols: int) -> flint.fmpq_mat:
    """Internal: a tuple-of-tuples of Fractions as a flint fmpq_mat."""
    return flint.fmpq_mat(nrows, ncols, [flint.fmpq(x.numerator, x.denominator) for row in m for x in row])


def _coprime_maker() -> Any:
    """The fastest way this Python has to make a Fraction from a numerator and a positive denominator that are
    already coprime: no second gcd, no type checks.

    3.12+ has ``Fraction._from_coprime_ints``.  Earlier versions get the same two slot assignments by hand, used
    only after a self-test shows they make Fractions equal (value, hash, arithmetic) to normalised ones; else the
    plain constructor.
    """
    made = getattr(Fraction, "_from_coprime_ints", None)
    if made is not None:
        return made
    new = object.__new__

    def by_hand(n: int, d: int) -> Fraction:
        f = new(Fraction)
        f._numerator, f._denominator = n, d
        return f

    try:
        for n, d in ((-6, 35), (0, 1), (7, 1), (2**100 + 1, 3**70)):
            f, g = by_hand(n, d), Fraction(n, d)
            if not (f == g and hash(f) == hash(g) and (f.numerator, f.denominator) == (n, d) and f + 1 == g + 1
                    and type(f) is Fraction):
                return Fraction
    except (AttributeError, TypeError):
        return Fraction
    return by_hand


# Internal: coprime_fraction(n, d) is Fraction(n, d) for ints already in lowest terms with d > 0.  Not checked:
# the callers' numbers come from flint's canonical rationals or were divided by their gcd.
coprime_fraction = _coprime_maker()


def reduced_fraction(n: int, d: int) -> Fraction:
    """Internal: n / d for Python ints, d > 0, in lowest terms: one gcd, as Fraction(n, d) does, without its checks.

    >>> reduced_fraction(-6, 4), reduced_fraction(0, 7)
    (Fraction(-3, 2), Fraction(0, 1))
    """
    g = math.gcd(n, d)
    return coprime_fraction(n // g, d // g)


def fmpq_to_fraction(x: flint.fmpq) -> Fraction:
    """Internal: one flint rational as a Fraction (flint keeps fmpq in lowest terms, denominator > 0: no gcd again).

    >>> fmpq_to_fraction(flint.fmpq(-6, 4)), fmpq_to_fraction(flint.fmpq(0, -5))
    (Fraction(-3, 2), Fraction(0, 1))
    """
    return coprime_fraction(int(x.p), int(x.q))


def fmpq_mat_to_tuple(m: flint.fmpq_mat) -> tuple:
    """Internal: a flint fmpq_mat as a tuple of tuples of Fractions."""
    return tuple(tuple(fmpq_to_fraction(m[i, j]) for j in range(m.ncols())) for i in range(m.nrows()))
