"""Requests from web pages: a page the user visits must not drive the server (a run executes code).

Two checks, before anything else runs:

- **Host.** Only the host names the server was started for are served: the loopback names (``127.0.0.1``,
  ``localhost``, ``[::1]``) on any port, the ``--host`` address, and each ``--allowed-host NAME[:PORT]``
  (``*``: any). A page of ``evil.example`` whose name an attacker points at 127.0.0.1 (DNS rebinding) sends
  ``Host: evil.example`` and is refused, reads included.
- **Origin.** A state-changing request (POST, PUT, PATCH, DELETE) that a browser sends from another origin is
  refused, also the "simple" ones a plain HTML form can send without a CORS preflight (a multipart upload, a
  body-less ``POST .../runs/ID:archive``). A browser names the page a request comes from in ``Origin`` (every
  current browser on every cross-origin POST), else in ``Referer``, else says ``Sec-Fetch-Site``; whichever
  comes first must be the server's own origin. Clients that are not browsers (``kfp.Client``,
  ``sluice.Client``, curl) send none of them and pass.

The server grants no CORS access, so a page elsewhere cannot read what a GET returns either.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from sluice.server._errors import ApiError, GrpcCode, error_body

__all__ = ["LOOPBACK_NAMES", "AllowedHosts", "BrowserGuard", "check_allowed_host"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD_ADDRESSES = ("", "0.0.0.0", "::", "[::]")
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _split_host(text: str) -> tuple[str, int | None] | None:
    """``(name, port)`` of a Host header or ``--allowed-host`` value (name lowercased, ``[v6]`` kept in
    brackets); None when it is not one."""
    text = text.strip().lower()
    if text.startswith("["):
        name, bracket, rest = text.partition("]")
        if not bracket:
            return None
        name += "]"
    else:
        name, colon, rest = text.rpartition(":")
        if not colon:
            name, rest = text, ""
        rest = f":{rest}" if colon else ""
    port: int | None = None
    if rest:
        if not rest.startswith(":") or not rest[1:].isdigit() or len(rest) > 6:
            return None
        port = int(rest[1:])
    name = name.rstrip(".")
    if not name or any(character in name for character in "/\\@?# \t"):
        return None
    return name, port


def check_allowed_host(value: str) -> str:
    """An ``--allowed-host`` value as written (ValueError saying what is wrong)."""
    if value.strip() == "*":
        return "*"
    if _split_host(value) is None:
        raise ValueError(f"--allowed-host {value!r}: expected a host name or address, optionally with :PORT")
    return value.strip()


@dataclass(frozen=True)
class AllowedHosts:
    """The Host header values the server answers."""

    names: frozenset[str]  # on any port
    addresses: frozenset[tuple[str, int]]  # on this port only
    anything: bool = False

    @classmethod
    def build(cls, host: str, allowed: Iterable[str] = ()) -> AllowedHosts:
        """The loopback names, the address the server listens on (``--host``) and ``allowed``."""
        names = set(LOOPBACK_NAMES)
        addresses: set[tuple[str, int]] = set()
        anything = False
        listening = host.strip()
        if ":" in listening and not listening.startswith("["):
            listening = f"[{listening}]"  # an IPv6 address
        entries = list(allowed)
        if listening.lower() not in _WILDCARD_ADDRESSES:
            entries.append(listening)
        for entry in entries:
            if entry.strip() == "*":
                anything = True
                continue
            split = _split_host(entry)
            if split is None:
                raise ValueError(f"not a host name: {entry!r}")
            name, port = split
            if port is None:
                names.add(name)
            else:
                addresses.add((name, port))
        return cls(frozenset(names), frozenset(addresses), anything)

    def allows(self, host_header: str) -> bool:
        if self.anything:
            return True
        split = _split_host(host_header)
        if split is None:
            return False
        name, port = split
        return name in self.names or (port is not None and (name, port) in self.addresses)

    def describe(self) -> str:
        shown = sorted(self.names) + sorted(f"{name}:{port}" for name, port in self.addresses)
        return "any host" if self.anything else ", ".join(shown)


def _same_origin(url: str, host_header: str) -> bool:
    """Whether ``url`` (an Origin or a Referer) is on the scheme-less origin the request was sent to."""
    try:
        parts = urlsplit(url)
        origin_port = parts.port
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return False
    requested = _split_host(host_header)
    if requested is None:
        return False
    name, port = requested
    hostname = parts.hostname.lower().rstrip(".")
    if ":" in hostname:
        hostname = f"[{hostname}]"
    default = _DEFAULT_PORTS[parts.scheme]
    # Behind a proxy that terminates TLS the Host may omit its port: the scheme's default is meant.
    return hostname == name and (origin_port or default) == (port or default)


def _origin_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:80]
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url[:80]


class BrowserGuard:
    """ASGI middleware: 403 for a Host that is not allowed, and for a cross-origin state-changing request."""

    def __init__(self, app: ASGIApp, allowed_hosts: AllowedHosts) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers") or []
        }
        host = headers.get("host", "")
        refusal = self._host_refusal(host)
        if refusal is None and scope["method"] in _STATE_CHANGING:
            refusal = self._origin_refusal(scope, headers, host)
        if refusal is not None:
            await _refuse(send, refusal)
            return
        await self.app(scope, receive, send)

    def _host_refusal(self, host: str) -> str | None:
        if self.allowed_hosts.allows(host):
            return None
        shown = repr(host[:100]) if host else "(no Host header)"
        name = (_split_host(host) or (host or "NAME", None))[0]
        return (
            f"this server does not answer for the host {shown}: it serves {self.allowed_hosts.describe()}. "
            f"If you reach it under that name, start it with --allowed-host {name} (refused so that a web page "
            "cannot reach it by pointing a name of its own at this address: DNS rebinding)"
        )

    @staticmethod
    def _origin_refusal(scope: Scope, headers: dict[str, str], host: str) -> str | None:
        origin = headers.get("origin")
        referer = headers.get("referer")
        if origin is not None:
            sender = origin
        elif referer is not None:
            sender = referer
        else:
            site = headers.get("sec-fetch-site")
            if site is None or site in ("same-origin", "none"):
                return None  # not a browser, or the user's own navigation
            return (
                f"cross-origin request refused: {scope['method']} {scope.get('path', '')} was sent by a browser "
                f"from another site (Sec-Fetch-Site: {site}); only the server's own pages and clients that are "
                "not browsers may change anything"
            )
        if _same_origin(sender, host):
            return None
        return (
            f"cross-origin request refused: {scope['method']} {scope.get('path', '')} came from a page of "
            f"{_origin_of(sender)!r}, not of this server ({host!r}); only the server's own pages and clients "
            "that are not browsers may change anything"
        )


async def _refuse(send: Send, message: str) -> None:
    error = ApiError(GrpcCode.PERMISSION_DENIED, message)
    body = json.dumps(error_body(error.code, error.message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
