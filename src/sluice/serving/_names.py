"""Deployment and namespace names: DNS labels (as KServe's InferenceService names), so they are safe in URLs,
paths and log file names as they are."""

from __future__ import annotations

import re

from sluice.serving._errors import InvalidRequest

__all__ = ["DEFAULT_NAMESPACE", "check_name", "deployment_path"]

DEFAULT_NAMESPACE = "default"
MAX_NAME_LENGTH = 63
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def check_name(value: str, what: str = "deployment name") -> str:
    """``value`` if it is a DNS label (lowercase letters, digits and '-', at most 63); else InvalidRequest."""
    if len(value) > MAX_NAME_LENGTH or not _LABEL.match(value):
        raise InvalidRequest(
            f"{what} {value!r} must be a DNS label: lowercase letters, digits and '-', starting and ending "
            f"with a letter or digit, at most {MAX_NAME_LENGTH} characters (e.g. 'iris-classifier')"
        )
    return value


def deployment_path(namespace: str, name: str) -> str:
    """The stable path of a deployment on the service: ``/serving/{namespace}/{name}``."""
    return f"/serving/{namespace}/{name}"
