"""Artifact storage: URIs for task outputs under a pipeline root, and local paths to reach them.

``LocalArtifactStore`` keeps everything in a folder (``$SLUICE_HOME/artifacts`` by default); object
stores implement the same :class:`ArtifactStore` protocol later.
"""

from __future__ import annotations

from sluice.artifacts._local import LocalArtifactStore
from sluice.artifacts._store import ArtifactStore, UnsafePathError, check_path_part

__all__ = ["ArtifactStore", "LocalArtifactStore", "UnsafePathError", "check_path_part", "open_artifact_store"]


def open_artifact_store(root: str) -> ArtifactStore:
    """The store for a pipeline root: a local folder (a path or ``file://`` URI)."""
    if root.startswith("file://"):
        root = root[len("file://") :]
    if "://" in root:
        scheme = root.split("://", 1)[0]
        raise ValueError(f"pipeline root {root!r}: the {scheme}:// artifact store is not supported yet")
    return LocalArtifactStore(root)
