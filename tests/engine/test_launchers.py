"""The local launcher: fork-server tasks in their own process groups, plain subprocesses, kills."""

from __future__ import annotations

import time
from pathlib import Path

from sluice.launchers import Exit, LaunchSpec, LocalLauncher, PythonCall

SOURCE = "def add(a: int, b: int) -> int:\n    print('adding', a, b)\n    return a + b\n"


def _executor_input(folder: Path, index: int) -> dict:
    return {
        "inputs": {"parameterValues": {"a": index, "b": 1}},
        "outputs": {
            "parameters": {"Output": {"outputFile": str(folder / f"out-{index}")}},
            "outputFile": str(folder / f"executor-output-{index}.json"),
        },
    }


def _wait_all(launcher: LocalLauncher, count: int, timeout: float = 30.0) -> list[Exit]:
    exits: list[Exit] = []
    deadline = time.monotonic() + timeout
    while len(exits) < count and time.monotonic() < deadline:
        exits.extend(launcher.wait(1.0))
    return exits


def test_many_concurrent_forked_tasks_all_report_their_exit(tmp_path: Path) -> None:
    # Launching reads the fork server's replies; exits read ahead there must still be reported.
    module = tmp_path / "component.py"
    module.write_text(SOURCE)
    launcher = LocalLauncher()
    try:
        for index in range(40):
            launcher.launch(
                LaunchSpec(
                    key=f"task-{index}",
                    name=f"task-{index}",
                    log_path=str(tmp_path / f"log-{index}"),
                    cwd=str(tmp_path),
                    python_call=PythonCall(_executor_input(tmp_path, index), "add", None, str(module)),
                )
            )
        exits = _wait_all(launcher, 40)
    finally:
        launcher.close()
    assert sorted(ended.handle.key for ended in exits) == sorted(f"task-{index}" for index in range(40))
    assert all(ended.succeeded for ended in exits)
    assert (tmp_path / "out-7").read_text() == "8"
    assert "adding 7 1" in (tmp_path / "log-7").read_text()


def test_kill_takes_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    launcher = LocalLauncher()
    try:
        handle = launcher.launch(
            LaunchSpec(
                key="sleeper",
                name="sleeper",
                log_path=str(tmp_path / "log"),
                cwd=str(tmp_path),
                argv=["sh", "-c", f"sleep 60 & echo $! > {pid_file}; wait"],
            )
        )
        deadline = time.monotonic() + 10
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        grandchild = int(pid_file.read_text())
        launcher.kill(handle)
        (ended,) = _wait_all(launcher, 1)
    finally:
        launcher.close()
    assert ended.signal == 9 and not ended.succeeded

    def gone() -> bool:
        try:
            return Path(f"/proc/{grandchild}/stat").read_text().split()[2] == "Z"
        except FileNotFoundError:
            return True

    deadline = time.monotonic() + 5  # the kernel delivers the group's SIGKILL asynchronously
    while not gone():
        assert time.monotonic() < deadline, f"grandchild {grandchild} outlived the kill"
        time.sleep(0.02)


def test_a_missing_program_is_an_exit_not_an_exception(tmp_path: Path) -> None:
    launcher = LocalLauncher()
    try:
        launcher.launch(
            LaunchSpec(
                key="x", name="x", log_path=str(tmp_path / "log"), cwd=str(tmp_path), argv=["/no/such"]
            )
        )
        (ended,) = _wait_all(launcher, 1)
    finally:
        launcher.close()
    assert ended.exit_code == 127
    assert "cannot start" in (tmp_path / "log").read_text()
