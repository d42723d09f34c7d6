"""The recurring-run scheduler on SQLite, PostgreSQL and MariaDB: catch-up, no_catchup, max_concurrency,
cron time zones, end times, and never firing a slot twice (two schedulers, or one restarted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from sluice.server._executor import RunExecutor
from sluice.server._scheduler import RecurringRunScheduler
from sluice.server._schedules import schedule_from_trigger
from sluice.store import RecurringRunMode, RuntimeState, Store
from sluice.store.models import RecurringRun, RecurringRunFire, Run
from tests.server.conftest import API, ServerProcess

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _scheduler(store: Store, tmp_path: Path) -> RecurringRunScheduler:
    # Never started: submitted runs just wait in its queue, nothing executes them.
    executor = RunExecutor(store, home=tmp_path, database_url=str(store.engine.url), max_concurrent_runs=1)
    return RecurringRunScheduler(store, executor, str(tmp_path / "artifacts"))


def _recurring(
    store: Store,
    spec: dict[str, Any],
    *,
    interval: int | None = 60,
    cron: str | None = None,
    time_zone: str | None = None,
    no_catchup: bool = False,
    max_concurrency: int = 10,
    end_at: datetime | None = None,
) -> str:
    schedule = schedule_from_trigger(
        cron=cron,
        time_zone=time_zone,
        interval_seconds=None if cron else interval,
        start_at=None,
        end_at=end_at,
    )
    with store.session() as session:
        recurring = RecurringRun(
            display_name="every",
            experiment_id=store.default_experiment(session=session).id,
            pipeline_spec=spec,
            runtime_config={"parameters": {"a": 1, "b": 2}},
            trigger=schedule.to_trigger(),
            end_at=end_at,
            max_concurrency=max_concurrency,
            no_catchup=no_catchup,
            created_at=T0,
            next_fire_at=schedule.first_after(T0),
        )
        session.add(recurring)
    return recurring.id


def _runs(store: Store, recurring_run_id: str) -> list[Run]:
    with store.read_session() as session:
        return list(
            session.scalars(
                select(Run).where(Run.recurring_run_id == recurring_run_id).order_by(Run.scheduled_at)
            )
        )


def test_catch_up_fires_every_missed_slot_in_order(
    store: Store, specs: dict[str, Any], tmp_path: Path
) -> None:
    recurring_id = _recurring(store, specs["adder"])
    created = _scheduler(store, tmp_path).tick(T0 + timedelta(seconds=181))
    runs = _runs(store, recurring_id)
    assert [run.id for run in runs] == created
    assert [run.scheduled_at for run in runs] == [T0 + timedelta(seconds=60 * k) for k in (1, 2, 3)]
    assert all(run.state is RuntimeState.PENDING for run in runs)
    assert runs[0].runtime_config["parameters"] == {"a": 1, "b": 2}
    with store.read_session() as session:
        recurring = session.get(RecurringRun, recurring_id)
        assert recurring is not None
        assert recurring.next_fire_at == T0 + timedelta(seconds=240)
        assert recurring.last_fired_at == T0 + timedelta(seconds=180)


def test_no_catchup_fires_only_the_latest_slot(store: Store, specs: dict[str, Any], tmp_path: Path) -> None:
    recurring_id = _recurring(store, specs["adder"], no_catchup=True)
    _scheduler(store, tmp_path).tick(T0 + timedelta(seconds=3600 + 5))
    assert [run.scheduled_at for run in _runs(store, recurring_id)] == [T0 + timedelta(seconds=3600)]


def test_two_schedulers_and_a_restart_never_fire_a_slot_twice(
    store: Store,
    specs: dict[str, Any],
    tmp_path: Path,
) -> None:
    recurring_id = _recurring(store, specs["adder"])
    now = T0 + timedelta(seconds=301)
    first, second = _scheduler(store, tmp_path), _scheduler(store, tmp_path)
    fired = first.tick(now) + second.tick(now) + _scheduler(store, tmp_path).tick(now)
    assert len(fired) == 5
    assert len(_runs(store, recurring_id)) == 5
    # A scheduler that restarted with a stale view of next_fire_at still cannot fire a slot again.
    with store.session() as session:
        session.execute(
            update(RecurringRun)
            .where(RecurringRun.id == recurring_id)
            .values(next_fire_at=T0 + timedelta(seconds=60))
        )
    assert _scheduler(store, tmp_path).tick(now) == []
    assert len(_runs(store, recurring_id)) == 5
    with store.read_session() as session:
        fires = session.scalars(
            select(RecurringRunFire).where(RecurringRunFire.recurring_run_id == recurring_id)
        ).all()
        assert sorted(str(fire.run_id) for fire in fires) == sorted(
            run.id for run in _runs(store, recurring_id)
        )


def test_max_concurrency_waits_without_skipping(store: Store, specs: dict[str, Any], tmp_path: Path) -> None:
    recurring_id = _recurring(store, specs["adder"], max_concurrency=1)
    scheduler = _scheduler(store, tmp_path)
    now = T0 + timedelta(seconds=181)
    assert len(scheduler.tick(now)) == 1
    assert scheduler.tick(now) == []  # the first run is still PENDING
    (first,) = _runs(store, recurring_id)
    store.transition_run(first.id, RuntimeState.RUNNING)
    store.transition_run(first.id, RuntimeState.SUCCEEDED)
    assert len(scheduler.tick(now)) == 1
    assert [run.scheduled_at for run in _runs(store, recurring_id)] == [
        T0 + timedelta(seconds=s) for s in (60, 120)
    ]


def test_cron_in_a_time_zone_and_an_end_time(store: Store, specs: dict[str, Any], tmp_path: Path) -> None:
    end = datetime(2026, 1, 3, 12, tzinfo=UTC)
    recurring_id = _recurring(
        store, specs["adder"], cron="0 0 9 * * ?", time_zone="Europe/Paris", end_at=end, interval=None
    )
    _scheduler(store, tmp_path).tick(datetime(2026, 1, 10, tzinfo=UTC))
    # 09:00 in Paris is 08:00 UTC in winter; nothing after the end time.
    assert [run.scheduled_at for run in _runs(store, recurring_id)] == [
        datetime(2026, 1, day, 8, tzinfo=UTC) for day in (1, 2, 3)
    ]
    with store.read_session() as session:
        recurring = session.get(RecurringRun, recurring_id)
        assert recurring is not None and recurring.next_fire_at is None


def test_disabled_recurring_runs_do_not_fire(store: Store, specs: dict[str, Any], tmp_path: Path) -> None:
    recurring_id = _recurring(store, specs["adder"])
    with store.session() as session:
        session.execute(
            update(RecurringRun).where(RecurringRun.id == recurring_id).values(mode=RecurringRunMode.DISABLED)
        )
    assert _scheduler(store, tmp_path).tick(T0 + timedelta(days=1)) == []


def test_a_served_periodic_recurring_run_fires_and_runs(server: ServerProcess, specs: dict[str, Any]) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as api:
        body = {
            "display_name": "every second",
            "pipeline_spec": specs["adder"],
            "runtime_config": {"parameters": {"a": 40, "b": 2}},
            "trigger": {"periodic_schedule": {"interval_second": "1"}},
            "max_concurrency": "1",
        }
        created = api.post(f"{API}/recurringruns", json=body)
        assert created.status_code == 200, created.text
        recurring_id = created.json()["recurring_run_id"]
        flt = f'{{"predicates":[{{"key":"recurring_run_id","operation":"EQUALS","string_value":"{recurring_id}"}}]}}'
        import time

        deadline = time.monotonic() + 30
        while True:
            runs = api.get(f"{API}/runs", params={"filter": flt}).json()["runs"]
            if sum(run["state"] == "SUCCEEDED" for run in runs) >= 2:
                break
            assert time.monotonic() < deadline, runs
            time.sleep(0.2)
        api.post(f"{API}/recurringruns/{recurring_id}:disable")
        assert api.get(f"{API}/recurringruns/{recurring_id}").json()["status"] == "DISABLED"
