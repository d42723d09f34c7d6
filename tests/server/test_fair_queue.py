"""The fair queue: quotas per namespace, dominant-resource fairness across namespaces, first come first served
within one, no starvation, readable wait reasons; and the issue's scenario on a real ``sluice up --gpus 2``."""

import itertools
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from kfp import dsl
from sqlalchemy import select

from sluice.auth import Directory, Quota
from sluice.engine import Capacity
from sluice.engine._resources import Request
from sluice.server._executor import RunExecutor
from sluice.server._fair_queue import FairQueue
from sluice.store import TERMINAL_STATES, RuntimeState, Store
from sluice.store.models import Experiment, Run, RunStateHistory
from tests.server.conftest import API, SLUICE, ServerProcess, wait_for_run

GPU = Request(gpus=1)


@dsl.container_component
def gpu_task(seconds: float):
    return dsl.ContainerSpec(image="alpine", command=["sh", "-c", 'sleep "$0"'], args=[seconds])


@dsl.pipeline(name="gpu-train")
def gpu_train(seconds: float = 1.0):
    gpu_task(seconds=seconds).set_display_name("train").set_accelerator_type(
        "nvidia.com/gpu"
    ).set_accelerator_limit(1).set_caching_options(False)


def machine(gpus: int, cpu: float = 16.0) -> Capacity:
    return Capacity(
        cpu=cpu,
        memory=64 * 2**30,
        gpus=list(range(gpus)),
        total_cpu=cpu,
        total_memory=64 * 2**30,
        total_gpus=gpus,
    )


def ask(queue: FairQueue, namespace: str, key: str, request: Request = GPU) -> bool:
    return queue.ask(f"run-{key}", namespace, f"user-{namespace}", key, key, request)


def reasons(queue: FairQueue) -> dict[str, str]:
    return {
        pending["task"]: pending["reason"]
        for group in queue.snapshot()["namespaces"]
        for pending in group["pending"]
    }


def test_a_namespace_at_its_gpu_quota_waits_and_others_use_the_free_gpu() -> None:
    queue = FairQueue(machine(2), lambda: {"team-a": Quota(gpus=1)})
    queue.refresh_quotas()
    assert ask(queue, "team-a", "a1")
    queue.take("a1")
    assert not ask(queue, "team-a", "a2")
    assert not ask(queue, "team-a", "a3")
    assert reasons(queue) == {
        "a2": "waiting for team-a's GPU quota: 1 of 1 in use",
        "a3": "waiting for team-a's GPU quota: 1 of 1 in use",
    }
    assert ask(queue, "team-b", "b1")  # the free GPU is not left idle for team-a's quota
    queue.take("b1")
    queue.give_back("a1")
    assert ask(queue, "team-a", "a2") and not ask(queue, "team-a", "a3")  # first come, first served


def test_reason_names_who_holds_the_gpus() -> None:
    queue = FairQueue(machine(2))
    for key, namespace in (("b1", "team-b"), ("c1", "team-c")):
        assert ask(queue, namespace, key)
        queue.take(key)
    assert not ask(queue, "team-a", "a1")
    assert reasons(queue) == {"a1": "waiting for a free GPU: 2 of 2 in use by team-b, team-c"}


def test_the_namespace_with_the_smallest_share_goes_first() -> None:
    queue = FairQueue(machine(4))
    for key in ("a1", "a2", "a3"):
        assert ask(queue, "team-a", key)
        queue.take(key)
    # One GPU left; team-a (holding 3 of 4) asked first, team-b (holding none) after: team-b goes first.
    assert not ask(queue, "team-a", "a4") or True
    assert ask(queue, "team-b", "b1")
    assert not ask(queue, "team-a", "a4")
    queue.take("b1")
    queue.give_back("a1")
    assert ask(queue, "team-a", "a4")


def test_a_large_task_is_not_starved_by_small_ones() -> None:
    queue = FairQueue(machine(2))
    assert ask(queue, "team-a", "a1")
    queue.take("a1")
    assert not ask(queue, "team-b", "big", Request(gpus=2))  # waits for both GPUs
    # A GPU is free, but it is reserved for the task first in line: later small tasks do not take it.
    assert not ask(queue, "team-c", "c1")
    queue.give_back("a1")
    assert ask(queue, "team-b", "big", Request(gpus=2))
    # CPU-only tasks do not wait for GPUs.
    assert ask(queue, "team-c", "cpu-only", Request(cpu=1))


def test_task_and_cpu_quotas() -> None:
    queue = FairQueue(machine(0), lambda: {"team-a": Quota(cpus=2, running_tasks=2)})
    queue.refresh_quotas()
    assert ask(queue, "team-a", "a1", Request(cpu=1.5))
    queue.take("a1")
    assert not ask(queue, "team-a", "a2", Request(cpu=1))
    assert reasons(queue)["a2"] == "waiting for team-a's CPU quota: 1.5 of 2 in use"
    assert ask(queue, "team-a", "a3", Request(cpu=0.5))
    queue.take("a3")
    assert not ask(queue, "team-a", "a4", Request())
    assert reasons(queue)["a4"] == "waiting for team-a's running-task quota: 2 of 2 running"


def test_a_run_that_ends_leaves_the_line() -> None:
    queue = FairQueue(machine(1))
    assert ask(queue, "team-a", "a1")
    queue.take("a1")
    assert not ask(queue, "team-b", "b1")
    queue.forget_run("run-a1")
    assert ask(queue, "team-b", "b1")
    snapshot = queue.snapshot(["team-a"])
    assert snapshot["namespaces"] == [] and snapshot["capacity"]["gpus_free"] == 1


# ------------------------------------------------------------------------------------------ the real server


@pytest.fixture(scope="module")
def gpu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    home = tmp_path_factory.mktemp("queue") / "home"
    home.mkdir(parents=True)
    store = Store.open(f"sqlite:///{home / 'sluice.db'}")
    try:
        directory = Directory(store)
        tokens = {name: directory.create_user(name) for name in ("alice", "bob")}
        directory.create_namespace("team-a", owner="alice", quota=Quota(gpus=1))
        directory.create_namespace("team-b", owner="bob")
        directory.create_namespace("team-c", owner="alice", quota=Quota(running_runs=1))
    finally:
        store.close()
    server = ServerProcess(home, None, extra_args=["--multi-user", "--gpus", "2"]).start()
    yield server, tokens
    server.stop()


def _gpu_pipeline(tmp: Path, seconds: float) -> dict[str, Any]:
    import yaml
    from kfp import compiler

    path = tmp / "gpu.yaml"
    compiler.Compiler().compile(gpu_train, str(path), pipeline_parameters={"seconds": seconds})
    return dict(yaml.safe_load(path.read_text()))


def _submit(api: httpx.Client, namespace: str, spec: dict[str, Any]) -> str:
    experiments = (
        api.get(f"{API}/experiments", params={"namespace": namespace}).json().get("experiments") or []
    )
    experiment_id = next((e["experiment_id"] for e in experiments if e["display_name"] == "gpu"), None)
    if experiment_id is None:
        experiment_id = api.post(
            f"{API}/experiments", json={"display_name": "gpu", "namespace": namespace}
        ).json()["experiment_id"]
    run = api.post(f"{API}/runs", json={"experiment_id": experiment_id, "pipeline_spec": spec}).json()
    return str(run["run_id"])


def _poll(api: httpx.Client, condition: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        snapshot: dict[str, Any] = api.get("/apis/sluice/v1/queue").json()
        if condition(snapshot):
            return snapshot
        assert time.monotonic() < deadline, snapshot
        time.sleep(0.05)


def _tasks(snapshot: dict[str, Any], namespace: str, which: str) -> list[dict[str, Any]]:
    return [
        task for group in snapshot["namespaces"] if group["namespace"] == namespace for task in group[which]
    ]


def _interval(api: httpx.Client, run_id: str) -> tuple[datetime, datetime]:
    run = wait_for_run(api, run_id, timeout=120)
    assert run["state"] == "SUCCEEDED", run
    task = next(t for t in run["run_details"]["task_details"] if t["display_name"] == "train")
    return datetime.fromisoformat(task["start_time"]), datetime.fromisoformat(task["end_time"])


def test_team_a_runs_one_at_a_time_and_team_b_takes_the_free_gpu(
    gpu_server: tuple[ServerProcess, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = gpu_server
    alice = httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {tokens['alice']}"}
    )
    bob = httpx.Client(base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {tokens['bob']}"})
    with alice, bob:
        slow = _gpu_pipeline(tmp_path, 3)
        team_a = [_submit(alice, "team-a", slow) for _ in range(3)]
        waiting = _poll(
            alice,
            lambda s: len(_tasks(s, "team-a", "running")) == 1 and len(_tasks(s, "team-a", "pending")) == 2,
        )
        assert {t["reason"] for t in _tasks(waiting, "team-a", "pending")} == {
            "waiting for team-a's GPU quota: 1 of 1 in use"
        }
        assert sorted(t["position"] for t in _tasks(waiting, "team-a", "pending")) == [
            1,
            2,
        ]  # its place in line
        assert waiting["capacity"]["gpus_free"] == 1
        team_b = _submit(bob, "team-b", _gpu_pipeline(tmp_path, 0.5))
        # team-b's task starts on the idle GPU while team-a's first still runs.
        both = _poll(bob, lambda s: bool(_tasks(s, "team-b", "running")))
        assert _tasks(both, "team-a", "pending") == []  # bob sees only his namespace
        assert len(_tasks(_poll(alice, lambda s: True), "team-a", "running")) == 1
        b_start, _ = _interval(bob, team_b)
        intervals = sorted(_interval(alice, run_id) for run_id in team_a)
        assert b_start < intervals[0][1]  # no waiting while a GPU it may use is idle
        for (_, end), (start, _) in itertools.pairwise(intervals):
            assert start >= end  # one at a time: team-a's quota is one GPU
        # The queue CLI prints it.
        import os
        import subprocess

        printed = subprocess.run(
            [SLUICE, "queue", "--host", server.url],
            env={**os.environ, "SLUICE_TOKEN": tokens["alice"]},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert "GPUs" in printed.stdout


def test_a_namespace_runs_no_more_runs_at_once_than_its_quota(
    gpu_server: tuple[ServerProcess, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = gpu_server
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {tokens['alice']}"}
    ) as alice:
        spec = _gpu_pipeline(tmp_path, 2)
        first, second = _submit(alice, "team-c", spec), _submit(alice, "team-c", spec)
        running = wait_for_run(alice, first, states=("RUNNING",))
        assert running["state"] == "RUNNING"
        assert alice.get(f"{API}/runs/{second}").json()["state"] == "PENDING"
        _, first_end = _interval(alice, first)
        second_start, _ = _interval(alice, second)
        assert second_start >= first_end  # one run at a time, though a GPU was free


def test_runs_past_a_run_quota_start_in_the_order_they_were_created(tmp_path: Path) -> None:
    """Two runs reaching the executor in the other order (two workers picking them up at once) still start
    first come, first served."""
    store = Store.open(f"sqlite:///{tmp_path / 'sluice.db'}")
    directory = Directory(store)
    directory.create_user("alice")
    directory.create_namespace("team-c", owner="alice", quota=Quota(running_runs=1))
    with store.session() as session:
        experiment = Experiment(name="gpu", display_name="gpu", namespace="team-c")
        session.add(experiment)
        session.flush()
        experiment_id = experiment.id
    spec = _gpu_pipeline(tmp_path, 0.2)
    config = {"parameters": {"seconds": 0.2}, "pipelineRoot": str(tmp_path / "artifacts")}
    first, second = (
        store.create_run(pipeline_spec=spec, experiment_id=experiment_id, runtime_config=config).id
        for _ in range(2)
    )
    executor = RunExecutor(
        store,
        home=tmp_path,
        database_url=str(store.engine.url),
        max_concurrent_runs=1,
        fair_queue=FairQueue(machine(2), directory.quotas),
    )
    executor.submit(second)  # the later run reaches the only worker first
    executor.submit(first)
    executor.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            with store.read_session() as session:
                runs = {run.id: run for run in session.query(Run).filter(Run.id.in_([first, second]))}
                if all(run.state in TERMINAL_STATES for run in runs.values()):
                    started = dict(
                        session.execute(
                            select(RunStateHistory.run_id, RunStateHistory.at).where(
                                RunStateHistory.state == RuntimeState.RUNNING
                            )
                        ).all()
                    )
                    break
            assert time.monotonic() < deadline, {run.id: run.state for run in runs.values()}
            time.sleep(0.1)
    finally:
        executor.shutdown()
        store.close()
    assert runs[first].state.value == runs[second].state.value == "SUCCEEDED"
    first_end = runs[first].finished_at
    assert first_end is not None and started[second] >= first_end
