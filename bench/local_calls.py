"""N direct calls of a trivial component outside a pipeline (default 10): sluice.local vs kfp.local.

Each call runs at once and returns its output; with sluice.local each call is a run recorded in the
store (compiled, claimed, driven by the engine, its task forked from a warm worker).

python bench/local_calls.py [--calls 10] [--no-kfp]
"""

# No `from __future__ import annotations`: kfp reads component annotations as live objects.

import argparse
import contextlib
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Timing


@contextlib.contextmanager
def _quiet():
    """Both runners print each task's progress and log; the figures are what matter here."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)


def time_sluice(calls: int) -> Timing:
    from sluice import dsl, local

    @dsl.component
    def increment(x: int) -> int:
        return x + 1

    with tempfile.TemporaryDirectory(prefix="sluice-local-bench-") as folder:
        local.init(runner=local.SubprocessRunner(), pipeline_root=f"{folder}/outputs", home=f"{folder}/home")
        value = 0
        with _quiet():
            started = time.perf_counter()
            for _ in range(calls):
                value = increment(x=value).output
            wall = time.perf_counter() - started
    assert value == calls, value
    return Timing("sluice.local", wall, calls)


def time_kfp_local(calls: int) -> Timing:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from kfp import dsl, local

        @dsl.component(base_image="python:3.11")
        def increment(x: int) -> int:
            return x + 1

        with tempfile.TemporaryDirectory(prefix="kfp-local-bench-") as folder:
            local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=folder)
            value = 0
            with _quiet():
                started = time.perf_counter()
                for _ in range(calls):
                    value = increment(x=value).output
                wall = time.perf_counter() - started
    assert value == calls, value
    return Timing("kfp.local (SubprocessRunner)", wall, calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--no-kfp", action="store_true", help="skip kfp.local")
    options = parser.parse_args()
    print(f"{options.calls} direct calls of a trivial component (per call: ms/task)")
    print(time_sluice(options.calls).line())
    if not options.no_kfp:
        print(time_kfp_local(options.calls).line())


if __name__ == "__main__":
    main()
