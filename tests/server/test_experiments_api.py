"""Experiments and recurring runs over the REST API, and their refusals."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.server.conftest import API, assert_kfp_error, create_run, wait_for_run


def test_default_exists_and_experiments_round_trip(api: httpx.Client) -> None:
    names = [item["display_name"] for item in api.get(f"{API}/experiments").json()["experiments"]]
    assert "Default" in names
    created = api.post(f"{API}/experiments", json={"display_name": "exp-a", "description": "first"}).json()
    assert created["storage_state"] == "AVAILABLE"
    assert api.get(f"{API}/experiments/{created['experiment_id']}").json()["description"] == "first"
    assert_kfp_error(api.post(f"{API}/experiments", json={"display_name": "exp-a"}), 409, "exp-a")
    assert_kfp_error(api.post(f"{API}/experiments", json={"description": "no name"}), 400, "display_name")
    flt = json.dumps({"predicates": [{"key": "display_name", "operation": "EQUALS", "stringValue": "exp-a"}]})
    assert api.get(f"{API}/experiments", params={"filter": flt}).json()["total_size"] == 1


def test_archive_takes_runs_along_and_blocks_new_ones(api: httpx.Client, specs: dict[str, Any]) -> None:
    experiment_id = api.post(f"{API}/experiments", json={"display_name": "exp-archive"}).json()[
        "experiment_id"
    ]
    run_id = create_run(api, specs["adder"], experiment_id=experiment_id)["run_id"]
    wait_for_run(api, run_id)
    assert api.post(f"{API}/experiments/{experiment_id}:archive").status_code == 200
    assert api.get(f"{API}/experiments/{experiment_id}").json()["storage_state"] == "ARCHIVED"
    assert api.get(f"{API}/runs/{run_id}").json()["storage_state"] == "ARCHIVED"
    refused = api.post(f"{API}/runs", json={"pipeline_spec": specs["adder"], "experiment_id": experiment_id})
    assert_kfp_error(refused, 400, "archived")
    api.post(f"{API}/experiments/{experiment_id}:unarchive")
    assert api.get(f"{API}/experiments/{experiment_id}").json()["storage_state"] == "AVAILABLE"


def test_delete_refuses_an_experiment_with_runs(api: httpx.Client, specs: dict[str, Any]) -> None:
    experiment_id = api.post(f"{API}/experiments", json={"display_name": "exp-delete"}).json()[
        "experiment_id"
    ]
    run_id = create_run(api, specs["adder"], experiment_id=experiment_id)["run_id"]
    wait_for_run(api, run_id)
    assert_kfp_error(api.delete(f"{API}/experiments/{experiment_id}"), 400, "runs")
    api.delete(f"{API}/runs/{run_id}")
    assert api.delete(f"{API}/experiments/{experiment_id}").status_code == 200
    assert_kfp_error(api.get(f"{API}/experiments/{experiment_id}"), 404)


def test_recurring_run_refusals(api: httpx.Client, specs: dict[str, Any]) -> None:
    base = {"display_name": "r", "pipeline_spec": specs["adder"]}
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "trigger"),
        ({"trigger": {"cron_schedule": {"cron": "not a cron"}}}, "cron"),
        ({"trigger": {"cron_schedule": {"cron": "0 0 * * *", "time_zone": "Mars/Olympus"}}}, "time zone"),
        ({"trigger": {"periodic_schedule": {"interval_second": "0"}}}, "positive"),
        (
            {"trigger": {"periodic_schedule": {"interval_second": 60}}, "max_concurrency": 11},
            "between 1 and 10",
        ),
        ({"trigger": {"periodic_schedule": {"interval_second": 60}}, "mode": "SOMETIMES"}, "ENABLE"),
        (
            {
                "trigger": {
                    "periodic_schedule": {
                        "interval_second": 60,
                        "start_time": "2026-02-01T00:00:00Z",
                        "end_time": "2026-01-01T00:00:00Z",
                    }
                }
            },
            "end_time",
        ),
        (
            {
                "trigger": {"periodic_schedule": {"interval_second": 60}},
                "runtime_config": {"parameters": {"a": "x"}},
            },
            "'a'",
        ),
    ]
    for extra, fragment in cases:
        assert_kfp_error(api.post(f"{API}/recurringruns", json={**base, **extra}), 400, fragment)
    assert api.get(f"{API}/recurringruns").json()["total_size"] == 0


def test_recurring_run_shapes(api: httpx.Client, specs: dict[str, Any]) -> None:
    body = {
        "display_name": "paris mornings",
        "pipeline_spec": specs["adder"],
        "trigger": {"cron_schedule": {"cron": "0 0 9 * * *", "time_zone": "Europe/Paris"}},
        "no_catchup": True,
        "mode": "DISABLE",
    }
    created = api.post(f"{API}/recurringruns", json=body).json()
    assert created["status"] == "DISABLED"
    assert created["trigger"]["cron_schedule"] == {"cron": "0 0 9 * * *", "time_zone": "Europe/Paris"}
    assert created["no_catchup"] is True
    assert created["max_concurrency"] == "1"
    api.post(f"{API}/recurringruns/{created['recurring_run_id']}:enable")
    enabled = api.get(f"{API}/recurringruns/{created['recurring_run_id']}").json()
    assert enabled["status"] == "ENABLED"
    assert enabled["next_fire_time"].endswith(":00:00Z")
    listed = api.get(f"{API}/recurringruns").json()
    assert [item["recurring_run_id"] for item in listed["recurringRuns"]] == [created["recurring_run_id"]]
    assert api.delete(f"{API}/recurringruns/{created['recurring_run_id']}").status_code == 200
