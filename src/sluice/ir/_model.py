"""The IR: KFP's PipelineSpec (``pipeline_spec.proto``, schemaVersion 2.1.0) as typed dataclasses.

Each class mirrors one proto message field by field (snake_case attributes, proto-JSON names on the wire).
Nested proto messages get flat names (``ComponentInputsSpec.ArtifactSpec`` → ``ComponentInputArtifactSpec``).
``google.protobuf.Struct``/``Value`` fields are plain JSON values. Every stage (compiler, engine, service, UI)
reads and writes pipelines through these classes.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from sluice.ir._codec import IRError, decode, encode

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "SCHEMA_VERSION",
    "AcceleratorConfig",
    "ArtifactIteratorItems",
    "ArtifactIteratorSpec",
    "ArtifactQuerySpec",
    "ArtifactSelectorSpec",
    "ArtifactTypeSchema",
    "CachingOptions",
    "ComponentInputArtifactSpec",
    "ComponentInputParameterSpec",
    "ComponentInputsSpec",
    "ComponentOutputArtifactSpec",
    "ComponentOutputParameterSpec",
    "ComponentOutputsSpec",
    "ComponentRef",
    "ComponentSpec",
    "ContainerSpec",
    "CustomJobSpec",
    "DagOutputArtifactSpec",
    "DagOutputParameterSpec",
    "DagOutputsSpec",
    "DagSpec",
    "DeploymentSpec",
    "EnvVar",
    "ExecutorSpec",
    "ImporterSpec",
    "IteratorPolicy",
    "KubernetesWorkspaceConfig",
    "Lifecycle",
    "LifecycleExec",
    "ParameterIteratorItems",
    "ParameterIteratorSpec",
    "ParameterSelectorSpec",
    "ParameterSelectorsSpec",
    "ParameterType",
    "PipelineConfig",
    "PipelineInfo",
    "PipelineSpec",
    "PipelineTaskInfo",
    "PipelineTaskSpec",
    "PlatformDeploymentConfig",
    "PlatformSpec",
    "PrimitiveType",
    "PrimitiveValue",
    "ResolverSpec",
    "ResourceSpec",
    "RetryPolicy",
    "SinglePlatformSpec",
    "TaskConfigPassthrough",
    "TaskConfigPassthroughType",
    "TaskFinalStatusSpec",
    "TaskInputArtifactSpec",
    "TaskInputParameterSpec",
    "TaskInputsSpec",
    "TaskOutputArtifactSpec",
    "TaskOutputParameterSpec",
    "TriggerPolicy",
    "TriggerStrategy",
    "ValueOrRuntimeParameter",
    "WorkspaceConfig",
]

SCHEMA_VERSION = "2.1.0"


# NUMBER_INTEGER values are int64 in KFP's protos.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class ParameterType(enum.StrEnum):
    PARAMETER_TYPE_ENUM_UNSPECIFIED = "PARAMETER_TYPE_ENUM_UNSPECIFIED"
    NUMBER_DOUBLE = "NUMBER_DOUBLE"
    NUMBER_INTEGER = "NUMBER_INTEGER"
    STRING = "STRING"
    BOOLEAN = "BOOLEAN"
    LIST = "LIST"
    STRUCT = "STRUCT"
    TASK_FINAL_STATUS = "TASK_FINAL_STATUS"
    TASK_CONFIG = "TASK_CONFIG"


class PrimitiveType(enum.StrEnum):
    """Deprecated in the proto (schema 1.x); kept so old documents still load."""

    PRIMITIVE_TYPE_UNSPECIFIED = "PRIMITIVE_TYPE_UNSPECIFIED"
    INT = "INT"
    DOUBLE = "DOUBLE"
    STRING = "STRING"


class TriggerStrategy(enum.StrEnum):
    TRIGGER_STRATEGY_UNSPECIFIED = "TRIGGER_STRATEGY_UNSPECIFIED"
    ALL_UPSTREAM_TASKS_SUCCEEDED = "ALL_UPSTREAM_TASKS_SUCCEEDED"
    ALL_UPSTREAM_TASKS_COMPLETED = "ALL_UPSTREAM_TASKS_COMPLETED"


class TaskConfigPassthroughType(enum.StrEnum):
    NONE = "NONE"
    RESOURCES = "RESOURCES"
    ENV = "ENV"
    KUBERNETES_AFFINITY = "KUBERNETES_AFFINITY"
    KUBERNETES_TOLERATIONS = "KUBERNETES_TOLERATIONS"
    KUBERNETES_NODE_SELECTOR = "KUBERNETES_NODE_SELECTOR"
    KUBERNETES_VOLUMES = "KUBERNETES_VOLUMES"


class _Message:
    """Shared behaviour of IR messages: dict conversion and copying."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    _oneofs: ClassVar[tuple[tuple[str, ...], ...]] = ()

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Self:
        """Decode proto-JSON ``data``; raises IRError naming the offending field's path."""
        return decode(cls, data, path)

    def to_dict(self) -> dict[str, Any]:
        """The proto-JSON dictionary (camelCase keys), unset fields left out."""
        return encode(self)

    def copy(self) -> Self:
        """A deep copy, by value."""
        return type(self).from_dict(self.to_dict())


# ---------------------------------------------------------------- types and values


@dataclass
class ArtifactTypeSchema(_Message):
    schema_title: str | None = None
    schema_uri: str | None = None
    instance_schema: str | None = None
    schema_version: str | None = None
    _oneofs = (("schema_title", "schema_uri", "instance_schema"),)


@dataclass
class PrimitiveValue(_Message):
    """``ml_pipelines.Value`` (deprecated form of a constant)."""

    int_value: int | None = field(default=None, metadata={"int64": True})
    double_value: float | None = None
    string_value: str | None = None
    _oneofs = (("int_value", "double_value", "string_value"),)


@dataclass
class ValueOrRuntimeParameter(_Message):
    constant_value: PrimitiveValue | None = None
    runtime_parameter: str | None = None
    constant: Any = None  # google.protobuf.Value: any JSON value
    _oneofs = (("constant_value", "runtime_parameter", "constant"),)


# ---------------------------------------------------------------- component interfaces


@dataclass
class ComponentInputArtifactSpec(_Message):
    artifact_type: ArtifactTypeSchema | None = None
    is_artifact_list: bool | None = None
    is_optional: bool | None = None
    description: str | None = None


@dataclass
class ComponentInputParameterSpec(_Message):
    type: PrimitiveType | None = None
    parameter_type: ParameterType | None = None
    default_value: Any = None
    is_optional: bool | None = None
    description: str | None = None
    literals: list[Any] = field(default_factory=list)


@dataclass
class ComponentInputsSpec(_Message):
    artifacts: dict[str, ComponentInputArtifactSpec] = field(default_factory=dict)
    parameters: dict[str, ComponentInputParameterSpec] = field(default_factory=dict)


@dataclass
class ComponentOutputArtifactSpec(_Message):
    artifact_type: ArtifactTypeSchema | None = None
    properties: dict[str, ValueOrRuntimeParameter] = field(default_factory=dict)
    custom_properties: dict[str, ValueOrRuntimeParameter] = field(default_factory=dict)
    metadata: Any = None
    is_artifact_list: bool | None = None
    description: str | None = None


@dataclass
class ComponentOutputParameterSpec(_Message):
    type: PrimitiveType | None = None
    parameter_type: ParameterType | None = None
    description: str | None = None


@dataclass
class ComponentOutputsSpec(_Message):
    artifacts: dict[str, ComponentOutputArtifactSpec] = field(default_factory=dict)
    parameters: dict[str, ComponentOutputParameterSpec] = field(default_factory=dict)


# ---------------------------------------------------------------- tasks


@dataclass
class PipelineTaskInfo(_Message):
    name: str | None = None


@dataclass
class TaskOutputParameterSpec(_Message):
    producer_task: str | None = None
    output_parameter_key: str | None = None


@dataclass
class TaskFinalStatusSpec(_Message):
    producer_task: str | None = None


@dataclass
class TaskInputParameterSpec(_Message):
    task_output_parameter: TaskOutputParameterSpec | None = None
    runtime_value: ValueOrRuntimeParameter | None = None
    component_input_parameter: str | None = None
    task_final_status: TaskFinalStatusSpec | None = None
    parameter_expression_selector: str | None = None
    _oneofs = (("task_output_parameter", "runtime_value", "component_input_parameter", "task_final_status"),)


@dataclass
class TaskOutputArtifactSpec(_Message):
    producer_task: str | None = None
    output_artifact_key: str | None = None


@dataclass
class TaskInputArtifactSpec(_Message):
    task_output_artifact: TaskOutputArtifactSpec | None = None
    component_input_artifact: str | None = None
    _oneofs = (("task_output_artifact", "component_input_artifact"),)


@dataclass
class TaskInputsSpec(_Message):
    parameters: dict[str, TaskInputParameterSpec] = field(default_factory=dict)
    artifacts: dict[str, TaskInputArtifactSpec] = field(default_factory=dict)


@dataclass
class CachingOptions(_Message):
    enable_cache: bool | None = None
    cache_key: str | None = None


@dataclass
class ComponentRef(_Message):
    name: str | None = None


@dataclass
class TriggerPolicy(_Message):
    condition: str | None = None
    strategy: TriggerStrategy | None = None


@dataclass
class ArtifactIteratorItems(_Message):
    input_artifact: str | None = None


@dataclass
class ArtifactIteratorSpec(_Message):
    items: ArtifactIteratorItems | None = None
    item_input: str | None = None


@dataclass
class ParameterIteratorItems(_Message):
    raw: str | None = None  # a JSON-encoded list
    input_parameter: str | None = None
    _oneofs = (("raw", "input_parameter"),)


@dataclass
class ParameterIteratorSpec(_Message):
    items: ParameterIteratorItems | None = None
    item_input: str | None = None


@dataclass
class RetryPolicy(_Message):
    max_retry_count: int | None = None
    backoff_duration: str | None = None  # google.protobuf.Duration in JSON form, e.g. "3600s"
    backoff_factor: float | None = None
    backoff_max_duration: str | None = None


@dataclass
class IteratorPolicy(_Message):
    parallelism_limit: int | None = None


@dataclass
class PipelineTaskSpec(_Message):
    task_info: PipelineTaskInfo | None = None
    inputs: TaskInputsSpec | None = None
    dependent_tasks: list[str] = field(default_factory=list)
    caching_options: CachingOptions | None = None
    component_ref: ComponentRef | None = None
    trigger_policy: TriggerPolicy | None = None
    artifact_iterator: ArtifactIteratorSpec | None = None
    parameter_iterator: ParameterIteratorSpec | None = None
    retry_policy: RetryPolicy | None = None
    iterator_policy: IteratorPolicy | None = None
    _oneofs = (("artifact_iterator", "parameter_iterator"),)


# ---------------------------------------------------------------- DAGs


@dataclass
class ArtifactSelectorSpec(_Message):
    producer_subtask: str | None = None
    output_artifact_key: str | None = None


@dataclass
class DagOutputArtifactSpec(_Message):
    artifact_selectors: list[ArtifactSelectorSpec] = field(default_factory=list)


@dataclass
class ParameterSelectorSpec(_Message):
    producer_subtask: str | None = None
    output_parameter_key: str | None = None


@dataclass
class ParameterSelectorsSpec(_Message):
    parameter_selectors: list[ParameterSelectorSpec] = field(default_factory=list)


@dataclass
class DagOutputParameterSpec(_Message):
    value_from_parameter: ParameterSelectorSpec | None = None
    value_from_oneof: ParameterSelectorsSpec | None = None
    _oneofs = (("value_from_parameter", "value_from_oneof"),)


@dataclass
class DagOutputsSpec(_Message):
    artifacts: dict[str, DagOutputArtifactSpec] = field(default_factory=dict)
    parameters: dict[str, DagOutputParameterSpec] = field(default_factory=dict)


@dataclass
class DagSpec(_Message):
    tasks: dict[str, PipelineTaskSpec] = field(default_factory=dict)
    outputs: DagOutputsSpec | None = None


# ---------------------------------------------------------------- platform-specific parts


@dataclass
class PlatformDeploymentConfig(_Message):
    executors: dict[str, Any] = field(default_factory=dict)  # per executor: a platform-specific struct


@dataclass
class KubernetesWorkspaceConfig(_Message):
    pvc_spec_patch: Any = None


@dataclass
class WorkspaceConfig(_Message):
    size: str | None = None
    kubernetes: KubernetesWorkspaceConfig | None = None


@dataclass
class PipelineConfig(_Message):
    resource_ttl_on_completion: int | None = None
    workspace: WorkspaceConfig | None = None
    resource_ttl_on_success: int | None = None
    resource_ttl_on_failure: int | None = None
    active_deadline_seconds: int | None = None


@dataclass
class SinglePlatformSpec(_Message):
    deployment_spec: PlatformDeploymentConfig | None = None
    platform: str | None = None
    config: Any = None
    pipeline_config: PipelineConfig | None = field(default=None, metadata={"json": "pipelineConfig"})


@dataclass
class TaskConfigPassthrough(_Message):
    field: TaskConfigPassthroughType | None = None
    apply_to_task: bool | None = None


@dataclass
class PlatformSpec(_Message):
    """The optional second YAML document: per-platform settings (e.g. ``kubernetes``)."""

    platforms: dict[str, SinglePlatformSpec] = field(default_factory=dict)


# ---------------------------------------------------------------- components


@dataclass
class ComponentSpec(_Message):
    input_definitions: ComponentInputsSpec | None = None
    output_definitions: ComponentOutputsSpec | None = None
    dag: DagSpec | None = None
    executor_label: str | None = None
    single_platform_specs: list[SinglePlatformSpec] = field(default_factory=list)
    task_config_passthroughs: list[TaskConfigPassthrough] = field(default_factory=list)
    _oneofs = (("dag", "executor_label"),)


# ---------------------------------------------------------------- executors (deploymentSpec)


@dataclass
class LifecycleExec(_Message):
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)


@dataclass
class Lifecycle(_Message):
    pre_cache_check: LifecycleExec | None = None


@dataclass
class AcceleratorConfig(_Message):
    type: str | None = None
    count: int | None = field(default=None, metadata={"int64": True})
    resource_type: str | None = None
    resource_count: str | None = None


@dataclass
class ResourceSpec(_Message):
    cpu_limit: float | None = None
    memory_limit: float | None = None
    cpu_request: float | None = None
    memory_request: float | None = None
    resource_cpu_limit: str | None = None
    resource_memory_limit: str | None = None
    resource_cpu_request: str | None = None
    resource_memory_request: str | None = None
    accelerator: AcceleratorConfig | None = None


@dataclass
class EnvVar(_Message):
    name: str | None = None
    value: str | None = None


@dataclass
class ContainerSpec(_Message):
    """``PipelineDeploymentConfig.PipelineContainerSpec``."""

    image: str | None = None
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    lifecycle: Lifecycle | None = None
    resources: ResourceSpec | None = None
    env: list[EnvVar] = field(default_factory=list)


@dataclass
class ImporterSpec(_Message):
    artifact_uri: ValueOrRuntimeParameter | None = None
    type_schema: ArtifactTypeSchema | None = None
    properties: dict[str, ValueOrRuntimeParameter] = field(default_factory=dict)
    custom_properties: dict[str, ValueOrRuntimeParameter] = field(default_factory=dict)
    reimport: bool | None = None
    metadata: Any = None
    download_to_workspace: bool | None = None


@dataclass
class ArtifactQuerySpec(_Message):
    filter: str | None = None
    limit: int | None = None


@dataclass
class ResolverSpec(_Message):
    output_artifact_queries: dict[str, ArtifactQuerySpec] = field(default_factory=dict)


@dataclass
class CustomJobSpec(_Message):
    custom_job: Any = None


@dataclass
class ExecutorSpec(_Message):
    container: ContainerSpec | None = None
    importer: ImporterSpec | None = None
    resolver: ResolverSpec | None = None
    custom_job: CustomJobSpec | None = None
    _oneofs = (("container", "importer", "resolver", "custom_job"),)


@dataclass
class DeploymentSpec(_Message):
    """``PipelineDeploymentConfig``: a Struct in PipelineSpec, typed here."""

    executors: dict[str, ExecutorSpec] = field(default_factory=dict)


# ---------------------------------------------------------------- the pipeline


@dataclass
class PipelineInfo(_Message):
    name: str | None = None
    display_name: str | None = None
    description: str | None = None


@dataclass
class PipelineSpec(_Message):
    pipeline_info: PipelineInfo | None = None
    deployment_spec: DeploymentSpec | None = None
    sdk_version: str | None = None
    schema_version: str | None = None
    components: dict[str, ComponentSpec] = field(default_factory=dict)
    root: ComponentSpec | None = None
    default_pipeline_root: str | None = None

    def component(self, name: str) -> ComponentSpec:
        """The component called ``name``; a clear error if the spec has none by that name."""
        try:
            return self.components[name]
        except KeyError:
            known = ", ".join(sorted(self.components)) or "none"
            raise IRError(f"unknown component {name!r} (components: {known})", "components") from None

    def executor(self, label: str) -> ExecutorSpec:
        """The executor called ``label`` in ``deploymentSpec``; a clear error if missing."""
        executors = self.deployment_spec.executors if self.deployment_spec else {}
        try:
            return executors[label]
        except KeyError:
            known = ", ".join(sorted(executors)) or "none"
            raise IRError(
                f"unknown executor {label!r} (executors: {known})", "deploymentSpec.executors"
            ) from None
