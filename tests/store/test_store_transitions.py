"""State transitions of runs and tasks: legal moves with history, illegal ones refused, all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sluice.store import (
    LEGAL_TRANSITIONS,
    IllegalTransitionError,
    InvalidReferenceError,
    LeaseLostError,
    NotFoundError,
    RuntimeState,
    RunWriter,
    Store,
    TaskKind,
    is_legal_transition,
)
from sluice.store.models import Experiment, Run, RunStateHistory, Task, TaskStateHistory
from tests.support.tasks import create_task, transition_task

from ._builders import SPEC, make_run, make_task

S = RuntimeState


def task_history(store: Store, task_id: str) -> list[tuple[RuntimeState, str | None]]:
    with store.read_session() as session:
        rows = session.scalars(
            select(TaskStateHistory).where(TaskStateHistory.task_id == task_id).order_by(TaskStateHistory.id)
        )
        return [(row.state, row.message) for row in rows]


def run_history(store: Store, run_id: str) -> list[RuntimeState]:
    with store.read_session() as session:
        return list(
            session.scalars(
                select(RunStateHistory.state)
                .where(RunStateHistory.run_id == run_id)
                .order_by(RunStateHistory.id)
            )
        )


def test_the_transition_table_keeps_final_states_final() -> None:
    for final in (S.SUCCEEDED, S.SKIPPED, S.CANCELED):
        assert LEGAL_TRANSITIONS[final] == frozenset()
    assert LEGAL_TRANSITIONS[S.FAILED] == {S.PENDING, S.RUNNING}  # retry only
    assert all(not is_legal_transition(state, state) for state in S)
    assert set(LEGAL_TRANSITIONS) == set(S)


def test_a_task_life_cycle_records_each_step(store: Store) -> None:
    run = make_run(store)
    task = make_task(store, run.id, inputs={"parameters": {"n": 1}}, cache_fingerprint="fp-1")
    assert (task.state, task.attempts, task.started_at) == (S.PENDING, 0, None)

    running = transition_task(
        store,
        task.id,
        S.RUNNING,
        message="launched",
        pid=1234,
        executor_input={"inputs": {"parameterValues": {"n": 1}}},
        log_uri="file:///logs/t.log",
    )
    assert (running.state, running.attempts, running.pid) == (S.RUNNING, 1, 1234)
    assert running.started_at is not None
    assert running.finished_at is None

    done = transition_task(store, task.id, S.SUCCEEDED, message="exit 0", outputs={"parameters": {"sum": 3}})
    assert done.finished_at is not None
    assert done.finished_at >= done.started_at

    with store.read_session() as session:
        stored = session.get_one(Task, task.id)
        assert stored.state == S.SUCCEEDED
        assert stored.outputs == {"parameters": {"sum": 3}}
        assert stored.executor_input == {"inputs": {"parameterValues": {"n": 1}}}
        assert (stored.pid, stored.log_uri, stored.attempts) == (1234, "file:///logs/t.log", 1)
        assert stored.inputs == {"parameters": {"n": 1}}
    assert task_history(store, task.id) == [
        (S.PENDING, None),
        (S.RUNNING, "launched"),
        (S.SUCCEEDED, "exit 0"),
    ]


def test_a_retry_counts_attempts_and_clears_the_failure(store: Store) -> None:
    task = make_task(store, make_run(store).id)
    transition_task(store, task.id, S.RUNNING)
    failed = transition_task(store, task.id, "FAILED", error={"code": 2, "message": "exit 1"})
    assert failed.error == {"code": 2, "message": "exit 1"}
    assert failed.finished_at is not None
    first_start = failed.started_at

    transition_task(store, task.id, S.PENDING, message="retry 1 of 3")
    retried = transition_task(store, task.id, S.RUNNING)
    assert (retried.attempts, retried.error, retried.finished_at) == (2, None, None)
    assert retried.started_at == first_start


def test_a_cache_hit_goes_straight_from_pending_to_succeeded(store: Store) -> None:
    run = make_run(store)
    original = make_task(store, run.id, "root/a", cache_fingerprint="fp")
    transition_task(store, original.id, S.RUNNING)
    found = transition_task(store, original.id, S.SUCCEEDED, outputs={"parameters": {"x": 1}})

    copy = make_task(store, make_run(store).id, "root/a", cache_fingerprint="fp")
    hit = transition_task(
        store, copy.id, S.SUCCEEDED, message="cache hit", outputs=found.outputs, cached_from_task_id=found.id
    )
    assert (hit.cached_from_task_id, hit.outputs, hit.attempts) == (original.id, {"parameters": {"x": 1}}, 0)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([S.RUNNING, S.SUCCEEDED], S.RUNNING),
        ([S.RUNNING, S.SUCCEEDED], S.FAILED),
        ([S.SKIPPED], S.PENDING),
        ([S.CANCELED], S.RUNNING),
        ([S.RUNNING, S.CANCELING], S.RUNNING),
        ([S.RUNNING, S.FAILED], S.FAILED),  # an ended task is not ended again
    ],
)
def test_illegal_task_transitions_are_refused_and_leave_no_trace(
    store: Store, path: list[RuntimeState], target: RuntimeState
) -> None:
    task = make_task(store, make_run(store).id)
    for state in path:
        transition_task(store, task.id, state)
    before = task_history(store, task.id)
    current = path[-1] if path else S.PENDING
    with pytest.raises(IllegalTransitionError) as raised:
        transition_task(store, task.id, target, outputs={"x": 1})
    assert raised.value.current == current
    assert raised.value.requested == target
    assert f"run {task.run_id}: task {task.path!r} cannot move from {current} to {target}" in str(
        raised.value
    )
    assert task_history(store, task.id) == before
    with store.read_session() as session:
        stored = session.get_one(Task, task.id)
        assert (stored.state, stored.outputs) == (current, None)


def test_staying_in_an_unfinished_state_records_a_new_message(store: Store) -> None:
    """Not a move (the engine's queued attempt says again why it waits): no attempt counted, one history row."""
    task = make_task(store, make_run(store).id)
    transition_task(store, task.id, S.PENDING, message="waiting for cluster resources")
    transition_task(store, task.id, S.RUNNING)
    stayed = transition_task(store, task.id, S.RUNNING, message="still running")
    assert stayed.attempts == 1
    assert task_history(store, task.id) == [
        (S.PENDING, None),
        (S.PENDING, "waiting for cluster resources"),
        (S.RUNNING, None),
        (S.RUNNING, "still running"),
    ]


def test_the_error_message_lists_what_is_allowed(store: Store) -> None:
    task = make_task(store, make_run(store).id)
    transition_task(store, task.id, S.RUNNING)
    transition_task(store, task.id, S.SUCCEEDED)
    with pytest.raises(
        IllegalTransitionError, match=r"from SUCCEEDED to RUNNING \(allowed from SUCCEEDED: none"
    ):
        transition_task(store, task.id, S.RUNNING)
    with pytest.raises(ValueError, match="DONE"):
        transition_task(store, task.id, "DONE")


def test_unknown_ids_are_reported_as_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="task 'nope' does not exist"):
        transition_task(store, "nope", S.RUNNING)
    with pytest.raises(NotFoundError, match="run 'nope' does not exist"):
        store.transition_run("nope", S.RUNNING)
    with pytest.raises(NotFoundError, match="run 'nope'"):
        store.claim_run("nope", "engine-1", stale_after=timedelta(seconds=30))
    with pytest.raises(InvalidReferenceError):
        create_task(store, "nope", name="t", path="root/t", kind=TaskKind.CONTAINER)


def test_a_run_life_cycle_records_each_step(store: Store) -> None:
    run = make_run(store)
    assert run_history(store, run.id) == [S.PENDING]
    store.transition_run(run.id, S.RUNNING)
    store.transition_run(run.id, S.CANCELING)
    canceled = store.transition_run(run.id, S.CANCELED, error={"message": "canceled by alice"})
    assert canceled.finished_at is not None
    assert run_history(store, run.id) == [S.PENDING, S.RUNNING, S.CANCELING, S.CANCELED]
    with store.read_session() as session:
        errors = session.scalars(
            select(RunStateHistory.error).where(RunStateHistory.run_id == run.id).order_by(RunStateHistory.id)
        ).all()
        assert errors == [None, None, None, {"message": "canceled by alice"}]
    with pytest.raises(IllegalTransitionError, match=r"run .* cannot move from CANCELED to RUNNING"):
        store.transition_run(run.id, S.RUNNING)
    assert run_history(store, run.id) == [S.PENDING, S.RUNNING, S.CANCELING, S.CANCELED]


def test_a_failed_run_can_be_retried(store: Store) -> None:
    run = make_run(store)
    store.transition_run(run.id, S.RUNNING)
    store.transition_run(run.id, S.FAILED, error={"message": "task train failed"})
    retried = store.transition_run(run.id, S.RUNNING)
    assert (retried.state, retried.finished_at, retried.error) == (S.RUNNING, None, None)


def test_only_the_lease_holder_may_transition_when_it_says_who_it_is(store: Store) -> None:
    run = make_run(store)
    assert store.claim_run(run.id, "engine-1", stale_after=timedelta(seconds=30))
    store.transition_run(run.id, S.RUNNING, owner="engine-1")
    with pytest.raises(LeaseLostError, match="leased to 'engine-1', not 'engine-2'"):
        store.transition_run(run.id, S.SUCCEEDED, owner="engine-2")
    assert run_history(store, run.id)[-1] == S.RUNNING


# --- atomicity --------------------------------------------------------------------------------------------------


def test_a_failing_block_rolls_back_every_write_in_it(store: Store) -> None:
    run = make_run(store)
    task = make_task(store, run.id)

    class Crash(Exception):
        pass

    with pytest.raises(Crash), store.session() as session:
        store.transition_run(run.id, S.RUNNING, session=session)
        transition_task(store, task.id, S.RUNNING, session=session, outputs={"partial": True})
        create_task(store, run.id, name="b", path="root/b", kind=TaskKind.CONTAINER, session=session)
        writer = RunWriter(store, run.id)
        writer.record_metric(name="accuracy", value=0.5)
        writer.flush(session.connection())
        raise Crash

    assert run_history(store, run.id) == [S.PENDING]
    assert task_history(store, task.id) == [(S.PENDING, None)]
    with store.read_session() as session:
        assert session.get_one(Run, run.id).state == S.PENDING
        stored = session.get_one(Task, task.id)
        assert (stored.state, stored.outputs, stored.attempts) == (S.PENDING, None, 0)
        assert session.scalars(select(Task.path).where(Task.run_id == run.id)).all() == ["root/train"]


def test_a_refused_transition_inside_a_block_undoes_the_writes_before_it(store: Store) -> None:
    run = make_run(store)
    done = make_task(store, run.id, "root/done")
    transition_task(store, done.id, S.SKIPPED)
    other = make_task(store, run.id, "root/other")
    with pytest.raises(IllegalTransitionError), store.session() as session:
        transition_task(store, other.id, S.RUNNING, session=session)
        transition_task(store, done.id, S.RUNNING, session=session)
    assert task_history(store, other.id) == [(S.PENDING, None)]


def test_create_run_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(InvalidReferenceError):
        store.create_run(pipeline_spec=SPEC, experiment_id="00000000-0000-0000-0000-000000000000")
    with store.read_session() as session:
        assert session.scalars(select(Run)).all() == []
        assert session.scalars(select(RunStateHistory)).all() == []
        assert session.scalars(select(Experiment.last_run_created_at)).all() == [None]


def test_reopening_a_run_makes_it_pending_without_a_lease(store: Store) -> None:
    """A retry (KFP's RetryRun) reopens FAILED and CANCELED runs, with a history row; a finished run stays."""
    canceled, failed, done = make_run(store), make_run(store), make_run(store)
    for run, path in (
        (canceled, [S.CANCELED]),
        (failed, [S.RUNNING, S.FAILED]),
        (done, [S.RUNNING, S.SUCCEEDED]),
    ):
        assert store.claim_run(run.id, "engine-1", stale_after=timedelta(seconds=30))
        for state in path:
            store.transition_run(run.id, state)
    store.reopen_run(canceled.id)
    store.reopen_run(failed.id)
    for run in (canceled, failed):
        reopened = store.get_run(run.id)
        assert reopened is not None
        assert (reopened.state, reopened.finished_at, reopened.error, reopened.lease_owner) == (
            S.PENDING,
            None,
            None,
            None,
        )
        assert run_history(store, run.id)[-1] == S.PENDING
    with pytest.raises(IllegalTransitionError, match="cannot move from SUCCEEDED to PENDING"):
        store.reopen_run(done.id)
    still = store.get_run(done.id)
    assert still is not None
    assert (still.state, still.lease_owner) == (S.SUCCEEDED, "engine-1")
    with pytest.raises(NotFoundError):
        store.reopen_run("nope")
