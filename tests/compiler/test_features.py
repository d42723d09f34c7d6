"""Each feature of the SDK compiles to the PipelineSpec a KFP backend expects.

Every pipeline here is compiled to a file, read back with ``sluice.ir``, validated against the protobuf
schema, checked for wiring (every input a task reads exists), and loaded by kfp.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pytest

from sluice import compiler, dsl, ir
from sluice.dsl import Dataset, Input, Model, Output
from tests.dsl.components import add, echo, make_dataset, numbers, read_dataset, report, total, train

from .wiring import assert_wired


@pytest.fixture
def compile_checked(tmp_path: Path) -> Any:
    def run(pipeline: Any, **options: Any) -> dict[str, Any]:
        target = tmp_path / f"{pipeline.name}.yaml"
        compiler.Compiler().compile(pipeline, target, **options)
        document = ir.read_pipeline(target)
        ir.validate_with_protobuf(document)
        ir.check_references(document.spec)
        assert_wired(document.spec)
        import kfp.components

        kfp.components.load_component_from_file(str(target))
        return document.spec.to_dict()

    return run


def test_a_linear_pipeline(compile_checked: Any) -> None:
    @dsl.pipeline(name="linear", description="Adds twice.", display_name="Linear", pipeline_root="/tmp/root")
    def linear(a: int = 1, b: float = 2.5, text: str = "x", flag: bool = True, items: list = [1]) -> int:  # noqa: B006
        first = add(a=a, b=2)
        second = add(a=first.output, b=3)
        echo(text=f"{text}: {second.output}")
        return second.output

    spec = compile_checked(linear)
    assert spec["pipelineInfo"] == {"name": "linear", "displayName": "Linear", "description": "Adds twice."}
    assert spec["defaultPipelineRoot"] == "/tmp/root"
    assert spec["schemaVersion"] == "2.1.0" and spec["sdkVersion"].startswith("sluice-")
    root = spec["root"]
    assert root["inputDefinitions"]["parameters"]["b"] == {
        "parameterType": "NUMBER_DOUBLE",
        "defaultValue": 2.5,
        "isOptional": True,
    }
    assert root["inputDefinitions"]["parameters"]["items"]["defaultValue"] == [1]
    tasks = root["dag"]["tasks"]
    assert tasks["add"]["inputs"]["parameters"] == {
        "a": {"componentInputParameter": "a"},
        "b": {"runtimeValue": {"constant": 2}},
    }
    assert tasks["add-2"]["inputs"]["parameters"]["a"] == {
        "taskOutputParameter": {"producerTask": "add", "outputParameterKey": "Output"}
    }
    assert tasks["add-2"]["dependentTasks"] == ["add"]
    assert tasks["echo"]["inputs"]["parameters"] == {
        "pipelinechannel--add-2-Output": {
            "taskOutputParameter": {"producerTask": "add-2", "outputParameterKey": "Output"}
        },
        "pipelinechannel--text": {"componentInputParameter": "text"},
        "text": {
            "runtimeValue": {
                "constant": "{{$.inputs.parameters['pipelinechannel--text']}}: "
                "{{$.inputs.parameters['pipelinechannel--add-2-Output']}}"
            }
        },
    }
    assert root["dag"]["outputs"] == {
        "parameters": {
            "Output": {"valueFromParameter": {"producerSubtask": "add-2", "outputParameterKey": "Output"}}
        }
    }
    assert spec["components"]["comp-add-2"]["executorLabel"] == "exec-add-2"
    assert set(spec["deploymentSpec"]["executors"]) == {"exec-add", "exec-add-2", "exec-echo"}


def test_task_settings(compile_checked: Any) -> None:
    @dsl.pipeline
    def settings(cpu: str = "2") -> None:
        echo(text="a").set_cpu_request("500m").set_cpu_limit("1").set_memory_request(
            "512Mi"
        ).set_memory_limit("1G").set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(
            2
        ).set_env_variable("A", "1").set_retry(
            3, backoff_duration="1m", backoff_factor=1.5, backoff_max_duration="1h"
        ).set_caching_options(False).set_display_name("First")
        echo(text="b").set_cpu_limit(cpu).set_caching_options(True, cache_key="v1").set_retry(0)

    spec = compile_checked(settings)
    executors = spec["deploymentSpec"]["executors"]
    assert executors["exec-echo"]["container"]["resources"] == {
        "cpuRequest": 0.5,
        "cpuLimit": 1.0,
        "memoryRequest": 0.536870912,
        "memoryLimit": 1.0,
        "resourceCpuRequest": "500m",
        "resourceCpuLimit": "1",
        "resourceMemoryRequest": "512Mi",
        "resourceMemoryLimit": "1G",
        "accelerator": {
            "type": "nvidia.com/gpu",
            "count": "2",
            "resourceType": "nvidia.com/gpu",
            "resourceCount": "2",
        },
    }
    assert executors["exec-echo"]["container"]["env"] == [{"name": "A", "value": "1"}]
    # A pipeline value as a resource: only the string field, filled from an input of the task.
    assert executors["exec-echo-2"]["container"]["resources"] == {
        "resourceCpuLimit": "{{$.inputs.parameters['pipelinechannel--cpu']}}"
    }
    tasks = spec["root"]["dag"]["tasks"]
    assert tasks["echo"]["taskInfo"] == {"name": "First"}
    assert tasks["echo"]["cachingOptions"] == {}
    assert tasks["echo"]["retryPolicy"] == {
        "maxRetryCount": 3,
        "backoffDuration": "60s",
        "backoffFactor": 1.5,
        "backoffMaxDuration": "3600s",
    }
    assert tasks["echo-2"]["cachingOptions"] == {"enableCache": True, "cacheKey": "v1"}
    assert tasks["echo-2"]["retryPolicy"] == {
        "backoffDuration": "0s",
        "backoffFactor": 2.0,
        "backoffMaxDuration": "3600s",
    }
    assert tasks["echo-2"]["inputs"]["parameters"]["cpu_limit"] == {
        "runtimeValue": {"constant": "{{$.inputs.parameters['pipelinechannel--cpu']}}"}
    }
    assert tasks["echo-2"]["inputs"]["parameters"]["pipelinechannel--cpu"] == {
        "componentInputParameter": "cpu"
    }


def test_conditions(compile_checked: Any) -> None:
    @dsl.pipeline
    def conditions(limit: int = 3, name: str = "n") -> None:
        value = add(a=1, b=2)
        with dsl.If(value.output > limit, name="big"):
            echo(text="big")
        with dsl.Elif(value.output == 2):
            echo(text="two")
        with dsl.Else():
            echo(text="small")
        with dsl.If(value.output == name):
            echo(text="same text")

    spec = compile_checked(conditions)
    branches = spec["components"]["comp-condition-branches-1"]["dag"]["tasks"]
    value = "int(inputs.parameter_values['pipelinechannel--add-Output'])"
    limit = "int(inputs.parameter_values['pipelinechannel--limit'])"
    assert branches["condition-2"]["taskInfo"] == {"name": "big"}
    assert branches["condition-2"]["triggerPolicy"] == {"condition": f"{value} > {limit}"}
    assert branches["condition-3"]["triggerPolicy"] == {"condition": f"!({value} > {limit}) && {value} == 2"}
    assert branches["condition-4"]["triggerPolicy"] == {
        "condition": f"!({value} > {limit}) && !({value} == 2)"
    }
    # An integer compared with a string: both compared as strings.
    condition = spec["root"]["dag"]["tasks"]["condition-5"]["triggerPolicy"]["condition"]
    assert condition == f"string({value}) == inputs.parameter_values['pipelinechannel--name']"
    assert spec["root"]["dag"]["tasks"]["condition-branches-1"]["dependentTasks"] == ["add"]


def test_loops(compile_checked: Any) -> None:
    @dsl.pipeline
    def loops(count: int = 3) -> None:
        with dsl.ParallelFor([{"x": 1, "y": 2}, {"x": 3, "y": 4}], parallelism=2) as item:
            add(a=item.x, b=item.y)
        listed = numbers(count=count)
        with dsl.ParallelFor(listed.output) as number:
            add(a=number, b=1)

    spec = compile_checked(loops)
    tasks = spec["root"]["dag"]["tasks"]
    assert tasks["for-loop-2"]["parameterIterator"] == {
        "items": {"raw": '[{"x": 1, "y": 2}, {"x": 3, "y": 4}]'},
        "itemInput": "pipelinechannel--loop-item-param-1",
    }
    assert tasks["for-loop-2"]["iteratorPolicy"] == {"parallelismLimit": 2}
    assert "inputs" not in tasks["for-loop-2"]
    inner = spec["components"]["comp-for-loop-2"]["dag"]["tasks"]["add"]["inputs"]["parameters"]
    assert inner["a"] == {
        "componentInputParameter": "pipelinechannel--loop-item-param-1",
        "parameterExpressionSelector": 'parseJson(string_value)["x"]',
    }
    assert tasks["for-loop-3"]["parameterIterator"] == {
        "items": {"inputParameter": "pipelinechannel--numbers-Output"},
        "itemInput": "pipelinechannel--numbers-Output-loop-item",
    }
    assert spec["components"]["comp-for-loop-3"]["inputDefinitions"]["parameters"] == {
        "pipelinechannel--numbers-Output": {"parameterType": "LIST"},
        "pipelinechannel--numbers-Output-loop-item": {"parameterType": "NUMBER_INTEGER"},
    }


def test_a_field_of_a_literal_loop_item_inside_nested_groups(compile_checked: Any) -> None:
    # kfp 2.17 cannot compile this (AssertionError): the inner task reads the item through the If group.
    @dsl.pipeline
    def nested(flag: str = "on") -> None:
        with dsl.ParallelFor([{"text": "a"}, {"text": "b"}]) as item, dsl.If(flag == "on"):
            echo(text=item.text)
            with dsl.If(item.text == "a"):
                echo(text=f"first: {item.text}")

    spec = compile_checked(nested)
    outer = spec["components"]["comp-condition-3"]
    assert outer["inputDefinitions"]["parameters"]["pipelinechannel--loop-item-param-1"] == {
        "parameterType": "STRUCT"
    }
    inner = spec["components"]["comp-condition-4"]["dag"]["tasks"]["echo-2"]["inputs"]["parameters"]
    assert inner["pipelinechannel--loop-item-param-1-subvar-text"] == {
        "componentInputParameter": "pipelinechannel--loop-item-param-1",
        "parameterExpressionSelector": 'parseJson(string_value)["text"]',
    }


def test_fan_in_with_collected(compile_checked: Any) -> None:
    @dsl.pipeline
    def fan_in() -> list:
        with dsl.ParallelFor([1, 2]) as value:
            doubled = add(a=value, b=value)
            make_dataset(rows=value)
        total(values=dsl.Collected(doubled.output))
        with dsl.ParallelFor([3]) as again:
            tripled = add(a=again, b=0)
        return dsl.Collected(tripled.output)

    spec = compile_checked(fan_in)
    loop = spec["components"]["comp-for-loop-2"]
    assert loop["outputDefinitions"]["parameters"] == {
        "pipelinechannel--add-Output": {"parameterType": "LIST"}
    }
    assert loop["dag"]["outputs"]["parameters"]["pipelinechannel--add-Output"] == {
        "valueFromParameter": {"producerSubtask": "add", "outputParameterKey": "Output"}
    }
    assert spec["root"]["dag"]["tasks"]["total"]["inputs"]["parameters"]["values"] == {
        "taskOutputParameter": {
            "producerTask": "for-loop-2",
            "outputParameterKey": "pipelinechannel--add-Output",
        }
    }
    assert spec["root"]["dag"]["outputs"]["parameters"]["Output"] == {
        "valueFromParameter": {
            "producerSubtask": "for-loop-4",
            "outputParameterKey": "pipelinechannel--add-2-Output",
        }
    }


def test_artifacts_collected_and_iterated(compile_checked: Any) -> None:
    @dsl.pipeline
    def datasets() -> list[Dataset]:
        with dsl.ParallelFor([1, 2]) as rows:
            made = make_dataset(rows=rows)
        return dsl.Collected(made.outputs["data"])

    @dsl.pipeline
    def uses_datasets() -> None:
        listed = datasets()
        with dsl.ParallelFor(listed.output) as dataset:
            read_dataset(data=dataset)

    spec = compile_checked(uses_datasets)
    loop = spec["root"]["dag"]["tasks"]["for-loop-1"]
    assert loop["artifactIterator"] == {
        "items": {"inputArtifact": "pipelinechannel--datasets-Output"},
        "itemInput": "pipelinechannel--datasets-Output-loop-item",
    }
    assert spec["components"]["comp-datasets"]["outputDefinitions"]["artifacts"]["Output"] == {
        "artifactType": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"},
        "isArtifactList": True,
    }


def test_one_of(compile_checked: Any) -> None:
    @dsl.pipeline
    def choose(flag: str = "a") -> str:
        with dsl.If(flag == "a"):
            first = echo(text="a")
        with dsl.Else():
            second = echo(text="b")
        chosen = dsl.OneOf(first.output, second.output)
        echo(text=chosen)
        return chosen

    spec = compile_checked(choose)
    branches = spec["components"]["comp-condition-branches-1"]
    assert branches["dag"]["outputs"]["parameters"]["pipelinechannel--condition-branches-1-oneof-1"] == {
        "valueFromOneof": {
            "parameterSelectors": [
                {"producerSubtask": "condition-2", "outputParameterKey": "pipelinechannel--echo-Output"},
                {"producerSubtask": "condition-3", "outputParameterKey": "pipelinechannel--echo-2-Output"},
            ]
        }
    }
    assert spec["root"]["dag"]["outputs"]["parameters"]["Output"] == {
        "valueFromParameter": {
            "producerSubtask": "condition-branches-1",
            "outputParameterKey": "pipelinechannel--condition-branches-1-oneof-1",
        }
    }


def test_exit_handler_and_upstream_failures(compile_checked: Any) -> None:
    @dsl.pipeline
    def guarded(note: str = "x") -> None:
        with dsl.ExitHandler(report(note=note), name="guard") as handler:
            echo(text=note)
        echo(text="after").after(handler)
        risky = echo(text="risky")
        report().after(risky).ignore_upstream_failure()

    spec = compile_checked(guarded)
    tasks = spec["root"]["dag"]["tasks"]
    assert tasks["exit-handler-1"]["taskInfo"] == {"name": "guard"}
    assert tasks["report"]["dependentTasks"] == ["exit-handler-1"]
    assert tasks["report"]["triggerPolicy"] == {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}
    assert tasks["report"]["inputs"]["parameters"] == {
        "note": {"componentInputParameter": "note"},
        "status": {"taskFinalStatus": {"producerTask": "exit-handler-1"}},
    }
    assert tasks["echo-2"]["dependentTasks"] == ["exit-handler-1"]
    assert tasks["report-2"]["triggerPolicy"] == {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}
    assert tasks["report-2"]["inputs"]["parameters"]["status"] == {
        "taskFinalStatus": {"producerTask": "echo-3"}
    }
    assert spec["components"]["comp-report"]["inputDefinitions"]["parameters"]["status"] == {
        "parameterType": "TASK_FINAL_STATUS",
        "isOptional": True,
    }


def test_importer(compile_checked: Any) -> None:
    @dsl.pipeline
    def imports(uri: str = "gs://b/x", owner: str = "me") -> None:
        fixed = dsl.importer(artifact_uri="gs://b/fixed", artifact_class=Model, reimport=True)
        dynamic = dsl.importer(artifact_uri=uri, artifact_class=Dataset, metadata={"owner": owner, "n": 1})
        read_dataset(data=dynamic.output)
        assert fixed.output.type.schema_title == "system.Model"  # type: ignore[union-attr]  # an artifact

    spec = compile_checked(imports)
    executors = spec["deploymentSpec"]["executors"]
    assert executors["exec-importer"]["importer"] == {
        "artifactUri": {"constant": "gs://b/fixed"},
        "typeSchema": {"schemaTitle": "system.Model", "schemaVersion": "0.0.1"},
        "reimport": True,
    }
    assert executors["exec-importer-2"]["importer"] == {
        "artifactUri": {"runtimeParameter": "uri"},
        "typeSchema": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"},
        "metadata": {"owner": "{{$.inputs.parameters['metadata']}}", "n": 1},
    }
    assert spec["root"]["dag"]["tasks"]["importer-2"]["inputs"]["parameters"] == {
        "uri": {"componentInputParameter": "uri"},
        "metadata": {"componentInputParameter": "owner"},
    }


def test_nested_pipelines_rename_clashing_components(compile_checked: Any) -> None:
    class Pair(NamedTuple):
        text: str
        data: Dataset

    @dsl.pipeline
    def inner(text: str) -> Pair:
        first = echo(text=text)
        second = echo(text=first.output)
        made = make_dataset(rows=1)
        return Pair(second.output, made.outputs["data"])  # type: ignore[arg-type]  # channels stand for values

    @dsl.pipeline
    def outer() -> None:
        echo(text="outer")
        one = inner(text="a")
        two = inner(text=one.outputs["text"])
        read_dataset(data=two.outputs["data"])

    spec = compile_checked(outer)
    components = spec["components"]
    # Every component runs the function it is named after, whatever the renames.
    for name, component in components.items():
        label = component.get("executorLabel")
        if label is not None and name.startswith("comp-echo"):
            assert spec["deploymentSpec"]["executors"][label]["container"]["args"][-1] == "echo"
    assert len({component.get("executorLabel") for component in components.values()} - {None}) == len(
        spec["deploymentSpec"]["executors"]
    )
    assert spec["root"]["dag"]["tasks"]["read-dataset"]["inputs"]["artifacts"]["data"] == {
        "taskOutputArtifact": {"producerTask": "inner-2", "outputArtifactKey": "data"}
    }


def test_a_single_component_compiles_to_a_pipeline_of_one_task(compile_checked: Any) -> None:
    spec = compile_checked(train)
    assert spec["pipelineInfo"] == {"name": "train"}
    assert spec["root"]["dag"]["tasks"]["train"]["inputs"] == {
        "artifacts": {"data": {"componentInputArtifact": "data"}}
    }
    assert spec["root"]["dag"]["outputs"]["artifacts"]["model"] == {
        "artifactSelectors": [{"producerSubtask": "train", "outputArtifactKey": "model"}]
    }
    assert spec["components"]["comp-train"]["executorLabel"] == "exec-train"


def test_compile_time_overrides(compile_checked: Any) -> None:
    @dsl.pipeline
    def overridden(count: int = 1, ratio: float = 0.5, text: str = "x") -> None:
        add(a=count, b=1)
        echo(text=text)

    spec = compile_checked(
        overridden, pipeline_name="renamed", pipeline_parameters={"count": 7, "ratio": 1, "text": "y"}
    )
    assert spec["pipelineInfo"]["name"] == "renamed"
    parameters = spec["root"]["inputDefinitions"]["parameters"]
    assert parameters["count"]["defaultValue"] == 7
    assert parameters["ratio"]["defaultValue"] == 1.0 and isinstance(
        parameters["ratio"]["defaultValue"], float
    )
    assert parameters["text"]["defaultValue"] == "y"
    with pytest.raises(dsl.PipelineDefinitionError, match=r"typed Integer but its default 'seven'"):
        compiler.compile_to_spec(overridden, pipeline_parameters={"count": "seven"})


def test_json_output(tmp_path: Path) -> None:
    @dsl.pipeline
    def as_json() -> None:
        echo(text="x")

    target = tmp_path / "pipeline.json"
    compiler.Compiler().compile(as_json, target)
    document = ir.parse_pipeline(target.read_text())
    assert document.spec.pipeline_info is not None and document.spec.pipeline_info.name == "as-json"


def test_compiling_is_deterministic() -> None:
    @dsl.pipeline
    def twice() -> None:
        listed = numbers(count=2)
        with dsl.ParallelFor(listed.output) as value:
            add(a=value, b=1)

    assert ir.dump_pipeline(compiler.compile_to_spec(twice)) == ir.dump_pipeline(
        compiler.compile_to_spec(twice)
    )


def test_input_artifacts_of_a_pipeline(compile_checked: Any) -> None:
    @dsl.pipeline
    def with_artifact(data: Input[Dataset]) -> None:
        read_dataset(data=data)
        with dsl.ParallelFor([1]):
            read_dataset(data=data)

    spec = compile_checked(with_artifact)
    assert spec["root"]["dag"]["tasks"]["read-dataset"]["inputs"]["artifacts"]["data"] == {
        "componentInputArtifact": "data"
    }
    loop_inputs = spec["components"]["comp-for-loop-2"]["dag"]["tasks"]["read-dataset-2"]["inputs"]
    assert loop_inputs["artifacts"]["data"] == {"componentInputArtifact": "pipelinechannel--data"}


def test_output_artifacts_of_containers_are_allowed(compile_checked: Any) -> None:
    @dsl.container_component
    def writer(out: Output[Dataset]) -> dsl.ContainerSpec:
        return dsl.ContainerSpec(image="alpine", command=["touch", out.path])

    @dsl.pipeline
    def writes() -> Dataset:
        return writer().outputs["out"]

    spec = compile_checked(writes)
    assert spec["deploymentSpec"]["executors"]["exec-writer"]["container"] == {
        "image": "alpine",
        "command": ["touch", "{{$.outputs.artifacts['out'].path}}"],
    }
