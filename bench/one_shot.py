"""The first command a user types: a one-task pipeline run as a whole new process, Sluice against kfp.local.

Sluice: ``sluice run hello.py`` (import, compile in memory, open the store, run the task, record it).
kfp.local: ``python hello_kfp.py``, the same pipeline called after ``local.init(SubprocessRunner(use_venv=False))``
(no pip). Both are whole processes, timed from start to exit, alternately, each ``--repeat`` times (default 7);
the figures are the median and the fastest. Sluice's runs share one home, created (and migrated) by an
untimed first run, and run with ``--no-cache``; kfp.local caches nothing. Pass ``--profile`` to also print
what Sluice's run imports, slowest first. The last line is a floor: a bare interpreter importing SQLAlchemy,
the store's SQL library, which every run opens.

python bench/one_shot.py [--repeat 7] [--no-kfp] [--profile]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SLUICE_PIPELINE = """
from sluice import dsl


@dsl.component
def hello(name: str) -> str:
    return f"Hello, {name}!"


@dsl.pipeline(name="hello")
def pipeline(name: str = "world") -> str:
    return hello(name=name).output
"""

KFP_PIPELINE = """
import sys
import warnings

warnings.simplefilter("ignore")
from kfp import dsl, local


@dsl.component(base_image="python:3.11")
def hello(name: str) -> str:
    return f"Hello, {name}!"


@dsl.pipeline(name="hello")
def pipeline(name: str = "world") -> str:
    return hello(name=name).output


local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=sys.argv[1])
assert pipeline().output == "Hello, world!"
"""


_FLOOR = "import sqlalchemy, sqlalchemy.dialects.sqlite, sqlite3"


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """The command's wall time; its CPU time (user + system, its waited-for children included) goes to ``cpu``,
    a figure a busy machine disturbs less than wall time."""
    cpu_before = _cpu_of_children()
    started = time.perf_counter()
    completed = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=300)
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({completed.returncode}):\n{completed.stderr}")
    if cpu is not None:
        cpu.append(_cpu_of_children() - cpu_before)
    return wall


def _sluice_argv(folder: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("sluice")), "run", "--no-cache", str(folder / "hello.py")]


def _line(label: str, walls: list[float], cpu: list[float]) -> str:
    return (
        f"{label:<38} wall median {statistics.median(walls):6.3f} s  fastest {min(walls):6.3f} s"
        f"   CPU median {statistics.median(cpu):6.3f} s"
    )


def _profile(folder: Path, env: dict[str, str]) -> None:
    """The modules Sluice's run imports, with their cumulative import time, slowest first (top level only)."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sluice", "run", "--no-cache", str(folder / "hello.py")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in completed.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if match and not match[3]:
            rows.append((int(match[2]), match[4]))
    print(
        f"\nimports of `sluice run` (top level, -X importtime, total {sum(c for c, _ in rows) / 1000:.0f} ms):"
    )
    for cumulative, name in sorted(rows, reverse=True)[:15]:
        print(f"  {cumulative / 1000:7.1f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-kfp", action="store_true", help="skip kfp.local")
    parser.add_argument("--profile", action="store_true", help="also list what `sluice run` imports")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluice-one-shot-") as name:
        folder = Path(name)
        (folder / "hello.py").write_text(SLUICE_PIPELINE)
        (folder / "hello_kfp.py").write_text(KFP_PIPELINE)
        env = {key: value for key, value in os.environ.items() if not key.startswith("SLUICE_")}
        env["SLUICE_HOME"] = str(folder / "home")
        _timed(_sluice_argv(folder), env)  # creates the store: a one-time cost, not the one-shot's
        sluice_walls: list[float] = []
        sluice_cpu: list[float] = []
        kfp_walls: list[float] = []
        kfp_cpu: list[float] = []
        for attempt in range(options.repeat):
            sluice_walls.append(_timed(_sluice_argv(folder), env, sluice_cpu))
            if not options.no_kfp:
                root = folder / f"kfp-root-{attempt}"
                kfp_argv = [sys.executable, str(folder / "hello_kfp.py"), str(root)]
                kfp_walls.append(_timed(kfp_argv, env, kfp_cpu))
        # The floor under Sluice's figure: the interpreter importing the store's SQL library, nothing else.
        floor_walls: list[float] = []
        floor_cpu: list[float] = []
        for _ in range(options.repeat):
            floor_walls.append(_timed([sys.executable, "-c", _FLOOR], env, floor_cpu))
        load = os.getloadavg()[0]
        print(
            f"one-task pipeline, whole process, {options.repeat} runs each ({os.cpu_count()} CPUs, load {load:.1f})"
        )
        print(_line("sluice run hello.py", sluice_walls, sluice_cpu))
        if kfp_walls:
            print(_line("kfp.local (SubprocessRunner, no venv)", kfp_walls, kfp_cpu))
            ratio = statistics.median(sluice_walls) / statistics.median(kfp_walls)
            print(f"{'sluice / kfp.local (wall medians)':<38} {ratio:.2f}")
        print(_line("python -c 'import sqlalchemy' (floor)", floor_walls, floor_cpu))
        if options.profile:
            _profile(folder, env)


if __name__ == "__main__":
    main()
