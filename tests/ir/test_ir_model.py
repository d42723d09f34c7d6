"""The IR mirrors KFP's pipeline_spec.proto exactly and round-trips kfp-compiled YAML with nothing lost."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from kfp.pipeline_spec import pipeline_spec_pb2 as pb

from sluice import ir

from .kfp_kitchen_sink import compile_kitchen_sink as _kfp_compiled

# Each IR class and the proto message it mirrors.
IR_TO_PROTO: dict[type[Any], Any] = {
    ir.PipelineSpec: pb.PipelineSpec,
    ir.PipelineInfo: pb.PipelineInfo,
    ir.ComponentSpec: pb.ComponentSpec,
    ir.ComponentInputsSpec: pb.ComponentInputsSpec,
    ir.ComponentInputArtifactSpec: pb.ComponentInputsSpec.ArtifactSpec,
    ir.ComponentInputParameterSpec: pb.ComponentInputsSpec.ParameterSpec,
    ir.ComponentOutputsSpec: pb.ComponentOutputsSpec,
    ir.ComponentOutputArtifactSpec: pb.ComponentOutputsSpec.ArtifactSpec,
    ir.ComponentOutputParameterSpec: pb.ComponentOutputsSpec.ParameterSpec,
    ir.ArtifactTypeSchema: pb.ArtifactTypeSchema,
    ir.PrimitiveValue: pb.Value,
    ir.ValueOrRuntimeParameter: pb.ValueOrRuntimeParameter,
    ir.DagSpec: pb.DagSpec,
    ir.DagOutputsSpec: pb.DagOutputsSpec,
    ir.DagOutputArtifactSpec: pb.DagOutputsSpec.DagOutputArtifactSpec,
    ir.ArtifactSelectorSpec: pb.DagOutputsSpec.ArtifactSelectorSpec,
    ir.DagOutputParameterSpec: pb.DagOutputsSpec.DagOutputParameterSpec,
    ir.ParameterSelectorSpec: pb.DagOutputsSpec.ParameterSelectorSpec,
    ir.ParameterSelectorsSpec: pb.DagOutputsSpec.ParameterSelectorsSpec,
    ir.PipelineTaskSpec: pb.PipelineTaskSpec,
    ir.PipelineTaskInfo: pb.PipelineTaskInfo,
    ir.TaskInputsSpec: pb.TaskInputsSpec,
    ir.TaskInputParameterSpec: pb.TaskInputsSpec.InputParameterSpec,
    ir.TaskOutputParameterSpec: pb.TaskInputsSpec.InputParameterSpec.TaskOutputParameterSpec,
    ir.TaskFinalStatusSpec: pb.TaskInputsSpec.InputParameterSpec.TaskFinalStatus,
    ir.TaskInputArtifactSpec: pb.TaskInputsSpec.InputArtifactSpec,
    ir.TaskOutputArtifactSpec: pb.TaskInputsSpec.InputArtifactSpec.TaskOutputArtifactSpec,
    ir.CachingOptions: pb.PipelineTaskSpec.CachingOptions,
    ir.ComponentRef: pb.ComponentRef,
    ir.TriggerPolicy: pb.PipelineTaskSpec.TriggerPolicy,
    ir.ArtifactIteratorSpec: pb.ArtifactIteratorSpec,
    ir.ArtifactIteratorItems: pb.ArtifactIteratorSpec.ItemsSpec,
    ir.ParameterIteratorSpec: pb.ParameterIteratorSpec,
    ir.ParameterIteratorItems: pb.ParameterIteratorSpec.ItemsSpec,
    ir.RetryPolicy: pb.PipelineTaskSpec.RetryPolicy,
    ir.IteratorPolicy: pb.PipelineTaskSpec.IteratorPolicy,
    ir.SinglePlatformSpec: pb.SinglePlatformSpec,
    ir.PlatformDeploymentConfig: pb.PlatformDeploymentConfig,
    ir.PipelineConfig: pb.PipelineConfig,
    ir.WorkspaceConfig: pb.WorkspaceConfig,
    ir.KubernetesWorkspaceConfig: pb.KubernetesWorkspaceConfig,
    ir.TaskConfigPassthrough: pb.TaskConfigPassthrough,
    ir.PlatformSpec: pb.PlatformSpec,
    ir.DeploymentSpec: pb.PipelineDeploymentConfig,
    ir.ExecutorSpec: pb.PipelineDeploymentConfig.ExecutorSpec,
    ir.ContainerSpec: pb.PipelineDeploymentConfig.PipelineContainerSpec,
    ir.Lifecycle: pb.PipelineDeploymentConfig.PipelineContainerSpec.Lifecycle,
    ir.LifecycleExec: pb.PipelineDeploymentConfig.PipelineContainerSpec.Lifecycle.Exec,
    ir.ResourceSpec: pb.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec,
    ir.AcceleratorConfig: pb.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec.AcceleratorConfig,
    ir.EnvVar: pb.PipelineDeploymentConfig.PipelineContainerSpec.EnvVar,
    ir.ImporterSpec: pb.PipelineDeploymentConfig.ImporterSpec,
    ir.ResolverSpec: pb.PipelineDeploymentConfig.ResolverSpec,
    ir.ArtifactQuerySpec: pb.PipelineDeploymentConfig.ResolverSpec.ArtifactQuerySpec,
    ir.CustomJobSpec: pb.PipelineDeploymentConfig.AIPlatformCustomJobSpec,
}


@pytest.mark.parametrize("ir_class", list(IR_TO_PROTO), ids=lambda cls: cls.__name__)
def test_every_ir_class_has_exactly_the_proto_fields(ir_class: type[Any]) -> None:
    proto_fields = {field.json_name for field in IR_TO_PROTO[ir_class].DESCRIPTOR.fields}
    ir_fields = set(ir_class().to_dict()) | set(_json_names(ir_class))
    assert ir_fields == proto_fields


def _json_names(ir_class: type[Any]) -> list[str]:
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.title() for part in rest)

    return [field.metadata.get("json", camel(field.name)) for field in dataclasses.fields(ir_class)]


def test_every_message_in_the_model_is_mapped_to_the_proto() -> None:
    message_classes = {
        value
        for value in vars(ir).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value is not ir.PipelineDocument
    }
    assert message_classes == set(IR_TO_PROTO)


@pytest.mark.parametrize("enum_class", [ir.ParameterType, ir.PrimitiveType, ir.TriggerStrategy])
def test_enums_match_the_proto(enum_class: type[Any]) -> None:
    proto_enum = {
        ir.ParameterType: pb.ParameterType.ParameterTypeEnum,
        ir.PrimitiveType: pb.PrimitiveType.PrimitiveTypeEnum,
        ir.TriggerStrategy: pb.PipelineTaskSpec.TriggerPolicy.TriggerStrategy,
    }[enum_class]
    assert [member.value for member in enum_class] == list(proto_enum.keys())


def test_kfp_compiled_yaml_round_trips_with_nothing_lost(tmp_path: Path) -> None:
    path = _kfp_compiled(tmp_path)
    original = yaml.safe_load(path.read_text())
    document = ir.read_pipeline(path)
    assert document.spec.to_dict() == original
    ir.validate_with_protobuf(document)
    ir.check_references(document.spec)


def test_typed_access_to_a_loaded_pipeline(tmp_path: Path) -> None:
    spec = ir.read_pipeline(_kfp_compiled(tmp_path)).spec
    assert spec.pipeline_info is not None and spec.pipeline_info.name == "kitchen-sink"
    assert spec.schema_version == ir.SCHEMA_VERSION
    assert spec.root is not None and spec.root.input_definitions is not None
    rows = spec.root.input_definitions.parameters["rows"]
    assert rows.parameter_type is ir.ParameterType.NUMBER_INTEGER
    train = spec.component("comp-train")
    assert train.executor_label is not None
    container = spec.executor(train.executor_label).container
    assert container is not None and container.image == "python:3.12"
    assert container.resources is not None and container.resources.accelerator is not None
    assert container.env == [ir.EnvVar(name="SEED", value="1")]


def test_dumped_yaml_loads_in_kfp_and_back(tmp_path: Path) -> None:
    from kfp import components

    document = ir.read_pipeline(_kfp_compiled(tmp_path))
    target = tmp_path / "again.yaml"
    ir.write_pipeline(document, target)
    assert ir.read_pipeline(target).spec == document.spec
    loaded = components.load_component_from_file(str(target))
    assert loaded.name == "kitchen-sink"


def test_platform_spec_document_is_kept() -> None:
    text = """
pipelineInfo: {name: p}
root: {dag: {tasks: {}}}
schemaVersion: 2.1.0
---
platforms:
  kubernetes:
    deploymentSpec:
      executors:
        exec-a: {nodeSelector: {labels: {pool: gpu}}}
"""
    document = ir.parse_pipeline(text)
    assert document.platform_spec is not None
    executors = document.platform_spec.platforms["kubernetes"].deployment_spec.executors  # type: ignore[union-attr]
    assert executors["exec-a"] == {"nodeSelector": {"labels": {"pool": "gpu"}}}
    ir.validate_with_protobuf(document)
    assert ir.parse_pipeline(ir.dump_pipeline(document)).to_dicts() == document.to_dicts()


@pytest.mark.parametrize(
    ("text", "message", "path"),
    [
        (
            "root: {dag: {tasks: {a: {componentRef: {name: c}, bogus: 1}}}}",
            "unknown field 'bogus'",
            "root.dag.tasks.a",
        ),
        (
            "root: {inputDefinitions: {parameters: {x: {parameterType: NUMBER}}}}",
            "unknown value 'NUMBER'",
            "root.inputDefinitions.parameters.x.parameterType",
        ),
        (
            "root: {dag: {tasks: {a: {dependentTasks: b}}}}",
            "expected a list",
            "root.dag.tasks.a.dependentTasks",
        ),
        ("root: {dag: {tasks: {}}, executorLabel: e}", "dag and executorLabel are alternatives", "root"),
        (
            "root: {dag: {tasks: {a: {retryPolicy: {maxRetryCount: many}}}}}",
            "expected an integer",
            "maxRetryCount",
        ),
        ("pipelineInfo: {name: p}", "missing required field 'root'", ""),
        ("", "the document is empty", ""),
        ("root: {dag: {tasks: [\n", "not valid YAML", "line 2"),
        ("- a\n- b\n", "expected a mapping", ""),
    ],
)
def test_bad_documents_get_clear_errors_naming_the_place(text: str, message: str, path: str) -> None:
    with pytest.raises(ir.IRError) as caught:
        ir.parse_pipeline(text, source="bad.yaml")
    assert message in str(caught.value)
    assert path in caught.value.path
    assert str(caught.value).startswith("bad.yaml: ")


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ir.IRError, match=r"missing\.yaml: cannot read"):
        ir.read_pipeline(missing)


def test_protobuf_schema_rejects_what_the_model_cannot_see() -> None:
    spec = ir.parse_pipeline("root: {dag: {tasks: {}}}\nschemaVersion: 2.1.0").spec
    # deploymentSpec is a free-form Struct in the proto; the strict check still applies its real schema.
    bad = spec.to_dict() | {"deploymentSpec": {"executors": {"e": {"container": {"imagee": "x"}}}}}
    with pytest.raises(ir.IRError, match="imagee"):
        ir.validate_with_protobuf(bad)


def test_dangling_references_are_named(tmp_path: Path) -> None:
    document = ir.read_pipeline(_kfp_compiled(tmp_path))
    spec = document.spec
    assert spec.root is not None and spec.root.dag is not None
    exit_handler = next(iter(spec.root.dag.tasks.values()))
    assert exit_handler.component_ref is not None
    exit_handler.component_ref.name = "comp-nowhere"
    with pytest.raises(ir.IRError, match="unknown component 'comp-nowhere'"):
        ir.check_references(spec)


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    spec = ir.parse_pipeline("root: {dag: {tasks: {}}}").spec
    target = tmp_path / "out.yaml"
    ir.write_pipeline(spec, target)
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]
