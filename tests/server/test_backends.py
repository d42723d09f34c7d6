"""The same API behaviour on SQLite, PostgreSQL and MariaDB: runs execute, list filters and sorts (the
metric extension included) and refusals leave nothing behind."""

from __future__ import annotations

import json
from typing import Any

from tests.server.conftest import API, ServerProcess, assert_kfp_error, create_run, wait_for_run


def test_runs_filters_and_metrics_on_every_backend(
    backend_server: ServerProcess, specs: dict[str, Any]
) -> None:
    with backend_server.client() as api:
        experiment = api.post(f"{API}/experiments", json={"display_name": "backends"}).json()["experiment_id"]
        ids = [
            create_run(
                api,
                specs["trainer"],
                {"learning_rate": rate},
                experiment_id=experiment,
                display_name=f"lr {rate}",
            )["run_id"]
            for rate in (0.02, 0.04)
        ]
        for run_id in ids:
            assert wait_for_run(api, run_id)["state"] == "SUCCEEDED"
        best = api.get(f"{API}/runs", params={"experiment_id": experiment, "sort_by": "metric:accuracy desc"})
        assert [run["display_name"] for run in best.json()["runs"]] == ["lr 0.04", "lr 0.02"]
        substring = json.dumps(
            {"predicates": [{"key": "display_name", "operation": "IS_SUBSTRING", "string_value": "0.02"}]}
        )
        found = api.get(f"{API}/runs", params={"experiment_id": experiment, "filter": substring}).json()
        assert [run["run_id"] for run in found["runs"]] == ids[:1]
        before = api.get(f"{API}/runs").json()["total_size"]
        assert_kfp_error(
            api.post(
                f"{API}/runs",
                json={"pipeline_spec": specs["adder"], "runtime_config": {"parameters": {"a": 1.5}}},
            ),
            400,
            "integer",
        )
        assert api.get(f"{API}/runs").json()["total_size"] == before
        assert_kfp_error(api.post(f"{API}/experiments", json={"display_name": "backends"}), 409)
