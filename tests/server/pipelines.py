"""Pipelines the service's tests submit, written with the official kfp SDK and compiled by it.

No ``from __future__ import annotations``: kfp reads the annotations at decoration time.
"""

from kfp import dsl


@dsl.component
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline(name="adder", description="Adds two numbers.")
def adder(a: int = 1, b: int = 2) -> int:
    return add(a=a, b=b).output


@dsl.container_component
def sleep_for(seconds: int):
    return dsl.ContainerSpec(
        image="alpine", command=["sh", "-c", 'echo "sleeping $0"; sleep "$0"; echo done'], args=[seconds]
    )


@dsl.pipeline(name="sleepy")
def sleepy(seconds: int = 60):
    sleep_for(seconds=seconds).set_caching_options(False)


@dsl.container_component
def chatter(lines: int):
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'i=0; while [ "$i" -lt "$0" ]; do echo "line $i"; i=$((i+1)); sleep 0.2; done'],
        args=[lines],
    )


@dsl.pipeline(name="chatty")
def chatty(lines: int = 10):
    chatter(lines=lines).set_caching_options(False)


@dsl.component
def stamp() -> str:
    import time
    import uuid

    return f"{time.time()}-{uuid.uuid4()}"


@dsl.component
def fail_once(marker: str, upstream: str) -> str:
    import os

    if os.path.exists(marker):
        return "recovered"
    with open(marker, "w") as handle:
        handle.write("failed once")
    raise RuntimeError("failing on purpose, the first time")


@dsl.pipeline(name="flaky")
def flaky(marker: str) -> str:
    first = stamp().set_caching_options(False)
    second = fail_once(marker=marker, upstream=first.output).set_caching_options(False)
    return second.output


@dsl.component
def train(learning_rate: float, metrics: dsl.Output[dsl.Metrics], model: dsl.Output[dsl.Model]):
    metrics.log_metric("accuracy", learning_rate * 10)
    with open(model.path, "w") as handle:
        handle.write(f"weights for {learning_rate}")


@dsl.pipeline(name="trainer")
def trainer(learning_rate: float = 0.05):
    train(learning_rate=learning_rate).set_caching_options(False)


ALL = {"adder": adder, "sleepy": sleepy, "chatty": chatty, "flaky": flaky, "trainer": trainer}


@dsl.pipeline(name="two-steps")
def two_steps(a: int = 1) -> int:
    first = add(a=a, b=1)
    return add(a=first.output, b=1).output


@dsl.pipeline(name="nested-steps")
def nested_steps(a: int = 1) -> int:
    return two_steps(a=a).output


ALL.update({"two_steps": two_steps, "nested_steps": nested_steps})


@dsl.component
def print_environment() -> str:
    import os

    listing = "\n".join(f"{name}={value}" for name, value in sorted(os.environ.items()))
    print(listing)
    return listing


@dsl.container_component
def env_command():
    return dsl.ContainerSpec(image="alpine", command=["env"])


@dsl.pipeline(name="environment")
def environment():
    """What a task sees of its environment: a forked Python task and a host command."""
    print_environment().set_caching_options(False).set_env_variable("ASKED_FOR", "by-the-task")
    env_command().set_caching_options(False).set_env_variable("ASKED_FOR", "by-the-task")


ALL["environment"] = environment
