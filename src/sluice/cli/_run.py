"""``sluice run`` and ``sluice runs list|get|terminate``: run pipelines here and read them back later."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from sluice.cli._options import imports_without_gc, launcher_options

__all__ = ["register"]


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _print_result_text(result: Any) -> None:
    counts: dict[str, int] = {}
    for task in result.tasks:
        if task.kind in ("container", "importer"):
            counts[task.state] = counts.get(task.state, 0) + 1
    summary = ", ".join(f"{count} {state.lower()}" for state, count in sorted(counts.items())) or "no tasks"
    click.echo(f"run {result.run_id} {result.state}: {summary}", err=True)
    if result.error:
        click.echo(f"  error: {result.error}", err=True)
    for name, value in result.outputs.items():
        click.echo(f"  output {name} = {json.dumps(value)}", err=True)


@click.command("run")
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option(
    "-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A pipeline input (repeatable)."
)
@click.option(
    "--pipeline",
    "pipeline_name",
    help="Which pipeline of a .py file (default: the one no other pipeline in it calls).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON on stdout.")
@click.option("--no-cache", is_flag=True, help="Run every task, reusing no earlier result.")
@click.option(
    "--resume", "resume_id", metavar="RUN_ID", help="Resume this run instead of starting a new one."
)
@click.option("--parallelism", type=click.IntRange(min=1), help="Most tasks at once (default: CPU count).")
@click.option(
    "--gpus", type=click.IntRange(min=0), help="GPUs to hand out (default: $SLUICE_GPUS or nvidia-smi)."
)
@click.option("--task-timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds a task may run.")
@click.option("--stream-logs", is_flag=True, help="Print every task's output live, prefixed by its name.")
@click.option(
    "--artifact-root",
    envvar="SLUICE_ARTIFACT_ROOT",
    help="Where outputs and logs go: a folder or s3://bucket/prefix (default: $SLUICE_HOME/artifacts).",
)
@launcher_options
@click.option(
    "--profile",
    envvar="SLUICE_PROFILE",
    help="The execution profile its tasks run under: host, restricted or an admin's (sluice admin profiles list).",
)
def run_command(  # noqa: PLR0917  (click passes options positionally)
    pipeline: str | None,
    params: tuple[str, ...],
    pipeline_name: str | None,
    as_json: bool,
    no_cache: bool,
    resume_id: str | None,
    parallelism: int | None,
    gpus: int | None,
    task_timeout: float | None,
    stream_logs: bool,
    artifact_root: str | None,
    launcher: str,
    ray_address: str | None,
    profile: str | None,
) -> None:
    """Run PIPELINE (a compiled .yaml/.json, or a .py file), or resume a run (--resume); its tasks run on
    this machine, or on a Ray cluster's nodes with --launcher ray (docs/scaling.md).

    Exits 0 when the run SUCCEEDED. Everything is kept in $SLUICE_HOME (default ~/.sluice).
    A task's own timeout is its executor's activeDeadlineSeconds (kfp-kubernetes set_timeout).
    """
    if launcher == "local" and resume_id is None:
        # Its start overlaps the engine's imports below (the first task would otherwise wait for it).
        from sluice.launchers import personal_environment, start_fork_server_early

        start_fork_server_early(personal_environment())
    with imports_without_gc():
        from sluice._errors import SluiceError
        from sluice.engine import EngineError, PipelineInputError, parse_arguments, resume_run, run_pipeline
        from sluice.engine._console import ConsoleProgress
        from sluice.engine._load import load_pipeline
        from sluice.store import StoreError

    progress = ConsoleProgress()
    options: dict[str, Any] = {
        "parallelism": parallelism,
        "gpus": gpus,
        "task_timeout": task_timeout,
        "stream_logs": stream_logs,
        "observer": progress,
        "launcher": launcher,
        "ray_address": ray_address,
    }
    try:
        if profile is not None or resume_id is None:
            options["profile"] = _allowed_profile(profile)
        if resume_id is not None:
            result = resume_run(resume_id, cache=False if no_cache else None, **options)
        else:
            if pipeline is None:
                _fail("give a PIPELINE file to run, or --resume RUN_ID")
                return
            source: Any = pipeline
            if pipeline.endswith(".py"):
                # A Python file that does not load is the command's error (file:line, exit 2), not a run's.
                try:
                    source = load_pipeline(pipeline, pipeline_name)
                except SluiceError as error:
                    _fail(str(error))
                    return
            arguments: dict[str, Any] = {}
            if params:
                try:
                    source = load_pipeline(source, pipeline_name)
                    arguments = parse_arguments(source.document.spec, list(params))
                except PipelineInputError:
                    raise
                except SluiceError:
                    # Not a usable pipeline file: recorded as a FAILED run, which run_pipeline reports.
                    source, arguments = pipeline, {}
            result = run_pipeline(
                source,
                arguments,
                pipeline_name=pipeline_name,
                cache=not no_cache,
                pipeline_root=artifact_root,
                **options,
            )
    except (EngineError, StoreError) as error:
        _fail(str(error))
        return
    progress.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    _print_result_text(result)
    sys.exit(0 if result.succeeded else 1)


def _allowed_profile(requested: str | None) -> str | None:
    """The profile the default namespace's policy gives a run asking for ``requested``."""
    from sluice.engine import EngineError, Workspace
    from sluice.sandbox import ProfileError, choose_profile

    workspace = Workspace.resolve()
    with workspace.store() as store:
        try:
            chosen = choose_profile(store, workspace.home, "default", requested)
        except ProfileError as error:
            raise EngineError(f"--profile: {error}") from None
    return None if chosen == "host" and requested is None else chosen


@click.group("runs")
def runs_group() -> None:
    """Inspect and control runs recorded in $SLUICE_HOME."""


@runs_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_command(limit: int, as_json: bool) -> None:
    """The newest runs first."""
    from dataclasses import asdict

    with imports_without_gc():
        from sluice.engine import Workspace, list_runs

    with Workspace.resolve().store() as store:
        runs = list_runs(store, limit)
    if as_json:
        click.echo(json.dumps([asdict(run) for run in runs], indent=2))
        return
    for run in runs:
        error = f"  {run.error}" if run.error else ""
        click.echo(f"{run.run_id}  {run.state:<10} {run.created_at or '':<32} {run.display_name}{error}")


@runs_group.command("get")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
def get_command(run_id: str, as_json: bool) -> None:
    """A run and its tasks."""
    with imports_without_gc():
        from sluice.engine import Workspace, load_run_result
        from sluice.store import NotFoundError

    with Workspace.resolve().store() as store:
        try:
            result = load_run_result(store, run_id)
        except NotFoundError as error:
            _fail(str(error))
            return
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    click.echo(f"run {result.run_id}  {result.display_name}  {result.state}")
    if result.error:
        click.echo(f"error: {result.error}")
    for task in result.tasks:
        detail = task.error or task.message or ""
        outputs = json.dumps(task.outputs) if task.outputs else ""
        where = f" [node {task.node_address} {task.node_id[:12]}]" if task.node_id else ""
        click.echo(f"  {task.state:<9} {task.path:<48} {outputs[:60]} {detail}{where}".rstrip())


@runs_group.command("terminate")
@click.argument("run_id")
@click.option("--wait", type=float, default=10.0, show_default=True, help="Seconds to wait for it to end.")
def terminate_command(run_id: str, wait: float) -> None:
    """Cancel a run, also one running in another process: its running tasks are killed."""
    with imports_without_gc():
        from sluice.engine import EngineError, terminate_run

    try:
        result = terminate_run(run_id, wait=wait)
    except EngineError as error:
        _fail(str(error))
        return
    click.echo(f"run {result.run_id} {result.state}")


def register(group: click.Group) -> None:
    """Add ``run`` and ``runs`` to the ``sluice`` command."""
    group.add_command(run_command)
    group.add_command(runs_group)
