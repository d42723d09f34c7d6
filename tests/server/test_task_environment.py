"""Tasks of ``sluice up`` get a clean environment: what the task asks for, what the runtime needs and an
allowlist the operator can extend (``--task-env``, ``$SLUICE_TASK_ENV_ALLOW``), never the server's database
URL, tokens or cloud credentials. Checked with real tasks that print their environment (a forked Python
task and a host command running ``env``) under a real ``sluice up`` started with secrets around it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.conftest import API, ServerProcess, create_run, wait_for_run
from tests.support.databases import available

DATABASE_PASSWORD = "db-pw-9c2d71"  # PostgreSQL here trusts local connections: any password works
SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "aws-secret-5e0a38",
    "AWS_ACCESS_KEY_ID": "AKIALEAKCHECK0042",
    "GITHUB_TOKEN": "ghp-leak-check-81f2",
    "OPENAI_API_KEY": "sk-leak-check-3c9d",
    "KF_PIPELINES_TOKEN": "kfp-token-leak-check",
}
ALLOWED = {"TEAM_SETTING": "team-value-1", "OTHER_SETTING": "other-value-2"}


@pytest.fixture(scope="module")
def secret_server(
    tmp_path_factory: pytest.TempPathFactory, database_servers: dict[str, Any]
) -> Iterator[ServerProcess]:
    url = available("postgresql", database_servers).create_database().set(password=DATABASE_PASSWORD)
    env = {
        "SLUICE_DATABASE_URL": url.render_as_string(hide_password=False),
        **SECRETS,
        **ALLOWED,
        "SLUICE_TASK_ENV_ALLOW": "OTHER_SETTING",
    }
    home = tmp_path_factory.mktemp("secrets") / "home"
    running = ServerProcess(home, None, extra_args=["--task-env", "TEAM_SETTING"], extra_env=env).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def environments(secret_server: ServerProcess, specs: dict[str, Any]) -> dict[str, str]:
    """Each task's log and outputs, by task name."""
    with secret_server.client() as api:
        run = wait_for_run(api, create_run(api, specs["environment"])["run_id"])
        assert run["state"] == "SUCCEEDED", run
        seen = {}
        for task in run["run_details"]["task_details"]:
            if task["name"] in ("print-environment", "env-command"):
                log = api.get(f"{API}/runs/{run['run_id']}/tasks/{task['task_id']}/log")
                assert log.status_code == 200, log.text
                seen[task["name"]] = log.text + "\n" + str(task.get("output_parameters") or {})
    assert set(seen) == {"print-environment", "env-command"}
    return seen


def _variables(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("{"))


@pytest.mark.parametrize("task", ["print-environment", "env-command"])
def test_no_secret_of_the_server_reaches_a_task(environments: dict[str, str], task: str) -> None:
    seen = environments[task]
    for value in (DATABASE_PASSWORD, *SECRETS.values()):
        assert value not in seen, f"{value} leaked into {task}"
    variables = _variables(seen)
    assert not {"SLUICE_DATABASE_URL", *SECRETS} & set(variables), sorted(variables)
    assert not [name for name in variables if name.startswith("SLUICE_") and name not in TASK_VARIABLES]


TASK_VARIABLES = {"SLUICE_RUN_ID", "SLUICE_TASK_ID", "SLUICE_TASK_PATH", "SLUICE_WORKSPACE", "SLUICE_HOST"}


@pytest.mark.parametrize("task", ["print-environment", "env-command"])
def test_a_task_gets_what_it_asks_for_what_it_needs_and_the_allowlist(
    environments: dict[str, str], task: str
) -> None:
    variables = _variables(environments[task])
    assert variables["ASKED_FOR"] == "by-the-task"  # the task's own env, on top
    assert set(variables) >= TASK_VARIABLES
    assert "PATH" in variables and "HOME" in variables
    assert variables["TEAM_SETTING"] == "team-value-1"  # --task-env
    assert variables["OTHER_SETTING"] == "other-value-2"  # $SLUICE_TASK_ENV_ALLOW


def test_the_servers_own_settings_cannot_be_allowed(tmp_path: Any) -> None:
    import subprocess

    from tests.server.conftest import SLUICE

    result = subprocess.run(
        [SLUICE, "up", "--port", "0", "--task-env", "SLUICE_DATABASE_URL"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "SLUICE_HOME": str(tmp_path / "home")},
    )
    assert result.returncode == 2
    assert "SLUICE_DATABASE_URL" in result.stderr and "never" in result.stderr, result.stderr


def test_the_api_never_shows_the_database_password(secret_server: ServerProcess) -> None:
    with httpx.Client(base_url=secret_server.url, timeout=30) as api:
        health = api.get(f"{API}/healthz").text
    assert DATABASE_PASSWORD not in health
    assert DATABASE_PASSWORD not in secret_server.log()
