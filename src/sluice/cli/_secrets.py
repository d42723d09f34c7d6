"""``sluice secrets`` and ``sluice configmaps``: what ``use_secret_as_env`` and ``use_config_map_as_env`` read.

They work on the store directly, like ``sluice run``: ``$SLUICE_HOME`` (or ``--database-url`` /
``$SLUICE_DATABASE_URL``). A secret's values are never printed, echoed in an error or logged: ``list``
and ``get`` show its keys and their sizes. Values given with ``--from-literal`` sit in the shell's
history; ``--from-file`` keeps them out of it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from sluice.secrets import NamedValues, SecretStore

__all__ = ["register"]


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@contextmanager
def _vault(database_url: str | None) -> Iterator[SecretStore]:
    from sluice.engine import Workspace
    from sluice.secrets import SecretsError, SecretStore
    from sluice.store import StoreError

    workspace = Workspace.resolve(database_url=database_url)
    try:
        with workspace.store() as store:
            yield SecretStore(store, workspace.home)
    except (SecretsError, StoreError) as error:
        _fail(str(error))


def _split(assignment: str, option: str) -> tuple[str, str]:
    """``KEY=VALUE`` as a pair; the error names the key only (what follows '=' may be a secret)."""
    key, separator, value = assignment.partition("=")
    if not separator or not key:
        _fail(f"{option} must be KEY=VALUE" + (" (the key is empty)" if separator else " (no '=' given)"))
    return key, value


def _gather(literals: tuple[str, ...], files: tuple[str, ...], what: str) -> dict[str, bytes]:
    data: dict[str, bytes] = {}

    def add(key: str, value: bytes, option: str) -> None:
        if key in data:
            _fail(f"{what}: key {key!r} is given twice ({option})")
        data[key] = value

    for literal in literals:
        key, value = _split(literal, "--from-literal")
        add(key, value.encode(), "--from-literal")
    for item in files:
        key, separator, path_text = item.partition("=")
        if not separator:
            key, path_text = Path(item).name, item
        path = Path(path_text).expanduser()
        try:
            add(key, path.read_bytes(), "--from-file")
        except OSError as error:
            _fail(f"{what}: --from-file {str(path)!r}: {error.strerror or error}")
    if not data:
        _fail(f"{what}: give at least one --from-literal KEY=VALUE or --from-file [KEY=]PATH")
    return data


def _timestamp(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


def _info_json(info: NamedValues, with_values: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "namespace": info.namespace,
        "name": info.name,
        "keys": info.keys,
        "sizes": info.sizes,
        "created_at": _timestamp(info.created_at),
        "updated_at": _timestamp(info.updated_at),
    }
    if with_values and info.values is not None:
        document["data"] = info.values
    return document


def _objects_group(kind: str, command_name: str, noun: str, *, secret: bool) -> click.Group:
    """The ``create``/``list``/``get``/``delete`` commands of secrets or config maps."""
    namespace_option = click.option(
        "-n", "--namespace", default="default", show_default=True, help=f"The {noun}'s namespace."
    )
    database_option = click.option(
        "--database-url", envvar="SLUICE_DATABASE_URL", help="The store (default: $SLUICE_HOME/sluice.db)."
    )
    json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")

    @click.group(
        command_name, help=f"{kind} that tasks read (kfp-kubernetes' use_{noun.replace(' ', '_')}_as_env)."
    )
    def group() -> None:
        pass

    @group.command("create")
    @click.argument("name")
    @click.option(
        "--from-literal", "literals", multiple=True, metavar="KEY=VALUE", help="A key and its value."
    )
    @click.option(
        "--from-file",
        "files",
        multiple=True,
        metavar="[KEY=]PATH",
        help="A key and a file holding its value.",
    )
    @click.option("--replace", is_flag=True, help=f"Replace the {noun} if it exists.")
    @namespace_option
    @database_option
    def create(
        name: str,
        *,
        literals: tuple[str, ...],
        files: tuple[str, ...],
        replace: bool,
        namespace: str,
        database_url: str | None,
    ) -> None:
        data = _gather(literals, files, f"{noun} {name!r}")
        with _vault(database_url) as vault:
            if secret:
                vault.create_secret(name, data, namespace=namespace, replace=replace)
            else:
                text: dict[str, str] = {}
                for key, value in data.items():
                    try:
                        text[key] = value.decode("utf-8")
                    except UnicodeDecodeError:
                        _fail(f"{noun} {name!r}: the value of key {key!r} is not UTF-8 text")
                vault.create_config_map(name, text, namespace=namespace, replace=replace)
        keys = ", ".join(sorted(data))
        click.echo(
            f"{noun} {name!r} {'replaced' if replace else 'created'} in namespace {namespace!r} (keys: {keys})"
        )

    @group.command("list")
    @namespace_option
    @database_option
    @json_option
    def list_(namespace: str, database_url: str | None, as_json: bool) -> None:
        with _vault(database_url) as vault:
            items = vault.list_secrets(namespace) if secret else vault.list_config_maps(namespace)
        if as_json:
            click.echo(json.dumps([_info_json(item, with_values=False) for item in items], indent=2))
            return
        for item in items:
            click.echo(f"{item.name:<40} {len(item.keys):>3} key(s)  {_timestamp(item.updated_at)}")

    @group.command("get")
    @click.argument("name")
    @namespace_option
    @database_option
    @json_option
    def get(name: str, namespace: str, database_url: str | None, as_json: bool) -> None:
        with _vault(database_url) as vault:
            item = vault.get_secret(name, namespace) if secret else vault.get_config_map(name, namespace)
        if as_json:
            click.echo(json.dumps(_info_json(item, with_values=not secret), indent=2))
            return
        click.echo(f"{noun} {item.name}  namespace {item.namespace}  updated {_timestamp(item.updated_at)}")
        for key in item.keys:
            if secret or item.values is None:
                click.echo(f"  {key}: {item.sizes[key]} bytes")
            else:
                click.echo(f"  {key}: {item.values[key]}")

    @group.command("delete")
    @click.argument("name")
    @namespace_option
    @database_option
    def delete(name: str, namespace: str, database_url: str | None) -> None:
        with _vault(database_url) as vault:
            remove: Callable[[str, str], None] = vault.delete_secret if secret else vault.delete_config_map
            remove(name, namespace)
        click.echo(f"{noun} {name!r} deleted from namespace {namespace!r}")

    return group


def register(group: click.Group) -> None:
    """Add ``secrets`` and ``configmaps`` to the ``sluice`` command."""
    group.add_command(_objects_group("Secrets", "secrets", "secret", secret=True))
    group.add_command(_objects_group("Config maps", "configmaps", "config map", secret=False))
