"""``sluice up --artifact-root s3://...`` against a real S3 server (SeaweedFS): runs write to the bucket, and
the API serves artifacts and finished tasks' logs from it (a running task's log from the local copy)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import s3fs

from tests.seaweedfs import S3Server
from tests.server.conftest import API, SLUICE, ServerProcess, assert_kfp_error, create_run, wait_for_run


def _task(run: dict[str, Any], name: str) -> dict[str, Any]:
    task: dict[str, Any] = next(t for t in run["run_details"]["task_details"] if t["name"] == name)
    return task


def _bucket(s3: S3Server) -> s3fs.S3FileSystem:
    env = s3.environment()
    return s3fs.S3FileSystem(
        endpoint_url=env["AWS_ENDPOINT_URL"],
        key=env["AWS_ACCESS_KEY_ID"],
        secret=env["AWS_SECRET_ACCESS_KEY"],
        skip_instance_cache=True,
        use_listings_cache=False,
    )


def test_up_with_an_s3_root_serves_artifacts_and_logs_from_the_bucket(
    tmp_path: Path, s3_environment: S3Server, specs: dict[str, dict[str, Any]]
) -> None:
    root = f"s3://{s3_environment.bucket}/service-test"
    server = ServerProcess(tmp_path / "home", None, extra_args=["--artifact-root", root]).start()
    try:
        with server.client() as api:
            assert api.get(f"{API}/healthz").json()["artifact_root"] == root
            trained = wait_for_run(api, create_run(api, specs["trainer"], {"learning_rate": 0.05})["run_id"])
            assert trained["state"] == "SUCCEEDED", trained
            chatty_id = create_run(api, specs["chatty"], {"lines": 15})["run_id"]
            # While it runs, the log is followed in the local copy the task writes.
            deadline = time.monotonic() + 30
            while "line 1" not in (partial := api.get(f"{API}/runs/{chatty_id}/tasks/chatter/log").text):
                assert time.monotonic() < deadline, partial
                time.sleep(0.1)
            assert api.get(f"{API}/runs/{chatty_id}").json()["state"] == "RUNNING"
            chatty = wait_for_run(api, chatty_id)
            assert chatty["state"] == "SUCCEEDED", chatty

            # Nothing local left: what follows comes from the bucket.
            shutil.rmtree(server.home / "s3")
            train_task = _task(trained, "train")
            model = api.get(
                f"{API}/runs/{trained['run_id']}/nodes/{train_task['task_id']}/artifacts/model:read"
            )
            assert model.status_code == 200, model.text
            assert base64.b64decode(model.json()["data"]) == b"weights for 0.05"
            model_uri = f"{root}/{trained['run_id']}/train/model"
            assert _bucket(s3_environment).cat_file(model_uri.removeprefix("s3://")) == b"weights for 0.05"
            log = api.get(f"{API}/runs/{chatty_id}/tasks/{_task(chatty, 'chatter')['task_id']}/log")
            assert log.status_code == 200, log.text
            assert [line for line in log.text.splitlines() if line.startswith("line")] == [
                f"line {index}" for index in range(15)
            ]

            outside = {
                "pipeline_spec": specs["adder"],
                "runtime_config": {"pipeline_root": "s3://elsewhere/x"},
            }
            assert_kfp_error(api.post(f"{API}/runs", json=outside), 400, "artifact root")
            climbing = {"pipeline_spec": specs["adder"], "runtime_config": {"pipeline_root": "a/../../x"}}
            assert_kfp_error(api.post(f"{API}/runs", json=climbing), 400, "artifact root")
            nested = create_run(
                api, specs["adder"], {"a": 2, "b": 3}, runtime_config={"pipeline_root": "team-a"}
            )
            assert wait_for_run(api, nested["run_id"])["state"] == "SUCCEEDED"
            assert _bucket(s3_environment).find(
                f"{s3_environment.bucket}/service-test/team-a/{nested['run_id']}"
            )
    finally:
        server.stop()


def test_up_refuses_a_missing_bucket_or_a_bad_endpoint_naming_it(
    tmp_path: Path, s3_environment: S3Server
) -> None:
    def up(root: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SLUICE, "up", "--artifact-root", root, "--port", "0"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "SLUICE_HOME": str(tmp_path / "home"), **env},
        )

    missing = up("s3://no-such-bucket/prefix")
    assert missing.returncode == 2
    assert "bucket 'no-such-bucket' does not exist at http://127.0.0.1" in missing.stderr
    unreachable = up(f"s3://{s3_environment.bucket}/x", AWS_ENDPOINT_URL="http://127.0.0.1:9")
    assert unreachable.returncode == 2
    assert "cannot reach bucket" in unreachable.stderr and "http://127.0.0.1:9" in unreachable.stderr
