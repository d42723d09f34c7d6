"""What ``sluice.Client`` returns: views of the API's messages. Each response is read into its model in
``sluice.api`` (where every field of the wire is declared, the server's own definitions); a view names the
fields a Python user reaches for, and keeps the full JSON in ``raw``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sluice import api

__all__ = ["Experiment", "Page", "Pipeline", "PipelineVersion", "RecurringRun", "Run", "Task"]

_T = TypeVar("_T")


def _message(status: api.Status | None) -> str | None:
    return (status.message if status is not None else None) or None


@dataclass(frozen=True)
class Pipeline:
    pipeline_id: str
    name: str
    display_name: str
    description: str
    created_at: datetime | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pipeline:
        message = api.Pipeline.model_validate(data)
        return cls(
            pipeline_id=message.pipeline_id or "",
            name=message.name or "",
            display_name=message.display_name or "",
            description=message.description or "",
            created_at=message.created_at,
            raw=data,
        )


@dataclass(frozen=True)
class PipelineVersion:
    pipeline_version_id: str
    pipeline_id: str
    name: str
    display_name: str
    description: str
    created_at: datetime | None
    pipeline_spec: dict[str, Any] | None = field(repr=False)
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PipelineVersion:
        message = api.PipelineVersion.model_validate(data)
        return cls(
            pipeline_version_id=message.pipeline_version_id or "",
            pipeline_id=message.pipeline_id or "",
            name=message.name or "",
            display_name=message.display_name or "",
            description=message.description or "",
            created_at=message.created_at,
            pipeline_spec=message.pipeline_spec,
            raw=data,
        )


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    display_name: str
    description: str
    storage_state: str
    created_at: datetime | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Experiment:
        message = api.Experiment.model_validate(data)
        return cls(
            experiment_id=message.experiment_id or "",
            display_name=message.display_name or "",
            description=message.description or "",
            storage_state=message.storage_state or "",
            created_at=message.created_at,
            raw=data,
        )


@dataclass(frozen=True)
class Task:
    """One task (or DAG, loop, condition) of a run."""

    task_id: str
    name: str
    display_name: str
    path: str
    kind: str
    state: str
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    error: str | None
    parent_task_id: str | None
    raw: dict[str, Any] = field(repr=False)
    # Its kfp-kubernetes settings as applied (pod name, labels, annotations, where each variable came from).
    platform: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Task:
        return cls.from_message(api.PipelineTaskDetail.model_validate(data), data)

    @classmethod
    def from_message(cls, message: api.PipelineTaskDetail, data: dict[str, Any]) -> Task:
        return cls(
            task_id=message.task_id or "",
            name=message.name if message.name is not None else message.display_name or "",
            display_name=message.display_name or "",
            path=message.path or "",
            kind=message.kind or "",
            state=message.state or "",
            started_at=message.start_time,
            finished_at=message.end_time,
            attempts=message.attempts or 0,
            inputs=dict(message.input_parameters or {}),
            outputs=dict(message.output_parameters or {}),
            error=_message(message.error),
            parent_task_id=message.parent_task_id,
            raw=data,
            platform=dict(message.platform or {}),
        )


_FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"})


@dataclass(frozen=True)
class Run:
    run_id: str
    display_name: str
    experiment_id: str
    state: str
    storage_state: str
    created_at: datetime | None
    finished_at: datetime | None
    parameters: dict[str, Any]
    error: str | None
    metrics: dict[str, float]
    tasks: list[Task] = field(repr=False)
    raw: dict[str, Any] = field(repr=False)
    warnings: list[str] = field(default_factory=list)  # settings this machine does not use

    @property
    def done(self) -> bool:
        return self.state in _FINAL_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "SUCCEEDED"

    def task(self, name: str) -> Task:
        """The task with this path, or else the only one with this name."""
        for task in self.tasks:
            if task.path == name:
                return task
        matches = [task for task in self.tasks if name in (task.name, task.display_name)]
        if len(matches) != 1:
            raise KeyError(f"run {self.run_id} has {len(matches)} tasks named {name!r}")
        return matches[0]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Run:
        message = api.Run.model_validate(data)
        details = message.run_details.task_details if message.run_details is not None else []
        raw_details = (data.get("run_details") or {}).get("task_details") or []
        config = message.runtime_config
        return cls(
            run_id=message.run_id or "",
            display_name=message.display_name or "",
            experiment_id=message.experiment_id or "",
            state=message.state or "",
            storage_state=message.storage_state or "",
            created_at=message.created_at,
            finished_at=message.finished_at,
            parameters=dict((config.parameters if config is not None else None) or {}),
            error=_message(message.error),
            metrics=dict(message.metrics or {}),
            tasks=[Task.from_message(task, raw) for task, raw in zip(details, raw_details, strict=True)],
            raw=data,
            warnings=list(message.warnings or []),
        )


@dataclass(frozen=True)
class RecurringRun:
    recurring_run_id: str
    display_name: str
    experiment_id: str
    status: str
    trigger: dict[str, Any]
    max_concurrency: int
    no_catchup: bool
    next_fire_time: datetime | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecurringRun:
        message = api.RecurringRun.model_validate(data)
        return cls(
            recurring_run_id=message.recurring_run_id or "",
            display_name=message.display_name or "",
            experiment_id=message.experiment_id or "",
            status=message.status or "",
            trigger=message.trigger.model_dump(mode="json", exclude_none=True)
            if message.trigger is not None
            else {},
            max_concurrency=int(message.max_concurrency or 1),
            no_catchup=bool(message.no_catchup),
            next_fire_time=message.next_fire_time,
            raw=data,
        )


@dataclass(frozen=True)
class Page(Generic[_T]):
    """One page of a list; pass ``next_page_token`` back for the next one ("" when this is the last)."""

    items: list[_T]
    total_size: int
    next_page_token: str

    def __iter__(self) -> Iterator[_T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
