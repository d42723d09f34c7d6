"""The structural comparison reports what would change how a pipeline runs, and only that."""

from __future__ import annotations

import copy

import pytest

from tests.examples import support
from tests.examples.spec_compare import (
    Document,
    assert_structurally_equal,
    python_executor_labels,
    structural_differences,
)


def _fixture(name: str) -> list[Document]:
    return support.load_documents(support.fixtures_dir() / f"{name}.yaml")


def test_a_pipeline_equals_itself() -> None:
    docs = _fixture("training")
    assert structural_differences(docs, copy.deepcopy(docs)) == []


def test_sdk_version_and_python_command_lines_are_ignored() -> None:
    docs = _fixture("training")
    other = copy.deepcopy(docs)
    other[0]["sdkVersion"] = "sluice-0.1.0"
    container = other[0]["deploymentSpec"]["executors"]["exec-train-model"]["container"]
    container["command"] = ["python3", "-m", "sluice.runtime"]
    container["args"] = ["--executor-input", "{{$}}"]
    assert structural_differences(docs, other) == []


def test_container_component_command_lines_are_compared() -> None:
    docs = _fixture("container_components")
    assert "exec-write-greeting" not in python_executor_labels(docs[0])
    other = copy.deepcopy(docs)
    other[0]["deploymentSpec"]["executors"]["exec-write-greeting"]["container"]["args"].pop()
    [difference] = structural_differences(docs, other)
    assert difference.startswith(
        "deploymentSpec.executors.exec-write-greeting.container.args: kfp has 4 items"
    )


def test_dependency_order_does_not_matter_but_dependencies_do() -> None:
    docs = _fixture("training")
    other = copy.deepcopy(docs)
    tasks = other[0]["root"]["dag"]["tasks"]
    tasks["write-report"]["dependentTasks"].reverse()
    assert structural_differences(docs, other) == []
    tasks["write-report"]["dependentTasks"].pop()
    assert len(structural_differences(docs, other)) == 1


def test_changed_condition_is_reported_by_path_with_both_values() -> None:
    docs = _fixture("control_flow")
    other = copy.deepcopy(docs)
    policy = other[0]["root"]["dag"]["tasks"]["condition-6"]["triggerPolicy"]
    policy["condition"] = "true"
    assert structural_differences(docs, other) == [
        "root.dag.tasks.condition-6.triggerPolicy.condition: "
        "kfp \"inputs.parameter_values['pipelinechannel--mode'] == 'audit'\" != sluice \"true\""
    ]


def test_missing_and_extra_components_are_named() -> None:
    docs = _fixture("hello_world")
    other = copy.deepcopy(docs)
    other[0]["components"]["comp-extra"] = other[0]["components"].pop("comp-shout")
    differences = structural_differences(docs, other)
    assert "components.comp-extra: only in sluice: " in differences[0]
    assert "components.comp-shout: only in kfp: " in differences[1]


def test_integer_defaults_match_by_value_but_never_match_booleans() -> None:
    docs = _fixture("exit_handler")
    other = copy.deepcopy(docs)
    parameters = other[0]["root"]["inputDefinitions"]["parameters"]
    parameters["rows"]["defaultValue"] = 100  # kfp writes 100.0: the same number
    assert structural_differences(docs, other) == []
    parameters["fail"]["defaultValue"] = 0  # kfp writes false: not the same value
    assert len(structural_differences(docs, other)) == 1


def test_missing_platform_spec_is_reported() -> None:
    docs = _fixture("compile_time_parameters")
    assert len(docs) == 2
    differences = structural_differences(docs, docs[:1])
    assert differences == ["<file>: kfp wrote 2 YAML documents, sluice wrote 1"]


def test_assertion_lists_the_differences() -> None:
    docs = _fixture("hello_world")
    other = copy.deepcopy(docs)
    other[0]["pipelineInfo"]["name"] = "other"
    with pytest.raises(AssertionError, match=r"1 structural difference\(s\)[\s\S]*pipelineInfo.name"):
        assert_structurally_equal(docs, other)
