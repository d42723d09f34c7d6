"""The cache: which earlier result a task may reuse instead of running.

A task's fingerprint hashes its component's interface and executor, its input values, and its input
artifacts' URIs and types; a ``cacheKey`` replaces all of that. A task may reuse the newest SUCCEEDED task
with its fingerprint, from any run, whose output artifacts under the artifact root still exist. Only tasks
with ``enableCache`` are looked up, and only when the run caches at all (``--no-cache`` turns it off);
every task's fingerprint is recorded either way, so later runs can reuse it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Row, select

from sluice.artifacts import METADATA_ONLY_TYPES, ArtifactStore
from sluice.engine._graph import Node
from sluice.ir import PipelineSpec
from sluice.store import RuntimeState, Store, tables

__all__ = ["Fingerprints", "find_hits", "is_cacheable"]

_LOOKUP_CHUNK = 500  # fingerprints per query


class Fingerprints:
    """Fingerprints of a run's tasks; each executor's part is hashed once per run."""

    def __init__(self, spec: PipelineSpec) -> None:
        self._spec = spec
        self._executor_digests: dict[str, str] = {}

    def of(self, node: Node, executor_label: str) -> str:
        """``node``'s fingerprint (its inputs resolved)."""
        options = node.task_spec.caching_options if node.task_spec else None
        if options is not None and options.cache_key:
            return hashlib.sha256(f"cacheKey:{options.cache_key}".encode()).hexdigest()
        identity = {
            "executor": self._executor_digest(executor_label, node),
            "parameters": node.input_parameters,
            "artifacts": {
                name: [[artifact.uri, artifact.schema_title] for artifact in values]
                for name, values in node.input_artifacts.items()
            },
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()

    def _executor_digest(self, label: str, node: Node) -> str:
        digest = self._executor_digests.get(label)
        if digest is None:
            component = node.component
            identity = {
                "inputs": component.input_definitions.to_dict() if component.input_definitions else {},
                "outputs": component.output_definitions.to_dict() if component.output_definitions else {},
                "executor": self._spec.executor(label).to_dict(),
            }
            digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
            self._executor_digests[label] = digest
        return digest


def is_cacheable(node: Node, cache_enabled: bool) -> bool:
    """Whether ``node`` may reuse an earlier result: the run caches and the task has ``enableCache``."""
    options = node.task_spec.caching_options if node.task_spec else None
    return bool(cache_enabled and options is not None and options.enable_cache)


def find_hits(
    store: Store, artifacts: ArtifactStore, fingerprints: Iterable[str], *, run_id: str | None = None
) -> dict[str, Row[Any]]:
    """For each fingerprint that has one, the newest SUCCEEDED task whose output artifacts still exist.
    With ``run_id``: only tasks of runs in that run's namespace (a cache hit never crosses namespaces)."""
    wanted = sorted(set(fingerprints))
    hits: dict[str, Row[Any]] = {}
    if not wanted:
        return hits
    runs, experiments, tasks = tables.runs, tables.experiments, tables.tasks
    with store.reading() as connection:
        same_namespace: list[ColumnElement[bool]] = []
        if run_id is not None:
            namespace = (
                select(experiments.c.namespace)
                .join(runs, runs.c.experiment_id == experiments.c.id)
                .where(runs.c.id == run_id)
                .scalar_subquery()
            )
            same_namespace.append(
                tasks.c.run_id.in_(
                    select(runs.c.id)
                    .join(experiments, experiments.c.id == runs.c.experiment_id)
                    .where(experiments.c.namespace == namespace)
                )
            )
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            rows = connection.execute(
                select(tasks)
                .where(
                    tasks.c.cache_fingerprint.in_(chunk),
                    tasks.c.state == RuntimeState.SUCCEEDED,
                    *same_namespace,
                )
                .order_by(tasks.c.finished_at.desc())
            ).all()
            for row in rows:
                if row.cache_fingerprint in hits or row.outputs is None:
                    continue
                outputs = (row.outputs or {}).get("artifacts") or {}
                if all(
                    artifacts.exists(item["uri"])
                    for items in outputs.values()
                    for item in items
                    if artifacts.contains(item["uri"]) and item.get("schemaTitle") not in METADATA_ONLY_TYPES
                ):
                    hits[row.cache_fingerprint or ""] = row
    return hits
