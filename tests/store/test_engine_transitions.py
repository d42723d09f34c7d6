"""The engine moves tasks only as the store's state table allows (``sluice.store.LEGAL_TRANSITIONS``): an
illegal move is an IllegalTransitionError naming the run, the task and both states, and nothing of it is
queued for the store."""

from __future__ import annotations

import pytest

from sluice.engine._observer import RunObserver
from sluice.engine._state import RunState
from sluice.ir import ComponentSpec
from sluice.store import IllegalTransitionError, RuntimeState, RunWriter, Store, TaskKind

_S = RuntimeState


@pytest.fixture
def state(store: Store) -> RunState:
    """A run's in-memory state over a new run, on each backend (SQLite, PostgreSQL, MariaDB)."""
    run = store.create_run(pipeline_spec={}, display_name="transitions")
    return RunState(RunWriter(store, run.id), RunObserver())


def _node(state: RunState) -> object:
    return state.add_node(
        path="root/step",
        name="step",
        display_name="step",
        kind=TaskKind.CONTAINER,
        component_name="comp-step",
        component=ComponentSpec(),
        task_spec=None,
        parent=None,
    )


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([_S.RUNNING, _S.SUCCEEDED], _S.RUNNING),  # a result is final
        ([_S.SKIPPED], _S.FAILED),
        ([_S.CANCELED], _S.PENDING),
        ([_S.RUNNING, _S.CANCELING], _S.PENDING),
        ([_S.RUNNING, _S.SUCCEEDED], _S.SUCCEEDED),  # an ended task is not ended again
    ],
)
def test_an_illegal_move_raises_naming_run_task_and_states(
    state: RunState, path: list[RuntimeState], illegal: RuntimeState
) -> None:
    node = _node(state)
    for step in path:
        state.set_state(node, step)  # type: ignore[arg-type]
    state.journal.flush()
    with pytest.raises(IllegalTransitionError) as raised:
        state.set_state(node, illegal)  # type: ignore[arg-type]
    message = str(raised.value)
    assert f"run {state.journal.run_id}: task 'root/step'" in message
    assert f"cannot move from {path[-1]} to {illegal}" in message
    assert node.state is path[-1]  # type: ignore[attr-defined]
    assert not state.journal.pending


def test_the_legal_life_cycle_is_written_with_its_history(state: RunState) -> None:
    node = _node(state)
    for step in (_S.RUNNING, _S.FAILED, _S.RUNNING, _S.SUCCEEDED):  # a retry leaves FAILED
        state.set_state(node, step)  # type: ignore[arg-type]
    state.journal.flush()
    from sqlalchemy import select

    from sluice.store.models import Task, TaskStateHistory

    with state.journal.store.read_session() as session:
        row = session.scalars(select(Task)).one()
        history = session.scalars(select(TaskStateHistory.state).order_by(TaskStateHistory.id)).all()
    assert row.state is _S.SUCCEEDED
    assert list(history) == [_S.PENDING, _S.RUNNING, _S.FAILED, _S.RUNNING, _S.SUCCEEDED]


def test_a_pending_task_can_say_why_it_still_waits(state: RunState) -> None:
    """A queued attempt (a Ray cluster without free resources) stays PENDING with a new message."""
    node = _node(state)
    state.set_state(node, _S.PENDING, "waiting for cluster resources")  # type: ignore[arg-type]
    state.set_state(node, _S.RUNNING)  # type: ignore[arg-type]
    state.journal.flush()
    from sqlalchemy import select

    from sluice.store.models import TaskStateHistory

    with state.journal.store.read_session() as session:
        history = session.execute(
            select(TaskStateHistory.state, TaskStateHistory.message).order_by(TaskStateHistory.id)
        ).all()
    assert [(row.state, row.message) for row in history][-2:] == [
        (_S.PENDING, "waiting for cluster resources"),
        (_S.RUNNING, None),
    ]
