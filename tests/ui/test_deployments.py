"""The Deployments pages in a real browser against a real ``sluice up`` with real model servers: state, URL,
traffic split and charts; a deployment's revisions and history; Promote, Rollback and Delete; and the links
between a revision and the run and artifact it came from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice import dsl
from sluice.client import Client
from sluice.dsl import Model, Output
from tests.server.conftest import ServerProcess, wait_for_run
from tests.serving.conftest import tagged_model
from tests.ui.conftest import run_inline, shoot


@dsl.component
def train_tagged(tag: str, model: Output[Model]):
    """A model folder whose predictor answers its tag."""
    import os

    os.makedirs(model.path, exist_ok=True)
    with open(os.path.join(model.path, "tag"), "w") as handle:
        handle.write(tag)
    with open(os.path.join(model.path, "predictor.py"), "w") as handle:
        handle.write(
            "class Tagged:\n"
            "    def load(self, model_path):\n"
            "        self.tag = open(model_path + '/tag').read()\n"
            "    def predict(self, instances):\n"
            "        return [self.tag for _ in instances]\n"
        )


@dsl.pipeline(name="tagged-model")
def tagged_pipeline(tag: str = "from-a-run"):
    train_tagged(tag=tag)


@pytest.fixture(scope="module")
def client(ui_server: ServerProcess) -> Any:
    with Client(ui_server.url) as connected:
        yield connected


@pytest.fixture(scope="module")
def canary(client: Client, api: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> str:
    """'iris' with revision 1 from a run (the run/artifact links) and a 25% canary, and traffic on record."""
    run_id = run_inline(api, tagged_pipeline, "tagged model")
    assert wait_for_run(api, run_id, timeout=120)["state"] == "SUCCEEDED"
    client.create_deployment("iris", f"{run_id}/train-tagged/model", description="The iris classifier.")
    client.update_deployment(
        "iris", tagged_model(tmp_path_factory.mktemp("v2") / "model", "v2"), canary_percent=25
    )
    url = client.get_deployment("iris").url + "/v1/models/iris:predict"
    with httpx.Client() as http:
        for _ in range(40):
            assert http.post(url, json={"instances": [[1]]}).status_code == 200
        assert http.post(url, content=b"{broken").status_code == 400
    return run_id


def test_the_deployments_page_shows_state_url_traffic_and_charts(
    page: Any, canary: str, ui_server: ServerProcess
) -> None:
    page.goto("/deployments")
    card = page.locator("article[data-deployment='iris']")
    card.wait_for()
    assert card.locator(".badge").inner_text().strip().endswith("Ready")
    assert card.locator(".deployment-url").inner_text() == f"{ui_server.url}/serving/default/iris"
    shares = card.locator(".traffic-share")
    assert shares.all_inner_texts() == ["r1 · 75%", "r2 · 25% canary"]
    # The request rate chart has a line for each revision that answered.
    card.locator("figure.time-chart").first.locator("polyline, circle").first.wait_for()
    assert card.get_by_role("img", name="Request rate over time").count() == 1
    assert card.get_by_role("img", name="Latency over time").count() == 1
    assert "requests/s" in card.locator(".numbers").inner_text()
    shoot(page, "deployments", full_page=True)


def test_promote_rollback_and_the_history(page: Any, canary: str, client: Client) -> None:
    page.goto("/deployments")
    page.get_by_role("link", name="iris", exact=True).click()
    page.wait_for_url(re.compile(r"/deployments/default/iris$"))
    page.get_by_role("heading", name="Revisions").wait_for()
    rows = page.locator(".revisions-table tbody tr[data-revision]")
    assert rows.count() == 2
    assert "canary" in page.locator("tr[data-revision='2']").inner_text()
    shoot(page, "deployment-canary", full_page=True)

    page.get_by_role("button", name="Promote").click()
    page.locator(".traffic-share", has_text="r2 · 100%").wait_for()
    assert client.get_deployment("iris").traffic == {2: 100}
    assert page.get_by_role("button", name="Promote").is_disabled()

    page.get_by_role("button", name="Rollback").click()
    dialog = page.locator("dialog")
    assert "Revision 1 (kept warm) takes all traffic from revision 2" in dialog.inner_text()
    shoot(page, "deployment-rollback-dialog")
    dialog.get_by_role("button", name="Roll back").click()
    page.locator(".traffic-share", has_text="r1 · 100%").wait_for()
    assert client.get_deployment("iris").traffic == {1: 100}

    history = page.locator(".history-table tbody tr")
    page.locator(".history-table tr[data-action='rollback']").wait_for()
    actions = [row.get_attribute("data-action") for row in history.all()]
    assert actions[:3] == ["rollback", "promote", "ready"]
    assert "local" in page.locator(".history-table tr[data-action='promote']").inner_text()
    shoot(page, "deployment-history", full_page=True)


def test_a_revision_links_to_its_run_and_artifact_and_they_link_back(page: Any, canary: str) -> None:
    page.goto("/deployments/default/iris")
    revision = page.locator("tr[data-revision='1']")
    revision.get_by_role("link", name=re.compile(r"^run ")).click()
    page.wait_for_url(re.compile(rf"/runs/{canary}\?task=train-tagged$"))
    # The task the model came from is open; the run says what it deployed.
    page.get_by_role("complementary", name="Task train-tagged").wait_for()
    summary = page.locator(".summary .deployed-as")
    assert "Deployed as iris revision 1" in summary.inner_text()
    shoot(page, "run-deployed-as")

    # The artifact link opens the task's artifacts, where the Model says where it is deployed.
    page.go_back()
    page.locator("tr[data-revision='1']").get_by_role("link", name="model", exact=True).click()
    page.wait_for_url(re.compile(rf"/runs/{canary}\?task=train-tagged&task_tab=io$"))
    artifact = page.get_by_role("article", name="Artifact model")
    artifact.wait_for()
    assert "iris revision 1" in artifact.locator(".deployed-as").inner_text()
    shoot(page, "artifact-deployed-as")
    artifact.get_by_role("link", name="iris revision 1").click()
    page.wait_for_url(re.compile(r"/deployments/default/iris$"))


def test_a_failed_revision_shows_its_load_error(page: Any, client: Client, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "predictor.py").write_text(
        "class Broken:\n    def load(self, path):\n        raise ValueError('no weights in ' + path)\n"
        "    def predict(self, instances):\n        return instances\n"
    )
    client.create_deployment("steady", tagged_model(tmp_path / "good", "good"))
    with pytest.raises(Exception, match="no weights in"):
        client.update_deployment("steady", broken)
    page.goto("/deployments/default/steady")
    error = page.locator(".revision-error")
    error.wait_for()
    assert "Failed to load" in error.inner_text() and "no weights in" in error.inner_text()
    assert "failed to load: " in page.locator(".history-table tr[data-action='failed']").inner_text()
    shoot(page, "deployment-failed-revision", full_page=True)


def test_delete_a_deployment(page: Any, client: Client, tmp_path: Path) -> None:
    client.create_deployment("short-lived", tagged_model(tmp_path / "model", "x"))
    page.goto("/deployments/default/short-lived")
    page.get_by_role("button", name="Delete").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/deployments$"))
    # The list loads each deployment's metrics too: slow on a busy machine, so a longer wait than the default.
    page.locator("article[data-deployment]").first.wait_for(timeout=60_000)
    assert page.locator("article[data-deployment='short-lived']").count() == 0
    assert "short-lived" not in [deployment.name for deployment in client.list_deployments()]
