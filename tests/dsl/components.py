"""Components shared by the dsl and compiler tests."""

from sluice import dsl
from sluice.dsl import Dataset, Input, Model, Output


@dsl.component
def add(a: int, b: int) -> int:
    return a + b


@dsl.component
def echo(text: str) -> str:
    return text


@dsl.component
def make_dataset(rows: int, data: Output[Dataset]):
    with open(data.path, "w") as f:
        f.write("x\n" * rows)


@dsl.component
def read_dataset(data: Input[Dataset]) -> int:
    with open(data.path) as f:
        return len(f.readlines())


@dsl.component
def train(data: Input[Dataset], model: Output[Model]) -> float:
    return 0.5


@dsl.component
def numbers(count: int) -> list[int]:
    return list(range(count))


@dsl.component
def total(values: list[int]) -> int:
    return sum(values)


@dsl.component
def report(status: dsl.PipelineTaskFinalStatus, note: str = ""):
    print(status.state, note)
