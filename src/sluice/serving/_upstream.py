"""The router's side of one replica: an HTTP/1.1 client over pooled keep-alive connections on loopback.

A general client (httpx) costs several hundred microseconds a request; the router's whole budget is one
millisecond, and it only ever talks to KServe's uvicorn on 127.0.0.1. So this client does exactly that:
write the request, read the status line and headers, read a ``Content-Length`` or chunked body, and put the
connection back. A connection the replica closed while idle is noticed before reuse, or, failing that, by
the request getting no answer at all, which :class:`UpstreamError` reports as ``retryable``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

__all__ = ["Upstream", "UpstreamError", "UpstreamResponse"]

_MAX_IDLE = 64
_MAX_HEADER_BYTES = 64 * 1024


class UpstreamError(Exception):
    """The replica gave no (complete) answer. ``retryable``: nothing came back, so sending the request to
    another replica cannot duplicate an answer the client saw."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


@dataclass(eq=False)
class Upstream:
    """One replica's address, its idle connections, and how many requests it is answering right now.

    Used only from the server's event loop, except ``retire`` (any thread) and ``in_flight`` (read by the
    supervisor to know when a retired replica has drained).
    """

    port: int
    host: str = "127.0.0.1"
    in_flight: int = 0
    broken: bool = False  # a request failed to reach it; skipped until the supervisor checks it
    retired: bool = False
    _idle: list[_Connection] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None

    def retire(self) -> None:
        """No new requests; idle connections are closed (from the loop that owns them)."""
        self.retired = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._close_idle)

    def _close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    async def _connect(self) -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as error:
            raise UpstreamError(
                f"cannot connect to 127.0.0.1:{self.port}: {error}", retryable=True
            ) from error
        return _Connection(reader, writer)

    async def request(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes, timeout: float
    ) -> UpstreamResponse:
        """Send one request; ``headers`` must not carry Host, Content-Length or hop-by-hop fields."""
        self._loop = asyncio.get_running_loop()
        head = [
            method,
            b" ",
            target,
            b" HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ",
            str(len(body)).encode(),
        ]
        for name, value in headers:
            head += [b"\r\n", name, b": ", value]
        head.append(b"\r\n\r\n")
        payload = b"".join(head) + body
        while self._idle:
            connection = self._idle.pop()
            if not connection.usable():
                connection.close()
                continue
            try:
                return await self._exchange(connection, payload, timeout)
            except UpstreamError as error:
                if not error.retryable:
                    raise
                # The replica closed this idle connection as we reused it: a fresh one answers.
        return await self._exchange(await self._connect(), payload, timeout)

    async def _exchange(self, connection: _Connection, payload: bytes, timeout: float) -> UpstreamResponse:
        answered = False
        try:
            connection.writer.write(payload)
            async with asyncio.timeout(timeout):
                head = await connection.reader.readuntil(b"\r\n\r\n")
                answered = True
                status, headers, length, chunked, keep_alive = _parse_head(head)
                if chunked:
                    body = await _read_chunked(connection.reader)
                elif length is not None:
                    body = await connection.reader.readexactly(length)
                else:
                    body = await connection.reader.read()
                    keep_alive = False
        except TimeoutError:
            connection.close()
            raise UpstreamError(f"the replica did not answer within {timeout:g}s", retryable=False) from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            connection.close()
            what = "broke off its answer" if answered else "closed the connection without answering"
            raise UpstreamError(f"the replica {what}: {error!r}", retryable=not answered) from error
        if keep_alive and not self.retired and len(self._idle) < _MAX_IDLE:
            self._idle.append(connection)
        else:
            connection.close()
        return UpstreamResponse(status, headers, body)


def _parse_head(head: bytes) -> tuple[int, list[tuple[bytes, bytes]], int | None, bool, bool]:
    if len(head) > _MAX_HEADER_BYTES:
        raise ValueError("response headers too large")
    lines = head[:-4].split(b"\r\n")
    status_line = lines[0].split(b" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
    status = int(status_line[1])
    keep_alive = status_line[0] == b"HTTP/1.1"
    headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep_alive = b"close" not in value.lower()
        headers.append((name, value))
    if status in (204, 304) or 100 <= status < 200:
        length = 0
    return status, headers, length, chunked, keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            # Trailers, if any, end with an empty line.
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
