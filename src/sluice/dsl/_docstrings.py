"""Reads descriptions out of docstrings: the summary, and each argument's text (Google or reST style).

KFP takes a component's input and output descriptions, and a pipeline's description, from the
function's docstring; Sluice reads the same parts so that compiled pipelines carry the same text.
"""

from __future__ import annotations

import re

__all__ = ["Docstring", "parse_docstring"]

# Google-style section headers; the summary ends at the first one.
_SECTION_HEADER = re.compile(
    r"^(Args|Arguments|Parameters|Params|Returns|Return|Yields|Yield|Raises|Raise|Exceptions|Except|"
    r"Attributes|Attribute|Examples|Example|Note|Notes|Warning|Warnings|Todo|See Also|References)\s*:\s*$"
)
_ARGUMENT_SECTIONS = {"Args", "Arguments", "Parameters", "Params", "Attributes", "Attribute"}
_RETURN_SECTIONS = {"Returns", "Return"}
# "name (type): text" or "name: text"
_GOOGLE_ARGUMENT = re.compile(r"^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_REST_FIELD = re.compile(
    r"^:(param|parameter|arg|argument|key|keyword|returns?)\s*(?:[\w\[\], .]+\s+)?(\w+)?\s*:\s*(.*)$"
)


class Docstring:
    """What a docstring says: a description, and per-argument (and per-output) texts."""

    def __init__(self) -> None:
        self.description: str | None = None
        self.arguments: dict[str, str] = {}
        self.returns: dict[str, str] = {}


def _summary(lines: list[str]) -> str | None:
    text = "\n".join(lines).strip()
    if not text:
        return None
    short, _, long = text.partition("\n")
    long = long.strip()
    # The blank line between the first line and the rest is dropped, as KFP does.
    return f"{short.strip()}\n{long}" if long else short.strip()


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip())


def _google_entries(lines: list[str]) -> dict[str, str]:
    """``name: text`` entries of one section; continuation lines are indented deeper."""
    entries: dict[str, str] = {}
    body = list(lines)
    base = min((_indentation(line) for line in body if line.strip()), default=0)
    current: str | None = None
    for line in body:
        if not line.strip():
            if current is not None:
                entries[current] += "\n"
            continue
        match = _GOOGLE_ARGUMENT.match(line.strip()) if _indentation(line) == base else None
        if match:
            current = match.group(1).lstrip("*")
            entries[current] = match.group(3)
        elif current is not None:
            entries[current] += "\n" + line.strip()
    return {name: re.sub(r"\n{2,}", "\n\n", text).strip() for name, text in entries.items()}


def _parse_rest(lines: list[str], doc: Docstring) -> bool:
    """reST fields (``:param x: text``); returns whether there were any."""
    found = False
    current: tuple[dict[str, str], str] | None = None
    for line in lines:
        match = _REST_FIELD.match(line.strip())
        if match:
            found = True
            kind, name, text = match.groups()
            target = doc.returns if kind.startswith("return") else doc.arguments
            key = name or "Output"
            target[key] = text.strip()
            current = (target, key)
        elif current is not None and line.strip():
            target, key = current
            target[key] = f"{target[key]}\n{line.strip()}"
    return found


def parse_docstring(function: object) -> Docstring:
    """The description and argument texts of ``function``'s docstring (empty when it has none)."""
    import inspect

    text = inspect.getdoc(function)
    doc = Docstring()
    if not text:
        return doc
    lines = text.splitlines()
    if any(_REST_FIELD.match(line.strip()) for line in lines):
        first_field = next(index for index, line in enumerate(lines) if _REST_FIELD.match(line.strip()))
        doc.description = _summary(lines[:first_field])
        _parse_rest(lines[first_field:], doc)
        return doc
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in lines:
        header = _SECTION_HEADER.match(line) if _indentation(line) == 0 else None
        if header:
            sections.append((header.group(1), []))
        else:
            sections[-1][1].append(line)
    doc.description = _summary(sections[0][1])
    for name, body in sections[1:]:
        if name in _ARGUMENT_SECTIONS:
            doc.arguments.update(_google_entries(body))
        elif name in _RETURN_SECTIONS:
            doc.returns.update(_google_entries(body))
    return doc
