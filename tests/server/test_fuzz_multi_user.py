"""Schemathesis with auth, on ``sluice up --multi-user``: every operation of the served OpenAPI, fuzzed as a
member of another namespace and as a viewer, aimed half the time at team-a's real objects. Never a 5xx;
nothing of team-a in what the outsider gets; no write of the viewer's ever succeeds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup

from tests.server.conftest import API, ServerProcess, create_run, wait_for_run
from tests.server.test_multi_user import make_users
from tests.support.openapi import operations as openapi_operations

EXAMPLES_PER_OPERATION = 8
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def team(
    tmp_path_factory: pytest.TempPathFactory, specs: dict[str, Any]
) -> Iterator[tuple[ServerProcess, dict[str, str], dict[str, str]]]:
    home = tmp_path_factory.mktemp("fuzz-team") / "home"
    tokens = make_users(home)
    server = ServerProcess(home, None, extra_args=["--multi-user"]).start()
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {tokens['alice']}"}
    ) as api:
        experiment_id = api.post(
            f"{API}/experiments", json={"display_name": "a-exp", "namespace": "team-a"}
        ).json()["experiment_id"]
        run = wait_for_run(api, create_run(api, specs["trainer"], experiment_id=experiment_id)["run_id"])
        train = next(task for task in run["run_details"]["task_details"] if task["name"] == "train")
        pipeline = api.post(f"{API}/pipelines", json={"display_name": "a-pipe", "namespace": "team-a"}).json()
    ids = {
        "experiment_id": experiment_id,
        "run_id": run["run_id"],
        "task_id": train["task_id"],
        "node_id": train["task_id"],
        "artifact_name": "model",
        "artifact_id": train["outputs"]["model"]["artifact_ids"][0],
        "pipeline_id": pipeline["pipeline_id"],
    }
    yield server, tokens, ids
    server.stop()


@pytest.mark.parametrize("user", ["bob", "victor"])
def test_outsiders_and_viewers_get_nothing_and_change_nothing(
    team: tuple[ServerProcess, dict[str, str], dict[str, str]], user: str
) -> None:
    server, tokens, ids = team
    headers = {"Authorization": f"Bearer {tokens[user]}"}
    schema = schemathesis.openapi.from_url(f"{server.url}{API}/openapi.json", headers=headers)
    operations = openapi_operations(schema)
    failures: list[str] = []
    secrets = set(ids.values()) - {"model"}
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
                    key: ids.get(key, value) for key, value in case.path_parameters.items()
                }
            if aim_at_known and isinstance(case.query, dict):
                case.query = {**case.query, "namespace": "team-a"}
            response = case.call_and_validate(
                base_url=server.url, headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )
            method = case.method.upper()
            if user == "bob" and 200 <= response.status_code < 300:
                assert not any(secret in response.text for secret in secrets), (method, case.formatted_path)
            if method in STATE_CHANGING and aim_at_known:
                assert response.status_code >= 400, (method, case.formatted_path, response.text[:300])

        # A check's failures come as a FailureGroup, a BaseException: `except Exception` alone would end the
        # loop at the first failing operation, and the test would pass.
        try:
            fuzz()
        except (Exception, FailureGroup) as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:3000])
    assert not failures, "\n\n".join(failures)
