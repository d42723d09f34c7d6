"""Components read their interface from the function's signature, as kfp.dsl does.

This module uses ``from __future__ import annotations``: every annotation below is a string that the
SDK resolves, including names local to a test function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import pytest

from sluice import dsl
from sluice.dsl import Artifact, Dataset, Input, InputPath, Model, Output, OutputPath
from sluice.dsl._types import ArtifactType, ParameterKind, ParameterType


def _kinds(specs: Mapping[str, object]) -> dict[str, str]:
    out = {}
    for name, spec in specs.items():
        spec_type = spec.type  # type: ignore[attr-defined]
        out[name] = spec_type.kind.value if isinstance(spec_type, ParameterType) else str(spec_type)
    return out


def test_parameters_artifacts_and_paths() -> None:
    @dsl.component
    def component(
        text: str,
        count: int,
        ratio: float,
        flag: bool,
        items: list,
        mapping: dict,
        numbers: list[int],
        weights: dict[str, float],
        data: Input[Dataset],
        bare: Model,
        many: Input[list[Dataset]],
        in_path: InputPath("Dataset"),
        in_text: InputPath(str),
        model: Output[Model],
        out_path: OutputPath(Dataset),
        out_number: OutputPath(int),
        status: dsl.PipelineTaskFinalStatus,
    ) -> str:
        return ""

    spec = component.component_spec
    assert spec.name == "component"
    assert _kinds(spec.inputs) == {
        "text": "STRING",
        "count": "NUMBER_INTEGER",
        "ratio": "NUMBER_DOUBLE",
        "flag": "BOOLEAN",
        "items": "LIST",
        "mapping": "STRUCT",
        "numbers": "LIST",
        "weights": "STRUCT",
        "data": "system.Dataset@0.0.1",
        "bare": "system.Model@0.0.1",
        "many": "system.Dataset@0.0.1",
        "in_path": "system.Dataset@0.0.1",
        "in_text": "STRING",
        "status": "TASK_FINAL_STATUS",
    }
    assert _kinds(spec.outputs) == {
        "model": "system.Model@0.0.1",
        "out_path": "system.Dataset@0.0.1",
        "out_number": "NUMBER_INTEGER",
        "Output": "STRING",
    }
    assert spec.inputs["many"].is_artifact_list
    assert spec.inputs["numbers"].type == ParameterType(
        ParameterKind.LIST, item=ParameterType(ParameterKind.NUMBER_INTEGER)
    )
    assert spec.inputs["status"].optional
    assert component.required_inputs == [name for name in spec.inputs if name != "status"]


def test_defaults_and_optional_inputs() -> None:
    @dsl.component
    def component(
        a: int = 1,
        b: float = 2,
        c: str | None = None,
        d: list[str] = ["x"],  # noqa: B006
        e: dict[str, int] = {"k": 1},  # noqa: B006
        f: Input[Artifact] | None = None,
    ) -> None:
        pass

    inputs = component.component_spec.inputs
    assert {name: (spec.optional, spec.default) for name, spec in inputs.items()} == {
        "a": (True, 1),
        "b": (True, 2.0),
        "c": (True, None),
        "d": (True, ["x"]),
        "e": (True, {"k": 1}),
        "f": (True, None),
    }
    assert isinstance(inputs["b"].default, float)
    assert inputs["f"].type == ArtifactType("system.Artifact", "0.0.1")


def test_named_tuple_outputs_defined_where_the_component_is() -> None:
    class Outputs(NamedTuple):
        score: float
        model: Model
        tags: list[str]

    @dsl.component
    def component() -> Outputs:
        return Outputs(0.5, Model(), [])

    assert _kinds(component.component_spec.outputs) == {
        "score": "NUMBER_DOUBLE",
        "model": "system.Model@0.0.1",
        "tags": "LIST",
    }


def test_single_artifact_return() -> None:
    @dsl.component
    def component() -> Dataset:
        return Dataset()

    assert _kinds(component.component_spec.outputs) == {"Output": "system.Dataset@0.0.1"}


def test_descriptions_come_from_the_docstring() -> None:
    @dsl.component
    def component(text: str, count: int = 1) -> str:
        """Repeats text.

        Longer explanation
        over two lines.

        Args:
            text: The text to repeat,
                continued here.
            count (int): How many times.

        Returns:
            Output: The repeated text.
        """
        return text * count

    spec = component.component_spec
    assert spec.description == "Repeats text.\nLonger explanation\nover two lines."
    assert spec.inputs["text"].description == "The text to repeat,\ncontinued here."
    assert spec.inputs["count"].description == "How many times."
    assert spec.outputs["Output"].description == "The repeated text."


def test_the_executor_runs_sluices_runtime_with_the_function_source() -> None:
    @dsl.component(base_image="python:3.12")
    def greet(name: str) -> str:
        # a comment stays in the source
        return f"hello {name}"

    implementation = greet.component_spec.implementation
    assert implementation.image == "python:3.12"  # type: ignore[union-attr]
    command = implementation.command  # type: ignore[union-attr]
    assert command[:2] == ["sh", "-ec"]
    assert "exec python3 -m sluice.runtime --component_module_path" in command[2]
    assert command[3] == (
        "from sluice import dsl\nfrom sluice.dsl import *\nfrom typing import *\n\n"
        'def greet(name: str) -> str:\n    # a comment stays in the source\n    return f"hello {name}"\n'
    )
    assert implementation.args == ["--executor_input", "{{$}}", "--function_to_execute", "greet"]  # type: ignore[union-attr]


def test_packages_are_installed_first_from_the_given_indexes() -> None:
    @dsl.component(
        packages_to_install=["pyyaml", "numpy>=1.26"],
        pip_index_urls=["https://pypi.example.com/simple", "https://mirror.example.com/simple"],
    )
    def component() -> None:
        pass

    command = component.component_spec.implementation.command  # type: ignore[union-attr]
    assert command[:2] == ["sh", "-c"]
    install = command[2]
    assert "python3 -m pip install --quiet --no-warn-script-location" in install
    assert (
        "--index-url https://pypi.example.com/simple --extra-index-url https://mirror.example.com/simple"
        in install
    )
    assert "pyyaml 'numpy>=1.26'" in install
    assert "kfp" not in install and "sluice" not in install
    assert install.rstrip().endswith('&& "$0" "$@"')
    assert command[3:5] == ["sh", "-ec"]


def test_the_component_default_image_is_kfps() -> None:
    @dsl.component
    def component() -> None:
        pass

    assert component.component_spec.implementation.image == "python:3.11"  # type: ignore[union-attr]


def test_a_component_still_is_its_function() -> None:
    @dsl.component
    def add(a: int, b: int) -> int:
        return a + b

    assert add.execute(a=1, b=2) == 3
    assert add.python_func.__name__ == "add"


def test_container_component_placeholders() -> None:
    @dsl.container_component
    def tool(
        text: str,
        data: Input[Dataset],
        many: Input[list[Dataset]],
        model: Output[Model],
        result: OutputPath(str),
        maybe: str | None = None,
    ) -> dsl.ContainerSpec:
        return dsl.ContainerSpec(
            image="alpine",
            command=["sh", "-c", f"echo {text}"],
            args=[
                data.path,
                data.uri,
                data.metadata,
                many,
                model.path,
                model.uri,
                result,
                dsl.ConcatPlaceholder(["--text=", text]),
                dsl.IfPresentPlaceholder(input_name="maybe", then=["--maybe", maybe], else_=["--none"]),  # type: ignore[list-item]
            ],
        )

    implementation = tool.component_spec.implementation
    assert implementation.command == ["sh", "-c", "echo {{$.inputs.parameters['text']}}"]  # type: ignore[union-attr]
    assert implementation.args == [  # type: ignore[union-attr]
        "{{$.inputs.artifacts['data'].path}}",
        "{{$.inputs.artifacts['data'].uri}}",
        "{{$.inputs.artifacts['data'].metadata}}",
        "{{$.inputs.artifacts['many']}}",
        "{{$.outputs.artifacts['model'].path}}",
        "{{$.outputs.artifacts['model'].uri}}",
        "{{$.outputs.parameters['result'].output_file}}",
        '{"Concat": ["--text=", "{{$.inputs.parameters[\'text\']}}"]}',
        '{"IfPresent": {"InputName": "maybe", "Then": ["--maybe", "{{$.inputs.parameters[\'maybe\']}}"], '
        '"Else": ["--none"]}}',
    ]


def test_container_component_errors() -> None:
    with pytest.raises(dsl.PipelineDefinitionError, match=r"artifact 'data' is used whole"):

        @dsl.container_component
        def whole(data: Input[Dataset]) -> dsl.ContainerSpec:
            return dsl.ContainerSpec(image="alpine", args=[data])

    with pytest.raises(dsl.PipelineDefinitionError, match=r"must wrap its artifact type in Input"):

        @dsl.container_component
        def bare(data: Dataset) -> dsl.ContainerSpec:
            return dsl.ContainerSpec(image="alpine")

    with pytest.raises(dsl.PipelineDefinitionError, match=r"must wrap its artifact type in Input"):

        @dsl.container_component
        def bare_list(data: list[Dataset]) -> dsl.ContainerSpec:
            return dsl.ContainerSpec(image="alpine")

    with pytest.raises(dsl.PipelineDefinitionError, match=r"'nothing', which is not an input"):

        @dsl.container_component
        def wrong_name(text: str) -> dsl.ContainerSpec:
            return dsl.ContainerSpec(
                image="alpine", args=[dsl.IfPresentPlaceholder(input_name="nothing", then="x")]
            )

    with pytest.raises(dsl.PipelineDefinitionError, match=r"is a int: use strings and placeholders"):

        @dsl.container_component
        def number() -> dsl.ContainerSpec:
            return dsl.ContainerSpec(image="alpine", args=[3])

    with pytest.raises(dsl.PipelineDefinitionError, match="cannot be used in an f-string"):
        f"{dsl.ConcatPlaceholder(['a'])}"


def test_pipeline_placeholders_have_kfps_values() -> None:
    assert dsl.PIPELINE_JOB_NAME_PLACEHOLDER == "{{$.pipeline_job_name}}"
    assert dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER == "{{$.pipeline_job_resource_name}}"
    assert dsl.PIPELINE_JOB_ID_PLACEHOLDER == "{{$.pipeline_job_uuid}}"
    assert dsl.PIPELINE_TASK_NAME_PLACEHOLDER == "{{$.pipeline_task_name}}"
    assert dsl.PIPELINE_TASK_ID_PLACEHOLDER == "{{$.pipeline_task_uuid}}"
    assert dsl.PIPELINE_ROOT_PLACEHOLDER == "{{$.pipeline_root}}"
    assert dsl.PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER == "{{$.pipeline_job_create_time_utc}}"
    assert dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER == "{{$.pipeline_job_schedule_time_utc}}"


@pytest.mark.kfp
def test_the_placeholders_equal_kfps() -> None:
    import kfp.dsl

    for name in dir(kfp.dsl):
        if name.endswith("_PLACEHOLDER") and hasattr(dsl, name):
            assert getattr(dsl, name) == getattr(kfp.dsl, name), name


@pytest.mark.kfp
def test_the_dsl_has_kfps_public_names() -> None:
    import kfp.dsl

    # What kfp.dsl exports and Sluice leaves out on purpose: platform features it does not support yet.
    not_supported = {
        "EmbeddedInput",
        "Metadata",
        "PipelineConfig",
        "TaskConfig",
        "TaskConfigField",
        "TaskConfigPassthrough",
        "WORKSPACE_PATH_PLACEHOLDER",
        "WorkspaceConfig",
        "KubernetesWorkspaceConfig",
        "notebook_component",
        "run_notebook",
        "PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER",
        "PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER",
    }
    missing = set(kfp.dsl.__all__) - set(dsl.__all__) - not_supported
    assert not missing, sorted(missing)


def test_caching_is_on_unless_kfps_variable_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.dsl.components import echo

    @dsl.pipeline
    def cached() -> None:
        echo(text="x")

    assert cached.graph.tasks["echo"].enable_caching
    monkeypatch.setenv("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT", "true")

    @dsl.pipeline
    def uncached() -> None:
        echo(text="x").set_debug_pause(before=True)

    task = uncached.graph.tasks["echo"]
    assert not task.enable_caching
    assert task.container is not None
    assert task.container.env == {"ARGO_DEBUG_PAUSE_BEFORE": "true", "ARGO_DEBUG_PAUSE_AFTER": "true"}
