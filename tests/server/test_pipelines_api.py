"""Pipelines and versions over the REST API: create, upload (YAML, zip, tar.gz), list, get, delete."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import httpx

from tests.server.conftest import API, assert_kfp_error


def _upload(
    api: httpx.Client, content: bytes, filename: str = "pipeline.yaml", **params: str
) -> httpx.Response:
    return api.post(f"{API}/pipelines/upload", params=params, files={"uploadfile": (filename, content)})


def test_upload_yaml_zip_and_tar_gz(api: httpx.Client, packages: dict[str, Path]) -> None:
    text = packages["adder"].read_bytes()
    plain = _upload(api, text, "adder.yaml", name="up-plain", description="plain YAML")
    assert plain.status_code == 200, plain.text
    assert plain.json()["display_name"] == "up-plain"
    assert plain.json()["description"] == "plain YAML"

    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("pipeline.yaml", text)
    assert _upload(api, zipped.getvalue(), "adder.zip", name="up-zip").status_code == 200

    tarred = io.BytesIO()
    with tarfile.open(fileobj=tarred, mode="w:gz") as archive:
        info = tarfile.TarInfo("pipeline.yaml")
        info.size = len(text)
        archive.addfile(info, io.BytesIO(text))
    response = _upload(api, tarred.getvalue(), "adder.tar.gz")
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "adder"  # from the file name

    versions = api.get(f"{API}/pipelines/{plain.json()['pipeline_id']}/versions").json()
    assert versions["total_size"] == 1
    version = versions["pipeline_versions"][0]
    assert version["pipeline_spec"]["pipelineInfo"]["name"] == "adder"


def test_get_by_id_and_name_list_and_filter(api: httpx.Client, packages: dict[str, Path]) -> None:
    created = _upload(api, packages["adder"].read_bytes(), name="lookup-me").json()
    pipeline_id = created["pipeline_id"]
    assert api.get(f"{API}/pipelines/{pipeline_id}").json()["name"] == "lookup-me"
    assert api.get(f"{API}/pipelines/names/lookup-me").json()["pipeline_id"] == pipeline_id
    assert_kfp_error(api.get(f"{API}/pipelines/names/nobody"), 404, "nobody")
    flt = json.dumps(
        {"predicates": [{"key": "name", "operation": "IS_SUBSTRING", "string_value": "ookup-m"}]}
    )
    listed = api.get(f"{API}/pipelines", params={"filter": flt}).json()
    assert [item["pipeline_id"] for item in listed["pipelines"]] == [pipeline_id]


def test_create_pipeline_then_versions(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    pipeline = api.post(f"{API}/pipelines", json={"display_name": "empty-first", "description": "d"}).json()
    pipeline_id = pipeline["pipeline_id"]
    assert api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["total_size"] == 0
    version = api.post(
        f"{API}/pipelines/{pipeline_id}/versions", json={"name": "v1", "pipeline_spec": specs["adder"]}
    )
    assert version.status_code == 200, version.text
    version_id = version.json()["pipeline_version_id"]
    assert api.get(f"{API}/pipelines/{pipeline_id}/versions/{version_id}").json()["name"] == "v1"
    assert_kfp_error(
        api.post(
            f"{API}/pipelines/{pipeline_id}/versions", json={"name": "v1", "pipeline_spec": specs["adder"]}
        ),
        409,
        "v1",
    )
    second = api.post(
        f"{API}/pipelines/{pipeline_id}/versions", json={"name": "v2", "pipeline_spec": specs["adder"]}
    )
    listed = api.get(f"{API}/pipelines/{pipeline_id}/versions", params={"sort_by": "created_at desc"}).json()
    assert [item["name"] for item in listed["pipeline_versions"]] == ["v2", "v1"]
    assert (
        api.delete(f"{API}/pipelines/{pipeline_id}/versions/{second.json()['pipeline_version_id']}").json()
        == {}
    )
    assert api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["total_size"] == 1


def test_create_pipeline_and_version_together(api: httpx.Client, specs: dict[str, dict[str, Any]]) -> None:
    body = {"pipeline": {"display_name": "together"}, "pipeline_version": {"pipeline_spec": specs["adder"]}}
    response = api.post(f"{API}/pipelines/create", json=body)
    assert response.status_code == 200, response.text
    pipeline_id = response.json()["pipeline_id"]
    assert api.get(f"{API}/pipelines/{pipeline_id}/versions").json()["total_size"] == 1
    # A bad version leaves no pipeline behind.
    bad = {"pipeline": {"display_name": "never"}, "pipeline_version": {"pipeline_spec": {"root": 5}}}
    assert_kfp_error(api.post(f"{API}/pipelines/create", json=bad), 400, "invalid pipeline spec")
    assert_kfp_error(api.get(f"{API}/pipelines/names/never"), 404)


def test_upload_version(api: httpx.Client, packages: dict[str, Path]) -> None:
    pipeline_id = _upload(api, packages["adder"].read_bytes(), name="with-versions").json()["pipeline_id"]
    response = api.post(
        f"{API}/pipelines/upload_version",
        params={"name": "second", "pipelineid": pipeline_id, "description": "again"},
        files={"uploadfile": ("adder.yaml", packages["adder"].read_bytes())},
    )
    assert response.status_code == 200, response.text
    assert response.json()["pipeline_id"] == pipeline_id
    assert response.json()["description"] == "again"
    missing = api.post(
        f"{API}/pipelines/upload_version",
        params={"name": "x", "pipelineid": "no-such-pipeline"},
        files={"uploadfile": ("adder.yaml", packages["adder"].read_bytes())},
    )
    assert_kfp_error(missing, 404, "no-such-pipeline")


def test_delete_needs_cascade_when_versions_exist(api: httpx.Client, packages: dict[str, Path]) -> None:
    pipeline_id = _upload(api, packages["adder"].read_bytes(), name="to-delete").json()["pipeline_id"]
    assert_kfp_error(api.delete(f"{API}/pipelines/{pipeline_id}"), 400, "cascade")
    assert api.delete(f"{API}/pipelines/{pipeline_id}", params={"cascade": "true"}).status_code == 200
    assert_kfp_error(api.get(f"{API}/pipelines/{pipeline_id}"), 404)


def test_bad_uploads_are_refused_with_reasons(api: httpx.Client, packages: dict[str, Path]) -> None:
    assert_kfp_error(_upload(api, b"", "empty.yaml"), 400, "empty")
    assert_kfp_error(_upload(api, b"a: [unclosed", "broken.yaml"), 400, "not valid YAML")
    assert_kfp_error(_upload(api, b"\xff\xfe\x00binary", "blob.bin"), 400, "not a pipeline package")
    assert_kfp_error(_upload(api, b"pipelineInfo: {name: x}\n", "noroot.yaml"), 400, "root")
    unknown = packages["adder"].read_text() + "\nbogusField: 1\n"
    assert_kfp_error(_upload(api, unknown.encode(), "bogus.yaml"), 400, "bogusField")
    assert_kfp_error(_upload(api, b"PK\x03\x04garbage", "bad.zip"), 400, "zip")
    empty_zip = io.BytesIO()
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("README.md", "nothing here")
    assert_kfp_error(_upload(api, empty_zip.getvalue(), "none.zip"), 400, "no .yaml")
    duplicate = _upload(api, packages["adder"].read_bytes(), name="dup")
    assert duplicate.status_code == 200
    assert_kfp_error(_upload(api, packages["adder"].read_bytes(), name="dup"), 409, "dup")
    assert_kfp_error(api.post(f"{API}/pipelines/upload"), 400, "uploadfile")


def test_oversize_upload_is_413(api: httpx.Client) -> None:
    body = b"#" * (32 * 1024 * 1024 + 10)
    assert_kfp_error(_upload(api, body, "huge.yaml", name="huge"), 413, "32 MB")
    assert_kfp_error(api.get(f"{API}/pipelines/names/huge"), 404)


def test_any_body_over_the_cap_is_413_before_it_is_read(api: httpx.Client) -> None:
    huge = b'{"display_name": "' + b"x" * (34 * 1024 * 1024) + b'"}'
    response = api.post(f"{API}/runs", content=huge, headers={"content-type": "application/json"})
    assert_kfp_error(response, 413, "larger than 33 MB")
