"""``sluice up`` stops cleanly and picks up where it stopped, on SQLite, PostgreSQL and MariaDB.

SIGTERM stops running tasks, records them (back to PENDING, with a note) and releases the runs; the next
start resumes them. After a SIGKILL the next start adopts the runs the dead server left behind.
"""

from __future__ import annotations

import itertools
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sluice.store import Store
from sluice.store.models import Run, Task, TaskStateHistory
from tests.server.conftest import (
    API,
    ServerProcess,
    create_run,
    database_url_for,
    wait_for_run,
    wait_for_task,
)
from tests.support.tasks import create_task, transition_task


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def fresh_server(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    database_servers: Any,
) -> ServerProcess:
    url = database_url_for(request.param, tmp_path_factory, database_servers)
    return ServerProcess(tmp_path / "home", url)


def _store(server: ServerProcess) -> Store:
    return Store.open(server.database_url or f"sqlite:///{server.home / 'sluice.db'}")


def _processes_of(run_id: str) -> list[int]:
    marker = f"SLUICE_RUN_ID={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_sigterm_records_running_tasks_and_restart_resumes(
    fresh_server: ServerProcess, specs: dict[str, dict[str, Any]]
) -> None:
    server = fresh_server.start()
    with server.client() as api:
        run_id = create_run(api, specs["sleepy"], {"seconds": 3})["run_id"]
        wait_for_task(api, run_id, "sleep-for", "RUNNING")
    started = time.monotonic()
    assert server.stop(signal.SIGTERM) == 0, server.log()
    assert time.monotonic() - started < 15
    assert not _processes_of(run_id), "the task's process outlived the server"
    store = _store(server)
    try:
        with store.read_session() as session:
            run = session.get(Run, run_id)
            assert run is not None
            assert run.state == "RUNNING"
            assert run.lease_owner is None
            task = session.scalars(select(Task).where(Task.run_id == run_id, Task.name == "sleep-for")).one()
            assert task.state == "PENDING"
            notes = session.scalars(
                select(TaskStateHistory.message).where(TaskStateHistory.task_id == task.id)
            ).all()
            assert any(note and "server shut down" in note for note in notes)
    finally:
        store.close()
    restarted = ServerProcess(server.home, server.database_url).start()
    try:
        with restarted.client() as api:
            done = wait_for_run(api, run_id, timeout=60)
            assert done["state"] == "SUCCEEDED", done
            task_json = next(t for t in done["run_details"]["task_details"] if t["name"] == "sleep-for")
            assert task_json["attempts"] == 2
    finally:
        restarted.stop()


def test_restart_after_sigkill_adopts_the_runs_left_behind(
    fresh_server: ServerProcess, specs: dict[str, dict[str, Any]]
) -> None:
    server = fresh_server.start()
    with server.client() as api:
        running = create_run(api, specs["sleepy"], {"seconds": 2})["run_id"]
        wait_for_task(api, running, "sleep-for", "RUNNING")
    server.stop(signal.SIGKILL)
    restarted = ServerProcess(server.home, server.database_url).start()
    try:
        with restarted.client() as api:
            assert wait_for_run(api, running, timeout=60)["state"] == "SUCCEEDED"
            assert api.get(f"{API}/healthz").json()["multi_user"] is False
    finally:
        restarted.stop()


def test_recurring_runs_catch_up_after_a_restart_without_gaps_or_doubles(
    tmp_path: Path, specs: dict[str, dict[str, Any]]
) -> None:
    server = ServerProcess(tmp_path / "home", None).start()
    body = {
        "display_name": "every second",
        "pipeline_spec": specs["adder"],
        "trigger": {"periodic_schedule": {"interval_second": "1"}},
        "max_concurrency": "10",
    }
    with server.client() as api:
        recurring_id = api.post(f"{API}/recurringruns", json=body).json()["recurring_run_id"]
        time.sleep(1.5)
    server.stop(signal.SIGTERM)
    time.sleep(3)  # slots fall due while nothing is serving
    restarted = ServerProcess(server.home, None).start()
    flt = f'{{"predicates":[{{"key":"recurring_run_id","operation":"EQUALS","string_value":"{recurring_id}"}}]}}'
    slots: list[str] = []
    try:
        # Poll rather than sleep a fixed time: on a loaded machine the scheduler's first tick may come late.
        deadline = time.monotonic() + 30
        with restarted.client() as api:
            while len(slots) < 4 and time.monotonic() < deadline:
                time.sleep(0.5)
                runs = api.get(
                    f"{API}/runs", params={"filter": flt, "sort_by": "scheduled_at", "page_size": 100}
                ).json()
                slots = [run["scheduled_at"] for run in runs.get("runs", [])]
    finally:
        restarted.stop()
    assert len(slots) >= 4, slots
    assert len(set(slots)) == len(slots), "a slot fired twice"
    moments = [datetime.fromisoformat(slot.replace("Z", "+00:00")) for slot in slots]
    assert all((later - earlier).total_seconds() == 1 for earlier, later in itertools.pairwise(moments)), (
        slots
    )


def test_start_ends_the_tasks_an_ended_run_left_unfinished(
    fresh_server: ServerProcess, specs: dict[str, dict[str, Any]]
) -> None:
    """An engine stopped by a full disk (or a lost database) may not have recorded its tasks' end: the next
    start ends them, so no task of a FAILED run stays RUNNING or PENDING."""
    fresh_server.home.mkdir(parents=True)
    store = _store(fresh_server)
    reason = "the engine stopped: OSError: [Errno 28] No space left on device"
    try:
        with store.session() as session:
            run = store.create_run(pipeline_spec=specs["adder"], display_name="left behind", session=session)
            root = create_task(store, run.id, name="root", path="root", kind="dag", session=session)
            running = create_task(
                store,
                run.id,
                name="add",
                path="root/add",
                kind="container",
                parent_task_id=root.id,
                session=session,
            )
            pending = create_task(
                store,
                run.id,
                name="later",
                path="root/later",
                kind="container",
                parent_task_id=root.id,
                session=session,
            )
            for task in (root, running):
                transition_task(store, task.id, "RUNNING", session=session)
            store.transition_run(run.id, "RUNNING", session=session)
            store.transition_run(run.id, "FAILED", error={"message": reason}, session=session)
            run_id, running_id, pending_id = run.id, running.id, pending.id
    finally:
        store.close()
    fresh_server.start()
    try:
        with fresh_server.client() as api:
            tasks = {
                task["task_id"]: task
                for task in api.get(f"{API}/runs/{run_id}").json()["run_details"]["task_details"]
            }
    finally:
        fresh_server.stop()
    assert {task["state"] for task in tasks.values()} <= {"FAILED", "CANCELED"}, tasks
    assert tasks[running_id]["state"] == "FAILED"
    assert reason in tasks[running_id]["error"]["message"]
    assert tasks[pending_id]["state"] == "CANCELED"
