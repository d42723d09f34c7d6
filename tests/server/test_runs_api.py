"""Runs over the REST API: create (inline or by version), details, filters, sorting, pages, retry, archive,
delete, metrics (Sluice's extension), artifacts and logs."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.conftest import (
    API,
    ServerProcess,
    assert_kfp_error,
    create_run,
    wait_for_run,
    wait_for_task,
)


def _filter(*predicates: dict[str, Any]) -> str:
    return json.dumps({"predicates": list(predicates)})


@pytest.fixture(scope="module")
def experiment_id(server: ServerProcess) -> str:
    with server.client() as api:
        return str(api.post(f"{API}/experiments", json={"display_name": "runs-api"}).json()["experiment_id"])


def test_run_details(api: httpx.Client, specs: dict[str, dict[str, Any]], experiment_id: str) -> None:
    created = create_run(api, specs["adder"], {"a": 3, "b": 4}, experiment_id=experiment_id, description="d")
    assert created["state"] == "PENDING"
    assert created["runtime_config"]["parameters"] == {"a": 3, "b": 4}
    run = wait_for_run(api, created["run_id"])
    assert run["state"] == "SUCCEEDED", run
    assert run["description"] == "d"
    assert [entry["state"] for entry in run["state_history"]] == ["PENDING", "RUNNING", "SUCCEEDED"]
    tasks = {task["name"]: task for task in run["run_details"]["task_details"]}
    root, add = tasks["root"], tasks["add"]
    assert add["parent_task_id"] == root["task_id"]
    assert {"task_id": add["task_id"]} in root["child_tasks"]
    assert add["input_parameters"] == {"a": 3, "b": 4}
    assert add["output_parameters"] == {"Output": 7}
    assert add["state_history"][-1]["state"] == "SUCCEEDED"
    assert add["start_time"] <= add["end_time"]
    assert run["run_details"]["pipeline_run_context_id"]
    assert run["finished_at"] >= run["created_at"]


def test_run_from_pipeline_version(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    body = {
        "pipeline": {"display_name": "versioned-adder"},
        "pipeline_version": {"pipeline_spec": specs["adder"]},
    }
    pipeline_id = api.post(f"{API}/pipelines/create", json=body).json()["pipeline_id"]
    version_id = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"][0][
        "pipeline_version_id"
    ]
    reference = {"pipeline_id": pipeline_id, "pipeline_version_id": version_id}
    response = api.post(
        f"{API}/runs",
        json={
            "display_name": "by ref",
            "pipeline_version_reference": reference,
            "runtime_config": {"parameters": {"a": 9}},
        },
    )
    assert response.status_code == 200, response.text
    run = wait_for_run(api, response.json()["run_id"])
    assert run["state"] == "SUCCEEDED"
    assert run["pipeline_version_reference"] == reference
    assert "pipeline_spec" not in run
    # Only the pipeline: its newest version.
    latest = api.post(
        f"{API}/runs",
        json={"display_name": "latest", "pipeline_version_reference": {"pipeline_id": pipeline_id}},
    )
    assert latest.json()["pipeline_version_reference"]["pipeline_version_id"] == version_id


def test_list_filter_sort_and_pages(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    experiment = api.post(f"{API}/experiments", json={"display_name": "listing"}).json()["experiment_id"]
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    ids = [
        create_run(api, specs["adder"], {"a": index}, experiment_id=experiment, display_name=name)["run_id"]
        for index, name in enumerate(names)
    ]
    for run_id in ids:
        wait_for_run(api, run_id)

    def listed(**params: Any) -> list[str]:
        response = api.get(f"{API}/runs", params={"experiment_id": experiment, **params})
        assert response.status_code == 200, response.text
        return [run["display_name"] for run in response.json()["runs"]]

    assert listed(sort_by="display_name") == sorted(names)
    assert listed(sort_by="display_name desc") == sorted(names, reverse=True)
    assert listed(sort_by="created_at desc") == names[::-1]
    equals = {"key": "display_name", "operation": "EQUALS", "string_value": "gamma"}
    assert listed(filter=_filter(equals)) == ["gamma"]
    not_equals = {"key": "display_name", "operation": "NOT_EQUALS", "stringValue": "gamma"}
    assert sorted(listed(filter=_filter(not_equals))) == sorted(set(names) - {"gamma"})
    within = {"key": "name", "operation": "IN", "string_values": {"values": ["beta", "delta", "zeta"]}}
    assert listed(filter=_filter(within), sort_by="name") == ["beta", "delta"]
    substring = {"key": "display_name", "operation": "IS_SUBSTRING", "string_value": "lph"}
    assert listed(filter=_filter(substring)) == ["alpha"]
    numeric_operation = {"key": "display_name", "operation": 1, "string_value": "beta"}
    assert listed(filter=_filter(numeric_operation)) == ["beta"]
    runs = api.get(f"{API}/runs", params={"experiment_id": experiment, "sort_by": "created_at"}).json()[
        "runs"
    ]
    middle = runs[2]["created_at"]
    after = {"key": "created_at", "operation": "GREATER_THAN", "timestamp_value": middle}
    assert listed(filter=_filter(after), sort_by="created_at") == names[3:]
    before = {"key": "created_at", "operation": "LESS_THAN_EQUALS", "timestamp_value": middle}
    assert listed(filter=_filter(before), sort_by="created_at") == names[:3]
    state = {"key": "state", "operation": "EQUALS", "string_value": "SUCCEEDED"}
    assert len(listed(filter=_filter(state, equals))) == 1

    seen: list[str] = []
    token = ""
    while True:
        page = api.get(
            f"{API}/runs",
            params={
                "experiment_id": experiment,
                "page_size": 2,
                "page_token": token,
                "sort_by": "display_name",
            },
        ).json()
        assert page["total_size"] == 5
        seen += [run["display_name"] for run in page["runs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == sorted(names)


def test_bad_list_requests(api: httpx.Client) -> None:
    assert_kfp_error(api.get(f"{API}/runs", params={"filter": "{not json"}), 400, "not valid JSON")
    assert_kfp_error(api.get(f"{API}/runs", params={"filter": "[]"}), 400, "JSON object")
    unknown_key = _filter({"key": "colour", "operation": "EQUALS", "string_value": "red"})
    assert_kfp_error(api.get(f"{API}/runs", params={"filter": unknown_key}), 400, "colour", "display_name")
    bad_operation = _filter({"key": "state", "operation": "LIKE", "string_value": "x"})
    assert_kfp_error(api.get(f"{API}/runs", params={"filter": bad_operation}), 400, "LIKE")
    bad_state = _filter({"key": "state", "operation": "EQUALS", "string_value": "DONE"})
    assert_kfp_error(api.get(f"{API}/runs", params={"filter": bad_state}), 400, "DONE", "SUCCEEDED")
    no_value = _filter({"key": "state", "operation": "EQUALS"})
    assert_kfp_error(api.get(f"{API}/runs", params={"filter": no_value}), 400, "no value")
    bad_time = _filter({"key": "created_at", "operation": "EQUALS", "timestamp_value": "yesterday"})
    assert_kfp_error(api.get(f"{API}/runs", params={"filter": bad_time}), 400, "RFC 3339")
    assert_kfp_error(api.get(f"{API}/runs", params={"sort_by": "colour"}), 400, "colour")
    assert_kfp_error(api.get(f"{API}/runs", params={"sort_by": "created_at sideways"}), 400, "asc|desc")
    assert_kfp_error(api.get(f"{API}/runs", params={"page_token": "!!!"}), 400, "page_token")
    assert_kfp_error(api.get(f"{API}/runs", params={"page_size": -1}), 400, "page_size")
    assert_kfp_error(api.get(f"{API}/runs", params={"page_size": "ten"}), 400, "page_size")


def test_bad_runs_are_refused_and_never_stored(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    before = api.get(f"{API}/runs").json()["total_size"]
    adder = specs["adder"]
    cases = [
        ({"display_name": "x"}, "needs a pipeline"),
        ({"pipeline_spec": {"root": "nope"}}, "invalid pipeline spec"),
        ({"pipeline_spec": {"pipelineInfo": {"name": "x"}}}, "root"),
        ({"pipeline_spec": adder, "runtime_config": {"parameters": {"a": "one"}}}, "'a'"),
        ({"pipeline_spec": adder, "runtime_config": {"parameters": {"a": True}}}, "integer"),
        ({"pipeline_spec": adder, "runtime_config": {"parameters": {"c": 1}}}, "no input 'c'"),
        ({"pipeline_spec": adder, "runtime_config": {"pipeline_root": "/etc"}}, "artifact root"),
        ({"pipeline_spec": adder, "runtime_config": {"pipeline_root": "s3://bucket/x"}}, "s3://"),
        ({"pipeline_spec": adder, "pipeline_version_reference": {"pipeline_version_id": "v"}}, "not both"),
    ]
    for body, fragment in cases:
        assert_kfp_error(api.post(f"{API}/runs", json=body), 400, fragment)
    assert_kfp_error(
        api.post(f"{API}/runs", json={"pipeline_spec": adder, "experiment_id": "nope"}), 404, "nope"
    )
    assert_kfp_error(
        api.post(f"{API}/runs", json={"pipeline_version_reference": {"pipeline_version_id": "gone"}}),
        404,
        "gone",
    )
    assert_kfp_error(api.post(f"{API}/runs", content=b"{", headers={"content-type": "application/json"}), 400)
    assert api.get(f"{API}/runs").json()["total_size"] == before


def test_unknown_ids_are_404(api: httpx.Client) -> None:
    for method, path in [
        ("GET", "/runs/nope"),
        ("DELETE", "/runs/nope"),
        ("POST", "/runs/nope:terminate"),
        ("POST", "/runs/nope:retry"),
        ("POST", "/runs/nope:archive"),
        ("GET", "/experiments/nope"),
        ("GET", "/pipelines/nope"),
        ("GET", "/pipelines/nope/versions"),
        ("GET", "/recurringruns/nope"),
        ("GET", "/artifacts/nope"),
        ("GET", "/runs/nope/tasks/nope/log"),
    ]:
        assert_kfp_error(api.request(method, f"{API}{path}"), 404, "nope")
    assert_kfp_error(api.get(f"{API}/no/such/path"), 404, "no such API path")


def test_retry_reruns_only_what_failed(
    api: httpx.Client, specs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    marker = tmp_path / "failed-once"
    run_id = create_run(api, specs["flaky"], {"marker": str(marker)})["run_id"]
    failed = wait_for_run(api, run_id)
    assert failed["state"] == "FAILED"
    assert "failing on purpose" in json.dumps(failed["error"]) or failed["error"]["message"]
    before = {task["name"]: task for task in failed["run_details"]["task_details"]}
    assert before["stamp"]["state"] == "SUCCEEDED"
    assert before["fail-once"]["state"] == "FAILED"
    assert_kfp_error(api.post(f"{API}/runs/{run_id}:archive:retry"), 404)
    assert api.post(f"{API}/runs/{run_id}:retry").status_code == 200
    retried = wait_for_run(api, run_id)
    assert retried["state"] == "SUCCEEDED", retried
    after = {task["name"]: task for task in retried["run_details"]["task_details"]}
    assert after["stamp"]["output_parameters"] == before["stamp"]["output_parameters"]
    assert after["stamp"]["attempts"] == 1
    assert after["fail-once"]["output_parameters"] == {"Output": "recovered"}
    states = [entry["state"] for entry in retried["state_history"]]
    assert states == ["PENDING", "RUNNING", "FAILED", "PENDING", "RUNNING", "SUCCEEDED"]
    assert_kfp_error(api.post(f"{API}/runs/{run_id}:retry"), 400, "only FAILED")


def test_archive_unarchive_delete(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    run_id = create_run(api, specs["adder"], {"a": 100})["run_id"]
    wait_for_run(api, run_id)
    api.post(f"{API}/runs/{run_id}:archive")
    archived = _filter({"key": "storage_state", "operation": "EQUALS", "string_value": "ARCHIVED"})
    assert run_id in [
        run["run_id"] for run in api.get(f"{API}/runs", params={"filter": archived}).json()["runs"]
    ]
    api.post(f"{API}/runs/{run_id}:unarchive")
    assert api.get(f"{API}/runs/{run_id}").json()["storage_state"] == "AVAILABLE"
    assert api.delete(f"{API}/runs/{run_id}").status_code == 200
    assert_kfp_error(api.get(f"{API}/runs/{run_id}"), 404)


def test_delete_of_a_running_run_is_refused(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    run_id = create_run(api, specs["sleepy"], {"seconds": 30})["run_id"]
    wait_for_task(api, run_id, "sleep-for", "RUNNING")
    assert_kfp_error(api.delete(f"{API}/runs/{run_id}"), 400, "terminate it")
    api.post(f"{API}/runs/{run_id}:terminate")
    assert wait_for_run(api, run_id, timeout=30)["state"] == "CANCELED"
    assert api.delete(f"{API}/runs/{run_id}").status_code == 200


def test_runs_sorted_and_filtered_by_metric(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    experiment = api.post(f"{API}/experiments", json={"display_name": "metrics"}).json()["experiment_id"]
    rates = [0.01, 0.05, 0.03]
    ids = [
        create_run(api, specs["trainer"], {"learning_rate": rate}, experiment_id=experiment)["run_id"]
        for rate in rates
    ]
    for run_id in ids:
        assert wait_for_run(api, run_id)["state"] == "SUCCEEDED"
    response = api.get(f"{API}/runs", params={"experiment_id": experiment, "sort_by": "metric:accuracy desc"})
    assert response.status_code == 200, response.text
    ordered = response.json()["runs"]
    assert [run["runtime_config"]["parameters"]["learning_rate"] for run in ordered] == [0.05, 0.03, 0.01]
    assert ordered[0]["metrics"]["accuracy"] == pytest.approx(0.5)
    above = _filter({"key": "metric:accuracy", "operation": "GREATER_THAN", "string_value": "0.2"})
    kept = api.get(f"{API}/runs", params={"experiment_id": experiment, "filter": above}).json()["runs"]
    assert sorted(run["metrics"]["accuracy"] for run in kept) == pytest.approx([0.3, 0.5])
    exact = _filter({"key": "metric:accuracy", "operation": "LESS_THAN", "int_value": 1})
    assert (
        api.get(f"{API}/runs", params={"experiment_id": experiment, "filter": exact}).json()["total_size"]
        == 3
    )
    not_a_number = _filter({"key": "metric:accuracy", "operation": "EQUALS", "string_value": "high"})
    assert_kfp_error(api.get(f"{API}/runs", params={"filter": not_a_number}), 400, "not a number")


def test_read_artifacts_and_logs(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    run = wait_for_run(api, create_run(api, specs["trainer"], {"learning_rate": 0.2})["run_id"])
    train = next(task for task in run["run_details"]["task_details"] if task["name"] == "train")
    model_ids = train["outputs"]["model"]["artifact_ids"]
    read = api.get(f"{API}/runs/{run['run_id']}/nodes/{train['task_id']}/artifacts/model:read")
    assert read.status_code == 200, read.text
    assert base64.b64decode(read.json()["data"]) == b"weights for 0.2"
    by_name = api.get(f"{API}/runs/{run['run_id']}/nodes/train/artifacts/model:read")
    assert by_name.json() == read.json()
    assert_kfp_error(
        api.get(f"{API}/runs/{run['run_id']}/nodes/{train['task_id']}/artifacts/weights:read"), 404, "model"
    )
    artifact = api.get(f"{API}/artifacts/{model_ids[0]}").json()
    assert artifact["artifact_type"] == "system.Model"
    assert api.get(f"{API}/artifacts/{model_ids[0]}:download").content == b"weights for 0.2"
    metrics = api.get(f"{API}/artifacts/{train['outputs']['metrics']['artifact_ids'][0]}").json()
    assert metrics["metadata"]["accuracy"] == pytest.approx(2.0)


def test_follow_a_running_tasks_log(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    run_id = create_run(api, specs["chatty"], {"lines": 8})["run_id"]
    task = wait_for_task(api, run_id, "chatter", "RUNNING")
    started = time.monotonic()
    with api.stream(
        "GET", f"{API}/runs/{run_id}/tasks/{task['task_id']}/log", params={"follow": "true"}
    ) as stream:
        assert stream.headers["content-type"].startswith("text/plain")
        text = "".join(stream.iter_text())
    assert time.monotonic() - started > 0.5  # it waited for the task rather than returning what was there
    assert [f"line {index}" for index in range(8)] == [
        line for line in text.splitlines() if line.startswith("line")
    ]
    whole = api.get(f"{API}/runs/{run_id}/tasks/{task['task_id']}/log").text
    assert "line 7" in whole
