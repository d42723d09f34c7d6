"""Making a run from a request (the API's CreateRun) or a recurring run's firing: resolve the pipeline
(inline spec or pipeline version), the experiment, the parameters and the pipeline root, then insert it.

Everything is checked before the insert, and the insert is one transaction: a refused request leaves no row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.artifacts import is_remote_root
from sluice.ir import IRError, PipelineSpec, check_references
from sluice.server._errors import failed_precondition, invalid_argument, not_found
from sluice.server._packages import check_spec_document
from sluice.server._parameters import complete_parameters
from sluice.store import StorageState, Store
from sluice.store.models import Experiment, PipelineVersion, Run

__all__ = [
    "ResolvedPipeline",
    "insert_run",
    "resolve_experiment",
    "resolve_pipeline",
    "resolve_pipeline_root",
    "resolve_requested_pipeline",
    "run_profile",
]


@dataclass(frozen=True)
class ResolvedPipeline:
    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any] | None
    pipeline_version_id: str | None
    pipeline_id: str | None

    @cached_property
    def spec(self) -> PipelineSpec:
        return PipelineSpec.from_dict(self.pipeline_spec)


def resolve_pipeline(
    session: Session,
    *,
    pipeline_spec: dict[str, Any] | None,
    pipeline_id: str | None,
    pipeline_version_id: str | None,
) -> ResolvedPipeline:
    """The pipeline a run executes: an inline spec, or a pipeline version (the newest when only the pipeline
    is named)."""
    by_reference = bool(pipeline_id or pipeline_version_id)
    if pipeline_spec is not None and by_reference:
        raise invalid_argument("give either pipeline_spec or pipeline_version_reference, not both")
    if pipeline_spec is not None:
        checked = check_spec_document(pipeline_spec)
        return ResolvedPipeline(checked.pipeline_spec, checked.platform_spec, None, None)
    if not by_reference:
        raise invalid_argument("the run needs a pipeline: give pipeline_spec or pipeline_version_reference")
    if pipeline_version_id:
        version = session.get(PipelineVersion, pipeline_version_id)
        if version is None:
            raise not_found(f"pipeline version {pipeline_version_id!r} does not exist")
        if pipeline_id and version.pipeline_id != pipeline_id:
            raise invalid_argument(
                f"pipeline version {pipeline_version_id!r} belongs to pipeline {version.pipeline_id!r}, "
                f"not {pipeline_id!r}"
            )
    else:
        version = session.scalars(
            select(PipelineVersion)
            .where(PipelineVersion.pipeline_id == pipeline_id)
            .order_by(PipelineVersion.created_at.desc(), PipelineVersion.id.desc())
            .limit(1)
        ).first()
        if version is None:
            raise not_found(f"pipeline {pipeline_id!r} does not exist or has no version")
    resolved = ResolvedPipeline(version.pipeline_spec, version.platform_spec, version.id, version.pipeline_id)
    try:
        # Versions stored by an older server were not checked for everything checked today (cycles).
        check_references(resolved.spec)
    except IRError as error:
        raise invalid_argument(f"pipeline version {version.id!r} cannot run: {error}") from None
    return resolved


class _VersionReference(Protocol):
    @property
    def pipeline_id(self) -> str | None: ...
    @property
    def pipeline_version_id(self) -> str | None: ...


class PipelineRequest(Protocol):
    """What CreateRun and CreateRecurringRun bodies say about their pipeline."""

    @property
    def pipeline_spec(self) -> dict[str, Any] | None: ...
    @property
    def pipeline_version_reference(self) -> _VersionReference | None: ...
    @property
    def pipeline_version_id(self) -> str | None: ...


def resolve_requested_pipeline(session: Session, request: PipelineRequest) -> ResolvedPipeline:
    """The pipeline a run or recurring-run request names (its deprecated top-level version id included)."""
    reference = request.pipeline_version_reference
    return resolve_pipeline(
        session,
        pipeline_spec=request.pipeline_spec,
        pipeline_id=reference.pipeline_id if reference else None,
        pipeline_version_id=(reference.pipeline_version_id if reference else None)
        or request.pipeline_version_id,
    )


def resolve_experiment(store: Store, session: Session, experiment_id: str | None) -> Experiment:
    """The run's experiment (Default when none is named); archived experiments take no new runs."""
    if not experiment_id:
        return store.default_experiment(session=session)
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise not_found(f"experiment {experiment_id!r} does not exist")
    if experiment.storage_state is StorageState.ARCHIVED:
        raise failed_precondition(f"experiment {experiment_id!r} is archived: unarchive it to add runs")
    return experiment


def resolve_pipeline_root(requested: str | None, artifact_root: str) -> str:
    """Where the run's outputs go: the artifact root, or a folder under it (reads never leave the root)."""
    if not requested:
        return artifact_root
    if "\0" in requested:
        raise invalid_argument("runtime_config.pipeline_root must not contain NUL")
    outside = invalid_argument(
        f"runtime_config.pipeline_root {requested!r} must lie under the server's artifact root {artifact_root}"
    )
    if is_remote_root(artifact_root):
        # An object-store root: an absolute URI under it, or a relative prefix; '..' never climbs out.
        relative = requested.removeprefix(artifact_root + "/") if "://" in requested else requested
        if "://" in relative:
            raise outside
        parts = [part for part in relative.strip("/").split("/") if part]
        if any(part in (".", "..") or "\\" in part for part in parts):
            raise outside
        return "/".join([artifact_root, *parts])
    path_text = requested.removeprefix("file://")
    if "://" in path_text:
        raise outside
    root = Path(artifact_root)
    path = Path(path_text)
    if not path.is_absolute():
        path = root / path
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise outside
    return str(resolved)


def insert_run(
    store: Store,
    session: Session,
    *,
    pipeline: ResolvedPipeline,
    experiment: Experiment,
    display_name: str,
    description: str,
    parameters: dict[str, Any] | None,
    pipeline_root: str,
    service_account: str = "",
    recurring_run_id: str | None = None,
    scheduled_at: datetime | None = None,
    profile: str | None = None,
) -> Run:
    """Check the parameters against the pipeline and insert the PENDING run (in ``session``)."""
    complete = complete_parameters(pipeline.spec, parameters)
    if not display_name:
        info = pipeline.pipeline_spec.get("pipelineInfo") or {}
        display_name = str(info.get("displayName") or info.get("name") or "run")
    created = store.create_run(
        pipeline_spec=pipeline.pipeline_spec,
        platform_spec=pipeline.platform_spec,
        pipeline_version_id=pipeline.pipeline_version_id,
        display_name=display_name,
        description=description,
        experiment_id=experiment.id,
        # "pipelineRoot": the key the engine reads back when it resumes the run.
        # "profile": the execution profile the engine runs its tasks under (sluice.sandbox).
        runtime_config={
            "parameters": complete,
            "pipelineRoot": pipeline_root,
            **({"profile": profile} if profile else {}),
        },
        service_account=service_account,
        recurring_run_id=recurring_run_id,
        scheduled_at=scheduled_at,
        session=session,
    )
    return session.get_one(Run, created.id)


def run_profile(
    store: Store, session: Session, home: Path, namespace: str | None, requested: str | None
) -> str | None:
    """The execution profile a new run in ``namespace`` gets (None: ``host``, recorded as nothing);
    INVALID_ARGUMENT naming the allowed ones when ``requested`` is not allowed there."""
    from sluice.sandbox import ProfileError, choose_profile

    try:
        chosen = choose_profile(store, home, namespace or "default", requested, session)
    except ProfileError as error:
        raise invalid_argument(f"profile: {error}") from None
    return None if chosen == "host" and not requested else chosen
