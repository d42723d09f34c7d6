"""KFP v2beta1 completeness for pipelines, in process on SQLite: PATCH UpdatePipeline/UpdatePipelineVersion
with tags stored, returned and filtered; versions created from a ``package_url`` served by a local HTTP
server (allowed by the setting), and the SSRF guard's refusals."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice import dsl
from sluice.compiler import Compiler
from sluice.server import ServerConfig, create_app
from sluice.server._packages import MAX_PACKAGE_BYTES
from tests.server.conftest import assert_kfp_error

API = "/apis/v2beta1"


@dsl.component
def hello(text: str) -> str:
    return text


@dsl.pipeline(name="hello-pipeline")
def hello_pipeline(text: str = "hi") -> None:
    hello(text=text)


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/redirect-to-localhost"):
            port = self.server.server_address[1]  # type: ignore[index]  # an IPv4 (host, port)
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/hello.yaml")
            self.end_headers()
            return
        if self.path.startswith("/redirect-relative"):
            self.send_response(302)
            self.send_header("Location", "/hello.yaml")
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local HTTP server of a compiled package, a big file and a redirect; its base URL."""
    folder = tmp_path_factory.mktemp("served")
    Compiler().compile(hello_pipeline, str(folder / "hello.yaml"))
    with (folder / "big.yaml").open("wb") as big:
        big.truncate(MAX_PACKAGE_BYTES + 1)  # sparse: one byte over the limit
    (folder / "not-a-pipeline.yaml").write_text("just: text\n")

    def handler(*args: Any, **kwargs: Any) -> _Files:
        return _Files(*args, directory=str(folder), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _client(home: Path, **settings: Any) -> TestClient:
    config = ServerConfig.resolve(home=home, port=1, **settings)
    return TestClient(create_app(config), base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with _client(tmp_path_factory.mktemp("home"), package_hosts=["127.0.0.1"]) as client:
        yield client


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A service with the default guard: no host may resolve to a non-public address."""
    with _client(tmp_path_factory.mktemp("guarded")) as client:
        yield client


def _create_from_url(client: TestClient, name: str, url: str, **pipeline: Any) -> Any:
    return client.post(
        f"{API}/pipelines/create",
        json={
            "pipeline": {"name": name, **pipeline},
            "pipeline_version": {"name": f"{name}-v1", "package_url": {"pipeline_url": url}},
        },
    )


def test_create_pipeline_and_version_from_a_package_url(api: TestClient, files: str) -> None:
    response = _create_from_url(api, "from-url", f"{files}/hello.yaml", tags={"team": "vision"})
    assert response.status_code == 200, response.text
    pipeline = response.json()
    assert pipeline["tags"] == {"team": "vision"}
    (version,) = api.get(f"{API}/pipelines/{pipeline['pipeline_id']}/versions").json()["pipeline_versions"]
    assert version["package_url"] == {"pipeline_url": f"{files}/hello.yaml"}
    assert version["pipeline_spec"]["pipelineInfo"]["name"] == "hello-pipeline"

    # CreatePipelineVersion from a URL too, following a relative redirect on the same (allowed) host.
    response = api.post(
        f"{API}/pipelines/{pipeline['pipeline_id']}/versions",
        json={"name": "v2", "package_url": {"pipeline_url": f"{files}/redirect-relative"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["pipeline_spec"]["root"]


def test_package_url_problems_are_clear_and_store_nothing(api: TestClient, files: str) -> None:
    cases = {
        f"{files}/missing.yaml": "HTTP 404",
        f"{files}/big.yaml": "larger than",
        f"{files}/not-a-pipeline.yaml": "pipeline",
        "file:///etc/passwd": "only http, https and s3",
        "ftp://example.com/p.yaml": "only http, https and s3",
        "http://no-such-host.invalid/p.yaml": "cannot resolve",
        # The redirect's host name (localhost) is not the allowed one (127.0.0.1): checked again, refused.
        f"{files}/redirect-to-localhost": "loopback, private",
    }
    for index, (url, fragment) in enumerate(cases.items()):
        assert_kfp_error(_create_from_url(api, f"bad-{index}", url), 400, fragment)
    names = {p["name"] for p in api.get(f"{API}/pipelines", params={"page_size": 100}).json()["pipelines"]}
    assert not any(name.startswith("bad-") for name in names)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/p.yaml",
        "http://localhost/p.yaml",
        "http://[::1]/p.yaml",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/p.yaml",
        "http://192.168.1.1/p.yaml",
        "http://172.16.0.1/p.yaml",
        "http://0.0.0.0/p.yaml",
        "http://[::ffff:127.0.0.1]/p.yaml",
        "http://2130706433/p.yaml",  # 127.0.0.1 written as one number
    ],
)
def test_the_ssrf_guard_refuses_non_public_addresses(guarded: TestClient, url: str) -> None:
    body = assert_kfp_error(_create_from_url(guarded, "ssrf", url), 400, "package_url")
    assert "does not fetch from" in body["message"] or "cannot resolve" in body["message"], body


def test_the_guard_refuses_the_local_server_unless_allowed(guarded: TestClient, files: str) -> None:
    assert_kfp_error(_create_from_url(guarded, "local", f"{files}/hello.yaml"), 400, "--allow-package-host")


def test_update_pipeline_and_version_with_tags_filtered(api: TestClient, files: str) -> None:
    pipeline = _create_from_url(api, "patched", f"{files}/hello.yaml").json()
    pipeline_id = pipeline["pipeline_id"]
    response = api.patch(
        f"{API}/pipelines/{pipeline_id}",
        json={"display_name": "Patched pipeline", "description": "new words", "tags": {"stage": "prod"}},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["display_name"], updated["description"], updated["tags"]) == (
        "Patched pipeline",
        "new words",
        {"stage": "prod"},
    )
    assert updated["name"] == "patched"
    # A partial update leaves what it does not name; tags given replace them all.
    api.patch(f"{API}/pipelines/{pipeline_id}", json={"tags": {"stage": "dev", "owner": "ana"}})
    again = api.get(f"{API}/pipelines/{pipeline_id}").json()
    assert again["display_name"] == "Patched pipeline"
    assert again["tags"] == {"owner": "ana", "stage": "dev"}

    def names(filter_: dict[str, Any], path: str = "/pipelines") -> set[str]:
        response = api.get(f"{API}{path}", params={"filter": json.dumps(filter_), "page_size": 100})
        assert response.status_code == 200, response.text
        key = "pipelines" if path == "/pipelines" else "pipeline_versions"
        return {item["name"] for item in response.json()[key]}

    def equals(key: str, value: str) -> dict[str, Any]:
        return {"predicates": [{"key": key, "operation": "EQUALS", "string_value": value}]}

    assert names(equals("tags.stage", "dev")) == {"patched"}
    assert names(equals("tags.stage", "prod")) == set()
    assert "patched" in names(
        {"predicates": [{"key": "tags.owner", "operation": "IS_SUBSTRING", "string_value": "n"}]}
    )
    assert "patched" not in names(
        {"predicates": [{"key": "tags.stage", "operation": "NOT_EQUALS", "string_value": "dev"}]}
    )

    (version,) = api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"]
    version_path = f"{API}/pipelines/{pipeline_id}/versions/{version['pipeline_version_id']}"
    response = api.patch(version_path, json={"display_name": "First", "tags": {"git": "abc123"}})
    assert response.status_code == 200, response.text
    assert api.get(version_path).json()["tags"] == {"git": "abc123"}
    assert api.get(version_path).json()["display_name"] == "First"
    assert names(equals("tags.git", "abc123"), f"/pipelines/{pipeline_id}/versions") == {"patched-v1"}

    # Clearing: an empty map removes every tag.
    api.patch(f"{API}/pipelines/{pipeline_id}", json={"tags": {}})
    assert "tags" not in api.get(f"{API}/pipelines/{pipeline_id}").json()


def test_updates_refuse_what_cannot_change(api: TestClient, files: str) -> None:
    pipeline = _create_from_url(api, "fixed", f"{files}/hello.yaml").json()
    pipeline_id = pipeline["pipeline_id"]
    path = f"{API}/pipelines/{pipeline_id}"
    assert_kfp_error(api.patch(path, json={"name": "renamed"}), 400, "name cannot change")
    assert_kfp_error(api.patch(path, json={"tags": {"k": "v" * 300}}), 400, "longer than 255")
    assert_kfp_error(api.patch(path, json={"tags": {"": "v"}}), 400, "tag key is empty")
    assert_kfp_error(api.patch(path, json={"tags": {"k": "a\nb"}}), 400, "control character")
    assert_kfp_error(api.patch(f"{API}/pipelines/nope", json={"description": "x"}), 404, "does not exist")
    (version,) = api.get(f"{path}/versions").json()["pipeline_versions"]
    version_path = f"{path}/versions/{version['pipeline_version_id']}"
    assert_kfp_error(api.patch(version_path, json={"pipeline_spec": {}}), 400, "cannot change")
    assert_kfp_error(api.patch(f"{path}/versions/nope", json={"description": "x"}), 404, "does not exist")
    sort = api.get(f"{API}/pipelines", params={"sort_by": "tags.stage"})
    assert_kfp_error(sort, 400, "do not sort by them")
    assert api.get(path).json()["name"] == "fixed"


def test_a_package_url_in_an_s3_bucket(
    s3_environment: Any, files: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """s3:// URLs are read with the AWS variables of the service (the endpoint is the administrator's)."""
    import urllib.request

    import s3fs

    env = s3_environment.environment()
    bucket = s3fs.S3FileSystem(
        endpoint_url=env["AWS_ENDPOINT_URL"],
        key=env["AWS_ACCESS_KEY_ID"],
        secret=env["AWS_SECRET_ACCESS_KEY"],
        skip_instance_cache=True,
    )
    key = f"{s3_environment.bucket}/packages/hello.yaml"
    with urllib.request.urlopen(f"{files}/hello.yaml") as response:  # the compiled package
        bucket.pipe(key, response.read())
    with _client(tmp_path_factory.mktemp("s3-home")) as client:
        created = _create_from_url(client, "from-s3", f"s3://{key}")
        assert created.status_code == 200, created.text
        missing = _create_from_url(client, "missing-s3", f"s3://{s3_environment.bucket}/packages/none.yaml")
        assert_kfp_error(missing, 400, "no such object")
        assert_kfp_error(_create_from_url(client, "no-key", "s3://bucket-only"), 400, "s3://BUCKET/KEY")
