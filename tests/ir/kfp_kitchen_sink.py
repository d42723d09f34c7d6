"""A pipeline written with the official kfp SDK that uses most of PipelineSpec.

No ``from __future__ import annotations`` here: kfp reads component annotations as live objects.
"""

from pathlib import Path

from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output


def compile_kitchen_sink(tmp_path: Path) -> Path:
    """A pipeline compiled by the official kfp SDK that uses most of the spec."""

    @dsl.component(base_image="python:3.11")
    def make_data(rows: int, data: Output[Dataset]) -> list:
        with open(data.path, "w") as handle:
            handle.write("x\n" * rows)
        return [1, 2, 3]

    @dsl.component(base_image="python:3.12", packages_to_install=["pyyaml"])
    def train(data: Input[Dataset], rate: float, model: Output[Model], metrics: Output[Metrics]) -> str:
        metrics.log_metric("rate", rate)
        return "ok"

    @dsl.component(base_image="python:3.11")
    def report(status: dsl.PipelineTaskFinalStatus, message: str = "done") -> None:
        print(status.state, message)

    @dsl.container_component
    def shell(text: str, out: dsl.OutputPath(str), flag: str = "") -> dsl.ContainerSpec:
        return dsl.ContainerSpec(
            image="alpine",
            command=["sh", "-c", 'echo "$0" > "$1"'],
            args=[
                dsl.ConcatPlaceholder(["say ", text]),
                out,
                dsl.IfPresentPlaceholder(input_name="flag", then=[flag]),
            ],
        )

    @dsl.pipeline(name="kitchen-sink", description="Most of the spec in one pipeline.")
    def kitchen_sink(rows: int = 10, rate: float = 0.1, mode: str = "fast") -> Model:
        data_task = make_data(rows=rows).set_retry(num_retries=2, backoff_duration="5s")
        trained = (
            train(data=data_task.outputs["data"], rate=rate)
            .set_caching_options(False)
            .set_env_variable("SEED", "1")
            .set_accelerator_type("nvidia.com/gpu")
            .set_accelerator_limit(1)
        )
        final = report(message=dsl.PIPELINE_JOB_NAME_PLACEHOLDER)
        with dsl.ExitHandler(final), dsl.If(mode == "fast", name="fast"):
            with dsl.ParallelFor(data_task.outputs["Output"], parallelism=2) as item:
                shell(text=dsl.PIPELINE_TASK_NAME_PLACEHOLDER, flag=item).set_cpu_limit("1").set_memory_limit(
                    "1G"
                )
            shell(text="x", flag="y").after(data_task)
        return trained.outputs["model"]

    target = tmp_path / "kitchen_sink.yaml"
    compiler.Compiler().compile(kitchen_sink, str(target))
    return target
