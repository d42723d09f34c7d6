"""The Artifacts, Executions and lineage pages in a real browser against a real ``sluice up``: a model made by
one run and imported by another is listed, its page shows who made and used it, and the lineage explorer
grows upstream when a node is clicked, with every node's run one click away."""

from __future__ import annotations

from typing import Any

import httpx

from sluice import dsl
from sluice.dsl import Dataset, Input, Metrics, Model, Output
from tests.server.conftest import wait_for_run
from tests.ui.conftest import run_inline, shoot

SLUICE_API = "/apis/sluice/v1"


@dsl.component
def gather(data: Output[Dataset]) -> None:
    with open(data.path, "w") as handle:
        handle.write("1\n2\n3")


@dsl.component
def fit(data: Input[Dataset], model: Output[Model]) -> None:
    with open(data.path) as handle, open(model.path, "w") as out:
        out.write(str(sum(int(line) for line in handle)))


@dsl.pipeline(name="fit-a-model")
def fitting() -> None:
    fit(data=gather().outputs["data"])


@dsl.component
def score(model: Input[Model], scores: Output[Metrics]) -> None:
    with open(model.path) as handle:
        scores.log_metric("total", float(handle.read()))


@dsl.pipeline(name="score-a-model")
def scoring(model_uri: str) -> None:
    score(model=dsl.importer(artifact_uri=model_uri, artifact_class=Model).output)


def _runs(api: httpx.Client) -> tuple[str, str, dict[str, Any]]:
    fitted = run_inline(api, fitting, "fit")
    assert wait_for_run(api, fitted, timeout=120)["state"] == "SUCCEEDED"
    model = api.get(f"{SLUICE_API}/artifacts", params={"type": "system.Model", "run_id": fitted}).json()
    (model_artifact,) = model["artifacts"]
    scored = run_inline(api, scoring, "score", {"model_uri": model_artifact["uri"]})
    assert wait_for_run(api, scored, timeout=120)["state"] == "SUCCEEDED"
    return fitted, scored, model_artifact


def test_artifacts_lineage_and_executions_pages(page: Any, api: httpx.Client) -> None:
    fitted, scored, model = _runs(api)

    page.goto("/artifacts")
    page.get_by_label("Artifact type").select_option("system.Model")
    table = page.get_by_role("table", name="Artifacts")
    table.get_by_role("link", name="model").first.wait_for()
    assert table.locator("tbody tr").count() == 1
    shoot(page, "artifacts")

    table.get_by_role("link", name="model").click()
    page.get_by_role("heading", name="Produced by").wait_for()
    assert page.url.endswith(f"/artifacts/{model['id']}")
    produced = page.locator("ul.uses").first
    assert produced.get_by_role("link", name="fit").count() == 1
    assert produced.get_by_role("link", name=fitted[:8]).count() == 1  # the run, one click away
    used = page.locator("ul.uses").nth(1)
    assert used.get_by_role("link", name="score").count() == 1

    # The explorer starts two hops each way (fit and its data upstream; score and its scores downstream),
    # and grows from a node the user picks: gather, which made the data, is three hops up.
    graph = page.get_by_role("group", name="Lineage graph: upstream on the left, downstream on the right")
    graph.locator("[data-node]").first.wait_for()
    center = graph.locator(f'[data-node="artifact:{model["id"]}"]')
    assert center.count() == 1
    before = graph.locator("[data-node]").count()
    assert graph.locator('[aria-label^="artifact data"]').count() == 1
    assert graph.locator('[aria-label^="execution score"]').count() == 1
    assert graph.locator('[aria-label^="artifact scores"]').count() == 1
    assert graph.locator('[aria-label^="execution gather"]').count() == 0
    graph.locator('[aria-label^="artifact data"]').focus()
    page.keyboard.press("Enter")  # keyboard reachable
    graph.locator('[aria-label^="execution gather"]').wait_for()
    assert graph.locator("[data-node]").count() > before
    graph.locator('[aria-label^="execution score"]').click()
    panel = page.locator(".lineage-panel")
    panel.get_by_role("link", name=scored[:8]).wait_for()  # its run, one click away
    shoot(page, "artifact-lineage", full_page=True)

    panel.get_by_role("link", name="Open this execution").click()
    page.get_by_role("heading", name="Inputs").wait_for()
    assert "/executions/" in page.url
    assert page.locator("ul.uses").first.get_by_role("link", name="model").count() == 1

    page.goto("/executions")
    page.get_by_label("Execution state").select_option("COMPLETE")
    executions = page.get_by_role("table", name="Executions")
    executions.get_by_role("link", name="score").wait_for()
    assert executions.get_by_role("link", name="fit").count() == 1
    shoot(page, "executions")
