"""Page tokens: where the next page starts, signed by the server, so the only tokens it accepts are those it
handed out.

A token is ``<payload>.<signature>``, both base64url: the payload is a JSON object (today ``{"offset": n}``;
the sort key of the last row, for keyset pages, fits as well: ``sign``/``open``), the signature an HMAC-SHA256 of it with a key kept in
``$SLUICE_HOME/secrets/page-token.key`` (made on first start, readable by its owner only), so tokens stay
valid across restarts of a server on the same home. Anything else, a forged offset of 2^63 included, is a
400 before it reaches SQL.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sluice.server._errors import ApiError, invalid_argument

__all__ = ["MAX_OFFSET", "PageTokens"]

# Far beyond any list the store holds, far below what SQL integers overflow at.
MAX_OFFSET = 2**40
_KEY_BYTES = 32
_SIGNATURE_BYTES = 16


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(data) != text:
        # Unused low bits or stray characters: one token has exactly one spelling.
        raise ValueError("not canonical base64")
    return data


class PageTokens:
    """Issues and checks the ``next_page_token`` of every list."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a page token key needs at least 16 bytes")
        self._key = key

    @classmethod
    def for_home(cls, home: Path) -> PageTokens:
        """The home's key, made (owner-only) on first use."""
        folder = home / "secrets"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / "page-token.key"
        with contextlib.suppress(FileNotFoundError):
            key = path.read_bytes()
            if len(key) >= _KEY_BYTES:
                return cls(key)
        # Written whole under another name, then linked in: two servers starting at once agree on one key.
        candidate = folder / f".page-token.key.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as key_file:
                key_file.write(secrets.token_bytes(_KEY_BYTES))
            try:
                os.link(candidate, path)
            except FileExistsError:
                if len(path.read_bytes()) < _KEY_BYTES:
                    os.replace(candidate, path)  # a key cut short (a full disk): replaced
        finally:
            candidate.unlink(missing_ok=True)
        return cls(path.read_bytes())

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def sign(self, position: Mapping[str, Any]) -> str:
        """A token carrying ``position`` (any JSON object: an offset, or the sort key of the last row)."""
        payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def open(self, token: str) -> dict[str, Any]:
        """The position a token this server signed carries; 400 for any other token."""
        encoded_payload, dot, encoded_signature = token.partition(".")
        try:
            if not dot:
                raise ValueError("no signature")
            payload = _b64decode(encoded_payload)
            if not hmac.compare_digest(_b64decode(encoded_signature), self._sign(payload)):
                raise ValueError("not our signature")
            position = json.loads(payload)
        except (ValueError, binascii.Error):
            raise _refused(token) from None
        if not isinstance(position, dict):
            raise _refused(token)
        return position

    def issue(self, offset: int) -> str:
        """The token for the page starting at ``offset``."""
        return self.sign({"offset": offset})

    def offset(self, token: str) -> int:
        """Where the page of ``token`` starts; 400 unless this server issued an offset token."""
        offset = self.open(token).get("offset")
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
            raise _refused(token)
        return offset


def _refused(token: str) -> ApiError:
    return invalid_argument(
        f"page_token {token[:80]!r} is not a token this server handed out (ask for the first page again)"
    )
