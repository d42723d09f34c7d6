"""KFP's command-line placeholders, substituted exactly as KFP's launcher does.

Forms: ``{{$}}`` (the executor input as JSON), ``{{$.inputs.parameters['x']}}``,
``{{$.inputs.artifacts['a'].uri|path|metadata}}`` (and ``.metadata['key']``),
``{{$.outputs.parameters['p'].output_file}}``, ``{{$.outputs.artifacts['o'].uri|path|metadata}}``,
``{{$.outputs.output_file}}``, the pipeline/task names, ids, root and times, and the structured
``{"IfPresent": ...}`` / ``{"Concat": [...]}`` elements (which may expand to several arguments or none).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PlaceholderContext", "PlaceholderError", "resolve_command", "resolve_string", "uses_workspace"]

_PLACEHOLDER = re.compile(r"\{\{\$(\.[^{}]*)?\}\}")
_MOUNTED_WORKSPACE = re.compile(r"(?<![\w.-])/kfp-workspace(?=[/\s'\":;]|$)")
_IO_PATH = re.compile(
    r"^\.(inputs|outputs)\.(parameters|artifacts)\['([^']*)'\](?:\.(\w+))?(?:\['([^']*)'\])?$"
)


class PlaceholderError(ValueError):
    """A placeholder names something the task does not have."""


@dataclass(frozen=True)
class PlaceholderContext:
    """Everything a placeholder can refer to besides the executor input."""

    job_name: str
    job_resource_name: str
    job_id: str
    task_name: str
    task_id: str
    pipeline_root: str
    create_time: str
    schedule_time: str
    workspace: str = ""  # the run's shared folder ({{$.workspace_path}}), KFP's pipeline workspace
    s3_mount: str = ""  # where s3:// artifacts have local copies ({{...artifacts['x'].path}}); "" without


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _first_artifact(lists: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    entry = lists.get(name)
    artifacts = entry.get("artifacts") if isinstance(entry, dict) else None
    if not artifacts:
        raise PlaceholderError(f"{where} artifact {name!r} has no value")
    first: dict[str, Any] = artifacts[0]
    return first


def _local_path(uri: str, s3_mount: str) -> str:
    """An artifact's ``.path``: the local copy of an s3:// object (KFP's mount convention), else the URI."""
    if s3_mount and uri.startswith("s3://"):
        return s3_mount.rstrip("/") + "/" + uri[len("s3://") :]
    return uri


def _resolve_io(path: str, executor_input: Mapping[str, Any], s3_mount: str = "") -> str:
    match = _IO_PATH.match(path)
    if match is None:
        raise PlaceholderError(f"unknown placeholder '{{{{${path}}}}}'")
    side, kind, name, attribute, key = match.groups()
    section = executor_input.get(side, {})
    if kind == "parameters":
        if side == "inputs":
            values = section.get("parameterValues", {})
            if name not in values or attribute is not None:
                if attribute is not None:
                    raise PlaceholderError(f"unknown placeholder '{{{{${path}}}}}'")
                raise PlaceholderError(f"input parameter {name!r} has no value (wrap it in IfPresent?)")
            return _text(values[name])
        outputs = section.get("parameters", {})
        if name not in outputs or attribute != "output_file":
            raise PlaceholderError(f"unknown output parameter placeholder '{{{{${path}}}}}'")
        return str(outputs[name]["outputFile"])
    lists = section.get("artifacts", {})
    if attribute is None:
        # The whole (list of) artifacts, as KFP's InputListOfArtifactsPlaceholder renders it.
        entry = lists.get(name)
        if entry is None:
            raise PlaceholderError(f"{side[:-1]} artifact {name!r} has no value")
        return json.dumps(entry)
    artifact = _first_artifact(lists, name, side[:-1])
    if attribute == "uri":
        return str(artifact.get("uri", ""))
    if attribute == "path":
        return _local_path(str(artifact.get("uri", "")), s3_mount)
    if attribute == "metadata":
        metadata = artifact.get("metadata") or {}
        if key is not None:
            if key not in metadata:
                raise PlaceholderError(f"artifact {name!r} has no metadata key {key!r}")
            return _text(metadata[key])
        return json.dumps(metadata)
    raise PlaceholderError(f"unknown artifact attribute {attribute!r} in '{{{{${path}}}}}'")


def uses_workspace(text: str) -> bool:
    """Whether ``text`` names the run's workspace: its placeholder, or a path under KFP's mount of it."""
    return "{{$.workspace_path}}" in text or _MOUNTED_WORKSPACE.search(text) is not None


def resolve_string(text: str, executor_input: Mapping[str, Any], context: PlaceholderContext) -> str:
    """``text`` with every ``{{$...}}`` placeholder replaced, and paths under ``/kfp-workspace`` (where KFP's
    backend mounts the workspace in a task's container) moved to the run's workspace folder, as kfp.local
    does."""
    if context.workspace and uses_workspace(text):
        os.makedirs(context.workspace, exist_ok=True)
        text = _MOUNTED_WORKSPACE.sub(lambda _: context.workspace, text)
    if "{{$" not in text:
        return text
    simple = {
        ".pipeline_job_name": context.job_name,
        ".pipeline_job_resource_name": context.job_resource_name,
        ".pipeline_job_uuid": context.job_id,
        ".pipeline_task_name": context.task_name,
        ".pipeline_task_uuid": context.task_id,
        ".pipeline_root": context.pipeline_root,
        ".pipeline_job_create_time_utc": context.create_time,
        ".pipeline_job_schedule_time_utc": context.schedule_time,
        ".workspace_path": context.workspace,
    }

    def replace(match: re.Match[str]) -> str:
        path = match.group(1)
        if path is None:
            return json.dumps(executor_input)
        if path in simple:
            return simple[path]
        if path in (".outputs.output_file", ".outputMetadataUri"):
            return str(executor_input.get("outputs", {}).get("outputFile", ""))
        return _resolve_io(path, executor_input, context.s3_mount)

    return _PLACEHOLDER.sub(replace, text)


def _provided(executor_input: Mapping[str, Any]) -> set[str]:
    inputs = executor_input.get("inputs", {})
    names = {k for k, v in inputs.get("parameterValues", {}).items() if v is not None}
    names |= {k for k, v in inputs.get("artifacts", {}).items() if v}
    return names


def _structure(element: Any, provided: set[str]) -> list[str | Any]:
    """Expand IfPresent/Concat into a flat list of strings still holding simple placeholders."""
    if isinstance(element, str):
        return [element]
    if isinstance(element, list):
        expanded: list[str | Any] = []
        for item in element:
            expanded.extend(_structure(item, provided))
        return expanded
    if isinstance(element, dict) and len(element) == 1:
        ((kind, body),) = element.items()
        if kind == "Concat":
            if not isinstance(body, list):
                raise PlaceholderError("Concat needs a list of parts")
            return ["".join(str(part) for item in body for part in _structure(item, provided))]
        if kind == "IfPresent":
            if not isinstance(body, dict) or "InputName" not in body:
                raise PlaceholderError("IfPresent needs InputName, Then and optionally Else")
            branch = body.get("Then") if body["InputName"] in provided else body.get("Else")
            return [] if branch is None else _structure(branch, provided)
    raise PlaceholderError(f"unknown structured placeholder {json.dumps(element)[:80]}")


def resolve_command(
    elements: list[str], executor_input: Mapping[str, Any], context: PlaceholderContext
) -> list[str]:
    """Command or args with every placeholder resolved; IfPresent may drop or add elements."""
    provided = _provided(executor_input)
    resolved: list[str] = []
    for element in elements:
        if element.startswith(('{"Concat"', '{"IfPresent"')):
            try:
                structure = json.loads(element)
            except ValueError:
                structure = element
            parts = _structure(structure, provided)
        else:
            parts = [element]
        resolved.extend(resolve_string(str(part), executor_input, context) for part in parts)
    return resolved
