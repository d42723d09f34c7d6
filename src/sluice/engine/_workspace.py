"""Where runs are kept: the store and the artifact root, ``$SLUICE_HOME`` unless told otherwise."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sluice import _home
from sluice.artifacts import ArtifactStore, ArtifactStoreError, is_remote_root, open_artifact_store
from sluice.engine._errors import EngineError
from sluice.store import Store

__all__ = ["Workspace"]


@dataclass
class Workspace:
    """Where runs are kept: the store and the artifact root (``$SLUICE_HOME`` by default)."""

    home: Path
    database_url: str
    pipeline_root: str  # a folder or an s3:// URI

    @classmethod
    def resolve(
        cls,
        home: str | os.PathLike[str] | None = None,
        database_url: str | None = None,
        pipeline_root: str | os.PathLike[str] | None = None,
    ) -> Workspace:
        if home is not None:
            home_path = Path(home).expanduser().absolute()
            home_path.mkdir(parents=True, exist_ok=True)
        else:
            home_path = _home.sluice_home()
        return cls(
            home=home_path,
            database_url=database_url or _home.database_url(home_path),
            pipeline_root=_pipeline_root(pipeline_root)
            if pipeline_root
            else str(_home.artifact_root(home_path)),
        )

    def artifact_store(self, root: str | None = None) -> ArtifactStore:
        """The store of ``root`` (default: this workspace's pipeline root); EngineError when unusable."""
        try:
            return open_artifact_store(root or self.pipeline_root, s3_mount=self.home / "s3")
        except ArtifactStoreError as error:
            raise EngineError(str(error)) from error

    @contextlib.contextmanager
    def store(self) -> Iterator[Store]:
        store = Store.open(self.database_url)
        try:
            yield store
        finally:
            store.close()


def _pipeline_root(root: str | os.PathLike[str]) -> str:
    text = os.fspath(root)
    # Path() would fold "s3://b" into "s3:/b": URIs stay text, folders become absolute.
    return text if is_remote_root(text) else str(Path(text.removeprefix("file://")).absolute())
