"""Bring an existing file into a pipeline as an artifact with ``dsl.importer``.

``dsl.importer`` creates no data: it registers the file at ``artifact_uri`` as an artifact of the
given class (here a ``Dataset``), with optional metadata, so that downstream tasks consume it
exactly like an artifact another task produced. With ``reimport=False`` a URI that was imported
before is reused instead of being registered again.

The URI is a pipeline parameter. The repository ships a small CSV for it: run the pipeline with
``data_uri=file://<absolute path of the checkout>/examples/data/weather.csv``.
"""

from sluice import dsl
from sluice.dsl import Dataset, Input, Markdown, Output


@dsl.component
def summarize_weather(readings: Input[Dataset], summary: Output[Markdown]) -> str:
    """Writes each city's mean temperature and total rain as a Markdown table; returns the warmest city."""
    import csv
    import statistics
    from collections import defaultdict

    temperatures = defaultdict(list)
    rain = defaultdict(float)
    with open(readings.path, newline="") as f:
        for row in csv.DictReader(f):
            temperatures[row["city"]].append(float(row["temperature_c"]))
            rain[row["city"]] += float(row["rain_mm"])
    means = {city: statistics.fmean(values) for city, values in temperatures.items()}
    lines = ["| city | mean °C | rain mm |", "| --- | --- | --- |"]
    lines += [f"| {city} | {means[city]:.1f} | {rain[city]:.1f} |" for city in sorted(means)]
    with open(summary.path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return max(means, key=means.get)


@dsl.pipeline(name="weather-summary")
def weather_summary(data_uri: str) -> str:
    readings = dsl.importer(
        artifact_uri=data_uri,
        artifact_class=Dataset,
        reimport=False,
        metadata={"source": "examples/data/weather.csv", "format": "csv"},
    )
    summary = summarize_weather(readings=readings.output)
    return summary.outputs["Output"]
