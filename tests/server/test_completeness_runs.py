"""KFP completeness for runs on a real ``sluice up``: RetryRun of a CANCELED run, recurring runs that follow a
pipeline's latest version, Prometheus metrics at /metrics, and run retention deleting runs, their
artifacts and logs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice import dsl
from sluice.compiler import Compiler
from tests.server.conftest import (
    API,
    ServerProcess,
    assert_kfp_error,
    create_run,
    wait_for_run,
    wait_for_task,
)


@dsl.component
def stamp() -> str:
    import time
    import uuid

    return f"{time.time()}-{uuid.uuid4()}"


@dsl.component
def wait_for_file(marker: str, upstream: str) -> str:
    import os
    import time

    while not os.path.exists(marker):
        time.sleep(0.05)
    return "found"


@dsl.pipeline(name="waits")
def waits(marker: str) -> str:
    first = stamp().set_caching_options(False)
    return wait_for_file(marker=marker, upstream=first.output).set_caching_options(False).output


@dsl.component
def write_model(model: dsl.Output[dsl.Model]) -> None:
    with open(model.path, "w") as handle:
        handle.write("weights")


@dsl.pipeline(name="modeller")
def modeller() -> None:
    write_model().set_caching_options(False)


@dsl.component
def version_one() -> str:
    return "one"


@dsl.component
def version_two() -> str:
    return "two"


@dsl.pipeline(name="versioned")
def versioned_one() -> None:
    version_one().set_caching_options(False)


@dsl.pipeline(name="versioned")
def versioned_two() -> None:
    version_two().set_caching_options(False)


def _spec(pipeline: Any, folder: Path) -> dict[str, Any]:
    import yaml

    path = folder / f"{pipeline.name}-{id(pipeline)}.yaml"
    Compiler().compile(pipeline, str(path))
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    return spec


@pytest.fixture(scope="module")
def spec_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any], dict[str, Any]]:
    folder = tmp_path_factory.mktemp("specs")
    return lambda pipeline: _spec(pipeline, folder)


def _poll(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_canceled_run_can_be_retried(
    api: httpx.Client, spec_of: Callable[[Any], dict[str, Any]], tmp_path: Path
) -> None:
    marker = tmp_path / "go"
    run_id = create_run(api, spec_of(waits), {"marker": str(marker)})["run_id"]
    wait_for_task(api, run_id, "wait-for-file", "RUNNING")
    assert api.post(f"{API}/runs/{run_id}:terminate").status_code == 200
    canceled = wait_for_run(api, run_id)
    assert canceled["state"] == "CANCELED"
    before = {task["name"]: task for task in canceled["run_details"]["task_details"]}
    assert before["stamp"]["state"] == "SUCCEEDED"

    marker.write_text("go")
    assert api.post(f"{API}/runs/{run_id}:retry").status_code == 200, "KFP retries CANCELED runs"
    retried = wait_for_run(api, run_id)
    assert retried["state"] == "SUCCEEDED", retried
    after = {task["name"]: task for task in retried["run_details"]["task_details"]}
    assert after["stamp"]["output_parameters"] == before["stamp"]["output_parameters"]  # reused, not re-run
    assert after["wait-for-file"]["output_parameters"] == {"Output": "found"}
    states = [entry["state"] for entry in retried["state_history"]]
    assert states[-4:] == ["CANCELED", "PENDING", "RUNNING", "SUCCEEDED"], states
    assert "finished_at" in retried and retried.get("error") is None
    # A run that succeeded is not retried.
    assert_kfp_error(api.post(f"{API}/runs/{run_id}:retry"), 400, "only FAILED and CANCELED")


def test_a_recurring_run_of_a_pipeline_runs_its_latest_version(
    api: httpx.Client, spec_of: Callable[[Any], dict[str, Any]]
) -> None:
    created = api.post(
        f"{API}/pipelines/create",
        json={
            "pipeline": {"name": "follow-latest"},
            "pipeline_version": {"name": "v1", "pipeline_spec": spec_of(versioned_one)},
        },
    )
    assert created.status_code == 200, created.text
    pipeline_id = created.json()["pipeline_id"]
    (first,) = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"]
    body = {
        "display_name": "latest each time",
        "pipeline_version_reference": {"pipeline_id": pipeline_id},
        "trigger": {"periodic_schedule": {"interval_second": "1"}},
        "max_concurrency": "1",
        "no_catchup": True,
    }
    response = api.post(f"{API}/recurringruns", json=body)
    assert response.status_code == 200, response.text
    recurring = response.json()
    assert recurring["pipeline_version_reference"] == {"pipeline_id": pipeline_id}
    recurring_id = recurring["recurring_run_id"]
    flt = json.dumps(
        {"predicates": [{"key": "recurring_run_id", "operation": "EQUALS", "string_value": recurring_id}]}
    )

    def runs() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            api.get(f"{API}/runs", params={"filter": flt, "page_size": 100, "sort_by": "created_at"})
            .json()
            .get("runs", [])
        )
        return found

    try:
        _poll(lambda: any(run["state"] == "SUCCEEDED" for run in runs()), what="a first fire")
        assert runs()[0]["pipeline_version_reference"]["pipeline_version_id"] == first["pipeline_version_id"]
        second = api.post(
            f"{API}/pipelines/{pipeline_id}/versions",
            json={"name": "v2", "pipeline_spec": spec_of(versioned_two)},
        ).json()
        later = _poll(
            lambda: [
                run
                for run in runs()
                if run["pipeline_version_reference"]["pipeline_version_id"] == second["pipeline_version_id"]
            ],
            what="a fire of the new version",
        )
        done = wait_for_run(api, later[0]["run_id"])
        (task,) = [t for t in done["run_details"]["task_details"] if t["name"] == "version-two"]
        assert task["output_parameters"] == {"Output": "two"}
    finally:
        api.delete(f"{API}/recurringruns/{recurring_id}")


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format (read with prometheus-client's parser)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return float(sample.value)
    raise AssertionError(f"no sample {name}{labels} in:\n{text}")


def test_prometheus_metrics(api: httpx.Client, spec_of: Callable[[Any], dict[str, Any]]) -> None:
    run_id = create_run(api, spec_of(modeller))["run_id"]
    assert wait_for_run(api, run_id)["state"] == "SUCCEEDED"
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _metric(text, "sluice_runs", state="SUCCEEDED") >= 1
    assert _metric(text, "sluice_tasks", state="SUCCEEDED") >= 1
    assert _metric(text, "sluice_runs", state="RUNNING") >= 0
    assert _metric(text, "sluice_runs_queued") >= 0
    assert _metric(text, "sluice_runs_pending") >= 0
    assert _metric(text, "sluice_task_duration_seconds_count") >= 1
    route = "/apis/v2beta1/runs/{run_id}"
    # Routes are labelled by template: run ids never become label values.
    assert (
        _metric(text, "sluice_http_request_duration_seconds_count", method="GET", route=route, status="200")
        >= 1
    )
    assert run_id not in text


@pytest.fixture(scope="module")
def retaining(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A ``sluice up`` that deletes archived runs a second after they ended, other runs after 10 s."""
    running = ServerProcess(
        tmp_path_factory.mktemp("retention") / "home",
        None,
        extra_args=["--runs-retention", str(10 / 86400), "--archived-runs-retention", str(1 / 86400)],
    ).start()
    yield running
    running.stop()


def test_retention_deletes_runs_their_artifacts_and_logs(
    retaining: ServerProcess, spec_of: Callable[[Any], dict[str, Any]]
) -> None:
    with retaining.client() as api:
        kept = create_run(api, spec_of(modeller))["run_id"]
        doomed = create_run(api, spec_of(modeller))["run_id"]
        for run_id in (kept, doomed):
            assert wait_for_run(api, run_id)["state"] == "SUCCEEDED"
        folder = retaining.home / "artifacts" / doomed
        assert any(folder.rglob("model")) and any(folder.rglob("*.log")), "outputs and logs are there"
        model_uris = {
            artifact["uri"]
            for artifact in api.get("/apis/sluice/v1/artifacts", params={"run_id": doomed}).json()[
                "artifacts"
            ]
        }
        assert model_uris
        api.post(f"{API}/runs/{doomed}:archive")
        _poll(lambda: api.get(f"{API}/runs/{doomed}").status_code == 404, what="the archived run's deletion")
        _poll(lambda: not folder.exists(), timeout=10, what="its folder's deletion")
        listed = api.get("/apis/sluice/v1/artifacts", params={"page_size": 100}).json()["artifacts"]
        assert not model_uris & {artifact["uri"] for artifact in listed}
        # The run that is not archived ended under 10 s ago: kept, with its files.
        assert api.get(f"{API}/runs/{kept}").json()["state"] == "SUCCEEDED"
        assert (retaining.home / "artifacts" / kept).is_dir()
        # Then it expires too.
        _poll(lambda: api.get(f"{API}/runs/{kept}").status_code == 404, timeout=60, what="the run's deletion")
        # Its row goes first, in one transaction; its folder right after.
        _poll(
            lambda: not (retaining.home / "artifacts" / kept).exists(),
            timeout=10,
            what="its folder's deletion",
        )


def test_bad_retention_settings_stop_sluice_up(tmp_path: Path) -> None:
    process = ServerProcess(tmp_path / "home", None, extra_args=["--runs-retention", "0"])
    with pytest.raises(RuntimeError, match="--runs-retention: expected a number of days above 0"):
        process.start(timeout=30)
