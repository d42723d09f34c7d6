"""Loops over artifact lists from a nested pipeline, OneOf of artifacts and parameters, nested branches."""

# kfp-style pipeline code on purpose: typing generics, list defaults, tasks kept in variables.
# ruff: noqa: B006, F841, UP006, UP035

from typing import List

from sluice import dsl
from sluice.dsl import Artifact, Dataset, Input, Model, Output


@dsl.component
def make(text: str, data: Output[Dataset]) -> str:
    with open(data.path, "w") as f:
        f.write(text)
    return text


@dsl.component
def read(data: Input[Dataset]) -> int:
    return 1


@dsl.component
def generic(thing: Input[Artifact]) -> str:
    return "x"


@dsl.component
def score() -> float:
    return 0.5


@dsl.component
def train(rate: float, model: Output[Model]) -> str:
    return "trained"


@dsl.component
def use_model(model: Input[Model], label: str):
    print(label)


@dsl.pipeline
def make_many(texts: List[str] = ["a", "b"]) -> List[Dataset]:
    with dsl.ParallelFor(texts) as text:
        made = make(text=text)
    return dsl.Collected(made.outputs["data"])


@dsl.pipeline(name="artifacts-and-oneof")
def artifacts_and_oneof(threshold: float = 0.3) -> str:
    many = make_many()
    with dsl.ParallelFor(many.output, parallelism=3) as data:
        read(data=data)
        generic(thing=data)
    scored = score()
    with dsl.If(scored.output > threshold, name="good"):
        fast = train(rate=0.1)
    with dsl.Elif(scored.output > 0.1):
        with dsl.If(threshold < 1.0):
            slow = train(rate=0.01)
        medium = train(rate=0.05)
    with dsl.Else():
        fallback = train(rate=0.001)
    chosen = dsl.OneOf(fast.outputs["model"], medium.outputs["model"], fallback.outputs["model"])
    label = dsl.OneOf(fast.outputs["Output"], medium.outputs["Output"], fallback.outputs["Output"])
    use_model(model=chosen, label=label)
    return label
