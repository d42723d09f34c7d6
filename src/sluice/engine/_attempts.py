"""One attempt of a prepared task: launching it, and reading its log while it runs and after.

Launching removes whatever an earlier attempt left in the task's outputs (a stale file is never read as
this attempt's result), takes the attempt's GPUs (``CUDA_VISIBLE_DEVICES``), hands a fully resolved
:class:`~sluice.launchers.LaunchSpec` to the launcher, and records the task RUNNING with its pid and log.
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

from sluice.engine._context import RunContext
from sluice.engine._graph import values_json
from sluice.engine._observer import RunObserver
from sluice.engine._prepare import PreparedTask
from sluice.engine._resources import Capacity
from sluice.engine._state import RunState
from sluice.engine._venvs import runtime_pythonpath
from sluice.launchers import Launcher, LaunchHandle, LaunchSpec, PythonCall
from sluice.store import RuntimeState

__all__ = [
    "Attempt",
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
    if prepared.python is not None:
        if prepared.interpreter is not None:
            env["PYTHONPATH"] = runtime_pythonpath(ctx.home)
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
        cwd=ctx.options.cwd,
        argv=prepared.argv,
        python_call=python_call,
        env=env,
        image=prepared.image,
    )
    handle = launcher.launch(spec)
    node.attempts = attempt_number
    deadline = time.monotonic() + prepared.timeout if prepared.timeout else None
    values: dict[str, Any] = {
        "attempts": attempt_number,
        "pid": handle.pid,
        "log_uri": prepared.log_uri(attempt_number),
        "cache_fingerprint": prepared.fingerprint,
    }
    if attempt_number == 1 or node.state is not RuntimeState.PENDING:
        values["executor_input"] = prepared.executor_input
        values["inputs"] = values_json(node.input_parameters, node.input_artifacts)
        if prepared.platform is not None:
            values["platform"] = prepared.platform
    state.set_state(node, RuntimeState.RUNNING, f"attempt {attempt_number} started", **values)
    return Attempt(prepared, handle, gpus, deadline, log_path, prepared.log_uri(attempt_number))


def stage_inputs(ctx: RunContext, prepared: PreparedTask) -> None:
    """With an object store: copy the task's input artifacts to the local paths the task reads."""
    if not ctx.artifacts.is_remote:
        return
    for entry in prepared.executor_input["inputs"]["artifacts"].values():
        for artifact in entry["artifacts"]:
            uri = artifact.get("uri") or ""
            if uri.startswith("s3://"):
                ctx.artifacts.download(uri)


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
    observer.log_output(attempt.prepared.node, text.decode("utf-8", errors="replace"))


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
