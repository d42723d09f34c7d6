"""Values crossing scopes: fan-in consumed inside a condition, OneOf consumed in a loop, an importer in a
loop, a pipeline as the exit task, after() on a loop task, and a loop over a pipeline's list output."""

# kfp-style pipeline code on purpose: typing generics, list defaults, tasks kept in variables.
# ruff: noqa: B006, F841, UP006, UP035

from typing import List

from sluice import dsl
from sluice.dsl import Dataset, Input


@dsl.component
def number(value: int) -> int:
    return value


@dsl.component
def count(values: List[int]) -> int:
    return len(values)


@dsl.component
def say(text: str):
    print(text)


@dsl.component
def inspect_data(data: Input[Dataset], label: str):
    print(label)


@dsl.component
def notify(status: dsl.PipelineTaskFinalStatus, channel: str = "#ops"):
    print(channel, status.state)


@dsl.pipeline
def cleanup(channel: str = "#ops"):
    say(text=channel)
    say(text="cleaned")


@dsl.pipeline
def list_maker(size: int = 2) -> List[int]:
    with dsl.ParallelFor([1, 2, 3]) as value:
        made = number(value=value)
    return dsl.Collected(made.output)


@dsl.pipeline(name="mixed-scopes")
def mixed_scopes(flag: str = "on", uris: list = ["gs://a", "gs://b"]):
    final = cleanup(channel="#alerts")
    with dsl.ExitHandler(final):
        with dsl.ParallelFor([1, 2]) as value:
            doubled = number(value=value)
        with dsl.If(flag == "on"):
            count(values=dsl.Collected(doubled.output))
            with dsl.ParallelFor([5, 6]) as inner:
                say(text=f"{inner}")
        say(text="after the loop").after(doubled)
        made = list_maker()
        with dsl.ParallelFor(made.output, parallelism=1) as item:
            number(value=item)
    picked = number(value=1)
    with dsl.If(picked.output > 0):
        positive = say(text="positive")
        yes = number(value=1)
    with dsl.Else():
        no = number(value=0)
    chosen = dsl.OneOf(yes.output, no.output)
    with dsl.ParallelFor(uris) as uri:
        imported = dsl.importer(artifact_uri=uri, artifact_class=Dataset)
        inspect_data(data=imported.output, label=uri)
        number(value=chosen)


# kfp reads a loop item back out of an f-string as if it were a pipeline parameter: it hands
# `loop-item-param-5` down from the root, where no such input exists. Sluice knows it is the inner loop's
# item and passes it only inside that loop.
KFP_DIFFERENCES = {
    "components.comp-condition-4.inputDefinitions.parameters.pipelinechannel--loop-item-param-5": "",
    "components.comp-exit-handler-1.dag.tasks.condition-4.inputs.parameters.pipelinechannel--loop-item-param-5": "",
    "components.comp-exit-handler-1.inputDefinitions.parameters.pipelinechannel--loop-item-param-5": "",
    "root.dag.tasks.exit-handler-1.inputs.parameters.pipelinechannel--loop-item-param-5": "",
}
