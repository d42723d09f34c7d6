"""``sluice.local.init(...)``: the settings under which components called outside a pipeline run now.

Standard library only: ``sluice.dsl`` looks this module up in ``sys.modules`` when a component is called
outside a pipeline, and must stay cheap for task processes (which never import it).
"""

from __future__ import annotations

import os
import warnings
from typing import Any

__all__ = ["DockerRunner", "LocalConfig", "SubprocessRunner", "current", "init"]


class SubprocessRunner:
    """Run each task as a process on this machine (kfp.local's ``SubprocessRunner``).

    Sluice's engine runs Python components in forks of a warm worker and container components as host
    commands. ``use_venv``, ``serialize_pip_installs`` and ``max_concurrent_pip_installs`` are accepted as
    kfp.local's: Sluice never installs into the current environment; a task whose ``packages_to_install``
    the environment lacks runs in a cached virtual environment, built once under a file lock.
    """

    def __init__(
        self,
        use_venv: bool = True,
        serialize_pip_installs: bool = True,
        max_concurrent_pip_installs: int = 1,
    ) -> None:
        self.use_venv = use_venv
        self.serialize_pip_installs = serialize_pip_installs
        self.max_concurrent_pip_installs = max_concurrent_pip_installs

    def __repr__(self) -> str:
        return f"SubprocessRunner(use_venv={self.use_venv!r})"


class DockerRunner:
    """kfp.local's container runner: not available in Sluice (tasks run as processes on this machine)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "sluice.local.DockerRunner is not available: Sluice runs tasks as processes on this machine; use "
            "sluice.local.SubprocessRunner()"
        )


class LocalConfig:
    """What :func:`init` was given, paths made absolute."""

    def __init__(  # noqa: PLR0917 (kfp.local's init, passed on)
        self,
        runner: SubprocessRunner,
        pipeline_root: str,
        workspace_root: str | None,
        raise_on_error: bool,
        enable_caching: bool,
        home: str | None,
        database_url: str | None,
    ) -> None:
        self.runner = runner
        self.pipeline_root = pipeline_root
        self.workspace_root = workspace_root
        self.raise_on_error = raise_on_error
        self.enable_caching = enable_caching
        self.home = home
        self.database_url = database_url


# The settings of the last init(); a list so that init() changes it without a global statement.
_current: list[LocalConfig] = []


def current() -> LocalConfig | None:
    """The settings of the last :func:`init`, or None before the first."""
    return _current[-1] if _current else None


def _absolute(path: str | os.PathLike[str] | None) -> str | None:
    if path is None:
        return None
    text = os.fspath(path)
    # A bucket is a URI, not a path relative to the working directory.
    return text if "://" in text else os.path.abspath(text)


def init(  # noqa: PLR0917 (kfp.local's signature)
    runner: SubprocessRunner,
    pipeline_root: str = "./local_outputs",
    workspace_root: str | None = None,
    raise_on_error: bool = True,
    enable_caching: bool = False,
    cache_root: str | None = None,
    *,
    home: str | os.PathLike[str] | None = None,
    database_url: str | None = None,
) -> None:
    """Run components and pipelines called outside a pipeline now, with Sluice's engine (kfp.local's ``init``).

    After it, ``task = add(a=1, b=2)`` runs ``add`` and ``task.output`` (or ``task.outputs[name]``) is
    its result: parameters as values, artifacts as ``dsl.Artifact`` objects (with ``.path``); artifacts
    can be passed on to the next call. A pipeline called the same way runs whole. Each call is a run,
    recorded in the store like any other (``sluice runs list``, ``sluice up``).

    Args:
        runner: ``SubprocessRunner()``; kfp.local's ``DockerRunner`` is not available.
        pipeline_root: Where artifacts go (a folder, or ``s3://bucket/prefix``); kfp.local's default.
        workspace_root: The folder runs share as their workspace (``dsl.WORKSPACE_PATH_PLACEHOLDER``);
            default: a ``workspace`` folder in each run's folder.
        raise_on_error: Raise when a call does not succeed (otherwise its task has no outputs).
        enable_caching: Reuse the outputs of identical earlier tasks (off by default, as in kfp.local).
        cache_root: kfp.local's cache folder; Sluice keeps its cache in its store, so it is not used.
        home: Sluice's home (``$SLUICE_HOME``, default ``~/.sluice``): its store, logs, virtual environments.
        database_url: The store (``$SLUICE_DATABASE_URL``; default: SQLite in ``home``).
    """
    if not isinstance(runner, SubprocessRunner):
        raise ValueError(
            f"Got unknown runner {runner!r} of type {type(runner).__name__}. Runner should be "
            "sluice.local.SubprocessRunner()."
        )
    if cache_root is not None:
        warnings.warn(
            "sluice.local.init(cache_root=...) is not used: Sluice keeps its cache in its store",
            UserWarning,
            stacklevel=2,
        )
    _current[:] = [
        LocalConfig(
            runner=runner,
            pipeline_root=_absolute(pipeline_root) or os.path.abspath("./local_outputs"),
            workspace_root=_absolute(workspace_root),
            raise_on_error=raise_on_error,
            enable_caching=enable_caching,
            home=_absolute(home),
            database_url=database_url,
        )
    ]
