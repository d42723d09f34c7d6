"""``sluice.Client`` against a real ``sluice up``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sluice
from sluice.client import ApiError, Client
from tests.server.conftest import ServerProcess


@pytest.fixture
def client(server: ServerProcess) -> Any:
    with sluice.Client(server.url) as connected:
        yield connected


def test_submit_wait_and_inspect(client: Client, packages: dict[str, Path]) -> None:
    assert client.health()["multi_user"] is False
    experiment = client.create_experiment("client-tests")
    assert client.find_experiment("client-tests") == experiment
    run = client.submit(
        packages["adder"], {"a": 2, "b": 40}, name="sum", experiment_id=experiment.experiment_id
    )
    assert run.state == "PENDING"
    done = client.wait(run.run_id, timeout=60, poll_interval=0.1)
    assert done.succeeded
    assert done.task("add").outputs == {"Output": 42}
    assert done.parameters == {"a": 2, "b": 40}
    page = client.list_runs(experiment_id=experiment.experiment_id)
    assert [item.run_id for item in page] == [run.run_id]
    assert len(page) == 1 and page.total_size == 1


def test_pipelines_versions_and_runs_from_them(client: Client, packages: dict[str, Path]) -> None:
    pipeline = client.upload_pipeline(packages["adder"], "client-adder", description="from the client")
    version = client.upload_pipeline_version(packages["adder"], pipeline.pipeline_id, "v2")
    assert client.get_pipeline_by_name("client-adder") == pipeline
    assert [item.name for item in client.list_pipeline_versions(pipeline.pipeline_id)] == [
        "v2",
        "client-adder",
    ]
    run = client.submit(pipeline_id=pipeline.pipeline_id, pipeline_version_id=version.pipeline_version_id)
    assert client.wait(run.run_id, timeout=60, poll_interval=0.1).succeeded
    with pytest.raises(ApiError) as refused:
        client.delete_pipeline(pipeline.pipeline_id)
    assert refused.value.status == 400 and "cascade" in refused.value.message
    client.delete_pipeline(pipeline.pipeline_id, cascade=True)
    with pytest.raises(ApiError) as missing:
        client.get_pipeline(pipeline.pipeline_id)
    assert missing.value.status == 404


def test_metrics_logs_artifacts_and_retry(client: Client, packages: dict[str, Path], tmp_path: Path) -> None:
    runs = [client.submit(packages["trainer"], {"learning_rate": rate}) for rate in (0.01, 0.07)]
    for run in runs:
        client.wait(run.run_id, timeout=60, poll_interval=0.1)
    ranked = client.list_runs(sort_by="metric:accuracy desc", page_size=2)
    assert [run.run_id for run in ranked] == [runs[1].run_id, runs[0].run_id]
    assert ranked.items[0].metrics["accuracy"] == pytest.approx(0.7)
    assert client.read_artifact(runs[1].run_id, "train", "model") == b"weights for 0.07"
    chatty = client.submit(packages["chatty"], {"lines": 3})
    text = "".join(client.logs(chatty.run_id, "chatter", follow=True))
    assert "line 2" in text
    flaky = client.submit(packages["flaky"], {"marker": str(tmp_path / "marker")})
    assert client.wait(flaky.run_id, timeout=60, poll_interval=0.1).state == "FAILED"
    client.retry_run(flaky.run_id)
    assert client.wait(flaky.run_id, timeout=60, poll_interval=0.1).succeeded


def test_recurring_runs(client: Client, packages: dict[str, Path]) -> None:
    recurring = client.create_recurring_run(
        "client-cron", packages["adder"], {"a": 1}, cron="30 6 * * 1-5", time_zone="America/New_York"
    )
    assert recurring.status == "ENABLED"
    assert recurring.next_fire_time is not None and recurring.next_fire_time.minute == 30
    client.disable_recurring_run(recurring.recurring_run_id)
    assert client.get_recurring_run(recurring.recurring_run_id).status == "DISABLED"
    assert recurring.recurring_run_id in [item.recurring_run_id for item in client.list_recurring_runs()]
    client.delete_recurring_run(recurring.recurring_run_id)
    with pytest.raises(ValueError, match="exactly one"):
        client.create_recurring_run("bad", packages["adder"])


def test_unreachable_service_is_a_clear_error() -> None:
    with Client("http://127.0.0.1:9") as nowhere, pytest.raises(ApiError, match="cannot reach"):
        nowhere.health()


def test_host_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_HOST", raising=False)
    monkeypatch.setenv("KF_PIPELINES_ENDPOINT", "example.test:1234")
    assert Client().host == "http://example.test:1234"
    monkeypatch.setenv("SLUICE_HOST", "https://sluice.test/")
    assert Client().host == "https://sluice.test"
