"""The UI pieces a KFP user expects, in Chromium against a real ``sluice up`` (allowed to fetch packages from
this machine): deletes with confirmation under the API's rules, cloning a recurring run, uploading by URL,
pipeline root and "always use the latest version" in the create-run form, the pipeline of runs made from a
package, experiments' last five run states, HTML and Markdown side by side in run comparison, a cached task
linking to the run it reused, and axe-core on every page (no serious or critical violation)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice import dsl, ui
from sluice.dsl import HTML, Markdown, Output
from tests.server.conftest import API, ServerProcess, wait_for_run
from tests.ui.conftest import GOLDEN, run_inline, shoot, upload

AXE = Path(__file__).parents[2] / "ui" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """This module's ``sluice up``: it may fetch package URLs from this machine (the test's file server)."""
    if not ui.is_built():
        pytest.fail("the web UI is not built: cd ui && npx vite build")
    running = ServerProcess(
        tmp_path_factory.mktemp("ui-complete") / "home",
        None,
        extra_args=["--allow-package-host", "127.0.0.1"],
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def package_server() -> Iterator[str]:
    """A local HTTP server of the golden compiled pipelines; its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    def handler(*args: Any, **kwargs: Any) -> Quiet:
        return Quiet(*args, directory=str(GOLDEN), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@dsl.component
def report(title: str, page: Output[HTML], notes: Output[Markdown]) -> None:
    with open(page.path, "w") as handle:
        handle.write(f"<h1>{title}</h1><p>an html report</p>")
    with open(notes.path, "w") as handle:
        handle.write(f"# Notes on {title}\n\n* a markdown list item\n")


@dsl.pipeline(name="reporting")
def reporting(title: str = "first") -> None:
    report(title=title)


def _confirm(page: Any, title: str) -> Any:
    dialog = page.get_by_role("dialog", name=title)
    dialog.wait_for()
    return dialog


def test_delete_pipelines_and_versions_with_confirmation(page: Any, api: httpx.Client) -> None:
    pipeline_id, _ = upload(api, "hello_world", "doomed pipeline")
    with (GOLDEN / "hello_world.yaml").open("rb") as handle:
        second = api.post(
            f"{API}/pipelines/upload_version",
            params={"pipelineid": pipeline_id, "name": "second"},
            files={"uploadfile": ("v2.yaml", handle)},
        ).json()
    page.goto(f"/pipelines/{pipeline_id}")
    page.get_by_role("tab", name="Versions (2)").click()
    page.get_by_role("button", name="Delete version second").click()
    dialog = _confirm(page, "Delete version second?")
    shoot(page, "delete-version-dialog")
    dialog.get_by_role("button", name="Delete").click()
    page.get_by_role("tab", name="Versions (1)").wait_for()
    assert (
        api.get(f"{API}/pipelines/{pipeline_id}/versions/{second['pipeline_version_id']}").status_code == 404
    )

    page.goto("/pipelines")
    page.get_by_role("button", name="Delete doomed pipeline").click()
    dialog = _confirm(page, "Delete pipeline doomed pipeline?")
    # Without its versions the API refuses: the dialog says why and stays open.
    dialog.get_by_label("Also delete all its versions").uncheck()
    dialog.get_by_role("button", name="Delete").click()
    dialog.get_by_text("delete them first, or pass cascade=true").wait_for()
    shoot(page, "delete-pipeline-refused")
    dialog.get_by_label("Also delete all its versions").check()
    dialog.get_by_role("button", name="Delete").click()
    dialog.wait_for(state="detached")
    page.get_by_role("link", name="doomed pipeline").wait_for(state="detached")
    assert api.get(f"{API}/pipelines/{pipeline_id}").status_code == 404


def test_delete_runs_experiments_and_clone_then_delete_recurring_runs(page: Any, api: httpx.Client) -> None:
    experiment = api.post(f"{API}/experiments", json={"display_name": "short-lived"}).json()
    experiment_id = experiment["experiment_id"]
    run_id = run_inline(api, reporting, "to delete")
    assert wait_for_run(api, run_id, timeout=120)["state"] == "SUCCEEDED"

    page.goto(f"/runs/{run_id}")
    page.get_by_role("button", name="Delete").click()
    _confirm(page, "Delete run to delete?").get_by_role("button", name="Delete").click()
    page.wait_for_url("**/experiments/**")
    assert api.get(f"{API}/runs/{run_id}").status_code == 404

    # An experiment with runs is refused by the API; the dialog shows its reason.
    default = api.get(
        f"{API}/experiments",
        params={
            "filter": json.dumps(
                {"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": "Default"}]}
            )
        },
    ).json()["experiments"][0]
    kept = run_inline(api, reporting, "kept")
    page.goto(f"/experiments/{default['experiment_id']}")
    page.get_by_role("button", name="Delete").click()
    dialog = _confirm(page, "Delete experiment Default?")
    dialog.get_by_role("button", name="Delete").click()
    dialog.locator(".error-box, [role=alert]").first.wait_for()
    shoot(page, "delete-experiment-refused")
    dialog.get_by_role("button", name="Cancel").click()
    wait_for_run(api, kept, timeout=120)

    page.goto(f"/experiments/{experiment_id}")
    page.get_by_role("button", name="Delete").click()
    _confirm(page, "Delete experiment short-lived?").get_by_role("button", name="Delete").click()
    page.wait_for_url("**/experiments")
    assert api.get(f"{API}/experiments/{experiment_id}").status_code == 404

    pipeline_id, _ = upload(api, "hello_world", "scheduled pipeline")
    recurring = api.post(
        f"{API}/recurringruns",
        json={
            "display_name": "nightly",
            "pipeline_version_reference": {"pipeline_id": pipeline_id},
            "trigger": {"cron_schedule": {"cron": "0 0 2 * * *", "time_zone": "Europe/Paris"}},
            "max_concurrency": "3",
            "mode": "DISABLE",
        },
    ).json()
    page.goto(f"/recurring/{recurring['recurring_run_id']}")
    page.get_by_text("(its latest version at each run)").wait_for()
    page.get_by_role("button", name="Clone").click()
    page.get_by_role("heading", name="Clone recurring run").wait_for()
    assert page.get_by_label("Name", exact=True).input_value() == "Clone of nightly"
    assert page.get_by_label("Cron expression", exact=False).input_value() == "0 0 2 * * *"
    assert page.get_by_label("Time zone").input_value() == "Europe/Paris"
    assert page.get_by_label("Maximum concurrent runs").input_value() == "3"
    assert page.get_by_label("Always use the latest version", exact=False).is_checked()
    shoot(page, "clone-recurring-run", full_page=True)
    page.get_by_role("button", name="Create recurring run").click()
    page.wait_for_url("**/recurring/**")
    clone_id = page.url.rsplit("/", 1)[-1]
    clone = api.get(f"{API}/recurringruns/{clone_id}").json()
    assert clone["pipeline_version_reference"] == {"pipeline_id": pipeline_id}
    assert clone["trigger"]["cron_schedule"]["cron"] == "0 0 2 * * *"
    api.post(f"{API}/recurringruns/{clone_id}:disable")

    page.goto(f"/recurring/{recurring['recurring_run_id']}")
    page.get_by_role("button", name="Delete").click()
    _confirm(page, "Delete recurring run nightly?").get_by_role("button", name="Delete").click()
    page.wait_for_url("**/recurring")
    assert api.get(f"{API}/recurringruns/{recurring['recurring_run_id']}").status_code == 404


def test_upload_a_pipeline_and_a_version_by_url(page: Any, api: httpx.Client, package_server: str) -> None:
    page.goto("/pipelines")
    page.get_by_role("button", name="Upload pipeline").click()
    dialog = page.get_by_role("dialog", name="Upload a pipeline")
    dialog.get_by_label("From a URL").check()
    dialog.get_by_label("Package URL").fill(f"{package_server}/hello_world.yaml")
    dialog.get_by_label("Name", exact=True).fill("fetched pipeline")
    shoot(page, "upload-by-url")
    dialog.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/pipelines/**")
    page.get_by_role("heading", name="fetched pipeline").wait_for()
    pipeline_id = page.url.split("/pipelines/")[1].split("?")[0]

    page.get_by_role("button", name="Upload version").click()
    dialog = page.get_by_role("dialog", name="Upload a new version of fetched pipeline")
    dialog.get_by_label("From a URL").check()
    dialog.get_by_label("Package URL").fill(f"{package_server}/missing.yaml")
    dialog.get_by_role("button", name="Upload").click()
    dialog.get_by_text("HTTP 404").wait_for()  # the server's reason, in the dialog
    dialog.get_by_label("Package URL").fill(f"{package_server}/hello_world.yaml")
    dialog.get_by_label("Name", exact=True).fill("fetched v2")
    dialog.get_by_role("button", name="Upload").click()
    dialog.wait_for(state="detached")
    versions = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"]
    assert {version["name"] for version in versions} == {"fetched pipeline", "fetched v2"}
    assert all(version["package_url"]["pipeline_url"].startswith(package_server) for version in versions)


def test_create_run_form_pipeline_root_and_latest_version(
    page: Any, api: httpx.Client, ui_server: ServerProcess
) -> None:
    pipeline_id, _ = upload(api, "hello_world", "rooted pipeline")
    root = str(ui_server.home / "artifacts" / "custom-root")
    page.goto(f"/runs/new?pipeline={pipeline_id}")
    page.get_by_label("Name", exact=True).fill("rooted run")
    page.get_by_label("Pipeline root").fill(root)
    shoot(page, "create-run-pipeline-root", full_page=True)
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(lambda url: "/runs/" in url and "/runs/new" not in url)
    run_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    run = api.get(f"{API}/runs/{run_id}").json()
    assert run["runtime_config"]["pipeline_root"] == root

    page.goto(f"/runs/new?pipeline={pipeline_id}&recurring=1")
    page.get_by_label("Name", exact=True).fill("follows latest")
    latest = page.get_by_label("Always use the latest version", exact=False)
    latest.check()
    assert page.locator("select").nth(1).is_disabled()  # the version picker
    page.get_by_role("button", name="Create recurring run").click()
    page.wait_for_url("**/recurring/**")
    recurring_id = page.url.rsplit("/", 1)[-1]
    recurring = api.get(f"{API}/recurringruns/{recurring_id}").json()
    assert recurring["pipeline_version_reference"] == {"pipeline_id": pipeline_id}
    api.delete(f"{API}/recurringruns/{recurring_id}")
    wait_for_run(api, run_id, timeout=120)


def test_lists_show_package_pipelines_and_recent_states(page: Any, api: httpx.Client) -> None:
    run_id = run_inline(api, reporting, "from a package")
    wait_for_run(api, run_id, timeout=120)
    page.goto("/runs")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="from a package"))
    row.get_by_text("reporting").wait_for()  # the package's pipeline name, though no version is stored

    page.goto("/experiments")
    states = page.get_by_role("img", name="newest first", exact=False).first
    states.wait_for()
    assert "Succeeded" in states.get_attribute("aria-label")
    shoot(page, "experiments-recent-states")


def test_compare_shows_html_and_markdown_side_by_side(page: Any, api: httpx.Client) -> None:
    first = run_inline(api, reporting, "report one", {"title": "first"})
    second = run_inline(api, reporting, "report two", {"title": "second"})
    for run_id in (first, second):
        assert wait_for_run(api, run_id, timeout=120)["state"] == "SUCCEEDED"
    page.goto(f"/compare?runs={first},{second}")
    page.get_by_role("heading", name="HTML and Markdown").wait_for()
    table = page.locator("table.documents")
    html_frames = table.locator('iframe[title="HTML artifact"]')
    markdown_frames = table.locator('iframe[title="Markdown artifact"]')
    html_frames.nth(1).wait_for()
    markdown_frames.nth(1).wait_for()
    assert html_frames.count() == 2 and markdown_frames.count() == 2
    assert (
        page.frame_locator('table.documents iframe[title="HTML artifact"] >> nth=1')
        .get_by_role("heading", name="second")
        .inner_text()
        == "second"
    )
    assert (
        page.frame_locator('table.documents iframe[title="Markdown artifact"] >> nth=0')
        .get_by_role("heading", name="Notes on first")
        .count()
        == 1
    )
    shoot(page, "compare-documents", full_page=True)


def test_a_cached_task_links_to_the_run_it_reused(page: Any, api: httpx.Client) -> None:
    source = run_inline(api, reporting, "cache source", {"title": "cached"})
    assert wait_for_run(api, source, timeout=120)["state"] == "SUCCEEDED"
    hit = run_inline(api, reporting, "cache hit", {"title": "cached"})
    done = wait_for_run(api, hit, timeout=120)
    (task,) = [t for t in done["run_details"]["task_details"] if t["name"] == "report"]
    assert task["cached_from_run_id"] == source
    page.goto(f"/runs/{hit}?task=report")
    link = page.get_by_role("link", name="task report")
    link.wait_for()
    shoot(page, "cached-task-link")
    link.click()
    page.wait_for_url(f"**/runs/{source}?task=report")
    page.get_by_role("heading", name="cache source").wait_for()


def _axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {
            "id": item["id"],
            "impact": item["impact"],
            "nodes": [[node["target"], node["html"][:300]] for node in item["nodes"][:3]],
        }
        for item in result
        if item["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_violation_on_any_page(page: Any, api: httpx.Client) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is missing: cd ui && npm install")
    pipeline_id, _ = upload(api, "hello_world", "axe pipeline")
    run_id = run_inline(api, reporting, "axe run")
    wait_for_run(api, run_id, timeout=120)
    other = run_inline(api, reporting, "axe run two", {"title": "two"})
    wait_for_run(api, other, timeout=120)
    default = api.get(f"{API}/experiments").json()["experiments"][0]["experiment_id"]
    recurring = api.post(
        f"{API}/recurringruns",
        json={
            "display_name": "axe recurring",
            "pipeline_version_reference": {"pipeline_id": pipeline_id},
            "trigger": {"periodic_schedule": {"interval_second": "86400"}},
            "mode": "DISABLE",
        },
    ).json()
    artifact = api.get("/apis/sluice/v1/artifacts", params={"run_id": run_id}).json()["artifacts"][0]
    execution = api.get("/apis/sluice/v1/executions", params={"run_id": run_id}).json()["executions"][0]
    pages = {
        "pipelines": ("/pipelines", "table"),
        "pipeline": (f"/pipelines/{pipeline_id}", ".dag, svg"),
        "runs": ("/runs", "table"),
        "run": (f"/runs/{run_id}?task=report", ".side-panel"),
        "new-run": (f"/runs/new?pipeline={pipeline_id}", "form"),
        "compare": (f"/compare?runs={run_id},{other}", "table"),
        "experiments": ("/experiments", "table"),
        "experiment": (f"/experiments/{default}", "table"),
        "recurring-runs": ("/recurring", "table"),
        "recurring-run": (f"/recurring/{recurring['recurring_run_id']}", "dl"),
        "deployments": ("/deployments", "main"),
        "artifacts": ("/artifacts", "table"),
        "artifact": (f"/artifacts/{artifact['id']}", "h1"),
        "executions": ("/executions", "table"),
        "execution": (f"/executions/{execution['id']}", "h1"),
    }
    found = {}
    for name, (path, ready) in pages.items():
        page.goto(path)
        page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        violations = _axe(page)
        if violations:
            found[name] = violations
            shoot(page, f"axe-{name}")
    # A dialog too: the upload dialog, open.
    page.goto("/pipelines")
    page.get_by_role("button", name="Upload pipeline").click()
    page.get_by_role("dialog").wait_for()
    if violations := _axe(page):
        found["upload-dialog"] = violations
    assert not found, json.dumps(found, indent=1)


FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    // SVG nodes show focus on their shape (a CSS rule on the rect): count a changed stroke too.
    const shape = element.querySelector && element.querySelector(':scope > rect');
    const shapeStroke = shape ? getComputedStyle(shape).strokeWidth : '';
    return {
        text: (element.getAttribute('aria-label') || (element.labels && element.labels[0]
            ? element.labels[0].textContent : '') || element.textContent || '').trim().slice(0, 60),
        visible: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
            || style.boxShadow !== 'none' || parseFloat(shapeStroke) >= 2,
    };
}"""


def _tab_through(page: Any, presses: int) -> tuple[list[str], list[str]]:
    """What Tab reaches, in order, and which of those show no focus ring."""
    reached: list[str] = []
    invisible: list[str] = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused:
            reached.append(focused["text"])
            if not focused["visible"]:
                invisible.append(focused["text"])
    return reached, invisible


def test_every_action_is_reachable_by_keyboard_with_visible_focus(page: Any, api: httpx.Client) -> None:
    upload(api, "hello_world", "keyboard pipeline")
    page.goto("/pipelines")
    page.get_by_role("table").wait_for()
    reached, invisible = _tab_through(page, 60)
    for action in ("Upload pipeline", "Create run", "Delete keyboard pipeline", "Runs", "Experiments"):
        assert any(action in text for text in reached), (action, reached)
    assert not invisible, f"focus not visible on: {invisible}"
    # Enter opens the confirmation; Escape closes it; focus starts on Cancel (the safe choice).
    page.get_by_role("button", name="Delete keyboard pipeline").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete pipeline keyboard pipeline?")
    dialog.wait_for()
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Cancel"
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")

    run_id = run_inline(api, reporting, "keyboard run")
    wait_for_run(api, run_id, timeout=120)
    page.goto(f"/runs/{run_id}")
    page.locator("[data-key='root/report'][data-state]").wait_for()
    reached, invisible = _tab_through(page, 40)
    for action in ("Clone", "Archive", "Delete", "Show artifacts as nodes", "report Succeeded"):
        assert any(action in text for text in reached), (action, reached)
    assert not invisible, f"focus not visible on the run page: {invisible}"
    # Enter on a graph node opens its panel, as a click does.
    page.locator("[data-key='root/report']").focus()
    page.keyboard.press("Enter")
    page.get_by_role("complementary", name="Task report", exact=False).first.wait_for()

    for path in ("/runs", "/experiments", "/runs/new", "/artifacts", "/recurring"):
        page.goto(path)
        page.locator("main, form, table").first.wait_for()
        page.wait_for_load_state("networkidle")
        _, invisible = _tab_through(page, 30)
        assert not invisible, f"focus not visible on {path}: {invisible}"


def test_the_run_graph_shows_artifacts_as_nodes_on_request(page: Any, api: httpx.Client) -> None:
    run_id = run_inline(api, reporting, "artifact nodes", {"title": "nodes"})
    assert wait_for_run(api, run_id, timeout=120)["state"] == "SUCCEEDED"
    page.goto(f"/runs/{run_id}")
    graph = page.get_by_role("group", name="Pipeline graph")
    graph.locator("[data-key='root/report'][data-state]").wait_for()
    assert graph.get_by_role("img", name="page artifact of report").count() == 0
    page.get_by_label("Show artifacts as nodes").check()
    graph.get_by_role("img", name="page artifact of report").wait_for()
    assert graph.get_by_role("img", name="notes artifact of report").count() == 1
    # Each artifact hangs off the task that made it: an edge from the task to it.
    assert graph.locator("[data-key='root/report#page']").count() == 1
    assert graph.locator("path.edge").count() == 2
    shoot(page, "run-graph-artifacts")
    page.get_by_label("Show artifacts as nodes").uncheck()
    graph.get_by_role("img", name="page artifact of report").wait_for(state="detached")
