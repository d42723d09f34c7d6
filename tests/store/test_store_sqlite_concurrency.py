"""Several processes share one SQLite file: no "database is locked", nothing lost."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from sluice.store import RuntimeState, RunWriter, Store, TaskKind
from sluice.store.models import Run, Task, TaskStateHistory
from tests.support.tasks import create_task

from ._builders import SPEC

CYCLES = 25  # each cycle is three transitions: RUNNING, FAILED, PENDING (a retry)

# Opens (and so races to migrate) the store, says "ready", waits for its task ids, then transitions them.
WORKER = f"""
import sys, time
from pathlib import Path
from sluice.store import RuntimeState, Store
from tests.support.tasks import create_task, transition_task

url, go_file, worker = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
store = Store.open(url)
print("ready", flush=True)
while not go_file.exists():
    time.sleep(0.005)
task_ids = go_file.read_text().split()[worker::2]
for cycle in range({CYCLES}):
    for task_id in task_ids:
        transition_task(store, task_id, RuntimeState.RUNNING, message=f"worker {{worker}} cycle {{cycle}}")
        transition_task(store, task_id, RuntimeState.FAILED, error={{"cycle": cycle}})
        transition_task(store, task_id, RuntimeState.PENDING)
store.close()
print("done", flush=True)
"""


def test_two_processes_migrate_and_transition_tasks_concurrently(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    go_file = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(go_file), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line == "ready\n", worker.stderr.read() if worker.stderr else line

        with Store.open(url) as store:
            run = store.create_run(pipeline_spec=SPEC)
            tasks = [
                create_task(store, run.id, name=f"t{i}", path=f"root/t{i}", kind=TaskKind.CONTAINER)
                for i in range(4)
            ]
            # Written whole, then renamed: a worker never reads half the ids.
            (tmp_path / "go.tmp").write_text(" ".join(task.id for task in tasks))
            (tmp_path / "go.tmp").rename(go_file)
            # The parent writes too while the workers run.
            started = time.monotonic()
            writer = RunWriter(store, run.id)
            for i in range(20):
                writer.record_metric(name="progress", value=i)
                writer.flush()

            outputs = [worker.communicate(timeout=120) for worker in workers]
            for worker, (out, err) in zip(workers, outputs, strict=True):
                assert worker.returncode == 0, err
                assert "database is locked" not in err
                assert out.strip() == "done"
            assert time.monotonic() - started < 60

            with store.read_session() as session:
                for task in tasks:
                    stored = session.get_one(Task, task.id)
                    assert (stored.state, stored.attempts) == (RuntimeState.PENDING, CYCLES)
                    history = session.scalar(
                        select(func.count())
                        .select_from(TaskStateHistory)
                        .where(TaskStateHistory.task_id == task.id)
                    )
                    assert history == 1 + 3 * CYCLES
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()


def test_readers_do_not_wait_for_an_open_write_transaction(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with Store.open(url) as writer, Store.open(url) as reader:
        run = writer.create_run(pipeline_spec=SPEC, display_name="before")
        with writer.session() as session:
            session.get_one(Run, run.id).display_name = "after"
            session.flush()  # holds SQLite's write lock until the block ends
            started = time.monotonic()
            with reader.read_session() as read:
                assert read.get_one(Run, run.id).display_name == "before"
            run_row = reader.get_run(run.id)  # the engine's reads (Core) do not wait either
            assert run_row is not None
            assert run_row.display_name == "before"
            assert time.monotonic() - started < 1
        with reader.read_session() as read:
            assert read.get_one(Run, run.id).display_name == "after"
