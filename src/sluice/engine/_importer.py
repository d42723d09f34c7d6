"""Importer tasks (``dsl.importer``): they run no process, they register an existing artifact.

The URI is a constant or an input parameter; metadata may use placeholders of the task's inputs. Unless
``reimport`` is set, an artifact already in the store with the same URI and type is reused (MLMD's
behaviour); otherwise a new artifact row is written. Either way the importer's output ``artifact`` is it.

With ``downloadToWorkspace`` the artifact's content is also copied into the run's workspace, where KFP's
importer puts it (``<workspace>/.artifacts/<the URI's local path>``), and the output carries KFP's
``_kfp_workspace`` flag, so tasks read it there (``artifact.path``). Local paths and, with an ``s3://``
artifact root, ``s3://`` URIs can be copied; other stores cannot be reached from here, a clear error.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sluice.dsl._internal import WORKSPACE_METADATA_KEY, uri_to_local_path, workspace_artifact_path
from sluice.engine._context import RunContext
from sluice.engine._errors import TaskError
from sluice.engine._graph import ArtifactValue, Node, artifact_type, values_json
from sluice.engine._placeholders import PlaceholderContext, PlaceholderError, resolve_string
from sluice.engine._state import RunState
from sluice.ir import ImporterSpec
from sluice.store import EventType, ExecutionState, RuntimeState, tables

__all__ = ["run_importer"]


def run_importer(ctx: RunContext, state: RunState, node: Node) -> None:
    """Import the artifact and end the task (SUCCEEDED, or FAILED naming what is wrong)."""
    importer = ctx.spec.executor(node.component.executor_label or "").importer
    assert importer is not None
    try:
        artifact = _import(ctx, node, importer)
    except (TaskError, PlaceholderError) as error:
        state.fail(node, getattr(error, "message", str(error)))
        return
    node.artifacts["artifact"] = [artifact]
    execution_id = ctx.journal.record_execution(
        task_id=node.id,
        type="system.ImporterExecution",
        name=node.display_name,
        state=ExecutionState.COMPLETE,
        properties={"component": node.component_name, "uri": artifact.uri},
    )
    ctx.journal.record_events(execution_id, node.artifacts, EventType.OUTPUT)
    state.finish(node, RuntimeState.SUCCEEDED, inputs=values_json(node.input_parameters, {}))


def _import(ctx: RunContext, node: Node, importer: ImporterSpec) -> ArtifactValue:
    source = importer.artifact_uri
    uri: Any = None
    if source is not None:
        if source.runtime_parameter is not None:
            uri = node.input_parameters.get(source.runtime_parameter)
        elif source.constant is not None:
            uri = source.constant
        elif source.constant_value is not None:
            uri = source.constant_value.string_value
    if not isinstance(uri, str) or not uri:
        raise TaskError(node.path, "the importer has no artifact URI")
    executor_input = {"inputs": {"parameterValues": node.input_parameters}}
    metadata = _resolve_json(importer.metadata or {}, executor_input, ctx.placeholder_context(node))
    schema_title, schema_version = artifact_type(importer.type_schema)
    artifact_id = None
    if not importer.reimport:
        found = tables.artifacts
        with ctx.store.reading() as connection:
            artifact_id = connection.scalar(
                select(found.c.id)
                .where(found.c.uri == uri, found.c.schema_title == schema_title)
                .order_by(found.c.created_at)
                .limit(1)
            )
    if artifact_id is None:
        artifact_id = ctx.journal.record_artifact(
            uri=uri,
            schema_title=schema_title,
            schema_version=schema_version,
            name="artifact",
            metadata=metadata,
        )
    if importer.download_to_workspace:
        _download_to_workspace(ctx, node, uri)
        metadata = {**metadata, WORKSPACE_METADATA_KEY: True}
    return ArtifactValue(artifact_id, "artifact", uri, schema_title, schema_version, metadata)


def _source_path(ctx: RunContext, node: Node, uri: str) -> Path:
    """Where the content of ``uri`` is readable on this machine (an s3:// object is fetched first)."""
    what = f"download_to_workspace: cannot copy {uri!r} into the workspace"
    if uri.startswith("s3://"):
        if not ctx.artifacts.is_remote:
            raise TaskError(
                node.path,
                f"{what}: s3:// URIs are reached through an s3:// artifact root (--artifact-root), and this "
                f"run's root is {ctx.artifacts.root_uri!r}",
            )
        try:
            return ctx.artifacts.download(uri)
        except (OSError, ValueError) as error:
            raise TaskError(node.path, f"{what}: {error}") from None
    scheme, separator, _ = uri.partition("://")
    if separator and scheme != "file":
        raise TaskError(node.path, f"{what}: Sluice reads local paths and s3:// URIs, not {scheme}://")
    path = Path(uri.removeprefix("file://"))
    if not path.exists():
        raise TaskError(node.path, f"{what}: nothing is at {str(path)!r}")
    return path


def _download_to_workspace(ctx: RunContext, node: Node, uri: str) -> None:
    source = _source_path(ctx, node, uri)
    # Computed in the tasks' environment, so the runtime's artifact.path finds the same place.
    local_path = uri_to_local_path(uri, ctx.artifacts.task_environment())
    folder = (ctx.workspace_dir / ".artifacts").resolve()
    target = Path(workspace_artifact_path(str(ctx.workspace_dir), local_path)).resolve()
    if not target.is_relative_to(folder) or target == folder:
        raise TaskError(node.path, f"download_to_workspace: the URI {uri!r} leads outside the workspace")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
    except OSError as error:
        raise TaskError(
            node.path, f"download_to_workspace: copying {uri!r} into the workspace failed: {error}"
        ) from None


def _resolve_json(value: Any, executor_input: dict[str, Any], context: PlaceholderContext) -> Any:
    """``value`` with the placeholders in its strings (keys too) resolved."""
    if isinstance(value, str):
        return resolve_string(value, executor_input, context)
    if isinstance(value, list):
        return [_resolve_json(item, executor_input, context) for item in value]
    if isinstance(value, dict):
        return {
            resolve_string(str(key), executor_input, context): _resolve_json(item, executor_input, context)
            for key, item in value.items()
        }
    return value
