"""A full artifact filesystem (a 1 MiB tmpfs as the artifact root): a task that fills it fails naming the
cause (its output, or its log), the error is kept in the store, the partial output is removed so that the
next run proceeds; and when the full disk stops the engine itself, no task of the ended run is left
RUNNING or PENDING.

Mounting needs root; without it these tests skip, saying so."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice import dsl
from sluice.engine import run_pipeline
from sluice.store import TERMINAL_STATES, Store
from sluice.store.models import Task

DISK_BYTES = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a 1 MiB tmpfs here (it needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], capture_output=True, check=False)


def _free(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bfree * stats.f_frsize


@dsl.component
def fill_output(out: dsl.Output[dsl.Artifact]):
    with open(out.path, "wb") as handle:
        for _ in range(40):
            handle.write(b"x" * 64 * 1024)


@dsl.component
def fill_log():
    for index in range(40_000):
        print(f"line {index:06d} of a log that will not fit on this disk")


@dsl.component
def write_small(text: str, out: dsl.Output[dsl.Artifact]) -> str:
    with open(out.path, "w") as handle:
        handle.write(text)
    return text


@dsl.pipeline(name="fills-its-output")
def fills_output():
    fill_output().set_caching_options(False)


@dsl.pipeline(name="fills-its-log")
def fills_log():
    fill_log().set_caching_options(False)


@dsl.pipeline(name="small-chain")
def small_chain():
    first = write_small(text="one").set_caching_options(False)
    write_small(text=first.outputs["Output"]).set_caching_options(False)


def _run(pipeline: object, home: Path, root: Path):
    return run_pipeline(pipeline, home=home, pipeline_root=str(root), handle_sigint=False)


def _stored_tasks(home: Path, run_id: str) -> list[Task]:
    store = Store.open(f"sqlite:///{home / 'sluice.db'}")
    try:
        with store.read_session() as session:
            return list(session.query(Task).filter(Task.run_id == run_id))
    finally:
        store.close()


@pytest.mark.parametrize(
    ("pipeline", "task", "cause"),
    [
        (fills_output, "fill-output", "no space left on device while writing output 'out'"),
        (fills_log, "fill-log", "no space left on device while writing the log"),
    ],
    ids=["output", "log"],
)
def test_a_task_that_fills_the_disk_fails_naming_the_cause_and_the_next_run_proceeds(
    home: Path, small_disk: Path, pipeline: object, task: str, cause: str
) -> None:
    failed = _run(pipeline, home, small_disk)
    assert failed.state == "FAILED"
    assert cause in (failed.task(task).error or ""), failed.task(task).error
    assert cause in (failed.error or "")
    stored = {row.name: row for row in _stored_tasks(home, failed.run_id)}
    assert cause in str(stored[task].error), stored[task].error  # kept in the store, not only in the log
    assert _free(small_disk) > DISK_BYTES // 2  # the partial output is gone

    following = _run(small_chain, home, small_disk)
    assert following.state == "SUCCEEDED", following.error


def test_when_a_full_disk_stops_the_engine_no_task_is_left_unfinished(home: Path, small_disk: Path) -> None:
    """The engine writes each Python task's module to the full disk and stops: the run ends FAILED, and so
    does every task it had (none RUNNING or PENDING)."""
    descriptor = os.open(small_disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, b"\0" * 4096)
    except OSError:
        pass  # full
    finally:
        os.close(descriptor)
    with pytest.raises(OSError, match="No space left on device"):
        _run(small_chain, home, small_disk)
    store = Store.open(f"sqlite:///{home / 'sluice.db'}")
    try:
        from sluice.engine import list_runs

        (run,) = list_runs(store, 1)
    finally:
        store.close()
    assert run.state == "FAILED"
    assert "the engine stopped: OSError: [Errno 28] No space left on device" in (run.error or "")
    tasks = _stored_tasks(home, run.run_id)
    assert tasks, "the run had started"
    unfinished = [(task.path, task.state) for task in tasks if task.state not in TERMINAL_STATES]
    assert unfinished == []
    for task in tasks:
        if task.state == "FAILED":
            assert "the engine stopped" in str(task.error), (task.path, task.error)
