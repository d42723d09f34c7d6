"""Fixtures shared by every test folder: the SeaweedFS S3 server (session-wide, started on first use); and a
check that pytest-xdist can honour the suite's ``xdist_group`` marks."""

from importlib.metadata import version

import pytest

from tests.seaweedfs import s3_environment, s3_server

__all__ = ["s3_environment", "s3_server"]


def _release(package: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version(package).split(".")[:2] if part.isdigit())


def pytest_configure(config: pytest.Config) -> None:
    # The browser tests and the Ray tests each share one worker (one server and browser, one Ray cluster).
    # pytest-xdist groups a test by suffixing its node id, which pytest 9.2 no longer lets it do: the groups
    # were silently ignored (each worker started its own Ray cluster), so refuse to run that way.
    if (
        config.getvalue("dist") == "loadgroup"
        and _release("pytest") >= (9, 2)
        and _release("pytest-xdist") <= (3, 8)
    ):
        raise pytest.UsageError(
            f"pytest {version('pytest')} with pytest-xdist {version('pytest-xdist')} ignores xdist_group marks: "
            "install the dev extra's pytest (pip install -e '.[dev]')"
        )
