"""The engine: walks a run's DAGs, decides what runs when, and records every step in the store.

One thread, one loop. Each turn: start what became ready (resolve inputs, evaluate conditions, look results
up in the cache), launch queued tasks while slots and resources allow, commit the turn's changes, then wait
for a task to exit, a timer (retry backoff, timeout, cancel poll, heartbeat) or Ctrl-C. Launchers only run
what they are given; nothing here knows how a process is started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sluice.artifacts import LocalArtifactStore, UnsafePathError
from sluice.engine._cache import find_hits
from sluice.engine._context import EngineOptions, RunContext
from sluice.engine._dag import child_ended, start_root
from sluice.engine._errors import TaskError
from sluice.engine._graph import ArtifactValue, Node, values_json
from sluice.engine._journal import Journal
from sluice.engine._loops import iteration_ended
from sluice.engine._observer import RunObserver
from sluice.engine._outputs import read_outputs
from sluice.engine._ownership import HEARTBEAT_INTERVAL_S, engine_owner_id
from sluice.engine._placeholders import PlaceholderError
from sluice.engine._prepare import PreparedTask, TaskPreparer
from sluice.engine._resources import Capacity, detect_capacity
from sluice.engine._resume import previous_tasks
from sluice.engine._start import start
from sluice.engine._state import RunState
from sluice.engine._venvs import VenvError, ensure_venv, requirements_satisfied, runtime_pythonpath
from sluice.ir import (
    PipelineSpec,
    PlatformSpec,
)
from sluice.launchers import Exit, Launcher, LaunchHandle, LaunchSpec, LocalLauncher, PythonCall
from sluice.store import EventType, ExecutionState, RuntimeState, Store, TaskKind, utcnow
from sluice.store.models import Run, Task

__all__ = ["RunEngine"]

_S = RuntimeState
POLL_INTERVAL_S = 0.5
LOG_TAIL_LINES = 20


@dataclass
class _Attempt:
    prepared: PreparedTask
    handle: LaunchHandle
    gpus: list[int]
    deadline: float | None
    log_path: Path
    log_offset: int = 0
    timed_out: bool = False


def _duration_seconds(text: str | None, default: float) -> float:
    """A protobuf Duration in JSON form (``"30s"``, ``"1.5s"``) in seconds."""
    if not text:
        return default
    try:
        return float(text.rstrip("s"))
    except ValueError:
        return default


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - 8192))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


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
        artifact_store: LocalArtifactStore,
        home: Path,
        job_name: str,
        created_at: datetime,
        options: EngineOptions,
        observer: RunObserver | None = None,
        launcher: Launcher | None = None,
        owner: str | None = None,
    ) -> None:
        self.options = options
        self.owner = owner or engine_owner_id()
        self.journal = Journal(store, run_id)
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
        self.launcher: Launcher = launcher or LocalLauncher(use_fork_server=options.use_fork_server)
        self.capacity: Capacity = detect_capacity(options.gpus)
        self.parallelism = options.parallelism or max(1, int(self.capacity.total_cpu))
        self._queue: deque[PreparedTask] = deque()
        self._running: dict[str, _Attempt] = {}
        self._retries: list[tuple[float, PreparedTask]] = []
        self._venv_builds: dict[Future[str], PreparedTask] = {}
        self._venv_pool: ThreadPoolExecutor | None = None
        self.preparer = TaskPreparer(self.ctx, self.capacity)
        self._next_poll = 0.0
        self._next_heartbeat = 0.0
        self._sigint = False

    # ==================================================================================== the loop

    def run(self, resume: bool = False) -> RuntimeState:
        """Run (or resume) to the end; returns the run's final state."""
        previous_handler: Any = None
        in_main_thread = threading.current_thread() is threading.main_thread()
        if self.options.handle_sigint and in_main_thread:
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
            self.launcher.close()
            if self._venv_pool is not None:
                self._venv_pool.shutdown(wait=False, cancel_futures=True)

    def _record_crash(self, message: str) -> None:
        with contextlib.suppress(Exception):
            self.journal.flush()
        with contextlib.suppress(Exception):
            self.ctx.store.transition_run(
                self.ctx.run_id, _S.FAILED, error={"message": message}, owner=self.owner
            )
            self.ctx.store.release_run(self.ctx.run_id, self.owner)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self._sigint:
            raise KeyboardInterrupt  # a second Ctrl-C: stop waiting for kills
        self._sigint = True

    def _run(self, resume: bool) -> RuntimeState:
        self.ctx.run_dir.mkdir(parents=True, exist_ok=True)
        if resume:
            self.state.previous = previous_tasks(self.ctx.store, self.ctx.run_id)
        context = self.ctx.store.ensure_context("system.PipelineRun", self.ctx.run_id)
        self.journal.context_id = context.id
        with self.ctx.store.read_session() as session:
            current = session.scalar(select(Run.state).where(Run.id == self.ctx.run_id))
        if current is not _S.RUNNING:
            self.ctx.store.transition_run(self.ctx.run_id, _S.RUNNING, owner=self.owner)
        self.ctx.observer.run_started(self.ctx.run_id, self.ctx.pipeline_name, resume)
        start_root(self.ctx, self.state)
        while True:
            self._settle()
            self._dispatch()
            self.journal.flush()
            assert self.state.root is not None
            if self.state.root.is_terminal and not self._running:
                break
            if self.state.canceled and not self._running:
                self.state.cancel_unfinished()
                self.journal.flush()
                break
            exits = self.launcher.wait(self._wait_timeout())
            for ended in exits:
                self._on_exit(ended)
            self._on_timers()
            self.ctx.observer.tick()
        return self._finish_run()

    def _wait_timeout(self) -> float:
        now = time.monotonic()
        deadline = self._next_poll
        for when, _ in self._retries:
            deadline = min(deadline, when)
        for attempt in self._running.values():
            if attempt.deadline is not None:
                deadline = min(deadline, attempt.deadline)
        timeout = max(0.0, deadline - now)
        if self.options.stream_logs or self._venv_builds:
            timeout = min(timeout, 0.1)
        return timeout

    def _on_timers(self) -> None:
        now = time.monotonic()
        if self._sigint and not self.state.canceled:
            self._cancel("interrupted (Ctrl-C)")
        if now >= self._next_poll:
            self._next_poll = now + POLL_INTERVAL_S
            self._poll_store(now)
        for key, attempt in list(self._running.items()):
            if attempt.deadline is not None and now >= attempt.deadline and not attempt.timed_out:
                attempt.timed_out = True
                self.launcher.kill(attempt.handle)
            if self.options.stream_logs:
                self._stream(attempt)
            del key
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

    def _poll_store(self, now: float) -> None:
        with self.ctx.store.read_session() as session:
            state = session.scalar(select(Run.state).where(Run.id == self.ctx.run_id))
        if state is _S.CANCELING and not self.state.canceled:
            self._cancel("terminated on request")
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_INTERVAL_S
            if self.ctx.run_id not in self.ctx.store.heartbeat(self.owner, [self.ctx.run_id]):
                self._cancel("another engine took the run over")

    # ==================================================================================== state changes

    def _settle(self) -> None:
        """Start what became startable and propagate what finished, until nothing moves."""
        while self.state.to_start or self.state.done:
            if self.state.done:
                self._propagate(self.state.done.popleft())
            else:
                node = self.state.to_start.popleft()
                if not node.is_terminal and not node.started and not self.state.canceled:
                    start(self.ctx, self.state, node)

    def _propagate(self, node: Node) -> None:
        if node.kind is TaskKind.LOOP_ITERATION:
            iteration_ended(self.ctx, self.state, node)
            return
        child_ended(self.state, node)

    # ==================================================================================== containers

    def _dispatch(self) -> None:
        """Prepare ready tasks, answer the cacheable ones from the cache, launch what fits."""
        if self.state.ready:
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
            )
            for prepared in prepared_tasks:
                hit = hits.get(prepared.fingerprint) if prepared.cacheable else None
                if hit is not None:
                    self._finish_cached(prepared, hit)
                else:
                    self._queue.append(prepared)
            self._settle()
        if self.state.canceled:
            return
        waiting: deque[PreparedTask] = deque()
        while self._queue:
            prepared = self._queue.popleft()
            if len(self._running) >= self.parallelism or not self.capacity.fits(prepared.request):
                waiting.append(prepared)
                continue
            if not self._environment_ready(prepared):
                continue
            self._launch(prepared)
        self._queue = waiting

    def _environment_ready(self, prepared: PreparedTask) -> bool:
        """False while the task's virtual environment is being built (it is re-queued when done)."""
        function = prepared.python
        if function is None or not function.requirements or prepared.interpreter is not None:
            return True
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

    def _finish_cached(self, prepared: PreparedTask, source: Task) -> None:
        node = prepared.node
        outputs = source.outputs or {}
        node.parameters = dict(outputs.get("parameters") or {})
        node.artifacts = {
            key: [ArtifactValue.from_json(item) for item in items]
            for key, items in (outputs.get("artifacts") or {}).items()
        }
        origin = source.cached_from_task_id or source.id
        node.cached_from = origin
        execution_id = self.journal.record_execution(
            task_id=node.id,
            type="system.ContainerExecution",
            name=node.display_name,
            state=ExecutionState.CACHED,
            properties={"cached_from_task_id": origin},
        )
        self.journal.record_events(execution_id, node.input_artifacts, EventType.INPUT)
        self.journal.record_events(execution_id, node.artifacts, EventType.OUTPUT)
        now = utcnow()
        node.started_at = now
        self.state.finish(
            node,
            _S.SUCCEEDED,
            f"cache hit: reused the outputs of task {source.path!r} of run {source.run_id}",
            cached_from_task_id=origin,
            cache_fingerprint=prepared.fingerprint,
            inputs=values_json(node.input_parameters, node.input_artifacts),
            started_at=now,
        )

    def _clear_outputs(self, prepared: PreparedTask) -> None:
        """Remove what an earlier attempt wrote, so a stale file is never read as this attempt's result."""
        outputs = prepared.executor_input["outputs"]
        paths = [outputs["outputFile"]] + [entry["outputFile"] for entry in outputs["parameters"].values()]
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        for entry in outputs["artifacts"].values():
            for artifact in entry["artifacts"]:
                target = Path(artifact["uri"])
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        target.unlink()

    def _launch(self, prepared: PreparedTask) -> None:
        node = prepared.node
        attempt_number = node.attempts + 1
        self._clear_outputs(prepared)
        log_path = prepared.log_path(attempt_number)
        gpus = self.capacity.take(prepared.request)
        env = dict(prepared.env)
        if prepared.request.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(index) for index in gpus)
        python_call = None
        if prepared.python is not None:
            if prepared.interpreter is not None:
                env["PYTHONPATH"] = runtime_pythonpath(self.ctx.home)
            python_call = PythonCall(
                executor_input=prepared.executor_input,
                function_name=prepared.python.function_name,
                module_source=None,
                module_path=prepared.module_path,
                python=prepared.interpreter,
            )
        spec = LaunchSpec(
            key=f"{node.id}:{attempt_number}",
            name=node.path,
            log_path=str(log_path),
            cwd=self.options.cwd,
            argv=prepared.argv,
            python_call=python_call,
            env=env,
            image=prepared.image,
        )
        handle = self.launcher.launch(spec)
        node.attempts = attempt_number
        deadline = time.monotonic() + prepared.timeout if prepared.timeout else None
        self._running[spec.key] = _Attempt(prepared, handle, gpus, deadline, log_path)
        values: dict[str, Any] = {
            "attempts": attempt_number,
            "pid": handle.pid,
            "log_uri": str(log_path),
            "cache_fingerprint": prepared.fingerprint,
        }
        if attempt_number == 1 or node.state is not _S.PENDING:
            values["executor_input"] = prepared.executor_input
            values["inputs"] = values_json(node.input_parameters, node.input_artifacts)
        self.state.set_state(node, _S.RUNNING, f"attempt {attempt_number} started", **values)

    def _on_exit(self, ended: Exit) -> None:
        attempt = self._running.pop(ended.handle.key, None)
        if attempt is None:
            return
        prepared = attempt.prepared
        node = prepared.node
        self.capacity.give_back(prepared.request, attempt.gpus)
        if self.options.stream_logs:
            self._stream(attempt)
        if self.state.canceled:
            self.state.finish(node, _S.CANCELED, self.state.cancel_reason)
            return
        log_tail = _log_tail(attempt.log_path)
        if attempt.timed_out:
            self._attempt_failed(prepared, f"timed out after {prepared.timeout:g}s", log_tail)
            return
        if not ended.succeeded:
            reason = ended.describe()
            last_line = log_tail.rstrip().rsplit("\n", 1)[-1].strip() if log_tail.strip() else ""
            if last_line:
                reason = f"{reason}: {last_line[:300]}"
            self._attempt_failed(prepared, reason, log_tail)
            return
        try:
            parameters, artifacts = read_outputs(node.path, node.component, prepared.executor_input)
        except TaskError as error:
            self._attempt_failed(prepared, error.message, log_tail)
            return
        node.parameters = parameters
        execution_id = self.journal.record_execution(
            task_id=node.id,
            type="system.ContainerExecution",
            name=node.display_name,
            state=ExecutionState.COMPLETE,
            properties={"attempts": node.attempts},
        )
        for key, entries in artifacts.items():
            values: list[ArtifactValue] = []
            for entry in entries:
                artifact_id = self.journal.record_artifact(
                    uri=entry["uri"],
                    schema_title=entry["schemaTitle"],
                    schema_version=entry["schemaVersion"],
                    name=entry["name"],
                    metadata=entry["metadata"],
                )
                values.append(
                    ArtifactValue(
                        artifact_id,
                        entry["name"],
                        entry["uri"],
                        entry["schemaTitle"],
                        entry["schemaVersion"],
                        entry["metadata"],
                    )
                )
                if entry["schemaTitle"] == "system.Metrics":
                    for metric, value in entry["metadata"].items():
                        if isinstance(value, int | float) and not isinstance(value, bool):
                            self.journal.record_metric(
                                task_id=node.id, artifact_id=artifact_id, name=metric, value=value
                            )
            node.artifacts[key] = values
        self.journal.record_events(execution_id, node.input_artifacts, EventType.INPUT)
        self.journal.record_events(execution_id, node.artifacts, EventType.OUTPUT)
        self.state.finish(node, _S.SUCCEEDED)

    def _attempt_failed(self, prepared: PreparedTask, reason: str, log_tail: str) -> None:
        node = prepared.node
        policy = node.task_spec.retry_policy if node.task_spec else None
        retries = policy.max_retry_count or 0 if policy else 0
        if node.attempts <= retries:
            assert policy is not None
            base = _duration_seconds(policy.backoff_duration, 0.0)
            factor = policy.backoff_factor if policy.backoff_factor is not None else 2.0
            ceiling = _duration_seconds(policy.backoff_max_duration, 3600.0)
            delay = min(base * factor ** (node.attempts - 1), ceiling)
            self.state.set_state(
                node,
                _S.PENDING,
                f"attempt {node.attempts} {reason}; retrying in {delay:g}s",
                error={"message": reason, "logTail": log_tail},
            )
            self._retries.append((time.monotonic() + delay, prepared))
            return
        message = reason if node.attempts == 1 else f"{reason} (after {node.attempts} attempts)"
        execution_id = self.journal.record_execution(
            task_id=node.id,
            type="system.ContainerExecution",
            name=node.display_name,
            state=ExecutionState.FAILED,
            properties={"attempts": node.attempts, "error": message},
        )
        self.journal.record_events(execution_id, node.input_artifacts, EventType.INPUT)
        self.state.fail(node, message, log_tail)

    def _stream(self, attempt: _Attempt) -> None:
        try:
            with attempt.log_path.open("rb") as log:
                log.seek(attempt.log_offset)
                chunk = log.read()
        except OSError:
            return
        if not chunk:
            return
        complete = chunk.rfind(b"\n") + 1
        if complete == 0 and attempt.handle.key in self._running:
            return  # wait for the end of the line
        text = chunk[:complete] if complete else chunk
        attempt.log_offset += len(text)
        self.ctx.observer.log_output(attempt.prepared.node, text.decode("utf-8", errors="replace"))

    # ==================================================================================== ending

    def _cancel(self, reason: str) -> None:
        if not self.state.cancel(reason):
            return
        for attempt in self._running.values():
            self.launcher.kill(attempt.handle)
        for prepared in [*self._queue, *(prepared for _, prepared in self._retries)]:
            self.state.finish(prepared.node, _S.CANCELED, reason)
        self._queue.clear()
        self._retries.clear()
        for prepared in self._venv_builds.values():
            self.state.finish(prepared.node, _S.CANCELED, reason)
        self._venv_builds.clear()

    def _finish_run(self) -> RuntimeState:
        root = self.state.root
        assert root is not None
        state = root.state if root.is_terminal else _S.CANCELED
        if self.state.canceled:
            state = _S.CANCELED
        error = None
        if state is not _S.SUCCEEDED:
            error = {"message": self.state.first_error or root.error or f"the run ended {state}"}
        with self.ctx.store.session() as session:
            run = session.get(Run, self.ctx.run_id)
            assert run is not None
            current = run.state
        if current is _S.RUNNING and state is _S.CANCELED:
            self.ctx.store.transition_run(self.ctx.run_id, _S.CANCELING, owner=self.owner)
        self.ctx.store.transition_run(self.ctx.run_id, state, error=error, owner=self.owner)
        self.ctx.store.release_run(self.ctx.run_id, self.owner)
        return state
