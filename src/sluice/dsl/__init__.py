"""The authoring API, shaped like ``kfp.dsl`` 2.x. Task processes import it: standard library only."""

from sluice.dsl._annotations import Input, InputPath, Output, OutputPath
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
from sluice.dsl._final_status import PipelineTaskFinalStatus

__all__ = [
    "HTML",
    "Artifact",
    "ClassificationMetrics",
    "Dataset",
    "Input",
    "InputPath",
    "Markdown",
    "Metrics",
    "Model",
    "Output",
    "OutputPath",
    "PipelineTaskFinalStatus",
    "SlicedClassificationMetrics",
    "get_uri",
]
