"""Fixtures shared by every test folder: the SeaweedFS S3 server (session-wide, started on first use); and how
the tests are shared among pytest-xdist's workers (``--dist loadgroup``): a module's tests on one worker, the
browser tests all on one, the Ray tests all on one."""

from importlib.metadata import version
from pathlib import Path

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
        config.getoption("dist", default=None) == "loadgroup"
        and _release("pytest") >= (9, 2)
        and _release("pytest-xdist") <= (3, 8)
    ):
        raise pytest.UsageError(
            f"pytest {version('pytest')} with pytest-xdist {version('pytest-xdist')} ignores xdist_group marks: "
            "install the dev extra's pytest (pip install -e '.[dev]')"
        )


TESTS = Path(__file__).parent
# Folders whose tests all run on one worker: the browser tests (one browser at a time beside the rest) and
# the Ray tests (one Ray cluster for the session).
ONE_WORKER_FOLDERS = ("ui", "ray")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups, in its own hook of this name
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every other module's tests run on one worker too, so its module-scoped servers start once, not on both.
    # Workers see --dist loadgroup as their "loadgroup" option (the controller, which collects nothing, as
    # "dist"); without it (another --dist, or -p no:xdist) there are no groups to set.
    if not config.getoption("loadgroup", default=False):
        return
    for item in items:
        module = item.path.relative_to(TESTS).with_suffix("")
        group = module.parts[0] if module.parts[0] in ONE_WORKER_FOLDERS else ".".join(module.parts)
        item.add_marker(pytest.mark.xdist_group(group))
