"""Fixtures for the sandbox tests: a fresh SLUICE_HOME, bubblewrap required (scripts/test setup installs it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SLUICE_HOME for this test (also in the environment, for subprocesses)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("SLUICE_HOME", str(folder))
    monkeypatch.delenv("SLUICE_DATABASE_URL", raising=False)
    monkeypatch.delenv("SLUICE_PROFILE", raising=False)
    monkeypatch.setenv("SLUICE_GPUS", "0")
    return folder


@pytest.fixture(autouse=True)
def _bubblewrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is missing: run 'bash scripts/test setup' (it installs Debian's bubblewrap)")
