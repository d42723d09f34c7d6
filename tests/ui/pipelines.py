"""Pipelines the browser tests run, written with Sluice's DSL."""

from __future__ import annotations

from sluice import dsl


@dsl.container_component
def chatter(lines: int):
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'i=0; while [ "$i" -lt "$0" ]; do echo "line $i"; i=$((i+1)); sleep 0.3; done'],
        args=[lines],
    )


@dsl.component
def square(x: int) -> int:
    print(f"squaring {x}")
    return x * x


@dsl.pipeline(name="chatty-loop", description="Talks for a while, squaring numbers in a loop meanwhile.")
def chatty_loop(lines: int = 12):
    chatter(lines=lines).set_caching_options(False)
    with dsl.ParallelFor([1, 2, 3, 4, 5, 6]) as x:
        square(x=x).set_caching_options(False)


@dsl.component
def needs_file(marker: str) -> str:
    import os

    if not os.path.exists(marker):
        raise RuntimeError(f"{marker} does not exist yet")
    return "found it"


@dsl.pipeline(name="needs-a-file", description="Fails until the marker file exists.")
def needs_a_file(marker: str):
    needs_file(marker=marker).set_caching_options(False)


@dsl.component
def draw(picture: dsl.Output[dsl.Artifact]):
    import base64

    # A 2x2 PNG: red, blue, blue, red.
    png = (
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4zwAEIOI/kAAAG/ID/VxhF44AAAAASUVORK5CYII="
    )
    picture.uri += ".png"
    with open(picture.path, "wb") as handle:
        handle.write(base64.b64decode(png))


@dsl.pipeline(name="picture")
def picture():
    draw().set_caching_options(False)


@dsl.component
def pod_name() -> str:
    import os

    return os.environ["POD_NAME"]


@dsl.pipeline
def labelled() -> str:
    from sluice import kubernetes

    task = pod_name()
    kubernetes.add_pod_label(task, "team", "search")
    kubernetes.add_pod_annotation(task, "owner", "alice")
    kubernetes.use_field_path_as_env(task, env_name="POD_NAME", field_path="metadata.name")
    kubernetes.add_node_selector(task, "gpu", "h100")
    return task.output
