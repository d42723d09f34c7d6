"""What goes wrong with secrets and config maps. Messages name the object, never a secret's value."""

from __future__ import annotations

from sluice._errors import SluiceError

__all__ = ["SecretsError", "SecretsNotFoundError"]


class SecretsError(SluiceError, ValueError):
    """Bad input (a name, a key), an object that already exists, or an unusable key file."""


class SecretsNotFoundError(SecretsError):
    """The secret or config map does not exist."""
