"""CLI verbs on the pipeline service: ``sluice pipelines|experiments|recurring ...`` and ``sluice runs
submit|logs|retry``, through ``sluice.Client``.

``sluice runs list|get|terminate`` belong to the local engine's CLI; with ``--host`` (or ``$SLUICE_HOST`` /
``$KF_PIPELINES_ENDPOINT``) set they talk to the service instead, with the same options and output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

if TYPE_CHECKING:
    from sluice.client import Client, Run

__all__ = ["register"]

_REMOTE_HELP = "Ask this pipeline service instead of the local $SLUICE_HOME ($SLUICE_HOST or $KF_PIPELINES_ENDPOINT do too)."
_HOST_HELP = (
    "The pipeline service (default: $SLUICE_HOST, $KF_PIPELINES_ENDPOINT, else http://127.0.0.1:8888)."
)


def _host_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--host", default=None, metavar="URL", help=_HOST_HELP)(function)


@contextmanager
def _client(host: str | None) -> Iterator[Client]:
    from sluice.client import ApiError, Client

    client = Client(host)
    try:
        yield client
    except ApiError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(2 if 400 <= error.status < 500 else 1)
    finally:
        client.close()


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


class _Listed(Protocol):
    @property
    def raw(self) -> dict[str, Any]: ...


_Item = TypeVar("_Item", bound=_Listed)


def _echo_listing(items: Iterable[_Item], as_json: bool, line: Callable[[_Item], str]) -> None:
    """A list command's output: the items' JSON with ``--json``, else one line per item."""
    if as_json:
        _echo_json([item.raw for item in items])
        return
    for item in items:
        click.echo(line(item))


def _when(moment: Any) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else ""


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _arguments(pipeline_file: str | None, pairs: tuple[str, ...]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs, typed by the pipeline's inputs when the file is at hand (else JSON, else text)."""
    if pipeline_file is not None:
        from sluice.engine import PipelineInputError, parse_arguments
        from sluice.ir import IRError, read_pipeline

        try:
            return parse_arguments(read_pipeline(pipeline_file).spec, list(pairs))
        except (IRError, PipelineInputError) as error:
            raise click.UsageError(str(error)) from None
    arguments = {}
    for pair in pairs:
        name, separator, text = pair.partition("=")
        if not separator:
            raise click.UsageError(f"-p {pair!r}: expected NAME=VALUE")
        arguments[name] = _parse_value(text)
    return arguments


# ------------------------------------------------------------------------------------------------ pipelines


@click.group("pipelines")
def pipelines_group() -> None:
    """Pipelines uploaded to the service."""


@pipelines_group.command("upload")
@click.argument("package", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="The pipeline's name (default: the file's name).")
@click.option("--description")
@click.option(
    "--version", "version_of", metavar="PIPELINE_ID", help="Upload as a new version of this pipeline."
)
@_host_option
def upload_command(
    package: str, name: str | None, description: str | None, version_of: str | None, host: str | None
) -> None:
    """Upload a compiled pipeline (YAML/JSON, .zip or .tar.gz)."""
    with _client(host) as client:
        if version_of:
            version = client.upload_pipeline_version(package, version_of, name, description=description)
            click.echo(f"{version.pipeline_version_id}  version {version.name} of {version.pipeline_id}")
            return
        pipeline = client.upload_pipeline(package, name, description=description)
        click.echo(f"{pipeline.pipeline_id}  {pipeline.name}")


@pipelines_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@_host_option
def pipelines_list_command(limit: int, as_json: bool, host: str | None) -> None:
    """The newest pipelines first."""
    with _client(host) as client:
        page = client.list_pipelines(page_size=limit)
    _echo_listing(page, as_json, lambda item: f"{item.pipeline_id}  {_when(item.created_at):<25} {item.name}")


@pipelines_group.command("get")
@click.argument("pipeline")
@click.option("--json", "as_json", is_flag=True)
@_host_option
def pipelines_get_command(pipeline: str, as_json: bool, host: str | None) -> None:
    """A pipeline (by id or name) and its versions."""
    from sluice.client import ApiError

    with _client(host) as client:
        try:
            found = client.get_pipeline(pipeline)
        except ApiError as error:
            if error.status != 404:
                raise
            found = client.get_pipeline_by_name(pipeline)
        versions = client.list_pipeline_versions(found.pipeline_id)
    if as_json:
        _echo_json({**found.raw, "versions": [version.raw for version in versions]})
        return
    click.echo(f"pipeline {found.pipeline_id}  {found.name}  {found.description}".rstrip())
    for version in versions:
        click.echo(f"  version {version.pipeline_version_id}  {_when(version.created_at):<25} {version.name}")


@pipelines_group.command("delete")
@click.argument("pipeline_id")
@click.option("--cascade", is_flag=True, help="Delete its versions too.")
@_host_option
def pipelines_delete_command(pipeline_id: str, cascade: bool, host: str | None) -> None:
    """Delete a pipeline."""
    with _client(host) as client:
        client.delete_pipeline(pipeline_id, cascade=cascade)
    click.echo(f"deleted pipeline {pipeline_id}")


# ------------------------------------------------------------------------------------------------ experiments


@click.group("experiments")
def experiments_group() -> None:
    """Experiments on the service."""


@experiments_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@_host_option
def experiments_list_command(as_json: bool, host: str | None) -> None:
    """Every experiment, newest first."""
    with _client(host) as client:
        page = client.list_experiments(page_size=200)
    _echo_listing(
        page, as_json, lambda item: f"{item.experiment_id}  {item.storage_state:<9} {item.display_name}"
    )


@experiments_group.command("create")
@click.argument("name")
@click.option("--description", default="")
@_host_option
def experiments_create_command(name: str, description: str, host: str | None) -> None:
    """Create an experiment."""
    with _client(host) as client:
        experiment = client.create_experiment(name, description=description)
    click.echo(f"{experiment.experiment_id}  {experiment.display_name}")


def _id_action(noun: str, verb: str, method: str) -> click.Command:
    """``sluice <nouns> <verb> ID``: one client call on one object, and what was done."""
    argument = f"{noun.replace(' ', '_')}_id"

    article = "an" if noun[0] in "aeiou" else "a"

    @click.command(verb, help=f"{verb.capitalize()} {article} {noun}.")
    @click.argument(argument)
    @_host_option
    def command(host: str | None, **arguments: str) -> None:
        with _client(host) as client:
            getattr(client, method)(arguments[argument])
        click.echo(f"{verb}d {noun} {arguments[argument]}")

    return command


for _verb, _method in (
    ("archive", "archive_experiment"),
    ("unarchive", "unarchive_experiment"),
    ("delete", "delete_experiment"),
):
    experiments_group.add_command(_id_action("experiment", _verb, _method))


# ------------------------------------------------------------------------------------------------ runs


def _experiment_id(client: Client, name_or_id: str | None) -> str | None:
    if not name_or_id:
        return None
    found = client.find_experiment(name_or_id)
    if found is not None:
        return found.experiment_id
    return name_or_id


def _print_run(run: Run) -> None:
    click.echo(f"run {run.run_id}  {run.display_name}  {run.state}")
    if run.error:
        click.echo(f"error: {run.error}")
    for task in run.tasks:
        if task.path == "root":
            continue
        outputs = json.dumps(task.outputs) if task.outputs else ""
        click.echo(f"  {task.state:<9} {task.path:<48} {outputs[:60]} {task.error or ''}".rstrip())


@click.command("submit")
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option(
    "-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A pipeline input (repeatable)."
)
@click.option("--name", help="The run's name.")
@click.option("--experiment", help="Experiment name or id (default: Default).")
@click.option("--pipeline-id", help="Run an uploaded pipeline (its newest version) instead of a file.")
@click.option("--version-id", help="Run this version of an uploaded pipeline.")
@click.option(
    "--wait", "wait_for_it", is_flag=True, help="Wait for the run to end; exit 0 only if it succeeded."
)
@click.option("--json", "as_json", is_flag=True)
@_host_option
def submit_command(  # noqa: PLR0917  (click passes options positionally)
    pipeline: str | None,
    params: tuple[str, ...],
    name: str | None,
    experiment: str | None,
    pipeline_id: str | None,
    version_id: str | None,
    wait_for_it: bool,
    as_json: bool,
    host: str | None,
) -> None:
    """Submit PIPELINE (a compiled file) to the service, which runs it in the background."""
    if (pipeline is None) == (pipeline_id is None and version_id is None):
        raise click.UsageError("give a PIPELINE file, or --pipeline-id/--version-id of an uploaded pipeline")
    arguments = _arguments(pipeline, params)
    with _client(host) as client:
        run = client.submit(
            pipeline,
            arguments,
            name=name,
            experiment_id=_experiment_id(client, experiment),
            pipeline_id=pipeline_id,
            pipeline_version_id=version_id,
        )
        if wait_for_it:
            run = client.wait(run.run_id)
    if as_json:
        _echo_json(run.raw)
    else:
        click.echo(f"run {run.run_id} {run.state}")
    if wait_for_it:
        sys.exit(0 if run.succeeded else 1)


@click.command("logs")
@click.argument("run_id")
@click.argument("task")
@click.option("-f", "--follow", is_flag=True, help="Keep printing while the task runs.")
@_host_option
def logs_command(run_id: str, task: str, follow: bool, host: str | None) -> None:
    """Print TASK's log (a task id, path or name) of a run on the service."""
    with _client(host) as client:
        for chunk in client.logs(run_id, task, follow=follow):
            click.echo(chunk, nl=False)


@click.command("retry")
@click.argument("run_id")
@_host_option
def retry_command(run_id: str, host: str | None) -> None:
    """Retry a failed run on the service: failed tasks run again, succeeded ones keep their outputs."""
    with _client(host) as client:
        client.retry_run(run_id)
    click.echo(f"run {run_id} retried")


def _remote_list(host: str, limit: int, as_json: bool) -> None:
    with _client(host) as client:
        page = client.list_runs(page_size=limit)

    def line(run: Run) -> str:
        error = f"  {run.error}" if run.error else ""
        return f"{run.run_id}  {run.state:<10} {_when(run.created_at):<25} {run.display_name}{error}"

    _echo_listing(page, as_json, line)


def _remote_get(host: str, run_id: str, as_json: bool) -> None:
    with _client(host) as client:
        run = client.get_run(run_id)
    if as_json:
        _echo_json(run.raw)
        return
    _print_run(run)


def _remote_terminate(host: str, run_id: str, wait: float) -> None:
    with _client(host) as client:
        client.terminate_run(run_id)
        try:
            run = client.wait(run_id, timeout=wait, poll_interval=0.2)
        except TimeoutError:
            run = client.get_run(run_id)
    click.echo(f"run {run.run_id} {run.state}")


def _serve_remotely(command: click.Command, remote: Callable[..., None]) -> None:
    """Give a local ``runs`` command a --host: with one (or $SLUICE_HOST set) it asks the service."""
    # sluice._home, not sluice.client: deciding local or remote must not import httpx for every command.
    from sluice._home import configured_host

    local = command.callback
    assert local is not None
    command.params.append(
        click.Option(["--host"], default=None, metavar="URL", help=_HOST_HELP + " Local if unset.")
    )

    def callback(host: str | None, **options: Any) -> Any:
        resolved = host or configured_host()
        if resolved:
            return remote(resolved, **options)
        return local(**options)

    command.callback = callback


# ------------------------------------------------------------------------------------------------ recurring


@click.group("recurring")
def recurring_group() -> None:
    """Recurring runs on the service (cron or periodic schedules)."""


@recurring_group.command("create")
@click.argument("name")
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE")
@click.option("--cron", help="A cron expression: 5 fields, or KFP's 6 (seconds first).")
@click.option("--time-zone", help="The cron expression's IANA time zone (default UTC).")
@click.option("--every", "interval", type=click.IntRange(min=1), help="Or: run every N seconds.")
@click.option("--max-concurrency", type=click.IntRange(1, 10), default=1, show_default=True)
@click.option("--no-catchup", is_flag=True, help="After a pause, fire only the latest missed slot.")
@click.option("--experiment", help="Experiment name or id.")
@click.option("--pipeline-id")
@click.option("--version-id")
@_host_option
def recurring_create_command(  # noqa: PLR0917  (click passes options positionally)
    name: str,
    pipeline: str | None,
    params: tuple[str, ...],
    cron: str | None,
    time_zone: str | None,
    interval: int | None,
    max_concurrency: int,
    no_catchup: bool,
    experiment: str | None,
    pipeline_id: str | None,
    version_id: str | None,
    host: str | None,
) -> None:
    """Create a recurring run of PIPELINE (a compiled file) or of an uploaded pipeline."""
    if (cron is None) == (interval is None):
        raise click.UsageError("give --cron or --every")
    if (pipeline is None) == (pipeline_id is None and version_id is None):
        raise click.UsageError("give a PIPELINE file, or --pipeline-id/--version-id of an uploaded pipeline")
    with _client(host) as client:
        recurring = client.create_recurring_run(
            name,
            pipeline,
            _arguments(pipeline, params),
            cron=cron,
            time_zone=time_zone,
            interval_seconds=interval,
            max_concurrency=max_concurrency,
            no_catchup=no_catchup,
            experiment_id=_experiment_id(client, experiment),
            pipeline_id=pipeline_id,
            pipeline_version_id=version_id,
        )
    click.echo(f"{recurring.recurring_run_id}  {recurring.status}  next {_when(recurring.next_fire_time)}")


@recurring_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@_host_option
def recurring_list_command(as_json: bool, host: str | None) -> None:
    """Every recurring run."""
    with _client(host) as client:
        page = client.list_recurring_runs(page_size=200)
    _echo_listing(
        page,
        as_json,
        lambda item: (
            f"{item.recurring_run_id}  {item.status:<8} next {_when(item.next_fire_time):<25} "
            f"{item.display_name}"
        ),
    )


@recurring_group.command("get")
@click.argument("recurring_run_id")
@_host_option
def recurring_get_command(recurring_run_id: str, host: str | None) -> None:
    """A recurring run, as JSON."""
    with _client(host) as client:
        _echo_json(client.get_recurring_run(recurring_run_id).raw)


for _verb, _method in (
    ("enable", "enable_recurring_run"),
    ("disable", "disable_recurring_run"),
    ("delete", "delete_recurring_run"),
):
    recurring_group.add_command(_id_action("recurring run", _verb, _method))


def register(group: click.Group) -> None:
    """Add the service's verbs to the ``sluice`` command (after the engine's ``runs`` group exists)."""
    group.add_command(pipelines_group)
    group.add_command(experiments_group)
    group.add_command(recurring_group)
    runs = group.commands.get("runs")
    if not isinstance(runs, click.Group):
        runs = click.Group("runs", help="Runs on the service.")
        group.add_command(runs)
    for command in (submit_command, logs_command, retry_command):
        runs.add_command(command)
    remote_versions: dict[str, Callable[..., None]] = {
        "list": _remote_list,
        "get": _remote_get,
        "terminate": _remote_terminate,
    }
    for name, remote in remote_versions.items():
        local = runs.commands.get(name)
        if local is not None:
            _serve_remotely(local, remote)
