"""One real Ray cluster for the session: a head and two workers, each its own `ray start`, and SeaweedFS.

The head declares 1 CPU; the ``cpu`` worker 2 CPUs and the node label ``disktype=ssd``; the ``gpu``
worker 2 CPUs, one GPU of type T4 (Ray's ``accelerator_type:T4`` resource) and the label ``pool=gpu``.
Every Ray test runs on one xdist worker (tests/conftest.py), which drives this one cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ray_cluster import GCS_PATIENCE, NodeSpec, RayCluster, start_ray_cluster
from tests.seaweedfs import S3Server, s3_environment, s3_server

__all__ = ["s3_environment", "s3_server"]

NODES = [
    NodeSpec("head", cpus=1),
    NodeSpec("cpu", cpus=2, labels={"disktype": "ssd"}),
    NodeSpec("gpu", cpus=2, gpus=1, resources={"accelerator_type:T4": 1}, labels={"pool": "gpu"}),
]


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server) -> Iterator[RayCluster]:
    # A driver that cannot reach the GCS for a minute aborts its process; a busy machine can starve the GCS.
    import os

    os.environ.update(GCS_PATIENCE)
    with start_ray_cluster(tmp_path_factory.mktemp("ray"), NODES, s3_server.environment()) as cluster:
        try:
            yield cluster
        finally:
            # The engines of this process connected to the cluster: a Ray driver whose cluster is gone
            # aborts its process a minute later, so let go of it before the nodes stop.
            import ray

            ray.shutdown()


@pytest.fixture(scope="session")
def node_names(ray_cluster: RayCluster) -> dict[str, str]:
    """The session cluster's node names by Ray node id."""
    return ray_cluster.node_names()


@pytest.fixture
def ray_run(
    ray_cluster: RayCluster, s3_environment: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    """Keyword arguments of run_pipeline for a run on the cluster with the S3 artifact root."""
    monkeypatch.delenv("SLUICE_DATABASE_URL", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return {
        "home": tmp_path / "home",
        "pipeline_root": f"s3://{s3_environment.bucket}/{tmp_path.name}",
        "launcher": "ray",
        "ray_address": ray_cluster.address,
        "handle_sigint": False,
    }
