"""Kill -9 the engine mid-run, then resume: finished tasks are not rerun, the one that was running is.

Runs ``sluice run`` for real in a subprocess, on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from sluice.store import RuntimeState, Store
from sluice.store.models import Run, Task, TaskStateHistory
from tests.engine.conftest import read_marks

SLUICE = str(Path(sys.executable).parent / "sluice")


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_sigkill_mid_run_then_resume(
    compiled: dict[str, Path], home: Path, marks: Path, database_url: str
) -> None:
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_DATABASE_URL": database_url}
    engine = subprocess.Popen(
        [SLUICE, "run", str(compiled["gated_chain"]), "-p", f"marks={marks}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: read_marks(marks, "gate") == 1)
    finally:
        engine.send_signal(signal.SIGKILL)
        engine.wait()
    gate_pid = int((marks / "gate").read_text().split()[0])
    # The task died with its engine: the fork server kills what it started when the engine goes away.
    _wait_for(lambda: _gone(gate_pid), timeout=10)

    store = Store.open(database_url)
    try:
        with store.read_session() as session:
            run = session.scalars(select(Run)).one()
            states = {
                task.path: task.state for task in session.scalars(select(Task).where(Task.run_id == run.id))
            }
        assert run.state is RuntimeState.RUNNING
        # The kill may land between the launch and the commit of RUNNING: then the row still says PENDING.
        gate_state = states.pop("root/gate")
        assert gate_state in (RuntimeState.RUNNING, RuntimeState.PENDING)
        gate_was_running = gate_state is RuntimeState.RUNNING
        assert states == {
            "root": RuntimeState.RUNNING,
            "root/mark": RuntimeState.SUCCEEDED,
            "root/mark-2": RuntimeState.PENDING,
        }
    finally:
        store.close()

    (marks / "release").touch()
    resumed = subprocess.run(
        [SLUICE, "run", "--resume", run.id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["state"] == "SUCCEEDED"
    assert read_marks(marks, "first") == 1  # succeeded before the crash: not rerun
    assert read_marks(marks, "gate") == 2  # running at the crash: retried
    assert read_marks(marks, "last") == 1
    gate = next(task for task in summary["tasks"] if task["path"] == "root/gate")
    # Its first attempt counts when its RUNNING state was committed before the kill.
    assert gate["attempts"] == (2 if gate_was_running else 1)


def test_stop_token_parks_the_run_and_resume_finishes_it(
    compiled: dict[str, Path], home: Path, marks: Path, database_url: str
) -> None:
    """A StopToken kills the running task, records it PENDING with the reason, commits, releases the lease."""
    import threading

    from sluice.engine import RunResult, StopToken, resume_run, run_pipeline

    stop = StopToken()
    results: list[RunResult] = []
    driver = threading.Thread(
        target=lambda: results.append(
            run_pipeline(
                compiled["gated_chain"],
                {"marks": str(marks)},
                home=home,
                database_url=database_url,
                handle_sigint=False,
                stop=stop,
            )
        )
    )
    driver.start()
    _wait_for(lambda: read_marks(marks, "gate") == 1)
    gate_pid = int((marks / "gate").read_text().split()[0])
    stop.stop("the server shut down")
    driver.join(15)
    assert not driver.is_alive() and results
    assert _gone(gate_pid), "the stopped task's process outlived the stop"
    run_id = results[0].run_id

    store = Store.open(database_url)
    try:
        with store.read_session() as session:
            run = session.get(Run, run_id)
            assert run is not None
            assert run.state is RuntimeState.RUNNING
            assert run.lease_owner is None
            rows = {task.path: task for task in session.scalars(select(Task).where(Task.run_id == run_id))}
        assert {path: row.state for path, row in rows.items()} == {
            "root": RuntimeState.PENDING,
            "root/mark": RuntimeState.SUCCEEDED,
            "root/gate": RuntimeState.PENDING,
            "root/mark-2": RuntimeState.PENDING,
        }
        with store.read_session() as session:
            notes = session.scalars(
                select(TaskStateHistory.message).where(TaskStateHistory.task_id == rows["root/gate"].id)
            ).all()
        assert "the server shut down" in notes
    finally:
        store.close()

    (marks / "release").touch()
    resumed = resume_run(run_id, home=home, database_url=database_url, handle_sigint=False)
    assert resumed.state == "SUCCEEDED"
    assert read_marks(marks, "first") == 1
    assert read_marks(marks, "gate") == 2
    assert read_marks(marks, "last") == 1
