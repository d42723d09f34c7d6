"""A finished run of 1,000 tasks written straight into the store, for timing the run page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sluice.store import RuntimeState, Store, TaskKind, utcnow
from sluice.store.models import Run, Task

ITERATIONS = 1000


def _spec() -> dict[str, Any]:
    executor = {"container": {"image": "python:3.11", "command": ["python", "-c", "pass"]}}
    return {
        "pipelineInfo": {"name": "thousand-tasks"},
        "schemaVersion": "2.1.0",
        "sdkVersion": "sluice-test",
        "deploymentSpec": {"executors": {"exec-work": executor, "exec-summarize": executor}},
        "components": {
            "comp-work": {"executorLabel": "exec-work"},
            "comp-summarize": {"executorLabel": "exec-summarize"},
            "comp-for-loop-1": {
                "dag": {
                    "tasks": {"work": {"componentRef": {"name": "comp-work"}, "taskInfo": {"name": "work"}}}
                },
                "inputDefinitions": {
                    "parameters": {"pipelinechannel--loop-item-param-1": {"parameterType": "STRING"}}
                },
            },
        },
        "root": {
            "dag": {
                "tasks": {
                    "for-loop-1": {
                        "componentRef": {"name": "comp-for-loop-1"},
                        "parameterIterator": {
                            "itemInput": "pipelinechannel--loop-item-param-1",
                            "items": {"raw": "[0, 1, 2, ...]"},
                        },
                        "taskInfo": {"name": "for-loop-1"},
                    },
                    "summarize": {
                        "componentRef": {"name": "comp-summarize"},
                        "dependentTasks": ["for-loop-1"],
                        "taskInfo": {"name": "summarize"},
                    },
                }
            }
        },
    }


def insert_thousand_task_run(database_url: str) -> str:
    """A FAILED run: a loop of 1,000 iterations (one task each, every 97th failed) and a task after it."""
    start = utcnow() - timedelta(minutes=5)
    done = start + timedelta(minutes=4)
    with Store.open(database_url) as store, store.session() as session:
        created = store.create_run(pipeline_spec=_spec(), display_name="thousand tasks", session=session)
        run = session.get_one(Run, created.id)
        run.state = RuntimeState.FAILED
        run.created_at = start
        run.finished_at = done

        def task(
            name: str, path: str, kind: TaskKind, parent: Task | None, state: RuntimeState, **extra: Any
        ) -> Task:
            row = Task(
                run_id=run.id,
                parent_task_id=parent.id if parent else None,
                name=name,
                display_name=name,
                path=path,
                kind=kind,
                state=state,
                created_at=start,
                started_at=start,
                finished_at=done,
                attempts=1,
                **extra,
            )
            session.add(row)
            return row

        root = task("root", "root", TaskKind.DAG, None, RuntimeState.FAILED)
        loop = task("for-loop-1", "root/for-loop-1", TaskKind.LOOP, root, RuntimeState.FAILED)
        for index in range(ITERATIONS):
            state = RuntimeState.FAILED if index % 97 == 50 else RuntimeState.SUCCEEDED
            path = f"root/for-loop-1/{index}"
            iteration = task(str(index), path, TaskKind.LOOP_ITERATION, loop, state, iteration_index=index)
            task(
                "work",
                f"{path}/work",
                TaskKind.CONTAINER,
                iteration,
                state,
                inputs={"parameters": {"x": index}},
            )
        task("summarize", "root/summarize", TaskKind.CONTAINER, root, RuntimeState.SKIPPED)
        return run.id
