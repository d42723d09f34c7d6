"""Pipelines written with the official kfp SDK about where output artifacts are: ``set_path()`` (kfp 2.14+)
and outputs a component declares but never writes. Compiled by kfp in tests/engine/test_artifact_paths.py.

No ``from __future__ import annotations``: kfp reads component annotations as live objects.
"""

from kfp import dsl
from kfp.dsl import ClassificationMetrics, Dataset, Input, Metrics, Model, Output

IMAGE = "python:3.11"


@dsl.component(base_image=IMAGE)
def write_at_custom_path(folder: str, text: str, data: Output[Dataset]):
    import os

    data.set_path(os.path.join(folder, "custom", "data.txt"))
    os.makedirs(os.path.dirname(data.path), exist_ok=True)
    with open(data.path, "w") as handle:
        handle.write(text)


@dsl.component(base_image=IMAGE)
def write_folder_at_custom_path(folder: str, model: Output[Model]):
    import os

    model.custom_path = os.path.join(folder, "custom-model")
    os.makedirs(os.path.join(model.path, "weights"))
    with open(os.path.join(model.path, "weights", "layer-1"), "w") as handle:
        handle.write("w1")
    with open(os.path.join(model.path, "config.json"), "w") as handle:
        handle.write("{}")


@dsl.component(base_image=IMAGE)
def read_text(data: Input[Dataset]) -> str:
    with open(data.path) as handle:
        return handle.read()


@dsl.component(base_image=IMAGE)
def list_folder(model: Input[Model]) -> list:
    import os

    return sorted(
        os.path.relpath(os.path.join(root, name), model.path)
        for root, _, names in os.walk(model.path)
        for name in names
    )


@dsl.pipeline
def custom_path_file(folder: str, text: str = "hello from a custom path") -> str:
    produced = write_at_custom_path(folder=folder, text=text)
    return read_text(data=produced.outputs["data"]).output


@dsl.pipeline
def custom_path_folder(folder: str) -> list:
    produced = write_folder_at_custom_path(folder=folder)
    return list_folder(model=produced.outputs["model"]).output


@dsl.component(base_image=IMAGE)
def write_to_unwritable_path(path: str, data: Output[Dataset]):
    data.set_path(path)
    with open(data.path, "w") as handle:
        handle.write("lost")


@dsl.pipeline
def unwritable_custom_path(path: str):
    produced = write_to_unwritable_path(path=path)
    read_text(data=produced.outputs["data"])


@dsl.component(base_image=IMAGE)
def set_path_write_nothing(path: str, data: Output[Dataset]):
    data.set_path(path)


@dsl.pipeline
def custom_path_left_empty(path: str):
    produced = set_path_write_nothing(path=path)
    read_text(data=produced.outputs["data"])


@dsl.component(base_image=IMAGE)
def forget_the_data(data: Output[Dataset]) -> str:
    data.metadata["rows"] = 0
    return "done"


@dsl.pipeline
def python_output_never_written():
    produced = forget_the_data()
    read_text(data=produced.outputs["data"])


@dsl.container_component
def echo_only(data: Output[Dataset]):
    return dsl.ContainerSpec(image="alpine", command=["sh", "-c", "echo 'not writing $0'", data.path])


@dsl.pipeline
def container_output_never_written():
    produced = echo_only()
    read_text(data=produced.outputs["data"])


@dsl.component(base_image=IMAGE)
def log_metrics_only(metrics: Output[Metrics], curve: Output[ClassificationMetrics]):
    metrics.log_metric("accuracy", 0.9)
    curve.log_confusion_matrix(["a", "b"], [[1, 0], [0, 1]])


@dsl.pipeline
def metrics_without_files():
    log_metrics_only()
