"""``sluice up``: the whole platform in one command (API, background runs, recurring-run scheduler)."""

from __future__ import annotations

import sys

import click

from sluice.cli._options import imports_without_gc, launcher_options

__all__ = ["register"]


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    envvar="SLUICE_ALLOWED_HOSTS",
    metavar="NAME[:PORT]",
    help="Also answer requests for this host name (repeatable; '*' for any). The loopback names and the "
    "--host address are always served; other names are refused against DNS rebinding.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8888, show_default=True, help="Port to listen on."
)
@click.option(
    "--database-url",
    envvar="SLUICE_DATABASE_URL",
    help="The store: postgresql://..., mysql://... (default: SQLite in $SLUICE_HOME).",
)
@click.option(
    "--artifact-root",
    envvar="SLUICE_ARTIFACT_ROOT",
    help="Where task outputs and logs go (default: $SLUICE_HOME/artifacts).",
)
@click.option(
    "--max-concurrent-runs",
    type=click.IntRange(min=1),
    help="Runs executed at once; more wait PENDING (default: CPU count, 2 to 8).",
)
@click.option(
    "--task-env",
    "task_env",
    multiple=True,
    metavar="NAME",
    help="Let tasks inherit this variable of the server's environment (repeatable; also "
    "$SLUICE_TASK_ENV_ALLOW). Tasks otherwise get only PATH, HOME, locale, proxy, GPU and the like.",
)
@launcher_options
@click.option(
    "--multi-user",
    is_flag=True,
    envvar="SLUICE_MULTI_USER",
    help="Sign-in on every API call (Bearer tokens from 'sluice admin users create'), namespaces, roles, "
    "quotas and the fair GPU queue. See docs/multi-user.md.",
)
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    help="Listen on a non-loopback --host without --multi-user: anyone who reaches it can run any code here.",
)
@click.option(
    "--trusted-user-header",
    metavar="NAME",
    help="With --multi-user: take the user from this header (e.g. kubeflow-userid), set by a sign-in proxy; "
    "believed only from --trusted-proxy addresses.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS[/BITS]",
    help="The sign-in proxy's address or network (repeatable).",
)
@click.option(
    "--gpus",
    type=click.IntRange(min=0),
    help="GPUs the server's tasks share (default: $SLUICE_GPUS, else nvidia-smi's count).",
)
@click.option(
    "--allow-package-host",
    "package_hosts",
    multiple=True,
    envvar="SLUICE_ALLOW_PACKAGE_HOSTS",
    metavar="HOST[:PORT]",
    help="Let package_url fetches reach this host although it resolves to a loopback, private or link-local "
    "address (repeatable; '*' for any). Other such addresses are refused (SSRF guard).",
)
@click.option(
    "--runs-retention",
    "runs_retention_days",
    type=float,
    envvar="SLUICE_RUNS_RETENTION",
    metavar="DAYS",
    help="Delete runs that ended more than DAYS ago, with their artifacts and logs (default: keep).",
)
@click.option(
    "--archived-runs-retention",
    "archived_runs_retention_days",
    type=float,
    envvar="SLUICE_ARCHIVED_RUNS_RETENTION",
    metavar="DAYS",
    help="Delete archived runs that ended more than DAYS ago, with their artifacts and logs.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def up_command(  # noqa: PLR0917  (click passes options positionally)
    host: str,
    allowed_hosts: tuple[str, ...],
    port: int,
    database_url: str | None,
    artifact_root: str | None,
    max_concurrent_runs: int | None,
    task_env: tuple[str, ...],
    launcher: str,
    ray_address: str | None,
    multi_user: bool,
    insecure_no_auth: bool,
    trusted_user_header: str | None,
    trusted_proxies: tuple[str, ...],
    gpus: int | None,
    package_hosts: tuple[str, ...],
    runs_retention_days: float | None,
    archived_runs_retention_days: float | None,
    log_level: str,
) -> None:
    """Serve the Sluice platform: the KFP v2beta1 REST API (kfp.Client works against it), submitted runs
    executed in the background, recurring runs fired on schedule. State lives in $SLUICE_HOME (~/.sluice).

    Runs in flight when it stopped resume on start; Ctrl-C or SIGTERM stops running tasks and records them.
    """
    with imports_without_gc():
        from sluice.server import ServerConfig, ServerConfigError, serve
        from sluice.store import StoreError

    try:
        config = ServerConfig.resolve(
            database_url=database_url,
            artifact_root=artifact_root,
            host=host,
            port=port,
            max_concurrent_runs=max_concurrent_runs,
            allowed_hosts=allowed_hosts,
            task_env=task_env,
            launcher=launcher,
            ray_address=ray_address,
            multi_user=multi_user,
            insecure_no_auth=insecure_no_auth,
            trusted_user_header=trusted_user_header,
            trusted_proxies=trusted_proxies,
            gpus=gpus,
            package_hosts=package_hosts,
            runs_retention_days=runs_retention_days,
            archived_runs_retention_days=archived_runs_retention_days,
        )
    except ServerConfigError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    if insecure_no_auth:
        click.secho(
            f"WARNING: --insecure-no-auth: anyone who reaches {host}:{port} can run any code on this machine "
            "as this user. Use --multi-user instead on a shared network.",
            err=True,
            fg="red",
            bold=True,
        )
    from sluice.sandbox import SandboxUnavailableError

    try:
        serve(config, log_level=log_level)
    except StoreError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except SandboxUnavailableError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def register(group: click.Group) -> None:
    """Add ``up`` to the ``sluice`` command."""
    group.add_command(up_command)
