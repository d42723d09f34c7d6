"""Pipelines on a real three-node Ray cluster: placement, artifacts across nodes, kills, node loss, refusals.

Each node has its own ``$SLUICE_HOME`` (tasks print it, so an output says where it ran) and its own copies
of s3:// artifacts under it; the artifact root is SeaweedFS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluice.compiler import Compiler
from sluice.engine import EngineError, RunResult, Workspace, list_runs, run_pipeline, terminate_run
from sluice.store import Store
from sluice.store.models import Task, TaskStateHistory
from tests.ray.pipelines import (
    accelerators,
    fan_out,
    hand_over,
    packages,
    survives_node_loss,
    too_many_gpus,
    two_gpu_tasks,
    waits,
    where,
)
from tests.ray_cluster import NodeSpec, RayCluster, extra_nodes
from tests.seaweedfs import S3Server


def _compile(pipeline: Any, folder: Path, node_selectors: dict[str, dict[str, str]] | None = None) -> Path:
    """The pipeline as YAML; ``node_selectors``: kfp-kubernetes' nodeSelector labels by executor label."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{pipeline.name}.yaml"
    Compiler().compile(pipeline, str(target))
    if node_selectors:
        executors = {label: {"nodeSelector": {"labels": labels}} for label, labels in node_selectors.items()}
        platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": executors}}}}
        target.write_text(target.read_text() + "---\n" + yaml.safe_dump(platform))
    return target


def _node_of(result: RunResult, path: str, node_names: dict[str, str]) -> str:
    task = result.task(path)
    assert task.node_id is not None and task.node_address == "127.0.0.2", task
    return node_names[task.node_id]


def _home_in(output: str) -> str:
    return output.rsplit("@", 1)[1]


def _history(home: Path, task_id: str) -> list[tuple[str, str]]:
    with Workspace.resolve(home).store() as store, store.read_session() as session:
        rows = session.query(TaskStateHistory).filter_by(task_id=task_id).order_by(TaskStateHistory.id)
        return [(str(row.state), row.message or "") for row in rows]


def _eventually(check: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _running_task(home: Path, name: str) -> Task | None:
    with Workspace.resolve(home).store() as store, store.read_session() as session:
        task = session.query(Task).filter(Task.name == name).one_or_none()
        if task is not None and str(task.state) == "RUNNING" and task.pid:
            return task
    return None


# ------------------------------------------------------------------------------------------------ placement


def test_a_fan_out_spreads_over_the_nodes(
    ray_run: dict[str, Any], ray_cluster: RayCluster, node_names: dict[str, str]
) -> None:
    # Six one-CPU tasks of three seconds on 1 + 2 + 2 CPUs: no node can hold them all.
    result = run_pipeline(fan_out, {"items": list(range(6)), "seconds": 3.0}, **ray_run)
    assert result.succeeded, result.error
    items = [task for task in result.tasks if task.name == "where"]
    assert len(items) == 6
    used = {node_names[task.node_id] for task in items if task.node_id}
    assert len(used) >= 2, used
    for task in items:
        # The store's node is the node whose $SLUICE_HOME the task saw.
        name = node_names[task.node_id or ""]
        assert _home_in(task.outputs["Output"]) == str(ray_cluster.nodes[name].home)
        history = _history(ray_run["home"], task.id)
        assert any(state == "RUNNING" and "started on node" in message for state, message in history), history


def test_accelerators_go_to_the_gpu_node_and_only_there(
    ray_run: dict[str, Any], node_names: dict[str, str]
) -> None:
    result = run_pipeline(accelerators, **ray_run)
    assert result.succeeded, result.error
    on_gpu = result.task("on-gpu")
    assert _node_of(result, "on-gpu", node_names) == "gpu"
    assert on_gpu.outputs["Output"].startswith("[0]@")  # Ray's CUDA_VISIBLE_DEVICES for the one GPU
    assert result.task("no-gpu").outputs["Output"].startswith("[]@")  # no accelerator asked, none seen


def test_a_node_selector_picks_the_labelled_node(
    ray_run: dict[str, Any], tmp_path: Path, node_names: dict[str, str]
) -> None:
    pipeline = _compile(fan_out, tmp_path, {"exec-where": {"disktype": "ssd"}})
    result = run_pipeline(pipeline, {"items": [0, 1, 2], "seconds": 0.0}, **ray_run)
    assert result.succeeded, result.error
    assert {node_names[task.node_id or ""] for task in result.tasks if task.name == "where"} == {"cpu"}


def test_gpu_tasks_wait_for_cluster_resources_in_turn(
    ray_run: dict[str, Any], node_names: dict[str, str]
) -> None:
    result = run_pipeline(two_gpu_tasks, **ray_run)
    assert result.succeeded, result.error
    first, second = sorted(
        (task for task in result.tasks if task.name.startswith("where")),
        key=lambda task: task.started_at or "",
    )
    assert {node_names[first.node_id or ""], node_names[second.node_id or ""]} == {"gpu"}
    # One GPU: the second ran only once the first had ended, and said why it waited.
    assert (second.started_at or "") >= (first.finished_at or "")
    history = _history(ray_run["home"], second.id)
    assert ("PENDING", "waiting for cluster resources") in history, history


@pytest.mark.parametrize(
    ("pipeline", "selectors", "asked"),
    [
        (too_many_gpus, None, "2 GPU"),
        (fan_out, {"exec-where": {"disktype": "nvme"}}, "node label disktype=nvme"),
    ],
    ids=["two-gpus", "unknown-label"],
)
def test_a_task_no_node_can_run_fails_at_once(
    ray_run: dict[str, Any], tmp_path: Path, pipeline: Any, selectors: Any, asked: str
) -> None:
    compiled = _compile(pipeline, tmp_path, selectors)
    result = run_pipeline(compiled, {"items": [0], "seconds": 0.0} if pipeline is fan_out else {}, **ray_run)
    assert result.state == "FAILED"
    task = result.task("where")
    assert task.state == "FAILED" and task.attempts == 0  # never launched, never retried
    assert "no node of the Ray cluster can run it" in (task.error or "")
    assert asked in (task.error or "")
    assert "the nodes have:" in (task.error or "")


# ------------------------------------------------------------------------------------------------ artifacts


def test_an_artifact_made_on_one_node_is_read_on_another(
    ray_run: dict[str, Any], ray_cluster: RayCluster, tmp_path: Path, node_names: dict[str, str]
) -> None:
    pipeline = _compile(
        hand_over, tmp_path, {"exec-produce": {"disktype": "ssd"}, "exec-consume": {"pool": "gpu"}}
    )
    result = run_pipeline(pipeline, {"rows": 7}, **ray_run)
    assert result.succeeded, result.error
    assert _node_of(result, "root/produce", node_names) == "cpu"
    assert _node_of(result, "root/consume", node_names) == "gpu"
    gpu_home = ray_cluster.nodes["gpu"].home
    assert result.outputs["Output"] == f"7 rows@{gpu_home}"
    # It went through the bucket: the consumer's node has its own downloaded copy.
    uri = result.task("produce").outputs["data"]
    assert uri.startswith("s3://")
    copy = gpu_home / "s3" / uri.removeprefix("s3://")
    assert copy.read_text().count("row ") == 7


def test_packages_are_installed_on_the_node_that_runs_the_task(
    ray_run: dict[str, Any], ray_cluster: RayCluster, node_names: dict[str, str]
) -> None:
    result = run_pipeline(packages, **ray_run)
    assert result.succeeded, result.error
    node = ray_cluster.nodes[_node_of(result, "root/needs-package", node_names)]
    prefix = result.outputs["Output"].split('"')[1]
    assert prefix.startswith(str(node.home / "venvs"))  # built there, not in the engine's home
    assert not (ray_run["home"] / "venvs").exists()


# ------------------------------------------------------------------------------------------------ kills


def test_logs_stream_live_and_terminate_kills_the_remote_process(
    ray_run: dict[str, Any], tmp_path: Path
) -> None:
    home: Path = ray_run["home"]
    outcome: list[RunResult] = []
    runner = threading.Thread(
        target=lambda: outcome.append(run_pipeline(waits, {"flag": str(tmp_path / "never")}, **ray_run))
    )
    runner.start()
    try:
        task = _eventually(lambda: _running_task(home, "wait-for-flag"), "the task to run")
        assert task.node_id
        log = Workspace.resolve(home).artifact_store(ray_run["pipeline_root"]).local_path(task.log_uri)
        # Streamed from the node while the task still runs.
        _eventually(lambda: log.is_file() and "started on" in log.read_text(), "its first log line")
        assert os.path.exists(f"/proc/{task.pid}")  # every node is this machine
        terminate_run(task.run_id, wait=60, home=home)
        runner.join(120)
        assert outcome and outcome[0].state == "CANCELED"
        _eventually(lambda: not _alive(task.pid), "the task's process to be killed", timeout=60)
    finally:
        runner.join(120)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_lost_node_fails_the_attempt_and_the_task_retries_on_another(
    ray_run: dict[str, Any], ray_cluster: RayCluster, tmp_path: Path, s3_environment: S3Server
) -> None:
    spares = [NodeSpec(f"spare{index}", cpus=1, labels={"zone": "spare"}) for index in (1, 2)]
    marks, flag = tmp_path / "marks", tmp_path / "flag"
    pipeline = _compile(survives_node_loss, tmp_path, {"exec-retried": {"zone": "spare"}})
    with extra_nodes(ray_cluster, spares, s3_environment.environment()) as nodes:
        outcome: list[RunResult] = []
        runner = threading.Thread(
            target=lambda: outcome.append(
                run_pipeline(pipeline, {"marks": str(marks), "flag": str(flag)}, **ray_run)
            )
        )
        runner.start()
        try:
            first_home = _eventually(
                lambda: marks.is_file() and marks.read_text().split(), "the first attempt"
            )[0]
            doomed = next(node for node in nodes if str(node.home) == first_home)
            doomed.stop()
            _eventually(lambda: len(marks.read_text().split()) >= 2, "the retry", timeout=180)
            flag.touch()
            runner.join(180)
        finally:
            flag.touch()
            runner.join(180)
        result = outcome[0]
        assert result.succeeded, result.error
        task = result.task("retried")
        assert task.attempts == 2
        survivor = next(node for node in nodes if node is not doomed)
        assert result.outputs["Output"] == str(survivor.home)
        history = _history(ray_run["home"], task.id)
        assert any(
            state == "PENDING" and message.startswith("attempt 1 node lost:") for state, message in history
        ), history


# ------------------------------------------------------------------------------------------------ refusals


def test_a_local_artifact_root_is_refused_on_a_cluster_of_several_nodes(
    ray_run: dict[str, Any], tmp_path: Path
) -> None:
    options = {**ray_run, "pipeline_root": str(tmp_path / "artifacts")}
    with pytest.raises(EngineError, match=r"nodes.*--artifact-root s3://"):
        run_pipeline(where, {"tag": "x"}, **options)
    with Workspace.resolve(ray_run["home"]).store() as store:
        assert list_runs(store) == []  # refused before anything was recorded


def test_the_cli_names_an_unreachable_cluster(tmp_path: Path) -> None:
    pipeline = _compile(fan_out, tmp_path)
    started = time.monotonic()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sluice",
            "run",
            str(pipeline),
            "--launcher",
            "ray",
            "--ray-address",
            "127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SLUICE_HOME": str(tmp_path / "home")},
        check=False,
    )
    assert completed.returncode == 2
    assert "cannot reach the Ray cluster at 127.0.0.1:9" in completed.stderr
    assert time.monotonic() - started < 60
    with Store.open(f"sqlite:///{tmp_path / 'home' / 'sluice.db'}") as store:
        assert list_runs(store) == []
