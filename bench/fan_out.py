"""A ParallelFor over N items (default 200) whose outputs a last task sums with dsl.Collected.

python bench/fan_out.py [--items 200] [--no-kfp]
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import compile_with_kfp, time_kfp_local, time_sluice
from kfp import dsl


@dsl.component(base_image="python:3.11")
def square(x: int) -> int:
    return x * x


@dsl.component(base_image="python:3.11")
def add_all(values: list) -> int:
    # int(): kfp.local hands collected integers over as floats (Sluice keeps them ints).
    return int(sum(values))


def make_fan_out(items: int):
    @dsl.pipeline(name="fan-out")
    def fan_out() -> int:
        with dsl.ParallelFor(list(range(items))) as item:
            squared = square(x=item)
        return add_all(values=dsl.Collected(squared.output)).output

    return fan_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--no-kfp", action="store_true", help="skip kfp.local (it takes ~0.5 s a task)")
    options = parser.parse_args()
    pipeline = make_fan_out(options.items)
    tasks = options.items + 1
    with tempfile.TemporaryDirectory() as folder:
        compiled = compile_with_kfp(pipeline, Path(folder))
        print(f"ParallelFor of {options.items} items + Collected ({tasks} tasks)")
        print(time_sluice("sluice", compiled, tasks).line())
        if not options.no_kfp:
            print(time_kfp_local("kfp.local (SubprocessRunner)", pipeline, tasks).line())


if __name__ == "__main__":
    main()
