"""Run retention (``sluice up --runs-retention DAYS`` and ``--archived-runs-retention DAYS``): runs that
ended longer ago are deleted with their outputs and logs (the run's folder under the artifact root).

The run's rows go first, in one transaction (tasks, history, executions and events follow by cascade), then
its folder: a crash in between leaves files nobody lists, never a listed run without its files. Artifacts the
run produced go with it; one that another run still uses (an importer, a cache hit) keeps its row, marked
DELETED, so that run's lineage still shows where it came from.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import delete, or_, select, update

from sluice.artifacts import ArtifactStore
from sluice.store import TERMINAL_STATES, ArtifactState, EventType, StorageState, Store, utcnow
from sluice.store.models import Artifact, Event, Execution, Run

__all__ = ["RunRetention"]

_log = logging.getLogger("sluice.server")
_BATCH = 100


class RunRetention:
    """Deletes expired runs now and then (``maybe_sweep``, from the housekeeping thread)."""

    def __init__(
        self,
        store: Store,
        artifacts: ArtifactStore,
        *,
        runs_days: float | None,
        archived_days: float | None,
        interval_s: float = 3600.0,
    ) -> None:
        self._store = store
        self._artifacts = artifacts
        self._runs = timedelta(days=runs_days) if runs_days else None
        self._archived = timedelta(days=archived_days) if archived_days else None
        shortest = min(
            (period.total_seconds() for period in (self._runs, self._archived) if period), default=None
        )
        # Checked ten times per retention period, at most hourly, at least every second.
        self._interval_s = max(1.0, min(interval_s, shortest / 10)) if shortest else interval_s
        self._next_at = 0.0

    @property
    def enabled(self) -> bool:
        return self._runs is not None or self._archived is not None

    def maybe_sweep(self) -> int:
        if not self.enabled or time.monotonic() < self._next_at:
            return 0
        self._next_at = time.monotonic() + self._interval_s
        return self.sweep()

    def sweep(self) -> int:
        """Delete every expired run; how many."""
        deleted = 0
        while True:
            batch = self._expired()
            for run_id in batch:
                self._delete(run_id)
            deleted += len(batch)
            if len(batch) < _BATCH:
                break
        if deleted:
            _log.info("retention: deleted %d run(s) with their artifacts and logs", deleted)
        return deleted

    def _expired(self) -> list[str]:
        now = utcnow()
        expired = []
        if self._runs is not None:
            expired.append(Run.finished_at < now - self._runs)
        if self._archived is not None:
            expired.append(
                (Run.storage_state == StorageState.ARCHIVED) & (Run.finished_at < now - self._archived)
            )
        with self._store.read_session() as session:
            return list(
                session.scalars(
                    select(Run.id)
                    .where(Run.state.in_(TERMINAL_STATES), Run.finished_at.is_not(None), or_(*expired))
                    .order_by(Run.finished_at)
                    .limit(_BATCH)
                )
            )

    def _delete(self, run_id: str) -> None:
        folder = self._artifacts.uri_for(run_id)
        with self._store.session() as session:
            run = session.get(Run, run_id, with_for_update=True)
            if run is None or run.state not in TERMINAL_STATES:
                return  # deleted meanwhile, or retried
            own_executions = select(Execution.id).where(Execution.run_id == run_id)
            produced = set(
                session.scalars(
                    select(Event.artifact_id)
                    .join(Artifact, Artifact.id == Event.artifact_id)
                    .where(
                        Event.execution_id.in_(own_executions),
                        Event.type == EventType.OUTPUT,
                        Artifact.uri.startswith(folder + "/", autoescape=True),
                    )
                )
            )
            still_used = (
                set(
                    session.scalars(
                        select(Event.artifact_id)
                        .join(Execution, Execution.id == Event.execution_id)
                        .where(
                            Event.artifact_id.in_(produced),
                            or_(Execution.run_id.is_(None), Execution.run_id != run_id),
                        )
                    )
                )
                if produced
                else set()
            )
            session.delete(run)
            session.flush()
            if produced - still_used:
                session.execute(delete(Artifact).where(Artifact.id.in_(produced - still_used)))
            if still_used:
                session.execute(
                    update(Artifact).where(Artifact.id.in_(still_used)).values(state=ArtifactState.DELETED)
                )
        try:
            self._artifacts.remove(folder)
        except (OSError, ValueError) as error:
            _log.warning(
                "retention: run %s deleted, but not all of its files (%s): %s", run_id, folder, error
            )
