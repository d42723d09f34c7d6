"""Runs (KFP's RunService): create, list, get with task details, terminate, retry, archive, delete.

Sluice's extension: runs can be filtered and sorted by a scalar metric they logged. The filter key
``metric:NAME`` compares the metric's value (``int_value``, ``long_value``, ``double_value``, or a number in
``string_value``); ``sort_by=metric:NAME desc`` orders by it and lists only runs that logged it. A run that logged the metric
more than once is sorted by (and lists) the last value, and matches a filter when any value does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased, defer

from sluice import api
from sluice.server._auth import caller, visible_namespaces
from sluice.server._context import ServiceContext, service
from sluice.server._convert import MessageRoute, run_message, task_message
from sluice.server._errors import failed_precondition, invalid_argument, not_found
from sluice.server._listing import (
    FieldSpec,
    ListFields,
    ListQuery,
    compare,
    fetch_page,
    parse_list_request,
    values_by_owner,
)
from sluice.server._run_creation import (
    insert_run,
    resolve_experiment,
    resolve_pipeline_root,
    resolve_requested_pipeline,
    run_profile,
)
from sluice.server._schemas import RunIn
from sluice.store import ACTIVE_STATES, EventType, RuntimeState, StorageState
from sluice.store.models import (
    Context as MetadataContext,
)
from sluice.store.models import (
    Event,
    Execution,
    PipelineVersion,
    Run,
    RunMetric,
    RunStateHistory,
    Task,
    TaskStateHistory,
)

__all__ = ["METRIC_PREFIX", "RUN_FIELDS", "router"]

router = APIRouter(prefix="/apis/v2beta1", tags=["RunService"], route_class=MessageRoute)
Context = Annotated[ServiceContext, Depends(service)]

METRIC_PREFIX = "metric:"


def _metric_number(value: Any, where: str) -> float:
    raw = value[1] if isinstance(value, tuple) else value
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise invalid_argument(f"{where}: {raw!r} is not a number") from None
    if not math.isfinite(number):
        raise invalid_argument(f"{where}: {raw!r} is not a finite number")
    return number


def _metric_condition(
    name: str, operation: str, value: Any
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Runs that logged metric ``name`` with a value that satisfies the predicate."""
    where = f"filter on {METRIC_PREFIX}{name}"
    if operation == "IS_SUBSTRING":
        raise invalid_argument(f"{where}: IS_SUBSTRING does not apply to metric values")
    if operation == "IN":
        if not (isinstance(value, tuple) and value[0] == "list"):
            raise invalid_argument(f"{where}: IN takes int_values/long_values/string_values")
        numbers = [_metric_number(item, where) for item in value[1]]
        test: ColumnElement[bool] = RunMetric.value.in_(numbers)
    else:
        if isinstance(value, tuple) and value[0] == "list":
            raise invalid_argument(f"{where}: only IN takes a list of values")
        test = compare(RunMetric.value, operation, _metric_number(value, where))
    matching = select(RunMetric.run_id).where(RunMetric.name == name, test)
    # A page walks the sort order and probes each run (it stops after 50); a count scans the (name, value)
    # index range once instead of probing every run.
    return exists(matching.where(RunMetric.run_id == Run.id)), Run.id.in_(matching)


def _latest_metric(metric: Any) -> ColumnElement[bool]:
    """``metric`` is the last value its run logged under its name (a run may log one several times)."""
    later = aliased(RunMetric)
    return ~exists(
        select(later.id).where(later.run_id == metric.run_id, later.name == metric.name, later.id > metric.id)
    )


RUN_FIELDS = ListFields(
    {
        "run_id": FieldSpec(Run.id),
        "id": FieldSpec(Run.id),
        "display_name": FieldSpec(Run.display_name),
        "name": FieldSpec(Run.display_name),
        "description": FieldSpec(Run.description),
        "created_at": FieldSpec(Run.created_at, "time"),
        "scheduled_at": FieldSpec(Run.scheduled_at, "time"),
        "finished_at": FieldSpec(Run.finished_at, "time"),
        "state": FieldSpec(Run.state, "enum", RuntimeState),
        "storage_state": FieldSpec(Run.storage_state, "enum", StorageState),
        "experiment_id": FieldSpec(Run.experiment_id),
        "pipeline_version_id": FieldSpec(Run.pipeline_version_id),
        "recurring_run_id": FieldSpec(Run.recurring_run_id),
        "service_account": FieldSpec(Run.service_account),
    },
    prefixed={METRIC_PREFIX: _metric_condition},
)


def get_run_row(session: Session, run_id: str, *, lock: bool = False) -> Run:
    run = session.get(Run, run_id, with_for_update=lock)
    if run is None:
        raise not_found(f"run {run_id!r} does not exist")
    return run


def _pipeline_ids(session: Session, version_ids: set[str]) -> dict[str, str]:
    if not version_ids:
        return {}
    rows = session.execute(
        select(PipelineVersion.id, PipelineVersion.pipeline_id).where(PipelineVersion.id.in_(version_ids))
    )
    return {str(version_id): str(pipeline_id) for version_id, pipeline_id in rows}


def _add_cache_sources(session: Session, details: list[api.PipelineTaskDetail]) -> None:
    """Cached tasks name the run (and task path) they reused, so a client can link to it (Sluice's extension)."""
    sources = {detail.cached_from_task_id for detail in details if detail.cached_from_task_id}
    if not sources:
        return
    rows = session.execute(select(Task.id, Task.run_id, Task.path).where(Task.id.in_(sources)))
    found = {str(task_id): (str(run_id), str(path)) for task_id, run_id, path in rows}
    for detail in details:
        source = found.get(detail.cached_from_task_id or "")
        if source is not None:
            detail.cached_from_run_id, detail.cached_from_task_path = source


def inline_pipeline_names(session: Session, run_ids: list[str]) -> dict[str, str]:
    """The pipeline name (``pipelineInfo.name``) of runs created from a package rather than a stored version:
    lists leave specs out, so this is their only way to show which pipeline ran (Sluice's extension)."""
    if not run_ids:
        return {}
    names = {}
    for run_id, spec in session.execute(select(Run.id, Run.pipeline_spec).where(Run.id.in_(run_ids))):
        info = (spec or {}).get("pipelineInfo") if isinstance(spec, dict) else None
        name = info.get("name") if isinstance(info, dict) else None
        if isinstance(name, str) and name:
            names[str(run_id)] = name
    return names


def _metrics(session: Session, run_ids: list[str]) -> dict[str, dict[str, float]]:
    return values_by_owner(
        session, RunMetric.run_id, RunMetric.name, RunMetric.value, run_ids, order_by=RunMetric.id
    )


def run_details_message(session: Session, run: Run) -> api.Run:
    """A run with everything KFP's GetRun returns: history, task details (with states, times, artifacts)."""
    history = session.scalars(
        select(RunStateHistory).where(RunStateHistory.run_id == run.id).order_by(RunStateHistory.id)
    ).all()
    tasks = session.scalars(
        select(Task).where(Task.run_id == run.id).order_by(Task.created_at, Task.path)
    ).all()
    task_history: dict[str, list[TaskStateHistory]] = defaultdict(list)
    for row in session.scalars(
        select(TaskStateHistory)
        .join(Task, Task.id == TaskStateHistory.task_id)
        .where(Task.run_id == run.id)
        .order_by(TaskStateHistory.id)
    ):
        task_history[row.task_id].append(row)
    executions: dict[str, str] = {}
    for task_id, execution_id in session.execute(
        select(Execution.task_id, Execution.id)
        .where(Execution.run_id == run.id)
        .order_by(Execution.created_at)
    ):
        if task_id is not None:
            executions[task_id] = execution_id
    inputs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    outputs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for task_id, event_type, key, artifact_id in session.execute(
        select(Execution.task_id, Event.type, Event.key, Event.artifact_id)
        .join(Execution, Execution.id == Event.execution_id)
        .where(Execution.run_id == run.id)
        .order_by(Event.id)
    ):
        if task_id is None:
            continue
        if event_type is EventType.INPUT:
            inputs[task_id].append((key, artifact_id))
        elif event_type is EventType.OUTPUT:
            outputs[task_id].append((key, artifact_id))
    children: dict[str, list[str]] = defaultdict(list)
    for task in tasks:
        if task.parent_task_id is not None:
            children[task.parent_task_id].append(task.id)
    context_id = session.scalar(
        select(MetadataContext.id).where(
            MetadataContext.type == "system.PipelineRun", MetadataContext.name == run.id
        )
    )
    details = [
        task_message(
            task,
            history=task_history.get(task.id, []),
            children=children.get(task.id, []),
            execution_id=executions.get(task.id),
            input_events=inputs.get(task.id, []),
            output_events=outputs.get(task.id, []),
        )
        for task in tasks
    ]
    _add_cache_sources(session, details)
    pipeline_ids = _pipeline_ids(session, {run.pipeline_version_id} if run.pipeline_version_id else set())
    return run_message(
        run,
        pipeline_id=pipeline_ids.get(run.pipeline_version_id or ""),
        history=history,
        task_details=details,
        context_id=context_id,
        metrics=_metrics(session, [run.id]).get(run.id),
    )


@router.post("/runs", response_model=api.Run, summary="Create a run; it starts in the background")
def create_run(
    *,
    body: RunIn,
    context: Context,
    http_request: Request,
    experiment_id: Annotated[
        str | None, Query(description="Deprecated: use the run's experiment_id.")
    ] = None,
) -> api.Run:
    config = body.runtime_config
    pipeline_root = resolve_pipeline_root(config.pipeline_root if config else None, context.artifact_root)
    with context.store.session() as session:
        pipeline = resolve_requested_pipeline(session, body)
        experiment = resolve_experiment(context.store, session, body.experiment_id or experiment_id)
        profile = run_profile(context.store, session, context.home, experiment.namespace, body.profile)
        run = insert_run(
            context.store,
            session,
            pipeline=pipeline,
            experiment=experiment,
            display_name=(body.display_name or "").strip(),
            description=body.description or "",
            parameters=config.parameters if config else None,
            pipeline_root=pipeline_root,
            service_account=body.service_account or "",
            profile=profile,
        )
        identity = caller(http_request)
        if identity is not None:
            run.created_by = identity.name
        document = run_message(run, pipeline_id=pipeline.pipeline_id)
    context.executor.submit(run.id)
    return document


@router.get("/runs", response_model=api.ListRunsResponse, summary="List runs (filter, sort, pages)")
def list_runs(
    *,
    context: Context,
    http_request: Request,
    namespace: str | None = None,
    experiment_id: str | None = None,
    query: Annotated[ListQuery, Query()],
) -> api.ListRunsResponse:
    request = parse_list_request(query, RUN_FIELDS, context.page_tokens)
    scope = [Run.experiment_id == experiment_id] if experiment_id else []
    visible = visible_namespaces(http_request)
    if visible is not None:
        scope.append(Run.namespace.in_(visible))
    order_column = None
    joined = None
    joined_conditions: list[ColumnElement[bool]] = []
    count_joined_conditions: list[ColumnElement[bool]] = []
    count_column = None
    count_query = None
    if request.sort_key.startswith(METRIC_PREFIX):
        name = request.sort_key[len(METRIC_PREFIX) :]
        if not name:
            raise invalid_argument(f"sort_by: name the metric after {METRIC_PREFIX!r}")
        # Walk the (name, value) index in order and join each run: a page costs 50 look-ups, not a sort.
        metric = aliased(RunMetric)
        order_column = metric.value
        joined = (metric, metric.run_id == Run.id)
        joined_conditions = [metric.name == name, _latest_metric(metric)]
        count_joined_conditions = [metric.name == name]
        count_column = metric.run_id
        only_namespaces = visible is not None and not experiment_id
        if (not scope or only_namespaces) and not request.count_conditions:
            # Every run that logged it: counted on the metrics table alone (joined to runs only for the
            # namespaces of a multi-user list).
            # (GROUP BY in a subquery: PostgreSQL hashes it, where count(DISTINCT) sorts.)
            runs_with_it = select(RunMetric.run_id).where(RunMetric.name == name)
            if only_namespaces and visible is not None:
                runs_with_it = runs_with_it.join(Run, Run.id == RunMetric.run_id).where(
                    Run.namespace.in_(visible)
                )
            count_query = select(func.count()).select_from(runs_with_it.group_by(RunMetric.run_id).subquery())
    with context.store.read_session() as session:
        page = fetch_page(
            session,
            Run,
            request,
            RUN_FIELDS,
            scope=scope,
            order_column=order_column,
            joined=joined,
            joined_conditions=joined_conditions,
            count_joined_conditions=count_joined_conditions,
            count_column=count_column,
            count_query=count_query,
            options=[defer(Run.pipeline_spec), defer(Run.platform_spec)],
        )
        pipeline_ids = _pipeline_ids(
            session, {run.pipeline_version_id for run in page.rows if run.pipeline_version_id}
        )
        metrics = _metrics(session, [run.id for run in page.rows])
        package_names = inline_pipeline_names(
            session, [run.id for run in page.rows if not run.pipeline_version_id]
        )
        runs = [
            run_message(
                run,
                pipeline_id=pipeline_ids.get(run.pipeline_version_id or ""),
                include_spec=False,
                metrics=metrics.get(run.id),
                pipeline_name=package_names.get(run.id),
            )
            for run in page.rows
        ]
    return api.ListRunsResponse(runs=runs, total_size=page.total_size, next_page_token=page.next_page_token)


@router.get("/runs/{run_id}", response_model=api.Run, summary="Get a run with its task details")
def get_run(run_id: str, context: Context, experiment_id: str | None = None) -> api.Run:
    with context.store.read_session() as session:
        return run_details_message(session, get_run_row(session, run_id))


@router.delete("/runs/{run_id}", summary="Delete a run that is not running")
def delete_run(run_id: str, context: Context, experiment_id: str | None = None) -> JSONResponse:
    with context.store.session() as session:
        run = get_run_row(session, run_id, lock=True)
        if run.state in ACTIVE_STATES:
            raise failed_precondition(f"run {run_id!r} is {run.state}: terminate it before deleting it")
        session.delete(run)
    return JSONResponse({})


@router.post("/runs/{run_id}:terminate", summary="Terminate a run: its running tasks are stopped")
def terminate_run(run_id: str, context: Context, experiment_id: str | None = None) -> JSONResponse:
    with context.store.read_session() as session:
        get_run_row(session, run_id)
    context.executor.terminate(run_id)
    return JSONResponse({})


@router.post(
    "/runs/{run_id}:retry",
    summary="Retry a failed or canceled run: tasks that succeeded are reused, the others run again",
)
def retry_run(run_id: str, context: Context, experiment_id: str | None = None) -> JSONResponse:
    with context.store.read_session() as session:
        run = get_run_row(session, run_id)
        if run.state not in (RuntimeState.FAILED, RuntimeState.CANCELED):
            raise failed_precondition(
                f"run {run_id!r} is {run.state}: only FAILED and CANCELED runs can be retried"
            )
        if not run.pipeline_spec:
            raise failed_precondition(f"run {run_id!r} failed before it started: create a new run instead")
    context.executor.retry(run_id)
    return JSONResponse({})


def _set_storage(context: ServiceContext, run_id: str, state: StorageState) -> JSONResponse:
    with context.store.session() as session:
        run = get_run_row(session, run_id, lock=True)
        run.storage_state = state
    return JSONResponse({})


@router.post("/runs/{run_id}:archive", summary="Archive a run")
def archive_run(run_id: str, context: Context, experiment_id: str | None = None) -> JSONResponse:
    return _set_storage(context, run_id, StorageState.ARCHIVED)


@router.post("/runs/{run_id}:unarchive", summary="Unarchive a run")
def unarchive_run(run_id: str, context: Context, experiment_id: str | None = None) -> JSONResponse:
    return _set_storage(context, run_id, StorageState.AVAILABLE)
