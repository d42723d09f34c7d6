"""The summary of a run, read back from the store: what ``sluice run --json``, ``sluice runs get`` and
``sluice.run()`` return."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select

from sluice.store import Store, TaskKind, tables

__all__ = ["RunResult", "RunSummary", "TaskResult", "list_runs", "load_run_result"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _output_values(outputs: dict[str, Any] | None) -> dict[str, Any]:
    """Parameter values as they are; artifacts as their URI (a list of URIs for a list of artifacts)."""
    if not outputs:
        return {}
    values: dict[str, Any] = dict(outputs.get("parameters") or {})
    for key, artifacts in (outputs.get("artifacts") or {}).items():
        uris = [artifact.get("uri") for artifact in artifacts]
        values[key] = uris[0] if len(uris) == 1 else uris
    return values


@dataclass(frozen=True)
class TaskResult:
    """One task (or DAG, loop, loop iteration) of a run."""

    id: str
    name: str  # the task's display name
    path: str  # where it sits in the run, e.g. "root/for-loop-2/3/square"
    kind: str
    state: str  # a KFP RuntimeState, or CACHED for a cache hit
    started_at: str | None
    finished_at: str | None
    attempts: int
    outputs: dict[str, Any]  # parameters by value, artifacts by URI
    error: str | None = None
    message: str | None = None  # why it was skipped, or where its cached result came from
    cached_from_task_id: str | None = None
    log_path: str | None = None
    log_tail: str | None = None
    platform: dict[str, Any] | None = None  # its kfp-kubernetes settings as applied (never a secret value)
    node_id: str | None = None  # where its latest attempt ran, with a cluster launcher (Ray)
    node_address: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """One line of ``sluice runs list``."""

    run_id: str
    pipeline_name: str
    display_name: str
    state: str
    created_at: str | None
    finished_at: str | None
    error: str | None


@dataclass(frozen=True)
class RunResult(RunSummary):
    """A run, its arguments and outputs, and its tasks. ``succeeded`` is what the CLI's exit status reflects."""

    arguments: dict[str, Any]
    outputs: dict[str, Any]
    tasks: list[TaskResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # settings of the run this machine does not use

    @property
    def succeeded(self) -> bool:
        return self.state == "SUCCEEDED"

    def raise_for_state(self) -> RunResult:
        """This result when the run SUCCEEDED; else raises RunFailedError naming the run, its state and error."""
        if not self.succeeded:
            from sluice.engine._errors import RunFailedError

            raise RunFailedError(self)
        return self

    def task(self, name: str) -> TaskResult:
        """The task with this path, or else the only task with this name (KeyError otherwise)."""
        for task in self.tasks:
            if task.path == name:
                return task
        matches = [task for task in self.tasks if name in (task.name, task.path.rsplit("/", 1)[-1])]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise KeyError(f"run {self.run_id} has no task {name!r}")
        raise KeyError(f"run {self.run_id} has {len(matches)} tasks named {name!r}; use its path")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _summary_fields(run: Row[Any]) -> dict[str, Any]:
    """The :class:`RunSummary` fields of ``run``."""
    info = (run.pipeline_spec or {}).get("pipelineInfo") or {}
    return {
        "run_id": run.id,
        "pipeline_name": str(info.get("name") or ""),
        "display_name": run.display_name,
        "state": str(run.state),
        "created_at": _iso(run.created_at),
        "finished_at": _iso(run.finished_at),
        "error": (run.error or {}).get("message") if run.error else None,
    }


def _task_result(task: Row[Any]) -> TaskResult:
    error = task.error or {}
    state = str(task.state)
    message = None
    failure = None
    if task.cached_from_task_id is not None and state == "SUCCEEDED":
        state = "CACHED"
        message = f"cached: reused the outputs of task {task.cached_from_task_id}"
    if state == "SKIPPED":
        message = error.get("reason") or error.get("message")
    elif error.get("message") and state in ("FAILED", "CANCELED", "PENDING", "RUNNING"):
        failure = str(error["message"])
    return TaskResult(
        id=task.id,
        name=task.display_name or task.name,
        path=task.path,
        kind=str(task.kind),
        state=state,
        started_at=_iso(task.started_at),
        finished_at=_iso(task.finished_at),
        attempts=task.attempts,
        outputs=_output_values(task.outputs),
        error=failure,
        message=message,
        cached_from_task_id=task.cached_from_task_id,
        log_path=task.log_uri,
        log_tail=error.get("logTail"),
        platform=task.platform,
        node_id=task.node_id,
        node_address=task.node_address,
    )


def load_run_result(store: Store, run_id: str) -> RunResult:
    """The run's summary as the store has it now (also while it runs)."""
    runs, task_table = tables.runs, tables.tasks
    with store.reading() as connection:
        run = connection.execute(select(runs).where(runs.c.id == run_id)).one_or_none()
        if run is None:
            from sluice.store import NotFoundError

            raise NotFoundError("run", run_id)
        tasks = connection.execute(
            select(task_table)
            .where(task_table.c.run_id == run_id)
            .order_by(task_table.c.created_at, task_table.c.path)
        ).all()
        root = next((task for task in tasks if task.path == "root" and task.kind is TaskKind.DAG), None)
        return RunResult(
            **_summary_fields(run),
            arguments=dict((run.runtime_config or {}).get("parameters") or {}),
            outputs=_output_values(root.outputs) if root is not None else {},
            tasks=[_task_result(task) for task in tasks if task.path != "root"],
            warnings=list(run.warnings or []),
        )


def list_runs(store: Store, limit: int = 50) -> list[RunSummary]:
    """The newest runs first."""
    table = tables.runs
    with store.reading() as connection:
        runs = connection.execute(select(table).order_by(table.c.created_at.desc()).limit(limit)).all()
        return [RunSummary(**_summary_fields(run)) for run in runs]
