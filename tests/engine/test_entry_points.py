"""The engine's entry points: ``run_pipeline`` takes an EngineOptions (or its fields one by one), and a
recorded run is driven by ``drive_run`` (how the service starts the runs it created)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.engine import EngineOptions, Workspace, create_run, drive_run, run_pipeline
from sluice.engine._arguments import complete_arguments
from sluice.engine._load import load_pipeline
from tests.engine.conftest import FIXTURES


def test_options_and_their_fields_as_keywords(home: Path) -> None:
    options = EngineOptions(cache=False, handle_sigint=False, parallelism=1)
    first = run_pipeline(FIXTURES / "hello_world.yaml", home=home, options=options)
    again = run_pipeline(FIXTURES / "hello_world.yaml", home=home, options=options)
    assert first.succeeded and again.succeeded
    assert not any(task.cached_from_task_id for task in again.tasks)  # cache=False from the options
    cached = run_pipeline(FIXTURES / "hello_world.yaml", home=home, options=options, cache=True)
    assert any(task.cached_from_task_id for task in cached.tasks)  # a keyword overrides the options


def test_an_unknown_setting_is_refused_naming_the_fields(home: Path) -> None:
    with pytest.raises(
        TypeError, match=r"unexpected keyword argument 'paralelism' \(settings are EngineOptions"
    ):
        run_pipeline(FIXTURES / "hello_world.yaml", home=home, paralelism=2)


def test_a_created_run_is_driven_by_drive_run(home: Path) -> None:
    workspace = Workspace.resolve(home)
    document = load_pipeline(FIXTURES / "hello_world.yaml").checked()
    with workspace.store() as store:
        run = create_run(
            store,
            document,
            complete_arguments(document.spec, {"name": "drive"}),
            display_name="created",
            pipeline_root=workspace.pipeline_root,
            cache=False,
        )
    assert run.state == "PENDING"
    result = drive_run(run.id, EngineOptions(handle_sigint=False), home=home)
    assert result.succeeded and result.run_id == run.id
    assert result.task("make-greeting").outputs == {"Output": "Hello, drive!"}
