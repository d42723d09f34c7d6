"""Fixtures for the engine's tests: a fresh SLUICE_HOME per test, kfp-compiled pipelines, databases."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.conftest import database_servers  # noqa: F401  (fixture re-exported)
from tests.support.databases import DatabaseServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kfp_compiled"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SLUICE_HOME for this test (also set in the environment, for subprocesses)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("SLUICE_HOME", str(folder))
    monkeypatch.delenv("SLUICE_DATABASE_URL", raising=False)
    monkeypatch.setenv("SLUICE_GPUS", "0")
    return folder


@pytest.fixture
def marks(tmp_path: Path) -> Path:
    """Where marking tasks record that they ran."""
    folder = tmp_path / "marks"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every pipeline of tests/engine/kfp_pipelines.py, compiled by the official kfp SDK."""
    import warnings

    from tests.engine import kfp_pipelines as pipelines

    folder = tmp_path_factory.mktemp("compiled")
    names = [
        "slow_chain",
        "gated_chain",
        "failing",
        "exit_handling",
        "retrying",
        "loop_sum",
        "artifact_fan_in",
        "placeholders",
        "cached_chain",
        "packages",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: pipelines.compile_to(getattr(pipelines, name), folder, name) for name in names}


def read_marks(marks: Path, name: str) -> int:
    """How many times the task marking ``name`` ran."""
    path = marks / name
    return len(path.read_text().split()) if path.exists() else 0


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def database_url(
    request: pytest.FixtureRequest,
    home: Path,
    database_servers: dict[str, DatabaseServer | str],  # noqa: F811
) -> Iterator[str]:
    """A fresh database on each backend (SQLite in the home; servers from tests/store/conftest.py)."""
    backend: str = request.param
    if backend == "sqlite":
        yield f"sqlite:///{home / 'sluice.db'}"
        return
    server = database_servers[backend]
    if isinstance(server, str):
        if os.environ.get("CI"):
            pytest.fail(f"{backend} server unavailable under CI: {server}")
        pytest.skip(f"{backend} server unavailable: {server}")
    url = server.create_database()
    yield url.render_as_string(hide_password=False)
    server.drop_database(url.database or "")
