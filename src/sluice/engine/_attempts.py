"""One attempt of a prepared task: launching it, and reading its log while it runs and after.

Launching removes whatever an earlier attempt left in the task's outputs (a stale file is never read as
this attempt's result), takes the attempt's GPUs (``CUDA_VISIBLE_DEVICES``), hands a fully resolved
:class:`~sluice.launchers.LaunchSpec` to the launcher, and records the task RUNNING with its pid and log.
An attempt the launcher queues (a cluster without free resources yet) stays PENDING, "waiting for cluster
resources", until the launcher reports where it started: then it is RUNNING, with its node's id and
address, and its timeout starts.
Each attempt logs to its own file, ``<task>/.sluice/attempt-N.log``. With an object store (``s3://``) the
task still works on local files: its input artifacts are downloaded before it starts, its output artifacts
uploaded after it succeeds, and its log after every attempt.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice.artifacts import METADATA_ONLY_TYPES
from sluice.engine._context import RunContext
from sluice.engine._graph import values_json
from sluice.engine._observer import RunObserver, TaskSnapshot
from sluice.engine._prepare import PreparedTask
from sluice.engine._resources import Capacity
from sluice.engine._sandboxing import sandbox_for
from sluice.engine._state import RunState
from sluice.engine._venvs import runtime_pythonpath
from sluice.launchers import Launcher, LaunchHandle, LaunchSpec, PythonCall, Resources, Started
from sluice.store import RuntimeState

__all__ = [
    "Attempt",
    "attempt_placed",
    "clear_outputs",
    "launch_attempt",
    "log_tail",
    "stage_inputs",
    "store_outputs",
    "stream_log",
]

LOG_TAIL_LINES = 20


@dataclass
class Attempt:
    """An attempt in flight."""

    prepared: PreparedTask
    handle: LaunchHandle
    gpus: list[int]
    deadline: float | None  # time.monotonic() when it times out
    log_path: Path
    log_uri: str  # where the log is kept once the attempt ends (log_path's URI)
    log_offset: int = 0  # how much of the log has been streamed
    timed_out: bool = False
    placed: bool = True  # False while the launcher holds it queued
    remote: bool = False  # it runs on another machine (its outputs were uploaded there)


def launch_attempt(
    ctx: RunContext, state: RunState, launcher: Launcher, capacity: Capacity, prepared: PreparedTask
) -> Attempt:
    """Start the task's next attempt (its resources must fit; they are taken here)."""
    node = prepared.node
    attempt_number = node.attempts + 1
    clear_outputs(ctx, prepared)
    log_path = prepared.log_path(attempt_number)
    gpus = capacity.take(prepared.request)
    env = dict(prepared.env)
    if prepared.request.gpus:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(index) for index in gpus)
    python_call = None
    function = prepared.python
    if function is not None:
        if prepared.interpreter is not None:
            env["PYTHONPATH"] = runtime_pythonpath(ctx.home)
        remote = launcher.remote
        python_call = PythonCall(
            executor_input=prepared.executor_input,
            function_name=function.function_name,
            module_source=None,
            module_path=prepared.module_path,
            python=prepared.interpreter,
            requirements=function.requirements if remote else (),
            index_urls=function.index_urls if remote else (),
            extra_index_urls=function.extra_index_urls if remote else (),
        )
    request = prepared.request
    spec = LaunchSpec(
        key=f"{node.id}:{attempt_number}",
        name=node.path,
        log_path=str(log_path),
        cwd=ctx.options.cwd,
        argv=prepared.argv,
        python_call=python_call,
        env=env,
        image=prepared.image,
        resources=Resources(
            cpu=request.cpu,
            memory=request.memory,
            gpus=request.gpus,
            accelerator_type=request.accelerator_type,
            node_selector=request.node_selector,
        ),
        executor_input=prepared.executor_input,
        sandbox=sandbox_for(ctx, prepared, gpus, prepared.mounts),
    )
    try:
        handle = launcher.launch(spec)
    except Exception:
        capacity.give_back(prepared.request, gpus)
        raise
    node.attempts = attempt_number
    deadline = time.monotonic() + prepared.timeout if prepared.timeout and not handle.queued else None
    values: dict[str, Any] = {
        "attempts": attempt_number,
        "log_uri": prepared.log_uri(attempt_number),
        "cache_fingerprint": prepared.fingerprint,
        "node_id": None,
        "node_address": None,
    }
    if not handle.queued:
        values["pid"] = handle.pid
    if attempt_number == 1 or node.state is not RuntimeState.PENDING:
        values["executor_input"] = prepared.executor_input
        values["inputs"] = values_json(node.input_parameters, node.input_artifacts)
        if prepared.platform is not None:
            values["platform"] = prepared.platform
    if handle.queued:
        state.set_state(node, RuntimeState.PENDING, WAITING_FOR_RESOURCES, **values)
    else:
        state.set_state(node, RuntimeState.RUNNING, f"attempt {attempt_number} started", **values)
    attempt = Attempt(prepared, handle, gpus, deadline, log_path, prepared.log_uri(attempt_number))
    attempt.placed = not handle.queued
    attempt.remote = launcher.remote
    return attempt


WAITING_FOR_RESOURCES = "waiting for cluster resources"


def attempt_placed(state: RunState, attempt: Attempt, started: Started) -> None:
    """The launcher started a queued attempt (RUNNING, on its node), or reports the pid it got later."""
    node = attempt.prepared.node
    values: dict[str, Any] = {}
    if started.pid > 0:
        values["pid"] = started.pid
    if attempt.placed:
        if values:
            state.journal.update_task(node.id, **values)
        return
    attempt.placed = True
    timeout = attempt.prepared.timeout
    attempt.deadline = time.monotonic() + timeout if timeout else None
    where = ""
    if started.node_id:
        values.update(node_id=started.node_id, node_address=started.node_address)
        where = f" on node {started.node_id[:12]} ({started.node_address})"
    state.set_state(node, RuntimeState.RUNNING, f"attempt {node.attempts} started{where}", **values)


def stage_inputs(ctx: RunContext, prepared: PreparedTask) -> None:
    """With an object store: copy the task's input artifacts to the local paths the task reads."""
    if not ctx.artifacts.is_remote:
        return
    for entry in prepared.executor_input["inputs"]["artifacts"].values():
        for artifact in entry["artifacts"]:
            uri = artifact.get("uri") or ""
            if uri.startswith("s3://"):
                try:
                    ctx.artifacts.download(uri)
                except FileNotFoundError:
                    # A metrics artifact is its metadata: its producer may have stored no file.
                    if (artifact.get("type") or {}).get("schemaTitle") not in METADATA_ONLY_TYPES:
                        raise


def store_outputs(ctx: RunContext, uris: list[str]) -> None:
    """With an object store: upload what the task wrote for each output artifact."""
    if not ctx.artifacts.is_remote:
        return
    for uri in uris:
        if uri.startswith("s3://"):
            ctx.artifacts.upload(uri)


def clear_outputs(ctx: RunContext, prepared: PreparedTask) -> None:
    """Remove what an earlier attempt wrote, so a stale file is never read as this attempt's result."""
    outputs = prepared.executor_input["outputs"]
    paths = [outputs["outputFile"]] + [entry["outputFile"] for entry in outputs["parameters"].values()]
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    for entry in outputs["artifacts"].values():
        for artifact in entry["artifacts"]:
            target = ctx.artifacts.local_path(artifact["uri"])
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()


def stream_log(observer: RunObserver, attempt: Attempt, *, ended: bool) -> None:
    """Pass the log's new lines to the observer (while it runs, only complete lines)."""
    try:
        with attempt.log_path.open("rb") as log:
            log.seek(attempt.log_offset)
            chunk = log.read()
    except OSError:
        return
    if not chunk:
        return
    complete = chunk.rfind(b"\n") + 1
    if complete == 0 and not ended:
        return  # wait for the end of the line
    text = chunk[:complete] if complete else chunk
    attempt.log_offset += len(text)
    observer.log_output(TaskSnapshot.of(attempt.prepared.node), text.decode("utf-8", errors="replace"))


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log (of its last 8 KiB), or "" when it cannot be read."""
    try:
        with path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - 8192))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])
