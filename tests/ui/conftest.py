"""Browser tests of the web UI: Debian's Chromium, driven by Playwright, against a real ``sluice up``.

Each page a test visits is saved as a screenshot in ``tests/ui/screenshots/`` (gitignored) to look at.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sluice import ui
from sluice.compiler import Compiler
from sluice.dsl import BaseComponent
from tests.server.conftest import API, ServerProcess, create_run

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
GOLDEN = Path(__file__).parents[1] / "compiler" / "golden"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    if not ui.is_built():
        pytest.fail("the web UI is not built: reinstall Sluice with npm on the PATH (pip install -e .)")
    running = ServerProcess(tmp_path_factory.mktemp("ui-server") / "home", None).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(ui_server: ServerProcess) -> Iterator[httpx.Client]:
    with ui_server.client() as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, ui_server: ServerProcess) -> Iterator[Any]:
    """A fresh tab at 1280x800 whose script errors fail the test."""
    context = browser.new_context(viewport=VIEWPORT, base_url=ui_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def shoot(page: Any, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def upload(api: httpx.Client, example: str, name: str) -> tuple[str, str]:
    """Upload a compiled example as a pipeline; its id and first version's id."""
    with (GOLDEN / f"{example}.yaml").open("rb") as handle:
        response = api.post(
            f"{API}/pipelines/upload",
            params={"name": name},
            files={"uploadfile": (f"{example}.yaml", handle)},
        )
    assert response.status_code == 200, response.text
    pipeline_id = response.json()["pipeline_id"]
    versions = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"]
    return pipeline_id, versions[0]["pipeline_version_id"]


def start_run(api: httpx.Client, pipeline: tuple[str, str], name: str, parameters: dict[str, Any]) -> str:
    body = {
        "display_name": name,
        "pipeline_version_reference": {"pipeline_id": pipeline[0], "pipeline_version_id": pipeline[1]},
        "runtime_config": {"parameters": parameters},
    }
    response = api.post(f"{API}/runs", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["run_id"])


def run_inline(
    api: httpx.Client, pipeline: BaseComponent, name: str, parameters: dict[str, Any] | None = None
) -> str:
    """Compile a pipeline written with Sluice's DSL and run its spec; the run's id."""
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "pipeline.yaml"
        Compiler().compile(pipeline, str(package))
        spec = yaml.safe_load(package.read_text())
    return str(create_run(api, spec, parameters, display_name=name)["run_id"])
