"""What the router costs: a trivial model called through the stable URL on ``sluice up`` and straight at its
model server (KServe's ModelServer), in one run, on the same machine.

Starts a real ``sluice up`` on a fresh home, deploys a predictor that returns its input, then:

* latency: one client on one keep-alive connection, requests alternating between the router and the
  replica (so both see the same machine load), p50 and p99 of each and the difference (the router's
  added latency; targets: p50 under 1 ms, p99 under 5 ms);
* throughput: ``--connections`` concurrent keep-alive connections making ``--requests`` requests in all,
  through the router and straight to the replica (target: at least 500 requests/s through the router).

    .venv/bin/python bench/serving.py [--samples 2000] [--requests 5000] [--connections 16] [--replicas 1]

The client is raw asyncio / http.client on loopback, so it costs little next to what it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SLUICE = str(Path(sys.executable).with_name("sluice"))
NAME = "echo"
BODY = b'{"instances": [[1.0, 2.0, 3.0, 4.0]]}'
PREDICTOR = """
class Echo:
    def load(self, model_path):
        pass

    def predict(self, instances):
        return instances
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_service(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SLUICE_HOME": str(home)}
    log = (home / "server.log").open("ab")
    process = subprocess.Popen(
        [SLUICE, "up", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/apis/v2beta1/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("sluice up did not start; see " + str(home / "server.log"))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _latency(router: tuple[int, str], direct: tuple[int, str], samples: int) -> dict[str, list[float]]:
    """Alternate one request each way on two keep-alive connections; milliseconds per request."""
    connections = {
        "router": (http.client.HTTPConnection("127.0.0.1", router[0]), router[1]),
        "direct": (http.client.HTTPConnection("127.0.0.1", direct[0]), direct[1]),
    }
    timings: dict[str, list[float]] = {"router": [], "direct": []}
    headers = {"content-type": "application/json"}
    for index in range(samples + 200):
        for label, (connection, path) in connections.items():
            started = time.perf_counter()
            connection.request("POST", path, BODY, headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise SystemExit(f"{label}: HTTP {response.status}")
            if index >= 200:  # the first ones warm connections and caches
                timings[label].append(elapsed)
    return timings


async def _throughput(port: int, path: str, requests: int, connections: int) -> float:
    """Requests per second over ``connections`` keep-alive connections, ``requests`` in all."""
    request = (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"content-length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining > 0:
                remaining -= 1
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"HTTP error: {head[:80]!r}")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return requests / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=2000, help="latency samples each way")
    parser.add_argument("--requests", type=int, default=5000, help="requests per throughput measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--replicas", type=int, default=1)
    options = parser.parse_args()

    from sluice.client import Client

    with tempfile.TemporaryDirectory(prefix="sluice-bench-serving-") as folder:
        home = Path(folder) / "home"
        home.mkdir()
        model = Path(folder) / "echo"
        model.mkdir()
        (model / "predictor.py").write_text(PREDICTOR)
        port = _free_port()
        service = _start_service(home, port)
        try:
            with Client(f"http://127.0.0.1:{port}") as client:
                deployment = client.create_deployment(NAME, model, replicas=options.replicas)
                replica_port = int(deployment.revision(1).raw["replica_status"][0]["port"])
            router = (port, f"/serving/default/{NAME}/v1/models/{NAME}:predict")
            direct = (replica_port, f"/v1/models/{NAME}:predict")

            print(f"sluice serving benchmark: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
            print(
                f"a trivial model (echo), {options.replicas} replica(s), V1 predict, {len(BODY)}-byte body\n"
            )
            timings = _latency(router, direct, options.samples)
            print(f"latency, one client, {options.samples} requests each way (ms):")
            print(f"  {'':<22} {'p50':>8} {'p90':>8} {'p99':>8} {'mean':>8}")
            for label, values in (
                ("through the router", timings["router"]),
                ("straight to replica", timings["direct"]),
            ):
                print(
                    f"  {label:<22} {_percentile(values, 0.5):8.3f} {_percentile(values, 0.9):8.3f} "
                    f"{_percentile(values, 0.99):8.3f} {statistics.fmean(values):8.3f}"
                )
            added_p50 = _percentile(timings["router"], 0.5) - _percentile(timings["direct"], 0.5)
            added_p99 = _percentile(timings["router"], 0.99) - _percentile(timings["direct"], 0.99)
            print(
                f"  added by the router:   p50 {added_p50:.3f} ms (target < 1)   p99 {added_p99:.3f} ms (target < 5)\n"
            )

            print(f"throughput, {options.connections} connections, {options.requests} requests:")
            direct_rate = asyncio.run(
                _throughput(direct[0], direct[1], options.requests, options.connections)
            )
            router_rate = asyncio.run(
                _throughput(router[0], router[1], options.requests, options.connections)
            )
            print(f"  through the router   {router_rate:8.0f} requests/s (target >= 500)")
            print(f"  straight to replica  {direct_rate:8.0f} requests/s")
        finally:
            service.send_signal(signal.SIGTERM)
            try:
                service.wait(30)
            except subprocess.TimeoutExpired:
                service.kill()


if __name__ == "__main__":
    main()
