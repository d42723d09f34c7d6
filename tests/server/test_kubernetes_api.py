"""kfp-kubernetes settings through ``sluice up``: a kfp-compiled pipeline with a secret, field paths and a node
selector, submitted with its PlatformSpec as kfp.Client sends it. The run's tasks show what was applied, the
run shows its warning, and the secret's value appears in no API response."""

from __future__ import annotations

import os
import subprocess
import uuid
import warnings
from pathlib import Path

import yaml

from tests.server.conftest import API, SLUICE, ServerProcess, wait_for_run


def test_settings_are_shown_and_the_secret_value_never_is(tmp_path: Path) -> None:
    from kfp import compiler

    from tests.engine import kfp_kubernetes_pipelines as pipelines

    home = tmp_path / "home"
    password = f"pw-{uuid.uuid4().hex}"
    env = {**os.environ, "SLUICE_HOME": str(home)}
    env.pop("SLUICE_DATABASE_URL", None)
    for command in (
        [
            "secrets",
            "create",
            "db-creds",
            "--from-literal",
            f"password={password}",
            "--from-literal",
            "user=u",
        ],
        ["secrets", "create", "api", "--from-literal", "token=t"],
        ["configmaps", "create", "settings", "--from-literal", "mode=m", "--from-literal", "level=1"],
    ):
        subprocess.run([SLUICE, *command], env=env, check=True, capture_output=True, timeout=120)

    target = tmp_path / "env.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiler.Compiler().compile(pipelines.env_from_settings, str(target))
    spec, platform = yaml.safe_load_all(target.read_text())
    platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-report-env"]["nodeSelector"] = {
        "labels": {"disk": "ssd"}
    }

    server = ServerProcess(home, None).start()
    try:
        with server.client() as api:
            created = api.post(
                f"{API}/runs",
                json={
                    "display_name": "with secrets",
                    "pipeline_spec": {"pipeline_spec": spec, "platform_spec": platform},
                    "runtime_config": {"parameters": {}},
                },
            )
            assert created.status_code == 200, created.text
            run = wait_for_run(api, created.json()["run_id"], timeout=120)
            assert run["state"] == "SUCCEEDED", run
            (task,) = [
                item for item in run["run_details"]["task_details"] if item.get("name") == "report-env"
            ]
            platform_record = task["platform"]
            assert platform_record["labels"]["team"] == "ml"
            assert platform_record["annotations"]["owner"] == "alice"
            assert platform_record["not_applied"] == {"nodeSelector": {"labels": {"disk": "ssd"}}}
            assert {"name": "DB_PASSWORD", "from": "secret", "source": "db-creds", "key": "password"} in (
                platform_record["env"]
            )
            assert run["warnings"] == [
                "this machine does not use these kfp-kubernetes settings (they are recorded on the tasks): "
                "node selector (task report-env)"
            ]
            responses = [
                api.get(f"{API}/runs/{run['run_id']}").text,
                api.get(f"{API}/runs").text,
                api.get(f"{API}/runs/{run['run_id']}/tasks/{task['task_id']}/log").text,
            ]
            for text in responses:
                assert password not in text
    finally:
        server.stop()
    assert password not in server.log()
