"""How fast the web UI draws in Chromium with a big store: the runs page at 100,000 runs, the page of a run of
1,000 tasks, and the lineage page of an artifact that run's 1,000 tasks read.

Seeds 100,000 finished runs (``bench/list_runs.py``'s seeding) and a FAILED run of 1,000 tasks
(``tests/ui/thousand.py``) into a fresh SQLite home, starts a real ``sluice up`` on it and, in Debian's
Chromium driven by Playwright, times from the start of a navigation to the first animation frame where the
page is drawn: the runs table with its first page of rows, and the run graph with every loop iteration's
state. The run's metadata is seeded too (a dataset read by 1,000 executions, each writing an artifact
that a last execution gathers): its lineage page is timed until every node of the explorer's first view
(what the first load drew) is drawn. Each page is loaded once to warm the scripts' cache, then timed
``--repeat`` times.

    .venv/bin/python bench/ui_speed.py [--runs 100000] [--repeat 5]

Target: under 1 s each (issue 15).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests.ui.thousand

from list_runs import seed, serving
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.ui.thousand import ITERATIONS, insert_thousand_task_run

from sluice import _home
from sluice.store import EventType, ExecutionState, Store, utcnow
from sluice.store.models import Artifact, Event, Execution

RUNS_DRAWN = """() => {
    const rows = document.querySelectorAll("table tbody tr").length;
    return rows >= 20 ? performance.now() : false;
}"""
RUN_DRAWN = """(iterations) => {
    const cells = document.querySelectorAll("g.group-loop rect.cell").length;
    if (cells < iterations || !document.querySelector("[data-key='root/for-loop-1/work'][data-state]")) {
        return false;
    }
    return performance.now();
}"""


LINEAGE_DRAWN = """(nodes) => {
    const drawn = document.querySelectorAll("[data-node]").length;
    return drawn >= nodes ? performance.now() : false;
}"""


def seed_lineage(url: str, run_id: str, tasks: int) -> str:
    """A dataset made by one execution of the run, read by ``tasks`` executions that each write an artifact,
    all of them read by a last execution; the dataset's id."""
    now = utcnow()
    artifacts: list[dict[str, Any]] = []
    executions: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []

    def artifact(name: str, title: str) -> str:
        key = str(uuid.uuid4())
        artifacts.append(
            {
                "id": key,
                "uri": f"s3://bench/{key}",
                "schema_title": title,
                "schema_version": "0.0.1",
                "name": name,
                "display_name": "",
                "metadata": {},
                "created_at": now,
                "updated_at": now,
            }
        )
        return key

    def execution(name: str) -> str:
        key = str(uuid.uuid4())
        executions.append(
            {
                "id": key,
                "run_id": run_id,
                "type": "system.ContainerExecution",
                "name": name,
                "state": ExecutionState.COMPLETE,
                "properties": {},
                "created_at": now,
                "updated_at": now,
            }
        )
        return key

    def event(execution_id: str, artifact_id: str, kind: EventType, key: str) -> None:
        events.append({"execution_id": execution_id, "artifact_id": artifact_id, "type": kind, "key": key})

    dataset = artifact("data", "system.Dataset")
    event(execution("prepare"), dataset, EventType.OUTPUT, "data")
    gather = execution("summarize")
    for index in range(tasks):
        work = execution("work")
        event(work, dataset, EventType.INPUT, "data")
        result = artifact(f"result-{index}", "system.Artifact")
        event(work, result, EventType.OUTPUT, "result")
        event(gather, result, EventType.INPUT, "results")
    with Store.open(url) as store, store.session() as session:
        for rows, model in ((artifacts, Artifact), (executions, Execution), (events, Event)):
            for start in range(0, len(rows), 5000):
                session.execute(insert(model), rows[start : start + 5000])
    return dataset


def timed_lineage(page: Any, path: str, repeat: int) -> tuple[int, list[float]]:
    page.goto(path)
    page.locator("[data-node]").first.wait_for()
    page.wait_for_load_state("networkidle")
    nodes = page.locator("[data-node]").count()
    samples = []
    for _ in range(repeat):
        page.goto(path, wait_until="commit")
        samples.append(float(page.wait_for_function(LINEAGE_DRAWN, arg=nodes, polling="raf").json_value()))
    return nodes, samples


def timed(page: Any, path: str, drawn: str, arg: Any, repeat: int) -> list[float]:
    page.goto(path)  # once, to load the scripts as a user arriving from another page would have them
    page.wait_for_function(drawn, arg=arg, polling="raf")
    samples = []
    for _ in range(repeat):
        page.goto(path, wait_until="commit")
        samples.append(float(page.wait_for_function(drawn, arg=arg, polling="raf").json_value()))
    return samples


def report(label: str, samples: list[float]) -> None:
    print(
        f"{label}: median {statistics.median(samples):.0f} ms, best {min(samples):.0f} ms, "
        f"worst {max(samples):.0f} ms ({len(samples)} loads)  [target < 1000 ms]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        home.mkdir()
        url = _home.database_url(home)
        print(f"seeding {options.runs:,} runs and a 1,000-task run ...", flush=True)
        seed(url, options.runs)
        run_id = insert_thousand_task_run(url)
        dataset = seed_lineage(url, run_id, ITERATIONS)
        with serving(home, url) as address, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=VIEWPORT, base_url=address).new_page()
            page.set_default_timeout(60_000)
            report(
                f"runs page at {options.runs:,} runs", timed(page, "/runs", RUNS_DRAWN, None, options.repeat)
            )
            report(
                f"run page of {ITERATIONS:,} tasks",
                timed(page, f"/runs/{run_id}", RUN_DRAWN, ITERATIONS, options.repeat),
            )
            nodes, samples = timed_lineage(page, f"/artifacts/{dataset}", options.repeat)
            report(
                f"lineage page of the dataset its {ITERATIONS:,} tasks read ({nodes:,} nodes drawn)", samples
            )
            browser.close()


if __name__ == "__main__":
    main()
