"""What serving refuses, and how: a predictor that fails to load (the update is refused, the current revision
keeps serving), bad prediction requests (4xx, the model server lives on), and bad deployment requests (a
clear error naming the problem, nothing stored)."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.client import Client, DeploymentError
from tests.server.conftest import SLUICE, ServerProcess
from tests.serving.conftest import alive, replica_pids, tagged_model

FAILING_PREDICTOR = """
class Broken:
    def load(self, model_path):
        raise RuntimeError("the weights file is corrupt")

    def predict(self, instances):
        return instances
"""

# Features must be pairs of numbers; anything else is the model refusing the input (ValueError).
STRICT_PREDICTOR = """
class Strict:
    def load(self, model_path):
        pass

    def predict(self, instances):
        for row in instances:
            if not isinstance(row, list) or len(row) != 2:
                raise ValueError(f"each instance needs 2 features, got {row!r}")
        return [row[0] + row[1] for row in instances]
"""


def _folder(path: Path, source: str) -> Path:
    path.mkdir(parents=True)
    (path / "predictor.py").write_text(source)
    return path


@pytest.fixture(scope="module")
def strict(client: Client, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A deployment of the strict adder: its V1 predict URL."""
    deployment = client.create_deployment(
        "strict", _folder(tmp_path_factory.mktemp("strict") / "model", STRICT_PREDICTOR)
    )
    return f"{deployment.url}/v1/models/strict:predict"


def test_a_predictor_that_fails_to_load_is_refused_and_the_current_revision_keeps_serving(
    serving_server: ServerProcess, client: Client, tmp_path: Path
) -> None:
    client.create_deployment("steady", tagged_model(tmp_path / "good", "good"))
    url = f"{serving_server.url}/serving/default/steady/v1/models/steady:predict"
    broken = _folder(tmp_path / "broken", FAILING_PREDICTOR)

    with pytest.raises(DeploymentError) as refused:
        client.update_deployment("steady", broken)
    assert "revision 2 of 'steady' failed to load (revision 1 keeps serving)" in refused.value.message
    assert "Broken.load() failed: RuntimeError: the weights file is corrupt" in refused.value.message

    deployment = client.get_deployment("steady")
    assert deployment.traffic == {1: 100} and deployment.pending_revision is None
    assert deployment.revision(2).state == "FAILED"
    assert "the weights file is corrupt" in (deployment.revision(2).error or "")
    assert httpx.post(url, json={"instances": [1]}).json() == {"predictions": ["good"]}
    failed = client.deployment_history("steady")[-1]
    assert (failed.action, failed.revision, failed.actor) == ("failed", 2, "sluice")
    assert "the weights file is corrupt" in failed.detail["error"]

    # The CLI says the same and exits 1; nothing changed.
    result = subprocess.run(
        [
            SLUICE,
            "deployments",
            "update",
            "steady",
            "--model",
            str(broken),
            "--canary",
            "10",
            "--host",
            serving_server.url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "error: revision 3 of 'steady' failed to load (revision 1 keeps serving)" in result.stderr
    assert "the weights file is corrupt" in result.stderr
    assert client.get_deployment("steady").traffic == {1: 100}


def test_a_first_revision_that_fails_to_load_leaves_a_failed_deployment(
    client: Client, tmp_path: Path
) -> None:
    with pytest.raises(DeploymentError, match="no revision serves it"):
        client.create_deployment("stillborn", _folder(tmp_path / "broken", FAILING_PREDICTOR))
    deployment = client.get_deployment("stillborn")
    assert deployment.state == "FAILED" and deployment.traffic == {}
    answer = httpx.post(f"{deployment.url}/v1/models/stillborn:predict", json={"instances": [1]}, timeout=30)
    assert answer.status_code == 503
    assert "the weights file is corrupt" in answer.json()["error"]


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


BAD_PREDICTIONS = [
    pytest.param(b'{"instances": [[1, 2]', {}, 400, "Unrecognized request format", id="malformed-json"),
    pytest.param(b"not json at all", {}, 400, "Unrecognized request format", id="not-json"),
    pytest.param(b'{"instances": 5}', {}, 400, "instances", id="instances-not-a-list"),
    pytest.param(b'{"inputs_typo": []}', {}, 400, "instances", id="no-instances"),
    pytest.param(b'{"instances": [[1, 2, 3]]}', {}, 400, "each instance needs 2 features", id="wrong-shape"),
    pytest.param(b'{"instances": ["a"]}', {}, 400, "each instance needs 2 features", id="wrong-type"),
    pytest.param(b"", {}, 400, "", id="empty-body"),
]


@pytest.mark.parametrize(("body", "headers", "status", "message"), BAD_PREDICTIONS)
def test_bad_prediction_requests_get_4xx_and_the_model_server_lives_on(
    client: Client, strict: str, body: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    pids_before = replica_pids(client, "strict")[1]
    answer = httpx.post(
        strict, content=body, headers={"content-type": "application/json", **headers}, timeout=30
    )
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    good = httpx.post(strict, json={"instances": [[1, 2]]}, timeout=30)
    assert good.json() == {"predictions": [3]}
    assert replica_pids(client, "strict")[1] == pids_before and all(alive(pid) for pid in pids_before)


V2_BAD = [
    pytest.param(
        {"inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": [1, 2]}]},
        400,
        "shape",
        id="shape-mismatch",
    ),
    pytest.param(
        {"inputs": [{"name": "x", "shape": [2], "datatype": "NOPE", "data": [1, 2]}]},
        400,
        "datatype",
        id="bad-datatype",
    ),
    pytest.param({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32"}]}, 422, "data", id="no-data"),
    pytest.param({"inputs": 5}, 422, "inputs", id="inputs-not-a-list"),
]


@pytest.mark.parametrize(("body", "status", "message"), V2_BAD)
def test_bad_v2_requests_get_4xx(
    client: Client, strict: str, body: dict[str, Any], status: int, message: str
) -> None:
    url = strict.replace("/v1/models/strict:predict", "/v2/models/strict/infer")
    answer = httpx.post(url, json=body, timeout=30)
    assert answer.status_code == status, answer.text
    assert message in answer.text


def test_a_huge_body_is_refused_before_it_reaches_the_model_server(client: Client, strict: str) -> None:
    huge = b'{"instances": [' + b"[1, 2]," * (33 * 1024 * 1024 // 7) + b"[1, 2]]}"
    answer = httpx.post(strict, content=huge, headers={"content-type": "application/json"}, timeout=60)
    assert answer.status_code == 413
    assert "larger than" in answer.text
    assert httpx.post(strict, json={"instances": [[1, 2]]}).json() == {"predictions": [3]}


ROUTES = [
    pytest.param("GET", "/v1/models/strict:predict", 405, id="get-predict"),
    pytest.param("POST", "/v2/repository/models/strict/unload", 404, id="repository-unload"),
    pytest.param("POST", "/v2/repository/models/strict/load", 404, id="repository-load"),
    pytest.param("GET", "/metrics", 404, id="metrics"),
    pytest.param("GET", "/docs", 404, id="docs"),
    pytest.param("POST", "/v1/models/other:predict", 404, id="another-model"),
]


@pytest.mark.parametrize(("method", "path", "status"), ROUTES)
def test_only_inference_readiness_and_metadata_routes_pass(
    client: Client, strict: str, method: str, path: str, status: int
) -> None:
    base = strict.removesuffix("/v1/models/strict:predict")
    answer = httpx.request(method, base + path, json={"instances": [[1, 2]]}, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]
    # The model is still loaded after an attempted unload.
    assert httpx.get(f"{base}/v2/models/strict/ready").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/serving/default/nobody/v1/models/nobody:predict",
        "/serving/other/strict/v2/health/ready",
        "/serving/x",
    ],
)
def test_unknown_deployments_are_404(serving_server: ServerProcess, strict: str, path: str) -> None:
    answer = httpx.post(serving_server.url + path, json={"instances": []}, timeout=30)
    assert answer.status_code == 404
    assert "deployment" in answer.json()["error"]


API = "/apis/sluice/v1/deployments"
BAD_CREATES = [
    pytest.param({"name": "Bad_Name", "model": "/x"}, 400, "must be a DNS label", id="bad-name"),
    pytest.param(
        {"name": "ok", "namespace": "Team A", "model": "/x"},
        400,
        "namespace 'Team A' must be a DNS label",
        id="bad-namespace",
    ),
    pytest.param(
        {"name": "ok", "model": "/etc/passwd"}, 400, "lies outside the artifact root", id="outside-root"
    ),
    pytest.param(
        {"name": "ok", "model": "s3://bucket/model"}, 400, "lies outside the artifact root", id="other-store"
    ),
    pytest.param({"name": "ok", "model": "nope"}, 400, "RUN_ID/TASK/OUTPUT", id="not-a-reference"),
    pytest.param(
        {"name": "ok", "model": "no-such-run/train/model"},
        404,
        "run 'no-such-run' does not exist",
        id="no-run",
    ),
    pytest.param(
        {"name": "ok", "model": "/x", "predictor": "model.txt"},
        400,
        "expected 'sklearn' or FILE.py:CLASS",
        id="bad-predictor",
    ),
    pytest.param(
        {"name": "ok", "model": "/x", "predictor": "p.py:not a class"},
        400,
        "is not a Python class name",
        id="bad-class",
    ),
    pytest.param({"name": "ok", "model": "/x", "replicas": 0}, 400, "replicas", id="no-replicas"),
    pytest.param(
        {"name": "ok", "model": "/x", "resources": {"cpu": "lots"}}, 400, "not a CPU quantity", id="bad-cpu"
    ),
    pytest.param({"name": "ok", "model": "/x", "replica": 2}, 400, "replica", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "status", "message"), BAD_CREATES)
def test_bad_deployment_requests_are_refused_with_the_reason(
    serving_server: ServerProcess, client: Client, body: dict[str, Any], status: int, message: str
) -> None:
    before = {deployment.name for deployment in client.list_deployments()}
    artifacts = serving_server.home / "artifacts"
    if body.get("model") == "/x":
        (artifacts / "x").write_text("a model")
        body = {**body, "model": str(artifacts / "x")}
    answer = httpx.post(serving_server.url + API, json=body, timeout=30)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["message"]
    assert {deployment.name for deployment in client.list_deployments()} == before


def test_actions_that_do_not_apply_are_refused(
    serving_server: ServerProcess, client: Client, strict: str
) -> None:
    refusals = [
        ("POST", f"{API}/strict:promote", None, 400, "there is no canary to promote"),
        ("POST", f"{API}/strict:rollback", None, 400, "there is no previous revision to roll back to"),
        ("POST", f"{API}/strict:rollback", {"to_revision": 7}, 404, "has no revision 7"),
        ("POST", f"{API}/strict:rollback", {"to_revision": 1}, 400, "already the current revision"),
        ("POST", f"{API}/strict:update", {"model": "/x", "canary_percent": 150}, 400, "canary_percent"),
        ("POST", f"{API}/nobody:promote", None, 404, "there is no deployment 'nobody'"),
        (
            "POST",
            API,
            {"name": "strict", "model": str(serving_server.home / "artifacts" / "x")},
            409,
            "already exists",
        ),
    ]
    (serving_server.home / "artifacts" / "x").write_text("a model")
    for method, path, body, status, message in refusals:
        answer = httpx.request(method, serving_server.url + path, json=body, timeout=30)
        assert answer.status_code == status, (path, answer.text)
        assert message in answer.json()["message"], (path, answer.text)
    assert [action.action for action in client.deployment_history("strict")] == ["create", "ready"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        pytest.param({"../escape.txt": b"x"}, "would land outside its folder", id="parent-path"),
        pytest.param({"/abs.txt": b"x"}, "would land outside its folder", id="absolute-path"),
        pytest.param({"a.txt": b"x", "b.txt": b"y"}, "exactly one named file or folder", id="two-tops"),
    ],
)
def test_uploads_cannot_write_outside_their_folder(
    serving_server: ServerProcess, members: dict[str, bytes], message: str
) -> None:
    answer = httpx.post(
        f"{serving_server.url}/apis/sluice/v1/models:upload",
        files={"uploadfile": ("m.tar.gz", _tar_gz(members), "application/gzip")},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["message"]
    assert not (serving_server.home / "escape.txt").exists()
    assert not Path("/abs.txt").exists()


def test_the_deployments_api_is_in_the_served_openapi_document(serving_server: ServerProcess) -> None:
    document = httpx.get(f"{serving_server.url}/apis/v2beta1/openapi.json").json()
    paths = document["paths"]
    for path in (
        API,
        f"{API}/{{name}}",
        f"{API}/{{name}}:update",
        f"{API}/{{name}}:promote",
        f"{API}/{{name}}:rollback",
        f"{API}/{{name}}:scale",
        f"{API}/{{name}}/history",
        f"{API}/{{name}}/metrics",
        "/apis/sluice/v1/models:upload",
    ):
        assert path in paths, path
    created = paths[API]["post"]
    assert created["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/DeploymentCreate"
    )
    assert created["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Deployment"
    )
    assert {"url", "traffic", "revisions"} <= set(
        document["components"]["schemas"]["Deployment"]["properties"]
    )


def test_the_core_install_does_not_import_kserve() -> None:
    code = "import sys, sluice.server._app, sluice.serving, sluice.client, sluice.cli; print('kserve' in sys.modules)"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )


def test_a_revision_asking_for_more_than_the_machine_has_fails_with_the_reason(
    client: Client, tmp_path: Path
) -> None:
    # The test service runs with SLUICE_GPUS=0: no GPU to give.
    with pytest.raises(DeploymentError, match=r"not enough free resources .* 0 of 0 GPUs"):
        client.create_deployment("greedy", tagged_model(tmp_path / "model", "g"), resources={"gpus": 1})
    assert client.get_deployment("greedy").state == "FAILED"


HEADER_ECHO = """
from kserve import Model


class HeaderEcho(Model):
    def __init__(self, name):
        super().__init__(name)
        self.ready = True

    def predict(self, payload, headers=None):
        return {"predictions": sorted(headers or {})}
"""


def test_credentials_sent_to_the_stable_url_do_not_reach_the_model(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "echo"
    folder.mkdir()
    (folder / "predictor.py").write_text(HEADER_ECHO)
    deployment = client.create_deployment("headers", folder)
    answer = httpx.post(
        f"{deployment.url}/v1/models/headers:predict",
        json={"instances": [1]},
        headers={"authorization": "Bearer secret-token", "cookie": "session=secret", "x-request-id": "r-1"},
    )
    seen = answer.json()["predictions"]
    assert "x-request-id" in seen and "content-type" in seen
    assert not {"authorization", "cookie"} & set(seen)
