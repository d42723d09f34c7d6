"""Runs whose pipeline root is an S3 bucket (a real SeaweedFS server): tasks see local files, the bucket
holds the artifacts and logs, outputs chain from task to task, metrics are recorded and the cache hits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import s3fs
from sqlalchemy import select

import sluice
from sluice import dsl
from sluice.dsl import Dataset, Input, Metrics, Model, Output
from sluice.engine import EngineError
from sluice.store import Store
from sluice.store.models import RunMetric
from tests.seaweedfs import S3Server


@dsl.component
def make_rows(count: int, rows: Output[Dataset]) -> None:
    with open(rows.path, "w") as handle:
        handle.write("\n".join(str(number) for number in range(count)))
    rows.metadata["count"] = count


@dsl.component
def train(rows: Input[Dataset], model: Output[Model], metrics: Output[Metrics]) -> None:
    import os

    with open(rows.path) as handle:
        numbers = [int(line) for line in handle]
    os.makedirs(model.path)  # a folder artifact: every file in it goes to the bucket
    with open(os.path.join(model.path, "weights.txt"), "w") as handle:
        handle.write(str(sum(numbers)))
    metrics.log_metric("accuracy", 0.75)
    print("trained on", len(numbers), "rows")


@dsl.component
def evaluate(model: Input[Model]) -> str:
    import os

    with open(os.path.join(model.path, "weights.txt")) as handle:
        return handle.read()


@dsl.pipeline
def train_and_evaluate(count: int = 5) -> str:
    rows = make_rows(count=count)
    trained = train(rows=rows.outputs["rows"])
    return evaluate(model=trained.outputs["model"]).output


def _bucket(s3: S3Server) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False, **_credentials(s3))


def _credentials(s3: S3Server) -> dict[str, object]:
    env = s3.environment()
    return {
        "endpoint_url": env["AWS_ENDPOINT_URL"],
        "key": env["AWS_ACCESS_KEY_ID"],
        "secret": env["AWS_SECRET_ACCESS_KEY"],
    }


def test_s3_root_stores_artifacts_and_logs_chains_outputs_and_caches(
    home: Path, s3_environment: S3Server
) -> None:
    root = f"s3://{s3_environment.bucket}/engine-test"
    result = sluice.run(train_and_evaluate, {"count": 5}, home=home, pipeline_root=root, handle_sigint=False)
    assert result.succeeded, result.error
    assert result.outputs == {"Output": "10"}

    trained = result.task("train")
    model_uri = trained.outputs["model"]
    assert model_uri == f"{root}/{result.run_id}/train/model"
    bucket = _bucket(s3_environment)
    assert bucket.cat_file(f"{model_uri.removeprefix('s3://')}/weights.txt") == b"10"
    assert bucket.cat_file(result.task("make-rows").outputs["rows"].removeprefix("s3://")) == b"0\n1\n2\n3\n4"
    assert trained.log_path == f"{root}/{result.run_id}/train/.sluice/attempt-1.log"
    assert b"trained on 5 rows" in bucket.cat_file(trained.log_path.removeprefix("s3://"))

    store = Store.open(f"sqlite:///{home / 'sluice.db'}")
    try:
        with store.read_session() as session:
            metrics = session.scalars(select(RunMetric).where(RunMetric.run_id == result.run_id)).all()
        assert {(metric.name, metric.value) for metric in metrics} == {("accuracy", 0.75)}
    finally:
        store.close()

    again = sluice.run(train_and_evaluate, {"count": 5}, home=home, pipeline_root=root, handle_sigint=False)
    assert again.succeeded, again.error
    assert {task.name: task.state for task in again.tasks if task.kind == "container"} == {
        "make-rows": "CACHED",
        "train": "CACHED",
        "evaluate": "CACHED",
    }
    assert again.outputs == {"Output": "10"}


def test_s3_root_with_a_missing_bucket_or_a_bad_endpoint_names_the_url(
    home: Path, s3_environment: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(EngineError, match=r"bucket 'no-such-bucket' does not exist at http://127\.0\.0\.1"):
        sluice.run(train_and_evaluate, home=home, pipeline_root="s3://no-such-bucket/x", handle_sigint=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(EngineError, match=r"cannot reach bucket .* at http://127\.0\.0\.1:9"):
        sluice.run(
            train_and_evaluate,
            home=home,
            pipeline_root=f"s3://{s3_environment.bucket}/x",
            handle_sigint=False,
        )


def test_cli_run_takes_an_s3_artifact_root(home: Path, s3_environment: S3Server, tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    sluice_command = str(Path(sys.executable).parent / "sluice")
    root = f"s3://{s3_environment.bucket}/cli-test"
    completed = subprocess.run(
        [sluice_command, "run", str(examples / "nested_pipeline.py"), "--artifact-root", root, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    run_id = json.loads(completed.stdout)["run_id"]
    assert _bucket(s3_environment).find(f"{s3_environment.bucket}/cli-test/{run_id}")
    missing = subprocess.run(
        [
            sluice_command,
            "run",
            str(examples / "nested_pipeline.py"),
            "--artifact-root",
            "s3://no-such-bucket/x",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2
    assert "bucket 'no-such-bucket' does not exist" in missing.stderr
