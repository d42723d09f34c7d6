"""The ``sluice run`` and ``sluice runs`` commands, as a user runs them (real subprocesses)."""

from __future__ import annotations

import gc
import importlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sluice.cli import main
from sluice.cli._options import imports_without_gc
from tests.engine.conftest import FIXTURES, read_marks

SLUICE = str(Path(sys.executable).parent / "sluice")


def _sluice(*args: str, check_code: int | None = 0) -> subprocess.CompletedProcess[str]:
    """``sluice ARGS`` in a subprocess, as a user types it."""
    completed = subprocess.run([SLUICE, *args], capture_output=True, text=True, timeout=120, check=False)
    if check_code is not None:
        assert completed.returncode == check_code, completed.stderr
    return completed


def _invoke(*args: str, check_code: int = 0) -> Result:
    """``sluice ARGS`` in this process (the same command code, without paying interpreter start-up)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == check_code, result.stderr
    return result


def test_run_json_typed_params_and_runs_get(home: Path) -> None:
    completed = _invoke(
        "run", str(FIXTURES / "control_flow.yaml"), "-p", "seed=3", "-p", "mode=audit", "--json"
    )
    summary = json.loads(completed.stdout)
    assert summary["state"] == "SUCCEEDED"
    assert summary["arguments"] == {"seed": 3, "mode": "audit", "retrain_threshold": 0.5}
    drift = next(task for task in summary["tasks"] if task["name"] == "measure-drift")
    assert isinstance(drift["outputs"]["Output"], float)
    assert drift["started_at"] and drift["finished_at"]

    listed = _invoke("runs", "list", "--json")
    assert [run["run_id"] for run in json.loads(listed.stdout)] == [summary["run_id"]]
    got = json.loads(_invoke("runs", "get", summary["run_id"], "--json").stdout)
    assert got["tasks"] == summary["tasks"]
    text = _invoke("runs", "get", summary["run_id"]).stdout
    assert "SUCCEEDED" in text and "root/measure-drift" in text


def test_failed_run_exits_non_zero_with_log_tail(home: Path, compiled: dict[str, Path], marks: Path) -> None:
    completed = _sluice("run", str(compiled["failing"]), "-p", f"marks={marks}", check_code=1)
    assert "root/fail failed" in completed.stderr
    assert "RuntimeError: boom on purpose" in completed.stderr
    bad_param = _invoke("run", str(FIXTURES / "control_flow.yaml"), "-p", "seed=x", check_code=2)
    assert "pipeline input 'seed': expected an integer" in bad_param.stderr


def _run_until_the_gate(compiled: dict[str, Path], marks: Path) -> subprocess.Popen[str]:
    """``sluice run --json`` of the gated chain in a subprocess, once its gate task is running."""
    engine = subprocess.Popen(
        [SLUICE, "run", str(compiled["gated_chain"]), "-p", f"marks={marks}", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while read_marks(marks, "gate") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    return engine


def _processes_with_environment(marker: str) -> list[int]:
    """The live processes whose environment holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue  # gone, or not ours to read
    return found


def test_the_fork_server_started_ahead_runs_the_task_and_outlives_no_run(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `sluice run` starts its fork server before it imports the engine (bench/one_shot.py): a run that does
    # start uses it; one refused at once (a bad argument) must not leave it running.
    marker = f"sluice-test-{uuid.uuid4()}"
    monkeypatch.setenv("FORK_SERVER_MARKER", marker)
    ran = _sluice("run", str(FIXTURES / "hello_world.yaml"), "--json")
    assert json.loads(ran.stdout)["state"] == "SUCCEEDED"
    refused = _sluice("run", str(FIXTURES / "control_flow.yaml"), "-p", "seed=x", check_code=2)
    assert "pipeline input 'seed'" in refused.stderr
    assert _processes_with_environment(marker) == []


def test_sluice_run_leaves_the_garbage_collector_as_it_found_it(home: Path) -> None:
    # It imports the engine with the collector off (imports_without_gc): a run must not leave it off, nor
    # turn on a collector its caller had turned off.
    assert gc.isenabled()
    _invoke("run", str(FIXTURES / "hello_world.yaml"))
    assert gc.isenabled()
    gc.disable()
    try:
        _invoke("run", str(FIXTURES / "hello_world.yaml"))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_command_imports_is_frozen_out_of_later_collections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sluice_test_fresh_module.py").write_text("ROWS = [[row] for row in range(5000)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    frozen_before = gc.get_freeze_count()
    try:
        with imports_without_gc():
            assert not gc.isenabled()
            importlib.import_module("sluice_test_fresh_module")
        assert gc.isenabled()
        frozen = gc.get_freeze_count()
        assert frozen >= frozen_before + 5000
        made_since = [[row] for row in range(100)]
        with imports_without_gc():  # nothing new imported: nothing more frozen
            pass
        assert gc.get_freeze_count() == frozen, made_since
    finally:
        gc.unfreeze()
        sys.modules.pop("sluice_test_fresh_module", None)


def test_stream_logs_prefixes_task_output(home: Path) -> None:
    completed = _invoke("run", str(FIXTURES / "hello_world.yaml"), "--stream-logs")
    assert "[shout] HELLO, WORLD!" in completed.stderr


def test_terminate_cancels_a_run_in_another_process(
    home: Path, compiled: dict[str, Path], marks: Path
) -> None:
    engine = _run_until_the_gate(compiled, marks)
    run_id = json.loads(_sluice("runs", "list", "--json").stdout)[0]["run_id"]
    terminated = _sluice("runs", "terminate", run_id)
    assert f"run {run_id} CANCELED" in terminated.stdout
    stdout, _ = engine.communicate(timeout=30)
    assert engine.returncode == 1
    summary = json.loads(stdout)
    states = {task["path"]: task["state"] for task in summary["tasks"]}
    assert states == {"root/mark": "SUCCEEDED", "root/gate": "CANCELED", "root/mark-2": "CANCELED"}
    gate_pid = int((marks / "gate").read_text().split()[0])
    assert (
        not os.path.exists(f"/proc/{gate_pid}")
        or "Z" in Path(f"/proc/{gate_pid}/stat").read_text().split()[2]
    )
    assert read_marks(marks, "last") == 0


def test_ctrl_c_cancels_the_run_and_kills_its_tasks(
    home: Path, compiled: dict[str, Path], marks: Path
) -> None:
    import signal

    engine = _run_until_the_gate(compiled, marks)
    engine.send_signal(signal.SIGINT)
    stdout, _ = engine.communicate(timeout=30)
    assert engine.returncode == 1
    summary = json.loads(stdout)
    assert summary["state"] == "CANCELED"
    assert summary["error"] == "interrupted (Ctrl-C)"
    assert {task["path"]: task["state"] for task in summary["tasks"]}["root/gate"] == "CANCELED"
    gate_pid = int((marks / "gate").read_text().split()[0])
    assert (
        not os.path.exists(f"/proc/{gate_pid}")
        or "Z" in Path(f"/proc/{gate_pid}/stat").read_text().split()[2]
    )
