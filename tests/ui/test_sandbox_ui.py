"""The web UI for execution profiles and notebooks: the create-run form's profile select, and an executed
notebook rendered in a sandboxed frame in the task panel."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import httpx

from sluice import dsl
from sluice.compiler import Compiler
from tests.notebooks.notebooks import report_notebook
from tests.server.conftest import API, wait_for_run
from tests.ui.conftest import run_inline, shoot


@dsl.component
def where() -> str:
    import os

    return os.getcwd()


@dsl.pipeline(name="where-am-i")
def where_am_i() -> str:
    return where().output


def _upload(api: httpx.Client, pipeline: Any, name: str) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "pipeline.yaml"
        Compiler().compile(pipeline, str(package))
        response = api.post(
            f"{API}/pipelines/upload",
            params={"name": name},
            files={"uploadfile": ("p.yaml", package.read_bytes())},
        )
    assert response.status_code == 200, response.text
    pipeline_id = response.json()["pipeline_id"]
    versions = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"]
    return pipeline_id, versions[0]["pipeline_version_id"]


def test_the_create_run_form_offers_the_namespaces_profiles(page: Any, api: httpx.Client) -> None:
    pipeline_id, _ = _upload(api, where_am_i, "where am i")
    page.goto(f"/pipelines/{pipeline_id}")
    page.get_by_role("button", name="Create run").click()
    page.wait_for_url(re.compile(r"/runs/new\?"))
    select = page.get_by_label("Execution profile")
    # The profiles arrive with their own request: wait for them, not for the select alone.
    select.locator("option", has_text="restricted").first.wait_for(state="attached")
    options = select.locator("option").all_inner_texts()
    assert options[0].startswith("host (default)")
    assert any(option.startswith("restricted — sandboxed, network none") for option in options)
    select.select_option(label=next(option for option in options if option.startswith("restricted")))
    shoot(page, "create-run-profile")
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}$"))
    run_id = page.url.rsplit("/", 1)[-1]
    run = wait_for_run(api, run_id)
    assert run["state"] == "SUCCEEDED", run
    task = next(t for t in run["run_details"]["task_details"] if t["display_name"] == "where")
    assert "/tmp/work" in str(task)  # it ran in the sandbox's private work folder
    page.locator("[data-key='root/where']").click()
    panel = page.get_by_role("complementary", name="Task where")
    panel.get_by_text("restricted (sandboxed)").wait_for()
    shoot(page, "run-task-profile")


def test_an_executed_notebook_is_rendered_in_a_sandboxed_frame(
    page: Any, api: httpx.Client, tmp_path: Path
) -> None:
    notebook = report_notebook(tmp_path / "report.ipynb")

    @dsl.notebook_component(notebook_path=str(notebook), packages_to_install=[])
    def report(text: str, executed: dsl.Output[dsl.Artifact]):
        import shutil

        shutil.copy(dsl.run_notebook(text=text), executed.path)

    @dsl.pipeline(name="notebook-step")
    def notebook_step(text: str = "<b>shown escaped</b>"):
        report(text=text)

    run_id = run_inline(api, notebook_step, "notebook")
    assert wait_for_run(api, run_id, timeout=120)["state"] == "SUCCEEDED"
    page.goto(f"/runs/{run_id}")
    page.locator("[data-key='root/report']").click()
    panel = page.get_by_role("complementary", name="Task report")
    panel.get_by_role("tab", name="Input/Output").click()
    frame_element = panel.locator("iframe[title='Executed notebook']")
    frame_element.wait_for()
    assert frame_element.get_attribute("sandbox") == ""
    frame = frame_element.content_frame
    frame.get_by_text("text is <b>shown escaped</b> count is 1").wait_for()
    assert frame.locator("b").count() == 0
    assert "injected-parameters" in frame.locator("body").inner_text()
    shoot(page, "run-notebook-artifact")
