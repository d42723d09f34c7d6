"""``deploy_model`` in a pipeline on a real ``sluice up``: train, evaluate, and deploy only when the candidate
beats the revision serving; a model from a run is deployed by RUN_ID/TASK/OUTPUT; revisions and the runs
and artifacts they came from link both ways."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from sluice.client import Client
from sluice.compiler import Compiler
from tests.server.conftest import SLUICE, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "serving" / "train_evaluate_deploy.py"
NAME = "blobs"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_evaluate_deploy", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("package") / "train_evaluate_deploy.yaml"
    Compiler().compile(module.train_evaluate_deploy, str(path))
    return path


def _run(client: Client, package: Path, **arguments: object) -> dict[str, str]:
    run = client.wait(client.submit(package, {"deployment": NAME, **arguments}).run_id, timeout=300)
    assert run.succeeded, (run.error, [(task.path, task.state, task.error) for task in run.tasks])
    return {task.name: task.state for task in run.tasks} | {"run_id": run.run_id}


def test_the_pipeline_deploys_only_a_model_that_beats_the_one_serving(
    serving_server: ServerProcess, client: Client, package: Path
) -> None:
    # Nothing serves yet: the trained model is deployed (the task found the service through $SLUICE_HOST).
    first = _run(client, package)
    assert first["deploy-model"] == "SUCCEEDED"
    deployment = client.get_deployment(NAME)
    assert deployment.traffic == {1: 100}
    revision = deployment.revision(1)
    assert revision.run_id == first["run_id"] and revision.artifact_id
    assert revision.raw["task_name"] == "train" and revision.raw["output_name"] == "model"
    predictions = httpx.post(
        f"{deployment.url}/v1/models/{NAME}:predict", json={"instances": [[2, 2], [-2, -2]]}
    )
    assert predictions.json() == {"predictions": [1, 0]}
    history = client.deployment_history(NAME)
    assert history[0].action == "create" and f"run {first['run_id']}" in history[0].detail["client"]

    # An untrained model (no epochs) scores worse than the one serving: the deploy step is skipped.
    second = _run(client, package, epochs=0)
    assert "deploy-model" not in second, second
    assert client.get_deployment(NAME).traffic == {1: 100}

    # A better-trained model on new data beats it and goes out as a canary.
    third = _run(client, package, epochs=60, seed=11, canary_percent=25)
    if third.get("deploy-model") == "SUCCEEDED":
        assert client.get_deployment(NAME).traffic == {1: 75, 2: 25}
    else:  # it did not score higher on its test set: nothing changed
        assert "deploy-model" not in third and client.get_deployment(NAME).traffic == {1: 100}

    # The run's page can find what it deployed: revisions by run, and by artifact.
    links = httpx.get(
        f"{serving_server.url}/apis/sluice/v1/revisions", params={"run_id": first["run_id"]}
    ).json()
    assert [(link["deployment"], link["revision"]) for link in links["revisions"]] == [(NAME, 1)]
    by_artifact = httpx.get(
        f"{serving_server.url}/apis/sluice/v1/revisions", params={"artifact_id": revision.artifact_id}
    ).json()
    assert [link["revision"] for link in by_artifact["revisions"]] == [1]


def test_a_runs_model_deploys_by_run_task_and_output(
    serving_server: ServerProcess, client: Client, package: Path
) -> None:
    run = _run(client, package, deployment="elsewhere", epochs=5)
    reference = f"{run['run_id']}/train/model"
    result = subprocess.run(
        [
            SLUICE,
            "deployments",
            "create",
            "from-run",
            "--model",
            reference,
            "--json",
            "--host",
            serving_server.url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["revisions"][0]["run_id"] == run["run_id"]
    assert created["revisions"][0]["output_name"] == "model"
    answer = httpx.post(f"{created['url']}/v1/models/from-run:predict", json={"instances": [[3, 3]]})
    assert answer.json() == {"predictions": [1]}

    missing = subprocess.run(
        [
            SLUICE,
            "deployments",
            "create",
            "nope",
            "--model",
            f"{run['run_id']}/train/weights",
            "--host",
            serving_server.url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "task 'root/train' has no output artifact 'weights' (its artifacts: model)" in missing.stderr
