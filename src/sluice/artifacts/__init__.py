"""Artifact storage: URIs for task outputs under a pipeline root, and local paths to reach them.

``LocalArtifactStore`` keeps everything in a folder (``$SLUICE_HOME/artifacts`` by default);
``S3ArtifactStore`` keeps it in an S3-compatible bucket (``s3://bucket/prefix``), staging local copies
for the tasks. Both implement the :class:`ArtifactStore` protocol.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from sluice.artifacts._local import LocalArtifactStore
from sluice.artifacts._store import (
    METADATA_ONLY_TYPES,
    ArtifactStore,
    ArtifactStoreError,
    UnsafePathError,
    check_path_part,
)

if TYPE_CHECKING:
    from sluice.artifacts._s3 import S3ArtifactStore

__all__ = [
    "METADATA_ONLY_TYPES",
    "ArtifactStore",
    "ArtifactStoreError",
    "LocalArtifactStore",
    "S3ArtifactStore",
    "UnsafePathError",
    "check_path_part",
    "is_remote_root",
    "open_artifact_store",
]


def is_remote_root(root: str) -> bool:
    """Whether ``root`` names an object store rather than a folder."""
    return "://" in root and not root.startswith("file://")


def open_artifact_store(root: str | os.PathLike[str], *, s3_mount: Path | None = None) -> ArtifactStore:
    """The store for a pipeline root: ``s3://bucket/prefix`` or a local folder (a path or ``file://`` URI).

    ``s3_mount``: where an s3 store keeps the local copies tasks work on (default ``$SLUICE_HOME/s3``).
    Raises ArtifactStoreError for a root that cannot be used, naming it.
    """
    text = os.fspath(root)
    if text.startswith("s3://"):
        from sluice import _home
        from sluice.artifacts._s3 import S3ArtifactStore

        return S3ArtifactStore(text, s3_mount or _home.sluice_home() / "s3")
    text = text.removeprefix("file://")
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ArtifactStoreError(
            f"pipeline root {text!r}: the {scheme}:// artifact store is not supported (use s3:// or a folder)"
        )
    return LocalArtifactStore(text)


def __getattr__(name: str) -> object:
    if name == "S3ArtifactStore":  # imported on first use: s3fs is optional and slow to import
        from sluice.artifacts._s3 import S3ArtifactStore

        return S3ArtifactStore
    raise AttributeError(f"module 'sluice.artifacts' has no attribute {name!r}")
