"""Loops over literal dicts (item fields), nested literal loops, conditions on loop items, parallelism."""

# kfp-style pipeline code on purpose: typing generics, list defaults, tasks kept in variables.
# ruff: noqa: SIM117, UP006, UP035

from typing import List

from sluice import dsl


@dsl.component
def show(text: str, number: int = 0) -> str:
    return f"{text} {number}"


@dsl.component
def numbers(count: int) -> List[int]:
    return list(range(count))


@dsl.pipeline(name="loops-with-fields")
def loops_with_fields(greeting: str = "hi", flag: str = "on"):
    with dsl.ParallelFor([{"label": "a", "size": 1}, {"label": "b", "size": 2}], parallelism=1) as item:
        show(text=item.label)
        show(text=item.size)
        with dsl.ParallelFor([1, 2, 3]) as inner:
            show(text=greeting, number=inner)
        with dsl.If(item.label == "a"):
            show(text="first")
    with dsl.ParallelFor([10, 20]) as plain:
        with dsl.If(flag == "on"):
            show(text=f"value {plain}", number=plain)
    listed = numbers(count=3)
    with dsl.ParallelFor(listed.output) as number:
        shown = show(text=greeting, number=number)
        with dsl.ParallelFor(listed.output) as again:
            show(text=shown.output, number=again)
