"""Loops (``ParallelFor``): a loop node expands into one iteration node per item, each running the loop's body
DAG with its item bound to the item input.

Items come from JSON in the spec, from an input parameter (a list, or JSON text of one) or from a list of
input artifacts. At most ``iteratorPolicy.parallelismLimit`` iterations run at once (all of them when it
is unset); when the last one ends, the loop collects its iterations' outputs (a list per parameter output,
one flat list per artifact output) and fails if any iteration failed or was canceled.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sluice.engine._context import RunContext
from sluice.engine._dag import enter_dag
from sluice.engine._errors import TaskError
from sluice.engine._graph import ArtifactValue, Node, values_json
from sluice.engine._observer import notify_task_changed
from sluice.engine._state import RunState
from sluice.engine._values import coerce_value
from sluice.store import RuntimeState, TaskKind

__all__ = ["iteration_ended", "start_loop"]

_S = RuntimeState


def start_loop(ctx: RunContext, state: RunState, loop: Node) -> None:
    """Expand a started loop node (its inputs resolved) into its iterations and start the first ones."""
    try:
        item_input, items = _items(loop)
    except TaskError as error:
        state.fail(loop, error.message)
        return
    state.set_state(loop, _S.RUNNING, inputs=values_json(loop.input_parameters, loop.input_artifacts))
    loop.item = item_input
    for index, item in enumerate(items):
        iteration = state.add_node(
            path=f"{loop.path}/{index}",
            name=f"{loop.name}-{index}",
            display_name=f"{loop.display_name}[{index}]",
            kind=TaskKind.LOOP_ITERATION,
            component_name=loop.component_name or "",
            component=loop.component,
            task_spec=None,
            parent=loop.parent,
            iteration_index=index,
        )
        iteration.item = item
        iteration.loop = loop
        loop.iterations.append(iteration)
    loop.iterations_unfinished = sum(1 for iteration in loop.iterations if not iteration.is_terminal)
    if loop.iterations_unfinished == 0:
        _complete_loop(state, loop)
        return
    _start_iterations(ctx, state, loop)


def iteration_ended(ctx: RunContext, state: RunState, iteration: Node) -> None:
    """One iteration ended: start the next one in its place, or end the loop after its last."""
    loop = iteration.loop
    assert loop is not None
    loop.iterations_active -= 1
    loop.iterations_unfinished -= 1
    notify_task_changed(ctx.observer, loop)
    if loop.iterations_unfinished == 0:
        _complete_loop(state, loop)
    elif not state.canceled:
        _start_iterations(ctx, state, loop)


def _items(loop: Node) -> tuple[str, list[Any]]:
    """The name of the loop's item input and the items; TaskError when there is no list to loop over."""
    task_spec = loop.task_spec
    assert task_spec is not None
    if task_spec.parameter_iterator is None:
        artifact_iterator = task_spec.artifact_iterator
        assert artifact_iterator is not None
        source = artifact_iterator.items.input_artifact if artifact_iterator.items else None
        if source is None or source not in loop.input_artifacts:
            raise TaskError(loop.path, f"loop items artifact {source!r} has no value")
        return artifact_iterator.item_input or "", list(loop.input_artifacts[source])
    iterator = task_spec.parameter_iterator
    raw_items: Any
    if iterator.items is not None and iterator.items.raw is not None:
        try:
            raw_items = json.loads(iterator.items.raw)
        except ValueError:
            raise TaskError(
                loop.path, f"loop items are not valid JSON: {iterator.items.raw[:80]!r}"
            ) from None
    else:
        source = iterator.items.input_parameter if iterator.items else None
        if source is None or source not in loop.input_parameters:
            raise TaskError(loop.path, f"loop items input {source!r} has no value")
        raw_items = loop.input_parameters[source]
        if isinstance(raw_items, str):
            with contextlib.suppress(ValueError):
                raw_items = json.loads(raw_items)
    if not isinstance(raw_items, list):
        raise TaskError(loop.path, f"loop items must be a list, got {type(raw_items).__name__}")
    return iterator.item_input or "", raw_items


def _parallelism_limit(loop: Node) -> int:
    assert loop.task_spec is not None
    policy = loop.task_spec.iterator_policy
    limit = policy.parallelism_limit if policy is not None else None
    return limit if limit and limit > 0 else len(loop.iterations)


def _start_iterations(ctx: RunContext, state: RunState, loop: Node) -> None:
    """Enter iterations in order while fewer than the limit run (a resumed run's finished ones are passed)."""
    limit = _parallelism_limit(loop)
    while loop.iterations_active < limit and loop.iterations_started < len(loop.iterations):
        iteration = loop.iterations[loop.iterations_started]
        loop.iterations_started += 1
        if iteration.is_terminal:
            continue
        loop.iterations_active += 1
        parameters = dict(loop.input_parameters)
        artifacts = dict(loop.input_artifacts)
        item_input = str(loop.item)
        if isinstance(iteration.item, ArtifactValue):
            artifacts[item_input] = [iteration.item]
        else:
            definitions = loop.component.input_definitions
            definition = definitions.parameters.get(item_input) if definitions else None
            value = iteration.item
            if definition is not None and not isinstance(value, dict | list):
                with contextlib.suppress(ValueError):
                    value = coerce_value(value, definition.parameter_type)
            parameters[item_input] = value
        iteration.started = True
        iteration.input_parameters, iteration.input_artifacts = parameters, artifacts
        enter_dag(ctx, state, iteration)


def _complete_loop(state: RunState, loop: Node) -> None:
    failed = [iteration for iteration in loop.iterations if iteration.state in (_S.FAILED, _S.CANCELED)]
    dag = loop.component.dag
    outputs = dag.outputs if dag else None
    for key in outputs.parameters if outputs else {}:
        collected: list[Any] = []
        for iteration in loop.iterations:
            # Nested loops give nested lists, as kfp does; artifact lists (below) are flat.
            if iteration.succeeded and key in iteration.parameters:
                collected.append(iteration.parameters[key])
        loop.parameters[key] = collected
    for key in outputs.artifacts if outputs else {}:
        loop.artifacts[key] = [
            artifact
            for iteration in loop.iterations
            if iteration.succeeded
            for artifact in iteration.artifacts.get(key, [])
        ]
    if failed:
        first = failed[0]
        state.fail(
            loop, f"iteration {first.iteration_index} {first.state.lower()}: {first.error or ''}".strip()
        )
    else:
        state.finish(loop, _S.SUCCEEDED)
