"""The user's own API tokens, saved by ``sluice login`` in a 0600 file under the user's config folder
(``$XDG_CONFIG_HOME/sluice/credentials.json``, default ``~/.config/sluice``), one per service address.
Standard library only."""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["credentials_path", "load_login", "save_login", "token_for"]

TOKEN_VARIABLE = "SLUICE_TOKEN"


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "sluice" / "credentials.json"


def _read() -> dict[str, object]:
    try:
        document = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _key(host: str) -> str:
    return host.rstrip("/")


def save_login(host: str, token: str) -> Path:
    """Remember ``token`` for ``host`` and make ``host`` the default service. The file is made 0600 before
    the token is written to it."""
    document = _read()
    tokens = document.get("tokens")
    tokens = dict(tokens) if isinstance(tokens, dict) else {}
    tokens[_key(host)] = token
    document = {"default_host": _key(host), "tokens": tokens}
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(document, file, indent=2)
    return path


def load_login() -> tuple[str | None, dict[str, str]]:
    """The default host ``sluice login`` saved, and the saved tokens by host."""
    document = _read()
    tokens = document.get("tokens")
    host = document.get("default_host")
    return (
        host if isinstance(host, str) else None,
        {str(k): str(v) for k, v in tokens.items()} if isinstance(tokens, dict) else {},
    )


def token_for(host: str) -> str | None:
    """``$SLUICE_TOKEN``, else the token saved for ``host``."""
    configured = os.environ.get(TOKEN_VARIABLE)
    if configured:
        return configured
    return load_login()[1].get(_key(host))
