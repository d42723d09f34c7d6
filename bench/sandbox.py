"""Per-task cost of the ``restricted`` execution profile (bubblewrap) next to ``host``, on a chain of N
trivial tasks (default 40, best of 3 runs): Python function tasks (host: the fork server; restricted: a fresh interpreter
inside bwrap) and container commands (``sh -c``, a host process either way).

python bench/sandbox.py [--tasks 40] [--repeats 3]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sluice import dsl
from sluice.engine import run_pipeline


@dsl.component
def increment(x: int) -> int:
    return x + 1


@dsl.container_component
def shell_step(x: int, out: dsl.OutputPath(int)):
    return dsl.ContainerSpec(
        image="busybox",
        command=["sh", "-c", 'mkdir -p "$(dirname "$1")" && echo $(($0 + 1)) > "$1"'],
        args=[x, out],
    )


def make_chain(component, length: int):
    @dsl.pipeline(name="chain")
    def chain(start: int = 0) -> int:
        task = component(x=start)
        for _ in range(length - 1):
            task = component(x=task.output if component is increment else task.outputs["out"])
        return task.output if component is increment else task.outputs["out"]

    return chain


def timed(pipeline, tasks: int, repeats: int = 1, **options) -> float:
    """Milliseconds per task: the best of ``repeats`` runs, each on a fresh SLUICE_HOME."""
    best = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="sluice-bench-") as home:
            started = time.perf_counter()
            result = run_pipeline(pipeline, {}, home=home, cache=False, handle_sigint=False, **options)
            wall = time.perf_counter() - started
            if not result.succeeded:
                raise SystemExit(f"the run failed: {result.error}")
        best = min(best, wall)
    return 1000 * best / tasks


def launcher_cost(count: int) -> tuple[float, float]:
    """Milliseconds from launch to exit of ``true`` through the local launcher: host, and sandboxed
    (restricted: bwrap, prlimit, setpriv, the chown of its writable folder): the wrapper's own cost."""
    from sluice.launchers import LaunchSpec, LocalLauncher
    from sluice.sandbox import RESTRICTED, SandboxSpec

    figures = []
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as folder:
        sandbox = SandboxSpec(RESTRICTED, writable=(folder,))
        for wrapped in (None, sandbox):
            launcher = LocalLauncher(use_fork_server=False)
            started = time.perf_counter()
            for number in range(count):
                spec = LaunchSpec(
                    key=str(number),
                    name="t",
                    log_path=f"{folder}/log",
                    cwd=folder,
                    argv=["true"],
                    sandbox=wrapped,
                )
                launcher.launch(spec)
                while not launcher.wait(5):
                    pass
            figures.append(1000 * (time.perf_counter() - started) / count)
            launcher.close()
    return figures[0], figures[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument(
        "--repeats", type=int, default=3, help="best of this many runs (shared machines are noisy)"
    )
    arguments = parser.parse_args()
    tasks = arguments.tasks
    python_chain = make_chain(increment, tasks)
    shell_chain = make_chain(shell_step, tasks)
    timed(python_chain, 2)  # warm imports and the page cache
    print(f"chain of {tasks} trivial tasks, ms per task (wall, run start and end included)")
    rows = [
        ("python, host (fork server)", python_chain, {}),
        ("python, host (no fork server)", python_chain, {"use_fork_server": False}),
        ("python, restricted", python_chain, {"profile": "restricted"}),
        ("sh -c, host", shell_chain, {}),
        ("sh -c, restricted", shell_chain, {"profile": "restricted"}),
    ]
    figures = {}
    for label, pipeline, options in rows:
        figures[label] = timed(pipeline, tasks, arguments.repeats, **options)
        print(f"  {label:<32} {figures[label]:7.1f} ms/task")
    host, sandboxed = launcher_cost(100)
    print(
        f"  launcher, `true`, host {host:.1f} ms, restricted {sandboxed:.1f} ms: the sandbox itself adds {sandboxed - host:+.1f} ms"
    )
    print(
        "extra per task under restricted: "
        f"python {figures['python, restricted'] - figures['python, host (fork server)']:+.1f} ms vs the fork "
        f"server, {figures['python, restricted'] - figures['python, host (no fork server)']:+.1f} ms vs a plain "
        f"interpreter; sh -c {figures['sh -c, restricted'] - figures['sh -c, host']:+.1f} ms"
    )


if __name__ == "__main__":
    main()
