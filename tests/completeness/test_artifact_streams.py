"""Artifact content streamed, in process on SQLite with a real run: a file bigger than the old 32 MB cap
downloads whole, byte ranges serve previews (206, 416), a folder downloads as a tar stream, and KFP's
ReadArtifact body is valid base64 of the whole file."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import sluice
from sluice import dsl
from sluice.dsl import Dataset, Output
from sluice.server import ServerConfig, create_app

API = "/apis/v2beta1"
BIG = 33 * 1024 * 1024 + 7


@dsl.component
def write_outputs(size: int, big: Output[Dataset], folder: Output[Dataset]) -> None:
    import os

    block = bytes(range(256)) * 4096  # 1 MiB, every byte value
    with open(big.path, "wb") as handle:
        written = 0
        while written < size:
            handle.write(block[: size - written])
            written += min(len(block), size - written)
    os.makedirs(os.path.join(folder.path, "sub"))
    with open(os.path.join(folder.path, "a.txt"), "w") as handle:
        handle.write("alpha")
    with open(os.path.join(folder.path, "sub", "b.txt"), "w") as handle:
        handle.write("beta" * 1000)
    os.symlink("/etc/passwd", os.path.join(folder.path, "escape"))


@dsl.pipeline(name="streams")
def streams(size: int) -> None:
    write_outputs(size=size)


def _expected(size: int) -> bytes:
    block = bytes(range(256)) * 4096
    return (block * (size // len(block) + 1))[:size]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("streams-home")
    result = sluice.run(streams, {"size": BIG}, home=home, handle_sigint=False)
    assert result.succeeded, result.error
    config = ServerConfig.resolve(home=home, port=1)
    with TestClient(create_app(config), base_url="http://127.0.0.1") as client:
        artifacts = client.get("/apis/sluice/v1/artifacts", params={"run_id": result.run_id}).json()[
            "artifacts"
        ]
        ids = {artifact["name"]: artifact["id"] for artifact in artifacts}
        yield {"api": client, "run": result, "ids": ids}


def test_a_big_file_downloads_whole(world: dict[str, Any]) -> None:
    api = world["api"]
    digest = hashlib.sha256()
    size = 0
    with api.stream("GET", f"{API}/artifacts/{world['ids']['big']}:download") as response:
        assert response.status_code == 200
        assert response.headers["accept-ranges"] == "bytes"
        assert response.headers["content-length"] == str(BIG)
        assert 'filename="big"' in response.headers["content-disposition"]
        for chunk in response.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
    assert size == BIG
    assert digest.hexdigest() == hashlib.sha256(_expected(BIG)).hexdigest()


def test_ranges_serve_previews(world: dict[str, Any]) -> None:
    api = world["api"]
    url = f"{API}/artifacts/{world['ids']['big']}:download"
    expected = _expected(BIG)
    first = api.get(url, headers={"Range": "bytes=0-1023"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-1023/{BIG}"
    assert first.content == expected[:1024]
    middle = api.get(url, headers={"Range": "bytes=1048570-1048585"})
    assert middle.content == expected[1048570:1048586]
    tail = api.get(url, headers={"Range": "bytes=-5"})
    assert (tail.status_code, tail.content) == (206, expected[-5:])
    open_ended = api.get(url, headers={"Range": f"bytes={BIG - 3}-"})
    assert open_ended.content == expected[-3:]
    beyond = api.get(url, headers={"Range": f"bytes={BIG}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{BIG}"
    # Several ranges: the whole content, as RFC 9110 allows.
    assert api.get(url, headers={"Range": "bytes=0-1,4-5"}).headers["content-length"] == str(BIG)


def test_a_folder_downloads_as_a_tar_stream_without_symlinks(world: dict[str, Any]) -> None:
    response = world["api"].get(f"{API}/artifacts/{world['ids']['folder']}:download")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-tar"
    assert 'filename="folder.tar"' in response.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(response.content)) as archive:
        names = sorted(archive.getnames())
        assert names == ["a.txt", "sub", "sub/b.txt"]  # the symlink out of the root is left out
        assert archive.extractfile("a.txt").read() == b"alpha"  # type: ignore[union-attr]
        assert archive.extractfile("sub/b.txt").read() == b"beta" * 1000  # type: ignore[union-attr]


def test_read_artifact_streams_base64_of_the_whole_file(world: dict[str, Any]) -> None:
    api = world["api"]
    task = world["run"].task("write-outputs")
    response = api.get(f"{API}/runs/{world['run'].run_id}/nodes/{task.id}/artifacts/big:read")
    assert response.status_code == 200, response.text[:300]
    assert base64.b64decode(response.json()["data"]) == _expected(BIG)
    folder = api.get(f"{API}/runs/{world['run'].run_id}/nodes/{task.id}/artifacts/folder:read")
    assert folder.status_code == 400 and "tar stream" in folder.json()["message"]
