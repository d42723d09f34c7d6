"""Always run a final task, success or failure, with ``dsl.ExitHandler``.

The tasks inside the ``with dsl.ExitHandler(...)`` block are the guarded work: a small
extract-transform-load job. The exit task runs once they are all done, whether they succeeded or
not, and receives a ``dsl.PipelineTaskFinalStatus`` describing the outcome (state, error code and
message, job and task names), which it uses to report. Set ``fail=True`` to watch the exit task
run after a failure.
"""

from sluice import dsl
from sluice.dsl import Dataset, Input, Output


@dsl.component
def extract(rows: int, seed: int, raw: Output[Dataset]):
    """Writes raw temperature readings in Fahrenheit, one per line."""
    import random

    rng = random.Random(seed)
    with open(raw.path, "w") as f:
        f.writelines(f"{rng.uniform(20.0, 100.0):.2f}\n" for _ in range(rows))


@dsl.component
def transform(raw: Input[Dataset], fail: bool, clean: Output[Dataset]) -> int:
    """Converts the readings to Celsius; fails on purpose when ``fail`` is set."""
    if fail:
        raise RuntimeError("transform failed on purpose (fail=True)")
    with open(raw.path) as f:
        fahrenheit = [float(line) for line in f if line.strip()]
    with open(clean.path, "w") as f:
        f.writelines(f"{(t - 32) * 5 / 9:.2f}\n" for t in fahrenheit)
    return len(fahrenheit)


@dsl.component
def load(clean: Input[Dataset], row_count: int) -> str:
    """Stands in for loading the rows into a warehouse table; returns a receipt."""
    import hashlib

    with open(clean.path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return f"loaded {row_count} rows (sha256 {digest})"


@dsl.component
def report_outcome(status: dsl.PipelineTaskFinalStatus, channel: str):
    """Posts the outcome of the guarded tasks to a (pretend) chat channel."""
    outcome = "succeeded" if status.state == "SUCCEEDED" else f"ended in state {status.state}"
    print(f"[{channel}] job {status.pipeline_job_resource_name}: {status.pipeline_task_name} {outcome}")
    if status.error_code:
        print(f"[{channel}] error {status.error_code}: {status.error_message}")


@dsl.pipeline(name="guarded-etl")
def guarded_etl(rows: int = 100, seed: int = 0, fail: bool = False, channel: str = "#data-alerts"):
    notify = report_outcome(channel=channel)
    with dsl.ExitHandler(notify, name="etl"):
        extracted = extract(rows=rows, seed=seed)
        transformed = transform(raw=extracted.outputs["raw"], fail=fail)
        load(clean=transformed.outputs["clean"], row_count=transformed.outputs["Output"])
