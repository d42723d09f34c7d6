"""Pipelines inside pipelines: a sub-pipeline used twice, nested two deep, inside a condition, with a
NamedTuple of a parameter and an artifact as outputs.

Names inside the sub-pipelines avoid chains of clashes (``comp-a`` and ``comp-a-2`` in one
sub-pipeline): kfp renames those in protobuf map order, which changes from run to run.
"""

# kfp-style pipeline code on purpose: typing generics, list defaults, tasks kept in variables.
# ruff: noqa: UP014

from typing import NamedTuple

from sluice import dsl
from sluice.dsl import Dataset, Input, Output


@dsl.component
def step(text: str) -> str:
    return text


@dsl.component
def shout(text: str) -> str:
    return text.upper()


@dsl.component
def produce(text: str, data: Output[Dataset]):
    with open(data.path, "w") as f:
        f.write(text)


@dsl.component
def consume(data: Input[Dataset], text: str):
    print(text)


@dsl.pipeline
def inner(text: str = "x") -> str:
    first = step(text=text)
    return shout(text=first.output).output


@dsl.pipeline
def middle(text: str) -> NamedTuple("MiddleOutputs", [("said", str), ("data", Dataset)]):
    said = inner(text=text)
    made = produce(text=said.output)
    outputs = NamedTuple("MiddleOutputs", [("said", str), ("data", Dataset)])
    return outputs(said=said.output, data=made.outputs["data"])


@dsl.pipeline(name="nested-pipelines")
def nested_pipelines(text: str = "hello"):
    first = middle(text=text)
    second = middle(text=first.outputs["said"])
    consume(data=second.outputs["data"], text=first.outputs["said"])
    with dsl.If(text == "hello"):
        inner(text="in a condition")
