"""The key that encrypts secret values at rest: ``$SLUICE_HOME/secret.key`` (or ``$SLUICE_SECRET_KEY_FILE``).

Created on first use, readable by its owner only (mode 0600, written whole before anyone can open it); a key
file that others can read is refused, since whoever reads it reads every secret. Every process that reads
the same secrets (``sluice run``, ``sluice up``, the ``sluice secrets`` commands) must use the same key file:
with a shared PostgreSQL or MariaDB, copy it along (the database alone reveals nothing).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from sluice.secrets._errors import SecretsError

__all__ = ["KEY_FILE_VARIABLE", "key_path", "load_key"]

KEY_FILE_VARIABLE = "SLUICE_SECRET_KEY_FILE"
_KEY_FILE_NAME = "secret.key"


def key_path(home: Path) -> Path:
    """Where the key is: ``$SLUICE_SECRET_KEY_FILE`` if set, else ``<home>/secret.key``."""
    configured = os.environ.get(KEY_FILE_VARIABLE)
    return Path(configured).expanduser().absolute() if configured else home / _KEY_FILE_NAME


def load_key(path: Path, *, create: bool) -> bytes | None:
    """The key in ``path``; with ``create``, a new one is made when there is none (else None is returned)."""
    if not path.exists():
        if not create:
            return None
        _create_key(path)
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretsError(
            f"the secret key file {str(path)!r} can be read by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"make it private with: chmod 600 {path}"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise SecretsError(f"the secret key file {str(path)!r} belongs to another user (uid {info.st_uid})")
    key = path.read_bytes().strip()
    if len(key) != 44:  # a Fernet key: 32 bytes, url-safe base64
        raise SecretsError(f"the secret key file {str(path)!r} does not hold a Sluice secret key")
    return key


def _create_key(path: Path) -> None:
    from cryptography.fernet import Fernet

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # never replace a key another process made meanwhile
            os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
