"""``sluice up --launcher ray``: where tasks ran in the API and ``sluice runs get``, and a kill -9 of the
server while a task runs on the cluster (Ray ends the dead driver's task; the next server runs it again,
and never reruns the task that had finished)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sluice.compiler import compile_to_spec
from tests.ray.pipelines import crash
from tests.ray_cluster import RayCluster
from tests.seaweedfs import S3Server
from tests.server.conftest import API, ServerProcess


def _eventually(check: Any, what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _task(server: ServerProcess, run_id: str, name: str) -> dict[str, Any] | None:
    with server.client() as api:
        tasks = api.get(f"{API}/runs/{run_id}").json().get("run_details", {}).get("task_details", [])
    return next((task for task in tasks if task.get("name") == name), None)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sluice_up_on_ray_shows_nodes_and_survives_kill_9(
    ray_cluster: RayCluster, s3_environment: S3Server, tmp_path: Path, node_names: dict[str, str]
) -> None:
    home = tmp_path / "home"
    marks, flag = tmp_path / "marks", tmp_path / "flag"
    arguments = [
        "--launcher",
        "ray",
        "--ray-address",
        ray_cluster.address,
        "--artifact-root",
        f"s3://{s3_environment.bucket}/{tmp_path.name}",
    ]
    server = ServerProcess(home, None, extra_args=arguments).start(timeout=120)
    try:
        body = {
            "display_name": "crash",
            "pipeline_spec": compile_to_spec(crash).to_dict(),
            "runtime_config": {"parameters": {"marks": str(marks), "flag": str(flag)}},
        }
        with server.client() as api:
            run_id = api.post(f"{API}/runs", json=body).json()["run_id"]
        waiting = _eventually(
            lambda: (
                (task := _task(server, run_id, "wait-for-flag"))
                and task.get("state") == "RUNNING"
                and task.get("executor_detail")
                and task
            ),
            "the second task to run",
        )
        # The API says where it runs: a node of the cluster, on the nodes' address.
        assert node_names.get(waiting["node_id"]) in {"head", "cpu", "gpu"}
        assert waiting["node_address"] == "127.0.0.2"
        pid = int(waiting["executor_detail"]["main_job"])
        assert _alive(pid)
        assert marks.read_text() == "ran\n"

        server.stop(signal.SIGKILL)
        # Ray ends a dead driver's tasks, and the attempt's process with them: none is left to adopt.
        _eventually(lambda: not _alive(pid), "the orphaned attempt to be killed", timeout=90)

        flag.touch()
        server.start(timeout=120)  # resumes the run: the finished task keeps its result
        with server.client() as api:
            _eventually(
                lambda: api.get(f"{API}/runs/{run_id}").json().get("state") == "SUCCEEDED",
                "the resumed run to succeed",
                timeout=180,
            )
        assert marks.read_text() == "ran\n"  # count-run did not run again

        listing = subprocess.run(
            [sys.executable, "-m", "sluice", "runs", "get", run_id],
            capture_output=True,
            text=True,
            env={**os.environ, "SLUICE_HOME": str(home)},
            timeout=60,
            check=True,
        ).stdout
        line = next(line for line in listing.splitlines() if "root/wait-for-flag" in line)
        assert "[node 127.0.0.2 " in line
    finally:
        server.stop()
