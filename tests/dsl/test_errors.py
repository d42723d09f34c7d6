"""Mistakes in a pipeline are reported when it is defined, naming the task and the user's file and line."""

from __future__ import annotations

from typing import Any

import pytest

from sluice import compiler, dsl
from sluice.dsl import PipelineDefinitionError

from .components import add, echo, make_dataset, numbers, read_dataset, report, total
from .support import line_of

HERE = __file__


def _expect(error: pytest.ExceptionInfo[PipelineDefinitionError], marker: str, *fragments: str) -> None:
    line = line_of(HERE, marker)
    message = str(error.value)
    assert message.startswith(f"{HERE}:{line}: "), message
    assert error.value.location is not None and error.value.location.line == line
    for fragment in fragments:
        assert fragment in message, message


def test_an_artifact_passed_to_a_parameter() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            made = make_dataset(rows=3)
            echo(text=made.outputs["data"])  # artifact-to-parameter

    _expect(
        error, "artifact-to-parameter", "task 'echo'", "input 'text'", "a parameter (String)", "an artifact"
    )
    assert error.value.task == "echo"


def test_a_parameter_passed_to_an_artifact() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(path: str = "x") -> None:
            read_dataset(data=path)  # parameter-to-artifact

    _expect(
        error, "parameter-to-artifact", "task 'read-dataset'", "input 'data'", "an artifact (system.Dataset"
    )


def test_a_constant_passed_to_an_artifact() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            read_dataset(data="gs://bucket/file")  # constant-to-artifact

    _expect(error, "constant-to-artifact", "expects an artifact", "'gs://bucket/file'")


def test_a_parameter_of_the_wrong_type() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            add(a="one", b=2)  # wrong-type

    _expect(error, "wrong-type", "input 'a'", "Integer", "'one'")


def test_a_missing_required_input() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            add(a=1)  # missing-input

    _expect(error, "missing-input", "task 'add'", "add() is missing required argument: b")


def test_an_unknown_argument() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            add(a=1, b=2, c=3)  # unknown-argument

    _expect(error, "unknown-argument", "task 'add'", "unexpected argument 'c'", "its inputs: a, b")


def test_positional_arguments() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            add(1, 2)  # positional

    _expect(error, "positional", "keyword arguments only")


def test_a_cycle_made_with_after() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            first = echo(text="a")
            second = echo(text=first.output)
            first.after(second)  # cycle

    _expect(error, "cycle", "cycle", "echo -> echo-2 -> echo", "'echo' .after() on 'echo-2'")


def test_a_task_after_itself() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            task = echo(text="a")
            task.after(task)  # self-cycle

    _expect(error, "self-cycle", "cycle", "echo -> echo")


def test_a_default_that_is_not_json() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.component
        def component(value: dict = {"when": object()}) -> None:  # noqa: B006, B008  # bad-default
            pass

    line = line_of(HERE, "bad-default")
    assert error.value.location is not None and error.value.location.file == HERE
    # The function's location: its first line (the decorator) or the def line.
    assert error.value.location.line in (line - 1, line)
    assert "parameter 'value'" in str(error.value) and "not JSON-serialisable" in str(error.value)


def test_a_default_of_the_wrong_type() -> None:
    with pytest.raises(
        PipelineDefinitionError, match=r"parameter 'count' is typed Integer but its default 'three'"
    ):

        @dsl.component
        def component(count: int = "three") -> None:  # type: ignore[assignment]
            pass


def test_a_pipeline_default_that_is_not_json() -> None:
    with pytest.raises(PipelineDefinitionError, match="not JSON-serialisable"):

        @dsl.pipeline
        def pipeline(value: float = float("nan")) -> None:
            echo(text="x")


def test_a_loop_item_used_outside_its_loop() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            with dsl.ParallelFor([1, 2]) as item:
                add(a=item, b=1)
            add(a=item, b=2)  # item-outside-loop

    _expect(error, "item-outside-loop", "task 'add-2'", "loop item 'loop-item-param-1'", "outside that loop")


def test_a_loop_item_field_used_outside_its_loop() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            with dsl.ParallelFor([{"text": "a"}]) as item:
                echo(text=item.text)
            echo(text=f"late {item.text}")  # field-outside-loop

    _expect(error, "field-outside-loop", "loop-item-param-1-subvar-text", "outside that loop")


def test_loop_item_keys_that_clash_with_its_attributes() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            with dsl.ParallelFor([{"name": "a", "size": 1}]) as item:  # clashing-keys
                echo(text=item.name)

    _expect(error, "clashing-keys", "the key(s) 'name'", "rename them")


def test_a_pipeline_output_from_inside_a_condition() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(flag: str = "yes") -> str:
            with dsl.If(flag == "yes"):
                inside = echo(text="x")  # output-in-condition
            return inside.output

    _expect(error, "output-in-condition", "returns 'Output' from task 'echo'", "dsl.If/Elif/Else group")


def test_a_pipeline_output_from_inside_a_loop() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> int:
            with dsl.ParallelFor([1, 2]) as item:
                inside = add(a=item, b=1)  # output-in-loop
            return inside.output

    _expect(error, "output-in-loop", "dsl.ParallelFor loop 'for-loop-2'", "dsl.Collected")


def test_pipeline_outputs_through_collected_and_oneof_are_allowed() -> None:
    @dsl.pipeline
    def collected() -> list:
        with dsl.ParallelFor([1, 2]) as item:
            inside = add(a=item, b=1)
        return dsl.Collected(inside.output)

    @dsl.pipeline
    def one_of(flag: str = "yes") -> str:
        with dsl.If(flag == "yes"):
            yes = echo(text="y")
        with dsl.Else():
            no = echo(text="n")
        return dsl.OneOf(yes.output, no.output)

    assert collected.component_spec.outputs and one_of.component_spec.outputs


def test_a_loop_output_used_outside_without_collected() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            with dsl.ParallelFor([1, 2]) as item:
                inside = add(a=item, b=1)
            add(a=inside.output, b=1)  # loop-output-outside

    _expect(error, "loop-output-outside", "task 'add-2'", "uses an output of 'add'", "dsl.Collected")


def test_a_condition_output_used_outside() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(flag: str = "yes") -> None:
            with dsl.If(flag == "yes"):
                inside = echo(text="x")
            echo(text=inside.output)  # condition-output-outside

    _expect(error, "condition-output-outside", "task 'echo-2'", "inside dsl.If/Elif/Else group", "dsl.OneOf")


def test_after_across_a_condition_boundary() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(flag: str = "yes") -> None:
            with dsl.If(flag == "yes"):
                inside = echo(text="x")
            echo(text="y").after(inside)  # after-condition

    _expect(
        error, "after-condition", "task 'echo-2'", "runs after 'echo'", "dsl.If/Elif/Else group 'condition-1'"
    )


def test_after_across_an_exit_handler_boundary() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            with dsl.ExitHandler(report()):
                inside = echo(text="x")
            echo(text="y").after(inside)  # after-exit-handler

    _expect(error, "after-exit-handler", "runs after 'echo'", "dsl.ExitHandler group 'exit-handler-1'")


def test_after_a_task_inside_a_loop_is_allowed_and_waits_for_the_loop() -> None:
    @dsl.pipeline
    def pipeline() -> None:
        with dsl.ParallelFor([1, 2]) as item:
            inside = add(a=item, b=1)
        echo(text="done").after(inside)

    spec = compiler.compile_to_spec(pipeline).to_dict()
    assert spec["root"]["dag"]["tasks"]["echo"]["dependentTasks"] == ["for-loop-2"]


def test_an_unsupported_annotation() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.component
        def component(value: set) -> None:  # unsupported-annotation
            pass

    assert error.value.location is not None and error.value.location.file == HERE
    assert "parameter 'value'" in str(error.value) and "unsupported type annotation" in str(error.value)


def test_an_unsupported_return_annotation() -> None:
    with pytest.raises(
        PipelineDefinitionError, match="the return value of 'component' has an unsupported type"
    ):

        @dsl.component
        def component() -> complex:
            return 1j


def test_a_missing_annotation() -> None:
    with pytest.raises(
        PipelineDefinitionError, match="parameter 'value' of 'component' has no type annotation"
    ):

        @dsl.component
        def component(value) -> None:
            pass


def test_a_task_name_that_clashes_with_a_group_name() -> None:
    @dsl.component
    def condition_1() -> str:
        return "x"

    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(flag: str = "y") -> None:
            with dsl.If(flag == "y"):
                echo(text="x")
            condition_1()  # name-clash

    _expect(
        error, "name-clash", "task 'condition-1'", "also the name of dsl.If/Elif/Else group 'condition-1'"
    )


def test_calling_a_component_outside_a_pipeline() -> None:
    """Without sluice.local.init, kfp's RuntimeError, with where the call is (tests/local runs it)."""
    with pytest.raises(RuntimeError) as error:
        add(a=1, b=2)  # outside-pipeline
    message = str(error.value)
    assert message.startswith(f"{HERE}:{line_of(HERE, 'outside-pipeline')}: "), message
    assert "Please run 'sluice.local.init()'" in message
    assert "called outside a @dsl.pipeline function" in message


def test_final_status_only_in_exit_tasks() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            report(note="x")  # status-outside-exit

    _expect(error, "status-outside-exit", "PipelineTaskFinalStatus", "exit task")


def test_exit_task_cannot_depend_on_tasks() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            first = echo(text="x")
            with dsl.ExitHandler(report(note=first.output)):  # dependent-exit-task
                echo(text="y")

    _expect(error, "dependent-exit-task", "cannot depend on other tasks")


def test_exit_handler_only_at_the_top_level() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(flag: str = "y") -> None:
            with dsl.If(flag == "y"):  # noqa: SIM117 (the nesting is the point)
                with dsl.ExitHandler(report()):  # nested-exit-handler
                    echo(text="y")

    _expect(error, "nested-exit-handler", "top level")


def test_elif_without_if() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(flag: str = "y") -> None:
            echo(text="x")
            with dsl.Elif(flag == "y"):  # lonely-elif
                echo(text="y")

    _expect(error, "lonely-elif", "dsl.Elif must follow a dsl.If or dsl.Elif")


def test_else_after_else() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(flag: str = "y") -> None:
            with dsl.If(flag == "y"):
                echo(text="x")
            with dsl.Else():
                echo(text="y")
            with dsl.Else():  # second-else
                echo(text="z")

    _expect(error, "second-else", "cannot follow a dsl.Else")


def test_a_condition_decided_in_python() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            with dsl.If(1 == 1):  # constant-condition
                echo(text="x")

    _expect(error, "constant-condition", "got the constant True")


def test_a_python_if_on_a_pipeline_value() -> None:
    with pytest.raises(PipelineDefinitionError, match="only known when the pipeline runs"):

        @dsl.pipeline
        def pipeline(flag: str = "y") -> None:
            if flag == "y":
                echo(text="x")


def test_looping_over_a_single_value() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(count: int = 3) -> None:
            with dsl.ParallelFor(count) as item:  # loop-over-int
                add(a=item, b=1)

    _expect(error, "loop-over-int", "cannot iterate over 'count' of type Integer")


def test_collected_outside_any_loop() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            listed = numbers(count=3)
            total(values=dsl.Collected(listed.output))  # collected-no-loop

    _expect(error, "collected-no-loop", "dsl.Collected", "is not in a loop")


def test_oneof_without_else() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline(flag: str = "y") -> str:
            with dsl.If(flag == "y"):
                yes = echo(text="y")
            with dsl.Elif(flag == "n"):
                no = echo(text="n")
            return dsl.OneOf(yes.output, no.output)  # oneof-no-else

    _expect(error, "oneof-no-else", "dsl.Else")


def test_oneof_of_mixed_types() -> None:
    with pytest.raises(PipelineDefinitionError, match="must all be the same type"):

        @dsl.pipeline
        def pipeline(flag: str = "y") -> None:
            with dsl.If(flag == "y"):
                yes = echo(text="y")
            with dsl.Else():
                no = add(a=1, b=2)
            echo(text=dsl.OneOf(yes.output, no.output))


def test_resources_are_validated() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            echo(text="x").set_memory_limit("lots")  # bad-memory

    _expect(error, "bad-memory", "set_memory_limit('lots')", "a size like '512Mi'")


def test_settings_on_a_pipeline_task() -> None:
    @dsl.pipeline
    def inner() -> None:
        echo(text="x")

    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def outer() -> None:
            inner().set_cpu_limit("1")  # cpu-on-pipeline

    _expect(error, "cpu-on-pipeline", "only applies to tasks that run a container")


def test_output_of_a_task_with_several_outputs() -> None:
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def pipeline() -> None:
            from .components import train

            made = make_dataset(rows=1)
            trained = train(data=made.outputs["data"])
            echo(text=trained.output)  # several-outputs

    _expect(error, "several-outputs", "has 2 outputs", "task.outputs[<name>]")


def test_a_pipeline_returning_an_undeclared_output() -> None:
    with pytest.raises(PipelineDefinitionError, match="its return annotation does not declare"):

        @dsl.pipeline
        def pipeline() -> None:
            return echo(text="x").output


def test_a_pipeline_without_tasks() -> None:
    with pytest.raises(PipelineDefinitionError, match="has no tasks"):

        @dsl.pipeline
        def pipeline() -> None:
            pass


def test_an_invalid_pipeline_name() -> None:
    with pytest.raises(PipelineDefinitionError, match="pipeline name '' is not valid"):

        @dsl.pipeline(name="???")
        def pipeline() -> None:
            echo(text="x")


def test_compile_errors_write_nothing(tmp_path: Any) -> None:
    @dsl.pipeline
    def pipeline(text: str = "x") -> None:
        echo(text=text)

    target = tmp_path / "pipeline.yaml"
    with pytest.raises(PipelineDefinitionError, match="not a parameter of pipeline"):
        compiler.Compiler().compile(pipeline, target, pipeline_parameters={"nope": 1})
    with pytest.raises(PipelineDefinitionError, match=r"should end with \.yaml"):
        compiler.Compiler().compile(pipeline, tmp_path / "pipeline.txt")
    assert list(tmp_path.iterdir()) == []


def test_compiling_something_else() -> None:
    with pytest.raises(PipelineDefinitionError, match=r"expected a @dsl\.pipeline function or a component"):
        compiler.compile_to_spec(lambda: None)  # type: ignore[arg-type]


def test_all_errors_are_value_errors() -> None:
    assert issubclass(PipelineDefinitionError, ValueError)
