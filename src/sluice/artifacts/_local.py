"""Artifacts in a local folder. A URI is the artifact's absolute path, as with ``kfp.local``.

Plain paths (not ``file://``) because task code reads ``artifact.uri`` and container commands receive
``{{$.outputs.artifacts['x'].uri}}``: both must work as local paths, exactly as under kfp.local.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO, Any

from sluice.artifacts._store import UnsafePathError, check_path_part

__all__ = ["LocalArtifactStore"]

_FILE_SCHEME = "file://"


class LocalArtifactStore:
    """An :class:`~sluice.artifacts.ArtifactStore` over a folder on this machine."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root).absolute()
        self._root.mkdir(parents=True, exist_ok=True)
        self._resolved_root = self._root.resolve()

    @property
    def root(self) -> Path:
        return self._root

    @property
    def root_uri(self) -> str:
        return str(self._root)

    def uri_for(self, *parts: str) -> str:
        for part in parts:
            check_path_part(part)
        return str(self._root.joinpath(*parts))

    def local_path(self, uri: str) -> Path:
        if uri.startswith(_FILE_SCHEME):
            uri = uri[len(_FILE_SCHEME) :]
        if "://" in uri:
            raise UnsafePathError(
                f"artifact URI {uri!r} is not a local path; this store reads local files only"
            )
        return Path(uri)

    def contains(self, uri: str) -> bool:
        try:
            path = self.local_path(uri)
        except UnsafePathError:
            return False
        # resolve(): a symlink or '..' inside the URI must not pass for a path under the root.
        return path.resolve().is_relative_to(self._resolved_root)

    def checked_path(self, uri: str) -> Path:
        """``local_path(uri)``, refusing anything outside the root (for paths the engine writes to)."""
        if not self.contains(uri):
            raise UnsafePathError(f"artifact URI {uri!r} lies outside the artifact root {self.root_uri!r}")
        return self.local_path(uri)

    def exists(self, uri: str) -> bool:
        return self.local_path(uri).exists()

    def open(self, uri: str, mode: str = "rb") -> IO[Any]:
        return self.local_path(uri).open(mode)

    @property
    def is_remote(self) -> bool:
        return False

    def download(self, uri: str) -> Path:
        return self.local_path(uri)  # tasks work on the files themselves

    def upload(self, uri: str) -> bool:
        return self.local_path(uri).exists()

    def remove(self, uri: str) -> None:
        path = self.checked_path(uri)
        if path.resolve() == self._resolved_root:
            raise UnsafePathError("refusing to remove the whole artifact root")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def task_environment(self) -> dict[str, str]:
        return {}  # URIs are paths
