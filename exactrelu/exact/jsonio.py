"""The one JSON reader and the one atomic JSON writer of exactrelu's file formats.

Every exactrelu format (networks, families, certificates, test vectors) is read
by :func:`read_json` and written by :func:`write_json`, so that all of them
share the same guarantees:

* numbers stay exact: a decimal literal such as ``0.1`` or ``1e-3`` is kept as
  its text (a :class:`JSONDecimal`, a ``str``) for :func:`exactrelu.exact.numbers.to_fraction`
  to convert exactly (``0.1`` is 1/10, huge exponents are refused), and an
  integer longer than 4000 digits stays text too (``int()`` refuses it);
  nothing is ever converted through a float or expanded unboundedly;
* a duplicate key in an object is an error, not a silently lost value;
* unreadable sources name the file and why (missing, a directory, not UTF-8);
  malformed JSON names the line and column;
* files are written to a temporary file in the same directory, then renamed
  over the target: never half-written, with the usual permissions.

>>> data = read_json('{"W": [[0.1, 2]], "tol": 1e-3}')
>>> data["W"], data["tol"]
([['0.1', 2]], '1e-3')
>>> read_json('{"a": 1, "a": 2}', what="family")
Traceback (most recent call last):
...
ValueError: family JSON: duplicate key 'a'
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

__all__ = ["JSONDecimal", "read_json", "write_json", "no_unknown_keys", "decimals_to_float", "envelope", "read_envelope"]

_MAX_INT_DIGITS = 4000  # int() refuses more than 4300 digits; longer ones stay text


class JSONDecimal(str):
    """The text of a JSON decimal literal (``0.1``, ``1e-3``): a ``str``, marked as having been a number."""

    __slots__ = ()


class _DuplicateKey(ValueError):
    pass


def read_json(source: Any, what: str = "network") -> Any:
    """Parse JSON from a path, a JSON string (or bytes) or an already parsed dict, keeping numbers exact.

    ``what`` names the kind of file in error messages ("network", "family",
    "certificate", "test vectors").  A string that starts with ``{`` or ``[``
    (after blanks) is JSON text; any other string is a path.

    >>> read_json({"format": "x"})
    {'format': 'x'}
    >>> read_json("[1, 2.50, 1e999999999]")
    [1, '2.50', '1e999999999']
    >>> read_json('{"a": [1,}', what="certificate")
    Traceback (most recent call last):
    ...
    ValueError: certificate JSON: malformed JSON at line 1, column 10: Expecting value
    """
    if isinstance(source, dict):
        return source
    label = f"{what} JSON"
    if isinstance(source, os.PathLike) or (isinstance(source, str) and not source.lstrip().startswith(("{", "["))):
        text, label = _read_file(source, what), os.fspath(source)
    elif isinstance(source, (str, bytes, bytearray)):
        text = source
    else:
        raise ValueError(f"{what}: expected a path, a JSON string or a dict, got {type(source).__name__}")
    try:
        # Decimal literals and very long integers stay text, for the exact
        # converter to parse (and to name their place); NaN and Infinity
        # parse to floats that the converter refuses with their place.
        return json.loads(text, parse_float=JSONDecimal, parse_int=_json_int, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{label}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError:  # bytes that are not UTF-8 (or UTF-16/32)
        raise ValueError(f"{label}: not a UTF-8 text") from None
    except RecursionError:
        raise ValueError(f"{label}: malformed JSON: nested too deeply") from None
    except _DuplicateKey as exc:
        raise ValueError(f"{label}: {exc}") from None


def _read_file(source: Any, what: str) -> str:
    name = os.fspath(source)
    if not name:
        raise ValueError(f"cannot read {what} file '': the file name is empty")
    path = Path(name)
    if path.is_dir():
        raise ValueError(f"cannot read {what} file {name!r}: it is a directory")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {what} file {name!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"cannot read {what} file {name!r}: not a UTF-8 text file") from None


def _json_int(text: str) -> Any:
    return int(text) if len(text) <= _MAX_INT_DIGITS else text


def _no_duplicates(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"duplicate key {key!r}")
        out[key] = value
    return out


def no_unknown_keys(obj: dict, allowed: set, where: str) -> None:
    """Refuse a key outside ``allowed``: most likely a typo ("ouput") that would silently drop data.

    >>> no_unknown_keys({"W": 1, "ouput": 2}, {"W", "output"}, "family JSON")
    Traceback (most recent call last):
    ...
    ValueError: family JSON: unknown key 'ouput' (expected W, output)
    """
    extra = sorted(str(k) for k in obj if k not in allowed)
    if extra:
        shown = extra[0] if len(extra[0]) <= 60 else extra[0][:57] + "..."
        raise ValueError(f"{where}: unknown key {shown!r} (expected {', '.join(sorted(allowed))})")


def envelope(fmt: str, version: int, **fields: Any) -> dict:
    """The dict of a file format: ``format`` and ``version`` first, then the fields (every ``to_json`` builds one).

    >>> envelope("exactrelu.example", 1, x=["1/3"])
    {'format': 'exactrelu.example', 'version': 1, 'x': ['1/3']}
    """
    return {"format": fmt, "version": version, **fields}


def read_envelope(source: Any, what: str, fmt: str, version: int, keys: set, required: tuple = ()) -> dict:
    """Read a file format's dict (path, JSON text or dict) and check its envelope; every ``from_json`` starts here.

    The top level must be an object whose ``format`` is ``fmt`` and whose
    ``version`` is the integer ``version`` (not ``true``, not ``1.0``); keys
    outside ``keys`` (plus format and version) are refused, since a typo
    would silently drop data, and ``required`` keys must be present.

    >>> read_envelope('{"format": "exactrelu.example", "version": true}', "example", "exactrelu.example", 1, set())
    Traceback (most recent call last):
    ...
    ValueError: example JSON: unsupported 'version' True (expected 1)
    >>> read_envelope({"format": "exactrelu.example", "version": 1}, "example", "exactrelu.example", 1, {"x"}, ("x",))
    Traceback (most recent call last):
    ...
    ValueError: example JSON: missing key 'x'
    """
    data = read_json(source, what)
    label = f"{what} JSON"
    if not isinstance(data, dict):
        raise ValueError(f"{label}: the top level must be an object")
    if data.get("format") != fmt:
        raise ValueError(f"{label}: key 'format' must be {fmt!r}, got {short_repr(data.get('format'))}")
    got = data.get("version")
    if type(got) is not int or got != version:  # not True, not 1.0
        raise ValueError(f"{label}: unsupported 'version' {short_repr(got)} (expected {version})")
    no_unknown_keys(data, set(keys) | {"format", "version"}, label)
    for key in required:
        if key not in data:
            raise ValueError(f"{label}: missing key {key!r}")
    return data


def short_repr(value: Any) -> str:
    """A short repr for messages: a hostile file may hold a huge string or number.

    >>> short_repr("x" * 100), short_repr(10**1000)
    ("'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...", 'a huge integer')
    """
    text = repr(value) if not isinstance(value, int) or abs(value).bit_length() < 200 else "a huge integer"
    return text if len(text) <= 60 else text[:57] + "..."


def decimals_to_float(obj: Any) -> Any:
    """``obj`` with every :class:`JSONDecimal` turned back into a float (for fields that ARE floats, such as evidence).

    >>> decimals_to_float(read_json('{"difference": 0.663, "x": [1, 2.5]}'))
    {'difference': 0.663, 'x': [1, 2.5]}
    """
    if isinstance(obj, JSONDecimal):
        return float(obj)
    if isinstance(obj, list):
        return [decimals_to_float(v) for v in obj]
    if isinstance(obj, dict):
        return {k: decimals_to_float(v) for k, v in obj.items()}
    return obj


def write_json(data: Any, path: str | os.PathLike) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically (a temp file beside it, then a rename).

    A failure (unserialisable data, a full disk, an interrupt) leaves any
    existing file untouched and no temporary file behind.  A new file gets
    the usual permissions (0666 minus the umask); a replaced one keeps its own.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "f.json")
    >>> write_json({"b": ["1/3"]}, p); read_json(p, what="family")
    {'b': ['1/3']}
    """
    text = json.dumps(data, indent=1, allow_nan=False).encode()  # before touching the disk
    atomic_write(path, lambda f: f.write(text))


def atomic_write(path: str | os.PathLike, write: Callable[[Any], Any], verb: str = "write") -> None:
    """Write through ``write(binary file)`` to a temp file beside ``path``, then rename it over ``path``.

    Nothing is half-written: on any failure the temp file is removed and an
    existing file at ``path`` is left as it was.  ``verb`` words the errors
    ("cannot write ...", "cannot save ...").
    """
    target = Path(os.fspath(path))
    if target.is_dir():
        raise ValueError(f"cannot {verb} {str(target)!r}: it is a directory")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ValueError(f"cannot {verb} {str(target)!r}: directory {str(directory)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(target))  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _file_mode(path: Path) -> int:
    """The existing file's permissions, or 0666 minus the umask for a new file."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
