"""Starting a node whose upstream tasks have all ended.

First its trigger policy: unless it runs after all upstream tasks whatever their end
(``ALL_UPSTREAM_TASKS_COMPLETED``, exit handlers), an upstream task that did not succeed skips it. Then its
inputs are resolved and its CEL condition evaluated (false: skipped). What runs it depends on its kind: a
loop expands, a DAG is entered, an importer runs at once, and a container task goes on the ``ready`` list
for the scheduler.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sluice.engine._cel import CelError, evaluate_condition
from sluice.engine._context import RunContext
from sluice.engine._dag import enter_dag
from sluice.engine._errors import TaskError
from sluice.engine._graph import Node
from sluice.engine._importer import run_importer
from sluice.engine._inputs import resolve_task_inputs
from sluice.engine._loops import start_loop
from sluice.engine._state import RunState
from sluice.ir import TriggerStrategy
from sluice.store import TaskKind

__all__ = ["start"]

_ENDED = {"FAILED": "failed", "CANCELED": "was canceled", "SKIPPED": "was skipped"}


def start(ctx: RunContext, state: RunState, node: Node) -> None:
    """Decide whether ``node`` runs, resolve its inputs, and hand it to what runs its kind."""
    task_spec = node.task_spec
    scope = node.parent
    assert task_spec is not None and scope is not None
    node.started = True
    policy = task_spec.trigger_policy
    strategy = policy.strategy if policy else None
    if strategy is not TriggerStrategy.ALL_UPSTREAM_TASKS_COMPLETED:
        for name in sorted(node.upstream):
            upstream = scope.children[name]
            if not upstream.succeeded:
                ended = _ENDED.get(upstream.state, upstream.state)
                state.skip(node, f"upstream task {upstream.display_name!r} {ended}")
                return
    item_input = None
    if task_spec.parameter_iterator is not None:
        item_input = task_spec.parameter_iterator.item_input
    elif task_spec.artifact_iterator is not None:
        item_input = task_spec.artifact_iterator.item_input
    try:
        parameters, artifacts = resolve_task_inputs(
            node.path,
            task_spec,
            node.component,
            scope,
            partial(_final_status, ctx),
            ctx.placeholder_context(node),
            bound_later=item_input,
        )
    except TaskError as error:
        state.fail(node, error.message)
        return
    node.input_parameters, node.input_artifacts = parameters, artifacts
    if policy is not None and policy.condition:
        try:
            holds = evaluate_condition(policy.condition, parameters)
        except CelError as error:
            state.fail(node, f"trigger condition: {error}")
            return
        if not holds:
            state.skip(node, f"condition is false: {policy.condition}")
            return
    if node.kind is TaskKind.LOOP:
        start_loop(ctx, state, node)
    elif node.component.dag is not None:
        enter_dag(ctx, state, node)
    elif node.kind is TaskKind.IMPORTER:
        run_importer(ctx, state, node)
    else:
        state.ready.append(node)


# The producer's end as ML Metadata records the execution, which is what KFP's backend (its MLMD driver)
# puts in ``state``: a skipped task was never triggered, which MLMD calls CANCELED. kfp.local instead says
# SUCCEEDED/FAILED; the backend is the reference.
_MLMD_STATES = {"SUCCEEDED": "COMPLETE", "FAILED": "FAILED", "CANCELED": "CANCELED", "SKIPPED": "CANCELED"}


def _final_status(ctx: RunContext, producer: Node) -> dict[str, Any]:
    """``PipelineTaskFinalStatus`` of ``producer`` (the exit handler's group, or the task an
    ``ignore_upstream_failure`` task waited for), as KFP's backend fills it.

    ``pipelineTaskName`` is the producer's task name (``exit-handler-1``), ``pipelineJobResourceName`` the
    run's resource name (``<pipeline>-<suffix>``). ``error`` (a ``google.rpc.Status``) is empty when the
    producer completed; otherwise it carries the failure's message, as KFP's driver fills it since its
    released 2.x left it a TODO: an exit handler that reports failures needs the message.
    """
    state = _MLMD_STATES.get(producer.state.value, "FAILED") if producer.is_terminal else "FAILED"
    if state == "COMPLETE" and producer.cached_from is not None and producer.kind is TaskKind.CONTAINER:
        state = "CACHED"
    return {
        "state": state,
        "pipelineJobResourceName": ctx.job_resource_name,
        "pipelineTaskName": producer.display_name,
        "error": _status_error(state, producer.error),
    }


def _status_error(state: str, message: str | None) -> dict[str, Any]:
    if state in ("COMPLETE", "CACHED"):
        return {}
    # google.rpc.Code: CANCELLED is 1, UNKNOWN (any other failure) 2.
    return {"code": 1 if state == "CANCELED" else 2, "message": message or ""}
