"""Existing KServe clients work unchanged: the V1 and Open Inference Protocol (V2) requests exactly as KServe's
documentation sends them (``curl -d @iris-input.json``), and the readiness and metadata routes of both, on
the three kinds of predictor: the built-in scikit-learn runtime, a ``kserve.Model`` subclass as it is, and
a class with ``load``/``predict``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.client import Client
from tests.server.conftest import SLUICE, ServerProcess

# docs/samples/v1beta1/sklearn/iris-input.json in kserve/kserve, byte for byte (V2).
IRIS_V2 = b"""{
  "inputs": [
    {
      "name": "input-0",
      "shape": [2, 4],
      "datatype": "FP32",
      "data": [
        [6.8, 2.8, 4.8, 1.4],
        [6.0, 3.4, 4.5, 1.6]
      ]
    }
  ]
}
"""
# The V1 request of KServe's "first InferenceService" guide.
IRIS_V1 = b'{"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}'
# What curl -d sends when no type is given, and what clients that say JSON send.
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json"]

# A custom model written for KServe, as its docs show one: used as it is.
KSERVE_MODEL = """
from typing import Dict

from kserve import Model


class ScaledSum(Model):
    def __init__(self, name: str, model_dir: str):
        super().__init__(name)
        self.model_dir = model_dir
        self.ready = False
        self.load()

    def load(self) -> bool:
        with open(self.model_dir + "/scale") as handle:
            self.scale = float(handle.read())
        self.ready = True
        return self.ready

    def predict(self, payload: Dict, headers: Dict[str, str] = None) -> Dict:
        return {"predictions": [self.scale * sum(row) for row in payload["instances"]]}
"""


def _cli(server: ServerProcess, *arguments: str) -> dict[str, Any]:
    result = subprocess.run(
        [SLUICE, "deployments", *arguments, "--json", "--host", server.url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(scope="module")
def iris(serving_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An SVC trained on iris, saved as KServe's sample does (model.joblib), deployed with the CLI."""
    from joblib import dump
    from sklearn import datasets, svm

    folder = tmp_path_factory.mktemp("iris") / "model"
    folder.mkdir()
    iris_data = datasets.load_iris()
    dump(svm.SVC(gamma="scale").fit(iris_data.data, iris_data.target), folder / "model.joblib")
    deployment = _cli(
        serving_server, "create", "sklearn-iris", "--model", str(folder), "--predictor", "sklearn"
    )
    assert deployment["state"] == "READY"
    assert deployment["url"] == f"{serving_server.url}/serving/default/sklearn-iris"
    # A local model is copied into the service's artifact store.
    assert deployment["revisions"][0]["model_uri"].startswith(str(serving_server.home / "artifacts"))
    return str(deployment["url"])


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_kserve_v1_request_as_documented(iris: str, content_type: str) -> None:
    answer = httpx.post(
        f"{iris}/v1/models/sklearn-iris:predict", content=IRIS_V1, headers={"content-type": content_type}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"predictions": [1, 1]}
    assert answer.headers["x-sluice-revision"] == "1"


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_open_inference_protocol_v2_request_as_documented(iris: str, content_type: str) -> None:
    answer = httpx.post(
        f"{iris}/v2/models/sklearn-iris/infer", content=IRIS_V2, headers={"content-type": content_type}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_name"] == "sklearn-iris"
    assert body["outputs"] == [
        {"name": "output-0", "shape": [2], "datatype": "INT64", "parameters": None, "data": [1, 1]}
    ]


def test_v2_request_ids_come_back_and_versioned_paths_reach_kserve(iris: str) -> None:
    request = json.loads(IRIS_V2)
    request["id"] = "my-request-42"
    answer = httpx.post(f"{iris}/v2/models/sklearn-iris/infer", json=request)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == "my-request-42"
    # The versioned paths pass the router; KServe's ModelServer itself does not serve model versions yet.
    versioned = httpx.post(f"{iris}/v2/models/sklearn-iris/versions/1/infer", json=request)
    assert (versioned.status_code, versioned.json()) == (
        501,
        {"error": "Model versioning not supported yet."},
    )


READINESS_AND_METADATA = [
    pytest.param("/v1/models", {"models": ["sklearn-iris"]}, id="v1-models"),
    pytest.param("/v1/models/sklearn-iris", {"name": "sklearn-iris", "ready": True}, id="v1-model-ready"),
    pytest.param("/v2/health/live", {"live": True}, id="v2-live"),
    pytest.param("/v2/health/ready", {"ready": True}, id="v2-ready"),
    pytest.param(
        "/v2/models/sklearn-iris/ready", {"name": "sklearn-iris", "ready": True}, id="v2-model-ready"
    ),
]


@pytest.mark.parametrize(("path", "expected"), READINESS_AND_METADATA)
def test_readiness_routes(iris: str, path: str, expected: dict[str, Any]) -> None:
    answer = httpx.get(iris + path)
    assert answer.status_code == 200, answer.text
    assert answer.json() == expected


def test_metadata_routes(iris: str) -> None:
    server = httpx.get(f"{iris}/v2").json()
    assert server["name"] == "kserve" and "version" in server
    model = httpx.get(f"{iris}/v2/models/sklearn-iris").json()
    assert model["name"] == "sklearn-iris"
    assert {"inputs", "outputs", "platform"} <= set(model)


def test_a_kserve_model_subclass_is_served_as_it_is(serving_server: ServerProcess, tmp_path: Path) -> None:
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "scale").write_text("10")
    predictor = tmp_path / "scaled_sum.py"
    predictor.write_text(KSERVE_MODEL)
    deployment = _cli(
        serving_server, "create", "custom", "--model", str(folder), "--predictor", f"{predictor}:ScaledSum"
    )
    assert deployment["revisions"][0]["predictor"] == "scaled_sum.py:ScaledSum"
    answer = httpx.post(
        f"{deployment['url']}/v1/models/custom:predict", content=b'{"instances": [[1, 2], [3, 4]]}'
    )
    assert answer.json() == {"predictions": [30.0, 70.0]}


def test_a_predictor_class_gets_v2_rows_and_answers_v2(serving_server: ServerProcess, tmp_path: Path) -> None:
    folder = tmp_path / "rows"
    folder.mkdir()
    (folder / "predictor.py").write_text(
        "class Rows:\n"
        "    def load(self, model_path):\n"
        "        pass\n"
        "    def predict(self, instances):\n"
        "        return [sum(row) for row in instances]\n"
    )
    with Client(serving_server.url) as client:
        deployment = client.create_deployment("rows", folder)
    answer = httpx.post(f"{deployment.url}/v2/models/rows/infer", content=IRIS_V2)
    assert answer.status_code == 200, answer.text
    output = answer.json()["outputs"][0]
    assert output["shape"] == [2] and output["datatype"] == "FP64"
    assert output["data"] == pytest.approx([15.8, 15.5], rel=1e-6)
