"""Placeholders: strings in a container's command line that the backend replaces when the task runs.

The pipeline-level placeholders (``PIPELINE_JOB_NAME_PLACEHOLDER``...) are plain strings passed as
arguments. The container-component placeholders render to the text KFP writes in a compiled pipeline:
``{{$.inputs.parameters['x']}}``, ``{{$.outputs.artifacts['model'].path}}``, and for
``ConcatPlaceholder``/``IfPresentPlaceholder`` a JSON object.
"""

from __future__ import annotations

from typing import Any

__all__ = [
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
    "WORKSPACE_MOUNT_PATH",
    "WORKSPACE_PATH_PLACEHOLDER",
    "ArtifactPlaceholders",
    "CommandLineElement",
    "ConcatPlaceholder",
    "IfPresentPlaceholder",
    "InputListOfArtifactsPlaceholder",
    "InputMetadataPlaceholder",
    "InputPathPlaceholder",
    "InputUriPlaceholder",
    "InputValuePlaceholder",
    "OutputListOfArtifactsPlaceholder",
    "OutputMetadataPlaceholder",
    "OutputParameterPlaceholder",
    "OutputPathPlaceholder",
    "OutputUriPlaceholder",
    "Placeholder",
    "render_command_line_element",
]


def _definition_error(message: str) -> Exception:
    from sluice.dsl._errors import PipelineDefinitionError, caller_location

    return PipelineDefinitionError(message, location=caller_location())


PIPELINE_JOB_NAME_PLACEHOLDER = "{{$.pipeline_job_name}}"
"""The run's display name."""
PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER = "{{$.pipeline_job_resource_name}}"
"""The run's resource name: the pipeline's name and a short suffix (``my-pipeline-x7k2p``), as on KFP."""
PIPELINE_JOB_ID_PLACEHOLDER = "{{$.pipeline_job_uuid}}"
"""The run's ID."""
PIPELINE_TASK_NAME_PLACEHOLDER = "{{$.pipeline_task_name}}"
"""The task's name."""
PIPELINE_TASK_ID_PLACEHOLDER = "{{$.pipeline_task_uuid}}"
"""The task's ID."""
PIPELINE_ROOT_PLACEHOLDER = "{{$.pipeline_root}}"
"""The run's pipeline root (where its artifacts go)."""
PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER = "{{$.pipeline_job_create_time_utc}}"
"""When the run was created (UTC)."""
PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER = "{{$.pipeline_job_schedule_time_utc}}"
"""When a scheduled run was scheduled for (UTC)."""
PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER = "{{$}}"
"""The whole executor input, as JSON."""
PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER = "{{$.outputs.output_file}}"
"""Where a task writes its executor output."""
WORKSPACE_PATH_PLACEHOLDER = "{{$.workspace_path}}"
"""The run's workspace folder, shared by its tasks (needs ``PipelineConfig(workspace=...)``)."""
WORKSPACE_MOUNT_PATH = "/kfp-workspace"
"""Where KFP's backend mounts the workspace in a task's container; paths under it mean the workspace."""


def _json_text(value: Any) -> str:
    import json  # only container components need it: task processes skip the import

    return json.dumps(value)


class Placeholder:
    """Something in a command line that is replaced when the task runs."""

    def render(self) -> Any:
        """The form written in the compiled pipeline: a string, or a JSON object for the structured ones."""
        raise NotImplementedError

    def __str__(self) -> str:
        # Lets simple placeholders be embedded in f-strings.
        rendered = self.render()
        return rendered if isinstance(rendered, str) else _json_text(rendered)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.render()!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash(str(self))


class _NamedPlaceholder(Placeholder):
    template = ""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def input_name(self) -> str:
        return self.name

    @property
    def output_name(self) -> str:
        return self.name

    def render(self) -> str:
        return self.template.replace("NAME", self.name)


class InputValuePlaceholder(_NamedPlaceholder):
    """An input parameter's value."""

    template = "{{$.inputs.parameters['NAME']}}"


class InputPathPlaceholder(_NamedPlaceholder):
    """The local path of an input artifact."""

    template = "{{$.inputs.artifacts['NAME'].path}}"


class InputUriPlaceholder(_NamedPlaceholder):
    """The URI of an input artifact."""

    template = "{{$.inputs.artifacts['NAME'].uri}}"


class InputMetadataPlaceholder(_NamedPlaceholder):
    """An input artifact's metadata, as JSON."""

    template = "{{$.inputs.artifacts['NAME'].metadata}}"

    def __getitem__(self, key: str) -> str:
        return f"{{{{$.inputs.artifacts['{self.name}'].metadata['{key}']}}}}"


class InputListOfArtifactsPlaceholder(_NamedPlaceholder):
    """A list of input artifacts, passed whole."""

    template = "{{$.inputs.artifacts['NAME']}}"


class OutputParameterPlaceholder(_NamedPlaceholder):
    """The file the task writes an output parameter's value to."""

    template = "{{$.outputs.parameters['NAME'].output_file}}"


class OutputPathPlaceholder(_NamedPlaceholder):
    """The local path the task writes an output artifact to."""

    template = "{{$.outputs.artifacts['NAME'].path}}"


class OutputUriPlaceholder(_NamedPlaceholder):
    """The URI of an output artifact."""

    template = "{{$.outputs.artifacts['NAME'].uri}}"


class OutputMetadataPlaceholder(_NamedPlaceholder):
    """An output artifact's metadata, as JSON."""

    template = "{{$.outputs.artifacts['NAME'].metadata}}"

    def __getitem__(self, key: str) -> str:
        return f"{{{{$.outputs.artifacts['{self.name}'].metadata['{key}']}}}}"


class OutputListOfArtifactsPlaceholder(_NamedPlaceholder):
    """A list of output artifacts, passed whole."""

    template = "{{$.outputs.artifacts['NAME']}}"


CommandLineElement = str | Placeholder


def render_command_line_element(element: Any) -> Any:
    """A command-line element as the compiled pipeline holds it: a string (structured placeholders as JSON)."""
    if isinstance(element, Placeholder):
        rendered = element.render()
        return rendered if isinstance(rendered, str) else _json_text(rendered)
    return element


def _render_nested(element: Any) -> Any:
    """An element inside a Concat/IfPresent placeholder: structured placeholders stay objects."""
    if isinstance(element, ArtifactPlaceholders):
        raise _definition_error(
            f"artifact {element.name!r} cannot be passed whole: use {element.name}.path, .uri or .metadata"
        )
    if isinstance(element, Placeholder):
        return element.render()
    return element


class ConcatPlaceholder(Placeholder):
    """Joins strings and placeholders into one command-line argument.

    Example: ``ConcatPlaceholder(['--name=', name])``.
    """

    def __init__(self, items: list[CommandLineElement]) -> None:
        for item in items:
            if isinstance(item, IfPresentPlaceholder) and (
                isinstance(item.then, list) or isinstance(item.else_, list)
            ):
                raise _definition_error(
                    "an IfPresentPlaceholder inside a ConcatPlaceholder must have single elements "
                    "(not lists) as then and else_"
                )
        self.items = items

    def render(self) -> dict[str, Any]:
        return {"Concat": [_render_nested(item) for item in self.items]}

    def __str__(self) -> str:
        raise _definition_error(
            "ConcatPlaceholder cannot be used in an f-string; pass it as an argument itself"
        )


class IfPresentPlaceholder(Placeholder):
    """``then`` when the optional input ``input_name`` was given, else ``else_`` (or nothing)."""

    def __init__(
        self,
        input_name: str,
        then: CommandLineElement | list[CommandLineElement],
        else_: CommandLineElement | list[CommandLineElement] | None = None,
    ) -> None:
        self.input_name = input_name
        self.then = then
        self.else_ = else_

    @staticmethod
    def _render_branch(branch: Any) -> Any:
        if isinstance(branch, list):
            return [_render_nested(item) for item in branch]
        return _render_nested(branch)

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"InputName": self.input_name, "Then": self._render_branch(self.then)}
        if self.else_:
            body["Else"] = self._render_branch(self.else_)
        return {"IfPresent": body}

    def __str__(self) -> str:
        raise _definition_error(
            "IfPresentPlaceholder cannot be used in an f-string; pass it as an argument itself"
        )

    def elements(self) -> list[Any]:
        """Every element of both branches."""
        found: list[Any] = []
        for branch in (self.then, self.else_):
            if branch is None:
                continue
            found.extend(branch if isinstance(branch, list) else [branch])
        return found


class ArtifactPlaceholders:
    """What a container component's function receives for an artifact: ``.path``, ``.uri``, ``.metadata``."""

    def __init__(self, name: str, is_output: bool) -> None:
        self.name = name
        self.is_output = is_output

    @property
    def path(self) -> Placeholder:
        return OutputPathPlaceholder(self.name) if self.is_output else InputPathPlaceholder(self.name)

    @property
    def uri(self) -> Placeholder:
        return OutputUriPlaceholder(self.name) if self.is_output else InputUriPlaceholder(self.name)

    @property
    def metadata(self) -> Placeholder:
        return OutputMetadataPlaceholder(self.name) if self.is_output else InputMetadataPlaceholder(self.name)

    def __repr__(self) -> str:
        return f"ArtifactPlaceholders({self.name!r})"
