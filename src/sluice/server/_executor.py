"""``RunExecutor``: runs that the service accepted, executed in the background by Sluice's engine.

The service only ever talks to this boundary (submit, terminate, retry, resume what was in flight, shut
down); everything about the engine lives behind it. Worker threads take run ids from a queue and drive each
run with ``sluice.engine.drive_run``, which claims the run's lease first, so a run is never driven twice
(not even by a ``sluice run`` process sharing the database).

Shutting down stops every running task (its process group is killed), puts those tasks back to PENDING
with a note, and releases the runs' leases: the next ``sluice up`` resumes them, keeping what succeeded.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sluice.engine import (
    Capacity,
    EngineError,
    LauncherUnavailableError,
    StopToken,
    drive_run,
    terminate_run,
)
from sluice.store import TERMINAL_STATES, RuntimeState, Store, StoreError, utcnow
from sluice.store.models import Experiment, Run

if TYPE_CHECKING:
    from sluice.server._fair_queue import FairQueue

__all__ = ["RunExecutor"]

_log = logging.getLogger("sluice.server")
_S = RuntimeState
# A run whose engine has not heartbeated for this long is adopted (the engine heartbeats every 5 s).
STALE_AFTER = timedelta(seconds=30)
# Runs created this recently may be about to be claimed by the process that made them (``sluice run``).
_GRACE = timedelta(seconds=5)
_RUN_QUOTA_RETRY_S = 1.0
_SHUTDOWN_NOTE = "stopped: the server shut down; the run goes on when it starts again"


class RunExecutor:
    """Executes runs in the background, at most ``max_concurrent_runs`` at a time (others wait PENDING)."""

    def __init__(
        self,
        store: Store,
        *,
        home: Path,
        database_url: str,
        max_concurrent_runs: int = 4,
        task_env: Mapping[str, str] | None = None,
        launcher: str = "local",
        ray_address: str | None = None,
        fair_queue: FairQueue | None = None,
    ) -> None:
        """``task_env``: what every task's environment starts from (``sluice.launchers.clean_environment``);
        None: the server's own, without Sluice's settings. ``launcher``/``ray_address``: where tasks run.
        ``fair_queue``: the arbiter every run's tasks take the machine's resources from (namespaces' quotas,
        fair turns); None: each run counts the machine as its own."""
        self._fair_queue = fair_queue
        self._running_by_namespace: dict[str, set[str]] = {}
        self._store = store
        self._task_env = dict(task_env) if task_env is not None else None
        self._launcher = launcher
        self._ray_address = ray_address
        self._home = home
        self._database_url = database_url
        self._workers = max(1, max_concurrent_runs)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._known: set[str] = set()  # queued or running here
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._stop_runs = StopToken()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------------------------------------ life

    def start(self) -> None:
        """Start the workers and take up every run that was in flight when the service last stopped (and end
        the tasks an engine that stopped left unended in runs that ended)."""
        try:
            ended = self._store.end_tasks_of_ended_runs()
        except StoreError as error:
            _log.warning("cannot end the tasks of ended runs: %s", error)
        else:
            if ended:
                _log.info("ended the unfinished tasks of %d ended run(s)", len(ended))
        for index in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"sluice-run-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self.adopt_orphans(stale_after=timedelta(0))

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop running tasks, record them, release the runs; returns when the workers are done."""
        self._stopping.set()
        self._stop_runs.stop(_SHUTDOWN_NOTE)
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    @property
    def queued_runs(self) -> int:
        """Runs submitted here and waiting for a free worker (about: the queue also holds stop markers)."""
        return self._queue.qsize()

    @property
    def active_runs(self) -> set[str]:
        with self._lock:
            return set(self._known)

    # ------------------------------------------------------------------------------------------------ requests

    def submit(self, run_id: str) -> None:
        """Execute this (PENDING) run when a worker is free."""
        with self._lock:
            if run_id in self._known or self._stopping.is_set():
                return
            self._known.add(run_id)
        self._queue.put(run_id)

    def terminate(self, run_id: str) -> None:
        """Cancel a run: its engine (here or in another process) kills its tasks; a run nobody drives, or one
        still waiting for a worker, is canceled at once."""
        try:
            terminate_run(run_id, wait=0, home=self._home, database_url=self._database_url)
        except EngineError as error:
            _log.info("terminate %s: %s", run_id, error)

    def retry(self, run_id: str) -> None:
        """Run a FAILED or CANCELED run again: tasks that succeeded keep their outputs, the others run again."""
        self._store.reopen_run(run_id)
        self.submit(run_id)

    def adopt_orphans(self, stale_after: timedelta = STALE_AFTER) -> list[str]:
        """Queue runs that need an engine and have none (the service stopped, or an engine died)."""
        if self._stopping.is_set():
            return []
        try:
            orphans = self._store.find_orphaned_runs(stale_after)
            with self._store.read_session() as session:
                # A fresh PENDING run nobody claimed may be a `sluice run` process's, about to claim it.
                recent = set(
                    session.scalars(
                        select(Run.id).where(
                            Run.id.in_(orphans),
                            Run.state == _S.PENDING,
                            Run.lease_owner.is_(None),
                            Run.created_at > utcnow() - _GRACE,
                        )
                    )
                )
        except StoreError as error:
            _log.warning("cannot look for runs to resume: %s", error)
            return []
        adopted = [run_id for run_id in orphans if run_id not in recent and run_id not in self.active_runs]
        for run_id in adopted:
            self.submit(run_id)
        return adopted

    # ------------------------------------------------------------------------------------------------ workers

    def queue_snapshot(self, namespaces: list[str] | None) -> dict[str, Any]:
        """The fair queue's running and pending tasks (of these namespaces; None: all)."""
        if self._fair_queue is None:
            return {"capacity": None, "namespaces": []}
        return self._fair_queue.snapshot(namespaces)

    def _work(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id is None:
                return
            deferred = False
            try:
                if not self._stopping.is_set():
                    deferred = not self._execute(run_id)
            finally:
                if deferred:
                    # Its namespace runs as many runs as its quota allows: look again in a moment.
                    timer = threading.Timer(_RUN_QUOTA_RETRY_S, self._queue.put, [run_id])
                    timer.daemon = True
                    timer.start()
                else:
                    with self._lock:
                        self._known.discard(run_id)

    def _owner(self, run_id: str) -> tuple[str, str]:
        with self._store.read_session() as session:
            row = session.execute(
                select(Experiment.namespace, Run.created_by)
                .join(Run, Run.experiment_id == Experiment.id)
                .where(Run.id == run_id)
            ).first()
        return (row[0] or "", row[1] or "") if row is not None else ("", "")

    def _line(self, namespace: str) -> list[str]:
        """The namespace's unfinished runs submitted here, oldest first."""
        with self._lock:
            known = list(self._known)
        with self._store.read_session() as session:
            return list(
                session.scalars(
                    select(Run.id)
                    .join(Experiment, Run.experiment_id == Experiment.id)
                    .where(
                        Experiment.namespace == namespace,
                        Run.id.in_(known),
                        Run.state.notin_(TERMINAL_STATES),
                    )
                    .order_by(Run.created_at, Run.id)
                )
            )

    def _execute(self, run_id: str) -> bool:
        """Drive the run; False when its namespace's run quota defers it."""
        if self._fair_queue is None:
            self._drive(run_id, None)
            return True
        namespace, user = self._owner(run_id)
        self._fair_queue.refresh_quotas()
        limit = self._fair_queue.run_quota(namespace)
        line = self._line(namespace) if limit is not None else []
        with self._lock:
            running = self._running_by_namespace.setdefault(namespace, set())
            if limit is not None:
                # First come, first served: two workers may pick up two runs of a namespace at once.
                waiting = [other for other in line if other not in running]
                if len(running) >= limit or (
                    run_id in waiting and run_id not in waiting[: limit - len(running)]
                ):
                    return False
            running.add(run_id)
        try:
            self._drive(run_id, self._fair_queue.share_for(run_id, namespace, user))
        finally:
            self._fair_queue.forget_run(run_id)
            with self._lock:
                running.discard(run_id)
        return True

    def _drive(self, run_id: str, capacity: Capacity | None) -> None:
        try:
            drive_run(
                run_id,
                home=self._home,
                database_url=self._database_url,
                stop=self._stop_runs,
                handle_sigint=False,
                base_env=self._task_env,
                launcher=self._launcher,
                ray_address=self._ray_address,
                capacity=capacity,
            )
        except LauncherUnavailableError as error:
            # E.g. a run whose own pipeline root is a folder, on a cluster of several nodes.
            self._fail(run_id, str(error))
        except EngineError as error:
            # Canceled before it started, or driven by another live engine: nothing to do here.
            _log.info("run %s not executed here: %s", run_id, error)
        except Exception as error:
            _log.exception("run %s: the engine failed", run_id)
            self._fail(run_id, f"the engine failed: {type(error).__name__}: {error}")

    def _fail(self, run_id: str, message: str) -> None:
        try:
            with self._store.session() as session:
                run = session.get(Run, run_id, with_for_update=True)
                if run is None or run.state in TERMINAL_STATES:
                    return
                if run.state is _S.CANCELING:
                    self._store.transition_run(
                        run_id, _S.CANCELED, error={"message": message}, session=session
                    )
                else:
                    self._store.transition_run(run_id, _S.FAILED, error={"message": message}, session=session)
                self._store.release_run(run_id, session=session)
        except StoreError as error:
            _log.warning("run %s: could not record its failure: %s", run_id, error)
