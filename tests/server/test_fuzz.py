"""Schemathesis fuzzes every operation of the served OpenAPI document: whatever it sends, the service
answers with a 2xx or a 4xx, never a 5xx. Half the examples aim at objects that exist (a pipeline, version,
experiment, run with tasks and artifacts, recurring run), so bodies and queries reach past the 404s.
Bounded to a few examples per operation so it stays quick."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.server.conftest import API, ServerProcess, create_run, wait_for_run

EXAMPLES_PER_OPERATION = 20


@pytest.fixture(scope="module")
def known_ids(server: ServerProcess, specs: dict[str, Any]) -> dict[str, str]:
    """Real objects for the fuzzer to aim at."""
    with httpx.Client(base_url=server.url, timeout=30) as api:
        body = {
            "pipeline": {"display_name": "fuzz-target"},
            "pipeline_version": {"pipeline_spec": specs["trainer"]},
        }
        pipeline_id = api.post(f"{API}/pipelines/create", json=body).json()["pipeline_id"]
        version = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"][0]
        experiment_id = api.post(f"{API}/experiments", json={"display_name": "fuzz"}).json()["experiment_id"]
        run = wait_for_run(api, create_run(api, specs["trainer"], experiment_id=experiment_id)["run_id"])
        train = next(task for task in run["run_details"]["task_details"] if task["name"] == "train")
        recurring = api.post(
            f"{API}/recurringruns",
            json={
                "display_name": "fuzz",
                "pipeline_spec": specs["adder"],
                "trigger": {"cron_schedule": {"cron": "0 0 1 1 *"}},
            },
        ).json()
    return {
        "pipeline_id": pipeline_id,
        "pipeline_version_id": version["pipeline_version_id"],
        "experiment_id": experiment_id,
        "run_id": run["run_id"],
        "task_id": train["task_id"],
        "node_id": train["task_id"],
        "artifact_name": "model",
        "artifact_id": train["outputs"]["model"]["artifact_ids"][0],
        "recurring_run_id": recurring["recurring_run_id"],
        "name": "fuzz-target",
    }


def test_no_operation_answers_with_a_server_error(server: ServerProcess, known_ids: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/apis/v2beta1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy(), aim_at_known=st.booleans())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any, aim_at_known: bool) -> None:
            if aim_at_known and case.path_parameters:
                case.path_parameters = {
                    key: known_ids.get(key, value) for key, value in case.path_parameters.items()
                }
            response = case.call_and_validate(base_url=server.url, checks=[not_a_server_error])
            calls.append(response.status_code)

        try:
            fuzz()
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:3000])
    assert not failures, "\n\n".join(failures)
    assert any(200 <= status < 300 for status in calls)
