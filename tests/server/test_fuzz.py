"""Schemathesis fuzzes every operation of the served OpenAPI document: whatever it sends, the service
answers with a 2xx or a 4xx, never a 5xx. Half the examples aim at objects that exist (a pipeline, version,
experiment, run with tasks and artifacts, recurring run), so bodies and queries reach past the 404s; some
come with hostile headers (a foreign Host, a foreign Origin or Referer: refused with 403, never served; or
random text in them). A stateful phase then chains operations along the links schemathesis infers (a
created object's id into the next call). Bounded to a few examples per operation so it stays quick."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup

from tests.server.conftest import API, ServerProcess, create_run, wait_for_run
from tests.support.openapi import operations as openapi_operations

EXAMPLES_PER_OPERATION = 20
STATEFUL_SCENARIOS = 25

_PRINTABLE = st.from_regex(r"[!-~][ -~]{0,60}", fullmatch=True)
# Names that are never this server's: a page's own host after DNS rebinding, and look-alikes.
FOREIGN_HOSTS = st.one_of(
    st.sampled_from(
        [
            "evil.example",
            "evil.example:8888",
            "127.0.0.1.evil.example",
            "localhost.evil.example:80",
            "[::2]:1",
        ]
    ),
    st.from_regex(r"[a-z]{1,12}\.(example|test|invalid)(:[0-9]{1,5})?", fullmatch=True),
)
FOREIGN_ORIGINS = st.one_of(
    st.sampled_from(["null", "http://evil.example", "https://127.0.0.1.evil.example", "http://127.0.0.1:1"]),
    st.from_regex(r"https?://[a-z]{1,12}\.(example|test|invalid)(:[0-9]{1,5})?", fullmatch=True),
)
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@st.composite
def hostile_headers(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """Headers a web page (or a fuzzer) could send, and what the server must do: "refused" (403),
    "refused-if-writing" (403 for a state-changing method) or "no-5xx"."""
    kind = draw(st.sampled_from(["none", "foreign-host", "foreign-origin", "foreign-referer", "random"]))
    if kind == "foreign-host":
        headers = {"Host": draw(FOREIGN_HOSTS)}
        if draw(st.booleans()):
            headers["Origin"] = f"http://{headers['Host']}"
        return "refused", headers
    if kind == "foreign-origin":
        return "refused-if-writing", {"Origin": draw(FOREIGN_ORIGINS)}
    if kind == "foreign-referer":
        return "refused-if-writing", {
            "Referer": draw(FOREIGN_ORIGINS.filter(lambda url: url != "null")) + "/page"
        }
    if kind == "random":
        names = draw(st.sets(st.sampled_from(["Host", "Origin", "Referer", "Sec-Fetch-Site"]), min_size=1))
        return "no-5xx", {name: draw(_PRINTABLE) for name in sorted(names)}
    return "no-5xx", {}


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
    operations = openapi_operations(schema)
    assert len(operations) >= 30
    failures: list[str] = []
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy(), aim_at_known=st.booleans(), hostile=hostile_headers())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any, aim_at_known: bool, hostile: tuple[str, dict[str, str]]) -> None:
            if aim_at_known and case.path_parameters:
                case.path_parameters = {
                    key: known_ids.get(key, value) for key, value in case.path_parameters.items()
                }
            expected, headers = hostile
            response = case.call_and_validate(
                base_url=server.url, headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )
            calls.append(response.status_code)
            writing = case.method.upper() in STATE_CHANGING
            if expected == "refused" or (expected == "refused-if-writing" and writing):
                assert response.status_code == 403, (headers, response.status_code, response.text[:300])

        # A check's failures come as a FailureGroup, a BaseException: `except Exception` alone would end the
        # loop at the first failing operation, and the test would pass.
        try:
            fuzz()
        except (Exception, FailureGroup) as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:3000])
    assert not failures, "\n\n".join(failures)
    assert any(200 <= status < 300 for status in calls)


def test_linked_operations_never_answer_with_a_server_error(
    server: ServerProcess, known_ids: dict[str, str]
) -> None:
    """The stateful phase: scenarios of several calls, each feeding ids from earlier responses (a created
    pipeline, experiment, run) into the next, along the links schemathesis infers from the schema."""
    schema = schemathesis.openapi.from_url(f"{server.url}/apis/v2beta1/openapi.json")
    machine = schema.as_state_machine()
    assert schema.statistic.transitions.total >= 50, schema.statistic.transitions
    calls: list[tuple[str, int]] = []

    class Scenarios(machine):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": server.url}

        def after_call(self, response: Any, case: Any) -> None:
            calls.append((case.operation.label, response.status_code))

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance], transport_kwargs=kwargs
            )

    Scenarios.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert len(calls) >= STATEFUL_SCENARIOS
    assert any(200 <= status < 300 for _, status in calls), calls
