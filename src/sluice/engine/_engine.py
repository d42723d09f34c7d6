"""The engine's loop: drives one run from its root DAG to its end, one thread, one turn at a time.

Each turn: start the nodes whose upstream tasks have ended and pass on what ended (:func:`settle`), hand
ready container tasks to the scheduler (the cache may end some; settle again), **commit the turn's changes**
(the journal) before acting on them, launch what fits and commit that too; then wait for an exit or a timer
(retry backoff, timeout, the store poll that notices ``sluice runs terminate``, the lease heartbeat) or
Ctrl-C. The run ends when its root has ended and nothing runs, or, once canceled, when nothing runs. A
:class:`StopToken` makes the loop let go instead: it kills what runs, records those tasks back to PENDING,
commits and releases the run, which stays RUNNING for a later resume.

The parts, each in its module: node state changes (``_state``), DAGs (``_dag``), loops (``_loops``),
starting a node (``_start``), importers (``_importer``), container tasks from ready to ended
(``_scheduler``: ``_prepare``, ``_cache``, ``_attempts``, ``_completion``), resuming (``_resume``).
Launchers only run what they are given; nothing here knows how a process is started.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sluice.artifacts import ArtifactStore
from sluice.engine._context import EngineOptions, RunContext
from sluice.engine._dag import child_ended, start_root
from sluice.engine._loops import iteration_ended
from sluice.engine._observer import RunObserver
from sluice.engine._ownership import HEARTBEAT_INTERVAL_S, engine_owner_id
from sluice.engine._platform import DEFAULT_NAMESPACE, unused_settings_warning, used_settings
from sluice.engine._resume import previous_tasks
from sluice.engine._scheduler import Scheduler
from sluice.engine._start import start
from sluice.engine._state import RunState
from sluice.engine._stop import StopToken
from sluice.engine._volumes import volume_warning
from sluice.ir import PipelineSpec, PlatformSpec
from sluice.launchers import Launcher, LocalLauncher, personal_environment
from sluice.store import RuntimeState, RunWriter, Store, TaskKind, tables, utcnow

__all__ = ["RunEngine", "settle"]

_S = RuntimeState
POLL_INTERVAL_S = 0.5


def settle(ctx: RunContext, state: RunState) -> None:
    """Start what became startable and pass on what ended, until nothing moves."""
    while state.to_start or state.done:
        if state.done:
            node = state.done.popleft()
            if node.kind is TaskKind.LOOP_ITERATION:
                iteration_ended(ctx, state, node)
            else:
                child_ended(state, node)
        else:
            node = state.to_start.popleft()
            if not node.is_terminal and not node.started and not state.canceled:
                start(ctx, state, node)


class RunEngine:
    """Drives one run to its end. Use :func:`sluice.engine.run_pipeline` rather than this directly."""

    def __init__(
        self,
        *,
        store: Store,
        run_id: str,
        spec: PipelineSpec,
        platform_spec: PlatformSpec | None,
        arguments: dict[str, Any],
        artifact_store: ArtifactStore,
        home: Path,
        job_name: str,
        created_at: datetime,
        options: EngineOptions,
        observer: RunObserver | None = None,
        launcher: Launcher | None = None,
        owner: str | None = None,
        stop: StopToken | None = None,
    ) -> None:
        self.owner = owner or engine_owner_id()
        self.journal = RunWriter(store, run_id)
        self.ctx = RunContext(
            store=store,
            run_id=run_id,
            spec=spec,
            platform_spec=platform_spec,
            arguments=arguments,
            artifacts=artifact_store,
            home=home,
            job_name=job_name,
            created_at=created_at,
            options=options,
            journal=self.journal,
            observer=observer or RunObserver(),
        )
        self.state = RunState(self.journal, self.ctx.observer)
        if launcher is None:
            base_env = options.base_env if options.base_env is not None else personal_environment()
            launcher = LocalLauncher(use_fork_server=options.use_fork_server, base_env=base_env)
        self.scheduler = Scheduler(self.ctx, self.state, launcher)
        self._next_poll = 0.0
        self._next_heartbeat = 0.0
        self._sigint = False
        self._stop = stop
        self._deadline: datetime | None = None
        self._past_deadline = False

    def run(self, resume: bool = False) -> RuntimeState:
        """Run (or resume) to the end; returns the run's final state."""
        previous_handler: Any = None
        in_main_thread = threading.current_thread() is threading.main_thread()
        if self.ctx.options.handle_sigint and in_main_thread:
            previous_handler = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            return self._run(resume)
        except Exception as error:
            # A bug or a lost database must not leave the run looking alive: record why it stopped.
            self._record_crash(f"the engine stopped: {type(error).__name__}: {error}")
            raise
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGINT, previous_handler)
            self.scheduler.close()

    def _run(self, resume: bool) -> RuntimeState:
        ctx, state = self.ctx, self.state
        ctx.run_dir.mkdir(parents=True, exist_ok=True)
        if ctx.has_workspace:
            ctx.workspace_dir.mkdir(parents=True, exist_ok=True)
        if resume:
            state.previous = previous_tasks(ctx.store, ctx.run_id)
        self.journal.context_id = ctx.store.ensure_context("system.PipelineRun", ctx.run_id)
        runs, experiments = tables.runs, tables.experiments
        with ctx.store.reading() as connection:
            current, service_account, namespace, warnings = connection.execute(
                select(runs.c.state, runs.c.service_account, experiments.c.namespace, runs.c.warnings)
                .join(experiments, experiments.c.id == runs.c.experiment_id)
                .where(runs.c.id == ctx.run_id)
            ).one()
        ctx.service_account = service_account or ""
        ctx.namespace = namespace or DEFAULT_NAMESPACE
        if current is not _S.RUNNING:
            ctx.store.transition_run(ctx.run_id, _S.RUNNING, owner=self.owner)
        self._deadline = self._run_deadline()
        ctx.observer.run_started(ctx.run_id, ctx.pipeline_name, resume)
        found = [unused_settings_warning(ctx.spec, ctx.platform_spec, used_settings(ctx.options.launcher))]
        if ctx.options.profile is not None and ctx.options.profile.sandboxed:
            found.append(volume_warning(ctx.spec, ctx.platform_spec))
        run_warnings = [warning for warning in found if warning is not None]
        if run_warnings and warnings is None:
            ctx.store.record_run_warnings(ctx.run_id, run_warnings)
        for warning in run_warnings:
            ctx.observer.run_warning(warning)
        start_root(ctx, state)
        while True:
            self._check_stop()
            settle(ctx, state)
            if state.ready:
                self.scheduler.take_ready()
                settle(ctx, state)
            # Commit results before launching what they enable: a kill -9 between the two must never leave a
            # downstream task started while the store still shows its upstream running.
            self.journal.flush()
            self.scheduler.launch_queued()
            self.journal.flush()
            assert state.root is not None
            if self.scheduler.stopping and not self.scheduler.running:
                return self._let_go()
            if state.root.is_terminal and not self.scheduler.running:
                break
            if state.canceled and not self.scheduler.running:
                state.cancel_unfinished()
                self.journal.flush()
                break
            launcher = self.scheduler.launcher
            exits = launcher.wait(self.scheduler.wait_timeout(self._next_poll))
            for started in launcher.started():  # reported before its exit, which may be in this batch
                self.scheduler.attempt_started(started)
            for ended in exits:
                self.scheduler.attempt_exited(ended)
            self._on_timers()
            ctx.observer.tick()
        return self._finish_run()

    def _on_timers(self) -> None:
        now = time.monotonic()
        if self._sigint and not self.state.canceled:
            self._cancel("interrupted (Ctrl-C)")
        if self._deadline is not None and not self.state.canceled and utcnow() >= self._deadline:
            # As Argo ends a workflow past its activeDeadlineSeconds: running tasks are killed, the run fails.
            self._past_deadline = True
            seconds = self.ctx.active_deadline_seconds
            self._cancel(f"the run exceeded its deadline (pipelineConfig.activeDeadlineSeconds: {seconds} s)")
        if now >= self._next_poll:
            self._next_poll = now + POLL_INTERVAL_S
            self._poll_store(now)
        self.scheduler.check_timers(now)

    def _run_deadline(self) -> datetime | None:
        """When the run must have ended: when it first started running (a resumed run keeps its start) plus
        ``pipelineConfig.activeDeadlineSeconds``; None without one."""
        seconds = self.ctx.active_deadline_seconds
        if seconds is None:
            return None
        history = tables.run_state_history
        with self.ctx.store.reading() as connection:
            started = connection.scalar(
                select(func.min(history.c.at)).where(
                    history.c.run_id == self.ctx.run_id, history.c.state == _S.RUNNING
                )
            )
        return (started or utcnow()) + timedelta(seconds=seconds)

    def _poll_store(self, now: float) -> None:
        """Notice a request to terminate the run; renew the lease (losing it cancels the run here)."""
        with self.ctx.store.reading() as connection:
            run_state = connection.scalar(
                select(tables.runs.c.state).where(tables.runs.c.id == self.ctx.run_id)
            )
        if run_state is _S.CANCELING and not self.state.canceled:
            self._cancel("terminated on request")
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_INTERVAL_S
            if self.ctx.run_id not in self.ctx.store.heartbeat(self.owner, [self.ctx.run_id]):
                self._cancel("another engine took the run over")

    def _check_stop(self) -> None:
        # A run already being canceled finishes its cancel (its kills are on their way) rather than parking.
        stop = self._stop
        if stop is not None and stop.stopped and not self.scheduler.stopping and not self.state.canceled:
            self.scheduler.stop(stop.reason)

    def _let_go(self) -> RuntimeState:
        """Stopped, nothing running: what was running goes back to PENDING; commit; release the lease."""
        assert self._stop is not None
        for node in self.state.nodes.values():
            if node.state is _S.RUNNING:
                self.state.set_state(node, _S.PENDING, self._stop.reason)
        self.journal.flush()
        self.ctx.store.release_run(self.ctx.run_id, self.owner)
        return _S.RUNNING

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self._sigint:
            raise KeyboardInterrupt  # a second Ctrl-C: stop waiting for kills
        self._sigint = True

    def _cancel(self, reason: str) -> None:
        if self.state.cancel(reason):
            self.scheduler.cancel(reason)

    def _finish_run(self) -> RuntimeState:
        root = self.state.root
        assert root is not None
        final = root.state if root.is_terminal else _S.CANCELED
        if self.state.canceled:
            final = _S.FAILED if self._past_deadline else _S.CANCELED
        error = None
        if final is not _S.SUCCEEDED:
            error = {"message": self.state.first_error or root.error or f"the run ended {final}"}
        store, run_id = self.ctx.store, self.ctx.run_id
        run = store.get_run(run_id)
        assert run is not None
        current = run.state
        if current is _S.RUNNING and final is _S.CANCELED:
            store.transition_run(run_id, _S.CANCELING, owner=self.owner)
        store.transition_run(run_id, final, error=error, owner=self.owner)
        store.release_run(run_id, self.owner)
        return final

    def _record_crash(self, message: str) -> None:
        """The run ends FAILED with ``message``, and so does every task it had not ended (those that never
        started: CANCELED): an ended run has no task left RUNNING or PENDING."""
        with contextlib.suppress(Exception):
            self.journal.flush()
        with contextlib.suppress(Exception):
            store, run_id = self.ctx.store, self.ctx.run_id
            with store.transaction() as connection:
                store.transition_run(
                    run_id, _S.FAILED, error={"message": message}, owner=self.owner, session=connection
                )
                store.end_unfinished_tasks(run_id, message, session=connection)
            store.release_run(run_id, self.owner)
