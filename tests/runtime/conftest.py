"""A harness that runs components the way a task does: ``python -m sluice.runtime`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest

SRC_DIR = Path(__file__).resolve().parents[2] / "src"

# What our compiler puts before a component's source; KFP's own compiler uses the kfp equivalents.
SLUICE_SOURCE_PREFIX = "from sluice import dsl\nfrom sluice.dsl import *\nfrom typing import *\n\n"
KFP_SOURCE_PREFIX = "import kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n"


def task_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a task process: Sluice found through PYTHONPATH, as a launcher provides it."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = str(SRC_DIR)
    env.update(extra or {})
    return env


def runtime_artifact(
    uri: str | Path,
    schema_title: str = "system.Artifact",
    metadata: dict[str, Any] | None = None,
    name: str = "",
) -> dict[str, Any]:
    """A RuntimeArtifact message as it appears in an executor input."""
    return {
        "name": name,
        "type": {"schemaTitle": schema_title, "schemaVersion": "0.0.1"},
        "uri": str(uri),
        "metadata": metadata or {},
    }


class TaskResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    executor_input: dict[str, Any]

    @property
    def executor_output(self) -> dict[str, Any]:
        return json.loads(Path(self.executor_input["outputs"]["outputFile"]).read_text())

    def parameter_file(self, name: str) -> str:
        return Path(self.executor_input["outputs"]["parameters"][name]["outputFile"]).read_text()

    def output_artifacts(self, name: str) -> list[dict[str, Any]]:
        artifacts: list[dict[str, Any]] = self.executor_output["artifacts"][name]["artifacts"]
        return artifacts


class Task:
    """Builds one executor input under ``tmp_path`` and runs a component on it."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.outputs_dir = tmp_path / "task_outputs"

    def executor_input(
        self,
        parameters: Mapping[str, Any] | None = None,
        input_artifacts: Mapping[str, Sequence[dict[str, Any]]] | None = None,
        output_parameters: Sequence[str] = (),
        output_artifacts: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """``output_artifacts`` maps an output name to its schema title; its URI lies under outputs_dir."""
        return {
            "inputs": {
                "parameterValues": dict(parameters or {}),
                "artifacts": {
                    name: {"artifacts": list(items)} for name, items in (input_artifacts or {}).items()
                },
            },
            "outputs": {
                "parameters": {
                    name: {"outputFile": str(self.outputs_dir / "parameters" / name)}
                    for name in output_parameters
                },
                "artifacts": {
                    name: {
                        "artifacts": [
                            runtime_artifact(self.outputs_dir / "artifacts" / name, schema_title, name=name)
                        ]
                    }
                    for name, schema_title in (output_artifacts or {}).items()
                },
                "outputFile": str(self.outputs_dir / "executor_output.json"),
            },
        }

    def write_component(self, source: str, prefix: str = SLUICE_SOURCE_PREFIX) -> Path:
        module_path = self.root / "program" / "ephemeral_component.py"
        module_path.parent.mkdir(parents=True, exist_ok=True)
        module_path.write_text(prefix + textwrap.dedent(source))
        return module_path

    def run(
        self,
        source: str,
        function: str,
        executor_input: dict[str, Any],
        *,
        prefix: str = SLUICE_SOURCE_PREFIX,
        python_flags: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> TaskResult:
        module_path = self.write_component(source, prefix)
        command = [
            sys.executable,
            *python_flags,
            "-m",
            "sluice.runtime",
            "--component_module_path",
            str(module_path),
            "--executor_input",
            json.dumps(executor_input),
            "--function_to_execute",
            function,
        ]
        completed = subprocess.run(
            command, capture_output=True, text=True, cwd=self.root, env=task_env(env), timeout=60, check=False
        )
        return TaskResult(completed.returncode, completed.stdout, completed.stderr, executor_input)

    def run_ok(
        self, source: str, function: str, executor_input: dict[str, Any], **options: Any
    ) -> TaskResult:
        result = self.run(source, function, executor_input, **options)
        assert result.returncode == 0, f"task failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture
def task(tmp_path: Path) -> Task:
    return Task(tmp_path)


RunPython = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_python(tmp_path: Path) -> RunPython:
    """Run a Python snippet in a fresh interpreter with the task environment."""

    def run(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *flags, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=task_env(),
            timeout=60,
            check=False,
        )

    return run
