"""The deployment actions: create, update, promote, rollback, scale, delete, and reading them back.

Each action is one store transaction on the deployment's row (locked), recorded with who did it and when;
then the supervisor applies it: traffic changes are in the routing table before the action returns, new
revisions load in the background and take their place once ready (or fail, leaving traffic as it was).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.artifacts import ArtifactStore
from sluice.serving import _schemas as api
from sluice.serving._errors import Conflict, FailedPrecondition, InvalidRequest, NotFound
from sluice.serving._metrics import BUCKET_SECONDS, ServingMetrics
from sluice.serving._models import ModelSource, resolve_model, store_predictor_source
from sluice.serving._names import check_name, deployment_path
from sluice.serving._predictors import PredictorSpec, check_relative_file, parse_predictor
from sluice.serving._supervisor import ReplicaStatus, Supervisor, stop_retired
from sluice.serving._traffic import Traffic, promote, rollback, start_pending
from sluice.store import RevisionState, Store, utcnow
from sluice.store.models import Deployment, DeploymentAction, DeploymentRevision, Task

__all__ = ["DeploymentService"]


def _serving_installed() -> None:
    if importlib.util.find_spec("kserve") is None:
        raise FailedPrecondition(
            "model serving needs the serving extra where `sluice up` runs: pip install 'sluice[serving]'"
        )


class DeploymentService:
    """Deployments in the store, applied by the supervisor. ``actor`` says who asks (the user's name once
    the service knows users; "local" in single-user mode); ``client`` what they used (the User-Agent)."""

    def __init__(
        self, store: Store, artifacts: ArtifactStore, supervisor: Supervisor, metrics: ServingMetrics
    ) -> None:
        self._store = store
        self._artifacts = artifacts
        self._supervisor = supervisor
        self._metrics = metrics

    # ------------------------------------------------------------------------------------------ actions

    def create(self, body: api.DeploymentCreate, *, actor: str, client: str, base_url: str) -> api.Deployment:
        namespace = check_name(body.namespace, "namespace")
        name = check_name(body.name)
        _serving_installed()
        with self._store.session() as session:
            taken = session.scalar(
                select(Deployment.id).where(Deployment.namespace == namespace, Deployment.name == name)
            )
            if taken is not None:
                raise Conflict(f"a deployment named {name!r} already exists in namespace {namespace!r}")
            source = resolve_model(session, self._artifacts, body.model)
            deployment = Deployment(
                namespace=namespace, name=name, description=body.description, next_revision=2
            )
            session.add(deployment)
            revision = self._new_revision(deployment, 1, source, body, inherited=None)
            session.add(revision)
            start_pending(Traffic(), 1, None).write(deployment)
            session.add(
                self._action(
                    deployment,
                    "create",
                    1,
                    actor,
                    client,
                    {"model": source.uri, "predictor": revision.predictor},
                )
            )
            deployment_id = deployment.id
        self._supervisor.refresh(deployment_id)
        return self.get(namespace, name, base_url)

    def update(
        self, namespace: str, name: str, body: api.DeploymentUpdate, *, actor: str, client: str, base_url: str
    ) -> api.Deployment:
        _serving_installed()
        with self._store.session() as session:
            deployment = self._locked(session, namespace, name)
            traffic = Traffic.of(deployment)
            number = deployment.next_revision
            pending = start_pending(traffic, number, body.canary_percent)
            source = resolve_model(session, self._artifacts, body.model)
            base = self._revision(deployment, traffic.current) if traffic.current is not None else None
            session.add(self._new_revision(deployment, number, source, body, inherited=base))
            deployment.next_revision = number + 1
            pending.write(deployment)
            detail: dict[str, Any] = {"model": source.uri}
            if body.canary_percent is not None:
                detail["canary_percent"] = body.canary_percent
            session.add(self._action(deployment, "update", number, actor, client, detail))
            deployment_id = deployment.id
        self._supervisor.refresh(deployment_id)
        return self.get(namespace, name, base_url)

    def promote(self, namespace: str, name: str, *, actor: str, client: str, base_url: str) -> api.Deployment:
        with self._store.session() as session:
            deployment = self._locked(session, namespace, name)
            before = Traffic.of(deployment)
            after = promote(before)
            self._apply(session, deployment, before, after)
            session.add(
                self._action(deployment, "promote", after.current, actor, client, {"from": before.current})
            )
            deployment_id = deployment.id
        self._supervisor.refresh(deployment_id)
        return self.get(namespace, name, base_url)

    def rollback(
        self, namespace: str, name: str, to: int | None, *, actor: str, client: str, base_url: str
    ) -> api.Deployment:
        with self._store.session() as session:
            deployment = self._locked(session, namespace, name)
            revisions = {revision.number: revision for revision in deployment.revisions}
            if to is not None and to not in revisions:
                raise NotFound(
                    f"deployment {name!r} has no revision {to} (it has 1 to {deployment.next_revision - 1})"
                )
            failed = {
                number for number, revision in revisions.items() if revision.state == RevisionState.FAILED
            }
            before = Traffic.of(deployment)
            after, loads = rollback(before, to, failed)
            if loads and after.pending is not None:
                restarted = revisions[after.pending]
                restarted.state = RevisionState.LOADING
                restarted.error = None
                restarted.stopped_at = None
            self._apply(session, deployment, before, after)
            detail: dict[str, Any] = {"from": before.current}
            if before.pending is not None and after.pending != before.pending:
                detail["cancelled"] = before.pending
            if before.canary is not None and after.canary is None:
                detail["dropped_canary"] = before.canary
            if loads:
                detail["loading"] = True
            target = after.pending if loads else after.current
            session.add(self._action(deployment, "rollback", target, actor, client, detail))
            deployment_id = deployment.id
        self._supervisor.refresh(deployment_id)
        return self.get(namespace, name, base_url)

    def scale(
        self, namespace: str, name: str, replicas: int, *, actor: str, client: str, base_url: str
    ) -> api.Deployment:
        with self._store.session() as session:
            deployment = self._locked(session, namespace, name)
            number = deployment.current_revision or deployment.pending_revision
            if number is None:
                raise FailedPrecondition(f"deployment {name!r} has no revision serving or loading to scale")
            revision = self._revision(deployment, number)
            before = revision.replicas
            revision.replicas = replicas
            deployment.updated_at = utcnow()
            session.add(
                self._action(deployment, "scale", number, actor, client, {"from": before, "to": replicas})
            )
            deployment_id = deployment.id
        self._supervisor.refresh(deployment_id)
        return self.get(namespace, name, base_url)

    def delete(self, namespace: str, name: str) -> None:
        """Delete the deployment, its revisions and history; its replicas drain and stop."""
        with self._store.session() as session:
            deployment = self._locked(session, namespace, name)
            deployment_id = deployment.id
            session.delete(deployment)
        self._supervisor.refresh(deployment_id)
        self._metrics.forget(deployment_id)

    # ------------------------------------------------------------------------------------------ reading

    def get(self, namespace: str, name: str, base_url: str) -> api.Deployment:
        with self._store.read_session() as session:
            return self._view(session, self._find(session, namespace, name), base_url)

    def list(self, namespace: str | None, base_url: str) -> api.DeploymentList:
        with self._store.read_session() as session:
            query = select(Deployment).order_by(Deployment.namespace, Deployment.name)
            if namespace:
                query = query.where(Deployment.namespace == namespace)
            return api.DeploymentList(
                deployments=[self._view(session, row, base_url) for row in session.scalars(query)]
            )

    def history(self, namespace: str, name: str) -> api.DeploymentHistory:
        with self._store.read_session() as session:
            deployment = self._find(session, namespace, name)
            actions = session.scalars(
                select(DeploymentAction)
                .where(DeploymentAction.deployment_id == deployment.id)
                .order_by(DeploymentAction.id)
            )
            return api.DeploymentHistory(
                actions=[
                    api.DeploymentAction(
                        at=action.at,
                        action=action.action,
                        revision=action.revision,
                        actor=action.actor,
                        detail=dict(action.detail or {}),
                    )
                    for action in actions
                ]
            )

    def metrics(self, namespace: str, name: str, since: float) -> api.DeploymentMetrics:
        with self._store.read_session() as session:
            deployment_id = self._find(session, namespace, name).id
        return api.DeploymentMetrics(
            interval_seconds=BUCKET_SECONDS,
            points=[
                api.MetricPoint(
                    at=datetime.fromtimestamp(point.at, UTC),
                    revision=point.revision,
                    requests=point.requests,
                    errors=point.errors,
                    client_errors=point.client_errors,
                    latency_mean_ms=point.latency_mean_ms,
                    latency_p50_ms=point.latency_p50_ms,
                    latency_p99_ms=point.latency_p99_ms,
                )
                for point in self._metrics.points(deployment_id, since)
            ],
        )

    def links(self, *, run_id: str | None, artifact_id: str | None, base_url: str) -> api.RevisionLinks:
        """The revisions deployed from a run's models, or from one artifact."""
        if run_id is None and artifact_id is None:
            raise InvalidRequest("give run_id or artifact_id")
        with self._store.read_session() as session:
            query = select(DeploymentRevision, Deployment).join(
                Deployment, Deployment.id == DeploymentRevision.deployment_id
            )
            if run_id is not None:
                query = query.where(DeploymentRevision.run_id == run_id)
            if artifact_id is not None:
                query = query.where(DeploymentRevision.artifact_id == artifact_id)
            rows = session.execute(query.order_by(Deployment.name, DeploymentRevision.number)).all()
            return api.RevisionLinks(
                revisions=[
                    api.RevisionLink(
                        namespace=deployment.namespace,
                        deployment=deployment.name,
                        revision=revision.number,
                        state=str(revision.state),
                        role=_role(Traffic.of(deployment), revision.number),
                        url=_url(base_url, deployment),
                        run_id=revision.run_id,
                        artifact_id=revision.artifact_id,
                        output_name=revision.output_name,
                    )
                    for revision, deployment in rows
                ]
            )

    # ------------------------------------------------------------------------------------------ helpers

    def _find(self, session: Session, namespace: str, name: str, *, lock: bool = False) -> Deployment:
        query = select(Deployment).where(Deployment.namespace == namespace, Deployment.name == name)
        if lock:
            query = query.with_for_update()
        deployment = session.scalars(query).first()
        if deployment is None:
            raise NotFound(f"there is no deployment {name!r} in namespace {namespace!r}")
        return deployment

    def _locked(self, session: Session, namespace: str, name: str) -> Deployment:
        return self._find(session, namespace, name, lock=True)

    @staticmethod
    def _revision(deployment: Deployment, number: int) -> DeploymentRevision:
        for revision in deployment.revisions:
            if revision.number == number:
                return revision
        raise NotFound(f"deployment {deployment.name!r} has no revision {number}")

    def _apply(self, session: Session, deployment: Deployment, before: Traffic, after: Traffic) -> None:
        after.write(deployment)
        deployment.updated_at = utcnow()
        revisions = {revision.number: revision for revision in deployment.revisions}
        stop_retired(revisions, before.warm() - after.warm())

    def _predictor(
        self, body: api.DeploymentCreate | api.DeploymentUpdate, inherited: dict[str, Any] | None
    ) -> dict[str, Any]:
        if body.predictor is None and body.predictor_source is None and inherited is not None:
            return inherited
        spec = parse_predictor(body.predictor)
        if body.predictor_source is not None:
            if spec.runtime != "python" or spec.file is None:
                raise InvalidRequest("predictor_source comes with a predictor named FILE.py[:CLASS]")
            spec = replace(
                spec, file=store_predictor_source(self._artifacts, spec.file, body.predictor_source)
            )
        elif spec.runtime == "python" and spec.file is not None:
            check_relative_file(spec.file)
        return spec.to_json()

    def _new_revision(
        self,
        deployment: Deployment,
        number: int,
        source: ModelSource,
        body: api.DeploymentCreate | api.DeploymentUpdate,
        inherited: DeploymentRevision | None,
    ) -> DeploymentRevision:
        resources: dict[str, Any] = {}
        if body.resources is not None:
            resources = body.resources.model_dump(exclude_defaults=True)
            _check_resources(resources)
        elif inherited is not None:
            resources = dict(inherited.resources or {})
        replicas = body.replicas or (inherited.replicas if inherited is not None else 1)
        return DeploymentRevision(
            deployment_id=deployment.id,
            number=number,
            model_uri=source.uri,
            predictor=self._predictor(body, dict(inherited.predictor) if inherited is not None else None),
            replicas=replicas,
            resources=resources,
            run_id=source.run_id,
            task_id=source.task_id,
            output_name=source.output_name,
            artifact_id=source.artifact_id,
            state=RevisionState.LOADING,
        )

    @staticmethod
    def _action(  # noqa: PLR0917  (one row's fields)
        deployment: Deployment,
        action: str,
        revision: int | None,
        actor: str,
        client: str,
        detail: dict[str, Any],
    ) -> DeploymentAction:
        if client:
            detail = {**detail, "client": client}
        return DeploymentAction(
            deployment_id=deployment.id, action=action, revision=revision, actor=actor, detail=detail
        )

    def _view(self, session: Session, deployment: Deployment, base_url: str) -> api.Deployment:
        traffic = Traffic.of(deployment)
        replicas = self._supervisor.replicas(deployment.id)
        task_names = _task_names(session, (revision.task_id for revision in deployment.revisions))
        revisions = []
        for revision in sorted(deployment.revisions, key=lambda row: row.number, reverse=True):
            statuses = replicas.get(revision.number, [])
            revisions.append(
                api.Revision(
                    number=revision.number,
                    state=str(revision.state),
                    role=_role(traffic, revision.number),
                    model_uri=revision.model_uri,
                    predictor=PredictorSpec.from_json(dict(revision.predictor or {})).describe(),
                    replicas=revision.replicas,
                    resources=dict(revision.resources or {}),
                    ready_replicas=sum(1 for status in statuses if status.state == "ready"),
                    replica_status=[_replica(status) for status in statuses],
                    run_id=revision.run_id,
                    task_id=revision.task_id,
                    task_name=task_names.get(revision.task_id or ""),
                    output_name=revision.output_name,
                    artifact_id=revision.artifact_id,
                    error=revision.error,
                    created_at=revision.created_at,
                    ready_at=revision.ready_at,
                    stopped_at=revision.stopped_at,
                )
            )
        state: Literal["READY", "LOADING", "FAILED", "UNAVAILABLE"]
        if traffic.current is None:
            state = "LOADING" if traffic.pending is not None else "FAILED"
        else:
            current = next(revision for revision in revisions if revision.number == traffic.current)
            state = "READY" if current.ready_replicas else "UNAVAILABLE"
        shares = traffic.shares()
        return api.Deployment(
            id=deployment.id,
            namespace=deployment.namespace,
            name=deployment.name,
            description=deployment.description,
            url=_url(base_url, deployment),
            state=state,
            traffic=[
                api.TrafficShare(
                    revision=number,
                    percent=percent,
                    role="current" if number == traffic.current else "canary",
                )
                for number, percent in shares
            ],
            current_revision=traffic.current,
            canary_revision=traffic.canary,
            canary_percent=traffic.canary_percent,
            previous_revision=traffic.previous,
            pending_revision=traffic.pending,
            revisions=revisions,
            created_at=deployment.created_at,
            updated_at=deployment.updated_at,
        )


def _role(traffic: Traffic, number: int) -> Any:
    if number == traffic.current:
        return "current"
    if number == traffic.canary:
        return "canary"
    if number == traffic.pending:
        return "pending"
    if number == traffic.previous:
        return "previous"
    return "retired"


def _url(base_url: str, deployment: Deployment) -> str:
    return base_url.rstrip("/") + deployment_path(deployment.namespace, deployment.name)


def _replica(status: ReplicaStatus) -> api.Replica:
    return api.Replica(
        index=status.index,
        state=status.state,
        pid=status.pid,
        port=status.port,
        restarts=status.restarts,
        last_error=status.last_error,
    )


def _task_names(session: Session, task_ids: Iterable[str | None]) -> dict[str, str]:
    wanted = {task_id for task_id in task_ids if task_id}
    if not wanted:
        return {}
    rows = session.execute(select(Task.id, Task.name).where(Task.id.in_(wanted))).tuples()
    return dict(rows.all())


def _check_resources(resources: dict[str, Any]) -> None:
    from sluice.engine import parse_cpu, parse_memory

    try:
        if resources.get("cpu"):
            parse_cpu(str(resources["cpu"]))
        if resources.get("memory"):
            parse_memory(str(resources["memory"]))
    except ValueError as error:
        raise InvalidRequest(f"resources: {error}") from error
