"""The names of ``sluice.dsl``'s private modules that the rest of Sluice builds on (the compiler above all),
in one place: other packages import these from here, never from a ``sluice.dsl._module``, so the DSL can
move code between its modules freely (an import-linter contract in ``pyproject.toml`` keeps it so).

Not a public API: users import ``sluice.dsl``. The task runtime (``sluice.runtime``) is the exception: it
imports the few light modules it needs directly, to stay quick to start.
"""

from __future__ import annotations

from sluice.dsl._artifacts import (
    S3_MOUNT_VARIABLE,
    WORKSPACE_METADATA_KEY,
    WORKSPACE_VARIABLE,
    Artifact,
    artifact_class_for_schema_title,
    uri_to_local_path,
    workspace_artifact_path,
)
from sluice.dsl._channel import ConditionOperation, PipelineChannel, channels_in, pipeline_channel_input_name
from sluice.dsl._component import (
    BaseComponent,
    CompiledImplementation,
    ComponentSpec,
    ContainerImplementation,
    GraphImplementation,
    ImporterImplementation,
)
from sluice.dsl._control_flow import (
    Collected,
    ExitHandler,
    LoopArgument,
    LoopArgumentVariable,
    LoopArtifactArgument,
    OneOfArtifact,
    OneOfParameter,
    ParallelFor,
    _ConditionGroup,
    loop_group_of,
)
from sluice.dsl._errors import PipelineDefinitionError, SourceLocation, caller_location
from sluice.dsl._graph import PipelineGraph, TasksGroup, k8s_name, unique_name
from sluice.dsl._importer import IMPORTER_URI_INPUT
from sluice.dsl._pipeline import GraphComponent
from sluice.dsl._placeholders import InputValuePlaceholder
from sluice.dsl._task import PipelineTask
from sluice.dsl._topology import (
    Node,
    condition_channels,
    dependencies_by_node,
    effective_producer,
    node_path,
    uncommon_ancestors,
)
from sluice.dsl._types import (
    ArtifactType,
    InputSpec,
    IOType,
    OutputSpec,
    ParameterKind,
    ParameterType,
    check_default_value,
    parameter_type_of_value,
)

__all__ = [
    "IMPORTER_URI_INPUT",
    "S3_MOUNT_VARIABLE",
    "WORKSPACE_METADATA_KEY",
    "WORKSPACE_VARIABLE",
    "Artifact",
    "ArtifactType",
    "BaseComponent",
    "Collected",
    "CompiledImplementation",
    "ComponentSpec",
    "ConditionOperation",
    "ContainerImplementation",
    "ExitHandler",
    "GraphComponent",
    "GraphImplementation",
    "IOType",
    "ImporterImplementation",
    "InputSpec",
    "InputValuePlaceholder",
    "LoopArgument",
    "LoopArgumentVariable",
    "LoopArtifactArgument",
    "Node",
    "OneOfArtifact",
    "OneOfParameter",
    "OutputSpec",
    "ParallelFor",
    "ParameterKind",
    "ParameterType",
    "PipelineChannel",
    "PipelineDefinitionError",
    "PipelineGraph",
    "PipelineTask",
    "SourceLocation",
    "TasksGroup",
    "_ConditionGroup",
    "artifact_class_for_schema_title",
    "caller_location",
    "channels_in",
    "check_default_value",
    "condition_channels",
    "dependencies_by_node",
    "effective_producer",
    "k8s_name",
    "loop_group_of",
    "node_path",
    "parameter_type_of_value",
    "pipeline_channel_input_name",
    "uncommon_ancestors",
    "unique_name",
    "uri_to_local_path",
    "workspace_artifact_path",
]
