"""``dsl.importer``: bring an existing file or object into a pipeline as an artifact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.dsl._annotations import is_artifact_class
from sluice.dsl._artifacts import Artifact
from sluice.dsl._channel import PipelineChannel, PipelineParameterChannel, channels_in
from sluice.dsl._component import BaseComponent, ComponentSpec, ImporterImplementation
from sluice.dsl._errors import PipelineDefinitionError, caller_location
from sluice.dsl._placeholders import InputValuePlaceholder
from sluice.dsl._task import PipelineTask
from sluice.dsl._types import InputSpec, OutputSpec, ParameterKind, ParameterType, artifact_type_of_class

__all__ = ["IMPORTER_OUTPUT", "IMPORTER_URI_INPUT", "importer"]

IMPORTER_URI_INPUT = "uri"
IMPORTER_OUTPUT = "artifact"
_METADATA_INPUT = "metadata"


class ImporterComponent(BaseComponent):
    """The component behind one ``dsl.importer`` call."""


def importer(
    artifact_uri: str | PipelineParameterChannel,
    artifact_class: type[Artifact],
    reimport: bool = False,
    metadata: Mapping[str, Any] | None = None,
    download_to_workspace: bool = False,
) -> PipelineTask:
    """Import the artifact at ``artifact_uri`` (a string or a pipeline value) as an ``artifact_class``.

    The returned task's ``.output`` is the artifact. With ``reimport=False`` an artifact already imported
    from the same URI is reused. ``metadata`` may hold pipeline values; they are filled in at run time.
    With ``download_to_workspace=True`` the artifact's content is copied into the run's workspace when the
    importer runs, and tasks read it there (the pipeline needs ``PipelineConfig(workspace=...)``).
    """
    if not is_artifact_class(artifact_class):
        raise PipelineDefinitionError(
            f"dsl.importer(artifact_class=...) takes an artifact class such as dsl.Dataset, not {artifact_class!r}",
            location=caller_location(),
        )
    inputs: dict[str, InputSpec] = {IMPORTER_URI_INPUT: InputSpec(ParameterType(ParameterKind.STRING))}
    arguments: dict[str, Any] = {IMPORTER_URI_INPUT: artifact_uri}
    input_names: dict[int, str] = {}

    def with_placeholders(value: Any) -> Any:
        # Each distinct pipeline value in the metadata becomes an input of the importer.
        if isinstance(value, PipelineChannel):
            name = input_names.get(id(value))
            if name is None:
                name = _METADATA_INPUT
                index = 2
                while name in arguments:
                    name = f"{_METADATA_INPUT}-{index}"
                    index += 1
                input_names[id(value)] = name
                arguments[name] = value
                inputs[name] = InputSpec(value.type)
            return InputValuePlaceholder(name).render()
        if isinstance(value, dict):
            return {with_placeholders(key): with_placeholders(item) for key, item in value.items()}
        if isinstance(value, list):
            return [with_placeholders(item) for item in value]
        if isinstance(value, str):
            for channel in channels_in(value):
                value = value.replace(channel.pattern, with_placeholders(channel))
            return value
        return value

    rendered_metadata = with_placeholders(dict(metadata)) if metadata else None
    artifact_type = artifact_type_of_class(artifact_class)
    spec = ComponentSpec(
        name="importer",
        inputs=inputs,
        outputs={IMPORTER_OUTPUT: OutputSpec(artifact_type)},
        implementation=ImporterImplementation(
            artifact_type,
            reimport=reimport,
            metadata=rendered_metadata,
            download_to_workspace=download_to_workspace,
        ),
    )
    return ImporterComponent(spec, "importer")(**arguments)
