"""What ``sluice up`` serves besides the API resources: health, a page at /, the OpenAPI document; and how it
refuses settings it cannot run with."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import API, SLUICE, ServerProcess


def test_health_landing_page_and_openapi(api: httpx.Client, server: ServerProcess) -> None:
    health = api.get(f"{API}/healthz").json()
    assert health["multi_user"] is False
    assert health["database"] == "sqlite"
    assert health["artifact_root"] == str(server.home / "artifacts")
    page = api.get("/")  # the web UI (or, where it was not built, a page that says so)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    document = api.get(f"{API}/openapi.json").json()
    paths = document["paths"]
    for path in (
        f"{API}/runs",
        f"{API}/runs/{{run_id}}:retry",
        f"{API}/pipelines/upload",
        f"{API}/recurringruns/{{recurring_run_id}}:enable",
        f"{API}/runs/{{run_id}}/tasks/{{task_id}}/log",
    ):
        assert path in paths, path
    assert "metric:NAME" in str(paths[f"{API}/runs"]["get"])
    # No docs page: FastAPI's loads its scripts from a CDN, and Sluice serves nothing from outside.
    assert "swagger" not in api.get("/docs").text.lower()


def test_unsupported_artifact_root_is_refused_up_front(tmp_path: object) -> None:
    result = subprocess.run(
        [SLUICE, "up", "--artifact-root", "gs://bucket/prefix", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "gs:// artifact store is not supported" in result.stderr


UNREACHABLE = "postgresql+psycopg://nobody:hunter2@127.0.0.1:9/none"


def _sluice(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SLUICE, *args], capture_output=True, text=True, timeout=60, check=False, env=env)


def test_an_unreachable_database_is_one_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "SLUICE_HOME": str(tmp_path / "home")}
    result = _sluice("up", "--database-url", UNREACHABLE, "--port", "0", env=env)
    output = result.stderr + result.stdout
    assert result.returncode != 0
    assert "cannot connect to the database" in output
    assert "Traceback" not in output, output
    assert len(output.strip().splitlines()) <= 4, output
    assert "hunter2" not in output
    debug = _sluice("up", "--database-url", UNREACHABLE, "--port", "0", "--log-level", "debug", env=env)
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr + debug.stdout
    assert "hunter2" not in debug.stderr + debug.stdout


@pytest.mark.parametrize("command", [["run", "PIPELINE"], ["runs", "list"], ["runs", "get", "x"]])
def test_commands_on_an_unreachable_database_url_say_so_in_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("components: {}\n")
    env = {**os.environ, "SLUICE_HOME": str(tmp_path / "home"), "SLUICE_DATABASE_URL": UNREACHABLE}
    result = _sluice(*[str(pipeline) if part == "PIPELINE" else part for part in command], env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: cannot connect to the database"), result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr
