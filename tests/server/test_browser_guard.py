"""A web page the user visits must not drive ``sluice up`` on 127.0.0.1 (a run executes code): requests for
a Host the server was not started for are refused (DNS rebinding), and so are state-changing requests a
browser sends from another origin, also the "simple" ones a form can send (a multipart upload, a body-less
POST). Clients that are not browsers (kfp.Client, sluice.Client, curl) and the UI itself keep working."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.conftest import API, ServerProcess, assert_kfp_error, create_run, wait_for_run

EVIL = "http://evil.example"


def _names(api: httpx.Client) -> set[str]:
    return {
        pipeline["name"]
        for pipeline in api.get(f"{API}/pipelines", params={"page_size": 1000}).json()["pipelines"]
    }


def _upload(api: httpx.Client, package: bytes, name: str, **headers: str) -> httpx.Response:
    return api.post(
        f"{API}/pipelines/upload",
        params={"name": name},
        files={"uploadfile": ("pipeline.yaml", package)},
        headers=headers,
    )


@pytest.fixture
def finished_run(server: ServerProcess, specs: dict[str, Any]) -> str:
    with server.client() as api:
        return str(wait_for_run(api, create_run(api, specs["adder"])["run_id"])["run_id"])


# ------------------------------------------------------------------------------------------------ the attacks


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", f"{API}/runs"), ("GET", f"{API}/healthz"), ("GET", "/"), ("POST", f"{API}/experiments")],
)
def test_dns_rebinding_a_foreign_host_is_refused(
    api: httpx.Client, server: ServerProcess, method: str, path: str
) -> None:
    """evil.example resolving to 127.0.0.1: the browser sends Host: evil.example:PORT, and no Origin
    check helps (the page is same-origin with itself)."""
    before = api.get(f"{API}/experiments").json()["total_size"]
    response = api.request(
        method,
        path,
        headers={"Host": f"evil.example:{server.port}", "Origin": f"{EVIL}:{server.port}"},
        json={"display_name": "rebound"} if method == "POST" else None,
    )
    assert_kfp_error(response, 403, "evil.example", "--allowed-host")
    assert api.get(f"{API}/experiments").json()["total_size"] == before


def test_a_cross_origin_multipart_upload_is_refused(api: httpx.Client, packages: dict[str, Path]) -> None:
    """What <form enctype=multipart/form-data method=post action=http://127.0.0.1:8888/...> sends."""
    package = packages["adder"].read_bytes()
    response = _upload(api, package, "from-evil", Origin=EVIL)
    assert_kfp_error(response, 403, "evil.example")
    assert "from-evil" not in _names(api)


def test_a_body_less_cross_origin_archive_is_refused(api: httpx.Client, finished_run: str) -> None:
    """What <form method=post action=http://127.0.0.1:8888/apis/v2beta1/runs/ID:archive> sends."""
    response = api.post(f"{API}/runs/{finished_run}:archive", headers={"Origin": EVIL})
    assert_kfp_error(response, 403, "evil.example")
    assert api.get(f"{API}/runs/{finished_run}").json()["storage_state"] == "AVAILABLE"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},  # a sandboxed iframe, a data: URL
        {"Origin": "http://127.0.0.1:1"},  # same host, another port: another origin
        {"Referer": f"{EVIL}/page.html"},  # a browser that sends no Origin
        {"Sec-Fetch-Site": "cross-site"},  # neither Origin nor Referer (Referrer-Policy: no-referrer)
        {"Sec-Fetch-Site": "same-site"},  # another port of the same host is another origin
    ],
    ids=["null", "other-port", "referer", "sec-fetch-cross-site", "sec-fetch-same-site"],
)
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_other_cross_origin_writes_are_refused(
    api: httpx.Client, finished_run: str, headers: dict[str, str], method: str
) -> None:
    if method == "POST":
        response = api.post(f"{API}/runs/{finished_run}:archive", headers=headers)
    else:
        response = api.delete(f"{API}/runs/{finished_run}", headers=headers)
    assert_kfp_error(response, 403)
    run = api.get(f"{API}/runs/{finished_run}")
    assert run.status_code == 200 and run.json()["storage_state"] == "AVAILABLE"


# ------------------------------------------------------------------------------------------------ what still works


def test_clients_without_origin_keep_working(
    api: httpx.Client, packages: dict[str, Path], finished_run: str
) -> None:
    """kfp.Client, sluice.Client and curl send no Origin, Referer or Sec-Fetch-Site."""
    assert _upload(api, packages["adder"].read_bytes(), "no-origin").status_code == 200
    assert api.post(f"{API}/runs/{finished_run}:archive").status_code == 200
    assert api.post(f"{API}/runs/{finished_run}:unarchive").status_code == 200


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])
def test_same_origin_browser_requests_work_on_every_loopback_name(
    api: httpx.Client, server: ServerProcess, packages: dict[str, Path], host: str
) -> None:
    origin = f"http://{host}:{server.port}"
    headers = {"Host": f"{host}:{server.port}", "Origin": origin, "Sec-Fetch-Site": "same-origin"}
    name = f"same-origin-{host.strip('[]:')}"
    assert _upload(api, packages["adder"].read_bytes(), name, **headers).status_code == 200
    assert api.get("/", headers={"Host": headers["Host"]}).status_code == 200
    referer_only = {"Host": headers["Host"], "Referer": f"{origin}/runs"}
    assert (
        api.post(f"{API}/experiments", json={"display_name": name}, headers=referer_only).status_code == 200
    )


def test_cross_origin_reads_get_no_cors_grant(api: httpx.Client) -> None:
    """A page elsewhere may send a GET, but the browser keeps the answer from it."""
    response = api.get(f"{API}/runs", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = api.options(f"{API}/runs", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Started for a name behind a proxy (--allowed-host, twice) and for its own --host address."""
    home = tmp_path_factory.mktemp("allowed") / "home"
    extra = [
        "--host",
        "127.0.0.2",
        "--allowed-host",
        "pipelines.example.com",
        "--allowed-host",
        "10.1.2.3:9000",
    ]
    running = ServerProcess(home, None, extra_args=extra, address="127.0.0.2")
    running.start()
    yield running
    running.stop()


def test_allowed_hosts_are_served(proxied_server: ServerProcess) -> None:
    port = proxied_server.port
    with httpx.Client(base_url=f"http://127.0.0.2:{port}", timeout=30) as api:
        for host in (
            "pipelines.example.com",
            f"pipelines.example.com:{port}",
            "pipelines.example.com:443",
            f"127.0.0.2:{port}",
            "10.1.2.3:9000",
        ):
            assert api.get(f"{API}/healthz", headers={"Host": host}).status_code == 200, host
        origin = {"Host": "pipelines.example.com", "Origin": "https://pipelines.example.com"}
        assert (
            api.post(f"{API}/experiments", json={"display_name": "proxied"}, headers=origin).status_code
            == 200
        )
        for host in ("10.1.2.3:9001", "evil.example", "pipelines.example.com.evil.example"):
            assert_kfp_error(api.get(f"{API}/healthz", headers={"Host": host}), 403, "--allowed-host")
        wrong_origin = {"Host": "pipelines.example.com", "Origin": EVIL}
        assert_kfp_error(
            api.post(f"{API}/experiments", json={"display_name": "x"}, headers=wrong_origin), 403
        )
