"""How ``sluice up`` is configured: address and the host names it serves, database, artifact root, and how
much runs at once."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sluice import _home
from sluice.artifacts import ArtifactStoreError, is_remote_root, open_artifact_store
from sluice.launchers import check_task_env_names, task_env_names_from_environment
from sluice.server._browser import check_allowed_host
from sluice.server._package_url import check_package_host

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ServerConfig", "ServerConfigError", "is_loopback"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8888


class ServerConfigError(ValueError):
    """The service cannot start with these settings (the message says which and why)."""


@dataclass(frozen=True)
class ServerConfig:
    """Everything the service needs; ``resolve`` fills in the embedded defaults from ``$SLUICE_HOME``."""

    home: Path
    database_url: str
    artifact_root: str  # a folder, or s3://bucket/prefix
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_concurrent_runs: int = 4
    # Host names served besides the loopback names and `host` (sluice.server._browser); "*": any.
    allowed_hosts: tuple[str, ...] = ()
    # Variables of the server's environment its tasks may inherit besides the allowlist
    # (sluice.launchers.clean_environment): --task-env and $SLUICE_TASK_ENV_ALLOW.
    task_env_allow: tuple[str, ...] = ()
    scheduler_interval_s: float = 1.0
    orphan_sweep_interval_s: float = 15.0
    launcher: str = "local"  # where tasks run: "local", or "ray" (the cluster at ray_address)
    ray_address: str | None = None
    # Multi-user mode (sluice.server._auth): sign-in on every API route, namespaces, roles, quotas.
    multi_user: bool = False
    trusted_user_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    # GPUs the server's tasks share (None: $SLUICE_GPUS, else nvidia-smi), handed out by the fair queue.
    gpus: int | None = None
    # package_url hosts the service may fetch from although they resolve to non-public addresses (SSRF guard).
    package_hosts: tuple[str, ...] = ()
    package_fetch_timeout_s: float = 30.0
    # Runs that ended this many days ago are deleted with their artifacts and logs (None: kept forever);
    # archived runs by their own setting.
    runs_retention_days: float | None = None
    archived_runs_retention_days: float | None = None
    retention_interval_s: float = 3600.0

    @property
    def url(self) -> str:
        """Where this service is reached from this machine (its tasks tell it to ``sluice.Client``)."""
        host = self.host.strip("[]")
        reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else self.host
        return f"http://{reachable}:{self.port}"

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
        allowed_hosts: Iterable[str] = (),
        task_env: Iterable[str] = (),
        launcher: str = "local",
        ray_address: str | None = None,
        multi_user: bool = False,
        insecure_no_auth: bool = False,
        trusted_user_header: str | None = None,
        trusted_proxies: Iterable[str] = (),
        gpus: int | None = None,
        package_hosts: Iterable[str] = (),
        runs_retention_days: float | None = None,
        archived_runs_retention_days: float | None = None,
    ) -> ServerConfig:
        """The configuration with defaults: SQLite and ``artifacts/`` in the home folder."""
        if home is not None:
            home_path = Path(home).expanduser().absolute()
            home_path.mkdir(parents=True, exist_ok=True)
        else:
            home_path = _home.sluice_home()
        if artifact_root and is_remote_root(artifact_root):
            root = artifact_root.rstrip("/")
            try:
                # Opened once here so that a missing bucket or a wrong endpoint stops `sluice up` at once.
                open_artifact_store(root, s3_mount=home_path / "s3")
            except ArtifactStoreError as error:
                raise ServerConfigError(f"--artifact-root: {error}") from error
        elif artifact_root:
            folder = Path(artifact_root.removeprefix("file://")).expanduser().absolute()
            folder.mkdir(parents=True, exist_ok=True)
            root = str(folder)
        else:
            root = str(_home.artifact_root(home_path))
        try:
            hosts = tuple(check_allowed_host(value) for value in allowed_hosts)
            task_env_allow = check_task_env_names([*task_env, *task_env_names_from_environment()])
            checked_package_hosts = tuple(check_package_host(value) for value in package_hosts)
        except ValueError as error:
            raise ServerConfigError(str(error)) from None
        if launcher != "local":
            _check_launcher(launcher, root, ray_address)
        proxies = tuple(trusted_proxies)
        _check_access(host, multi_user, insecure_no_auth, trusted_user_header, proxies)
        return cls(
            home=home_path,
            database_url=database_url or _home.database_url(home_path),
            artifact_root=root,
            host=host,
            port=port,
            max_concurrent_runs=max_concurrent_runs or max(2, min(8, os.cpu_count() or 2)),
            allowed_hosts=hosts,
            task_env_allow=task_env_allow,
            launcher=launcher,
            ray_address=ray_address,
            multi_user=multi_user,
            trusted_user_header=trusted_user_header,
            trusted_proxies=proxies,
            gpus=gpus,
            package_hosts=checked_package_hosts,
            runs_retention_days=_retention(runs_retention_days, "--runs-retention"),
            archived_runs_retention_days=_retention(
                archived_runs_retention_days, "--archived-runs-retention"
            ),
        )


def is_loopback(host: str) -> bool:
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _check_access(
    host: str, multi_user: bool, insecure_no_auth: bool, header: str | None, proxies: tuple[str, ...]
) -> None:
    """A run executes arbitrary code: anyone who reaches a non-loopback address must sign in first."""
    if not multi_user and (header or proxies):
        raise ServerConfigError("--trusted-user-header and --trusted-proxy need --multi-user")
    if multi_user and insecure_no_auth:
        raise ServerConfigError("--insecure-no-auth contradicts --multi-user")
    if not multi_user and not insecure_no_auth and not is_loopback(host):
        raise ServerConfigError(
            f"refusing to listen on {host} without sign-in: anyone who reaches it could run any code here. "
            "Use --multi-user (see docs/multi-user.md), or --insecure-no-auth on a network you trust"
        )
    if multi_user:
        from sluice.server._auth import AccessPolicy

        try:
            AccessPolicy.build(header, proxies)
        except ValueError as error:
            raise ServerConfigError(str(error)) from None


def _retention(days: float | None, option: str) -> float | None:
    if days is not None and not days > 0:
        raise ServerConfigError(f"{option}: expected a number of days above 0, got {days}")
    return days


def _check_launcher(launcher: str, artifact_root: str, ray_address: str | None) -> None:
    """Connect once now, so that an unreachable cluster or an unshared artifact root stops ``sluice up``."""
    from sluice.launchers import LauncherError, open_launcher

    try:
        open_launcher(launcher, artifact_root=artifact_root, ray_address=ray_address).close()
    except LauncherError as error:
        raise ServerConfigError(f"--launcher {launcher}: {error}") from error
