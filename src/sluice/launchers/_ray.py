"""The Ray launcher: each task attempt is one Ray task that runs the attempt's process on the node Ray chose.

The engine connects to the cluster as a Ray driver (``ray.init(address=...)``, once per process: a
``sluice up`` shares the connection among its runs). Each attempt becomes a call of
:func:`sluice.launchers._ray_node.run_attempt` with Ray resources taken from the task's request: CPU and
memory (``num_cpus``, default 1 as in Ray; ``memory``), accelerators (``num_gpus``; an accelerator type
becomes Ray's ``accelerator_type`` resource), and a node selector (``label_selector``: the node labels given
with ``ray start --labels``). Before submitting, the request is checked against the live nodes: one that
no node could ever satisfy is a :class:`~sluice.launchers.LaunchError`. Until Ray places it the handle is
``queued`` (the engine shows "waiting for cluster resources").

The attempt reports back through Ray's streaming generator: placement, pid, log chunks (appended to the
engine's copy of the attempt's log, which the UI and ``sluice runs logs`` follow), and its end. One
asyncio loop in a daemon thread consumes every generator, so the engine's ``wait`` is a queue read.
Killing an attempt kills its process group on its node (a zero-CPU Ray task pinned there), or cancels it
while it waits. A node that dies ends the attempt with the error "node lost: ..."; the engine retries it
under the task's retry policy, and Ray places the retry on a live node.

When the engine dies, Ray ends its driver's tasks, and with them the attempts' processes: a resumed run
starts them again (they are killed and retried, never re-adopted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice.launchers._interface import Exit, LaunchError, LaunchHandle, LaunchSpec, Resources, Started

__all__ = ["RayLauncher", "RayLauncherError", "accelerator_type_for_ray", "connect"]

ADDRESS_VARIABLE = "RAY_ADDRESS"
_NODES_REFRESH_S = 5.0
# Kubernetes-style resource names mean "any accelerator of that vendor": only a count, no type.
_GENERIC_ACCELERATORS = ("nvidia.com/gpu", "amd.com/gpu", "gpu")
# KFP / GKE accelerator names to Ray's accelerator types (ray.util.accelerators).
_ACCELERATOR_PREFIXES = ("NVIDIA_TESLA_", "NVIDIA_")
_connect_lock = threading.Lock()
_connected_to: list[str | None] = []


class RayLauncherError(Exception):
    """Ray cannot be used as asked (not installed, cluster unreachable, artifact root not shared)."""


def accelerator_type_for_ray(accelerator: str | None) -> str | None:
    """Ray's accelerator type for a pipeline's (``NVIDIA_TESLA_T4`` -> ``T4``); None for "any GPU"."""
    if not accelerator or accelerator.lower() in _GENERIC_ACCELERATORS or "/" in accelerator:
        return None
    for prefix in _ACCELERATOR_PREFIXES:
        if accelerator.upper().startswith(prefix):
            return accelerator[len(prefix) :].replace("_", "-")
    return accelerator


def connect(address: str | None) -> Any:
    """The ``ray`` module, connected to the cluster at ``address`` (else ``$RAY_ADDRESS``, else a new
    one-node Ray on this machine); once per process. RayLauncherError when that fails."""
    try:
        import ray
    except ImportError:
        raise RayLauncherError(
            "the Ray launcher needs Ray: pip install 'sluice[ray]' (on the nodes too)"
        ) from None
    wanted = address or os.environ.get(ADDRESS_VARIABLE) or None
    with _connect_lock:
        if ray.is_initialized():
            if _connected_to and _connected_to[0] != wanted:
                raise RayLauncherError(
                    f"this process is already connected to the Ray cluster at {_connected_to[0] or 'local'}; "
                    f"it cannot also use {wanted or 'a local one'}"
                )
            return ray
        if wanted and "://" not in wanted and wanted != "auto":
            _check_reachable(wanted)
        try:
            ray.init(
                address=wanted,
                namespace="sluice",
                logging_level=logging.ERROR,
                log_to_driver=False,
                include_dashboard=False if wanted is None else None,
                configure_logging=True,
            )
        except Exception as error:  # ray raises ConnectionError, RuntimeError, ValueError...
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise RayLauncherError(
                f"cannot connect to the Ray cluster at {wanted or 'a new local Ray'}: {first}"
            ) from None
        _connected_to[:] = [wanted]
        return ray


def _check_reachable(address: str) -> None:
    """Fail in seconds, with the address named, when nothing listens there (ray.init waits a minute)."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise RayLauncherError(f"Ray address {address!r} is not host:port (e.g. 10.0.0.5:6379)")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    except OSError as error:
        raise RayLauncherError(f"cannot reach the Ray cluster at {address}: {error}") from None


class _Consumer:
    """One asyncio loop in a daemon thread that reads every attempt's generator (shared by launchers)."""

    _instance: _Consumer | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="sluice-ray", daemon=True).start()

    @classmethod
    def get(cls) -> _Consumer:
        with cls._lock:
            if cls._instance is None:
                cls._instance = _Consumer()
            return cls._instance

    def follow(self, key: str, generator: Any, events: queue.Queue[tuple[str, Any]]) -> None:
        asyncio.run_coroutine_threadsafe(self._read(key, generator, events), self.loop)

    @staticmethod
    async def _read(key: str, generator: Any, events: queue.Queue[tuple[str, Any]]) -> None:
        try:
            async for reference in generator:
                events.put((key, await reference))
        except Exception as error:
            events.put((key, {"lost": error}))
            return
        events.put((key, {"lost": None}))


@dataclass
class _Attempt:
    spec: LaunchSpec
    handle: LaunchHandle
    generator: Any
    node_id: str | None = None
    address: str | None = None
    pid: int = -1
    kill_requested: bool = False
    ended: bool = False


class RayLauncher:
    """A :class:`~sluice.launchers.Launcher` that runs attempts on a Ray cluster's nodes."""

    def __init__(self, address: str | None = None, *, artifact_root: str) -> None:
        from sluice.artifacts import is_remote_root

        self._ray = connect(address)
        from sluice.launchers import _ray_node

        self._node = _ray_node
        self._remote_root = artifact_root if is_remote_root(artifact_root) else None
        self._nodes: list[dict[str, Any]] = []
        self._nodes_at = 0.0
        nodes = self._alive_nodes()
        if self._remote_root is None and len(nodes) > 1:
            raise RayLauncherError(
                f"the Ray cluster has {len(nodes)} nodes, and tasks on other nodes cannot reach the local "
                f"artifact root {artifact_root}: use a shared one, --artifact-root s3://bucket/prefix"
            )
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._attempts: dict[str, _Attempt] = {}
        self._started: list[Started] = []
        self._sources: dict[str, str] = {}

    @property
    def remote(self) -> bool:
        return True

    # ------------------------------------------------------------------ placing

    def _alive_nodes(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        if now - self._nodes_at > _NODES_REFRESH_S or not self._nodes:
            self._nodes = [node for node in self._ray.nodes() if node.get("Alive")]
            self._nodes_at = now
        return self._nodes

    def _options(self, spec: LaunchSpec) -> dict[str, Any]:
        """Ray's options for the attempt; LaunchError when no live node could ever run it."""
        wanted = spec.resources
        options: dict[str, Any] = {"num_cpus": wanted.cpu or 1, "name": f"sluice:{spec.name}"}
        if wanted.memory:
            options["memory"] = int(wanted.memory)
        if wanted.gpus:
            options["num_gpus"] = wanted.gpus
        accelerator = accelerator_type_for_ray(wanted.accelerator_type) if wanted.gpus else None
        if accelerator:
            options["accelerator_type"] = accelerator
        if wanted.node_selector:
            options["label_selector"] = dict(wanted.node_selector)
        problem = _unsatisfiable(wanted, options, self._alive_nodes())
        if problem is not None:
            raise LaunchError(problem)
        return options

    def launch(self, spec: LaunchSpec) -> LaunchHandle:
        options = self._options(spec)
        call = spec.python_call
        if call is not None and call.module_source is None:
            spec = spec.replace(python_call=_with_source(call, self._source(call.module_path)))
        generator = self._node.run_attempt.options(**options).remote(spec, self._remote_root)
        handle = LaunchHandle(spec.key, -1, queued=True)
        self._attempts[spec.key] = _Attempt(spec, handle, generator)
        _Consumer.get().follow(spec.key, generator, self._events)
        return handle

    def _source(self, path: str) -> str:
        source = self._sources.get(path)
        if source is None:
            source = self._sources[path] = Path(path).read_text(encoding="utf-8")
        return source

    # ------------------------------------------------------------------ waiting

    def started(self) -> list[Started]:
        started, self._started = self._started, []
        return started

    def wait(self, timeout: float | None) -> list[Exit]:
        exits: list[Exit] = []
        try:
            first = self._events.get(timeout=timeout) if timeout != 0 else self._events.get_nowait()
        except queue.Empty:
            return exits
        events = [first]
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                break
        for key, event in events:
            attempt = self._attempts.get(key)
            if attempt is None or attempt.ended:
                continue
            ended = self._on_event(attempt, event)
            if ended is not None:
                attempt.ended = True
                del self._attempts[key]
                exits.append(ended)
        return exits

    def _on_event(self, attempt: _Attempt, event: dict[str, Any]) -> Exit | None:
        if "node_id" in event:
            attempt.node_id, attempt.address = event["node_id"], event["address"]
            self._started.append(Started(attempt.handle, -1, attempt.node_id, attempt.address))
            return None
        if "pid" in event:
            attempt.pid = event["pid"]
            self._started.append(Started(attempt.handle, attempt.pid, attempt.node_id, attempt.address))
            if attempt.kill_requested:
                self._kill_on_node(attempt)
            return None
        if "log" in event and "exit" not in event:
            self._append_log(attempt, event["log"])
            return None
        if "exit" in event:
            self._append_log(attempt, event["log"])
            for path, data in event["files"].items():
                target = Path(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            return Exit(attempt.handle, event["exit"], event["signal"], event["error"])
        return Exit(attempt.handle, None, None, self._lost(attempt, event["lost"]))

    def _append_log(self, attempt: _Attempt, data: bytes) -> None:
        if data:
            with open(attempt.spec.log_path, "ab") as log:
                log.write(data)

    def _lost(self, attempt: _Attempt, error: BaseException | None) -> str:
        """Why the generator ended without an exit report, in the user's words."""
        exceptions = self._ray.exceptions
        where = f"node {attempt.node_id} ({attempt.address})" if attempt.node_id else "its node"
        if isinstance(error, exceptions.NodeDiedError):
            reason = f"node lost: {where} died while the attempt ran"
        elif isinstance(error, exceptions.TaskCancelledError) or attempt.kill_requested:
            reason = "killed before it started" if attempt.pid < 0 else "killed"
        elif isinstance(error, exceptions.WorkerCrashedError | exceptions.LocalRayletDiedError):
            reason = f"node lost: the Ray worker running it on {where} died"
        elif error is None:
            reason = "the Ray task ended without reporting an exit"
        else:
            text = str(error).strip().splitlines()
            reason = f"the Ray task failed: {type(error).__name__}: {text[-1] if text else ''}".rstrip(": ")
        self._append_log(attempt, f"sluice: {reason}\n".encode())
        return reason

    # ------------------------------------------------------------------ stopping

    def kill(self, handle: LaunchHandle) -> None:
        attempt = self._attempts.get(handle.key)
        if attempt is None or attempt.ended:
            return
        attempt.kill_requested = True
        if attempt.pid > 0:
            self._kill_on_node(attempt)
        else:
            # Not started yet: Ray drops it, or it stops at its next report (and kills its process then).
            with contextlib.suppress(Exception):
                self._ray.cancel(attempt.generator)

    def _kill_on_node(self, attempt: _Attempt) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        if attempt.node_id is None:
            return
        strategy = NodeAffinitySchedulingStrategy(attempt.node_id, soft=False)
        with contextlib.suppress(Exception):
            self._node.kill_group.options(scheduling_strategy=strategy).remote(attempt.pid)

    def close(self) -> None:
        """Kill what still runs (the cluster connection stays, for the process's other runs)."""
        for attempt in list(self._attempts.values()):
            self.kill(attempt.handle)
        self._attempts.clear()


def _with_source(call: Any, source: str) -> Any:
    from dataclasses import replace

    return replace(call, module_source=source)


def _unsatisfiable(wanted: Resources, options: dict[str, Any], nodes: list[dict[str, Any]]) -> str | None:
    """Why no live node could ever run this request, or None when one could."""
    needs: dict[str, float] = {"CPU": float(options["num_cpus"])}
    if wanted.memory:
        needs["memory"] = float(options["memory"])
    if wanted.gpus:
        needs["GPU"] = float(wanted.gpus)
    if "accelerator_type" in options:
        needs[f"accelerator_type:{options['accelerator_type']}"] = 0.001
    labels = dict(wanted.node_selector)
    for node in nodes:
        total = node.get("Resources") or {}
        node_labels = node.get("Labels") or {}
        if all(total.get(name, 0.0) >= amount for name, amount in needs.items()) and all(
            node_labels.get(key) == value for key, value in labels.items()
        ):
            return None
    asked = [f"{options['num_cpus']:g} CPU"]
    if wanted.memory:
        asked.append(f"{wanted.memory / 2**30:.3g} GiB memory")
    if wanted.gpus:
        kind = options.get("accelerator_type")
        asked.append(f"{wanted.gpus} GPU" + (f" of type {kind}" if kind else ""))
    asked += [f"node label {key}={value}" for key, value in labels.items()]
    offered = "; ".join(_describe_node(node) for node in nodes) or "no live nodes"
    return f"no node of the Ray cluster can run it: it asks for {', '.join(asked)}; the nodes have: {offered}"


def _describe_node(node: dict[str, Any]) -> str:
    total = node.get("Resources") or {}
    parts = [f"{total.get('CPU', 0):g} CPU", f"{total.get('GPU', 0):g} GPU"]
    parts += [name.split(":", 1)[1] for name in total if name.startswith("accelerator_type:")]
    parts += [
        f"{key}={value}" for key, value in (node.get("Labels") or {}).items() if not key.startswith("ray.io/")
    ]
    return f"{node.get('NodeManagerAddress')} ({', '.join(parts)})"
