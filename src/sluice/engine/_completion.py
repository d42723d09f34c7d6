"""How a container task ends, and what is recorded when it does.

- Its attempt exits 0 and its outputs read back as declared: SUCCEEDED, its output artifacts recorded
  (numeric ``system.Metrics`` metadata also as run metrics) with the execution and its lineage events.
- It exits otherwise, times out, its launcher reports an error (its node was lost), or its outputs are
  unusable (missing, mistyped, an output artifact with nothing at its URI): a failed attempt (when its
  filesystem is full, named as the cause, with the partial outputs removed: ``_full_disk``). While the task's
  ``retryPolicy`` allows, it waits ``backoff_duration * backoff_factor^(attempt-1)`` (capped by
  ``backoff_max_duration``) and runs again; after that it is FAILED with the end of its log.
- The cache has its result: SUCCEEDED with the earlier task's outputs, recorded as a CACHED execution.
- The run was canceled while it ran: CANCELED.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from sluice.artifacts import UnsafePathError
from sluice.engine._attempts import Attempt, log_tail, store_outputs
from sluice.engine._context import RunContext
from sluice.engine._errors import TaskError
from sluice.engine._full_disk import full_disk_cause
from sluice.engine._graph import ArtifactValue, Node, values_json
from sluice.engine._outputs import OutputArtifact, check_artifacts_written, read_outputs
from sluice.engine._prepare import PreparedTask
from sluice.engine._state import RunState
from sluice.ir import PipelineTaskSpec
from sluice.launchers import Exit
from sluice.store import EventType, ExecutionState, RuntimeState, RunWriter, utcnow

__all__ = ["attempt_ended", "finish_from_cache"]

_S = RuntimeState


def attempt_ended(ctx: RunContext, state: RunState, attempt: Attempt, ended: Exit) -> float | None:
    """End the task of an attempt that exited, or schedule it again: the seconds until its retry, or None."""
    prepared = attempt.prepared
    node = prepared.node
    if state.canceled:
        state.finish(node, _S.CANCELED, state.cancel_reason)
        return None
    tail = log_tail(attempt.log_path)
    if attempt.timed_out:
        return _attempt_failed(ctx, state, node, f"timed out after {prepared.timeout:g}s", tail)
    if not ended.succeeded:
        cause = full_disk_cause(ctx, prepared, attempt.log_path)
        if cause is not None:
            return _attempt_failed(
                ctx, state, node, f"{cause} ({ended.describe()})", log_tail(attempt.log_path)
            )
        reason = ended.describe()
        last_line = tail.rstrip().rsplit("\n", 1)[-1].strip() if tail.strip() else ""
        if last_line and ended.error is None:
            reason = f"{reason}: {last_line[:300]}"
        return _attempt_failed(ctx, state, node, reason, tail)
    try:
        parameters, artifacts = read_outputs(node.path, node.component, prepared.executor_input)
        check_artifacts_written(node.path, artifacts, ctx.artifacts, ran_here=not attempt.remote)
    except TaskError as error:
        return _attempt_failed(ctx, state, node, error.message, tail)
    try:
        if not attempt.remote:  # a remote launcher's node uploaded them itself
            store_outputs(ctx, [entry["uri"] for entries in artifacts.values() for entry in entries])
    except (OSError, UnsafePathError) as error:
        return _attempt_failed(ctx, state, node, f"cannot upload its output artifacts: {error}", tail)
    node.parameters = parameters
    execution_id = _record_execution(ctx.journal, node, ExecutionState.COMPLETE, {"attempts": node.attempts})
    for key, entries in artifacts.items():
        node.artifacts[key] = [_record_output_artifact(ctx.journal, node, entry) for entry in entries]
    ctx.journal.record_events(execution_id, node.input_artifacts, EventType.INPUT)
    ctx.journal.record_events(execution_id, node.artifacts, EventType.OUTPUT)
    state.finish(node, _S.SUCCEEDED)
    return None


def finish_from_cache(ctx: RunContext, state: RunState, prepared: PreparedTask, source: Row[Any]) -> None:
    """End the task with the outputs of ``source``, an earlier task with the same fingerprint."""
    node = prepared.node
    node.restore_outputs(source.outputs)
    origin = source.cached_from_task_id or source.id
    node.cached_from = origin
    execution_id = _record_execution(
        ctx.journal, node, ExecutionState.CACHED, {"cached_from_task_id": origin}
    )
    ctx.journal.record_events(execution_id, node.input_artifacts, EventType.INPUT)
    ctx.journal.record_events(execution_id, node.artifacts, EventType.OUTPUT)
    now = utcnow()
    node.started_at = now
    state.finish(
        node,
        _S.SUCCEEDED,
        f"cache hit: reused the outputs of task {source.path!r} of run {source.run_id}",
        cached_from_task_id=origin,
        cache_fingerprint=prepared.fingerprint,
        inputs=values_json(node.input_parameters, node.input_artifacts),
        started_at=now,
    )


def _attempt_failed(ctx: RunContext, state: RunState, node: Node, reason: str, tail: str) -> float | None:
    delay = _retry_delay(node.task_spec, node.attempts)
    if delay is not None:
        state.set_state(
            node,
            _S.PENDING,
            f"attempt {node.attempts} {reason}; retrying in {delay:g}s",
            error={"message": reason, "logTail": tail},
        )
        return delay
    message = reason if node.attempts == 1 else f"{reason} (after {node.attempts} attempts)"
    execution_id = _record_execution(
        ctx.journal, node, ExecutionState.FAILED, {"attempts": node.attempts, "error": message}
    )
    ctx.journal.record_events(execution_id, node.input_artifacts, EventType.INPUT)
    state.fail(node, message, tail)
    return None


def _retry_delay(task_spec: PipelineTaskSpec | None, attempts: int) -> float | None:
    """Seconds to wait before another attempt after ``attempts`` failed ones; None: no retry left."""
    policy = task_spec.retry_policy if task_spec else None
    if policy is None or attempts > (policy.max_retry_count or 0):
        return None
    base = _duration_seconds(policy.backoff_duration, 0.0)
    factor = policy.backoff_factor if policy.backoff_factor is not None else 2.0
    ceiling = _duration_seconds(policy.backoff_max_duration, 3600.0)
    return float(min(base * factor ** (attempts - 1), ceiling))


def _duration_seconds(text: str | None, default: float) -> float:
    """A protobuf Duration in JSON form (``"30s"``, ``"1.5s"``) in seconds."""
    if not text:
        return default
    try:
        return float(text.rstrip("s"))
    except ValueError:
        return default


def _record_execution(
    journal: RunWriter, node: Node, state: ExecutionState, properties: dict[str, object]
) -> str:
    return journal.record_execution(
        task_id=node.id,
        type="system.ContainerExecution",
        name=node.display_name,
        state=state,
        properties={"component": node.component_name, **properties},
    )


def _record_output_artifact(journal: RunWriter, node: Node, entry: OutputArtifact) -> ArtifactValue:
    """The artifact's row (and a run metric per numeric metadata value of a ``system.Metrics``)."""
    artifact_id = journal.record_artifact(
        uri=entry["uri"],
        schema_title=entry["schemaTitle"],
        schema_version=entry["schemaVersion"],
        name=entry["name"],
        metadata=entry["metadata"],
    )
    if entry["schemaTitle"] == "system.Metrics":
        for metric, value in entry["metadata"].items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                journal.record_metric(task_id=node.id, artifact_id=artifact_id, name=metric, value=value)
    return ArtifactValue(
        artifact_id,
        entry["name"],
        entry["uri"],
        entry["schemaTitle"],
        entry["schemaVersion"],
        entry["metadata"],
    )
