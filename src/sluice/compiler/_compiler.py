"""``Compiler().compile(pipeline, 'pipeline.yaml')``: a pipeline or component to PipelineSpec YAML."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sluice import ir
from sluice.compiler._builder import build_component_pipeline, build_pipeline_document
from sluice.compiler._interface import default_value
from sluice.compiler._platform import check_workspace_use, compiled_platform_spec, with_pipeline_config
from sluice.dsl._internal import (
    ArtifactType,
    BaseComponent,
    GraphComponent,
    PipelineDefinitionError,
    check_default_value,
)

__all__ = ["Compiler", "compile_to_document", "compile_to_spec"]


def _apply_overrides(
    spec: ir.PipelineSpec,
    pipeline_name: str | None,
    pipeline_display_name: str | None,
    pipeline_parameters: Mapping[str, Any] | None,
    component: BaseComponent,
) -> None:
    info = spec.pipeline_info or ir.PipelineInfo()
    spec.pipeline_info = info
    if pipeline_name is not None:
        info.name = pipeline_name
    if pipeline_display_name is not None:
        info.display_name = pipeline_display_name
    if not pipeline_parameters:
        return
    assert spec.root is not None
    definitions = spec.root.input_definitions or ir.ComponentInputsSpec()
    interface = component.component_spec.inputs
    for name, value in pipeline_parameters.items():
        if name in definitions.artifacts:
            raise PipelineDefinitionError(
                f"pipeline_parameters gives {name!r} a value, but it is an artifact input: artifacts have no defaults"
            )
        if name not in definitions.parameters:
            known = ", ".join(sorted(definitions.parameters)) or "none"
            raise PipelineDefinitionError(
                f"pipeline_parameters names {name!r}, which is not a parameter of pipeline {info.name!r} "
                f"(its parameters: {known})"
            )
        input_spec = interface.get(name)
        if input_spec is not None and not isinstance(input_spec.type, ArtifactType):
            try:
                value = check_default_value(value, input_spec.type, f"pipeline parameter {name!r}")
            except ValueError as error:
                raise PipelineDefinitionError(str(error)) from None
            value = default_value(input_spec.type.kind, value)
        definitions.parameters[name].default_value = value


def compile_to_spec(
    pipeline_func: BaseComponent,
    pipeline_name: str | None = None,
    pipeline_display_name: str | None = None,
    pipeline_parameters: Mapping[str, Any] | None = None,
) -> ir.PipelineSpec:
    """The PipelineSpec of a pipeline (``@dsl.pipeline``) or of a single component, in memory.

    ``pipeline_name`` replaces the pipeline's name and ``pipeline_parameters`` its parameters' defaults.
    Raises PipelineDefinitionError when the pipeline cannot be compiled.
    """
    return compile_to_document(pipeline_func, pipeline_name, pipeline_display_name, pipeline_parameters).spec


def compile_to_document(
    pipeline_func: BaseComponent,
    pipeline_name: str | None = None,
    pipeline_display_name: str | None = None,
    pipeline_parameters: Mapping[str, Any] | None = None,
) -> ir.PipelineDocument:
    """Like :func:`compile_to_spec`, with the PlatformSpec: the tasks' platform settings
    (``sluice.kubernetes``) and the pipeline's ``pipeline_config``; None when there are none."""
    if not isinstance(pipeline_func, BaseComponent):
        raise PipelineDefinitionError(
            f"cannot compile {pipeline_func!r}: expected a @dsl.pipeline function or a component "
            "(@dsl.component, @dsl.container_component, or one loaded from YAML)"
        )
    if isinstance(pipeline_func, GraphComponent):
        document = build_pipeline_document(pipeline_func)
    else:
        document = ir.PipelineDocument(
            build_component_pipeline(pipeline_func), compiled_platform_spec(pipeline_func)
        )
    _apply_overrides(document.spec, pipeline_name, pipeline_display_name, pipeline_parameters, pipeline_func)
    platform_spec = with_pipeline_config(document.platform_spec, pipeline_func)
    check_workspace_use(document.spec, platform_spec, pipeline_func)
    return ir.PipelineDocument(document.spec, platform_spec)


def _write_json(document: ir.PipelineDocument, path: Path) -> None:
    if document.platform_spec is not None:
        # As kfp: a JSON file holds one document, so platform settings need YAML.
        raise PipelineDefinitionError(
            f"{str(path)!r}: platform settings (sluice.kubernetes, pipeline_config) are only written to YAML, "
            "as in kfp; compile to a .yaml file"
        )
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(
        json.dumps(document.spec.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    os.replace(temporary, path)


class Compiler:
    """Compiles pipelines and components to PipelineSpec YAML, as ``kfp.compiler.Compiler`` does."""

    def compile(  # noqa: PLR0917 (kfp's signature, positional arguments included)
        self,
        pipeline_func: BaseComponent,
        package_path: str | os.PathLike[str],
        pipeline_name: str | None = None,
        pipeline_display_name: str | None = None,
        pipeline_parameters: Mapping[str, Any] | None = None,
        type_check: bool = True,
        kubernetes_manifest_options: Any = None,
        kubernetes_manifest_format: bool = False,
    ) -> None:
        """Compile ``pipeline_func`` (a pipeline or a component) and write it to ``package_path``.

        The arguments are kfp's, in kfp's order. The file is written whole or not at all: ``.yaml``/``.yml``
        write YAML, ``.json`` JSON. ``type_check`` is accepted for compatibility with kfp; types are always
        checked. Sluice writes PipelineSpec files only: ``kubernetes_manifest_format=True`` (kfp's
        Kubernetes-manifest output) is refused.
        """
        if kubernetes_manifest_format or kubernetes_manifest_options is not None:
            raise PipelineDefinitionError(
                "Compiler().compile(kubernetes_manifest_format=..., kubernetes_manifest_options=...): Sluice "
                "writes PipelineSpec YAML only, not Kubernetes manifests; leave both unset"
            )
        path = Path(package_path)
        if path.suffix not in (".yaml", ".yml", ".json"):
            raise PipelineDefinitionError(
                f"the output path {str(path)!r} should end with .yaml (or .yml, .json)"
            )
        document = compile_to_document(
            pipeline_func, pipeline_name, pipeline_display_name, pipeline_parameters
        )
        if path.suffix == ".json":
            _write_json(document, path)
        else:
            ir.write_pipeline(document, path)
