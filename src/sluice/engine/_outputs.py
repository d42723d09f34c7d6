"""Reading a finished task's outputs back: the executor output JSON, or the individual output files.

Typed as the component declares them (an integer output stays ``int``); anything else that a component
wrote is an error naming the task, the output and the file. An output artifact must exist where its URI
says (metrics-like artifacts excepted: their content is their metadata), so a task never passes on a URI
to nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sluice.artifacts import METADATA_ONLY_TYPES, ArtifactStore, UnsafePathError
from sluice.engine._errors import TaskError
from sluice.engine._graph import artifact_type
from sluice.engine._values import coerce_value
from sluice.ir import ComponentSpec, ParameterType

__all__ = ["OutputArtifact", "check_artifacts_written", "read_outputs"]

# {"name", "uri", "metadata", "schemaTitle", "schemaVersion"} and "customPath" when the task set one.
OutputArtifact = dict[str, Any]


def _read_parameter_file(path: Path, parameter_type: ParameterType | None, task: str, name: str) -> Any:
    text = path.read_text(encoding="utf-8")
    if parameter_type is ParameterType.STRING:
        return text
    try:
        if parameter_type is ParameterType.BOOLEAN:
            return json.loads(text.strip().lower())
        return json.loads(text)
    except ValueError:
        raise TaskError(
            task, f"output parameter {name!r}: {str(path)!r} holds {text[:60]!r}, which is not valid JSON"
        ) from None


def read_outputs(
    task: str, component: ComponentSpec, executor_input: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[OutputArtifact]]]:
    """Parameters and artifacts the task produced; raises TaskError for anything missing or mistyped."""
    outputs = executor_input["outputs"]
    definitions = component.output_definitions
    parameter_specs = definitions.parameters if definitions else {}
    artifact_specs = definitions.artifacts if definitions else {}
    executor_output: dict[str, Any] = {}
    output_file = Path(outputs["outputFile"])
    if output_file.exists():
        try:
            executor_output = json.loads(output_file.read_text(encoding="utf-8") or "{}")
        except ValueError as error:
            raise TaskError(
                task, f"executor output {str(output_file)!r} is not valid JSON: {error}"
            ) from None
        if not isinstance(executor_output, dict):
            raise TaskError(task, f"executor output {str(output_file)!r} is not a JSON object")

    parameters: dict[str, Any] = {}
    written = executor_output.get("parameterValues") or {}
    if not isinstance(written, dict):
        raise TaskError(task, "executor output field 'parameterValues' is not an object")
    for name, spec in parameter_specs.items():
        parameter_type = spec.parameter_type
        file_path = Path(outputs.get("parameters", {}).get(name, {}).get("outputFile", ""))
        if name in written:
            value = written[name]
        elif file_path.name and file_path.is_file():
            value = _read_parameter_file(file_path, parameter_type, task, name)
        else:
            raise TaskError(task, f"output parameter {name!r} was not written (expected {str(file_path)!r})")
        try:
            parameters[name] = coerce_value(value, parameter_type)
        except ValueError as error:
            raise TaskError(task, f"output parameter {name!r}: {error}") from None

    artifacts: dict[str, list[OutputArtifact]] = {}
    written_artifacts = executor_output.get("artifacts") or {}
    if not isinstance(written_artifacts, dict):
        raise TaskError(task, "executor output field 'artifacts' is not an object")
    for name, artifact_spec in artifact_specs.items():
        planned = outputs["artifacts"][name]["artifacts"]
        reported = written_artifacts.get(name, {}).get("artifacts") if name in written_artifacts else None
        entries = reported if isinstance(reported, list) and reported else planned
        schema_title, schema_version = artifact_type(artifact_spec.artifact_type)
        values: list[OutputArtifact] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("uri", planned[0]["uri"]), str):
                raise TaskError(task, f"output artifact {name!r}: entry {index} is not a valid artifact")
            metadata = entry.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise TaskError(task, f"output artifact {name!r}: metadata is not an object")
            artifact: OutputArtifact = {
                "name": entry.get("name") or name,
                "uri": entry.get("uri") or planned[0]["uri"],
                "metadata": metadata,
                "schemaTitle": schema_title,
                "schemaVersion": schema_version,
            }
            custom_path = entry.get("custom_path") or entry.get("customPath")
            if isinstance(custom_path, str) and custom_path:
                artifact["customPath"] = custom_path
            values.append(artifact)
        artifacts[name] = values
    return parameters, artifacts


def check_artifacts_written(
    task: str, artifacts: dict[str, list[OutputArtifact]], store: ArtifactStore, *, ran_here: bool = True
) -> None:
    """Raise TaskError for an output artifact with nothing at its URI (one under the artifact root; a URI
    elsewhere is the component's own business). ``ran_here``: the task ran on this machine, so its output
    is in the local copy; else (a remote launcher's node uploaded it) the store itself is asked."""
    for name, entries in artifacts.items():
        for entry in entries:
            if entry["schemaTitle"] in METADATA_ONLY_TYPES or not store.contains(entry["uri"]):
                continue
            try:
                path = store.local_path(entry["uri"])
                if path.exists() if ran_here else store.exists(entry["uri"]):
                    continue
            except UnsafePathError:
                continue
            custom = entry.get("customPath")
            how = (
                f"; it was given the path {custom!r} with set_path(), which only Python components copy back"
                if custom
                else ""
            )
            raise TaskError(
                task,
                f"output artifact {name!r} was never written: nothing at {str(path)!r}{how}",
            )
