"""Artifacts in and out of a real task process: typed objects, paths, metadata, lists, metrics."""

from __future__ import annotations

from pathlib import Path

from tests.runtime.conftest import Task, runtime_artifact


def test_input_and_output_artifacts_carry_uri_and_metadata(task: Task) -> None:
    source = """
    def train(data: Input[Dataset], model: Output[Model], epochs: int) -> str:
        with open(data.path) as f:
            rows = f.read().splitlines()
        with open(model.path, "w") as f:
            f.write(f"trained on {len(rows)} rows for {epochs} epochs")
        model.framework = "sklearn"
        model.metadata["rows"] = len(rows)
        return f"{type(data).__name__} {data.name} {data.metadata['source']} {type(model).__name__}"
    """
    data_file = task.root / "data.csv"
    data_file.write_text("a\nb\nc\n")
    executor_input = task.executor_input(
        parameters={"epochs": 2},
        input_artifacts={
            "data": [runtime_artifact(data_file, "system.Dataset", {"source": "s3"}, name="raw")]
        },
        output_artifacts={"model": "system.Model"},
    )
    # The model's directory does not exist yet: the runtime creates the parent of every output path.
    executor_input["outputs"]["artifacts"]["model"]["artifacts"][0]["uri"] = str(task.root / "deep/er/model")
    result = task.run_ok(source, "train", executor_input)
    assert result.executor_output["parameterValues"]["Output"] == "Dataset raw s3 Model"
    assert result.output_artifacts("model") == [
        {
            "name": "model",
            "uri": str(task.root / "deep/er/model"),
            "metadata": {"framework": "sklearn", "rows": 3},
        }
    ]
    assert (task.root / "deep/er/model").read_text() == "trained on 3 rows for 2 epochs"


def test_artifact_class_follows_the_executor_input_schema_title(task: Task) -> None:
    source = """
    def inspect_types(generic: Input[Artifact], bare: Dataset, out: Output[Artifact]) -> list:
        return [type(generic).__name__, type(bare).__name__, type(out).__name__]
    """
    executor_input = task.executor_input(
        input_artifacts={
            "generic": [runtime_artifact("/x/model", "system.Model")],
            "bare": [runtime_artifact("/x/data", "google.UnknownType")],
        },
        output_artifacts={"out": "system.HTML"},
    )
    result = task.run_ok(source, "inspect_types", executor_input)
    assert result.executor_output["parameterValues"]["Output"] == ["Model", "Dataset", "HTML"]


def test_remote_uris_map_to_kfp_mount_paths(task: Task) -> None:
    source = """
    def paths(a: Input[Artifact], b: Input[Artifact], c: Input[Artifact], d: Input[Artifact],
              e: Input[Artifact]) -> list:
        return [a.path, b.path, c.path, d.path, e.path]
    """
    uris = {
        "a": "gs://bucket/x/y",
        "b": "s3://bucket/k",
        "c": "minio://mlpipeline/v2/art",
        "d": "file:///tmp/local/file",
        "e": "/already/local",
    }
    executor_input = task.executor_input(
        input_artifacts={name: [runtime_artifact(uri)] for name, uri in uris.items()}
    )
    result = task.run_ok(source, "paths", executor_input)
    assert result.executor_output["parameterValues"]["Output"] == [
        "/gcs/bucket/x/y",
        "/s3/bucket/k",
        "/minio/mlpipeline/v2/art",
        "/tmp/local/file",
        "/already/local",
    ]


def test_optional_input_artifact_absent_is_none(task: Task) -> None:
    source = """
    def maybe(data: Optional[Input[Dataset]] = None) -> str:
        return repr(data)
    """
    result = task.run_ok(source, "maybe", task.executor_input())
    assert result.executor_output["parameterValues"]["Output"] == "None"


def test_metrics_metadata_lands_in_executor_output(task: Task) -> None:
    source = """
    def evaluate(metrics: Output[Metrics]):
        metrics.log_metric("accuracy", 0.9)
        metrics.log_metric("samples", 120)
    """
    executor_input = task.executor_input(output_artifacts={"metrics": "system.Metrics"})
    result = task.run_ok(source, "evaluate", executor_input)
    (metrics,) = result.output_artifacts("metrics")
    assert metrics["metadata"] == {"accuracy": 0.9, "samples": 120}
    assert result.executor_output.get("parameterValues") is None


def test_classification_metrics_metadata_has_kfp_layout(task: Task) -> None:
    source = """
    def evaluate(metrics: Output[ClassificationMetrics]):
        metrics.log_roc_curve(fpr=[0.0, 0.5], tpr=[0.2, 1.0], threshold=[0.9, 0.1])
        metrics.log_roc_data_point(fpr=1.0, tpr=1.0, threshold=0.0)
        metrics.set_confusion_matrix_categories(["cat", "dog"])
        metrics.log_confusion_matrix_row("cat", [8, 2])
        metrics.log_confusion_matrix_cell("dog", "dog", 9)
    """
    executor_input = task.executor_input(output_artifacts={"metrics": "system.ClassificationMetrics"})
    result = task.run_ok(source, "evaluate", executor_input)
    (metrics,) = result.output_artifacts("metrics")
    assert metrics["metadata"] == {
        "confidenceMetrics": [
            {"confidenceThreshold": 0.9, "recall": 0.2, "falsePositiveRate": 0.0},
            {"confidenceThreshold": 0.1, "recall": 1.0, "falsePositiveRate": 0.5},
            {"confidenceThreshold": 0.0, "recall": 1.0, "falsePositiveRate": 1.0},
        ],
        "confusionMatrix": {
            "annotationSpecs": [{"displayName": "cat"}, {"displayName": "dog"}],
            "rows": [{"row": [8, 2]}, {"row": [0, 9]}],
        },
    }


def test_sliced_classification_metrics_metadata(task: Task) -> None:
    source = """
    def evaluate(metrics: Output[SlicedClassificationMetrics]):
        metrics.load_roc_readings("young", [[0.5, 0.8, 0.1]])
        metrics.load_confusion_matrix("old", ["no", "yes"], [[3, 1], [0, 4]])
        metrics.log_roc_reading("old", threshold=0.2, tpr=0.9, fpr=0.3)
    """
    executor_input = task.executor_input(output_artifacts={"metrics": "system.SlicedClassificationMetrics"})
    result = task.run_ok(source, "evaluate", executor_input)
    (metrics,) = result.output_artifacts("metrics")
    assert metrics["metadata"] == {
        "evaluationSlices": [
            {
                "slice": "young",
                "sliceClassificationMetrics": {
                    "confidenceMetrics": [
                        {"confidenceThreshold": 0.5, "recall": 0.8, "falsePositiveRate": 0.1}
                    ]
                },
            },
            {
                "slice": "old",
                "sliceClassificationMetrics": {
                    "confusionMatrix": {
                        "annotationSpecs": [{"displayName": "no"}, {"displayName": "yes"}],
                        "rows": [{"row": [3, 1]}, {"row": [0, 4]}],
                    },
                    "confidenceMetrics": [
                        {"confidenceThreshold": 0.2, "recall": 0.9, "falsePositiveRate": 0.3}
                    ],
                },
            },
        ]
    }


def test_input_path_and_output_path(task: Task) -> None:
    source = """
    def copy(source: InputPath("Dataset"), copied: OutputPath(Dataset), count: OutputPath(int),
             message: OutputPath("String"), flags: OutputPath(List[bool])):
        import os
        for path in (copied, count, message, flags):
            assert os.path.isdir(os.path.dirname(path)), path
        with open(source) as f:
            text = f.read()
        with open(copied, "w") as f:
            f.write(text.upper())
        with open(count, "w") as f:
            f.write(str(len(text)))
        with open(message, "w") as f:
            f.write("copied\\n")
        with open(flags, "w") as f:
            f.write("[true, false]")
    """
    source_file = task.root / "in.txt"
    source_file.write_text("abc")
    executor_input = task.executor_input(
        input_artifacts={"source": [runtime_artifact(source_file, "system.Dataset")]},
        output_parameters=["count", "message", "flags"],
        output_artifacts={"copied": "system.Dataset"},
    )
    result = task.run_ok(source, "copy", executor_input)
    (copied,) = result.output_artifacts("copied")
    assert Path(copied["uri"]).read_text() == "ABC"
    assert result.parameter_file("count") == "3"
    # What the function wrote to parameter paths is also reported in the executor output, typed.
    assert result.executor_output["parameterValues"] == {
        "count": 3,
        "message": "copied\n",
        "flags": [True, False],
    }


def test_input_path_of_a_parameter_reads_the_value_from_a_file(task: Task) -> None:
    source = """
    def read(config: InputPath(dict)) -> str:
        with open(config) as f:
            return f.read()
    """
    result = task.run_ok(source, "read", task.executor_input(parameters={"config": {"lr": 0.1}}))
    assert result.executor_output["parameterValues"]["Output"] == '{"lr": 0.1}'


def test_lists_of_artifacts_in_and_out(task: Task) -> None:
    source = """
    def merge(parts: Input[List[Dataset]], bare_parts: List[Dataset], models: Output[List[Model]]) -> list:
        texts = []
        for part in parts + bare_parts:
            with open(part.path) as f:
                texts.append(f"{type(part).__name__}:{f.read()}")
        for index, model in enumerate(models):
            with open(model.path, "w") as f:
                f.write(str(index))
            model.metadata["index"] = index
        return texts
    """
    files = []
    for index in range(3):
        path = task.root / f"part{index}"
        path.write_text(str(index))
        files.append(path)
    executor_input = task.executor_input(
        input_artifacts={
            "parts": [
                runtime_artifact(files[0], "system.Dataset"),
                runtime_artifact(files[1], "system.Dataset"),
            ],
            "bare_parts": [runtime_artifact(files[2], "system.Dataset")],
        }
    )
    model_uris = [str(task.root / "models" / name) for name in ("m0", "m1")]
    executor_input["outputs"]["artifacts"]["models"] = {
        "artifacts": [runtime_artifact(uri, "system.Model", name=f"m{i}") for i, uri in enumerate(model_uris)]
    }
    result = task.run_ok(source, "merge", executor_input)
    assert result.executor_output["parameterValues"]["Output"] == ["Dataset:0", "Dataset:1", "Dataset:2"]
    assert result.output_artifacts("models") == [
        {"name": "m0", "uri": model_uris[0], "metadata": {"index": 0}},
        {"name": "m1", "uri": model_uris[1], "metadata": {"index": 1}},
    ]
    assert [Path(uri).read_text() for uri in model_uris] == ["0", "1"]


def test_empty_list_of_input_artifacts(task: Task) -> None:
    source = """
    def count(parts: Input[List[Dataset]]) -> int:
        return len(parts)
    """
    result = task.run_ok(source, "count", task.executor_input(input_artifacts={"parts": []}))
    assert result.executor_output["parameterValues"]["Output"] == 0
    result = task.run_ok(source, "count", task.executor_input())
    assert result.executor_output["parameterValues"]["Output"] == 0


def test_returned_artifact_content_is_written_to_its_path(task: Task) -> None:
    source = """
    def render() -> Markdown:
        return "# Title"
    """
    result = task.run_ok(
        source, "render", task.executor_input(output_artifacts={"Output": "system.Markdown"})
    )
    (markdown,) = result.output_artifacts("Output")
    assert Path(markdown["uri"]).read_text() == "# Title"
