"""``sluice deployments ...``: models behind stable REST URLs on the service (``--host`` / ``$SLUICE_HOST``).

Actions that load a revision (create, update, rollback to a stopped revision) wait until it serves; if it
fails to load they exit 1 with the load error, and the deployment keeps serving what it served.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sluice.client import Client, Deployment

__all__ = ["deployments_group"]

_HOST_HELP = (
    "The pipeline service (default: $SLUICE_HOST, $KF_PIPELINES_ENDPOINT, else http://127.0.0.1:8888)."
)
_MODEL_HELP = (
    "A local file or folder (copied into the service's artifact store), an artifact URI, or RUN_ID/TASK/OUTPUT "
    "(a run's output artifact)."
)
_PREDICTOR_HELP = (
    "'sklearn', or FILE.py:CLASS (a class with load(model_path) and predict(instances), or a kserve.Model "
    "subclass; a local file is sent along, else it is looked up in the model folder). Default: a folder's "
    "predictor.py, or scikit-learn for a .joblib/.pkl file."
)


def _common(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--host", default=None, metavar="URL", help=_HOST_HELP)(function)
    return click.option("--namespace", "-n", default="default", show_default=True)(function)


def _revision_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--model", "-m", required=True, help=_MODEL_HELP),
            click.option("--predictor", help=_PREDICTOR_HELP),
            click.option(
                "--replicas", type=click.IntRange(1, 32), help="Model server processes (default 1)."
            ),
            click.option("--cpu", help="CPU per replica, e.g. 500m or 2."),
            click.option("--memory", help="Memory per replica, e.g. 512Mi or 2Gi."),
            click.option("--gpus", type=click.IntRange(min=0), help="GPUs per replica."),
            click.option("--no-wait", is_flag=True, help="Return while the revision is still loading."),
            click.option(
                "--json", "as_json", is_flag=True, help="Print the deployment as JSON (with its url)."
            ),
        ]
    ):
        function = option(function)
    return function


@contextmanager
def _client(host: str | None) -> Iterator[Client]:
    from sluice import __version__
    from sluice.client import ApiError, Client, DeploymentError

    client = Client(host, user_agent=f"sluice-cli/{__version__}")
    try:
        yield client
    except ApiError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(2 if 400 <= error.status < 500 else 1)
    except DeploymentError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    except FileNotFoundError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    finally:
        client.close()


def _resources(cpu: str | None, memory: str | None, gpus: int | None) -> dict[str, Any] | None:
    resources = {key: value for key, value in (("cpu", cpu), ("memory", memory), ("gpus", gpus)) if value}
    return resources or None


def _traffic(deployment: Deployment) -> str:
    if not deployment.traffic:
        return "no traffic"
    return ", ".join(f"{percent}% → revision {number}" for number, percent in deployment.traffic.items())


def _show(deployment: Deployment, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(deployment.raw, indent=2))
        return
    click.echo(f"deployment {deployment.namespace}/{deployment.name}  {deployment.state}  {deployment.url}")
    click.echo(f"  traffic: {_traffic(deployment)}")
    if deployment.pending_revision is not None:
        click.echo(f"  loading: revision {deployment.pending_revision}")
    for revision in deployment.revisions:
        if revision.role == "retired" and revision.state != "FAILED":
            continue
        source = f"run {revision.run_id}" if revision.run_id else revision.model_uri
        replicas = f"{revision.ready_replicas}/{revision.replicas} ready"
        click.echo(
            f"  revision {revision.number:<3} {revision.role:<8} {revision.state:<8} {replicas:<10} "
            f"{revision.predictor:<16} {source}"
        )
        if revision.error:
            click.echo(f"      error: {revision.error}")


@click.group("deployments")
def deployments_group() -> None:
    """Models behind stable REST URLs (KServe V1/V2 protocols): revisions, canaries, rollback."""


@deployments_group.command("create")
@click.argument("name")
@_revision_options
@click.option("--description", default="")
@_common
def create_command(  # noqa: PLR0917  (click passes options positionally)
    name: str,
    model: str,
    predictor: str | None,
    replicas: int | None,
    cpu: str | None,
    memory: str | None,
    gpus: int | None,
    no_wait: bool,
    as_json: bool,
    description: str,
    host: str | None,
    namespace: str,
) -> None:
    """Deploy a model as NAME; waits until it serves, then prints its URL."""
    with _client(host) as client:
        deployment = client.create_deployment(
            name,
            model,
            predictor=predictor,
            replicas=replicas,
            resources=_resources(cpu, memory, gpus),
            description=description,
            namespace=namespace,
            wait=not no_wait,
        )
    _show(deployment, as_json)


@deployments_group.command("update")
@click.argument("name")
@_revision_options
@click.option(
    "--canary",
    type=click.IntRange(1, 99),
    metavar="PERCENT",
    help="Give the new revision this share of the traffic (promote or roll back later).",
)
@_common
def update_command(  # noqa: PLR0917
    name: str,
    model: str,
    predictor: str | None,
    replicas: int | None,
    cpu: str | None,
    memory: str | None,
    gpus: int | None,
    no_wait: bool,
    as_json: bool,
    canary: int | None,
    host: str | None,
    namespace: str,
) -> None:
    """A new revision of NAME: all traffic once it is ready, or --canary PERCENT of it."""
    with _client(host) as client:
        deployment = client.update_deployment(
            name,
            model,
            predictor=predictor,
            canary_percent=canary,
            replicas=replicas,
            resources=_resources(cpu, memory, gpus),
            namespace=namespace,
            wait=not no_wait,
        )
    _show(deployment, as_json)


@deployments_group.command("promote")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@_common
def promote_command(name: str, as_json: bool, host: str | None, namespace: str) -> None:
    """Give NAME's canary all the traffic."""
    with _client(host) as client:
        deployment = client.promote_deployment(name, namespace=namespace)
    _show(deployment, as_json)


@deployments_group.command("rollback")
@click.argument("name")
@click.option(
    "--to", "to_revision", type=click.IntRange(min=1), metavar="REVISION", help="Go back to this revision."
)
@click.option("--json", "as_json", is_flag=True)
@_common
def rollback_command(
    name: str, to_revision: int | None, as_json: bool, host: str | None, namespace: str
) -> None:
    """Undo: cancel a loading revision, else drop the canary, else serve the previous revision (or --to)."""
    with _client(host) as client:
        deployment = client.rollback_deployment(name, to_revision, namespace=namespace)
    _show(deployment, as_json)


@deployments_group.command("scale")
@click.argument("name")
@click.option("--replicas", type=click.IntRange(1, 32), required=True)
@click.option("--json", "as_json", is_flag=True)
@_common
def scale_command(name: str, replicas: int, as_json: bool, host: str | None, namespace: str) -> None:
    """Set how many replicas serve NAME's current revision."""
    with _client(host) as client:
        deployment = client.scale_deployment(name, replicas, namespace=namespace)
    _show(deployment, as_json)


@deployments_group.command("get")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="The deployment as JSON (with its url).")
@_common
def get_command(name: str, as_json: bool, host: str | None, namespace: str) -> None:
    """NAME's state, URL, traffic and revisions."""
    with _client(host) as client:
        deployment = client.get_deployment(name, namespace=namespace)
    _show(deployment, as_json)


@deployments_group.command("list")
@click.option("--namespace", "-n", default=None, help="Only this namespace.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--host", default=None, metavar="URL", help=_HOST_HELP)
def list_command(namespace: str | None, as_json: bool, host: str | None) -> None:
    """Every deployment."""
    with _client(host) as client:
        deployments = client.list_deployments(namespace=namespace)
    if as_json:
        click.echo(json.dumps([deployment.raw for deployment in deployments], indent=2))
        return
    for deployment in deployments:
        click.echo(
            f"{deployment.namespace}/{deployment.name:<24} {deployment.state:<11} {_traffic(deployment):<40} "
            f"{deployment.url}"
        )


@deployments_group.command("delete")
@click.argument("name")
@_common
def delete_command(name: str, host: str | None, namespace: str) -> None:
    """Delete NAME: its URL stops answering, its replicas drain and stop."""
    with _client(host) as client:
        client.delete_deployment(name, namespace=namespace)
    click.echo(f"deleted deployment {namespace}/{name}")


@deployments_group.command("history")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@_common
def history_command(name: str, as_json: bool, host: str | None, namespace: str) -> None:
    """Every action taken on NAME: what, which revision, who and when."""
    with _client(host) as client:
        actions = client.deployment_history(name, namespace=namespace)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        **action.detail,
                        "action": action.action,
                        "revision": action.revision,
                        "actor": action.actor,
                        "at": action.at.isoformat() if action.at else None,
                    }
                    for action in actions
                ],
                indent=2,
            )
        )
        return
    for action in actions:
        when = action.at.isoformat(timespec="seconds") if action.at else ""
        detail = {key: value for key, value in action.detail.items() if key != "client"}
        via = f" via {action.detail['client']}" if action.detail.get("client") else ""
        revision = f"revision {action.revision}" if action.revision is not None else ""
        click.echo(
            f"{when}  {action.action:<9} {revision:<12} by {action.actor}{via}  {json.dumps(detail) if detail else ''}".rstrip()
        )
