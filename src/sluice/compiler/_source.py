"""Which pipeline a Python file means: the rule ``sluice compile`` and ``sluice run`` share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["root_pipelines"]


def _uses(pipeline: Any, other: Any) -> bool:
    """Whether ``pipeline`` calls ``other``, directly or through nested pipelines."""
    from sluice.dsl import GraphComponent

    for task in pipeline.graph.tasks.values():
        if task.component is other or (
            isinstance(task.component, GraphComponent) and _uses(task.component, other)
        ):
            return True
    return False


def root_pipelines(pipelines: Mapping[str, Any]) -> dict[str, Any]:
    """The Sluice pipelines among ``pipelines`` that no other one calls: the ones a file is run or compiled for.

    A file may define sub-pipelines next to the pipeline that uses them; those are not candidates.
    """
    from sluice.dsl import GraphComponent

    ours = {name: value for name, value in pipelines.items() if isinstance(value, GraphComponent)}
    return {
        name: pipeline
        for name, pipeline in ours.items()
        if not any(other is not pipeline and _uses(other, pipeline) for other in ours.values())
    }
