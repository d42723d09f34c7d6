"""A chain of N trivial Python tasks (default 50), each waiting for the one before: Sluice vs kfp.local.

python bench/chain.py [--tasks 50] [--no-kfp]
"""

# No `from __future__ import annotations`: kfp reads component annotations as live objects.

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import compile_with_kfp, time_kfp_local, time_sluice
from kfp import dsl


@dsl.component(base_image="python:3.11")
def increment(x: int) -> int:
    return x + 1


def make_chain(length: int):
    @dsl.pipeline(name="chain")
    def chain(start: int = 0) -> int:
        task = increment(x=start)
        for _ in range(length - 1):
            task = increment(x=task.output)
        return task.output

    return chain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--no-kfp", action="store_true", help="skip kfp.local (it takes ~0.5 s a task)")
    options = parser.parse_args()
    pipeline = make_chain(options.tasks)
    with tempfile.TemporaryDirectory() as folder:
        compiled = compile_with_kfp(pipeline, Path(folder))
        print(f"chain of {options.tasks} trivial tasks")
        print(time_sluice("sluice", compiled, options.tasks).line())
        if not options.no_kfp:
            print(time_kfp_local("kfp.local (SubprocessRunner)", pipeline, options.tasks).line())


if __name__ == "__main__":
    main()
