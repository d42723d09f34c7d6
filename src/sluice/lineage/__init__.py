"""Lineage: the artifacts and executions every run recorded and the events between them, listed, filtered and
walked as a graph across runs (which data and which run produced this model, and what used it since).

The engine writes this metadata (MLMD's shape) through the store's RunWriter; this package only reads it. The server
serves it under ``/apis/sluice/v1`` (``artifacts``, ``executions``, ``lineage``); ``schemas`` holds the JSON
shapes.
"""

from sluice.lineage import _schemas as schemas
from sluice.lineage._queries import (
    MAX_DEPTH,
    MAX_NODES,
    ArtifactFilter,
    ExecutionFilter,
    LineageQueryError,
    artifact_detail,
    execution_detail,
    lineage_graph,
    list_artifacts,
    list_executions,
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
    "schemas",
]
