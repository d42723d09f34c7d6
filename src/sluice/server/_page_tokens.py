"""Page tokens: where the next page starts, signed by the server, so the only tokens it accepts are those it
handed out.

A token is ``<payload>.<signature>``, both base64url: the payload is JSON (today ``{"offset": n}``; a
position after a sort key fits as well), the signature an HMAC-SHA256 of it with a key kept in
``$SLUICE_HOME/secrets/page-token.key`` (made on first start, readable by its owner only), so tokens stay
valid across restarts of a server on the same home. Anything else, a forged offset of 2^63 included, is a
400 before it reaches SQL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from sluice.server._errors import invalid_argument

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
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
            if len(key) >= _KEY_BYTES:
                return cls(key)
            # A torn write (the disk filled up): start over with a new key.
            path.unlink(missing_ok=True)
            return cls.for_home(home)
        key = secrets.token_bytes(_KEY_BYTES)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(key)
        return cls(key)

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def issue(self, offset: int) -> str:
        """The token for the page starting at ``offset``."""
        payload = json.dumps({"offset": offset}, separators=(",", ":")).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def offset(self, token: str) -> int:
        """Where the page of ``token`` starts; 400 unless this server issued the token."""
        refused = invalid_argument(
            f"page_token {token[:80]!r} is not a token this server handed out (ask for the first page again)"
        )
        encoded_payload, dot, encoded_signature = token.partition(".")
        if not dot:
            raise refused
        try:
            payload = _b64decode(encoded_payload)
            signature = _b64decode(encoded_signature)
        except (ValueError, binascii.Error):
            raise refused from None
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise refused
        try:
            position: Any = json.loads(payload)
        except ValueError:
            raise refused from None
        offset = position.get("offset") if isinstance(position, dict) else None
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
            raise refused
        return offset
