"""Pipelines the Ray tests run: each shows where its tasks ran (the node's $SLUICE_HOME names the node)."""

from __future__ import annotations

from sluice import dsl
from sluice.dsl import Dataset, Input, Output


@dsl.component
def where(tag: str, seconds: float = 0.0) -> str:
    """``tag@<node home>`` after sleeping ``seconds`` (long enough that parallel tasks overlap)."""
    import os
    import time

    time.sleep(seconds)
    return f"{tag}@{os.environ.get('SLUICE_HOME', '')}"


@dsl.pipeline(name="fan-out")
def fan_out(items: list = [0, 1, 2, 3, 4, 5], seconds: float = 3.0) -> None:  # noqa: B006
    with dsl.ParallelFor(items=items) as item:
        where(tag=f"item {item}", seconds=seconds)


@dsl.component
def devices() -> str:
    """What CUDA_VISIBLE_DEVICES the task got ("" when it asked for no accelerator)."""
    import os

    return f"[{os.environ.get('CUDA_VISIBLE_DEVICES', '(unset)')}]@{os.environ.get('SLUICE_HOME', '')}"


@dsl.pipeline(name="accelerators")
def accelerators() -> None:
    devices().set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(1).set_display_name("on-gpu")
    devices().set_display_name("no-gpu")


@dsl.pipeline(name="two-gpu-tasks")
def two_gpu_tasks() -> None:
    where(tag="first", seconds=3.0).set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
    where(tag="second", seconds=3.0).set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)


@dsl.pipeline(name="too-many-gpus")
def too_many_gpus() -> None:
    where(tag="greedy").set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(2)


@dsl.component
def produce(rows: int, data: Output[Dataset]) -> str:
    import os

    with open(data.path, "w") as handle:
        handle.writelines(f"row {index}\n" for index in range(rows))
    return os.environ.get("SLUICE_HOME", "")


@dsl.component
def consume(data: Input[Dataset]) -> str:
    import os

    with open(data.path) as handle:
        count = len(handle.readlines())
    return f"{count} rows@{os.environ.get('SLUICE_HOME', '')}"


@dsl.pipeline(name="hand-over")
def hand_over(rows: int = 7) -> str:
    made = produce(rows=rows).set_display_name("produce")
    return consume(data=made.outputs["data"]).set_display_name("consume").output


@dsl.container_component
def wait_for_flag(flag: str) -> dsl.ContainerSpec:
    """Says it started, then waits (up to five minutes) until ``flag`` exists."""
    return dsl.ContainerSpec(
        image="debian:stable",
        command=["sh", "-c"],
        args=[
            'echo "started on $SLUICE_HOME"; i=0; while [ ! -e "$0" ] && [ $i -lt 3000 ]; do sleep 0.1; '
            "i=$((i+1)); done; echo done",
            flag,
        ],
    )


@dsl.pipeline(name="waits")
def waits(flag: str) -> None:
    wait_for_flag(flag=flag)


@dsl.component
def count_run(marks: str) -> str:
    """Appends a line to ``marks`` (a file on this machine, which every test node shares) each time it runs."""
    with open(marks, "a") as handle:
        handle.write("ran\n")
    return "counted"


@dsl.pipeline(name="crash")
def crash(marks: str, flag: str) -> None:
    counted = count_run(marks=marks)
    wait_for_flag(flag=flag).after(counted)


@dsl.component
def retried(marks: str, flag: str) -> str:
    """Records its node, then waits for ``flag`` (set once the test has killed that node)."""
    import os
    import time

    with open(marks, "a") as handle:
        handle.write(os.environ.get("SLUICE_HOME", "") + "\n")
    deadline = time.monotonic() + 300
    while not os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.1)
    return os.environ.get("SLUICE_HOME", "")


@dsl.pipeline(name="survives-node-loss")
def survives_node_loss(marks: str, flag: str) -> str:
    return retried(marks=marks, flag=flag).set_retry(num_retries=2, backoff_duration="0s").output


@dsl.component(packages_to_install=["tomli-w==1.0.0"])
def needs_package() -> str:
    import sys

    import tomli_w  # type: ignore[import-not-found]  # installed in the task's own venv

    return tomli_w.dumps({"python": sys.prefix})


@dsl.pipeline(name="packages")
def packages() -> str:
    return needs_package().output
