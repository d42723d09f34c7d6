"""The Ray launcher's overhead on a local three-node Ray cluster, next to the local launcher, in one run.

Starts SeaweedFS (the shared artifact root a multi-node cluster needs) and a head plus two workers, each
its own `ray start` on a loopback address (tests/ray_cluster.py), then times, on the same kfp-compiled
pipelines: a chain of trivial tasks (per-task latency) and a ParallelFor with a Collected sum
(throughput), with the local launcher (local root and s3:// root) and with the Ray launcher (s3:// root).
A bare Ray baseline (a chain of empty streaming-generator tasks) shows what Ray itself costs a task.

python bench/ray_launcher.py [--chain 50] [--items 1000]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import compile_with_kfp, time_sluice
from chain import make_chain
from fan_out import make_fan_out
from tests.ray_cluster import NodeSpec, start_ray_cluster
from tests.seaweedfs import start_s3_server

NODES = [NodeSpec("head", cpus=1), NodeSpec("worker1", cpus=2), NodeSpec("worker2", cpus=2)]


def _empty_generator():
    yield {"started": True}
    yield {"exit": 0}


def ray_baseline(address: str, tasks: int) -> float:
    """Milliseconds per task of a chain of empty two-item streaming-generator tasks (Ray alone)."""
    from sluice.launchers._ray import connect

    ray = connect(address)
    empty = ray.remote(max_retries=0)(_empty_generator)
    for item in empty.remote():
        ray.get(item)
    started = time.perf_counter()
    for _ in range(tasks):
        for item in empty.remote():
            ray.get(item)
    return 1000 * (time.perf_counter() - started) / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chain", type=int, default=50)
    parser.add_argument("--items", type=int, default=1000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluice-ray-bench-") as folder:
        work = Path(folder)
        chain = compile_with_kfp(make_chain(options.chain), work / "chain")
        fan_out = compile_with_kfp(make_fan_out(options.items), work / "fan-out")
        with start_s3_server(work / "s3") as s3:
            os.environ.update(s3.environment())
            started = time.perf_counter()
            with start_ray_cluster(work / "ray", NODES, s3.environment()) as cluster:
                print(f"3-node Ray cluster up in {time.perf_counter() - started:.0f} s ({cluster.address})")
                root = f"s3://{s3.bucket}/bench"
                ray_options = {"launcher": "ray", "ray_address": cluster.address, "pipeline_root": root}
                print(f"Ray alone: {ray_baseline(cluster.address, 200):.1f} ms/task (empty generator task)")
                print(f"\nchain of {options.chain} trivial tasks")
                print(time_sluice("local launcher, local root", chain, options.chain).line())
                print(time_sluice("local launcher, s3 root", chain, options.chain, pipeline_root=root).line())
                print(time_sluice("ray launcher, s3 root", chain, options.chain, **ray_options).line())
                tasks = options.items + 1
                print(f"\nParallelFor of {options.items} items + Collected ({tasks} tasks)")
                print(time_sluice("local launcher, local root", fan_out, tasks).line())
                print(time_sluice("local launcher, s3 root", fan_out, tasks, pipeline_root=root).line())
                print(time_sluice("ray launcher, s3 root", fan_out, tasks, **ray_options).line())
                import ray

                ray.shutdown()  # before the nodes stop: a driver that loses its cluster aborts


if __name__ == "__main__":
    main()
