"""A Griffe extension for the API reference: exactrelu's docstrings are plain text with doctests and a few
reST roles; this turns each run of doctest lines (with its expected output) into a fenced ``pycon`` block
and ``:func:`~a.b.c``` / ````code```` into Markdown code, so that the pages read as the docstrings do."""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":[a-z]+:`(~?)([^`]+)`")  # :func:`~a.b.c` shows c, :func:`a.b.c` shows a.b.c
_DOUBLE = re.compile(r"``([^`]+)``")


def markdown(text: str) -> str:
    """The docstring as Markdown (doctest runs fenced, reST literals and roles as code)."""
    out, in_code = [], False
    for line in text.splitlines():
        stripped = line.strip()
        starts = stripped.startswith(">>>")
        if starts and not in_code:
            out.append("```pycon")
            in_code = True
        elif in_code and not stripped:
            out.append("```")
            in_code = False
        if in_code:
            out.append(line)
        else:
            line = _ROLE.sub(lambda m: "`" + (m.group(2).rsplit(".", 1)[-1] if m.group(1) else m.group(2)) + "`", line)
            out.append(_no_refs(_DOUBLE.sub(r"`\1`", line)))
    if in_code:
        out.append("```")
    return "\n".join(out)


def _no_refs(line: str) -> str:
    """Outside code spans, escape ``][`` (``W[i][j]`` is an index, not a Markdown reference link)."""
    parts = line.split("`")
    return "`".join(p.replace("][", "]\\[") if i % 2 == 0 else p for i, p in enumerate(parts))


class DoctestMarkdown(griffe.Extension):
    """Rewrite every docstring with :func:`markdown` once the object tree is loaded."""

    def on_object(self, *, obj, **kwargs) -> None:  # noqa: ANN001 - Griffe's hook signature
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
