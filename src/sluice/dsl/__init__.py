"""The authoring API, shaped like ``kfp.dsl`` 2.x. Task processes import it: standard library only.

Write components with ``@dsl.component`` (a Python function) or ``@dsl.container_component`` (a command
line), pipelines with ``@dsl.pipeline``, and compile them with ``sluice.compiler``.
"""

from sluice.dsl._annotations import EmbeddedInput, Input, InputPath, Output, OutputPath
from sluice.dsl._artifacts import (
    HTML,
    Artifact,
    ClassificationMetrics,
    Dataset,
    Markdown,
    Metrics,
    Model,
    SlicedClassificationMetrics,
    get_uri,
)
from sluice.dsl._channel import PipelineArtifactChannel, PipelineChannel, PipelineParameterChannel
from sluice.dsl._component import BaseComponent
from sluice.dsl._container_component import ContainerComponent, ContainerSpec, container_component
from sluice.dsl._control_flow import Collected, Condition, Elif, Else, ExitHandler, If, OneOf, ParallelFor
from sluice.dsl._errors import PipelineDefinitionError, SourceLocation
from sluice.dsl._final_status import PipelineTaskFinalStatus
from sluice.dsl._importer import importer
from sluice.dsl._notebooks import notebook_component, run_notebook
from sluice.dsl._pipeline import GraphComponent, pipeline
from sluice.dsl._pipeline_config import KubernetesWorkspaceConfig, PipelineConfig, WorkspaceConfig
from sluice.dsl._placeholders import (
    PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER,
    PIPELINE_JOB_ID_PLACEHOLDER,
    PIPELINE_JOB_NAME_PLACEHOLDER,
    PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER,
    PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER,
    PIPELINE_ROOT_PLACEHOLDER,
    PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER,
    PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER,
    PIPELINE_TASK_ID_PLACEHOLDER,
    PIPELINE_TASK_NAME_PLACEHOLDER,
    WORKSPACE_PATH_PLACEHOLDER,
    ConcatPlaceholder,
    IfPresentPlaceholder,
)
from sluice.dsl._python_component import PythonComponent, component
from sluice.dsl._task import PipelineTask

__all__ = [
    "HTML",
    "PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER",
    "PIPELINE_JOB_ID_PLACEHOLDER",
    "PIPELINE_JOB_NAME_PLACEHOLDER",
    "PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER",
    "PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER",
    "PIPELINE_ROOT_PLACEHOLDER",
    "PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER",
    "PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER",
    "PIPELINE_TASK_ID_PLACEHOLDER",
    "PIPELINE_TASK_NAME_PLACEHOLDER",
    "WORKSPACE_PATH_PLACEHOLDER",
    "Artifact",
    "BaseComponent",
    "ClassificationMetrics",
    "Collected",
    "ConcatPlaceholder",
    "Condition",
    "ContainerComponent",
    "ContainerSpec",
    "Dataset",
    "Elif",
    "Else",
    "EmbeddedInput",
    "ExitHandler",
    "GraphComponent",
    "If",
    "IfPresentPlaceholder",
    "Input",
    "InputPath",
    "KubernetesWorkspaceConfig",
    "Markdown",
    "Metrics",
    "Model",
    "OneOf",
    "Output",
    "OutputPath",
    "ParallelFor",
    "PipelineArtifactChannel",
    "PipelineChannel",
    "PipelineConfig",
    "PipelineDefinitionError",
    "PipelineParameterChannel",
    "PipelineTask",
    "PipelineTaskFinalStatus",
    "PythonComponent",
    "SlicedClassificationMetrics",
    "SourceLocation",
    "WorkspaceConfig",
    "component",
    "container_component",
    "get_uri",
    "importer",
    "notebook_component",
    "pipeline",
    "run_notebook",
]
