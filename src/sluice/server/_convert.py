"""Store rows as the API's JSON: KFP's v2beta1 messages, snake_case, RFC 3339 times, int64s as strings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sluice.store import RecurringRunMode, RuntimeState
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
    "experiment_json",
    "pipeline_json",
    "pipeline_version_json",
    "recurring_run_json",
    "run_json",
    "task_json",
    "timestamp",
]

# google.rpc.Code UNKNOWN: a run's error carries no code of its own.
_UNKNOWN_CODE = 2


def timestamp(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, as protobuf's JSON mapping writes a Timestamp."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    # Protobuf's JSON omits unset fields; clients treat an absent field as its default.
    return {key: value for key, value in document.items() if value is not None}


def _status(error: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not error:
        return None
    message = str(error.get("message") or error.get("reason") or "")
    code = error.get("code")
    return {"code": code if isinstance(code, int) else _UNKNOWN_CODE, "message": message, "details": []}


def pipeline_json(pipeline: Pipeline) -> dict[str, Any]:
    return _compact(
        {
            "pipeline_id": pipeline.id,
            "name": pipeline.name,
            "display_name": pipeline.display_name or pipeline.name,
            "description": pipeline.description,
            "created_at": timestamp(pipeline.created_at),
            "namespace": pipeline.namespace,
        }
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


def pipeline_version_json(version: PipelineVersion, *, include_spec: bool = True) -> dict[str, Any]:
    return _compact(
        {
            "pipeline_id": version.pipeline_id,
            "pipeline_version_id": version.id,
            "name": version.name,
            "display_name": version.display_name or version.name,
            "description": version.description,
            "created_at": timestamp(version.created_at),
            "package_url": {"pipeline_url": version.package_url} if version.package_url else None,
            "code_source_url": version.code_source_url,
            "pipeline_spec": _spec_document(version.pipeline_spec, version.platform_spec)
            if include_spec
            else None,
        }
    )


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    return _compact(
        {
            "experiment_id": experiment.id,
            "display_name": experiment.display_name or experiment.name,
            "description": experiment.description,
            "created_at": timestamp(experiment.created_at),
            "namespace": experiment.namespace,
            "storage_state": str(experiment.storage_state),
            "last_run_created_at": timestamp(experiment.last_run_created_at),
        }
    )


def runtime_config_json(config: Mapping[str, Any] | None) -> dict[str, Any]:
    config = config or {}
    root = config.get("pipelineRoot") or config.get("pipeline_root")
    return _compact({"parameters": dict(config.get("parameters") or {}), "pipeline_root": root})


def _history_json(rows: Iterable[RunStateHistory]) -> list[dict[str, Any]]:
    return [
        _compact({"update_time": timestamp(row.at), "state": str(row.state), "error": _status(row.error)})
        for row in rows
    ]


def run_json(
    run: Run,
    *,
    pipeline_id: str | None = None,
    include_spec: bool = True,
    history: Iterable[RunStateHistory] | None = None,
    task_details: list[dict[str, Any]] | None = None,
    context_id: str | None = None,
    metrics: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """A run; ``pipeline_id`` is the pipeline of its version (for ``pipeline_version_reference``)."""
    reference = None
    spec = None
    if run.pipeline_version_id is not None:
        reference = {"pipeline_id": pipeline_id, "pipeline_version_id": run.pipeline_version_id}
    elif include_spec:
        spec = _spec_document(run.pipeline_spec, run.platform_spec)
    details = None
    if task_details is not None:
        details = _compact(
            {
                "pipeline_context_id": None,
                "pipeline_run_context_id": context_id,
                "task_details": task_details,
            }
        )
    return _compact(
        {
            "experiment_id": run.experiment_id,
            "run_id": run.id,
            "display_name": run.display_name,
            "storage_state": str(run.storage_state),
            "description": run.description,
            "pipeline_version_id": run.pipeline_version_id,
            "pipeline_spec": spec,
            "pipeline_version_reference": _compact(reference) if reference else None,
            "runtime_config": runtime_config_json(run.runtime_config),
            "service_account": run.service_account,
            "created_at": timestamp(run.created_at),
            "scheduled_at": timestamp(run.scheduled_at),
            "finished_at": timestamp(run.finished_at),
            "state": str(run.state),
            "error": _status(run.error),
            "run_details": details,
            "recurring_run_id": run.recurring_run_id,
            "state_history": _history_json(history) if history is not None else None,
            "metrics": dict(metrics) if metrics else None,
            "warnings": list(run.warnings) if run.warnings else None,
            "created_by": run.created_by,
        }
    )


def _artifact_lists(events: Iterable[tuple[str, str]]) -> dict[str, dict[str, list[str]]] | None:
    lists: dict[str, dict[str, list[str]]] = {}
    for key, artifact_id in events:
        lists.setdefault(key, {"artifact_ids": []})["artifact_ids"].append(artifact_id)
    return lists or None


def task_json(
    task: Task,
    *,
    history: Iterable[TaskStateHistory],
    children: Iterable[str],
    execution_id: str | None,
    input_events: Iterable[tuple[str, str]],
    output_events: Iterable[tuple[str, str]],
) -> dict[str, Any]:
    """A task as KFP's ``PipelineTaskDetail``, plus Sluice's parameter values and place in the run."""
    inputs = task.inputs or {}
    outputs = task.outputs or {}
    state = task.state
    return _compact(
        {
            "run_id": task.run_id,
            "task_id": task.id,
            "display_name": task.display_name or task.name,
            "create_time": timestamp(task.created_at),
            "start_time": timestamp(task.started_at),
            "end_time": timestamp(task.finished_at),
            "executor_detail": {"main_job": str(task.pid)} if task.pid else None,
            "state": str(state),
            "execution_id": execution_id,
            "error": _status(task.error) if state is not RuntimeState.SKIPPED else None,
            "inputs": _artifact_lists(input_events),
            "outputs": _artifact_lists(output_events),
            "parent_task_id": task.parent_task_id,
            "state_history": [
                _compact(
                    {
                        "update_time": timestamp(row.at),
                        "state": str(row.state),
                        "error": {"code": 0, "message": row.message, "details": []} if row.message else None,
                    }
                )
                for row in history
            ],
            "child_tasks": [{"task_id": child} for child in children] or None,
            "name": task.name,
            "path": task.path,
            "kind": str(task.kind),
            "attempts": task.attempts,
            "input_parameters": dict(inputs.get("parameters") or {}) or None,
            "output_parameters": dict(outputs.get("parameters") or {}) or None,
            "cached_from_task_id": task.cached_from_task_id,
            "platform": task.platform or None,
            "node_id": task.node_id,
            "node_address": task.node_address,
        }
    )


def recurring_run_json(recurring: RecurringRun, *, pipeline_id: str | None = None) -> dict[str, Any]:
    trigger = recurring.trigger or {}
    window = {"start_time": timestamp(recurring.start_at), "end_time": timestamp(recurring.end_at)}
    api_trigger: dict[str, Any] = {}
    if "cron" in trigger:
        cron = trigger["cron"]
        api_trigger["cron_schedule"] = _compact(
            {**window, "cron": cron.get("expression"), "time_zone": cron.get("time_zone")}
        )
    elif "interval_seconds" in trigger:
        api_trigger["periodic_schedule"] = _compact(
            {**window, "interval_second": str(trigger["interval_seconds"])}
        )
    enabled = recurring.mode is RecurringRunMode.ENABLED
    reference = None
    spec = None
    if recurring.latest_of_pipeline_id is not None:
        reference = {"pipeline_id": recurring.latest_of_pipeline_id}  # no version: the latest at each fire
    elif recurring.pipeline_version_id is not None:
        reference = _compact(
            {"pipeline_id": pipeline_id, "pipeline_version_id": recurring.pipeline_version_id}
        )
    else:
        spec = _spec_document(recurring.pipeline_spec, recurring.platform_spec)
    return _compact(
        {
            "recurring_run_id": recurring.id,
            "display_name": recurring.display_name,
            "description": recurring.description,
            "pipeline_version_id": recurring.pipeline_version_id,
            "pipeline_spec": spec,
            "pipeline_version_reference": reference,
            "runtime_config": runtime_config_json(recurring.runtime_config),
            "service_account": recurring.service_account,
            "max_concurrency": str(recurring.max_concurrency),
            "trigger": api_trigger,
            "mode": "ENABLE" if enabled else "DISABLE",
            "created_at": timestamp(recurring.created_at),
            "updated_at": timestamp(recurring.updated_at),
            "status": "ENABLED" if enabled else "DISABLED",
            "no_catchup": recurring.no_catchup,
            "namespace": "",
            "experiment_id": recurring.experiment_id,
            # Sluice extension: when the scheduler fires it next.
            "next_fire_time": timestamp(recurring.next_fire_at) if enabled else None,
        }
    )
