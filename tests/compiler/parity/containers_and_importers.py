"""Container components with every placeholder; importers with constant and channel URIs and metadata."""

# kfp-style pipeline code on purpose: typing generics, list defaults, tasks kept in variables.
# ruff: noqa: UP006, UP035, UP045

from typing import List, Optional

from sluice import dsl
from sluice.dsl import Artifact, Dataset, Input, Model, Output


@dsl.container_component
def tool(
    text: str,
    data: Input[Dataset],
    many: Input[List[Dataset]],
    model: Output[Model],
    out_text: dsl.OutputPath(str),
    count: int = 3,
    maybe: Optional[str] = None,
):
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", f"echo {text} {count}"],
        args=[
            data.path,
            data.uri,
            data.metadata,
            many,
            model.path,
            model.uri,
            out_text,
            dsl.IfPresentPlaceholder(input_name="maybe", then=["--maybe", maybe], else_="--none"),
            dsl.ConcatPlaceholder(["a", text, dsl.IfPresentPlaceholder(input_name="maybe", then=maybe)]),
            dsl.PIPELINE_TASK_ID_PLACEHOLDER,
        ],
    )


@dsl.container_component
def plain():
    return dsl.ContainerSpec(image="busybox", command=["true"])


@dsl.component
def make_uri(name: str) -> str:
    return f"gs://bucket/{name}"


@dsl.component
def make(data: Output[Dataset]):
    pass


@dsl.pipeline
def many_datasets() -> List[Dataset]:
    with dsl.ParallelFor([1, 2]):
        made = make()
    return dsl.Collected(made.outputs["data"])


@dsl.pipeline(name="containers-and-importers")
def containers_and_importers(uri: str = "gs://bucket/data", owner: str = "me"):
    constant = dsl.importer(artifact_uri="gs://bucket/fixed", artifact_class=Dataset, reimport=True)
    dynamic = dsl.importer(
        artifact_uri=uri,
        artifact_class=Dataset,
        metadata={"owner": owner, "again": owner, "text": f"by {owner}", "list": [owner, 1]},
    )
    made_uri = make_uri(name=owner)
    dsl.importer(artifact_uri=made_uri.output, artifact_class=Artifact)
    many = many_datasets()
    plain()
    tool(text=owner, data=dynamic.output, many=many.output, count=4)
    tool(text="t", data=constant.output, many=many.output, maybe="yes")
