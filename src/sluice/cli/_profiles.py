"""``sluice admin profiles ...``: execution profiles and which a namespace may use; ``sluice volumes``.

Profiles live in ``$SLUICE_HOME/profiles.json``; namespace policies in the store (``namespace_profiles``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from sluice.engine import Workspace

__all__ = ["admin_group", "profiles_group", "register", "volumes_group"]


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@contextmanager
def _workspace(database_url: str | None) -> Iterator[Workspace]:
    from sluice.engine import Workspace
    from sluice.sandbox import ProfileError, VolumeError
    from sluice.store import StoreError

    try:
        yield Workspace.resolve(database_url=database_url)
    except (ProfileError, VolumeError, StoreError) as error:
        _fail(str(error))


_DATABASE = click.option(
    "--database-url", envvar="SLUICE_DATABASE_URL", help="The store (default: $SLUICE_HOME's)."
)


def _limit(value: Any) -> str:
    return "unlimited" if value is None else str(value)


@click.group("profiles")
def profiles_group() -> None:
    """Execution profiles: what a task may see and use (docs/security.md)."""


@profiles_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@_DATABASE
def list_profiles(as_json: bool, database_url: str | None) -> None:
    """The built-in and admin-defined profiles."""
    from sluice.sandbox import load_profiles

    with _workspace(database_url) as workspace:
        profiles = load_profiles(workspace.home)
    if as_json:
        click.echo(json.dumps([profile.to_dict() for profile in profiles.values()], indent=2))
        return
    for profile in profiles.values():
        kind = "sandboxed" if profile.sandboxed else "host"
        click.echo(
            f"{profile.name}\t{kind}\tnetwork={profile.network}\tmemory={_limit(profile.memory)}\t"
            f"processes={_limit(profile.processes)}\twall={_limit(profile.wall_seconds)}\t{profile.description}"
        )


@profiles_group.command("set")
@click.argument("name")
@click.option("--network", type=click.Choice(["none", "host"]))
@click.option("--memory", help="Address space limit, e.g. 2Gi.")
@click.option("--cpu-seconds", type=click.IntRange(min=1))
@click.option("--processes", type=click.IntRange(min=1), help="Processes of the namespace's uid.")
@click.option("--file-size", help="Largest file a task may write, e.g. 10Gi.")
@click.option("--wall-seconds", type=click.FloatRange(min=0, min_open=True))
@click.option("--tmp-size", help="Size of the task's private /tmp, e.g. 1Gi.")
@click.option("--description")
@_DATABASE
def set_profile(name: str, database_url: str | None, **settings: Any) -> None:
    """Define a sandboxed profile NAME, or change the given settings of it."""
    from sluice.sandbox import save_profile

    given = {key: value for key, value in settings.items() if value is not None}
    with _workspace(database_url) as workspace:
        profile = save_profile(workspace.home, name, given)
    click.echo(json.dumps(profile.to_dict(), indent=2))


@profiles_group.command("delete")
@click.argument("name")
@_DATABASE
def delete_profile_command(name: str, database_url: str | None) -> None:
    """Delete the admin profile NAME."""
    from sluice.sandbox import delete_profile

    with _workspace(database_url) as workspace:
        delete_profile(workspace.home, name)
    click.echo(f"deleted profile {name}", err=True)


@profiles_group.command("policy")
@click.argument("namespace")
@click.option("--default", "default", help="The profile its runs get when they ask for none.")
@click.option("--allow", "allowed", multiple=True, help="A profile its runs may ask for (repeatable).")
@_DATABASE
def policy(namespace: str, default: str | None, allowed: tuple[str, ...], database_url: str | None) -> None:
    """Show NAMESPACE's default and allowed profiles, or set them (--default, --allow)."""
    from sluice.sandbox import get_policy, set_policy

    with _workspace(database_url) as workspace, workspace.store() as store:
        if default is None and allowed:
            _fail("--allow needs --default (the profile runs get when they ask for none)")
        if default is not None:
            found = set_policy(store, workspace.home, namespace, default, list(allowed))
        else:
            found = get_policy(store, workspace.home, namespace)
    click.echo(
        json.dumps(
            {
                "namespace": found.namespace,
                "default": found.default,
                "allowed": list(found.allowed),
                "configured": found.configured,
            },
            indent=2,
        )
    )


@click.group("admin")
def admin_group() -> None:
    """Platform administration."""


admin_group.add_command(profiles_group)


@click.group("volumes")
def volumes_group() -> None:
    """Named volumes (kfp-kubernetes' PVCs): folders a namespace owns, mounted in sandboxed tasks."""


@volumes_group.command("list")
@click.option("--namespace", help="Only this namespace's.")
@click.option("--json", "as_json", is_flag=True)
@_DATABASE
def list_volumes_command(namespace: str | None, as_json: bool, database_url: str | None) -> None:
    from sluice.sandbox import list_volumes

    with _workspace(database_url) as workspace:
        volumes = list_volumes(workspace.home, namespace)
    if as_json:
        click.echo(json.dumps(volumes, indent=2))
        return
    for volume in volumes:
        click.echo(
            f"{volume['namespace']}\t{volume['name']}\t{volume['used_bytes']} bytes\t"
            f"requested {volume.get('size') or '-'}\t{volume.get('created_at', '')}"
        )


@volumes_group.command("create")
@click.argument("name")
@click.option("--namespace", default="default", show_default=True)
@_DATABASE
def create_volume_command(name: str, namespace: str, database_url: str | None) -> None:
    """Make an empty volume NAME (what a pipeline's mount_pvc of an existing claim needs)."""
    from sluice.sandbox import create_volume

    with _workspace(database_url) as workspace:
        folder, created = create_volume(workspace.home, namespace, name)
    click.echo(
        f"{'created' if created else 'exists:'} volume {name} of namespace {namespace} ({folder})", err=True
    )


@volumes_group.command("delete")
@click.argument("name")
@click.option("--namespace", default="default", show_default=True)
@_DATABASE
def delete_volume_command(name: str, namespace: str, database_url: str | None) -> None:
    """Delete volume NAME and its data."""
    from sluice.sandbox import delete_volume

    with _workspace(database_url) as workspace:
        delete_volume(workspace.home, namespace, name)
    click.echo(f"deleted volume {name} of namespace {namespace}", err=True)


def register(main: click.Group) -> None:
    existing = main.commands.get("admin")
    if isinstance(existing, click.Group):
        existing.add_command(profiles_group)
    else:
        main.add_command(admin_group)
    main.add_command(volumes_group)
