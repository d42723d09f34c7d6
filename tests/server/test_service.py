"""What ``sluice up`` serves besides the API resources: health, a page at /, the OpenAPI document; and how it
refuses settings it cannot run with."""

from __future__ import annotations

import subprocess

import httpx

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


def test_an_unreachable_database_is_a_clear_error(tmp_path: object) -> None:
    result = subprocess.run(
        [SLUICE, "up", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:9/none", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "cannot connect to the database" in result.stderr + result.stdout
