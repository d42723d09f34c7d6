"""What runs on a Ray node for one task attempt: the same process the local launcher would start, there.

:func:`run_attempt` is a Ray task (a streaming generator): on the node Ray chose it prepares the attempt,
starts its process with a :class:`~sluice.launchers.LocalLauncher` kept per Ray worker process (so Python
function tasks are forks of a warm fork server there too, each in its own process group with its own log),
and reports back as it goes: ``{"node_id", "address"}`` once placed, ``{"pid"}`` once the process runs,
``{"log": bytes}`` while it writes, and finally ``{"exit", "signal", "error", "log", "files"}``.

With an ``s3://`` artifact root the node works on its own copies, under ``$SLUICE_HOME/s3`` of the node:
the engine's local paths in the attempt (its S3 mount) are rewritten to the node's, input artifacts are
downloaded before the process starts, output artifacts are uploaded after it succeeds, and the small files
the engine reads back (the executor output, output parameter files) travel back in the final report, under
the engine's paths. The log is written on the node and streamed to the engine's copy. With a local root
(a one-node cluster on the engine's machine) the files are shared: nothing is rewritten or streamed.

``packages_to_install`` the node's environment lacks are installed in a cached uv environment under the
node's ``$SLUICE_HOME/venvs``. :func:`kill_group` is the one-line Ray task that kills an attempt's process
group on its node (``terminate``, timeouts).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ray
from sluice.launchers._interface import Exit, LaunchSpec
from sluice.launchers._local import LocalLauncher, kill_process_group

if TYPE_CHECKING:
    from sluice.artifacts import S3ArtifactStore

__all__ = ["attempt_on_node", "kill_group", "kill_group_on_node", "run_attempt"]

_STREAM_INTERVAL_S = 0.1
_LOG_CHUNK = 1 << 20
_launchers: list[LocalLauncher] = []  # at most one: this Ray worker process's
_launcher_lock = threading.Lock()
_stores: dict[tuple[str, str], S3ArtifactStore] = {}


def _local_launcher() -> LocalLauncher:
    """This Ray worker process's launcher (Ray runs one task at a time in it; the lock makes sure)."""
    if not _launchers:
        _launchers.append(LocalLauncher())
    return _launchers[0]


def _node_home() -> Path:
    from sluice import _home

    return _home.sluice_home()


def _s3_store(root: str) -> S3ArtifactStore:
    from sluice.artifacts import S3ArtifactStore

    mount = str(_node_home() / "s3")
    store = _stores.get((root, mount))
    if store is None:
        store = _stores[(root, mount)] = S3ArtifactStore(root, mount)
    return store


class _Paths:
    """Rewrites the engine's S3 mount to this node's in every string of an attempt, and back."""

    def __init__(self, engine_mount: str | None, node_mount: str | None) -> None:
        self.engine = engine_mount.rstrip("/") + "/" if engine_mount else None
        self.node = node_mount.rstrip("/") + "/" if node_mount else None

    def here(self, value: Any) -> Any:
        return self._rewrite(value, self.engine, self.node)

    def there(self, text: str) -> str:
        rewritten: str = self._rewrite(text, self.node, self.engine)
        return rewritten

    def _rewrite(self, value: Any, old: str | None, new: str | None) -> Any:
        if old is None or new is None or old == new:
            return value
        if isinstance(value, str):
            if value == old.rstrip("/"):  # the mount itself (SLUICE_S3_MOUNT), not a path below it
                return new.rstrip("/")
            return value.replace(old, new)
        if isinstance(value, list):
            return [self._rewrite(item, old, new) for item in value]
        if isinstance(value, dict):
            return {key: self._rewrite(item, old, new) for key, item in value.items()}
        return value


def _write_if_changed(path: str, text: str) -> None:
    """Write the component's source once per node, atomically: tasks of the same component share it."""
    target = Path(path)
    with contextlib.suppress(OSError):
        if target.read_text(encoding="utf-8") == text:
            return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)


def _output_artifact_uris(executor_input: dict[str, Any]) -> list[str]:
    """The output artifacts the attempt wrote: those its executor output reports, else those announced."""
    import json

    outputs = executor_input["outputs"]
    reported: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        document = json.loads(Path(outputs["outputFile"]).read_text(encoding="utf-8") or "{}")
        if isinstance(document, dict) and isinstance(document.get("artifacts"), dict):
            reported = document["artifacts"]
    uris: list[str] = []
    for name, planned in outputs["artifacts"].items():
        entries = (
            (reported.get(name) or {}).get("artifacts") if isinstance(reported.get(name), dict) else None
        )
        for entry in entries if isinstance(entries, list) and entries else planned["artifacts"]:
            if isinstance(entry, dict) and isinstance(entry.get("uri"), str):
                uris.append(entry["uri"])
    return uris


def _files_to_return(executor_input: dict[str, Any]) -> list[str]:
    outputs = executor_input["outputs"]
    return [outputs["outputFile"]] + [entry["outputFile"] for entry in outputs["parameters"].values()]


def _clear_outputs(executor_input: dict[str, Any], store: S3ArtifactStore) -> None:
    """Remove what an earlier attempt on this node left, so a stale file is never read as this one's."""
    for path in _files_to_return(executor_input):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    for entry in executor_input["outputs"]["artifacts"].values():
        for artifact in entry["artifacts"]:
            target = store.local_path(artifact["uri"])
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()


def _note(log_path: str, text: str) -> None:
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"sluice: {text}\n")


class _Failed(Exception):
    """The attempt cannot start on this node (the message goes to the engine as the exit's error)."""


def _prepare(spec: LaunchSpec, artifact_root: str | None, scratch: str) -> tuple[LaunchSpec, _Paths]:
    """The attempt as this node runs it: paths rewritten, inputs staged, source written, packages ready."""
    from sluice.dsl._internal import S3_MOUNT_VARIABLE

    shared = artifact_root is None
    if shared:
        paths = _Paths(None, None)
        cwd = spec.cwd if os.path.isdir(spec.cwd) else scratch
        log_path = spec.log_path
    else:
        paths = _Paths(spec.env.get(S3_MOUNT_VARIABLE), str(_node_home() / "s3"))
        cwd = scratch
        log_path = os.path.join(scratch, "attempt.log")
    env = paths.here(dict(spec.env))
    # A task sees the accelerators it asked for (Ray sets them for this worker) and no others.
    env["CUDA_VISIBLE_DEVICES"] = os.environ.get("CUDA_VISIBLE_DEVICES", "") if spec.resources.gpus else ""
    local = spec.replace(
        argv=paths.here(list(spec.argv)),
        env=env,
        cwd=cwd,
        log_path=log_path,
        executor_input=paths.here(spec.executor_input),
    )
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    executor_input = local.executor_input
    if not shared and executor_input is not None:
        assert artifact_root is not None
        _stage(executor_input, artifact_root, log_path)
        for path in _files_to_return(executor_input):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    call = spec.python_call
    if call is not None:
        node_call = replace(
            call,
            executor_input=paths.here(call.executor_input),
            module_path=paths.here(call.module_path),
            module_source=None,
        )
        if call.module_source is not None:
            _write_if_changed(node_call.module_path, call.module_source)
        local = _with_packages(local.replace(python_call=node_call), log_path)
    return local, paths


def _stage(executor_input: dict[str, Any], artifact_root: str, log_path: str) -> None:
    from sluice.artifacts import METADATA_ONLY_TYPES, ArtifactStoreError, UnsafePathError

    try:
        store = _s3_store(artifact_root)
    except ArtifactStoreError as error:
        raise _Failed(f"cannot reach the artifact root from this node: {error}") from None
    _clear_outputs(executor_input, store)
    for entry in executor_input["inputs"]["artifacts"].values():
        for artifact in entry["artifacts"]:
            uri = artifact.get("uri") or ""
            if uri.startswith("s3://"):
                try:
                    store.download(uri)
                except FileNotFoundError as error:
                    # A metrics artifact is its metadata: its producer may have stored no file.
                    if (artifact.get("type") or {}).get("schemaTitle") in METADATA_ONLY_TYPES:
                        continue
                    _note(log_path, f"cannot download {uri}: {error}")
                    raise _Failed(f"cannot download its input artifacts: {error}") from None
                except (OSError, UnsafePathError) as error:
                    _note(log_path, f"cannot download {uri}: {error}")
                    raise _Failed(f"cannot download its input artifacts: {error}") from None


def _with_packages(spec: LaunchSpec, log_path: str) -> LaunchSpec:
    """Run in a cached uv environment on this node when its packages are not installed here."""
    call = spec.python_call
    assert call is not None
    if not call.requirements:
        return spec
    from sluice.engine._venvs import VenvError, ensure_venv, requirements_satisfied, runtime_pythonpath

    if requirements_satisfied(call.requirements):
        return spec
    home = _node_home()
    _note(log_path, f"preparing an environment with {', '.join(call.requirements)} on this node")
    try:
        python = ensure_venv(home / "venvs", call.requirements, call.index_urls, call.extra_index_urls)
    except VenvError as error:
        _note(log_path, str(error))
        raise _Failed(f"cannot prepare its packages: {str(error).splitlines()[0]}") from None
    env = dict(spec.env)
    env["PYTHONPATH"] = runtime_pythonpath(home)
    return spec.replace(env=env, python_call=replace(call, python=python))


def _read_new(path: str, offset: int) -> bytes:
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            return log.read(_LOG_CHUNK)
    except OSError:
        return b""


def _finish(
    ended: Exit, local: LaunchSpec, paths: _Paths, artifact_root: str | None
) -> tuple[str | None, dict[str, bytes]]:
    """After the process: upload its output artifacts (on success) and gather the files the engine reads."""
    executor_input = local.executor_input
    if artifact_root is None or executor_input is None:
        return None, {}
    error = None
    if ended.succeeded:
        from sluice.artifacts import UnsafePathError

        store = _s3_store(artifact_root)
        try:
            for uri in _output_artifact_uris(executor_input):
                if uri.startswith("s3://") and store.contains(uri):
                    store.upload(uri)
        except (OSError, UnsafePathError) as failure:
            error = f"cannot upload its output artifacts: {failure}"
    files: dict[str, bytes] = {}
    for path in _files_to_return(executor_input):
        with contextlib.suppress(OSError):
            files[paths.there(path)] = Path(path).read_bytes()
    return error, files


def _placement() -> dict[str, Any]:
    context = ray.get_runtime_context()
    address: str = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
    return {"node_id": context.get_node_id(), "address": address}


def attempt_on_node(spec: LaunchSpec, artifact_root: str | None) -> Iterator[dict[str, Any]]:
    """One attempt on this node (see the module docstring); ``artifact_root``: s3 root, None when shared."""
    yield _placement()
    scratch = tempfile.mkdtemp(prefix="sluice-attempt-")
    pid = -1
    try:
        try:
            local, paths = _prepare(spec, artifact_root, scratch)
        except _Failed as failure:
            log = b""
            if artifact_root is not None:
                log = _read_new(os.path.join(scratch, "attempt.log"), 0)
            yield {"exit": None, "signal": None, "error": str(failure), "log": log, "files": {}}
            return
        with _launcher_lock:
            launcher = _local_launcher()
            handle = launcher.launch(local)
            pid = handle.pid
            yield {"pid": pid}
            streaming = artifact_root is not None
            offset = 0
            ended: Exit | None = None
            while ended is None:
                for exited in launcher.wait(_STREAM_INTERVAL_S):
                    if exited.handle.key == local.key:
                        ended = exited
                if streaming and ended is None:
                    chunk = _read_new(local.log_path, offset)
                    if chunk:
                        offset += len(chunk)
                        yield {"log": chunk}
            pid = -1
        error, files = _finish(ended, local, paths, artifact_root)
        rest = b""
        if streaming:
            while chunk := _read_new(local.log_path, offset + len(rest)):
                rest += chunk
        yield {
            "exit": ended.exit_code,
            "signal": ended.signal,
            "error": error,
            "log": rest,
            "files": files,
        }
    finally:
        # Canceled or failed while the process runs: it must not outlive the attempt.
        if pid > 0:
            kill_process_group(pid)
        shutil.rmtree(scratch, ignore_errors=True)


def kill_group_on_node(pid: int) -> bool:
    """Kill the process group ``pid`` leads on this node (the caller pins this task to the node)."""
    return kill_process_group(pid)


# The Ray tasks wrap module-level functions, so Ray ships them by reference (the node imports this module).
run_attempt = ray.remote(max_retries=0)(attempt_on_node)
kill_group = ray.remote(num_cpus=0, max_retries=0)(kill_group_on_node)
