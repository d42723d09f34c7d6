"""The CLI verbs on the service, run as real ``sluice`` processes against a real ``sluice up``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.server.conftest import ServerProcess

SLUICE = str(Path(sys.executable).with_name("sluice"))


def sluice(*args: str, host: str | None = None, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        key: value for key, value in os.environ.items() if key not in ("SLUICE_HOST", "KF_PIPELINES_ENDPOINT")
    }
    if host:
        env["SLUICE_HOST"] = host
    if home:
        env["SLUICE_HOME"] = str(home)
    return subprocess.run([SLUICE, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_pipelines_upload_list_get_delete(server: ServerProcess, packages: dict[str, Path]) -> None:
    uploaded = sluice("pipelines", "upload", str(packages["adder"]), "--name", "cli-adder", host=server.url)
    assert uploaded.returncode == 0, uploaded.stderr
    pipeline_id = uploaded.stdout.split()[0]
    version = sluice(
        "pipelines",
        "upload",
        str(packages["adder"]),
        "--name",
        "v2",
        "--version",
        pipeline_id,
        "--host",
        server.url,
    )
    assert version.returncode == 0, version.stderr
    listed = sluice("pipelines", "list", host=server.url)
    assert "cli-adder" in listed.stdout
    shown = json.loads(sluice("pipelines", "get", "cli-adder", "--json", host=server.url).stdout)
    assert shown["pipeline_id"] == pipeline_id and len(shown["versions"]) == 2
    refused = sluice("pipelines", "delete", pipeline_id, host=server.url)
    assert refused.returncode == 2 and "cascade" in refused.stderr
    assert sluice("pipelines", "delete", pipeline_id, "--cascade", host=server.url).returncode == 0


def test_runs_submit_wait_list_get_logs(
    server: ServerProcess, packages: dict[str, Path], tmp_path: Path
) -> None:
    assert sluice("experiments", "create", "cli-exp", host=server.url).returncode == 0
    submitted = sluice(
        "runs", "submit", str(packages["adder"]), "-p", "a=5", "-p", "b=6",
        "--experiment", "cli-exp", "--wait", "--json", host=server.url,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    run: dict[str, Any] = json.loads(submitted.stdout)
    assert run["state"] == "SUCCEEDED"
    listed = json.loads(sluice("runs", "list", "--json", "--host", server.url).stdout)
    assert run["run_id"] in [item["run_id"] for item in listed]
    shown = sluice("runs", "get", run["run_id"], host=server.url)
    assert "SUCCEEDED" in shown.stdout and "root/add" in shown.stdout
    log = sluice("runs", "logs", run["run_id"], "add", host=server.url)
    assert log.returncode == 0, log.stderr
    bad = sluice("runs", "submit", str(packages["adder"]), "-p", "a=x", host=server.url)
    assert bad.returncode == 2 and "'a'" in bad.stderr
    # Without a host, `runs list` still reads the local home, as before.
    local = sluice("runs", "list", "--json", home=tmp_path / "empty-home")
    assert local.returncode == 0 and json.loads(local.stdout) == []


def test_runs_terminate_and_retry(server: ServerProcess, packages: dict[str, Path], tmp_path: Path) -> None:
    started = sluice("runs", "submit", str(packages["sleepy"]), "-p", "seconds=60", "--json", host=server.url)
    run_id = json.loads(started.stdout)["run_id"]
    from tests.server.conftest import wait_for_task

    with server.client() as api:
        wait_for_task(api, run_id, "sleep-for", "RUNNING")
    stopped = sluice("runs", "terminate", run_id, "--wait", "20", host=server.url)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == f"run {run_id} CANCELED"
    flaky = sluice(
        "runs",
        "submit",
        str(packages["flaky"]),
        "-p",
        f"marker={tmp_path / 'm'}",
        "--wait",
        "--json",
        host=server.url,
    )
    assert flaky.returncode == 1
    flaky_id = json.loads(flaky.stdout)["run_id"]
    assert sluice("runs", "retry", flaky_id, host=server.url).returncode == 0
    with server.client() as api:
        from tests.server.conftest import wait_for_run

        assert wait_for_run(api, flaky_id)["state"] == "SUCCEEDED"


def test_experiments_and_recurring(server: ServerProcess, packages: dict[str, Path]) -> None:
    created = sluice("experiments", "create", "cli-archive", host=server.url)
    experiment_id = created.stdout.split()[0]
    assert sluice("experiments", "archive", experiment_id, host=server.url).returncode == 0
    assert "ARCHIVED" in sluice("experiments", "list", host=server.url).stdout
    recurring = sluice(
        "recurring", "create", "cli-nightly", str(packages["adder"]), "--cron", "0 3 * * *",
        "--time-zone", "Asia/Tokyo", "-p", "a=2", host=server.url,
    )  # fmt: skip
    assert recurring.returncode == 0, recurring.stderr
    recurring_id = recurring.stdout.split()[0]
    assert "cli-nightly" in sluice("recurring", "list", host=server.url).stdout
    assert sluice("recurring", "disable", recurring_id, host=server.url).returncode == 0
    shown = json.loads(sluice("recurring", "get", recurring_id, host=server.url).stdout)
    assert shown["status"] == "DISABLED" and shown["trigger"]["cron_schedule"]["time_zone"] == "Asia/Tokyo"
    missing = sluice("recurring", "get", "nope", host=server.url)
    assert missing.returncode == 2 and "nope" in missing.stderr
