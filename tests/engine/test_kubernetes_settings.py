"""kfp-kubernetes settings of kfp-compiled pipelines, applied for real: secrets, config maps and field paths in
the task's environment, pod labels and annotations recorded, scheduling settings recorded and warned about,
volumes refused; secret values never reach the store, the logs or the console."""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import subprocess
import sys
import uuid
import warnings
from pathlib import Path

import pytest

from sluice import dsl, kubernetes
from sluice.engine import run_pipeline
from sluice.secrets import SecretStore
from sluice.store import Store
from tests.engine import kfp_kubernetes_pipelines as pipelines

SLUICE = str(Path(sys.executable).with_name("sluice"))


def _compile(pipeline: object, folder: Path, name: str) -> Path:
    from kfp import compiler

    target = folder / f"{name}.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiler.Compiler().compile(pipeline, str(target))
    return target


def _sluice(home: Path, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_GPUS": "0"}
    env.pop("SLUICE_DATABASE_URL", None)
    completed = subprocess.run(
        [SLUICE, *arguments], capture_output=True, text=True, env=env, timeout=180, check=False
    )
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def password() -> str:
    return f"pw-{uuid.uuid4().hex}"


def _create_with_cli(home: Path, password: str) -> None:
    _sluice(
        home,
        "secrets",
        "create",
        "db-creds",
        "--from-literal",
        f"password={password}",
        "--from-literal",
        "user=bob",
    )
    token = home.parent / "token.txt"
    token.write_text("tok-123")
    _sluice(home, "secrets", "create", "api", "--from-file", f"token={token}")
    _sluice(
        home, "configmaps", "create", "settings", "--from-literal", "mode=fast", "--from-literal", "level=3"
    )


@pytest.fixture
def secrets(home: Path, password: str) -> None:
    """The secrets and config map the pipelines use (``test_secret_values_never_reach...`` makes them with
    the CLI, as a user would)."""
    home.mkdir(parents=True, exist_ok=True)
    with Store.open(f"sqlite:///{home / 'sluice.db'}") as store:
        vault = SecretStore(store, home)
        vault.create_secret("db-creds", {"password": password.encode(), "user": b"bob"})
        vault.create_secret("api", {"token": b"tok-123"})
        vault.create_config_map("settings", {"mode": "fast", "level": "3"})


def test_secrets_config_maps_and_field_paths_set_the_environment(
    home: Path, tmp_path: Path, secrets: None, password: str
) -> None:
    result = run_pipeline(
        _compile(pipelines.env_from_settings, tmp_path, "env"), home=home, handle_sigint=False
    )
    assert result.succeeded, result.error
    report = result.outputs["Output"]
    assert report["hashed"] == {
        "DB_PASSWORD": _sha(password),
        "DB_USER": _sha("bob"),
        "API_TOKEN": _sha("tok-123"),
        "OPTIONAL_SECRET": None,  # optional=True and the secret does not exist
        "OPTIONAL_KEY": None,  # optional=True and the key does not exist
    }
    plain = report["plain"]
    task = result.task("report-env")
    platform = task.platform or {}
    assert plain["MODE"] == "fast" and plain["LEVEL"] == "3"
    assert plain["POD_NAME"] == platform["pod_name"] and plain["POD_NAME"].startswith("env-from-settings-")
    assert plain["POD_NAMESPACE"] == "default"
    assert plain["POD_UID"] == task.id
    assert plain["TEAM"] == "ml" and plain["OWNER"] == "alice"
    assert plain["RUN_ID_LABEL"] == result.run_id
    assert plain["RUN_NAME"] == result.display_name
    assert plain["NO_SUCH_LABEL"] == ""
    assert plain["NODE"] == socket.gethostname()
    assert plain["SERVICE_ACCOUNT"] == "pipeline-runner"
    assert plain["POD_IP"] and plain["POD_IP"] == plain["HOST_IP"]

    assert platform["labels"]["team"] == "ml" and platform["annotations"]["owner"] == "alice"
    assert platform["timeout_seconds"] == 120
    sources = {entry["name"]: entry for entry in platform["env"]}
    assert sources["DB_PASSWORD"] == {
        "name": "DB_PASSWORD",
        "from": "secret",
        "source": "db-creds",
        "key": "password",
    }
    assert sources["OPTIONAL_SECRET"]["skipped"] == "optional secret 'absent' does not exist"
    assert sources["OPTIONAL_KEY"]["skipped"] == "optional key 'missing' is absent"
    assert sources["TEAM"] == {"name": "TEAM", "from": "field_path", "field_path": "metadata.labels['team']"}
    assert result.warnings == []


def test_secret_values_never_reach_the_store_logs_or_console(
    home: Path, tmp_path: Path, password: str
) -> None:
    _create_with_cli(home, password)
    pipeline = _compile(pipelines.env_from_settings, tmp_path, "env")
    completed = _sluice(home, "run", str(pipeline), "--json")
    assert _sha(password) in completed.stdout  # it did reach the task
    listed = (
        _sluice(home, "secrets", "get", "db-creds", "--json").stdout + _sluice(home, "secrets", "list").stdout
    )
    for text in (completed.stdout, completed.stderr, listed):
        assert password not in text
    leaks = [path for path in home.rglob("*") if path.is_file() and password.encode() in path.read_bytes()]
    assert leaks == []  # the database (and its WAL), task logs, executor inputs and outputs


def test_secret_names_from_pipeline_parameters_and_upstream_outputs(
    home: Path, tmp_path: Path, secrets: None, password: str
) -> None:
    pipeline = _compile(pipelines.secret_names_from_the_pipeline, tmp_path, "names")
    result = run_pipeline(pipeline, home=home, handle_sigint=False)
    assert result.succeeded, result.error
    expected = {"DB_PASSWORD": _sha(password), "API_TOKEN": _sha("tok-123")}
    assert [item["hashed"] for item in result.outputs["Output"]] == [expected, expected]


def test_scheduling_settings_are_recorded_and_warned_about_once(home: Path, tmp_path: Path) -> None:
    pipeline = _compile(pipelines.scheduling_settings, tmp_path, "scheduling")
    completed = _sluice(home, "run", str(pipeline))
    assert completed.stderr.count("warning: this machine does not use these kfp-kubernetes settings") == 1
    run_id = _sluice(home, "runs", "list", "--json").stdout.split('"run_id": "')[1].split('"')[0]
    with Store.open(f"sqlite:///{home / 'sluice.db'}") as store:
        from sluice.engine import load_run_result

        result = load_run_result(store, run_id)
    assert result.succeeded, result.error
    (warning,) = result.warnings
    assert "node selector (task report-env)" in warning
    assert "tolerations (tasks report-env, report-env-2)" in warning
    assert (
        "image pull secrets (task report-env)" in warning and "image pull policy (task report-env)" in warning
    )
    assert "node affinity (task report-env)" in warning
    platform = result.task("report-env").platform
    assert platform is not None
    not_applied = platform["not_applied"]
    assert not_applied["nodeSelector"] == {"labels": {"accelerator": "nvidia-h100"}}
    assert not_applied["imagePullPolicy"] == "Always"
    assert not_applied["imagePullSecret"][0]["secretNameParameter"] == "registry-creds"
    assert not_applied["tolerations"] == [
        {"key": "gpu", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}
    ]


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        (
            "missing_secret",
            "use_secret_as_env: secret 'no-such-secret' does not exist in namespace 'default'",
        ),
        (
            "missing_secret_key",
            "use_secret_as_env: secret 'api' has no key 'no-such-key' (wanted for 'X'); its keys: token",
        ),
        (
            "missing_config_map",
            "use_config_map_as_env: config map 'no-such-map' does not exist in namespace 'default'",
        ),
        (
            "unknown_field_path",
            "use_field_path_as_env: field path 'status.phase' (for 'X') is not one Sluice knows",
        ),
    ],
)
def test_a_setting_that_cannot_be_honoured_fails_the_task_before_it_starts(
    home: Path, tmp_path: Path, secrets: None, pipeline: str, expected: str
) -> None:
    result = run_pipeline(
        _compile(getattr(pipelines, pipeline), tmp_path, pipeline), home=home, handle_sigint=False
    )
    assert result.state == "FAILED"
    task = result.task("report-env")
    assert expected in (task.error or "")
    assert task.attempts == 0  # never started
    assert "tok-123" not in (task.error or "")


@pytest.mark.parametrize("function", sorted(pipelines.VOLUME_PIPELINES))
def test_volumes_fail_the_task_naming_the_volume(home: Path, tmp_path: Path, function: str) -> None:
    pipeline, volume, mount_path = pipelines.VOLUME_PIPELINES[function]
    result = run_pipeline(_compile(pipeline, tmp_path, function), home=home, handle_sigint=False)
    assert result.state == "FAILED"
    error = result.task("report-env").error or ""
    assert error.startswith("volumes need a sandboxed execution profile (--profile restricted): ")
    assert f"volume {volume!r} at {mount_path}" in error and f"kfp-kubernetes' {function}" in error


def test_create_pvc_fails_clearly(home: Path, tmp_path: Path) -> None:
    result = run_pipeline(_compile(pipelines.create_pvc, tmp_path, "pvc"), home=home, handle_sigint=False)
    assert result.state == "FAILED"
    assert (
        "volumes need a sandboxed execution profile (--profile restricted): this is kfp-kubernetes' CreatePVC"
        in (result.task("createpvc").error or "")
    )


def test_the_key_file_is_private_and_a_readable_one_is_refused(home: Path, secrets: None) -> None:
    key = home / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.chmod(0o644)
    refused = _sluice(home, "secrets", "get", "api", check=False)
    assert refused.returncode == 2
    assert f"the secret key file '{key}' can be read by other users (mode 0644)" in refused.stderr
    key.chmod(0o600)
    assert _sluice(home, "secrets", "get", "api").returncode == 0


def test_another_key_cannot_read_the_secrets(home: Path, tmp_path: Path, secrets: None) -> None:
    with Store.open(f"sqlite:///{home / 'sluice.db'}") as store:
        other_home = tmp_path / "other"
        other_home.mkdir()
        other = SecretStore(store, other_home)
        from sluice.secrets import SecretsError

        with pytest.raises(SecretsError, match="there is no key file at"):
            other.read_secret("api")
        other.create_config_map("unrelated", {"a": "b"})  # config maps need no key
        from cryptography.fernet import Fernet

        (other_home / "secret.key").write_bytes(Fernet.generate_key())
        (other_home / "secret.key").chmod(0o600)
        with pytest.raises(SecretsError, match="cannot be decrypted with the key in"):
            SecretStore(store, other_home).read_secret("api")


# ---------------------------------------------------------------- the same with sluice.dsl + sluice.kubernetes


@dsl.component
def sluice_report(hashed: list, plain: list) -> dict:
    import hashlib
    import os

    return {
        "hashed": {name: hashlib.sha256(os.environ[name].encode()).hexdigest() for name in hashed},
        "plain": {name: os.environ.get(name) for name in plain},
    }


@dsl.pipeline
def sluice_settings(secret: str = "db-creds") -> dict:
    task = sluice_report(hashed=["DB_PASSWORD"], plain=["MODE", "POD", "TEAM"])
    kubernetes.use_secret_as_env(task, secret_name=secret, secret_key_to_env={"password": "DB_PASSWORD"})
    kubernetes.use_config_map_as_env(task, config_map_name="settings", config_map_key_to_env={"mode": "MODE"})
    kubernetes.use_field_path_as_env(task, env_name="POD", field_path="metadata.name")
    kubernetes.use_field_path_as_env(task, env_name="TEAM", field_path="metadata.labels['team']")
    kubernetes.add_pod_label(task, "team", "search")
    kubernetes.add_node_selector(task, "gpu", "yes")
    return task.output


@dsl.pipeline
def sluice_volume() -> dict:
    task = sluice_report(hashed=[], plain=[])
    kubernetes.empty_dir_mount(task, volume_name="scratch", mount_path="/scratch")
    return task.output


def test_sluice_kubernetes_settings_apply_the_same(home: Path, secrets: None, password: str) -> None:
    result = run_pipeline(sluice_settings, home=home, handle_sigint=False)
    assert result.succeeded, result.error
    task = result.task("sluice-report")
    assert result.outputs["Output"] == {
        "hashed": {"DB_PASSWORD": _sha(password)},
        "plain": {"MODE": "fast", "POD": (task.platform or {}).get("pod_name"), "TEAM": "search"},
    }
    assert result.warnings and "node selector (task sluice-report)" in result.warnings[0]


def test_sluice_kubernetes_volume_is_refused(home: Path) -> None:
    result = run_pipeline(sluice_volume, home=home, handle_sigint=False)
    assert result.state == "FAILED"
    assert (
        "volumes need a sandboxed execution profile (--profile restricted): volume 'scratch' at /scratch"
        in (result.task("sluice-report").error or "")
    )
