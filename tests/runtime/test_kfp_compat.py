"""KFP-authored component code and KFP-compiled executors run on Sluice's runtime, without kfp installed."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.conftest import KFP_SOURCE_PREFIX, Task, runtime_artifact, task_env


def python3_without_site_packages(directory: Path) -> Path:
    """A ``python3`` for PATH that runs this interpreter with ``-S``: no site-packages, so no kfp."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "python3"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    shim.chmod(0o755)
    return directory


def test_kfp_is_really_hidden_from_task_processes(tmp_path: Path) -> None:
    if importlib.util.find_spec("kfp") is None:
        pytest.skip("kfp is not installed here, so there is nothing to hide")
    bin_dir = python3_without_site_packages(tmp_path / "bin")
    env = task_env({"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    probe = "import importlib.util; print(importlib.util.find_spec('kfp'), importlib.util.find_spec('sluice.runtime'))"
    for command in ([sys.executable, "-S", "-c", probe], ["python3", "-c", probe]):
        completed = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        kfp_spec, sluice_spec = completed.stdout.split(" ", 1)
        assert kfp_spec == "None"
        assert sluice_spec.startswith("ModuleSpec(name='sluice.runtime'")


KFP_AUTHORED = """
import kfp.dsl.types.artifact_types as kfp_artifact_types
from kfp.dsl import Input, Output, Dataset, Metrics, OutputPath
import sluice.dsl

@dsl.component(base_image="python:3.11", packages_to_install=["pandas"])
def profile(data: Input[dsl.Dataset], report: Output[Metrics], size_path: OutputPath(int),
            threshold: float = 0.5) -> NamedTuple("Outputs", [("kind", str), ("aliased", bool)]):
    with open(data.path) as f:
        size = len(f.read())
    report.log_metric("size", size)
    with open(size_path, "w") as f:
        f.write(str(size))
    aliased = (kfp.dsl.Artifact is sluice.dsl.Artifact and Dataset is sluice.dsl.Dataset
               and kfp_artifact_types.Metrics is sluice.dsl.Metrics and kfp.__sluice_alias__)
    return (type(data).__module__, aliased)


@dsl.pipeline(name="leftover")
def leftover_pipeline():
    profile(data=dsl.importer(artifact_uri="gs://b/d", artifact_class=Dataset).output)


@dsl.component
def bare_decorated() -> str:
    return "bare"
"""


def test_kfp_authored_source_runs_with_kfp_hidden(task: Task) -> None:
    data_file = task.root / "data.txt"
    data_file.write_text("12345")
    executor_input = task.executor_input(
        input_artifacts={"data": [runtime_artifact(data_file, "system.Dataset")]},
        output_parameters=["size_path", "kind", "aliased"],
        output_artifacts={"report": "system.Metrics"},
    )
    result = task.run_ok(
        KFP_AUTHORED, "profile", executor_input, prefix=KFP_SOURCE_PREFIX, python_flags=["-S"]
    )
    assert result.executor_output["parameterValues"] == {
        "size_path": 5,
        "kind": "sluice.dsl._artifacts",
        "aliased": True,
    }
    assert result.output_artifacts("report")[0]["metadata"] == {"size": 5}

    bare = task.run_ok(
        KFP_AUTHORED, "bare_decorated", task.executor_input(), prefix=KFP_SOURCE_PREFIX, python_flags=["-S"]
    )
    assert bare.executor_output == {"parameterValues": {"Output": "bare"}}


def test_unavailable_kfp_names_fail_with_a_clear_message(task: Task) -> None:
    source = """
    def client() -> str:
        return str(kfp.Client)
    """
    result = task.run(source, "client", task.executor_input(), prefix=KFP_SOURCE_PREFIX, python_flags=["-S"])
    assert result.returncode == 1
    assert "kfp.Client is not available inside a Sluice task" in result.stderr


def run_executor_container(
    tmp_path: Path, command: list[str], args: list[str], executor_input: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """Run a compiled executor's command + args the way a container would, with ``{{$}}`` filled in."""
    bin_dir = python3_without_site_packages(tmp_path / "bin")
    env = task_env({"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    filled_args = [json.dumps(executor_input) if arg == "{{$}}" else arg for arg in args]
    return subprocess.run(
        [*command, *filled_args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )


def test_sluice_compiled_executor_command_runs(task: Task) -> None:
    source = "from sluice import dsl\nfrom sluice.dsl import *\nfrom typing import *\n\n" + (
        "def add(a: int, b: int = 2) -> int:\n    return a + b\n"
    )
    command = [
        "sh",
        "-ec",
        'program_path=$(mktemp -d)\nprintf "%s" "$0" > "$program_path/ephemeral_component.py"\n'
        'exec python3 -m sluice.runtime --component_module_path "$program_path/ephemeral_component.py" "$@"\n',
        source,
    ]
    args = ["--executor_input", "{{$}}", "--function_to_execute", "add"]
    executor_input = task.executor_input(parameters={"a": 40}, output_parameters=["Output"])
    completed = run_executor_container(task.root, command, args, executor_input)
    assert completed.returncode == 0, completed.stderr
    output = json.loads(Path(executor_input["outputs"]["outputFile"]).read_text())
    assert output == {"parameterValues": {"Output": 42}}


@pytest.mark.kfp
def test_kfp_compiled_component_runs_on_sluice_runtime(task: Task) -> None:
    """Compile with the real kfp SDK, point its executor at sluice.runtime, run it where kfp is absent."""
    pytest.importorskip("kfp")
    yaml = pytest.importorskip("yaml")
    from kfp import compiler

    from tests.runtime.kfp_authored_components import score

    package_path = task.root / "score.yaml"
    compiler.Compiler().compile(score, str(package_path))
    container = yaml.safe_load(package_path.read_text())["deploymentSpec"]["executors"]["exec-score"][
        "container"
    ]
    # Drop kfp's `pip install kfp` wrapper (command[:3]); keep `sh -ec <script> <source>`.
    command = container["command"][3:]
    command[2] = command[2].replace("python3 -m kfp.dsl.executor_main", "python3 -m sluice.runtime")
    assert "sluice.runtime" in command[2]

    data_file = task.root / "rows.txt"
    data_file.write_text("a b c")
    executor_input = task.executor_input(
        parameters={"labels": ["neg", "pos"]},
        input_artifacts={"data": [runtime_artifact(data_file, "system.Dataset")]},
        output_parameters=["n", "ratio"],
        output_artifacts={"metrics": "system.ClassificationMetrics"},
    )
    completed = run_executor_container(task.root, command, container["args"], executor_input)
    assert completed.returncode == 0, completed.stderr
    output = json.loads(Path(executor_input["outputs"]["outputFile"]).read_text())
    assert output["parameterValues"] == {"n": 3, "ratio": 1.0}
    assert output["artifacts"]["metrics"]["artifacts"][0]["metadata"] == {
        "confusionMatrix": {
            "annotationSpecs": [{"displayName": "neg"}, {"displayName": "pos"}],
            "rows": [{"row": [3, 0]}, {"row": [1, 2]}],
        }
    }
