"""What the engine and scheduler lean on: leases, orphan detection, recurring-run fires, lineage, metrics."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from sluice.store import (
    ConflictError,
    EventType,
    InvalidReferenceError,
    NotFoundError,
    RuntimeState,
    RunWriter,
    Store,
)
from sluice.store.models import RecurringRun, RecurringRunFire, Run, RunMetric

from ._builders import SPEC, make_run

STALE = timedelta(seconds=30)


def age_heartbeat(store: Store, run_id: str, by: timedelta) -> None:
    """Pretend the owner last heartbeated ``by`` ago (as if its process died then)."""
    with store.session() as session:
        session.execute(update(Run).where(Run.id == run_id).values(lease_heartbeat_at=datetime.now(UTC) - by))


def lease(store: Store, run_id: str) -> tuple[str | None, datetime | None]:
    with store.read_session() as session:
        run = session.get_one(Run, run_id)
        return run.lease_owner, run.lease_heartbeat_at


# --- leases -----------------------------------------------------------------------------------------------------


def test_claiming_a_run_gives_it_one_owner(store: Store) -> None:
    run = make_run(store)
    assert store.claim_run(run.id, "engine-1", stale_after=STALE)
    assert store.claim_run(run.id, "engine-1", stale_after=STALE)  # re-claiming your own run renews it
    assert not store.claim_run(run.id, "engine-2", stale_after=STALE)
    owner, heartbeat = lease(store, run.id)
    assert owner == "engine-1"
    assert heartbeat is not None


def test_a_stale_lease_can_be_taken_over(store: Store) -> None:
    run = make_run(store)
    assert store.claim_run(run.id, "engine-1", stale_after=STALE)
    age_heartbeat(store, run.id, STALE + timedelta(seconds=1))
    assert store.claim_run(run.id, "engine-2", stale_after=STALE)
    assert lease(store, run.id)[0] == "engine-2"
    # The old owner's heartbeat no longer renews the run: it learns it lost it.
    assert store.heartbeat("engine-1") == set()
    assert store.heartbeat("engine-2") == {run.id}


def test_heartbeat_renews_only_the_owners_runs(store: Store) -> None:
    mine = [make_run(store) for _ in range(3)]
    theirs = make_run(store)
    for run in mine:
        assert store.claim_run(run.id, "engine-1", stale_after=STALE)
    assert store.claim_run(theirs.id, "engine-2", stale_after=STALE)
    for run in mine:
        age_heartbeat(store, run.id, timedelta(seconds=10))
    before = lease(store, theirs.id)[1]

    assert store.heartbeat("engine-1") == {run.id for run in mine}
    assert store.heartbeat("engine-1", run_ids=[mine[0].id, theirs.id]) == {mine[0].id}
    for run in mine:
        heartbeat = lease(store, run.id)[1]
        assert heartbeat is not None
        assert heartbeat > datetime.now(UTC) - timedelta(seconds=5)
    assert lease(store, theirs.id)[1] == before


def test_finished_runs_cannot_be_claimed_and_release_clears_the_lease(store: Store) -> None:
    run = make_run(store)
    assert store.claim_run(run.id, "engine-1", stale_after=STALE)
    assert not store.release_run(run.id, "engine-2")
    assert store.release_run(run.id, "engine-1")
    assert lease(store, run.id) == (None, None)
    store.transition_run(run.id, RuntimeState.SKIPPED)
    assert not store.claim_run(run.id, "engine-1", stale_after=STALE)


def test_orphaned_runs_are_those_without_a_live_engine(store: Store) -> None:
    unclaimed = make_run(store, display_name="unclaimed")
    alive = make_run(store, display_name="alive")
    dead = make_run(store, display_name="dead")
    canceling = make_run(store, display_name="canceling")
    finished = make_run(store, display_name="finished")
    paused = make_run(store, display_name="paused")
    for run in (alive, dead, canceling, finished, paused):
        assert store.claim_run(run.id, "engine-1", stale_after=STALE)
        store.transition_run(run.id, RuntimeState.RUNNING)
    store.transition_run(canceling.id, RuntimeState.CANCELING)
    store.transition_run(finished.id, RuntimeState.SUCCEEDED)
    store.transition_run(paused.id, RuntimeState.PAUSED)
    for run in (dead, canceling, finished, paused):
        age_heartbeat(store, run.id, timedelta(minutes=5))

    assert store.find_orphaned_runs(STALE) == [unclaimed.id, dead.id, canceling.id]
    # A new engine picks them up; then nothing is orphaned.
    for run_id in store.find_orphaned_runs(STALE):
        assert store.claim_run(run_id, "engine-2", stale_after=STALE)
    assert store.find_orphaned_runs(STALE) == []


# --- recurring runs ---------------------------------------------------------------------------------------------


def make_recurring_run(store: Store) -> RecurringRun:
    with store.session() as session:
        recurring = RecurringRun(
            display_name="hourly",
            experiment_id=store.default_experiment(session=session).id,
            pipeline_spec=SPEC,
            trigger={"interval_seconds": 3600},
        )
        session.add(recurring)
    return recurring


def test_a_recurring_run_slot_fires_once(store: Store) -> None:
    recurring = make_recurring_run(store)
    slot = datetime(2024, 1, 1, 10, 0, 0, 500_000, tzinfo=UTC)
    with store.session() as session:
        fire = store.claim_recurring_run_fire(
            recurring.id, slot, next_fire_at=slot + timedelta(hours=1), session=session
        )
        assert fire is not None
        run = store.create_run(
            pipeline_spec=SPEC, recurring_run_id=recurring.id, scheduled_at=slot, session=session
        )
        fire.run_id = run.id

    # A second scheduler (or a restarted one) trying the same slot gets nothing, in or out of a transaction.
    assert store.claim_recurring_run_fire(recurring.id, slot, next_fire_at=None) is None
    with store.session() as session:
        assert store.claim_recurring_run_fire(recurring.id, slot, next_fire_at=None, session=session) is None
        # ...and the transaction is still usable for the next slot.
        later = store.claim_recurring_run_fire(
            recurring.id, slot + timedelta(hours=1), next_fire_at=slot + timedelta(hours=2), session=session
        )
        assert later is not None

    with store.read_session() as session:
        fires = session.scalars(select(RecurringRunFire).order_by(RecurringRunFire.scheduled_for)).all()
        assert [(f.scheduled_for, f.run_id) for f in fires] == [
            (slot, run.id),
            (slot + timedelta(hours=1), None),
        ]
        got = session.get_one(RecurringRun, recurring.id)
        assert got.last_fired_at == slot + timedelta(hours=1)
        assert got.next_fire_at == slot + timedelta(hours=2)
        assert session.get_one(Run, run.id).recurring_run_id == recurring.id


def test_the_database_itself_refuses_a_double_fire(store: Store) -> None:
    recurring = make_recurring_run(store)
    slot = datetime(2024, 1, 1, tzinfo=UTC)
    store.claim_recurring_run_fire(recurring.id, slot, next_fire_at=None)

    with pytest.raises(ConflictError), store.session() as session:
        session.add(RecurringRunFire(recurring_run_id=recurring.id, scheduled_for=slot))


def test_firing_an_unknown_recurring_run_is_an_error(store: Store) -> None:
    with pytest.raises(NotFoundError, match="recurring run 'nope'"):
        store.claim_recurring_run_fire("nope", datetime.now(UTC), next_fire_at=None)


# --- lineage ----------------------------------------------------------------------------------------------------


def test_events_must_point_at_real_rows(store: Store) -> None:
    writer = RunWriter(store, make_run(store).id)
    artifact_id = writer.record_artifact(uri="file:///a", schema_title="system.Artifact")
    writer.flush()
    writer.record_event(execution_id="missing", artifact_id=artifact_id, type=EventType.OUTPUT)
    with pytest.raises(InvalidReferenceError):
        writer.flush()


# --- metrics ----------------------------------------------------------------------------------------------------


def test_runs_can_be_filtered_and_sorted_by_a_logged_metric(store: Store) -> None:
    accuracies = {"a": 0.71, "b": 0.93, "c": 0.85, "d": None}
    runs = {name: make_run(store, display_name=name) for name in accuracies}
    for name, value in accuracies.items():
        writer = RunWriter(store, runs[name].id)
        if value is not None:
            writer.record_metric(name="accuracy", value=value)
        writer.record_metric(name="loss", value=1.0)
        writer.flush()
    with store.read_session() as session:
        best_first = session.scalars(
            select(Run.display_name)
            .join(RunMetric, RunMetric.run_id == Run.id)
            .where(RunMetric.name == "accuracy", RunMetric.value > 0.8)
            .order_by(RunMetric.value.desc())
        ).all()
    assert best_first == ["b", "c"]


def test_concurrent_claims_have_exactly_one_winner(store: Store) -> None:
    run = make_run(store)
    engines = [f"engine-{i}" for i in range(6)]
    barrier = threading.Barrier(len(engines))

    def claim(owner: str) -> bool:
        barrier.wait()
        return store.claim_run(run.id, owner, stale_after=STALE)

    with ThreadPoolExecutor(len(engines)) as pool:
        results = dict(zip(engines, pool.map(claim, engines), strict=True))
    winners = [owner for owner, won in results.items() if won]
    assert len(winners) == 1
    assert lease(store, run.id)[0] == winners[0]


def test_concurrent_schedulers_fire_a_slot_once(store: Store) -> None:
    recurring = make_recurring_run(store)
    slot = datetime(2024, 1, 1, tzinfo=UTC)
    barrier = threading.Barrier(4)

    def fire(_: int) -> bool:
        barrier.wait()
        with store.session() as session:
            claimed = store.claim_recurring_run_fire(recurring.id, slot, next_fire_at=None, session=session)
            if claimed is None:
                return False
            claimed.run_id = store.create_run(
                pipeline_spec=SPEC, recurring_run_id=recurring.id, session=session
            ).id
            return True

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(fire, range(4))) == [False, False, False, True]
    with store.read_session() as session:
        assert len(session.scalars(select(Run).where(Run.recurring_run_id == recurring.id)).all()) == 1
