"""Replicas are real processes: one killed under load is restarted while the others answer; a deployment
outlives a restart of ``sluice up``; and replicas never outlive ``sluice up`` itself."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from sluice.client import Client
from tests.server.conftest import ServerProcess
from tests.serving.conftest import LoadGenerator, alive, failures, kill, replica_pids, tagged_model, wait_for


def test_a_replica_killed_under_load_is_restarted_and_no_request_fails(
    serving_server: ServerProcess, client: Client, tmp_path: Path
) -> None:
    name = "resilient"
    deployment = client.create_deployment(name, tagged_model(tmp_path / "model", "r"), replicas=2)
    assert deployment.revision(1).ready_replicas == 2
    pids = replica_pids(client, name)[1]
    assert len(pids) == 2 and all(alive(pid) for pid in pids)

    load = LoadGenerator(f"{deployment.url}/v1/models/{name}:predict", {"instances": [[0]]}).start()
    try:
        wait_for(lambda: load.count() >= 200, what="requests before the kill")
        killed_at = time.monotonic()
        kill(pids[0], signal.SIGKILL)

        def restarted() -> bool:
            revision = client.get_deployment(name).revision(1)
            statuses = revision.raw["replica_status"]
            return revision.ready_replicas == 2 and pids[0] not in {status["pid"] for status in statuses}

        wait_for(restarted, timeout=90, what="the killed replica to be replaced and ready")
        restarted_at = time.monotonic()
        # Requests kept flowing while it was down, and flow to both replicas after.
        wait_for(lambda: load.count(restarted_at) >= 200, what="requests after the restart")
    finally:
        outcomes = load.stop()

    failed = failures(outcomes)
    assert not failed, f"{len(failed)} of {len(outcomes)} requests failed, e.g. {failed[:3]}"
    assert sum(1 for outcome in outcomes if killed_at <= outcome.started <= restarted_at) > 0
    statuses = client.get_deployment(name).revision(1).raw["replica_status"]
    assert sorted(status["restarts"] for status in statuses) == [0, 1]
    assert next(status for status in statuses if status["restarts"])["last_error"] is None
    client.delete_deployment(name)


def test_a_deployment_outlives_a_restart_of_the_service(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", None).start()
    try:
        with Client(server.url) as client:
            client.create_deployment("durable", tagged_model(tmp_path / "one", "one"))
            client.update_deployment("durable", tagged_model(tmp_path / "two", "two"), canary_percent=50)
            before = client.get_deployment("durable")
            old_pids = [pid for pids in replica_pids(client, "durable").values() for pid in pids]
        assert server.stop() == 0
        # The service stopped its replicas on the way out.
        wait_for(lambda: not any(alive(pid) for pid in old_pids), timeout=30, what="the old replicas to stop")

        server.start()
        with Client(server.url) as client:
            after = client.get_deployment("durable")
            assert after.traffic == before.traffic == {1: 50, 2: 50}
            url = f"{after.url}/v1/models/durable:predict"

            def both_answer() -> bool:
                responses = [httpx.post(url, json={"instances": [0]}, timeout=30) for _ in range(4)]
                if any(response.status_code != 200 for response in responses):
                    return False  # 503 while the replicas are still starting
                return {response.json()["predictions"][0] for response in responses} == {"one", "two"}

            wait_for(both_answer, timeout=90, what="both revisions to serve again")
            assert client.get_deployment("durable").state == "READY"
    finally:
        server.stop()


def test_replicas_do_not_outlive_a_killed_service(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", None).start()
    try:
        with Client(server.url) as client:
            client.create_deployment("orphan", tagged_model(tmp_path / "model", "x"), replicas=2)
            pids = replica_pids(client, "orphan")[1]
        assert len(pids) == 2
        server.stop(signal.SIGKILL)
        # Nothing shuts them down: each notices that its parent is gone and exits.
        wait_for(lambda: not any(alive(pid) for pid in pids), timeout=30, what="the replicas to exit")
    finally:
        if server.process is not None and server.process.poll() is None:
            server.stop()


@pytest.mark.parametrize("replicas", [1, 3])
def test_scale_changes_the_running_replicas(client: Client, tmp_path: Path, replicas: int) -> None:
    name = f"scaled-{replicas}"
    client.create_deployment(name, tagged_model(tmp_path / "model", "s"), replicas=2)
    scaled = client.scale_deployment(name, replicas)
    assert scaled.revision(1).replicas == replicas

    def settled() -> bool:
        statuses = client.get_deployment(name).revision(1).raw["replica_status"]
        return len(statuses) == replicas and all(status["state"] == "ready" for status in statuses)

    wait_for(settled, timeout=90, what=f"{replicas} ready replicas")
    history = client.deployment_history(name)
    assert (history[-1].action, history[-1].detail["from"], history[-1].detail["to"]) == (
        "scale",
        2,
        replicas,
    )
    client.delete_deployment(name)


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_replicas_come_back_when_the_process_that_forks_them_dies(client: Client, tmp_path: Path) -> None:
    name = "reborn"
    deployment = client.create_deployment(name, tagged_model(tmp_path / "model", "z"))
    (replica,) = replica_pids(client, name)[1]
    zygote = _parent(replica)
    kill(zygote, signal.SIGKILL)
    # The replica follows its parent out; the supervisor starts a new zygote and a new replica.
    wait_for(lambda: not alive(replica), timeout=30, what="the orphaned replica to exit")

    def serving_again() -> bool:
        pids = replica_pids(client, name).get(1, [])
        return bool(pids) and pids[0] != replica and client.get_deployment(name).state == "READY"

    wait_for(serving_again, timeout=120, what="a new replica from a new zygote")
    assert _parent(replica_pids(client, name)[1][0]) != zygote
    answer = httpx.post(f"{deployment.url}/v1/models/{name}:predict", json={"instances": [0]}, timeout=30)
    assert answer.json() == {"predictions": ["z"]}
    client.delete_deployment(name)
