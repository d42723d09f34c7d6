"""Scheduling container tasks: from ready, through the cache and the queue, to running and back.

Ready tasks are prepared (a task that cannot run here fails), and the cacheable ones are looked up in the
cache together; the rest are queued. Queued tasks launch in order while fewer than the parallelism limit
run and their CPU, memory and GPU requests fit what is free; one that does not fit waits, and those behind
it may go first. A task whose ``packages_to_install`` the engine's environment lacks waits for its virtual
environment, built in a thread, before it is queued again. A failed attempt with retries left waits out
its backoff here; a running attempt past its deadline is killed (and counts as timed out). A launcher that
runs tasks on other machines (``remote``: Ray) places them itself: every task fits here, none waits for
a local environment or input copy, and the default parallelism is unlimited; an attempt it queues counts
as started (and its timeout starts) when the launcher reports it started. Once stopped
(a :class:`~sluice.engine.StopToken`), nothing launches and killed attempts count for nothing: their tasks
go back to PENDING, to run again when the run resumes.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from sluice.artifacts import UnsafePathError
from sluice.engine._attempts import Attempt, attempt_placed, launch_attempt, stage_inputs, stream_log
from sluice.engine._cache import find_hits
from sluice.engine._completion import attempt_ended, finish_from_cache
from sluice.engine._context import RunContext
from sluice.engine._errors import TaskError
from sluice.engine._placeholders import PlaceholderError
from sluice.engine._prepare import PreparedTask, TaskPreparer
from sluice.engine._resources import Capacity, detect_capacity
from sluice.engine._state import RunState
from sluice.engine._venvs import VenvError, ensure_venv, requirements_satisfied
from sluice.launchers import Exit, Launcher, LaunchError, Started
from sluice.store import RuntimeState

__all__ = ["Scheduler"]

_STREAM_INTERVAL_S = 0.1  # how often logs are streamed and venv builds checked


class Scheduler:
    """The container tasks of one run between ready and ended, and the launcher that runs them."""

    def __init__(self, ctx: RunContext, state: RunState, launcher: Launcher) -> None:
        self.ctx = ctx
        self.state = state
        self.launcher = launcher
        self.remote = launcher.remote
        self.capacity: Capacity = (
            Capacity.unbounded() if self.remote else ctx.options.capacity or detect_capacity(ctx.options.gpus)
        )
        default_parallelism = sys.maxsize if self.remote else max(1, int(self.capacity.total_cpu))
        self.parallelism = ctx.options.parallelism or default_parallelism
        self.preparer = TaskPreparer(ctx, self.capacity)
        self._queue: deque[PreparedTask] = deque()
        self._running: dict[str, Attempt] = {}  # by launch key
        self._retries: list[tuple[float, PreparedTask]] = []  # (time.monotonic() to queue it again, task)
        self._venv_builds: dict[Future[str], PreparedTask] = {}
        self._venv_pool: ThreadPoolExecutor | None = None
        self.stopping = False
        self._stop_reason = ""

    @property
    def running(self) -> bool:
        """Whether any attempt is in flight."""
        return bool(self._running)

    def take_ready(self) -> None:
        """Prepare the ready tasks; finish those the cache answers, queue the others."""
        ready, self.state.ready = self.state.ready, []
        prepared_tasks: list[PreparedTask] = []
        for node in ready:
            try:
                prepared_tasks.append(self.preparer.prepare(node))
            except (TaskError, PlaceholderError, UnsafePathError) as error:
                self.state.fail(node, getattr(error, "message", str(error)))
        hits = find_hits(
            self.ctx.store,
            self.ctx.artifacts,
            [prepared.fingerprint for prepared in prepared_tasks if prepared.cacheable],
            run_id=self.ctx.run_id,
        )
        for prepared in prepared_tasks:
            hit = hits.get(prepared.fingerprint) if prepared.cacheable else None
            if hit is not None:
                finish_from_cache(self.ctx, self.state, prepared, hit)
            else:
                self._queue.append(prepared)

    def launch_queued(self) -> None:
        """Launch queued tasks that fit now (nothing once the run is canceled or stopped)."""
        if self.state.canceled or self.stopping:
            return
        waiting: deque[PreparedTask] = deque()
        while self._queue:
            prepared = self._queue.popleft()
            if len(self._running) >= self.parallelism or not self.capacity.fits_task(
                prepared.node.id, prepared.node.path, prepared.request
            ):
                waiting.append(prepared)
                continue
            if not self._environment_ready(prepared):
                continue
            try:
                if not self.remote:  # a remote launcher stages them where the task runs
                    stage_inputs(self.ctx, prepared)
            except (OSError, UnsafePathError) as error:
                self.state.fail(prepared.node, f"cannot download its input artifacts: {error}")
                continue
            try:
                attempt = launch_attempt(self.ctx, self.state, self.launcher, self.capacity, prepared)
            except LaunchError as error:
                self.state.fail(prepared.node, str(error))
                continue
            self._running[attempt.handle.key] = attempt
        self._queue = waiting

    def attempt_started(self, started: Started) -> None:
        """A queued attempt started on a node (or, later, its process got its pid): record it."""
        attempt = self._running.get(started.handle.key)
        if attempt is not None:
            attempt_placed(self.state, attempt, started)

    def attempt_exited(self, ended: Exit) -> None:
        """An attempt ended: free its resources, end its task or schedule the task's retry."""
        attempt = self._running.pop(ended.handle.key, None)
        if attempt is None:
            return
        self.capacity.give_back(attempt.prepared.request, attempt.gpus)
        if self.ctx.artifacts.is_remote:
            # A log that cannot be uploaded stays in the local copy: the task's result matters more.
            with contextlib.suppress(OSError):
                self.ctx.artifacts.upload(attempt.log_uri)
        if self.ctx.options.stream_logs:
            stream_log(self.ctx.observer, attempt, ended=True)
        if self.stopping:
            # Killed by the stop, not failed: the attempt neither counts against retries nor ends the task.
            self.state.set_state(attempt.prepared.node, RuntimeState.PENDING, self._stop_reason)
            return
        retry_in = attempt_ended(self.ctx, self.state, attempt, ended)
        if retry_in is not None:
            self._retries.append((time.monotonic() + retry_in, attempt.prepared))

    def wait_timeout(self, until: float) -> float:
        """Seconds the loop may wait for an exit: until ``until``, the next retry or deadline, if sooner."""
        now = time.monotonic()
        deadline = until
        for when, _ in self._retries:
            deadline = min(deadline, when)
        for attempt in self._running.values():
            if attempt.deadline is not None:
                deadline = min(deadline, attempt.deadline)
        timeout = max(0.0, deadline - now)
        if self.ctx.options.stream_logs or self._venv_builds:
            timeout = min(timeout, _STREAM_INTERVAL_S)
        return timeout

    def check_timers(self, now: float) -> None:
        """Kill attempts past their deadline, stream logs, queue due retries and tasks whose venv is built."""
        for attempt in list(self._running.values()):
            if attempt.deadline is not None and now >= attempt.deadline and not attempt.timed_out:
                attempt.timed_out = True
                self.launcher.kill(attempt.handle)
            if self.ctx.options.stream_logs:
                stream_log(self.ctx.observer, attempt, ended=False)
        due = [entry for entry in self._retries if entry[0] <= now]
        if due:
            self._retries = [entry for entry in self._retries if entry[0] > now]
            for _, prepared in due:
                if not self.state.canceled:
                    self._queue.append(prepared)
        for future in [future for future in self._venv_builds if future.done()]:
            prepared = self._venv_builds.pop(future)
            try:
                prepared.interpreter = future.result()
            except VenvError as error:
                self.state.fail(prepared.node, f"cannot prepare its packages: {error}")
                continue
            self._queue.append(prepared)

    def cancel(self, reason: str) -> None:
        """Kill what runs (each ends CANCELED when its exit arrives); what waits ends CANCELED now."""
        for attempt in self._running.values():
            self.launcher.kill(attempt.handle)
        for prepared in [*self._queue, *(prepared for _, prepared in self._retries)]:
            self.state.finish(prepared.node, RuntimeState.CANCELED, reason)
        self._queue.clear()
        self._retries.clear()
        for prepared in self._venv_builds.values():
            self.state.finish(prepared.node, RuntimeState.CANCELED, reason)
        self._venv_builds.clear()

    def stop(self, reason: str) -> None:
        """Kill what runs and launch nothing more; each killed task goes back to PENDING when it exits."""
        self.stopping = True
        self._stop_reason = reason
        for attempt in self._running.values():
            self.launcher.kill(attempt.handle)

    def close(self) -> None:
        """Kill whatever still runs; stop building environments."""
        self.launcher.close()
        if self._venv_pool is not None:
            self._venv_pool.shutdown(wait=False, cancel_futures=True)

    def _environment_ready(self, prepared: PreparedTask) -> bool:
        """False while the task's virtual environment is being built (it is queued again when done)."""
        function = prepared.python
        if function is None or not function.requirements or prepared.interpreter is not None:
            return True
        if self.remote:
            return True  # installed where the task runs (PythonCall.requirements)
        if requirements_satisfied(function.requirements):
            return True
        if self._venv_pool is None:
            self._venv_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sluice-venv")
        future = self._venv_pool.submit(
            ensure_venv,
            self.ctx.home / "venvs",
            function.requirements,
            function.index_urls,
            function.extra_index_urls,
        )
        self._venv_builds[future] = prepared
        return False
