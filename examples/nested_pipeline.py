"""Use a pipeline as a component inside another pipeline.

``ingest_sensor`` is a pipeline in its own right (generate raw readings, then clean them) that
returns two outputs through a ``NamedTuple``: a parameter (how many readings survived cleaning)
and an artifact (the cleaned ``Dataset``). ``sensor_comparison``, the pipeline this file compiles,
calls it twice like any component, with different arguments, and compares the results: a
nested pipeline's outputs are consumed exactly like a component's.
"""

from typing import NamedTuple

from sluice import dsl
from sluice.dsl import Dataset, Input, Output

IngestOutputs = NamedTuple("IngestOutputs", [("rows_kept", int), ("cleaned", Dataset)])


@dsl.component
def generate_readings(sensor: str, count: int, seed: int, readings: Output[Dataset]):
    """Writes ``count`` raw readings, a few of them corrupt (empty or out of range)."""
    import random

    rng = random.Random(f"{sensor}-{seed}")
    with open(readings.path, "w") as f:
        for _ in range(count):
            roll = rng.random()
            if roll < 0.05:
                f.write("\n")
            elif roll < 0.1:
                f.write("9999\n")
            else:
                f.write(f"{rng.gauss(50.0, 10.0):.2f}\n")
    readings.metadata["sensor"] = sensor


@dsl.component
def clean_readings(raw: Input[Dataset], low: float, high: float, cleaned: Output[Dataset]) -> int:
    """Keeps the readings within [low, high]; returns how many were kept."""
    with open(raw.path) as f:
        values = [float(line) for line in f if line.strip()]
    kept = [v for v in values if low <= v <= high]
    with open(cleaned.path, "w") as f:
        f.writelines(f"{v}\n" for v in kept)
    return len(kept)


@dsl.pipeline
def ingest_sensor(sensor: str, count: int = 200, seed: int = 0) -> IngestOutputs:
    """Generates and cleans one sensor's readings."""
    raw = generate_readings(sensor=sensor, count=count, seed=seed)
    cleaned = clean_readings(raw=raw.outputs["readings"], low=0.0, high=100.0)
    return IngestOutputs(rows_kept=cleaned.outputs["Output"], cleaned=cleaned.outputs["cleaned"])


@dsl.component
def compare_sensors(first: Input[Dataset], second: Input[Dataset], first_kept: int, second_kept: int) -> str:
    """Compares the mean reading of the two cleaned datasets."""
    import statistics

    means = []
    for dataset in (first, second):
        with open(dataset.path) as f:
            means.append(statistics.fmean(float(line) for line in f))
    summary = (
        f"first: {first_kept} readings, mean {means[0]:.2f}; "
        f"second: {second_kept} readings, mean {means[1]:.2f}"
    )
    print(summary)
    return summary


@dsl.pipeline(name="sensor-comparison")
def sensor_comparison(count: int = 200) -> str:
    indoor = ingest_sensor(sensor="indoor", count=count, seed=1)
    outdoor = ingest_sensor(sensor="outdoor", count=count, seed=2)
    compared = compare_sensors(
        first=indoor.outputs["cleaned"],
        second=outdoor.outputs["cleaned"],
        first_kept=indoor.outputs["rows_kept"],
        second_kept=outdoor.outputs["rows_kept"],
    )
    return compared.output
