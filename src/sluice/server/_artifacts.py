"""Reading what runs produced: an artifact of a task (KFP's ReadArtifact), an artifact by id, and a task's
log (plain text, followed while the task runs).

Every path comes from the store, where a task could have reported any URI: reads are confined to the
artifact root (symlinks and '..' resolved first), so nothing outside it can be read through the API. With
an object-store root (``s3://``) artifacts and finished tasks' logs are read from the bucket; a running
task's log is followed in the engine's local copy, where the task writes it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool

from sluice import api
from sluice.server._context import ServiceContext, service
from sluice.server._convert import MessageRoute, utc
from sluice.server._errors import ApiError, failed_precondition, not_found
from sluice.server._streams import base64_json_stream, file_response, folder_tar_response, size_of
from sluice.store import TERMINAL_STATES
from sluice.store.models import Artifact, Task

__all__ = ["confined_path", "router"]

router = APIRouter(prefix="/apis/v2beta1", tags=["ArtifactService"], route_class=MessageRoute)
Context = Annotated[ServiceContext, Depends(service)]

_FOLLOW_POLL_S = 0.25
_CHUNK = 64 * 1024


def confined_path(uri: str, root: Path, what: str) -> Path:
    """The local file behind ``uri``, if it lies inside ``root``; otherwise a 403-free 404 (never a hint)."""
    text = uri.removeprefix("file://")
    if "://" in text or "\0" in text or not text:
        raise failed_precondition(f"{what} is stored at {uri!r}, which this server cannot read")
    resolved = Path(os.path.realpath(text))
    if not resolved.is_relative_to(Path(os.path.realpath(root))):
        raise failed_precondition(f"{what} lies outside the artifact root; it is not served")
    return resolved


def _open_stored(context: ServiceContext, uri: str, what: str) -> tuple[IO[bytes] | None, Path | None]:
    """An open handle on the file at ``uri``, or the local folder it is (a bucket's folder is copied to the
    local staging area first); confined to the artifact root."""
    store = context.artifacts
    if not store.is_remote:
        path = confined_path(uri, Path(context.artifact_root), what)
        if path.is_dir():
            return None, path
        try:
            return path.open("rb"), None
        except FileNotFoundError:
            raise not_found(f"{what} has no content (nothing was written)") from None
        except OSError as error:
            raise failed_precondition(f"{what} cannot be read: {error.strerror}") from None
    if not store.contains(uri):
        raise failed_precondition(f"{what} lies outside the artifact root; it is not served")
    try:
        handle: IO[bytes] = store.open(uri, "rb")
        return handle, None
    except (FileNotFoundError, IsADirectoryError):
        pass
    except OSError as error:
        raise failed_precondition(f"{what} cannot be read from {uri}: {error}") from None
    try:
        local = store.download(uri)  # a prefix: its objects, staged locally
    except (FileNotFoundError, OSError):
        raise not_found(f"{what} has no content (nothing was stored at {uri})") from None
    return None, local if local.is_dir() else None


def _local_log(context: ServiceContext, log_uri: str, what: str) -> Path:
    """Where a task writes its log on this machine (for an object store, the engine's local copy)."""
    store = context.artifacts
    if not store.is_remote:
        return confined_path(log_uri, Path(context.artifact_root), what)
    if not store.contains(log_uri):
        raise failed_precondition(f"{what} lies outside the artifact root; it is not served")
    return store.local_path(log_uri)


def _task(context: ServiceContext, run_id: str, node_id: str) -> Task:
    with context.store.read_session() as session:
        task = session.scalars(
            select(Task)
            .where(Task.run_id == run_id, or_(Task.id == node_id, Task.path == node_id, Task.name == node_id))
            .order_by(Task.path)
            .limit(1)
        ).first()
    if task is None:
        raise not_found(f"run {run_id!r} has no task {node_id!r}")
    return task


@router.get(
    "/runs/{run_id}/nodes/{node_id}/artifacts/{artifact_name}:read",
    response_model=api.ReadArtifactResponse,
    tags=["RunService"],
    summary="Read a task's output artifact (base64), by task id (or path) and output name",
)
def read_artifact(
    run_id: str, node_id: str, artifact_name: str, context: Context, experiment_id: str | None = None
) -> StreamingResponse:
    task = _task(context, run_id, node_id)
    outputs: dict[str, Any] = (task.outputs or {}).get("artifacts") or {}
    artifacts = outputs.get(artifact_name)
    if not artifacts:
        known = ", ".join(sorted(outputs)) or "none"
        raise not_found(
            f"task {task.path!r} has no output artifact {artifact_name!r} (its artifacts: {known})"
        )
    uri = str(artifacts[0].get("uri") or "")
    what = f"artifact {artifact_name!r} of task {task.path!r}"
    handle, _ = _open_stored(context, uri, what)
    if handle is None:
        raise failed_precondition(
            f"{what} is a folder; download it as a tar stream (GET /artifacts/ID:download)"
        )
    # Streamed: no size cap, and never the whole content in memory.
    return StreamingResponse(base64_json_stream(handle), media_type="application/json")


def _artifact(context: ServiceContext, artifact_id: str) -> Artifact:
    with context.store.read_session() as session:
        artifact = session.get(Artifact, artifact_id)
    if artifact is None:
        raise not_found(f"artifact {artifact_id!r} does not exist")
    return artifact


# Before the plain get: '{artifact_id}' would otherwise swallow ':download'.
@router.get(
    "/artifacts/{artifact_id}:download",
    summary="Download an artifact's content, streamed: a file (with Range requests for previews), or a "
    "folder as a tar stream",
    response_class=Response,
)
def download_artifact(
    artifact_id: str, context: Context, range_header: Annotated[str | None, Header(alias="range")] = None
) -> Response:
    artifact = _artifact(context, artifact_id)
    what = f"artifact {artifact_id!r}"
    handle, folder = _open_stored(context, artifact.uri, what)
    filename = artifact.name or artifact.id
    if handle is None:
        if folder is None:
            raise not_found(f"{what} has no content (nothing was stored at {artifact.uri})")
        return folder_tar_response(folder, filename)
    return file_response(
        handle, size_of(handle), range_header, media_type="application/octet-stream", filename=filename
    )


@router.get(
    "/artifacts/{artifact_id}", response_model=api.ArtifactMetadata, summary="Get an artifact's metadata"
)
def get_artifact(artifact_id: str, context: Context) -> api.ArtifactMetadata:
    artifact = _artifact(context, artifact_id)
    size = None
    if not context.artifacts.is_remote:  # a bucket would cost a request per look; the size is optional
        try:
            path = confined_path(artifact.uri, Path(context.artifact_root), "the artifact")
            size = path.stat().st_size if path.is_file() else None
        except (ApiError, OSError):
            pass
    return api.ArtifactMetadata(
        artifact_id=artifact.id,
        uri=artifact.uri,
        name=artifact.name,
        display_name=artifact.display_name or artifact.name,
        artifact_type=artifact.schema_title,
        schema_version=artifact.schema_version,
        metadata=artifact.metadata_,
        state=str(artifact.state),
        artifact_size=str(size) if size is not None else None,
        created_at=utc(artifact.created_at),
        last_updated_at=utc(artifact.updated_at),
        download_url=f"/apis/v2beta1/artifacts/{artifact.id}:download",
    )


async def _follow(context: ServiceContext, task_id: str, path: Path, follow: bool) -> AsyncIterator[bytes]:
    offset = 0
    while True:
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                while chunk := handle.read(_CHUNK):
                    offset += len(chunk)
                    yield chunk
        except FileNotFoundError:
            pass
        if not follow:
            return
        task = await run_in_threadpool(_load_task, context, task_id)
        if task is None or task.state in TERMINAL_STATES:
            # One last read: the task may have written its final lines as it ended.
            try:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    rest = handle.read()
                if rest:
                    yield rest
            except FileNotFoundError:
                pass
            return
        await asyncio.sleep(_FOLLOW_POLL_S)


def _load_task(context: ServiceContext, task_id: str) -> Task | None:
    with context.store.read_session() as session:
        return session.get(Task, task_id)


@router.get(
    "/runs/{run_id}/tasks/{task_id}/log",
    tags=["RunService"],
    summary="A task's log as plain text; follow=true streams it until the task ends (Sluice)",
    response_class=StreamingResponse,
)
def task_log(
    run_id: str,
    task_id: str,
    context: Context,
    follow: Annotated[bool, Query(description="Keep streaming while the task runs.")] = False,
) -> Response:
    task = _task(context, run_id, task_id)
    what = f"the log of task {task.path!r}"
    if not task.log_uri:
        if task.state in TERMINAL_STATES or not follow:
            return StreamingResponse(iter([b""]), media_type="text/plain; charset=utf-8")
        path = None
    elif context.artifacts.is_remote and task.state in TERMINAL_STATES:
        # Finished: the engine uploaded the log; the bucket has it even if the local copy is gone.
        handle, _ = _open_stored(context, task.log_uri, what)
        if handle is None:
            raise failed_precondition(f"{what} is a folder, not a log")
        return file_response(handle, None, None, media_type="text/plain; charset=utf-8", filename=None)
    else:
        path = _local_log(context, task.log_uri, what)
    if path is None:
        return StreamingResponse(
            _wait_for_log(context, task.id, what, follow), media_type="text/plain; charset=utf-8"
        )
    return StreamingResponse(_follow(context, task.id, path, follow), media_type="text/plain; charset=utf-8")


async def _wait_for_log(
    context: ServiceContext, task_id: str, what: str, follow: bool
) -> AsyncIterator[bytes]:
    """A task that has not started yet: wait for its log to appear, then follow it."""
    while True:
        task = await run_in_threadpool(_load_task, context, task_id)
        if task is None:
            return
        if task.log_uri:
            try:
                path = _local_log(context, task.log_uri, what)
            except ApiError:
                return
            async for chunk in _follow(context, task_id, path, follow):
                yield chunk
            return
        if task.state in TERMINAL_STATES:
            return
        await asyncio.sleep(_FOLLOW_POLL_S)
