"""Where a revision's model comes from: a run's output (``RUN_ID/TASK/OUTPUT``), an artifact URI under the
artifact root, or files a client uploaded (a local path given to the CLI is sent as a ``.tar.gz``).

Every model lies under the artifact root, like everything else the service reads; a URI outside it is
refused. A model that is a run's output keeps the link to its run, task and artifact, both ways.
"""

from __future__ import annotations

import tarfile
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sluice.artifacts import ArtifactStore, is_remote_root
from sluice.serving._errors import InvalidRequest, NotFound
from sluice.store import EventType
from sluice.store.models import Artifact, Event, Execution, Run, Task

__all__ = ["ModelSource", "resolve_model", "store_predictor_source", "store_upload"]

MAX_PREDICTOR_SOURCE = 1024 * 1024


@dataclass(frozen=True)
class ModelSource:
    uri: str
    run_id: str | None = None
    task_id: str | None = None
    output_name: str | None = None
    artifact_id: str | None = None


def _is_uri(reference: str) -> bool:
    return "://" in reference or reference.startswith("/")


def resolve_model(session: Session, artifacts: ArtifactStore, reference: str) -> ModelSource:
    """The model ``reference`` names; InvalidRequest/NotFound saying what is wrong with it."""
    reference = reference.strip()
    if not reference:
        raise InvalidRequest("a revision needs a model: an artifact URI, or RUN_ID/TASK/OUTPUT of a run")
    if _is_uri(reference):
        return _from_uri(session, artifacts, reference)
    return _from_run(session, artifacts, reference)


def _from_uri(session: Session, artifacts: ArtifactStore, uri: str) -> ModelSource:
    if uri.startswith("file://"):
        uri = uri.removeprefix("file://")
    if not artifacts.contains(uri):
        raise InvalidRequest(
            f"model {uri!r} lies outside the artifact root {artifacts.root_uri!r}; deploy a local path "
            "(the CLI uploads it), a run's output (RUN_ID/TASK/OUTPUT), or a URI under the root"
        )
    if not artifacts.exists(uri):
        raise NotFound(f"model {uri!r}: nothing is stored there")
    artifact = session.scalars(
        select(Artifact).where(Artifact.uri == uri).order_by(Artifact.created_at.desc()).limit(1)
    ).first()
    if artifact is None:
        return ModelSource(uri=uri)
    producer = session.execute(
        select(Execution.run_id, Execution.task_id, Event.key)
        .join(Event, Event.execution_id == Execution.id)
        .where(Event.artifact_id == artifact.id, Event.type == EventType.OUTPUT)
        .order_by(Event.id)
        .limit(1)
    ).first()
    if producer is None:
        return ModelSource(uri=uri, artifact_id=artifact.id)
    return ModelSource(
        uri=uri, run_id=producer[0], task_id=producer[1], output_name=producer[2], artifact_id=artifact.id
    )


def _from_run(session: Session, artifacts: ArtifactStore, reference: str) -> ModelSource:
    parts = reference.split("/")
    if len(parts) < 3 or not all(parts):
        raise InvalidRequest(
            f"model {reference!r}: expected an artifact URI, a local path (through the CLI), or RUN_ID/TASK/OUTPUT"
        )
    run_id, task_name, output_name = parts[0], "/".join(parts[1:-1]), parts[-1]
    if session.get(Run, run_id) is None:
        raise NotFound(f"model {reference!r}: run {run_id!r} does not exist")
    tasks = list(
        session.scalars(
            select(Task).where(
                Task.run_id == run_id,
                or_(Task.id == task_name, Task.path == task_name, Task.name == task_name),
            )
        )
    )
    if not tasks:
        raise NotFound(f"model {reference!r}: run {run_id} has no task {task_name!r}")
    if len(tasks) > 1:
        paths = ", ".join(sorted(task.path for task in tasks))
        raise InvalidRequest(
            f"model {reference!r}: several tasks are named {task_name!r}; give its path: {paths}"
        )
    task = tasks[0]
    outputs = ((task.outputs or {}).get("artifacts") or {}).get(output_name)
    if not outputs:
        known = ", ".join(sorted((task.outputs or {}).get("artifacts") or {})) or "none"
        raise NotFound(
            f"model {reference!r}: task {task.path!r} has no output artifact {output_name!r} "
            f"(its artifacts: {known}{'' if task.outputs else '; has it finished?'})"
        )
    uri = str(outputs[0].get("uri") or "")
    artifact_id = session.scalars(
        select(Event.artifact_id)
        .join(Execution, Execution.id == Event.execution_id)
        .where(Execution.task_id == task.id, Event.type == EventType.OUTPUT, Event.key == output_name)
        .order_by(Event.id)
        .limit(1)
    ).first()
    if artifact_id is None:
        artifact_id = session.scalars(select(Artifact.id).where(Artifact.uri == uri).limit(1)).first()
    if not artifacts.contains(uri) or not artifacts.exists(uri):
        raise NotFound(f"model {reference!r}: its artifact {uri!r} is not in the artifact root (any more)")
    return ModelSource(
        uri=uri, run_id=run_id, task_id=task.id, output_name=output_name, artifact_id=artifact_id
    )


def _new_uri(artifacts: ArtifactStore, kind: str, name: str) -> str:
    return artifacts.uri_for("serving", kind, uuid.uuid4().hex, name)


def store_upload(artifacts: ArtifactStore, archive: IO[bytes]) -> str:
    """Unpack a ``.tar.gz`` holding one file or folder into the artifact root; its URI.

    Members that would land outside the folder (absolute paths, '..', links pointing out, devices) are
    refused by tarfile's ``data`` filter.
    """
    try:
        with tarfile.open(fileobj=archive, mode="r:gz") as bundle:
            members = bundle.getmembers()
            for member in members:
                parts = PurePosixPath(member.name).parts
                if member.name.startswith("/") or ".." in parts:
                    raise InvalidRequest(
                        f"the uploaded archive is refused: {member.name!r} would land outside its folder"
                    )
            tops = {
                PurePosixPath(member.name).parts[0] for member in members if PurePosixPath(member.name).parts
            }
            if len(tops) != 1 or "." in tops:
                raise InvalidRequest(
                    f"the uploaded archive must hold exactly one named file or folder at its top, not {sorted(tops)}"
                )
            top = tops.pop()
            folder_uri = _new_uri(artifacts, "models", "x").rsplit("/", 1)[0]
            folder = artifacts.local_path(folder_uri)
            folder.mkdir(parents=True, exist_ok=True)
            try:
                bundle.extractall(folder, filter="data")
            except tarfile.FilterError as error:
                raise InvalidRequest(f"the uploaded archive is refused: {error}") from error
    except (tarfile.TarError, EOFError, OSError) as error:
        raise InvalidRequest(f"the upload is not a readable .tar.gz: {error}") from error
    uri = f"{folder_uri}/{top}"
    if is_remote_root(artifacts.root_uri):
        artifacts.upload(uri)
    return uri


def store_predictor_source(artifacts: ArtifactStore, file_name: str, source: str) -> str:
    """Keep a predictor file sent with a request in the artifact root; its URI."""
    name = PurePosixPath(file_name).name
    if not name.endswith(".py") or name != file_name.rsplit("/", maxsplit=1)[-1]:
        raise InvalidRequest(f"predictor file {file_name!r} must be a .py file")
    data = source.encode("utf-8")
    if len(data) > MAX_PREDICTOR_SOURCE:
        raise InvalidRequest(f"predictor file {name} is larger than {MAX_PREDICTOR_SOURCE // 1024} KiB")
    uri = _new_uri(artifacts, "predictors", name)
    path = artifacts.local_path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if is_remote_root(artifacts.root_uri):
        artifacts.upload(uri)
    return uri
