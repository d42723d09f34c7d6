"""The artifact store interface: where task outputs live, by URI, and where a task reads or writes them.

Shaped after fsspec's file systems (a protocol, paths joined under a root, ``open``/``exists``) so an
object store (``s3://``, ``gs://``) can implement the same interface; the engine only speaks in URIs.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, Protocol

from sluice._errors import SluiceError

__all__ = ["METADATA_ONLY_TYPES", "ArtifactStore", "ArtifactStoreError", "UnsafePathError", "check_path_part"]

# Artifact types whose content is their metadata (``log_metric`` writes no file): an object store may hold
# nothing for them, which is no error when staging inputs or checking a cache hit.
METADATA_ONLY_TYPES = frozenset(
    {"system.Metrics", "system.ClassificationMetrics", "system.SlicedClassificationMetrics"}
)


class ArtifactStoreError(SluiceError, ValueError):
    """An artifact root that cannot be used (unknown scheme, missing bucket, unreachable endpoint, ...)."""


class UnsafePathError(SluiceError, ValueError):
    """A name used to build an artifact path would escape the store's root (``..``, ``/``, NUL, ...)."""


def check_path_part(part: str, what: str = "path part") -> str:
    """``part`` if it is one safe path segment; raises UnsafePathError naming ``what`` otherwise.

    Task and output names come from the pipeline file, which a user may have written by hand: none of
    them may climb out of the run's folder.
    """
    if not part or part in (".", "..") or "/" in part or "\\" in part or "\0" in part:
        raise UnsafePathError(
            f"{what} {part!r} is not a safe path segment (no '/', '..', NUL or empty names)"
        )
    return part


class ArtifactStore(Protocol):
    """Where artifacts live: URIs under one root, and how to reach their bytes."""

    @property
    def root_uri(self) -> str:
        """The pipeline root, as a URI (``{{$.pipeline_root}}``)."""
        ...

    def uri_for(self, *parts: str) -> str:
        """The URI of ``parts`` joined under the root; each part must be a safe segment."""
        ...

    def local_path(self, uri: str) -> Path:
        """Where a task on this machine reads or writes ``uri``."""
        ...

    def exists(self, uri: str) -> bool:
        """Whether something is stored at ``uri``."""
        ...

    def open(self, uri: str, mode: str = "rb") -> IO[Any]:
        """Open the file at ``uri``."""
        ...

    def contains(self, uri: str) -> bool:
        """Whether ``uri`` lies under this store's root (outputs the engine itself placed)."""
        ...

    @property
    def is_remote(self) -> bool:
        """Whether tasks work on local copies (``download`` before, ``upload`` after) rather than in place."""
        ...

    def download(self, uri: str) -> Path:
        """Make ``uri`` readable at ``local_path(uri)``; returns that path."""
        ...

    def remove(self, uri: str) -> None:
        """Delete what is stored at ``uri`` (a file or a whole folder), local copies too; only under the root."""
        ...

    def upload(self, uri: str) -> bool:
        """Store what a task wrote at ``local_path(uri)``; False when nothing is there."""
        ...

    def task_environment(self) -> dict[str, str]:
        """Variables a task needs to find this store's URIs on disk (``sluice.runtime`` reads them)."""
        ...
