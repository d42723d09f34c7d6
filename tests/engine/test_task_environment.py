"""``sluice run`` on a person's own machine passes that person's environment to tasks, as kfp.local does
(their credentials are theirs to use), except Sluice's own settings such as ``SLUICE_DATABASE_URL``; forked
Python tasks and host commands see the same."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

SLUICE = str(Path(sys.executable).with_name("sluice"))


@pytest.fixture(scope="module")
def environment_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kfp import compiler

    from tests.server.pipelines import environment

    path = tmp_path_factory.mktemp("environment") / "environment.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiler.Compiler().compile(environment, str(path))
    return path


def _variables(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_sluice_run_passes_the_users_environment_but_not_sluices_settings(
    home: Path, tmp_path: Path, environment_yaml: Path
) -> None:
    database = tmp_path / "private-db-7d1c.sqlite"
    env = {
        **os.environ,
        "SLUICE_DATABASE_URL": f"sqlite:///{database}",
        "SLUICE_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
        "MY_CLOUD_KEY": "mine-to-use-42",
    }
    result = subprocess.run(
        [SLUICE, "run", str(environment_yaml)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    logs = sorted((tmp_path / "artifacts").rglob("attempt-1.log"))
    assert len(logs) == 2, logs
    for log in logs:
        text = log.read_text()
        variables = _variables(text)
        assert variables["MY_CLOUD_KEY"] == "mine-to-use-42", log
        assert variables["ASKED_FOR"] == "by-the-task"
        assert "private-db-7d1c" not in text, log
        sluice_settings = sorted(
            name for name in variables if name.startswith("SLUICE_") and not name.startswith("SLUICE_TASK_")
        )
        # Only what the engine gives each task (its run, task and the run workspace), none of the user's.
        assert sluice_settings == ["SLUICE_RUN_ID", "SLUICE_WORKSPACE"], (log, sluice_settings)
