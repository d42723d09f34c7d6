"""The PlatformSpec of a pipeline: each container task's kfp-kubernetes settings under its executor label.

As in kfp, a setting that names a pipeline parameter or an upstream output is rewritten for the DAG the
task sits in: inside a sub-DAG (a loop, a condition) a pipeline parameter arrives as
``pipelinechannel--<name>``, an output of a task outside the DAG as ``pipelinechannel--<task>-<output>``.
Numbers are written as a protobuf ``Struct`` holds them (doubles), so the YAML is kfp's.
"""

from __future__ import annotations

import copy
from typing import Any

from sluice import ir
from sluice.dsl._channel import pipeline_channel_input_name
from sluice.dsl._errors import PipelineDefinitionError
from sluice.dsl._task import PipelineTask

__all__ = ["kubernetes_executors_of", "platform_references", "platform_spec_of"]


def kubernetes_executors_of(platform_spec: ir.PlatformSpec | None) -> dict[str, Any]:
    if platform_spec is None:
        return {}
    kubernetes = platform_spec.platforms.get("kubernetes")
    if kubernetes is None or kubernetes.deployment_spec is None:
        return {}
    return dict(kubernetes.deployment_spec.executors)


def platform_references(
    config: dict[str, Any],
    parent_inputs: ir.ComponentInputsSpec,
    names_here: set[str],
    task: PipelineTask,
) -> dict[str, Any]:
    """``config`` with its parameter references valid in the task's DAG, and numbers as doubles."""
    inputs = parent_inputs.parameters

    def rewrite(value: Any) -> Any:
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        if isinstance(value, bool) or not isinstance(value, int | dict):
            return value
        if isinstance(value, int):
            return float(value)
        rewritten = {key: rewrite(item) for key, item in value.items()}
        parameter = rewritten.get("componentInputParameter")
        if isinstance(parameter, str) and parameter not in inputs:
            surfaced = pipeline_channel_input_name(parameter)
            if surfaced in inputs:
                rewritten["componentInputParameter"] = surfaced
        output = rewritten.get("taskOutputParameter")
        if isinstance(output, dict) and output.get("producerTask") not in names_here:
            surfaced = pipeline_channel_input_name(
                f"{output.get('producerTask')}-{output.get('outputParameterKey')}"
            )
            if surfaced not in inputs:
                raise PipelineDefinitionError(
                    f"task {task.name!r}: a kfp-kubernetes setting reads {output.get('producerTask')!r}'s output "
                    f"{output.get('outputParameterKey')!r}, which does not reach the task's DAG",
                    task=task.name,
                    location=task.location,
                )
            del rewritten["taskOutputParameter"]
            rewritten["componentInputParameter"] = surfaced
        return rewritten

    result: dict[str, Any] = rewrite(copy.deepcopy(config))
    return result


def platform_spec_of(kubernetes_executors: dict[str, Any]) -> ir.PlatformSpec | None:
    if not kubernetes_executors:
        return None
    return ir.PlatformSpec.from_dict(
        {"platforms": {"kubernetes": {"deploymentSpec": {"executors": kubernetes_executors}}}}, "platformSpec"
    )
