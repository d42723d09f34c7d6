"""How ``sluice up`` is configured: address, database, artifact root, and how much runs at once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sluice import _home

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ServerConfig", "ServerConfigError"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8888


class ServerConfigError(ValueError):
    """The service cannot start with these settings (the message says which and why)."""


@dataclass(frozen=True)
class ServerConfig:
    """Everything the service needs; ``resolve`` fills in the embedded defaults from ``$SLUICE_HOME``."""

    home: Path
    database_url: str
    artifact_root: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_concurrent_runs: int = 4
    scheduler_interval_s: float = 1.0
    orphan_sweep_interval_s: float = 15.0

    @classmethod
    def resolve(
        cls,
        *,
        home: str | os.PathLike[str] | None = None,
        database_url: str | None = None,
        artifact_root: str | None = None,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        max_concurrent_runs: int | None = None,
    ) -> ServerConfig:
        """The configuration with defaults: SQLite and ``artifacts/`` in the home folder."""
        if home is not None:
            home_path = Path(home).expanduser().absolute()
            home_path.mkdir(parents=True, exist_ok=True)
        else:
            home_path = _home.sluice_home()
        if artifact_root:
            root_text = artifact_root.removeprefix("file://")
            if "://" in root_text:
                scheme = root_text.split("://", 1)[0]
                raise ServerConfigError(
                    f"--artifact-root {artifact_root}: the {scheme}:// artifact store is not supported yet by "
                    "Sluice's artifact layer; use a local folder"
                )
            root = Path(root_text).expanduser().absolute()
            root.mkdir(parents=True, exist_ok=True)
        else:
            root = _home.artifact_root(home_path)
        return cls(
            home=home_path,
            database_url=database_url or _home.database_url(home_path),
            artifact_root=root,
            host=host,
            port=port,
            max_concurrent_runs=max_concurrent_runs or max(2, min(8, os.cpu_count() or 2)),
        )
