"""What ``sluice.Client`` returns: typed views of the API's JSON (the full JSON stays in ``raw``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

__all__ = ["Experiment", "Page", "Pipeline", "PipelineVersion", "RecurringRun", "Run", "Task"]

_T = TypeVar("_T")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
        return cls(
            pipeline_id=data.get("pipeline_id", ""),
            name=data.get("name", ""),
            display_name=data.get("display_name", ""),
            description=data.get("description", ""),
            created_at=_time(data.get("created_at")),
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
        return cls(
            pipeline_version_id=data.get("pipeline_version_id", ""),
            pipeline_id=data.get("pipeline_id", ""),
            name=data.get("name", ""),
            display_name=data.get("display_name", ""),
            description=data.get("description", ""),
            created_at=_time(data.get("created_at")),
            pipeline_spec=data.get("pipeline_spec"),
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
        return cls(
            experiment_id=data.get("experiment_id", ""),
            display_name=data.get("display_name", ""),
            description=data.get("description", ""),
            storage_state=data.get("storage_state", ""),
            created_at=_time(data.get("created_at")),
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
        error = data.get("error") or {}
        return cls(
            task_id=data.get("task_id", ""),
            name=data.get("name", data.get("display_name", "")),
            display_name=data.get("display_name", ""),
            path=data.get("path", ""),
            kind=data.get("kind", ""),
            state=data.get("state", ""),
            started_at=_time(data.get("start_time")),
            finished_at=_time(data.get("end_time")),
            attempts=int(data.get("attempts") or 0),
            inputs=dict(data.get("input_parameters") or {}),
            outputs=dict(data.get("output_parameters") or {}),
            error=error.get("message") or None,
            parent_task_id=data.get("parent_task_id"),
            raw=data,
            platform=dict(data.get("platform") or {}),
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
        details = data.get("run_details") or {}
        error = data.get("error") or {}
        return cls(
            run_id=data.get("run_id", ""),
            display_name=data.get("display_name", ""),
            experiment_id=data.get("experiment_id", ""),
            state=data.get("state", ""),
            storage_state=data.get("storage_state", ""),
            created_at=_time(data.get("created_at")),
            finished_at=_time(data.get("finished_at")),
            parameters=dict((data.get("runtime_config") or {}).get("parameters") or {}),
            error=error.get("message") or None,
            metrics=dict(data.get("metrics") or {}),
            tasks=[Task.from_json(task) for task in details.get("task_details") or []],
            raw=data,
            warnings=list(data.get("warnings") or []),
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
        return cls(
            recurring_run_id=data.get("recurring_run_id", ""),
            display_name=data.get("display_name", ""),
            experiment_id=data.get("experiment_id", ""),
            status=data.get("status", ""),
            trigger=dict(data.get("trigger") or {}),
            max_concurrency=int(data.get("max_concurrency") or 1),
            no_catchup=bool(data.get("no_catchup")),
            next_fire_time=_time(data.get("next_fire_time")),
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
