"""Failures: the component's own exceptions exit 1 with their traceback; a bad task start exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime.conftest import Task, task_env

ADD = """
def add(a: int, b: int = 1) -> int:
    return a + b
"""


def test_user_exception_propagates_with_traceback_and_exit_code_1(task: Task) -> None:
    source = """
    def explode(reason: str):
        raise RuntimeError(f"component failed: {reason}")
    """
    result = task.run(source, "explode", task.executor_input(parameters={"reason": "disk full"}))
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert 'raise RuntimeError(f"component failed: {reason}")' in result.stderr  # the component's source line
    assert result.stderr.rstrip().endswith("RuntimeError: component failed: disk full")
    assert not Path(result.executor_input["outputs"]["outputFile"]).exists()


def test_exception_while_loading_the_module_exits_1(task: Task) -> None:
    result = task.run(
        "import no_such_module_anywhere\n" + ADD, "add", task.executor_input(parameters={"a": 1})
    )
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'no_such_module_anywhere'" in result.stderr


@pytest.mark.parametrize(
    ("parameters", "expected_message"),
    [
        (
            {},
            "function 'add': the executor input has no inputs.parameterValues['a'] for the required parameter 'a'",
        ),
        (
            {"a": "one"},
            "function 'add': inputs.parameterValues['a'] must be an integer for parameter 'a': int, got str 'one'",
        ),
        ({"a": 1.5}, "inputs.parameterValues['a'] must be an integer"),
        ({"a": True}, "inputs.parameterValues['a'] must be an integer"),
        (
            {"a": 1, "b": [2]},
            "inputs.parameterValues['b'] must be an integer for parameter 'b': int, got list [2]",
        ),
    ],
)
def test_invalid_parameter_values_exit_2_naming_field_and_function(
    task: Task, parameters: dict[str, object], expected_message: str
) -> None:
    result = task.run(ADD, "add", task.executor_input(parameters=parameters))
    assert result.returncode == 2
    assert expected_message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        ("str", 3, "must be a string"),
        ("bool", "true", "must be a boolean"),
        ("float", "0.5", "must be a number"),
        ("list", {"a": 1}, "must be a list"),
        ("dict", [1], "must be an object"),
        ("PipelineTaskFinalStatus", "FAILED", "must be a PipelineTaskFinalStatus object"),
    ],
)
def test_wrong_parameter_types_exit_2(task: Task, annotation: str, value: object, expected: str) -> None:
    source = f"def typed(x: {annotation}):\n    pass\n"
    result = task.run(source, "typed", task.executor_input(parameters={"x": value}))
    assert result.returncode == 2
    assert f"function 'typed': inputs.parameterValues['x'] {expected}" in result.stderr


def test_unknown_function_exits_2_listing_the_functions(task: Task) -> None:
    result = task.run(ADD, "subtract", task.executor_input(parameters={"a": 1}))
    assert result.returncode == 2
    assert "--function_to_execute 'subtract': no such function in" in result.stderr
    assert "(it defines ['add'])" in result.stderr


def test_missing_output_locations_exit_2(task: Task) -> None:
    executor_input = task.executor_input(parameters={"a": 1})
    del executor_input["outputs"]["outputFile"]
    result = task.run(ADD, "add", executor_input)
    assert result.returncode == 2
    assert "function 'add': the executor input has no outputs.outputFile" in result.stderr

    source = """
    def train(model: Output[Model]):
        raise AssertionError("must not run")
    """
    result = task.run(source, "train", task.executor_input())
    assert result.returncode == 2
    assert "function 'train': the executor input has no outputs.artifacts['model']" in result.stderr

    source = """
    def write(count: OutputPath(int)):
        raise AssertionError("must not run")
    """
    result = task.run(source, "write", task.executor_input())
    assert result.returncode == 2
    assert (
        "function 'write': the executor input has no outputs.parameters['count'].outputFile" in result.stderr
    )

    result = task.run("def model() -> Model:\n    return 'm'\n", "model", task.executor_input())
    assert result.returncode == 2
    assert "function 'model': the executor input has no outputs.artifacts['Output']" in result.stderr


def test_malformed_executor_input_sections_exit_2(task: Task) -> None:
    executor_input = task.executor_input(parameters={"a": 1})
    executor_input["inputs"]["artifacts"] = {"data": {"artifacts": "not a list"}}
    result = task.run(ADD, "add", executor_input)
    assert result.returncode == 2
    assert (
        "function 'add': inputs.artifacts['data'].artifacts must be a list of JSON objects" in result.stderr
    )

    executor_input = task.executor_input(parameters={"a": 1})
    executor_input["inputs"]["parameterValues"] = [1]
    result = task.run(ADD, "add", executor_input)
    assert result.returncode == 2
    assert "function 'add': inputs.parameterValues must be a JSON object, got list" in result.stderr


def test_unsupported_return_annotation_exits_2_before_the_call(task: Task) -> None:
    source = """
    def produce() -> set:
        raise AssertionError("must not run")
    """
    result = task.run(source, "produce", task.executor_input())
    assert result.returncode == 2
    assert "function 'produce': the return annotation of output 'Output' is set" in result.stderr


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def f() -> int:\n    return 'x'\n",
            "function 'f' returned a value of type str for its output 'Output'; want int",
        ),
        (
            "def f() -> str:\n    return None\n",
            "function 'f' returned None for its output 'Output', annotated str",
        ),
        (
            "def f() -> NamedTuple('O', [('a', int), ('b', int)]):\n    return (1,)\n",
            "function 'f' must return 2 values for the fields (a, b) of its NamedTuple return annotation",
        ),
        (
            "def f(n: OutputPath(int)):\n    open(n, 'w').write('many')\n",
            "function 'f' wrote an invalid value for its output parameter 'n' (an integer)",
        ),
        ("def f(n: OutputPath(str)):\n    pass\n", "function 'f' did not write its output parameter 'n'"),
    ],
)
def test_invalid_outputs_fail_the_component_with_exit_code_1(task: Task, source: str, message: str) -> None:
    result = task.run(source, "f", task.executor_input(output_parameters=["n"]))
    assert result.returncode == 1
    assert message in result.stderr


def test_optional_return_may_be_none(task: Task) -> None:
    result = task.run_ok("def f() -> Optional[str]:\n    return None\n", "f", task.executor_input())
    assert result.executor_output == {}


def run_runtime(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice.runtime", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=task_env(),
        timeout=60,
        check=False,
    )


def test_command_line_errors_exit_2(tmp_path: Path) -> None:
    module = tmp_path / "component.py"
    module.write_text(ADD)
    usage = "usage: python3 -m sluice.runtime --executor_input JSON --function_to_execute NAME"

    missing_function = run_runtime(tmp_path, "--executor_input", "{}")
    assert missing_function.returncode == 2
    assert usage in missing_function.stderr
    assert "--function_to_execute is required" in missing_function.stderr

    missing_value = run_runtime(tmp_path, "--function_to_execute", "add", "--executor_input")
    assert missing_value.returncode == 2
    assert "--executor_input needs a value" in missing_value.stderr

    bad_json = run_runtime(
        tmp_path, "--executor_input={", "--function_to_execute=add", f"--component_module_path={module}"
    )
    assert bad_json.returncode == 2
    assert "--executor_input is not valid JSON" in bad_json.stderr

    missing_module = run_runtime(
        tmp_path,
        "--executor_input",
        "{}",
        "--function_to_execute",
        "add",
        "--component_module_path",
        "nope.py",
    )
    assert missing_module.returncode == 2
    assert "--component_module_path 'nope.py' cannot be read" in missing_module.stderr

    no_config = run_runtime(tmp_path, "--executor_input", "{}", "--function_to_execute", "add")
    assert no_config.returncode == 2
    assert "no --component_module_path given and no kfp_config.ini" in no_config.stderr


def test_help_exits_0(tmp_path: Path) -> None:
    completed = run_runtime(tmp_path, "--help")
    assert completed.returncode == 0
    assert "--component_module_path PATH" in completed.stdout


def test_kfp_config_ini_locates_the_module_and_unknown_flags_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "adder.py").write_text(ADD)
    (tmp_path / "kfp_config.ini").write_text("[Components]\nadd = components/adder.py\n")
    output_file = tmp_path / "out" / "executor_output.json"
    executor_input = {"inputs": {"parameterValues": {"a": 2}}, "outputs": {"outputFile": str(output_file)}}
    completed = run_runtime(
        tmp_path,
        "--executor_input",
        json.dumps(executor_input),
        "--function_to_execute",
        "add",
        "--launcher_flag",
        "x",
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(output_file.read_text()) == {"parameterValues": {"Output": 3}}
