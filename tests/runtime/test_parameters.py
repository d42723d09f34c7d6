"""Input parameters in, output parameters out, through a real task process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.runtime.conftest import Task

ECHO_TYPES = """
def echo_types(text: str, count: int, ratio: float, flag: bool, items: list, mapping: dict,
               numbers: List[int], table: Dict[str, int]) -> dict:
    values = dict(text=text, count=count, ratio=ratio, flag=flag, items=items, mapping=mapping,
                  numbers=numbers, table=table)
    return {name: [type(value).__name__, value] for name, value in values.items()}
"""


def test_every_parameter_type_arrives_typed(task: Task) -> None:
    executor_input = task.executor_input(
        parameters={
            "text": "hello",
            "count": 3,
            "ratio": 0.5,
            "flag": True,
            "items": [1, "two", 3.0],
            "mapping": {"a": {"b": None}},
            "numbers": [1, 2],
            "table": {"x": 1},
        },
        output_parameters=["Output"],
    )
    result = task.run_ok(ECHO_TYPES, "echo_types", executor_input)
    assert result.executor_output["parameterValues"]["Output"] == {
        "text": ["str", "hello"],
        "count": ["int", 3],
        "ratio": ["float", 0.5],
        "flag": ["bool", True],
        "items": ["list", [1, "two", 3.0]],
        "mapping": ["dict", {"a": {"b": None}}],
        "numbers": ["list", [1, 2]],
        "table": ["dict", {"x": 1}],
    }
    assert json.loads(result.parameter_file("Output"))["count"] == ["int", 3]


def test_numbers_take_the_annotated_type(task: Task) -> None:
    # protobuf's Struct keeps every number as a double: an integral 3.0 is a fine int, 2 a fine float.
    source = """
    def kinds(count: int, ratio: float) -> str:
        return f"{type(count).__name__}:{count!r} {type(ratio).__name__}:{ratio!r}"
    """
    executor_input = task.executor_input(parameters={"count": 3.0, "ratio": 2}, output_parameters=["Output"])
    result = task.run_ok(source, "kinds", executor_input)
    assert result.executor_output["parameterValues"]["Output"] == "int:3 float:2.0"


def test_defaults_and_optionals_fill_absent_parameters(task: Task) -> None:
    source = """
    def defaults(given: str, absent: int = 7, nulled: str = "dflt", maybe: Optional[str] = None,
                 *, maybe_no_default: Optional[int], keyword_only: float = 1.5) -> list:
        return [given, absent, nulled, maybe, maybe_no_default, keyword_only]
    """
    executor_input = task.executor_input(
        parameters={"given": "g", "nulled": None}, output_parameters=["Output"]
    )
    result = task.run_ok(source, "defaults", executor_input)
    assert result.executor_output["parameterValues"]["Output"] == ["g", 7, "dflt", None, None, 1.5]


def test_optional_parameter_without_default_gets_none(task: Task) -> None:
    source = """
    def optional_only(maybe: Optional[int], also: "int | None") -> str:
        return repr((maybe, also))
    """
    result = task.run_ok(source, "optional_only", task.executor_input(parameters={"also": 4}))
    assert result.executor_output["parameterValues"]["Output"] == "(None, 4)"


@pytest.mark.parametrize(
    ("annotation", "value", "expected_json", "expected_file"),
    [
        ("str", "'hi'", "hi", "hi"),
        ("int", "7", 7, "7"),
        ("float", "2.0", 2.0, "2.0"),
        ("float", "3", 3.0, "3.0"),
        ("bool", "False", False, "false"),
        ("list", "[1, 'a']", [1, "a"], '[1, "a"]'),
        ("Dict[str, float]", "{'k': 0.25}", {"k": 0.25}, '{"k": 0.25}'),
    ],
)
def test_single_return_value_is_output_parameter_named_output(
    task: Task, annotation: str, value: str, expected_json: object, expected_file: str
) -> None:
    source = f"def produce() -> {annotation}:\n    return {value}\n"
    result = task.run_ok(source, "produce", task.executor_input(output_parameters=["Output"]))
    raw_output = Path(result.executor_input["outputs"]["outputFile"]).read_text()
    parameter_value = result.executor_output["parameterValues"]["Output"]
    assert parameter_value == expected_json
    assert type(parameter_value) is type(expected_json)  # integers stay integers, floats stay floats
    assert result.parameter_file("Output") == expected_file
    if isinstance(expected_json, float):
        assert json.dumps(expected_json) in raw_output


def test_return_value_without_output_file_still_reaches_executor_output(task: Task) -> None:
    result = task.run_ok("def produce() -> int:\n    return 1\n", "produce", task.executor_input())
    assert result.executor_output == {"parameterValues": {"Output": 1}}


def test_function_without_return_annotation_writes_empty_executor_output(task: Task) -> None:
    result = task.run_ok("def noop():\n    return 'ignored'\n", "noop", task.executor_input())
    assert result.executor_output == {}


def test_named_tuple_returns_one_output_per_field(task: Task) -> None:
    source = """
    class Outputs(NamedTuple):
        total: int
        mean: float
        label: str
        model: Model

    def summarize(values: List[int]) -> Outputs:
        return Outputs(sum(values), sum(values) / len(values), "ok", "model bytes")
    """
    executor_input = task.executor_input(
        parameters={"values": [1, 2, 3, 4]},
        output_parameters=["total", "mean", "label"],
        output_artifacts={"model": "system.Model"},
    )
    result = task.run_ok(source, "summarize", executor_input)
    assert result.executor_output["parameterValues"] == {"total": 10, "mean": 2.5, "label": "ok"}
    assert result.parameter_file("total") == "10"
    assert result.parameter_file("label") == "ok"
    (model,) = result.output_artifacts("model")
    assert Path(model["uri"]).read_text() == "model bytes"


def test_functional_named_tuple_accepts_a_plain_tuple(task: Task) -> None:
    source = """
    import os

    def split(text: str) -> NamedTuple("Outputs", [("head", str), ("rest", List[str]), ("dataset", Dataset)]):
        head, *rest = text.split()
        dataset = Dataset(uri=os.environ["DATASET_URI"], metadata={"rows": len(rest)})
        with open(dataset.path, "w") as out:
            out.write(text)
        return head, rest, dataset
    """
    executor_input = task.executor_input(
        parameters={"text": "a b c"}, output_artifacts={"dataset": "system.Dataset"}
    )
    custom_uri = str(task.root / "elsewhere" / "data.txt")
    (task.root / "elsewhere").mkdir()
    result = task.run_ok(source, "split", executor_input, env={"DATASET_URI": custom_uri})
    assert result.executor_output["parameterValues"] == {"head": "a", "rest": ["b", "c"]}
    # A returned artifact replaces the announced one, keeping the announced name (as KFP does).
    assert result.output_artifacts("dataset") == [
        {"name": "dataset", "uri": custom_uri, "metadata": {"rows": 2}}
    ]


def test_pipeline_task_final_status_is_built_from_its_struct(task: Task) -> None:
    source = """
    def exit_handler(status: PipelineTaskFinalStatus, note: str = "n") -> list:
        assert isinstance(status, dsl.PipelineTaskFinalStatus)
        return [status.state, status.pipeline_job_resource_name, status.pipeline_task_name,
                status.error_code, status.error_message, note]
    """
    status = {
        "state": "FAILED",
        "pipelineJobResourceName": "runs/42",
        "pipelineTaskName": "train",
        "error": {"code": 9.0, "message": "boom"},
    }
    result = task.run_ok(source, "exit_handler", task.executor_input(parameters={"status": status}))
    assert result.executor_output["parameterValues"]["Output"] == [
        "FAILED",
        "runs/42",
        "train",
        9,
        "boom",
        "n",
    ]


def test_pipeline_task_final_status_accepts_snake_case_and_success(task: Task) -> None:
    source = """
    def exit_handler(status: PipelineTaskFinalStatus) -> str:
        return repr(status)
    """
    status = {"state": "SUCCEEDED", "pipeline_job_resource_name": "r", "pipeline_task_name": "t"}
    result = task.run_ok(source, "exit_handler", task.executor_input(parameters={"status": status}))
    assert result.executor_output["parameterValues"]["Output"] == (
        "PipelineTaskFinalStatus(state='SUCCEEDED', pipeline_job_resource_name='r', "
        "pipeline_task_name='t', error_code=None, error_message=None)"
    )


def test_get_uri_points_into_the_task_root(task: Task) -> None:
    result = task.run_ok(
        "def where() -> str:\n    return dsl.get_uri('model')\n", "where", task.executor_input()
    )
    assert result.executor_output["parameterValues"]["Output"] == str(task.outputs_dir / "model")
