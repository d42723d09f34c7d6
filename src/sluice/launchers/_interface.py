"""The launcher interface: run one resolved task, report when it ends, kill it on request.

The engine decides what runs when; a launcher only runs what it is given (Dagster's executor / step
handler split). The local launcher runs processes on this machine; the Ray launcher runs them on the
nodes of a Ray cluster. Both implement the same methods.

What a launcher that runs tasks elsewhere (``remote``) needs beyond the four core methods, kept small:

- ``LaunchSpec.executor_input``: KFP's executor input of the attempt (its input artifacts, where its outputs
  go), for a launcher that stages inputs and gathers outputs where the attempt runs.
- ``LaunchSpec.resources``: what the attempt asks for (CPU, memory, accelerators, node selector), for the
  launcher to place it; the local launcher ignores it (the engine's own capacity check gates it).
- ``PythonCall.requirements``: ``packages_to_install`` that the engine left for the launcher to install
  where the attempt runs (only a remote launcher gets them; the engine builds local environments itself).
- ``LaunchHandle.queued``: the launcher accepted the attempt but it waits for resources; ``started()``
  later reports where it started (node id and address) and its pid.
- ``Exit.error``: why an attempt ended without an exit status of its own (its node was lost, its outputs
  could not be uploaded); such an exit is a failed attempt, retried under the task's retry policy.
- ``LaunchError`` from ``launch``: the attempt can never run there (no node has what it asks for); the
  task fails at once, without retries.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sluice.sandbox import SandboxSpec

__all__ = [
    "Exit",
    "LaunchError",
    "LaunchHandle",
    "LaunchSpec",
    "Launcher",
    "PythonCall",
    "Resources",
    "Started",
]


@dataclass(frozen=True)
class PythonCall:
    """A Python function component, run by ``sluice.runtime`` rather than through its shell command.

    Launchers that can (the local one) run it in a forked, pre-warmed worker; others turn it into
    ``python -m sluice.runtime --executor_input ... --function_to_execute ... --component_module_path ...``.
    """

    executor_input: dict[str, Any]
    function_name: str
    module_source: str | None  # written to module_path at launch; None: the file is already there
    module_path: str
    # None: the engine's own interpreter (eligible for the fork server); else a virtual environment's.
    python: str | None = None
    # packages_to_install for a remote launcher to install where the call runs (see the module docstring).
    requirements: tuple[str, ...] = ()
    index_urls: tuple[str, ...] = ()  # pip's --index-url values
    extra_index_urls: tuple[str, ...] = ()  # pip's --extra-index-url values

    def argv(self, python: str) -> list[str]:
        import json

        return [
            python,
            "-m",
            "sluice.runtime",
            "--executor_input",
            json.dumps(self.executor_input),
            "--function_to_execute",
            self.function_name,
            "--component_module_path",
            self.module_path,
        ]


@dataclass(frozen=True)
class Resources:
    """What an attempt asks of the machine that runs it."""

    cpu: float = 0.0  # 0: the launcher's default
    memory: float = 0.0  # bytes
    gpus: int = 0
    accelerator_type: str | None = None  # as the pipeline names it, e.g. "NVIDIA_TESLA_T4", "nvidia.com/gpu"
    node_selector: tuple[tuple[str, str], ...] = ()  # (label, value) pairs a node must carry


class LaunchError(Exception):
    """``launch`` cannot ever run this attempt (the message says why, e.g. no node has what it asks)."""


@dataclass(frozen=True)
class LaunchSpec:
    """One attempt of one task, fully resolved: no placeholders left, every path decided."""

    key: str  # unique among the launches in flight (the task's id and attempt)
    name: str  # for people: the task's path in the run
    log_path: str  # stdout and stderr, interleaved
    cwd: str
    argv: list[str] = field(default_factory=list)  # a command to run, when python_call is None
    python_call: PythonCall | None = None
    env: dict[str, str] = field(default_factory=dict)  # added to the launcher's environment
    image: str | None = None  # recorded; the local launcher runs on the host
    resources: Resources = field(default_factory=Resources)
    executor_input: dict[str, Any] | None = None
    # None: a plain process (the ``host`` profile); else run inside this bubblewrap sandbox.
    sandbox: SandboxSpec | None = None

    def replace(self, **changes: Any) -> LaunchSpec:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class LaunchHandle:
    """A launched attempt: ``pid`` is the leader of the attempt's own process group.

    ``queued``: the attempt waits for resources (``pid`` is -1 until ``Launcher.started`` reports it).
    """

    key: str
    pid: int
    queued: bool = False


@dataclass(frozen=True)
class Started:
    """A queued attempt started: its process group leader and where (a launcher's node id and address)."""

    handle: LaunchHandle
    pid: int
    node_id: str | None = None
    node_address: str | None = None


@dataclass(frozen=True)
class Exit:
    """How an attempt ended: an exit code, the signal that killed it, or the launcher's reason."""

    handle: LaunchHandle
    exit_code: int | None
    signal: int | None = None
    error: str | None = None  # e.g. "node lost: ..."; the attempt failed whatever its exit code

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.error is None

    def describe(self) -> str:
        if self.error is not None:
            return self.error
        if self.signal is not None:
            import signal as signals

            try:
                name = signals.Signals(self.signal).name
            except ValueError:
                name = f"signal {self.signal}"
            return f"killed by {name}"
        return f"exited with code {self.exit_code}"


class Launcher(Protocol):
    """Runs tasks somewhere; never decides which or when."""

    @property
    def remote(self) -> bool:
        """Whether attempts run on other machines, which place them (``spec.resources``), stage their inputs,
        install their ``requirements`` and assign accelerators themselves; the engine then counts none of
        this machine's CPUs, memory or GPUs for them."""
        ...

    def launch(self, spec: LaunchSpec) -> LaunchHandle:
        """Start one attempt (or queue it: ``handle.queued``); return at once. LaunchError: it never can."""
        ...

    def started(self) -> list[Started]:
        """The queued attempts that started since the last call (always empty for a launcher that never
        queues); each is reported before its Exit."""
        ...

    def wait(self, timeout: float | None) -> list[Exit]:
        """The attempts that ended, waiting up to ``timeout`` seconds for at least one (None: forever)."""
        ...

    def kill(self, handle: LaunchHandle) -> None:
        """Kill the attempt and everything it started (its process group); its Exit still arrives via wait."""
        ...

    def close(self) -> None:
        """Kill whatever still runs and release resources."""
        ...
