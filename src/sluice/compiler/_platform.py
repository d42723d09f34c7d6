"""The PlatformSpec of a pipeline (the compiled file's second YAML document): each container task's
kfp-kubernetes settings under its executor label, and the pipeline's ``pipeline_config`` where kfp writes it
(``platforms.kubernetes.pipelineConfig``). A component loaded from YAML keeps the platform spec it came with.

As in kfp, a setting that names a pipeline parameter or an upstream output is rewritten for the DAG the
task sits in: inside a sub-DAG (a loop, a condition) a pipeline parameter arrives as
``pipelinechannel--<name>``, an output of a task outside the DAG as ``pipelinechannel--<task>-<output>``.
Numbers are written as a protobuf ``Struct`` holds them (doubles), so the YAML is kfp's.
"""

from __future__ import annotations

import copy
from typing import Any

from sluice import ir
from sluice.dsl._internal import (
    BaseComponent,
    CompiledImplementation,
    GraphImplementation,
    PipelineDefinitionError,
    PipelineTask,
    pipeline_channel_input_name,
)

__all__ = [
    "check_workspace_use",
    "compiled_platform_spec",
    "kubernetes_executors_of",
    "kubernetes_platform_spec",
    "platform_references",
    "with_pipeline_config",
]


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


def kubernetes_platform_spec(kubernetes_executors: dict[str, Any]) -> ir.PlatformSpec | None:
    if not kubernetes_executors:
        return None
    return ir.PlatformSpec.from_dict(
        {"platforms": {"kubernetes": {"deploymentSpec": {"executors": kubernetes_executors}}}}, "platformSpec"
    )


def compiled_platform_spec(component: BaseComponent) -> ir.PlatformSpec | None:
    """The platform spec a component loaded from YAML came with (None for any other component)."""
    implementation = component.component_spec.implementation
    if isinstance(implementation, CompiledImplementation):
        platform_spec = implementation.platform_spec
        return platform_spec.copy() if isinstance(platform_spec, ir.PlatformSpec) else None
    return None


def with_pipeline_config(
    platform_spec: ir.PlatformSpec | None, component: BaseComponent
) -> ir.PlatformSpec | None:
    """``platform_spec`` with the pipeline's ``pipeline_config`` (its workspace) added, as kfp writes it."""
    implementation = component.component_spec.implementation
    if not isinstance(implementation, GraphImplementation) or implementation.pipeline_config is None:
        return platform_spec
    config = implementation.pipeline_config.to_platform_config()
    if not config:
        return platform_spec
    pipeline_config = ir.PipelineConfig.from_dict(config, "platforms.kubernetes.pipelineConfig")
    if platform_spec is None:
        platform_spec = ir.PlatformSpec()
    kubernetes = platform_spec.platforms.get("kubernetes")
    if kubernetes is None:
        platform_spec.platforms["kubernetes"] = ir.SinglePlatformSpec(pipeline_config=pipeline_config)
    else:
        kubernetes.pipeline_config = pipeline_config
    return platform_spec


def has_workspace(platform_spec: ir.PlatformSpec | None) -> bool:
    """Whether some platform's ``pipelineConfig`` gives the run a workspace."""
    if platform_spec is None:
        return False
    return any(
        single.pipeline_config is not None and single.pipeline_config.workspace is not None
        for single in platform_spec.platforms.values()
    )


def check_workspace_use(
    spec: ir.PipelineSpec, platform_spec: ir.PlatformSpec | None, component: BaseComponent
) -> None:
    """``dsl.importer(download_to_workspace=True)`` needs a workspace, anywhere in the pipeline (as kfp)."""
    if has_workspace(platform_spec):
        return
    executors = spec.deployment_spec.executors if spec.deployment_spec else {}
    for label, executor in sorted(executors.items()):
        if executor.importer is not None and executor.importer.download_to_workspace:
            raise PipelineDefinitionError(
                f"pipeline {component.name!r}: importer {label!r} downloads to the workspace "
                "(dsl.importer(download_to_workspace=True)), but the pipeline has none: add "
                "@dsl.pipeline(pipeline_config=dsl.PipelineConfig(workspace=dsl.WorkspaceConfig(size='1Gi')))"
            )
