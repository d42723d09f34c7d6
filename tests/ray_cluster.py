"""A real multi-node Ray cluster for the tests and the benchmarks: a head and workers, each its own `ray start`.

Every node listens on a loopback address (``127.0.0.2``: Ray rewrites ``127.0.0.1`` to the machine's
outward address, so the nodes are given another loopback address to keep every connection on this
machine), on ports chosen here, with its own temporary folder and ``$SLUICE_HOME``, so that clusters of
parallel sessions never meet and ``ray stop`` (which stops every Ray process on the machine) is never
needed: each node runs ``ray start --block`` in its own process group, which is what stopping kills.
Memory stays small: a 80 MB object store per node, no dashboard UI, no log monitor, few CPUs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NODE_IP = "127.0.0.2"
# How long Ray processes wait for an unresponsive GCS before giving up (Ray's default: 60 s, then abort).
GCS_PATIENCE = {"RAY_gcs_rpc_server_reconnect_timeout_s": "600"}
_OBJECT_STORE_BYTES = 80 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class NodeSpec:
    """One node: what it declares (CPUs, GPUs, custom resources, labels)."""

    name: str
    cpus: int = 1
    gpus: int = 0
    resources: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class RayNode:
    spec: NodeSpec
    process: subprocess.Popen[bytes]
    home: Path  # the node's $SLUICE_HOME
    log: Path
    temp_dir: Path
    node_manager_port: int  # tells the node apart in ray.nodes(): every node has the same address
    port: int = 0  # the head's GCS port (0 for a worker)

    def stop(self) -> None:
        """Kill the node's whole process group (its raylet and agents; the head's GCS too)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)


@dataclass
class RayCluster:
    address: str
    folder: Path
    nodes: dict[str, RayNode]

    def node_names(self) -> dict[str, str]:
        """Node names by Ray's node id (asked of the cluster in a separate process)."""
        by_port = {str(node.node_manager_port): name for name, node in self.nodes.items()}
        ids = json.loads(
            _ask_cluster(
                self.address, "{n['NodeManagerPort']: n['NodeID'] for n in ray.nodes() if n['Alive']}"
            )
        )
        return {node_id: by_port[str(port)] for port, node_id in ids.items() if str(port) in by_port}


def _ask_cluster(address: str, expression: str) -> str:
    """``expression`` (about ``ray``) evaluated by a fresh driver connected to the cluster, as JSON."""
    probe = (
        "import json, ray\n"
        f"ray.init(address={address!r}, logging_level='ERROR', log_to_driver=False)\n"
        f"print(json.dumps({expression}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"asking the Ray cluster at {address} failed:\n{result.stderr[-2000:]}")
    return lines[-1]


def _start_node(
    spec: NodeSpec,
    folder: Path,
    head_address: str | None,
    environment: dict[str, str],
    ray: Path | None = None,
) -> RayNode:
    ray = ray or Path(sys.executable).parent / "ray"
    home = folder / f"home-{spec.name}"
    home.mkdir(parents=True, exist_ok=True)
    # Short: Ray's socket paths must fit in 107 characters.
    temp_dir = Path(tempfile.mkdtemp(prefix=f"r{spec.name[:2]}-", dir="/tmp"))
    node_manager_port = _free_port()
    command = [
        str(ray),
        "start",
        "--block",
        f"--node-ip-address={NODE_IP}",
        f"--temp-dir={temp_dir}",
        f"--num-cpus={spec.cpus}",
        f"--num-gpus={spec.gpus}",
        f"--object-store-memory={_OBJECT_STORE_BYTES}",
        "--include-log-monitor=false",
        "--disable-usage-stats",
        f"--node-manager-port={node_manager_port}",
        f"--object-manager-port={_free_port()}",
        f"--dashboard-agent-listen-port={_free_port()}",
        f"--dashboard-agent-grpc-port={_free_port()}",
        f"--runtime-env-agent-port={_free_port()}",
        f"--metrics-export-port={_free_port()}",
    ]
    if spec.resources:
        command.append(f"--resources={json.dumps(spec.resources)}")
    if spec.labels:
        command.append("--labels=" + ",".join(f"{key}={value}" for key, value in spec.labels.items()))
    port = 0
    if head_address is None:
        port = _free_port()
        command += [
            "--head",
            f"--port={port}",
            "--include-dashboard=false",
            f"--dashboard-port={_free_port()}",
        ]
    else:
        command.append(f"--address={head_address}")
    env = {
        **os.environ,
        **environment,
        **GCS_PATIENCE,
        "SLUICE_HOME": str(home),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    env.pop("RAY_ADDRESS", None)
    log = folder / f"{spec.name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    return RayNode(spec, process, home, log, temp_dir, node_manager_port, port)


def alive_nodes(address: str) -> int:
    """How many live nodes the cluster counts."""
    return int(_ask_cluster(address, "sum(1 for n in ray.nodes() if n['Alive'])"))


def _wait_for_nodes(address: str, count: int, nodes: list[RayNode], timeout: float = 120) -> None:
    """Until the cluster counts ``count`` live nodes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for node in nodes:
            if node.process.poll() is not None:
                raise RuntimeError(f"ray start {node.spec.name} exited:\n{node.log.read_text()[-3000:]}")
        with contextlib.suppress(RuntimeError, ValueError, subprocess.TimeoutExpired):
            if alive_nodes(address) >= count:
                return
        time.sleep(1)
    raise RuntimeError(f"the Ray cluster at {address} did not reach {count} nodes in {timeout:.0f} s")


def _start_joined(
    spec: NodeSpec,
    folder: Path,
    head_address: str | None,
    environment: dict[str, str],
    ray: Path | None,
    expected: int,
    attempts: int = 5,
) -> RayNode:
    """Start a node and wait until the cluster counts ``expected`` nodes; on a busy machine `ray start`
    gives up after 30 s without the GCS hearing from its raylet, so a node that exited is started again."""
    for attempt in range(1, attempts + 1):
        node = _start_node(spec, folder, head_address, environment, ray)
        address = head_address or f"{NODE_IP}:{node.port}"
        try:
            _wait_for_nodes(address, expected, [node])
            return node
        except RuntimeError:
            node.stop()
            shutil.rmtree(node.temp_dir, ignore_errors=True)
            if attempt == attempts:
                raise
            time.sleep(2 * attempt)  # let a busy machine catch its breath
    raise AssertionError("unreachable")


@contextlib.contextmanager
def start_ray_cluster(
    folder: Path,
    nodes: list[NodeSpec],
    environment: dict[str, str] | None = None,
    ray: Path | None = None,
) -> Iterator[RayCluster]:
    """A cluster of ``nodes`` (the first is the head), every node with ``environment``; stopped on exit.

    ``ray``: the ``ray`` command to start nodes with (its environment is the nodes' Python; default:
    this interpreter's)."""
    folder.mkdir(parents=True, exist_ok=True)
    started: list[RayNode] = []
    try:
        head = _start_joined(nodes[0], folder, None, environment or {}, ray, 1)
        started.append(head)
        address = f"{NODE_IP}:{head.port}"
        for spec in nodes[1:]:
            started.append(_start_joined(spec, folder, address, environment or {}, ray, len(started) + 1))
        yield RayCluster(address, folder, {node.spec.name: node for node in started})
    finally:
        for node in reversed(started):
            node.stop()
        for node in started:
            shutil.rmtree(node.temp_dir, ignore_errors=True)


@contextlib.contextmanager
def extra_nodes(
    cluster: RayCluster, specs: list[NodeSpec], environment: dict[str, str] | None = None
) -> Iterator[list[RayNode]]:
    """More worker nodes joined to ``cluster`` for a while (stopped on exit, if still running)."""
    before = alive_nodes(cluster.address)
    started: list[RayNode] = []
    try:
        for spec in specs:
            expected = before + len(started) + 1
            started.append(
                _start_joined(spec, cluster.folder, cluster.address, environment or {}, None, expected)
            )
        yield started
    finally:
        for node in started:
            node.stop()
            shutil.rmtree(node.temp_dir, ignore_errors=True)
