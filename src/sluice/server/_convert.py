"""Store rows as the API's response models (``sluice.api``): KFP's v2beta1 messages."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from fastapi import Response
from fastapi.routing import APIRoute

from sluice import api
from sluice.store import RecurringRunMode, RuntimeState, StorageState
from sluice.store.models import (
    Experiment,
    Pipeline,
    PipelineVersion,
    RecurringRun,
    Run,
    RunStateHistory,
    Task,
    TaskStateHistory,
)

__all__ = [
    "MessageRoute",
    "experiment_message",
    "pipeline_message",
    "pipeline_version_message",
    "recurring_run_message",
    "run_message",
    "task_message",
    "utc",
]

# google.rpc.Code UNKNOWN: a run's error carries no code of its own.
_UNKNOWN_CODE = 2


class MessageRoute(APIRoute):
    """A v2beta1 route. The ``api.Message`` its endpoint returns is written once, as protobuf's JSON writes it
    (no nulls): FastAPI would dump the model, validate the dump against the route's ``response_model`` and
    write that again (a third of a 1,000-task run's time). Anything else it returns goes FastAPI's way."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        options["response_model_exclude_none"] = True  # APIRouter always passes its own False
        super().__init__(path, _writing_messages(endpoint), **options)


def _writing_messages(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    # functools.wraps keeps the signature FastAPI reads the endpoint's parameters from.
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def written_async(*args: Any, **kwargs: Any) -> Any:
            return _written(await endpoint(*args, **kwargs))

        return written_async

    @functools.wraps(endpoint)
    def written(*args: Any, **kwargs: Any) -> Any:
        return _written(endpoint(*args, **kwargs))

    return written


def _written(result: Any) -> Any:
    if isinstance(result, api.Message):
        return Response(result.model_dump_json(exclude_none=True), media_type="application/json")
    return result


def utc(moment: datetime | None) -> datetime | None:
    """The moment in UTC (written as RFC 3339 with a Z, as protobuf's JSON mapping writes a Timestamp)."""
    return None if moment is None else moment.astimezone(UTC)


def _state(state: RuntimeState) -> api.RuntimeState:
    # The store's enum and the API's literal name the same KFP states (the model validates it).
    return cast("api.RuntimeState", str(state))


def _storage(state: StorageState) -> api.StorageState:
    return cast("api.StorageState", str(state))


def _status(error: Mapping[str, Any] | None) -> api.Status | None:
    if not error:
        return None
    message = str(error.get("message") or error.get("reason") or "")
    code = error.get("code")
    return api.Status(code=code if isinstance(code, int) else _UNKNOWN_CODE, message=message, details=[])


def pipeline_message(pipeline: Pipeline, tags: dict[str, str] | None = None) -> api.Pipeline:
    return api.Pipeline(
        pipeline_id=pipeline.id,
        name=pipeline.name,
        display_name=pipeline.display_name or pipeline.name,
        description=pipeline.description,
        created_at=utc(pipeline.created_at),
        namespace=pipeline.namespace,
        tags=tags or None,
    )


def _spec_document(
    spec: dict[str, Any] | None, platform_spec: dict[str, Any] | None
) -> dict[str, Any] | None:
    # KFP's shape for a spec with a platform spec: both under their own keys in one struct.
    if spec is None:
        return None
    if platform_spec:
        return {"pipeline_spec": spec, "platform_spec": platform_spec}
    return spec


def pipeline_version_message(
    version: PipelineVersion, *, include_spec: bool = True, tags: dict[str, str] | None = None
) -> api.PipelineVersion:
    return api.PipelineVersion(
        pipeline_id=version.pipeline_id,
        pipeline_version_id=version.id,
        name=version.name,
        display_name=version.display_name or version.name,
        description=version.description,
        created_at=utc(version.created_at),
        package_url=api.Url(pipeline_url=version.package_url) if version.package_url else None,
        code_source_url=version.code_source_url,
        pipeline_spec=_spec_document(version.pipeline_spec, version.platform_spec) if include_spec else None,
        tags=tags or None,
    )


def experiment_message(experiment: Experiment) -> api.Experiment:
    return api.Experiment(
        experiment_id=experiment.id,
        display_name=experiment.display_name or experiment.name,
        description=experiment.description,
        created_at=utc(experiment.created_at),
        namespace=experiment.namespace,
        storage_state=_storage(experiment.storage_state),
        last_run_created_at=utc(experiment.last_run_created_at),
    )


def _runtime_config(config: Mapping[str, Any] | None) -> api.RuntimeConfig:
    config = config or {}
    root = config.get("pipelineRoot") or config.get("pipeline_root")
    return api.RuntimeConfig(parameters=dict(config.get("parameters") or {}), pipeline_root=root)


def run_message(
    run: Run,
    *,
    pipeline_id: str | None = None,
    include_spec: bool = True,
    history: Iterable[RunStateHistory] | None = None,
    task_details: list[api.PipelineTaskDetail] | None = None,
    context_id: str | None = None,
    metrics: Mapping[str, float] | None = None,
    pipeline_name: str | None = None,
) -> api.Run:
    """A run; ``pipeline_id`` is the pipeline of its version (for ``pipeline_version_reference``)."""
    reference = None
    spec = None
    if run.pipeline_version_id is not None:
        reference = api.PipelineVersionReference(
            pipeline_id=pipeline_id, pipeline_version_id=run.pipeline_version_id
        )
    elif include_spec:
        spec = _spec_document(run.pipeline_spec, run.platform_spec)
    details = None
    if task_details is not None:
        details = api.RunDetails(pipeline_run_context_id=context_id, task_details=task_details)
    return api.Run(
        experiment_id=run.experiment_id,
        run_id=run.id,
        display_name=run.display_name,
        storage_state=_storage(run.storage_state),
        description=run.description,
        pipeline_version_id=run.pipeline_version_id,
        pipeline_spec=spec,
        pipeline_version_reference=reference,
        runtime_config=_runtime_config(run.runtime_config),
        service_account=run.service_account,
        created_at=utc(run.created_at),
        scheduled_at=utc(run.scheduled_at),
        finished_at=utc(run.finished_at),
        state=_state(run.state),
        error=_status(run.error),
        run_details=details,
        recurring_run_id=run.recurring_run_id,
        state_history=[
            api.RuntimeStatus(update_time=utc(row.at), state=_state(row.state), error=_status(row.error))
            for row in history
        ]
        if history is not None
        else None,
        metrics=dict(metrics) if metrics else None,
        warnings=list(run.warnings) if run.warnings else None,
        created_by=run.created_by,
        pipeline_name=pipeline_name,
    )


def _artifact_lists(events: Iterable[tuple[str, str]]) -> dict[str, api.TaskArtifactList] | None:
    lists: dict[str, api.TaskArtifactList] = {}
    for key, artifact_id in events:
        lists.setdefault(key, api.TaskArtifactList()).artifact_ids.append(artifact_id)
    return lists or None


def task_message(
    task: Task,
    *,
    history: Iterable[TaskStateHistory],
    children: Iterable[str],
    execution_id: str | None,
    input_events: Iterable[tuple[str, str]],
    output_events: Iterable[tuple[str, str]],
) -> api.PipelineTaskDetail:
    """A task as KFP's ``PipelineTaskDetail``, plus Sluice's parameter values and place in the run."""
    inputs = task.inputs or {}
    outputs = task.outputs or {}
    state = task.state
    return api.PipelineTaskDetail(
        run_id=task.run_id,
        task_id=task.id,
        display_name=task.display_name or task.name,
        create_time=utc(task.created_at),
        start_time=utc(task.started_at),
        end_time=utc(task.finished_at),
        executor_detail=api.ExecutorDetail(main_job=str(task.pid)) if task.pid else None,
        state=_state(state),
        execution_id=execution_id,
        error=_status(task.error) if state is not RuntimeState.SKIPPED else None,
        inputs=_artifact_lists(input_events),
        outputs=_artifact_lists(output_events),
        parent_task_id=task.parent_task_id,
        state_history=[
            api.RuntimeStatus(
                update_time=utc(row.at),
                state=_state(row.state),
                error=api.Status(code=0, message=row.message, details=[]) if row.message else None,
            )
            for row in history
        ],
        child_tasks=[api.ChildTask(task_id=child) for child in children] or None,
        name=task.name,
        path=task.path,
        kind=str(task.kind),
        attempts=task.attempts,
        input_parameters=dict(inputs.get("parameters") or {}) or None,
        output_parameters=dict(outputs.get("parameters") or {}) or None,
        cached_from_task_id=task.cached_from_task_id,
        platform=task.platform or None,
        node_id=task.node_id,
        node_address=task.node_address,
    )


def recurring_run_message(recurring: RecurringRun, *, pipeline_id: str | None = None) -> api.RecurringRun:
    trigger = recurring.trigger or {}
    start, end = utc(recurring.start_at), utc(recurring.end_at)
    api_trigger = api.Trigger()
    if "cron" in trigger:
        cron = trigger["cron"]
        api_trigger.cron_schedule = api.CronSchedule(
            start_time=start, end_time=end, cron=cron.get("expression"), time_zone=cron.get("time_zone")
        )
    elif "interval_seconds" in trigger:
        api_trigger.periodic_schedule = api.PeriodicSchedule(
            start_time=start, end_time=end, interval_second=str(trigger["interval_seconds"])
        )
    enabled = recurring.mode is RecurringRunMode.ENABLED
    reference = None
    spec = None
    if recurring.latest_of_pipeline_id is not None:
        # No version: the latest at each fire.
        reference = api.PipelineVersionReference(pipeline_id=recurring.latest_of_pipeline_id)
    elif recurring.pipeline_version_id is not None:
        reference = api.PipelineVersionReference(
            pipeline_id=pipeline_id, pipeline_version_id=recurring.pipeline_version_id
        )
    else:
        spec = _spec_document(recurring.pipeline_spec, recurring.platform_spec)
    return api.RecurringRun(
        recurring_run_id=recurring.id,
        display_name=recurring.display_name,
        description=recurring.description,
        pipeline_version_id=recurring.pipeline_version_id,
        pipeline_spec=spec,
        pipeline_version_reference=reference,
        runtime_config=_runtime_config(recurring.runtime_config),
        service_account=recurring.service_account,
        max_concurrency=str(recurring.max_concurrency),
        trigger=api_trigger,
        mode="ENABLE" if enabled else "DISABLE",
        created_at=utc(recurring.created_at),
        updated_at=utc(recurring.updated_at),
        status="ENABLED" if enabled else "DISABLED",
        no_catchup=recurring.no_catchup,
        namespace="",
        experiment_id=recurring.experiment_id,
        next_fire_time=utc(recurring.next_fire_at) if enabled else None,
    )
