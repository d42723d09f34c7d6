"""Fan-in from nested loops and from a loop inside a condition-free group; Collected as a pipeline output."""

# kfp-style pipeline code on purpose: typing generics, list defaults, tasks kept in variables.
# ruff: noqa: B006, F841, UP006, UP035

from typing import List

from sluice import dsl
from sluice.dsl import Dataset, Input, Output


@dsl.component
def double(number: int) -> int:
    return 2 * number


@dsl.component
def make(text: str, data: Output[Dataset]):
    with open(data.path, "w") as f:
        f.write(text)


@dsl.component
def total(numbers: List[int]) -> int:
    return sum(numbers)


@dsl.component
def count(datasets: Input[List[Dataset]]) -> int:
    return len(datasets)


@dsl.component
def nested_total(numbers: List[List[int]]) -> int:
    return sum(sum(row) for row in numbers)


@dsl.pipeline(name="collected-nested")
def collected_nested(rows: List[int] = [1, 2]) -> List[int]:
    with dsl.ParallelFor(rows) as row:
        with dsl.ParallelFor([1, 2, 3]) as column:
            doubled = double(number=column)
        made = make(text="x")
        total(numbers=dsl.Collected(doubled.output))
    nested_total(numbers=dsl.Collected(doubled.output))
    count(datasets=dsl.Collected(made.outputs["data"]))
    with dsl.ParallelFor([5, 6]) as value:
        returned = double(number=value)
    return dsl.Collected(returned.output)
