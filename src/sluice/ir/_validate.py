"""Validation beyond field types: the official protobuf schema (strict) and cross-references."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sluice.ir._codec import IRError
from sluice.ir._model import ComponentSpec, PipelineSpec, PipelineTaskSpec
from sluice.ir._yaml import PipelineDocument

__all__ = ["check_references", "find_cycle", "task_upstream", "validate_with_protobuf"]


def validate_with_protobuf(document: PipelineDocument | PipelineSpec | dict[str, Any]) -> None:
    """Parse with the ``kfp-pipeline-spec`` protobuf schema, unknown fields rejected.

    ``deploymentSpec`` is a free-form Struct in the proto; it is checked against ``PipelineDeploymentConfig``.
    """
    # Imported here: protobuf costs tens of milliseconds and most callers never validate.
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2  # type: ignore[import-untyped]

    if isinstance(document, dict):
        spec_dict, platform_dict = document, None
    else:
        if isinstance(document, PipelineSpec):
            document = PipelineDocument(document)
        spec_dict = document.spec.to_dict()
        platform_dict = document.platform_spec.to_dict() if document.platform_spec else None
    checks: list[tuple[str, dict[str, Any], Any]] = [
        ("PipelineSpec", spec_dict, pipeline_spec_pb2.PipelineSpec()),
        ("deploymentSpec", spec_dict.get("deploymentSpec", {}), pipeline_spec_pb2.PipelineDeploymentConfig()),
    ]
    if platform_dict is not None:
        checks.append(("PlatformSpec", platform_dict, pipeline_spec_pb2.PlatformSpec()))
    for what, data, message in checks:
        try:
            json_format.ParseDict(data, message, ignore_unknown_fields=False)
        except json_format.ParseError as error:
            raise IRError(f"does not match the kfp-pipeline-spec schema: {error}", what) from None


def _task_problems(path: str, dag_tasks: dict[str, PipelineTaskSpec], spec: PipelineSpec) -> list[IRError]:
    problems: list[IRError] = []
    for task_name, task in dag_tasks.items():
        where = f"{path}.tasks.{task_name}"
        ref = task.component_ref.name if task.component_ref else None
        if not ref:
            problems.append(IRError("task has no componentRef", where))
        elif ref not in spec.components:
            problems.append(IRError(f"task refers to unknown component {ref!r}", f"{where}.componentRef"))
        for upstream in task.dependent_tasks:
            if upstream not in dag_tasks:
                problems.append(IRError(f"depends on unknown task {upstream!r}", f"{where}.dependentTasks"))
        inputs = task.inputs
        if inputs is None:
            continue
        for key, parameter in inputs.parameters.items():
            producer = None
            if parameter.task_output_parameter is not None:
                producer = parameter.task_output_parameter.producer_task
            elif parameter.task_final_status is not None:
                producer = parameter.task_final_status.producer_task
            if producer is not None and producer not in dag_tasks:
                problems.append(
                    IRError(f"reads from unknown task {producer!r}", f"{where}.inputs.parameters.{key}")
                )
        for key, artifact in inputs.artifacts.items():
            if artifact.task_output_artifact is not None:
                producer = artifact.task_output_artifact.producer_task
                if producer not in dag_tasks:
                    problems.append(
                        IRError(f"reads from unknown task {producer!r}", f"{where}.inputs.artifacts.{key}")
                    )
    return problems


def task_upstream(task: PipelineTaskSpec) -> set[str]:
    """The tasks of its DAG that ``task`` waits for: its ``dependentTasks`` and the producers of its inputs."""
    names = set(task.dependent_tasks)
    inputs = task.inputs
    if inputs is not None:
        for parameter in inputs.parameters.values():
            if parameter.task_output_parameter is not None and parameter.task_output_parameter.producer_task:
                names.add(parameter.task_output_parameter.producer_task)
            if parameter.task_final_status is not None and parameter.task_final_status.producer_task:
                names.add(parameter.task_final_status.producer_task)
        for artifact in inputs.artifacts.values():
            if artifact.task_output_artifact is not None and artifact.task_output_artifact.producer_task:
                names.add(artifact.task_output_artifact.producer_task)
    return names


def find_cycle(upstream: Mapping[str, Collection[str]]) -> list[str]:
    """Names forming a cycle of ``upstream`` (name -> the names it waits for), each waiting for the next, the
    first (the smallest) repeated at the end: ``["a", "b", "a"]``; ``[]`` when there is none. Names outside
    the mapping are ignored."""
    waiting = {name: {other for other in before if other in upstream} for name, before in upstream.items()}
    downstream: dict[str, list[str]] = {name: [] for name in waiting}
    for name, before in waiting.items():
        for other in before:
            downstream[other].append(name)
    # Kahn's algorithm: whatever is never freed waits, directly or not, on a cycle.
    remaining = {name: len(before) for name, before in waiting.items()}
    ready = [name for name, count in remaining.items() if count == 0]
    while ready:
        for after in downstream[ready.pop()]:
            remaining[after] -= 1
            if remaining[after] == 0:
                ready.append(after)
    stuck = {name for name, count in remaining.items() if count > 0}
    if not stuck:
        return []
    # Walk upstream from the smallest stuck name until a name repeats: that stretch is a cycle.
    path = [min(stuck)]
    while True:
        following = min(name for name in waiting[path[-1]] if name in stuck)
        if following in path:
            cycle = path[path.index(following) :]
            start = cycle.index(min(cycle))
            cycle = cycle[start:] + cycle[:start]
            return [*cycle, cycle[0]]
        path.append(following)


def _cycle_problem(path: str, dag_tasks: dict[str, PipelineTaskSpec]) -> list[IRError]:
    cycle = find_cycle({name: task_upstream(task) for name, task in dag_tasks.items()})
    if not cycle:
        return []
    shown = " -> ".join(cycle)
    return [
        IRError(
            f"tasks depend on each other in a cycle ({shown}, each waiting for the next): none can start",
            path,
        )
    ]


def _component_problems(path: str, component: ComponentSpec, spec: PipelineSpec) -> list[IRError]:
    if component.dag is not None:
        problems = _task_problems(f"{path}.dag", component.dag.tasks, spec)
        return problems or _cycle_problem(f"{path}.dag.tasks", component.dag.tasks)
    if component.executor_label is not None:
        executors = spec.deployment_spec.executors if spec.deployment_spec else {}
        if component.executor_label not in executors:
            return [IRError(f"unknown executor {component.executor_label!r}", f"{path}.executorLabel")]
        return []
    return [IRError("component has neither a dag nor an executorLabel", path)]


def check_references(spec: PipelineSpec) -> None:
    """Raise the first dangling reference (component, executor, task), or dependency cycle among the tasks of
    a DAG, with the path where it occurs."""
    problems: list[IRError] = []
    if spec.root is None:
        problems.append(IRError("missing required field 'root'"))
    else:
        problems += _component_problems("root", spec.root, spec)
    for name, component in spec.components.items():
        problems += _component_problems(f"components.{name}", component, spec)
    if problems:
        raise problems[0]
