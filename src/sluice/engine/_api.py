"""Running, resuming and terminating runs: the functions behind ``sluice.run`` and ``sluice run/runs``."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Row, select

from sluice._errors import SluiceError
from sluice.artifacts import ArtifactStore
from sluice.engine._arguments import complete_arguments
from sluice.engine._context import EngineOptions
from sluice.engine._engine import RunEngine
from sluice.engine._errors import EngineError, LauncherUnavailableError, PipelineInputError
from sluice.engine._load import load_pipeline
from sluice.engine._observer import RunObserver
from sluice.engine._ownership import LEASE_STALE_AFTER, engine_owner_id, kill_run_processes, owner_is_dead
from sluice.engine._result import RunResult, load_run_result
from sluice.engine._stop import StopToken
from sluice.engine._workspace import Workspace
from sluice.ir import PipelineDocument, PipelineSpec, PlatformSpec
from sluice.launchers import Launcher, LauncherError, open_launcher, personal_environment
from sluice.sandbox import Profile
from sluice.store import TERMINAL_STATES, RuntimeState, RunWriter, Store, StoreError, tables, utcnow

__all__ = [
    "Workspace",
    "create_run",
    "drive_run",
    "engine_options",
    "resume_run",
    "run_pipeline",
    "terminate_run",
]

_S = RuntimeState


def _display_name(spec: PipelineSpec | None, source: Any) -> str:
    name = spec.pipeline_info.name if spec is not None and spec.pipeline_info else None
    if not name:
        name = Path(str(source)).stem if isinstance(source, str | os.PathLike) else "pipeline"
    return f"{name}-{utcnow().strftime('%Y%m%d-%H%M%S')}"


def _record_failed_run(
    store: Store, spec_dict: dict[str, Any], display_name: str, message: str, arguments: dict[str, Any]
) -> str:
    """A run that could not start, recorded FAILED with the reason (and nothing else touched)."""
    with store.transaction() as connection:
        run = store.create_run(
            pipeline_spec=spec_dict,
            display_name=display_name,
            runtime_config={"parameters": _jsonable(arguments)},
            session=connection,
        )
        store.transition_run(run.id, _S.FAILED, error={"message": message}, session=connection)
        return str(run.id)


def _jsonable(arguments: dict[str, Any]) -> dict[str, Any]:
    import json

    safe: dict[str, Any] = {}
    for name, value in arguments.items():
        try:
            json.dumps(value)
            safe[name] = value
        except (TypeError, ValueError):
            safe[name] = repr(value)
    return safe


def engine_options(options: EngineOptions | None, settings: Mapping[str, Any], what: str) -> EngineOptions:
    """``options`` (default: EngineOptions()) with ``settings`` (EngineOptions fields by name) applied."""
    known = {field.name for field in dataclasses.fields(EngineOptions)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TypeError(
            f"{what}() got an unexpected keyword argument {unknown[0]!r} "
            f"(settings are EngineOptions fields: {', '.join(sorted(known))})"
        )
    return dataclasses.replace(options or EngineOptions(), **settings)


def create_run(
    store: Store,
    document: PipelineDocument,
    arguments: dict[str, Any],
    *,
    display_name: str,
    pipeline_root: str,
    cache: bool,
    profile: str | None = None,
) -> Row[Any]:
    """Record a new PENDING run of a checked pipeline with complete arguments, for :func:`drive_run`
    (``profile``: the execution profile it asked for, kept with it for every resume)."""
    return store.create_run(
        pipeline_spec=document.spec.to_dict(),
        platform_spec=document.platform_spec.to_dict() if document.platform_spec else None,
        display_name=display_name,
        runtime_config={
            "parameters": arguments,
            "pipelineRoot": pipeline_root,
            **({"profile": profile} if profile else {}),
        },
        cache_enabled=cache,
    )


def run_pipeline(
    pipeline: Any,
    arguments: dict[str, Any] | None = None,
    *,
    pipeline_name: str | None = None,
    options: EngineOptions | None = None,
    home: str | os.PathLike[str] | None = None,
    database_url: str | None = None,
    pipeline_root: str | os.PathLike[str] | None = None,
    observer: RunObserver | None = None,
    stop: StopToken | None = None,
    workspace_root: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    **settings: Any,
) -> RunResult:
    """Run a pipeline to its end and return its summary.

    ``pipeline``: a compiled pipeline file (``.yaml``/``.json``, from Sluice or kfp), a Python file defining
    one pipeline, a pipeline object (``@dsl.pipeline``), or a ``PipelineSpec``. ``arguments`` are its input
    parameters (typed; defaults fill the rest). Everything is recorded under ``home`` (``$SLUICE_HOME``,
    default ``~/.sluice``). Arguments that do not fit the pipeline raise ``PipelineInputError`` and record
    nothing; so do an unusable store (``StoreError``) and an unusable artifact root (``EngineError`` naming
    it: a missing bucket, an unreachable endpoint). A pipeline that cannot start (a file that does not load
    or is not a valid PipelineSpec) gives a FAILED run whose ``error`` says why (the rule: ``sluice.SluiceError``).
    ``pipeline_root``: a folder or ``s3://bucket/prefix`` (default ``$SLUICE_HOME/artifacts``).

    How it runs is an :class:`EngineOptions` (``options``); its fields may also be given one by one as
    keywords (``cache=False``, ``parallelism=4``, ``handle_sigint=False``, ...), which override ``options``.
    ``task_timeout`` (seconds) applies to tasks without their own; a task's own timeout is its executor's
    ``activeDeadlineSeconds`` in the Kubernetes platform spec (kfp-kubernetes' ``set_timeout``).
    ``base_env``: what every task's environment starts from (its own variables go on top); default: this
    process's environment without Sluice's own settings (``SLUICE_*``), as on a person's own machine.
    ``launcher``: where tasks run, ``local`` (this machine) or ``ray`` (the nodes of the Ray cluster at
    ``ray_address``, default ``$RAY_ADDRESS``, else a new local Ray). A cluster Sluice cannot use (Ray
    missing or unreachable, several nodes with a local artifact root) is an ``EngineError`` before any run
    is created.

    ``stop``: once stopped, the engine kills the running tasks, records them back to PENDING with the
    token's reason, releases the run and returns; the run stays RUNNING, for :func:`drive_run`.

    ``workspace_root``: the folder the run's tasks share (``{{$.workspace_path}}``); default: a
    ``workspace`` folder in the run's folder. A resumed run uses the default.

    ``profile``: the execution profile its tasks run under (``sluice.sandbox``; default ``host``, a plain
    process); an unknown one, or a sandboxed one without bubblewrap, is an ``EngineError`` before any run
    is created. It is recorded with the run, and a resumed run keeps it.
    """
    if workspace_root is not None:
        settings = {**settings, "workspace": os.fspath(workspace_root)}
    options = engine_options(options, settings, "run_pipeline")
    workspace = Workspace.resolve(home, database_url, pipeline_root)
    options = dataclasses.replace(
        options, profile=_resolve_profile(workspace.home, profile, options.launcher)
    )
    artifacts = workspace.artifact_store()  # an unusable root (no bucket, bad endpoint) stops here, named
    task_launcher = _open_launcher(options, workspace.pipeline_root)
    given = dict(arguments or {})
    with workspace.store() as store:
        document: PipelineDocument | None = None
        try:
            document = load_pipeline(pipeline, pipeline_name).checked()
            complete = complete_arguments(document.spec, given)
        except PipelineInputError:
            task_launcher.close()
            raise
        except SluiceError as error:  # the file or spec is not a usable pipeline: a FAILED run says why
            spec_dict = document.spec.to_dict() if document is not None else {}
            run_id = _record_failed_run(
                store,
                spec_dict,
                _display_name(document.spec if document else None, pipeline),
                str(error),
                given,
            )
            task_launcher.close()
            return load_run_result(store, run_id)
        run = create_run(
            store,
            document,
            complete,
            display_name=_display_name(document.spec, pipeline),
            pipeline_root=workspace.pipeline_root,
            cache=options.cache,
            profile=profile,
        )
        owner = engine_owner_id()
        if not store.claim_run(run.id, owner, stale_after=LEASE_STALE_AFTER):
            task_launcher.close()
            raise EngineError(f"could not claim the new run {run.id}")
        return _drive(
            store,
            run,
            document,
            complete,
            options,
            artifacts=artifacts,
            home=workspace.home,
            observer=observer,
            owner=owner,
            resume=False,
            stop=stop,
            launcher=task_launcher,
        )


def drive_run(
    run_id: str,
    options: EngineOptions | None = None,
    *,
    home: str | os.PathLike[str] | None = None,
    database_url: str | None = None,
    observer: RunObserver | None = None,
    stop: StopToken | None = None,
    profile: str | None = None,
    **settings: Any,
) -> RunResult:
    """Claim a recorded run and drive it to its end: a new one (created by the service, or by
    :func:`create_run`), or one whose engine died or that a :class:`StopToken` stopped (finished tasks keep
    their results; tasks that were running or failed run again). Refuses a run another live engine still
    drives, and one that already ended. ``options`` and ``settings`` as for :func:`run_pipeline`; caching
    is the run's own setting unless they give ``cache`` (a run may be driven elsewhere than it started).
    ``profile``: default the one the run was created with, else its namespace's default."""
    cache = settings.pop("cache", None)  # None: the run's own setting (or that of ``options``, when given)
    use_runs_cache = cache is None and options is None
    options = engine_options(options, settings, "drive_run")
    if cache is not None:
        options = dataclasses.replace(options, cache=bool(cache))
    workspace = Workspace.resolve(home, database_url)
    with workspace.store() as store:
        run = _existing_run(store, run_id)
        if run.state in (_S.SUCCEEDED, _S.CANCELED, _S.SKIPPED):
            raise EngineError(f"run {run_id} already ended {run.state}; nothing to resume")
        if not run.pipeline_spec:
            raise EngineError(f"run {run_id} has no pipeline to resume (it failed before starting)")
        if use_runs_cache:
            options = dataclasses.replace(options, cache=run.cache_enabled)
        config = run.runtime_config or {}
        chosen = profile or config.get("profile") or _namespace_default_profile(store, workspace.home, run)
        options = dataclasses.replace(
            options, profile=_resolve_profile(workspace.home, chosen, options.launcher)
        )
        task_launcher = _open_launcher(options, str(config.get("pipelineRoot") or workspace.pipeline_root))
        owner = engine_owner_id()
        stale_after = timedelta(0) if owner_is_dead(run.lease_owner) else LEASE_STALE_AFTER
        if not store.claim_run(run_id, owner, stale_after=stale_after):
            task_launcher.close()
            raise EngineError(
                f"run {run_id} is driven by a live engine ({run.lease_owner}); terminate it first "
                f"(sluice runs terminate {run_id}) or wait for it"
            )
        document = PipelineDocument(
            PipelineSpec.from_dict(run.pipeline_spec),
            PlatformSpec.from_dict(run.platform_spec) if run.platform_spec else None,
        )
        if run.state is _S.CANCELING:
            task_launcher.close()
            _finish_cancel(store, run_id, "terminated on request")
            return load_run_result(store, run_id)
        arguments = dict(config.get("parameters") or {})
        return _drive(
            store,
            run,
            document,
            arguments,
            options,
            artifacts=workspace.artifact_store(config.get("pipelineRoot")),
            home=workspace.home,
            observer=observer,
            owner=owner,
            resume=True,
            stop=stop,
            launcher=task_launcher,
        )


def resume_run(run_id: str, *, cache: bool | None = None, **keywords: Any) -> RunResult:
    """Resume a run whose engine died (or retry a failed one): :func:`drive_run`, under the name the CLI's
    ``--resume`` uses. ``cache=None``: the run's own setting."""
    return drive_run(run_id, cache=cache, **keywords)


def _drive(
    store: Store,
    run: Row[Any],
    document: PipelineDocument,
    arguments: dict[str, Any],
    options: EngineOptions,
    *,
    artifacts: ArtifactStore,
    home: Path,
    observer: RunObserver | None,
    owner: str,
    resume: bool,
    stop: StopToken | None,
    launcher: Launcher,
) -> RunResult:
    """Drive a run this process has claimed to its end (from the start, or resumed); its summary after."""
    engine = RunEngine(
        store=store,
        run_id=run.id,
        spec=document.spec,
        platform_spec=document.platform_spec,
        arguments=arguments,
        artifact_store=artifacts,
        home=home,
        job_name=run.display_name,
        created_at=run.created_at,
        options=options,
        observer=observer,
        owner=owner,
        stop=stop,
        launcher=launcher,
    )
    engine.run(resume=resume)
    return load_run_result(store, run.id)


def _namespace_default_profile(store: Store, home: Path, run: Row[Any]) -> str | None:
    """The default profile of the run's namespace, for a run created without one (a recurring run's, one
    made by a client that predates profiles): a namespace's policy holds for every run in it."""
    from sluice.sandbox import ProfileError, get_policy

    with store.read_session() as session:
        namespace = session.execute(
            select(tables.experiments.c.namespace).where(tables.experiments.c.id == run.experiment_id)
        ).scalar_one_or_none()
        try:
            policy = get_policy(store, home, namespace or "default", session)
        except ProfileError as error:
            raise EngineError(str(error)) from None
    return None if policy.default == "host" else policy.default


def _resolve_profile(home: Path, name: Any, launcher: str) -> Profile | None:
    """The execution profile called ``name`` (None: ``host``); EngineError when it cannot be used here."""
    from sluice.sandbox import ProfileError, SandboxUnavailableError, profile_named, require_bwrap

    if not name:
        return None
    try:
        profile = profile_named(home, str(name))
        if profile.sandboxed:
            require_bwrap()
    except (ProfileError, SandboxUnavailableError) as error:
        raise EngineError(str(error)) from None
    if profile.sandboxed and launcher != "local":
        raise LauncherUnavailableError(
            f"--launcher {launcher}: execution profile {profile.name!r} runs tasks in a sandbox on this "
            "machine; use the local launcher"
        )
    return profile if profile.sandboxed else None


def _open_launcher(options: EngineOptions, artifact_root: str) -> Launcher:
    """The launcher the options ask for; EngineError naming the problem when it cannot be used."""
    try:
        return open_launcher(
            options.launcher,
            artifact_root=artifact_root,
            ray_address=options.ray_address,
            use_fork_server=options.use_fork_server,
            base_env=options.base_env if options.base_env is not None else personal_environment(),
        )
    except LauncherError as error:
        raise LauncherUnavailableError(f"--launcher {options.launcher}: {error}") from None


def _existing_run(store: Store, run_id: str) -> Row[Any]:
    run = store.get_run(run_id)
    if run is None:
        raise EngineError(f"no run {run_id!r} in {store.url}")
    return run


def _finish_cancel(store: Store, run_id: str, reason: str) -> None:
    """Cancel a run no engine drives: kill what it left running, mark what did not finish CANCELED."""
    kill_run_processes(run_id)
    task_table, runs = tables.tasks, tables.runs
    with store.transaction() as connection:
        tasks = connection.execute(
            select(task_table.c.id, task_table.c.path, task_table.c.state).where(
                task_table.c.run_id == run_id, task_table.c.state.not_in(TERMINAL_STATES)
            )
        ).all()
        writer = RunWriter(store, run_id)
        now = utcnow()
        for task in tasks:
            writer.know_task(task.id, task.path, task.state)
            writer.update_task(task.id, state=_S.CANCELED, message=reason, error=None, finished_at=now)
        writer.flush(connection)
        state = connection.scalar(select(runs.c.state).where(runs.c.id == run_id))
        if state is not _S.CANCELING:
            store.transition_run(run_id, _S.CANCELING, session=connection)
        store.transition_run(run_id, _S.CANCELED, error={"message": reason}, session=connection)
        store.release_run(run_id, session=connection)


def terminate_run(
    run_id: str,
    *,
    wait: float = 10.0,
    home: str | os.PathLike[str] | None = None,
    database_url: str | None = None,
) -> RunResult:
    """Ask the run's engine to cancel it (running tasks are killed); waits up to ``wait`` seconds for it.

    A run whose engine is gone is canceled here directly.
    """
    import time

    workspace = Workspace.resolve(home, database_url)
    with workspace.store() as store:
        run = _existing_run(store, run_id)
        if run.state in TERMINAL_STATES:
            return load_run_result(store, run_id)
        orphaned = owner_is_dead(run.lease_owner) or (
            run.lease_heartbeat_at is not None and utcnow() - run.lease_heartbeat_at > LEASE_STALE_AFTER
        )
        if orphaned:
            _finish_cancel(store, run_id, "terminated on request")
            return load_run_result(store, run_id)
        if run.state is not _S.CANCELING:
            try:
                store.transition_run(run_id, _S.CANCELING)
            except StoreError as error:
                raise EngineError(f"cannot terminate run {run_id}: {error}") from error
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with store.reading() as connection:
                state = connection.scalar(select(tables.runs.c.state).where(tables.runs.c.id == run_id))
            if state in TERMINAL_STATES:
                break
            time.sleep(0.1)
        return load_run_result(store, run_id)
