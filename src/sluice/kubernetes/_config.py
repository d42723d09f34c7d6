"""A task's Kubernetes settings: ``task.platform_config['kubernetes']``, kept in the JSON shape of
kfp-kubernetes' ``KubernetesExecutorConfig`` (camelCase names, 64-bit integers as strings, unset fields
left out), so the compiler writes the same PlatformSpec kfp does. Standard library only."""

from __future__ import annotations

from typing import Any

from sluice.dsl._internal import PipelineChannel, PipelineDefinitionError, PipelineTask, caller_location

__all__ = ["definition_error", "kubernetes_config", "parameter_input"]


def definition_error(task: Any, message: str) -> PipelineDefinitionError:
    name = getattr(task, "name", None)
    prefix = f"task {name!r}: " if name else ""
    return PipelineDefinitionError(prefix + message, task=name, location=caller_location())


def kubernetes_config(task: PipelineTask, setting: str) -> dict[str, Any]:
    """The task's settings to change in place (a container task's only: kfp applies them to a pod)."""
    if not isinstance(task, PipelineTask):
        raise definition_error(
            None, f"kubernetes.{setting}() takes a task (a component called in a pipeline), got {task!r}"
        )
    if task.container is None:
        raise definition_error(
            task,
            f"kubernetes.{setting}() applies to a task that runs a container (a component), not to a pipeline "
            "or an importer",
        )
    config: dict[str, Any] = task.platform_config.setdefault("kubernetes", {})
    return config


def parameter_input(task: PipelineTask, value: Any, setting: str, argument: str) -> dict[str, Any]:
    """An ``InputParameterSpec``: a constant (str or dict), a pipeline parameter, or an upstream output
    (which the task then waits for)."""
    if isinstance(value, PipelineChannel):
        if value.is_artifact:
            raise definition_error(
                task, f"kubernetes.{setting}(): {argument} must be a parameter, not the artifact {value!r}"
            )
        task.register_pipeline_channels([value])
        producer = value.producer
        if producer is None:
            return {"componentInputParameter": value.full_name}
        if isinstance(producer, PipelineTask):
            task.after(producer)
        return {
            "taskOutputParameter": {"producerTask": value.producer_name, "outputParameterKey": value.name}
        }
    if isinstance(value, str | dict):
        return {"runtimeValue": {"constant": value}}
    raise definition_error(
        task,
        f"kubernetes.{setting}(): {argument} must be a string, a dict or a pipeline channel, got "
        f"{type(value).__name__} {value!r}",
    )
