"""The recurring-run scheduler: fires due recurring runs, once per slot, across restarts.

Each recurring run keeps ``next_fire_at`` in the store. A tick fires every slot that is due, in order
(catch-up), or only the latest one with ``no_catchup``; it waits, without skipping, while ``max_concurrency``
runs of it are still active. A slot is reserved with ``Store.claim_recurring_run_fire`` in the same
transaction that creates its run: the unique (recurring run, slot) key means two schedulers, or a scheduler
restarted mid-tick, never fire a slot twice, and a crash before the commit leaves the slot to fire again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.server._errors import ApiError, failed_precondition
from sluice.server._executor import RunExecutor
from sluice.server._run_creation import insert_run, resolve_experiment, resolve_pipeline
from sluice.server._schedules import Schedule, schedule_from_store
from sluice.store import ACTIVE_STATES, RecurringRunMode, RuntimeState, Store, StoreError, utcnow
from sluice.store.models import RecurringRun, Run

__all__ = ["RecurringRunScheduler", "latest_slot"]

_log = logging.getLogger("sluice.server")
# Slots fired per recurring run per tick when catching up; the rest follow on the next ticks.
_CATCH_UP_BATCH = 20


def latest_slot(schedule: Schedule, first_due: datetime, now: datetime) -> datetime:
    """The last slot at or before ``now``, counting from ``first_due`` (itself due): what no_catchup fires."""
    if schedule.interval_seconds is not None:
        periods = int((now - first_due).total_seconds() // schedule.interval_seconds)
        return first_due + timedelta(seconds=periods * schedule.interval_seconds)
    assert schedule.cron is not None
    zone = ZoneInfo(schedule.time_zone)
    # get_prev is strictly before its start; ask from just after now so a slot exactly at now counts.
    iterator = croniter(
        schedule.cron,
        (now + timedelta(microseconds=1)).astimezone(zone),
        second_at_beginning=schedule.seconds_first,
    )
    previous = iterator.get_prev(datetime).astimezone(UTC)
    return max(previous, first_due)


class RecurringRunScheduler:
    """Turns due recurring runs into runs and hands them to the executor."""

    def __init__(self, store: Store, executor: RunExecutor, artifact_root: str) -> None:
        self._store = store
        self._executor = executor
        self._artifact_root = artifact_root

    def tick(self, now: datetime | None = None) -> list[str]:
        """Fire what is due at ``now``; returns the ids of the runs created."""
        now = now or utcnow()
        try:
            with self._store.read_session() as session:
                due = list(
                    session.scalars(
                        select(RecurringRun.id)
                        .where(
                            RecurringRun.mode == RecurringRunMode.ENABLED, RecurringRun.next_fire_at <= now
                        )
                        .order_by(RecurringRun.next_fire_at)
                    )
                )
        except StoreError as error:
            _log.warning("scheduler: cannot read recurring runs: %s", error)
            return []
        created: list[str] = []
        for recurring_run_id in due:
            try:
                created.extend(self._fire_due(recurring_run_id, now))
            except StoreError as error:
                _log.warning("scheduler: recurring run %s: %s", recurring_run_id, error)
        return created

    def _fire_due(self, recurring_run_id: str, now: datetime) -> list[str]:
        with self._store.read_session() as session:
            recurring = session.get(RecurringRun, recurring_run_id)
            if recurring is None or recurring.next_fire_at is None:
                return []
            schedule = schedule_from_store(recurring.trigger, recurring.start_at, recurring.end_at)
            first_due = recurring.next_fire_at
            no_catchup = recurring.no_catchup
        slots: list[datetime] = []
        if no_catchup:
            slots.append(latest_slot(schedule, first_due, now))
        else:
            slot: datetime | None = first_due
            while slot is not None and slot <= now and len(slots) < _CATCH_UP_BATCH:
                slots.append(slot)
                slot = schedule.next_after(slot)
        created = []
        for slot in slots:
            run_id = self._fire(recurring_run_id, slot, schedule)
            if run_id is None:
                break
            if run_id:
                created.append(run_id)
        return created

    def _fire(self, recurring_run_id: str, slot: datetime, schedule: Schedule) -> str | None:
        """Fire one slot; the new run's id, "" if another scheduler had fired it, None to wait (concurrency)."""
        with self._store.session() as session:
            recurring = session.get(
                RecurringRun, recurring_run_id, with_for_update=True, populate_existing=True
            )
            if recurring is None or recurring.mode is not RecurringRunMode.ENABLED:
                return None
            active = session.scalar(
                select(func.count())
                .select_from(Run)
                .where(Run.recurring_run_id == recurring_run_id, Run.state.in_(ACTIVE_STATES))
            )
            if (active or 0) >= recurring.max_concurrency:
                return None
            fire = self._store.claim_recurring_run_fire(
                recurring_run_id, slot, next_fire_at=schedule.next_after(slot), session=session
            )
            if fire is None:
                return ""
            try:
                with session.begin_nested():
                    run = self._new_run(session, recurring, slot)
            except ApiError as error:
                # The slot is spent either way; the failure shows as a FAILED run rather than firing forever.
                failed = self._store.create_run(
                    pipeline_spec={},
                    display_name=_run_name(recurring, slot),
                    experiment_id=recurring.experiment_id,
                    recurring_run_id=recurring_run_id,
                    scheduled_at=slot,
                    session=session,
                )
                self._store.transition_run(
                    failed.id, RuntimeState.FAILED, error={"message": error.message}, session=session
                )
                fire.run_id = failed.id
                return str(failed.id)
            fire.run_id = run.id
            run_id = run.id
        self._executor.submit(run_id)
        return run_id

    def _new_run(self, session: Session, recurring: RecurringRun, slot: datetime) -> Run:
        by_reference = (
            recurring.pipeline_version_id is not None or recurring.latest_of_pipeline_id is not None
        )
        if not by_reference and not recurring.pipeline_spec:
            raise failed_precondition("its pipeline (version) was deleted")
        pipeline = resolve_pipeline(
            session,
            pipeline_spec=None if by_reference else recurring.pipeline_spec,
            # Without a version: the pipeline's latest version now.
            pipeline_id=recurring.latest_of_pipeline_id,
            pipeline_version_id=recurring.pipeline_version_id,
        )
        config = recurring.runtime_config or {}
        experiment = resolve_experiment(self._store, session, recurring.experiment_id)
        return insert_run(
            self._store,
            session,
            pipeline=pipeline,
            experiment=experiment,
            display_name=_run_name(recurring, slot),
            description=recurring.description,
            parameters=dict(config.get("parameters") or {}),
            pipeline_root=str(config.get("pipelineRoot") or self._artifact_root),
            service_account=recurring.service_account,
            recurring_run_id=recurring.id,
            scheduled_at=slot,
        )


def _run_name(recurring: RecurringRun, slot: datetime) -> str:
    return f"{recurring.display_name or 'recurring-run'}-{slot.astimezone(UTC).strftime('%Y%m%d%H%M%S')}"
