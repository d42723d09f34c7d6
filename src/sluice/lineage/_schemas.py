"""The lineage API's JSON shapes (``/apis/sluice/v1``): artifacts, executions, the events between them and
lineage graphs, as pydantic models the handlers return (so the served OpenAPI describes the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "ArtifactDetail",
    "ArtifactList",
    "ArtifactSummary",
    "ArtifactUse",
    "Deployed",
    "ExecutionDetail",
    "ExecutionList",
    "ExecutionSummary",
    "ExecutionUse",
    "LineageEdge",
    "LineageGraph",
]


class ArtifactSummary(BaseModel):
    """One artifact as MLMD records it, with the run and task that produced it (when one did)."""

    id: str
    name: str
    display_name: str
    type: str = Field(description="The artifact's schema title, e.g. system.Model.")
    uri: str
    state: str
    metadata: dict[str, Any]
    created_at: datetime
    run_id: str | None = Field(default=None, description="The run of the first execution that produced it.")
    task_path: str | None = Field(default=None, description="Where that task sits in its run.")


class ExecutionSummary(BaseModel):
    """One execution of a task (an attempt that ended, or a cache hit)."""

    id: str
    name: str
    type: str
    state: str
    component: str | None = None
    run_id: str | None
    task_id: str | None
    task_path: str | None = None
    created_at: datetime
    cached_from_task_id: str | None = Field(
        default=None, description="A cache hit: the task whose outputs it reused."
    )
    cached_from_run_id: str | None = None


class ArtifactList(BaseModel):
    artifacts: list[ArtifactSummary]
    next_page_token: str = ""


class ExecutionList(BaseModel):
    executions: list[ExecutionSummary]
    next_page_token: str = ""


class ExecutionUse(BaseModel):
    """An execution that produced (OUTPUT) or consumed (INPUT) an artifact, under input/output ``key``."""

    type: str
    key: str
    list_index: int | None = None
    execution: ExecutionSummary


class ArtifactUse(BaseModel):
    """An artifact an execution consumed (INPUT) or produced (OUTPUT), under input/output ``key``."""

    type: str
    key: str
    list_index: int | None = None
    artifact: ArtifactSummary


class Deployed(BaseModel):
    """A deployment revision that serves the artifact."""

    namespace: str
    deployment: str
    revision: int
    state: str


class ArtifactDetail(BaseModel):
    artifact: ArtifactSummary
    produced_by: list[ExecutionUse]
    consumed_by: list[ExecutionUse]
    deployed_in: list[Deployed]


class ExecutionDetail(BaseModel):
    execution: ExecutionSummary
    inputs: list[ArtifactUse]
    outputs: list[ArtifactUse]


class LineageEdge(BaseModel):
    """An INPUT edge runs from the artifact to the execution, an OUTPUT edge from the execution to the artifact."""

    execution_id: str
    artifact_id: str
    type: Literal["INPUT", "OUTPUT"]
    key: str


class LineageGraph(BaseModel):
    center: str = Field(description='The node the graph is drawn around: "artifact:ID" or "execution:ID".')
    direction: Literal["up", "down", "both"]
    depth: int
    artifacts: list[ArtifactSummary]
    executions: list[ExecutionSummary]
    edges: list[LineageEdge]
    truncated: bool = Field(description="True when the graph reached the node limit before the depth.")
