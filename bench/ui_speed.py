"""How fast the web UI draws in Chromium with a big store: the runs page at 100,000 runs and the page of a
run of 1,000 tasks.

Seeds 100,000 finished runs (``bench/list_runs.py``'s seeding) and a FAILED run of 1,000 tasks
(``tests/ui/thousand.py``) into a fresh SQLite home, starts a real ``sluice up`` on it and, in Debian's
Chromium driven by Playwright, times from the start of a navigation to the first animation frame where the
page is drawn: the runs table with its first page of rows, and the run graph with every loop iteration's
state. Each page is loaded once to warm the scripts' cache, then timed ``--repeat`` times.

    .venv/bin/python bench/ui_speed.py [--runs 100000] [--repeat 5]

Target: under 1 s each (issue 15).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests.ui.thousand

from list_runs import seed, serving
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.ui.thousand import ITERATIONS, insert_thousand_task_run

from sluice import _home

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
            browser.close()


if __name__ == "__main__":
    main()
