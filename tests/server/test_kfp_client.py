"""The official ``kfp.Client`` works unchanged against ``sluice up``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import ServerProcess, wait_for_run

pytestmark = pytest.mark.kfp


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Any:
    import kfp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kfp.Client(host=server.url)


def test_experiment_and_run_from_package(client: Any, packages: dict[str, Path]) -> None:
    experiment = client.create_experiment("kfp-client", description="made by kfp.Client")
    assert client.create_experiment("kfp-client").experiment_id == experiment.experiment_id  # found by name
    run = client.create_run_from_pipeline_package(
        str(packages["adder"]), arguments={"a": 20, "b": 22}, experiment_name="kfp-client", run_name="answer"
    )
    done = client.wait_for_run_completion(run.run_id, timeout=60, sleep_duration=0.2)
    assert done.state == "SUCCEEDED"
    assert done.experiment_id == experiment.experiment_id
    assert done.display_name == "answer"
    tasks = {task.display_name: task for task in done.run_details.task_details}
    assert tasks["add"].state == "SUCCEEDED"
    assert tasks["add"].start_time is not None and tasks["add"].end_time is not None
    fetched = client.get_run(run.run_id)
    assert fetched.runtime_config.parameters == {"a": 20, "b": 22}
    assert [status.state for status in fetched.state_history][:1] == ["PENDING"]
    assert fetched.state_history[-1].state == "SUCCEEDED"


def test_run_from_pipeline_func(client: Any) -> None:
    from tests.server.pipelines import adder

    run = client.create_run_from_pipeline_func(adder, arguments={"a": 1, "b": 1})
    assert client.wait_for_run_completion(run.run_id, timeout=60, sleep_duration=0.2).state == "SUCCEEDED"


def test_list_runs_filters_sorts_and_pages(client: Any, packages: dict[str, Path]) -> None:
    experiment = client.create_experiment("kfp-list")
    ids = []
    for value in range(3):
        run = client.create_run_from_pipeline_package(
            str(packages["adder"]), arguments={"a": value, "b": 0}, experiment_id=experiment.experiment_id
        )
        ids.append(run.run_id)
    listed = client.list_runs(experiment_id=experiment.experiment_id, sort_by="created_at desc", page_size=2)
    assert listed.total_size == 3
    assert [run.run_id for run in listed.runs] == ids[::-1][:2]
    rest = client.list_runs(
        experiment_id=experiment.experiment_id,
        sort_by="created_at desc",
        page_size=2,
        page_token=listed.next_page_token,
    )
    assert [run.run_id for run in rest.runs] == ids[:1]
    assert not rest.next_page_token
    for run_id in ids:
        client.wait_for_run_completion(run_id, timeout=60, sleep_duration=0.2)
    import json

    succeeded = client.list_runs(
        experiment_id=experiment.experiment_id,
        filter=json.dumps(
            {"predicates": [{"key": "state", "operation": "EQUALS", "string_value": "SUCCEEDED"}]}
        ),
    )
    assert succeeded.total_size == 3


def test_upload_pipeline_and_version_then_run_it(client: Any, packages: dict[str, Path]) -> None:
    pipeline = client.upload_pipeline(
        str(packages["adder"]), pipeline_name="adder-uploaded", description="adds"
    )
    assert pipeline.display_name == "adder-uploaded"
    version = client.upload_pipeline_version(
        str(packages["adder"]), pipeline_version_name="v2", pipeline_id=pipeline.pipeline_id
    )
    assert version.pipeline_id == pipeline.pipeline_id
    by_name = client.upload_pipeline_version(
        str(packages["adder"]), pipeline_version_name="v3", pipeline_name="adder-uploaded"
    )
    assert by_name.pipeline_id == pipeline.pipeline_id
    names = [item.display_name for item in client.list_pipelines(page_size=100).pipelines]
    assert "adder-uploaded" in names
    assert client.get_pipeline_id("adder-uploaded") == pipeline.pipeline_id
    versions = client.list_pipeline_versions(pipeline.pipeline_id)
    assert versions.total_size == 3
    assert client.get_pipeline_version(pipeline.pipeline_id, version.pipeline_version_id).name == "v2"
    experiment = client.create_experiment("kfp-versions")
    run = client.run_pipeline(
        experiment.experiment_id,
        "from a version",
        params={"a": 2, "b": 3},
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
    )
    done = client.wait_for_run_completion(run.run_id, timeout=60, sleep_duration=0.2)
    assert done.state == "SUCCEEDED"
    assert done.pipeline_version_reference.pipeline_version_id == version.pipeline_version_id
    assert done.pipeline_version_reference.pipeline_id == pipeline.pipeline_id


def test_recurring_run_lifecycle(client: Any, packages: dict[str, Path]) -> None:
    experiment = client.create_experiment("kfp-recurring")
    recurring = client.create_recurring_run(
        experiment.experiment_id,
        "nightly",
        cron_expression="0 0 2 * * *",
        max_concurrency=2,
        pipeline_package_path=str(packages["adder"]),
        params={"a": 1},
    )
    assert recurring.status == "ENABLED"
    assert recurring.trigger.cron_schedule.cron == "0 0 2 * * *"
    assert recurring.max_concurrency == "2"
    client.disable_recurring_run(recurring.recurring_run_id)
    assert client.get_recurring_run(recurring.recurring_run_id).status == "DISABLED"
    client.enable_recurring_run(recurring.recurring_run_id)
    listed = client.list_recurring_runs(experiment_id=experiment.experiment_id)
    assert [item.recurring_run_id for item in listed.recurring_runs] == [recurring.recurring_run_id]
    client.delete_recurring_run(recurring.recurring_run_id)
    assert client.list_recurring_runs(experiment_id=experiment.experiment_id).total_size == 0


def test_terminate_run(client: Any, packages: dict[str, Path], server: ServerProcess) -> None:
    run = client.create_run_from_pipeline_package(str(packages["sleepy"]), arguments={"seconds": 60})
    with server.client() as api:
        from tests.server.conftest import wait_for_task

        wait_for_task(api, run.run_id, "sleep-for", "RUNNING")
        client.terminate_run(run.run_id)
        ended = wait_for_run(api, run.run_id, timeout=30)
    assert ended["state"] == "CANCELED"
    tasks = {task["name"]: task for task in ended["run_details"]["task_details"]}
    assert tasks["sleep-for"]["state"] == "CANCELED"


def test_archive_and_delete(client: Any, packages: dict[str, Path]) -> None:
    run = client.create_run_from_pipeline_package(str(packages["adder"]), arguments={"a": 5})
    client.wait_for_run_completion(run.run_id, timeout=60, sleep_duration=0.2)
    client.archive_run(run.run_id)
    assert client.get_run(run.run_id).storage_state == "ARCHIVED"
    client.unarchive_run(run.run_id)
    assert client.get_run(run.run_id).storage_state == "AVAILABLE"
    client.delete_run(run.run_id)
    import kfp_server_api

    with pytest.raises(kfp_server_api.ApiException) as caught:
        client.get_run(run.run_id)
    assert caught.value.status == 404


def test_experiments_through_kfp(client: Any) -> None:
    experiment = client.create_experiment("kfp-experiments")
    assert client.get_experiment(experiment_name="kfp-experiments").experiment_id == experiment.experiment_id
    assert client.get_experiment(experiment_id=experiment.experiment_id).display_name == "kfp-experiments"
    names = [item.display_name for item in client.list_experiments(page_size=100).experiments]
    assert {"Default", "kfp-experiments"} <= set(names)
    client.archive_experiment(experiment.experiment_id)
    assert client.get_experiment(experiment_id=experiment.experiment_id).storage_state == "ARCHIVED"
    client.unarchive_experiment(experiment.experiment_id)
    client.delete_experiment(experiment.experiment_id)
    with pytest.raises(ValueError, match="No experiment"):
        client.get_experiment(experiment_name="kfp-experiments")


def test_kfp_errors_carry_the_message(client: Any) -> None:
    import kfp_server_api

    with pytest.raises(kfp_server_api.ApiException) as caught:
        client.get_pipeline("no-such-pipeline")
    assert caught.value.status == 404
    assert "no-such-pipeline" in caught.value.body
