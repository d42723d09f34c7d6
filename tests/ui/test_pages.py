"""What a user does in the web UI, in a real browser against a real ``sluice up`` with real runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice import _home
from tests.server.conftest import API, ServerProcess, wait_for_run, wait_for_task
from tests.ui.conftest import GOLDEN, SCREENSHOTS, run_inline, shoot, start_run, upload
from tests.ui.pipelines import chatty_loop, labelled, needs_a_file, picture
from tests.ui.thousand import ITERATIONS, insert_thousand_task_run


@pytest.fixture(scope="module")
def training(api: httpx.Client) -> tuple[str, str]:
    return upload(api, "training", "training")


@pytest.fixture(scope="module")
def finished_runs(api: httpx.Client, training: tuple[str, str]) -> list[str]:
    """Two training runs that differ in learning rate and seed, both finished."""
    runs = [
        start_run(api, training, "slow learner", {"learning_rate": 0.05, "seed": 1}),
        start_run(api, training, "fast learner", {"learning_rate": 0.9, "seed": 2}),
    ]
    for run_id in runs:
        assert wait_for_run(api, run_id)["state"] == "SUCCEEDED"
    return runs


def test_upload_a_pipeline_and_explore_its_graph(page: Any) -> None:
    page.goto("/pipelines")
    page.get_by_role("button", name="Upload pipeline").click()
    page.locator("dialog input[type=file]").set_input_files(str(GOLDEN / "control_flow.yaml"))
    page.get_by_label("Name", exact=True).fill("control flow")
    shoot(page, "pipelines-upload-dialog")
    page.locator("dialog").get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r"/pipelines/[0-9a-f-]{36}$"))

    graph = page.locator("svg[aria-label='Pipeline graph']")
    branches = graph.locator("[data-key='root/condition-branches-1']")
    assert branches.get_attribute("class").startswith("group")
    assert graph.locator("[data-key='root/condition-branches-1/condition-3/retrain']").count() == 1
    shoot(page, "pipeline-graph")

    # Groups fold into one node and open again.
    retrain = graph.locator("[data-key='root/condition-branches-1/condition-3/retrain']")
    page.get_by_role("button", name="Collapse condition-branches-1").click()
    retrain.wait_for(state="detached")
    assert "node-group" in (branches.get_attribute("class") or "")
    page.get_by_role("button", name="Expand condition-branches-1").click()
    retrain.wait_for()

    # A task's interface and command, from the keyboard.
    graph.locator("[data-key='root/measure-drift']").focus()
    page.keyboard.press("Enter")
    panel = page.get_by_role("complementary", name="Task measure-drift")
    assert "Outputs" in panel.inner_text()
    assert "Command" in panel.inner_text()

    page.get_by_role("tab", name="YAML").click()
    assert "pipelineInfo" in page.locator("pre.yaml").inner_text()
    shoot(page, "pipeline-yaml")

    # A second version: it becomes the one shown.
    page.get_by_role("button", name="Upload version").click()
    page.locator("dialog input[type=file]").set_input_files(str(GOLDEN / "exit_handler.yaml"))
    page.locator("dialog").get_by_label("Name", exact=True).fill("v2")
    page.locator("dialog").get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r"\?version="))
    page.get_by_role("tab", name="Graph").click()
    graph.locator("[data-key='root/exit-handler-1']").wait_for()
    page.get_by_role("tab", name="Versions (2)").click()
    page.get_by_role("link", name="v2").wait_for()

    page.goto("/pipelines")
    page.get_by_role("link", name="control flow").wait_for()
    page.get_by_role("searchbox").fill("no such pipeline")
    page.get_by_text("No pipeline's name contains").wait_for()
    shoot(page, "pipelines-empty-search")


def test_pipelines_list_pages_and_sorts_on_the_server(page: Any, api: httpx.Client) -> None:
    for index in range(12):
        upload(api, "hello_world", f"hello {index:02d}")
    page.goto("/pipelines")
    page.get_by_label("Rows per page").select_option("10")
    page.get_by_role("button", name=re.compile("^Name")).click()  # descending
    page.get_by_role("button", name=re.compile("^Name")).click()  # ascending
    page.wait_for_function("document.querySelector('th[aria-sort=ascending]') !== null")
    page.get_by_text(re.compile(r"^1\u201310 of \d+$")).wait_for()
    first_page = page.locator("tbody tr td:first-child").all_inner_texts()
    assert first_page == sorted(first_page)
    page.get_by_role("button", name="Next page").click()
    page.get_by_text(re.compile(r"^11\u2013\d+ of \d+$")).wait_for()
    second_page = page.locator("tbody tr td:first-child").all_inner_texts()
    assert second_page and min(second_page) > max(first_page)
    shoot(page, "pipelines-second-page")
    page.get_by_role("button", name="Previous page").click()
    page.get_by_text(re.compile(r"^1\u201310 of \d+$")).wait_for()


def test_create_a_run_from_the_form_and_follow_it(page: Any, training: tuple[str, str]) -> None:
    page.goto(f"/pipelines/{training[0]}")
    page.get_by_role("button", name="Create run").click()
    page.wait_for_url(re.compile(r"/runs/new\?"))
    epochs = page.locator("#parameter-epochs")
    assert epochs.input_value() == "50"  # the default, filled in
    assert page.locator("#parameter-learning_rate").input_value() == "0.5"

    # Types are checked before anything is sent.
    epochs.fill("many")
    epochs.blur()
    assert page.locator("#parameter-epochs-error").inner_text() == "must be a whole number"
    page.get_by_role("button", name="Start run").click()
    page.get_by_text("Some parameters are not valid").wait_for()
    shoot(page, "create-run-invalid")

    epochs.fill("20")
    page.get_by_label("Name", exact=True).fill("from the form")
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}$"))
    page.evaluate("window.notReloaded = true")

    # States arrive by polling: the page is never reloaded.
    evaluate = page.locator("[data-key='root/evaluate-model']")
    page.locator(".summary [data-state='SUCCEEDED']").wait_for(timeout=60_000)
    page.locator("[data-key='root/evaluate-model'][data-state='SUCCEEDED']").wait_for()
    assert page.evaluate("window.notReloaded") is True
    shoot(page, "run-succeeded")

    evaluate.click()
    panel = page.get_by_role("complementary", name="Task evaluate-model")
    panel.get_by_role("tab", name="Input/Output").click()
    metrics = panel.locator(".metrics-table")
    metrics.wait_for()
    assert "accuracy" in metrics.inner_text()
    # Each artifact loads on its own.
    panel.locator(".confusion-matrix").wait_for()
    panel.locator("polyline.roc-line").wait_for()
    shoot(page, "run-task-metrics", full_page=True)

    page.locator("[data-key='root/write-report']").click()
    panel = page.get_by_role("complementary", name="Task write-report")
    panel.get_by_role("tab", name="Input/Output").click()
    html = panel.locator("iframe[title='HTML artifact']")
    html.wait_for()
    assert html.get_attribute("sandbox") == ""
    panel.locator("iframe[title='Markdown artifact']").wait_for()
    shoot(page, "run-task-reports", full_page=True)

    page.locator("[data-key='root/make-dataset']").click()
    panel = page.get_by_role("complementary", name="Task make-dataset")
    panel.get_by_role("tab", name="Input/Output").click()
    csv = panel.locator(".csv-preview table")
    csv.wait_for()
    assert csv.locator("th").all_inner_texts() == ["x1", "x2", "label"]
    shoot(page, "run-task-csv")

    page.get_by_role("tab", name="Details").click()
    assert "learning_rate" in page.locator(".info-grid").inner_text()
    shoot(page, "run-details")


def test_cached_tasks_are_marked(page: Any, api: httpx.Client, training: tuple[str, str]) -> None:
    parameters = {"seed": 7, "n_rows": 120}
    first = start_run(api, training, "first of two", parameters)
    wait_for_run(api, first)
    second = start_run(api, training, "second of two", parameters)
    wait_for_run(api, second)
    page.goto(f"/runs/{second}")
    node = page.locator("[data-key='root/train-model'][data-state='SUCCEEDED']")
    node.wait_for()
    assert "cached" in (node.get_attribute("aria-label") or "")
    assert node.locator(".cached-tag").count() == 1
    node.click()
    assert (
        "reused the outputs of task"
        in page.get_by_role("complementary", name="Task train-model").inner_text()
    )
    shoot(page, "run-cached")


def test_live_log_and_loop_iterations(page: Any, api: httpx.Client) -> None:
    run_id = run_inline(api, chatty_loop, "chatty")
    wait_for_task(api, run_id, "chatter", "RUNNING")

    page.goto(f"/runs/{run_id}")
    chatter = page.locator("[data-key='root/chatter']")
    chatter.click()
    panel = page.get_by_role("complementary", name="Task chatter")
    panel.get_by_role("tab", name="Log").click()
    log = panel.locator(".log-text")
    page.wait_for_function("document.querySelector('.log-text').textContent.includes('line 2')")
    assert page.locator("[data-key='root/chatter'][data-state='RUNNING']").count() == 1
    assert panel.locator(".live-dot").is_visible()
    shoot(page, "run-live-log")
    page.wait_for_function(
        "document.querySelector('.log-text').textContent.includes('line 11')", timeout=30_000
    )
    assert "line 0" in log.inner_text()

    # The loop's iterations: one cell each, and the one shown can be changed.
    page.locator(".summary [data-state='SUCCEEDED']").wait_for(timeout=60_000)
    loop = page.locator("g.group-loop")
    cells = loop.locator("rect.cell")
    assert cells.count() == 6
    cells.nth(3).click()
    loop.locator(".iteration-label", has_text="iteration 3").wait_for()
    loop.get_by_role("button", name="Next iteration").click()
    loop.locator(".iteration-label", has_text="iteration 4").wait_for()
    page.locator("[data-key$='/square']").click()
    panel = page.get_by_role("complementary", name=re.compile("Task square"))
    panel.get_by_role("tab", name="Input/Output").click()
    assert "25" in panel.inner_text()  # iteration 4 squares 5
    shoot(page, "run-loop-iterations")


def test_an_image_artifact_is_shown(page: Any, api: httpx.Client) -> None:
    run_id = run_inline(api, picture, "picture")
    assert wait_for_run(api, run_id)["state"] == "SUCCEEDED"
    page.goto(f"/runs/{run_id}")
    page.locator("[data-key='root/draw']").click()
    panel = page.get_by_role("complementary", name="Task draw")
    panel.get_by_role("tab", name="Input/Output").click()
    image = panel.locator("img.artifact-image")
    image.wait_for()
    page.wait_for_function("document.querySelector('img.artifact-image').naturalWidth === 2")
    shoot(page, "run-image-artifact")


def test_compare_two_runs(page: Any, finished_runs: list[str]) -> None:
    page.goto("/runs")
    for name in ("slow learner", "fast learner"):
        page.get_by_label(f"Select {name}").check()
    shoot(page, "runs-selected")
    page.get_by_role("button", name="Compare (2)").click()
    page.wait_for_url(re.compile(r"/compare\?runs="))
    page.get_by_role("heading", name="Parameters").wait_for()
    differing = page.locator("tr.differs th").all_inner_texts()
    assert any("learning_rate" in text for text in differing)
    assert not any("epochs" in text for text in differing)
    assert "accuracy" in page.locator("table.compare-table").nth(2).inner_text()
    page.locator("polyline.roc-line").nth(1).wait_for()
    assert page.locator("polyline.roc-line").count() == 2
    assert page.locator("table.confusion-matrix").count() == 2
    shoot(page, "compare", full_page=True)


def test_the_run_link_kfp_client_prints_opens_the_run(page: Any, finished_runs: list[str]) -> None:
    # kfp.Client prints "<host>/#/runs/details/<id>" after creating a run.
    page.goto(f"/#/runs/details/{finished_runs[0]}")
    page.wait_for_url(re.compile(rf"/runs/{finished_runs[0]}$"))
    page.get_by_role("button", name="Clone").wait_for()


def test_runs_list_sorts_and_filters_by_a_metric(
    page: Any, api: httpx.Client, finished_runs: list[str]
) -> None:
    runs = {run_id: api.get(f"{API}/runs/{run_id}").json() for run_id in finished_runs}
    losses = {run["display_name"]: run["metrics"]["log_loss"] for run in runs.values()}
    page.goto("/runs")
    header = page.get_by_role("button", name=re.compile("^log_loss"))
    header.click()  # descending first
    # The sort shows in the header in the same render that drops the old rows.
    page.wait_for_function("document.querySelector('th[aria-sort=descending]') !== null")
    page.locator("tbody tr[data-run-id]").first.wait_for()
    names = [name for name in page.locator("tbody tr td:nth-child(2)").all_inner_texts() if name in losses]
    assert names == sorted(losses, key=losses.__getitem__, reverse=True)
    shoot(page, "runs-sorted-by-metric")

    smallest = min(losses.values())
    page.get_by_label("Metric name").fill("log_loss")
    page.get_by_label("Comparison").select_option("LESS_THAN_EQUALS")
    page.get_by_label("Metric value").fill(str(smallest))
    page.wait_for_function("document.querySelectorAll('tbody tr[data-run-id]').length === 1", timeout=10_000)
    shoot(page, "runs-filtered-by-metric")

    page.get_by_label("Select " + min(losses, key=losses.__getitem__)).check()
    page.get_by_role("button", name="Archive").click()
    page.get_by_text("No run matches these filters.").wait_for()


def test_thousand_task_run_page_draws_every_iteration_with_its_state(
    page: Any, ui_server: ServerProcess
) -> None:
    run_id = insert_thousand_task_run(_home.database_url(ui_server.home))
    page.goto("/runs")  # loads the scripts once, as a user arriving at the run from the list would have
    totals, in_browser = [], []
    for _ in range(3):
        page.goto(f"/runs/{run_id}", wait_until="commit")
        # Measured in the page, at the first animation frame with the whole graph drawn: milliseconds since
        # the navigation started, and since the run's JSON finished arriving.
        drawn = page.wait_for_function(
            """([runId, iterations]) => {
                const cells = document.querySelectorAll("g.group-loop rect.cell").length;
                if (cells < iterations || !document.querySelector("[data-key='root/for-loop-1/work'][data-state]")) {
                    return false;
                }
                const run = performance.getEntriesByType("resource")
                    .find(entry => entry.name.endsWith(`/apis/v2beta1/runs/${runId}`));
                const now = performance.now();
                return [now, now - run.responseEnd];
            }""",
            arg=[run_id, ITERATIONS],
            polling="raf",
        ).json_value()
        totals.append(drawn[0])
        in_browser.append(drawn[1])
    shoot(page, "run-thousand-tasks")
    report = (
        f"1,000-task run page, navigation to graph with states: {', '.join(f'{t:.0f}' for t in totals)} ms; "
        f"of which in the browser after the run's JSON arrived: {', '.join(f'{t:.0f}' for t in in_browser)} ms\n"
    )
    (SCREENSHOTS / "thousand-task-run.txt").write_text(report)
    print("\n" + report)
    assert page.locator("g.group-loop rect.cell.state-failed").count() == len(range(50, ITERATIONS, 97))
    # The failed iteration is the one shown at first.
    assert "iteration 50" in page.locator(".iteration-label").text_content()
    # The target (< 1 s) is bench/ui_speed.py's to measure on a quiet machine; here, beside the other test
    # worker, only a gross regression (a graph drawn in quadratic time, say) fails.
    assert min(totals) < 3000, report


def test_experiments_and_recurring_runs(page: Any, training: tuple[str, str]) -> None:
    page.goto("/experiments")
    page.get_by_role("button", name="Create experiment").click()
    page.locator("dialog").get_by_label("Name", exact=True).fill("nightly")
    page.locator("dialog").get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/experiments/[0-9a-f-]{36}$"))
    page.get_by_text("No recurring runs in this experiment").wait_for()
    shoot(page, "experiment-empty")

    page.get_by_role("button", name="Create recurring run").click()
    page.get_by_role("combobox", name=re.compile("^Pipeline")).select_option(training[0])
    page.locator("#parameter-epochs").wait_for()
    page.get_by_label("Name", exact=True).fill("hourly training")
    page.get_by_label("Cron", exact=True).check()
    page.get_by_label("Time zone").fill("Europe/Paris")
    shoot(page, "create-recurring-run-cron")
    page.get_by_label("Every…").check()
    page.get_by_label("Repeat every").fill("2")
    page.get_by_label("Unit").select_option(label="hours")
    shoot(page, "create-recurring-run")
    page.get_by_role("button", name="Create recurring run").click()
    page.wait_for_url(re.compile(r"/recurring/[0-9a-f-]{36}$"))
    assert "every 2 hours" in page.locator(".facts").inner_text()
    switch = page.get_by_role("switch")
    assert switch.is_checked()
    switch.click()
    page.get_by_text("Disabled").wait_for()
    shoot(page, "recurring-run")

    page.goto("/recurring")
    page.get_by_role("link", name="hourly training").wait_for()
    assert not page.get_by_role("switch").is_checked()
    shoot(page, "recurring-runs")
    page.goto("/experiments")
    page.get_by_role("link", name="nightly").wait_for()
    shoot(page, "experiments")


def test_run_actions_terminate_clone_archive(page: Any, api: httpx.Client) -> None:
    run_id = run_inline(api, chatty_loop, "long talk", {"lines": 200})
    wait_for_task(api, run_id, "chatter", "RUNNING")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/runs/{run_id}")
    page.get_by_role("button", name="Terminate").click()
    page.locator(".summary [data-state='CANCELED']").wait_for(timeout=30_000)
    page.locator("[data-key='root/chatter'][data-state='CANCELED']").wait_for()
    shoot(page, "run-terminated")

    page.get_by_role("button", name="Clone").click()
    page.wait_for_url(re.compile(r"/runs/new\?clone="))
    assert page.locator("#parameter-lines").input_value() == "200"
    assert page.get_by_label("Name", exact=True).input_value() == "Clone of long talk"
    page.locator("#parameter-lines").fill("2")
    shoot(page, "run-clone-form")
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}$"))
    page.locator(".summary [data-state='SUCCEEDED']").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Details").click()
    assert "lines" in page.locator(".info-grid").inner_text()

    page.get_by_role("button", name="Archive").click()
    page.get_by_role("button", name="Restore").wait_for()
    assert (
        api.get(page.url.replace(page.url.split("/runs/")[0], f"{API}").split("?")[0]).json()["storage_state"]
        == "ARCHIVED"
    )


def test_a_failed_run_explains_itself_and_retries(page: Any, api: httpx.Client, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    run_id = run_inline(api, needs_a_file, "needs a file", {"marker": str(marker)})
    assert wait_for_run(api, run_id)["state"] == "FAILED"
    page.goto(f"/runs/{run_id}")
    page.locator("[data-key='root/needs-file'][data-state='FAILED']").click()
    panel = page.get_by_role("complementary", name="Task needs-file")
    assert "does not exist yet" in panel.get_by_role("alert").inner_text()
    panel.get_by_role("tab", name="Log").click()
    page.wait_for_function("document.querySelector('.log-text').textContent.includes('RuntimeError')")
    shoot(page, "run-failed")

    marker.write_text("here")
    page.get_by_role("button", name="Retry").click()
    page.locator(".summary [data-state='SUCCEEDED']").wait_for(timeout=60_000)
    page.locator("[data-key='root/needs-file'][data-state='SUCCEEDED']").wait_for()
    panel.get_by_role("tab", name="Overview").click()
    panel.get_by_text("2 (1 retry)").wait_for()
    shoot(page, "run-retried")


def test_kubernetes_settings_show_in_the_task_panel_and_the_run_warns(page: Any, api: httpx.Client) -> None:
    import tempfile

    import yaml

    from sluice.compiler import Compiler

    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "pipeline.yaml"
        Compiler().compile(labelled, str(package))
        spec, platform = yaml.safe_load_all(package.read_text())
    response = api.post(
        f"{API}/runs",
        json={
            "display_name": "labelled",
            "pipeline_spec": {"pipeline_spec": spec, "platform_spec": platform},
        },
    )
    assert response.status_code == 200, response.text
    run = wait_for_run(api, response.json()["run_id"])
    assert run["state"] == "SUCCEEDED", run
    page.goto(f"/runs/{run['run_id']}")
    warning = page.get_by_role("status").filter(has_text="Warning:")
    assert "node selector (task pod-name)" in warning.inner_text()
    page.locator("[data-key='root/pod-name'][data-state='SUCCEEDED']").click()
    section = page.get_by_role("complementary", name="Task pod-name").get_by_role(
        "region", name="Kubernetes settings"
    )
    text = section.inner_text()
    assert "team" in text and "search" in text and "owner" in text and "alice" in text
    assert "field path metadata.name" in text and "nodeSelector" in text
    (task,) = [item for item in run["run_details"]["task_details"] if item.get("name") == "pod-name"]
    assert task["platform"]["pod_name"] in text
    shoot(page, "task-kubernetes-settings")


def test_a_laptop_screen(browser: Any, ui_server: ServerProcess, finished_runs: list[str]) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 640}, base_url=ui_server.url)
    page = context.new_page()
    page.goto("/runs")
    page.get_by_role("link", name="slow learner").wait_for()
    shoot(page, "laptop-runs")
    page.goto(f"/runs/{finished_runs[0]}")
    page.locator("[data-key='root/evaluate-model']").click()
    page.get_by_role("complementary", name="Task evaluate-model").wait_for()
    # Below 1100 pixels the task panel moves under the graph instead of squeezing it.
    graph_box = page.locator(".dag").bounding_box()
    panel_box = page.get_by_role("complementary", name="Task evaluate-model").bounding_box()
    assert panel_box["y"] >= graph_box["y"] + graph_box["height"]
    shoot(page, "laptop-run", full_page=True)
    context.close()


def test_error_states(page: Any) -> None:
    page.goto("/runs/no-such-run")
    alert = page.get_by_role("alert")
    assert "no-such-run" in alert.inner_text()
    shoot(page, "run-not-found")
    page.goto("/nowhere")
    page.get_by_role("heading", name="Page not found").wait_for()
    page.goto("/compare?runs=only-one")
    page.get_by_text("Select two or more runs").wait_for()
