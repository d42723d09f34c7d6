"""A stricter check of a compiled pipeline than ``sluice.ir.check_references``: every value a task reads exists.

A task that reads ``componentInputParameter: x`` needs ``x`` among its DAG's inputs; one that reads
``taskOutputParameter`` needs the producer in the same DAG, with that output; an iterator's items must
be an input of the loop task; a DAG output must select an existing output of a child.
"""

from __future__ import annotations

from sluice import ir


def _outputs_of(spec: ir.PipelineSpec, task: ir.PipelineTaskSpec) -> ir.ComponentOutputsSpec:
    assert task.component_ref is not None and task.component_ref.name is not None
    component = spec.components[task.component_ref.name]
    return component.output_definitions or ir.ComponentOutputsSpec()


def _check_dag(spec: ir.PipelineSpec, where: str, component: ir.ComponentSpec, problems: list[str]) -> None:
    dag = component.dag
    assert dag is not None
    inputs = component.input_definitions or ir.ComponentInputsSpec()
    for task_name, task in dag.tasks.items():
        at = f"{where}.{task_name}"
        task_inputs = task.inputs or ir.TaskInputsSpec()
        for name, parameter in task_inputs.parameters.items():
            if (
                parameter.component_input_parameter is not None
                and parameter.component_input_parameter not in (inputs.parameters)
            ):
                problems.append(
                    f"{at}: input {name!r} reads missing parameter {parameter.component_input_parameter!r}"
                )
            source = parameter.task_output_parameter
            if source is not None:
                producer = dag.tasks.get(source.producer_task or "")
                if producer is None:
                    problems.append(
                        f"{at}: input {name!r} reads from {source.producer_task!r}, not in this DAG"
                    )
                elif source.output_parameter_key not in _outputs_of(spec, producer).parameters:
                    problems.append(
                        f"{at}: {source.producer_task!r} has no output {source.output_parameter_key!r}"
                    )
                elif source.producer_task not in task.dependent_tasks:
                    problems.append(f"{at}: reads {source.producer_task!r} without depending on it")
        for name, artifact in task_inputs.artifacts.items():
            if artifact.component_input_artifact is not None and artifact.component_input_artifact not in (
                inputs.artifacts
            ):
                problems.append(
                    f"{at}: input {name!r} reads missing artifact {artifact.component_input_artifact!r}"
                )
            source_artifact = artifact.task_output_artifact
            if source_artifact is not None:
                producer = dag.tasks.get(source_artifact.producer_task or "")
                if producer is None:
                    problems.append(
                        f"{at}: input {name!r} reads from {source_artifact.producer_task!r}, not here"
                    )
                elif source_artifact.output_artifact_key not in _outputs_of(spec, producer).artifacts:
                    problems.append(
                        f"{at}: {source_artifact.producer_task!r} has no output {source_artifact.output_artifact_key!r}"
                    )
        iterator = task.parameter_iterator
        items = iterator.items if iterator is not None else None
        if items is not None and items.input_parameter not in (None, *task_inputs.parameters):
            problems.append(f"{at}: iterates over {items.input_parameter!r}, not one of its inputs")
        artifact_iterator = task.artifact_iterator
        artifact_items = artifact_iterator.items if artifact_iterator is not None else None
        if artifact_items is not None and artifact_items.input_artifact not in task_inputs.artifacts:
            problems.append(f"{at}: iterates over {artifact_items.input_artifact!r}, not an input")
        for upstream in task.dependent_tasks:
            if upstream not in dag.tasks:
                problems.append(f"{at}: depends on {upstream!r}, not in this DAG")
    outputs = dag.outputs or ir.DagOutputsSpec()
    for name, output in outputs.parameters.items():
        selectors = (
            [output.value_from_parameter]
            if output.value_from_parameter is not None
            else (output.value_from_oneof.parameter_selectors if output.value_from_oneof else [])
        )
        for selector in selectors:
            child = dag.tasks.get(selector.producer_subtask or "")
            if child is None or selector.output_parameter_key not in _outputs_of(spec, child).parameters:
                problems.append(f"{where}: output {name!r} selects a missing {selector}")
    for name, artifact_output in outputs.artifacts.items():
        for artifact_selector in artifact_output.artifact_selectors:
            child = dag.tasks.get(artifact_selector.producer_subtask or "")
            if (
                child is None
                or artifact_selector.output_artifact_key not in _outputs_of(spec, child).artifacts
            ):
                problems.append(f"{where}: output {name!r} selects a missing {artifact_selector}")


def wiring_problems(spec: ir.PipelineSpec) -> list[str]:
    problems: list[str] = []
    assert spec.root is not None
    _check_dag(spec, "root", spec.root, problems)
    for name, component in spec.components.items():
        if component.dag is not None:
            _check_dag(spec, name, component, problems)
    return problems


def assert_wired(spec: ir.PipelineSpec) -> None:
    problems = wiring_problems(spec)
    assert not problems, "\n".join(problems)
