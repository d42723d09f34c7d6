"""Small builders of valid rows, so each test states only what it is about."""

from __future__ import annotations

from typing import Any

from sluice.store import Store, TaskKind
from sluice.store.models import Pipeline, PipelineVersion, Run, Task
from tests.support.tasks import create_task

SPEC: dict[str, Any] = {
    "pipelineInfo": {"name": "train"},
    "root": {"dag": {"tasks": {"train": {"taskInfo": {"name": "train"}}}}},
    "schemaVersion": "2.1.0",
    "sdkVersion": "sluice-0.1.0",
}


def make_pipeline_version(
    store: Store, *, pipeline_name: str = "train", version_name: str = "v1"
) -> PipelineVersion:
    with store.session() as session:
        pipeline = Pipeline(name=pipeline_name, display_name=pipeline_name)
        session.add(pipeline)
        session.flush()
        version = PipelineVersion(pipeline_id=pipeline.id, name=version_name, pipeline_spec=SPEC)
        session.add(version)
    return version


def make_run(store: Store, **kwargs: Any) -> Run:
    kwargs.setdefault("pipeline_spec", SPEC)
    kwargs.setdefault("display_name", "a run")
    return store.create_run(**kwargs)


def make_task(store: Store, run_id: str, path: str = "root/train", **kwargs: Any) -> Task:
    kwargs.setdefault("kind", TaskKind.CONTAINER)
    return create_task(store, run_id, name=path.rsplit("/", 1)[-1], path=path, **kwargs)
