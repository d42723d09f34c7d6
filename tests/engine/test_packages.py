"""``packages_to_install``: satisfied requirements run in Sluice's environment; others get a cached venv."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sluice.engine import run_pipeline


def test_missing_packages_get_a_venv_that_is_reused(compiled: dict[str, Path], home: Path) -> None:
    first = run_pipeline(compiled["packages"], home=home, handle_sigint=False)
    assert first.succeeded, first.error
    venv_prefix = first.task("needs-package").outputs["Output"].split('"')[1]
    assert venv_prefix.startswith(str(home / "venvs"))
    # PyYAML is installed here already: that task ran on Sluice's own interpreter, no venv for it.
    assert f"python: {sys.prefix}" in first.task("has-package").outputs["Output"]
    marker = Path(venv_prefix) / ".complete"
    built_at = marker.stat().st_mtime_ns

    second = run_pipeline(compiled["packages"], home=home, handle_sigint=False)
    assert second.succeeded, second.error
    assert second.task("needs-package").outputs == first.task("needs-package").outputs
    assert marker.stat().st_mtime_ns == built_at  # reused, not rebuilt


def test_offline_and_missing_is_a_clear_error(
    compiled: dict[str, Path], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-uv-cache"))
    result = run_pipeline(compiled["packages"], home=home, handle_sigint=False)
    assert result.state == "FAILED"
    error = result.task("needs-package").error or ""
    assert "cannot prepare its packages" in error
    assert "tomli-w==1.0.0" in error
    assert "SLUICE_OFFLINE" in error
