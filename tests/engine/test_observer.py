"""What an observer of a run sees: frozen snapshots of each task as it changed, never the engine's nodes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sluice.engine import RunObserver, run_pipeline
from sluice.engine._observer import TaskSnapshot
from tests.engine.conftest import FIXTURES


class Recorder(RunObserver):
    def __init__(self) -> None:
        self.seen: list[TaskSnapshot] = []

    def task_changed(self, task: TaskSnapshot) -> None:
        self.seen.append(task)


def test_an_observer_gets_each_change_as_a_frozen_snapshot(home: Path) -> None:
    recorder = Recorder()
    result = run_pipeline(FIXTURES / "hello_world.yaml", home=home, handle_sigint=False, observer=recorder)
    assert result.succeeded
    assert all(type(task) is TaskSnapshot for task in recorder.seen)
    shout = [task.state for task in recorder.seen if task.path.endswith("/shout")]
    assert shout == ["PENDING", "RUNNING", "SUCCEEDED"]  # kept as they were, not updated later
    with pytest.raises(dataclasses.FrozenInstanceError):
        recorder.seen[0].state = "FAILED"  # type: ignore[misc, assignment]
