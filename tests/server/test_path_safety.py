"""Artifact and log reads never leave the artifact root, whatever URI a task (or a hand-edited database)
recorded: absolute paths elsewhere, '..' climbs, and symlinks out of the root are all refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sluice.store import RuntimeState, RunWriter, Store, TaskKind
from sluice.store.models import Task
from tests.server.conftest import API, ServerProcess, assert_kfp_error
from tests.support.tasks import create_task

SECRET = "top secret, outside the artifact root"


@pytest.fixture(scope="module")
def planted(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A run whose task and artifacts point outside the root, written straight into the server's store."""
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text(SECRET)
    root = server.home / "artifacts"
    link = root / "escape-link"
    link.symlink_to(outside)
    inside = root / "legit.txt"
    inside.write_text("fine")
    uris = {
        "absolute": str(outside),
        "climb": str(root / ".." / ".." / outside.relative_to(outside.anchor)),
        "symlink": str(link),
        "file-uri": f"file://{outside}",
        "other-scheme": "s3://bucket/secret.txt",
    }
    store = Store.open(f"sqlite:///{server.home / 'sluice.db'}")
    try:
        with store.session() as session:
            run = store.create_run(pipeline_spec={}, display_name="planted", session=session)
            store.transition_run(run.id, RuntimeState.FAILED, session=session)
            created = create_task(
                store,
                run.id,
                name="evil",
                path="root/evil",
                kind=TaskKind.CONTAINER,
                session=session,
            )
            task = session.get_one(Task, created.id)
            task.state = RuntimeState.FAILED
            task.log_uri = str(outside)
            task.outputs = {
                "artifacts": {name: [{"uri": uri}] for name, uri in uris.items()}
                | {"ok": [{"uri": str(inside)}]}
            }
            writer = RunWriter(store, run.id)
            artifact_ids = {
                name: writer.record_artifact(uri=uri, schema_title="system.Artifact")
                for name, uri in uris.items()
            }
            writer.flush(session.connection())
        return {"run_id": run.id, "task_id": task.id, **{f"artifact:{k}": v for k, v in artifact_ids.items()}}
    finally:
        store.close()


@pytest.mark.parametrize("name", ["absolute", "climb", "symlink", "file-uri", "other-scheme"])
def test_task_artifact_reads_stay_inside_the_root(
    api: httpx.Client, planted: dict[str, str], name: str
) -> None:
    response = api.get(f"{API}/runs/{planted['run_id']}/nodes/{planted['task_id']}/artifacts/{name}:read")
    assert_kfp_error(response, 400)
    assert SECRET not in response.text


@pytest.mark.parametrize("name", ["absolute", "climb", "symlink", "file-uri", "other-scheme"])
def test_artifact_downloads_stay_inside_the_root(
    api: httpx.Client, planted: dict[str, str], name: str
) -> None:
    response = api.get(f"{API}/artifacts/{planted[f'artifact:{name}']}:download")
    assert_kfp_error(response, 400)
    assert SECRET not in response.text
    metadata = api.get(f"{API}/artifacts/{planted[f'artifact:{name}']}").json()
    assert "artifact_size" not in metadata


def test_a_log_outside_the_root_is_not_served(api: httpx.Client, planted: dict[str, str]) -> None:
    response = api.get(f"{API}/runs/{planted['run_id']}/tasks/{planted['task_id']}/log")
    assert_kfp_error(response, 400, "outside the artifact root")
    assert SECRET not in response.text


def test_reads_inside_the_root_still_work(api: httpx.Client, planted: dict[str, str]) -> None:
    response = api.get(f"{API}/runs/{planted['run_id']}/nodes/evil/artifacts/ok:read")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("node", ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..\\..\\etc"])
def test_encoded_traversal_in_the_url_is_just_an_unknown_id(
    api: httpx.Client, planted: dict[str, str], node: str
) -> None:
    response = api.get(f"{API}/runs/{planted['run_id']}/nodes/{node}/artifacts/x:read")
    assert response.status_code in (400, 404), response.text
    assert "root:" not in response.text  # /etc/passwd's first line


def test_pipeline_root_outside_the_artifact_root_is_refused(api: httpx.Client, tmp_path: Path) -> None:
    body = {"pipeline_spec": {"root": {}}, "runtime_config": {"pipeline_root": "../../etc"}}
    assert_kfp_error(api.post(f"{API}/runs", json=body), 400, "artifact root")
