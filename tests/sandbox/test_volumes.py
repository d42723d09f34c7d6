"""kfp-kubernetes volumes, compiled by the official SDK, mounted for real in ``restricted`` tasks: named
volumes that persist between tasks and runs, secrets and config maps as files, empty dirs; what cannot be
honoured is recorded and warned about."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest

from sluice.engine import run_pipeline
from sluice.engine._result import RunResult
from sluice.sandbox import list_volumes, volume_folder
from sluice.secrets import SecretStore
from sluice.store import Store
from tests.sandbox import kfp_volume_pipelines as pipelines

SLUICE = str(Path(sys.executable).with_name("sluice"))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from kfp import compiler

    folder = tmp_path_factory.mktemp("compiled")
    found = {}
    names = (
        "pvc_round_trip",
        "named_volume",
        "files_from_objects",
        "empty_dirs",
        "missing_volume",
        "retried_with_volumes",
    )
    for name in names:
        target = folder / f"{name}.yaml"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiler.Compiler().compile(getattr(pipelines, name), str(target))
        found[name] = target
    return found


def _run(pipeline: Path, home: Path, profile: str = "restricted", **arguments: Any) -> RunResult:
    return run_pipeline(pipeline, arguments, home=home, profile=profile, cache=False, handle_sigint=False)


def _task(result: RunResult, name: str) -> Any:
    return next(task for task in result.tasks if task.name == name)


def test_a_created_volume_carries_data_between_tasks_and_is_deleted(
    compiled: dict[str, Path], home: Path
) -> None:
    result = _run(compiled["pvc_round_trip"], home, text="between tasks")
    assert result.state == "SUCCEEDED", (result.error, [(t.name, t.error) for t in result.tasks])
    assert result.outputs["Output"] == "between tasks\n"
    created = _task(result, "createpvc")
    name = created.outputs["name"]
    assert name.endswith("-scratch")
    assert created.platform["volume"]["created"] is True
    assert not volume_folder(home, "default", name).exists()  # DeletePVC removed it
    assert "CreatePVC size and storage class" in " ".join(result.warnings)


def test_a_named_volume_persists_between_runs_until_deleted(compiled: dict[str, Path], home: Path) -> None:
    first = _run(compiled["named_volume"], home, text="first")
    assert first.state == "SUCCEEDED", first.error
    second = _run(compiled["named_volume"], home, text="second")
    assert second.outputs["Output"] == "first\nsecond\n"
    [volume] = list_volumes(home)
    assert volume["name"] == "shared" and volume["size"] == "5Gi" and volume["storage_class_name"] == "fast"
    env = {**os.environ, "SLUICE_HOME": str(home)}
    listed = subprocess.run([SLUICE, "volumes", "list"], capture_output=True, text=True, env=env, check=True)
    assert listed.stdout.startswith("default\tshared\t")
    subprocess.run([SLUICE, "volumes", "delete", "shared"], capture_output=True, env=env, check=True)
    assert list_volumes(home) == []
    missing = subprocess.run(
        [SLUICE, "volumes", "delete", "shared"], capture_output=True, text=True, env=env, check=False
    )
    assert missing.returncode == 2 and "no volume 'shared' in namespace 'default'" in missing.stderr


def _private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Attempts make their volume folders in the temporary folder: this test's own, so that the attempts of
    a test running meanwhile are not counted."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    return private


def test_secrets_and_config_maps_as_files_leave_nothing_behind(
    compiled: dict[str, Path], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = _private_tmp(tmp_path, monkeypatch)
    run_pipeline(compiled["empty_dirs"], {}, home=home, cache=False, handle_sigint=False)  # makes the store
    with Store.open(f"sqlite:///{home / 'sluice.db'}") as store:
        vault = SecretStore(store, home)
        vault.create_secret("api", {"token": b"s3cr3t-value"})
        vault.create_config_map("settings", {"mode": "fast"})
    result = _run(compiled["files_from_objects"], home)
    assert result.state == "SUCCEEDED", result.error
    assert result.outputs["Output"] == {"token": hashlib.sha256(b"s3cr3t-value").hexdigest()}
    assert _task(result, "list-folder-2").outputs["Output"] == {"mode": hashlib.sha256(b"fast").hexdigest()}
    assert not list(private.glob("sluice-volume-*"))  # every attempt's folders removed after it
    for path in Path(home).rglob("*"):
        if path.is_file():
            assert b"s3cr3t-value" not in path.read_bytes(), path


def test_empty_dirs_memory_is_tmpfs_and_unenforced_sizes_are_warned(
    compiled: dict[str, Path], home: Path
) -> None:
    result = _run(compiled["empty_dirs"], home)
    assert result.state == "SUCCEEDED", result.error
    kinds = result.outputs["Output"]
    assert kinds["/fast"] == "tmpfs"
    assert set(kinds) == {"/scratch", "/fast", "/eph"}
    task = _task(result, "mounts-at")
    assert set(task.platform["not_applied"]) == {
        "emptyDirMounts[scratch].sizeLimit",
        "genericEphemeralVolume[eph].size",
    }
    [warning] = [text for text in result.warnings if "volume size limits" in text]
    assert "empty_dir_mount sizeLimit" in warning and "add_ephemeral_volume size" in warning


def test_volumes_under_the_host_profile_still_fail_clearly(compiled: dict[str, Path], home: Path) -> None:
    result = run_pipeline(compiled["named_volume"], {}, home=home, cache=False, handle_sigint=False)
    assert result.state == "FAILED"
    errors = " ".join(task.error or "" for task in result.tasks)
    assert "volumes need a sandboxed execution profile (--profile restricted)" in errors


def test_mounting_a_volume_that_does_not_exist_names_it(compiled: dict[str, Path], home: Path) -> None:
    result = _run(compiled["missing_volume"], home)
    assert result.state == "FAILED"
    assert "mount_pvc: no volume 'nowhere' in namespace 'default'" in (_task(result, "read-note").error or "")


def test_a_retried_attempt_gets_its_volumes_again(
    compiled: dict[str, Path], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = _private_tmp(tmp_path, monkeypatch)
    run_pipeline(compiled["empty_dirs"], {}, home=home, cache=False, handle_sigint=False)  # makes the store
    with Store.open(f"sqlite:///{home / 'sluice.db'}") as store:
        SecretStore(store, home).create_secret("api", {"token": b"again"})
    result = _run(compiled["retried_with_volumes"], home)
    assert result.state == "SUCCEEDED", (result.error, [(t.name, t.error) for t in result.tasks])
    assert _task(result, "flaky-reader").attempts == 2
    assert result.outputs["Output"] == hashlib.sha256(b"again").hexdigest()
    assert not list(private.glob("sluice-volume-*"))  # every attempt's folders removed after it
