"""Execution profiles as a user and an admin meet them: the admin's commands, namespace policies, refusals
(``sluice run --profile``, the API's run-creation field), and bad profile definitions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sluice import dsl
from sluice.compiler import Compiler
from sluice.sandbox import ProfileError, load_profiles, save_profile
from tests.server.conftest import API, ServerProcess, assert_kfp_error, create_run, wait_for_run

SLUICE = str(Path(sys.executable).with_name("sluice"))


@dsl.component
def where() -> str:
    import os

    return os.getcwd()


@dsl.pipeline
def where_pipeline() -> str:
    return where().output


def _sluice(home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_GPUS": "0"}
    env.pop("SLUICE_DATABASE_URL", None)
    return subprocess.run(
        [SLUICE, *arguments], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def _spec(tmp_path: Path) -> dict[str, Any]:
    target = tmp_path / "where.yaml"
    Compiler().compile(where_pipeline, str(target))
    document: dict[str, Any] = yaml.safe_load(target.read_text())
    return document


def test_admin_defines_profiles_and_a_namespace_policy_that_sluice_run_obeys(
    home: Path, tmp_path: Path
) -> None:
    pipeline = tmp_path / "where.yaml"
    Compiler().compile(where_pipeline, str(pipeline))
    made = _sluice(home, "admin", "profiles", "set", "gpu-team", "--memory", "2Gi", "--wall-seconds", "600")
    assert made.returncode == 0, made.stderr
    listed = _sluice(home, "admin", "profiles", "list").stdout
    assert {line.split("\t")[0] for line in listed.splitlines()} == {"host", "restricted", "gpu-team"}
    policy = _sluice(
        home, "admin", "profiles", "policy", "default", "--default", "gpu-team", "--allow", "host"
    )
    assert policy.returncode == 0, policy.stderr
    refused = _sluice(home, "run", str(pipeline), "--profile", "restricted")
    assert refused.returncode == 2
    assert (
        "execution profile 'restricted' is not allowed in namespace 'default' (allowed: gpu-team, host)"
        in (refused.stderr)
    )
    # No --profile: the namespace's default, a sandbox; --profile host: the user's own folder.
    sandboxed = _sluice(home, "run", str(pipeline), "--json", "--no-cache")
    assert sandboxed.returncode == 0, sandboxed.stderr
    assert '"Output": "/tmp/work"' in sandboxed.stdout
    plain = _sluice(home, "run", str(pipeline), "--json", "--no-cache", "--profile", "host")
    assert plain.returncode == 0, plain.stderr
    assert '"Output": "/tmp/work"' not in plain.stdout
    unknown = _sluice(home, "run", str(pipeline), "--profile", "nope")
    assert unknown.returncode == 2 and "no execution profile 'nope'" in unknown.stderr


def test_bad_profile_definitions_are_refused_naming_the_field(home: Path) -> None:
    with pytest.raises(ProfileError, match="field 'network' must be 'none' or 'host'"):
        save_profile(home, "odd", {"network": "bridge"})
    with pytest.raises(ProfileError, match=r"'memory'.*not a size"):
        save_profile(home, "odd", {"memory": "lots"})
    with pytest.raises(ProfileError, match="built-in profile"):
        save_profile(home, "restricted", {"memory": "1Gi"})
    home.mkdir(parents=True, exist_ok=True)
    (home / "profiles.json").write_text('{"profiles": {"x": {"memroy": 1}}}')
    with pytest.raises(ProfileError, match=r"profiles\.json: profile 'x' has unknown field 'memroy'"):
        load_profiles(home)


@pytest.fixture
def server(tmp_path: Path) -> Any:
    running = ServerProcess(tmp_path / "server-home", None).start()
    yield running
    running.stop()


def test_api_run_creation_takes_an_allowed_profile_and_refuses_others(
    server: ServerProcess, tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    with server.client() as client:
        run = create_run(client, spec, profile="restricted")
        ended = wait_for_run(client, run["run_id"])
        assert ended["state"] == "SUCCEEDED", ended
        task = next(t for t in ended["run_details"]["task_details"] if t["display_name"] == "where")
        assert "/tmp/work" in str(task), task
        done = _sluice(server.home, "admin", "profiles", "policy", "default", "--default", "host")
        assert done.returncode == 0, done.stderr
        body = {"display_name": "no", "pipeline_spec": spec, "profile": "restricted"}
        refused = client.post(f"{API}/runs", json=body)
        assert_kfp_error(refused, 400, "profile: execution profile 'restricted' is not allowed in namespace")
        listed = httpx.get(f"{server.url}{API}/runs").json()
        assert all(item.get("display_name") != "no" for item in listed.get("runs", []))


def test_a_run_created_without_a_profile_gets_its_namespaces_default_when_it_starts(
    home: Path, tmp_path: Path
) -> None:
    """A recurring run's, or one a client created without the field: the policy still holds."""
    from sluice.engine import resume_run
    from sluice.sandbox import set_policy
    from sluice.store import Store

    home.mkdir(parents=True, exist_ok=True)
    with Store.open(f"sqlite:///{home / 'sluice.db'}") as store:
        set_policy(store, home, "default", "restricted", [])
        run = store.create_run(
            pipeline_spec=_spec(tmp_path),
            display_name="made elsewhere",
            runtime_config={"parameters": {}, "pipelineRoot": str(home / "artifacts")},
        )
    result = resume_run(run.id, home=home, handle_sigint=False)
    assert result.state == "SUCCEEDED", result.error
    assert result.outputs["Output"] == "/tmp/work"


def test_sluice_up_refuses_to_start_without_bubblewrap_when_a_namespace_needs_it(home: Path) -> None:
    from sluice.sandbox import set_policy
    from sluice.store import Store

    home.mkdir(parents=True, exist_ok=True)
    with Store.open(f"sqlite:///{home / 'sluice.db'}") as store:
        set_policy(store, home, "team-a", "restricted", [])
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_BWRAP": str(home / "no-bwrap")}
    started = subprocess.run(
        [SLUICE, "up", "--port", "0"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert started.returncode == 2
    assert (
        "namespaces team-a run sandboxed tasks, but sandboxed execution profiles need bubblewrap"
        in started.stderr
    )
    assert "apt-get install bubblewrap" in started.stderr


def test_a_sandboxed_profile_on_the_ray_launcher_is_refused_before_any_run(home: Path) -> None:
    from sluice.engine import LauncherUnavailableError, run_pipeline

    with pytest.raises(
        LauncherUnavailableError, match=r"execution profile 'restricted' runs tasks in a sandbox"
    ):
        run_pipeline(where_pipeline, home=home, launcher="ray", profile="restricted", handle_sigint=False)
