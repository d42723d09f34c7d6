"""Text the store cannot keep, refused at the boundary the same way on every database.

PostgreSQL's text and JSONB cannot hold NUL (U+0000): a NUL anywhere in a request (path, query, JSON body,
pipeline package) is a 400 naming where it is, never a database error; SQLite and MariaDB refuse it too, so
what one backend accepts every backend accepts. Paths (ids) and names are one line of printable text: no
control character at all (U+0000-U+001F, U+007F). Descriptions and specs may hold newlines and tabs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sluice.server._errors import error_body, invalid_argument

__all__ = ["TextCheck", "check_name_text", "describe_character", "nul_path"]

_CONTROL = re.compile("[\x00-\x1f\x7f]")
# A JSON string holds a NUL as the escape \u0000; an even number of backslashes before it escapes them instead.
_ESCAPED_NUL = re.compile(rb"(\\+)u0000")


def describe_character(character: str) -> str:
    """``NUL, U+0000`` / ``U+0009``: how errors name a control character."""
    code = f"U+{ord(character):04X}"
    return f"NUL, {code}" if character == "\0" else code


def check_name_text(value: str | None, field: str = "") -> str | None:
    """``value`` unless it holds a control character (ValueError naming ``field`` and the character)."""
    found = _CONTROL.search(value) if value else None
    if found is not None:
        subject = f"{field} contains" if field else "contains"
        raise ValueError(
            f"{subject} a control character ({describe_character(found.group())}) at position "
            f"{found.start()}; names are one line of printable text"
        )
    return value


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON document (keys included) with where it is (``a.b[2]``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield where, key
            yield from _walk(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def nul_path(document: Any, root: str = "") -> str | None:
    """Where the first NUL character of a JSON document is (a dotted path), or None."""
    for where, text in _walk(document, root):
        if "\0" in text:
            return where or "the document"
    return None


def _has_escaped_nul(body: bytes) -> bool:
    return any(len(match.group(1)) % 2 == 1 for match in _ESCAPED_NUL.finditer(body))


class TextCheck:
    """ASGI middleware: 400 for a control character in the path, a NUL in the query or in a JSON body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._path_or_query_problem(scope)
        if problem is not None:
            await _refuse(send, problem)
            return
        headers = dict(scope.get("headers") or [])
        if scope["method"] in ("POST", "PUT", "PATCH") and b"json" in headers.get(b"content-type", b""):
            body = await _read_body(receive)
            problem = _json_problem(body)
            if problem is not None:
                await _refuse(send, problem)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    @staticmethod
    def _path_or_query_problem(scope: Scope) -> str | None:
        path = scope.get("path", "")
        found = _CONTROL.search(path)
        if found is not None:
            return f"the request path contains a control character ({describe_character(found.group())})"
        query = scope.get("query_string", b"").decode("latin-1")
        if "%00" in query or "\0" in query:
            for name, value in parse_qsl(query, keep_blank_values=True):
                if "\0" in name or "\0" in value:
                    return (
                        f"query parameter {name.replace(chr(0), '')!r} contains a NUL character (U+0000), "
                        "which no database here can store"
                    )
        return None


def _json_problem(body: bytes) -> str | None:
    if not _has_escaped_nul(body):
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None  # not JSON after all: the endpoint says so
    where = nul_path(document)
    if where is None:
        return None
    return f"{where} contains a NUL character (U+0000), which no database here can store"


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away; the endpoint finds out on its next receive
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read, then defers to the client's (for a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, message: str) -> None:
    error = invalid_argument(message)
    body = json.dumps(error_body(error.code, error.message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
