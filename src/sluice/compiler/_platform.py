"""The platform spec (the compiled file's second YAML document) of what Sluice compiles itself.

A pipeline's ``pipeline_config`` goes where kfp writes it: ``platforms.kubernetes.pipelineConfig``. A
component loaded from YAML keeps the platform spec it came with.
"""

from __future__ import annotations

from sluice import ir
from sluice.dsl._component import BaseComponent, CompiledImplementation, GraphImplementation
from sluice.dsl._errors import PipelineDefinitionError

__all__ = ["check_workspace_use", "platform_spec_of"]


def platform_spec_of(component: BaseComponent) -> ir.PlatformSpec | None:
    """The platform spec to write with ``component``'s PipelineSpec, or None when it has none."""
    implementation = component.component_spec.implementation
    if isinstance(implementation, CompiledImplementation):
        platform_spec = implementation.platform_spec
        return platform_spec.copy() if isinstance(platform_spec, ir.PlatformSpec) else None
    if not isinstance(implementation, GraphImplementation) or implementation.pipeline_config is None:
        return None
    config = implementation.pipeline_config.to_platform_config()
    if not config:
        return None
    return ir.PlatformSpec(
        platforms={
            "kubernetes": ir.SinglePlatformSpec(
                pipeline_config=ir.PipelineConfig.from_dict(config, "platforms.kubernetes.pipelineConfig")
            )
        }
    )


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
