"""The fair queue's decision time: with N tasks pending across namespaces (1,000 across 20 by default), how
long choosing the tasks that may start takes, after each grant and release (the cases that recompute).

    .venv/bin/python bench/fair_queue.py [--pending 1000] [--namespaces 20] [--gpus 8]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from sluice.auth import Quota
from sluice.engine import Capacity
from sluice.engine._resources import Request
from sluice.server._fair_queue import FairQueue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pending", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--gpus", type=int, default=8)
    parser.add_argument("--decisions", type=int, default=200)
    options = parser.parse_args()
    randomness = random.Random(7)
    namespaces = [f"team-{index:02d}" for index in range(options.namespaces)]
    quotas = {name: Quota(gpus=2, cpus=16) for name in namespaces[::2]}
    capacity = Capacity(
        cpu=64.0,
        memory=256 * 2**30,
        gpus=list(range(options.gpus)),
        total_cpu=64.0,
        total_memory=256 * 2**30,
        total_gpus=options.gpus,
    )
    queue = FairQueue(capacity, lambda: quotas)
    queue.refresh_quotas()
    for index in range(options.pending):
        namespace = randomness.choice(namespaces)
        request = Request(
            cpu=randomness.choice([0.5, 1, 2, 4]),
            memory=randomness.choice([1, 2, 8]) * 2**30,
            gpus=randomness.choice([0, 0, 1, 1, 2]),
        )
        queue.ask(f"run-{index}", namespace, "user", f"task-{index}", f"task-{index}", request)
    timings = []
    held: list[str] = []
    for _ in range(options.decisions):
        started = time.perf_counter()
        granted = queue.decide()
        timings.append(time.perf_counter() - started)
        # Start one chosen task, or end one running, so that the next decision has something new to weigh.
        if granted and (len(held) < 4 or randomness.random() < 0.5):
            key = sorted(granted)[0]
            queue.take(key)
            held.append(key)
            queue.ask(
                "run-new", randomness.choice(namespaces), "user", f"new-{key}", "new", Request(cpu=1, gpus=1)
            )
        elif held:
            queue.give_back(held.pop(0))
    timings.sort()
    print(
        f"fair queue: {options.pending} pending across {options.namespaces} namespaces, {options.gpus} GPUs, "
        f"{options.decisions} decisions"
    )
    print(
        f"  decision  median {1000 * statistics.median(timings):.2f} ms   "
        f"p99 {1000 * timings[int(0.99 * (len(timings) - 1))]:.2f} ms   max {1000 * timings[-1]:.2f} ms   (target < 5 ms)"
    )


if __name__ == "__main__":
    main()
