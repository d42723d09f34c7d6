"""Where runs are kept: the store and the artifact root, ``$SLUICE_HOME`` unless told otherwise."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sluice import _home
from sluice.store import Store

__all__ = ["Workspace"]


@dataclass
class Workspace:
    """Where runs are kept: the store and the artifact root (``$SLUICE_HOME`` by default)."""

    home: Path
    database_url: str
    pipeline_root: Path

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
            pipeline_root=Path(pipeline_root).absolute() if pipeline_root else _home.artifact_root(home_path),
        )

    @contextlib.contextmanager
    def store(self) -> Iterator[Store]:
        store = Store.open(self.database_url)
        try:
            yield store
        finally:
            store.close()
