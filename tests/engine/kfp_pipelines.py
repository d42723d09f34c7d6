"""Pipelines written with the official kfp SDK, compiled by kfp, for the engine's tests.

No ``from __future__ import annotations``: kfp reads component annotations as live objects.
Tasks that need to be observed append a line to ``<marks>/<name>`` so tests see what ran, and how often.
"""

from pathlib import Path

from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Output

IMAGE = "python:3.11"


def compile_to(pipeline, folder: Path, name: str) -> Path:
    target = folder / f"{name}.yaml"
    compiler.Compiler().compile(pipeline, str(target))
    return target


@dsl.component(base_image=IMAGE)
def mark(marks: str, name: str, seconds: float = 0.0) -> str:
    import os
    import time

    with open(os.path.join(marks, name), "a") as handle:
        handle.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return name


@dsl.component(base_image=IMAGE)
def gate(marks: str, name: str) -> str:
    """Marks that it started, then waits (up to a minute) until the test creates <marks>/release."""
    import os
    import time

    with open(os.path.join(marks, name), "a") as handle:
        handle.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(marks, "release")) and time.monotonic() < deadline:
        time.sleep(0.02)
    return name


@dsl.component(base_image=IMAGE)
def fail(message: str) -> str:
    raise RuntimeError(message)


@dsl.component(base_image=IMAGE)
def flaky(marks: str, succeed_on: int) -> int:
    import os

    path = os.path.join(marks, "flaky")
    with open(path, "a") as handle:
        handle.write("x\n")
    with open(path) as handle:
        attempts = len(handle.read().split())
    if attempts < succeed_on:
        raise RuntimeError(f"attempt {attempts} fails on purpose")
    return attempts


@dsl.component(base_image=IMAGE)
def report_status(marks: str, status: dsl.PipelineTaskFinalStatus) -> str:
    import os

    with open(os.path.join(marks, "status"), "w") as handle:
        handle.write(f"{status.state}|{status.pipeline_task_name}|{status.error_message}")
    return status.state


@dsl.component(base_image=IMAGE)
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image=IMAGE)
def total(values: list[int]) -> int:
    return sum(values)


@dsl.component(base_image=IMAGE)
def make_dataset(text: str, data: Output[Dataset]):
    with open(data.path, "w") as handle:
        handle.write(text)


@dsl.component(base_image=IMAGE)
def count_datasets(datasets: Input[list[Dataset]]) -> str:
    texts = []
    for dataset in datasets:
        with open(dataset.path) as handle:
            texts.append(handle.read())
    return ",".join(texts)


@dsl.component(base_image=IMAGE)
def maybe(marks: str, value: str = "default") -> str:
    import os

    with open(os.path.join(marks, "maybe"), "w") as handle:
        handle.write(value)
    return value


@dsl.component(base_image=IMAGE, packages_to_install=["tomli-w==1.0.0"])
def needs_package() -> str:
    import sys

    import tomli_w  # type: ignore[import-not-found]  # installed in the task's own venv

    return tomli_w.dumps({"python": sys.prefix})


@dsl.component(base_image=IMAGE, packages_to_install=["PyYAML"])
def has_package() -> str:
    import sys

    import yaml

    return yaml.safe_dump({"python": sys.prefix})


@dsl.container_component
def echo_args(text: str, out: dsl.OutputPath(str), flag: str = ""):
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'printf "%s|%s|%s" "$0" "$1" "$2" > "$3"'],
        args=[
            dsl.ConcatPlaceholder(["say-", text]),
            dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
            dsl.IfPresentPlaceholder(input_name="flag", then=[flag], else_=["no-flag"]),
            out,
        ],
    )


@dsl.pipeline(name="slow-chain")
def slow_chain(marks: str, seconds: float = 3.0):
    first = mark(marks=marks, name="first")
    slow = mark(marks=marks, name="slow", seconds=seconds).after(first)
    mark(marks=marks, name="last").after(slow)


@dsl.pipeline(name="gated-chain")
def gated_chain(marks: str):
    first = mark(marks=marks, name="first")
    held = gate(marks=marks, name="gate").after(first)
    mark(marks=marks, name="last").after(held)


@dsl.pipeline(name="failing")
def failing(marks: str):
    broken = fail(message="boom on purpose")
    mark(marks=marks, name="after-broken").after(broken)
    mark(marks=marks, name="independent", seconds=0.3)
    tolerant = maybe(marks=marks, value=broken.output).ignore_upstream_failure()
    del tolerant


@dsl.pipeline(name="exit-handling")
def exit_handling(marks: str):
    final = report_status(marks=marks)
    with dsl.ExitHandler(final):
        fail(message="inner failure")


@dsl.pipeline(name="retrying")
def retrying(marks: str):
    flaky(marks=marks, succeed_on=3).set_retry(num_retries=3, backoff_duration="0s")


@dsl.pipeline(name="loop-sum")
def loop_sum():
    with dsl.ParallelFor([1, 2, 3, 4, 5], parallelism=2) as item:
        summed = add(a=item, b=10)
    total(values=dsl.Collected(summed.output))


@dsl.pipeline(name="artifact-fan-in")
def artifact_fan_in():
    with dsl.ParallelFor(["a", "b", "c"]) as text:
        made = make_dataset(text=text)
    count_datasets(datasets=dsl.Collected(made.outputs["data"]))


@dsl.pipeline(name="placeholders")
def placeholders(text: str = "hi"):
    echo_args(text=text)
    echo_args(text=text, flag="--loud")


@dsl.pipeline(name="packages")
def packages():
    needs_package().set_caching_options(False)
    has_package().set_caching_options(False)


@dsl.pipeline(name="cached-chain")
def cached_chain(marks: str):
    first = mark(marks=marks, name="cached-first")
    mark(marks=marks, name="uncached").after(first).set_caching_options(False)
