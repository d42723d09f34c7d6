"""Reading the metadata the engine records (MLMD's shape: artifacts, executions, events), by query.

Lists page by keyset (newest first: ``created_at``, then ``id``), so a deep page costs what the first does.
A lineage graph is walked breadth first, one query per hop and direction over the ``events`` indexes
(``artifact_id, type`` and ``execution_id, type``): upstream follows OUTPUT events back to producers and
INPUT events back to what they read; downstream the reverse. Cached executions record OUTPUT events to the
artifacts they reused, and the importer reuses an artifact with the same URI, so graphs cross runs.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from sluice.lineage._schemas import (
    ArtifactDetail,
    ArtifactSummary,
    ArtifactUse,
    Deployed,
    ExecutionDetail,
    ExecutionSummary,
    ExecutionUse,
    LineageEdge,
    LineageGraph,
)
from sluice.store import EventType, ExecutionState
from sluice.store.models import (
    Artifact,
    Deployment,
    DeploymentRevision,
    Event,
    Execution,
    Experiment,
    PipelineVersion,
    Run,
    Task,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "ArtifactFilter",
    "ExecutionFilter",
    "LineageQueryError",
    "artifact_detail",
    "execution_detail",
    "lineage_graph",
    "list_artifacts",
    "list_executions",
]

MAX_DEPTH = 50
MAX_NODES = 5000
_IN_CHUNK = 500  # ids per IN (...) list
_PRODUCED = (EventType.OUTPUT, EventType.DECLARED_OUTPUT)
_CONSUMED = (EventType.INPUT, EventType.DECLARED_INPUT)

Direction = Literal["up", "down", "both"]
Position = tuple[datetime, str]


class LineageQueryError(ValueError):
    """A filter, sort or position that cannot be used (the message names it); the API answers 400."""


@dataclass(frozen=True)
class ArtifactFilter:
    type: str | None = None  # schema title, e.g. system.Model
    name: str | None = None  # a part of the name
    uri_prefix: str | None = None
    run_id: str | None = None  # produced by an execution of this run
    pipeline_id: str | None = None  # ... of a run of a version of this pipeline
    namespace: str | None = None  # ... of a run in this namespace
    # Who may see what (multi-user): only artifacts produced or used by runs of these namespaces; None: any.
    visible: tuple[str, ...] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    properties: tuple[tuple[str, str], ...] = ()  # metadata KEY equal to VALUE (numbers compare as numbers)


@dataclass(frozen=True)
class ExecutionFilter:
    state: str | None = None
    component: str | None = None  # the component's name, e.g. comp-train or train
    name: str | None = None  # a part of the task's name
    run_id: str | None = None
    namespace: str | None = None
    visible: tuple[str, ...] | None = None  # only executions of runs of these namespaces; None: any


# ---------------------------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------------------------


def list_artifacts(
    session: Session, where: ArtifactFilter, *, page_size: int, after: Position | None
) -> tuple[list[ArtifactSummary], Position | None]:
    """One page of artifacts, newest first, and the position after its last one (None: no more)."""
    query = select(Artifact)
    if where.type:
        query = query.where(Artifact.schema_title == where.type)
    if where.name:
        query = query.where(Artifact.name.contains(where.name, autoescape=True))
    if where.uri_prefix:
        query = query.where(Artifact.uri.startswith(where.uri_prefix, autoescape=True))
    if where.created_after:
        query = query.where(Artifact.created_at >= where.created_after)
    if where.created_before:
        query = query.where(Artifact.created_at < where.created_before)
    for key, value in where.properties:
        query = query.where(_property_equals(key, value))
    if where.run_id or where.pipeline_id or where.namespace:
        produced = (
            select(Event.artifact_id)
            .join(Execution, Execution.id == Event.execution_id)
            .where(Event.type.in_(_PRODUCED))
        )
        if where.run_id:
            produced = produced.where(Execution.run_id == where.run_id)
        if where.pipeline_id or where.namespace:
            produced = produced.join(Run, Run.id == Execution.run_id)
        if where.pipeline_id:
            produced = produced.join(PipelineVersion, PipelineVersion.id == Run.pipeline_version_id).where(
                PipelineVersion.pipeline_id == where.pipeline_id
            )
        if where.namespace:
            produced = produced.join(Experiment, Experiment.id == Run.experiment_id).where(
                Experiment.namespace == where.namespace
            )
        query = query.where(Artifact.id.in_(produced))
    if where.visible is not None:
        query = query.where(Artifact.id.in_(_touched_in(where.visible)))
    rows = list(session.scalars(_page(query, Artifact.created_at, Artifact.id, page_size, after)))
    more = len(rows) > page_size
    rows = rows[:page_size]
    summaries = _artifact_summaries(session, rows)
    return summaries, ((rows[-1].created_at, rows[-1].id) if more else None)


def list_executions(
    session: Session, where: ExecutionFilter, *, page_size: int, after: Position | None
) -> tuple[list[ExecutionSummary], Position | None]:
    """One page of executions, newest first, and the position after its last one (None: no more)."""
    query = select(Execution)
    if where.state:
        try:
            state = ExecutionState(where.state.upper())
        except ValueError:
            known = ", ".join(member.value for member in ExecutionState)
            raise LineageQueryError(f"state {where.state!r} is not an execution state ({known})") from None
        query = query.where(Execution.state == state)
    if where.component:
        wanted = where.component if where.component.startswith("comp-") else f"comp-{where.component}"
        query = query.where(Execution.properties["component"].as_string() == wanted)
    if where.name:
        query = query.where(Execution.name.contains(where.name, autoescape=True))
    if where.run_id:
        query = query.where(Execution.run_id == where.run_id)
    if where.namespace:
        query = query.where(Execution.run_id.in_(select(Run.id).where(Run.namespace == where.namespace)))
    if where.visible is not None:
        query = query.where(Execution.run_id.in_(_runs_in(where.visible)))
    rows = list(session.scalars(_page(query, Execution.created_at, Execution.id, page_size, after)))
    more = len(rows) > page_size
    rows = rows[:page_size]
    return _execution_summaries(session, rows), ((rows[-1].created_at, rows[-1].id) if more else None)


def _runs_in(namespaces: Collection[str]) -> Select[Any]:
    return select(Run.id).where(Run.namespace.in_(list(namespaces)))


def _touched_in(namespaces: Collection[str]) -> Select[Any]:
    """The artifacts an execution of a run in ``namespaces`` produced or used."""
    return (
        select(Event.artifact_id)
        .join(Execution, Execution.id == Event.execution_id)
        .where(Execution.run_id.in_(_runs_in(namespaces)))
    )


def _page(
    query: Select[Any], created: Any, identity: Any, page_size: int, after: Position | None
) -> Select[Any]:
    if after is not None:
        moment, last_id = after
        query = query.where(or_(created < moment, and_(created == moment, identity < last_id)))
    return query.order_by(created.desc(), identity.desc()).limit(page_size + 1)


def _property_equals(key: str, value: str) -> ColumnElement[bool]:
    if not key:
        raise LineageQueryError("a property filter needs a key: KEY:VALUE")
    field = Artifact.metadata_[key]
    try:
        number = float(value)
    except ValueError:
        number = None
    condition: ColumnElement[bool]
    if number is not None and math.isfinite(number):
        condition = field.as_float() == number
    else:
        condition = field.as_string() == value
    return condition


# ---------------------------------------------------------------------------------------------------------------
# One artifact, one execution
# ---------------------------------------------------------------------------------------------------------------


def artifact_detail(
    session: Session, artifact_id: str, visible: Collection[str] | None = None
) -> ArtifactDetail | None:
    """The artifact, the executions that produced and consumed it, and the deployments serving it;
    ``visible``: only those of these namespaces (None: all). None when there is no such artifact."""
    artifact = session.get(Artifact, artifact_id)
    if artifact is None:
        return None
    query = (
        select(Event.type, Event.key, Event.list_index, Event.execution_id)
        .where(Event.artifact_id == artifact_id)
        .order_by(Event.id)
    )
    if visible is not None:
        query = query.join(Execution, Execution.id == Event.execution_id).where(
            Execution.run_id.in_(_runs_in(visible))
        )
    events = list(session.execute(query))
    executions = {
        summary.id: summary
        for summary in _execution_summaries(
            session, _by_ids(session, Execution, {row.execution_id for row in events})
        )
    }
    produced_by: list[ExecutionUse] = []
    consumed_by: list[ExecutionUse] = []
    for row in events:
        execution = executions.get(row.execution_id)
        if execution is None:
            continue
        use = ExecutionUse(type=row.type.value, key=row.key, list_index=row.list_index, execution=execution)
        (produced_by if row.type in _PRODUCED else consumed_by).append(use)
    deployed = [
        Deployed(namespace=namespace, deployment=name, revision=number, state=state.value)
        for namespace, name, number, state in session.execute(
            select(Deployment.namespace, Deployment.name, DeploymentRevision.number, DeploymentRevision.state)
            .join(Deployment, Deployment.id == DeploymentRevision.deployment_id)
            .where(
                or_(
                    DeploymentRevision.artifact_id == artifact_id,
                    DeploymentRevision.model_uri == artifact.uri,
                )
            )
            .order_by(Deployment.name, DeploymentRevision.number)
        )
    ]
    (summary,) = _artifact_summaries(session, [artifact], visible)
    return ArtifactDetail(
        artifact=summary, produced_by=produced_by, consumed_by=consumed_by, deployed_in=deployed
    )


def execution_detail(
    session: Session, execution_id: str, visible: Collection[str] | None = None
) -> ExecutionDetail | None:
    """The execution and the artifacts it read and wrote, by input/output key (the caller checked that it
    may see the execution; ``visible`` hides which other namespaces' runs made its inputs)."""
    execution = session.get(Execution, execution_id)
    if execution is None:
        return None
    events = list(
        session.execute(
            select(Event.type, Event.key, Event.list_index, Event.artifact_id)
            .where(Event.execution_id == execution_id)
            .order_by(Event.id)
        )
    )
    artifacts = {
        summary.id: summary
        for summary in _artifact_summaries(
            session, _by_ids(session, Artifact, {row.artifact_id for row in events}), visible
        )
    }
    inputs: list[ArtifactUse] = []
    outputs: list[ArtifactUse] = []
    for row in events:
        artifact = artifacts.get(row.artifact_id)
        if artifact is None:
            continue
        use = ArtifactUse(type=row.type.value, key=row.key, list_index=row.list_index, artifact=artifact)
        (outputs if row.type in _PRODUCED else inputs).append(use)
    (summary,) = _execution_summaries(session, [execution])
    return ExecutionDetail(execution=summary, inputs=inputs, outputs=outputs)


# ---------------------------------------------------------------------------------------------------------------
# Lineage graphs
# ---------------------------------------------------------------------------------------------------------------


def lineage_graph(
    session: Session,
    *,
    artifact_id: str | None = None,
    execution_id: str | None = None,
    depth: int = 5,
    direction: Direction = "both",
    max_nodes: int = MAX_NODES,
    visible: Collection[str] | None = None,
) -> LineageGraph | None:
    """The graph around one artifact or execution, ``depth`` hops (artifact↔execution) each way asked for;
    None when the centre does not exist. ``visible``: the walk goes only through executions of runs in
    these namespaces (None: all), so a graph never shows another team's work."""
    if (artifact_id is None) == (execution_id is None):
        raise LineageQueryError("give exactly one of artifact and execution")
    if not 1 <= depth <= MAX_DEPTH:
        raise LineageQueryError(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
    if direction not in ("up", "down", "both"):
        raise LineageQueryError(f"direction must be up, down or both, not {direction!r}")
    if artifact_id is not None:
        if session.get(Artifact, artifact_id) is None:
            return None
        center = f"artifact:{artifact_id}"
    else:
        assert execution_id is not None
        if session.get(Execution, execution_id) is None:
            return None
        center = f"execution:{execution_id}"
    walk = _Walk(session, max_nodes, None if visible is None else set(visible))
    if artifact_id is not None:
        walk.artifacts.add(artifact_id)
    if execution_id is not None:
        walk.executions.add(execution_id)
    for upstream in (True, False):
        if direction == ("down" if upstream else "up"):
            continue
        walk.run(
            {artifact_id} if artifact_id else set(),
            {execution_id} if execution_id else set(),
            depth,
            upstream,
        )
    edges = [
        LineageEdge(execution_id=execution, artifact_id=artifact, type=kind, key=key)
        for (execution, artifact, kind), key in sorted(walk.edges.items())
    ]
    return LineageGraph(
        center=center,
        direction=direction,
        depth=depth,
        artifacts=_artifact_summaries(session, _by_ids(session, Artifact, walk.artifacts), visible),
        executions=_execution_summaries(session, _by_ids(session, Execution, walk.executions)),
        edges=edges,
        truncated=walk.truncated,
    )


class _Walk:
    """Breadth-first over events, one query per hop; stops at ``max_nodes``."""

    def __init__(self, session: Session, max_nodes: int, visible: set[str] | None) -> None:
        self.session = session
        self.max_nodes = max_nodes
        self.visible = visible
        self.artifacts: set[str] = set()
        self.executions: set[str] = set()
        self.edges: dict[tuple[str, str, Literal["INPUT", "OUTPUT"]], str] = {}
        self.truncated = False

    def run(self, artifacts: set[str], executions: set[str], depth: int, upstream: bool) -> None:
        for _ in range(depth):
            if not artifacts and not executions:
                return
            # From artifacts: upstream to who produced them, downstream to who read them; from executions:
            # upstream to what they read, downstream to what they wrote.
            from_artifacts = _PRODUCED if upstream else _CONSUMED
            from_executions = _CONSUMED if upstream else _PRODUCED
            found_executions = self._follow(Event.artifact_id, artifacts, from_artifacts)
            found_artifacts = self._follow(Event.execution_id, executions, from_executions)
            artifacts = {artifact for _, artifact in found_artifacts} - self.artifacts
            executions = {execution for execution, _ in found_executions} - self.executions
            if len(self.artifacts) + len(self.executions) + len(artifacts) + len(executions) > self.max_nodes:
                self.truncated = True
                room = max(0, self.max_nodes - len(self.artifacts) - len(self.executions))
                executions = set(sorted(executions)[:room])
                artifacts = set(sorted(artifacts)[: max(0, room - len(executions))])
            self.artifacts |= artifacts
            self.executions |= executions
            if self.truncated:
                break
        self.edges = {
            key: value
            for key, value in self.edges.items()
            if key[0] in self.executions and key[1] in self.artifacts
        }

    def _follow(self, column: Any, ids: set[str], types: tuple[EventType, ...]) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for chunk in _chunks(sorted(ids)):
            query = select(Event.execution_id, Event.artifact_id, Event.type, Event.key).where(
                column.in_(chunk), Event.type.in_(types)
            )
            if self.visible is not None:
                query = query.join(Execution, Execution.id == Event.execution_id).where(
                    Execution.run_id.in_(_runs_in(self.visible))
                )
            for execution, artifact, kind, key in self.session.execute(query):
                edge: Literal["INPUT", "OUTPUT"] = "OUTPUT" if kind in _PRODUCED else "INPUT"
                self.edges.setdefault((execution, artifact, edge), key)
                pairs.append((execution, artifact))
        return pairs


# ---------------------------------------------------------------------------------------------------------------
# Summaries (a few queries per page, never one per row)
# ---------------------------------------------------------------------------------------------------------------


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def _by_ids(session: Session, model: Any, ids: Iterable[str]) -> list[Any]:
    rows: list[Any] = []
    for chunk in _chunks(sorted(set(ids))):
        rows.extend(session.scalars(select(model).where(model.id.in_(chunk))))
    rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
    return rows


def _artifact_summaries(
    session: Session, rows: Sequence[Artifact], visible: Collection[str] | None = None
) -> list[ArtifactSummary]:
    producers: dict[str, tuple[str | None, str | None]] = {}
    for chunk in _chunks([row.id for row in rows]):
        query = (
            select(Event.artifact_id, Execution.run_id, Task.path)
            .join(Execution, Execution.id == Event.execution_id)
            .outerjoin(Task, Task.id == Execution.task_id)
            .where(Event.artifact_id.in_(chunk), Event.type.in_(_PRODUCED))
            .order_by(Event.id)
        )
        if visible is not None:
            query = query.where(Execution.run_id.in_(_runs_in(visible)))
        for artifact_id, run_id, path in session.execute(query):
            producers.setdefault(artifact_id, (run_id, path))
    return [
        ArtifactSummary(
            id=row.id,
            name=row.name,
            display_name=row.display_name,
            type=row.schema_title,
            uri=row.uri,
            state=row.state.value,
            metadata=row.metadata_ or {},
            created_at=row.created_at,
            run_id=producers.get(row.id, (None, None))[0],
            task_path=producers.get(row.id, (None, None))[1],
        )
        for row in rows
    ]


def _execution_summaries(session: Session, rows: Sequence[Execution]) -> list[ExecutionSummary]:
    task_ids = {row.task_id for row in rows if row.task_id}
    sources = {
        str(row.properties.get("cached_from_task_id"))
        for row in rows
        if isinstance(row.properties, dict) and row.properties.get("cached_from_task_id")
    }
    tasks: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(sorted(task_ids | sources)):
        for task_id, run_id, path in session.execute(
            select(Task.id, Task.run_id, Task.path).where(Task.id.in_(chunk))
        ):
            tasks[task_id] = (run_id, path)
    summaries: list[ExecutionSummary] = []
    for row in rows:
        properties = row.properties if isinstance(row.properties, dict) else {}
        source = properties.get("cached_from_task_id")
        component = properties.get("component")
        summaries.append(
            ExecutionSummary(
                id=row.id,
                name=row.name,
                type=row.type,
                state=row.state.value,
                component=component if isinstance(component, str) else None,
                run_id=row.run_id,
                task_id=row.task_id,
                task_path=tasks[row.task_id][1] if row.task_id in tasks else None,
                created_at=row.created_at,
                cached_from_task_id=source if isinstance(source, str) else None,
                cached_from_run_id=tasks[source][0] if isinstance(source, str) and source in tasks else None,
            )
        )
    return summaries
