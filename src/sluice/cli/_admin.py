"""``sluice admin``: users, API tokens, namespaces, quotas and the audit log of a multi-user Sluice.

It works on the store directly, like the server (``$SLUICE_HOME``, or ``--database-url`` /
``$SLUICE_DATABASE_URL``), so the first admin can be made before the server runs. A token is printed once,
when it is made; only its hash is kept. Other modules add their own subgroups to :data:`admin_group`
(``admin_group.add_command(...)``).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from sluice.auth import Directory, Quota

__all__ = ["admin_group", "login_command", "register"]

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _database_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--database-url", envvar="SLUICE_DATABASE_URL", help="The store (default: $SLUICE_HOME/sluice.db)."
    )(function)


def _json_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(function)


def _audit(directory: Directory, action: str, *, target: str = "", namespace: str = "") -> None:
    """Administration is a write too: recorded as done by the operating-system user at this machine."""
    directory.audit(
        f"cli:{getpass.getuser()}",
        f"admin {action}",
        namespace=namespace,
        target=target,
        source="cli",
        status=200,
    )


@contextmanager
def _directory(database_url: str | None) -> Iterator[Directory]:
    from sluice.auth import AuthError, Directory
    from sluice.engine import Workspace
    from sluice.store import StoreError

    workspace = Workspace.resolve(database_url=database_url)
    try:
        with workspace.store() as store:
            yield Directory(store)
    except (AuthError, StoreError) as error:
        _fail(str(error))


def _print_rows(rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    """A listing: the rows as one JSON array, or one line of text each."""
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(line(row).rstrip())


def _timestamp(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _duration(text: str | None) -> timedelta | None:
    if text is None:
        return None
    unit = text[-1:].lower()
    try:
        if unit in _DURATION_UNITS:
            return timedelta(seconds=float(text[:-1]) * _DURATION_UNITS[unit])
        return timedelta(days=float(text))
    except ValueError:
        _fail(f"--expires-in {text!r} is not a duration (e.g. 30d, 12h, 90m)")


def _quota(
    gpus: int | None, cpus: str | None, memory: str | None, runs: int | None, tasks: int | None
) -> Quota:
    from sluice.auth import Quota
    from sluice.engine import parse_cpu, parse_memory

    try:
        return Quota(
            gpus=gpus,
            cpus=parse_cpu(cpus) if cpus is not None else None,
            memory_bytes=parse_memory(memory) if memory is not None else None,
            running_runs=runs,
            running_tasks=tasks,
        )
    except ValueError as error:
        _fail(str(error))


def _quota_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--gpus", type=click.IntRange(min=0), help="GPUs its tasks hold at once."),
        click.option("--cpus", metavar="QUANTITY", help="CPUs its tasks hold at once ('4', '500m')."),
        click.option("--memory", metavar="SIZE", help="Memory its tasks hold at once ('16Gi')."),
        click.option("--max-running-runs", "runs", type=click.IntRange(min=0), help="Runs running at once."),
        click.option(
            "--max-running-tasks", "tasks", type=click.IntRange(min=0), help="Tasks running at once."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group("admin")
def admin_group() -> None:
    """Administer a multi-user Sluice (sluice up --multi-user): users, tokens, namespaces, quotas, audit."""


# ------------------------------------------------------------------------------------------------------ users


@admin_group.group("users")
def users_group() -> None:
    """Users: each signs in with API tokens."""


@users_group.command("create")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="A platform admin: every role in every namespace.")
@_json_option
@_database_option
def create_user(name: str, is_admin: bool, as_json: bool, database_url: str | None) -> None:
    """Make a user and print their first API token (once: it is not kept, only its hash)."""
    with _directory(database_url) as directory:
        token = directory.create_user(name, admin=is_admin)
        _audit(directory, "users create", target=name)
    if as_json:
        click.echo(json.dumps({"name": name, "token": token}))
    else:
        click.echo(
            f"created user {name}{' (platform admin)' if is_admin else ''}; their API token (shown once):"
        )
        click.echo(token)


@users_group.command("list")
@_json_option
@_database_option
def list_users(as_json: bool, database_url: str | None) -> None:
    """The users, whether admin or disabled, and their namespaces with roles."""
    with _directory(database_url) as directory:
        users = directory.list_users()
    rows = [
        {
            "name": u.name,
            "admin": u.is_admin,
            "disabled": u.disabled,
            "namespaces": u.namespaces,
            "created_at": _timestamp(u.created_at),
        }
        for u in users
    ]

    def line(row: dict[str, Any]) -> str:
        flags = ", ".join(flag for flag in ("admin", "disabled") if row[flag])
        roles = " ".join(f"{ns}:{role}" for ns, role in sorted(row["namespaces"].items()))
        return f"{row['name']}{f' ({flags})' if flags else ''}  {roles}"

    _print_rows(rows, as_json, line)


@users_group.command("disable")
@click.argument("name")
@_database_option
def disable_user(name: str, database_url: str | None) -> None:
    """Refuse every token of this user from now on (``enable`` undoes it)."""
    with _directory(database_url) as directory:
        directory.set_disabled(name, True)
        _audit(directory, "users disable", target=name)
    click.echo(f"disabled user {name}")


@users_group.command("enable")
@click.argument("name")
@_database_option
def enable_user(name: str, database_url: str | None) -> None:
    """Accept this user's tokens again."""
    with _directory(database_url) as directory:
        directory.set_disabled(name, False)
        _audit(directory, "users enable", target=name)
    click.echo(f"enabled user {name}")


@users_group.command("delete")
@click.argument("name")
@_database_option
def delete_user(name: str, database_url: str | None) -> None:
    """Delete a user, their tokens and memberships (what they created stays)."""
    with _directory(database_url) as directory:
        directory.delete_user(name)
        _audit(directory, "users delete", target=name)
    click.echo(f"deleted user {name}")


# ----------------------------------------------------------------------------------------------------- tokens


@admin_group.group("tokens")
def tokens_group() -> None:
    """API tokens: several per user, each with an optional expiry."""


@tokens_group.command("create")
@click.argument("user")
@click.option("--expires-in", metavar="DURATION", help="e.g. 30d, 12h (default: never).")
@click.option("--description", default="", help="What the token is for.")
@_json_option
@_database_option
def create_token(
    user: str, expires_in: str | None, description: str, as_json: bool, database_url: str | None
) -> None:
    """Make another token for USER and print it (once)."""
    with _directory(database_url) as directory:
        token = directory.create_token(user, expires_in=_duration(expires_in), description=description)
        _audit(directory, "tokens create", target=user)
    click.echo(json.dumps({"name": user, "token": token}) if as_json else token)


@tokens_group.command("list")
@click.argument("user", required=False)
@_json_option
@_database_option
def list_tokens(user: str | None, as_json: bool, database_url: str | None) -> None:
    """Tokens (their ids, never the tokens), of USER or everyone."""
    with _directory(database_url) as directory:
        tokens = directory.list_tokens(user)
    rows = [
        {
            "id": t.id,
            "user": t.user,
            "description": t.description,
            "created_at": _timestamp(t.created_at),
            "expires_at": _timestamp(t.expires_at),
            "revoked_at": _timestamp(t.revoked_at),
        }
        for t in tokens
    ]

    def line(row: dict[str, Any]) -> str:
        expiry = f"expires {row['expires_at']}" if row["expires_at"] else ""
        return (
            f"{row['id']}  {row['user']}  {row['description']}  {'revoked' if row['revoked_at'] else expiry}"
        )

    _print_rows(rows, as_json, line)


@tokens_group.command("revoke")
@click.argument("token_id")
@_database_option
def revoke_token(token_id: str, database_url: str | None) -> None:
    """Revoke a token by its id (``sluice admin tokens list``)."""
    with _directory(database_url) as directory:
        directory.revoke_token(token_id)
        _audit(directory, "tokens revoke", target=token_id)
    click.echo(f"revoked token {token_id}")


# ------------------------------------------------------------------------------------------------- namespaces


@admin_group.group("namespaces")
def namespaces_group() -> None:
    """Namespaces (Kubeflow's profiles): members with roles owner|edit|view, and quotas."""


@namespaces_group.command("create")
@click.argument("namespace")
@click.option("--owner", required=True, metavar="USER", help="Its first owner.")
@_quota_options
@_database_option
def create_namespace(  # noqa: PLR0917  (click passes options positionally)
    namespace: str,
    owner: str,
    gpus: int | None,
    cpus: str | None,
    memory: str | None,
    runs: int | None,
    tasks: int | None,
    database_url: str | None,
) -> None:
    """Make a namespace with an owner and optional quotas (none: no limit)."""
    quota = _quota(gpus, cpus, memory, runs, tasks)
    with _directory(database_url) as directory:
        directory.create_namespace(namespace, owner=owner, quota=quota)
        _audit(directory, "namespaces create", target=namespace, namespace=namespace)
    click.echo(f"created namespace {namespace} (owner {owner})")


@namespaces_group.command("set-quota")
@click.argument("namespace")
@_quota_options
@_database_option
def set_quota(  # noqa: PLR0917
    namespace: str,
    gpus: int | None,
    cpus: str | None,
    memory: str | None,
    runs: int | None,
    tasks: int | None,
    database_url: str | None,
) -> None:
    """Replace a namespace's quotas (a limit not given is lifted)."""
    quota = _quota(gpus, cpus, memory, runs, tasks)
    with _directory(database_url) as directory:
        directory.set_quota(namespace, quota)
        _audit(directory, "namespaces set-quota", target=namespace, namespace=namespace)
    click.echo(f"set the quotas of {namespace}")


@namespaces_group.command("add-member")
@click.argument("namespace")
@click.argument("user")
@click.option("--role", type=click.Choice(["owner", "edit", "view"]), required=True)
@_database_option
def add_member(namespace: str, user: str, role: str, database_url: str | None) -> None:
    """Give USER a role in NAMESPACE (or change it)."""
    with _directory(database_url) as directory:
        directory.set_member(namespace, user, role)
        _audit(directory, f"namespaces add-member --role {role}", target=user, namespace=namespace)
    click.echo(f"{user} is {role} in {namespace}")


@namespaces_group.command("remove-member")
@click.argument("namespace")
@click.argument("user")
@_database_option
def remove_member(namespace: str, user: str, database_url: str | None) -> None:
    """Take USER out of NAMESPACE."""
    with _directory(database_url) as directory:
        directory.remove_member(namespace, user)
        _audit(directory, "namespaces remove-member", target=user, namespace=namespace)
    click.echo(f"removed {user} from {namespace}")


@namespaces_group.command("list")
@_json_option
@_database_option
def list_namespaces(as_json: bool, database_url: str | None) -> None:
    """Namespaces with their members and quotas."""
    with _directory(database_url) as directory:
        namespaces = directory.list_namespaces()
    rows = [{"name": n.name, "members": n.members, "quota": n.quota.as_json()} for n in namespaces]

    def line(row: dict[str, Any]) -> str:
        limits = ", ".join(f"{k}={v:g}" for k, v in row["quota"].items() if v is not None)
        members = " ".join(f"{user}:{role}" for user, role in sorted(row["members"].items()))
        return f"{row['name']}  {members}  {limits or 'no quota'}"

    _print_rows(rows, as_json, line)


# ------------------------------------------------------------------------------------------------------ audit


@admin_group.command("audit")
@click.option("-n", "--namespace", default=None, help="Only this namespace's entries.")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True)
@_json_option
@_database_option
def audit(namespace: str | None, limit: int, as_json: bool, database_url: str | None) -> None:
    """Every write: who, what, when, from where, and the answer's status."""
    with _directory(database_url) as directory:
        entries = directory.audit_entries(namespace=namespace, limit=limit)
    rows = [
        {
            "at": _timestamp(e.at),
            "actor": e.actor,
            "action": e.action,
            "namespace": e.namespace,
            "target": e.target,
            "source": e.source,
            "status": e.status,
        }
        for e in entries
    ]

    def line(row: dict[str, Any]) -> str:
        return (
            f"{row['at']}  {row['actor']}  {row['action']} {row['target']}  "
            f"[{row['namespace'] or '-'}] from {row['source'] or '-'} -> {row['status']}"
        )

    _print_rows(rows, as_json, line)


# ------------------------------------------------------------------------------------------------------ login


@click.command("login")
@click.option("--host", required=True, metavar="URL", help="The service, e.g. https://sluice.example.com.")
@click.option("--token", prompt=True, hide_input=True, help="Your API token (asked for when not given).")
def login_command(host: str, token: str) -> None:
    """Save your API token for HOST (a 0600 file in your config folder); sluice's client commands and
    sluice.Client use it."""
    from sluice._credentials import save_login
    from sluice.client import ApiError, Client

    with Client(host, token=token) as client:
        try:
            identity = client.whoami()
        except ApiError as error:
            _fail(f"{host} refused the token: {error.message}")
    path = save_login(client.host, token)
    click.echo(f"signed in as {identity.get('name')}; saved the token for {client.host} in {path}")


def register(group: click.Group) -> None:
    """Add ``admin`` and ``login`` to the ``sluice`` command."""
    group.add_command(admin_group)
    group.add_command(login_command)
