"""``sluice queue``: the service's fair queue, per namespace and user: running tasks with the GPUs, CPU and
memory they hold, pending ones with their place in line and why they wait."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

__all__ = ["register"]


def _resources(task: dict[str, Any]) -> str:
    parts = []
    if task.get("gpus"):
        parts.append(f"{task['gpus']} GPU")
    if task.get("cpu"):
        parts.append(f"{task['cpu']:g} CPU")
    if task.get("memory_bytes"):
        parts.append(f"{task['memory_bytes'] / 2**30:.1f} GiB")
    return ", ".join(parts) or "-"


@click.command("queue")
@click.option("-n", "--namespace", default=None, help="Only this namespace (default: all you can see).")
@click.option(
    "--host", default=None, metavar="URL", help="The pipeline service (default: $SLUICE_HOST, ...)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def queue_command(namespace: str | None, host: str | None, as_json: bool) -> None:
    """What runs and what waits on the service's GPUs, CPUs and memory, and why."""
    from sluice.client import ApiError, Client

    with Client(host) as client:
        try:
            snapshot = client.queue(namespace)
        except ApiError as error:
            click.echo(f"error: {error.message}", err=True)
            sys.exit(2 if 400 <= error.status < 500 else 1)
    if as_json:
        click.echo(json.dumps(snapshot, indent=2))
        return
    capacity = snapshot.get("capacity") or {}
    if capacity:
        click.echo(f"GPUs: {capacity.get('gpus_free')} of {capacity.get('gpus')} free")
    groups = snapshot.get("namespaces") or []
    if not groups:
        click.echo("nothing running or waiting")
    for group in groups:
        click.echo(f"{group['namespace'] or '(no namespace)'} / {group['user'] or '-'}")
        for task in group["running"]:
            click.echo(f"  running  {task['task']}  ({_resources(task)})  run {task['run_id']}")
        for task in group["pending"]:
            place = f"#{task['position']}" if task.get("position") else "  "
            click.echo(f"  pending {place} {task['task']}  ({_resources(task)})  {task['reason']}")


def register(group: click.Group) -> None:
    group.add_command(queue_command)
