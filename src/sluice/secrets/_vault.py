"""Secrets and config maps in the store, by namespace and name, as Kubernetes keeps them.

A secret's keys and values are one Fernet token (AES-128-CBC with an HMAC-SHA256, from ``cryptography``)
in ``secrets.data``, made with the home's key (``_key.py``): a database dump shows names only. Values are
bytes (``--from-file`` may hold anything); a task's environment takes them as UTF-8 text. Config maps are
plain ``{key: text}``. Names follow Kubernetes: a DNS subdomain for objects and namespaces, keys of
letters, digits, ``-``, ``_`` and ``.``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from sluice.secrets._errors import SecretsError, SecretsNotFoundError
from sluice.secrets._key import key_path, load_key
from sluice.store import Store, utcnow
from sluice.store.models import ConfigMap, Secret

__all__ = ["DEFAULT_NAMESPACE", "NamedValues", "SecretStore", "check_key", "check_name"]

DEFAULT_NAMESPACE = "default"

_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_MAX_NAME = 253
_MAX_VALUE_BYTES = 1024 * 1024  # Kubernetes' limit for a whole secret or config map


def check_name(name: str, what: str) -> str:
    """``name`` if it is a valid object name (a DNS subdomain, as in Kubernetes), else SecretsError."""
    if not isinstance(name, str) or len(name) > _MAX_NAME or not _NAME.fullmatch(name):
        raise SecretsError(
            f"{what} name {name!r} is not valid: use lower-case letters, digits, '-' and '.', starting and "
            f"ending with a letter or digit, at most {_MAX_NAME} characters"
        )
    return name


def check_key(key: str, owner: str) -> str:
    """``key`` if it is a valid data key, else SecretsError naming ``owner``."""
    if not isinstance(key, str) or len(key) > _MAX_NAME or not _KEY.fullmatch(key) or key in (".", ".."):
        raise SecretsError(f"{owner}: key {key!r} is not valid: use letters, digits, '-', '_' and '.'")
    return key


@dataclass(frozen=True)
class NamedValues:
    """A secret or config map as listed: never a secret's values (``sizes`` gives their lengths)."""

    namespace: str
    name: str
    keys: list[str]
    sizes: dict[str, int]
    created_at: datetime
    updated_at: datetime
    values: dict[str, str] | None = None  # config maps only


class SecretStore:
    """Secrets and config maps kept in ``store``, secret values encrypted with the key of ``home``."""

    def __init__(self, store: Store, home: Path) -> None:
        self.store = store
        self.key_file = key_path(home)
        self._fernet: Any = None

    # ------------------------------------------------------------ encryption

    def _cipher(self, *, create: bool) -> Any:
        if self._fernet is None:
            key = load_key(self.key_file, create=create)
            if key is None:
                return None
            from cryptography.fernet import Fernet

            self._fernet = Fernet(key)
        return self._fernet

    def _encrypt(self, data: Mapping[str, bytes]) -> str:
        document = {key: base64.b64encode(value).decode("ascii") for key, value in data.items()}
        token: bytes = self._cipher(create=True).encrypt(json.dumps(document, sort_keys=True).encode())
        return token.decode("ascii")

    def _decrypt(self, row: Secret) -> dict[str, bytes]:
        from cryptography.fernet import InvalidToken

        cipher = self._cipher(create=False)
        if cipher is None:
            raise SecretsError(
                f"secret {row.name!r} (namespace {row.namespace!r}) cannot be read: there is no key file at "
                f"{str(self.key_file)!r} (it was made with another one; set SLUICE_SECRET_KEY_FILE or SLUICE_HOME)"
            )
        try:
            document = json.loads(cipher.decrypt(row.data.encode("ascii")))
        except (InvalidToken, ValueError):
            raise SecretsError(
                f"secret {row.name!r} (namespace {row.namespace!r}) cannot be decrypted with the key in "
                f"{str(self.key_file)!r}: it was made with another key file"
            ) from None
        return {key: base64.b64decode(value) for key, value in document.items()}

    # ------------------------------------------------------------ secrets

    def create_secret(
        self,
        name: str,
        data: Mapping[str, bytes],
        *,
        namespace: str = DEFAULT_NAMESPACE,
        replace: bool = False,
    ) -> None:
        """Store a secret; SecretsError if it exists (unless ``replace``) or a name or key is invalid."""
        _check_object(namespace, name, "secret")
        owner = f"secret {name!r}"
        for key, value in data.items():
            check_key(key, owner)
            if not isinstance(value, bytes):
                raise SecretsError(f"{owner}: the value of key {key!r} must be bytes")
        _check_size(owner, sum(len(value) for value in data.values()))
        token = self._encrypt(data)
        self._put(Secret, namespace, name, token, replace=replace, what="secret")

    def list_secrets(self, namespace: str = DEFAULT_NAMESPACE) -> list[NamedValues]:
        with self.store.read_session() as session:
            rows = session.scalars(
                select(Secret).where(Secret.namespace == namespace).order_by(Secret.name)
            ).all()
        return [self._secret_info(row) for row in rows]

    def get_secret(self, name: str, namespace: str = DEFAULT_NAMESPACE) -> NamedValues:
        """The secret's keys and value sizes (not its values); SecretsNotFoundError if there is none."""
        row = self._row(Secret, namespace, name)
        if row is None:
            raise SecretsNotFoundError(f"secret {name!r} does not exist in namespace {namespace!r}")
        return self._secret_info(row)

    def read_secret(self, name: str, namespace: str = DEFAULT_NAMESPACE) -> dict[str, bytes] | None:
        """The secret's values, for a task about to start; None if there is no such secret."""
        row = self._row(Secret, namespace, name)
        return None if row is None else self._decrypt(row)

    def delete_secret(self, name: str, namespace: str = DEFAULT_NAMESPACE) -> None:
        self._delete(Secret, namespace, name, "secret")

    def _secret_info(self, row: Secret) -> NamedValues:
        data = self._decrypt(row)
        return NamedValues(
            row.namespace,
            row.name,
            sorted(data),
            {key: len(value) for key, value in sorted(data.items())},
            row.created_at,
            row.updated_at,
        )

    # ------------------------------------------------------------ config maps

    def create_config_map(
        self,
        name: str,
        data: Mapping[str, str],
        *,
        namespace: str = DEFAULT_NAMESPACE,
        replace: bool = False,
    ) -> None:
        """Store a config map; SecretsError if it exists (unless ``replace``) or a name or key is invalid."""
        _check_object(namespace, name, "config map")
        owner = f"config map {name!r}"
        for key, value in data.items():
            check_key(key, owner)
            if not isinstance(value, str):
                raise SecretsError(f"{owner}: the value of key {key!r} must be text")
        _check_size(owner, sum(len(value.encode()) for value in data.values()))
        self._put(ConfigMap, namespace, name, dict(data), replace=replace, what="config map")

    def list_config_maps(self, namespace: str = DEFAULT_NAMESPACE) -> list[NamedValues]:
        with self.store.read_session() as session:
            rows = session.scalars(
                select(ConfigMap).where(ConfigMap.namespace == namespace).order_by(ConfigMap.name)
            ).all()
        return [_config_map_info(row) for row in rows]

    def get_config_map(self, name: str, namespace: str = DEFAULT_NAMESPACE) -> NamedValues:
        row = self._row(ConfigMap, namespace, name)
        if row is None:
            raise SecretsNotFoundError(f"config map {name!r} does not exist in namespace {namespace!r}")
        return _config_map_info(row)

    def read_config_map(self, name: str, namespace: str = DEFAULT_NAMESPACE) -> dict[str, str] | None:
        row = self._row(ConfigMap, namespace, name)
        return None if row is None else dict(row.data)

    def delete_config_map(self, name: str, namespace: str = DEFAULT_NAMESPACE) -> None:
        self._delete(ConfigMap, namespace, name, "config map")

    # ------------------------------------------------------------ rows

    def _row(self, model: type[Secret] | type[ConfigMap], namespace: str, name: str) -> Any:
        with self.store.read_session() as session:
            return session.scalar(select(model).where(model.namespace == namespace, model.name == name))

    def _put(
        self,
        model: type[Secret] | type[ConfigMap],
        namespace: str,
        name: str,
        data: Any,
        *,
        replace: bool,
        what: str,
    ) -> None:
        with self.store.session() as session:
            row: Any = session.scalar(
                select(model).where(model.namespace == namespace, model.name == name).with_for_update()
            )
            if row is None:
                session.add(model(namespace=namespace, name=name, data=data))
            elif not replace:
                raise SecretsError(
                    f"{what} {name!r} already exists in namespace {namespace!r} (use --replace to change it)"
                )
            else:
                row.data = data
                row.updated_at = utcnow()

    def _delete(self, model: type[Secret] | type[ConfigMap], namespace: str, name: str, what: str) -> None:
        with self.store.session() as session:
            result = session.execute(delete(model).where(model.namespace == namespace, model.name == name))
            if not getattr(result, "rowcount", 0):
                raise SecretsNotFoundError(f"{what} {name!r} does not exist in namespace {namespace!r}")


def _check_object(namespace: str, name: str, what: str) -> None:
    check_name(namespace, "namespace")
    check_name(name, what)


def _check_size(owner: str, size: int) -> None:
    if size > _MAX_VALUE_BYTES:
        raise SecretsError(f"{owner}: its values take {size} bytes, more than the {_MAX_VALUE_BYTES} allowed")


def _config_map_info(row: ConfigMap) -> NamedValues:
    data = {key: str(value) for key, value in sorted(dict(row.data).items())}
    return NamedValues(
        row.namespace,
        row.name,
        list(data),
        {key: len(value.encode()) for key, value in data.items()},
        row.created_at,
        row.updated_at,
        values=data,
    )
