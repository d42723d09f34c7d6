"""Real ``sluice up`` processes for the service's tests: each on a free port, with its own SLUICE_HOME, on
SQLite or on a fresh PostgreSQL / MariaDB database (the store's fixtures provide those)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

# The store's fixtures: fresh databases on each backend (database_url, store) for in-process tests.
from tests.store.conftest import (  # noqa: F401  (fixtures)
    database_servers,
    database_url,
    module_store,
    store,
)
from tests.support.databases import available

SLUICE = str(Path(sys.executable).with_name("sluice"))
API = "/apis/v2beta1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess:
    """A running ``sluice up``; ``api`` is an httpx client on its address."""

    home: Path
    database_url: str | None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_args: list[str] = field(default_factory=list)
    address: str = "127.0.0.1"  # where it listens (pass --host too when it is another)
    extra_env: dict[str, str] = field(default_factory=dict)  # set for the server process

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home.parent / f"{self.home.name}-server.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = 60) -> ServerProcess:
        env = {**os.environ, "SLUICE_HOME": str(self.home), "SLUICE_GPUS": "0"}
        env.pop("SLUICE_DATABASE_URL", None)
        env.update(self.extra_env)
        command = [SLUICE, "up", "--port", str(self.port), "--max-concurrent-runs", "4", *self.extra_args]
        if self.database_url:
            command += ["--database-url", self.database_url]
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sluice up exited {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}{API}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sluice up did not answer within {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def database_url_for(
    backend: str, tmp_path_factory: pytest.TempPathFactory, servers: dict[str, Any]
) -> str | None:
    if backend == "sqlite":
        return None
    server = available(backend, servers)
    return server.create_database().render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One ``sluice up`` on SQLite for the module."""
    running = ServerProcess(tmp_path_factory.mktemp("server") / "home", None).start()
    yield running
    running.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def backend_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    database_servers: dict[str, Any],  # noqa: F811
) -> Iterator[ServerProcess]:
    """One ``sluice up`` per database backend for the module."""
    url = database_url_for(request.param, tmp_path_factory, database_servers)
    running = ServerProcess(tmp_path_factory.mktemp(f"server-{request.param}") / "home", url).start()
    yield running
    running.stop()


@pytest.fixture
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """tests/server/pipelines.py compiled by kfp: name -> YAML file."""
    from kfp import compiler

    from tests.server import pipelines

    folder = tmp_path_factory.mktemp("packages")
    compiled = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, pipeline in pipelines.ALL.items():
            path = folder / f"{name}.yaml"
            compiler.Compiler().compile(pipeline, str(path))
            compiled[name] = path
    return compiled


@pytest.fixture(scope="session")
def specs(packages: dict[str, Path]) -> dict[str, dict[str, Any]]:
    import yaml

    return {name: yaml.safe_load(path.read_text()) for name, path in packages.items()}


def wait_for_run(
    client: httpx.Client, run_id: str, timeout: float = 60, states: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Poll the run until it ends (or reaches one of ``states``); its JSON."""
    final = states or ("SUCCEEDED", "FAILED", "CANCELED", "SKIPPED")
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = client.get(f"{API}/runs/{run_id}").json()
        if run.get("state") in final:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run.get('state')} after {timeout}s: {run}")
        time.sleep(0.1)


def wait_for_task(
    client: httpx.Client, run_id: str, name: str, state: str, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"{API}/runs/{run_id}").json()
        for task in run.get("run_details", {}).get("task_details", []):
            if task.get("name") == name and task.get("state") == state:
                return task
        if time.monotonic() > deadline:
            raise AssertionError(f"task {name} of run {run_id} never {state}: {run}")
        time.sleep(0.1)


def create_run(
    client: httpx.Client, spec: dict[str, Any], parameters: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    body = {
        "display_name": "test run",
        "pipeline_spec": spec,
        "runtime_config": {"parameters": parameters or {}},
    }
    body.update(fields)
    response = client.post(f"{API}/runs", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def assert_kfp_error(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """A KFP-style error body with this status, whose message contains every fragment."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error", "code", "message", "details"}, body
    assert body["details"] == []
    assert isinstance(body["code"], int) and body["code"] > 0
    for fragment in fragments:
        assert fragment in body["message"], (fragment, body["message"])
    return body
