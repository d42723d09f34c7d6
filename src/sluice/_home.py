"""Where Sluice keeps its state on this machine: ``$SLUICE_HOME`` (default ``~/.sluice``).

The service a client talks to is ``$SLUICE_HOST`` (or KFP's ``$KF_PIPELINES_ENDPOINT``).

Layout: ``sluice.db`` (the SQLite store), ``artifacts/`` (the pipeline root: task outputs and logs),
``venvs/`` (cached virtual environments for ``packages_to_install``). ``SLUICE_DATABASE_URL`` points the
store at another database (PostgreSQL, MariaDB) while artifacts stay under the home.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["HOST_VARIABLES", "artifact_root", "configured_host", "database_url", "sluice_home", "venv_root"]

HOME_VARIABLE = "SLUICE_HOME"
DATABASE_URL_VARIABLE = "SLUICE_DATABASE_URL"
# SLUICE_HOST first; KF_PIPELINES_ENDPOINT is what kfp's own tools read.
HOST_VARIABLES = ("SLUICE_HOST", "KF_PIPELINES_ENDPOINT")


def configured_host() -> str | None:
    """The service address from the environment, if one is set."""
    for variable in HOST_VARIABLES:
        value = os.environ.get(variable)
        if value:
            return value
    return None


def sluice_home() -> Path:
    """The home folder, created on first use."""
    configured = os.environ.get(HOME_VARIABLE)
    home = Path(configured).expanduser() if configured else Path.home() / ".sluice"
    home = home.absolute()
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url(home: Path | None = None) -> str:
    """The store's URL: ``$SLUICE_DATABASE_URL`` if set, else SQLite in the home folder."""
    configured = os.environ.get(DATABASE_URL_VARIABLE)
    if configured:
        return configured
    return f"sqlite:///{(home or sluice_home()) / 'sluice.db'}"


def artifact_root(home: Path | None = None) -> Path:
    """The local pipeline root: every run's task outputs and logs live below it."""
    root = (home or sluice_home()) / "artifacts"
    root.mkdir(parents=True, exist_ok=True)
    return root


def venv_root(home: Path | None = None) -> Path:
    """Cached virtual environments, one per distinct requirement set."""
    root = (home or sluice_home()) / "venvs"
    root.mkdir(parents=True, exist_ok=True)
    return root
