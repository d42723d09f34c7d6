"""The launcher interface: run one resolved task, report when it ends, kill it on request.

The engine decides what runs when; a launcher only runs what it is given (Dagster's executor / step
handler split). The local launcher runs processes on this machine; Docker, Kubernetes or Ray launchers
implement the same four methods.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Exit", "LaunchHandle", "LaunchSpec", "Launcher", "PythonCall"]


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

    def replace(self, **changes: Any) -> LaunchSpec:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class LaunchHandle:
    """A launched attempt: ``pid`` is the leader of the attempt's own process group."""

    key: str
    pid: int


@dataclass(frozen=True)
class Exit:
    """How an attempt ended: an exit code, or the signal that killed it."""

    handle: LaunchHandle
    exit_code: int | None
    signal: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
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

    def launch(self, spec: LaunchSpec) -> LaunchHandle:
        """Start one attempt; return at once."""
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
