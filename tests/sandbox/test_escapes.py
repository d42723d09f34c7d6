"""Each test runs a real task under the ``restricted`` profile that tries to get out, and checks it could
not (or was contained), with the task's state and error clear; and the positive cases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sluice import dsl
from sluice.engine import run_pipeline
from sluice.engine._result import RunResult
from sluice.sandbox import namespace_uid, save_profile
from tests.sandbox import probes


def _run(pipeline: Any, home: Path, profile: str = "restricted", **arguments: Any) -> RunResult:
    return run_pipeline(pipeline, arguments, home=home, profile=profile, cache=False, handle_sigint=False)


def _output(result: RunResult, task: str) -> Any:
    found = next(t for t in result.tasks if t.name == task)
    assert found.state == "SUCCEEDED", (found.state, found.error, found.log_tail)
    return found.outputs["Output"]


@dsl.pipeline
def read_one(path: str) -> str:
    return probes.read_file(path=path).output


@dsl.pipeline
def write_one(path: str) -> str:
    return probes.write_file(path=path).output


@dsl.pipeline
def connect_one(port: int) -> str:
    return probes.connect(port=port).output


@dsl.pipeline
def hand_over() -> None:
    made = probes.produce()
    probes.consume(data=made.outputs["out"])


@dsl.pipeline
def produce_only() -> None:
    probes.produce()


def test_inputs_readable_outputs_writable_inputs_read_only(home: Path) -> None:
    result = _run(hand_over, home)
    assert result.state == "SUCCEEDED", result.error
    assert _output(result, "consume") == "inputs are readable; input read-only"


def test_task_runs_as_the_namespace_uid_in_a_private_work_folder(home: Path) -> None:
    @dsl.pipeline
    def who() -> str:
        return probes.whoami().output

    uid, folder = _output(_run(who, home), "whoami").split()
    assert folder == "/tmp/work"
    if os.geteuid() == 0:
        assert int(uid) == namespace_uid("default") != 0


def test_cannot_read_the_store_database(home: Path) -> None:
    _run(hand_over, home, profile="host")  # the database exists, with a run in it
    database = home / "sluice.db"
    assert database.is_file()
    outcome = _output(_run(read_one, home, path=str(database)), "read-file")
    assert outcome.startswith("refused: FileNotFoundError"), outcome


def test_cannot_read_another_runs_artifact_or_home_files(home: Path) -> None:
    earlier = _run(produce_only, home, profile="host")
    artifact = next(t for t in earlier.tasks if t.name == "produce").outputs["out"]
    assert Path(artifact).read_text() == "inputs are readable"
    for path in (artifact, str(home / "secret.key"), str(Path.home())):
        outcome = _output(_run(read_one, home, path=path), "read-file")
        assert outcome.startswith("refused: "), (path, outcome)


def test_cannot_write_outside_its_outputs(home: Path, tmp_path: Path) -> None:
    earlier = _run(produce_only, home, profile="host")
    artifact = next(t for t in earlier.tasks if t.name == "produce").outputs["out"]
    targets = [artifact, str(home / "planted"), "/usr/planted", "/etc/planted", str(tmp_path / "planted")]
    for target in targets:
        outcome = _output(_run(write_one, home, path=target), "write-file")
        assert outcome.startswith("refused: "), (target, outcome)
    assert Path(artifact).read_text() == "inputs are readable"
    assert not (home / "planted").exists() and not (tmp_path / "planted").exists()


def test_cannot_connect_to_postgresql_or_the_server(home: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        server_port = listener.getsockname()[1]
        assert (
            _output(_run(connect_one, home, port=server_port, profile="host"), "connect") == "ok: connected"
        )
        for port in (5432, server_port):
            outcome = _output(_run(connect_one, home, port=port), "connect")
            assert outcome.startswith("refused: "), (port, outcome)


def test_cannot_see_or_kill_other_processes(home: Path) -> None:
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:

        @dsl.pipeline
        def hunt(victim: int) -> str:
            return probes.processes(victim=victim).output

        outcome = _output(_run(hunt, home, victim=victim.pid), "processes")
        killed, pids = outcome.split("; pids ")
        assert killed.startswith("refused"), outcome
        assert len(eval(pids)) <= 4, outcome  # bwrap's init, the task (and its ps-like listing): nothing else
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_sees_only_its_assigned_gpu_device_nodes(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "dev"
    fake.mkdir()
    for name in ("nvidia0", "nvidia1", "nvidiactl"):
        (fake / name).write_text("")  # fake nodes: what matters is which are visible
    monkeypatch.setenv("SLUICE_SANDBOX_DEVICE_DIR", str(fake))
    monkeypatch.setenv("SLUICE_GPUS", "2")

    @dsl.pipeline
    def gpus() -> None:
        probes.devices().set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
        probes.devices()

    result = _run(gpus, home)
    assert result.state == "SUCCEEDED", result.error
    by_name = {task.name: task.outputs["Output"] for task in result.tasks if task.kind == "container"}
    visible, nodes = by_name["devices"].split("|")
    assert visible in {"0", "1"}
    assert nodes.split(",") == sorted([f"nvidia{visible}", "nvidiactl"])
    assert by_name["devices-2"] == "|"  # no GPU asked: none visible, CUDA_VISIBLE_DEVICES empty


def test_memory_limit_fails_the_task_out_of_memory_and_the_engine_goes_on(home: Path) -> None:
    save_profile(home, "small", {"memory": "400Mi"})

    @dsl.pipeline
    def hungry(megabytes: int) -> str:
        return probes.allocate(megabytes=megabytes).output

    result = _run(hungry, home, profile="small", megabytes=2048)
    assert result.state == "FAILED"
    task = next(t for t in result.tasks if t.name == "allocate")
    assert task.state == "FAILED"
    assert "out of memory" in (task.error or ""), task.error
    assert "400 MiB" in (task.error or "") and "'small'" in (task.error or "")
    assert _output(_run(hungry, home, profile="small", megabytes=10), "allocate") == f"ok: {10 * 1024 * 1024}"


def test_fork_bomb_is_contained_by_the_process_limit(home: Path) -> None:
    save_profile(home, "few", {"processes": 40, "wall_seconds": 60})

    @dsl.pipeline
    def bomb() -> int:
        return probes.fork_bomb().output

    children = _output(_run(bomb, home, profile="few"), "fork-bomb")
    assert 0 < children < 40
    if os.geteuid() == 0:
        # The children sleep a minute: any left after the task are the bomb's. Another test's short task may
        # run as the same namespace uid meanwhile, so wait for the uid to be quiet rather than look once.
        uid = namespace_uid("default")
        deadline = time.monotonic() + 20
        while True:
            left = subprocess.run(["pgrep", "-u", str(uid)], capture_output=True, text=True, check=False)
            if not left.stdout.strip() or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert left.stdout.strip() == "", "the bomb's children outlived the task"


def test_wall_time_limit_kills_the_task_with_a_clear_error(home: Path) -> None:
    save_profile(home, "brief", {"wall_seconds": 1})

    @dsl.component
    def sleepy() -> None:
        import time

        time.sleep(60)

    @dsl.pipeline
    def slow() -> None:
        sleepy()

    result = _run(slow, home, profile="brief")
    task = next(t for t in result.tasks if t.name == "sleepy")
    assert task.state == "FAILED"
    assert "wall time limit of 1s exceeded (execution profile 'brief')" in (task.error or "")


def test_cpu_time_and_file_size_limits_end_the_task_naming_the_limit(home: Path) -> None:
    save_profile(home, "frugal", {"cpu_seconds": 1, "file_size": "1Mi"})

    @dsl.component
    def spin() -> None:
        while True:
            pass

    @dsl.component
    def big_file() -> None:
        with open("/tmp/work/big", "wb") as target:
            target.write(b"x" * (4 * 1024 * 1024))

    @dsl.pipeline
    def greedy() -> None:
        spin()
        big_file()

    result = _run(greedy, home, profile="frugal")
    errors = {task.name: task.error or "" for task in result.tasks if task.kind == "container"}
    assert "CPU time limit of 1s exceeded (execution profile 'frugal')" in errors["spin"]
    assert "file size limit of 1048576 bytes exceeded (execution profile 'frugal')" in errors["big-file"]


def test_an_s3_artifact_root_works_under_restricted(home: Path, s3_environment: Any) -> None:
    """The engine stages the inputs and uploads the outputs: the task, with no network, sees local files."""
    root = f"s3://{s3_environment.bucket}/sandboxed"
    result = run_pipeline(
        hand_over, {}, home=home, profile="restricted", cache=False, handle_sigint=False, pipeline_root=root
    )
    assert result.state == "SUCCEEDED", (result.error, [(t.name, t.error) for t in result.tasks])
    assert _output(result, "consume") == "inputs are readable; input read-only"


def test_outputs_that_link_out_of_the_task_fail_it_and_are_never_read(home: Path) -> None:
    _run(produce_only, home, profile="host")  # the database exists
    database = home / "sluice.db"

    @dsl.pipeline
    def deputy(target: str) -> None:
        probes.link_out(target=target)

    result = _run(deputy, home, target=str(database))
    task = next(t for t in result.tasks if t.name == "link-out")
    assert task.state == "FAILED"
    assert "is a symbolic link out of the task's folder or a special file: refused" in (task.error or "")
    assert not task.outputs


def test_a_volume_sub_path_through_a_planted_link_is_refused(home: Path) -> None:
    from sluice import kubernetes
    from sluice.sandbox import create_volume

    create_volume(home, "default", "shared")

    @dsl.pipeline
    def through_link() -> None:
        planted = probes.plant_link(folder="/data")
        kubernetes.mount_pvc(planted, pvc_name="shared", mount_path="/data")
        reader = probes.read_file(path="/data/etc/passwd").after(planted)
        kubernetes.mount_pvc(reader, pvc_name="shared", mount_path="/data", sub_path="escape")

    result = _run(through_link, home)
    reader = next(t for t in result.tasks if t.name == "read-file")
    assert reader.state == "FAILED"
    assert "subPath 'escape' of volume 'shared' goes through a symbolic link" in (reader.error or "")


def test_a_link_or_fifo_left_for_the_next_attempts_log_is_removed(home: Path) -> None:
    """Attempt 1 plants attempt-2.log as a link to a file outside and as a FIFO, then fails: the retry's
    log must not be written through the link (nor hang on the FIFO)."""
    victim = home.parent / "victim.txt"
    victim.write_text("untouched")

    @dsl.container_component
    def saboteur(victim: str, marker: dsl.OutputPath(str)):
        script = (
            'logs=$(dirname "$1")/.sluice; '
            'if [ ! -e "$logs/tried" ]; then touch "$logs/tried"; '
            'ln -s "$0" "$logs/attempt-2.log"; mkfifo "$logs/attempt-3.log"; exit 1; fi; '
            'echo second attempt; printf done > "$1"'
        )
        return dsl.ContainerSpec(image="busybox", command=["sh", "-c", script], args=[victim, marker])

    @dsl.pipeline
    def sabotage(victim: str) -> None:
        saboteur(victim=victim).set_retry(num_retries=2, backoff_duration="0s")

    result = _run(sabotage, home, victim=str(victim))
    task = next(t for t in result.tasks if t.name == "saboteur")
    assert victim.read_text() == "untouched"
    assert task.state == "SUCCEEDED", task.error
    assert task.attempts == 2 and task.log_path is not None
    assert "second attempt" in Path(task.log_path).read_text()
